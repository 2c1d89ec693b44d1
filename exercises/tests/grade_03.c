// exercises/tests/grade_03.c — the graded tests of chapter 03's exercises (exercises/03-autograd.c).
// Gradients are checked against central finite differences in float64 (tests/gradcheck.h); other
// expected values are closed forms computed here element by element.
#define _POSIX_C_SOURCE 200809L
#include "grade.h"
#include "gradcheck.h"

typedef tl_tensor *(*ex03_fn)(const tl_tensor *x, void *ctx);
tl_tensor *ex03_hinge_loss(const tl_tensor *scores, const tl_tensor *targets);
tl_tensor *ex03_softplus(const tl_tensor *x);
void       ex03_softplus_backward(tl_node *node, const tl_tensor *grad_output, tl_tensor **grad_inputs);
tl_tensor *ex03_numerical_grad(ex03_fn f, void *ctx, const tl_tensor *x, double eps);
tl_tensor *ex03_gd_minimize(ex03_fn f, void *ctx, const tl_tensor *x0, double lr, int steps);

#define GRADCHECK(what, fn, inputs, n, ctx)                                                      \
    do {                                                                                         \
        char why_[256];                                                                          \
        if (!tl_gradcheck((fn), (inputs), (n), (ctx), 1e-6, 1e-5, why_, sizeof why_))            \
            GRADE_FAIL("gradient check of %s: %s", (what), why_);                                \
    } while (0)

// ----------------------------------------------------------------------------
static tl_tensor *random_signs(tl_shape s) {
    return tl_sub_scalar(tl_mul_scalar(tl_to_dtype(tl_gt_scalar(grade_uniform(s, 0, 1, TL_FLOAT64), 0.5), TL_FLOAT64), 2), 1);
}

static double expected_hinge(const tl_tensor *s, const tl_tensor *y) {
    tl_tensor *sf = tl_reshape(s, TL_SHAPE(-1)), *yf = tl_reshape(y, TL_SHAPE(-1));
    double sum = 0;
    for (int64_t i = 0; i < tl_numel(sf); i++) {
        double m = 1 - tl_get(yf, TL_SHAPE(i)) * tl_get(sf, TL_SHAPE(i));
        sum += m > 0 ? m : 0;
    }
    return sum / (double)tl_numel(sf);
}

static tl_tensor *hinge_fn(tl_tensor *const *in, void *ctx) { return ex03_hinge_loss(in[0], ctx); }

static void test_hinge(void) {
    tl_shape s = grade_shape(2, 2, 6);
    tl_tensor *scores = grade_uniform(s, -2.5, 2.5, TL_FLOAT64), *y = random_signs(s);
    tl_tensor *loss = ex03_hinge_loss(scores, y);
    grade_tensor("ex03_hinge_loss(scores, targets)", loss, tl_scalar(expected_hinge(scores, y), TL_FLOAT64), 1e-12);
    tl_tensor *s32 = tl_to_dtype(scores, TL_FLOAT32), *y32 = tl_to_dtype(y, TL_FLOAT32);
    grade_tensor("ex03_hinge_loss(float32 scores, targets)", ex03_hinge_loss(s32, y32),
                 tl_scalar(expected_hinge(s32, y32), TL_FLOAT32), 1e-6);
    tl_tensor *in[1] = { tl_requires_grad_(tl_clone(scores), true) };
    tl_tensor *l = ex03_hinge_loss(in[0], y);
    grade_ok("ex03_hinge_loss(scores that require grad, targets)", l != NULL);
    grade_true(l->grad_fn, "ex03_hinge_loss(scores that require grad, targets) has no grad_fn: it is not differentiable");
    GRADCHECK("ex03_hinge_loss with respect to scores", hinge_fn, in, 1, y);
    grade_fails("ex03_hinge_loss(shape (3), shape (4))",
                ex03_hinge_loss(tl_zeros(TL_SHAPE(3), TL_FLOAT64), tl_ones(TL_SHAPE(4), TL_FLOAT64)) == NULL);
}

// ----------------------------------------------------------------------------
static double softplus_of(double v, const void *ctx) { return (v > 0 ? v : 0) + log1p(exp(-fabs(v))); }
static tl_tensor *expected_softplus(const tl_tensor *x) { return grade_map(x, softplus_of, NULL); }

static tl_tensor *softplus_fn(tl_tensor *const *in, void *ctx) { return ex03_softplus(in[0]); }
static tl_tensor *softplus_scaled_fn(tl_tensor *const *in, void *ctx) {
    return tl_mul(ex03_softplus(tl_mul(in[0], in[1])), in[0]);
}

static void test_softplus(void) {
    tl_shape s = grade_shape(2, 2, 5);
    tl_tensor *x = grade_uniform(s, -6, 6, TL_FLOAT64);
    grade_tensor("ex03_softplus(x), float64", ex03_softplus(x), expected_softplus(x), 1e-12);
    double big = (double)grade_int(90, 200);
    tl_tensor *e = tl_cat(TL_LIST(tl_mul_scalar(tl_ones(TL_SHAPE(1), TL_FLOAT32), -big),
                                  grade_uniform(TL_SHAPE(3), -30, 30, TL_FLOAT32),
                                  tl_mul_scalar(tl_ones(TL_SHAPE(1), TL_FLOAT32), big)), 0);
    grade_tensor("ex03_softplus(float32 values as large as +-100 and more)", ex03_softplus(e), expected_softplus(e), 1e-6);

    tl_tensor *in[2] = { tl_requires_grad_(tl_clone(x), true), tl_requires_grad_(grade_uniform(s, -2, 2, TL_FLOAT64), true) };
    tl_tensor *y = ex03_softplus(in[0]);
    grade_ok("ex03_softplus(x that requires grad)", y != NULL);
    grade_str("ex03_softplus(x): grad_fn", tl_node_name(y->grad_fn), "SoftplusBackward0");
    GRADCHECK("ex03_softplus", softplus_fn, in, 1, NULL);
    GRADCHECK("x * ex03_softplus(x * w), with respect to x and w", softplus_scaled_fn, in, 2, NULL);
    tl_tensor *q = NULL;
    TL_NO_GRAD { q = ex03_softplus(in[0]); }
    grade_ok("ex03_softplus(x) inside TL_NO_GRAD", q != NULL);
    grade_true(!q->grad_fn, "ex03_softplus(x) inside TL_NO_GRAD should record nothing (it has a grad_fn)");
    grade_true(ex03_softplus(NULL) == NULL, "ex03_softplus(NULL) should return NULL");
}

// ----------------------------------------------------------------------------
// f(x) = sum(w * x^3) + sum(tanh(x)), w = ctx
static tl_tensor *cubic(const tl_tensor *x, void *ctx) {
    return tl_add(tl_sum(tl_mul(ctx, tl_mul(x, tl_mul(x, x)))), tl_sum(tl_tanh(x)));
}
static tl_tensor *not_scalar(const tl_tensor *x, void *ctx) { return tl_mul_scalar(x, 2); }
static tl_tensor *failing(const tl_tensor *x, void *ctx) {
    tl_error_set(TL_VALUE_ERROR, "f failed on purpose");
    return NULL;
}

static void check_numerical(tl_shape s) {
    tl_tensor *x = grade_uniform(s, -2, 2, TL_FLOAT64), *w = grade_uniform(s, -1, 1, TL_FLOAT64);
    tl_tensor *before = tl_clone(x);
    tl_tensor *xr = tl_requires_grad_(tl_clone(x), true);
    tl_tensor **analytic = tl_grad(cubic(xr, w), &xr, 1, false);
    char w_[128];
    snprintf(w_, sizeof w_, "ex03_numerical_grad(sum(w x^3) + sum(tanh x), x of shape %s, eps 1e-6)", tl_shape_str(x));
    grade_tensor(w_, ex03_numerical_grad(cubic, w, x, 1e-6), analytic ? analytic[0] : NULL, 1e-6);
    grade_tensor("x after ex03_numerical_grad (it must not change)", x, before, 0);
}

static void test_numerical_grad(void) {
    check_numerical(TL_SHAPE(grade_int(2, 9)));
    check_numerical(grade_shape(2, 2, 4));
    tl_tensor *x = grade_uniform(TL_SHAPE(3), -1, 1, TL_FLOAT64);
    grade_fails("ex03_numerical_grad(f returning 3 numbers)", ex03_numerical_grad(not_scalar, NULL, x, 1e-6) == NULL);
    tl_tensor *r = ex03_numerical_grad(failing, NULL, x, 1e-6);
    grade_true(r == NULL, "ex03_numerical_grad(f returning NULL) should return NULL");
    grade_str("the error after ex03_numerical_grad(f returning NULL): f's own", tl_error(), "f failed on purpose");
    tl_error_clear();
}

// ----------------------------------------------------------------------------
typedef struct { tl_tensor *A, *b; } lsq;

// sum((A x - b)^2)
static tl_tensor *least_squares(const tl_tensor *x, void *ctx) {
    lsq *p = ctx;
    tl_tensor *r = tl_sub(tl_matmul(p->A, x), p->b);
    return tl_sum(tl_mul(r, r));
}

// the same descent, by hand: x <- x - lr * 2 A^T (A x - b)
static tl_tensor *expected_descent(const lsq *p, const tl_tensor *x0, double lr, int steps) {
    int64_t m = p->A->shape[0], n = p->A->shape[1];
    tl_tensor *x = tl_clone(x0);
    double *xv = TL_DATA(x, double), r[16];
    for (int s = 0; s < steps; s++) {
        for (int64_t i = 0; i < m; i++) {
            r[i] = -tl_get(p->b, TL_SHAPE(i));
            for (int64_t j = 0; j < n; j++) r[i] += tl_get(p->A, TL_SHAPE(i, j)) * xv[j];
        }
        double g[16];
        for (int64_t j = 0; j < n; j++) {
            g[j] = 0;
            for (int64_t i = 0; i < m; i++) g[j] += 2 * tl_get(p->A, TL_SHAPE(i, j)) * r[i];
        }
        for (int64_t j = 0; j < n; j++) xv[j] -= lr * g[j];
    }
    return x;
}

static void test_gd_minimize(void) {
    int64_t m = grade_int(3, 8), n = grade_int(2, 5);
    lsq p = { grade_uniform(TL_SHAPE(m, n), -1, 1, TL_FLOAT64), grade_uniform(TL_SHAPE(m), -2, 2, TL_FLOAT64) };
    tl_tensor *x0 = grade_uniform(TL_SHAPE(n), -1, 1, TL_FLOAT64), *before = tl_clone(x0);
    double lr = 0.1 / tl_item(tl_sum(tl_mul(p.A, p.A)));
    int steps = (int)grade_int(10, 40);
    char w[128];
    snprintf(w, sizeof w, "ex03_gd_minimize(sum((A x - b)^2), lr %.4g, %d steps)", lr, steps);
    tl_tensor *x = ex03_gd_minimize(least_squares, &p, x0, lr, steps);
    grade_tensor(w, x, expected_descent(&p, x0, lr, steps), 1e-9);
    grade_true(!x->requires_grad && !x->grad_fn, "%s: the result should not require grad", w);
    grade_tensor("x0 after ex03_gd_minimize (it must not change)", x0, before, 0);

    // flat memory: 5 steps and 300 steps leave as many tensors alive
    int64_t live0 = tl_live_tensors();
    grade_ok("ex03_gd_minimize(.., 5 steps)", ex03_gd_minimize(least_squares, &p, x0, lr, 5) != NULL);
    int64_t live5 = tl_live_tensors() - live0;
    grade_ok("ex03_gd_minimize(.., 300 steps)", ex03_gd_minimize(least_squares, &p, x0, lr, 300) != NULL);
    int64_t live300 = tl_live_tensors() - live0 - live5;
    grade_true(live300 == live5, "memory is not flat: 5 steps leave %lld tensors alive, 300 steps %lld "
               "(wrap each step in TL_SCOPE)", (long long)live5, (long long)live300);
    grade_true(ex03_gd_minimize(failing, NULL, x0, lr, 3) == NULL, "ex03_gd_minimize(f returning NULL) should return NULL");
    tl_error_clear();
}

static const grade_exercise exercises[] = {
    { "03.1", 2, "hinge loss from differentiable ops", test_hinge },
    { "03.2", 4, "softplus: a new op with its own local rule", test_softplus },
    { "03.3", 3, "the numerical gradient by central differences", test_numerical_grad },
    { "03.4", 4, "gradient descent driven by backward()", test_gd_minimize },
};
GRADE_MAIN(exercises)
