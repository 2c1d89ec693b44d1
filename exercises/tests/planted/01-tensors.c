// exercises/tests/planted/01-tensors.c — a planted hand-in for chapter 01, to prove the grader
// (tests/test_grader.c grades it with --dir exercises/tests/planted). Each exercise fails in its
// own way, or passes by another road than the reference solution:
//   01.1 wrong:      reads the diagonal as if the matrix were contiguous (ignores the strides)
//   01.2 crashes:    dereferences a NULL pointer (SIGSEGV)
//   01.3 never ends: an endless loop (the grader's time limit stops it)
//   01.4 right:      cumsum from the library's slices, sums and stack (not the reference's loop)
#include <stdlib.h>

#include "exercise.h"

tl_tensor *ex01_trace(const tl_tensor *t) {
    if (!t) return NULL;
    int64_t n = t->shape[0] < t->shape[1] ? t->shape[0] : t->shape[1];
    double s = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t at = t->offset + i * (t->shape[1] + 1);     // wrong: true only for a contiguous matrix
        s += t->dtype == TL_FLOAT64 ? ((double *)t->storage->data)[at] : (double)((int64_t *)t->storage->data)[at];
    }
    return tl_scalar(s, tl_dtype_is_floating(t->dtype) ? t->dtype : TL_INT64);
}

tl_tensor *ex01_one_hot(const tl_tensor *labels, int64_t num_classes) {
    const tl_tensor *nothing = NULL;
    return tl_zeros(TL_SHAPE(nothing->shape[0], num_classes), TL_INT64);   // NULL dereference
}

tl_tensor *ex01_pairwise_sq_dist(const tl_tensor *a, const tl_tensor *b) {
    volatile int64_t spins = 0;
    for (;;) spins++;                                                        // never returns
    return NULL;
}

tl_tensor *ex01_cumsum(const tl_tensor *t, int dim) {
    if (!t) return NULL;
    int nd = t->ndim ? t->ndim : 1;
    if (dim < -nd || dim >= nd) {
        tl_error_set(TL_INDEX_ERROR, "Dimension out of range (expected to be in range of [%d, %d], but got %d)", -nd,
                     nd - 1, dim);
        return NULL;
    }
    if (dim < 0) dim += nd;
    tl_dtype dt = tl_dtype_is_floating(t->dtype) ? t->dtype : TL_INT64;
    if (t->ndim == 0) return tl_clone(tl_to_dtype(t, dt));
    int64_t len = t->shape[dim];
    tl_tensor **parts = malloc((size_t)len * sizeof *parts);
    if (!parts) return NULL;
    for (int64_t k = 0; k < len; k++) parts[k] = tl_to_dtype(tl_sum_dim(tl_slice(t, dim, 0, k + 1, 1), dim, false), dt);
    tl_tensor *out = tl_stack(parts, (int)len, dim);
    free(parts);
    return out;
}
