/* generated from chapters/04-mlp/04-mlp.md by tools/tangle.lua; edit the chapter, not this file */
#line 761 "chapters/04-mlp/04-mlp.md"
// activation.c — GELU, SiLU, LeakyReLU, ELU, PReLU (forward kernels, backward rules, recording)
// and the SVG line-plot writer.
#include "activation.h"
#include "autograd.h"
#include "device.h"   // chapter 08: the activations on a GPU
#include "ops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#line 783 "chapters/04-mlp/04-mlp.md"
typedef enum { ACT_GELU, ACT_GELU_TANH, ACT_SILU, ACT_LEAKY, ACT_ELU } act_kind;

#define ACT_SQRT1_2   0.70710678118654752440   // 1/sqrt(2)
#define ACT_INV_SQRT2PI 0.39894228040143267794 // 1/sqrt(2 pi)
#define ACT_SQRT2_PI  0.79788456080286535588   // sqrt(2/pi)
#define ACT_GELU_C    0.044715

#define ACT_KERNELS(T)                                                                        \
static void act_forward_##T(act_kind k, double p, const T *x, T *y, int64_t n) {              \
    switch (k) {                                                                              \
    case ACT_GELU:                                                                            \
        for (int64_t i = 0; i < n; i++) {                                                     \
            double v = x[i]; y[i] = (T)(0.5 * v * (1 + erf(v * ACT_SQRT1_2)));                \
        } break;                                                                              \
    case ACT_GELU_TANH:                                                                       \
        for (int64_t i = 0; i < n; i++) {                                                     \
            double v = x[i];                                                                  \
            y[i] = (T)(0.5 * v * (1 + tanh(ACT_SQRT2_PI * (v + ACT_GELU_C * v * v * v))));    \
        } break;                                                                              \
    case ACT_SILU:                                                                            \
        for (int64_t i = 0; i < n; i++) { double v = x[i]; y[i] = (T)(v / (1 + exp(-v))); }   \
        break;                                                                                \
    case ACT_LEAKY:                                                                           \
        for (int64_t i = 0; i < n; i++) { double v = x[i]; y[i] = (T)(v > 0 ? v : v * p); }   \
        break;                                                                                \
    case ACT_ELU:                                                                             \
        for (int64_t i = 0; i < n; i++) {                                                     \
            double v = x[i]; y[i] = (T)(v > 0 ? v : p * expm1(v));                            \
        } break;                                                                              \
    }                                                                                         \
}                                                                                             \
/* dx = g f'(x) */                                                                            \
static void act_backward_##T(act_kind k, double p, const T *x, const T *g, T *dx, int64_t n) { \
    switch (k) {                                                                              \
    case ACT_GELU:                                                                            \
        for (int64_t i = 0; i < n; i++) {                                                     \
            double v = x[i];                                                                  \
            double cdf = 0.5 * (1 + erf(v * ACT_SQRT1_2)), pdf = ACT_INV_SQRT2PI * exp(-0.5 * v * v); \
            dx[i] = (T)(g[i] * (cdf + v * pdf));                                              \
        } break;                                                                              \
    case ACT_GELU_TANH:                                                                       \
        for (int64_t i = 0; i < n; i++) {                                                     \
            double v = x[i], t = tanh(ACT_SQRT2_PI * (v + ACT_GELU_C * v * v * v));           \
            double d = 0.5 * (1 + t)                                                          \
                     + 0.5 * v * (1 - t * t) * ACT_SQRT2_PI * (1 + 3 * ACT_GELU_C * v * v);   \
            dx[i] = (T)(g[i] * d);                                                            \
        } break;                                                                              \
    case ACT_SILU:                                                                            \
        for (int64_t i = 0; i < n; i++) {                                                     \
            double v = x[i], s = 1 / (1 + exp(-v));                                           \
            dx[i] = (T)(g[i] * s * (1 + v * (1 - s)));                                        \
        } break;                                                                              \
    case ACT_LEAKY:                                                                           \
        for (int64_t i = 0; i < n; i++) dx[i] = (T)(x[i] > 0 ? g[i] : g[i] * p);              \
        break;                                                                                \
    case ACT_ELU:                                                                             \
        for (int64_t i = 0; i < n; i++)                                                       \
            dx[i] = (T)(x[i] > 0 ? (double)g[i] : g[i] * p * exp((double)x[i]));              \
        break;                                                                                \
    }                                                                                         \
}
ACT_KERNELS(float)
ACT_KERNELS(double)

static const char *act_name(act_kind k) {
    switch (k) {
    case ACT_GELU: case ACT_GELU_TANH: return "GeluBackward0";
    case ACT_SILU:  return "SiluBackward0";
    case ACT_LEAKY: return "LeakyReluBackward0";
    case ACT_ELU:   return "EluBackward0";
    }
    return "?";
}

static bool act_check_floating(const tl_tensor *t, const char *kernel) {
    if (tl_dtype_is_floating(t->dtype)) return true;
    tl_error_set(TL_RUNTIME_ERROR, "\"%s\" not implemented for '%s'", kernel,
                 t->dtype == TL_INT64 ? "Long" : "Bool");
    return false;
}

// the gradient arriving at a node, as a contiguous tensor of out's shape (ones when NULL)
static const tl_tensor *act_grad_in(const tl_tensor *g, const tl_tensor *x) {
    if (!g) return tl_ones_like(x);   // on x's device (chapter 08)
    return tl_contiguous(g);
}
#line 774 "chapters/04-mlp/04-mlp.md"
#line 874 "chapters/04-mlp/04-mlp.md"
static void act_backward(tl_node *node, const tl_tensor *grad_output, tl_tensor **grad_inputs) {
    const tl_tensor *input = node->saved[0];
    act_kind k = (act_kind)node->scalar[0];
    double p = node->scalar[1];
    tl_tensor *dx = node->needs_grad[0] ? tl_empty_like(input) : NULL;
    if (dx) TL_SCOPE {
        const tl_tensor *x = tl_contiguous(input), *g = act_grad_in(grad_output, input);
        if (x && g && g->dtype != x->dtype) g = tl_contiguous(tl_to_dtype(g, x->dtype));
        int64_t n = tl_numel(input);
        if (x && g && tl_is_cuda(x))                                            // chapter 08
            tl_cuda_activation(x->storage->device.index, x->dtype, (int)k, p, tl_data_ptr(x), tl_data_ptr(g),
                               tl_data_ptr(dx), n);
        else if (x && g && input->dtype == TL_FLOAT32)
            act_backward_float(k, p, TL_DATA(x, float), TL_DATA(g, float), TL_DATA(dx, float), n);
        else if (x && g)
            act_backward_double(k, p, TL_DATA(x, double), TL_DATA(g, double), TL_DATA(dx, double), n);
    }
    grad_inputs[0] = dx;
}

static tl_tensor *act_apply(const tl_tensor *t, act_kind k, double p, const char *kernel) {
    if (!t) return NULL;
    if (!act_check_floating(t, kernel)) return NULL;
    tl_tensor *out = tl_empty_like(t);
    if (!out) return NULL;
    bool ok = false;
    TL_SCOPE {
        const tl_tensor *x = tl_contiguous(t);
        if (x && tl_is_cuda(x)) {                                               // chapter 08
            ok = tl_cuda_activation(x->storage->device.index, x->dtype, (int)k, p, tl_data_ptr(x), NULL,
                                    tl_data_ptr(out), tl_numel(t));
        } else if (x) {
            ok = true;
            if (t->dtype == TL_FLOAT32) act_forward_float(k, p, TL_DATA(x, float), TL_DATA(out, float), tl_numel(t));
            else act_forward_double(k, p, TL_DATA(x, double), TL_DATA(out, double), tl_numel(t));
        }
    }
    if (!ok) return NULL;
    tl_node *node = tl_record(act_name(k), act_backward, out, (const tl_tensor *[]){ t }, 1);
    if (node) { node->scalar[0] = k; node->scalar[1] = p; }
    tl_node_save(node, t);
    return out;
}

tl_tensor *tl_gelu(const tl_tensor *t, bool tanh_approx) {
    return act_apply(t, tanh_approx ? ACT_GELU_TANH : ACT_GELU, 0, "GeluKernelImpl");
}
tl_tensor *tl_silu(const tl_tensor *t)                 { return act_apply(t, ACT_SILU, 0, "silu_cpu"); }
tl_tensor *tl_leaky_relu(const tl_tensor *t, double s) { return act_apply(t, ACT_LEAKY, s, "leaky_relu_cpu"); }
tl_tensor *tl_elu(const tl_tensor *t, double alpha)    { return act_apply(t, ACT_ELU, alpha, "elu_cpu"); }
#line 775 "chapters/04-mlp/04-mlp.md"
#line 1925 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// PReLU on a GPU (chapter 08), with ops: w viewed so that it broadcasts along dim 1
static const tl_tensor *prelu_weight_view(const tl_tensor *x, const tl_tensor *w) {
    if (tl_numel(w) == 1 || x->ndim < 2) return tl_reshape(w, TL_SHAPE(1));
    tl_shape s = { x->ndim - 1, { 0 } };
    s.d[0] = tl_numel(w);
    for (int d = 1; d < s.ndim; d++) s.d[d] = 1;
    return tl_reshape(w, s);
}

static void prelu_backward(tl_node *node, const tl_tensor *grad_output, tl_tensor **grad_inputs);

static tl_tensor *prelu_device(const tl_tensor *t, const tl_tensor *weight) {
    tl_grad_mode_push(false);
    tl_tensor *out = tl_where(tl_gt_scalar(t, 0), t, tl_mul(prelu_weight_view(t, weight), t));
    tl_grad_mode_pop();
    if (!out) return NULL;
    tl_node *node = tl_record("PreluBackward0", prelu_backward, out, (const tl_tensor *[]){ t, weight }, 2);
    tl_node_save(node, t);
    tl_node_save(node, weight);
    return out;
}

// dx = where(x > 0, g, w g);  dw = where(x > 0, 0, x g) summed to w's shape
static void prelu_backward_device(tl_node *node, const tl_tensor *grad_output, tl_tensor **grad_inputs) {
    const tl_tensor *x = node->saved[0], *weight = node->saved[1];
    tl_grad_mode_push(false);
    const tl_tensor *g = grad_output ? tl_to_dtype(grad_output, x->dtype) : tl_ones_like(x);
    const tl_tensor *wv = prelu_weight_view(x, weight), *positive = tl_gt_scalar(x, 0);
    if (node->needs_grad[0]) grad_inputs[0] = tl_where(positive, g, tl_mul(wv, g));
    if (node->needs_grad[1])
        grad_inputs[1] = tl_reshape(tl_sum_to_size(tl_where(positive, tl_number(0), tl_mul(x, g)), tl_shape_of(wv)),
                                    tl_shape_of(weight));
    tl_grad_mode_pop();
}
#line 776 "chapters/04-mlp/04-mlp.md"
#line 932 "chapters/04-mlp/04-mlp.md"
#define PRELU_KERNELS(T)                                                                      \
static void prelu_forward_##T(const T *x, const T *w, T *y, int64_t n, int64_t C, int64_t inner) { \
    for (int64_t i = 0; i < n; i++) {                                                         \
        T a = w[(i / inner) % C];                                                             \
        y[i] = x[i] > 0 ? x[i] : a * x[i];                                                    \
    }                                                                                         \
}                                                                                             \
static void prelu_backward_##T(const T *x, const T *w, const T *g, T *dx, T *dw,             \
                               int64_t n, int64_t C, int64_t inner) {                         \
    double *acc = calloc((size_t)C, sizeof *acc);                                             \
    if (!acc) return;                                                                         \
    for (int64_t i = 0; i < n; i++) {                                                         \
        int64_t c = (i / inner) % C;                                                          \
        if (dx) dx[i] = x[i] > 0 ? g[i] : w[c] * g[i];                                        \
        if (x[i] <= 0) acc[c] += (double)g[i] * (double)x[i];                                 \
    }                                                                                         \
    if (dw) for (int64_t c = 0; c < C; c++) dw[c] = (T)acc[c];                                \
    free(acc);                                                                                \
}
PRELU_KERNELS(float)
PRELU_KERNELS(double)

// C and inner for input t and a weight of nw elements
static void prelu_layout(const tl_tensor *t, int64_t nw, int64_t *C, int64_t *inner) {
    *C = nw; *inner = 1;
    if (nw == 1) { *inner = 1; return; }
    for (int d = 2; d < t->ndim; d++) *inner *= t->shape[d];
}

static void prelu_backward(tl_node *node, const tl_tensor *grad_output, tl_tensor **grad_inputs) {
    const tl_tensor *input = node->saved[0], *weight = node->saved[1];
    if (tl_is_cuda(input)) { prelu_backward_device(node, grad_output, grad_inputs); return; }   // chapter 08
    tl_tensor *dx = node->needs_grad[0] ? tl_empty(tl_shape_of(input), input->dtype) : NULL;
    tl_tensor *dw = node->needs_grad[1] ? tl_empty(tl_shape_of(weight), weight->dtype) : NULL;
    TL_SCOPE {
        const tl_tensor *x = tl_contiguous(input), *w = tl_contiguous(weight);
        const tl_tensor *g = act_grad_in(grad_output, input);
        if (x && g && g->dtype != x->dtype) g = tl_contiguous(tl_to_dtype(g, x->dtype));
        int64_t n = tl_numel(input), C, inner;
        prelu_layout(input, tl_numel(weight), &C, &inner);
        if (x && w && g && input->dtype == TL_FLOAT32)
            prelu_backward_float(TL_DATA(x, float), TL_DATA(w, float), TL_DATA(g, float),
                                 dx ? TL_DATA(dx, float) : NULL, dw ? TL_DATA(dw, float) : NULL, n, C, inner);
        else if (x && w && g)
            prelu_backward_double(TL_DATA(x, double), TL_DATA(w, double), TL_DATA(g, double),
                                  dx ? TL_DATA(dx, double) : NULL, dw ? TL_DATA(dw, double) : NULL, n, C, inner);
    }
    grad_inputs[0] = dx;
    grad_inputs[1] = dw;
}

tl_tensor *tl_prelu(const tl_tensor *t, const tl_tensor *weight) {
    if (!t || !weight) return NULL;
    if (!act_check_floating(t, "prelu_cpu")) return NULL;
    int64_t nw = tl_numel(weight);
    int64_t channels = t->ndim >= 2 ? t->shape[1] : 1;
    if (nw != 1 && nw != channels) {
        tl_error_set(TL_RUNTIME_ERROR, "Mismatch of parameter numbers and input channel size. "
                     "Found parameter numbers = %lld and channel size = %lld.",
                     (long long)nw, (long long)channels);
        return NULL;
    }
    if (weight->dtype != t->dtype) {
        tl_error_set(TL_RUNTIME_ERROR, "expected scalar type %s but found %s",
                     t->dtype == TL_FLOAT32 ? "Float" : "Double",
                     weight->dtype == TL_FLOAT32 ? "Float" : weight->dtype == TL_FLOAT64 ? "Double" : "Long");
        return NULL;
    }
    tl_device dev;                                                        // chapter 08
    if (!tl_common_device((const tl_tensor *[]){ t, weight }, 2, &dev)) return NULL;
    if (dev.type == TL_CUDA) return prelu_device(t, weight);
    tl_tensor *out = tl_empty(tl_shape_of(t), t->dtype);
    if (!out) return NULL;
    bool ok = false;
    TL_SCOPE {
        const tl_tensor *x = tl_contiguous(t), *w = tl_contiguous(weight);
        int64_t C, inner;
        prelu_layout(t, nw, &C, &inner);
        if (x && w) {
            ok = true;
            if (t->dtype == TL_FLOAT32)
                prelu_forward_float(TL_DATA(x, float), TL_DATA(w, float), TL_DATA(out, float), tl_numel(t), C, inner);
            else
                prelu_forward_double(TL_DATA(x, double), TL_DATA(w, double), TL_DATA(out, double), tl_numel(t), C, inner);
        }
    }
    if (!ok) return NULL;
    tl_node *node = tl_record("PreluBackward0", prelu_backward, out, (const tl_tensor *[]){ t, weight }, 2);
    tl_node_save(node, t);
    tl_node_save(node, weight);
    return out;
}
#line 777 "chapters/04-mlp/04-mlp.md"
#line 1034 "chapters/04-mlp/04-mlp.md"
// a tick step of 1, 2 or 5 times a power of ten, giving about 6 ticks over span
static double nice_step(double span) {
    double raw = span / 6, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

bool tl_plot_svg(FILE *out, const char *title, const double *x, const double *const *ys,
                 const char *const *labels, int ncurves, int n) {
    static const char *colours[] = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                     "#9467bd", "#8c564b", "#e377c2", "#7f7f7f" };
    if (!out || !x || !ys || ncurves < 1 || n < 2) return false;
    double x0 = x[0], x1 = x[0], y0 = ys[0][0], y1 = ys[0][0];
    for (int i = 0; i < n; i++) { if (x[i] < x0) x0 = x[i]; if (x[i] > x1) x1 = x[i]; }
    for (int c = 0; c < ncurves; c++)
        for (int i = 0; i < n; i++) {
            if (ys[c][i] < y0) y0 = ys[c][i];
            if (ys[c][i] > y1) y1 = ys[c][i];
        }
    if (!(x1 > x0)) x1 = x0 + 1;
    if (!(y1 > y0)) y1 = y0 + 1;
    double xs = nice_step(x1 - x0), ysp = nice_step(y1 - y0);
    y0 = floor(y0 / ysp) * ysp; y1 = ceil(y1 / ysp) * ysp;      // the y axis ends on ticks
    const double W = 640, H = 420, L = 56, R = 150, T = 36, B = 40;   // size and margins
    double pw = W - L - R, ph = H - T - B;
#define PX(v) (L + ((v) - x0) / (x1 - x0) * pw)
#define PY(v) (T + (y1 - (v)) / (y1 - y0) * ph)
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" "
                 "viewBox=\"0 0 %g %g\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H, W, H);
    fprintf(out, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    if (title) {
        fprintf(out, "<text x=\"%g\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">", L + pw / 2);
        for (const char *s = title; *s; s++)   // escape what XML reserves
            switch (*s) { case '<': fputs("&lt;", out); break; case '>': fputs("&gt;", out); break;
                          case '&': fputs("&amp;", out); break; default: fputc(*s, out); }
        fputs("</text>\n", out);
    }
    // grid lines and tick labels
    for (double v = ceil(x0 / xs) * xs; v <= x1 + 1e-9 * xs; v += xs) {
        double px = PX(v), vv = fabs(v) < 1e-12 ? 0 : v;
        fprintf(out, "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"#ddd\"/>\n", px, T, px, T + ph);
        fprintf(out, "<text x=\"%.1f\" y=\"%g\" text-anchor=\"middle\">%g</text>\n", px, T + ph + 16, vv);
    }
    for (double v = y0; v <= y1 + 1e-9 * ysp; v += ysp) {
        double py = PY(v), vv = fabs(v) < 1e-12 ? 0 : v;
        fprintf(out, "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L, py, L + pw, py);
        fprintf(out, "<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", L - 6, py + 4, vv);
    }
    // the axes: a frame, and the lines x = 0 and y = 0 when they are inside
    fprintf(out, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"#333\"/>\n", L, T, pw, ph);
    if (x0 < 0 && x1 > 0)
        fprintf(out, "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"#888\"/>\n", PX(0.0), T, PX(0.0), T + ph);
    if (y0 < 0 && y1 > 0)
        fprintf(out, "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"#888\"/>\n", L, PY(0.0), L + pw, PY(0.0));
    // the curves and the legend
    for (int c = 0; c < ncurves; c++) {
        const char *colour = colours[c % 8];
        fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", colour);
        for (int i = 0; i < n; i++) fprintf(out, "%s%.2f,%.2f", i ? " " : "", PX(x[i]), PY(ys[c][i]));
        fputs("\"/>\n", out);
        double ly = T + 10 + 18 * c;
        fprintf(out, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"%s\" stroke-width=\"2\"/>\n",
                L + pw + 12, ly, L + pw + 34, ly, colour);
        fprintf(out, "<text x=\"%g\" y=\"%g\">", L + pw + 40, ly + 4);
        const char *label = labels && labels[c] ? labels[c] : "";
        for (const char *s = label; *s; s++)
            switch (*s) { case '<': fputs("&lt;", out); break; case '>': fputs("&gt;", out); break;
                          case '&': fputs("&amp;", out); break; default: fputc(*s, out); }
        fputs("</text>\n", out);
    }
    fputs("</svg>\n", out);
#undef PX
#undef PY
    return !ferror(out);
}
