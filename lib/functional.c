/* generated from chapters/02-graphs/02-graphs.md by tools/tangle.lua; edit the chapter, not this file */
#line 752 "chapters/02-graphs/02-graphs.md"
// functional.c — losses and softmax (torch.nn.functional): forward kernels, backward rules, and
// the recording of their graph nodes.
//
// Kernels work on contiguous arrays of one type T (float or double), stamped out by macros; the
// public functions check their arguments in PyTorch's order, make contiguous copies where needed,
// pick the kernel by dtype once (never per element) and record the node.
#include "functional.h"
#include "autograd.h"
#include "device.h"   // chapter 08: softmax and mse_loss on a GPU
#include "ops.h"
#include "print.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#line 784 "chapters/02-graphs/02-graphs.md"
// ----------------------------------------------------------------------------
// helpers

// c10's names of the dtypes, as kernel errors show them: "not implemented for 'Long'"
static const char *scalar_type_name(tl_dtype dtype) {
    switch (dtype) {
    case TL_BOOL:    return "Bool";
    case TL_INT64:   return "Long";
    case TL_FLOAT32: return "Float";
    case TL_FLOAT64: return "Double";
    }
    return "Unknown";
}

// the kernels below exist for float32 and float64 only
static bool check_floating(tl_dtype dtype, const char *kernel) {
    if (tl_dtype_is_floating(dtype)) return true;
    tl_error_set(TL_RUNTIME_ERROR, "\"%s\" not implemented for '%s'", kernel, scalar_type_name(dtype));
    return false;
}

static bool same_shape(const tl_tensor *a, const tl_tensor *b) {
    if (a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return false;
    return true;
}

// g, the gradient arriving at a node whose output has one element (a loss)
static double scalar_grad(const tl_tensor *grad_output) {
    return grad_output ? tl_item(grad_output) : 1.0;
}
#line 769 "chapters/02-graphs/02-graphs.md"
#line 1876 "chapters/08-gpu/08-gpu.md"
// the GPU paths of binary_cross_entropy (chapter 08), defined after its CPU kernels
static int bce_forward_device(tl_tensor *loss, const tl_tensor *a, const tl_tensor *y);
static void bce_backward_device(tl_node *node, double g, tl_tensor **grad_inputs);
#line 770 "chapters/02-graphs/02-graphs.md"
#line 827 "chapters/02-graphs/02-graphs.md"
// ----------------------------------------------------------------------------
// binary cross entropy: -[y log a + (1 - y) log(1 - a)], averaged
#define BCE_LOG_MIN (-100.0)   // PyTorch clamps each log at -100: log(0) costs 100, not infinity
#define BCE_EPSILON 1e-12      // ...and keeps a(1 - a) >= 1e-12 in the gradient

#define BCE_KERNELS(T, LOG, LOG1P)                                                            \
static bool bce_forward_##T(const T *a, const T *y, int64_t n, T *loss) {                     \
    double sum = 0;                                                                           \
    for (int64_t i = 0; i < n; i++) {                                                         \
        if (!(a[i] >= 0 && a[i] <= 1)) return false;           /* NaN fails too */            \
        T log_a = LOG(a[i]), log_1ma = LOG1P(-a[i]);                                          \
        if (log_a < (T)BCE_LOG_MIN) log_a = (T)BCE_LOG_MIN;                                   \
        if (log_1ma < (T)BCE_LOG_MIN) log_1ma = (T)BCE_LOG_MIN;                               \
        sum += (y[i] - 1) * log_1ma - y[i] * log_a;                                           \
    }                                                                                         \
    *loss = (T)(sum / (double)n);                        /* n = 0: 0/0 = nan, as PyTorch */   \
    return true;                                                                              \
}                                                                                             \
/* da = g/n (a - y) / max(a(1 - a), eps);   dy = g/n (log(1 - a) - log a) */                 \
static void bce_backward_##T(const T *a, const T *y, int64_t n, double g, T *da, T *dy) {     \
    T scale = (T)(g / (double)n);                                                             \
    if (da)                                                                                   \
        for (int64_t i = 0; i < n; i++) {                                                     \
            T denom = (1 - a[i]) * a[i];                                                      \
            if (denom < (T)BCE_EPSILON) denom = (T)BCE_EPSILON;                               \
            da[i] = scale * (a[i] - y[i]) / denom;                                            \
        }                                                                                     \
    if (dy)                                                                                   \
        for (int64_t i = 0; i < n; i++) dy[i] = scale * (LOG1P(-a[i]) - LOG(a[i]));           \
}
BCE_KERNELS(float, logf, log1pf)
BCE_KERNELS(double, log, log1p)
#line 866 "chapters/02-graphs/02-graphs.md"
static void bce_backward(tl_node *node, const tl_tensor *grad_output, tl_tensor **grad_inputs) {
    const tl_tensor *input = node->saved[0], *target = node->saved[1];
    double g = scalar_grad(grad_output);
    if (tl_is_cuda(input)) { bce_backward_device(node, g, grad_inputs); return; }   // chapter 08
    tl_tensor *da = node->needs_grad[0] ? tl_empty(tl_shape_of(input), input->dtype) : NULL;
    tl_tensor *dy = node->needs_grad[1] ? tl_empty(tl_shape_of(target), target->dtype) : NULL;
    TL_SCOPE {
        const tl_tensor *a = tl_contiguous(input), *y = tl_contiguous(target);
        int64_t n = tl_numel(input);
        if (a && y && input->dtype == TL_FLOAT32)
            bce_backward_float(TL_DATA(a, float), TL_DATA(y, float), n, g,
                               da ? TL_DATA(da, float) : NULL, dy ? TL_DATA(dy, float) : NULL);
        else if (a && y)
            bce_backward_double(TL_DATA(a, double), TL_DATA(y, double), n, g,
                                da ? TL_DATA(da, double) : NULL, dy ? TL_DATA(dy, double) : NULL);
    }
    grad_inputs[0] = da;
    grad_inputs[1] = dy;
}
#line 893 "chapters/02-graphs/02-graphs.md"
tl_tensor *tl_binary_cross_entropy(const tl_tensor *input, const tl_tensor *target) {
    if (!input || !target) return NULL;
    tl_device dev;
    if (!tl_common_device((const tl_tensor *[]){ input, target }, 2, &dev)) return NULL;   // chapter 08
    if (!same_shape(input, target)) {
        tl_error_set(TL_VALUE_ERROR, "Using a target size (%s) that is different to the input size (%s) "
                     "is deprecated. Please ensure they have the same size.",
                     tl_shape_str(target), tl_shape_str(input));
        return NULL;
    }
    if (target->dtype != input->dtype) {
        tl_error_set(TL_RUNTIME_ERROR, "Found dtype %s but expected %s",
                     scalar_type_name(target->dtype), scalar_type_name(input->dtype));
        return NULL;
    }
    if (!check_floating(input->dtype, "binary_cross_entropy")) return NULL;

    tl_tensor *loss = tl_empty_on(TL_SCALAR_SHAPE, input->dtype, dev);
    if (!loss) return NULL;
    enum { DONE, OUT_OF_RANGE, FAILED } status = FAILED;   // FAILED: a copy could not be made
    if (dev.type == TL_CUDA) status = bce_forward_device(loss, input, target);   // chapter 08
    else TL_SCOPE {
        const tl_tensor *a = tl_contiguous(input), *y = tl_contiguous(target);
        int64_t n = tl_numel(input);
        bool in_range = false;
        if (a && y && input->dtype == TL_FLOAT32)
            in_range = bce_forward_float(TL_DATA(a, float), TL_DATA(y, float), n, TL_DATA(loss, float));
        else if (a && y)
            in_range = bce_forward_double(TL_DATA(a, double), TL_DATA(y, double), n, TL_DATA(loss, double));
        if (a && y) status = in_range ? DONE : OUT_OF_RANGE;
    }
    if (status == OUT_OF_RANGE)
        tl_error_set(TL_RUNTIME_ERROR, "all elements of input should be between 0 and 1");
    if (status != DONE) return NULL;

    tl_node *node = tl_record("BinaryCrossEntropyBackward0", bce_backward, loss,
                              (const tl_tensor *[]){ input, target }, 2);
    tl_node_save(node, input);           // (nothing happens when node is NULL: nothing recorded)
    tl_node_save(node, target);
    return loss;
}
#line 771 "chapters/02-graphs/02-graphs.md"
#line 1882 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// binary_cross_entropy on a GPU (chapter 08), with ops; returns 0 (done), 1 (out of range), 2 (failed)
static int bce_forward_device(tl_tensor *loss, const tl_tensor *a, const tl_tensor *y) {
    int status = 2;
    TL_SCOPE {
        tl_grad_mode_push(false);
        tl_tensor *inside = tl_mul(tl_ge_scalar(a, 0), tl_le_scalar(a, 1));   // false for NaN too
        double n_inside = tl_item(tl_sum(inside));
        if (!isnan(n_inside) && n_inside != (double)tl_numel(a)) {
            status = 1;
        } else if (!isnan(n_inside)) {
            tl_tensor *log_a = tl_maximum(tl_log(a), tl_number(BCE_LOG_MIN));
            tl_tensor *log_1ma = tl_maximum(tl_log(tl_add_scalar(tl_neg(a), 1)), tl_number(BCE_LOG_MIN));
            tl_tensor *terms = tl_sub(tl_mul(tl_sub_scalar(y, 1), log_1ma), tl_mul(y, log_a));
            if (tl_copy_(loss, tl_mean(terms))) status = 0;
        }
        tl_grad_mode_pop();
    }
    return status;
}

// da = g/n (a - y) / max(a(1 - a), eps);  dy = g/n (log(1 - a) - log a)
static void bce_backward_device(tl_node *node, double g, tl_tensor **grad_inputs) {
    const tl_tensor *a = node->saved[0], *y = node->saved[1];
    double scale = g / (double)tl_numel(a);
    tl_grad_mode_push(false);
    tl_tensor *one_minus_a = tl_add_scalar(tl_neg(a), 1);
    if (node->needs_grad[0]) {
        tl_tensor *denom = tl_maximum(tl_mul(one_minus_a, a), tl_number(BCE_EPSILON));
        grad_inputs[0] = tl_div(tl_mul_scalar(tl_sub(a, y), scale), denom);
    }
    if (node->needs_grad[1]) grad_inputs[1] = tl_mul_scalar(tl_sub(tl_log(one_minus_a), tl_log(a)), scale);
    tl_grad_mode_pop();
}
#line 772 "chapters/02-graphs/02-graphs.md"
#line 1829 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// mse_loss on a GPU (chapter 08): the same formulas, written with ops that run on the device
static tl_tensor *mse_difference(const tl_tensor *x, const tl_tensor *y, tl_dtype dtype);

static bool mse_forward_device(tl_tensor *loss, const tl_tensor *x, const tl_tensor *y, tl_dtype dtype) {
    bool ok = false;
    TL_SCOPE {
        tl_grad_mode_push(false);
        const tl_tensor *d = mse_difference(x, y, dtype);
        ok = d && tl_copy_(loss, tl_mean(tl_mul(d, d)));
        tl_grad_mode_pop();
    }
    return ok;
}

// dx = 2g/n (x - y), dy = -dx, in the broadcast shape (the engine sums them back)
static void mse_backward_device(tl_node *node, double g, tl_tensor **grad_inputs) {
    const tl_tensor *x = node->saved[0], *y = node->saved[1];
    tl_grad_mode_push(false);
    tl_tensor *d = mse_difference(x, y, node->output_dtype);
    tl_tensor *dx = d ? tl_mul_scalar(d, 2.0 * g / (double)tl_numel(d)) : NULL;
    if (node->needs_grad[0]) grad_inputs[0] = dx;
    if (node->needs_grad[1]) grad_inputs[1] = tl_neg(dx);
    tl_grad_mode_pop();
}
#line 773 "chapters/02-graphs/02-graphs.md"
#line 944 "chapters/02-graphs/02-graphs.md"
// ----------------------------------------------------------------------------
// mean squared error: mean((x - y)^2)

// y == NULL: x already holds the differences
#define MSE_KERNELS(T)                                                                        \
static double mse_sum_##T(const T *x, const T *y, int64_t n) {                                \
    double sum = 0;                                                                           \
    if (y) for (int64_t i = 0; i < n; i++) { T d = x[i] - y[i]; sum += (double)d * d; }      \
    else   for (int64_t i = 0; i < n; i++) sum += (double)x[i] * x[i];                        \
    return sum;                                                                               \
}                                                                                             \
/* dx = 2g/n (x - y);  dy = -dx */                                                            \
static void mse_backward_##T(const T *x, const T *y, int64_t n, double g, T *dx, T *dy) {     \
    T scale = (T)(2.0 * g / (double)n);                                                       \
    for (int64_t i = 0; i < n; i++) {                                                         \
        T d = scale * (y ? x[i] - y[i] : x[i]);                                               \
        if (dx) dx[i] = d;                                                                    \
        if (dy) dy[i] = -d;                                                                   \
    }                                                                                         \
}
MSE_KERNELS(float)
MSE_KERNELS(double)

// the differences x - y in dtype, broadcast, contiguous (pool-owned; recording off). Both are
// converted first: tl_sub refuses a bool operand, mse_loss accepts a bool target.
static tl_tensor *mse_difference(const tl_tensor *x, const tl_tensor *y, tl_dtype dtype) {
    tl_grad_mode_push(false);
    tl_tensor *d = tl_contiguous(tl_sub(tl_to_dtype(x, dtype), tl_to_dtype(y, dtype)));
    tl_grad_mode_pop();
    return d;
}
#line 983 "chapters/02-graphs/02-graphs.md"
static void mse_backward(tl_node *node, const tl_tensor *grad_output, tl_tensor **grad_inputs) {
    const tl_tensor *x = node->saved[0], *y = node->saved[1];
    double g = scalar_grad(grad_output);
    bool want_x = node->needs_grad[0], want_y = node->needs_grad[1];
    grad_inputs[0] = grad_inputs[1] = NULL;
    if (tl_is_cuda(x) || tl_is_cuda(y)) {                      // chapter 08
        mse_backward_device(node, g, grad_inputs);
        return;
    }
    if (same_shape(x, y) && x->dtype == y->dtype) {            // the direct path
        tl_tensor *dx = want_x ? tl_empty(tl_shape_of(x), x->dtype) : NULL;
        tl_tensor *dy = want_y ? tl_empty(tl_shape_of(y), y->dtype) : NULL;
        TL_SCOPE {
            const tl_tensor *xc = tl_contiguous(x), *yc = tl_contiguous(y);
            if (xc && yc && x->dtype == TL_FLOAT32)
                mse_backward_float(TL_DATA(xc, float), TL_DATA(yc, float), tl_numel(x), g,
                                   dx ? TL_DATA(dx, float) : NULL, dy ? TL_DATA(dy, float) : NULL);
            else if (xc && yc)
                mse_backward_double(TL_DATA(xc, double), TL_DATA(yc, double), tl_numel(x), g,
                                    dx ? TL_DATA(dx, double) : NULL, dy ? TL_DATA(dy, double) : NULL);
        }
        grad_inputs[0] = dx;
        grad_inputs[1] = dy;
        return;
    }
    tl_tensor *d = mse_difference(x, y, node->output_dtype);     // the broadcast path
    if (!d) return;
    tl_tensor *dx = want_x ? tl_empty(tl_shape_of(d), d->dtype) : NULL;
    tl_tensor *dy = want_y ? tl_empty(tl_shape_of(d), d->dtype) : NULL;
    if ((want_x && !dx) || (want_y && !dy)) return;
    if (d->dtype == TL_FLOAT32)
        mse_backward_float(TL_DATA(d, float), NULL, tl_numel(d), g,
                           dx ? TL_DATA(dx, float) : NULL, dy ? TL_DATA(dy, float) : NULL);
    else
        mse_backward_double(TL_DATA(d, double), NULL, tl_numel(d), g,
                            dx ? TL_DATA(dx, double) : NULL, dy ? TL_DATA(dy, double) : NULL);
    grad_inputs[0] = dx;     // in the broadcast shape: the engine sums it back to the input's
    grad_inputs[1] = dy;
}
#line 1028 "chapters/02-graphs/02-graphs.md"
tl_tensor *tl_mse_loss(const tl_tensor *input, const tl_tensor *target) {
    if (!input || !target) return NULL;
    tl_device dev;
    if (!tl_common_device((const tl_tensor *[]){ input, target }, 2, &dev)) return NULL;   // chapter 08
    bool direct = same_shape(input, target) && input->dtype == target->dtype;
    if (!same_shape(input, target)) {
        static bool warned = false;
        if (!warned) {
            warned = true;
            fprintf(stderr, "UserWarning: Using a target size (%s) that is different to the input size (%s). "
                    "This will likely lead to incorrect results due to broadcasting. "
                    "Please ensure they have the same size.\n", tl_shape_str(target), tl_shape_str(input));
        }
    }
    tl_dtype dtype = tl_result_type(input, target);
    if (!check_floating(dtype, "mse_cpu")) return NULL;

    tl_tensor *loss = tl_empty_on(TL_SCALAR_SHAPE, dtype, dev);
    if (!loss) return NULL;
    bool ok = true;
    if (dev.type == TL_CUDA) ok = mse_forward_device(loss, input, target, dtype);   // chapter 08
    else TL_SCOPE {
        const tl_tensor *x = direct ? tl_contiguous(input) : mse_difference(input, target, dtype);
        const tl_tensor *y = direct ? tl_contiguous(target) : NULL;
        if (!x || (direct && !y)) {
            ok = false;
        } else {
            int64_t n = tl_numel(x);
            if (dtype == TL_FLOAT32)
                TL_DATA(loss, float)[0] = (float)(mse_sum_float(TL_DATA(x, float), y ? TL_DATA(y, float) : NULL, n) / (double)n);
            else
                TL_DATA(loss, double)[0] = mse_sum_double(TL_DATA(x, double), y ? TL_DATA(y, double) : NULL, n) / (double)n;
        }
    }
    if (!ok) return NULL;

    tl_node *node = tl_record("MseLossBackward0", mse_backward, loss, (const tl_tensor *[]){ input, target }, 2);
    tl_node_save(node, input);
    tl_node_save(node, target);
    return loss;
}
#line 774 "chapters/02-graphs/02-graphs.md"
#line 1083 "chapters/02-graphs/02-graphs.md"
// ----------------------------------------------------------------------------
// softmax and log_softmax along a dim
// x viewed as (outer, n, inner): softmax over n; max and sum are scratch arrays of size inner

#define SOFTMAX_KERNELS(T, EXP, LOG)                                                          \
static void softmax_forward_##T(const T *x, T *y, int64_t outer, int64_t n, int64_t inner,    \
                                bool log_out, double *max, double *sum) {                     \
    for (int64_t o = 0; o < outer; o++) {                                                     \
        const T *xo = x + o * n * inner;                                                      \
        T *yo = y + o * n * inner;                                                            \
        for (int64_t i = 0; i < inner; i++) { max[i] = -INFINITY; sum[i] = 0; }               \
        for (int64_t k = 0; k < n; k++)                                                       \
            for (int64_t i = 0; i < inner; i++)                                               \
                if (xo[k * inner + i] > max[i]) max[i] = xo[k * inner + i];                   \
        for (int64_t k = 0; k < n; k++)               /* e = exp(x - max), sum += e */        \
            for (int64_t i = 0; i < inner; i++) {                                             \
                T e = EXP(xo[k * inner + i] - (T)max[i]);                                     \
                if (!log_out) yo[k * inner + i] = e;                                          \
                sum[i] += e;                                                                  \
            }                                                                                 \
        if (log_out) {                                /* (x - max) - log(sum) */              \
            for (int64_t i = 0; i < inner; i++) sum[i] = LOG(sum[i]);                         \
            for (int64_t k = 0; k < n; k++)                                                   \
                for (int64_t i = 0; i < inner; i++)                                           \
                    yo[k * inner + i] = (xo[k * inner + i] - (T)max[i]) - (T)sum[i];          \
        } else {                                      /* e / sum */                           \
            for (int64_t i = 0; i < inner; i++) sum[i] = 1.0 / sum[i];                        \
            for (int64_t k = 0; k < n; k++)                                                   \
                for (int64_t i = 0; i < inner; i++)                                           \
                    yo[k * inner + i] = (T)(yo[k * inner + i] * sum[i]);                      \
        }                                                                                     \
    }                                                                                         \
}                                                                                             \
/* softmax: dx = s (g - sum(g s));   log_softmax: dx = g - exp(out) sum(g) */                 \
static void softmax_backward_##T(const T *out, const T *g, T *dx, int64_t outer, int64_t n,   \
                                 int64_t inner, bool log_out, double *acc) {                  \
    for (int64_t o = 0; o < outer; o++) {                                                     \
        const T *so = out + o * n * inner, *go = g + o * n * inner;                           \
        T *dxo = dx + o * n * inner;                                                          \
        for (int64_t i = 0; i < inner; i++) acc[i] = 0;                                       \
        for (int64_t k = 0; k < n; k++)                                                       \
            for (int64_t i = 0; i < inner; i++)                                               \
                acc[i] += log_out ? go[k * inner + i] : go[k * inner + i] * so[k * inner + i]; \
        for (int64_t k = 0; k < n; k++)                                                       \
            for (int64_t i = 0; i < inner; i++) {                                             \
                int64_t j = k * inner + i;                                                    \
                dxo[j] = log_out ? (T)(go[j] - EXP(so[j]) * acc[i]) : (T)(so[j] * (go[j] - acc[i])); \
            }                                                                                 \
    }                                                                                         \
}
SOFTMAX_KERNELS(float, expf, logf)
SOFTMAX_KERNELS(double, exp, log)

// the same for inner = 1: rows of n contiguous elements
#define SOFTMAX_ROW_KERNELS(T, EXP, LOG)                                                      \
static void softmax_rows_forward_##T(const T *x, T *y, int64_t rows, int64_t n, bool log_out) {\
    for (int64_t o = 0; o < rows; o++) {                                                      \
        const T *xo = x + o * n;                                                              \
        T *yo = y + o * n;                                                                    \
        double max = -INFINITY, sum = 0;                                                      \
        for (int64_t k = 0; k < n; k++)                                                       \
            if (xo[k] > max) max = xo[k];                                                     \
        for (int64_t k = 0; k < n; k++) {                                                     \
            T e = EXP(xo[k] - (T)max);                                                        \
            if (!log_out) yo[k] = e;                                                          \
            sum += e;                                                                         \
        }                                                                                     \
        if (log_out) {                                                                        \
            sum = LOG(sum);                                                                   \
            for (int64_t k = 0; k < n; k++) yo[k] = (xo[k] - (T)max) - (T)sum;                \
        } else {                                                                              \
            sum = 1.0 / sum;                                                                  \
            for (int64_t k = 0; k < n; k++) yo[k] = (T)(yo[k] * sum);                         \
        }                                                                                     \
    }                                                                                         \
}                                                                                             \
static void softmax_rows_backward_##T(const T *out, const T *g, T *dx, int64_t rows, int64_t n, \
                                      bool log_out) {                                         \
    for (int64_t o = 0; o < rows; o++) {                                                      \
        const T *so = out + o * n, *go = g + o * n;                                           \
        T *dxo = dx + o * n;                                                                  \
        double acc = 0;                                                                       \
        for (int64_t k = 0; k < n; k++) acc += log_out ? go[k] : go[k] * so[k];               \
        for (int64_t k = 0; k < n; k++)                                                       \
            dxo[k] = log_out ? (T)(go[k] - EXP(so[k]) * acc) : (T)(so[k] * (go[k] - acc));    \
    }                                                                                         \
}
SOFTMAX_ROW_KERNELS(float, expf, logf)
SOFTMAX_ROW_KERNELS(double, exp, log)
#line 1179 "chapters/02-graphs/02-graphs.md"
// dim in [-ndim, ndim - 1] (a 0-d tensor counts as 1-d); false + PyTorch's IndexError otherwise
static bool softmax_dim(const tl_tensor *t, int *dim) {
    int ndim = t->ndim > 0 ? t->ndim : 1;
    if (*dim < -ndim || *dim >= ndim) {
        tl_error_set(TL_INDEX_ERROR, "Dimension out of range (expected to be in range of [%d, %d], but got %d)",
                     -ndim, ndim - 1, *dim);
        return false;
    }
    if (*dim < 0) *dim += ndim;
    return true;
}

typedef struct { int64_t outer, n, inner; } dim_split;

static dim_split split_at(const tl_shape *shape, int dim) {
    dim_split s = { 1, 1, 1 };
    for (int d = 0; d < shape->ndim; d++) {
        if (d < dim) s.outer *= shape->d[d];
        else if (d == dim) s.n = shape->d[d];
        else s.inner *= shape->d[d];
    }
    return s;
}

#define SOFTMAX_STACK 64   // scratch doubles kept on the stack (2 arrays of this size)

// runs the forward (grad == NULL) or backward kernel of softmax on contiguous tensors
static void softmax_run(const tl_tensor *in, const tl_tensor *grad, tl_tensor *out, int dim, bool log_out) {
    tl_shape shape = tl_shape_of(in);
    dim_split s = split_at(&shape, dim);
    if (tl_is_cuda(in)) {                                                        // chapter 08
        tl_cuda_softmax(in->storage->device.index, in->dtype, tl_data_ptr(in), grad ? tl_data_ptr(grad) : NULL,
                        tl_data_ptr(out), s.outer, s.n, s.inner, log_out);
        return;
    }
    if (s.inner == 1) {                                            // rows: no scratch arrays
        if (in->dtype == TL_FLOAT32) {
            if (grad) softmax_rows_backward_float(TL_DATA(in, float), TL_DATA(grad, float), TL_DATA(out, float),
                                                  s.outer, s.n, log_out);
            else softmax_rows_forward_float(TL_DATA(in, float), TL_DATA(out, float), s.outer, s.n, log_out);
        } else {
            if (grad) softmax_rows_backward_double(TL_DATA(in, double), TL_DATA(grad, double),
                                                   TL_DATA(out, double), s.outer, s.n, log_out);
            else softmax_rows_forward_double(TL_DATA(in, double), TL_DATA(out, double), s.outer, s.n, log_out);
        }
        return;
    }
    double stack[2 * SOFTMAX_STACK];
    double *scratch = s.inner <= SOFTMAX_STACK ? stack : malloc(2 * (size_t)s.inner * sizeof(double));
    if (!scratch) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return; }
    if (in->dtype == TL_FLOAT32) {
        if (grad) softmax_backward_float(TL_DATA(in, float), TL_DATA(grad, float), TL_DATA(out, float),
                                         s.outer, s.n, s.inner, log_out, scratch);
        else softmax_forward_float(TL_DATA(in, float), TL_DATA(out, float), s.outer, s.n, s.inner,
                                   log_out, scratch, scratch + s.inner);
    } else {
        if (grad) softmax_backward_double(TL_DATA(in, double), TL_DATA(grad, double), TL_DATA(out, double),
                                          s.outer, s.n, s.inner, log_out, scratch);
        else softmax_forward_double(TL_DATA(in, double), TL_DATA(out, double), s.outer, s.n, s.inner,
                                    log_out, scratch, scratch + s.inner);
    }
    if (scratch != stack) free(scratch);
}
#line 1250 "chapters/02-graphs/02-graphs.md"
static void softmax_backward(tl_node *node, const tl_tensor *grad_output, tl_tensor **grad_inputs) {
    const tl_tensor *out = node->saved[0];
    tl_tensor *dx = tl_empty_like(out);
    if (dx && tl_is_contiguous(out) && tl_is_contiguous(grad_output) && grad_output->dtype == out->dtype)
        softmax_run(out, grad_output, dx, (int)node->ints[0], node->ints[1] != 0);   // the usual case
    else TL_SCOPE {
        tl_grad_mode_push(false);
        const tl_tensor *oc = tl_contiguous(out);
        const tl_tensor *gc = tl_contiguous(tl_to_dtype(grad_output, out->dtype));
        tl_grad_mode_pop();
        if (dx && oc && gc) softmax_run(oc, gc, dx, (int)node->ints[0], node->ints[1] != 0);
    }
    grad_inputs[0] = dx;
}

static tl_tensor *softmax_common(const tl_tensor *t, int dim, bool log_out) {
    if (!t) return NULL;
    if (!softmax_dim(t, &dim)) return NULL;
    if (!tl_dtype_is_floating(t->dtype)) {
        if (tl_numel(t) == 0) return tl_empty(tl_shape_of(t), t->dtype);   // PyTorch runs no kernel
        bool last = t->ndim == 0 || dim == t->ndim - 1;
        check_floating(t->dtype, last ? (log_out ? "log_softmax_lastdim_kernel_impl" : "softmax_lastdim_kernel_impl")
                                      : "softmax_kernel_impl");
        return NULL;
    }
    tl_tensor *out = tl_empty_like(t);
    if (!out) return NULL;
    if (tl_is_contiguous(t)) softmax_run(t, NULL, out, dim, log_out);
    else TL_SCOPE {
        const tl_tensor *x = tl_contiguous(t);
        if (x) softmax_run(x, NULL, out, dim, log_out);
    }
    tl_node *node = tl_record(log_out ? "LogSoftmaxBackward0" : "SoftmaxBackward0", softmax_backward,
                              out, (const tl_tensor *[]){ t }, 1);
    if (node) {
        node->ints[0] = dim;
        node->ints[1] = log_out;
        tl_node_save(node, out);
    }
    return out;
}

tl_tensor *tl_softmax(const tl_tensor *t, int dim) { return softmax_common(t, dim, false); }
tl_tensor *tl_log_softmax(const tl_tensor *t, int dim) { return softmax_common(t, dim, true); }
