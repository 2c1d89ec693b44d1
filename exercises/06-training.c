// exercises/06-training.c — exercises for chapter 06 (training): a learning-rate schedule,
// gradient clipping, cross entropy with label smoothing, and the Adam optimiser from its update rule.
//
// Each exercise is a function: read its comment, replace the TL_TODO stub with your code, and
// grade it with ./build.sh grade 06 (the chapter) or ./build.sh grade 06.2 (one exercise).
// loss.h and optim.h are the chapter's reference: tl_cross_entropy, tl_nll_loss, and tl_sgd, whose
// step is one loop per parameter over the raw numbers (TL_DATA), the model for 06.4.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"

// ----------------------------------------------------------------------------
// Exercise 06.1 (easy, 2 points): a learning-rate schedule, CosineAnnealingLR.
//
// Task: return the learning rate that torch.optim.lr_scheduler.CosineAnnealingLR(optimizer,
// T_max, eta_min) gives after `epoch` calls of scheduler.step(), for an optimizer made with
// lr = base_lr: the closed form
//     lr(epoch) = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2
// which starts at base_lr, falls to eta_min at epoch T_max and then rises again (a cosine has
// no end). Errors (NAN returned, an error recorded, ValueErrors): T_max < 1:
// "CosineAnnealingLR: T_max must be at least 1, got 0"; epoch < 0:
// "CosineAnnealingLR: epoch must be >= 0, got -1".
//
// Approach: one line of arithmetic in double, after the two checks. M_PI is not in C11: write
// pi as acos(-1.0).
//
// Example: base_lr 0.001, eta_min 0, T_max 10: epochs 1, 2, 3 give 0.000976, 0.000905, 0.000794
// (the tutorial's column, printed to 6 decimals); epoch 10 gives 0, epoch 11 0.000024 again.
//
// Hints: PyTorch steps the rate by a recursive formula (each lr from the previous one), which the
// graded test replays; the closed form agrees with it to the last few bits.
double ex06_cosine_annealing_lr(double base_lr, double eta_min, int64_t T_max, int64_t epoch) {
    TL_TODO("06.1");
    return NAN;
}

// ----------------------------------------------------------------------------
// Exercise 06.2 (medium, 3 points): gradient clipping by norm, clip_grad_norm_.
//
// Task: as torch.nn.utils.clip_grad_norm_(params, max_norm) does, compute the total 2-norm of the
// gradients of params[0..n-1] (the norm of all their elements together: sqrt of the sum of all
// squares), and if it is above max_norm scale every gradient in place by
//     clip_coef = max_norm / (total_norm + 1e-6)
// (PyTorch multiplies by min(clip_coef, 1), so a small norm leaves the gradients as they are).
// Parameters without a gradient (->grad NULL) are skipped. Return the total norm (before
// clipping); n == 0 or no gradients at all: 0. Errors: n < 0 or params NULL with n > 0:
// "clip_grad_norm_: expected n >= 0 parameters, got -1" (a ValueError), returning -1.
//
// Approach: accumulate the sum of squares in double over every gradient, then scale: the
// gradients must stay the same tensors (p->grad is not replaced), so write into them, for
// example tl_copy_(g, tl_mul_scalar(g, coef)), or loop over their numbers (TL_DATA).
//
// Example: gradients [3, -4] and [[1, 2], [0.5, -0.5]], max_norm 2: total norm
// sqrt(9 + 16 + 1 + 4 + 0.25 + 0.25) = 5.5227, and every gradient is scaled by 2 / 5.5227:
// [1.0864, -1.4486] (PyTorch 1.13.1).
//
// Hints: it is used between backward() and step(): loss.backward(); clip_grad_norm_(...);
// optimizer.step(). Gradients can be float32 or float64; sum in double either way.
double ex06_clip_grad_norm_(tl_tensor *const *params, int n, double max_norm) {
    TL_TODO("06.2");
    return -1;
}

// ----------------------------------------------------------------------------
// Exercise 06.3 (medium, 3 points): cross entropy with label smoothing.
//
// Task: F.cross_entropy(input, target, label_smoothing=eps): instead of the one-hot target, the
// loss compares the predicted distribution with (1 - eps) * one_hot + eps / C (C classes), which
// keeps a network from becoming over-confident. With logp = log_softmax(input, dim 1), N rows:
//     loss = (1 - eps) * mean_i(-logp[i, target[i]])  +  eps * mean_i( sum_c(-logp[i, c]) / C )
// input: (N, C) float32/float64 logits; target: (N) int64 classes. Return the 0-d loss in the
// input's dtype, differentiable: backward gives input.grad = (softmax(input) - q) / N with
// q = (1 - eps) * one_hot(target) + eps / C. eps outside [0, 1] records PyTorch's
// "label_smoothing must be between 0.0 and 1.0. Got: 1.5" and returns NULL; bad targets fail as
// tl_cross_entropy fails ("Target 5 is out of bounds.").
//
// Approach: build it from differentiable ops and the gradient comes for free: tl_log_softmax,
// tl_nll_loss, tl_mean, tl_mul_scalar, tl_add (functional.h, loss.h, ops.h).
//
// Example: logits [[2.0, 0.5, -1.0], [0.1, 1.2, 0.3]], targets [0, 2], eps 0.1: 0.910770806534781
// (PyTorch 1.13.1; with eps 0 it is F.cross_entropy's 0.847437...).
//
// Hints: the mean over all N * C entries of -logp is exactly mean_i(sum_c(-logp[i, c]) / C).
tl_tensor *ex06_cross_entropy_smooth(const tl_tensor *input, const tl_tensor *target, double label_smoothing) {
    TL_TODO("06.3");
    return NULL;
}

// ----------------------------------------------------------------------------
// Exercise 06.4 (hard, 5 points): the Adam optimiser, from its update rule.
//
// Task: write torch.optim.Adam (1.13, amsgrad=False) as three functions like tl_sgd's. For every
// parameter p with a gradient g, at its t-th step (t counts that parameter's own steps, from 1):
//     g = g + weight_decay * p                      (only when weight_decay != 0)
//     m = beta1 * m + (1 - beta1) * g               (m, v: zeros before the first step)
//     v = beta2 * v + (1 - beta2) * g * g
//     p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// element by element, in the parameter's dtype (float32 or float64), in place: the parameters are
// the model's tensors and must stay the same tensors. A parameter without a gradient is skipped
// (its m, v and t stay). ex06_adam_new keeps the list of parameters (tl_retain each, as tl_sgd
// does) and checks the options with PyTorch's ValueErrors: "Invalid learning rate: -0.1",
// "Invalid epsilon value: -1.0", "Invalid beta parameter at index 0: 1.0" (each beta in [0, 1);
// index 1 for beta2), "Invalid weight_decay value: -1.0" (numbers as tl_float_repr writes them).
// ex06_adam_step returns false with an error for a NULL optimiser; ex06_adam_free(NULL) does
// nothing, and ex06_adam_free releases everything the optimiser retained.
//
// Approach: a struct with the options, the n parameters, two arrays of state tensors (made with
// tl_zeros_like at a parameter's first step, inside a TL_SCOPE and kept with tl_retain) and an
// array of step counts. The step is one loop per parameter over its numbers (TL_DATA), as
// tl_sgd_step's kernel: write it once as a macro for float and double.
//
// Example: p = [0.5, -1.0, 2.0] (float32), lr 0.1, betas (0.9, 0.999), eps 1e-8, weight decay
// 0.01, gradients [1, -2, 0.5], [0.3, 0.3, -1], [-0.7, 0.1, 0.2]: after the first step
// p = [0.4, -0.9, 1.9] (the first step moves each element by lr, whatever its gradient), after
// the third [0.294488, -0.804262, 1.948074] (PyTorch 1.13.1).
//
// Hints: the graded test declares the same ex06_adam_options; keep its field order. In float32,
// compute the constants (1 - beta1, lr / (1 - beta1^t), ...) in double and round them once, as
// PyTorch does: 1 - 0.9f is not (float)0.1. The update must not be recorded by autograd:
// writing the numbers directly (TL_DATA) records nothing.
typedef struct {
    double lr;              // PyTorch's default 0.001
    double beta1, beta2;    // 0.9, 0.999
    double eps;             // 1e-8
    double weight_decay;    // 0
} ex06_adam_options;

typedef struct ex06_adam ex06_adam;
// struct ex06_adam { ... };   define it here: the options, the parameters, m, v, the step counts

ex06_adam *ex06_adam_new(tl_tensor *const *params, int n, ex06_adam_options options) {
    TL_TODO("06.4");
    return NULL;
}

bool ex06_adam_step(ex06_adam *opt) {
    TL_TODO("06.4");
    return false;
}

void ex06_adam_free(ex06_adam *opt) {
    (void)opt;
}

// ----------------------------------------------------------------------------
// Exercise 06.5 (easy, 2 points): early stopping.
//
// Task: decide, from the validation loss after each epoch, when training stops, as PyTorch
// Lightning's EarlyStopping(monitor="val_loss", mode="min", patience, min_delta,
// check_finite=True) does. Keep the best loss so far (start at +infinity) and a count of epochs
// without improvement. After epoch e (0-based, loss val_losses[e]):
//   - a loss that is NaN or infinite stops training at once, after epoch e;
//   - if val_losses[e] < best - min_delta, it is an improvement: best = val_losses[e], the count
//     goes back to 0, and *best_epoch = e;
//   - otherwise the count goes up by one, and when it reaches `patience`, training stops after e.
// Return the number of epochs trained: e + 1 for a stop after epoch e, n if it never stops. When
// no epoch improved, *best_epoch is -1. Errors (-1 returned): patience < 1:
// "early stopping: patience must be at least 1, got 0"; min_delta < 0:
// "early stopping: min_delta must be >= 0, got -0.1" (numbers as tl_float_repr writes them).
//
// Approach: one loop over the epochs with the two variables; return from inside it.
//
// Example: losses 1.0, 0.8, 0.79, 0.81, 0.9, 0.7, patience 2, min_delta 0.05: epoch 1 improves
// (0.8 < 0.95), epochs 2 and 3 do not (0.79 is not below 0.75): training stops after epoch 3, so
// 4 epochs, with *best_epoch = 1.
//
// Hints: the comparison is strict, and with the best value, not with the previous epoch's.
int ex06_early_stopping(const double *val_losses, int n, int patience, double min_delta, int *best_epoch) {
    if (best_epoch) *best_epoch = -1;
    TL_TODO("06.5");
    return -1;
}
