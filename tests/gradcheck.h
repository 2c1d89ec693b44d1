// gradcheck.h — compare the gradients autograd computes with central finite differences.
//
// The check, for a function f of n tensors (the ones to check have requires_grad set; the
// others are constants):
//   1. y = f(inputs); a fixed random tensor R of y's shape plays the role of d(loss)/dy, so
//      the check also covers the vector-Jacobian product (tl_backward_ex with a gradient);
//   2. analytic:  tl_backward_ex(y, R) fills inputs[k]->grad;
//   3. numeric:   for every element x_j of every checked input,
//                 (sum(R * f(.., x_j + eps, ..)) - sum(R * f(.., x_j - eps, ..))) / (2 eps);
//   4. each pair must agree: |analytic - numeric| <= tol * (1 + |numeric|).
// Use float64 inputs (eps 1e-6, tol 1e-5): float32 has too few digits for differences.
//
//     static tl_tensor *mul_fn(tl_tensor *const *in, void *ctx) { return tl_mul(in[0], in[1]); }
//     tl_tensor *in[2] = { tl_requires_grad_(gc_randn(TL_SHAPE(2, 3)), true),
//                          tl_requires_grad_(gc_randn(TL_SHAPE(3)), true) };
//     char why[256];
//     assert_true(tl_gradcheck(mul_fn, in, 2, NULL, 1e-6, 1e-5, why, sizeof why));  // why says what differed
//
// Header-only (static functions), for the cmocka tests of chapter 03 and later chapters.
// Random values come from rand(): call srand(seed) first for a reproducible check.
#ifndef TL_GRADCHECK_H
#define TL_GRADCHECK_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "autograd.h"
#include "ops.h"

typedef tl_tensor *(*tl_gradcheck_fn)(tl_tensor *const *inputs, void *ctx);

// a float64 tensor of shape s, uniform in [lo, hi) (from rand())
static inline tl_tensor *gc_uniform(tl_shape s, double lo, double hi) {
    tl_tensor *t = tl_empty(s, TL_FLOAT64);
    if (!t) return NULL;
    double *p = TL_DATA(t, double);
    for (int64_t i = 0; i < tl_numel(t); i++) p[i] = lo + (hi - lo) * ((double)rand() / ((double)RAND_MAX + 1.0));
    return t;
}

// float64 values spread over [-2, 2), kept away from 0 by at least 0.1 (so abs, relu, max
// and division are checked away from their kinks)
static inline tl_tensor *gc_randn(tl_shape s) {
    tl_tensor *t = gc_uniform(s, 0.1, 2.0);
    if (!t) return NULL;
    double *p = TL_DATA(t, double);
    for (int64_t i = 0; i < tl_numel(t); i++)
        if (rand() & 1) p[i] = -p[i];
    return t;
}

// the multi-index of element k (row-major) of a tensor of shape (ndim, shape)
static inline tl_shape gc_index(const tl_tensor *t, int64_t k) {
    tl_shape at = { t->ndim, { 0 } };
    for (int d = t->ndim - 1; d >= 0; d--) {
        at.d[d] = k % t->shape[d];
        k /= t->shape[d];
    }
    return at;
}

// sum(R * f(inputs)) in float64, without recording a graph
static inline bool gc_weighted(tl_gradcheck_fn f, tl_tensor **inputs, void *ctx, const tl_tensor *R, double *out) {
    bool ok = false;
    tl_grad_mode_push(false);
    TL_SCOPE {
        tl_tensor *y = f(inputs, ctx);
        tl_tensor *s = y ? tl_sum(tl_mul(tl_to_dtype(y, TL_FLOAT64), R)) : NULL;
        if (s) {
            *out = tl_item(s);
            ok = true;
        }
    }
    tl_grad_mode_pop();
    return ok;
}

static inline bool tl_gradcheck(tl_gradcheck_fn f, tl_tensor **inputs, int n, void *ctx, double eps, double tol,
                                char *why, size_t why_len) {
    bool ok = true;
    if (why_len) why[0] = '\0';
    for (int k = 0; k < n; k++) {          // start from clean .grad
        if (!inputs[k]) { snprintf(why, why_len, "input %d is NULL", k); return false; }
        tl_release(inputs[k]->grad);
        inputs[k]->grad = NULL;
    }
    TL_SCOPE {
        // 1-2. forward with recording, then backward with a random output gradient R
        tl_tensor *y = f(inputs, ctx);
        tl_tensor *R = y ? gc_uniform(tl_shape_of(y), -1.0, 1.0) : NULL;
        tl_tensor *Ry = R ? tl_to_dtype(R, y->dtype) : NULL;
        if (!y || !R) {
            snprintf(why, why_len, "forward failed: %s", tl_error() ? tl_error() : "(no message)");
            ok = false;
        } else if (!tl_backward_ex(y, Ry, false)) {
            snprintf(why, why_len, "backward failed: %s", tl_error() ? tl_error() : "(no message)");
            ok = false;
        }
        // 3-4. every element of every input that requires grad
        for (int k = 0; ok && k < n; k++) {
            tl_tensor *x = inputs[k];
            if (!x->requires_grad) continue;
            tl_tensor *g = x->grad;
            if (!g) {
                snprintf(why, why_len, "input %d: no .grad after backward", k);
                ok = false;
                break;
            }
            bool same_shape = g->ndim == x->ndim && g->dtype == x->dtype;
            for (int d = 0; same_shape && d < x->ndim; d++) same_shape = g->shape[d] == x->shape[d];
            if (!same_shape) {
                snprintf(why, why_len, "input %d: .grad has another shape or dtype than the input", k);
                ok = false;
                break;
            }
            for (int64_t j = 0; ok && j < tl_numel(x); j++) {
                tl_shape at = gc_index(x, j);
                double x0 = tl_get(x, at), plus = 0, minus = 0;
                tl_set(x, at, x0 + eps);
                bool fine = gc_weighted(f, inputs, ctx, R, &plus);
                tl_set(x, at, x0 - eps);
                fine = fine && gc_weighted(f, inputs, ctx, R, &minus);
                tl_set(x, at, x0);
                double numeric = (plus - minus) / (2 * eps), analytic = tl_get(g, at);
                if (!fine) {
                    snprintf(why, why_len, "input %d: forward failed during the numeric check", k);
                    ok = false;
                } else if (!(fabs(analytic - numeric) <= tol * (1 + fabs(numeric)))) {
                    snprintf(why, why_len, "input %d element %lld: analytic %.10g, numeric %.10g", k, (long long)j,
                             analytic, numeric);
                    ok = false;
                }
            }
        }
    }
    return ok;
}
#endif
