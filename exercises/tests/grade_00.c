// exercises/tests/grade_00.c — the graded tests of chapter 00's exercises (exercises/00-setup.c).
// Inputs are random, from a seed derived from each exercise's id (see grade.h).
#define _POSIX_C_SOURCE 200809L
#include "grade.h"

int  ex00_version_compare(const char *a, const char *b);
bool ex00_version_at_least(const char *required);
int  ex00_build_summary(char *buf, size_t size);

// a random version with 1 to 3 parts, each part 0..12; v gets all three (missing = 0)
static void random_version(char *s, size_t size, long v[3]) {
    int parts = (int)grade_int(1, 4);
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        v[i] = i < parts ? (long)grade_int(0, 13) : 0;
        if (i < parts) n += (size_t)snprintf(s + n, size - n, i ? ".%ld" : "%ld", v[i]);
    }
}

static int compare3(const long a[3], const long b[3]) {
    for (int i = 0; i < 3; i++)
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
}

static void test_version_compare(void) {
    char what[96];
    grade_int_eq("ex00_version_compare(\"0.10.0\", \"0.9.3\")", ex00_version_compare("0.10.0", "0.9.3"), 1);
    grade_int_eq("ex00_version_compare(\"1.2\", \"1.2.0\")", ex00_version_compare("1.2", "1.2.0"), 0);
    for (int k = 0; k < 200; k++) {
        char a[32], b[32];
        long va[3], vb[3];
        random_version(a, sizeof a, va);
        if (k % 4 == 0) { memcpy(b, a, sizeof a); memcpy(vb, va, sizeof va); }
        else random_version(b, sizeof b, vb);
        snprintf(what, sizeof what, "ex00_version_compare(\"%s\", \"%s\")", a, b);
        int got = ex00_version_compare(a, b);
        grade_int_eq(what, got, compare3(va, vb));
        grade_true(!tl_error(), "%s returned an answer but recorded an error: %s", what, tl_error());
    }
    const char *bad[] = { "1..2", "1.x", "", "1.2.3.4", "v1", "1.", ".1", "-1.0", " 1.0" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(what, sizeof what, "ex00_version_compare(\"%s\", \"1.0\")", bad[i]);
        grade_fails(what, ex00_version_compare(bad[i], "1.0") == -2);
        snprintf(what, sizeof what, "ex00_version_compare(\"1.0\", \"%s\")", bad[i]);
        grade_fails(what, ex00_version_compare("1.0", bad[i]) == -2);
    }
    grade_fails("ex00_version_compare(NULL, \"1.0\")", ex00_version_compare(NULL, "1.0") == -2);
}

static void test_version_at_least(void) {
    long v[3];
    char what[96], req[32];
    sscanf(tl_version(), "%ld.%ld.%ld", &v[0], &v[1], &v[2]);
    for (int k = 0; k < 100; k++) {
        long r[3] = { v[0] + grade_int(-1, 2), v[1] + grade_int(-1, 2), v[2] + grade_int(-1, 2) };
        for (int i = 0; i < 3; i++) if (r[i] < 0) r[i] = 0;
        snprintf(req, sizeof req, "%ld.%ld.%ld", r[0], r[1], r[2]);
        snprintf(what, sizeof what, "ex00_version_at_least(\"%s\") with Torchlet %s", req, tl_version());
        bool got = ex00_version_at_least(req);
        grade_true(!tl_error(), "%s recorded an error: %s", what, tl_error());
        grade_int_eq(what, got, compare3(v, r) >= 0);
    }
    grade_fails("ex00_version_at_least(\"1.x\")", !ex00_version_at_least("1.x"));
}

static void test_build_summary(void) {
    char cuda[32], want[512], buf[512];
    if (tl_cuda_is_available()) snprintf(cuda, sizeof cuda, "%d device(s)", tl_cuda_device_count());
    else snprintf(cuda, sizeof cuda, "not available");
    int len = snprintf(want, sizeof want, "torchlet %s | BLAS: %s | CUDA: %s", tl_version(), tl_blas_info(), cuda);

    memset(buf, 'x', sizeof buf);
    int got = ex00_build_summary(buf, sizeof buf);
    grade_true(got >= 0, "ex00_build_summary(buf, %zu) failed: %s", sizeof buf, grade_last_error());
    grade_str("ex00_build_summary(buf, 512): the text", buf, want);
    grade_int_eq("ex00_build_summary(buf, 512): the returned length", got, len);
    grade_int_eq("ex00_build_summary(NULL, 0): the returned length", ex00_build_summary(NULL, 0), len);
    for (int k = 0; k < 20; k++) {             // random sizes that cut the line somewhere
        size_t size = (size_t)grade_int(1, len);
        char what[96];
        memset(buf, 'x', sizeof buf);
        snprintf(what, sizeof what, "ex00_build_summary(buf, %zu): the returned length", size);
        grade_int_eq(what, ex00_build_summary(buf, size), len);
        grade_true(buf[size - 1] == '\0' && strncmp(buf, want, size - 1) == 0 && buf[size] == 'x',
                   "ex00_build_summary(buf, %zu): expected the first %zu characters \"%.*s\" and a NUL, "
                   "nothing written past buf[%zu]; got \"%.*s\"", size, size - 1, (int)(size - 1), want,
                   size - 1, (int)(size - 1), buf);
    }
    grade_fails("ex00_build_summary(NULL, 10)", ex00_build_summary(NULL, 10) < 0);
}

static const grade_exercise exercises[] = {
    { "00.1", 2, "compare two version numbers", test_version_compare },
    { "00.2", 1, "is this Torchlet recent enough?", test_version_at_least },
    { "00.3", 3, "a one-line summary of the build, snprintf style", test_build_summary },
};
GRADE_MAIN(exercises)
