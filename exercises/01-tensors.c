// exercises/01-tensors.c — exercises for chapter 01 (tensors): strides, broadcasting, indexing.
//
// Each exercise is a function: read its comment, replace the TL_TODO stub with your code, and
// grade it with ./build.sh grade 01 (the chapter) or ./build.sh grade 01.2 (one exercise).
// Inputs may be any view: transposed, sliced with a step, permuted. Read them through their
// strides (chapter 01, "Storage, shape and strides") or through the library's ops, never as if
// they were contiguous. A function that cannot do its job records a message worded like
// PyTorch's with tl_error_set and returns NULL; a NULL argument returns NULL at once.
#include <stdint.h>
#include <string.h>

#include "exercise.h"

// ----------------------------------------------------------------------------
// Exercise 01.1 (easy, 2 points): the trace of a matrix, torch.trace, read through strides.
//
// Task: return the sum of the main diagonal of a 2-D tensor t (of any shape m x n: the diagonal
// has min(m, n) elements) as a 0-d tensor. The dtype follows PyTorch: a float32 or float64 input
// keeps its dtype, an int64 input gives int64; a bool matrix (which PyTorch refuses) counts its
// True values, as int64. A tensor that is not 2-D records "trace: expected a matrix, but got
// tensor with dim 3" (its dim) and returns NULL.
//
// Approach: element (i, i) lives at storage index offset + i * (stride[0] + stride[1]), so the
// diagonal is one strided walk through t->storage->data. Sum in double (or int64_t for integers),
// then make the 0-d result with tl_from_data(&sum, TL_SCALAR_SHAPE, dtype).
//
// Example: trace of tensor([[1, 2, 3], [4, 5, 6]]) is tensor(6); trace of its .T is also 6.
//
// Hints: TL_DATA(t, double) points at t's first element (it adds the offset), so the diagonal is
// TL_DATA(t, double)[i * step] for a float64 t. Try a transposed input (tl_T) and a sliced one
// (tl_slice with step 2): their strides are not (n, 1).
tl_tensor *ex01_trace(const tl_tensor *t) {
    TL_TODO("01.1");
    return NULL;
}

// ----------------------------------------------------------------------------
// Exercise 01.2 (easy, 2 points): one-hot encoding, F.one_hot.
//
// Task: labels is an int64 tensor of any shape holding class indices; return an int64 tensor of
// shape labels.shape + (num_classes,) that is 1 at [..., labels[...]] and 0 elsewhere. With
// num_classes == -1 the number of classes is labels.max() + 1. Errors, in PyTorch's words:
//   labels not int64:                 "one_hot is only applicable to index tensor."
//   a label < 0:                      "Class values must be non-negative."
//   a label >= num_classes:           "Class values must be smaller than num_classes."
//
// Approach: make zeros of the new shape (contiguous), then walk the labels in row-major order:
// the k-th label's row starts at k * num_classes.
//
// Example: ex01_one_hot(tensor([0, 2, 1]), 3) is tensor([[1, 0, 0], [0, 0, 1], [0, 1, 0]]).
//
// Hints: tl_contiguous(labels) gives a tensor you can read with TL_DATA(c, int64_t)[k];
// tl_shape_of(labels) gives you the shape to extend by one dimension.
tl_tensor *ex01_one_hot(const tl_tensor *labels, int64_t num_classes) {
    TL_TODO("01.2");
    return NULL;
}

// ----------------------------------------------------------------------------
// Exercise 01.3 (medium, 3 points): all pairwise squared distances, by broadcasting.
//
// Task: a is (n, d) and b is (m, d), both float32 or both float64. Return the (n, m) tensor whose
// element [i, j] is the squared Euclidean distance sum_k (a[i, k] - b[j, k])^2, of their dtype.
// Errors: an input that is not 2-D records "pairwise_sq_dist: expected 2-D inputs, got 3-D and
// 2-D" (their dims); different d records "pairwise_sq_dist: a has 3 features per row, b has 4".
//
// Approach: no loops over elements. Give a the shape (n, 1, d) and b the shape (1, m, d) with
// tl_unsqueeze; their difference broadcasts to (n, m, d); square it and sum over the last dim.
//
// Example: a = [[0., 0.], [1., 1.]], b = [[1., 0.]]  ->  [[1.], [1.]]
//
// Hints: tl_sub, tl_mul, tl_sum_dim(x, 2, false). (Machine learning code often uses the
// expansion |a|^2 - 2 a.b + |b|^2 instead, one matmul; it can come out slightly negative.)
tl_tensor *ex01_pairwise_sq_dist(const tl_tensor *a, const tl_tensor *b) {
    TL_TODO("01.3");
    return NULL;
}

// ----------------------------------------------------------------------------
// Exercise 01.4 (hard, 4 points): the cumulative sum along a dimension, torch.cumsum.
//
// Task: return a new contiguous tensor of t's shape whose element at position p along dim is the
// sum of t's elements at positions 0..p along dim (the other indices fixed). dim may be negative
// (-1 is the last). float32/float64 keep their dtype; int64 and bool give int64. A dim out of range
// records PyTorch's "Dimension out of range (expected to be in range of [-3, 2], but got 3)".
// t may be any view (permuted, sliced).
//
// Approach: copy t into a fresh contiguous tensor of the result dtype (tl_to_dtype, tl_clone), then
// compute the prefix sums in place. In a contiguous tensor, the elements along dim are `inner`
// apart, inner = the product of the sizes after dim; there are `outer` = (product of the sizes
// before dim) independent runs of `inner` columns each.
//
// Example: cumsum of [[1, 2, 3], [4, 5, 6]] along dim 1 is [[1, 3, 6], [4, 9, 15]], along dim 0
// [[1, 2, 3], [5, 7, 9]].
//
// Hints: write the loop once for one element type, then for the others (a macro or a switch);
// a 0-d tensor has one valid dim value range [-1, 0] and is its own cumsum.
tl_tensor *ex01_cumsum(const tl_tensor *t, int dim) {
    TL_TODO("01.4");
    return NULL;
}
