// exercises/01-tensors.c — exercises for chapter 01 (tensors): strides, broadcasting, indexing.
// BEGIN SOLUTION
//
// REFERENCE SOLUTIONS (the teacher's copy). tools/handout.sh strips everything between the
// BEGIN/END SOLUTION markers and turns the "STUB:" lines into code: that is exercises/01-tensors.c.
// END SOLUTION
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
    // BEGIN SOLUTION
    if (!t) return NULL;
    if (t->ndim != 2) {
        tl_error_set(TL_RUNTIME_ERROR, "trace: expected a matrix, but got tensor with dim %d", t->ndim);
        return NULL;
    }
    int64_t n = t->shape[0] < t->shape[1] ? t->shape[0] : t->shape[1];
    int64_t step = t->stride[0] + t->stride[1];
    const void *data = t->storage->data;
    double dsum = 0;
    int64_t isum = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t at = t->offset + i * step;
        switch (t->dtype) {
        case TL_FLOAT32: dsum += ((const float *)data)[at]; break;
        case TL_FLOAT64: dsum += ((const double *)data)[at]; break;
        case TL_INT64:   isum += ((const int64_t *)data)[at]; break;
        case TL_BOOL:    isum += ((const bool *)data)[at]; break;
        }
    }
    if (t->dtype == TL_FLOAT32) {
        float f = (float)dsum;
        return tl_from_data(&f, TL_SCALAR_SHAPE, TL_FLOAT32);
    }
    if (t->dtype == TL_FLOAT64) return tl_from_data(&dsum, TL_SCALAR_SHAPE, TL_FLOAT64);
    return tl_from_data(&isum, TL_SCALAR_SHAPE, TL_INT64);
    // END SOLUTION
    // STUB: TL_TODO("01.1");
    // STUB: return NULL;
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
    // BEGIN SOLUTION
    if (!labels) return NULL;
    if (labels->dtype != TL_INT64) {
        tl_error_set(TL_RUNTIME_ERROR, "one_hot is only applicable to index tensor.");
        return NULL;
    }
    tl_tensor *c = tl_contiguous(labels);
    if (!c) return NULL;
    const int64_t *lab = TL_DATA(c, int64_t);
    int64_t n = tl_numel(c), max = -1;
    for (int64_t k = 0; k < n; k++) {
        if (lab[k] < 0) {
            tl_error_set(TL_RUNTIME_ERROR, "Class values must be non-negative.");
            return NULL;
        }
        if (lab[k] > max) max = lab[k];
    }
    if (num_classes == -1) num_classes = max + 1;
    if (max >= num_classes) {
        tl_error_set(TL_RUNTIME_ERROR, "Class values must be smaller than num_classes.");
        return NULL;
    }
    tl_shape s = tl_shape_of(labels);
    s.d[s.ndim++] = num_classes;
    tl_tensor *out = tl_zeros(s, TL_INT64);
    if (!out) return NULL;
    for (int64_t k = 0; k < n; k++) TL_DATA(out, int64_t)[k * num_classes + lab[k]] = 1;
    return out;
    // END SOLUTION
    // STUB: TL_TODO("01.2");
    // STUB: return NULL;
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
    // BEGIN SOLUTION
    if (!a || !b) return NULL;
    if (a->ndim != 2 || b->ndim != 2) {
        tl_error_set(TL_RUNTIME_ERROR, "pairwise_sq_dist: expected 2-D inputs, got %d-D and %d-D", a->ndim, b->ndim);
        return NULL;
    }
    if (a->shape[1] != b->shape[1]) {
        tl_error_set(TL_RUNTIME_ERROR, "pairwise_sq_dist: a has %lld features per row, b has %lld",
                     (long long)a->shape[1], (long long)b->shape[1]);
        return NULL;
    }
    tl_tensor *diff = tl_sub(tl_unsqueeze(a, 1), tl_unsqueeze(b, 0));   // (n, m, d)
    return tl_sum_dim(tl_mul(diff, diff), 2, false);
    // END SOLUTION
    // STUB: TL_TODO("01.3");
    // STUB: return NULL;
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
    // BEGIN SOLUTION
    if (!t) return NULL;
    int nd = t->ndim ? t->ndim : 1;
    if (dim < -nd || dim >= nd) {
        tl_error_set(TL_INDEX_ERROR, "Dimension out of range (expected to be in range of [%d, %d], but got %d)", -nd,
                     nd - 1, dim);
        return NULL;
    }
    if (dim < 0) dim += nd;
    tl_dtype dt = tl_dtype_is_floating(t->dtype) ? t->dtype : TL_INT64;
    tl_tensor *out = tl_clone(tl_to_dtype(t, dt));
    if (!out || t->ndim == 0) return out;
    int64_t len = t->shape[dim], inner = 1, outer = 1;
    for (int d = dim + 1; d < t->ndim; d++) inner *= t->shape[d];
    for (int d = 0; d < dim; d++) outer *= t->shape[d];
#define CUMSUM(T)                                                                 \
    do {                                                                          \
        T *p = TL_DATA(out, T);                                                   \
        for (int64_t o = 0; o < outer; o++)                                       \
            for (int64_t k = 1; k < len; k++)                                     \
                for (int64_t i = 0; i < inner; i++)                               \
                    p[(o * len + k) * inner + i] += p[(o * len + k - 1) * inner + i]; \
    } while (0)
    if (dt == TL_FLOAT32) CUMSUM(float);
    else if (dt == TL_FLOAT64) CUMSUM(double);
    else CUMSUM(int64_t);
#undef CUMSUM
    return out;
    // END SOLUTION
    // STUB: TL_TODO("01.4");
    // STUB: return NULL;
}
