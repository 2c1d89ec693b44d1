// test_ch00_lab.c — the cell runner (chapter 00): a lab lists, runs all, runs up to K, steps, and
// rejects bad options, as the chapter promises. Runs the real lab program build/labs/00-setup
// (TL_BUILD selects another build folder, e.g. build/san).
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char output[1 << 16];

// runs the lab with ARGS (and INPUT on stdin); returns its exit status, output in `output`
static int run_lab(const char *args, const char *input) {
    const char *build = getenv("TL_BUILD") ? getenv("TL_BUILD") : "build";
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "printf '%s' | %s/labs/00-setup %s 2>&1", input ? input : "", build, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(output, 1, sizeof output - 1, p);
    output[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int count(const char *haystack, const char *needle) {
    int n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)); p++) n++;
    return n;
}

static void test_runs_every_cell_with_a_header(void **state) {
    (void)state;
    assert_int_equal(run_lab("", NULL), 0);
    assert_int_equal(count(output, "── ["), 3);
    assert_non_null(strstr(output, "── [1] which Torchlet is this ─"));
    assert_non_null(strstr(output, "'0.1.0'\n"));
    assert_non_null(strstr(output, "── [3] which BLAS does matrix products ─"));
}

static void test_headers_end_at_column_78(void **state) {
    (void)state;
    run_lab("--cell 1", NULL);
    char *nl = strchr(output, '\n');
    assert_non_null(nl);
    int columns = 0;
    for (char *p = output; p < nl; p++) columns += (*p & 0xC0) != 0x80;
    assert_int_equal(columns, 78);
}

static void test_list_names_chapter_lines_and_runs_nothing(void **state) {
    (void)state;
    assert_int_equal(run_lab("--list", NULL), 0);
    assert_non_null(strstr(output, "  1  which Torchlet is this"));
    assert_non_null(strstr(output, "chapters/00-setup/00-setup.md:"));
    assert_null(strstr(output, "'0.1.0'"));       // no cell ran
    assert_null(strstr(output, "── ["));
}

static void test_cell_k_stops_after_k(void **state) {
    (void)state;
    assert_int_equal(run_lab("--cell 2", NULL), 0);
    assert_int_equal(count(output, "── ["), 2);
    assert_null(strstr(output, "── [3]"));
}

static void test_cell_out_of_range_is_a_usage_error(void **state) {
    (void)state;
    assert_int_equal(run_lab("--cell 9", NULL), 2);
    assert_non_null(strstr(output, "there is no cell '9'; this lab has cells 1 to 3"));
    assert_int_equal(run_lab("--cell x", NULL), 2);
    assert_int_equal(run_lab("--cell", NULL), 2);
}

static void test_unknown_option_shows_usage(void **state) {
    (void)state;
    assert_int_equal(run_lab("--bogus", NULL), 2);
    assert_non_null(strstr(output, "unknown option '--bogus'"));
    assert_non_null(strstr(output, "usage:"));
}

static void test_step_pauses_and_q_quits(void **state) {
    (void)state;
    // Enter runs cell 1, q quits before cell 2
    assert_int_equal(run_lab("--step", "\\nq\\n"), 0);
    assert_non_null(strstr(output, "[1/3] which Torchlet is this  (chapters/00-setup/00-setup.md:"));
    assert_non_null(strstr(output, "Enter runs it, q quits"));
    assert_non_null(strstr(output, "'0.1.0'"));
    assert_int_equal(count(output, "── ["), 1);
    // end of input runs the rest
    assert_int_equal(run_lab("--step", ""), 0);
    assert_int_equal(count(output, "── ["), 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_every_cell_with_a_header),
        cmocka_unit_test(test_headers_end_at_column_78),
        cmocka_unit_test(test_list_names_chapter_lines_and_runs_nothing),
        cmocka_unit_test(test_cell_k_stops_after_k),
        cmocka_unit_test(test_cell_out_of_range_is_a_usage_error),
        cmocka_unit_test(test_unknown_option_shows_usage),
        cmocka_unit_test(test_step_pauses_and_q_quits),
    };
    return cmocka_run_group_tests_name("ch00_lab", tests, NULL, NULL);
}
