/* generated from chapters/06-training/06-training.md by tools/tangle.lua; edit the chapter, not this file */
#line 172 "chapters/06-training/06-training.md"
// loss.c — cross_entropy and nll_loss (chapter 06).
#include "loss.h"
#include "autograd.h"
#include "device.h"   // chapter 08: nll_loss on a GPU
#include "functional.h"
#include "print.h"

#include <math.h>
#include <string.h>

#line 58 "chapters/06-training/06-training.md"
static bool check_nll(const tl_tensor *input, const tl_tensor *target) {
    if (input->ndim != 2) {
        tl_error_set(TL_RUNTIME_ERROR, "Torchlet's nll_loss takes input of shape (N, C), got %s", tl_shape_str(input));
        return false;
    }
    if (!tl_dtype_is_floating(input->dtype)) {
        tl_error_set(TL_RUNTIME_ERROR, "\"nll_loss\" not implemented for '%s'", input->dtype == TL_INT64 ? "Long" : "Bool");
        return false;
    }
    if (target->dtype != TL_INT64) {
        tl_error_set(TL_RUNTIME_ERROR, "expected scalar type Long but found %s",
                     target->dtype == TL_FLOAT32 ? "Float" : target->dtype == TL_FLOAT64 ? "Double" : "Bool");
        return false;
    }
    if (target->ndim != 1) {
        tl_error_set(TL_RUNTIME_ERROR, "1D target tensor expected, multi-target not supported");
        return false;
    }
    if (target->shape[0] != input->shape[0]) {
        tl_error_set(TL_VALUE_ERROR, "Expected input batch_size (%lld) to match target batch_size (%lld).",
                     (long long)input->shape[0], (long long)target->shape[0]);
        return false;
    }
    return true;
}
#line 183 "chapters/06-training/06-training.md"
#line 90 "chapters/06-training/06-training.md"
#define NLL_KERNELS(T)                                                                        \
/* -mean_i x[i, t_i]; false (and an error) when a target is out of range */                   \
static bool nll_forward_##T(const T *x, const int64_t *t, int64_t n, int64_t c, T *out) {     \
    double sum = 0;                                                                           \
    for (int64_t i = 0; i < n; i++) {                                                         \
        if (t[i] < 0 || t[i] >= c) {                                                          \
            tl_error_set(TL_INDEX_ERROR, "Target %lld is out of bounds.", (long long)t[i]);   \
            return false;                                                                     \
        }                                                                                     \
        sum += (double)x[i * c + t[i]];                                                       \
    }                                                                                         \
    *out = (T)(n > 0 ? -sum / (double)n : NAN);                                               \
    return true;                                                                              \
}                                                                                             \
/* dx[i, t_i] = -g / n, zero elsewhere */                                                     \
static void nll_backward_##T(const int64_t *t, int64_t n, int64_t c, double g, T *dx) {       \
    memset(dx, 0, (size_t)(n * c) * sizeof(T));                                              \
    for (int64_t i = 0; i < n; i++) dx[i * c + t[i]] = (T)(-g / (double)n);                   \
}
NLL_KERNELS(float)
NLL_KERNELS(double)
#line 184 "chapters/06-training/06-training.md"
#line 117 "chapters/06-training/06-training.md"
static void nll_backward(tl_node *node, const tl_tensor *grad_output, tl_tensor **grad_inputs) {
    const tl_tensor *target = node->saved[0];
    int64_t n = node->ints[0], c = node->ints[1];
    grad_inputs[0] = grad_inputs[1] = NULL;
    if (!node->needs_grad[0]) return;
    if (tl_is_cuda(target)) {                                                    // chapter 08
        tl_tensor *dx = tl_empty_on(TL_SHAPE(n, c), node->input_dtype[0], target->storage->device);
        const tl_tensor *g = tl_to_dtype(grad_output, node->input_dtype[0]);
        if (dx && g && tl_cuda_nll_backward(target->storage->device.index, dx->dtype, tl_data_ptr(target), n, c,
                                            tl_data_ptr(g), tl_data_ptr(dx)))
            grad_inputs[0] = dx;
        return;
    }
    double g = tl_item(grad_output);              // d(loss)/d(this loss): 1 for loss.backward()
    tl_tensor *dx = tl_empty(TL_SHAPE(n, c), node->input_dtype[0]);
    if (!dx) return;
    if (dx->dtype == TL_FLOAT32) nll_backward_float(TL_DATA(target, int64_t), n, c, g, TL_DATA(dx, float));
    else nll_backward_double(TL_DATA(target, int64_t), n, c, g, TL_DATA(dx, double));
    grad_inputs[0] = dx;
}

tl_tensor *tl_nll_loss(const tl_tensor *input, const tl_tensor *target) {
    if (!input || !target || !check_nll(input, target)) return NULL;
    int64_t n = input->shape[0], c = input->shape[1];
    tl_device dev;
    if (!tl_common_device((const tl_tensor *[]){ input, target }, 2, &dev)) return NULL;   // chapter 08
    tl_tensor *loss = tl_empty_on(TL_SCALAR_SHAPE, input->dtype, dev);
    tl_tensor *t = tl_contiguous(target);
    bool ok = false;
    TL_SCOPE {
        const tl_tensor *x = tl_contiguous(input);
        if (loss && t && x && dev.type == TL_CUDA)                              // chapter 08
            ok = tl_cuda_nll_forward(dev.index, input->dtype, tl_data_ptr(x), tl_data_ptr(t), n, c, tl_data_ptr(loss));
        else if (loss && t && x)
            ok = input->dtype == TL_FLOAT32
                     ? nll_forward_float(TL_DATA(x, float), TL_DATA(t, int64_t), n, c, TL_DATA(loss, float))
                     : nll_forward_double(TL_DATA(x, double), TL_DATA(t, int64_t), n, c, TL_DATA(loss, double));
    }
    if (!ok) return NULL;
    tl_node *node = tl_record("NllLossBackward0", nll_backward, loss, (const tl_tensor *[]){ input, target }, 2);
    if (node) {
        tl_node_save(node, t);
        node->ints[0] = n;
        node->ints[1] = c;
    }
    return loss;
}

tl_tensor *tl_cross_entropy(const tl_tensor *input, const tl_tensor *target) {
    if (!input || !target || !check_nll(input, target)) return NULL;
    return tl_nll_loss(tl_log_softmax(input, 1), target);
}
