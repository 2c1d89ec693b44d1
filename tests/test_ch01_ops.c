// tests/test_ch01_ops.c — cmocka tests of lib/ops.c (chapter 01, "ops").
//
// Expected values were derived with PyTorch 1.13 on CPU (python3, `import torch`) unless a
// comment says otherwise; the tutorial's own values (seed 000 and the 003 scripts, see
// ../shared/reference/seed-catalogue.md) are marked "000:" / "003:". Error messages are
// PyTorch's; where 1.13 and 2.x differ, the 2.x wording is used and the comment says so.
// Each test runs inside its own pool; the teardown checks that no tensor leaked.
//
//     gcc -std=c11 -Ilib tests/test_ch01_ops.c lib/*.c -lcmocka -lopenblas -lm -o test_ch01_ops
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ops.h"
#include "tensor.h"

// ----------------------------------------------------------------------------
// helpers

typedef struct { tl_pool *pool; int64_t live; } fixture;

static int setup(void **state) {
    static fixture f;
    tl_error_clear();
    f.live = tl_live_tensors();
    f.pool = tl_pool_push();
    *state = &f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    tl_pool_pop(f->pool);
    tl_error_clear();
    if (tl_live_tensors() != f->live) {
        fprintf(stderr, "leak: %lld tensors alive after the test, %lld before\n",
                (long long)tl_live_tensors(), (long long)f->live);
        return -1;
    }
    return 0;
}

static tl_tensor *P(const char *literal) {  // a tensor from a Python literal
    tl_tensor *t = tl_tensor_parse(literal);
    if (!t) fail_msg("parse failed: %s: %s", literal, tl_error());
    return t;
}
static tl_tensor *Pd(const char *literal, tl_dtype dt) {
    tl_tensor *t = tl_tensor_parse_dtype(literal, dt);
    if (!t) fail_msg("parse failed: %s: %s", literal, tl_error());
    return t;
}

// t has dtype dt, shape `shape` and (row-major) values vals, each within tol
static void check_(const tl_tensor *t, tl_dtype dt, tl_shape shape, const double *vals, double tol,
                   const char *file, int line) {
    if (!t) fail_msg("%s:%d: NULL tensor, error: %s", file, line, tl_error() ? tl_error() : "(none)");
    if (t->dtype != dt)
        fail_msg("%s:%d: dtype %s, expected %s", file, line, tl_dtype_name(t->dtype), tl_dtype_name(dt));
    if (t->ndim != shape.ndim) fail_msg("%s:%d: ndim %d, expected %d", file, line, t->ndim, shape.ndim);
    for (int i = 0; i < shape.ndim; i++)
        if (t->shape[i] != shape.d[i])
            fail_msg("%s:%d: shape[%d] = %lld, expected %lld", file, line, i, (long long)t->shape[i],
                     (long long)shape.d[i]);
    int64_t n = tl_numel(t);
    for (int64_t k = 0; k < n; k++) {
        tl_shape idx = { shape.ndim, { 0 } };
        int64_t r = k;
        for (int i = shape.ndim - 1; i >= 0; i--) {
            idx.d[i] = r % shape.d[i];
            r /= shape.d[i];
        }
        double got = tl_get(t, idx), want = vals[k];
        bool ok = isnan(want) ? isnan(got) : (tol == 0 ? got == want : fabs(got - want) <= tol * (1 + fabs(want)));
        if (!ok) fail_msg("%s:%d: element %lld = %.17g, expected %.17g", file, line, (long long)k, got, want);
    }
}
#define V(...) ((const double[]){ __VA_ARGS__ })
#define CHECK(t, dt, shape, vals) check_((t), (dt), (shape), (vals), 0, __FILE__, __LINE__)
#define CHECK_NEAR(t, dt, shape, vals, tol) check_((t), (dt), (shape), (vals), (tol), __FILE__, __LINE__)

// r is NULL and the recorded error is (kind, msg); clears it
static void error_(const tl_tensor *r, tl_errkind kind, const char *msg, const char *file, int line) {
    if (r) fail_msg("%s:%d: expected an error \"%s\", got a tensor", file, line, msg);
    if (!tl_error()) fail_msg("%s:%d: no error recorded, expected \"%s\"", file, line, msg);
    if (strcmp(tl_error(), msg) != 0) fail_msg("%s:%d: error\n  \"%s\"\nexpected\n  \"%s\"", file, line, tl_error(), msg);
    if (tl_error_kind() != kind)
        fail_msg("%s:%d: error kind %s, expected %s", file, line, tl_error_kind_name(tl_error_kind()),
                 tl_error_kind_name(kind));
    tl_error_clear();
}
#define ERR(r, msg) error_((r), TL_RUNTIME_ERROR, (msg), __FILE__, __LINE__)
#define IDX_ERR(r, msg) error_((r), TL_INDEX_ERROR, (msg), __FILE__, __LINE__)

// a 1-D float32 tensor from C floats (for NaN, which Python literals cannot spell)
#define F1(...) tl_from_data((const float[]){ __VA_ARGS__ }, \
                             TL_SHAPE((int64_t)(sizeof((float[]){ __VA_ARGS__ }) / sizeof(float))), TL_FLOAT32)

static tl_tensor *f32(tl_tensor *t) { return tl_to_dtype(t, TL_FLOAT32); }

// arange(20).reshape(4, 5).float() (003:351)
static tl_tensor *x20(void) { return f32(tl_reshape(tl_arange(0, 20, 1), TL_SHAPE(4, 5))); }

// ----------------------------------------------------------------------------
// type promotion

static void test_result_type(void **state) {
    (void)state;
    tl_tensor *i = P("[1, 2, 3]"), *f = P("[1., 2., 3.]"), *b = P("[True, False, True]");
    tl_tensor *d = Pd("[1., 2., 3.]", TL_FLOAT64);
    tl_tensor *i0 = P("1"), *f0 = P("1."), *b0 = P("True"), *d0 = Pd("1.", TL_FLOAT64);
    // torch.result_type(...) in PyTorch 1.13 for each pair
    assert_int_equal(tl_result_type(i, tl_number(2.5)), TL_FLOAT32);   // int tensor + float -> default float
    assert_int_equal(tl_result_type(i, tl_int(2)), TL_INT64);
    assert_int_equal(tl_result_type(b, tl_int(2)), TL_INT64);
    assert_int_equal(tl_result_type(b, tl_number(2.5)), TL_FLOAT32);
    assert_int_equal(tl_result_type(f, d0), TL_FLOAT32);               // 0-d cannot widen a float
    assert_int_equal(tl_result_type(i, d0), TL_FLOAT64);               // ... but can change category
    assert_int_equal(tl_result_type(i, f0), TL_FLOAT32);
    assert_int_equal(tl_result_type(b, i0), TL_INT64);
    assert_int_equal(tl_result_type(i0, d0), TL_FLOAT64);
    assert_int_equal(tl_result_type(i0, tl_number(2.5)), TL_FLOAT32);
    assert_int_equal(tl_result_type(b0, tl_number(2.5)), TL_FLOAT32);
    assert_int_equal(tl_result_type(b0, tl_int(2)), TL_INT64);
    assert_int_equal(tl_result_type(i, d), TL_FLOAT64);
    assert_int_equal(tl_result_type(f, d), TL_FLOAT64);
    assert_int_equal(tl_result_type(b, i), TL_INT64);
    assert_int_equal(tl_result_type(d0, tl_number(2.5)), TL_FLOAT64);
    assert_int_equal(tl_result_type(b, b0), TL_BOOL);
}

static void test_wrapped_numbers(void **state) {
    (void)state;
    tl_tensor *n = tl_number(2.5), *k = tl_int(-7);
    assert_non_null(n);
    assert_non_null(k);
    assert_true(n->wrapped_number);
    assert_true(k->wrapped_number);
    CHECK(n, TL_FLOAT64, TL_SCALAR_SHAPE, V(2.5));
    CHECK(k, TL_INT64, TL_SCALAR_SHAPE, V(-7));
    // tensor([1, 2, 3]) + 2.5 -> float32; + 2 -> int64
    CHECK(tl_add(P("[1, 2, 3]"), n), TL_FLOAT32, TL_SHAPE(3), V(3.5, 4.5, 5.5));
    CHECK(tl_add(P("[1, 2, 3]"), tl_int(2)), TL_INT64, TL_SHAPE(3), V(3, 4, 5));
}

// ----------------------------------------------------------------------------
// arithmetic and broadcasting

static void test_broadcast_003(void **state) {
    (void)state;
    // 003:342-344: x = [[1], [2], [3]] + [10, 20, 30] broadcasts to (3, 3)
    tl_tensor *r = tl_add(P("[[1], [2], [3]]"), P("[10, 20, 30]"));
    CHECK(r, TL_INT64, TL_SHAPE(3, 3), V(11, 21, 31, 12, 22, 32, 13, 23, 33));
    // the other way round, and a 0-d operand
    CHECK(tl_add(P("[10, 20, 30]"), P("[[1], [2], [3]]")), TL_INT64, TL_SHAPE(3, 3),
          V(11, 21, 31, 12, 22, 32, 13, 23, 33));
    CHECK(tl_mul(P("[[1, 2], [3, 4]]"), P("10")), TL_INT64, TL_SHAPE(2, 2), V(10, 20, 30, 40));
    // (2, 1, 3) * (4, 1) -> (2, 4, 3)
    tl_tensor *a = tl_reshape(tl_arange(0, 6, 1), TL_SHAPE(2, 1, 3)), *b = tl_reshape(tl_arange(1, 5, 1), TL_SHAPE(4, 1));
    tl_tensor *p = tl_mul(a, b);
    assert_non_null(p);
    assert_int_equal(p->ndim, 3);
    assert_int_equal(p->shape[0], 2);
    assert_int_equal(p->shape[1], 4);
    assert_int_equal(p->shape[2], 3);
    assert_true(tl_get(p, TL_SHAPE(1, 3, 2)) == 5 * 4);
    assert_true(tl_get(p, TL_SHAPE(0, 2, 1)) == 1 * 3);
}

static void test_broadcast_errors(void **state) {
    (void)state;
    ERR(tl_add(tl_ones(TL_SHAPE(2, 3), TL_FLOAT32), tl_ones(TL_SHAPE(2, 2), TL_FLOAT32)),
        "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1");
    ERR(tl_add(tl_ones(TL_SHAPE(3, 2), TL_FLOAT32), tl_ones(TL_SHAPE(4, 2), TL_FLOAT32)),
        "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0");
    ERR(tl_mul(tl_ones(TL_SHAPE(2, 3, 4), TL_FLOAT32), tl_ones(TL_SHAPE(5, 4), TL_FLOAT32)),
        "The size of tensor a (3) must match the size of tensor b (5) at non-singleton dimension 1");
    ERR(tl_eq(P("[1, 2]"), P("[1, 2, 3]")),
        "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0");
}

static void test_arith_003(void **state) {
    (void)state;
    // 003:303-338 with a = [[1,2],[3,4]], b = [[5,6],[7,8]] (int64 tensors)
    tl_tensor *a = P("[[1, 2], [3, 4]]"), *b = P("[[5, 6], [7, 8]]");
    CHECK(tl_add(a, b), TL_INT64, TL_SHAPE(2, 2), V(6, 8, 10, 12));
    CHECK(tl_mul(a, b), TL_INT64, TL_SHAPE(2, 2), V(5, 12, 21, 32));
    CHECK(tl_sub(a, b), TL_INT64, TL_SHAPE(2, 2), V(-4, -4, -4, -4));
    // a / b: true division, float32; torch prints [[0.2000, 0.3333], [0.4286, 0.5000]]
    CHECK(tl_div(a, b), TL_FLOAT32, TL_SHAPE(2, 2),
          V(0.20000000298023224, 0.3333333432674408, 0.4285714328289032, 0.5));
    CHECK(tl_pow_scalar(a, 2), TL_INT64, TL_SHAPE(2, 2), V(1, 4, 9, 16));
    CHECK(tl_matmul(a, b), TL_INT64, TL_SHAPE(2, 2), V(19, 22, 43, 50));
    // 003:125-139: x = [1., 2., 3.]; x * 2 + 1 = [3., 5., 7.]
    CHECK(tl_add_scalar(tl_mul_scalar(P("[1., 2., 3.]"), 2), 1), TL_FLOAT32, TL_SHAPE(3), V(3, 5, 7));
    // 000:864 / 004:95: [1,2,3] + [4,5,6] as floats
    CHECK(tl_add(P("[1., 2., 3.]"), P("[4., 5., 6.]")), TL_FLOAT32, TL_SHAPE(3), V(5, 7, 9));
}

static void test_scalar_rule(void **state) {
    (void)state;
    tl_tensor *i = P("[1, 2, 3]");
    CHECK(tl_mul_scalar(i, 2), TL_INT64, TL_SHAPE(3), V(2, 4, 6));            // stays int64
    CHECK(tl_mul_scalar(i, 2.5), TL_FLOAT32, TL_SHAPE(3), V(2.5, 5, 7.5));    // -> float32
    CHECK(tl_div_scalar(i, 2), TL_FLOAT32, TL_SHAPE(3), V(0.5, 1, 1.5));      // true division
    CHECK(tl_sub_scalar(P("[7.5]"), 2), TL_FLOAT32, TL_SHAPE(1), V(5.5));
    CHECK(tl_add_scalar(P("[True, False]"), 3), TL_INT64, TL_SHAPE(2), V(4, 3));
    CHECK(tl_add_scalar(Pd("[1.]", TL_FLOAT64), 0.5), TL_FLOAT64, TL_SHAPE(1), V(1.5));
    CHECK(tl_pow_scalar(i, 2.5), TL_FLOAT32, TL_SHAPE(3), V(1.0, 5.656854152679443, 15.588457107543945));
    CHECK(tl_div_scalar(P("[-2, 0, 3]"), 0), TL_FLOAT32, TL_SHAPE(3), V(-INFINITY, NAN, INFINITY));
    CHECK(tl_div_scalar(Pd("[1., 2.]", TL_FLOAT64), 3), TL_FLOAT64, TL_SHAPE(2),
          V(0.3333333333333333, 0.6666666666666666));
}

static void test_arith_dtypes(void **state) {
    (void)state;
    tl_tensor *b = P("[True, False, True]");
    CHECK(tl_add(b, b), TL_BOOL, TL_SHAPE(3), V(1, 0, 1));          // bool + bool stays bool
    CHECK(tl_mul(b, b), TL_BOOL, TL_SHAPE(3), V(1, 0, 1));
    CHECK(tl_div(b, b), TL_FLOAT32, TL_SHAPE(3), V(1, NAN, 1));
    CHECK(tl_pow_scalar(b, 2), TL_INT64, TL_SHAPE(3), V(1, 0, 1));
    CHECK(tl_sub(P("[1.5]"), P("[2]")), TL_FLOAT32, TL_SHAPE(1), V(-0.5));
    CHECK(tl_add(P("[1, 2]"), P("1.5")), TL_FLOAT32, TL_SHAPE(2), V(2.5, 3.5));
    CHECK(tl_add(P("[1, 2]"), Pd("1.5", TL_FLOAT64)), TL_FLOAT64, TL_SHAPE(2), V(2.5, 3.5));
    CHECK(tl_mul(P("[1., 2.]"), Pd("3.", TL_FLOAT64)), TL_FLOAT32, TL_SHAPE(2), V(3, 6));
    // int64 wraps around like PyTorch's: 9223372036854775807 + 1
    CHECK(tl_add_scalar(P("[9223372036854775807]"), 1), TL_INT64, TL_SHAPE(1), V(-9223372036854775808.0));
    // integer powers: tensor exponents may be negative (1, -1 or 0 results)
    CHECK(tl_pow(P("[0, 1, -1, 2, -2]"), P("[-1, -1, -1, -2, -3]")), TL_INT64, TL_SHAPE(5), V(0, 1, -1, 0, 0));
    CHECK(tl_pow(P("[2, 3]"), P("[10, 3]")), TL_INT64, TL_SHAPE(2), V(1024, 27));
    CHECK(tl_pow(P("[1, 2, 3]"), P("2.")), TL_FLOAT32, TL_SHAPE(3), V(1, 4, 9));
    CHECK(tl_pow_scalar(P("[2.]"), -1), TL_FLOAT32, TL_SHAPE(1), V(0.5));
}

static void test_arith_errors(void **state) {
    (void)state;
    tl_tensor *b = P("[True, False, True]");
    ERR(tl_sub(b, b), "Subtraction, the `-` operator, with two bool tensors is not supported. "
                      "Use the `^` or `logical_xor()` operator instead.");
    ERR(tl_sub_scalar(b, 1), "Subtraction, the `-` operator, with a bool tensor is not supported. "
                             "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
    ERR(tl_sub(P("[1]"), b), "Subtraction, the `-` operator, with a bool tensor is not supported. "
                             "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
    ERR(tl_pow_scalar(P("[1, 2]"), -1), "Integers to negative integer powers are not allowed.");
    ERR(tl_pow_scalar(b, -1), "Integers to negative integer powers are not allowed.");
    ERR(tl_pow(b, b), "\"pow\" not implemented for 'Bool'");
}

static void test_maximum_minimum(void **state) {
    (void)state;
    CHECK(tl_maximum(F1(1.f, NAN), P("[2., 1.]")), TL_FLOAT32, TL_SHAPE(2), V(2, NAN));
    CHECK(tl_minimum(F1(1.f, NAN), P("[2., 1.]")), TL_FLOAT32, TL_SHAPE(2), V(1, NAN));
    CHECK(tl_maximum(P("[1, 2, 3]"), P("[1., 2., 3.]")), TL_FLOAT32, TL_SHAPE(3), V(1, 2, 3));
    CHECK(tl_minimum(P("[1, 2, 3]"), P("2.5")), TL_FLOAT32, TL_SHAPE(3), V(1, 2, 2.5));
    CHECK(tl_maximum(P("[1, 2]"), Pd("1.5", TL_FLOAT64)), TL_FLOAT64, TL_SHAPE(2), V(1.5, 2));
    CHECK(tl_maximum(P("[True, False]"), P("[False, False]")), TL_BOOL, TL_SHAPE(2), V(1, 0));
    CHECK(tl_minimum(P("[[1, 5]]"), P("[[3], [0]]")), TL_INT64, TL_SHAPE(2, 2), V(1, 3, 0, 0));
}

// ----------------------------------------------------------------------------
// unary ops

static void test_unary(void **state) {
    (void)state;
    tl_tensor *x = P("[-2., -1., 0., 1., 2.]");
    // 002 activations (derived): sigmoid, tanh, relu of [-2, -1, 0, 1, 2]
    CHECK(tl_sigmoid(x), TL_FLOAT32, TL_SHAPE(5),
          V(0.11920291930437088, 0.2689414322376251, 0.5, 0.7310585975646973, 0.8807970285415649));
    CHECK(tl_tanh(x), TL_FLOAT32, TL_SHAPE(5),
          V(-0.9640275835990906, -0.7615941762924194, 0.0, 0.7615941762924194, 0.9640275835990906));
    CHECK(tl_relu(x), TL_FLOAT32, TL_SHAPE(5), V(0, 0, 0, 1, 2));
    CHECK(tl_neg(x), TL_FLOAT32, TL_SHAPE(5), V(2, 1, 0, -1, -2));
    CHECK(tl_abs(x), TL_FLOAT32, TL_SHAPE(5), V(2, 1, 0, 1, 2));
    // ints keep their dtype for neg/abs/relu ...
    CHECK(tl_neg(P("[1, -2]")), TL_INT64, TL_SHAPE(2), V(-1, 2));
    CHECK(tl_abs(P("[3, -1, 2]")), TL_INT64, TL_SHAPE(3), V(3, 1, 2));
    CHECK(tl_relu(P("[-1, 2]")), TL_INT64, TL_SHAPE(2), V(0, 2));
    // ... and become float32 for the floating functions
    CHECK(tl_exp(P("[0, 1, 2]")), TL_FLOAT32, TL_SHAPE(3), V(1.0, 2.7182817459106445, 7.389056205749512));
    CHECK(tl_log(P("[1, 2, 10]")), TL_FLOAT32, TL_SHAPE(3), V(0.0, 0.6931471824645996, 2.3025851249694824));
    CHECK(tl_sqrt(P("[1, 2, 9]")), TL_FLOAT32, TL_SHAPE(3), V(1.0, 1.4142135381698608, 3.0));
    CHECK(tl_exp(P("[True, False]")), TL_FLOAT32, TL_SHAPE(2), V(2.7182817459106445, 1.0));
    CHECK(tl_log(P("[0, 1]")), TL_FLOAT32, TL_SHAPE(2), V(-INFINITY, 0));
    CHECK(tl_sqrt(P("[-1., 4.]")), TL_FLOAT32, TL_SHAPE(2), V(NAN, 2));
    CHECK(tl_exp(Pd("[1.]", TL_FLOAT64)), TL_FLOAT64, TL_SHAPE(1), V(2.718281828459045));
    CHECK(tl_log(Pd("[2.]", TL_FLOAT64)), TL_FLOAT64, TL_SHAPE(1), V(0.6931471805599453));
    CHECK(tl_sigmoid(P("[-100., 100., -89.]")), TL_FLOAT32, TL_SHAPE(3), V(0, 1, 0));
    // a non-contiguous input: the transpose of [[1, -2], [-3, 4]]
    CHECK(tl_abs(tl_T(P("[[1, -2], [-3, 4]]"))), TL_INT64, TL_SHAPE(2, 2), V(1, 3, 2, 4));
    tl_tensor *b = P("[True]");
    ERR(tl_neg(b), "Negation, the `-` operator, on a bool tensor is not supported. "
                   "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
    ERR(tl_abs(b), "\"abs_cpu\" not implemented for 'Bool'");
    ERR(tl_relu(b), "Boolean inputs not supported for relu");
}

// ----------------------------------------------------------------------------
// comparisons and selection

static void test_compare(void **state) {
    (void)state;
    tl_tensor *i = P("[1, 2, 3]");
    CHECK(tl_eq(i, P("[1., 2., 3.]")), TL_BOOL, TL_SHAPE(3), V(1, 1, 1));
    CHECK(tl_lt_scalar(i, 2.5), TL_BOOL, TL_SHAPE(3), V(1, 1, 0));
    CHECK(tl_gt(i, P("1.5")), TL_BOOL, TL_SHAPE(3), V(0, 1, 1));
    CHECK(tl_le_scalar(i, 2), TL_BOOL, TL_SHAPE(3), V(1, 1, 0));
    CHECK(tl_ge_scalar(i, 2), TL_BOOL, TL_SHAPE(3), V(0, 1, 1));
    CHECK(tl_ne_scalar(i, 2), TL_BOOL, TL_SHAPE(3), V(1, 0, 1));
    CHECK(tl_eq_scalar(i, 2), TL_BOOL, TL_SHAPE(3), V(0, 1, 0));
    CHECK(tl_lt_scalar(P("[True, False, True]"), 1), TL_BOOL, TL_SHAPE(3), V(0, 1, 0));
    CHECK(tl_ne(F1(1.f, NAN), F1(1.f, NAN)), TL_BOOL, TL_SHAPE(2), V(0, 1));
    CHECK(tl_ge(P("[[1], [3]]"), P("[2, 3]")), TL_BOOL, TL_SHAPE(2, 2), V(0, 0, 1, 1));
    CHECK(tl_le(P("[1, 2]"), P("[2, 2]")), TL_BOOL, TL_SHAPE(2), V(1, 1));
    CHECK(tl_ne(P("[1, 2]"), P("[2, 2]")), TL_BOOL, TL_SHAPE(2), V(1, 0));
    CHECK(tl_lt(P("[1, 2]"), P("[2, 2]")), TL_BOOL, TL_SHAPE(2), V(1, 0));
}

static void test_indexing_003(void **state) {
    (void)state;
    // 003:351-380 on x = torch.arange(20).reshape(4, 5).float()
    tl_tensor *x = x20();
    CHECK(tl_masked_select(x, tl_gt_scalar(x, 10)), TL_FLOAT32, TL_SHAPE(9), V(11, 12, 13, 14, 15, 16, 17, 18, 19));
    CHECK(tl_index_select(x, 0, P("[0, 2, 3]")), TL_FLOAT32, TL_SHAPE(3, 5),
          V(0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19));
    CHECK(tl_where(tl_gt_scalar(x, 10), x, tl_int(0)), TL_FLOAT32, TL_SHAPE(4, 5),
          V(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11, 12, 13, 14, 15, 16, 17, 18, 19));
}

static void test_where(void **state) {
    (void)state;
    tl_tensor *i = P("[1, 2, 3]"), *c = tl_gt_scalar(i, 1);
    CHECK(tl_where(c, i, tl_int(0)), TL_INT64, TL_SHAPE(3), V(0, 2, 3));
    CHECK(tl_where(c, i, tl_number(0)), TL_FLOAT32, TL_SHAPE(3), V(0, 2, 3));
    CHECK(tl_where(c, P("[1., 2., 3.]"), Pd("[1., 2., 3.]", TL_FLOAT64)), TL_FLOAT64, TL_SHAPE(3), V(1, 2, 3));
    CHECK(tl_where(c, tl_number(1), tl_int(0)), TL_FLOAT32, TL_SHAPE(3), V(0, 1, 1));
    CHECK(tl_where(P("[True, False]"), P("[[1], [2]]"), tl_int(0)), TL_INT64, TL_SHAPE(2, 2), V(1, 0, 2, 0));
    ERR(tl_where(i, i, tl_int(0)), "where expected condition to be a boolean tensor, but got a tensor with dtype Long");
    ERR(tl_where(P("[True]"), P("[1, 2]"), P("[1, 2, 3]")),
        "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0");
    ERR(tl_where(P("[True, False, True]"), P("[1, 2]"), P("[1, 2, 3]")),
        "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0");
}

static void test_masked_select(void **state) {
    (void)state;
    // the mask broadcasts over t and t over the mask
    CHECK(tl_masked_select(P("[[1, 2], [3, 4]]"), P("[True, False]")), TL_INT64, TL_SHAPE(2), V(1, 3));
    CHECK(tl_masked_select(P("[1, 2]"), P("[[True], [False]]")), TL_INT64, TL_SHAPE(2), V(1, 2));
    CHECK(tl_masked_select(P("[True, False, True]"), P("[True, True, False]")), TL_BOOL, TL_SHAPE(2), V(1, 0));
    CHECK(tl_masked_select(Pd("[1., 2.]", TL_FLOAT64), P("[False, False]")), TL_FLOAT64, TL_SHAPE(0), V(0));
    // transposed (non-contiguous) input: elements come in the view's row-major order
    CHECK(tl_masked_select(tl_T(P("[[1, 2], [3, 4]]")), P("[[True, True], [False, True]]")), TL_INT64, TL_SHAPE(3),
          V(1, 3, 4));
    ERR(tl_masked_select(P("[1., 2.]"), P("[1, 0]")), "masked_select: expected BoolTensor or ByteTensor for mask");
    ERR(tl_masked_select(tl_ones(TL_SHAPE(3), TL_FLOAT32), tl_ones(TL_SHAPE(2), TL_BOOL)),
        "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0");
}

static void test_index_select(void **state) {
    (void)state;
    tl_tensor *f = P("[1., 2., 3.]");
    CHECK(tl_index_select(P("[[1, 2], [3, 4]]"), 1, P("[1, 1, 0]")), TL_INT64, TL_SHAPE(2, 3), V(2, 2, 1, 4, 4, 3));
    CHECK(tl_index_select(f, -1, P("[2, 0]")), TL_FLOAT32, TL_SHAPE(2), V(3, 1));
    CHECK(tl_index_select(f, 0, P("1")), TL_FLOAT32, TL_SHAPE(1), V(2));           // 0-d index
    CHECK(tl_index_select(P("5."), 0, P("[0]")), TL_FLOAT32, TL_SCALAR_SHAPE, V(5));
    CHECK(tl_index_select(tl_T(P("[[1, 2], [3, 4]]")), 0, P("[1]")), TL_INT64, TL_SHAPE(1, 2), V(2, 4));
    ERR(tl_index_select(f, 0, P("[0., 2.]")), "index_select(): Expected dtype int32 or int64 for index");
    IDX_ERR(tl_index_select(f, 0, P("[[0, 2]]")), "index_select(): Index is supposed to be a vector");
    IDX_ERR(tl_index_select(f, 0, P("[0, 3]")), "index out of range in self");
    IDX_ERR(tl_index_select(f, 0, P("[-1]")), "index out of range in self");
    IDX_ERR(tl_index_select(P("5."), 0, P("[1]")), "index out of range in self");
    IDX_ERR(tl_index_select(f, 1, P("[0]")), "Dimension out of range (expected to be in range of [-1, 0], but got 1)");
}

static void test_cat_stack(void **state) {
    (void)state;
    // 003:287-292: cat of two (2, 3) -> (4, 3) on dim 0, (2, 6) on dim 1; stack -> (2, 2, 3)
    tl_tensor *a = P("[[1, 2, 3], [4, 5, 6]]"), *b = P("[[7, 8, 9], [10, 11, 12]]");
    CHECK(tl_cat(TL_LIST(a, b), 0), TL_INT64, TL_SHAPE(4, 3), V(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12));
    CHECK(tl_cat(TL_LIST(a, b), 1), TL_INT64, TL_SHAPE(2, 6), V(1, 2, 3, 7, 8, 9, 4, 5, 6, 10, 11, 12));
    CHECK(tl_cat(TL_LIST(a, b), -1), TL_INT64, TL_SHAPE(2, 6), V(1, 2, 3, 7, 8, 9, 4, 5, 6, 10, 11, 12));
    CHECK(tl_stack(TL_LIST(a, b), 0), TL_INT64, TL_SHAPE(2, 2, 3), V(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12));
    CHECK(tl_stack(TL_LIST(a, b), 2), TL_INT64, TL_SHAPE(2, 3, 2), V(1, 7, 2, 8, 3, 9, 4, 10, 5, 11, 6, 12));
    CHECK(tl_stack(TL_LIST(P("[1, 2, 3]"), P("[1, 2, 3]")), 1), TL_INT64, TL_SHAPE(3, 2), V(1, 1, 2, 2, 3, 3));
    CHECK(tl_stack(TL_LIST(P("1."), P("2")), 0), TL_FLOAT32, TL_SHAPE(2), V(1, 2));
    // dtypes promote (PyTorch 2.x, and 1.13)
    CHECK(tl_cat(TL_LIST(P("[1, 2, 3]"), P("[1., 2., 3.]")), 0), TL_FLOAT32, TL_SHAPE(6), V(1, 2, 3, 1, 2, 3));
    CHECK(tl_cat(TL_LIST(P("[1, 2, 3]"), P("[True]")), 0), TL_INT64, TL_SHAPE(4), V(1, 2, 3, 1));
    CHECK(tl_cat(TL_LIST(P("[1]"), Pd("[2.]", TL_FLOAT64)), 0), TL_FLOAT64, TL_SHAPE(2), V(1, 2));
    // a 1-D empty tensor is skipped (legacy rule); a transposed input is copied correctly
    CHECK(tl_cat(TL_LIST(tl_zeros(TL_SHAPE(0), TL_FLOAT32), tl_ones(TL_SHAPE(1, 2), TL_FLOAT32)), 1), TL_FLOAT32,
          TL_SHAPE(1, 2), V(1, 1));
    CHECK(tl_cat(TL_LIST(tl_T(P("[[1, 2], [3, 4]]")), P("[[5, 6]]")), 0), TL_INT64, TL_SHAPE(3, 2), V(1, 3, 2, 4, 5, 6));
    tl_tensor *o23 = tl_ones(TL_SHAPE(2, 3), TL_FLOAT32), *o22 = tl_ones(TL_SHAPE(2, 2), TL_FLOAT32);
    ERR(tl_cat(TL_LIST(o23, o22), 0), "Sizes of tensors must match except in dimension 0. "
                                      "Expected size 3 but got size 2 for tensor number 1 in the list.");
    ERR(tl_cat(TL_LIST(o23, tl_ones(TL_SHAPE(3), TL_FLOAT32)), 0),
        "Tensors must have same number of dimensions: got 2 and 1");
    ERR(tl_cat(TL_LIST(o23, P("1.")), 0), "zero-dimensional tensor (at position 1) cannot be concatenated");
    ERR(tl_cat(NULL, 0, 0), "torch.cat(): expected a non-empty list of Tensors");
    IDX_ERR(tl_cat(TL_LIST(o23), 2), "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
    IDX_ERR(tl_cat(TL_LIST(o23), -3), "Dimension out of range (expected to be in range of [-2, 1], but got -3)");
    ERR(tl_stack(TL_LIST(o23, o22), 0),
        "stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [2, 2] at entry 1");
    ERR(tl_stack(NULL, 0, 0), "stack expects a non-empty TensorList");
    IDX_ERR(tl_stack(TL_LIST(o23), 3), "Dimension out of range (expected to be in range of [-3, 2], but got 3)");
}

// ----------------------------------------------------------------------------
// reductions

static void test_reductions_003(void **state) {
    (void)state;
    // 003:318-338: x = [1., 2., 3., 4., 5.]
    tl_tensor *x = P("[1., 2., 3., 4., 5.]");
    CHECK(tl_sum(x), TL_FLOAT32, TL_SCALAR_SHAPE, V(15.0));
    CHECK(tl_mean(x), TL_FLOAT32, TL_SCALAR_SHAPE, V(3.0));
    CHECK(tl_std(x), TL_FLOAT32, TL_SCALAR_SHAPE, V(1.5811388492584229));   // unbiased (n - 1)
    CHECK(tl_max(x), TL_FLOAT32, TL_SCALAR_SHAPE, V(5.0));
    CHECK(tl_min(x), TL_FLOAT32, TL_SCALAR_SHAPE, V(1.0));
    CHECK(tl_argmax(x), TL_INT64, TL_SCALAR_SHAPE, V(4));
    // matrix [[1, 2, 3], [4, 5, 6]] as floats
    tl_tensor *m = P("[[1., 2., 3.], [4., 5., 6.]]"), *idx = NULL;
    CHECK(tl_sum_dim(m, 0, false), TL_FLOAT32, TL_SHAPE(3), V(5, 7, 9));
    CHECK(tl_sum_dim(m, 1, false), TL_FLOAT32, TL_SHAPE(2), V(6, 15));
    CHECK(tl_max_dim(m, 1, false, &idx), TL_FLOAT32, TL_SHAPE(2), V(3, 6));
    CHECK(idx, TL_INT64, TL_SHAPE(2), V(2, 2));
}

static void test_reductions(void **state) {
    (void)state;
    tl_tensor *m = P("[[1., 2., 3.], [4., 5., 6.]]"), *idx = NULL;
    CHECK(tl_sum_dim(m, -1, true), TL_FLOAT32, TL_SHAPE(2, 1), V(6, 15));
    CHECK(tl_mean_dim(m, 0, false), TL_FLOAT32, TL_SHAPE(3), V(2.5, 3.5, 4.5));
    CHECK(tl_mean_dim(P("[[1., 2.], [3., 4.]]"), 1, true), TL_FLOAT32, TL_SHAPE(2, 1), V(1.5, 3.5));
    CHECK(tl_std_dim(P("[[1., 2.], [3., 4.]]"), 0, false), TL_FLOAT32, TL_SHAPE(2),
          V(1.4142135381698608, 1.4142135381698608));
    CHECK(tl_std_dim(m, 1, false), TL_FLOAT32, TL_SHAPE(2), V(1, 1));
    CHECK(tl_std_dim(Pd("[[1., 2., 4.], [3., 5., 9.]]", TL_FLOAT64), 1, false), TL_FLOAT64, TL_SHAPE(2),
          V(1.5275252316519465, 3.055050463303893));
    CHECK(tl_min_dim(P("[[1, 3, 3], [4, 4, 0]]"), 1, false, &idx), TL_INT64, TL_SHAPE(2), V(1, 0));
    CHECK(idx, TL_INT64, TL_SHAPE(2), V(0, 2));
    CHECK(tl_max_dim(m, 0, true, &idx), TL_FLOAT32, TL_SHAPE(1, 3), V(4, 5, 6));
    CHECK(idx, TL_INT64, TL_SHAPE(1, 3), V(1, 1, 1));
    CHECK(tl_max_dim(m, 0, false, NULL), TL_FLOAT32, TL_SHAPE(3), V(4, 5, 6));   // indices not wanted
    // ties: the first occurrence
    CHECK(tl_argmax(P("[1, 3, 3]")), TL_INT64, TL_SCALAR_SHAPE, V(1));
    CHECK(tl_argmax_dim(P("[[1, 3, 3], [4, 4, 0]]"), 1, false), TL_INT64, TL_SHAPE(2), V(1, 0));
    CHECK(tl_argmax_dim(P("[1, 2, 3]"), 0, true), TL_INT64, TL_SHAPE(1), V(2));
    // NaN wins max and min; argmax points at the first NaN
    CHECK(tl_max(F1(1.f, NAN, 3.f)), TL_FLOAT32, TL_SCALAR_SHAPE, V(NAN));
    CHECK(tl_min(F1(1.f, NAN, 3.f)), TL_FLOAT32, TL_SCALAR_SHAPE, V(NAN));
    CHECK(tl_argmax(F1(1.f, NAN, NAN)), TL_INT64, TL_SCALAR_SHAPE, V(1));
    CHECK(tl_max_dim(F1(1.f, NAN, 3.f), 0, false, &idx), TL_FLOAT32, TL_SCALAR_SHAPE, V(NAN));
    CHECK(idx, TL_INT64, TL_SCALAR_SHAPE, V(1));
    // sums of bool and int64 are int64
    CHECK(tl_sum(P("[True, False, True]")), TL_INT64, TL_SCALAR_SHAPE, V(2));
    CHECK(tl_sum(P("[1, 2, 3]")), TL_INT64, TL_SCALAR_SHAPE, V(6));
    CHECK(tl_sum_dim(P("[[True, False], [True, True]]"), 0, false), TL_INT64, TL_SHAPE(2), V(2, 1));
    CHECK(tl_max(P("[True, False]")), TL_BOOL, TL_SCALAR_SHAPE, V(1));
    CHECK(tl_max(P("[1, 2, 3]")), TL_INT64, TL_SCALAR_SHAPE, V(3));
    CHECK(tl_min(P("[1, 2, 3]")), TL_INT64, TL_SCALAR_SHAPE, V(1));
    // float32 sums accumulate in double: PyTorch's values
    CHECK(tl_sum(P("[0.1, 0.2, 0.3]")), TL_FLOAT32, TL_SCALAR_SHAPE, V(0.6000000238418579));
    CHECK(tl_mean(P("[0.1, 0.2, 0.3]")), TL_FLOAT32, TL_SCALAR_SHAPE, V(0.20000000298023224));
    CHECK(tl_std(P("[0.1, 0.2, 0.3]")), TL_FLOAT32, TL_SCALAR_SHAPE, V(0.10000000894069672));
    // 0-d inputs, empty inputs
    CHECK(tl_sum_dim(P("5."), -1, false), TL_FLOAT32, TL_SCALAR_SHAPE, V(5));
    CHECK(tl_argmax_dim(P("3"), 0, false), TL_INT64, TL_SCALAR_SHAPE, V(0));
    CHECK(tl_std(P("3.")), TL_FLOAT32, TL_SCALAR_SHAPE, V(NAN));
    CHECK(tl_std(P("[1.]")), TL_FLOAT32, TL_SCALAR_SHAPE, V(NAN));
    CHECK(tl_sum(tl_zeros(TL_SHAPE(0), TL_FLOAT32)), TL_FLOAT32, TL_SCALAR_SHAPE, V(0));
    CHECK(tl_mean(tl_zeros(TL_SHAPE(0), TL_FLOAT32)), TL_FLOAT32, TL_SCALAR_SHAPE, V(NAN));
    CHECK(tl_sum_dim(tl_ones(TL_SHAPE(0, 3), TL_FLOAT32), 0, false), TL_FLOAT32, TL_SHAPE(3), V(0, 0, 0));
    CHECK(tl_mean_dim(tl_ones(TL_SHAPE(0, 3), TL_FLOAT32), 0, false), TL_FLOAT32, TL_SHAPE(3), V(NAN, NAN, NAN));
    CHECK(tl_argmax_dim(tl_ones(TL_SHAPE(0, 3), TL_FLOAT32), 1, false), TL_INT64, TL_SHAPE(0), V(0));
    // a non-contiguous input: sum over dim 0 of the transpose
    CHECK(tl_sum_dim(tl_T(m), 0, false), TL_FLOAT32, TL_SHAPE(2), V(6, 15));
}

static void test_reduction_errors(void **state) {
    (void)state;
    ERR(tl_mean(P("[1, 2]")), "mean(): could not infer output dtype. Input dtype must be either a floating point "
                              "or complex dtype. Got: Long");
    ERR(tl_mean(P("[True]")), "mean(): could not infer output dtype. Input dtype must be either a floating point "
                              "or complex dtype. Got: Bool");
    ERR(tl_mean_dim(P("[1, 2]"), 5, false), "mean(): could not infer output dtype. Input dtype must be either a "
                                            "floating point or complex dtype. Got: Long");
    ERR(tl_std(P("[1, 2]")), "std and var only support floating point and complex dtypes");
    ERR(tl_std_dim(P("[1, 2]"), 0, false), "std and var only support floating point and complex dtypes");
    tl_tensor *e = tl_zeros(TL_SHAPE(0), TL_FLOAT32);
    ERR(tl_max(e), "max(): Expected reduction dim to be specified for input.numel() == 0. "
                   "Specify the reduction dim with the 'dim' argument.");
    ERR(tl_min(e), "min(): Expected reduction dim to be specified for input.numel() == 0. "
                   "Specify the reduction dim with the 'dim' argument.");
    IDX_ERR(tl_argmax(e), "argmax(): Expected reduction dim to be specified for input.numel() == 0.");
    tl_tensor *e03 = tl_ones(TL_SHAPE(0, 3), TL_FLOAT32);
    IDX_ERR(tl_max_dim(e03, 0, false, NULL), "max(): Expected reduction dim 0 to have non-zero size.");
    IDX_ERR(tl_min_dim(e03, 0, false, NULL), "min(): Expected reduction dim 0 to have non-zero size.");
    IDX_ERR(tl_argmax_dim(e03, 0, false), "argmax(): Expected reduction dim 0 to have non-zero size.");
    ERR(tl_argmax(P("[True, False]")), "\"argmax_cpu\" not implemented for 'Bool'");
    tl_tensor *o = tl_ones(TL_SHAPE(2, 3), TL_FLOAT32);
    IDX_ERR(tl_sum_dim(o, 2, false), "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
    IDX_ERR(tl_sum_dim(o, -3, false), "Dimension out of range (expected to be in range of [-2, 1], but got -3)");
    IDX_ERR(tl_max_dim(o, 2, false, NULL), "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
    IDX_ERR(tl_sum_dim(P("5."), 1, false), "Dimension out of range (expected to be in range of [-1, 0], but got 1)");
}

// ----------------------------------------------------------------------------
// matrix multiplication

static void test_matmul_tutorial(void **state) {
    (void)state;
    // 000:265-282: tensor2d.matmul(tensor2d.T) and tensor2d @ tensor2d.T (int64, .T is a view)
    tl_tensor *t2 = P("[[1, 2, 3], [4, 5, 6]]");
    CHECK(tl_matmul(t2, tl_T(t2)), TL_INT64, TL_SHAPE(2, 2), V(14, 32, 32, 77));
    // the same in float32 through BLAS, with the transposed operand passed as Trans
    tl_tensor *f = f32(t2);
    CHECK(tl_matmul(f, tl_T(f)), TL_FLOAT32, TL_SHAPE(2, 2), V(14, 32, 32, 77));
    CHECK(tl_matmul(tl_T(f), f), TL_FLOAT32, TL_SHAPE(3, 3), V(17, 22, 27, 22, 29, 36, 27, 36, 45));
    CHECK(tl_mm(tl_to_dtype(t2, TL_FLOAT64), tl_T(tl_to_dtype(t2, TL_FLOAT64))), TL_FLOAT64, TL_SHAPE(2, 2),
          V(14, 32, 32, 77));
    // 003:125-139: [[1,2],[3,4]] @ [[5,6],[7,8]] in float32
    CHECK(tl_matmul(P("[[1., 2.], [3., 4.]]"), P("[[5., 6.], [7., 8.]]")), TL_FLOAT32, TL_SHAPE(2, 2),
          V(19, 22, 43, 50));
    // every-other-column slices: neither dim has stride 1 -> copied before BLAS
    tl_tensor *w = f32(tl_reshape(tl_arange(0, 16, 1), TL_SHAPE(4, 4)));
    tl_tensor *ws = tl_slice(tl_slice(w, 1, 0, TL_END, 2), 0, 0, TL_END, 2);    // [[0, 2], [8, 10]]
    CHECK(tl_matmul(ws, ws), TL_FLOAT32, TL_SHAPE(2, 2), V(16, 20, 80, 116));
    CHECK(tl_matmul(tl_slice(tl_slice(tl_reshape(tl_arange(0, 16, 1), TL_SHAPE(4, 4)), 1, 0, TL_END, 2), 0, 0,
                             TL_END, 2), P("[[1], [1]]")),
          TL_INT64, TL_SHAPE(2, 1), V(2, 18));
}

static void test_matmul_shapes(void **state) {
    (void)state;
    tl_tensor *v3 = P("[1., 2., 3.]");
    CHECK(tl_matmul(P("[1, 2, 3]"), P("[4, 5, 6]")), TL_INT64, TL_SCALAR_SHAPE, V(32));        // dot -> 0-d
    CHECK(tl_matmul(v3, P("[4., 5., 6.]")), TL_FLOAT32, TL_SCALAR_SHAPE, V(32));
    CHECK(tl_matmul(P("[[1., 0., 1.], [0., 1., 0.]]"), v3), TL_FLOAT32, TL_SHAPE(2), V(4, 2));  // mv
    CHECK(tl_matmul(v3, P("[[1., 0.], [0., 1.], [1., 1.]]")), TL_FLOAT32, TL_SHAPE(2), V(4, 5)); // vm
    CHECK(tl_matmul(P("[[1, 0, 1], [0, 1, 0]]"), P("[1, 2, 3]")), TL_INT64, TL_SHAPE(2), V(4, 2));
    // 003:309-312: bmm (4, 3, 2) @ (4, 2, 5) -> (4, 3, 5)
    tl_tensor *a = f32(tl_reshape(tl_arange(0, 24, 1), TL_SHAPE(4, 3, 2)));
    tl_tensor *b = f32(tl_reshape(tl_arange(0, 40, 1), TL_SHAPE(4, 2, 5)));
    tl_tensor *c = tl_bmm(a, b);
    assert_non_null(c);
    assert_int_equal(c->ndim, 3);
    assert_int_equal(c->shape[0], 4);
    assert_int_equal(c->shape[1], 3);
    assert_int_equal(c->shape[2], 5);
    // c[3, 2, 4] = a[3, 2, :] . b[3, :, 4] = 22*34 + 23*39
    assert_true(tl_get(c, TL_SHAPE(3, 2, 4)) == 22 * 34 + 23 * 39);
    tl_tensor *c2 = tl_matmul(a, b);
    CHECK(tl_eq(c, c2), TL_BOOL, TL_SHAPE(4, 3, 5), V(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                                       1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                                       1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1));
    // batch broadcasting: (2, 1, 2, 2) @ (3, 2, 1) -> (2, 3, 2, 1)
    tl_tensor *bb = tl_matmul(tl_reshape(tl_arange(0, 8, 1), TL_SHAPE(2, 1, 2, 2)),
                              tl_reshape(tl_arange(0, 6, 1), TL_SHAPE(3, 2, 1)));
    CHECK(bb, TL_INT64, TL_SHAPE(2, 3, 2, 1), V(1, 3, 3, 13, 5, 23, 5, 7, 23, 33, 41, 59));
    // N-d @ 2-D (folded into one gemm), 2-D @ N-d, 1-D @ N-d, N-d @ 1-D
    tl_tensor *n3 = tl_reshape(tl_arange(0, 12, 1), TL_SHAPE(2, 2, 3));
    CHECK(tl_matmul(n3, P("[[1], [1], [1]]")), TL_INT64, TL_SHAPE(2, 2, 1), V(3, 12, 21, 30));
    CHECK(tl_matmul(f32(n3), P("[[1.], [1.], [1.]]")), TL_FLOAT32, TL_SHAPE(2, 2, 1), V(3, 12, 21, 30));
    CHECK(tl_matmul(P("[[1, 1]]"), n3), TL_INT64, TL_SHAPE(2, 1, 3), V(3, 5, 7, 15, 17, 19));
    CHECK(tl_matmul(P("[1, 1]"), n3), TL_INT64, TL_SHAPE(2, 3), V(3, 5, 7, 15, 17, 19));
    CHECK(tl_matmul(n3, P("[1, 0, 1]")), TL_INT64, TL_SHAPE(2, 2), V(2, 8, 14, 20));
    CHECK(tl_matmul(f32(n3), P("[1., 0., 1.]")), TL_FLOAT32, TL_SHAPE(2, 2), V(2, 8, 14, 20));
    // a transposed batch (non-foldable): per-batch gemm with Trans operands
    tl_tensor *n3t = tl_transpose(f32(n3), 1, 2);                                 // (2, 3, 2)
    CHECK(tl_matmul(n3t, P("[[1.], [2.]]")), TL_FLOAT32, TL_SHAPE(2, 3, 1), V(6, 9, 12, 24, 27, 30));
    // empty contraction: zeros
    CHECK(tl_matmul(tl_ones(TL_SHAPE(2, 0), TL_FLOAT32), tl_ones(TL_SHAPE(0, 3), TL_FLOAT32)), TL_FLOAT32,
          TL_SHAPE(2, 3), V(0, 0, 0, 0, 0, 0));
}

// a tiny deterministic generator for test data (numerical recipes LCG)
static uint32_t lcg_state = 12345;
static float lcg_uniform(void) {
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return (float)(lcg_state >> 8) / 16777216.0f * 2.0f - 1.0f;
}

static void test_matmul_random(void **state) {
    (void)state;
    // random float32 (M, K) @ (K, N) through sgemm vs a naive double-precision reference,
    // for the plain, A-transposed and B-transposed layouts
    enum { M = 37, K = 53, N = 29 };
    float *a = malloc(sizeof(float) * M * K), *b = malloc(sizeof(float) * K * N);
    for (int i = 0; i < M * K; i++) a[i] = lcg_uniform();
    for (int i = 0; i < K * N; i++) b[i] = lcg_uniform();
    double *ref = malloc(sizeof(double) * M * N);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++) s += (double)a[i * K + k] * b[k * N + j];
            ref[i * N + j] = s;
        }
    tl_tensor *A = tl_from_data(a, TL_SHAPE(M, K), TL_FLOAT32), *B = tl_from_data(b, TL_SHAPE(K, N), TL_FLOAT32);
    tl_tensor *At = tl_T(tl_contiguous(tl_T(A))), *Bt = tl_T(tl_contiguous(tl_T(B)));   // same values, Fortran order
    assert_false(tl_is_contiguous(At));
    CHECK_NEAR(tl_matmul(A, B), TL_FLOAT32, TL_SHAPE(M, N), ref, 1e-5);
    CHECK_NEAR(tl_matmul(At, B), TL_FLOAT32, TL_SHAPE(M, N), ref, 1e-5);
    CHECK_NEAR(tl_matmul(A, Bt), TL_FLOAT32, TL_SHAPE(M, N), ref, 1e-5);
    CHECK_NEAR(tl_mm(At, Bt), TL_FLOAT32, TL_SHAPE(M, N), ref, 1e-5);
    CHECK_NEAR(tl_matmul(tl_to_dtype(A, TL_FLOAT64), tl_to_dtype(Bt, TL_FLOAT64)), TL_FLOAT64, TL_SHAPE(M, N), ref,
               1e-12);
    free(a);
    free(b);
    free(ref);
}

static void test_matmul_errors(void **state) {
    (void)state;
    tl_tensor *o23 = tl_ones(TL_SHAPE(2, 3), TL_FLOAT32), *o3 = tl_ones(TL_SHAPE(3), TL_FLOAT32);
    tl_tensor *o2 = tl_ones(TL_SHAPE(2), TL_FLOAT32), *o223 = tl_ones(TL_SHAPE(2, 2, 3), TL_FLOAT32);
    ERR(tl_matmul(o23, o23), "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)");
    ERR(tl_matmul(o3, o2), "inconsistent tensor size, expected tensor [3] and src [2] to have the same number of "
                           "elements, but got 3 and 2 elements respectively");
    ERR(tl_matmul(o3, o23), "mat1 and mat2 shapes cannot be multiplied (1x3 and 2x3)");
    ERR(tl_matmul(o223, tl_ones(TL_SHAPE(4, 4), TL_FLOAT32)), "mat1 and mat2 shapes cannot be multiplied (4x3 and 4x4)");
    ERR(tl_matmul(o223, o223), "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 2].");
    ERR(tl_matmul(o223, tl_ones(TL_SHAPE(3, 2, 3), TL_FLOAT32)),
        "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0");
    ERR(tl_matmul(tl_ones(TL_SHAPE(5, 2, 2, 3), TL_FLOAT32), tl_ones(TL_SHAPE(4, 3, 4), TL_FLOAT32)),
        "The size of tensor a (2) must match the size of tensor b (4) at non-singleton dimension 1");
    // PyTorch 2.x wording of mv's check (1.13 said "size mismatch, got 2, 2x3,2")
    ERR(tl_matmul(o23, o2), "size mismatch, got input (2), mat (2x3), vec (2)");
    ERR(tl_matmul(tl_ones(TL_SHAPE(5, 2, 3), TL_FLOAT32), tl_ones(TL_SHAPE(4), TL_FLOAT32)),
        "size mismatch, got input (10), mat (10x3), vec (4)");
    ERR(tl_matmul(o3, o223), "size mismatch, got input (6), mat (6x2), vec (3)");
    // 2.x: a 2-D first operand is not folded; bmm checks the expanded batch
    ERR(tl_matmul(o23, tl_ones(TL_SHAPE(2, 4, 4), TL_FLOAT32)),
        "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4].");
    ERR(tl_matmul(P("1."), o3), "both arguments to matmul need to be at least 1D, but they are 0D and 1D");
    ERR(tl_matmul(o3, P("1.")), "both arguments to matmul need to be at least 1D, but they are 1D and 0D");
    // mixed dtypes: PyTorch 2.x's addmm_impl_cpu_ wording for mm
    tl_tensor *l23 = tl_ones(TL_SHAPE(2, 3), TL_INT64), *l32 = tl_ones(TL_SHAPE(3, 2), TL_INT64);
    tl_tensor *f32m = tl_ones(TL_SHAPE(3, 2), TL_FLOAT32);
    ERR(tl_matmul(l23, f32m), "expected m1 and m2 to have the same dtype, but got: long int != float");
    ERR(tl_mm(o23, tl_ones(TL_SHAPE(3, 2), TL_FLOAT64)), "expected m1 and m2 to have the same dtype, but got: float != double");
    ERR(tl_matmul(o3, tl_ones(TL_SHAPE(3), TL_INT64)), "dot : expected both vectors to have same dtype, but found Float and Long");
    ERR(tl_matmul(o23, tl_ones(TL_SHAPE(3), TL_FLOAT64)), "expected scalar type Float but found Double");
    ERR(tl_matmul(tl_ones(TL_SHAPE(2, 3, 2), TL_FLOAT32), tl_ones(TL_SHAPE(2, 2, 3), TL_INT64)),
        "expected scalar type Float but found Long");
    ERR(tl_bmm(tl_ones(TL_SHAPE(2, 2, 3), TL_INT64), tl_ones(TL_SHAPE(2, 3, 2), TL_FLOAT32)),
        "expected scalar type Long but found Float");
    // bool
    tl_tensor *b23 = tl_ones(TL_SHAPE(2, 3), TL_BOOL), *b32 = tl_ones(TL_SHAPE(3, 2), TL_BOOL);
    ERR(tl_matmul(b23, b32), "\"addmm_impl_cpu_\" not implemented for 'Bool'");
    ERR(tl_matmul(tl_ones(TL_SHAPE(3), TL_BOOL), tl_ones(TL_SHAPE(3), TL_BOOL)), "\"dot\" not implemented for 'Bool'");
    ERR(tl_matmul(tl_ones(TL_SHAPE(2, 3, 3), TL_BOOL), tl_ones(TL_SHAPE(2, 3, 3), TL_BOOL)),
        "\"bmm\" not implemented for 'Bool'");
    ERR(tl_matmul(b23, tl_ones(TL_SHAPE(3), TL_BOOL)), "\"addmv_impl_cpu\" not implemented for 'Bool'");
    // mm and bmm's own checks
    ERR(tl_mm(o3, f32m), "self must be a matrix");
    ERR(tl_mm(o23, o3), "mat2 must be a matrix");
    ERR(tl_mm(o23, o23), "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)");
    ERR(tl_bmm(o23, f32m), "batch1 must be a 3D tensor");
    ERR(tl_bmm(o223, o23), "batch2 must be a 3D tensor");
    ERR(tl_bmm(o223, tl_ones(TL_SHAPE(3, 3, 2), TL_FLOAT32)),
        "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [3, 3].");
    ERR(tl_bmm(tl_ones(TL_SHAPE(2, 2, 3), TL_BOOL), tl_ones(TL_SHAPE(2, 3, 2), TL_BOOL)),
        "\"bmm\" not implemented for 'Bool'");
    CHECK(tl_mm(l23, l32), TL_INT64, TL_SHAPE(2, 2), V(3, 3, 3, 3));
}

// ----------------------------------------------------------------------------
// NULL arguments pass an earlier failure through, untouched

static void test_null_propagation(void **state) {
    (void)state;
    tl_tensor *x = P("[1., 2.]");
    tl_error_set(TL_VALUE_ERROR, "earlier failure");
    assert_null(tl_add(NULL, x));
    assert_null(tl_add(x, NULL));
    assert_null(tl_mul_scalar(NULL, 2));
    assert_null(tl_exp(NULL));
    assert_null(tl_where(NULL, x, x));
    assert_null(tl_masked_select(x, NULL));
    assert_null(tl_index_select(NULL, 0, x));
    assert_null(tl_cat(TL_LIST(x, NULL), 0));
    assert_null(tl_stack(TL_LIST(NULL, x), 0));
    assert_null(tl_sum(NULL));
    assert_null(tl_max_dim(NULL, 0, false, NULL));
    assert_null(tl_argmax(NULL));
    assert_null(tl_matmul(x, NULL));
    assert_null(tl_mm(NULL, x));
    assert_null(tl_bmm(NULL, NULL));
    assert_string_equal(tl_error(), "earlier failure");   // nobody overwrote it
    // a nested expression is checked once at the end
    assert_null(tl_sum(tl_mul(tl_add(x, P("[1., 2., 3.]")), x)));
    assert_string_equal(tl_error(),
                        "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0");
}

// ----------------------------------------------------------------------------
// micro benchmark (not a test): ./test_ch01_ops --bench

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// each timed call runs in its own pool, so memory stays flat
#define TIME_IT(label, reps, expr, extra)                                          \
    do {                                                                       \
        TL_SCOPE { expr; }  /* warm-up: threads, caches */                         \
        double t0 = now_s();                                                   \
        for (int r = 0; r < (reps); r++) {                                     \
            tl_pool *p = tl_pool_push();                                       \
            expr;                                                              \
            tl_pool_pop(p);                                                    \
        }                                                                      \
        double dt = (now_s() - t0) / (reps);                                   \
        printf("%-44s %8.3f ms", label, dt * 1e3);                             \
        extra;                                                                 \
        printf("\n");                                                          \
    } while (0)

static void bench(void) {
    tl_pool *pool = tl_pool_push();
    enum { N = 512 };
    tl_tensor *a = tl_ones(TL_SHAPE(N, N), TL_FLOAT32), *b = tl_ones(TL_SHAPE(N, N), TL_FLOAT32);
    TIME_IT("matmul 512x512 @ 512x512 float32 (sgemm)", 20, tl_matmul(a, b),
            printf("  %.1f GFLOP/s", 2.0 * N * N * N / dt / 1e9));
    tl_tensor *x = tl_ones(TL_SHAPE(1000000), TL_FLOAT32), *y = tl_ones(TL_SHAPE(1000000), TL_FLOAT32);
    TIME_IT("add 1e6 float32", 200, tl_add(x, y), printf("  %.2f GB/s", 12e6 / dt / 1e9));
    tl_tensor *s = tl_ones(TL_SHAPE(1000, 1000), TL_FLOAT32);
    TIME_IT("add 1e6 float32, one operand transposed", 200, tl_add(s, tl_T(s)), (void)0);
    TIME_IT("add_scalar 1e6 int64 * 2.5 (-> float32)", 200, tl_mul_scalar(tl_ones(TL_SHAPE(1000000), TL_INT64), 2.5),
            (void)0);
    TIME_IT("sum 1e6 float32", 200, tl_sum(x), (void)0);
    TIME_IT("sum dim 0 of 1000x1000 float32", 200, tl_sum_dim(s, 0, false), (void)0);
    tl_pool_pop(pool);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--bench") == 0) {
        bench();
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_result_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrapped_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broadcast_003, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broadcast_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arith_003, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scalar_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arith_dtypes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arith_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_maximum_minimum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compare, setup, teardown),
        cmocka_unit_test_setup_teardown(test_indexing_003, setup, teardown),
        cmocka_unit_test_setup_teardown(test_where, setup, teardown),
        cmocka_unit_test_setup_teardown(test_masked_select, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_select, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cat_stack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reductions_003, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reductions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reduction_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_matmul_tutorial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_matmul_shapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_matmul_random, setup, teardown),
        cmocka_unit_test_setup_teardown(test_matmul_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_propagation, setup, teardown),
    };
    return cmocka_run_group_tests_name("ch01_ops", tests, NULL, NULL);
}
