// exercises/tests/grade_08.c — the graded tests of chapter 08's exercises (exercises/08-gpu.cu, CUDA).
// Expected values: the same arithmetic on the CPU, element by element in float (08.1) and summed in
// double (08.2), on random tensors copied to the GPU. Without a CUDA device the exercises are
// skipped, visibly (grade_skip); tools/grade.sh skips them too where there is no nvcc to compile
// the student's .cu file.
#define _POSIX_C_SOURCE 200809L
#include "grade.h"

bool   ex08_axpy_(tl_tensor *y, double a, const tl_tensor *x);
double ex08_sum(const tl_tensor *x);

static void needs_gpu(void) {
    if (tl_cuda_backend_device_count() < 1) grade_skip("no CUDA device here: the CUDA exercises are graded on a GPU");
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

static const grade_exercise exercises[] = {
    { "08.1", 3, "an element-wise CUDA kernel: axpy", test_axpy },
    { "08.2", 4, "a reduction kernel: sum in shared memory", test_sum },
};
GRADE_MAIN(exercises)
