// grade.h — the frame of the graded tests exercises/tests/grade_NN.c (header-only, cmocka).
//
// A chapter's graded test is a table of exercises and one test function per exercise:
//
//     static void test_trace(void) {
//         tl_tensor *a = grade_uniform(TL_SHAPE(4, 6), -1, 1, TL_FLOAT64);   // random, seeded by "01.1"
//         grade_tensor("ex01_trace(a)", ex01_trace(a), expected_trace(a), 1e-12);
//     }
//     static const grade_exercise exercises[] = {
//         { "01.1", 2, "trace of a matrix, through its strides", test_trace },
//     };
//     GRADE_MAIN(exercises)
//
// Keep each table row on one line in exactly that form: tools/grade.sh reads the ids, points and
// titles from the source (so a chapter whose student file does not compile is still listed).
//
// The binary runs one exercise (--run 01.1), all of them (no argument), or lists them (--list).
// Every exercise gets its own random stream: the seed is a hash of its id (and of $TL_GRADE_SALT
// when a teacher sets one), so inputs differ between exercises and a hard-coded answer fails.
// A failed check prints one line "GRADE-FAIL: what: expected X, got Y" (the grader shows the first
// one) and fails the cmocka test. Crash signals are left to the system: the grader runs each
// exercise in its own process and reports "crashed (signal 11)".
#ifndef TL_GRADE_H
#define TL_GRADE_H
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "torchlet.h"

typedef struct {
    const char *id;       // "NN.K": chapter NN, exercise K
    int         points;
    const char *title;
    void      (*test)(void);
} grade_exercise;

// ----------------------------------------------------------------------------
// the current exercise's random stream
static tl_generator *grade_gen;      // drawn from by the helpers below
static uint64_t      grade_seed;

static inline uint64_t grade_hash(const char *s, uint64_t h) {   // FNV-1a, 64 bits
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static inline uint64_t grade_seed_for(const char *id) {
    const char *salt = getenv("TL_GRADE_SALT");
    uint64_t h = grade_hash("torchlet exercise ", 14695981039346656037ULL);
    h = grade_hash(id, h);
    if (salt) h = grade_hash(salt, h);
    return h & 0x7fffffffffffULL;
}

// an integer in [lo, hi)
static inline int64_t grade_int(int64_t lo, int64_t hi) {
    return lo + (int64_t)(tl_generator_random64(grade_gen) % (uint64_t)(hi - lo));
}

// a shape of ndim dimensions, each of a size in [lo, hi)
static inline tl_shape grade_shape(int ndim, int64_t lo, int64_t hi) {
    tl_shape s = { ndim, { 0 } };
    for (int d = 0; d < ndim; d++) s.d[d] = grade_int(lo, hi);
    return s;
}

// a tensor of the shape, uniform in [lo, hi): float32/float64, or int64 (integers in [lo, hi))
static inline tl_tensor *grade_uniform(tl_shape s, double lo, double hi, tl_dtype dtype) {
    if (dtype == TL_INT64) return tl_randint((int64_t)lo, (int64_t)hi, s, grade_gen);
    tl_tensor *t = tl_empty(s, dtype);
    if (t && tl_numel(t) > 0 && !tl_uniform_(t, lo, hi, grade_gen)) return NULL;
    return t;
}

// ----------------------------------------------------------------------------
// checks: each prints the first difference with expected and actual values, then fails
#define GRADE_FAIL(...) do { grade_fail_line_(__VA_ARGS__); fail(); } while (0)
__attribute__((format(printf, 1, 2))) static inline void grade_fail_line_(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("GRADE-FAIL: ", stdout);
    vprintf(fmt, ap);
    fputs("\n", stdout);
    fflush(stdout);
    va_end(ap);
}

static inline const char *grade_last_error(void) { return tl_error() ? tl_error() : "no error was recorded"; }
// " (error: MESSAGE)" when an error is recorded, to append to a wrong answer
static inline const char *grade_err_(void) {
    static char b[512];
    if (!tl_error()) return "";
    snprintf(b, sizeof b, " (error: %s)", tl_error());
    return b;
}

// the exercise cannot be graded here (no mpirun, no GPU): one line "GRADE-SKIP: why", exit status
// 77; the grader shows it as "skipped" and leaves its points out of the score
__attribute__((format(printf, 1, 2), noreturn)) static inline void grade_skip(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("GRADE-SKIP: ", stdout);
    vprintf(fmt, ap);
    fputs("\n", stdout);
    fflush(stdout);
    va_end(ap);
    exit(77);
}

#define grade_true(cond, ...) do { if (!(cond)) GRADE_FAIL(__VA_ARGS__); } while (0)

// the call succeeded: returned something, and recorded no error
#define grade_ok(what, result)                                                                   \
    do {                                                                                         \
        if (!(result)) GRADE_FAIL("%s failed: %s", (what), grade_last_error());                  \
        if (tl_error()) GRADE_FAIL("%s succeeded but left an error recorded: %s", (what), tl_error()); \
    } while (0)

// the call failed (NULL / false / negative), recorded an error, and not "not implemented yet"
#define grade_fails(what, failed)                                                                \
    do {                                                                                         \
        if (!(failed)) GRADE_FAIL("%s: expected a failure with an error message, got a result", (what)); \
        if (!tl_error()) GRADE_FAIL("%s failed but recorded no error message", (what));          \
        if (strstr(tl_error(), "not implemented yet")) GRADE_FAIL("%s: %s", (what), tl_error()); \
        tl_error_clear();                                                                        \
    } while (0)

static inline bool grade_close(double got, double want, double tol) {
    if (isnan(want)) return isnan(got);
    if (isinf(want)) return got == want;
    return fabs(got - want) <= tol * (1 + fabs(want));
}

#define grade_double(what, got, want, tol)                                                       \
    do {                                                                                         \
        double g_ = (got), w_ = (want);                                                          \
        if (!grade_close(g_, w_, (tol)))                                                         \
            GRADE_FAIL("%s: expected %.10g, got %.10g%s", (what), w_, g_, grade_err_()); \
    } while (0)

#define grade_int_eq(what, got, want)                                                            \
    do {                                                                                         \
        long long g_ = (long long)(got), w_ = (long long)(want);                                 \
        if (g_ != w_) GRADE_FAIL("%s: expected %lld, got %lld%s", (what), w_, g_, grade_err_()); \
    } while (0)

#define grade_str(what, got, want)                                                               \
    do {                                                                                         \
        const char *g_ = (got), *w_ = (want);                                                    \
        if (!g_) GRADE_FAIL("%s: expected \"%s\", got NULL (%s)", (what), w_, grade_last_error()); \
        if (strcmp(g_, w_) != 0) GRADE_FAIL("%s: expected \"%s\", got \"%s\"", (what), w_, g_);  \
    } while (0)

// the expected value of an element-by-element function: a new tensor of x's shape and dtype whose
// every element is f(the element of x, ctx)
static inline tl_tensor *grade_map(const tl_tensor *x, double (*f)(double v, const void *ctx), const void *ctx) {
    tl_tensor *out = tl_empty_like(x), *xf = tl_reshape(x, TL_SHAPE(-1)), *of = tl_reshape(out, TL_SHAPE(-1));
    for (int64_t i = 0; i < tl_numel(xf); i++) tl_set(of, TL_SHAPE(i), f(tl_get(xf, TL_SHAPE(i)), ctx));
    return out;
}

// the multi-index of element k (row-major) of t
static inline tl_shape grade_index_(const tl_tensor *t, int64_t k) {
    tl_shape at = { t->ndim, { 0 } };
    for (int d = t->ndim - 1; d >= 0; d--) {
        at.d[d] = t->shape[d] ? k % t->shape[d] : 0;
        if (t->shape[d]) k /= t->shape[d];
    }
    return at;
}

// "[1, 2]" for a multi-index
static inline const char *grade_index_str(tl_shape at) {
    static char buf[128];
    size_t n = 0;
    buf[n++] = '[';
    for (int d = 0; d < at.ndim && n < sizeof buf - 24; d++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, d ? ", %lld" : "%lld", (long long)at.d[d]);
    snprintf(buf + n, sizeof buf - n, "]");
    return buf;
}

// got has want's shape and dtype, and every element is within tol (relative to 1 + |want|)
#define grade_tensor(what, got, want, tol) grade_tensor_((what), (got), (want), (tol))
static inline void grade_tensor_(const char *what, const tl_tensor *got, const tl_tensor *want, double tol) {
    if (!want) GRADE_FAIL("the grader could not compute the expected value of %s: %s", what, grade_last_error());
    if (!got) GRADE_FAIL("%s returned NULL: %s", what, grade_last_error());
    if (tl_error()) GRADE_FAIL("%s succeeded but left an error recorded: %s", what, tl_error());
    bool same = got->ndim == want->ndim;
    for (int d = 0; same && d < got->ndim; d++) same = got->shape[d] == want->shape[d];
    if (!same) GRADE_FAIL("%s: shape: expected %s, got %s", what, tl_shape_str(want), tl_shape_str(got));
    if (got->dtype != want->dtype)
        GRADE_FAIL("%s: dtype: expected %s, got %s", what, tl_dtype_name(want->dtype), tl_dtype_name(got->dtype));
    for (int64_t k = 0; k < tl_numel(want); k++) {
        tl_shape at = grade_index_(want, k);
        double g = tl_get(got, at), w = tl_get(want, at);
        if (grade_close(g, w, tol)) continue;
        if (want->ndim == 0) GRADE_FAIL("%s: expected %.8g, got %.8g", what, w, g);
        GRADE_FAIL("%s: element %s: expected %.8g, got %.8g", what, grade_index_str(at), w, g);
    }
}

// ----------------------------------------------------------------------------
// running: one exercise per cmocka group, with a fresh pool, error record and random stream
static const grade_exercise *grade_current;
static tl_pool *grade_pool;
static int64_t  grade_live;

static inline int grade_setup(void **state) {
    grade_live = tl_live_tensors();
    grade_pool = tl_pool_push();
    tl_error_clear();
    grade_seed = grade_seed_for(grade_current->id);
    grade_gen = tl_generator_new(grade_seed);
    tl_manual_seed(grade_seed);
    return 0;
}

static inline int grade_teardown(void **state) {
    tl_pool_pop(grade_pool);
    while (!tl_grad_enabled()) tl_grad_mode_pop();     // a check failed inside TL_NO_GRAD
    tl_generator_free(grade_gen);
    int64_t left = tl_live_tensors() - grade_live;
    if (left != 0) {
        grade_fail_line_("%lld tensor(s) still alive after the exercise: a tl_retain without its tl_release, "
                         "or a module not freed", (long long)left);
        return -1;
    }
    return 0;
}

static inline void grade_run_current(void **state) {
    // let a crash kill the process (cmocka would catch it): the grader reports the signal
    signal(SIGSEGV, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    signal(SIGFPE, SIG_DFL);
    signal(SIGILL, SIG_DFL);
    grade_current->test();
}

static inline int grade_run(const grade_exercise *e) {
    grade_current = e;
    const struct CMUnitTest test[] = { { e->id, grade_run_current, grade_setup, grade_teardown, NULL } };
    return _cmocka_run_group_tests(e->title, test, 1, NULL, NULL);
}

static inline int grade_main(int argc, char **argv, const grade_exercise *ex, int n) {
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (int i = 0; i < n; i++) printf("%s\t%d\t%s\n", ex[i].id, ex[i].points, ex[i].title);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--run") == 0) {
        for (int i = 0; i < n; i++)
            if (strcmp(ex[i].id, argv[2]) == 0) return grade_run(&ex[i]);
        fprintf(stderr, "no exercise %s here\n", argv[2]);
        return 2;
    }
    if (argc != 1) {
        fprintf(stderr, "usage: %s [--list | --run NN.K]\n", argv[0]);
        return 2;
    }
    int failed = 0;
    for (int i = 0; i < n; i++) failed += grade_run(&ex[i]) != 0;
    return failed;
}
#define GRADE_MAIN(table) \
    int main(int argc, char **argv) { return grade_main(argc, argv, (table), (int)(sizeof(table) / sizeof((table)[0]))); }
#endif
