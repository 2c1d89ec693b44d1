// tests/test_ch00_tangle.c: proves the tangler (tools/tangle.lua).
//
// Every test writes small fixture chapters into a fresh mkdtemp() folder, runs
// the tangler there exactly as the Makefile does (pandoc + the Lua filter, the
// folder standing in for the repository root) and checks what came out: the
// tangled text with its #line directives, gcc's error positions, the error
// messages, write-if-changed, and the expected-output files of lab cells.
// The last tests render the fixture book with tools/weave.sh.
//
// Build and run (from the repository root, or with TL_ROOT=/path/to/repo):
//     gcc -std=c11 -Wall -Wextra tests/test_ch00_tangle.c -lcmocka -o build/test_ch00_tangle
//     ./build/test_ch00_tangle
#define _XOPEN_SOURCE 700

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#include <cmocka.h>

// ----------------------------------------------------------------------------
// helpers: repository root, temp folders, files, running the tangler

static char repo_root[PATH_MAX];

// TL_ROOT if set, else the current directory; it must hold tools/tangle.lua.
static int find_repo_root(void) {
    const char *env = getenv("TL_ROOT");
    if (env && *env) {
        snprintf(repo_root, sizeof repo_root, "%s", env);
    } else if (!getcwd(repo_root, sizeof repo_root)) {
        return -1;
    }
    char filter[PATH_MAX + 32];
    snprintf(filter, sizeof filter, "%s/tools/tangle.lua", repo_root);
    if (access(filter, R_OK) != 0) {
        fprintf(stderr, "test_ch00_tangle: %s not found; run from the repository root "
                        "or set TL_ROOT\n", filter);
        return -1;
    }
    return 0;
}

// A fresh folder per test, removed by the teardown.
static int make_tempdir(void **state) {
    char *dir = malloc(64);
    if (!dir) return -1;
    strcpy(dir, "/tmp/tl_tangle_XXXXXX");
    if (!mkdtemp(dir)) { free(dir); return -1; }
    *state = dir;
    return 0;
}

static int remove_tempdir(void **state) {
    char *dir = *state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    int rc = system(cmd);
    free(dir);
    return rc == 0 ? 0 : -1;
}

// Writes `text` to dir/relpath, creating the parent folders.
static void write_file(const char *dir, const char *relpath, const char *text) {
    char path[PATH_MAX], cmd[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", dir, relpath);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
    assert_int_equal(system(cmd), 0);
    *slash = '/';
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

// Reads dir/relpath into a malloc'd string, or NULL if it does not exist.
static char *read_file(const char *dir, const char *relpath) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, relpath);
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *text = calloc((size_t)n + 1, 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return text;
}

static int file_exists(const char *dir, const char *relpath) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, relpath);
    return access(path, F_OK) == 0;
}

// Runs `command` inside `dir`; returns its exit status and, in *output, its
// stdout and stderr together (malloc'd).
static int run_in(const char *dir, const char *command, char **output) {
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof cmd, "cd '%s' && %s 2>&1", dir, command);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    size_t n;
    while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
    }
    out[len] = '\0';
    int status = pclose(p);
    *output = out;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Tangles every chapters/*/*.md of `dir` with the Makefile's command line
// (chapters given as -M chapter=..., pandoc's own input is /dev/null).
static int tangle(const char *dir, char **output) {
    char cmd[PATH_MAX + 512];
    snprintf(cmd, sizeof cmd,
             "pandoc -f commonmark -t plain -o /dev/null --lua-filter '%s/tools/tangle.lua' "
             "-M tangle_root=. -M expected_dir=build/expected "
             "$(for f in chapters/*/*.md; do printf -- '-M chapter=%%s ' \"$f\"; done) /dev/null",
             repo_root);
    return run_in(dir, cmd, output);
}

// The short form: chapters as pandoc's input files, default output folders.
static int tangle_inputs(const char *dir, char **output) {
    char cmd[PATH_MAX + 256];
    snprintf(cmd, sizeof cmd,
             "pandoc -f commonmark -t plain -o /dev/null --lua-filter '%s/tools/tangle.lua' "
             "chapters/*/*.md", repo_root);
    return run_in(dir, cmd, output);
}

// Asserts that `haystack` contains `needle`, showing both when it does not.
static void assert_contains(const char *haystack, const char *needle) {
    if (!haystack || !strstr(haystack, needle)) {
        print_error("expected to find\n  %s\nin\n%s\n", needle, haystack ? haystack : "(nothing)");
        fail();
    }
}

static time_t mtime_of(const char *dir, const char *relpath) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, relpath);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mtime;
}

// ----------------------------------------------------------------------------
// (1) a file target, a named chunk, appends, an indented reference

static const char *CHAPTER_SIMPLE =
    "# A\n"                        // 1
    "\n"                           // 2
    "``` {.c file=lib/a.c}\n"      // 3
    "#include <stdio.h>\n"         // 4
    "<<decl>>\n"                   // 5
    "int main(void) {\n"           // 6
    "    <<body>>\n"               // 7
    "    return x;\n"              // 8
    "}\n"                          // 9
    "```\n"                        // 10
    "\n"                           // 11
    "``` {.c #decl}\n"             // 12
    "int x;\n"                     // 13
    "```\n"                        // 14
    "\n"                           // 15
    "``` {.c #body}\n"             // 16
    "x = 1;\n"                     // 17
    "```\n"                        // 18
    "\n"                           // 19
    "``` {.c #body}\n"             // 20
    "if (x) {\n"                   // 21
    "    x += 2;\n"                // 22
    "}\n"                          // 23
    "```\n"                        // 24
    "\n"                           // 25
    "``` {.c file=lib/a.c}\n"      // 26
    "/* tail */\n"                 // 27
    "```\n";                       // 28

static const char *TANGLED_SIMPLE =
    "/* generated from chapters/01-a/01-a.md by tools/tangle.lua; edit the chapter, not this file */\n"
    "#line 4 \"chapters/01-a/01-a.md\"\n"
    "#include <stdio.h>\n"
    "#line 13 \"chapters/01-a/01-a.md\"\n"
    "int x;\n"
    "#line 6 \"chapters/01-a/01-a.md\"\n"
    "int main(void) {\n"
    "#line 17 \"chapters/01-a/01-a.md\"\n"
    "    x = 1;\n"
    "#line 21 \"chapters/01-a/01-a.md\"\n"
    "    if (x) {\n"
    "        x += 2;\n"
    "    }\n"
    "#line 8 \"chapters/01-a/01-a.md\"\n"
    "    return x;\n"
    "}\n"
    "#line 27 \"chapters/01-a/01-a.md\"\n"
    "/* tail */\n";

static void test_simple_target_with_chunks(void **state) {
    const char *dir = *state;
    write_file(dir, "chapters/01-a/01-a.md", CHAPTER_SIMPLE);
    char *out;
    assert_int_equal(tangle(dir, &out), 0);
    assert_string_equal(out, "");   // silent on success
    free(out);

    char *tangled = read_file(dir, "lib/a.c");
    assert_non_null(tangled);
    assert_string_equal(tangled, TANGLED_SIMPLE);
    free(tangled);

    // and the result is valid C
    assert_int_equal(run_in(dir, "gcc -std=c11 -Wall -Werror -c lib/a.c -o a.o", &out), 0);
    free(out);

    // the short form (chapters as input files) tangles the same text
    assert_int_equal(run_in(dir, "rm -r lib", &out), 0);
    free(out);
    assert_int_equal(tangle_inputs(dir, &out), 0);
    free(out);
    tangled = read_file(dir, "lib/a.c");
    assert_non_null(tangled);
    assert_string_equal(tangled, TANGLED_SIMPLE);
    free(tangled);
}

// ----------------------------------------------------------------------------
// (2) gcc reports a syntax error at the chapter line

static void test_gcc_error_points_into_chapter(void **state) {
    const char *dir = *state;
    write_file(dir, "chapters/02-bad/02-bad.md",
        "# Bad\n"                       // 1
        "\n"                            // 2
        "``` {.c file=lib/bad.c}\n"     // 3
        "int f(void) {\n"               // 4
        "    <<helper>>\n"              // 5
        "    return 0;\n"               // 6
        "}\n"                           // 7
        "```\n"                         // 8
        "\n"                            // 9
        "Some prose.\n"                 // 10
        "\n"                            // 11
        "``` {.c #helper}\n"            // 12
        "int ok = 1;\n"                 // 13
        "int bad = ;\n"                 // 14: the syntax error
        "(void)ok;\n"                   // 15
        "```\n");
    char *out;
    assert_int_equal(tangle(dir, &out), 0);
    free(out);
    assert_int_not_equal(run_in(dir, "gcc -std=c11 -c lib/bad.c -o bad.o", &out), 0);
    assert_contains(out, "chapters/02-bad/02-bad.md:14:");
    free(out);
}

// ----------------------------------------------------------------------------
// (3) a reference to a missing chunk is an error at its line; nothing written

static void test_missing_reference(void **state) {
    const char *dir = *state;
    write_file(dir, "chapters/01-a/01-a.md",
        "# A\n"
        "\n"
        "``` {.c file=lib/a.c}\n"
        "int a;\n"
        "  <<nowhere>>\n"              // line 5
        "```\n");
    char *out;
    assert_int_not_equal(tangle(dir, &out), 0);
    assert_contains(out, "chapters/01-a/01-a.md:5: error:");
    assert_contains(out, "<<nowhere>>");
    free(out);
    assert_false(file_exists(dir, "lib/a.c"));
}

// ----------------------------------------------------------------------------
// (4) a reference cycle is an error that shows the cycle

static void test_cycle(void **state) {
    const char *dir = *state;
    write_file(dir, "chapters/01-a/01-a.md",
        "# A\n"
        "\n"
        "``` {.c file=lib/a.c}\n"
        "<<ping>>\n"
        "```\n"
        "\n"
        "``` {.c #ping}\n"
        "<<pong>>\n"
        "```\n"
        "\n"
        "``` {.c #pong}\n"
        "<<ping>>\n"                   // line 12
        "```\n");
    char *out;
    assert_int_not_equal(tangle(dir, &out), 0);
    assert_contains(out, "chapters/01-a/01-a.md:12: error: reference cycle");
    assert_contains(out, "<<ping>> -> <<pong>> -> <<ping>>");
    free(out);
    assert_false(file_exists(dir, "lib/a.c"));
}

// ----------------------------------------------------------------------------
// (5) two chapters writing one file: the error names both places

static void test_two_chapters_one_file(void **state) {
    const char *dir = *state;
    write_file(dir, "chapters/01-a/01-a.md",
        "# A\n\n``` {.c file=lib/same.c}\nint a;\n```\n");
    write_file(dir, "chapters/02-b/02-b.md",
        "# B\n\nText.\n\n``` {.c file=lib/same.c}\nint b;\n```\n");
    char *out;
    assert_int_not_equal(tangle(dir, &out), 0);
    assert_contains(out, "chapters/02-b/02-b.md:5: error:");
    assert_contains(out, "chapters/01-a/01-a.md:3");
    assert_contains(out, "lib/same.c");
    free(out);
    assert_false(file_exists(dir, "lib/same.c"));
}

// ----------------------------------------------------------------------------
// (6) a target or named chunk without a language class is an error

static void test_missing_language(void **state) {
    const char *dir = *state;
    write_file(dir, "chapters/01-a/01-a.md",
        "# A\n"
        "\n"
        "``` {file=lib/a.c}\n"         // line 3
        "<<part>>\n"
        "```\n"
        "\n"
        "``` {#part}\n"                // line 7
        "int a;\n"
        "```\n");
    char *out;
    assert_int_not_equal(tangle(dir, &out), 0);
    assert_contains(out, "chapters/01-a/01-a.md:3: error:");
    assert_contains(out, "chapters/01-a/01-a.md:7: error:");
    assert_contains(out, "no language class");
    free(out);
    assert_false(file_exists(dir, "lib/a.c"));
}

// ----------------------------------------------------------------------------
// (7) write-if-changed: an unchanged file keeps its mtime, a changed one is rewritten

static void test_write_if_changed(void **state) {
    const char *dir = *state;
    write_file(dir, "chapters/01-a/01-a.md", CHAPTER_SIMPLE);
    write_file(dir, "chapters/02-b/02-b.md",
        "# B\n\n``` {.c file=lib/b.c}\nint b;\n```\n");
    char *out;
    assert_int_equal(tangle(dir, &out), 0);
    free(out);

    // Age both outputs by an hour, so a rewrite would be visible without sleeping.
    time_t old = mtime_of(dir, "lib/a.c") - 3600;
    struct utimbuf times = { .actime = old, .modtime = old };
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/lib/a.c", dir);
    assert_int_equal(utime(path, &times), 0);
    snprintf(path, sizeof path, "%s/lib/b.c", dir);
    assert_int_equal(utime(path, &times), 0);

    // Only chapter 02 changes.
    write_file(dir, "chapters/02-b/02-b.md",
        "# B\n\n``` {.c file=lib/b.c}\nint b = 2;\n```\n");
    assert_int_equal(tangle(dir, &out), 0);
    free(out);
    assert_true(mtime_of(dir, "lib/a.c") == old);
    assert_true(mtime_of(dir, "lib/b.c") > old);
}

// ----------------------------------------------------------------------------
// (8) expected outputs of lab cells are extracted in document order

static void test_expected_output_extraction(void **state) {
    const char *dir = *state;
    write_file(dir, "chapters/03-lab/03-lab.md",
        "# Lab\n"                                          // 1
        "\n"                                               // 2
        "``` {.c file=labs/03-lab.c}\n"                    // 3
        "<<cells>>\n"                                      // 4
        "```\n"                                            // 5
        "\n"                                               // 6
        "``` {.c #cells}\n"                                // 7
        "TL_CELL(\"make a tensor\");\n"                    // 8
        "tl_print(t);\n"                                   // 9
        "```\n"                                            // 10
        "\n"                                               // 11
        "Prose between a cell and its output is fine.\n"   // 12
        "\n"                                               // 13
        "``` {.output source=\"000:211-212\"}\n"           // 14
        "tensor([1, 2, 3])\n"                              // 15
        "  indented line kept\n"                           // 16
        "```\n"                                            // 17
        "\n"                                               // 18
        "``` {.c #cells}\n"                                // 19
        "TL_CELL(\"timing\");\n"                           // 20
        "```\n"                                            // 21
        "\n"                                               // 22
        "``` {.output derived=\"PyTorch 1.13.1\" compare=none}\n"  // 23
        "0.25 s\n"                                         // 24
        "```\n");                                          // 25
    char *out;
    assert_int_equal(tangle(dir, &out), 0);
    free(out);
    char *expected = read_file(dir, "build/expected/03-lab.expected");
    assert_non_null(expected);
    assert_string_equal(expected,
        "@@ cell: make a tensor\n"
        "@@ source: 000:211-212\n"
        "@@ compare: tokens\n"
        "@@ at: chapters/03-lab/03-lab.md:15\n"
        "tensor([1, 2, 3])\n"
        "  indented line kept\n"
        "@@ end\n"
        "@@ cell: timing\n"
        "@@ source: derived: PyTorch 1.13.1\n"
        "@@ compare: none\n"
        "@@ at: chapters/03-lab/03-lab.md:24\n"
        "0.25 s\n"
        "@@ end\n");
    free(expected);

    // output blocks are not tangled into the lab
    char *lab = read_file(dir, "labs/03-lab.c");
    assert_non_null(lab);
    assert_null(strstr(lab, "tensor([1, 2, 3])"));
    free(lab);
}

// ... and an output block that does not follow a cell is an error.
static void test_output_without_cell(void **state) {
    const char *dir = *state;
    write_file(dir, "chapters/03-lab/03-lab.md",
        "# Lab\n"
        "\n"
        "``` {.c file=labs/03-lab.c}\n"
        "int no_cell_here;\n"
        "```\n"
        "\n"
        "``` {.output source=\"000:1\"}\n"   // line 7
        "42\n"
        "```\n");
    char *out;
    assert_int_not_equal(tangle(dir, &out), 0);
    assert_contains(out, "chapters/03-lab/03-lab.md:7: error: output block");
    free(out);
    assert_false(file_exists(dir, "labs/03-lab.c"));
    assert_false(file_exists(dir, "build/expected/03-lab.expected"));
}

// ----------------------------------------------------------------------------
// (9) the weaver: labels, <<ref>> links across pages, unique ids, real outputs

// Fails if an HTML page has the same id="..." twice.
static void assert_unique_ids(const char *html) {
    const char *p = html;
    while ((p = strstr(p, " id=\"")) != NULL) {
        p += 5;
        const char *end = strchr(p, '"');
        assert_non_null(end);
        char needle[256];
        snprintf(needle, sizeof needle, " id=\"%.*s\"", (int)(end - p), p);
        if (strstr(end, needle)) {
            print_error("duplicate HTML id:%s\n", needle);
            fail();
        }
    }
}

static void test_weave_book(void **state) {
    const char *dir = *state;
    write_file(dir, "chapters/01-a/01-a.md",
        "# First\n\n"
        "``` {.c #cells}\nTL_CELL(\"one\");\nputs(\"1\");\n```\n\n"
        "``` {.output source=\"000:10\"}\n1\n```\n\n"
        "``` {.c #cells}\nTL_CELL(\"two\");\n```\n\n"
        "``` {.output derived=\"PyTorch 1.13.1\"}\n2\n```\n");
    write_file(dir, "chapters/02-b/02-b.md",
        "# Second\n\n``` {.c file=labs/02-b.c}\nint main(void) {\n    <<cells>>\n}\n```\n\n"
        "``` {.c #cells}\n/* more */\n```\n\n![fig](fig.svg)\n");
    write_file(dir, "chapters/02-b/fig.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n");
    write_file(dir, "build/out/01-a.txt",
        "── [1] one ──────────\nREAL ONE\n── [2] nope ─────\n");   // cell "two" missing
    char cmd[PATH_MAX + 64], *out;
    snprintf(cmd, sizeof cmd, "'%s/tools/weave.sh' build", repo_root);
    assert_int_equal(run_in(dir, cmd, &out), 0);
    free(out);

    char *index = read_file(dir, "build/book/index.html");
    assert_non_null(index);
    assert_contains(index, "href=\"01-a.html\"");
    assert_contains(index, ">Second</a>");
    free(index);

    char *a = read_file(dir, "build/book/01-a.html"), *b = read_file(dir, "build/book/02-b.html");
    assert_non_null(a);
    assert_non_null(b);
    assert_contains(a, "«cells»=");
    assert_contains(a, "«cells»+=");
    assert_contains(a, "id=\"chunk-cells-2\"");
    assert_contains(a, "REAL ONE");                      // the lab's output, not the "1"
    assert_contains(a, "tutorial prints this at 000:10");
    assert_contains(a, "not run");                       // cell "two" has no output
    assert_contains(a, "href=\"02-b.html\"");             // next
    assert_contains(b, "«labs/02-b.c»=");
    assert_contains(b, "<a class=\"chunk-ref\" href=\"01-a.html#chunk-cells\">&lt;&lt;cells&gt;&gt;</a>");
    assert_contains(b, "src=\"02-b/fig.svg\"");
    assert_unique_ids(a);
    assert_unique_ids(b);
    assert_null(strstr(a, "<script"));
    free(a);
    free(b);
    assert_true(file_exists(dir, "build/book/02-b/fig.svg"));
    assert_true(file_exists(dir, "build/book/style.css"));
}

// (10) figures drawn by a lab: ![caption](figure:NAME) comes from BUILD/out/NN-name/NAME;
// a figure that was not drawn is a visible placeholder, not a broken image

static void test_weave_lab_figure(void **state) {
    const char *dir = *state;
    write_file(dir, "chapters/02-g/02-g.md",
        "# Graphs\n\n"
        "![The drawn graph](figure:graph.svg)\n\n"
        "![The other graph](figure:missing.svg)\n");
    write_file(dir, "build/out/02-g/graph.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><title>drawn by the lab</title></svg>\n");
    char cmd[PATH_MAX + 64], *out;
    snprintf(cmd, sizeof cmd, "'%s/tools/weave.sh' build", repo_root);
    assert_int_equal(run_in(dir, cmd, &out), 0);
    assert_contains(out, "missing.svg was not drawn");          // a warning names the figure
    free(out);

    char *page = read_file(dir, "build/book/02-g.html");
    assert_non_null(page);
    assert_contains(page, "src=\"02-g/graph.svg\"");
    assert_contains(page, "The drawn graph");
    assert_null(strstr(page, "figure:"));                       // no src is left unresolved
    assert_null(strstr(page, "missing.svg\""));                 // no broken <img> for it
    assert_contains(page, "figure not drawn: run the lab");
    assert_contains(page, "The other graph");                   // the placeholder keeps the caption
    free(page);
    char *copied = read_file(dir, "build/book/02-g/graph.svg");
    assert_non_null(copied);
    assert_contains(copied, "drawn by the lab");
    free(copied);
}

// ----------------------------------------------------------------------------

int main(void) {
    if (find_repo_root() != 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_simple_target_with_chunks, make_tempdir, remove_tempdir),
        cmocka_unit_test_setup_teardown(test_gcc_error_points_into_chapter, make_tempdir, remove_tempdir),
        cmocka_unit_test_setup_teardown(test_missing_reference, make_tempdir, remove_tempdir),
        cmocka_unit_test_setup_teardown(test_cycle, make_tempdir, remove_tempdir),
        cmocka_unit_test_setup_teardown(test_two_chapters_one_file, make_tempdir, remove_tempdir),
        cmocka_unit_test_setup_teardown(test_missing_language, make_tempdir, remove_tempdir),
        cmocka_unit_test_setup_teardown(test_write_if_changed, make_tempdir, remove_tempdir),
        cmocka_unit_test_setup_teardown(test_expected_output_extraction, make_tempdir, remove_tempdir),
        cmocka_unit_test_setup_teardown(test_output_without_cell, make_tempdir, remove_tempdir),
        cmocka_unit_test_setup_teardown(test_weave_book, make_tempdir, remove_tempdir),
        cmocka_unit_test_setup_teardown(test_weave_lab_figure, make_tempdir, remove_tempdir),
    };
    return cmocka_run_group_tests_name("ch00_tangle", tests, NULL, NULL);
}
