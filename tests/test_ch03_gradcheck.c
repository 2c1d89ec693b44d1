// test_ch03_gradcheck.c — every differentiable op of chapters 01-03 against central finite
// differences in float64 (tests/gradcheck.h): random shapes, broadcasting, keepdim, negative
// dims, and compositions. Seeded with srand, so a failure reproduces.
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

// the parameters of one case: dims, flags, a number, a constant tensor
typedef struct {
    int64_t i[8];
    double x;
    tl_tensor *c;              // a constant operand (mask, index, condition), or NULL
} params;

enum { RANDN, POSITIVE };      // how inputs are drawn: +-[0.1, 2), or [0.5, 2)

// one check: n float64 inputs of the given shapes, all requiring grad
static void check_case(const char *what, tl_gradcheck_fn fn, params *p, int n, const tl_shape *shapes, int kind) {
    int64_t live = tl_live_tensors();
    TL_SCOPE {
        tl_tensor *in[4];
        for (int k = 0; k < n; k++) {
            in[k] = kind == POSITIVE ? gc_uniform(shapes[k], 0.5, 2.0) : gc_randn(shapes[k]);
            tl_requires_grad_(in[k], true);
        }
        char why[512];
        bool ok = tl_gradcheck(fn, in, n, p, EPS, TOL, why, sizeof why);
        if (!ok) fail_msg("%s: %s", what, why);
    }
    if (p && p->c) { tl_release(p->c); p->c = NULL; }
    assert_int_equal(tl_live_tensors(), live);     // nothing leaked by forward + backward
}

#define S(...) TL_SHAPE(__VA_ARGS__)
#define CHECK1(what, fn, p, s0, kind) do { tl_shape sh_[1] = { s0 }; check_case(what, fn, p, 1, sh_, kind); } while (0)
#define CHECK2(what, fn, p, s0, s1, kind) do { tl_shape sh_[2] = { s0, s1 }; check_case(what, fn, p, 2, sh_, kind); } while (0)
#define CHECK3(what, fn, p, s0, s1, s2, kind) do { tl_shape sh_[3] = { s0, s1, s2 }; check_case(what, fn, p, 3, sh_, kind); } while (0)

// a retained constant made in the caller's pool (released by check_case)
static tl_tensor *keep(tl_tensor *t) { return tl_retain(t); }

// ----------------------------------------------------------------------------
// element-wise, two operands, with broadcasting
static tl_tensor *f_add(tl_tensor *const *x, void *c) { (void)c; return tl_add(x[0], x[1]); }
static tl_tensor *f_sub(tl_tensor *const *x, void *c) { (void)c; return tl_sub(x[0], x[1]); }
static tl_tensor *f_mul(tl_tensor *const *x, void *c) { (void)c; return tl_mul(x[0], x[1]); }
static tl_tensor *f_div(tl_tensor *const *x, void *c) { (void)c; return tl_div(x[0], x[1]); }
static tl_tensor *f_pow(tl_tensor *const *x, void *c) { (void)c; return tl_pow(x[0], x[1]); }
static tl_tensor *f_maximum(tl_tensor *const *x, void *c) { (void)c; return tl_maximum(x[0], x[1]); }
static tl_tensor *f_minimum(tl_tensor *const *x, void *c) { (void)c; return tl_minimum(x[0], x[1]); }

static void test_binary(void **state) {
    (void)state;
    srand(301);
    static const struct { const char *name; tl_gradcheck_fn fn; int kind; } ops[] = {
        { "add", f_add, RANDN }, { "sub", f_sub, RANDN }, { "mul", f_mul, RANDN }, { "div", f_div, RANDN },
        { "pow", f_pow, POSITIVE }, { "maximum", f_maximum, RANDN }, { "minimum", f_minimum, RANDN },
    };
    const tl_shape pairs[][2] = {
        { S(2, 3), S(2, 3) }, { S(2, 3), S(3) }, { S(3), S(2, 3) }, { S(4, 1, 3), S(2, 1) },
        { TL_SCALAR_SHAPE, S(2, 3) }, { S(3, 1), S(1, 4) }, { S(2, 3), S(1) },
    };
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
        for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
            char what[64];
            snprintf(what, sizeof what, "%s case %zu", ops[o].name, k);
            CHECK2(what, ops[o].fn, NULL, pairs[k][0], pairs[k][1], ops[o].kind);
        }
}

// one operand requires grad, the other is a constant tensor (float64, or float32: promotion)
static tl_tensor *f_mul_const(tl_tensor *const *x, void *c) { return tl_mul(((params *)c)->c, x[0]); }
static tl_tensor *f_div_const(tl_tensor *const *x, void *c) { return tl_div(((params *)c)->c, x[0]); }
static tl_tensor *f_pow_const_exp(tl_tensor *const *x, void *c) { return tl_pow(x[0], ((params *)c)->c); }

static void test_binary_constant(void **state) {
    (void)state;
    srand(302);
    params p = { .c = NULL };
    p.c = keep(gc_randn(S(3)));
    CHECK1("const * x", f_mul_const, &p, S(2, 3), RANDN);
    p.c = keep(gc_randn(S(2, 1)));
    CHECK1("const / x", f_div_const, &p, S(3), RANDN);
    p.c = keep(tl_to_dtype(gc_randn(S(3)), TL_FLOAT32));    // float32 constant: result float64
    CHECK1("float32 const * x", f_mul_const, &p, S(2, 3), RANDN);
    p.c = keep(tl_scalar(2.5, TL_FLOAT64));                 // a 0-d tensor exponent: PowBackward1
    CHECK1("x ** tensor(2.5)", f_pow_const_exp, &p, S(2, 3), POSITIVE);
}

// the same with a Python number
static tl_tensor *f_add_s(tl_tensor *const *x, void *c) { return tl_add_scalar(x[0], ((params *)c)->x); }
static tl_tensor *f_sub_s(tl_tensor *const *x, void *c) { return tl_sub_scalar(x[0], ((params *)c)->x); }
static tl_tensor *f_mul_s(tl_tensor *const *x, void *c) { return tl_mul_scalar(x[0], ((params *)c)->x); }
static tl_tensor *f_div_s(tl_tensor *const *x, void *c) { return tl_div_scalar(x[0], ((params *)c)->x); }
static tl_tensor *f_pow_s(tl_tensor *const *x, void *c) { return tl_pow_scalar(x[0], ((params *)c)->x); }
static tl_tensor *f_pow_number(tl_tensor *const *x, void *c) { return tl_pow(x[0], tl_number(((params *)c)->x)); }
static tl_tensor *f_number_pow(tl_tensor *const *x, void *c) { return tl_pow(tl_number(((params *)c)->x), x[0]); }

static void test_scalar_ops(void **state) {
    (void)state;
    srand(303);
    params p = { .x = 2.5 };
    CHECK1("x + 2.5", f_add_s, &p, S(2, 3), RANDN);
    CHECK1("x - 2.5", f_sub_s, &p, S(2, 3), RANDN);
    CHECK1("x * 2.5", f_mul_s, &p, S(2, 3), RANDN);
    CHECK1("x / 2.5", f_div_s, &p, S(2, 3), RANDN);
    const double exponents[] = { 2, 3, 2.5, -1.5, 0, 1 };
    for (size_t k = 0; k < sizeof exponents / sizeof exponents[0]; k++) {
        p.x = exponents[k];
        CHECK1("x ** e", f_pow_s, &p, S(2, 3), POSITIVE);
        CHECK1("x ** number(e)", f_pow_number, &p, S(4), POSITIVE);
    }
    p.x = 2;
    CHECK1("2 ** x", f_number_pow, &p, S(2, 3), RANDN);
    p.x = 3;
    CHECK1("x ** 3, negative x", f_pow_s, &p, S(2, 3), RANDN);
}

// ----------------------------------------------------------------------------
// element-wise, one operand
static tl_tensor *f_neg(tl_tensor *const *x, void *c) { (void)c; return tl_neg(x[0]); }
static tl_tensor *f_abs(tl_tensor *const *x, void *c) { (void)c; return tl_abs(x[0]); }
static tl_tensor *f_exp(tl_tensor *const *x, void *c) { (void)c; return tl_exp(x[0]); }
static tl_tensor *f_log(tl_tensor *const *x, void *c) { (void)c; return tl_log(x[0]); }
static tl_tensor *f_sqrt(tl_tensor *const *x, void *c) { (void)c; return tl_sqrt(x[0]); }
static tl_tensor *f_sigmoid(tl_tensor *const *x, void *c) { (void)c; return tl_sigmoid(x[0]); }
static tl_tensor *f_tanh(tl_tensor *const *x, void *c) { (void)c; return tl_tanh(x[0]); }
static tl_tensor *f_relu(tl_tensor *const *x, void *c) { (void)c; return tl_relu(x[0]); }

static void test_unary(void **state) {
    (void)state;
    srand(304);
    static const struct { const char *name; tl_gradcheck_fn fn; int kind; } ops[] = {
        { "neg", f_neg, RANDN }, { "abs", f_abs, RANDN }, { "exp", f_exp, RANDN }, { "log", f_log, POSITIVE },
        { "sqrt", f_sqrt, POSITIVE }, { "sigmoid", f_sigmoid, RANDN }, { "tanh", f_tanh, RANDN },
        { "relu", f_relu, RANDN },
    };
    const tl_shape shapes[] = { TL_SCALAR_SHAPE, S(5), S(3, 4), S(2, 3, 2) };
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
        for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) CHECK1(ops[o].name, ops[o].fn, NULL, shapes[k], ops[o].kind);
}

// a non-contiguous input (a transposed view) through the fused unary kernels
static tl_tensor *f_sigmoid_T(tl_tensor *const *x, void *c) { (void)c; return tl_sigmoid(tl_T(x[0])); }
static tl_tensor *f_relu_slice(tl_tensor *const *x, void *c) { (void)c; return tl_relu(tl_slice(x[0], 1, 0, TL_END, 2)); }

static void test_unary_strided(void **state) {
    (void)state;
    srand(305);
    CHECK1("sigmoid(x.T)", f_sigmoid_T, NULL, S(3, 4), RANDN);
    CHECK1("relu(x[:, ::2])", f_relu_slice, NULL, S(3, 5), RANDN);
}

// ----------------------------------------------------------------------------
// reductions: i[0] = dim, i[1] = keepdim
static tl_tensor *f_sum(tl_tensor *const *x, void *c) { (void)c; return tl_sum(x[0]); }
static tl_tensor *f_mean(tl_tensor *const *x, void *c) { (void)c; return tl_mean(x[0]); }
static tl_tensor *f_std(tl_tensor *const *x, void *c) { (void)c; return tl_std(x[0]); }
static tl_tensor *f_max(tl_tensor *const *x, void *c) { (void)c; return tl_max(x[0]); }
static tl_tensor *f_min(tl_tensor *const *x, void *c) { (void)c; return tl_min(x[0]); }
static tl_tensor *f_sum_dim(tl_tensor *const *x, void *c) {
    params *p = c;
    return tl_sum_dim(x[0], (int)p->i[0], p->i[1]);
}
static tl_tensor *f_mean_dim(tl_tensor *const *x, void *c) {
    params *p = c;
    return tl_mean_dim(x[0], (int)p->i[0], p->i[1]);
}
static tl_tensor *f_std_dim(tl_tensor *const *x, void *c) {
    params *p = c;
    return tl_std_dim(x[0], (int)p->i[0], p->i[1]);
}
static tl_tensor *f_max_dim(tl_tensor *const *x, void *c) {
    params *p = c;
    return tl_max_dim(x[0], (int)p->i[0], p->i[1], NULL);
}
static tl_tensor *f_min_dim(tl_tensor *const *x, void *c) {
    params *p = c;
    tl_tensor *indices = NULL;
    return tl_min_dim(x[0], (int)p->i[0], p->i[1], &indices);
}

static void test_reductions(void **state) {
    (void)state;
    srand(306);
    const tl_shape shapes[] = { S(5), S(3, 4), S(2, 3, 4) };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        CHECK1("sum", f_sum, NULL, shapes[k], RANDN);
        CHECK1("mean", f_mean, NULL, shapes[k], RANDN);
        CHECK1("std", f_std, NULL, shapes[k], RANDN);
        CHECK1("max", f_max, NULL, shapes[k], RANDN);
        CHECK1("min", f_min, NULL, shapes[k], RANDN);
        for (int d = -shapes[k].ndim; d < shapes[k].ndim; d++)
            for (int keepdim = 0; keepdim <= 1; keepdim++) {
                params p = { .i = { d, keepdim } };
                char what[64];
                snprintf(what, sizeof what, "dim %d keepdim %d ndim %d", d, keepdim, shapes[k].ndim);
                CHECK1(what, f_sum_dim, &p, shapes[k], RANDN);
                CHECK1(what, f_mean_dim, &p, shapes[k], RANDN);
                CHECK1(what, f_std_dim, &p, shapes[k], RANDN);
                CHECK1(what, f_max_dim, &p, shapes[k], RANDN);
                CHECK1(what, f_min_dim, &p, shapes[k], RANDN);
            }
    }
    params p0 = { .i = { 0, 0 } };                                   // a 0-d input with dim 0
    CHECK1("sum_dim of 0-d", f_sum_dim, &p0, TL_SCALAR_SHAPE, RANDN);
    CHECK1("max_dim of 0-d", f_max_dim, &p0, TL_SCALAR_SHAPE, RANDN);
    CHECK1("sum of 0-d", f_sum, NULL, TL_SCALAR_SHAPE, RANDN);
}

// max over the whole tensor with a tie: the gradient is shared (PyTorch's evenly_distribute)
static void test_max_tie(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *x = tl_requires_grad_(tl_tensor_parse_dtype("[1., 3., 3., 2.]", TL_FLOAT64), true);
        assert_true(tl_backward(tl_max(x)));
        const double want[] = { 0, 0.5, 0.5, 0 };
        for (int i = 0; i < 4; i++) assert_true(tl_get(x->grad, TL_SHAPE(i)) == want[i]);
    }
}

// ----------------------------------------------------------------------------
// matrix products
static tl_tensor *f_matmul(tl_tensor *const *x, void *c) { (void)c; return tl_matmul(x[0], x[1]); }
static tl_tensor *f_mm(tl_tensor *const *x, void *c) { (void)c; return tl_mm(x[0], x[1]); }
static tl_tensor *f_bmm(tl_tensor *const *x, void *c) { (void)c; return tl_bmm(x[0], x[1]); }
static tl_tensor *f_addmm(tl_tensor *const *x, void *c) { (void)c; return tl_addmm(x[0], x[1], x[2]); }
static tl_tensor *f_mm_T(tl_tensor *const *x, void *c) { (void)c; return tl_mm(x[0], tl_T(x[1])); }

static void test_matmul(void **state) {
    (void)state;
    srand(307);
    const tl_shape pairs[][2] = {
        { S(3), S(3) },             // dot
        { S(2, 3), S(3) },          // mv
        { S(3), S(3, 4) },          // vector @ matrix
        { S(2, 3), S(3, 4) },       // mm
        { S(5, 2, 3), S(3, 4) },    // folded batch @ matrix
        { S(5, 2, 3), S(3) },       // batch @ vector
        { S(3), S(5, 3, 4) },       // vector @ batch
        { S(2, 3), S(5, 3, 4) },    // matrix @ batch
        { S(5, 2, 3), S(5, 3, 4) }, // batched
        { S(2, 1, 2, 3), S(3, 3, 4) },  // batch dims broadcast
        { S(1, 2, 3), S(4, 3, 2) },
    };
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
        char what[64];
        snprintf(what, sizeof what, "matmul case %zu", k);
        CHECK2(what, f_matmul, NULL, pairs[k][0], pairs[k][1], RANDN);
    }
    CHECK2("mm", f_mm, NULL, S(4, 3), S(3, 2), RANDN);
    CHECK2("mm with a transposed operand", f_mm_T, NULL, S(4, 3), S(2, 3), RANDN);
    CHECK2("bmm", f_bmm, NULL, S(3, 4, 2), S(3, 2, 5), RANDN);
    const tl_shape biases[] = { S(4), S(1, 4), S(2, 4), S(2, 1), TL_SCALAR_SHAPE };
    for (size_t k = 0; k < sizeof biases / sizeof biases[0]; k++) CHECK3("addmm", f_addmm, NULL, biases[k], S(2, 3), S(3, 4), RANDN);
}

// ----------------------------------------------------------------------------
// views and copies
static tl_tensor *f_view(tl_tensor *const *x, void *c) { (void)c; return tl_view(x[0], TL_SHAPE(3, -1)); }
static tl_tensor *f_reshape_view(tl_tensor *const *x, void *c) { (void)c; return tl_reshape(x[0], TL_SHAPE(4, 3)); }
static tl_tensor *f_reshape_copy(tl_tensor *const *x, void *c) { (void)c; return tl_reshape(tl_T(x[0]), TL_SHAPE(-1)); }
static tl_tensor *f_transpose(tl_tensor *const *x, void *c) { (void)c; return tl_transpose(x[0], 0, -1); }
static tl_tensor *f_T(tl_tensor *const *x, void *c) { (void)c; return tl_T(x[0]); }
static tl_tensor *f_permute(tl_tensor *const *x, void *c) { (void)c; return tl_permute(x[0], TL_DIMS(2, 0, -2)); }
static tl_tensor *f_squeeze(tl_tensor *const *x, void *c) { return tl_squeeze(x[0], (int)((params *)c)->i[0]); }
static tl_tensor *f_unsqueeze(tl_tensor *const *x, void *c) { return tl_unsqueeze(x[0], (int)((params *)c)->i[0]); }
static tl_tensor *f_flatten(tl_tensor *const *x, void *c) { (void)c; return tl_flatten(x[0], 1, -1); }
static tl_tensor *f_flatten_T(tl_tensor *const *x, void *c) { (void)c; return tl_flatten(tl_T(x[0]), 0, -1); }
static tl_tensor *f_expand(tl_tensor *const *x, void *c) { (void)c; return tl_expand(x[0], TL_SHAPE(2, 3, -1, 4)); }
static tl_tensor *f_select(tl_tensor *const *x, void *c) {
    params *p = c;
    return tl_select(x[0], (int)p->i[0], p->i[1]);
}
static tl_tensor *f_index(tl_tensor *const *x, void *c) { (void)c; return tl_index(tl_index(x[0], -1), 1); }
static tl_tensor *f_slice(tl_tensor *const *x, void *c) {
    params *p = c;
    return tl_slice(x[0], (int)p->i[0], p->i[1], p->i[2], p->i[3]);
}
static tl_tensor *f_clone(tl_tensor *const *x, void *c) { (void)c; return tl_clone(x[0]); }
static tl_tensor *f_contiguous(tl_tensor *const *x, void *c) { (void)c; return tl_contiguous(tl_T(x[0])); }
static tl_tensor *f_sum_to_size(tl_tensor *const *x, void *c) { (void)c; return tl_sum_to_size(x[0], TL_SHAPE(3, 1)); }

static void test_views(void **state) {
    (void)state;
    srand(308);
    CHECK1("view", f_view, NULL, S(2, 6), RANDN);
    CHECK1("reshape (a view)", f_reshape_view, NULL, S(2, 6), RANDN);
    CHECK1("reshape (a copy)", f_reshape_copy, NULL, S(2, 6), RANDN);
    CHECK1("transpose", f_transpose, NULL, S(2, 3, 4), RANDN);
    CHECK1("T", f_T, NULL, S(2, 3, 4), RANDN);
    CHECK1("permute", f_permute, NULL, S(2, 3, 4), RANDN);
    params p = { .i = { 1 } };
    CHECK1("squeeze", f_squeeze, &p, S(3, 1, 2), RANDN);
    CHECK1("squeeze (not size 1)", f_squeeze, &p, S(3, 4, 2), RANDN);
    p.i[0] = -1;
    CHECK1("unsqueeze -1", f_unsqueeze, &p, S(3, 2), RANDN);
    p.i[0] = 0;
    CHECK1("unsqueeze 0", f_unsqueeze, &p, S(3, 2), RANDN);
    CHECK1("flatten", f_flatten, NULL, S(2, 3, 4), RANDN);
    CHECK1("flatten of a transpose", f_flatten_T, NULL, S(3, 4), RANDN);
    CHECK1("expand", f_expand, NULL, S(3, 1), RANDN);
    CHECK1("expand (new dims only)", f_expand, NULL, S(5, 4), RANDN);
    const int64_t selects[][2] = { { 0, 1 }, { 1, -1 }, { -1, 0 } };
    for (int k = 0; k < 3; k++) {
        params q = { .i = { selects[k][0], selects[k][1] } };
        CHECK1("select", f_select, &q, S(3, 4, 2), RANDN);
    }
    CHECK1("index", f_index, NULL, S(3, 4), RANDN);
    const int64_t slices[][4] = { { 0, 1, 3, 1 }, { 1, 0, TL_END, 2 }, { -1, -3, -1, 1 }, { 1, 2, 2, 1 } };
    for (int k = 0; k < 4; k++) {
        params q = { .i = { slices[k][0], slices[k][1], slices[k][2], slices[k][3] } };
        CHECK1("slice", f_slice, &q, S(3, 5), RANDN);
    }
    CHECK1("clone", f_clone, NULL, S(2, 3), RANDN);
    CHECK1("contiguous of a transpose", f_contiguous, NULL, S(2, 3), RANDN);
    CHECK1("sum_to_size", f_sum_to_size, NULL, S(2, 3, 4), RANDN);
}

// ----------------------------------------------------------------------------
// selecting and joining
static tl_tensor *f_where(tl_tensor *const *x, void *c) { return tl_where(((params *)c)->c, x[0], x[1]); }
static tl_tensor *f_masked_select(tl_tensor *const *x, void *c) { return tl_masked_select(x[0], ((params *)c)->c); }
static tl_tensor *f_index_select(tl_tensor *const *x, void *c) {
    params *p = c;
    return tl_index_select(x[0], (int)p->i[0], p->c);
}
static tl_tensor *f_cat(tl_tensor *const *x, void *c) { return tl_cat(x, 3, (int)((params *)c)->i[0]); }
static tl_tensor *f_cat_empty(tl_tensor *const *x, void *c) {
    (void)c;
    return tl_cat(TL_LIST(x[0], tl_empty(TL_SHAPE(0), TL_FLOAT64), x[1]), 0);
}
static tl_tensor *f_stack(tl_tensor *const *x, void *c) { return tl_stack(x, 3, (int)((params *)c)->i[0]); }

static void test_select_join(void **state) {
    (void)state;
    srand(309);
    params p = { .c = NULL };
    p.c = keep(tl_gt_scalar(gc_randn(S(2, 3)), 0));
    CHECK2("where", f_where, &p, S(2, 3), S(3), RANDN);
    p.c = keep(tl_gt_scalar(gc_randn(S(3)), 0));
    CHECK2("where, condition broadcast", f_where, &p, S(2, 3), TL_SCALAR_SHAPE, RANDN);
    p.c = keep(tl_tensor_parse("[[True, False, True], [False, True, True]]"));
    CHECK1("masked_select", f_masked_select, &p, S(2, 3), RANDN);
    p.c = keep(tl_tensor_parse("[[True, False, True], [False, True, True]]"));
    CHECK1("masked_select, input broadcast", f_masked_select, &p, S(3), RANDN);
    p.c = keep(tl_tensor_parse("[True, False, True]"));
    CHECK1("masked_select, mask broadcast", f_masked_select, &p, S(2, 3), RANDN);
    p.c = keep(tl_tensor_parse("[2, 0, 2, 1]"));                      // a repeated index accumulates
    p.i[0] = 1;
    CHECK1("index_select dim 1", f_index_select, &p, S(2, 3), RANDN);
    p.c = keep(tl_tensor_parse("[1, 1]"));
    p.i[0] = 0;
    CHECK1("index_select dim 0", f_index_select, &p, S(2, 3), RANDN);
    for (int d = -2; d < 2; d++) {
        params q = { .i = { d } };
        tl_shape a = S(2, 3), b = S(2, 3), c = S(2, 3);
        if (d == 0 || d == -2) { a = S(1, 3); c = S(4, 3); }
        else { a = S(2, 1); c = S(2, 4); }
        CHECK3("cat", f_cat, &q, a, b, c, RANDN);
        CHECK3("stack", f_stack, &q, S(2, 3), S(2, 3), S(2, 3), RANDN);
    }
    params q = { .i = { 2 } };
    CHECK3("stack at the end", f_stack, &q, S(2, 3), S(2, 3), S(2, 3), RANDN);
    CHECK2("cat with an empty 1-D tensor", f_cat_empty, NULL, S(3), S(2), RANDN);
}

// ----------------------------------------------------------------------------
// compositions
static tl_tensor *f_logistic(tl_tensor *const *x, void *c) {   // x[0] = w (3), x[1] = b (), data in c
    const tl_tensor *data = ((params *)c)->c;
    tl_tensor *a = tl_sigmoid(tl_add(tl_matmul(data, x[0]), x[1]));
    tl_tensor *y = tl_gt_scalar(tl_select(data, 1, 0), 0);       // labels from the data
    tl_tensor *yf = tl_to_dtype(y, TL_FLOAT64);
    tl_tensor *ll = tl_add(tl_mul(yf, tl_log(a)), tl_mul(tl_sub_scalar(tl_neg(yf), -1), tl_log(tl_sub_scalar(tl_neg(a), -1))));
    return tl_neg(tl_mean(ll));
}
static tl_tensor *f_mlp(tl_tensor *const *x, void *c) {       // relu(data @ W1.T + b1) @ W2.T + b2, mse
    const tl_tensor *data = ((params *)c)->c;
    tl_tensor *h = tl_relu(tl_addmm(x[1], data, tl_T(x[0])));
    tl_tensor *o = tl_add(tl_matmul(h, tl_T(x[2])), x[3]);
    return tl_mean(tl_pow_scalar(tl_sub_scalar(o, 0.5), 2));
}
static tl_tensor *f_softmax(tl_tensor *const *x, void *c) {   // exp(x - max) / sum exp, along dim 1
    (void)c;
    tl_tensor *m = tl_max_dim(x[0], 1, true, NULL);
    tl_tensor *e = tl_exp(tl_sub(x[0], m));
    return tl_div(e, tl_sum_dim(e, 1, true));
}
static tl_tensor *f_reuse(tl_tensor *const *x, void *c) {     // x used many times, in several branches
    (void)c;
    tl_tensor *y = tl_mul(tl_mul(x[0], x[0]), x[0]);
    return tl_add(tl_sum(y), tl_mean(tl_mul_scalar(tl_tanh(x[0]), 2)));
}
static tl_tensor *f_chain(tl_tensor *const *x, void *c) {     // a long chain of views and ops
    (void)c;
    tl_tensor *t = x[0];
    for (int i = 0; i < 50; i++) t = tl_add(tl_mul_scalar(tl_T(tl_T(t)), 0.99), tl_div_scalar(tl_tanh(t), 100));
    return t;
}

static void test_compositions(void **state) {
    (void)state;
    srand(310);
    params p = { .c = keep(gc_randn(S(6, 3))) };
    CHECK2("logistic regression", f_logistic, &p, S(3), TL_SCALAR_SHAPE, RANDN);
    p.c = keep(gc_randn(S(5, 3)));
    tl_shape sh[4] = { S(4, 3), S(4), S(2, 4), S(2) };
    check_case("MLP", f_mlp, &p, 4, sh, RANDN);
    CHECK1("softmax by hand", f_softmax, NULL, S(3, 4), RANDN);
    CHECK1("reuse", f_reuse, NULL, S(2, 3), RANDN);
    CHECK1("chain", f_chain, NULL, S(2, 3), RANDN);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binary),
        cmocka_unit_test(test_binary_constant),
        cmocka_unit_test(test_scalar_ops),
        cmocka_unit_test(test_unary),
        cmocka_unit_test(test_unary_strided),
        cmocka_unit_test(test_reductions),
        cmocka_unit_test(test_max_tie),
        cmocka_unit_test(test_matmul),
        cmocka_unit_test(test_views),
        cmocka_unit_test(test_select_join),
        cmocka_unit_test(test_compositions),
    };
    return cmocka_run_group_tests_name("ch03_gradcheck", tests, NULL, NULL);
}
