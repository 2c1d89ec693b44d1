// tests/test_ch02_functional.c — cmocka tests of lib/functional.c (chapter 02, "functional"):
// the forward values of binary_cross_entropy, mse_loss, softmax and log_softmax, their errors,
// and the nodes they record. (Their gradients are checked in test_ch03_gradcheck_functional.c.)
//
// Expected values were derived with PyTorch 1.13.1 on CPU (/usr/bin/python3, torch.nn.functional);
// the tutorial's own value is marked "000:". Error messages are PyTorch 1.13.1's, verbatim.
// Each test runs inside its own pool; the teardown checks that no tensor leaked.
//
//     gcc -std=c11 -Ilib tests/test_ch02_functional.c -Lbuild -ltorchlet -lcmocka -lm -o test
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

// t has dtype dt, shape `shape` and (row-major) values vals, each within tol (relative for
// large values); NaN matches NaN and infinities must match exactly
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
        bool ok = (isnan(want) && isnan(got)) || (isinf(want) && got == want) ||
                  (isfinite(want) && fabs(got - want) <= tol * fmax(1.0, fabs(want)));
        if (!ok) fail_msg("%s:%d: element %lld is %.17g, expected %.17g", file, line, (long long)k, got, want);
    }
}
#define CHECK(t, dt, shape, tol, ...) \
    check_((t), (dt), shape, (const double[]){ __VA_ARGS__ }, (tol), __FILE__, __LINE__)

// the call failed with this error kind and message
static void check_error_(const tl_tensor *t, tl_errkind kind, const char *message, const char *file, int line) {
    if (t) fail_msg("%s:%d: expected an error, got a tensor", file, line);
    if (!tl_error()) fail_msg("%s:%d: NULL without an error message", file, line);
    if (tl_error_kind() != kind || strcmp(tl_error(), message) != 0)
        fail_msg("%s:%d: got %s: %s\nexpected %s: %s", file, line, tl_error_kind_name(tl_error_kind()),
                 tl_error(), tl_error_kind_name(kind), message);
    tl_error_clear();
}
#define CHECK_ERROR(t, kind, message) check_error_((t), (kind), (message), __FILE__, __LINE__)

static const char *grad_fn_name(const tl_tensor *t) { return t && t->grad_fn ? tl_node_name(t->grad_fn) : NULL; }

// ----------------------------------------------------------------------------
// binary cross entropy

static void test_bce_tutorial(void **state) {
    (void)state;
    // 000:291-307: z = x1 * w1 + b, a = sigmoid(z), loss = F.binary_cross_entropy(a, y)
    tl_tensor *a = tl_sigmoid(tl_add(tl_mul(P("[1.1]"), P("[2.2]")), P("[0.0]")));
    tl_tensor *loss = tl_binary_cross_entropy(a, P("[1.0]"));
    CHECK(loss, TL_FLOAT32, TL_SCALAR_SHAPE, 1e-7, 0.0851878821849823);
    assert_string_equal(tl_repr(loss), "tensor(0.0852)");        // 000:307
    assert_null(loss->grad_fn);                                  // nothing requires grad
    assert_false(loss->requires_grad);
}

static void test_bce_values(void **state) {
    (void)state;
    CHECK(tl_binary_cross_entropy(Pd("[0.2, 0.7, 0.9]", TL_FLOAT64), Pd("[0.0, 1.0, 0.3]", TL_FLOAT64)),
          TL_FLOAT64, TL_SCALAR_SHAPE, 1e-15, 0.7410787383487074);
    // a 0-d input
    CHECK(tl_binary_cross_entropy(P("0.3"), P("1.0")), TL_FLOAT32, TL_SCALAR_SHAPE, 1e-6, 1.2039728164672852);
    // non-contiguous operands (transposed views) read the right elements
    tl_tensor *a = P("[[0.1, 0.9], [0.4, 0.6], [0.3, 0.5]]"), *t = P("[[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]]");
    CHECK(tl_binary_cross_entropy(tl_T(a), tl_T(t)), TL_FLOAT32, TL_SCALAR_SHAPE, 1e-6, 0.5861289501190186);
}

static void test_bce_clamps_log(void **state) {
    (void)state;
    // log(0) is clamped at -100: a confident mistake costs 100, not inf
    CHECK(tl_binary_cross_entropy(P("[0.0, 1.0]"), P("[1.0, 0.0]")), TL_FLOAT32, TL_SCALAR_SHAPE, 1e-6, 100.0);
    CHECK(tl_binary_cross_entropy(P("[0.0, 1.0]"), P("[0.0, 1.0]")), TL_FLOAT32, TL_SCALAR_SHAPE, 0, 0.0);
    CHECK(tl_binary_cross_entropy(P("[0.9, 0.2, 0.0]"), P("[1.0, 0.0, 1.0]")), TL_FLOAT32, TL_SCALAR_SHAPE,
          1e-6, 33.44283676147461);
    // the mean of nothing is nan
    CHECK(tl_binary_cross_entropy(P("[]"), P("[]")), TL_FLOAT32, TL_SCALAR_SHAPE, 0, NAN);
}

static void test_bce_errors(void **state) {
    (void)state;
    CHECK_ERROR(tl_binary_cross_entropy(P("[0.5]"), P("[1.0, 0.0]")), TL_VALUE_ERROR,
                "Using a target size (torch.Size([2])) that is different to the input size (torch.Size([1])) "
                "is deprecated. Please ensure they have the same size.");
    CHECK_ERROR(tl_binary_cross_entropy(P("[[0.5, 0.5]]"), P("[1.0, 0.0]")), TL_VALUE_ERROR,
                "Using a target size (torch.Size([2])) that is different to the input size (torch.Size([1, 2])) "
                "is deprecated. Please ensure they have the same size.");
    CHECK_ERROR(tl_binary_cross_entropy(P("[0.5, 1.5]"), P("[1.0, 1.0]")), TL_RUNTIME_ERROR,
                "all elements of input should be between 0 and 1");
    CHECK_ERROR(tl_binary_cross_entropy(P("[-0.5]"), P("[1.0]")), TL_RUNTIME_ERROR,
                "all elements of input should be between 0 and 1");
    CHECK_ERROR(tl_binary_cross_entropy(tl_div(P("[0.0]"), P("[0.0]")), P("[1.0]")), TL_RUNTIME_ERROR,
                "all elements of input should be between 0 and 1");            // NaN
    CHECK_ERROR(tl_binary_cross_entropy(P("[0.5]"), Pd("[1.0]", TL_FLOAT64)), TL_RUNTIME_ERROR,
                "Found dtype Double but expected Float");
    CHECK_ERROR(tl_binary_cross_entropy(Pd("[0.5]", TL_FLOAT64), P("[1.0]")), TL_RUNTIME_ERROR,
                "Found dtype Float but expected Double");
    CHECK_ERROR(tl_binary_cross_entropy(P("[0.5]"), P("[1]")), TL_RUNTIME_ERROR,
                "Found dtype Long but expected Float");
    CHECK_ERROR(tl_binary_cross_entropy(P("[0]"), P("[1]")), TL_RUNTIME_ERROR,
                "\"binary_cross_entropy\" not implemented for 'Long'");
    CHECK_ERROR(tl_binary_cross_entropy(P("[True]"), P("[True]")), TL_RUNTIME_ERROR,
                "\"binary_cross_entropy\" not implemented for 'Bool'");
    // the shape is checked before the dtype, and the dtype before the range (PyTorch's order)
    CHECK_ERROR(tl_binary_cross_entropy(P("[0.5]"), Pd("[1.0, 1.0]", TL_FLOAT64)), TL_VALUE_ERROR,
                "Using a target size (torch.Size([2])) that is different to the input size (torch.Size([1])) "
                "is deprecated. Please ensure they have the same size.");
    CHECK_ERROR(tl_binary_cross_entropy(P("[1.5]"), Pd("[1.0]", TL_FLOAT64)), TL_RUNTIME_ERROR,
                "Found dtype Double but expected Float");
    // a target outside [0, 1] is not checked by PyTorch 1.13
    CHECK(tl_binary_cross_entropy(P("[0.5]"), P("[2.0]")), TL_FLOAT32, TL_SCALAR_SHAPE, 1e-6, 0.6931471824645996);
    // NULL in, NULL out, and the earlier error stays
    tl_error_set(TL_RUNTIME_ERROR, "earlier");
    assert_null(tl_binary_cross_entropy(NULL, P("[1.0]")));
    assert_null(tl_binary_cross_entropy(P("[1.0]"), NULL));
    assert_string_equal(tl_error(), "earlier");
    tl_error_clear();
}

// ----------------------------------------------------------------------------
// mean squared error

static void test_mse_values(void **state) {
    (void)state;
    // nn.MSELoss()([1, 2, 3], [1.5, 2, 2]) = tensor(0.4167) (seed catalogue, Part 2, 002)
    tl_tensor *loss = tl_mse_loss(P("[1.0, 2.0, 3.0]"), P("[1.5, 2.0, 2.0]"));
    CHECK(loss, TL_FLOAT32, TL_SCALAR_SHAPE, 1e-7, 0.4166666567325592);
    assert_string_equal(tl_repr(loss), "tensor(0.4167)");
    CHECK(tl_mse_loss(Pd("[1.0, 2.0, 3.0]", TL_FLOAT64), Pd("[1.5, 2.0, 2.0]", TL_FLOAT64)),
          TL_FLOAT64, TL_SCALAR_SHAPE, 1e-16, 0.4166666666666667);
    // dtypes promote as in x - y
    CHECK(tl_mse_loss(P("[1.0, 2.0, 3.0]"), Pd("[1.5, 2.0, 2.0]", TL_FLOAT64)),
          TL_FLOAT64, TL_SCALAR_SHAPE, 1e-16, 0.4166666666666667);
    CHECK(tl_mse_loss(P("[1.0, 2.0, 3.0]"), P("[1, 2, 2]")), TL_FLOAT32, TL_SCALAR_SHAPE, 1e-7, 0.3333333432674408);
    CHECK(tl_mse_loss(P("[1.0, 0.0]"), P("[True, False]")), TL_FLOAT32, TL_SCALAR_SHAPE, 0, 0.0);
    // non-contiguous
    CHECK(tl_mse_loss(tl_T(P("[[1.0, 2.0], [3.0, 4.0]]")), P("[[1.0, 3.0], [2.0, 5.0]]")),
          TL_FLOAT32, TL_SCALAR_SHAPE, 1e-7, 0.25);
    CHECK(tl_mse_loss(P("[]"), P("[]")), TL_FLOAT32, TL_SCALAR_SHAPE, 0, NAN);
}

static void test_mse_broadcasts(void **state) {
    (void)state;
    // PyTorch warns (UserWarning on stderr) and broadcasts (1, 3) against (2, 1)
    CHECK(tl_mse_loss(P("[[1.0, 2.0, 3.0]]"), P("[[1.5], [2.0]]")), TL_FLOAT32, TL_SCALAR_SHAPE, 1e-7,
          0.7916666865348816);
    CHECK(tl_mse_loss(P("2.0"), P("[1.0, 3.0]")), TL_FLOAT32, TL_SCALAR_SHAPE, 0, 1.0);
    CHECK_ERROR(tl_mse_loss(P("[1.0, 2.0, 3.0]"), P("[1.5, 2.0]")), TL_RUNTIME_ERROR,
                "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0");
}

static void test_mse_errors(void **state) {
    (void)state;
    CHECK_ERROR(tl_mse_loss(P("[1, 2, 3]"), P("[1, 2, 2]")), TL_RUNTIME_ERROR,
                "\"mse_cpu\" not implemented for 'Long'");
    CHECK_ERROR(tl_mse_loss(P("[True, False]"), P("[True, False]")), TL_RUNTIME_ERROR,
                "\"mse_cpu\" not implemented for 'Bool'");
    tl_error_set(TL_RUNTIME_ERROR, "earlier");
    assert_null(tl_mse_loss(NULL, P("[1.0]")));
    assert_string_equal(tl_error(), "earlier");
    tl_error_clear();
}

// ----------------------------------------------------------------------------
// softmax and log_softmax

static void test_softmax_values(void **state) {
    (void)state;
    tl_tensor *x = P("[[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]");
    CHECK(tl_softmax(x, 1), TL_FLOAT32, TL_SHAPE(2, 3), 1e-7,
          0.09003057330846786, 0.2447284758090973, 0.6652409434318542,
          0.3333333432674408, 0.3333333432674408, 0.3333333432674408);
    CHECK(tl_softmax(x, -1), TL_FLOAT32, TL_SHAPE(2, 3), 1e-7,
          0.09003057330846786, 0.2447284758090973, 0.6652409434318542,
          0.3333333432674408, 0.3333333432674408, 0.3333333432674408);
    CHECK(tl_softmax(x, 0), TL_FLOAT32, TL_SHAPE(2, 3), 1e-7,
          0.5, 0.7310585975646973, 0.8807970285415649, 0.5, 0.2689414322376251, 0.11920291930437088);
    // a transposed (non-contiguous) input
    CHECK(tl_softmax(tl_T(x), 1), TL_FLOAT32, TL_SHAPE(3, 2), 1e-7,
          0.5, 0.5, 0.7310585975646973, 0.2689414322376251, 0.8807970285415649, 0.11920291185379028);
    assert_string_equal(tl_repr(tl_softmax(x, 1)), "tensor([[0.0900, 0.2447, 0.6652],\n"
                                                   "        [0.3333, 0.3333, 0.3333]])");
    // a 0-d tensor: softmax over its one element
    CHECK(tl_softmax(P("3.0"), 0), TL_FLOAT32, TL_SCALAR_SHAPE, 0, 1.0);
    CHECK(tl_softmax(P("3.0"), -1), TL_FLOAT32, TL_SCALAR_SHAPE, 0, 1.0);
}

static void test_softmax_is_stable(void **state) {
    (void)state;
    // subtracting the maximum: no overflow for large scores
    CHECK(tl_softmax(P("[1000.0, 1001.0, 1002.0]"), 0), TL_FLOAT32, TL_SHAPE(3), 1e-7,
          0.09003057330846786, 0.2447284758090973, 0.6652409434318542);
    CHECK(tl_log_softmax(P("[1000.0, 1001.0, 1002.0]"), 0), TL_FLOAT32, TL_SHAPE(3), 1e-6,
          -2.4076058864593506, -1.4076058864593506, -0.40760594606399536);
    // log_softmax does not underflow where log(softmax) would: tensor([0., -120.])
    CHECK(tl_log_softmax(P("[0.0, -120.0]"), 0), TL_FLOAT32, TL_SHAPE(2), 1e-6, 0.0, -120.0);
    // -inf scores get probability 0; a slice of only -inf is nan, as in PyTorch
    // (the literal parser has no -inf, so these are made from C arrays)
    tl_tensor *some_inf = tl_from_data((float[]){ -INFINITY, 0.0f, 1.0f }, TL_SHAPE(3), TL_FLOAT32);
    tl_tensor *all_inf = tl_from_data((float[]){ -INFINITY, -INFINITY }, TL_SHAPE(2), TL_FLOAT32);
    CHECK(tl_softmax(some_inf, 0), TL_FLOAT32, TL_SHAPE(3), 1e-7, 0.0, 0.2689414322376251, 0.7310585975646973);
    CHECK(tl_log_softmax(some_inf, 0), TL_FLOAT32, TL_SHAPE(3), 1e-6,
          -INFINITY, -1.31326162815094, -0.31326165795326233);
    CHECK(tl_softmax(all_inf, 0), TL_FLOAT32, TL_SHAPE(2), 0, NAN, NAN);
}

// x3 = sin(arange(24)).reshape(2, 3, 4) * 3 in float64, the same numbers as torch's
static tl_tensor *sin_tensor(void) {
    double v[24];
    for (int i = 0; i < 24; i++) v[i] = sin((double)i) * 3;
    return tl_from_data(v, TL_SHAPE(2, 3, 4), TL_FLOAT64);
}

// a (5, 7) tensor of scale * sin(i + phase), i = 0 .. 34
static tl_tensor *filled(tl_dtype dt, double scale, double phase) {
    tl_tensor *t = tl_empty(TL_SHAPE(5, 7), TL_FLOAT64);
    for (int i = 0; i < 35; i++) TL_DATA(t, double)[i] = scale * sin(i + phase);
    return tl_to_dtype(t, dt);
}

// softmax along the last dim (the row kernels) against the same softmax computed along dim 0 of the
// transposed tensor (the general kernels): the same bits, values and gradients, both dtypes
static void test_softmax_rows_match_general(void **state) {
    (void)state;
    for (int d = 0; d < 2; d++) {
        tl_dtype dt = d ? TL_FLOAT64 : TL_FLOAT32;
        for (int log_out = 0; log_out < 2; log_out++) {
            tl_tensor *x = tl_requires_grad_(filled(dt, 4, 0.0), true);
            tl_tensor *xt = tl_contiguous(tl_T(x));                           // (7, 5): softmax over dim 0
            tl_tensor *rows = log_out ? tl_log_softmax(x, 1) : tl_softmax(x, 1);
            tl_tensor *cols = tl_T(log_out ? tl_log_softmax(xt, 0) : tl_softmax(xt, 0));
            tl_tensor *w = filled(dt, 1, 1.0);                                 // a weighting of the outputs
            size_t bytes = 35 * tl_dtype_size(dt);
            assert_memory_equal(tl_data_ptr(rows), tl_data_ptr(tl_contiguous(cols)), bytes);
            tl_tensor **g1 = tl_grad(tl_sum(tl_mul(rows, w)), &x, 1, false);
            tl_tensor **g2 = tl_grad(tl_sum(tl_mul(cols, w)), &x, 1, false);
            assert_non_null(g1);
            assert_non_null(g2);
            assert_memory_equal(tl_data_ptr(tl_contiguous(g1[0])), tl_data_ptr(tl_contiguous(g2[0])), bytes);
        }
    }
}

static void test_softmax_inner_dims(void **state) {
    (void)state;
    tl_tensor *x3 = sin_tensor();
    CHECK(tl_softmax(x3, 1), TL_FLOAT64, TL_SHAPE(2, 3, 4), 1e-14,
          0.048643576845786816, 0.7810564169523228, 0.9605744375507002, 0.1744354761122953,
          0.005023426578244722, 0.0035235239311557304, 0.027150425077393583, 0.8198772884597594,
          0.9463329965759684, 0.21542005911652162, 0.012275137371906353, 0.00568723542794531,
          0.012426201305391757, 0.22200873746494748, 0.9476431771158155, 0.8103192962322904,
          0.02620148414330516, 0.003518459152228708, 0.005099763818466795, 0.18058407727344217,
          0.961372314551303, 0.7744728033828238, 0.047257059065717845, 0.00909662649426757);
    CHECK(tl_log_softmax(x3, 1), TL_FLOAT64, TL_SHAPE(2, 3, 4), 1e-14,
          -3.023235506902396, -0.2471078949366503, -0.04022380102501912, -1.7462003701188216,
          -5.293642992826181, -5.648293673349755, -3.606362576098842, -0.19860059814205594,
          -0.05516076703225078, -1.5351653936350698, -4.400179414170173, -5.169531013950533,
          -4.387948027134521, -1.5050385399341475, -0.05377724302911385, -0.2103269161098833,
          -3.6419392231284125, -5.64973212605274, -5.278561050428753, -1.7115588075923767,
          -0.0393935209503335, -0.25557273480590176, -3.0521532379849368, -4.699851649106746);
    CHECK(tl_log_softmax(x3, -3), TL_FLOAT64, TL_SHAPE(2, 3, 4), 1e-14,
          -0.18227475534296655, -0.24884761997468885, -0.8225314244002734, -1.7239555168097684,
          -1.625793619595191, -0.6894442361233578, -0.21752362700659308, -0.19755624554287385,
          -0.5850821679834006, -1.5203303081802857, -1.7884867855476598, -0.95017010595425,
          -1.7919935093442714, -1.5127594639184556, -0.5786016377927071, -0.19645202051801963,
          -0.21909608366660246, -0.6968638877726129, -1.6322388727248434, -1.718884412710384,
          -0.8143211556706629, -0.24671884829738724, -0.18297738075076223, -0.4888606988276519);
    CHECK(tl_log_softmax(Pd("[[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]", TL_FLOAT64), 0), TL_FLOAT64, TL_SHAPE(2, 3),
          1e-15, -0.6931471805599453, -0.31326168751822286, -0.1269280110429726,
          -0.6931471805599453, -1.3132616875182228, -2.1269280110429727);
    // more than 64 slices side by side (the scratch arrays move from the stack to the heap):
    // softmax(cos(arange(200)).reshape(2, 100), dim=0)
    double v[200];
    for (int i = 0; i < 200; i++) v[i] = cosf((float)i);
    tl_tensor *s = tl_softmax(tl_from_data((float[200]){ 0 }, TL_SHAPE(2, 100), TL_FLOAT32), 0);
    CHECK(tl_sum(s), TL_FLOAT32, TL_SCALAR_SHAPE, 1e-5, 100.0);
    tl_tensor *c = tl_to_dtype(tl_from_data(v, TL_SHAPE(2, 100), TL_FLOAT64), TL_FLOAT32);
    s = tl_softmax(c, 0);
    assert_non_null(s);
    assert_float_equal(tl_get(s, TL_SHAPE(0, 0)), 0.5343660116195679, 1e-6);
    assert_float_equal(tl_get(s, TL_SHAPE(1, 99)), 0.37485450506210327, 1e-6);
    assert_float_equal(tl_get(s, TL_SHAPE(0, 57)), 0.47577792406082153, 1e-6);
}

static void test_softmax_errors(void **state) {
    (void)state;
    CHECK_ERROR(tl_softmax(P("[1.0, 2.0]"), 1), TL_INDEX_ERROR,
                "Dimension out of range (expected to be in range of [-1, 0], but got 1)");
    CHECK_ERROR(tl_log_softmax(P("[[1.0, 2.0]]"), -3), TL_INDEX_ERROR,
                "Dimension out of range (expected to be in range of [-2, 1], but got -3)");
    CHECK_ERROR(tl_softmax(P("3.0"), 1), TL_INDEX_ERROR,
                "Dimension out of range (expected to be in range of [-1, 0], but got 1)");
    // the dim is checked before the dtype
    CHECK_ERROR(tl_softmax(P("[1, 2]"), 3), TL_INDEX_ERROR,
                "Dimension out of range (expected to be in range of [-1, 0], but got 3)");
    // PyTorch names the kernel that refused the dtype: last dim or not, softmax or log_softmax
    CHECK_ERROR(tl_softmax(P("[1, 2, 3]"), 0), TL_RUNTIME_ERROR,
                "\"softmax_lastdim_kernel_impl\" not implemented for 'Long'");
    CHECK_ERROR(tl_softmax(P("[True]"), 0), TL_RUNTIME_ERROR,
                "\"softmax_lastdim_kernel_impl\" not implemented for 'Bool'");
    CHECK_ERROR(tl_softmax(P("[[1, 2], [3, 4]]"), 0), TL_RUNTIME_ERROR,
                "\"softmax_kernel_impl\" not implemented for 'Long'");
    CHECK_ERROR(tl_log_softmax(P("[[1, 2], [3, 4]]"), 0), TL_RUNTIME_ERROR,
                "\"softmax_kernel_impl\" not implemented for 'Long'");
    CHECK_ERROR(tl_log_softmax(P("[[1, 2], [3, 4]]"), -1), TL_RUNTIME_ERROR,
                "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'");
    CHECK_ERROR(tl_log_softmax(P("3"), 0), TL_RUNTIME_ERROR,
                "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'");
    // an empty integer tensor runs no kernel, so PyTorch returns an empty result
    tl_tensor *e = tl_softmax(tl_arange(0, 0, 1), 0);
    assert_non_null(e);
    assert_int_equal(e->dtype, TL_INT64);
    assert_int_equal(tl_numel(e), 0);
    tl_tensor *z = tl_softmax(tl_zeros(TL_SHAPE(0, 3), TL_FLOAT32), 1);
    CHECK(z, TL_FLOAT32, TL_SHAPE(0, 3), 0, 0);
    assert_null(tl_softmax(NULL, 0));
    assert_null(tl_log_softmax(NULL, 0));
}

// ----------------------------------------------------------------------------
// recording: grad_fn names, requires_grad, no-grad mode

static void test_records_nodes(void **state) {
    (void)state;
    tl_tensor *p = tl_requires_grad_(P("[0.2, 0.7]"), true);
    tl_tensor *y = P("[0.0, 1.0]");
    tl_tensor *bce = tl_binary_cross_entropy(p, y);
    assert_string_equal(grad_fn_name(bce), "BinaryCrossEntropyBackward0");
    assert_true(bce->requires_grad);
    assert_string_equal(tl_repr(bce), "tensor(0.2899, grad_fn=<BinaryCrossEntropyBackward0>)");
    tl_tensor *mse = tl_mse_loss(p, y);
    assert_string_equal(grad_fn_name(mse), "MseLossBackward0");
    assert_string_equal(tl_repr(mse), "tensor(0.0650, grad_fn=<MseLossBackward0>)");
    tl_tensor *s = tl_softmax(p, 0);
    assert_string_equal(grad_fn_name(s), "SoftmaxBackward0");
    assert_string_equal(tl_repr(s), "tensor([0.3775, 0.6225], grad_fn=<SoftmaxBackward0>)");
    tl_tensor *ls = tl_log_softmax(p, 0);
    assert_string_equal(grad_fn_name(ls), "LogSoftmaxBackward0");
    assert_string_equal(tl_repr(ls), "tensor([-0.9741, -0.4741], grad_fn=<LogSoftmaxBackward0>)");

    // the node's edges: input 0 is the leaf p, input 1 (the target) needs no gradient
    tl_node *node = bce->grad_fn;
    assert_int_equal(node->ninputs, 2);
    assert_ptr_equal(node->leaf[0], p);
    assert_null(node->next[0]);
    assert_null(node->leaf[1]);
    assert_null(node->next[1]);
    assert_true(node->needs_grad[0]);
    assert_false(node->needs_grad[1]);
    // a node produced by another node points to it
    tl_tensor *chained = tl_binary_cross_entropy(s, y);
    assert_ptr_equal(chained->grad_fn->next[0], s->grad_fn);

    // the target may require grad too
    tl_tensor *soft = tl_requires_grad_(P("[0.5, 0.5]"), true);
    tl_tensor *both = tl_binary_cross_entropy(P("[0.2, 0.7]"), soft);
    assert_string_equal(grad_fn_name(both), "BinaryCrossEntropyBackward0");
    assert_ptr_equal(both->grad_fn->leaf[1], soft);
}

static void test_no_record_without_grad(void **state) {
    (void)state;
    tl_tensor *p = tl_requires_grad_(P("[0.2, 0.7]"), true);
    tl_tensor *y = P("[0.0, 1.0]");
    tl_tensor *plain = tl_binary_cross_entropy(P("[0.2, 0.7]"), y);    // nothing requires grad
    assert_null(plain->grad_fn);
    assert_false(plain->requires_grad);
    TL_NO_GRAD {                                                        // torch.no_grad()
        tl_tensor *l = tl_binary_cross_entropy(p, y);
        tl_tensor *m = tl_mse_loss(p, y);
        tl_tensor *s = tl_softmax(p, 0);
        tl_tensor *ls = tl_log_softmax(p, 0);
        assert_null(l->grad_fn);
        assert_null(m->grad_fn);
        assert_null(s->grad_fn);
        assert_null(ls->grad_fn);
        assert_false(l->requires_grad || m->requires_grad || s->requires_grad || ls->requires_grad);
        assert_string_equal(tl_repr(l), "tensor(0.2899)");
    }
    // recording is back after the block
    assert_non_null(tl_softmax(p, 0)->grad_fn);
}

// A loop of forward passes in one pool per step: the number of live tensors stays flat.
static void test_flat_memory(void **state) {
    (void)state;
    tl_tensor *p = tl_requires_grad_(P("[[0.2, 0.7, 0.1], [0.3, 0.3, 0.4]]"), true);
    tl_tensor *y = P("[[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]");
    int64_t live = tl_live_tensors();
    for (int i = 0; i < 10000; i++) {
        TL_SCOPE {
            tl_tensor *s = tl_softmax(p, 1);
            tl_tensor *l = tl_add(tl_binary_cross_entropy(s, y), tl_mse_loss(tl_log_softmax(p, 0), y));
            assert_non_null(l);
        }
    }
    assert_int_equal(tl_live_tensors(), live);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bce_tutorial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bce_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bce_clamps_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bce_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mse_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mse_broadcasts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mse_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_softmax_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_softmax_is_stable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_softmax_inner_dims, setup, teardown),
        cmocka_unit_test_setup_teardown(test_softmax_rows_match_general, setup, teardown),
        cmocka_unit_test_setup_teardown(test_softmax_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_records_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_record_without_grad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flat_memory, setup, teardown),
    };
    return cmocka_run_group_tests_name("ch02_functional", tests, NULL, NULL);
}
