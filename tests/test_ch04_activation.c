// tests/test_ch04_activation.c — the activation functions of lib/activation.c (chapter 04):
// values against PyTorch 1.13.1 (derived with /usr/bin/python3) in float32 and float64, the
// grad_fn names, gradient checks against central finite differences (tests/gradcheck.h) on
// random shapes, PReLU's weight included, and the SVG plot writer.
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

typedef enum { F_GELU, F_GELU_TANH, F_SILU, F_LEAKY, F_ELU, F_PRELU, NF } fn_id;
static const char *fn_names[NF] = { "gelu", "gelu(tanh)", "silu", "leaky_relu", "elu", "prelu" };
static const char *grad_fn_names[NF] = { "GeluBackward0", "GeluBackward0", "SiluBackward0",
                                         "LeakyReluBackward0", "EluBackward0", "PreluBackward0" };

// torch.nn.functional at x = [-2, -1, 0, 1, 2] (leaky slope 0.01, elu alpha 1, prelu 0.25)
static const double want64[NF][5] = {
    {-0.04550026389635842, -0.15865525393145702, 0.0, 0.841344746068543, 1.9544997361036416},
    {-0.04540230591222494, -0.15880800939172324, 0.0, 0.8411919906082768, 1.954597694087775},
    {-0.2384058440442351, -0.2689414213699951, 0.0, 0.7310585786300049, 1.7615941559557646},
    {-0.02, -0.01, 0.0, 1.0, 2.0},
    {-0.8646647167633873, -0.6321205588285577, 0.0, 1.0, 2.0},
    {-0.5, -0.25, 0.0, 1.0, 2.0},
};
static const double want32[NF][5] = {
    {-0.045500099658966064, -0.1586552858352661, 0.0, 0.8413447141647339, 1.9544999599456787},
    {-0.04540228843688965, -0.15880799293518066, 0.0, 0.8411920070648193, 1.9545977115631104},
    {-0.23840583860874176, -0.2689414322376251, 0.0, 0.7310585975646973, 1.7615940570831299},
    {-0.019999999552965164, -0.009999999776482582, 0.0, 1.0, 2.0},
    {-0.8646647334098816, -0.6321205496788025, 0.0, 1.0, 2.0},
    {-0.5, -0.25, 0.0, 1.0, 2.0},
};

static tl_tensor *apply(fn_id f, tl_tensor *x, tl_tensor *w) {
    switch (f) {
    case F_GELU:      return tl_gelu(x, false);
    case F_GELU_TANH: return tl_gelu(x, true);
    case F_SILU:      return tl_silu(x);
    case F_LEAKY:     return tl_leaky_relu(x, 0.01);
    case F_ELU:       return tl_elu(x, 1.0);
    case F_PRELU:     return tl_prelu(x, w);
    default:          return NULL;
    }
}

static void check_values(tl_dtype dtype, const double want[NF][5], double tol) {
    int64_t live = tl_live_tensors();
    TL_SCOPE {
        tl_tensor *x = tl_tensor_parse_dtype("[-2., -1., 0., 1., 2.]", dtype);
        tl_tensor *w = tl_tensor_parse_dtype("[0.25]", dtype);
        for (int f = 0; f < NF; f++) {
            tl_tensor *y = apply((fn_id)f, x, w);
            assert_non_null(y);
            assert_int_equal(y->dtype, dtype);
            assert_int_equal(y->ndim, 1);
            assert_int_equal(y->shape[0], 5);
            assert_null(y->grad_fn);   // nothing requires grad: nothing recorded
            for (int i = 0; i < 5; i++) {
                double got = dtype == TL_FLOAT32 ? TL_DATA(y, float)[i] : TL_DATA(y, double)[i];
                if (fabs(got - want[f][i]) > tol * (1 + fabs(want[f][i])))
                    fail_msg("%s[%d] (%s): %.17g, want %.17g", fn_names[f], i,
                             dtype == TL_FLOAT32 ? "float32" : "float64", got, want[f][i]);
            }
        }
    }
    assert_int_equal(tl_live_tensors(), live);
}

static void test_values_float32(void **state) { (void)state; check_values(TL_FLOAT32, want32, 1e-6); }
static void test_values_float64(void **state) { (void)state; check_values(TL_FLOAT64, want64, 1e-13); }

// a non-contiguous input (a transpose) gives the same values as its contiguous copy
static void test_non_contiguous(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *x = tl_tensor_parse("[[-2., -1., 0.5], [1., 2., -0.5]]");
        tl_tensor *xt = tl_transpose(x, 0, 1), *xc = tl_contiguous(xt);
        tl_tensor *w = tl_tensor_parse("[0.1, 0.3]");
        for (int f = 0; f < NF; f++) {
            tl_tensor *a = apply((fn_id)f, xt, f == F_PRELU ? w : NULL);
            tl_tensor *b = apply((fn_id)f, xc, f == F_PRELU ? w : NULL);
            assert_non_null(a);
            assert_non_null(b);
            for (int i = 0; i < 6; i++) assert_true(TL_DATA(a, float)[i] == TL_DATA(b, float)[i]);
        }
        // per-channel PReLU: channel 0 (column 0 of xt) uses 0.1, channel 1 uses 0.3
        tl_tensor *y = tl_prelu(xc, w);
        assert_float_equal(TL_DATA(y, float)[0], -0.2f, 1e-7);   // xc[0][0] = -2,  a = 0.1
        assert_float_equal(TL_DATA(y, float)[1], 1.0f, 1e-7);    // xc[0][1] = 1
        assert_float_equal(TL_DATA(y, float)[5], -0.15f, 1e-7);  // xc[2][1] = -0.5, a = 0.3
    }
}

static void test_grad_fn_names(void **state) {
    (void)state;
    int64_t live = tl_live_tensors(), nodes = tl_live_nodes();
    TL_SCOPE {
        for (int f = 0; f < NF; f++) {
            tl_tensor *x = tl_requires_grad_(tl_tensor_parse("[-2., 1.]"), true);
            tl_tensor *w = tl_tensor_parse("[0.25]");
            tl_tensor *y = apply((fn_id)f, x, w);
            assert_non_null(y);
            assert_true(y->requires_grad);
            assert_string_equal(tl_node_name(y->grad_fn), grad_fn_names[f]);
            TL_NO_GRAD { assert_null(apply((fn_id)f, x, w)->grad_fn); }
        }
        // PReLU records when only the weight requires grad
        tl_tensor *w = tl_requires_grad_(tl_tensor_parse("[0.25]"), true);
        assert_string_equal(tl_node_name(tl_prelu(tl_tensor_parse("[-2., 1.]"), w)->grad_fn), "PreluBackward0");
    }
    assert_int_equal(tl_live_tensors(), live);
    assert_int_equal(tl_live_nodes(), nodes);
}

static void test_errors(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *i = tl_tensor_parse("[1, 2]");
        assert_null(tl_gelu(i, false));
        assert_string_equal(tl_error(), "\"GeluKernelImpl\" not implemented for 'Long'");
        assert_null(tl_silu(i));
        assert_string_equal(tl_error(), "\"silu_cpu\" not implemented for 'Long'");
        assert_null(tl_elu(i, 1.0));
        assert_string_equal(tl_error(), "\"elu_cpu\" not implemented for 'Long'");
        assert_null(tl_leaky_relu(i, 0.01));
        assert_string_equal(tl_error(), "\"leaky_relu_cpu\" not implemented for 'Long'");
        assert_null(tl_prelu(tl_tensor_parse("[[1., -2., 3.]]"), tl_tensor_parse("[0.1, 0.2]")));
        assert_string_equal(tl_error(), "Mismatch of parameter numbers and input channel size. "
                                                "Found parameter numbers = 2 and channel size = 3.");
        assert_null(tl_gelu(NULL, false));
        assert_null(tl_prelu(NULL, NULL));
        tl_error_clear();
    }
}

// ----------------------------------------------------------------------------
// gradient checks

typedef struct { fn_id f; double p; } gc_params;

static tl_tensor *gc_fn(tl_tensor *const *in, void *ctx) {
    gc_params *p = ctx;
    switch (p->f) {
    case F_LEAKY: return tl_leaky_relu(in[0], p->p);
    case F_ELU:   return tl_elu(in[0], p->p);
    default:      return apply(p->f, in[0], in[1]);
    }
}

static tl_shape random_shape(void) {
    int nd = 1 + rand() % 3;
    tl_shape s = { nd, { 0 } };
    for (int d = 0; d < nd; d++) s.d[d] = 1 + rand() % 4;
    return s;
}

static void gradcheck_case(gc_params p, tl_shape s, bool x_grad, bool w_per_channel, bool w_grad) {
    int64_t live = tl_live_tensors(), nodes = tl_live_nodes();
    TL_SCOPE {
        tl_tensor *in[2] = { tl_requires_grad_(gc_randn(s), x_grad), NULL };
        int n = 1;
        if (p.f == F_PRELU) {
            int64_t c = w_per_channel && s.ndim >= 2 ? s.d[1] : 1;
            in[1] = tl_requires_grad_(gc_uniform(TL_SHAPE(c), 0.05, 0.5), w_grad);
            n = 2;
        }
        char why[512];
        if (!tl_gradcheck(gc_fn, in, n, &p, EPS, TOL, why, sizeof why))
            fail_msg("%s on %s: %s", fn_names[p.f], tl_shape_str(in[0]), why);
    }
    assert_int_equal(tl_live_tensors(), live);
    assert_int_equal(tl_live_nodes(), nodes);
}

static void test_gradcheck(void **state) {
    (void)state;
    srand(4);
    for (int rep = 0; rep < 6; rep++) {
        tl_shape s = random_shape();
        gradcheck_case((gc_params){ F_GELU, 0 }, s, true, false, false);
        gradcheck_case((gc_params){ F_GELU_TANH, 0 }, s, true, false, false);
        gradcheck_case((gc_params){ F_SILU, 0 }, s, true, false, false);
        gradcheck_case((gc_params){ F_LEAKY, 0.01 }, s, true, false, false);
        gradcheck_case((gc_params){ F_LEAKY, 0.3 }, s, true, false, false);
        gradcheck_case((gc_params){ F_ELU, 1.0 }, s, true, false, false);
        gradcheck_case((gc_params){ F_ELU, 0.5 }, s, true, false, false);
    }
}

static void test_gradcheck_prelu(void **state) {
    (void)state;
    srand(5);
    for (int rep = 0; rep < 6; rep++) {
        tl_shape s = random_shape();
        gradcheck_case((gc_params){ F_PRELU, 0 }, s, true, false, true);    // one weight
        gradcheck_case((gc_params){ F_PRELU, 0 }, s, true, true, true);     // per channel
        gradcheck_case((gc_params){ F_PRELU, 0 }, s, false, true, true);    // weight only
        gradcheck_case((gc_params){ F_PRELU, 0 }, s, true, true, false);    // input only
    }
}

// PReLU's gradients against PyTorch: y = prelu(x, a).sum(), x = [-2, -1, 0, 1, 2], a = 0.25
static void test_prelu_gradients_match_pytorch(void **state) {
    (void)state;
    int64_t live = tl_live_tensors(), nodes = tl_live_nodes();
    TL_SCOPE {
        tl_tensor *a = tl_requires_grad_(tl_tensor_parse("[0.25]"), true);
        tl_tensor *x = tl_requires_grad_(tl_tensor_parse("[-2., -1., 0., 1., 2.]"), true);
        assert_true(tl_backward(tl_sum(tl_prelu(x, a))));
        assert_float_equal(TL_DATA(a->grad, float)[0], -3.0f, 0);
        const float dx[5] = { 0.25f, 0.25f, 0.25f, 1.0f, 1.0f };   // torch: a at x == 0
        for (int i = 0; i < 5; i++) assert_float_equal(TL_DATA(x->grad, float)[i], dx[i], 0);
        // leaky_relu takes the slope at 0, elu (alpha 1) 1
        tl_tensor *z = tl_requires_grad_(tl_tensor_parse("[0.]"), true);
        assert_true(tl_backward(tl_sum(tl_leaky_relu(z, 0.1))));
        assert_float_equal(TL_DATA(z->grad, float)[0], 0.1f, 1e-7);
        tl_zero_grad_(z);
        assert_true(tl_backward(tl_sum(tl_elu(z, 1.0))));
        assert_float_equal(TL_DATA(z->grad, float)[0], 1.0f, 1e-7);
    }
    assert_int_equal(tl_live_tensors(), live);
    assert_int_equal(tl_live_nodes(), nodes);
}

// ----------------------------------------------------------------------------
// the plot writer

static int count(const char *s, const char *what) {
    int k = 0;
    for (const char *p = s; (p = strstr(p, what)); p += strlen(what)) k++;
    return k;
}

static void test_plot_svg(void **state) {
    (void)state;
    enum { N = 31, C = 3 };
    double x[N], y0[N], y1[N], y2[N];
    for (int i = 0; i < N; i++) {
        x[i] = -3 + 0.2 * i;
        y0[i] = x[i] > 0 ? x[i] : 0;
        y1[i] = tanh(x[i]);
        y2[i] = 1 / (1 + exp(-x[i]));
    }
    const double *ys[C] = { y0, y1, y2 };
    const char *labels[C] = { "ReLU", "Tanh", "a < b & c" };
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_true(tl_plot_svg(f, "Three <curves>", x, ys, labels, C, N));
    fclose(f);
    assert_true(strncmp(buf, "<svg", 4) == 0);
    assert_non_null(strstr(buf, "xmlns=\"http://www.w3.org/2000/svg\""));
    assert_int_equal(count(buf, "<polyline") + count(buf, "<path"), C);
    assert_int_equal(count(buf, "<svg"), 1);
    assert_int_equal(count(buf, "</svg>"), 1);
    assert_true(len >= 7 && strcmp(buf + len - 7, "</svg>\n") == 0);
    assert_non_null(strstr(buf, "Three &lt;curves&gt;"));    // text is escaped
    assert_non_null(strstr(buf, "a &lt; b &amp; c"));
    assert_null(strstr(buf, "<curves>"));
    assert_true(count(buf, "<text") >= C + 1 + 4);           // legend, title, tick labels
    // every element opened is closed: tags balance (self-closing ones count as both)
    assert_int_equal(count(buf, "<text"), count(buf, "</text>"));
    assert_null(strstr(buf, "nan"));
    assert_null(strstr(buf, "inf"));
    free(buf);
    // unusable arguments
    f = open_memstream(&buf, &len);
    assert_false(tl_plot_svg(f, "t", x, ys, labels, 0, N));
    assert_false(tl_plot_svg(f, "t", x, ys, labels, C, 1));
    assert_false(tl_plot_svg(NULL, "t", x, ys, labels, C, N));
    fclose(f);
    free(buf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_float32),
        cmocka_unit_test(test_values_float64),
        cmocka_unit_test(test_non_contiguous),
        cmocka_unit_test(test_grad_fn_names),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_gradcheck),
        cmocka_unit_test(test_gradcheck_prelu),
        cmocka_unit_test(test_prelu_gradients_match_pytorch),
        cmocka_unit_test(test_plot_svg),
    };
    return cmocka_run_group_tests_name("ch04_activation", tests, NULL, NULL);
}
