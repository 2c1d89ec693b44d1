// exercises/tests/grade_01.c — the graded tests of chapter 01's exercises (exercises/01-tensors.c).
// Inputs are random, from a seed derived from each exercise's id (see grade.h); the expected values
// are computed here element by element with tl_get, or with the library's own reductions.
#define _POSIX_C_SOURCE 200809L
#include "grade.h"

tl_tensor *ex01_trace(const tl_tensor *t);
tl_tensor *ex01_one_hot(const tl_tensor *labels, int64_t num_classes);
tl_tensor *ex01_pairwise_sq_dist(const tl_tensor *a, const tl_tensor *b);
tl_tensor *ex01_cumsum(const tl_tensor *t, int dim);


// ----------------------------------------------------------------------------
static tl_tensor *expected_trace(const tl_tensor *t) {
    int64_t n = t->shape[0] < t->shape[1] ? t->shape[0] : t->shape[1];
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += tl_get(t, TL_SHAPE(i, i));
    return tl_scalar(s, tl_dtype_is_floating(t->dtype) ? t->dtype : TL_INT64);
}

static void check_trace(const char *what, const tl_tensor *t) {
    char w[128];
    snprintf(w, sizeof w, "ex01_trace(%s of shape %s)", what, tl_shape_str(t));
    grade_tensor(w, ex01_trace(t), expected_trace(t), 1e-6);
}

static void test_trace(void) {
    tl_tensor *a = grade_uniform(grade_shape(2, 2, 9), -5, 5, TL_FLOAT64);
    check_trace("a float64 matrix", a);
    check_trace("a transposed float64 matrix", tl_T(a));
    tl_tensor *b = grade_uniform(grade_shape(2, 4, 12), -100, 100, TL_INT64);
    check_trace("an int64 matrix", b);
    check_trace("an int64 matrix sliced with step 2", tl_slice(tl_slice(b, 0, 1, TL_END, 2), 1, 0, TL_END, 2));
    check_trace("a float32 column slice", tl_slice(grade_uniform(TL_SHAPE(6, 8), -1, 1, TL_FLOAT32), 1, 3, 7, 1));
    check_trace("a bool matrix", tl_gt_scalar(grade_uniform(TL_SHAPE(5, 5), 0, 1, TL_FLOAT64), 0.5));
    grade_fails("ex01_trace(a 3-D tensor)", ex01_trace(tl_zeros(TL_SHAPE(2, 2, 2), TL_FLOAT32)) == NULL);
    grade_true(ex01_trace(NULL) == NULL, "ex01_trace(NULL) should return NULL");
}

// ----------------------------------------------------------------------------
static tl_tensor *expected_one_hot(const tl_tensor *labels, int64_t c) {
    tl_shape s = tl_shape_of(labels);
    s.d[s.ndim++] = c;
    tl_tensor *out = tl_zeros(s, TL_INT64);
    tl_tensor *flat = tl_reshape(out, TL_SHAPE(-1, c));
    tl_tensor *lab = tl_reshape(labels, TL_SHAPE(-1));
    for (int64_t k = 0; k < tl_numel(lab); k++) tl_set(flat, TL_SHAPE(k, (int64_t)tl_get(lab, TL_SHAPE(k))), 1);
    return out;
}

static void test_one_hot(void) {
    char w[128];
    int64_t c = grade_int(3, 9);
    tl_tensor *l1 = grade_uniform(TL_SHAPE(grade_int(4, 12)), 0, (double)c, TL_INT64);
    snprintf(w, sizeof w, "ex01_one_hot(labels of shape %s, %lld)", tl_shape_str(l1), (long long)c);
    grade_tensor(w, ex01_one_hot(l1, c), expected_one_hot(l1, c), 0);
    tl_tensor *l2 = tl_T(grade_uniform(TL_SHAPE(3, grade_int(2, 5)), 0, (double)c, TL_INT64));
    snprintf(w, sizeof w, "ex01_one_hot(transposed labels of shape %s, %lld)", tl_shape_str(l2), (long long)c);
    grade_tensor(w, ex01_one_hot(l2, c), expected_one_hot(l2, c), 0);
    int64_t max = (int64_t)tl_item(tl_max(l1));
    grade_tensor("ex01_one_hot(labels, -1)", ex01_one_hot(l1, -1), expected_one_hot(l1, max + 1), 0);
    grade_fails("ex01_one_hot(float labels, 3)", ex01_one_hot(tl_zeros(TL_SHAPE(3), TL_FLOAT32), 3) == NULL);
    grade_fails("ex01_one_hot(labels with a -1, 3)", ex01_one_hot(tl_tensor_parse("[0, -1]"), 3) == NULL);
    snprintf(w, sizeof w, "ex01_one_hot(labels up to %lld, %lld)", (long long)max, (long long)max);
    grade_fails(w, ex01_one_hot(l1, max) == NULL);
}

// ----------------------------------------------------------------------------
static tl_tensor *expected_sq_dist(const tl_tensor *a, const tl_tensor *b) {
    int64_t n = a->shape[0], m = b->shape[0], d = a->shape[1];
    tl_tensor *out = tl_zeros(TL_SHAPE(n, m), a->dtype);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < m; j++) {
            double s = 0;
            for (int64_t k = 0; k < d; k++) {
                double diff = tl_get(a, TL_SHAPE(i, k)) - tl_get(b, TL_SHAPE(j, k));
                s += diff * diff;
            }
            tl_set(out, TL_SHAPE(i, j), s);
        }
    return out;
}

static void test_pairwise_sq_dist(void) {
    int64_t d = grade_int(2, 6);
    tl_tensor *a = grade_uniform(TL_SHAPE(grade_int(2, 7), d), -3, 3, TL_FLOAT64);
    tl_tensor *b = grade_uniform(TL_SHAPE(grade_int(2, 7), d), -3, 3, TL_FLOAT64);
    grade_tensor("ex01_pairwise_sq_dist(a, b), float64", ex01_pairwise_sq_dist(a, b), expected_sq_dist(a, b), 1e-12);
    grade_tensor("ex01_pairwise_sq_dist(a, a), float64", ex01_pairwise_sq_dist(a, a), expected_sq_dist(a, a), 1e-12);
    tl_tensor *a32 = tl_T(grade_uniform(TL_SHAPE(d, grade_int(2, 7)), -3, 3, TL_FLOAT32));
    tl_tensor *b32 = grade_uniform(TL_SHAPE(grade_int(2, 7), d), -3, 3, TL_FLOAT32);
    grade_tensor("ex01_pairwise_sq_dist(a transposed, b), float32", ex01_pairwise_sq_dist(a32, b32),
                 expected_sq_dist(a32, b32), 1e-5);
    grade_fails("ex01_pairwise_sq_dist((n, 3), (m, 4))",
                ex01_pairwise_sq_dist(tl_zeros(TL_SHAPE(2, 3), TL_FLOAT32), tl_zeros(TL_SHAPE(2, 4), TL_FLOAT32)) == NULL);
    grade_fails("ex01_pairwise_sq_dist(3-D, 2-D)",
                ex01_pairwise_sq_dist(tl_zeros(TL_SHAPE(2, 3, 1), TL_FLOAT32), tl_zeros(TL_SHAPE(2, 3), TL_FLOAT32)) == NULL);
}

// ----------------------------------------------------------------------------
// cumsum(t, dim) selected at position k along dim is t summed over positions 0..k along dim
static void check_cumsum(const char *what, const tl_tensor *t, int dim) {
    char w[160];
    snprintf(w, sizeof w, "ex01_cumsum(%s of shape %s, dim=%d)", what, tl_shape_str(t), dim);
    tl_tensor *got = ex01_cumsum(t, dim);
    grade_ok(w, got != NULL);
    int d = dim < 0 ? dim + t->ndim : dim;
    tl_dtype want_dtype = tl_dtype_is_floating(t->dtype) ? t->dtype : TL_INT64;
    grade_true(got->dtype == want_dtype, "%s: dtype: expected %s, got %s", w, tl_dtype_name(want_dtype),
               tl_dtype_name(got->dtype));
    grade_true(tl_is_contiguous(got), "%s: the result should be a new contiguous tensor", w);
    bool same = got->ndim == t->ndim;
    for (int i = 0; same && i < t->ndim; i++) same = got->shape[i] == t->shape[i];
    grade_true(same, "%s: shape: expected %s, got %s", w, tl_shape_str(t), tl_shape_str(got));
    for (int64_t k = 0; k < t->shape[d]; k++) {
        char wk[256];
        snprintf(wk, sizeof wk, "%s at index %lld along dim %d", w, (long long)k, d);
        tl_tensor *want = tl_sum_dim(tl_slice(t, d, 0, k + 1, 1), d, false);
        grade_tensor(wk, tl_select(got, d, k), tl_to_dtype(want, want_dtype), 1e-5);
    }
}

static void test_cumsum(void) {
    tl_tensor *a = grade_uniform(grade_shape(2, 2, 6), -10, 10, TL_INT64);
    check_cumsum("an int64 matrix", a, 1);
    check_cumsum("an int64 matrix", a, 0);
    tl_tensor *b = grade_uniform(grade_shape(3, 2, 5), -1, 1, TL_FLOAT64);
    check_cumsum("a float64 3-D tensor", b, (int)grade_int(0, 3));
    check_cumsum("a float64 3-D tensor", b, -1);
    check_cumsum("a permuted float64 3-D tensor", tl_permute(b, TL_DIMS(2, 0, 1)), (int)grade_int(0, 3));
    check_cumsum("a sliced float32 matrix", tl_slice(grade_uniform(TL_SHAPE(7, 6), -1, 1, TL_FLOAT32), 0, 1, TL_END, 2), 0);
    check_cumsum("a bool vector", tl_gt_scalar(grade_uniform(TL_SHAPE(grade_int(5, 12)), 0, 1, TL_FLOAT64), 0.5), 0);
    grade_fails("ex01_cumsum(a 2-D tensor, dim=2)", ex01_cumsum(a, 2) == NULL);
    grade_fails("ex01_cumsum(a 2-D tensor, dim=-3)", ex01_cumsum(a, -3) == NULL);
}

static const grade_exercise exercises[] = {
    { "01.1", 2, "the trace of a matrix, through its strides", test_trace },
    { "01.2", 2, "one-hot encoding (F.one_hot)", test_one_hot },
    { "01.3", 3, "pairwise squared distances by broadcasting", test_pairwise_sq_dist },
    { "01.4", 4, "cumulative sum along any dim of any view", test_cumsum },
};
GRADE_MAIN(exercises)
