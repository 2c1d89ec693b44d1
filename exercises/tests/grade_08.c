// exercises/tests/grade_08.c — the graded tests of chapter 08's exercises (exercises/08-gpu.cu, CUDA).
// Expected values: the same arithmetic on the CPU, element by element in float (08.1), summed in
// double (08.2), the library's CPU tl_softmax (08.3) and tl_matmul (08.4, OpenBLAS sgemm), on
// random tensors copied to the GPU. Without a CUDA device the exercises are skipped, visibly
// (grade_skip); tools/grade.sh skips them too where there is no nvcc to compile the student's .cu
// file.
#define _POSIX_C_SOURCE 200809L
#include "grade.h"

bool   ex08_axpy_(tl_tensor *y, double a, const tl_tensor *x);
double ex08_sum(const tl_tensor *x);
tl_tensor *ex08_softmax_rows(const tl_tensor *x);
tl_tensor *ex08_matmul(const tl_tensor *a, const tl_tensor *b);

static void needs_gpu(void) {
    if (tl_cuda_device_count() < 1) grade_skip("no CUDA device here: the CUDA exercises are graded on a GPU");
}

static void test_axpy(void) {
    needs_gpu();
    for (int round = 0; round < 5; round++) {
        int64_t n = round == 0 ? 3 : round == 4 ? grade_int(70000, 300000) : grade_int(1, 5000);
        tl_tensor *x = round == 0 ? tl_tensor_parse("[10.0, 20.0, 30.0]") : grade_uniform(TL_SHAPE(n), -2, 2, TL_FLOAT32);
        tl_tensor *y = round == 0 ? tl_tensor_parse("[1.0, 2.0, 3.0]") : grade_uniform(TL_SHAPE(n), -2, 2, TL_FLOAT32);
        double a = round == 0 ? 0.5 : (double)grade_int(-300, 300) / 100;
        tl_tensor *want = tl_empty_like(y);
        for (int64_t i = 0; i < n; i++)
            TL_DATA(want, float)[i] = TL_DATA(y, float)[i] + (float)a * TL_DATA(x, float)[i];
        tl_tensor *dx = tl_to(x, "cuda"), *dy = tl_to(y, "cuda");
        grade_true(dx && dy, "the grader could not copy its tensors to the GPU: %s", grade_last_error());
        char w[160];
        snprintf(w, sizeof w, "ex08_axpy_(y, %g, x) on %lld elements of cuda:0", a, (long long)n);
        grade_ok(w, ex08_axpy_(dy, a, dx));
        grade_tensor(w, tl_to(dy, "cpu"), want, 1e-6);
        grade_tensor("x after axpy_ (it must not change)", tl_to(dx, "cpu"), x, 0);
    }
    tl_tensor *c = tl_zeros(TL_SHAPE(4), TL_FLOAT32), *g = tl_to(c, "cuda");
    grade_fails("ex08_axpy_(a CPU tensor, 1.0, a CUDA tensor)", !ex08_axpy_(c, 1.0, g));
    grade_fails("ex08_axpy_(y of 4, 1.0, x of 5)", !ex08_axpy_(g, 1.0, tl_to(tl_zeros(TL_SHAPE(5), TL_FLOAT32), "cuda")));
    grade_fails("ex08_axpy_(float32 y, 1.0, float64 x)", !ex08_axpy_(g, 1.0, tl_to(tl_zeros(TL_SHAPE(4), TL_FLOAT64), "cuda")));
}

static void test_sum(void) {
    needs_gpu();
    tl_tensor *r = tl_to(tl_arange_dtype(1, 1001, 1, TL_FLOAT32), "cuda");
    grade_double("ex08_sum(arange(1, 1001.) on cuda:0)", ex08_sum(r), 500500, 1e-12);
    for (int round = 0; round < 6; round++) {
        int64_t n = round == 0 ? 1 : round == 5 ? grade_int(1000000, 3000000) : grade_int(2, 100000);
        tl_tensor *x = grade_uniform(TL_SHAPE(n), -1, 1, TL_FLOAT32);
        double want = 0;
        for (int64_t i = 0; i < n; i++) want += TL_DATA(x, float)[i];
        char w[120];
        snprintf(w, sizeof w, "ex08_sum(%lld random floats on cuda:0)", (long long)n);
        grade_double(w, ex08_sum(tl_to(x, "cuda")), want, 1e-6);
    }
    grade_double("ex08_sum(an empty tensor on cuda:0)", ex08_sum(tl_to(tl_zeros(TL_SHAPE(0), TL_FLOAT32), "cuda")), 0, 0);
    grade_fails("ex08_sum(a CPU tensor)", isnan(ex08_sum(tl_zeros(TL_SHAPE(3), TL_FLOAT32))));
}

// what a CUDA exercise returned: a new tensor on cuda:0 (neither of its inputs: a, and b unless
// NULL; compared here, before the copy, which is always a new tensor); its copy on the CPU
static tl_tensor *result_on_gpu(const char *what, tl_tensor *got, const tl_tensor *a, const tl_tensor *b) {
    if (!got) GRADE_FAIL("%s returned NULL: %s", what, grade_last_error());
    grade_true(tl_is_cuda(got), "%s: expected a tensor on cuda:0, got one on the CPU", what);
    grade_true(got != a, "%s: expected a new tensor, got %s back", what, b ? "a" : "its input");
    grade_true(!b || got != b, "%s: expected a new tensor, got b back", what);
    tl_tensor *host = tl_to(got, "cpu");
    grade_true(host, "%s: its result could not be copied back to the CPU: %s", what, grade_last_error());
    return host;
}

// x (CPU, float32) through ex08_softmax_rows on the GPU, against tl_softmax(x, 1) on the CPU
static void check_softmax_rows(const char *what, const tl_tensor *x) {
    tl_tensor *dx = tl_to(x, "cuda");
    grade_true(dx, "the grader could not copy its tensor to the GPU: %s", grade_last_error());
    tl_tensor *got = result_on_gpu(what, ex08_softmax_rows(dx), dx, NULL);
    tl_tensor *want = tl_numel(x) ? tl_softmax(x, 1) : tl_zeros(tl_shape_of(x), TL_FLOAT32);
    grade_tensor(what, got, want, 1e-5);
    grade_tensor("x after ex08_softmax_rows (it must not change)", tl_to(dx, "cpu"), x, 0);
}

static void test_softmax_rows(void) {
    needs_gpu();
    check_softmax_rows("ex08_softmax_rows([[1, 2, 3], [1e4, 1e4, 1e4 + 1]] on cuda:0)",
                       tl_tensor_parse("[[1.0, 2.0, 3.0], [10000.0, 10000.0, 10001.0]]"));
    // (rows, columns): one column; fewer columns than a warp; than a block of 256; a few per
    // thread; thousands; many short rows; more rows than 65535 blocks
    static const int64_t shapes[][4] = {
        { 1, 2, 1, 2 }, { 1, 9, 2, 32 }, { 2, 20, 33, 256 }, { 2, 20, 257, 1000 }, { 2, 7, 1000, 4001 },
        { 300, 3000, 1, 65 }, { 65536, 67000, 1, 4 },
    };
    for (size_t round = 0; round < sizeof shapes / sizeof shapes[0]; round++) {
        const int64_t *s = shapes[round];
        int64_t rows = grade_int(s[0], s[1]), cols = grade_int(s[2], s[3]);
        tl_tensor *x = grade_uniform(TL_SHAPE(rows, cols), -5, 5, TL_FLOAT32);
        // one row around +1e4 (exp overflows to inf) and one around -1e4 (exp underflows to 0)
        int64_t hi = grade_int(0, rows), lo = grade_int(0, rows);
        for (int64_t k = 0; k < cols; k++) {
            TL_DATA(x, float)[hi * cols + k] += 1e4f;
            if (lo != hi) TL_DATA(x, float)[lo * cols + k] -= 1e4f;
        }
        char w[160];
        snprintf(w, sizeof w, "ex08_softmax_rows(a %lldx%lld tensor on cuda:0, row %lld near 1e4%s)", (long long)rows,
                 (long long)cols, (long long)hi, lo != hi ? ", another near -1e4" : "");
        check_softmax_rows(w, x);
    }
    check_softmax_rows("ex08_softmax_rows(a 0x5 tensor on cuda:0)", tl_zeros(TL_SHAPE(0, 5), TL_FLOAT32));
    check_softmax_rows("ex08_softmax_rows(a 3x0 tensor on cuda:0)", tl_zeros(TL_SHAPE(3, 0), TL_FLOAT32));

    tl_tensor *c = tl_zeros(TL_SHAPE(2, 3), TL_FLOAT32), *g = tl_to(c, "cuda");
    grade_fails("ex08_softmax_rows(a CPU tensor)", !ex08_softmax_rows(c));
    grade_fails("ex08_softmax_rows(a float64 tensor on cuda:0)",
                !ex08_softmax_rows(tl_to(tl_zeros(TL_SHAPE(2, 3), TL_FLOAT64), "cuda")));
    grade_fails("ex08_softmax_rows(a 1-D tensor on cuda:0)", !ex08_softmax_rows(tl_to(tl_zeros(TL_SHAPE(6), TL_FLOAT32), "cuda")));
    grade_fails("ex08_softmax_rows(a 2x3x4 tensor on cuda:0)",
                !ex08_softmax_rows(tl_to(tl_zeros(TL_SHAPE(2, 3, 4), TL_FLOAT32), "cuda")));
    grade_fails("ex08_softmax_rows(a transposed, not contiguous, tensor on cuda:0)", !ex08_softmax_rows(tl_T(g)));
}

// a (m, k) @ b (k, n), random in [-1, 1), through ex08_matmul on the GPU against tl_matmul on the
// CPU; float32 sums of k products round differently in another order: the tolerance grows with k
static void check_matmul(const char *what, const tl_tensor *a, const tl_tensor *b) {
    tl_tensor *da = tl_to(a, "cuda"), *db = tl_to(b, "cuda");
    grade_true(da && db, "the grader could not copy its tensors to the GPU: %s", grade_last_error());
    tl_tensor *got = result_on_gpu(what, ex08_matmul(da, db), da, db);
    tl_tensor *want = tl_matmul(a, b);
    grade_tensor(what, got, want, 1e-6 * (double)(a->shape[1] + 1));
    grade_tensor("a after ex08_matmul (it must not change)", tl_to(da, "cpu"), a, 0);
    grade_tensor("b after ex08_matmul (it must not change)", tl_to(db, "cpu"), b, 0);
}

static void test_matmul(void) {
    needs_gpu();
    check_matmul("ex08_matmul([[1, 2], [3, 4]], [[5, 6], [7, 8]] on cuda:0)", tl_tensor_parse("[[1.0, 2.0], [3.0, 4.0]]"),
                 tl_tensor_parse("[[5.0, 6.0], [7.0, 8.0]]"));
    // ranges [lo, hi) of m, k, n: 1x1x1; inside one tile; edges that are not multiples of 16 or 32;
    // exact multiples of 16; a row times a matrix; a column times a row (k = 1); big
    static const int64_t dims[][6] = {
        { 1, 2, 1, 2, 1, 2 }, { 2, 16, 2, 16, 2, 16 }, { 17, 100, 17, 100, 17, 100 }, { 1, 6, 1, 6, 1, 6 },
        { 1, 2, 100, 700, 50, 300 }, { 30, 200, 1, 2, 30, 200 }, { 100, 300, 300, 900, 100, 300 },
    };
    for (size_t round = 0; round < sizeof dims / sizeof dims[0]; round++) {
        const int64_t *d = dims[round];
        int64_t m = grade_int(d[0], d[1]), k = grade_int(d[2], d[3]), n = grade_int(d[4], d[5]);
        if (round == 3) { m *= 16; k *= 16; n *= 16; }
        tl_tensor *a = grade_uniform(TL_SHAPE(m, k), -1, 1, TL_FLOAT32);
        tl_tensor *b = grade_uniform(TL_SHAPE(k, n), -1, 1, TL_FLOAT32);
        char w[160];
        snprintf(w, sizeof w, "ex08_matmul(a %lldx%lld, b %lldx%lld on cuda:0)", (long long)m, (long long)k,
                 (long long)k, (long long)n);
        check_matmul(w, a, b);
    }
    int64_t m = grade_int(1, 40), n = grade_int(1, 40);
    char w[160];
    snprintf(w, sizeof w, "ex08_matmul(a %lldx0, b 0x%lld on cuda:0: zeros)", (long long)m, (long long)n);
    check_matmul(w, tl_zeros(TL_SHAPE(m, 0), TL_FLOAT32), tl_zeros(TL_SHAPE(0, n), TL_FLOAT32));
    check_matmul("ex08_matmul(a 0x4, b 4x3 on cuda:0: empty)", tl_zeros(TL_SHAPE(0, 4), TL_FLOAT32),
                 grade_uniform(TL_SHAPE(4, 3), -1, 1, TL_FLOAT32));

    // shapes that do not fit: PyTorch's message, with the shapes
    for (int round = 0; round < 2; round++) {
        int64_t k = grade_int(1, 50), k2 = k + grade_int(1, 50) * (round ? -1 : 1);
        if (k2 < 0) k2 = k + 1;
        m = grade_int(1, 50);
        n = grade_int(1, 50);
        char want[160];
        snprintf(want, sizeof want, "mat1 and mat2 shapes cannot be multiplied (%lldx%lld and %lldx%lld)", (long long)m,
                 (long long)k, (long long)k2, (long long)n);
        snprintf(w, sizeof w, "ex08_matmul(a %lldx%lld, b %lldx%lld on cuda:0)", (long long)m, (long long)k, (long long)k2,
                 (long long)n);
        tl_tensor *r = ex08_matmul(tl_to(tl_zeros(TL_SHAPE(m, k), TL_FLOAT32), "cuda"),
                                   tl_to(tl_zeros(TL_SHAPE(k2, n), TL_FLOAT32), "cuda"));
        grade_true(!r, "%s: expected a failure (NULL), got a result", w);
        grade_str(w, tl_error(), want);
        tl_error_clear();
    }
    tl_tensor *g = tl_to(tl_zeros(TL_SHAPE(3, 3), TL_FLOAT32), "cuda");
    grade_fails("ex08_matmul(a CPU tensor, a CUDA tensor)", !ex08_matmul(tl_zeros(TL_SHAPE(3, 3), TL_FLOAT32), g));
    grade_fails("ex08_matmul(a CUDA tensor, a CPU tensor)", !ex08_matmul(g, tl_zeros(TL_SHAPE(3, 3), TL_FLOAT32)));
    grade_fails("ex08_matmul(float32, float64 on cuda:0)", !ex08_matmul(g, tl_to(tl_zeros(TL_SHAPE(3, 3), TL_FLOAT64), "cuda")));
    grade_fails("ex08_matmul(a 1-D tensor, a 3x3 one on cuda:0)", !ex08_matmul(tl_to(tl_zeros(TL_SHAPE(3), TL_FLOAT32), "cuda"), g));
    grade_fails("ex08_matmul(a 3x3 tensor, its transpose (not contiguous) on cuda:0)",
                !ex08_matmul(g, tl_T(tl_to(grade_uniform(TL_SHAPE(3, 3), -1, 1, TL_FLOAT32), "cuda"))));
}

static const grade_exercise exercises[] = {
    { "08.1", 3, "an element-wise CUDA kernel: axpy", test_axpy },
    { "08.2", 4, "a reduction kernel: sum in shared memory", test_sum },
    { "08.3", 4, "a row-wise softmax kernel, numerically stable", test_softmax_rows },
    { "08.4", 5, "a tiled matrix multiply in shared memory", test_matmul },
};
GRADE_MAIN(exercises)
