// tests/test_ch03_gradcheck_functional.c — the backward rules of lib/functional.c
// (binary_cross_entropy, mse_loss, softmax, log_softmax; chapter 02) against central finite
// differences in float64 (tests/gradcheck.h), on several shapes, dims and compositions; then
// a few gradients compared with the values PyTorch 1.13.1 computes (derived with
// /usr/bin/python3), including the edge cases where a formula is clamped.
// Random inputs are seeded with srand, so a failure reproduces.
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "torchlet.h"

#define EPS 1e-6
#define TOL 1e-5

// ----------------------------------------------------------------------------
// helpers

// how an input is drawn and whether its gradient is checked
typedef enum { RANDN, PROB, LABEL } draw;       // +-[0.1, 2);  [0.05, 0.95);  [0, 1)
typedef struct { tl_shape shape; draw kind; bool grad; } input_spec;

typedef struct { int dim; } params;

static tl_tensor *make_input(input_spec s) {
    tl_tensor *t = s.kind == PROB  ? gc_uniform(s.shape, 0.05, 0.95)
                 : s.kind == LABEL ? gc_uniform(s.shape, 0.0, 1.0)
                                   : gc_randn(s.shape);
    return tl_requires_grad_(t, s.grad);
}

// one check of fn on n inputs; nothing may leak (tensors or graph nodes)
static void check_case(const char *what, tl_gradcheck_fn fn, params *p, int n, const input_spec *specs) {
    int64_t live = tl_live_tensors(), nodes = tl_live_nodes();
    TL_SCOPE {
        tl_tensor *in[4];
        for (int k = 0; k < n; k++) in[k] = make_input(specs[k]);
        char why[512];
        if (!tl_gradcheck(fn, in, n, p, EPS, TOL, why, sizeof why)) fail_msg("%s: %s", what, why);
    }
    assert_int_equal(tl_live_tensors(), live);
    assert_int_equal(tl_live_nodes(), nodes);
}

#define S(...) TL_SHAPE(__VA_ARGS__)
#define IN(shape, kind, grad) ((input_spec){ shape, kind, grad })
#define CHECK(what, fn, p, ...) do {                                                   \
        const input_spec specs_[] = { __VA_ARGS__ };                                   \
        check_case(what, fn, p, (int)(sizeof specs_ / sizeof specs_[0]), specs_);      \
    } while (0)

static tl_tensor *f_bce(tl_tensor *const *x, void *c) { (void)c; return tl_binary_cross_entropy(x[0], x[1]); }
static tl_tensor *f_mse(tl_tensor *const *x, void *c) { (void)c; return tl_mse_loss(x[0], x[1]); }
static tl_tensor *f_softmax(tl_tensor *const *x, void *c) { return tl_softmax(x[0], ((params *)c)->dim); }
static tl_tensor *f_log_softmax(tl_tensor *const *x, void *c) { return tl_log_softmax(x[0], ((params *)c)->dim); }

// ----------------------------------------------------------------------------
// binary cross entropy

static void test_bce(void **state) {
    (void)state;
    srand(201);
    CHECK("bce (5,)", f_bce, NULL, IN(S(5), PROB, true), IN(S(5), LABEL, false));
    CHECK("bce (2, 3)", f_bce, NULL, IN(S(2, 3), PROB, true), IN(S(2, 3), LABEL, false));
    CHECK("bce 0-d", f_bce, NULL, IN(TL_SCALAR_SHAPE, PROB, true), IN(TL_SCALAR_SHAPE, LABEL, false));
    // the target is differentiable too (soft labels)
    CHECK("bce target", f_bce, NULL, IN(S(2, 3), PROB, true), IN(S(2, 3), LABEL, true));
    CHECK("bce target only", f_bce, NULL, IN(S(4), PROB, false), IN(S(4), LABEL, true));
    CHECK("bce (2, 3, 4)", f_bce, NULL, IN(S(2, 3, 4), PROB, true), IN(S(2, 3, 4), LABEL, true));
}

// ----------------------------------------------------------------------------
// mean squared error, with broadcasting (the engine sums a gradient back to its input's shape)

static void test_mse(void **state) {
    (void)state;
    srand(202);
    CHECK("mse (5,)", f_mse, NULL, IN(S(5), RANDN, true), IN(S(5), RANDN, false));
    CHECK("mse (2, 3) both", f_mse, NULL, IN(S(2, 3), RANDN, true), IN(S(2, 3), RANDN, true));
    CHECK("mse 0-d", f_mse, NULL, IN(TL_SCALAR_SHAPE, RANDN, true), IN(TL_SCALAR_SHAPE, RANDN, true));
    CHECK("mse (1, 3) vs (2, 1)", f_mse, NULL, IN(S(1, 3), RANDN, true), IN(S(2, 1), RANDN, true));
    CHECK("mse (2, 3) vs (3,)", f_mse, NULL, IN(S(2, 3), RANDN, true), IN(S(3), RANDN, true));
    CHECK("mse 0-d vs (4,)", f_mse, NULL, IN(TL_SCALAR_SHAPE, RANDN, true), IN(S(4), RANDN, true));
}

// ----------------------------------------------------------------------------
// softmax and log_softmax along every dim (inner > 1 when the dim is not the last)

static void test_softmax(void **state) {
    (void)state;
    srand(203);
    const struct { const char *name; tl_gradcheck_fn fn; } ops[] = {
        { "softmax", f_softmax }, { "log_softmax", f_log_softmax },
    };
    const struct { tl_shape shape; int dim; } cases[] = {
        { S(5), 0 }, { S(3, 4), 1 }, { S(3, 4), 0 }, { S(3, 4), -1 }, { S(2, 3, 4), 1 },
        { S(2, 3, 4), -3 }, { S(2, 3, 4), 2 }, { TL_SCALAR_SHAPE, 0 }, { S(1, 5), 0 },
    };
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
            char what[64];
            snprintf(what, sizeof what, "%s case %zu (dim %d)", ops[o].name, k, cases[k].dim);
            params p = { cases[k].dim };
            CHECK(what, ops[o].fn, &p, IN(cases[k].shape, RANDN, true));
        }
}

// ----------------------------------------------------------------------------
// compositions: the losses of chapters 02-06 are built from these pieces

// the tutorial's model: bce(sigmoid(x * w + b), y)
static tl_tensor *f_logreg(tl_tensor *const *x, void *c) {
    (void)c;
    return tl_binary_cross_entropy(tl_sigmoid(tl_add(tl_mul(x[0], x[1]), x[2])), x[3]);
}
// seed 003's diagram: mse(sigmoid(W * x), target)
static tl_tensor *f_seed003(tl_tensor *const *x, void *c) {
    (void)c;
    return tl_mse_loss(tl_sigmoid(tl_mul(x[0], x[1])), x[2]);
}
// a classifier's loss: -mean(log_softmax(x W) * onehot)
static tl_tensor *f_classifier(tl_tensor *const *x, void *c) {
    (void)c;
    return tl_neg(tl_mean(tl_mul(tl_log_softmax(tl_matmul(x[0], x[1]), 1), x[2])));
}
// softmax of a transposed (non-contiguous) tensor, then bce against labels
static tl_tensor *f_softmax_bce(tl_tensor *const *x, void *c) {
    (void)c;
    return tl_binary_cross_entropy(tl_softmax(tl_T(x[0]), 0), x[1]);
}
// the same input through two paths (gradients from both must add up)
static tl_tensor *f_two_paths(tl_tensor *const *x, void *c) {
    (void)c;
    return tl_add(tl_mse_loss(tl_softmax(x[0], 1), x[1]), tl_mean(tl_log_softmax(x[0], 0)));
}

static void test_compositions(void **state) {
    (void)state;
    srand(204);
    CHECK("logistic regression", f_logreg, NULL, IN(S(4), RANDN, false), IN(S(4), RANDN, true),
          IN(S(1), RANDN, true), IN(S(4), LABEL, false));
    CHECK("seed 003", f_seed003, NULL, IN(S(2), RANDN, true), IN(S(2), RANDN, false), IN(S(2), LABEL, false));
    CHECK("classifier", f_classifier, NULL, IN(S(5, 3), RANDN, false), IN(S(3, 4), RANDN, true),
          IN(S(5, 4), LABEL, false));
    CHECK("softmax of a transpose + bce", f_softmax_bce, NULL, IN(S(4, 3), RANDN, true), IN(S(3, 4), LABEL, false));
    CHECK("two paths", f_two_paths, NULL, IN(S(3, 4), RANDN, true), IN(S(3, 4), LABEL, false));
}

// ----------------------------------------------------------------------------
// gradients compared with PyTorch 1.13.1's

// d loss / d inputs of a 0-d loss by tl_grad (does not touch .grad); pool-owned array
static tl_tensor **grads_of(tl_tensor *loss, tl_tensor *a, tl_tensor *b) {
    tl_tensor *inputs[2] = { a, b };
    tl_tensor **g = tl_grad(loss, inputs, b ? 2 : 1, false);
    if (!g) fail_msg("tl_grad failed: %s", tl_error());
    return g;
}

static void check_values(const tl_tensor *t, const double *want, int64_t n, double rel, const char *what) {
    if (!t) fail_msg("%s: NULL", what);
    assert_int_equal(tl_numel(t), n);
    const tl_tensor *flat = tl_reshape(t, TL_SHAPE(-1));
    for (int64_t i = 0; i < n; i++) {
        double got = tl_get(flat, TL_SHAPE(i));
        bool ok = isinf(want[i]) ? got == want[i] : fabs(got - want[i]) <= rel * fmax(1.0, fabs(want[i]));
        if (!ok) fail_msg("%s: element %lld is %.17g, expected %.17g", what, (long long)i, got, want[i]);
    }
}
#define VALUES(t, rel, what, ...) \
    check_values((t), (const double[]){ __VA_ARGS__ }, sizeof((double[]){ __VA_ARGS__ }) / sizeof(double), rel, what)

static void test_gradients_match_pytorch(void **state) {
    (void)state;
    TL_SCOPE {
        // 000:325-353: the tutorial's gradients, (tensor([-0.0898]),) and (tensor([-0.0817]),)
        tl_tensor *w1 = tl_requires_grad_(tl_tensor_parse("[2.2]"), true);
        tl_tensor *b = tl_requires_grad_(tl_tensor_parse("[0.0]"), true);
        tl_tensor *loss = tl_binary_cross_entropy(
            tl_sigmoid(tl_add(tl_mul(tl_tensor_parse("[1.1]"), w1), b)), tl_tensor_parse("[1.0]"));
        tl_tensor **g = grads_of(loss, w1, b);
        VALUES(g[0], 1e-6, "dL/dw1", -0.08982629328966141);
        VALUES(g[1], 1e-6, "dL/db", -0.08166026324033737);

        // bce: both gradients, float64
        tl_tensor *a = tl_requires_grad_(tl_tensor_parse_dtype("[0.2, 0.7, 0.9]", TL_FLOAT64), true);
        tl_tensor *t = tl_requires_grad_(tl_tensor_parse_dtype("[0.0, 1.0, 0.3]", TL_FLOAT64), true);
        g = grads_of(tl_binary_cross_entropy(a, t), a, t);
        VALUES(g[0], 1e-14, "bce d/da", 0.4166666666666666, -0.4761904761904762, 2.2222222222222228);
        VALUES(g[1], 1e-14, "bce d/dy", 0.46209812037329684, -0.28243262012906784, -0.7324081924454066);

        // at a = 0 and a = 1 the denominator a(1 - a) is held at 1e-12; the target's gradient is
        // the unclamped log ratio, infinite there
        a = tl_requires_grad_(tl_tensor_parse("[0.0, 1.0]"), true);
        t = tl_requires_grad_(tl_tensor_parse("[0.5, 0.5]"), true);
        g = grads_of(tl_binary_cross_entropy(a, t), a, t);
        VALUES(g[0], 1e-6, "bce d/da at 0 and 1", -249999998976.0, 249999998976.0);
        VALUES(g[1], 0, "bce d/dy at 0 and 1", INFINITY, -INFINITY);

        // mse with broadcasting: (1, 3) against (2, 1), gradients summed back to each shape
        tl_tensor *x = tl_requires_grad_(tl_tensor_parse("[[1.0, 2.0, 3.0]]"), true);
        tl_tensor *y = tl_requires_grad_(tl_tensor_parse("[[1.5], [2.0]]"), true);
        g = grads_of(tl_mse_loss(x, y), x, y);
        VALUES(g[0], 1e-6, "mse d/dx", -0.5, 0.1666666716337204, 0.8333333730697632);
        VALUES(g[1], 1e-6, "mse d/dy", -0.5, 0.0);
        assert_int_equal(g[0]->ndim, 2);
        assert_int_equal(g[1]->shape[0], 2);
        // mixed dtypes: each gradient in its input's dtype (PyTorch 1.13's backward fails here
        // with "Found dtype Double but expected Float"; 2.x gives these dtypes)
        tl_tensor *y64 = tl_requires_grad_(tl_tensor_parse_dtype("[1.5, 2.0, 2.0]", TL_FLOAT64), true);
        tl_tensor *x32 = tl_requires_grad_(tl_tensor_parse("[1.0, 2.0, 3.0]"), true);
        g = grads_of(tl_mse_loss(x32, y64), x32, y64);
        assert_int_equal(g[0]->dtype, TL_FLOAT32);
        assert_int_equal(g[1]->dtype, TL_FLOAT64);
        VALUES(g[0], 1e-6, "mse d/dx mixed", -0.3333333333333333, 0.0, 0.6666666666666666);

        // softmax along dim 0 and log_softmax along dim 1, weighted by W (d/dx of sum(W * f(x)))
        tl_tensor *W = tl_tensor_parse("[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]");
        x = tl_requires_grad_(tl_tensor_parse("[[0.5, 1.5, -1.0], [2.0, 0.1, 0.3]]"), true);
        g = grads_of(tl_sum(tl_mul(tl_softmax(x, 0), W)), x, NULL);
        VALUES(g[0], 1e-6, "softmax", -0.4474393129348755, -0.47605496644973755, -0.5048952102661133,
               0.4474394619464874, 0.47605469822883606, 0.5048948526382446);
        g = grads_of(tl_sum(tl_mul(tl_log_softmax(x, 1), W)), x, NULL);
        VALUES(g[0], 1e-6, "log_softmax", -0.522297203540802, -2.1380326747894287, 2.660329580307007,
               -7.259130954742432, 3.3159873485565186, 3.9431421756744385);
    }
}

// forward + backward, many times, in flat memory
static void test_training_loop_memory(void **state) {
    (void)state;
    int64_t live = tl_live_tensors(), nodes = tl_live_nodes();
    TL_SCOPE {
        tl_tensor *w = tl_requires_grad_(tl_tensor_parse("[[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]]"), true);
        tl_tensor *x = tl_tensor_parse("[[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]");
        tl_tensor *y = tl_tensor_parse("[[1.0, 0.0], [0.0, 1.0]]");
        int64_t live_in_loop = tl_live_tensors();
        for (int i = 0; i < 10000; i++) {
            TL_SCOPE {
                tl_tensor *logits = tl_matmul(x, w);
                tl_tensor *loss = tl_add(tl_binary_cross_entropy(tl_softmax(logits, 1), y),
                                         tl_mse_loss(tl_log_softmax(logits, 0), y));
                assert_true(tl_backward(loss));
            }
            tl_zero_grad_(w);
        }
        assert_int_equal(tl_live_tensors(), live_in_loop + 1);   // + w.grad
    }
    assert_int_equal(tl_live_tensors(), live);
    assert_int_equal(tl_live_nodes(), nodes);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bce),
        cmocka_unit_test(test_mse),
        cmocka_unit_test(test_softmax),
        cmocka_unit_test(test_compositions),
        cmocka_unit_test(test_gradients_match_pytorch),
        cmocka_unit_test(test_training_loop_memory),
    };
    return cmocka_run_group_tests_name("ch03_gradcheck_functional", tests, NULL, NULL);
}
