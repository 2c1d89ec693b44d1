// tests/test_grader.c — proves the exercise grader (tools/grade.sh, exercises/): it runs the grader
// as a student or a teacher would, through popen, and reads its report.
//   - the reference solutions score full marks; the untouched stubs score zero, crash nowhere;
//   - a planted hand-in (exercises/tests/planted/) is reported exercise by exercise: a wrong answer
//     with expected and actual values, a NULL dereference as a crash with its signal, an endless
//     loop as a time-out, a correct answer by another road as a pass, a file that does not compile
//     as a compile error worth 0 for its chapter only; the JSON report says the same;
//   - chapters 05 and 06 one by one (their rows of the two full reports): solutions pass, stubs
//     fail, a planted chapter-06 hand-in is reported exercise by exercise;
//   - chapter 09 under mpirun (-np 2 and 3; 3 and 5 for the tree): solutions pass, stubs fail from a rank, and without mpirun
//     (or with TL_GRADE_NO_MPI=1) the exercises are "skipped", visibly, and left out of the score;
//   - selecting a chapter or an exercise grades only that;
//   - the stubs in exercises/ are exactly what tools/handout.sh makes of the solutions.
// The grader uses the library of $TL_BUILD (build/ or build/san/, set by ./build.sh test).
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

// ----------------------------------------------------------------------------
// running a command and keeping its output

static char *run(const char *cmd, int *status) {
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    size_t got;
    while ((got = fread(out + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
    }
    out[n] = '\0';
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return out;
}

// the line of out that starts with prefix (a row of the table), or NULL
static const char *line_starting(const char *out, const char *prefix) {
    size_t n = strlen(prefix);
    for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, prefix, n) == 0) return l;
    return NULL;
}

// the end of the record that starts at row l: the row's line and, when the next line is its
// message (tools/grade.sh's report writes it as "         -> ..."), that line too; NULL: the
// record runs to the end of the report. row and rows_not both cut records here.
static const char *record_end(const char *l) {
    const char *end = strchr(l, '\n');
    if (end && strncmp(end + 1, "         -> ", 12) == 0) end = strchr(end + 1, '\n');
    return end;
}

// the text of the row of exercise id and its message line, for assertions
static char *row(const char *out, const char *id) {
    static char buf[2048];
    const char *l = line_starting(out, id);
    if (!l) fail_msg("no row for exercise %s in the report:\n%s", id, out);
    const char *end = record_end(l);
    size_t n = end ? (size_t)(end - l) : strlen(l);
    if (n >= sizeof buf) n = sizeof buf - 1;
    memcpy(buf, l, n);
    buf[n] = '\0';
    return buf;
}

// the rows of the report (each with its message line) whose result is none of the wanted ones:
// what a failure message shows first, short enough for cmocka's message buffer (1 KiB)
static const char *rows_not(const char *out, const char *want1, const char *want2) {
    static char buf[900];
    size_t n = 0;
    buf[0] = '\0';
    for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (!(l[0] >= '0' && l[0] <= '9' && l[2] == '.')) continue;        // "NN.K  pts  result  title"
        const char *end = record_end(l);                                     // the row and its message
        size_t len = end ? (size_t)(end - l) : strlen(l);
        char rec[1024];
        snprintf(rec, sizeof rec, "%.*s", (int)len, l);
        if (strstr(rec, want1) || (want2 && strstr(rec, want2))) continue;
        if (n + len + 2 >= sizeof buf) len = sizeof buf - n - 2;
        memcpy(buf + n, l, len);
        n += len;
        buf[n++] = '\n';
        buf[n] = '\0';
        if (n + 2 >= sizeof buf) break;
    }
    return buf;
}

static void expect_in(const char *text, const char *want, const char *whole) {
    if (strstr(text, want)) return;
    if (whole != text) fprintf(stderr, "--- the whole report:\n%s\n", whole);
    fail_msg("expected \"%s\" in:\n%.800s", want, text);
}

static int count(const char *text, const char *needle) {
    int n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

// the score line "Score: X/Y"
static void score(const char *out, int *x, int *y) {
    const char *s = strstr(out, "Score: ");
    if (!s || sscanf(s, "Score: %d/%d", x, y) != 2) fail_msg("no score line in:\n%s", out);
}

// the number of exercises the graded tests define (rows of their tables)
static int exercise_count(void) {
    int status;
    char *out = run("cat exercises/tests/grade_[0-9][0-9].c | grep -cE '^[[:space:]]*\\{ *\"[0-9]{2}\\.[0-9]+\", *[0-9]+, *\"'",
                    &status);
    int n = atoi(out);
    free(out);
    return n;
}

// the score of some rows of a report: the sum of their "X/Y" columns, as "Score: X/Y" would be for
// those exercises graded alone
static void rows_score(const char *out, const char *const *ids, int n, int *x, int *y) {
    *x = *y = 0;
    for (int i = 0; i < n; i++) {
        int a, b;
        const char *r = row(out, ids[i]);
        if (sscanf(r + strlen(ids[i]), " %d/%d", &a, &b) != 2) fail_msg("no points in the row:\n%s", r);
        *x += a;
        *y += b;
    }
}

// the two full reports (every chapter, solutions and stubs), kept for the chapter-by-chapter tests:
// grading a chapter again alone would give the same rows
static char *solutions_report, *stubs_report;
static const char *full_report(char **kept, const char *cmd) {
    int status;
    if (!*kept) {                             // the full test did not get as far as keeping it
        *kept = run(cmd, &status);
        assert_int_equal(status, 0);
    }
    return *kept;
}
#define SOLUTIONS_CMD "tools/grade.sh --solutions --json build/grade-solutions.json 2>&1"
#define STUBS_CMD "tools/grade.sh 2>&1"

static int setup(void **state) {
    const char *root = getenv("TL_ROOT");
    if (root && chdir(root) != 0) return -1;
    return 0;
}

// ----------------------------------------------------------------------------

static void test_solutions_score_full_marks(void **state) {
    int status, x, y;
    char *out = run(SOLUTIONS_CMD, &status);
    assert_int_equal(status, 0);
    solutions_report = out;
    score(out, &x, &y);
    int n = exercise_count();
    int skipped = count(out, " skipped ");                    // chapter 09 without mpirun
    if (x != y || y == 0 || count(out, " pass ") + skipped != n)
    {
        fputs(out, stderr);
        fail_msg("the solutions should pass all %d exercises (score %d/%d); these did not:\n%s", n, x, y,
                 rows_not(out, " pass ", " skipped "));
    }
    out = run("cat build/grade-solutions.json", &status);
    char want[64];
    snprintf(want, sizeof want, "\"score\": %d,", y);
    expect_in(out, want, out);
    snprintf(want, sizeof want, "\"max_score\": %d,", y);
    expect_in(out, want, out);
    assert_int_equal(count(out, "\"status\": \"pass\"") + count(out, "\"status\": \"skipped\""), n);
    free(out);
}

static void test_stubs_score_zero_without_crashing(void **state) {
    int status, x, y;
    char *out = run(STUBS_CMD, &status);
    assert_int_equal(status, 0);
    stubs_report = out;
    score(out, &x, &y);
    int n = exercise_count();
    int fails = count(out, " FAIL ");
    bool bad = x != 0 || y == 0 || fails + count(out, " skipped ") != n || count(out, "not implemented yet") != fails;
    if (bad || strstr(out, "crashed") || strstr(out, "timed out") || strstr(out, "compile error")) {
        fputs(out, stderr);
        fail_msg("every one of the %d stubs should FAIL saying \"not implemented yet\" (or be skipped), "
                 "score 0 (got %d/%d); these did not (a crash, a hang, a compile error?):\n%s", n, x, y,
                 rows_not(out, "not implemented yet", " skipped "));
    }
}

static void test_planted_failures_are_reported_against_their_exercise(void **state) {
    int status, x, y;
    char *out = run("tools/grade.sh --dir exercises/tests/planted --timeout 2 --json build/grade-planted.json "
                    "00 01 02 2>&1", &status);
    assert_int_equal(status, 0);
    char *r = row(out, "01.1 ");                               // wrong: expected and actual values
    expect_in(r, "FAIL", out);
    expect_in(r, "transposed", out);
    expect_in(r, "expected ", out);
    expect_in(r, ", got ", out);
    r = row(out, "01.2 ");                                     // NULL dereference: SIGSEGV, or
    expect_in(r, "crashed", out);                              // UBSan's report in the sanitizer build
    expect_in(r, strstr(r, "runtime error") ? "null pointer" : "signal 11", out);
    r = row(out, "01.3 ");                                     // endless loop
    expect_in(r, "timed out after 2 s", out);
    r = row(out, "01.4 ");                                     // right by another road
    expect_in(r, "pass", out);
    r = row(out, "02.1 ");                                     // does not compile: the compiler's message
    expect_in(r, "compile error", out);
    expect_in(r, "does not compile", out);
    expect_in(out, "error: expected", out);
    for (const char *id = "02.2 "; id; id = strcmp(id, "02.2 ") == 0 ? "02.4 " : NULL)
        expect_in(row(out, id), "compile error", out);
    r = row(out, "00.1 ");                                     // no planted file for chapter 00
    expect_in(r, "missing", out);
    expect_in(r, "no file exercises/tests/planted/00-*.c", out);
    score(out, &x, &y);
    assert_int_equal(x, 4);                                    // 01.4 only
    free(out);

    out = run("cat build/grade-planted.json", &status);
    expect_in(out, "\"id\": \"01.2\", \"title\": \"one-hot encoding (F.one_hot)\", \"points\": 0, \"max_points\": 2, "
                   "\"status\": \"crashed\"", out);
    expect_in(out, "\"status\": \"timed out\", \"message\": \"timed out after 2 s", out);
    expect_in(out, "\"score\": 4,", out);
    free(out);
}

// a missing hand-in of chapter 08, whose exercises are a .cu file, is named as one (it said "08-*.c")
static void test_missing_cuda_file_is_named_cu(void **state) {
    int status;
    char *out = run("tools/grade.sh --dir exercises/tests/planted 08.1 2>&1", &status);
    assert_int_equal(status, 0);
    char *r = row(out, "08.1 ");
    expect_in(r, "missing", out);
    expect_in(r, "no file exercises/tests/planted/08-*.cu", out);
    free(out);
}

// the exercises of chapters 05 (data loaders) and 06 (training), chapter by chapter: every one is
// in the table, the solutions pass each, the stubs fail each saying "not implemented yet", and a
// planted hand-in of chapter 06 (exercises/tests/planted/06-training.c) is reported exercise by
// exercise: a right answer by another road, a forgotten clamp, a stub, Adam without bias correction
static void test_chapters_05_06(void **state) {
    static const char *const ids[] = { "05.1 ", "05.2 ", "05.3 ", "05.4 ", "06.1 ", "06.2 ", "06.3 ", "06.4 ", "06.5 " };
    int status, x, y;
    const char *full = full_report(&solutions_report, SOLUTIONS_CMD);
    for (int i = 0; i < 9; i++) expect_in(row(full, ids[i]), " pass ", full);
    rows_score(full, ids, 9, &x, &y);
    if (x != y || y != 27) fail_msg("chapters 05 and 06 are worth 12 + 15 points, all earned by the solutions:\n%s", full);

    full = full_report(&stubs_report, STUBS_CMD);
    for (int i = 0; i < 9; i++) {
        char *r = row(full, ids[i]);
        expect_in(r, " FAIL ", full);
        expect_in(r, "not implemented yet", full);
    }
    rows_score(full, ids, 9, &x, &y);
    assert_int_equal(x, 0);

    char *out = run("tools/grade.sh --dir exercises/tests/planted --timeout 5 06 2>&1", &status);
    assert_int_equal(status, 0);
    expect_in(row(out, "06.1 "), " pass ", out);                 // cos^2 of half the angle: also right
    char *r = row(out, "06.2 ");                                  // no min(clip_coef, 1)
    expect_in(r, " FAIL ", out);
    expect_in(r, "(left alone)", out);
    expect_in(row(out, "06.3 "), "not implemented yet", out);
    expect_in(row(out, "06.5 "), "not implemented yet", out);
    r = row(out, "06.4 ");                                        // no bias correction: the first step is off
    expect_in(r, " FAIL ", out);
    expect_in(r, "p after Adam step 1", out);
    expect_in(r, "expected 0.4", out);
    score(out, &x, &y);
    assert_int_equal(x, 2);
    free(out);
}

// chapter 09 runs each exercise under mpirun (-np 2 and 3; the tree 3 and 5): the solutions pass
// (or, without mpirun or MPI, all four are skipped with the reason and left out of the score), the
// stubs fail saying so from a rank, the planted hand-in (exercises/tests/planted/09-ddp.c) is
// reported exercise by exercise; TL_GRADE_NO_MPI=1 skips them visibly
static void test_chapter_09_under_mpirun(void **state) {
    static const char *const ids[] = { "09.1 ", "09.2 ", "09.3 ", "09.4 " };
    int status, x, y;
    char *out = NULL;
    const char *full = full_report(&solutions_report, SOLUTIONS_CMD);
    bool skipped = strstr(row(full, ids[0]), " skipped ") != NULL;
    for (int i = 0; i < 4; i++) expect_in(row(full, ids[i]), skipped ? " skipped " : " pass ", full);
    rows_score(full, ids, 4, &x, &y);
    if (skipped) {
        print_message("chapter 09's exercises were skipped here:\n%s", row(full, ids[0]));
        assert_int_equal(y, 0);
    } else {
        assert_int_equal(x, 13);
        assert_int_equal(y, 13);
        full = full_report(&stubs_report, STUBS_CMD);
        for (int i = 0; i < 4; i++) {
            char *r = row(full, ids[i]);
            expect_in(r, " FAIL ", full);
            expect_in(r, "mpirun -np ", full);
            expect_in(r, ": rank ", full);
            expect_in(r, "not implemented yet", full);
        }
        // the planted hand-in: a deadlock, a collective, too many messages, a tree by another road
        out = run("tools/grade.sh --dir exercises/tests/planted 09 2>&1", &status);
        assert_int_equal(status, 0);
        char *r = row(out, "09.1 ");
        expect_in(r, " FAIL ", out);
        expect_in(r, "did not finish within 4 s (a deadlock", out);
        r = row(out, "09.2 ");
        expect_in(r, " FAIL ", out);
        expect_in(r, "called MPI_Allreduce", out);
        r = row(out, "09.3 ");
        expect_in(r, " FAIL ", out);
        expect_in(r, "messages from this rank, expected at most 2", out);
        expect_in(row(out, "09.4 "), " pass ", out);
        score(out, &x, &y);
        assert_int_equal(x, 3);
    }
    free(out);
    out = run("TL_GRADE_NO_MPI=1 tools/grade.sh --solutions --json build/grade-09-skipped.json 09 2>&1", &status);
    assert_int_equal(status, 0);
    for (int i = 0; i < 4; i++) {
        char *r = row(out, ids[i]);
        expect_in(r, " skipped ", out);
        expect_in(r, "TL_GRADE_NO_MPI is set", out);
        expect_in(r, "(not counted)", out);
    }
    expect_in(out, "Score: 0/0 (4 exercise(s) skipped", out);
    free(out);
    out = run("cat build/grade-09-skipped.json", &status);
    assert_int_equal(count(out, "\"status\": \"skipped\""), 4);
    free(out);
}

static void test_one_chapter_or_one_exercise(void **state) {
    int status, x, y;
    char *out = run("tools/grade.sh --solutions 03.2 2>&1", &status);
    assert_int_equal(status, 0);
    expect_in(row(out, "03.2 "), "pass", out);
    if (count(out, " pass ") != 1) fail_msg("03.2 alone should grade one exercise:\n%s", out);
    free(out);
    out = run("tools/grade.sh 02 2>&1", &status);
    if (count(out, "\n02.") != 4 || strstr(out, "\n01.") || strstr(out, "\n03."))
        fail_msg("chapter 02 alone should grade its 4 exercises only:\n%s", out);
    score(out, &x, &y);
    assert_int_equal(x, 0);
    free(out);
    out = run("tools/grade.sh 7 2>&1; tools/grade.sh --no-such-option 2>&1", &status);
    expect_in(out, "unknown argument", out);
    assert_int_not_equal(status, 0);
    free(out);
}

static void test_stubs_are_the_handout_of_the_solutions(void **state) {
    int status;
    char *out = run("tools/handout.sh --check 2>&1", &status);
    if (status != 0) fail_msg("%s", out);
    free(out);
    out = run("rm -rf build/handout-test && tools/handout.sh build/handout-test >/dev/null && "
              "for f in build/handout-test/*; do cmp \"$f\" \"exercises/$(basename \"$f\")\" || exit 1; done; "
              "grep -l 'BEGIN SOLUTION\\|END SOLUTION\\|// STUB:' build/handout-test/* exercises/[0-9]*.c exercises/[0-9]*.cu; "
              "test $? -eq 1", &status);
    if (status != 0) fail_msg("the hand-out differs from exercises/ or keeps solution markers:\n%s", out);
    free(out);
}

// every exercise of a graded test is listed at the end of its chapter ("- **NN.K** (P points)")
static void test_chapters_list_their_exercises(void **state) {
    int status;
    char *out = run("for t in exercises/tests/grade_[0-9][0-9].c; do nn=${t##*grade_}; nn=${nn%.c}; "
                    "ch=$(ls chapters/$nn-*/$nn-*.md) || exit 1; "
                    "sed -nE 's/^[[:space:]]*\\{ *\"([0-9]{2}\\.[0-9]+)\", *([0-9]+),.*/\\1 \\2/p' $t | "
                    "while read id pts; do s=s; [ $pts = 1 ] && s=; "
                    "grep -qF -- \"- **$id** ($pts point$s)\" $ch || echo \"$ch does not list $id ($pts point$s)\"; done; "
                    "grep -q '^## Exercises' $ch || echo \"$ch has no Exercises section\"; done", &status);
    if (status != 0 || out[0]) fail_msg("%s", out);
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_solutions_score_full_marks, setup),
        cmocka_unit_test_setup(test_stubs_score_zero_without_crashing, setup),
        cmocka_unit_test_setup(test_planted_failures_are_reported_against_their_exercise, setup),
        cmocka_unit_test_setup(test_missing_cuda_file_is_named_cu, setup),
        cmocka_unit_test_setup(test_chapters_05_06, setup),
        cmocka_unit_test_setup(test_chapter_09_under_mpirun, setup),
        cmocka_unit_test_setup(test_one_chapter_or_one_exercise, setup),
        cmocka_unit_test_setup(test_stubs_are_the_handout_of_the_solutions, setup),
        cmocka_unit_test_setup(test_chapters_list_their_exercises, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
