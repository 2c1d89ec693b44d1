/* generated from chapters/02-graphs/02-graphs.md by tools/tangle.lua; edit the chapter, not this file */
#line 704 "chapters/02-graphs/02-graphs.md"
// functional.h — losses and softmax: PyTorch's torch.nn.functional (the tutorial's F).
//
//     tl_tensor *a = tl_sigmoid(tl_add(tl_mul(x1, w1), b));   // a probability in (0, 1)
//     tl_tensor *loss = tl_binary_cross_entropy(a, y);        // F.binary_cross_entropy(a, y)
//     tl_print(loss);                                         // tensor(0.0852)
//
// Every function takes float32 or float64 tensors and returns a new tensor owned by the
// current pool, or NULL and an error worded like PyTorch's. When an input requires grad (and
// grad mode is on), the function records its node (grad_fn) with the rule that computes its
// gradient in the backward pass.
#ifndef TL_FUNCTIONAL_H
#define TL_FUNCTIONAL_H
#include "tensor.h"

// ---------------------------------------------------------------------------
// Losses. A loss is one number (a 0-d tensor): the mean over all elements (reduction='mean').

// -[y log a + (1 - y) log(1 - a)], each log clamped at -100 as PyTorch does.
// input: probabilities in [0, 1]; target: the same shape and dtype (usually labels 0 or 1).
// grad_fn: BinaryCrossEntropyBackward0
tl_tensor *tl_binary_cross_entropy(const tl_tensor *input, const tl_tensor *target);

// (x - y)^2 averaged. Shapes that differ are broadcast (with PyTorch's warning on stderr),
// dtypes promote as in x - y. grad_fn: MseLossBackward0
tl_tensor *tl_mse_loss(const tl_tensor *input, const tl_tensor *target);

// ---------------------------------------------------------------------------
// Softmax along dim (negative dims count from the end): every slice along dim becomes
// exp(x_i) / sum_j exp(x_j), positive and summing to 1. Computed after subtracting the
// slice's maximum, so large scores do not overflow.
tl_tensor *tl_softmax(const tl_tensor *t, int dim);       // grad_fn: SoftmaxBackward0
tl_tensor *tl_log_softmax(const tl_tensor *t, int dim);   // log(softmax), computed directly;
                                                          // grad_fn: LogSoftmaxBackward0
#endif
