/* generated from chapters/06-training/06-training.md by tools/tangle.lua; edit the chapter, not this file */
#line 34 "chapters/06-training/06-training.md"
// loss.h — losses for classification: cross_entropy and nll_loss (torch.nn.functional).
//
//     tl_tensor *logits = tl_tensor_parse("[[2.0, 0.5], [0.1, 1.2]]");
//     tl_tensor *labels = tl_tensor_parse("[0, 1]");                // class indices, int64
//     tl_print(tl_cross_entropy(logits, labels));                    // tensor(0.2444)
#ifndef TL_LOSS_H
#define TL_LOSS_H
#include "tensor.h"

// mean over the batch of -log softmax(input)[i, target[i]]. input: (N, C) float32/float64
// logits; target: (N) int64 class indices in [0, C). grad_fn: NllLossBackward0 (over
// LogSoftmaxBackward0). Errors as PyTorch's: "Target 5 is out of bounds.",
// "Expected input batch_size (3) to match target batch_size (2).",
// "expected scalar type Long but found Float".
tl_tensor *tl_cross_entropy(const tl_tensor *input, const tl_tensor *target);
// the same from log-probabilities (the output of tl_log_softmax): -mean(input[i, target[i]])
tl_tensor *tl_nll_loss(const tl_tensor *input, const tl_tensor *target);
#endif
