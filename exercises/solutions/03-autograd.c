// exercises/03-autograd.c — exercises for chapter 03 (autograd): new differentiable functions,
// finite differences, and gradient descent driven by backward().
// BEGIN SOLUTION
//
// REFERENCE SOLUTIONS (the teacher's copy). tools/handout.sh strips everything between the
// BEGIN/END SOLUTION markers and turns the "STUB:" lines into code: that is exercises/03-autograd.c.
// END SOLUTION
//
// Each exercise is a function: read its comment, replace the TL_TODO stub with your code, and
// grade it with ./build.sh grade 03 (the chapter) or ./build.sh grade 03.2 (one exercise).
// The graded tests check gradients against central finite differences in float64 (the gradient
// check of chapter 03), so a wrong local rule shows up as "analytic X, numeric Y".
#include <math.h>
#include <stdint.h>

#include "exercise.h"

// a function of one tensor returning one number (a 0-d tensor or any one-element tensor)
typedef tl_tensor *(*ex03_fn)(const tl_tensor *x, void *ctx);

// ----------------------------------------------------------------------------
// Exercise 03.1 (easy, 2 points): the hinge loss, from differentiable ops.
//
// Task: scores and targets have the same shape; targets hold +1 or -1. Return the 0-d tensor
//     mean(max(0, 1 - targets * scores))
// (the loss of a linear SVM), differentiable with respect to scores: when scores requires grad,
// tl_backward on the result must give scores.grad. Different shapes record
// "hinge_loss: scores and targets must have the same shape, got torch.Size([3]) and
// torch.Size([4])" and return NULL.
//
// Approach: compose ops that already have local rules (tl_mul, tl_neg, tl_add_scalar, tl_relu,
// tl_mean): autograd then differentiates the composition for free.
//
// Example: scores [0.5, -2.0, 3.0], targets [1, 1, -1]: max(0, [0.5, 3.0, 4.0]) -> mean 2.5.
//
// Hints: tl_shape_str(t) prints a shape as PyTorch does, for the message.
tl_tensor *ex03_hinge_loss(const tl_tensor *scores, const tl_tensor *targets) {
    // BEGIN SOLUTION
    if (!scores || !targets) return NULL;
    bool same = scores->ndim == targets->ndim;
    for (int d = 0; same && d < scores->ndim; d++) same = scores->shape[d] == targets->shape[d];
    if (!same) {
        tl_error_set(TL_RUNTIME_ERROR, "hinge_loss: scores and targets must have the same shape, got %s and %s",
                     tl_shape_str(scores), tl_shape_str(targets));
        return NULL;
    }
    return tl_mean(tl_relu(tl_add_scalar(tl_neg(tl_mul(targets, scores)), 1.0)));
    // END SOLUTION
    // STUB: TL_TODO("03.1");
    // STUB: return NULL;
}

// ----------------------------------------------------------------------------
// Exercise 03.2 (medium, 4 points): softplus, a new op with its own local rule.
//
// Task: return softplus(x) = log(1 + exp(x)) element-wise, float32 or float64 (same dtype as x),
// recorded as one node named "SoftplusBackward0" whose rule you write below: the derivative of
// softplus is sigmoid(x), so d(loss)/dx = grad_output * sigmoid(x). It must not overflow:
// softplus(100) is 100 in float32 (log(1 + exp(100)) computed literally is inf).
//
// Approach: forward with recording off, as a stable formula: softplus(x) = max(x, 0) +
// log(1 + exp(-|x|)) (exp(-|x|) is at most 1). Then record the node (tl_record) and save x
// (tl_node_save) for the rule; the rule reads it back from node->saved[0].
//
// Example: softplus([-1., 0., 1., 100.]) = [0.3133, 0.6931, 1.3133, 100.0000]
//
// Hints: chapter 02's exercise 02.4 shows the recording pattern; tl_relu, tl_abs, tl_neg,
// tl_exp, tl_add_scalar, tl_log and tl_sigmoid are all there.
void ex03_softplus_backward(tl_node *node, const tl_tensor *grad_output, tl_tensor **grad_inputs) {
    // BEGIN SOLUTION
    grad_inputs[0] = tl_mul(grad_output, tl_sigmoid(node->saved[0]));
    // END SOLUTION
    // STUB: tl_error_set(TL_RUNTIME_ERROR, "exercise 03.2: the rule of SoftplusBackward0 is not implemented yet");
}

tl_tensor *ex03_softplus(const tl_tensor *x) {
    // BEGIN SOLUTION
    if (!x) return NULL;
    tl_tensor *out = NULL;
    TL_NO_GRAD { out = tl_add(tl_relu(x), tl_log(tl_add_scalar(tl_exp(tl_neg(tl_abs(x))), 1.0))); }
    if (!out) return NULL;
    tl_node *node = tl_record("SoftplusBackward0", ex03_softplus_backward, out, (const tl_tensor *[]){ x }, 1);
    tl_node_save(node, x);
    return out;
    // END SOLUTION
    // STUB: TL_TODO("03.2");
    // STUB: return NULL;
}

// ----------------------------------------------------------------------------
// Exercise 03.3 (medium, 3 points): the numerical gradient, by central differences.
//
// Task: f maps a tensor of x's shape to one number. Return a float64 tensor g of x's shape with
//     g[j] = (f(x + eps e_j) - f(x - eps e_j)) / (2 eps)
// for every element j (e_j: 1 at j, 0 elsewhere). x (float64) must be left as it was. If f returns
// NULL, return NULL (its error stays); if f returns more than one element, record
// "numerical_grad: f must return one number, got torch.Size([3])" (its shape) and return NULL.
//
// Approach: work on a contiguous copy of x (tl_clone); change one element, call f, change it
// back. Run f with recording off (TL_NO_GRAD): only values are needed. f makes tensors each call:
// wrap each evaluation in TL_SCOPE { ... } so memory stays flat, and read the number with tl_item
// before the scope ends.
//
// Example: f(x) = sum(x * x * x) at x = [1., 2.], eps 1e-6: about [3., 12.] (3 x^2).
//
// Hints: TL_DATA(copy, double)[j] is element j of the copy. The graded test compares your result
// with the gradient autograd computes.
tl_tensor *ex03_numerical_grad(ex03_fn f, void *ctx, const tl_tensor *x, double eps) {
    // BEGIN SOLUTION
    if (!x) return NULL;
    tl_tensor *xc = tl_clone(tl_to_dtype(x, TL_FLOAT64));
    tl_tensor *g = xc ? tl_zeros_like(xc) : NULL;
    if (!g) return NULL;
    double *p = TL_DATA(xc, double);
    bool ok = true;
    for (int64_t j = 0; ok && j < tl_numel(xc); j++) {
        double x0 = p[j], fx[2] = { 0, 0 };
        for (int side = 0; ok && side < 2; side++) {
            p[j] = side ? x0 - eps : x0 + eps;
            TL_NO_GRAD {
                TL_SCOPE {
                    tl_tensor *y = f(xc, ctx);
                    if (!y) ok = false;
                    else if (tl_numel(y) != 1) {
                        tl_error_set(TL_RUNTIME_ERROR, "numerical_grad: f must return one number, got %s", tl_shape_str(y));
                        ok = false;
                    } else fx[side] = tl_item(y);
                }
            }
        }
        p[j] = x0;
        TL_DATA(g, double)[j] = (fx[0] - fx[1]) / (2 * eps);
    }
    return ok ? g : NULL;
    // END SOLUTION
    // STUB: TL_TODO("03.3");
    // STUB: return NULL;
}

// ----------------------------------------------------------------------------
// Exercise 03.4 (hard, 4 points): gradient descent, with backward doing the calculus.
//
// Task: starting from x0 (float64), take `steps` steps of plain gradient descent on f:
//     x <- x - lr * df/dx(x)
// computing df/dx with tl_backward. Return the final x as a new tensor that does not require grad;
// x0 itself must not change. Memory must stay flat however many steps are taken (the graded test
// counts live tensors), and f's errors (NULL) are passed on as NULL.
//
// Approach: x = a clone of x0 made a leaf that requires grad. Each step, inside TL_SCOPE: loss =
// f(x, ctx); tl_backward(loss); then, with recording off (TL_NO_GRAD), update x in place
// (tl_add_(x, tl_mul_scalar(x->grad, -lr))) and zero its gradient (tl_zero_grad_), or the next
// step's gradient would add to this one.
//
// Example: f(x) = sum((x - 3)^2), x0 = [0.], lr 0.25: x goes 0 -> 1.5 -> 2.25 -> 2.625 ...
//
// Hints: in-place updates of a leaf that requires grad are refused while recording is on, as in
// PyTorch (that is what TL_NO_GRAD is for). tl_detach(x) gives the result without its history.
tl_tensor *ex03_gd_minimize(ex03_fn f, void *ctx, const tl_tensor *x0, double lr, int steps) {
    // BEGIN SOLUTION
    if (!x0) return NULL;
    tl_tensor *x = tl_requires_grad_(tl_clone(tl_to_dtype(x0, TL_FLOAT64)), true);
    if (!x) return NULL;
    bool ok = true;
    for (int s = 0; ok && s < steps; s++) {
        TL_SCOPE {
            tl_tensor *loss = f(x, ctx);
            ok = loss && tl_backward(loss);
            if (ok) {
                TL_NO_GRAD { ok = tl_add_(x, tl_mul_scalar(x->grad, -lr)) != NULL; }
                tl_zero_grad_(x);
            }
        }
    }
    return ok ? tl_detach(x) : NULL;
    // END SOLUTION
    // STUB: TL_TODO("03.4");
    // STUB: return NULL;
}
