/* generated from chapters/01-tensors/01-tensors.md by tools/tangle.lua; edit the chapter, not this file */
#line 2514 "chapters/01-tensors/01-tensors.md"
// ops.h — arithmetic on tensors: type promotion, element-wise operations with
// broadcasting, comparisons, selection, reductions and matrix products.
//
// Every function returns a NEW tensor owned by the current pool (see tensor.h), or NULL
// after recording an error worded as PyTorch's. A NULL argument means "an earlier call
// failed": the function returns NULL at once and leaves the recorded error alone.
//
//     TL_SCOPE {
//         tl_tensor *x = tl_tensor_parse("[[1], [2], [3]]");           // shape (3, 1)
//         tl_print(tl_add(x, tl_tensor_parse("[10, 20, 30]")));       // shape (3, 3)
//     }
#ifndef TL_OPS_H
#define TL_OPS_H
#include "tensor.h"

#line 3416 "chapters/01-tensors/01-tensors.md"
// ---------------------------------------------------------------------------
// Type promotion = torch.result_type. Categories: bool < integer < floating. Operands
// come in three priority classes: tensors with dimensions > 0-d tensors > Python
// numbers (tl_number / tl_int: 0-d tensors flagged wrapped_number). A lower class can
// raise the CATEGORY of the result but not its size; a Python float counts as the
// default dtype float32. Examples:
//   int64 tensor + 2.5 -> float32        float32 tensor + float64 0-d tensor -> float32
//   int64 tensor + 2   -> int64          int64 tensor + float64 0-d tensor   -> float64
tl_dtype   tl_result_type(const tl_tensor *a, const tl_tensor *b);
tl_tensor *tl_number(double value);   // a Python float: 0-d float64, wrapped_number
tl_tensor *tl_int(int64_t value);     // a Python int:   0-d int64,   wrapped_number
#line 2530 "chapters/01-tensors/01-tensors.md"

#line 2461 "chapters/01-tensors/01-tensors.md"
// ---------------------------------------------------------------------------
// Element-wise arithmetic. The operands broadcast against each other (see below);
// the result dtype is torch.result_type of the operands. Shapes that cannot be
// broadcast give PyTorch's message:
//   "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1"
tl_tensor *tl_add(const tl_tensor *a, const tl_tensor *b);       // a + b
tl_tensor *tl_sub(const tl_tensor *a, const tl_tensor *b);       // a - b (refused for bool)
tl_tensor *tl_mul(const tl_tensor *a, const tl_tensor *b);       // a * b
tl_tensor *tl_div(const tl_tensor *a, const tl_tensor *b);       // a / b, true division: ints -> float32
tl_tensor *tl_pow(const tl_tensor *a, const tl_tensor *b);       // a ** b
tl_tensor *tl_maximum(const tl_tensor *a, const tl_tensor *b);   // element-wise max; NaN wins
tl_tensor *tl_minimum(const tl_tensor *a, const tl_tensor *b);   // element-wise min; NaN wins

// The same with a Python number on the right: x * 2, x / 2.5. C passes every number as
// a double, so Torchlet decides what Python would have seen: a Python int when s is
// integral and t is not floating, else a Python float. So an int64 tensor * 2 stays
// int64 and an int64 tensor * 2.5 becomes float32, as in PyTorch.
tl_tensor *tl_add_scalar(const tl_tensor *t, double s);
tl_tensor *tl_sub_scalar(const tl_tensor *t, double s);
tl_tensor *tl_mul_scalar(const tl_tensor *t, double s);
tl_tensor *tl_div_scalar(const tl_tensor *t, double s);
tl_tensor *tl_pow_scalar(const tl_tensor *t, double s);          // int tensor ** negative int: error

// One input. neg/abs/relu keep the dtype (bool is refused, with PyTorch's messages);
// exp/log/sqrt/sigmoid/tanh compute in floating point: int64 and bool give float32.
tl_tensor *tl_neg(const tl_tensor *t);
tl_tensor *tl_abs(const tl_tensor *t);
tl_tensor *tl_exp(const tl_tensor *t);
tl_tensor *tl_log(const tl_tensor *t);
tl_tensor *tl_sqrt(const tl_tensor *t);
tl_tensor *tl_sigmoid(const tl_tensor *t);                       // 1 / (1 + exp(-x))
tl_tensor *tl_tanh(const tl_tensor *t);
tl_tensor *tl_relu(const tl_tensor *t);                          // max(x, 0)

// Comparisons: the operands are promoted to a common dtype, compared, and the result
// is a bool tensor of the broadcast shape (x > 10 is tl_gt_scalar(x, 10)).
tl_tensor *tl_eq(const tl_tensor *a, const tl_tensor *b);        // ==
tl_tensor *tl_ne(const tl_tensor *a, const tl_tensor *b);        // !=
tl_tensor *tl_lt(const tl_tensor *a, const tl_tensor *b);        // <
tl_tensor *tl_le(const tl_tensor *a, const tl_tensor *b);        // <=
tl_tensor *tl_gt(const tl_tensor *a, const tl_tensor *b);        // >
tl_tensor *tl_ge(const tl_tensor *a, const tl_tensor *b);        // >=
tl_tensor *tl_eq_scalar(const tl_tensor *t, double s);
tl_tensor *tl_ne_scalar(const tl_tensor *t, double s);
tl_tensor *tl_lt_scalar(const tl_tensor *t, double s);
tl_tensor *tl_le_scalar(const tl_tensor *t, double s);
tl_tensor *tl_gt_scalar(const tl_tensor *t, double s);
tl_tensor *tl_ge_scalar(const tl_tensor *t, double s);
#line 2532 "chapters/01-tensors/01-tensors.md"

#line 3539 "chapters/01-tensors/01-tensors.md"
// ---------------------------------------------------------------------------
// Selection and joining
tl_tensor *tl_where(const tl_tensor *cond, const tl_tensor *a, const tl_tensor *b);  // cond ? a : b
tl_tensor *tl_masked_select(const tl_tensor *t, const tl_tensor *mask);   // x[x > 10]: 1-D result
tl_tensor *tl_index_select(const tl_tensor *t, int dim, const tl_tensor *index);     // x[[0, 2, 3]]
// join along an existing dim (cat) or a new one (stack); dtypes promote
tl_tensor *tl_cat(tl_tensor *const *ts, int n, int dim);
tl_tensor *tl_stack(tl_tensor *const *ts, int n, int dim);
// a list argument written in place:  tl_cat(TL_LIST(a, b), 0)
#define TL_LIST(...) ((tl_tensor *const[]){ __VA_ARGS__ }), \
                     (int)(sizeof((tl_tensor *const[]){ __VA_ARGS__ }) / sizeof(tl_tensor *))
#line 2534 "chapters/01-tensors/01-tensors.md"

#line 3873 "chapters/01-tensors/01-tensors.md"
// ---------------------------------------------------------------------------
// Reductions: over the whole tensor (-> 0-d) or along dim (removed, or kept as size 1
// with keepdim). sum of bool/int64 -> int64; mean/std need floating point; std is
// unbiased (divides by n - 1). Float sums accumulate in double.
tl_tensor *tl_sum(const tl_tensor *t);
tl_tensor *tl_sum_dim(const tl_tensor *t, int dim, bool keepdim);
tl_tensor *tl_mean(const tl_tensor *t);
tl_tensor *tl_mean_dim(const tl_tensor *t, int dim, bool keepdim);
tl_tensor *tl_std(const tl_tensor *t);
tl_tensor *tl_std_dim(const tl_tensor *t, int dim, bool keepdim);
tl_tensor *tl_max(const tl_tensor *t);
tl_tensor *tl_min(const tl_tensor *t);
// torch.max(x, dim): the values, and (when indices is not NULL) where they are, as int64
tl_tensor *tl_max_dim(const tl_tensor *t, int dim, bool keepdim, tl_tensor **indices);
tl_tensor *tl_min_dim(const tl_tensor *t, int dim, bool keepdim, tl_tensor **indices);
tl_tensor *tl_argmax(const tl_tensor *t);                            // index into the flattened tensor
tl_tensor *tl_argmax_dim(const tl_tensor *t, int dim, bool keepdim);
#line 2536 "chapters/01-tensors/01-tensors.md"

#line 4518 "chapters/01-tensors/01-tensors.md"
// ---------------------------------------------------------------------------
// Matrix products: float32/float64 through OpenBLAS (sgemm/dgemm), int64 exactly, bool
// refused. The operands must have the same dtype (no promotion, as in PyTorch).
// tl_matmul is torch.matmul (the @ operator):
//   1-D @ 1-D -> dot product (0-d)          2-D @ 2-D -> matrix product
//   2-D @ 1-D -> matrix-vector              1-D @ 2-D -> vector-matrix
//   N-D @ 1-D/2-D -> batch folded into rows  N-D @ N-D -> batched, batch dims broadcast
tl_tensor *tl_matmul(const tl_tensor *a, const tl_tensor *b);
tl_tensor *tl_mm(const tl_tensor *a, const tl_tensor *b);    // 2-D only
tl_tensor *tl_bmm(const tl_tensor *a, const tl_tensor *b);   // (B, m, k) @ (B, k, n), 3-D only
// bias + mat1 @ mat2 in one BLAS call: mat1 (m, k), mat2 (k, n), bias broadcast to (m, n).
// What a Linear layer computes (chapter 04); PyTorch's torch.addmm.
tl_tensor *tl_addmm(const tl_tensor *bias, const tl_tensor *mat1, const tl_tensor *mat2);
#line 2538 "chapters/01-tensors/01-tensors.md"

#line 583 "chapters/03-autograd/03-autograd.md"
// ---------------------------------------------------------------------------
// In place (chapter 03). dst keeps its shape and dtype; src broadcasts to dst's shape.
// Return dst itself (no new reference), or NULL after an error. While grad mode is on,
// a dst that requires grad is refused ("a leaf Variable that requires grad is being used
// in an in-place operation."): these writes are not recorded.
tl_tensor *tl_copy_(tl_tensor *dst, const tl_tensor *src);   // dst[...] = src
tl_tensor *tl_add_(tl_tensor *dst, const tl_tensor *src);    // dst += src
// t summed over the dims along which shape would have to be broadcast to t's shape: the
// reverse of tl_expand, t.sum_to_size(shape). Recorded (its rule is an expand).
tl_tensor *tl_sum_to_size(const tl_tensor *t, tl_shape shape);
#line 2540 "chapters/01-tensors/01-tensors.md"

#line 1722 "chapters/04-mlp/04-mlp.md"
// ---------------------------------------------------------------------------
// F.linear (chapter 04): x @ weight^T + bias (bias may be NULL). grad_fn: AddmmBackward0 for a
// 2-D x with a bias, as in PyTorch; on the CPU one node whose inputs are bias, x, weight.
tl_tensor *tl_linear(const tl_tensor *x, const tl_tensor *weight, const tl_tensor *bias);
#line 2542 "chapters/01-tensors/01-tensors.md"
#endif
