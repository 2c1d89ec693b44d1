// tests/test_ch08_cuda.c — cmocka tests of chapter 08's CUDA backend: every op on the GPU against
// the same op on the CPU (float32 tolerance), forward and backward, on random shapes that
// broadcast and on transposed views; printing, .to round trips, the allocator's reuse, SGD, and
// the tutorial's training run on the GPU against the CPU run. Every test needs a CUDA device and
// SKIPS VISIBLY (with the reason) where there is none; tests/test_ch08_device.c covers what can be
// tested without one.
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "torchlet.h"
#include "../labs/neural_network.h"

#include "fixture.h"
#include "tutorial.h"

#define NEEDS_CUDA()                                                                                   \
    do {                                                                                               \
        if (!tl_cuda_is_available()) {                                                                 \
            print_message("skipped: needs a CUDA device (%s)\n",                                       \
                          tl_cuda_compiled() ? "none on this machine" : "this build has no CUDA");     \
            skip();                                                                                    \
        }                                                                                              \
    } while (0)

// ----------------------------------------------------------------------------
// helpers

static tl_tensor *gpu(const tl_tensor *t) {
    tl_tensor *g = tl_to(t, "cuda");
    if (!g) fail_msg("tl_to(t, \"cuda\") failed: %s", tl_error());
    return g;
}

// the GPU result g equals the CPU result c: same shape, dtype, and values within tol (relative
// to max(1, |c|)); NaN matches NaN
static void assert_same(const tl_tensor *c, const tl_tensor *g, double tol, const char *what) {
    if (!c) fail_msg("%s: the CPU op failed: %s", what, tl_error());
    if (!g) fail_msg("%s: the GPU op failed: %s", what, tl_error());
    if (!tl_is_cuda(g)) fail_msg("%s: the result is not on the GPU", what);
    assert_int_equal(c->dtype, g->dtype);
    assert_int_equal(c->ndim, g->ndim);
    for (int d = 0; d < c->ndim; d++) assert_int_equal(c->shape[d], g->shape[d]);
    tl_tensor *h = tl_contiguous(tl_to_dtype(tl_cpu(g), TL_FLOAT64));
    tl_tensor *e = tl_contiguous(tl_to_dtype(c, TL_FLOAT64));
    for (int64_t i = 0; i < tl_numel(c); i++) {
        double x = TL_DATA(e, double)[i], y = TL_DATA(h, double)[i];
        if (isnan(x) && isnan(y)) continue;
        if (!(fabs(x - y) <= tol * fmax(1.0, fabs(x))))
            fail_msg("%s: element %lld: CPU %.9g, GPU %.9g", what, (long long)i, x, y);
    }
}

// a random shape of ndim dims, sizes 1..5
static tl_shape random_shape(int ndim) {
    tl_shape s = { ndim, { 0 } };
    for (int d = 0; d < ndim; d++) s.d[d] = 1 + rand() % 5;
    return s;
}

// a shape that broadcasts against s: some dims set to 1, maybe fewer dims
static tl_shape broadcast_partner(tl_shape s) {
    tl_shape p = s;
    int drop = rand() % (s.ndim + 1);
    p.ndim = s.ndim - drop;
    for (int d = 0; d < p.ndim; d++) {
        p.d[d] = s.d[d + drop];
        if (rand() % 3 == 0) p.d[d] = 1;
    }
    return p;
}

// ----------------------------------------------------------------------------
// element-wise

typedef tl_tensor *(*binary_fn)(const tl_tensor *, const tl_tensor *);

static void test_binary_ops_broadcast(void **state) {
    (void)state;
    NEEDS_CUDA();
    static const struct { const char *name; binary_fn f; bool positive; } ops[] = {
        { "add", tl_add, false }, { "sub", tl_sub, false }, { "mul", tl_mul, false }, { "div", tl_div, true },
        { "pow", tl_pow, true }, { "maximum", tl_maximum, false }, { "minimum", tl_minimum, false },
        { "eq", tl_eq, false }, { "ne", tl_ne, false }, { "lt", tl_lt, false }, { "le", tl_le, false },
        { "gt", tl_gt, false }, { "ge", tl_ge, false },
    };
    srand(8);
    tl_manual_seed(8);
    for (size_t k = 0; k < sizeof ops / sizeof *ops; k++) {
        for (int trial = 0; trial < 6; trial++) {
            TL_SCOPE {
                tl_shape sa = random_shape(1 + rand() % 4), sb = broadcast_partner(sa);
                if (trial & 1) { tl_shape t = sa; sa = sb; sb = t; }
                tl_tensor *a = tl_rand(sa, NULL), *b = tl_rand(sb, NULL);
                if (!ops[k].positive) { a = tl_sub_scalar(tl_mul_scalar(a, 4), 2); b = tl_sub_scalar(tl_mul_scalar(b, 4), 2); }
                else { a = tl_add_scalar(a, 0.5); b = tl_add_scalar(b, 0.5); }
                char what[64];
                snprintf(what, sizeof what, "%s trial %d", ops[k].name, trial);
                assert_same(ops[k].f(a, b), ops[k].f(gpu(a), gpu(b)), 1e-6, what);
            }
        }
    }
}

// int64 and bool operands, type promotion on the GPU (int64 + float32 -> float32), and
// transposed (non-contiguous) views
static void test_binary_dtypes_and_views(void **state) {
    (void)state;
    NEEDS_CUDA();
    tl_manual_seed(3);
    tl_tensor *i = tl_randint(-5, 6, TL_SHAPE(4, 3), NULL), *j = tl_randint(-5, 6, TL_SHAPE(3), NULL);
    tl_tensor *f = tl_rand(TL_SHAPE(3, 4), NULL);
    tl_tensor *m = tl_gt_scalar(i, 0), *n = tl_lt_scalar(j, 2);
    assert_same(tl_add(i, j), tl_add(gpu(i), gpu(j)), 0, "int64 add");
    assert_same(tl_mul(i, j), tl_mul(gpu(i), gpu(j)), 0, "int64 mul");
    assert_same(tl_sub(i, j), tl_sub(gpu(i), gpu(j)), 0, "int64 sub");
    assert_same(tl_div(i, tl_add_scalar(tl_abs(j), 1)), tl_div(gpu(i), gpu(tl_add_scalar(tl_abs(j), 1))), 1e-6, "int64 true division");
    assert_same(tl_add(i, tl_T(f)), tl_add(gpu(i), tl_T(gpu(f))), 1e-6, "int64 + float32 transposed");
    assert_same(tl_add(m, n), tl_add(gpu(m), gpu(n)), 0, "bool add (or)");
    assert_same(tl_mul(m, n), tl_mul(gpu(m), gpu(n)), 0, "bool mul (and)");
    assert_same(tl_eq(i, j), tl_eq(gpu(i), gpu(j)), 0, "int64 eq");
    assert_same(tl_pow_scalar(i, 3), tl_pow_scalar(gpu(i), 3), 0, "int64 pow");
    assert_same(tl_mul(tl_to_dtype(i, TL_FLOAT64), tl_T(f)), tl_mul(gpu(tl_to_dtype(i, TL_FLOAT64)), tl_T(gpu(f))),
                1e-12, "float64 * float32 view");
}

// Python numbers and 0-d CPU tensors join GPU ops as kernel arguments
static void test_scalars(void **state) {
    (void)state;
    NEEDS_CUDA();
    tl_manual_seed(4);
    tl_tensor *x = tl_randn(TL_SHAPE(3, 5), NULL), *i = tl_randint(0, 9, TL_SHAPE(7), NULL);
    assert_same(tl_mul_scalar(x, 2.5), tl_mul_scalar(gpu(x), 2.5), 1e-6, "x * 2.5");
    assert_same(tl_sub_scalar(x, 1), tl_sub_scalar(gpu(x), 1), 1e-6, "x - 1");
    assert_same(tl_div_scalar(i, 2), tl_div_scalar(gpu(i), 2), 1e-6, "int64 / 2");
    assert_same(tl_mul_scalar(i, 2), tl_mul_scalar(gpu(i), 2), 0, "int64 * 2 stays int64");
    assert_same(tl_gt_scalar(x, 0.1), tl_gt_scalar(gpu(x), 0.1), 0, "x > 0.1");
    tl_tensor *s = tl_scalar(3, TL_FLOAT32);   // a 0-d CPU tensor
    assert_same(tl_add(x, s), tl_add(gpu(x), s), 1e-6, "x + 0-d CPU tensor");
    assert_same(tl_add(s, x), tl_add(s, gpu(x)), 1e-6, "0-d CPU tensor + x");
    // numbers no int64 holds: a float number is passed as a double, never cast to an integer
    // (UB in C; run under -fsanitize=float-cast-overflow it stopped the test)
    tl_tensor *xd = tl_to_dtype(x, TL_FLOAT64);
    assert_same(tl_mul_scalar(xd, 1e300), tl_mul_scalar(gpu(xd), 1e300), 1e-12, "x * 1e300");
    assert_same(tl_mul_scalar(x, 1e30), tl_mul_scalar(gpu(x), 1e30), 1e-6, "float32 x * 1e30");
    assert_same(tl_add_scalar(x, NAN), tl_add_scalar(gpu(x), NAN), 0, "x + NaN");
    tl_tensor *nan = tl_scalar(NAN, TL_FLOAT64);
    assert_same(tl_add(xd, nan), tl_add(gpu(xd), nan), 0, "x + 0-d CPU NaN");
}

typedef tl_tensor *(*unary_fn)(const tl_tensor *);

static void test_unary_ops(void **state) {
    (void)state;
    NEEDS_CUDA();
    static const struct { const char *name; unary_fn f; bool positive; } ops[] = {
        { "neg", tl_neg, false }, { "abs", tl_abs, false }, { "relu", tl_relu, false }, { "exp", tl_exp, false },
        { "log", tl_log, true }, { "sqrt", tl_sqrt, true }, { "sigmoid", tl_sigmoid, false }, { "tanh", tl_tanh, false },
    };
    tl_manual_seed(5);
    for (size_t k = 0; k < sizeof ops / sizeof *ops; k++) {
        TL_SCOPE {
            tl_tensor *x = tl_randn(TL_SHAPE(4, 6), NULL);
            if (ops[k].positive) x = tl_add_scalar(tl_abs(x), 0.1);
            assert_same(ops[k].f(x), ops[k].f(gpu(x)), 2e-6, ops[k].name);
            assert_same(ops[k].f(tl_T(x)), ops[k].f(tl_T(gpu(x))), 2e-6, ops[k].name);   // a strided view
        }
    }
    // chapter 04's activations, forward and backward
    tl_tensor *xa = tl_mul_scalar(tl_randn(TL_SHAPE(5, 7), NULL), 2), *ca = tl_clone(xa), *ga = tl_clone(gpu(xa));
    ca->requires_grad = ga->requires_grad = true;
    tl_tensor *xs[2] = { ca, ga }, *ys[2], *w5[2];
    for (int k = 0; k < 2; k++) {
        tl_tensor *x = xs[k];
        ys[k] = tl_add(tl_add(tl_gelu(x, false), tl_gelu(x, true)), tl_add(tl_silu(x), tl_add(tl_leaky_relu(x, 0.1), tl_elu(x, 0.7))));
        tl_tensor *w1 = k ? gpu(tl_tensor_parse("[0.25]")) : tl_tensor_parse("[0.25]");
        w5[k] = tl_clone(k ? gpu(tl_tensor_parse("[0.1, 0.2, 0.3, 0.4, 0.5]")) : tl_tensor_parse("[0.1, 0.2, 0.3, 0.4, 0.5]"));
        w5[k]->requires_grad = true;
        ys[k] = tl_add(ys[k], tl_add(tl_prelu(x, w1), tl_T(tl_prelu(tl_T(x), w5[k]))));   // PReLU: one weight, per channel
        assert_true(tl_backward(tl_sum(ys[k])));
    }
    assert_same(ys[0], ys[1], 1e-5, "GELU + GELU(tanh) + SiLU + LeakyReLU + ELU + PReLU");
    assert_same(ca->grad, ga->grad, 1e-5, "their backward");
    assert_same(w5[0]->grad, w5[1]->grad, 1e-5, "PReLU's weight gradient");
    for (int k = 0; k < 2; k++) {
        w5[k]->requires_grad = false;
        tl_release(w5[k]->grad);
        w5[k]->grad = NULL;
    }
    ca->requires_grad = ga->requires_grad = false;
    tl_release(ca->grad), tl_release(ga->grad);
    ca->grad = ga->grad = NULL;
    tl_tensor *i = tl_randint(-4, 5, TL_SHAPE(9), NULL);
    assert_same(tl_neg(i), tl_neg(gpu(i)), 0, "int64 neg");
    assert_same(tl_abs(i), tl_abs(gpu(i)), 0, "int64 abs");
    assert_same(tl_relu(i), tl_relu(gpu(i)), 0, "int64 relu");
    assert_same(tl_exp(i), tl_exp(gpu(i)), 2e-6, "int64 exp -> float32");
}

// ----------------------------------------------------------------------------
// reductions, softmax, losses

static void test_reductions(void **state) {
    (void)state;
    NEEDS_CUDA();
    tl_manual_seed(6);
    tl_tensor *x = tl_randn(TL_SHAPE(3, 4, 5), NULL), *g = gpu(x);
    assert_same(tl_sum(x), tl_sum(g), 1e-6, "sum");
    assert_same(tl_mean(x), tl_mean(g), 1e-6, "mean");
    for (int d = -3; d < 3; d++) {
        assert_same(tl_sum_dim(x, d, false), tl_sum_dim(g, d, false), 1e-6, "sum(dim)");
        assert_same(tl_mean_dim(x, d, true), tl_mean_dim(g, d, true), 1e-6, "mean(dim, keepdim)");
        tl_tensor *ci = NULL, *gi = NULL;
        TL_NO_GRAD {
            assert_same(tl_max_dim(x, d, false, &ci), tl_max_dim(g, d, false, &gi), 0, "max(dim)");
            assert_same(ci, gi, 0, "max(dim) indices");
            assert_same(tl_min_dim(x, d, true, NULL), tl_min_dim(g, d, true, NULL), 0, "min(dim)");
        }
        assert_same(tl_argmax_dim(x, d, false), tl_argmax_dim(g, d, false), 0, "argmax(dim)");
    }
    assert_same(tl_max(x), tl_max(g), 0, "max");
    // where, broadcasting its three operands; and max's backward, which uses it
    tl_tensor *cond = tl_gt_scalar(tl_randn(TL_SHAPE(4, 1), NULL), 0), *other = tl_randn(TL_SHAPE(5), NULL);
    assert_same(tl_where(cond, x, other), tl_where(gpu(cond), g, gpu(other)), 0, "where");
    assert_same(tl_where(cond, x, tl_number(0)), tl_where(gpu(cond), g, tl_number(0)), 0, "where with a number");
    tl_tensor *xc = tl_clone(x), *xg = tl_clone(g);
    xc->requires_grad = xg->requires_grad = true;
    assert_true(tl_backward(tl_max(xc)) && tl_backward(tl_max(xg)));
    assert_same(xc->grad, xg->grad, 0, "max backward");
    for (int d = 0; d < 3; d++) {   // max(dim) and std(dim), forward and backward
        tl_tensor *lc = tl_add(tl_sum(tl_max_dim(xc, d, d == 1, NULL)), tl_sum(tl_std_dim(xc, d, d == 2)));
        tl_tensor *lg = tl_add(tl_sum(tl_max_dim(xg, d, d == 1, NULL)), tl_sum(tl_std_dim(xg, d, d == 2)));
        assert_same(lc, lg, 1e-5, "max(dim) + std(dim)");
        assert_true(tl_backward(lc) && tl_backward(lg));
        assert_same(xc->grad, xg->grad, 1e-5, "max(dim) + std(dim) backward");
    }
    assert_same(tl_std(x), tl_std(g), 1e-5, "std");
    // index_select along each dim, with a repeated index (the rule adds), forward and backward;
    // a bad index is reported at the next wait for the device
    tl_tensor *ix = tl_tensor_parse("[2, 0, 2]");
    tl_tensor *xi = tl_clone(x), *gi = tl_clone(g);
    xi->requires_grad = gi->requires_grad = true;
    for (int d = 0; d < 3; d++) {
        tl_tensor *rc = tl_index_select(xi, d, ix), *rg = tl_index_select(gi, d, gpu(ix));
        assert_same(rc, rg, 0, "index_select");
        assert_true(tl_backward(tl_sum(tl_mul(rc, rc))) && tl_backward(tl_sum(tl_mul(rg, rg))));
        assert_same(xi->grad, gi->grad, 1e-5, "index_select backward");
    }
    tl_tensor *sx = tl_tensor_parse("[1, 9, 0]");   // [1, 0] with stride 2
    assert_same(tl_index_select(x, 1, tl_slice(sx, 0, 0, 3, 2)), tl_index_select(g, 1, tl_slice(gpu(sx), 0, 0, 3, 2)),
                0, "index_select with a strided index");
    xi->requires_grad = gi->requires_grad = false;
    tl_release(xi->grad), tl_release(gi->grad);
    xi->grad = gi->grad = NULL;
    tl_tensor *badsel = tl_index_select(g, 0, gpu(tl_tensor_parse("[0, 7]")));
    assert_non_null(badsel);
    assert_true(isnan(tl_item(tl_sum(badsel))));
    expect_error("index out of range in self");
    // masked_select with a broadcast mask, forward and backward
    tl_tensor *mk = tl_gt_scalar(tl_randn(TL_SHAPE(4, 1), NULL), 0);
    tl_tensor *mc = tl_clone(x), *mg = tl_clone(g);
    mc->requires_grad = mg->requires_grad = true;
    tl_tensor *sel_c = tl_masked_select(mc, mk), *sel_g = tl_masked_select(mg, gpu(mk));
    assert_same(sel_c, sel_g, 0, "masked_select");
    assert_string_equal(tl_node_name(sel_g->grad_fn), "MaskedSelectBackward0");
    assert_true(tl_backward(tl_sum(tl_mul(sel_c, sel_c))) && tl_backward(tl_sum(tl_mul(sel_g, sel_g))));
    assert_same(mc->grad, mg->grad, 1e-5, "masked_select backward");
    mc->requires_grad = mg->requires_grad = false;
    tl_release(mc->grad), tl_release(mg->grad);
    mc->grad = mg->grad = NULL;
    // cat and stack (dtypes promote; an empty 1-D tensor is skipped by cat), forward and backward
    tl_tensor *ia = tl_randint(0, 5, TL_SHAPE(3, 2), NULL), *fb = tl_randn(TL_SHAPE(3, 4), NULL), *e0 = tl_empty(TL_SHAPE(0), TL_FLOAT32);
    assert_same(tl_cat(TL_LIST(ia, fb, e0), 1), tl_cat(TL_LIST(gpu(ia), gpu(fb), gpu(e0)), 1), 0, "cat");
    assert_same(tl_stack(TL_LIST(fb, tl_T(tl_T(fb)), fb), 1), tl_stack(TL_LIST(gpu(fb), tl_T(tl_T(gpu(fb))), gpu(fb)), 1), 0, "stack");
    tl_tensor *sc = tl_clone(fb), *sg = tl_clone(gpu(fb));
    sc->requires_grad = sg->requires_grad = true;
    tl_tensor *xs[2] = { sc, sg };
    for (int k = 0; k < 2; k++) {
        tl_tensor *st = tl_stack(TL_LIST(xs[k], tl_mul_scalar(xs[k], 2)), 0);                      // (2, 3, 4)
        tl_tensor *ct = tl_reshape(tl_cat(TL_LIST(xs[k], tl_exp(xs[k])), 0), TL_SHAPE(2, 3, 4));   // (6, 4) -> (2, 3, 4)
        assert_true(tl_backward(tl_sum(tl_mul(st, ct))));
    }
    assert_same(sc->grad, sg->grad, 1e-5, "cat and stack backward");
    sc->requires_grad = sg->requires_grad = false;
    tl_release(sc->grad), tl_release(sg->grad);
    sc->grad = sg->grad = NULL;
    xc->requires_grad = xg->requires_grad = false;
    tl_release(xc->grad), tl_release(xg->grad);
    xc->grad = xg->grad = NULL;
    assert_same(tl_argmax(x), tl_argmax(g), 0, "argmax");
    assert_same(tl_sum(tl_T(tl_sum_dim(x, 0, false))), tl_sum(tl_T(tl_sum_dim(g, 0, false))), 1e-6, "sum of a view");
    tl_tensor *i = tl_randint(0, 100, TL_SHAPE(1000), NULL);
    assert_same(tl_sum(i), tl_sum(gpu(i)), 0, "int64 sum");
    assert_same(tl_sum(tl_gt_scalar(i, 50)), tl_sum(gpu(tl_gt_scalar(i, 50))), 0, "bool sum");
    tl_tensor *big = tl_rand(TL_SHAPE(100000), NULL);   // many threads per block, a long reduction
    assert_same(tl_sum(big), tl_sum(gpu(big)), 1e-6, "sum of 100000");
}

static void test_softmax(void **state) {
    (void)state;
    NEEDS_CUDA();
    tl_manual_seed(7);
    tl_tensor *x = tl_mul_scalar(tl_randn(TL_SHAPE(3, 4, 5), NULL), 3);
    for (int d = 0; d < 3; d++) {
        assert_same(tl_softmax(x, d), tl_softmax(gpu(x), d), 1e-6, "softmax");
        assert_same(tl_log_softmax(x, d), tl_log_softmax(gpu(x), d), 1e-6, "log_softmax");
    }
    tl_tensor *wide = tl_randn(TL_SHAPE(2, 1000), NULL);   // a row longer than a block
    assert_same(tl_log_softmax(wide, 1), tl_log_softmax(gpu(wide), 1), 1e-6, "log_softmax, 1000 classes");
}

static void test_losses(void **state) {
    (void)state;
    NEEDS_CUDA();
    tl_manual_seed(9);
    tl_tensor *logits = tl_randn(TL_SHAPE(8, 5), NULL), *labels = tl_randint(0, 5, TL_SHAPE(8), NULL);
    assert_same(tl_cross_entropy(logits, labels), tl_cross_entropy(gpu(logits), gpu(labels)), 1e-6, "cross_entropy");
    assert_same(tl_nll_loss(logits, labels), tl_nll_loss(gpu(logits), gpu(labels)), 1e-6, "nll_loss");
    // mse_loss, forward and backward, the direct and the broadcast path
    tl_tensor *p = tl_randn(TL_SHAPE(4, 3), NULL), *q = tl_randn(TL_SHAPE(4, 3), NULL), *r = tl_randn(TL_SHAPE(3), NULL);
    tl_tensor *cp = tl_clone(p), *gp = tl_clone(gpu(p));
    cp->requires_grad = gp->requires_grad = true;
    tl_tensor *lc = tl_add(tl_mse_loss(cp, q), tl_mse_loss(cp, r)), *lg = tl_add(tl_mse_loss(gp, gpu(q)), tl_mse_loss(gp, gpu(r)));
    assert_same(lc, lg, 1e-6, "mse_loss");
    assert_string_equal(tl_node_name(tl_mse_loss(gp, gpu(q))->grad_fn), "MseLossBackward0");
    assert_true(tl_backward(lc) && tl_backward(lg));
    assert_same(cp->grad, gp->grad, 1e-6, "mse_loss backward");
    cp->requires_grad = gp->requires_grad = false;
    tl_release(cp->grad), tl_release(gp->grad);
    cp->grad = gp->grad = NULL;
    // binary_cross_entropy, with an exact 0 and 1 (the clamped logarithms), forward and backward
    tl_tensor *pa = tl_tensor_parse("[0.2, 0.9, 0.0, 1.0, 0.5]"), *py = tl_tensor_parse("[0., 1., 1., 0., 0.5]");
    tl_tensor *ac = tl_clone(pa), *ag = tl_clone(gpu(pa));
    ac->requires_grad = ag->requires_grad = true;
    tl_tensor *bc = tl_binary_cross_entropy(ac, py), *bg = tl_binary_cross_entropy(ag, gpu(py));
    assert_same(bc, bg, 1e-6, "binary_cross_entropy");
    assert_true(tl_backward(bc) && tl_backward(bg));
    assert_same(ac->grad, ag->grad, 1e-5, "binary_cross_entropy backward");
    ac->requires_grad = ag->requires_grad = false;
    tl_release(ac->grad), tl_release(ag->grad);
    ac->grad = ag->grad = NULL;
    assert_null(tl_binary_cross_entropy(gpu(tl_tensor_parse("[1.5]")), gpu(tl_tensor_parse("[1.]"))));
    expect_error("all elements of input should be between 0 and 1");
    // a bad target: found by the kernel, reported at the next wait for the device, then forgotten
    tl_tensor *bad = tl_nll_loss(gpu(logits), gpu(tl_tensor_parse("[0, 1, 2, 3, 4, 5, 0, 1]")));
    assert_non_null(bad);
    assert_true(isnan(tl_item(bad)));
    expect_error("Target 5 is out of bounds.");
    assert_false(isnan(tl_item(tl_nll_loss(gpu(logits), gpu(labels)))));
    assert_null(tl_error());
}

// ----------------------------------------------------------------------------
// matrix products

static void test_matmul_shapes(void **state) {
    (void)state;
    NEEDS_CUDA();
    tl_manual_seed(10);
    static const struct { tl_shape a, b; } cases[] = {
        { { 1, { 7 } }, { 1, { 7 } } },                    // dot
        { { 2, { 3, 7 } }, { 2, { 7, 4 } } },              // mm
        { { 2, { 3, 7 } }, { 1, { 7 } } },                 // mv
        { { 1, { 7 } }, { 2, { 7, 4 } } },                 // vector @ matrix
        { { 3, { 2, 3, 7 } }, { 2, { 7, 4 } } },           // batch folded into rows
        { { 3, { 2, 3, 7 } }, { 3, { 2, 7, 4 } } },        // bmm
        { { 4, { 2, 1, 3, 7 } }, { 3, { 5, 7, 4 } } },     // broadcast batch dims
        { { 3, { 2, 3, 7 } }, { 1, { 7 } } },              // batch @ vector
        { { 1, { 7 } }, { 3, { 2, 7, 4 } } },              // vector @ batch
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        TL_SCOPE {
            tl_tensor *a = tl_randn(cases[k].a, NULL), *b = tl_randn(cases[k].b, NULL);
            char what[32];
            snprintf(what, sizeof what, "matmul case %zu", k);
            assert_same(tl_matmul(a, b), tl_matmul(gpu(a), gpu(b)), 1e-5, what);
            tl_tensor *a64 = tl_to_dtype(a, TL_FLOAT64), *b64 = tl_to_dtype(b, TL_FLOAT64);
            assert_same(tl_matmul(a64, b64), tl_matmul(gpu(a64), gpu(b64)), 1e-12, what);
        }
    }
    tl_tensor *a = tl_randn(TL_SHAPE(5, 3), NULL), *b = tl_randn(TL_SHAPE(4, 5), NULL);
    assert_same(tl_mm(tl_T(a), tl_T(b)), tl_mm(tl_T(gpu(a)), tl_T(gpu(b))), 1e-5, "mm of transposed views");
    tl_tensor *s = tl_slice(tl_randn(TL_SHAPE(6, 8), NULL), 1, 0, 8, 2);   // strides (8, 2): neither layout
    assert_same(tl_mm(s, tl_T(s)), tl_mm(gpu(s), tl_T(gpu(s))), 1e-5, "mm of a strided slice");
    tl_tensor *p = tl_randn(TL_SHAPE(3, 2, 5), NULL), *q = tl_randn(TL_SHAPE(3, 5, 4), NULL);
    assert_same(tl_bmm(p, q), tl_bmm(gpu(p), gpu(q)), 1e-5, "bmm");
    assert_null(tl_matmul(gpu(tl_tensor_parse("[[1, 2]]")), gpu(tl_tensor_parse("[[1], [2]]"))));
    assert_string_equal(tl_error(), "\"addmm_cuda\" not implemented for 'Long'");
    tl_error_clear();
}

static void test_addmm(void **state) {
    (void)state;
    NEEDS_CUDA();
    tl_manual_seed(11);
    tl_tensor *x = tl_randn(TL_SHAPE(6, 5), NULL), *w = tl_randn(TL_SHAPE(4, 5), NULL);
    tl_tensor *biases[] = { tl_randn(TL_SHAPE(4), NULL), tl_randn(TL_SHAPE(1, 4), NULL), tl_randn(TL_SHAPE(6, 4), NULL),
                            tl_randn(TL_SHAPE(6, 1), NULL) };
    for (int k = 0; k < 4; k++)
        assert_same(tl_addmm(biases[k], x, tl_T(w)), tl_addmm(gpu(biases[k]), gpu(x), tl_T(gpu(w))), 1e-5, "addmm");
}

// ----------------------------------------------------------------------------
// backward: one graph through the ops of a training step, gradients compared

static void test_backward_matches_cpu(void **state) {
    (void)state;
    NEEDS_CUDA();
    tl_manual_seed(12);
    tl_tensor *x[2], *w[2], *b[2], *y = tl_randint(0, 3, TL_SHAPE(6), NULL);
    tl_tensor *x0 = tl_randn(TL_SHAPE(6, 4), NULL), *w0 = tl_randn(TL_SHAPE(3, 4), NULL), *b0 = tl_randn(TL_SHAPE(3), NULL);
    for (int dev = 0; dev < 2; dev++) {
        x[dev] = tl_clone(dev ? gpu(x0) : x0);
        w[dev] = tl_clone(dev ? gpu(w0) : w0);
        b[dev] = tl_clone(dev ? gpu(b0) : b0);
        x[dev]->requires_grad = w[dev]->requires_grad = b[dev]->requires_grad = true;
        const tl_tensor *labels = dev ? gpu(y) : y;
        tl_tensor *h = tl_addmm(b[dev], x[dev], tl_T(w[dev]));                           // Linear
        tl_tensor *z = tl_add(tl_relu(h), tl_mul(tl_sigmoid(h), tl_tanh(h)));           // element-wise rules
        z = tl_add(z, tl_div(tl_exp(tl_mul_scalar(h, 0.1)), tl_sqrt(tl_add_scalar(tl_abs(h), 1))));
        z = tl_sub(z, tl_mean_dim(tl_log(tl_add_scalar(tl_mul(h, h), 1)), 1, true));     // broadcast, reduction
        tl_tensor *loss = tl_add(tl_cross_entropy(z, labels), tl_mul_scalar(tl_sum(tl_softmax(z, 0)), 0.01));
        assert_true(tl_backward(loss));
    }
    assert_same(x[0]->grad, x[1]->grad, 1e-5, "dx");
    assert_same(w[0]->grad, w[1]->grad, 1e-5, "dW");
    assert_same(b[0]->grad, b[1]->grad, 1e-5, "db (sum_to_size)");
    for (int dev = 0; dev < 2; dev++) {
        x[dev]->requires_grad = w[dev]->requires_grad = b[dev]->requires_grad = false;
        tl_release(x[dev]->grad), tl_release(w[dev]->grad), tl_release(b[dev]->grad);
        x[dev]->grad = w[dev]->grad = b[dev]->grad = NULL;
    }
}

// gradients flow back across .to: a CPU leaf, a GPU computation
static void test_to_is_differentiable(void **state) {
    (void)state;
    NEEDS_CUDA();
    tl_tensor *x = tl_tensor_parse("[1., 2., 3.]");
    x->requires_grad = true;
    tl_tensor *g = tl_to(x, "cuda");
    assert_string_equal(tl_node_name(g->grad_fn), "ToCopyBackward0");
    assert_true(tl_backward(tl_sum(tl_mul(g, g))));
    assert_false(tl_is_cuda(x->grad));
    assert_same(tl_tensor_parse("[2., 4., 6.]"), gpu(x->grad), 0, "d/dx sum(x^2) through .to");
    x->requires_grad = false;
    tl_release(x->grad);
    x->grad = NULL;
}

// ----------------------------------------------------------------------------
// copies, printing, the allocator

static void test_copies_and_printing(void **state) {
    (void)state;
    NEEDS_CUDA();
    tl_tensor *t = tl_tensor_parse("[1., 2., 3.]"), *u = tl_tensor_parse("[4., 5., 6.]");
    tl_tensor *s = tl_add(gpu(t), gpu(u));
    assert_string_equal(tl_repr(s), "tensor([5., 7., 9.], device='cuda:0')");          // 000:876
    tl_tensor *d = tl_to_dtype(gpu(t), TL_FLOAT64);
    d->requires_grad = true;
    assert_string_equal(tl_repr(d), "tensor([1., 2., 3.], device='cuda:0', dtype=torch.float64, requires_grad=True)");
    d->requires_grad = false;
    assert_null(tl_add(t, gpu(u)));
    expect_error("Expected all tensors to be on the same device, but found at least two devices, "
                                    "cuda:0 and cpu!");
    // every dtype there and back; a non-contiguous source; item, get, set; the _like functions
    const char *lits[] = { "[[True, False], [False, True]]", "[[1, -2], [3, 9000000000000000001]]",
                           "[[1.5, -2.25], [3., 4.]]" };
    for (int k = 0; k < 3; k++) {
        tl_tensor *c = tl_tensor_parse(lits[k]);
        assert_same(c, gpu(c), 0, "round trip");
        assert_same(tl_T(c), tl_contiguous(tl_T(gpu(c))), 0, "contiguous of a view");
        assert_same(tl_reshape(tl_T(c), TL_SHAPE(4)), tl_reshape(tl_T(gpu(c)), TL_SHAPE(4)), 0, "reshape copy");
        assert_same(tl_to_dtype(c, TL_FLOAT32), tl_to_dtype(gpu(c), TL_FLOAT32), 0, "to float32");
        assert_same(tl_clone(c), tl_clone(gpu(c)), 0, "clone");
    }
    tl_tensor *g = gpu(tl_tensor_parse("[[1., 2.], [3., 4.]]"));
    assert_true(tl_get(g, TL_SHAPE(1, 0)) == 3.0);
    assert_true(tl_set(g, TL_SHAPE(1, 0), 7.5));
    assert_true(tl_item(tl_sum(g)) == 14.5);
    assert_true(tl_is_cuda(tl_ones_like(g)) && tl_item(tl_sum(tl_ones_like(g))) == 4.0);
    assert_true(tl_is_cuda(tl_zeros_like(g)) && tl_item(tl_sum(tl_zeros_like(g))) == 0.0);
    assert_true(tl_copy_(g, tl_tensor_parse("[[9., 8.], [7., 6.]]")) == g);    // copy_ across devices
    assert_true(tl_get(g, TL_SHAPE(0, 1)) == 8.0);
    assert_true(tl_add_(g, tl_scalar(1, TL_FLOAT32)) == g);
    assert_true(tl_get(g, TL_SHAPE(1, 1)) == 7.0);
}

// the emulation's allocation failures (tests/mock/mock_cuda.c); NULL in a build on a real GPU
extern int tl_mock_malloc_failures __attribute__((weak));

// index_select with a 0-d CPU index beside a GPU input
static void test_index_select_with_a_cpu_index(void **state) {
    (void)state;
    NEEDS_CUDA();
    tl_tensor *c = tl_arange_dtype(0, 33, 1, TL_FLOAT32), *t = gpu(c);
    tl_tensor *i = tl_scalar(5, TL_INT64);
    assert_same(tl_index_select(c, 0, i), tl_index_select(t, 0, i), 0, "index_select, a CPU index");
    if (&tl_mock_malloc_failures) {       // the index fails to reach the GPU: an error, not a crash
        tl_mock_malloc_failures = 1;
        assert_null(tl_index_select(t, 0, i));
        tl_mock_malloc_failures = 0;
        expect_error("CUDA out of memory");
    }
}

// masked_select with a 0-d CPU mask beside a GPU input
static void test_masked_select_with_a_cpu_mask(void **state) {
    (void)state;
    NEEDS_CUDA();
    tl_tensor *c = tl_arange_dtype(0, 33, 1, TL_FLOAT32), *t = tl_clone(gpu(c));
    // a 0-d CPU mask is expanded (stride 0) over all 33 elements: read once, not past its end
    tl_tensor *yes = tl_scalar(1, TL_BOOL), *no = tl_scalar(0, TL_BOOL);
    t->requires_grad = true;
    tl_tensor *s = tl_masked_select(t, yes);
    assert_same(tl_masked_select(c, yes), s, 0, "masked_select, mask True");
    assert_true(tl_backward(tl_sum(s)));
    assert_same(tl_ones_like(c), t->grad, 0, "masked_select's gradient, mask True");
    assert_int_equal(tl_numel(tl_masked_select(t, no)), 0);
    t->requires_grad = false;
}

// in-place ops between the devices: add_ keeps the same-device rule even for a 0-d CPU destination
// (it is where the result goes, not a number; it used to recurse without end); copy_ crosses
static void test_inplace_across_devices(void **state) {
    (void)state;
    NEEDS_CUDA();
    tl_tensor *c0 = tl_scalar(1, TL_FLOAT32), *g0 = gpu(tl_scalar(2, TL_FLOAT32));
    assert_null(tl_add_(c0, g0));
    expect_error("Expected all tensors to be on the same device, but found at least two devices, "
                 "cuda:0 and cpu!");
    assert_null(tl_add_(tl_tensor_parse("[1., 2.]"), gpu(tl_tensor_parse("[3., 4.]"))));
    expect_error("Expected all tensors to be on the same device, but found at least two devices, "
                 "cuda:0 and cpu!");
    assert_null(tl_add_(gpu(tl_tensor_parse("[1., 2.]")), tl_tensor_parse("[3., 4.]")));
    expect_error("Expected all tensors to be on the same device, but found at least two devices, "
                 "cuda:0 and cpu!");
    assert_true(tl_add_(g0, c0) == g0);                                     // a CPU number joins
    assert_true(tl_item(g0) == 3.0);
    assert_true(tl_copy_(c0, g0) == c0);                                    // copy_ crosses devices
    assert_true(tl_item(c0) == 3.0);
    tl_tensor *c = tl_zeros(TL_SHAPE(2, 2), TL_FLOAT64);
    assert_true(tl_copy_(c, gpu(tl_tensor_parse("[1., 2.]"))) == c);
    assert_string_equal(tl_repr(c), "tensor([[1., 2.],\n        [1., 2.]], dtype=torch.float64)");
}

// a training step allocates what the previous one freed: no cudaMalloc after the first step
static void test_allocator_reuses_blocks(void **state) {
    (void)state;
    NEEDS_CUDA();
    tl_manual_seed(123);
    tl_module *model = tl_sequential_new(3, tl_linear_new(784, 256, true), tl_relu_new(), tl_linear_new(256, 10, true));
    assert_true(tl_module_to(model, "cuda"));
    tl_sgd *opt = tl_sgd_new(model, (tl_sgd_options){ .lr = 0.1, .momentum = 0.9 });
    tl_tensor *x = gpu(tl_randn(TL_SHAPE(64, 784), NULL)), *y = gpu(tl_randint(0, 10, TL_SHAPE(64), NULL));
    int64_t calls = 0;
    size_t allocated = 0;
    for (int step = 0; step < 10; step++) {
        TL_SCOPE {
            tl_tensor *loss = tl_cross_entropy(tl_module_forward(model, x), y);
            tl_sgd_zero_grad(opt);
            assert_true(tl_backward(loss));
            assert_true(tl_sgd_step(opt));
        }
        if (step == 1) { calls = tl_cuda_memory().malloc_calls; allocated = tl_cuda_memory().allocated; }
    }
    assert_int_equal(tl_cuda_memory().malloc_calls, calls);
    assert_int_equal(tl_cuda_memory().allocated, allocated);   // flat memory: nothing leaks step to step
    tl_sgd_free(opt);
    tl_module_free(model);
}

// SGD's update on the GPU, every option, against the CPU
static void test_sgd_matches_cpu(void **state) {
    (void)state;
    NEEDS_CUDA();
    tl_sgd_options opts[] = { { .lr = 0.5 }, { .lr = 0.1, .momentum = 0.9 }, { .lr = 0.1, .momentum = 0.9, .nesterov = true },
                              { .lr = 0.1, .momentum = 0.5, .dampening = 0.3, .weight_decay = 0.01 } };
    for (int k = 0; k < 4; k++) {
        tl_tensor *w[2];
        tl_manual_seed(13);
        tl_tensor *w0 = tl_randn(TL_SHAPE(5, 3), NULL), *g0 = tl_randn(TL_SHAPE(5, 3), NULL);
        tl_sgd *opt[2];
        for (int dev = 0; dev < 2; dev++) {
            w[dev] = tl_clone(dev ? gpu(w0) : w0);
            w[dev]->requires_grad = true;
            w[dev]->grad = tl_retain(tl_clone(dev ? gpu(g0) : g0));
            opt[dev] = tl_sgd_new_params(&w[dev], 1, opts[k]);
            for (int step = 0; step < 3; step++) assert_true(tl_sgd_step(opt[dev]));
        }
        assert_same(w[0], w[1], 1e-6, "SGD");
        for (int dev = 0; dev < 2; dev++) {
            tl_sgd_free(opt[dev]);
            w[dev]->requires_grad = false;
            tl_release(w[dev]->grad);
            w[dev]->grad = NULL;
        }
    }
}

// modules built from ops run on the GPU: BatchNorm1d (training and eval), Dropout (its noise is drawn
// on the CPU by the same generator, so the GPU result equals the CPU one), Sigmoid/Tanh/Softmax
static void test_layers_on_gpu(void **state) {
    (void)state;
    NEEDS_CUDA();
    tl_module *m[2];
    tl_tensor *out[2][2];
    tl_manual_seed(14);
    tl_tensor *x = tl_randn(TL_SHAPE(8, 6), NULL);
    for (int dev = 0; dev < 2; dev++) {
        tl_manual_seed(15);
        m[dev] = tl_sequential_new(0);
        tl_sequential_append(m[dev], tl_linear_new(6, 5, true));
        tl_sequential_append(m[dev], tl_batchnorm1d_new(5));
        tl_sequential_append(m[dev], tl_tanh_new());
        tl_sequential_append(m[dev], tl_dropout_new(0.3));
        tl_sequential_append(m[dev], tl_sigmoid_new());
        tl_sequential_append(m[dev], tl_softmax_new(1));
        if (dev) assert_true(tl_module_to(m[dev], "cuda"));
        tl_manual_seed(16);
        tl_module_train(m[dev], true);
        out[dev][0] = tl_module_forward(m[dev], dev ? gpu(x) : x);
        tl_module_eval(m[dev]);
        out[dev][1] = tl_module_forward(m[dev], dev ? gpu(x) : x);
    }
    assert_same(out[0][0], out[1][0], 1e-5, "training forward (batch norm, dropout)");
    assert_same(out[0][1], out[1][1], 1e-5, "eval forward (running statistics)");
    assert_same(tl_module_param(m[0], "1.weight"), tl_module_param(m[1], "1.weight"), 0, "BatchNorm1d weight");
    tl_named_tensor *s0, *s1;
    int n0 = tl_module_state(m[0], &s0), n1 = tl_module_state(m[1], &s1);
    assert_int_equal(n0, n1);
    for (int i = 0; i < n0; i++) assert_same(s0[i].tensor, s1[i].tensor, 1e-5, s0[i].name);   // running stats, count
    tl_module_free(m[0]);
    tl_module_free(m[1]);
}

// ----------------------------------------------------------------------------
// the tutorial's run (§9.2) on the GPU: chapter 06's losses, with model.to(device) after
// the optimizer was made (its parameters move in place)

static void test_tutorial_training_run_on_gpu(void **state) {
    (void)state;
    NEEDS_CUDA();
    tl_tensor *X = tl_tensor_parse(TUTORIAL_X_TRAIN);
    tl_tensor *y = tl_tensor_parse(TUTORIAL_Y_TRAIN);
    static const char *printed[6] = { "0.75", "0.65", "0.44", "0.13", "0.03", "0.00" };   // 000:938-943
    tl_manual_seed(123);
    tl_module *model = neural_network_new(2, 2);
    tl_sgd *opt = tl_sgd_new(model, (tl_sgd_options){ .lr = 0.5 });
    assert_true(tl_module_to(model, "cuda"));
    for (int b = 0; b < 6; b++) {
        TL_SCOPE {
            tl_tensor *idx = tl_from_data(tutorial_batches[b], TL_SHAPE(2), TL_INT64);
            tl_tensor *features = gpu(tl_index_select(X, 0, idx)), *labels = gpu(tl_index_select(y, 0, idx));
            tl_tensor *loss = tl_cross_entropy(tl_module_forward(model, features), labels);
            assert_non_null(loss);
            assert_true(tl_is_cuda(loss));
            tl_sgd_zero_grad(opt);
            assert_true(tl_backward(loss));
            assert_true(tl_sgd_step(opt));
            char text[16];
            snprintf(text, sizeof text, "%.2f", tl_item(loss));
            assert_string_equal(text, printed[b]);
            assert_true(fabs(tl_item(loss) - tutorial_losses[b]) < 1e-5);
        }
    }
    assert_true(tl_module_to(model, "cpu"));
    tl_tensor *w = tl_module_param(model, "layers.0.weight");
    assert_false(tl_is_cuda(w));
    tl_sgd_free(opt);
    tl_module_free(model);
}

// "cuda:1": ops run on the second GPU, tensors move between GPUs, and mixing them is an error
static void test_second_gpu(void **state) {
    (void)state;
    NEEDS_CUDA();
    if (tl_cuda_device_count() < 2) {
        print_message("skipped: needs two CUDA devices (this machine has %d)\n", tl_cuda_device_count());
        skip();
    }
    tl_tensor *t = tl_tensor_parse("[1., 2., 3.]");
    tl_tensor *a = tl_to(t, "cuda:1"), *b = tl_to(gpu(t), "cuda:1");
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->storage->device.index, 1);
    tl_tensor *c = tl_add(a, b);
    assert_string_equal(tl_repr(c), "tensor([2., 4., 6.], device='cuda:1')");
    assert_same(tl_matmul(tl_tensor_parse("[[1., 2.], [3., 4.]]"), tl_tensor_parse("[[5.], [6.]]")),
                tl_to(tl_matmul(tl_to(tl_tensor_parse("[[1., 2.], [3., 4.]]"), "cuda:1"),
                                tl_to(tl_tensor_parse("[[5.], [6.]]"), "cuda:1")), "cuda:0"), 1e-6, "matmul on cuda:1");
    assert_null(tl_add(gpu(t), a));
    expect_error("Expected all tensors to be on the same device, but found at least two devices, "
                                    "cuda:0 and cuda:1!");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_binary_ops_broadcast, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary_dtypes_and_views, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scalars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unary_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reductions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_softmax, setup, teardown),
        cmocka_unit_test_setup_teardown(test_losses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_matmul_shapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_addmm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backward_matches_cpu, setup, teardown),
        cmocka_unit_test_setup_teardown(test_to_is_differentiable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copies_and_printing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inplace_across_devices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_select_with_a_cpu_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_masked_select_with_a_cpu_mask, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allocator_reuses_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sgd_matches_cpu, setup, teardown),
        cmocka_unit_test_setup_teardown(test_layers_on_gpu, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_gpu, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tutorial_training_run_on_gpu, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
