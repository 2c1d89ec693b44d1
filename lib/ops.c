/* generated from chapters/01-tensors/01-tensors.md by tools/tangle.lua; edit the chapter, not this file */
#line 2549 "chapters/01-tensors/01-tensors.md"
// ops.c — arithmetic on tensors: type promotion, broadcasting element-wise ops,
// comparisons, selection (where, masked_select, index_select, cat, stack),
// reductions (sum, mean, std, max, min, argmax) and matrix products (matmul, mm, bmm, addmm);
// at the end, chapter 03's in-place ops and the local gradient rules of all of them.
//
// Every operation follows one recipe:
//   1. check the arguments and word every error exactly as PyTorch does;
//   2. decide the result dtype (type promotion) and the result shape (broadcasting);
//   3. allocate the result with tl_empty (owned by the caller's pool);
//   4. convert inputs of another dtype into malloc'ed scratch of the computation dtype;
//   5. walk all operands with one strided N-d iterator that hands each inner-most row
//      to a typed kernel (chosen once, by dtype, before the walk starts).
// Scratch memory is malloc/free, so no temporary tensor ever reaches a pool.
#include "ops.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#line 2739 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// Helpers: PyTorch's names in error messages, dims, data pointers

// c10::ScalarType names: "... Got: Long", "not implemented for 'Bool'"
static const char *scalar_type_name(tl_dtype d) {
    switch (d) {
    case TL_BOOL: return "Bool";
    case TL_INT64: return "Long";
    case TL_FLOAT32: return "Float";
    case TL_FLOAT64: return "Double";
    }
    return "Undefined";
}

// caffe2::TypeMeta names (what `tensor.dtype()` prints inside C++): "long int != float"
static const char *type_meta_name(tl_dtype d) {
    switch (d) {
    case TL_BOOL: return "bool";
    case TL_INT64: return "long int";
    case TL_FLOAT32: return "float";
    case TL_FLOAT64: return "double";
    }
    return "undefined";
}

// "[2, 3]" for an error message (buf must hold 24 chars per dim)
static const char *shape_str(char *buf, size_t cap, int ndim, const int64_t *shape) {
    size_t len = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < ndim && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (len < cap) snprintf(buf + len, cap - len, "]");
    return buf;
}

// wrap a possibly negative dim into [0, ndim); a 0-d tensor accepts -1 and 0
static bool wrap_dim(int *dim, int ndim) {
    int n = ndim > 0 ? ndim : 1;
    if (*dim < -n || *dim >= n) {
        tl_error_set(TL_INDEX_ERROR, "Dimension out of range (expected to be in range of [%d, %d], but got %d)",
                     -n, n - 1, *dim);
        return false;
    }
    if (*dim < 0) *dim += n;
    return true;
}

// the address of element (0, 0, ...) of t, as bytes (the loops here step through memory by byte)
static char *tensor_data(const tl_tensor *t) { return tl_data_ptr(t); }
#line 2572 "chapters/01-tensors/01-tensors.md"
#line 3433 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// Type promotion (torch.result_type)

// Our four dtypes are totally ordered: bool < int64 < float32 < float64, so promoting
// two dtypes is taking the larger one (PyTorch's promoteTypes table restricted to them).
static tl_dtype promote(tl_dtype a, tl_dtype b) { return a > b ? a : b; }

#define TL_UNDEF ((tl_dtype)-1)   // "no operand of this class seen yet"
typedef struct {
    tl_dtype dim_result;      // tensors with at least one dimension
    tl_dtype zero_result;     // 0-d tensors
    tl_dtype wrapped_result;  // Python numbers (tl_number, tl_int)
} result_type_state;

static tl_dtype promote_undef(tl_dtype a, tl_dtype b) {
    if (a == TL_UNDEF) return b;
    if (b == TL_UNDEF) return a;
    return promote(a, b);
}

static void result_type_update(result_type_state *st, const tl_tensor *t) {
    if (t->wrapped_number) {
        // a Python float counts as the default dtype (float32), not as float64
        tl_dtype d = tl_dtype_is_floating(t->dtype) ? TL_FLOAT32 : t->dtype;
        st->wrapped_result = promote_undef(st->wrapped_result, d);
    } else if (t->ndim == 0) {
        st->zero_result = promote_undef(st->zero_result, t->dtype);
    } else {
        st->dim_result = promote_undef(st->dim_result, t->dtype);
    }
}

// A lower class can only raise the CATEGORY (bool < integer < floating) of a higher one.
static tl_dtype combine_categories(tl_dtype higher, tl_dtype lower) {
    if (higher == TL_UNDEF) return lower;
    if (tl_dtype_is_floating(higher)) return higher;
    if (higher == TL_BOOL || (lower != TL_UNDEF && tl_dtype_is_floating(lower)))
        return promote_undef(higher, lower);
    return higher;
}

tl_dtype tl_result_type(const tl_tensor *a, const tl_tensor *b) {
    result_type_state st = { TL_UNDEF, TL_UNDEF, TL_UNDEF };
    if (a) result_type_update(&st, a);
    if (b) result_type_update(&st, b);
    tl_dtype r = combine_categories(st.dim_result, combine_categories(st.zero_result, st.wrapped_result));
    return r == TL_UNDEF ? TL_FLOAT32 : r;
}

// Python numbers: 0-d tensors flagged wrapped_number, so promotion ranks them last.
tl_tensor *tl_number(double value) {
    tl_tensor *t = tl_scalar(value, TL_FLOAT64);
    if (t) t->wrapped_number = true;
    return t;
}

tl_tensor *tl_int(int64_t value) {
    tl_tensor *t = tl_empty(TL_SCALAR_SHAPE, TL_INT64);
    if (!t) return NULL;
    *(int64_t *)tensor_data(t) = value;
    t->wrapped_number = true;
    return t;
}
#line 2573 "chapters/01-tensors/01-tensors.md"
#line 2680 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// Views: a tensor reduced to what a loop needs. Scratch copies are views over malloc'ed
// memory.
typedef struct {
    char    *data;                 // address of element (0, 0, ..., 0)
    tl_dtype dtype;
    int      ndim;
    int64_t  shape[TL_MAX_DIMS];
    int64_t  stride[TL_MAX_DIMS];  // in elements; 0 along a broadcast dimension
} view;

static view view_of(const tl_tensor *t) {
    view v;
    v.data = tensor_data(t);
    v.dtype = t->dtype;
    v.ndim = t->ndim;
    memcpy(v.shape, t->shape, sizeof v.shape);      // all TL_MAX_DIMS: a fixed copy, no loop
    memcpy(v.stride, t->stride, sizeof v.stride);
    return v;
}

// a 2-D view: rows x cols, strides s0, s1 (the unused dims are left unset: nothing reads them)
static view matrix_view(char *data, tl_dtype dtype, int64_t rows, int64_t cols, int64_t s0, int64_t s1) {
    view v;
    v.data = data;
    v.dtype = dtype;
    v.ndim = 2;
    v.shape[0] = rows; v.shape[1] = cols;
    v.stride[0] = s0;  v.stride[1] = s1;
    return v;
}

static int64_t view_numel(const view *v) { return tl_shape_numel(v->ndim, v->shape); }

// row-major with no gaps (the stride of a size-1 dimension does not matter)
static bool view_is_contiguous(const view *v) {
    int64_t expected = 1;
    for (int i = v->ndim - 1; i >= 0; i--) {
        if (v->shape[i] != 1 && v->stride[i] != expected) return false;
        expected *= v->shape[i];
    }
    return true;
}

static void set_contiguous_strides(view *v) {
    int64_t s = 1;
    for (int i = v->ndim - 1; i >= 0; i--) {
        v->stride[i] = s;
        s *= v->shape[i];
    }
}
#line 2574 "chapters/01-tensors/01-tensors.md"
#line 2631 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// Broadcasting: shapes are aligned at the right; two sizes are compatible when equal or
// when one of them is 1; a missing leading dimension counts as 1. The error names the
// dimension of the OUTPUT, as PyTorch's infer_size does.
static bool broadcast_shapes(int na, const int64_t *a, int nb, const int64_t *b, int *nout, int64_t *out) {
    int n = na > nb ? na : nb;
    for (int i = n - 1; i >= 0; i--) {
        int off = n - 1 - i;
        int64_t sa = na - 1 - off >= 0 ? a[na - 1 - off] : 1;
        int64_t sb = nb - 1 - off >= 0 ? b[nb - 1 - off] : 1;
        if (sa != sb && sa != 1 && sb != 1) {
            tl_error_set(TL_RUNTIME_ERROR,
                         "The size of tensor a (%lld) must match the size of tensor b (%lld) at non-singleton dimension %d",
                         (long long)sa, (long long)sb, i);
            return false;
        }
        out[i] = sa == 1 ? sb : sa;
    }
    *nout = n;
    return true;
}
#line 2575 "chapters/01-tensors/01-tensors.md"
#line 2811 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// The strided N-d iterator. Operand 0 is the output; each operand has byte strides over
// the output's dimensions (0 where broadcast). Size-1 dims are dropped and neighbours
// merged when all operands allow it, then the kernel gets one inner-most row at a time.
#define ITER_MAX_OPS 4
typedef struct {
    int     ndim, nops;
    int64_t shape[TL_MAX_DIMS];                 // coalesced, outermost first
    int64_t stride[ITER_MAX_OPS][TL_MAX_DIMS];  // in bytes
    char   *data[ITER_MAX_OPS];
} iter;

// one row: n elements; data[k] and strides[k] (bytes) for each operand k; ctx is the
// caller's (or NULL)
typedef void (*row_kernel)(char **data, const int64_t *strides, int64_t n, void *ctx);

static void iter_init(iter *it, int ndim, const int64_t *shape, int nops, const view *ops) {
    int64_t st[ITER_MAX_OPS][TL_MAX_DIMS];
    for (int k = 0; k < nops; k++) {
        const view *v = &ops[k];
        int64_t es = (int64_t)tl_dtype_size(v->dtype);
        it->data[k] = v->data;
        for (int i = 0; i < ndim; i++) {
            int j = i - (ndim - v->ndim);  // the operand's own dim, right-aligned
            st[k][i] = (j < 0 || v->shape[j] == 1) ? 0 : v->stride[j] * es;
        }
    }
    // coalesce, innermost first: keep dims of size != 1, merge when strides allow
    int64_t cshape[TL_MAX_DIMS] = { 0 }, cstride[ITER_MAX_OPS][TL_MAX_DIMS];   // cstride: written before read
    int m = 0;  // dims kept so far, stored innermost first
    for (int i = ndim - 1; i >= 0; i--) {
        if (shape[i] == 1) continue;
        bool merge = m > 0;
        for (int k = 0; k < nops && merge; k++)
            if (st[k][i] != cstride[k][m - 1] * cshape[m - 1]) merge = false;
        if (merge) {
            cshape[m - 1] *= shape[i];
        } else {
            cshape[m] = shape[i];
            for (int k = 0; k < nops; k++) cstride[k][m] = st[k][i];
            m++;
        }
    }
    // into the iterator, outermost first
    for (int i = 0; i < m; i++) {
        it->shape[i] = cshape[m - 1 - i];
        for (int k = 0; k < nops; k++) it->stride[k][i] = cstride[k][m - 1 - i];
    }
    it->ndim = m;
    it->nops = nops;
}

static void iter_run(iter *it, row_kernel kernel, void *ctx) {
    int64_t inner_stride[ITER_MAX_OPS];
    char *p[ITER_MAX_OPS];
    for (int k = 0; k < it->nops; k++) p[k] = it->data[k];
    for (int i = 0; i < it->ndim; i++)
        if (it->shape[i] == 0) return;  // an empty tensor: nothing to do
    if (it->ndim == 0) {                 // a single element
        for (int k = 0; k < it->nops; k++) inner_stride[k] = 0;
        kernel(p, inner_stride, 1, ctx);
        return;
    }
    int last = it->ndim - 1;
    for (int k = 0; k < it->nops; k++) inner_stride[k] = it->stride[k][last];
    int64_t idx[TL_MAX_DIMS] = { 0 };
    for (;;) {
        kernel(p, inner_stride, it->shape[last], ctx);
        int d = last - 1;  // odometer over the outer dimensions
        for (; d >= 0; d--) {
            for (int k = 0; k < it->nops; k++) p[k] += it->stride[k][d];
            if (++idx[d] < it->shape[d]) break;
            for (int k = 0; k < it->nops; k++) p[k] -= it->stride[k][d] * it->shape[d];
            idx[d] = 0;
        }
        if (d < 0) break;
    }
}

// The common case without the walk: when the n tensors ts (the output first) are all contiguous
// and of one shape, the kernel gets them as one row. false: they are not, nothing was done.
static bool run_flat(row_kernel kernel, int n, const tl_tensor *const *ts) {
    char *data[ITER_MAX_OPS];
    int64_t strides[ITER_MAX_OPS];
    for (int k = 0; k < n; k++) {
        const tl_tensor *t = ts[k];
        if (!tl_is_contiguous(t) || t->ndim != ts[0]->ndim) return false;
        for (int d = 0; d < t->ndim; d++)
            if (t->shape[d] != ts[0]->shape[d]) return false;
        data[k] = tensor_data(t);
        strides[k] = (int64_t)tl_dtype_size(t->dtype);
    }
    int64_t numel = tl_numel(ts[0]);
    if (numel > 0) kernel(data, strides, numel, NULL);
    return true;
}
#line 2576 "chapters/01-tensors/01-tensors.md"
#line 2925 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// Kernel building blocks.
//   AT(T, p, s, i): element i of a row of T starting at p with a byte stride s
#define AT(T, p, s, i) (*(T *)((p) + (i) * (s)))

// BODY for i = 0 .. n-1, as a main loop whose trip count is a multiple of 8 plus a
// tail: gcc -O2 vectorises only loops it can run without a scalar remainder. Used in
// functions whose pointer parameters are `restrict`, so no aliasing checks are needed.
#define SPLIT_LOOP(n, BODY)                                                        \
    do {                                                                           \
        int64_t i = 0, n8_ = (n) & ~(int64_t)7;                                    \
        for (; i < n8_; i++) { BODY; }                                             \
        for (; i < (n); i++) { BODY; }                                             \
    } while (0)
#line 2577 "chapters/01-tensors/01-tensors.md"
#line 3061 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// Converting copies: cast_kernels[from][to], copy_view, and materialize (a contiguous
// scratch copy in a given dtype).
#define DEF_CAST(NAME, TI, TO, CONV)                                               \
    static void NAME##_contig(TO *restrict o, const TI *restrict in, int64_t n) {  \
        SPLIT_LOOP(n, TI x = in[i]; o[i] = (CONV));                                \
    }                                                                              \
    static void NAME(char **d, const int64_t *s, int64_t n, void *ctx) {           \
        (void)ctx;                                                                 \
        if (s[0] == (int64_t)sizeof(TO) && s[1] == (int64_t)sizeof(TI)) {          \
            NAME##_contig((TO *)d[0], (const TI *)d[1], n);                        \
        } else {                                                                   \
            for (int64_t i = 0; i < n; i++) {                                      \
                TI x = AT(TI, d[1], s[1], i);                                      \
                AT(TO, d[0], s[0], i) = (CONV);                                    \
            }                                                                      \
        }                                                                          \
    }

// a float outside int64's range (or NaN) has no defined C conversion: INT64_MIN, as x86
#define F2I(x) ((x) != (x) || (x) >= 9223372036854775807.0 || (x) < -9223372036854775808.0 \
                    ? INT64_MIN : (int64_t)(x))

DEF_CAST(cast_b_b, bool, bool, x)
DEF_CAST(cast_b_i, bool, int64_t, (int64_t)x)
DEF_CAST(cast_b_f, bool, float, (float)x)
DEF_CAST(cast_b_d, bool, double, (double)x)
DEF_CAST(cast_i_b, int64_t, bool, x != 0)
DEF_CAST(cast_i_i, int64_t, int64_t, x)
DEF_CAST(cast_i_f, int64_t, float, (float)x)
DEF_CAST(cast_i_d, int64_t, double, (double)x)
DEF_CAST(cast_f_b, float, bool, x != 0)
DEF_CAST(cast_f_i, float, int64_t, F2I(x))
DEF_CAST(cast_f_f, float, float, x)
DEF_CAST(cast_f_d, float, double, (double)x)
DEF_CAST(cast_d_b, double, bool, x != 0)
DEF_CAST(cast_d_i, double, int64_t, F2I(x))
DEF_CAST(cast_d_f, double, float, (float)x)
DEF_CAST(cast_d_d, double, double, x)

static const row_kernel cast_kernels[4][4] = {   // [from][to]
    { cast_b_b, cast_b_i, cast_b_f, cast_b_d },
    { cast_i_b, cast_i_i, cast_i_f, cast_i_d },
    { cast_f_b, cast_f_i, cast_f_f, cast_f_d },
    { cast_d_b, cast_d_i, cast_d_f, cast_d_d },
};

// copy (and convert) src into dst; both have the same shape
static void copy_view(const view *dst, const view *src) {
    iter it;
    view ops[2] = { *dst, *src };
    iter_init(&it, dst->ndim, dst->shape, 2, ops);
    iter_run(&it, cast_kernels[src->dtype][dst->dtype], NULL);
}

// *out = v in dtype dt (and contiguous if asked). When v already qualifies, *out = v and
// *scratch = NULL; otherwise *out is a copy in malloc'ed memory at *scratch (free it).
static bool materialize(const view *v, tl_dtype dt, bool need_contiguous, view *out, void **scratch) {
    *scratch = NULL;
    if (v->dtype == dt && (!need_contiguous || view_is_contiguous(v))) {
        *out = *v;
        return true;
    }
    int64_t n = view_numel(v);
    void *buf = malloc((size_t)(n > 0 ? n : 1) * tl_dtype_size(dt));
    if (!buf) {
        tl_error_set(TL_RUNTIME_ERROR, "DefaultCPUAllocator: not enough memory: you tried to allocate %lld bytes.",
                     (long long)(n * (int64_t)tl_dtype_size(dt)));
        return false;
    }
    view c = *v;
    c.data = buf;
    c.dtype = dt;
    set_contiguous_strides(&c);
    copy_view(&c, v);
    *out = c;
    *scratch = buf;
    return true;
}
#line 2578 "chapters/01-tensors/01-tensors.md"
#line 2949 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// Binary kernels: NAME(data, strides, n, ctx) computes EXPR of a and b, for T operands
// and a TO result. NAME_contig and NAME_scalar are the two fast paths.
#define DEF_BINARY(NAME, T, TO, EXPR)                                              \
    static void NAME##_contig(TO *restrict o, const T *restrict pa, const T *restrict pb, int64_t n) { \
        SPLIT_LOOP(n, T a = pa[i]; T b = pb[i]; o[i] = (EXPR));                    \
    }                                                                              \
    static void NAME##_scalar(TO *restrict o, const T *restrict pa, T b, int64_t n) { \
        SPLIT_LOOP(n, T a = pa[i]; o[i] = (EXPR));                                 \
    }                                                                              \
    static void NAME(char **d, const int64_t *s, int64_t n, void *ctx) {           \
        (void)ctx;                                                                 \
        if (s[0] == (int64_t)sizeof(TO) && s[1] == (int64_t)sizeof(T) &&           \
            s[2] == (int64_t)sizeof(T)) {                                          \
            NAME##_contig((TO *)d[0], (const T *)d[1], (const T *)d[2], n);        \
        } else if (s[0] == (int64_t)sizeof(TO) && s[1] == (int64_t)sizeof(T) && s[2] == 0) { \
            NAME##_scalar((TO *)d[0], (const T *)d[1], *(const T *)d[2], n);       \
        } else {                                                                   \
            for (int64_t i = 0; i < n; i++) {                                      \
                T a = AT(T, d[1], s[1], i), b = AT(T, d[2], s[2], i);              \
                AT(TO, d[0], s[0], i) = (EXPR);                                    \
            }                                                                      \
        }                                                                          \
    }

#define U64(x) ((uint64_t)(x))
#define MAXIMUM(a, b) (((a) > (b) || (a) != (a)) ? (a) : (b))   // NaN wins, as torch.maximum
#define MINIMUM(a, b) (((a) < (b) || (a) != (a)) ? (a) : (b))

// integer power by squaring; a negative exponent gives 1/base truncated: 1, -1 or 0
static inline int64_t ipow(int64_t base, int64_t e) {
    if (e < 0) return base == 1 ? 1 : base == -1 ? ((e & 1) ? -1 : 1) : 0;
    uint64_t r = 1, b = (uint64_t)base;
    while (e) {
        if (e & 1) r *= b;
        b *= b;
        e >>= 1;
    }
    return (int64_t)r;
}

DEF_BINARY(add_b, bool, bool, a || b)                   // bool + bool is "or" in PyTorch
DEF_BINARY(add_i, int64_t, int64_t, (int64_t)(U64(a) + U64(b)))
DEF_BINARY(add_f, float, float, a + b)
DEF_BINARY(add_d, double, double, a + b)
DEF_BINARY(sub_i, int64_t, int64_t, (int64_t)(U64(a) - U64(b)))
DEF_BINARY(sub_f, float, float, a - b)
DEF_BINARY(sub_d, double, double, a - b)
DEF_BINARY(mul_b, bool, bool, a && b)
DEF_BINARY(mul_i, int64_t, int64_t, (int64_t)(U64(a) * U64(b)))
DEF_BINARY(mul_f, float, float, a * b)
DEF_BINARY(mul_d, double, double, a * b)
DEF_BINARY(div_f, float, float, a / b)
DEF_BINARY(div_d, double, double, a / b)
DEF_BINARY(pow_i, int64_t, int64_t, ipow(a, b))
DEF_BINARY(pow_f, float, float, powf(a, b))
DEF_BINARY(pow_d, double, double, pow(a, b))
DEF_BINARY(max_b, bool, bool, a || b)
DEF_BINARY(max_i, int64_t, int64_t, MAXIMUM(a, b))
DEF_BINARY(max_f, float, float, MAXIMUM(a, b))
DEF_BINARY(max_d, double, double, MAXIMUM(a, b))
DEF_BINARY(min_b, bool, bool, a && b)
DEF_BINARY(min_i, int64_t, int64_t, MINIMUM(a, b))
DEF_BINARY(min_f, float, float, MINIMUM(a, b))
DEF_BINARY(min_d, double, double, MINIMUM(a, b))

// comparisons: operands of the promoted dtype, a bool result
#define DEF_COMPARE(OP, SYM)                                                       \
    DEF_BINARY(OP##_b, bool, bool, a SYM b)                                        \
    DEF_BINARY(OP##_i, int64_t, bool, a SYM b)                                     \
    DEF_BINARY(OP##_f, float, bool, a SYM b)                                       \
    DEF_BINARY(OP##_d, double, bool, a SYM b)
DEF_COMPARE(eq, ==)
DEF_COMPARE(ne, !=)
DEF_COMPARE(lt, <)
DEF_COMPARE(le, <=)
DEF_COMPARE(gt, >)
DEF_COMPARE(ge, >=)

typedef enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_POW, OP_MAX, OP_MIN,
               OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_COUNT } binary_op;

// binary_kernels[op][computation dtype]; NULL where the combination never runs
// (bool subtraction and power are refused; division always computes in floating point)
static const row_kernel binary_kernels[OP_COUNT][4] = {
    [OP_ADD] = { add_b, add_i, add_f, add_d },
    [OP_SUB] = { NULL, sub_i, sub_f, sub_d },
    [OP_MUL] = { mul_b, mul_i, mul_f, mul_d },
    [OP_DIV] = { NULL, NULL, div_f, div_d },
    [OP_POW] = { NULL, pow_i, pow_f, pow_d },
    [OP_MAX] = { max_b, max_i, max_f, max_d },
    [OP_MIN] = { min_b, min_i, min_f, min_d },
    [OP_EQ] = { eq_b, eq_i, eq_f, eq_d },
    [OP_NE] = { ne_b, ne_i, ne_f, ne_d },
    [OP_LT] = { lt_b, lt_i, lt_f, lt_d },
    [OP_LE] = { le_b, le_i, le_f, le_d },
    [OP_GT] = { gt_b, gt_i, gt_f, gt_d },
    [OP_GE] = { ge_b, ge_i, ge_f, ge_d },
};
#line 2579 "chapters/01-tensors/01-tensors.md"
#line 743 "chapters/03-autograd/03-autograd.md"
// ----------------------------------------------------------------------------
// Recording (chapter 03): the hooks in the ops below call these; they are defined, with
// the local rules, at the end of the file.
#include "autograd.h"
static void record_binary(binary_op op, tl_tensor *out, const tl_tensor *a, const tl_tensor *b);
static void record_unary(int op, tl_tensor *out, const tl_tensor *t);
static void record_where(tl_tensor *out, const tl_tensor *cond, const tl_tensor *a, const tl_tensor *b);
static void record_masked_select(tl_tensor *out, const tl_tensor *t, const tl_tensor *mask);
static void record_index_select(tl_tensor *out, const tl_tensor *t, int dim, const tl_tensor *index);
static void record_join(bool stack, tl_tensor *out, tl_tensor *const *ts, int n, int dim);
static void record_sum(int kind, tl_tensor *out, const tl_tensor *t, int dim, bool whole, bool keepdim, int64_t n);
static void record_best(tl_tensor *values, tl_tensor *index, const tl_tensor *t, int dim, bool whole, bool keepdim,
                        bool is_min);
static void record_matmul(const char *name, tl_tensor *out, const tl_tensor *a, const tl_tensor *b);
static const char *matmul_name(int da, int db);
static void record_addmm(tl_tensor *out, const tl_tensor *bias, const tl_tensor *a, const tl_tensor *b);
#line 2580 "chapters/01-tensors/01-tensors.md"
#line 1492 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// The CUDA paths of the ops (chapter 08), defined at the end of the file
#include "device.h"
static tl_tensor *cuda_binary(int op, const tl_tensor *a, const tl_tensor *b, tl_dtype ct, tl_dtype out_dt,
                              tl_shape s, tl_device dev);
static tl_tensor *cuda_unary(int op, const tl_tensor *t, tl_dtype ct);
static tl_tensor *cuda_where(const tl_tensor *cond, const tl_tensor *a, const tl_tensor *b, tl_dtype ct, tl_shape s,
                             tl_device dev);
static tl_tensor *cuda_unary_backward(int op, const tl_tensor *g, const tl_tensor *saved);
static tl_tensor *cuda_best_dim_backward(const tl_node *node, const tl_tensor *g);
static tl_tensor *cuda_reduce_sum(const tl_tensor *t, int dim, bool whole, bool keepdim, int kind);
static tl_tensor *cuda_reduce_best(const tl_tensor *t, int dim, bool whole, bool keepdim, bool is_min,
                                   bool want_values, tl_tensor **indices_out);
static tl_tensor *cuda_matmul_run(const tl_tensor *a, const tl_tensor *b, int nb, const int64_t *bshape);
static tl_tensor *cuda_addmm(const tl_tensor *bias, const tl_tensor *a, const tl_tensor *b);
static bool cuda_inplace(bool accumulate, const tl_tensor *dst, const tl_tensor *src, int ndim, const int64_t *shape);
static bool cuda_copy_view(tl_device dev, const view *dst, const view *src);
static tl_tensor *cuda_index_select(const tl_tensor *t, int dim, const tl_tensor *index, tl_device dev);
static tl_tensor *cuda_index_select_backward(const tl_node *node, const tl_tensor *g);
static tl_tensor *cuda_masked_select(const tl_tensor *t, const tl_tensor *mask, tl_shape s, tl_device dev);
static tl_tensor *cuda_masked_select_backward(const tl_node *node, const tl_tensor *g);
#line 2581 "chapters/01-tensors/01-tensors.md"
#line 3152 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// The binary driver: checks, promotion, broadcast, conversion, one iterator walk.

// PyTorch's refusals that depend on the op and the dtypes (checked before the shapes)
static bool binary_check(binary_op op, const tl_tensor *a, const tl_tensor *b, tl_dtype ct) {
    if (op == OP_SUB) {
        if (a->dtype == TL_BOOL && b->dtype == TL_BOOL) {
            tl_error_set(TL_RUNTIME_ERROR, "Subtraction, the `-` operator, with two bool tensors is not supported. "
                                           "Use the `^` or `logical_xor()` operator instead.");
            return false;
        }
        if (a->dtype == TL_BOOL || b->dtype == TL_BOOL) {
            tl_error_set(TL_RUNTIME_ERROR, "Subtraction, the `-` operator, with a bool tensor is not supported. "
                                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
            return false;
        }
    }
    if (op == OP_POW) {
        // integer tensor ** (negative Python int) is refused
        if (b->wrapped_number && !tl_dtype_is_floating(b->dtype) && !tl_dtype_is_floating(a->dtype)) {
            int64_t e = b->dtype == TL_BOOL ? *(bool *)tensor_data(b) : *(int64_t *)tensor_data(b);
            if (e < 0) {
                tl_error_set(TL_RUNTIME_ERROR, "Integers to negative integer powers are not allowed.");
                return false;
            }
        }
        if (ct == TL_BOOL) {
            tl_error_set(TL_RUNTIME_ERROR, "\"pow\" not implemented for 'Bool'");
            return false;
        }
    }
    return true;
}

static tl_tensor *binary(binary_op op, const tl_tensor *a, const tl_tensor *b) {
    if (!a || !b) return NULL;
    tl_dtype ct = tl_result_type(a, b);                                   // computation dtype
    if (!binary_check(op, a, b, ct)) return NULL;
    if (op == OP_DIV && !tl_dtype_is_floating(ct)) ct = TL_FLOAT32;       // true division
    tl_dtype out_dt = op >= OP_EQ ? TL_BOOL : ct;
    int ndim;
    int64_t shape[TL_MAX_DIMS];
    if (!broadcast_shapes(a->ndim, a->shape, b->ndim, b->shape, &ndim, shape)) return NULL;
    tl_shape s = { ndim, { 0 } };
    for (int i = 0; i < ndim; i++) s.d[i] = shape[i];

    tl_device dev;
    if (!tl_common_device((const tl_tensor *[]){ a, b }, 2, &dev)) return NULL;
    if (dev.type == TL_CUDA) return cuda_binary(op, a, b, ct, out_dt, s, dev);   // chapter 08

    view va = view_of(a), vb = view_of(b), ca, cb;
    void *sa = NULL, *sb = NULL;
    if (!materialize(&va, ct, false, &ca, &sa) || !materialize(&vb, ct, false, &cb, &sb)) {
        free(sa);
        return NULL;
    }
    tl_tensor *out = tl_empty(s, out_dt);
    if (out) {
        view ops[3] = { view_of(out), ca, cb };
        iter it;
        iter_init(&it, ndim, shape, 3, ops);
        iter_run(&it, binary_kernels[op][ct], NULL);
    }
    free(sa);
    free(sb);
#line 868 "chapters/03-autograd/03-autograd.md"
    if (out) record_binary(op, out, a, b);   // chapter 03: the graph node, if any input requires grad
#line 3218 "chapters/01-tensors/01-tensors.md"
    return out;
}

tl_tensor *tl_add(const tl_tensor *a, const tl_tensor *b) { return binary(OP_ADD, a, b); }
tl_tensor *tl_sub(const tl_tensor *a, const tl_tensor *b) { return binary(OP_SUB, a, b); }
tl_tensor *tl_mul(const tl_tensor *a, const tl_tensor *b) { return binary(OP_MUL, a, b); }
tl_tensor *tl_div(const tl_tensor *a, const tl_tensor *b) { return binary(OP_DIV, a, b); }
tl_tensor *tl_pow(const tl_tensor *a, const tl_tensor *b) { return binary(OP_POW, a, b); }
tl_tensor *tl_maximum(const tl_tensor *a, const tl_tensor *b) { return binary(OP_MAX, a, b); }
tl_tensor *tl_minimum(const tl_tensor *a, const tl_tensor *b) { return binary(OP_MIN, a, b); }
tl_tensor *tl_eq(const tl_tensor *a, const tl_tensor *b) { return binary(OP_EQ, a, b); }
tl_tensor *tl_ne(const tl_tensor *a, const tl_tensor *b) { return binary(OP_NE, a, b); }
tl_tensor *tl_lt(const tl_tensor *a, const tl_tensor *b) { return binary(OP_LT, a, b); }
tl_tensor *tl_le(const tl_tensor *a, const tl_tensor *b) { return binary(OP_LE, a, b); }
tl_tensor *tl_gt(const tl_tensor *a, const tl_tensor *b) { return binary(OP_GT, a, b); }
tl_tensor *tl_ge(const tl_tensor *a, const tl_tensor *b) { return binary(OP_GE, a, b); }
#line 2582 "chapters/01-tensors/01-tensors.md"
#line 3242 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// Scalar versions: the Python number becomes a wrapped 0-d tensor on the stack.
typedef struct {
    tl_tensor  t;
    tl_storage st;
    union { double f; int64_t i; } value;
} stack_number;

// a Python int when s is integral and t is not floating, else a Python float
static const tl_tensor *wrap_number(stack_number *w, const tl_tensor *t, double s) {
    memset(w, 0, sizeof *w);
    bool as_int = !tl_dtype_is_floating(t->dtype) && s == floor(s) && fabs(s) < 9.2e18;
    if (as_int) {
        w->value.i = (int64_t)s;
        w->t.dtype = TL_INT64;
    } else {
        w->value.f = s;
        w->t.dtype = TL_FLOAT64;
    }
    w->st.data = &w->value;
    w->st.nbytes = sizeof w->value;
    w->st.refcount = 1;
    w->st.device = TL_CPU_DEVICE;
    w->t.storage = &w->st;
    w->t.refcount = 1;
    w->t.wrapped_number = true;
    return &w->t;
}

#define SCALAR_OP(NAME, OP)                                                        \
    tl_tensor *NAME(const tl_tensor *t, double s) {                                \
        if (!t) return NULL;                                                       \
        stack_number w;                                                            \
        return binary(OP, t, wrap_number(&w, t, s));                               \
    }
SCALAR_OP(tl_add_scalar, OP_ADD)
SCALAR_OP(tl_sub_scalar, OP_SUB)
SCALAR_OP(tl_mul_scalar, OP_MUL)
SCALAR_OP(tl_div_scalar, OP_DIV)
SCALAR_OP(tl_pow_scalar, OP_POW)
SCALAR_OP(tl_eq_scalar, OP_EQ)
SCALAR_OP(tl_ne_scalar, OP_NE)
SCALAR_OP(tl_lt_scalar, OP_LT)
SCALAR_OP(tl_le_scalar, OP_LE)
SCALAR_OP(tl_gt_scalar, OP_GT)
SCALAR_OP(tl_ge_scalar, OP_GE)
#line 2583 "chapters/01-tensors/01-tensors.md"
#line 3298 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// Unary ops: kernels for one input and an output of the same dtype, which makes each of them
// a conversion kernel (DEF_CAST) from a dtype to itself.
#define DEF_UNARY(NAME, T, EXPR) DEF_CAST(NAME, T, T, EXPR)

DEF_UNARY(neg_i, int64_t, (int64_t)(0 - U64(x)))
DEF_UNARY(neg_f, float, -x)
DEF_UNARY(neg_d, double, -x)
DEF_UNARY(abs_i, int64_t, x < 0 ? (int64_t)(0 - U64(x)) : x)
DEF_UNARY(abs_f, float, fabsf(x))
DEF_UNARY(abs_d, double, fabs(x))
DEF_UNARY(relu_i, int64_t, x > 0 ? x : 0)
DEF_UNARY(relu_f, float, x > 0 || x != x ? x : 0.0f)      // relu(NaN) = NaN
DEF_UNARY(relu_d, double, x > 0 || x != x ? x : 0.0)
DEF_UNARY(exp_f, float, expf(x))
DEF_UNARY(exp_d, double, exp(x))
DEF_UNARY(log_f, float, logf(x))
DEF_UNARY(log_d, double, log(x))
DEF_UNARY(sqrt_f, float, sqrtf(x))
DEF_UNARY(sqrt_d, double, sqrt(x))
DEF_UNARY(sigmoid_f, float, 1.0f / (1.0f + expf(-x)))
DEF_UNARY(sigmoid_d, double, 1.0 / (1.0 + exp(-x)))
DEF_UNARY(tanh_f, float, tanhf(x))
DEF_UNARY(tanh_d, double, tanh(x))

typedef enum { U_NEG, U_ABS, U_RELU, U_EXP, U_LOG, U_SQRT, U_SIGMOID, U_TANH, U_COUNT } unary_op;

static const row_kernel unary_kernels[U_COUNT][4] = {   // [op][dtype]
    [U_NEG] = { NULL, neg_i, neg_f, neg_d },
    [U_ABS] = { NULL, abs_i, abs_f, abs_d },
    [U_RELU] = { NULL, relu_i, relu_f, relu_d },
    [U_EXP] = { NULL, NULL, exp_f, exp_d },
    [U_LOG] = { NULL, NULL, log_f, log_d },
    [U_SQRT] = { NULL, NULL, sqrt_f, sqrt_d },
    [U_SIGMOID] = { NULL, NULL, sigmoid_f, sigmoid_d },
    [U_TANH] = { NULL, NULL, tanh_f, tanh_d },
};

static tl_tensor *unary(unary_op op, const tl_tensor *t) {
    if (!t) return NULL;
    if (t->dtype == TL_BOOL) {
        if (op == U_NEG) {
            tl_error_set(TL_RUNTIME_ERROR, "Negation, the `-` operator, on a bool tensor is not supported. "
                                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
            return NULL;
        }
        if (op == U_ABS) {
            tl_error_set(TL_RUNTIME_ERROR, "\"abs_cpu\" not implemented for 'Bool'");
            return NULL;
        }
        if (op == U_RELU) {
            tl_error_set(TL_RUNTIME_ERROR, "Boolean inputs not supported for relu");
            return NULL;
        }
    }
    tl_dtype ct = t->dtype;
    if (op >= U_EXP && !tl_dtype_is_floating(ct)) ct = TL_FLOAT32;
    if (tl_is_cuda(t)) return cuda_unary(op, t, ct);                     // chapter 08
    tl_tensor *out = tl_empty(tl_shape_of(t), ct);
    if (out && (ct != t->dtype || !run_flat(unary_kernels[op][ct], 2, (const tl_tensor *[]){ out, t }))) {
        view v = view_of(t), c;
        void *scratch;
        if (!materialize(&v, ct, false, &c, &scratch)) return NULL;
        view ops[2] = { view_of(out), c };
        iter it;
        iter_init(&it, c.ndim, c.shape, 2, ops);
        iter_run(&it, unary_kernels[op][ct], NULL);
        free(scratch);
    }
#line 942 "chapters/03-autograd/03-autograd.md"
    if (out) record_unary(op, out, t);       // chapter 03
#line 3368 "chapters/01-tensors/01-tensors.md"
    return out;
}

tl_tensor *tl_neg(const tl_tensor *t) { return unary(U_NEG, t); }
tl_tensor *tl_abs(const tl_tensor *t) { return unary(U_ABS, t); }
tl_tensor *tl_relu(const tl_tensor *t) { return unary(U_RELU, t); }
tl_tensor *tl_exp(const tl_tensor *t) { return unary(U_EXP, t); }
tl_tensor *tl_log(const tl_tensor *t) { return unary(U_LOG, t); }
tl_tensor *tl_sqrt(const tl_tensor *t) { return unary(U_SQRT, t); }
tl_tensor *tl_sigmoid(const tl_tensor *t) { return unary(U_SIGMOID, t); }
tl_tensor *tl_tanh(const tl_tensor *t) { return unary(U_TANH, t); }
#line 2584 "chapters/01-tensors/01-tensors.md"
#line 3555 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// where(cond, a, b): a where cond is true, else b; cond, a and b broadcast together.
#define DEF_WHERE(NAME, T)                                                         \
    static void NAME(char **d, const int64_t *s, int64_t n, void *ctx) {           \
        (void)ctx;                                                                 \
        for (int64_t i = 0; i < n; i++)                                            \
            AT(T, d[0], s[0], i) = AT(bool, d[1], s[1], i) ? AT(T, d[2], s[2], i)  \
                                                           : AT(T, d[3], s[3], i); \
    }
DEF_WHERE(where_b, bool)
DEF_WHERE(where_i, int64_t)
DEF_WHERE(where_f, float)
DEF_WHERE(where_d, double)
static const row_kernel where_kernels[4] = { where_b, where_i, where_f, where_d };

tl_tensor *tl_where(const tl_tensor *cond, const tl_tensor *a, const tl_tensor *b) {
    if (!cond || !a || !b) return NULL;
    if (cond->dtype != TL_BOOL) {
        tl_error_set(TL_RUNTIME_ERROR, "where expected condition to be a boolean tensor, but got a tensor with dtype %s",
                     scalar_type_name(cond->dtype));
        return NULL;
    }
    tl_dtype ct = tl_result_type(a, b);
    int n1, n2;
    int64_t s1[TL_MAX_DIMS], s2[TL_MAX_DIMS];
    if (!broadcast_shapes(cond->ndim, cond->shape, a->ndim, a->shape, &n1, s1)) return NULL;
    if (!broadcast_shapes(n1, s1, b->ndim, b->shape, &n2, s2)) return NULL;
    tl_device dev;                                                        // chapter 08
    if (!tl_common_device((const tl_tensor *[]){ cond, a, b }, 3, &dev)) return NULL;
    if (dev.type == TL_CUDA) {
        tl_shape s = { n2, { 0 } };
        for (int i = 0; i < n2; i++) s.d[i] = s2[i];
        return cuda_where(cond, a, b, ct, s, dev);
    }
    view vc = view_of(cond), va = view_of(a), vb = view_of(b), ca, cb;
    void *sa = NULL, *sb = NULL;
    if (!materialize(&va, ct, false, &ca, &sa) || !materialize(&vb, ct, false, &cb, &sb)) {
        free(sa);
        return NULL;
    }
    tl_shape s = { n2, { 0 } };
    for (int i = 0; i < n2; i++) s.d[i] = s2[i];
    tl_tensor *out = tl_empty(s, ct);
    if (out) {
        view ops[4] = { view_of(out), vc, ca, cb };
        iter it;
        iter_init(&it, n2, s2, 4, ops);
        iter_run(&it, where_kernels[ct], NULL);
    }
    free(sa);
    free(sb);
#line 1064 "chapters/03-autograd/03-autograd.md"
    if (out) record_where(out, cond, a, b);               // chapter 03
#line 3607 "chapters/01-tensors/01-tensors.md"
    return out;
}
#line 2585 "chapters/01-tensors/01-tensors.md"
#line 3615 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// masked_select(t, mask): elements of t where the broadcast mask is true, row-major, 1-D.
static void count_true(char **d, const int64_t *s, int64_t n, void *ctx) {
    int64_t c = 0;
    for (int64_t i = 0; i < n; i++) c += AT(bool, d[0], s[0], i);
    *(int64_t *)ctx += c;
}

typedef struct { char *next; } out_cursor;   // where the next selected element goes

#define DEF_SELECT(NAME, T)                                                        \
    static void NAME(char **d, const int64_t *s, int64_t n, void *ctx) {           \
        out_cursor *c = (out_cursor *)ctx;                                         \
        T *o = (T *)c->next;                                                       \
        for (int64_t i = 0; i < n; i++)                                            \
            if (AT(bool, d[1], s[1], i)) *o++ = AT(T, d[0], s[0], i);              \
        c->next = (char *)o;                                                       \
    }
DEF_SELECT(select_b, bool)
DEF_SELECT(select_i, int64_t)
DEF_SELECT(select_f, float)
DEF_SELECT(select_d, double)
static const row_kernel select_kernels[4] = { select_b, select_i, select_f, select_d };

tl_tensor *tl_masked_select(const tl_tensor *t, const tl_tensor *mask) {
    if (!t || !mask) return NULL;
    if (mask->dtype != TL_BOOL) {
        tl_error_set(TL_RUNTIME_ERROR, "masked_select: expected BoolTensor or ByteTensor for mask");
        return NULL;
    }
    int nd;
    int64_t shape[TL_MAX_DIMS];
    if (!broadcast_shapes(mask->ndim, mask->shape, t->ndim, t->shape, &nd, shape)) return NULL;
    tl_device dev;                                                        // chapter 08
    if (!tl_common_device((const tl_tensor *[]){ t, mask }, 2, &dev)) return NULL;
    if (dev.type == TL_CUDA) {
        tl_shape s = { nd, { 0 } };
        for (int i = 0; i < nd; i++) s.d[i] = shape[i];
        return cuda_masked_select(t, mask, s, dev);
    }
    view ops[2] = { view_of(t), view_of(mask) };
    iter it;
    iter_init(&it, nd, shape, 1, &ops[1]);     // pass 1: count the true elements
    int64_t count = 0;
    iter_run(&it, count_true, &count);
    tl_tensor *out = tl_empty(TL_SHAPE(count), t->dtype);
    if (!out) return NULL;
    out_cursor cursor = { tensor_data(out) };  // pass 2: copy them
    iter_init(&it, nd, shape, 2, ops);
    iter_run(&it, select_kernels[t->dtype], &cursor);
#line 1068 "chapters/03-autograd/03-autograd.md"
    record_masked_select(out, t, mask);                   // chapter 03
#line 3666 "chapters/01-tensors/01-tensors.md"
    return out;
}
#line 2586 "chapters/01-tensors/01-tensors.md"
#line 3674 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// index_select(t, dim, index): the slices t[..., index[j], ...] stacked along dim.

// the view of v with dimension dim fixed at i (one dimension fewer)
static view view_select(const view *v, int dim, int64_t i) {
    view r = *v;
    r.data += i * v->stride[dim] * (int64_t)tl_dtype_size(v->dtype);
    for (int k = dim; k < v->ndim - 1; k++) {
        r.shape[k] = v->shape[k + 1];
        r.stride[k] = v->stride[k + 1];
    }
    r.ndim = v->ndim - 1;
    return r;
}

tl_tensor *tl_index_select(const tl_tensor *t, int dim, const tl_tensor *index) {
    if (!t || !index) return NULL;
    if (!wrap_dim(&dim, t->ndim)) return NULL;
    if (index->ndim > 1) {
        tl_error_set(TL_INDEX_ERROR, "index_select(): Index is supposed to be a vector");
        return NULL;
    }
    if (index->dtype != TL_INT64) {
        tl_error_set(TL_RUNTIME_ERROR, "index_select(): Expected dtype int32 or int64 for index");
        return NULL;
    }
    tl_device dev;                                                        // chapter 08
    if (!tl_common_device((const tl_tensor *[]){ t, index }, 2, &dev)) return NULL;
    if (dev.type == TL_CUDA) return cuda_index_select(t, dim, index, dev);
    view vi = view_of(index);
    int64_t n = index->ndim ? index->shape[0] : 1, istride = index->ndim ? vi.stride[0] : 0;
    int64_t size = t->ndim ? t->shape[dim] : 1;
    const int64_t *idx = (const int64_t *)vi.data;
    for (int64_t j = 0; j < n; j++) {
        if (idx[j * istride] < 0 || idx[j * istride] >= size) {
            tl_error_set(TL_INDEX_ERROR, "index out of range in self");
            return NULL;
        }
    }
    tl_shape s = tl_shape_of(t);
    if (t->ndim) s.d[dim] = n;
    tl_tensor *out = tl_empty(s, t->dtype);
    if (!out) return NULL;
    view vt = view_of(t), vo = view_of(out);
    if (t->ndim == 0)    // a 0-d tensor: index 0 is the tensor itself
        memcpy(tensor_data(out), tensor_data(t), tl_dtype_size(t->dtype));
    for (int64_t j = 0; j < n && t->ndim > 0; j++) {
        view src = view_select(&vt, dim, idx[j * istride]), dst = view_select(&vo, dim, j);
        copy_view(&dst, &src);
    }
#line 1072 "chapters/03-autograd/03-autograd.md"
    record_index_select(out, t, dim, index);              // chapter 03
#line 3725 "chapters/01-tensors/01-tensors.md"
    return out;
}
#line 2587 "chapters/01-tensors/01-tensors.md"
#line 3735 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// cat and stack
static bool cat_skipped(const view *v) { return v->ndim == 1 && v->shape[0] == 0; }

static tl_tensor *cat_views(const view *vs, int n, int dim, tl_dtype dt, tl_device dev) {
    int ref = 0;  // the first tensor that is not skipped sets the expected shape
    while (ref < n - 1 && cat_skipped(&vs[ref])) ref++;
    const view *r = &vs[ref];
    if (cat_skipped(r)) return tl_empty_on(TL_SHAPE(0), dt, dev);   // all empty
    if (!wrap_dim(&dim, r->ndim)) return NULL;
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        const view *v = &vs[i];
        if (cat_skipped(v)) continue;
        if (v->ndim != r->ndim) {
            tl_error_set(TL_RUNTIME_ERROR, "Tensors must have same number of dimensions: got %d and %d", r->ndim, v->ndim);
            return NULL;
        }
        for (int d = 0; d < r->ndim; d++) {
            if (d != dim && v->shape[d] != r->shape[d]) {
                tl_error_set(TL_RUNTIME_ERROR,
                             "Sizes of tensors must match except in dimension %d. Expected size %lld but got size %lld "
                             "for tensor number %d in the list.",
                             dim, (long long)r->shape[d], (long long)v->shape[d], i);
                return NULL;
            }
        }
        total += v->shape[dim];
    }
    tl_shape s = { r->ndim, { 0 } };
    for (int d = 0; d < r->ndim; d++) s.d[d] = r->shape[d];
    s.d[dim] = total;
    tl_tensor *out = tl_empty_on(s, dt, dev);
    if (!out) return NULL;
    view slab = view_of(out);   // the part of out that input i fills
    int64_t step = slab.stride[dim] * (int64_t)tl_dtype_size(dt);
    for (int i = 0; i < n; i++) {
        if (cat_skipped(&vs[i])) continue;
        slab.shape[dim] = vs[i].shape[dim];
        if (dev.type == TL_CUDA) { if (!cuda_copy_view(dev, &slab, &vs[i])) return NULL; }   // chapter 08
        else copy_view(&slab, &vs[i]);
        slab.data += vs[i].shape[dim] * step;
    }
    return out;
}

static tl_dtype list_dtype(tl_tensor *const *ts, int n) {
    tl_dtype dt = ts[0]->dtype;
    for (int i = 1; i < n; i++) dt = promote(dt, ts[i]->dtype);
    return dt;
}

tl_tensor *tl_cat(tl_tensor *const *ts, int n, int dim) {
    if (!ts || n <= 0) {
        tl_error_set(TL_RUNTIME_ERROR, "torch.cat(): expected a non-empty list of Tensors");
        return NULL;
    }
    for (int i = 0; i < n; i++)
        if (!ts[i]) return NULL;
    tl_device dev;                                                        // chapter 08
    if (!tl_common_device((const tl_tensor *const *)ts, n, &dev)) return NULL;
    for (int i = 0; i < n; i++) {
        if (ts[i]->ndim == 0) {
            tl_error_set(TL_RUNTIME_ERROR, "zero-dimensional tensor (at position %d) cannot be concatenated", i);
            return NULL;
        }
    }
    view *vs = malloc(sizeof(view) * (size_t)n);
    if (!vs) return NULL;
    for (int i = 0; i < n; i++) vs[i] = view_of(ts[i]);
    tl_tensor *out = cat_views(vs, n, dim, list_dtype(ts, n), dev);
    free(vs);
#line 1076 "chapters/03-autograd/03-autograd.md"
    if (out) record_join(false, out, ts, n, dim);         // chapter 03
#line 3808 "chapters/01-tensors/01-tensors.md"
    return out;
}

tl_tensor *tl_stack(tl_tensor *const *ts, int n, int dim) {
    if (!ts || n <= 0) {
        tl_error_set(TL_RUNTIME_ERROR, "stack expects a non-empty TensorList");
        return NULL;
    }
    for (int i = 0; i < n; i++)
        if (!ts[i]) return NULL;
    tl_device dev;                                                        // chapter 08
    if (!tl_common_device((const tl_tensor *const *)ts, n, &dev)) return NULL;
    int nd = ts[0]->ndim;
    if (nd + 1 > TL_MAX_DIMS) {
        tl_error_set(TL_RUNTIME_ERROR, "stack: too many dimensions (at most %d)", TL_MAX_DIMS);
        return NULL;
    }
    if (!wrap_dim(&dim, nd + 1)) return NULL;
    for (int i = 1; i < n; i++) {
        bool same = ts[i]->ndim == nd;
        for (int d = 0; same && d < nd; d++) same = ts[i]->shape[d] == ts[0]->shape[d];
        if (!same) {
            char b0[TL_MAX_DIMS * 24], b1[TL_MAX_DIMS * 24];
            tl_error_set(TL_RUNTIME_ERROR, "stack expects each tensor to be equal size, but got %s at entry 0 and %s at entry %d",
                         shape_str(b0, sizeof b0, nd, ts[0]->shape), shape_str(b1, sizeof b1, ts[i]->ndim, ts[i]->shape), i);
            return NULL;
        }
    }
    view *vs = malloc(sizeof(view) * (size_t)n);
    if (!vs) return NULL;
    for (int i = 0; i < n; i++) {  // unsqueeze(dim): a new size-1 dimension
        view v = view_of(ts[i]);
        for (int d = nd; d > dim; d--) {
            v.shape[d] = v.shape[d - 1];
            v.stride[d] = v.stride[d - 1];
        }
        v.shape[dim] = 1;
        v.stride[dim] = 1;
        v.ndim = nd + 1;
        vs[i] = v;
    }
    tl_tensor *out = cat_views(vs, n, dim, list_dtype(ts, n), dev);
    free(vs);
#line 1080 "chapters/03-autograd/03-autograd.md"
    if (out) record_join(true, out, ts, n, dim);          // chapter 03
#line 3852 "chapters/01-tensors/01-tensors.md"
    return out;
}
#line 2588 "chapters/01-tensors/01-tensors.md"
#line 3908 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// Reductions see their input as a contiguous block (outer, n, inner), n = the reduced
// size: element (o, k, i) is x[(o*n + k)*inner + i], its result goes to y[o*inner + i].
typedef struct {
    view     x;                 // contiguous input
    void    *scratch;           // malloc'ed copy behind x, or NULL
    int64_t  outer, n, inner;
    tl_shape out_shape;         // the result's shape (keepdim applied)
} reduction;

static bool reduction_setup(reduction *r, const tl_tensor *t, int dim, bool whole, bool keepdim) {
    view v = view_of(t);
    if (!materialize(&v, t->dtype, true, &r->x, &r->scratch)) return false;
    if (whole) {
        r->outer = 1;
        r->n = view_numel(&v);
        r->inner = 1;
        r->out_shape = TL_SCALAR_SHAPE;
        return true;
    }
    r->outer = tl_shape_numel(dim, v.shape);
    r->n = t->ndim ? v.shape[dim] : 1;
    r->inner = t->ndim ? tl_shape_numel(v.ndim - dim - 1, v.shape + dim + 1) : 1;
    r->out_shape.ndim = 0;
    for (int d = 0; d < t->ndim; d++) {
        if (d != dim) r->out_shape.d[r->out_shape.ndim++] = v.shape[d];
        else if (keepdim) r->out_shape.d[r->out_shape.ndim++] = 1;
    }
    return true;
}
#line 2589 "chapters/01-tensors/01-tensors.md"
#line 3950 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// sum, mean, std. Sums go into acc (double, or uint64 for integers: wrapping is defined).
#define DEF_SUM(NAME, TI, TACC)                                                    \
    static TACC NAME##_span(const TI *restrict x, int64_t n) {                     \
        TACC part[8] = { 0 }, total = 0;                                           \
        int64_t n8 = n & ~(int64_t)7, k = 0;                                       \
        for (; k < n8; k += 8)                                                     \
            for (int j = 0; j < 8; j++) part[j] = (TACC)(part[j] + (TACC)x[k + j]); \
        for (; k < n; k++) total = (TACC)(total + (TACC)x[k]);                     \
        for (int j = 0; j < 8; j++) total = (TACC)(total + part[j]);               \
        return total;                                                              \
    }                                                                              \
    static void NAME##_addrow(TACC *restrict a, const TI *restrict row, int64_t n) { \
        SPLIT_LOOP(n, a[i] = (TACC)(a[i] + (TACC)row[i]));                         \
    }                                                                              \
    static void NAME(const reduction *r, TACC *acc) {                              \
        const TI *x = (const TI *)r->x.data;                                       \
        for (int64_t o = 0; o < r->outer; o++) {                                   \
            TACC *a = acc + o * r->inner;                                          \
            if (r->inner == 1) {                                                   \
                a[0] = NAME##_span(x + o * r->n, r->n);                            \
                continue;                                                          \
            }                                                                      \
            for (int64_t i = 0; i < r->inner; i++) a[i] = 0;                       \
            for (int64_t k = 0; k < r->n; k++) NAME##_addrow(a, x + (o * r->n + k) * r->inner, r->inner); \
        }                                                                          \
    }
DEF_SUM(sum_b, bool, uint64_t)
DEF_SUM(sum_i, int64_t, uint64_t)
DEF_SUM(sum_f, float, double)
DEF_SUM(sum_d, double, double)

// the second pass of std: sums of squared deviations from mean[]
#define DEF_SQDEV(NAME, TI)                                                        \
    static void NAME(const reduction *r, const double *mean, double *acc) {        \
        const TI *x = (const TI *)r->x.data;                                       \
        for (int64_t o = 0; o < r->outer; o++) {                                   \
            double *a = acc + o * r->inner;                                        \
            const double *m = mean + o * r->inner;                                 \
            for (int64_t i = 0; i < r->inner; i++) a[i] = 0;                       \
            for (int64_t k = 0; k < r->n; k++) {                                   \
                const TI *row = x + (o * r->n + k) * r->inner;                     \
                for (int64_t i = 0; i < r->inner; i++) {                           \
                    double dv = (double)row[i] - m[i];                             \
                    a[i] += dv * dv;                                               \
                }                                                                  \
            }                                                                      \
        }                                                                          \
    }
DEF_SQDEV(sqdev_f, float)
DEF_SQDEV(sqdev_d, double)

typedef enum { R_SUM, R_MEAN, R_STD } sum_kind;

static tl_tensor *reduce_sum(const tl_tensor *t, int dim, bool whole, bool keepdim, sum_kind kind) {
    if (!t) return NULL;
    if (kind == R_MEAN && !tl_dtype_is_floating(t->dtype)) {
        tl_error_set(TL_RUNTIME_ERROR, "mean(): could not infer output dtype. Input dtype must be either a floating "
                                       "point or complex dtype. Got: %s", scalar_type_name(t->dtype));
        return NULL;
    }
    if (kind == R_STD && !tl_dtype_is_floating(t->dtype)) {
        tl_error_set(TL_RUNTIME_ERROR, "std and var only support floating point and complex dtypes");
        return NULL;
    }
    if (!whole && !wrap_dim(&dim, t->ndim)) return NULL;
    if (tl_is_cuda(t)) return cuda_reduce_sum(t, dim, whole, keepdim, kind);   // chapter 08
    reduction r;
    if (!reduction_setup(&r, t, dim, whole, keepdim)) return NULL;
    tl_dtype out_dt = tl_dtype_is_floating(t->dtype) ? t->dtype : TL_INT64;
    int64_t m = r.outer * r.inner;
    double *acc = malloc(sizeof(double) * (size_t)(2 * m + 1));  // sums, then deviations
    tl_tensor *out = acc ? tl_empty(r.out_shape, out_dt) : NULL;
    if (out && !tl_dtype_is_floating(t->dtype)) {  // integer sums land directly in the result
        uint64_t *y = (uint64_t *)tensor_data(out);
        if (t->dtype == TL_BOOL) sum_b(&r, y);
        else sum_i(&r, y);
    } else if (out) {
        if (t->dtype == TL_FLOAT32) sum_f(&r, acc);
        else sum_d(&r, acc);
        if (kind != R_SUM)
            for (int64_t j = 0; j < m; j++) acc[j] /= (double)r.n;  // 0/0 = NaN for an empty mean
        if (kind == R_STD) {
            double *dev = acc + m;
            if (t->dtype == TL_FLOAT32) sqdev_f(&r, acc, dev);
            else sqdev_d(&r, acc, dev);
            for (int64_t j = 0; j < m; j++) acc[j] = sqrt(dev[j] / (double)(r.n - 1));  // unbiased
        }
        if (out_dt == TL_FLOAT32) {
            float *y = (float *)tensor_data(out);
            for (int64_t j = 0; j < m; j++) y[j] = (float)acc[j];
        } else {
            memcpy(tensor_data(out), acc, sizeof(double) * (size_t)m);
        }
    }
    free(acc);
    free(r.scratch);
#line 1188 "chapters/03-autograd/03-autograd.md"
    if (out) record_sum(kind, out, t, dim, whole, keepdim, r.n);   // chapter 03
#line 4048 "chapters/01-tensors/01-tensors.md"
    return out;
}

tl_tensor *tl_sum(const tl_tensor *t) { return reduce_sum(t, 0, true, false, R_SUM); }
tl_tensor *tl_sum_dim(const tl_tensor *t, int dim, bool keepdim) { return reduce_sum(t, dim, false, keepdim, R_SUM); }
tl_tensor *tl_mean(const tl_tensor *t) { return reduce_sum(t, 0, true, false, R_MEAN); }
tl_tensor *tl_mean_dim(const tl_tensor *t, int dim, bool keepdim) { return reduce_sum(t, dim, false, keepdim, R_MEAN); }
tl_tensor *tl_std(const tl_tensor *t) { return reduce_sum(t, 0, true, false, R_STD); }
tl_tensor *tl_std_dim(const tl_tensor *t, int dim, bool keepdim) { return reduce_sum(t, dim, false, keepdim, R_STD); }
#line 2590 "chapters/01-tensors/01-tensors.md"
#line 4064 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// max/min/argmax: the best value and the index of its first occurrence; NaN beats all.
#define DEF_ARGBEST(NAME, T, BETTER)                                               \
    static void NAME(const reduction *r, void *best_, int64_t *index) {            \
        T *best = (T *)best_;                                                      \
        const T *x = (const T *)r->x.data;                                         \
        for (int64_t o = 0; o < r->outer; o++) {                                   \
            T *b = best + o * r->inner;                                            \
            int64_t *ix = index + o * r->inner;                                    \
            const T *row0 = x + o * r->n * r->inner;                               \
            for (int64_t i = 0; i < r->inner; i++) { b[i] = row0[i]; ix[i] = 0; }  \
            for (int64_t k = 1; k < r->n; k++) {                                   \
                const T *row = row0 + k * r->inner;                                \
                for (int64_t i = 0; i < r->inner; i++) {                           \
                    T v = row[i];                                                  \
                    if (b[i] == b[i] && (v BETTER b[i] || v != v)) { b[i] = v; ix[i] = k; } \
                }                                                                  \
            }                                                                      \
        }                                                                          \
    }
DEF_ARGBEST(argmax_b, bool, >)
DEF_ARGBEST(argmax_i, int64_t, >)
DEF_ARGBEST(argmax_f, float, >)
DEF_ARGBEST(argmax_d, double, >)
DEF_ARGBEST(argmin_b, bool, <)
DEF_ARGBEST(argmin_i, int64_t, <)
DEF_ARGBEST(argmin_f, float, <)
DEF_ARGBEST(argmin_d, double, <)

typedef void (*argbest_fn)(const reduction *r, void *best, int64_t *index);
static const argbest_fn argbest_kernels[2][4] = {   // [is_min][dtype]
    { argmax_b, argmax_i, argmax_f, argmax_d },
    { argmin_b, argmin_i, argmin_f, argmin_d },
};

// The common body of max, min, max(dim), min(dim), argmax and argmax(dim). want_values
// and indices_out choose the outputs; an output nobody asked for goes to scratch.
static tl_tensor *reduce_best(const tl_tensor *t, int dim, bool whole, bool keepdim, bool is_min, const char *name,
                              bool want_values, tl_tensor **indices_out) {
    if (!t) return NULL;
    if (!want_values && t->dtype == TL_BOOL) {
        tl_error_set(TL_RUNTIME_ERROR, "\"argmax_cpu\" not implemented for 'Bool'");
        return NULL;
    }
    if (!whole && !wrap_dim(&dim, t->ndim)) return NULL;
    if (whole && tl_numel(t) == 0) {
        if (want_values)
            tl_error_set(TL_RUNTIME_ERROR, "%s(): Expected reduction dim to be specified for input.numel() == 0. "
                                           "Specify the reduction dim with the 'dim' argument.", name);
        else
            tl_error_set(TL_INDEX_ERROR, "%s(): Expected reduction dim to be specified for input.numel() == 0.", name);
        return NULL;
    }
    if (!whole && t->ndim && t->shape[dim] == 0) {
        tl_error_set(TL_INDEX_ERROR, "%s(): Expected reduction dim %d to have non-zero size.", name, dim);
        return NULL;
    }
    if (tl_is_cuda(t)) return cuda_reduce_best(t, dim, whole, keepdim, is_min, want_values, indices_out);   // chapter 08
    reduction r;
    if (!reduction_setup(&r, t, dim, whole, keepdim)) return NULL;
    int64_t m = r.outer * r.inner;
    bool want_index = !want_values || indices_out;
#line 1192 "chapters/03-autograd/03-autograd.md"
    if (want_values && !whole && tl_needs_record(&t, 1)) want_index = true;   // chapter 03: the rule needs them
#line 4127 "chapters/01-tensors/01-tensors.md"
    void *scratch = malloc((size_t)(m > 0 ? m : 1) * (want_values ? sizeof(int64_t) : tl_dtype_size(t->dtype)));
    tl_tensor *values = want_values && scratch ? tl_empty(r.out_shape, t->dtype) : NULL;
    tl_tensor *index = want_index && scratch ? tl_empty(r.out_shape, TL_INT64) : NULL;
    if ((values || !want_values) && (index || !want_index) && scratch) {
        if (m > 0)
            argbest_kernels[is_min][t->dtype](&r, values ? tensor_data(values) : scratch,
                                              index ? (int64_t *)tensor_data(index) : (int64_t *)scratch);
    } else {
        values = index = NULL;
    }
    free(scratch);
    free(r.scratch);
#line 1196 "chapters/03-autograd/03-autograd.md"
    if (want_values && values) record_best(values, index, t, dim, whole, keepdim, is_min);   // chapter 03
#line 4140 "chapters/01-tensors/01-tensors.md"
    if (indices_out) *indices_out = index;
    return want_values ? values : index;
}

tl_tensor *tl_max(const tl_tensor *t) { return reduce_best(t, 0, true, false, false, "max", true, NULL); }
tl_tensor *tl_min(const tl_tensor *t) { return reduce_best(t, 0, true, false, true, "min", true, NULL); }
tl_tensor *tl_max_dim(const tl_tensor *t, int dim, bool keepdim, tl_tensor **indices) {
    return reduce_best(t, dim, false, keepdim, false, "max", true, indices);
}
tl_tensor *tl_min_dim(const tl_tensor *t, int dim, bool keepdim, tl_tensor **indices) {
    return reduce_best(t, dim, false, keepdim, true, "min", true, indices);
}
tl_tensor *tl_argmax(const tl_tensor *t) { return reduce_best(t, 0, true, false, false, "argmax", false, NULL); }
tl_tensor *tl_argmax_dim(const tl_tensor *t, int dim, bool keepdim) {
    return reduce_best(t, dim, false, keepdim, false, "argmax", false, NULL);
}
#line 2591 "chapters/01-tensors/01-tensors.md"
#line 4216 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// gemm2d: C (m x n, rows ldc elements apart) = A (m x k) @ B (k x n), A and B strided
// 2-D views of one dtype. float32/float64 -> OpenBLAS; int64 -> exact i-k-j loop.

// How BLAS can read the 2-D view v: NoTrans (element (i, j) at i*ld + j), Trans
// (element (i, j) at j*ld + i), or not at all (false). A size-1 dim's stride is free.
static bool blas_layout(const view *v, CBLAS_TRANSPOSE *trans, int64_t *ld) {
    int64_t rows = v->shape[0], cols = v->shape[1];
    int64_t s0 = v->stride[0], s1 = v->stride[1];
    if ((cols == 1 || s1 == 1) && (rows == 1 || s0 >= (cols > 1 ? cols : 1))) {
        *trans = CblasNoTrans;
        *ld = rows == 1 ? (cols > 1 ? cols : 1) : s0;
        return true;
    }
    if ((rows == 1 || s0 == 1) && (cols == 1 || s1 >= (rows > 1 ? rows : 1))) {
        *trans = CblasTrans;
        *ld = cols == 1 ? (rows > 1 ? rows : 1) : s1;
        return true;
    }
    return false;
}

// a BLAS-readable version of the 2-D view v: v itself, or a contiguous copy
static bool blas_operand(const view *v, view *out, void **scratch, CBLAS_TRANSPOSE *trans, int64_t *ld) {
    *scratch = NULL;
    *out = *v;
    if (blas_layout(v, trans, ld)) return true;
    if (!materialize(v, v->dtype, true, out, scratch)) return false;
    return blas_layout(out, trans, ld);
}

// accumulate: C += A @ B instead of C = A @ B (BLAS's beta = 1; addmm uses it)
static bool gemm2d(const view *a, const view *b, char *c, int64_t ldc, bool accumulate) {
    int64_t m = a->shape[0], k = a->shape[1], n = b->shape[1];
    tl_dtype dt = a->dtype;
    size_t es = tl_dtype_size(dt);
    if (m == 0 || n == 0) return true;
    // C = A @ B is computed as C = 0, then C += A @ B: for BLAS that is beta = 1 after our zeroing
    // (OpenBLAS's beta = 0 zeroes C in a pass of its own, then adds: the same numbers, but for a small
    // product its pass costs a tenth of the time), and an empty sum (k = 0) is then done
    if (!accumulate && ldc == n) memset(c, 0, (size_t)(m * n) * es);
    else if (!accumulate)
        for (int64_t i = 0; i < m; i++) memset(c + i * ldc * (int64_t)es, 0, (size_t)n * es);
    if (k == 0) return true;
    if (dt == TL_INT64) {  // i-k-j: the inner loop runs along a row of B and a row of C
        for (int64_t i = 0; i < m; i++) {
            uint64_t *crow = (uint64_t *)(c + i * ldc * (int64_t)es);
            for (int64_t p = 0; p < k; p++) {
                uint64_t aip = (uint64_t)AT(int64_t, a->data, 8, i * a->stride[0] + p * a->stride[1]);
                const char *brow = b->data + p * b->stride[0] * 8;
                if (b->stride[1] == 1) {
                    const uint64_t *bp = (const uint64_t *)brow;
                    for (int64_t j = 0; j < n; j++) crow[j] += aip * bp[j];
                } else {
                    for (int64_t j = 0; j < n; j++) crow[j] += aip * (uint64_t)AT(int64_t, brow, 8, j * b->stride[1]);
                }
            }
        }
        return true;
    }
    if (m > INT_MAX || n > INT_MAX || k > INT_MAX) {
        tl_error_set(TL_RUNTIME_ERROR, "matmul: matrix dimensions exceed the BLAS integer range");
        return false;
    }
    view A, B;
    void *sa, *sb;
    CBLAS_TRANSPOSE ta, tb;
    int64_t lda, ldb;
    if (!blas_operand(a, &A, &sa, &ta, &lda)) return false;
    if (!blas_operand(b, &B, &sb, &tb, &ldb)) {
        free(sa);
        return false;
    }
    if (dt == TL_FLOAT32)
        cblas_sgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, 1.0f, (const float *)A.data, (int)lda,
                    (const float *)B.data, (int)ldb, 1.0f, (float *)c, (int)ldc);
    else
        cblas_dgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, 1.0, (const double *)A.data, (int)lda,
                    (const double *)B.data, (int)ldb, 1.0, (double *)c, (int)ldc);
    free(sa);
    free(sb);
    return true;
}
#line 2592 "chapters/01-tensors/01-tensors.md"
#line 4326 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// Batched products

// Can all dims of a but the last act as ONE dimension of rows (as a.view(-1, k) would)?
// True when each dim of size > 1 steps over exactly the block of the dims after it.
static bool fold_rows(const view *a, int64_t *rows, int64_t *row_stride) {
    int64_t r = 1, first = a->shape[a->ndim - 1], expect = 0;
    bool have = false;
    for (int d = a->ndim - 2; d >= 0; d--) {
        if (a->shape[d] == 1) continue;
        if (!have) {
            first = a->stride[d];
            have = true;
        } else if (a->stride[d] != expect) {
            return false;
        }
        expect = a->stride[d] * a->shape[d];
        r *= a->shape[d];
    }
    *rows = r;
    *row_stride = first;  // with a single row its value does not matter
    return true;
}

// one 2-D product of the walk over a batch, C (rows ldc apart) = A @ B: gemm2d here; chapter 08
// passes its cuBLAS product (ctx: the device). One call per matrix, not per element.
typedef bool (*gemm2d_fn)(const view *a, const view *b, char *c, int64_t ldc, void *ctx);

static bool cpu_gemm2d(const view *a, const view *b, char *c, int64_t ldc, void *ctx) {
    (void)ctx;
    return gemm2d(a, b, c, ldc, false);
}

// One product per batch: a2 and b2 are the matrices of batch 0 (a's and b's last two dims), a and
// b the full operands whose batch dims broadcast to bshape (nb dims; a broadcast dim has stride
// 0); c is the contiguous (bshape..., m, n) result.
static bool gemm_each_batch(const view *a, const view *b, view a2, view b2, int nb, const int64_t *bshape,
                            char *c, gemm2d_fn gemm, void *ctx) {
    int64_t m = a2.shape[0], n = b2.shape[1];
    size_t es = tl_dtype_size(a->dtype);
    int64_t sa[TL_MAX_DIMS], sb[TL_MAX_DIMS], idx[TL_MAX_DIMS] = { 0 };
    for (int d = 0; d < nb; d++) {
        int ja = d - (nb - (a->ndim - 2)), jb = d - (nb - (b->ndim - 2));
        sa[d] = (ja < 0 || a->shape[ja] == 1) ? 0 : a->stride[ja];
        sb[d] = (jb < 0 || b->shape[jb] == 1) ? 0 : b->stride[jb];
    }
    int64_t batches = tl_shape_numel(nb, bshape);
    for (int64_t bi = 0; bi < batches; bi++) {
        int64_t oa = 0, ob = 0;
        for (int d = 0; d < nb; d++) {
            oa += idx[d] * sa[d];
            ob += idx[d] * sb[d];
        }
        view ai = a2, bj = b2;
        ai.data = a->data + oa * (int64_t)es;
        bj.data = b->data + ob * (int64_t)es;
        if (!gemm(&ai, &bj, c + bi * m * n * (int64_t)es, n, ctx)) return false;
        for (int d = nb - 1; d >= 0; d--) {  // next batch index
            if (++idx[d] < bshape[d]) break;
            idx[d] = 0;
        }
    }
    return true;
}

// the matrices a view's last two dims make: rows x cols, with their strides
static view last_matrix(const view *v) {
    return matrix_view(v->data, v->dtype, v->shape[v->ndim - 2], v->shape[v->ndim - 1], v->stride[v->ndim - 2],
                       v->stride[v->ndim - 1]);
}

// a is (batch_a..., m, k), b is (batch_b..., k, n); their batch dims broadcast to bshape
// (nb dims); c is the contiguous (bshape..., m, n) result. gemm computes each 2-D product (ctx:
// its own); as_is: it copies no operand (chapter 08's cuBLAS), so a folded a must be readable by BLAS.
static bool gemm_batched(const view *a, const view *b, int nb, const int64_t *bshape, char *c, gemm2d_fn gemm,
                         void *ctx, bool as_is) {
    view a2 = last_matrix(a), b2 = last_matrix(b), folded = a2;
    CBLAS_TRANSPOSE tr;
    int64_t ld;
    // b has no batch dims and a's fold into its rows: ONE gemm of (batch*m, k) @ (k, n)
    if (b->ndim == 2 && fold_rows(a, &folded.shape[0], &folded.stride[0]) && (!as_is || blas_layout(&folded, &tr, &ld)))
        return gemm(&folded, &b2, c, b2.shape[1], ctx);
    return gemm_each_batch(a, b, a2, b2, nb, bshape, c, gemm, ctx);   // one gemm per batch
}

// The operands as matrices (a 1-D a is a (1, k) matrix, a 1-D b a (k, 1) one) and the result's
// shape, the batch dims then (m, n), leaving out the size-1 dims a 1-D operand brought in.
static tl_shape matmul_views(const tl_tensor *a, const tl_tensor *b, int nb, const int64_t *bshape, view *va,
                             view *vb) {
    *va = view_of(a);
    *vb = view_of(b);
    if (a->ndim == 1) {
        va->shape[1] = va->shape[0]; va->stride[1] = va->stride[0];
        va->shape[0] = 1; va->stride[0] = 0;
        va->ndim = 2;
    }
    if (b->ndim == 1) {
        vb->shape[1] = 1; vb->stride[1] = 0;
        vb->ndim = 2;
    }
    tl_shape s = { 0, { 0 } };
    for (int d = 0; d < nb; d++) s.d[s.ndim++] = bshape[d];
    if (a->ndim > 1) s.d[s.ndim++] = va->shape[va->ndim - 2];
    if (b->ndim > 1) s.d[s.ndim++] = vb->shape[vb->ndim - 1];
    return s;
}

// Allocate the result and run the product.
static tl_tensor *matmul_run(const tl_tensor *a, const tl_tensor *b, int nb, const int64_t *bshape) {
    tl_device dev;
    if (!tl_common_device((const tl_tensor *[]){ a, b }, 2, &dev)) return NULL;
    if (dev.type == TL_CUDA) return cuda_matmul_run(a, b, nb, bshape);   // chapter 08
    view va, vb;
    tl_tensor *out = tl_empty(matmul_views(a, b, nb, bshape, &va, &vb), a->dtype);
    if (!out) return NULL;
    // on failure (out of memory) the result stays in the caller's pool, which frees it
    return gemm_batched(&va, &vb, nb, bshape, tensor_data(out), cpu_gemm2d, NULL, false) ? out : NULL;
}
#line 2593 "chapters/01-tensors/01-tensors.md"
#line 4458 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// matmul's checks, worded as the PyTorch kernel that torch.matmul would reach

static bool check_bool(tl_dtype dt, const char *kernel) {
    if (dt == TL_BOOL) {
        tl_error_set(TL_RUNTIME_ERROR, "\"%s\" not implemented for 'Bool'", kernel);
        return false;
    }
    return true;
}

// mm (addmm_impl_cpu_): shapes, then dtypes, then bool; rows = a's rows after folding
static bool check_mm(const tl_tensor *a, const tl_tensor *b, int64_t rows, int64_t k) {
    int64_t k2 = b->shape[0], n = b->shape[1];
    if (k != k2) {
        tl_error_set(TL_RUNTIME_ERROR, "mat1 and mat2 shapes cannot be multiplied (%lldx%lld and %lldx%lld)",
                     (long long)rows, (long long)k, (long long)k2, (long long)n);
        return false;
    }
    if (a->dtype != b->dtype) {
        tl_error_set(TL_RUNTIME_ERROR, "expected m1 and m2 to have the same dtype, but got: %s != %s",
                     type_meta_name(a->dtype), type_meta_name(b->dtype));
        return false;
    }
    return check_bool(a->dtype, "addmm_impl_cpu_");
}

// mv (addmv): a (rows x k) matrix times a vector of size kv
static bool check_mv(tl_dtype mat_dt, tl_dtype vec_dt, int64_t rows, int64_t k, int64_t kv) {
    if (k != kv) {
        tl_error_set(TL_RUNTIME_ERROR, "size mismatch, got input (%lld), mat (%lldx%lld), vec (%lld)",
                     (long long)rows, (long long)rows, (long long)k, (long long)kv);
        return false;
    }
    if (mat_dt != vec_dt) {
        tl_error_set(TL_RUNTIME_ERROR, "expected scalar type %s but found %s", scalar_type_name(mat_dt),
                     scalar_type_name(vec_dt));
        return false;
    }
    return check_bool(mat_dt, "addmv_impl_cpu");
}

// bmm: batch1 is (batch, m, k); batch2 must be (batch, k, n)
static bool check_bmm(tl_dtype dt1, tl_dtype dt2, int64_t batch, int64_t k, int64_t batch2, int64_t k2) {
    if (batch2 != batch || k2 != k) {
        tl_error_set(TL_RUNTIME_ERROR, "Expected size for first two dimensions of batch2 tensor to be: [%lld, %lld] "
                                       "but got: [%lld, %lld].", (long long)batch, (long long)k, (long long)batch2,
                     (long long)k2);
        return false;
    }
    if (dt1 != dt2) {
        tl_error_set(TL_RUNTIME_ERROR, "expected scalar type %s but found %s", scalar_type_name(dt1),
                     scalar_type_name(dt2));
        return false;
    }
    return check_bool(dt1, "bmm");
}
#line 2594 "chapters/01-tensors/01-tensors.md"
#line 4537 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// mm, bmm, matmul

tl_tensor *tl_mm(const tl_tensor *a, const tl_tensor *b) {
    if (!a || !b) return NULL;
    if (a->ndim != 2) { tl_error_set(TL_RUNTIME_ERROR, "self must be a matrix"); return NULL; }
    if (b->ndim != 2) { tl_error_set(TL_RUNTIME_ERROR, "mat2 must be a matrix"); return NULL; }
    if (!check_mm(a, b, a->shape[0], a->shape[1])) return NULL;
    tl_tensor *out = matmul_run(a, b, 0, NULL);
#line 1311 "chapters/03-autograd/03-autograd.md"
    if (out) record_matmul("MmBackward0", out, a, b);      // chapter 03
#line 4547 "chapters/01-tensors/01-tensors.md"
    return out;
}

tl_tensor *tl_bmm(const tl_tensor *a, const tl_tensor *b) {
    if (!a || !b) return NULL;
    if (a->ndim != 3) { tl_error_set(TL_RUNTIME_ERROR, "batch1 must be a 3D tensor"); return NULL; }
    if (b->ndim != 3) { tl_error_set(TL_RUNTIME_ERROR, "batch2 must be a 3D tensor"); return NULL; }
    if (!check_bmm(a->dtype, b->dtype, a->shape[0], a->shape[2], b->shape[0], b->shape[1])) return NULL;
    tl_tensor *out = matmul_run(a, b, 1, a->shape);
#line 1315 "chapters/03-autograd/03-autograd.md"
    if (out) record_matmul("BmmBackward0", out, a, b);     // chapter 03
#line 4557 "chapters/01-tensors/01-tensors.md"
    return out;
}

static tl_tensor *matmul_forward(const tl_tensor *a, const tl_tensor *b) {
    if (!a || !b) return NULL;
    int da = a->ndim, db = b->ndim;
    if (da == 0 || db == 0) {
        tl_error_set(TL_RUNTIME_ERROR, "both arguments to matmul need to be at least 1D, but they are %dD and %dD", da, db);
        return NULL;
    }
    int64_t k = a->shape[da - 1];
    if (da == 1 && db == 1) {                         // dot product -> 0-d
        if (a->dtype != b->dtype) {
            tl_error_set(TL_RUNTIME_ERROR, "dot : expected both vectors to have same dtype, but found %s and %s",
                         scalar_type_name(a->dtype), scalar_type_name(b->dtype));
            return NULL;
        }
        if (k != b->shape[0]) {
            tl_error_set(TL_RUNTIME_ERROR, "inconsistent tensor size, expected tensor [%lld] and src [%lld] to have the "
                                           "same number of elements, but got %lld and %lld elements respectively",
                         (long long)k, (long long)b->shape[0], (long long)k, (long long)b->shape[0]);
            return NULL;
        }
        if (!check_bool(a->dtype, "dot")) return NULL;
        return matmul_run(a, b, 0, NULL);
    }
    if (db == 1) {                                    // matrix (or folded batch) times vector
        if (!check_mv(a->dtype, b->dtype, tl_shape_numel(da - 1, a->shape), k, b->shape[0])) return NULL;
        return matmul_run(a, b, da - 2, a->shape);
    }
    if (da == 1 && db >= 3) {                         // vector times batch (PyTorch: mv on b.mT, folded)
        int64_t rows = tl_shape_numel(db - 2, b->shape) * b->shape[db - 1];
        if (!check_mv(b->dtype, a->dtype, rows, b->shape[db - 2], k)) return NULL;
        return matmul_run(a, b, db - 2, b->shape);
    }
    if (db == 2 && da != 2) {                         // vector or batch times matrix: mm, folded
        if (!check_mm(a, b, da == 1 ? 1 : tl_shape_numel(da - 1, a->shape), k)) return NULL;
        return matmul_run(a, b, da >= 3 ? da - 2 : 0, a->shape);
    }
    if (da == 2 && db == 2) {
        if (!check_mm(a, b, a->shape[0], k)) return NULL;
        return matmul_run(a, b, 0, NULL);
    }
    // batched: broadcast the batch dims, then bmm on (B, m, k) @ (B, k2, n)
    int nb;
    int64_t bshape[TL_MAX_DIMS];
    if (!broadcast_shapes(da - 2, a->shape, db - 2, b->shape, &nb, bshape)) return NULL;
    int64_t batch = tl_shape_numel(nb, bshape);
    if (!check_bmm(a->dtype, b->dtype, batch, k, batch, b->shape[db - 2])) return NULL;
    return matmul_run(a, b, nb, bshape);
}

tl_tensor *tl_matmul(const tl_tensor *a, const tl_tensor *b) {
    tl_tensor *out = matmul_forward(a, b);
#line 1319 "chapters/03-autograd/03-autograd.md"
    if (out) record_matmul(matmul_name(a->ndim, b->ndim), out, a, b);   // chapter 03
#line 4612 "chapters/01-tensors/01-tensors.md"
    return out;
}
#line 4650 "chapters/01-tensors/01-tensors.md"

// bias can be expanded to (m, n)? (PyTorch expands it first, with expand's messages)
static bool check_addmm_bias(const tl_tensor *bias, int64_t m, int64_t n) {
    static const char *type_names[] = { "torch.BoolTensor", "torch.LongTensor", "torch.FloatTensor",
                                        "torch.DoubleTensor" };
    int64_t target[2] = { m, n };
    char bs[TL_MAX_DIMS * 24], ts[64];
    if (bias->ndim > 2) {
        tl_error_set(TL_RUNTIME_ERROR, "expand(%s{%s}, size=%s): the number of sizes provided (2) must be greater "
                     "or equal to the number of dimensions in the tensor (%d)", type_names[bias->dtype],
                     shape_str(bs, sizeof bs, bias->ndim, bias->shape), shape_str(ts, sizeof ts, 2, target),
                     bias->ndim);
        return false;
    }
    for (int i = 1, j = bias->ndim - 1; j >= 0; i--, j--) {
        if (bias->shape[j] != 1 && bias->shape[j] != target[i]) {
            tl_error_set(TL_RUNTIME_ERROR, "The expanded size of the tensor (%lld) must match the existing size "
                         "(%lld) at non-singleton dimension %d.  Target sizes: %s.  Tensor sizes: %s",
                         (long long)target[i], (long long)bias->shape[j], i, shape_str(ts, sizeof ts, 2, target),
                         shape_str(bs, sizeof bs, bias->ndim, bias->shape));
            return false;
        }
    }
    return true;
}

// out (m, n), contiguous = bias in every row, then out += a @ b (BLAS's beta = 1). A bias that is
// one contiguous row of n goes in with a memcpy per row; any other (broadcast) bias by copy_view.
// addmm and chapter 04's F.linear both finish here.
static bool addmm_into(tl_tensor *out, const tl_tensor *bias, const view *a, const view *b) {
    int64_t m = out->shape[0], n = out->shape[1];
    if (bias->ndim == 1 && bias->shape[0] == n && bias->stride[0] == 1 && bias->dtype == out->dtype) {
        size_t row = (size_t)n * tl_dtype_size(out->dtype);
        for (int64_t i = 0; i < m; i++) memcpy(tensor_data(out) + i * (int64_t)row, tensor_data(bias), row);
    } else {
        view vo = view_of(out), vb = view_of(bias);
        copy_view(&vo, &vb);
    }
    return gemm2d(a, b, tensor_data(out), n, true);
}

tl_tensor *tl_addmm(const tl_tensor *bias, const tl_tensor *a, const tl_tensor *b) {
    if (!bias || !a || !b) return NULL;
    if (a->ndim != 2) { tl_error_set(TL_RUNTIME_ERROR, "mat1 must be a matrix, got %d-D tensor", a->ndim); return NULL; }
    if (b->ndim != 2) { tl_error_set(TL_RUNTIME_ERROR, "mat2 must be a matrix, got %d-D tensor", b->ndim); return NULL; }
    if (bias->dtype != b->dtype) {
        tl_error_set(TL_RUNTIME_ERROR, "self and mat2 must have the same dtype");
        return NULL;
    }
    int64_t m = a->shape[0], n = b->shape[1];
    if (!check_addmm_bias(bias, m, n) || !check_mm(a, b, m, a->shape[1])) return NULL;
    tl_device dev;
    if (!tl_common_device((const tl_tensor *[]){ a, b, bias }, 3, &dev)) return NULL;
    if (dev.type == TL_CUDA) {                                               // chapter 08
        tl_tensor *out = cuda_addmm(bias, a, b);
        if (out) record_addmm(out, bias, a, b);
        return out;
    }
    tl_tensor *out = tl_empty(TL_SHAPE(m, n), a->dtype);
    view va = view_of(a), vb = view_of(b);
    if (!out || !addmm_into(out, bias, &va, &vb)) return NULL;
#line 1323 "chapters/03-autograd/03-autograd.md"
    record_addmm(out, bias, a, b);                         // chapter 03
#line 4712 "chapters/01-tensors/01-tensors.md"
    return out;
}
#line 2595 "chapters/01-tensors/01-tensors.md"
#line 596 "chapters/03-autograd/03-autograd.md"
// ----------------------------------------------------------------------------
// In place (chapter 03): copy_, add_, and sum_to_size (add into a smaller destination)

#define DEF_ACC(NAME, T)                                                           \
    static void NAME(char **d, const int64_t *s, int64_t n, void *ctx) {           \
        (void)ctx;                                                                 \
        for (int64_t i = 0; i < n; i++) AT(T, d[0], s[0], i) += AT(T, d[1], s[1], i); \
    }
DEF_ACC(acc_i, int64_t)
DEF_ACC(acc_f, float)
DEF_ACC(acc_d, double)
static void acc_b(char **d, const int64_t *s, int64_t n, void *ctx) {   // bool + bool is "or"
    (void)ctx;
    for (int64_t i = 0; i < n; i++) AT(bool, d[0], s[0], i) |= AT(bool, d[1], s[1], i);
}
static const row_kernel acc_kernels[4] = { acc_b, acc_i, acc_f, acc_d };

static bool inplace_allowed(const tl_tensor *dst) {
    if (!dst->requires_grad || !tl_grad_enabled()) return true;
    if (!dst->grad_fn)
        tl_error_set(TL_RUNTIME_ERROR, "a leaf Variable that requires grad is being used in an in-place operation.");
    else
        tl_error_set(TL_RUNTIME_ERROR, "Torchlet does not record in-place operations: this tensor is part of a "
                     "graph (use an out-of-place operation, or work on a detached tensor)");
    return false;
}

// src must broadcast to exactly dst's shape
static bool inplace_shapes(const tl_tensor *dst, const tl_tensor *src) {
    int nd;
    int64_t shape[TL_MAX_DIMS];
    if (!broadcast_shapes(dst->ndim, dst->shape, src->ndim, src->shape, &nd, shape)) return false;
    bool same = nd == dst->ndim;
    for (int i = 0; same && i < nd; i++) same = shape[i] == dst->shape[i];
    if (!same) {
        char a[TL_MAX_DIMS * 24], b[TL_MAX_DIMS * 24];
        tl_error_set(TL_RUNTIME_ERROR, "output with shape %s doesn't match the broadcast shape %s",
                     shape_str(a, sizeof a, dst->ndim, dst->shape), shape_str(b, sizeof b, nd, shape));
        return false;
    }
    return true;
}

// walk the shape (ndim, shape) with dst and src broadcast to it: dst += src (accumulate) or
// dst = src, src converted to dst's dtype
static bool inplace_run(bool accumulate, const tl_tensor *dst, const tl_tensor *src, int ndim,
                        const int64_t *shape) {
    if (tl_is_cuda(dst) || tl_is_cuda(src)) return cuda_inplace(accumulate, dst, src, ndim, shape);   // chapter 08
    row_kernel kernel = accumulate ? acc_kernels[dst->dtype] : cast_kernels[dst->dtype][dst->dtype];
    view vs = view_of(src), cs;
    void *scratch;
    if (!materialize(&vs, dst->dtype, false, &cs, &scratch)) return false;
    view ops[2] = { view_of(dst), cs };
    iter it;
    iter_init(&it, ndim, shape, 2, ops);
    iter_run(&it, kernel, NULL);
    free(scratch);
    return true;
}

tl_tensor *tl_copy_(tl_tensor *dst, const tl_tensor *src) {
    if (!dst || !src) return NULL;
    if (!inplace_allowed(dst) || !inplace_shapes(dst, src)) return NULL;
    return inplace_run(false, dst, src, dst->ndim, dst->shape) ? dst : NULL;
}

tl_tensor *tl_add_(tl_tensor *dst, const tl_tensor *src) {
    if (!dst || !src) return NULL;
    if (!inplace_allowed(dst)) return NULL;
    tl_dtype rt = tl_result_type(dst, src);
    if ((tl_dtype_is_floating(rt) && !tl_dtype_is_floating(dst->dtype)) || (rt != TL_BOOL && dst->dtype == TL_BOOL)) {
        tl_error_set(TL_RUNTIME_ERROR, "result type %s can't be cast to the desired output type %s",
                     scalar_type_name(rt), scalar_type_name(dst->dtype));
        return NULL;
    }
    if (!inplace_shapes(dst, src)) return NULL;
    return inplace_run(true, dst, src, dst->ndim, dst->shape) ? dst : NULL;
}

static void sum_to_size_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    grads[0] = tl_expand(g, node->input_shape[0]);
}

// The common case on the CPU, a contiguous float t summed over its leading dims down to its
// trailing ones (a bias's gradient: rows summed into one): the rows added in order, as
// inplace_run's walk adds them, the same numbers without building the walk.
#define DEF_SUM_ROWS(NAME, T)                                                      \
    static void NAME(T *restrict out, const T *restrict t, int64_t rows, int64_t n) { \
        for (int64_t r = 0; r < rows; r++)                                         \
            for (int64_t j = 0; j < n; j++) out[j] += t[r * n + j];                \
    }
DEF_SUM_ROWS(sum_rows_f, float)
DEF_SUM_ROWS(sum_rows_d, double)

static bool sum_leading_dims(tl_tensor *out, const tl_tensor *t) {
    int lead = t->ndim - out->ndim;
    bool trailing = !tl_is_cuda(t) && tl_dtype_is_floating(t->dtype) && tl_is_contiguous(t);
    for (int i = 0; trailing && i < out->ndim; i++) trailing = out->shape[i] == t->shape[lead + i];
    if (!trailing) return false;
    int64_t n = tl_numel(out), rows = n ? tl_numel(t) / n : 0;
    if (t->dtype == TL_FLOAT32) sum_rows_f(tl_data_ptr(out), tl_data_ptr(t), rows, n);
    else sum_rows_d(tl_data_ptr(out), tl_data_ptr(t), rows, n);
    return true;
}

tl_tensor *tl_sum_to_size(const tl_tensor *t, tl_shape shape) {
    if (!t) return NULL;
    // shape must expand to t's shape: fewer or equal dims, each equal or 1
    bool ok = shape.ndim >= 0 && shape.ndim <= t->ndim;
    for (int i = 0; ok && i < shape.ndim; i++) {
        int64_t want = shape.d[shape.ndim - 1 - i], have = t->shape[t->ndim - 1 - i];
        ok = want == have || want == 1;
    }
    if (!ok) {
        char a[TL_MAX_DIMS * 24], b[TL_MAX_DIMS * 24];
        tl_error_set(TL_RUNTIME_ERROR, "size {%s} is not expandable to size {%s}.",
                     shape_str(a, sizeof a, shape.ndim < 0 ? 0 : shape.ndim, shape.d),
                     shape_str(b, sizeof b, t->ndim, t->shape));
        return NULL;
    }
    tl_tensor *out = tl_zeros_on(shape, t->dtype, t->storage->device);
    if (!out || (!sum_leading_dims(out, t) && !inplace_run(true, out, t, t->ndim, t->shape))) return NULL;
    // PyTorch sums with keepdim, then views away the leading dims: its grad_fn says which
    tl_record(shape.ndim < t->ndim ? "ViewBackward0" : "SumBackward1", sum_to_size_backward, out, &t, 1);
    return out;
}
#line 782 "chapters/03-autograd/03-autograd.md"
// ----------------------------------------------------------------------------
// Local rules of the binary element-wise ops (chapter 03)

// keep operand t of a recorded op: a tensor as it is; a wrapped Python number (which may
// live on the caller's stack) as a copy
static void save_operand(tl_node *node, const tl_tensor *t) {
    if (!t->wrapped_number) { tl_node_save(node, t); return; }
    double v = tl_item(t);
    tl_node_save(node, tl_dtype_is_floating(t->dtype) ? tl_number(v) : tl_int((int64_t)v));
}

static void add_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    grads[0] = grads[1] = (tl_tensor *)g;
}

static void sub_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    grads[0] = (tl_tensor *)g;
    if (node->needs_grad[1]) grads[1] = tl_neg(g);
}

static void mul_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    const tl_tensor *a = node->saved[0], *b = node->saved[1];
    if (node->needs_grad[0]) grads[0] = tl_mul(g, b);
    if (node->needs_grad[1]) grads[1] = tl_mul(g, a);
}

static void div_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    const tl_tensor *a = node->saved[0], *b = node->saved[1];
    if (node->needs_grad[0]) grads[0] = tl_div(g, b);
    if (node->needs_grad[1]) grads[1] = tl_neg(tl_div(tl_mul(g, a), tl_mul(b, b)));
}

// a ** e, e a number: g * e * a^(e-1) (0 when e == 0)
static void pow_scalar_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    const tl_tensor *a = node->saved[0];
    double e = tl_item(node->saved[1]);
    grads[0] = e == 0 ? tl_zeros_like(g) : tl_mul(tl_mul_scalar(g, e), tl_pow_scalar(a, e - 1));
}

// a ** b, b a tensor
static void pow_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    const tl_tensor *a = node->saved[0], *b = node->saved[1], *y = node->saved[2];
    if (node->needs_grad[0]) grads[0] = tl_mul(tl_mul(g, b), tl_pow(a, tl_sub_scalar(b, 1)));
    if (node->needs_grad[1]) {
        tl_tensor *d = tl_mul(tl_mul(g, y), tl_log(a));
        // where a == 0 and b >= 0 the limit is 0, not 0 * -inf
        tl_tensor *zero_base = tl_mul(tl_eq_scalar(a, 0), tl_ge_scalar(b, 0));
        grads[1] = tl_where(zero_base, tl_number(0), d);
    }
}

// maximum/minimum: the gradient goes to the winner; a tie splits it in halves
static void best_of_two_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    const tl_tensor *a = node->saved[0], *b = node->saved[1];
    bool is_max = node->ints[0];
    tl_tensor *half = tl_div_scalar(g, 2), *zero = tl_number(0);
    tl_tensor *a_wins = is_max ? tl_gt(a, b) : tl_lt(a, b), *b_wins = is_max ? tl_lt(a, b) : tl_gt(a, b);
    tl_tensor *tie = tl_eq(a, b);
    if (node->needs_grad[0]) grads[0] = tl_where(a_wins, g, tl_where(tie, half, zero));
    if (node->needs_grad[1]) grads[1] = tl_where(b_wins, g, tl_where(tie, half, zero));
}

static void record_binary(binary_op op, tl_tensor *out, const tl_tensor *a, const tl_tensor *b) {
    static const char *const names[] = { [OP_ADD] = "AddBackward0", [OP_SUB] = "SubBackward0",
        [OP_MUL] = "MulBackward0", [OP_DIV] = "DivBackward0", [OP_POW] = "PowBackward0",
        [OP_MAX] = "MaximumBackward0", [OP_MIN] = "MinimumBackward0" };
    static const tl_backward_fn rules[] = { [OP_ADD] = add_backward, [OP_SUB] = sub_backward,
        [OP_MUL] = mul_backward, [OP_DIV] = div_backward, [OP_POW] = pow_scalar_backward,
        [OP_MAX] = best_of_two_backward, [OP_MIN] = best_of_two_backward };
    if (op >= OP_EQ) return;                        // comparisons: bool results
    bool tensor_exponent = op == OP_POW && !b->wrapped_number;
    tl_node *node = tl_record(tensor_exponent ? "PowBackward1" : names[op], tensor_exponent ? pow_backward : rules[op],
                              out, (const tl_tensor *[]){ a, b }, 2);
    if (!node) return;
    node->ints[0] = op == OP_MAX;
    if (op == OP_ADD || op == OP_SUB) return;       // their rules need no values
    save_operand(node, a);
    save_operand(node, b);
    if (tensor_exponent) tl_node_save(node, out);
}
#line 890 "chapters/03-autograd/03-autograd.md"
// ----------------------------------------------------------------------------
// Local rules of the unary ops (chapter 03): one fused kernel each, a = g, b = the saved value
DEF_BINARY(abs_bw_f, float, float, b > 0 ? a : b < 0 ? -a : 0.0f)
DEF_BINARY(abs_bw_d, double, double, b > 0 ? a : b < 0 ? -a : 0.0)
DEF_BINARY(log_bw_f, float, float, a / b)
DEF_BINARY(log_bw_d, double, double, a / b)
DEF_BINARY(sqrt_bw_f, float, float, a / (2 * b))
DEF_BINARY(sqrt_bw_d, double, double, a / (2 * b))
DEF_BINARY(sigmoid_bw_f, float, float, a * b * (1 - b))
DEF_BINARY(sigmoid_bw_d, double, double, a * b * (1 - b))
DEF_BINARY(tanh_bw_f, float, float, a * (1 - b * b))
DEF_BINARY(tanh_bw_d, double, double, a * (1 - b * b))
DEF_BINARY(relu_bw_f, float, float, b > 0 ? a : 0.0f)
DEF_BINARY(relu_bw_d, double, double, b > 0 ? a : 0.0)

// [op][0: float32, 1: float64]; exp's rule is g * y, the product kernel
static const row_kernel unary_backward_kernels[U_COUNT][2] = {
    [U_ABS] = { abs_bw_f, abs_bw_d }, [U_EXP] = { mul_f, mul_d }, [U_LOG] = { log_bw_f, log_bw_d },
    [U_SQRT] = { sqrt_bw_f, sqrt_bw_d }, [U_SIGMOID] = { sigmoid_bw_f, sigmoid_bw_d },
    [U_TANH] = { tanh_bw_f, tanh_bw_d }, [U_RELU] = { relu_bw_f, relu_bw_d },
};

static void unary_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    unary_op op = (unary_op)node->ints[0];
    if (op == U_NEG) { grads[0] = tl_neg(g); return; }
    const tl_tensor *s = node->saved[0];            // x or y, g's shape and dtype
    if (tl_is_cuda(g)) { grads[0] = cuda_unary_backward(op, g, s); return; }   // chapter 08
    tl_tensor *out = tl_empty(tl_shape_of(g), g->dtype);
    if (!out) return;
    row_kernel kernel = unary_backward_kernels[op][g->dtype == TL_FLOAT64];
    if (!run_flat(kernel, 3, (const tl_tensor *[]){ out, g, s })) {
        view ops[3] = { view_of(out), view_of(g), view_of(s) };
        iter it;
        iter_init(&it, g->ndim, g->shape, 3, ops);
        iter_run(&it, kernel, NULL);
    }
    grads[0] = out;
}

static void record_unary(int op, tl_tensor *out, const tl_tensor *t) {
    static const char *const names[U_COUNT] = { [U_NEG] = "NegBackward0", [U_ABS] = "AbsBackward0",
        [U_RELU] = "ReluBackward0", [U_EXP] = "ExpBackward0", [U_LOG] = "LogBackward0",
        [U_SQRT] = "SqrtBackward0", [U_SIGMOID] = "SigmoidBackward0", [U_TANH] = "TanhBackward0" };
    tl_node *node = tl_record(names[op], unary_backward, out, &t, 1);
    if (!node) return;
    node->ints[0] = op;
    if (op == U_ABS || op == U_LOG) tl_node_save(node, t);            // rules in terms of x
    else if (op != U_NEG) tl_node_save(node, out);                    // rules in terms of y
}
#line 956 "chapters/03-autograd/03-autograd.md"
// ----------------------------------------------------------------------------
// Local rules of where, masked_select, index_select, cat, stack (chapter 03)
static void where_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    const tl_tensor *cond = node->saved[0];
    tl_tensor *zero = tl_number(0);
    if (node->needs_grad[1]) grads[1] = tl_where(cond, g, zero);
    if (node->needs_grad[2]) grads[2] = tl_where(cond, zero, g);
}

// masked_select's reverse: the elements of g, in order, go where the mask is true
#define DEF_UNSELECT(NAME, T)                                                      \
    static void NAME(char **d, const int64_t *s, int64_t n, void *ctx) {           \
        const T **src = (const T **)ctx;                                           \
        for (int64_t i = 0; i < n; i++)                                            \
            if (AT(bool, d[1], s[1], i)) AT(T, d[0], s[0], i) = *(*src)++;         \
    }
DEF_UNSELECT(unselect_f, float)
DEF_UNSELECT(unselect_d, double)

static void masked_select_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    const tl_tensor *mask = node->saved[0];
    if (tl_is_cuda(g)) { grads[0] = cuda_masked_select_backward(node, g); return; }   // chapter 08
    tl_shape in = node->input_shape[0];
    int nd;
    int64_t shape[TL_MAX_DIMS];
    broadcast_shapes(mask->ndim, mask->shape, in.ndim, in.d, &nd, shape);   // checked in the forward
    tl_shape s = { nd, { 0 } };
    for (int i = 0; i < nd; i++) s.d[i] = shape[i];
    tl_tensor *out = tl_zeros(s, g->dtype), *gc = tl_contiguous(g);
    if (!out || !gc) return;
    const void *cursor = tensor_data(gc);
    view ops[2] = { view_of(out), view_of(mask) };
    iter it;
    iter_init(&it, nd, shape, 2, ops);
    iter_run(&it, g->dtype == TL_FLOAT64 ? unselect_d : unselect_f, &cursor);
    grads[0] = out;                                 // the engine sums it back to the input's shape
}

static void index_select_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    const tl_tensor *index = node->saved[0];
    int dim = (int)node->ints[0];
    if (node->input_shape[0].ndim == 0) { grads[0] = (tl_tensor *)g; return; }   // a 0-d input
    if (tl_is_cuda(g)) { grads[0] = cuda_index_select_backward(node, g); return; }   // chapter 08
    tl_tensor *out = tl_zeros(node->input_shape[0], g->dtype);
    if (!out) return;
    view vo = view_of(out), vg = view_of(g), vi = view_of(index);
    int64_t n = index->ndim ? index->shape[0] : 1, istride = index->ndim ? vi.stride[0] : 0;
    const int64_t *idx = (const int64_t *)vi.data;
    for (int64_t j = 0; j < n; j++) {              // out[..., idx[j], ...] += g[..., j, ...]
        view dst = view_select(&vo, dim, idx[j * istride]), src = view_select(&vg, dim, j);
        iter it;
        view ops[2] = { dst, src };
        iter_init(&it, dst.ndim, dst.shape, 2, ops);
        iter_run(&it, acc_kernels[g->dtype], NULL);
    }
    grads[0] = out;
}

static void cat_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    int dim = (int)node->ints[0];
    int64_t offset = 0;
    for (int i = 0; i < node->ninputs; i++) {
        tl_shape s = node->input_shape[i];
        bool skipped = s.ndim == 1 && s.d[0] == 0;  // cat ignores a 1-D empty tensor
        int64_t size = skipped ? 0 : s.d[dim];
        if (node->needs_grad[i])
            grads[i] = skipped ? tl_zeros(s, g->dtype) : tl_slice(g, dim, offset, offset + size, 1);
        offset += size;
    }
}

static void stack_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    for (int i = 0; i < node->ninputs; i++)
        if (node->needs_grad[i]) grads[i] = tl_select(g, (int)node->ints[0], i);
}
#line 1037 "chapters/03-autograd/03-autograd.md"

static void record_where(tl_tensor *out, const tl_tensor *cond, const tl_tensor *a, const tl_tensor *b) {
    tl_node *node = tl_record("WhereBackward0", where_backward, out, (const tl_tensor *[]){ cond, a, b }, 3);
    tl_node_save(node, cond);
}

static void record_masked_select(tl_tensor *out, const tl_tensor *t, const tl_tensor *mask) {
    tl_node *node = tl_record("MaskedSelectBackward0", masked_select_backward, out, (const tl_tensor *[]){ t, mask }, 2);
    tl_node_save(node, mask);
}

static void record_index_select(tl_tensor *out, const tl_tensor *t, int dim, const tl_tensor *index) {
    tl_node *node = tl_record("IndexSelectBackward0", index_select_backward, out, (const tl_tensor *[]){ t, index }, 2);
    tl_node_save(node, index);
    if (node) node->ints[0] = dim;
}

static void record_join(bool stack, tl_tensor *out, tl_tensor *const *ts, int n, int dim) {
    tl_node *node = tl_record(stack ? "StackBackward0" : "CatBackward0", stack ? stack_backward : cat_backward,
                              out, (const tl_tensor *const *)ts, n);
    if (node) node->ints[0] = dim < 0 ? dim + out->ndim : dim;
}
#line 1095 "chapters/03-autograd/03-autograd.md"
// ----------------------------------------------------------------------------
// Local rules of the reductions (chapter 03). ints: [0] whole, [1] dim, [2] keepdim.

// g with the reduced dim put back as size 1 (it was dropped without keepdim)
static const tl_tensor *unreduce(const tl_node *node, const tl_tensor *g) {
    bool whole = node->ints[0], keepdim = node->ints[2];
    if (whole || keepdim || node->input_shape[0].ndim == 0) return g;
    return tl_unsqueeze(g, (int)node->ints[1]);
}

static void sum_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    grads[0] = tl_expand(unreduce(node, g), node->input_shape[0]);
}

static void mean_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    grads[0] = tl_expand(tl_div_scalar(unreduce(node, g), node->scalar[0]), node->input_shape[0]);
}

static void std_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    const tl_tensor *x = node->saved[0], *y = node->saved[1];
    bool whole = node->ints[0];
    tl_tensor *mean = whole ? tl_mean(x) : tl_mean_dim(x, (int)node->ints[1], true);
    tl_tensor *scale = tl_div(unreduce(node, g), tl_mul_scalar(unreduce(node, y), node->scalar[0] - 1));
    grads[0] = tl_mul(tl_sub(x, mean), scale);
}

static void record_sum(int kind, tl_tensor *out, const tl_tensor *t, int dim, bool whole, bool keepdim,
                       int64_t n) {
    static const char *const names[3][2] = { { "SumBackward1", "SumBackward0" },
                                             { "MeanBackward1", "MeanBackward0" },
                                             { "StdBackward0", "StdBackward0" } };
    static const tl_backward_fn rules[3] = { sum_backward, mean_backward, std_backward };
    tl_node *node = tl_record(names[kind][whole], rules[kind], out, &t, 1);
    if (!node) return;
    node->ints[0] = whole;
    node->ints[1] = dim;
    node->ints[2] = keepdim;
    node->scalar[0] = (double)n;
    if (kind == R_STD) {
        tl_node_save(node, t);
        tl_node_save(node, out);
    }
}

// max(x) / min(x): g shared evenly among the elements equal to the result
static void best_all_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    const tl_tensor *x = node->saved[0], *y = node->saved[1];
    tl_tensor *winners = tl_eq(x, y);
    grads[0] = tl_where(winners, tl_div(g, tl_sum(winners)), tl_number(0));
}

// max(x, dim) / min(x, dim): g goes to the index that won, zeros elsewhere
static void best_dim_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    const tl_tensor *index = node->saved[0];        // contiguous, the result's shape
    if (tl_is_cuda(g)) { grads[0] = cuda_best_dim_backward(node, g); return; }   // chapter 08
    tl_shape in = node->input_shape[0];
    int dim = (int)node->ints[1];
    tl_tensor *out = tl_zeros(in, g->dtype), *gc = tl_contiguous(g);
    if (!out || !gc) return;
    int64_t outer = 1, n = in.ndim ? in.d[dim] : 1, inner = 1;
    for (int d = 0; d < dim; d++) outer *= in.d[d];
    for (int d = dim + 1; d < in.ndim; d++) inner *= in.d[d];
    const int64_t *ix = TL_DATA(index, int64_t);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t src = o * inner + i, dst = (o * n + ix[src]) * inner + i;
            if (g->dtype == TL_FLOAT64) TL_DATA(out, double)[dst] = TL_DATA(gc, double)[src];
            else TL_DATA(out, float)[dst] = TL_DATA(gc, float)[src];
        }
    grads[0] = out;
}

static void record_best(tl_tensor *values, tl_tensor *index, const tl_tensor *t, int dim, bool whole, bool keepdim,
                        bool is_min) {
    const char *name = whole ? (is_min ? "MinBackward1" : "MaxBackward1") : (is_min ? "MinBackward0" : "MaxBackward0");
    tl_node *node = tl_record(name, whole ? best_all_backward : best_dim_backward, values, &t, 1);
    if (!node) return;
    node->ints[0] = whole;
    node->ints[1] = dim;
    node->ints[2] = keepdim;
    if (whole) {
        tl_node_save(node, t);
        tl_node_save(node, values);
    } else {
        tl_node_save(node, index);
    }
}
#line 1231 "chapters/03-autograd/03-autograd.md"
// ----------------------------------------------------------------------------
// Local rules of the matrix products (chapter 03): dA = G B^T, dB = A^T G

// op(a) @ op(b) for 2-D tensors of one dtype, op transposing where asked: a fresh contiguous
// result. On the CPU the transposes are matrix views on the stack, which BLAS reads as flags;
// no tensor is made for them. (The rules run with recording off, so nothing is lost.)
static tl_tensor *mm_rule(const tl_tensor *a, bool ta, const tl_tensor *b, bool tb) {
    if (tl_is_cuda(a) || a->dtype != b->dtype) return tl_mm(ta ? tl_T(a) : a, tb ? tl_T(b) : b);
    view va = ta ? matrix_view(tensor_data(a), a->dtype, a->shape[1], a->shape[0], a->stride[1], a->stride[0])
                 : view_of(a);
    view vb = tb ? matrix_view(tensor_data(b), b->dtype, b->shape[1], b->shape[0], b->stride[1], b->stride[0])
                 : view_of(b);
    tl_tensor *out = tl_empty(TL_SHAPE(va.shape[0], vb.shape[1]), a->dtype);
    if (out && !gemm2d(&va, &vb, tensor_data(out), vb.shape[1], false)) return NULL;
    return out;
}

// dB = A^T G for a 2-D B; when B is a transposed view (a Linear layer's W.T), computed as
// (G^T A)^T, so that the gradient has B's layout and W's gradient comes out contiguous
static tl_tensor *mm_mat2_grad(const tl_tensor *a, const tl_tensor *g, const tl_tensor *b) {
    bool transposed = b->ndim == 2 && b->shape[0] > 1 && b->shape[1] > 1 && b->stride[0] == 1 &&
                      b->stride[1] == b->shape[0];
    return transposed ? tl_T(mm_rule(g, true, a, false)) : mm_rule(a, true, g, false);
}

static void matmul_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    const tl_tensor *a = node->saved[0], *b = node->saved[1];
    bool a_vec = a->ndim == 1, b_vec = b->ndim == 1;
    const tl_tensor *A = a_vec ? tl_unsqueeze(a, 0) : a;          // a row (1, k)
    const tl_tensor *B = b_vec ? tl_unsqueeze(b, 1) : b;          // a column (k, 1)
    const tl_tensor *G = a_vec && b_vec ? tl_reshape(g, TL_SHAPE(1, 1))
                       : a_vec ? tl_unsqueeze(g, -2) : b_vec ? tl_unsqueeze(g, -1) : g;
    // with a vector b the sum over the inner dim has one term: G B^T is an outer product, which
    // PyTorch forms element by element (ger, or mul for dot), so the signs of zeros match it
    if (node->needs_grad[0]) {
        tl_tensor *BT = tl_transpose(B, -1, -2);
        tl_tensor *da = b_vec ? tl_mul(G, BT) : tl_matmul(G, BT);   // (..., m, k)
        grads[0] = a_vec ? tl_squeeze(da, -2) : da;
    }
    if (node->needs_grad[1]) {
        tl_tensor *db = a_vec && b_vec ? tl_mul(tl_transpose(A, -1, -2), G)
                      : A->ndim == 2 && B->ndim == 2 && G->ndim == 2 ? mm_mat2_grad(A, G, B)
                      : tl_matmul(tl_transpose(A, -1, -2), G);               // (..., k, n)
        grads[1] = b_vec ? tl_squeeze(db, -1) : db;
    }
}

static void record_matmul(const char *name, tl_tensor *out, const tl_tensor *a, const tl_tensor *b) {
    tl_node *node = tl_record(name, matmul_backward, out, (const tl_tensor *[]){ a, b }, 2);
    tl_node_save(node, a);
    tl_node_save(node, b);
}

// the grad_fn torch.matmul shows for each row of the table (PyTorch 2.x; the batched rows
// as PyTorch 1.13 names them)
static const char *matmul_name(int da, int db) {
    if (da == 1 && db == 1) return "DotBackward0";
    if (da == 2 && db == 1) return "MvBackward0";
    if (da == 1 && db == 2) return "SqueezeBackward4";
    if (da == 2 && db == 2) return "MmBackward0";
    if (da == 2) return "CloneBackward0";
    return "UnsafeViewBackward0";
}

// addmm(bias, a, b): d bias = G (summed over rows by the engine), then as for a @ b
static void addmm_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    const tl_tensor *a = node->saved[0], *b = node->saved[1];
    if (node->needs_grad[0]) grads[0] = (tl_tensor *)g;
    if (node->needs_grad[1]) grads[1] = mm_rule(g, false, b, true);
    if (node->needs_grad[2]) grads[2] = mm_mat2_grad(a, g, b);
}

static void record_addmm(tl_tensor *out, const tl_tensor *bias, const tl_tensor *a, const tl_tensor *b) {
    tl_node *node = tl_record("AddmmBackward0", addmm_backward, out, (const tl_tensor *[]){ bias, a, b }, 3);
    tl_node_save(node, a);
    tl_node_save(node, b);
}
#line 2596 "chapters/01-tensors/01-tensors.md"
#line 1729 "chapters/04-mlp/04-mlp.md"
// ----------------------------------------------------------------------------
// F.linear (chapter 04)

// dbias = G (the engine sums its rows), dx = G W, dW = G^T x (W's own layout)
static void linear_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    const tl_tensor *x = node->saved[0], *w = node->saved[1];
    if (node->needs_grad[0]) grads[0] = (tl_tensor *)g;
    if (node->needs_grad[1]) grads[1] = mm_rule(g, false, w, false);
    if (node->needs_grad[2]) grads[2] = mm_rule(g, true, x, false);
}

// the one-node path applies: a 2-D float x and weight on the CPU that fit, and a bias of size out
static bool linear_fused(const tl_tensor *x, const tl_tensor *w, const tl_tensor *bias) {
    return bias && x->ndim == 2 && w->ndim == 2 && bias->ndim == 1 && x->shape[1] == w->shape[1] &&
           bias->shape[0] == w->shape[0] && tl_dtype_is_floating(x->dtype) && x->dtype == w->dtype &&
           bias->dtype == w->dtype && !tl_is_cuda(x) && !tl_is_cuda(w) && !tl_is_cuda(bias);
}

tl_tensor *tl_linear(const tl_tensor *x, const tl_tensor *weight, const tl_tensor *bias) {
    if (!x || !weight) return NULL;
    if (!linear_fused(x, weight, bias)) {                    // F.linear's composite: addmm, or @ then +
        if (x->ndim == 2 && bias) return tl_addmm(bias, x, tl_T(weight));
        tl_tensor *y = tl_matmul(x, tl_T(weight));
        return bias ? tl_add(y, bias) : y;
    }
    int64_t m = x->shape[0], k = x->shape[1], n = weight->shape[0];
    tl_tensor *out = tl_empty(TL_SHAPE(m, n), x->dtype);
    view vx = view_of(x);
    view wt = matrix_view(tensor_data(weight), weight->dtype, k, n, weight->stride[1], weight->stride[0]);
    if (!out || !addmm_into(out, bias, &vx, &wt)) return NULL;   // out = bias + x @ W^T, as addmm
    tl_node *node = tl_record("AddmmBackward0", linear_backward, out, (const tl_tensor *[]){ bias, x, weight }, 3);
    tl_node_save(node, x);
    tl_node_save(node, weight);
    return out;
}
#line 2597 "chapters/01-tensors/01-tensors.md"
#line 1520 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// The CUDA side of the ops (chapter 08): each function takes over after the CPU driver has
// checked the arguments, promoted the dtypes and broadcast the shapes, and makes its result
// on the operands' device with one launch. The same record_* hooks build the graph.

// a no-grad contiguous version of t (on t's device)
static const tl_tensor *cuda_contiguous(const tl_tensor *t) {
    tl_grad_mode_push(false);
    const tl_tensor *c = tl_contiguous(t);
    tl_grad_mode_pop();
    return c;
}

static tl_tensor *cuda_binary(int op, const tl_tensor *a, const tl_tensor *b, tl_dtype ct, tl_dtype out_dt,
                              tl_shape s, tl_device dev) {
    tl_tensor *out = tl_empty_on(s, out_dt, dev);
    if (!out) return NULL;
    tl_cuda_ew e;
    tl_cuda_ew_init(&e, s.ndim, s.d);
    tl_cuda_ew_set(&e, 0, out);
    tl_cuda_ew_set(&e, 1, a);
    tl_cuda_ew_set(&e, 2, b);
    if (!tl_cuda_binary(dev.index, op, ct, &e)) return NULL;
    record_binary((binary_op)op, out, a, b);
    return out;
}

static tl_tensor *cuda_unary(int op, const tl_tensor *t, tl_dtype ct) {
    tl_tensor *out = tl_empty_on(tl_shape_of(t), ct, t->storage->device);
    if (!out) return NULL;
    tl_cuda_ew e;
    tl_cuda_ew_init(&e, t->ndim, t->shape);
    tl_cuda_ew_set(&e, 0, out);
    tl_cuda_ew_set(&e, 1, t);
    if (!tl_cuda_unary(t->storage->device.index, op, ct, &e)) return NULL;
    record_unary(op, out, t);
    return out;
}

static tl_tensor *cuda_where(const tl_tensor *cond, const tl_tensor *a, const tl_tensor *b, tl_dtype ct, tl_shape s,
                             tl_device dev) {
    tl_tensor *out = tl_empty_on(s, ct, dev);
    if (!out) return NULL;
    tl_cuda_ew e;
    tl_cuda_ew_init(&e, s.ndim, s.d);
    tl_cuda_ew_set(&e, 0, out);
    tl_cuda_ew_set(&e, 1, cond);
    tl_cuda_ew_set(&e, 2, a);
    tl_cuda_ew_set(&e, 3, b);
    if (!tl_cuda_where(dev.index, ct, &e)) return NULL;
    record_where(out, cond, a, b);
    return out;
}

// max(x, dim)'s rule on a GPU: g goes where the position along dim equals the saved index,
// i.e. where(arange(n) == index, g, 0), all three broadcast to the input's shape
static tl_tensor *cuda_best_dim_backward(const tl_node *node, const tl_tensor *g) {
    const tl_tensor *index = node->saved[0];
    tl_shape in = node->input_shape[0];
    int dim = (int)node->ints[1];
    if (in.ndim == 0) return tl_clone(g);
    bool keepdim = node->ints[2] != 0;
    const tl_tensor *gk = keepdim ? g : tl_unsqueeze(g, dim), *ik = keepdim ? index : tl_unsqueeze(index, dim);
    tl_shape ps = { in.ndim, { 0 } };
    for (int d = 0; d < in.ndim; d++) ps.d[d] = d == dim ? in.d[d] : 1;
    tl_tensor *positions = tl_to_device(tl_reshape(tl_arange(0, in.d[dim], 1), ps), tl_device_of(g));
    return tl_where(tl_eq(positions, ik), gk, tl_number(0));
}

// the rule of unary op `op` as one fused kernel: g and the saved x or y in, dx out
static tl_tensor *cuda_unary_backward(int op, const tl_tensor *g, const tl_tensor *saved) {
    static const int rules[U_COUNT] = { [U_ABS] = TL_CUDA_ABS_BW, [U_EXP] = TL_CUDA_MUL, [U_LOG] = TL_CUDA_LOG_BW,
        [U_SQRT] = TL_CUDA_SQRT_BW, [U_SIGMOID] = TL_CUDA_SIGMOID_BW, [U_TANH] = TL_CUDA_TANH_BW,
        [U_RELU] = TL_CUDA_RELU_BW };
    tl_tensor *out = tl_empty_like(g);
    if (!out) return NULL;
    tl_cuda_ew e;
    tl_cuda_ew_init(&e, g->ndim, g->shape);
    tl_cuda_ew_set(&e, 0, out);
    tl_cuda_ew_set(&e, 1, g);
    tl_cuda_ew_set(&e, 2, saved);
    return tl_cuda_binary(g->storage->device.index, rules[op], g->dtype, &e) ? out : NULL;
}

// sum and mean on the device; reduction_setup only reads the layout of a contiguous input
static tl_tensor *cuda_reduce_sum(const tl_tensor *t, int dim, bool whole, bool keepdim, int kind) {
    if (kind == R_STD) {   // with ops: sqrt(sum((x - mean)^2) / (n - 1)), then chapter 03's node
        int64_t n = whole ? tl_numel(t) : (t->ndim ? t->shape[dim] : 1);
        tl_grad_mode_push(false);
        tl_tensor *d = tl_sub(t, whole ? tl_mean(t) : tl_mean_dim(t, dim, true)), *d2 = tl_mul(d, d);
        tl_tensor *out = tl_sqrt(tl_div_scalar(whole ? tl_sum(d2) : tl_sum_dim(d2, dim, keepdim), (double)(n - 1)));
        tl_grad_mode_pop();
        if (out) record_sum(kind, out, t, dim, whole, keepdim, n);
        return out;
    }
    const tl_tensor *x = cuda_contiguous(t);
    reduction r;
    if (!x || !reduction_setup(&r, x, dim, whole, keepdim)) return NULL;
    tl_dtype out_dt = tl_dtype_is_floating(t->dtype) ? t->dtype : TL_INT64;
    tl_tensor *out = tl_empty_on(r.out_shape, out_dt, t->storage->device);
    bool ok = out && tl_cuda_sum(t->storage->device.index, t->dtype, out_dt, tl_data_ptr(x), tl_data_ptr(out),
                                 r.outer, r.n, r.inner, kind == R_MEAN ? 1.0 / (double)r.n : 1.0);
    free(r.scratch);   // NULL unless the input was empty (then nothing was read)
    if (!ok) return NULL;
    record_sum(kind, out, t, dim, whole, keepdim, r.n);
    return out;
}

static tl_tensor *cuda_reduce_best(const tl_tensor *t, int dim, bool whole, bool keepdim, bool is_min,
                                   bool want_values, tl_tensor **indices_out) {
    const tl_tensor *x = cuda_contiguous(t);
    reduction r;
    if (!x || !reduction_setup(&r, x, dim, whole, keepdim)) return NULL;
    tl_device dev = t->storage->device;
    tl_tensor *values = want_values ? tl_empty_on(r.out_shape, t->dtype, dev) : NULL;
    bool want_index = !want_values || indices_out || (!whole && tl_needs_record(&t, 1));   // the rule needs them
    tl_tensor *index = want_index ? tl_empty_on(r.out_shape, TL_INT64, dev) : NULL;
    bool ok = (!want_values || values) && (!want_index || index) &&
              tl_cuda_argbest(dev.index, t->dtype, tl_data_ptr(x), values ? tl_data_ptr(values) : NULL,
                              index ? (int64_t *)tl_data_ptr(index) : NULL, r.outer, r.n, r.inner, is_min);
    free(r.scratch);
    if (!ok) return NULL;
    if (want_values) record_best(values, index, t, dim, whole, keepdim, is_min);
    if (indices_out) *indices_out = index;
    return want_values ? values : index;
}
#line 1658 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// Matrix products through cuBLAS. blas_layout (above) tells how cuBLAS can read a 2-D view;
// an operand it cannot read becomes a contiguous copy first.
static bool cuda_gemm2d(int device, const view *a, const view *b, char *c, int64_t ldc, bool accumulate) {
    CBLAS_TRANSPOSE ta, tb;
    int64_t lda, ldb;
    if (!blas_layout(a, &ta, &lda) || !blas_layout(b, &tb, &ldb)) {
        tl_error_set(TL_RUNTIME_ERROR, "matmul: an operand's layout cannot be read by cuBLAS (internal error)");
        return false;
    }
    return tl_cuda_gemm(device, a->dtype, ta == CblasTrans, tb == CblasTrans, a->shape[0], b->shape[1], a->shape[1],
                        a->data, lda, b->data, ldb, c, ldc, accumulate);
}

static const tl_tensor *blas_ready(const tl_tensor *t) {
    if (t->ndim == 1) return t->stride[0] == 1 ? t : cuda_contiguous(t);
    view v = view_of(t), m = last_matrix(&v);
    CBLAS_TRANSPOSE tr;
    int64_t ld;
    return blas_layout(&m, &tr, &ld) ? t : cuda_contiguous(t);
}

// one cuBLAS product of chapter 01's batched walk (ctx: the device index)
static bool cuda_batch_gemm2d(const view *a, const view *b, char *c, int64_t ldc, void *ctx) {
    return cuda_gemm2d(*(int *)ctx, a, b, c, ldc, false);
}

// matmul_run of the CPU, on the device, with chapter 01's gemm_batched: one gemm when a's batch
// folds into rows cuBLAS can read, one per batch otherwise
static tl_tensor *cuda_matmul_run(const tl_tensor *a, const tl_tensor *b, int nb, const int64_t *bshape) {
    if (a->dtype != TL_FLOAT32 && a->dtype != TL_FLOAT64) {
        tl_error_set(TL_RUNTIME_ERROR, "\"addmm_cuda\" not implemented for '%s'", scalar_type_name(a->dtype));
        return NULL;
    }
    a = blas_ready(a);
    b = blas_ready(b);
    if (!a || !b) return NULL;
    int device = a->storage->device.index;
    view va, vb;                                             // chapter 01's operands-as-matrices
    tl_tensor *out = tl_empty_on(matmul_views(a, b, nb, bshape, &va, &vb), a->dtype, a->storage->device);
    if (!out) return NULL;
    // folded rows that cuBLAS cannot read as they are: one gemm per batch instead
    return gemm_batched(&va, &vb, nb, bshape, tensor_data(out), cuda_batch_gemm2d, &device, true) ? out : NULL;
}

// addmm: out = bias (broadcast, one copy kernel), then out += a @ b (cuBLAS with beta = 1)
static tl_tensor *cuda_addmm(const tl_tensor *bias, const tl_tensor *a, const tl_tensor *b) {
    if (a->dtype != TL_FLOAT32 && a->dtype != TL_FLOAT64) {
        tl_error_set(TL_RUNTIME_ERROR, "\"addmm_cuda\" not implemented for '%s'", scalar_type_name(a->dtype));
        return NULL;
    }
    const tl_tensor *ra = blas_ready(a), *rb = blas_ready(b);
    if (!ra || !rb) return NULL;
    int64_t m = a->shape[0], n = b->shape[1];
    tl_tensor *out = tl_empty_on(TL_SHAPE(m, n), a->dtype, a->storage->device);
    if (!out || !tl_device_copy(out, bias)) return NULL;
    view va = view_of(ra), vb = view_of(rb);
    return cuda_gemm2d(a->storage->device.index, &va, &vb, tensor_data(out), n, true) ? out : NULL;
}

// copy_, add_ and sum_to_size with a tensor on a device. copy_ may cross devices (the source moves
// to dst's first); add_ follows the same-device rule, where only the source may be a CPU number (a
// CPU dst is where the result goes, never a number). Accumulation is atomic: dst may be broadcast.
static bool cuda_inplace(bool accumulate, const tl_tensor *dst, const tl_tensor *src, int ndim, const int64_t *shape) {
    tl_device dev = tl_device_of(dst);
    if (accumulate && !tl_is_cuda(dst)) return tl_device_mismatch(tl_device_of(src), dev, NULL);
    bool number = !tl_is_cuda(src) && src->ndim == 0;   // a CPU number joins as a kernel argument
    if (!accumulate && !number && !tl_device_equal(dev, tl_device_of(src))) {
        tl_grad_mode_push(false);
        src = tl_to_device(src, dev);
        tl_grad_mode_pop();
        if (!src) return false;
        if (!tl_is_cuda(dst)) return inplace_run(false, dst, src, ndim, shape);   // both on the CPU now
    }
    if (accumulate && !tl_common_device((const tl_tensor *[]){ dst, src }, 2, &dev)) return false;
    tl_cuda_ew e;
    tl_cuda_ew_init(&e, ndim, shape);
    tl_cuda_ew_set(&e, 0, dst);
    tl_cuda_ew_set(&e, 1, src);
    return accumulate ? tl_cuda_accumulate(dev.index, &e) : tl_cuda_copy(dev.index, &e);
}

// dst = src for two views of device memory with the same shape (cat and stack fill their slabs)
static bool cuda_copy_view(tl_device dev, const view *dst, const view *src) {
    tl_cuda_ew e;
    tl_cuda_ew_init(&e, dst->ndim, dst->shape);
    const view *ops[2] = { dst, src };
    for (int k = 0; k < 2; k++) {
        e.data[k] = ops[k]->data;
        e.dtype[k] = ops[k]->dtype;
        for (int d = 0; d < dst->ndim; d++) e.stride[k][d] = ops[k]->shape[d] == 1 ? 0 : ops[k]->stride[d];
    }
    return tl_cuda_copy(dev.index, &e);
}

// index_select on a device (its checks done by the CPU code before): one gather launch; t and
// the result are described over the result's shape, t with stride 0 along dim
static bool index_launch(const tl_tensor *res, const tl_tensor *src, int dim, const tl_tensor *index, bool add) {
    tl_cuda_ew e;
    tl_cuda_ew_init(&e, res->ndim, res->shape);
    tl_cuda_ew_set(&e, 0, res);
    tl_cuda_ew_set(&e, 1, src);
    if (src->ndim) e.stride[1][dim] = 0;
    int64_t istride = index->ndim ? index->stride[0] : 0;
    return tl_cuda_index(res->storage->device.index, &e, dim, tl_data_ptr(index), istride,
                         src->ndim ? src->shape[dim] : 1, src->ndim ? src->stride[dim] : 0, add);
}

static tl_tensor *cuda_index_select(const tl_tensor *t, int dim, const tl_tensor *index, tl_device dev) {
    if (!tl_is_cuda(index)) index = tl_to_device(index, dev);   // a 0-d CPU index
    if (!index) return NULL;
    tl_shape s = tl_shape_of(t);
    if (t->ndim) s.d[dim] = index->ndim ? index->shape[0] : 1;
    tl_tensor *out = tl_empty_on(s, t->dtype, dev);
    if (!out || !index_launch(out, t, dim, index, false)) return NULL;
    record_index_select(out, t, dim, index);
    return out;
}

// the rule: zeros of the input's shape, g added at the selected positions
static tl_tensor *cuda_index_select_backward(const tl_node *node, const tl_tensor *g) {
    tl_tensor *out = tl_zeros_on(node->input_shape[0], g->dtype, tl_device_of(g));
    return out && index_launch(g, out, (int)node->ints[0], node->saved[0], true) ? out : NULL;
}

// masked_select: the size of the result depends on the mask, so the mask is read on the host (PyTorch
// waits here too); its true positions in the broadcast shape s become an index for index_select on
// the flattened input, and, in the rule, for the same kernel adding g back
static tl_tensor *mask_positions(const tl_tensor *mask, tl_shape s, tl_device dev) {
    tl_grad_mode_push(false);
    // contiguous on the host: a CPU mask stays itself under tl_cpu, an expanded (stride-0) view
    const tl_tensor *m = tl_contiguous(tl_cpu(tl_expand(mask, s)));
    tl_grad_mode_pop();
    if (!m) return NULL;
    int64_t n = tl_numel(m), count = 0;
    const bool *p = TL_DATA(m, bool);
    for (int64_t i = 0; i < n; i++) count += p[i];
    tl_tensor *pos = tl_empty(TL_SHAPE(count), TL_INT64);
    if (!pos) return NULL;
    for (int64_t i = 0, k = 0; i < n; i++)
        if (p[i]) TL_DATA(pos, int64_t)[k++] = i;
    return tl_to_device(pos, dev);
}

static tl_tensor *cuda_masked_select(const tl_tensor *t, const tl_tensor *mask, tl_shape s, tl_device dev) {
    tl_tensor *pos = mask_positions(mask, s, dev), *out = NULL;
    if (!pos) return NULL;
    tl_grad_mode_push(false);
    tl_tensor *flat = tl_reshape(tl_expand(t, s), TL_SHAPE(-1));
    if (flat) out = tl_index_select(flat, 0, pos);
    tl_grad_mode_pop();
    if (out) record_masked_select(out, t, mask);
    return out;
}

static tl_tensor *cuda_masked_select_backward(const tl_node *node, const tl_tensor *g) {
    const tl_tensor *mask = node->saved[0];
    tl_shape in = node->input_shape[0], s = { 0, { 0 } };
    broadcast_shapes(mask->ndim, mask->shape, in.ndim, in.d, &s.ndim, s.d);   // checked in the forward
    tl_tensor *pos = mask_positions(mask, s, tl_device_of(g));
    tl_tensor *flat = pos ? tl_zeros_on(TL_SHAPE(tl_shape_numel(s.ndim, s.d)), g->dtype, tl_device_of(g)) : NULL;
    if (!flat || !index_launch(g, flat, 0, pos, true)) return NULL;
    return tl_view(flat, s);   // the engine sums it back to the input's shape
}
