/* generated from chapters/04-mlp/04-mlp.md by tools/tangle.lua; edit the chapter, not this file */
#line 719 "chapters/04-mlp/04-mlp.md"
// activation.h — the activation functions chapter 04 adds to chapter 01's relu/tanh/sigmoid,
// and a small SVG line-plot writer to draw them.
//
//     tl_tensor *x = tl_tensor_parse("[-2., -1., 0., 1., 2.]");
//     tl_print(tl_gelu(x, false));   // tensor([-0.0455, -0.1587,  0.0000,  0.8413,  1.9545])
//
// Each function takes a float32 or float64 tensor, returns a new tensor of the same shape and
// dtype owned by the current pool (or NULL and an error), and records its node with
// PyTorch's grad_fn name when the input requires grad.
#ifndef TL_ACTIVATION_H
#define TL_ACTIVATION_H
#include <stdbool.h>
#include <stdio.h>
#include "tensor.h"

tl_tensor *tl_gelu(const tl_tensor *t, bool tanh_approx);        // x Phi(x); GeluBackward0
tl_tensor *tl_silu(const tl_tensor *t);                          // x sigmoid(x); SiluBackward0
tl_tensor *tl_leaky_relu(const tl_tensor *t, double slope);      // PyTorch's default slope: 0.01
                                                                 // LeakyReluBackward0
tl_tensor *tl_elu(const tl_tensor *t, double alpha);             // alpha 1.0; EluBackward0
// x > 0 ? x : a x, a from weight: one element, or one per channel (t's dim 1), same dtype as t.
// Both t and weight may require grad. PreluBackward0
tl_tensor *tl_prelu(const tl_tensor *t, const tl_tensor *weight);

// A line plot as a standalone SVG: ncurves curves ys[c][0..n-1] over the common x[0..n-1],
// axes with ticks and numbers, one colour per curve and a legend (labels may be NULL).
// Returns false if the arguments are unusable (n < 2, ncurves < 1) or writing failed.
bool tl_plot_svg(FILE *out, const char *title, const double *x, const double *const *ys,
                 const char *const *labels, int ncurves, int n);
#endif
