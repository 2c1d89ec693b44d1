/* generated from chapters/01-tensors/01-tensors.md by tools/tangle.lua; edit the chapter, not this file */
#line 300 "chapters/01-tensors/01-tensors.md"
// tensor.h — the Tensor of Torchlet: storage, shape, strides, dtypes, lifetime (pools), errors.
//
// The whole module in a few lines:
//     TL_SCOPE {                                                      // a pool: frees what is made inside
//         tl_tensor *x = tl_tensor_parse("[[1, 2, 3], [4, 5, 6]]");   // int64, shape (2, 3), strides (3, 1)
//         tl_tensor *t = tl_T(x);                                     // shape (3, 2), strides (1, 3), same storage
//         tl_tensor *v = tl_view(t, TL_SHAPE(6));                     // NULL: a view cannot reorder memory
//         tl_error_print();                                           // RuntimeError: view size is not ...
//         tl_tensor *r = tl_reshape(t, TL_SHAPE(6));                  // a copy: 1 4 2 5 3 6
//     }                                                               // x, t and r are released here
#ifndef TL_TENSOR_H
#define TL_TENSOR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#line 332 "chapters/01-tensors/01-tensors.md"
// ---------------------------------------------------------------------------
// dtypes and devices
typedef enum { TL_BOOL, TL_INT64, TL_FLOAT32, TL_FLOAT64 } tl_dtype;
const char *tl_dtype_name(tl_dtype dtype);       // "torch.int64" (PyTorch's spelling)
// bytes per element: 1, 8, 4, 8 (0 for a value that is no dtype). Inline, as the next one:
// nearly every function that touches data asks, and a call would cost more than the answer.
static inline size_t tl_dtype_size(tl_dtype dtype) {
    return dtype == TL_BOOL ? 1 : dtype == TL_FLOAT32 ? 4 : dtype == TL_INT64 || dtype == TL_FLOAT64 ? 8 : 0;
}
static inline bool tl_dtype_is_floating(tl_dtype dtype) { return dtype == TL_FLOAT32 || dtype == TL_FLOAT64; }
typedef enum { TL_CPU, TL_CUDA } tl_device_type;
typedef struct { tl_device_type type; int index; } tl_device;   // index -1 = cpu
#define TL_CPU_DEVICE ((tl_device){ TL_CPU, -1 })
#line 317 "chapters/01-tensors/01-tensors.md"
#line 352 "chapters/01-tensors/01-tensors.md"
// ---------------------------------------------------------------------------
// Shapes: passed by value, written inline with TL_SHAPE(2, 3).
#define TL_MAX_DIMS 8
typedef struct { int ndim; int64_t d[TL_MAX_DIMS]; } tl_shape;
#define TL_SHAPE(...) ((tl_shape){ (int)(sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t)), { __VA_ARGS__ } })
#define TL_SCALAR_SHAPE ((tl_shape){ 0, { 0 } })   // the shape of a 0-d tensor: torch.Size([])
#define TL_DIMS TL_SHAPE            // the same thing used as a list of dimensions (permute)
#line 318 "chapters/01-tensors/01-tensors.md"
#line 364 "chapters/01-tensors/01-tensors.md"
// ---------------------------------------------------------------------------
// Storage and tensor.
// A tensor is a view of a storage: element (i0, i1, ...) lives at
//   data + (offset + i0*stride[0] + i1*stride[1] + ...) * dtype_size
// Views (reshape of contiguous, transpose, permute, select, slice, expand) share the
// storage and only change shape/stride/offset. Strides are in ELEMENTS, as PyTorch's.
//
//   tensor2d = [[1, 2, 3], [4, 5, 6]]   shape (2, 3)  stride (3, 1)  offset 0
//   tensor2d.T                          shape (3, 2)  stride (1, 3)  offset 0  (same storage)
//   tensor2d[1]                         shape (3)     stride (1)     offset 3  (same storage)
typedef struct tl_storage {
    void     *data;           // the elements, 64-byte aligned
    size_t    nbytes;
    size_t    capacity;       // the block's size (CPU: this header and data are one block)
    int       refcount;       // tensors viewing this storage
    tl_device device;
} tl_storage;

typedef struct tl_node tl_node;      // a graph node (chapter 03); first field: const char *name

typedef struct tl_tensor {
    tl_dtype    dtype;
    int         ndim;                   // 0 for a scalar
    int64_t     shape[TL_MAX_DIMS];     // sizes, PyTorch's .shape (entries past ndim are 0)
    int64_t     stride[TL_MAX_DIMS];    // element strides, PyTorch's .stride()
    int64_t     offset;                 // first element's index into storage, .storage_offset()
    tl_storage *storage;
    int         refcount;               // owners of this tensor struct (pools, retains)
    // autograd (used from chapter 03 on; printing already shows them)
    bool        requires_grad;
    bool        is_parameter;           // printed as "Parameter containing:"
    struct tl_tensor *grad;             // owned by the tensor: released with it
    tl_node    *grad_fn;
    char        name[32];               // a label for drawings of the graph (chapter 02); "" if none
    // printing: a Python-number wrapper (see ops: type promotion)
    bool        wrapped_number;
} tl_tensor;

// the grad_fn name printed as grad_fn=<NAME> (chapter 02 defines nodes; NULL-safe)
const char *tl_node_name(const tl_node *node);
#line 319 "chapters/01-tensors/01-tensors.md"
#line 747 "chapters/01-tensors/01-tensors.md"
// ---------------------------------------------------------------------------
// Lifetime. Every tensor (and string) a function returns belongs to the
// innermost POOL of the calling thread; popping the pool releases what it owns. So
// nested expressions need no frees:
//     TL_SCOPE { tl_print(tl_add(tl_mul(x, w), b)); }    // temporaries die here
// Keep a tensor past its pool with tl_retain(t) and give it back with tl_release(t).
// Outside any pool, objects go to the thread's root pool, released when the thread ends
// (at exit for the main thread). Do not leave a TL_SCOPE block with break/return/goto:
// its pool is then released only with the enclosing one.
typedef struct tl_pool tl_pool;
tl_pool   *tl_pool_push(void);
void       tl_pool_pop(tl_pool *pool);       // pops pool (and any pool left open inside it)
#define TL_SCOPE TL_SCOPE_(TL_CONCAT_(tl_scope_pool_, __LINE__))   // a name per line: scopes nest
#define TL_SCOPE_(p) for (tl_pool *p = tl_pool_push(); p; tl_pool_pop(p), p = NULL)
#define TL_CONCAT_(a, b) TL_CONCAT2_(a, b)
#define TL_CONCAT2_(a, b) a##b
tl_tensor *tl_retain(tl_tensor *t);          // +1 owner; returns t (NULL-safe)
void       tl_release(tl_tensor *t);         // -1 owner; frees at 0 (NULL-safe)
void      *tl_pool_adopt(void *malloced);    // free() it when the current pool pops; returns it
int64_t    tl_live_tensors(void);            // tensors alive now, all threads (for leak tests)
// the per-thread counters behind tl_live_tensors, also for chapter 02's graph nodes
typedef enum { TL_LIVE_TENSORS, TL_LIVE_NODES, TL_LIVE_KINDS } tl_live_kind;
void       tl_live_add(tl_live_kind kind, int64_t d);   // this thread's slot: no locked instruction
int64_t    tl_live_count(tl_live_kind kind);
#line 1048 "chapters/01-tensors/01-tensors.md"
// The block cache behind tensors, for the library's other structs made per operation (graph
// nodes): 64-byte aligned, uninitialised; free with the size given to tl_block_alloc.
void      *tl_block_alloc(size_t bytes);
void       tl_block_free(void *block, size_t bytes);
#line 1064 "chapters/01-tensors/01-tensors.md"
// The library's small, hot thread-locals (pool stack, cache pointer, grad mode): a fixed offset
// from the thread pointer (initial-exec TLS), one load per use. Never for arrays.
#define TL_THREAD_LOCAL _Thread_local __attribute__((tls_model("initial-exec")))
#line 320 "chapters/01-tensors/01-tensors.md"
#line 1206 "chapters/01-tensors/01-tensors.md"
// ---------------------------------------------------------------------------
// Errors. Like exceptions, without longjmp: a failing call returns NULL
// (or false / NAN) and records a message worded as PyTorch words it. A NULL tensor
// argument means "an earlier call failed": the callee returns NULL at once and leaves
// the recorded message alone, so a nested expression is checked once at the end.
// The record is per thread.
typedef enum {
    TL_OK = 0,
    TL_RUNTIME_ERROR,  // RuntimeError
    TL_VALUE_ERROR,    // ValueError
    TL_INDEX_ERROR,    // IndexError
    TL_TYPE_ERROR,     // TypeError
    TL_ATTRIBUTE_ERROR,// AttributeError (a module has no child or parameter of that name)
} tl_errkind;

void        tl_error_set(tl_errkind kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *tl_error(void);             // last message, or NULL when none
tl_errkind  tl_error_kind(void);
const char *tl_error_kind_name(tl_errkind kind);  // "RuntimeError"
void        tl_error_clear(void);
void        tl_error_print(void);       // prints "RuntimeError: <message>" to stdout, then clears
// Aborts with file:line, the recorded message and a HINT for beginners when x is NULL/false.
// x is evaluated once (a GNU statement expression: gcc, clang and nvcc accept it):
//     tl_tensor *y = TL_CHECK(tl_reshape(x, TL_SHAPE(3, 2)));
#define TL_CHECK(x) __extension__ ({ __typeof__(x) tl_check_v_ = (x);                        \
        (void)(tl_check_v_ ? 0 : (tl_check_fail_(#x, __FILE__, __LINE__), 0)); tl_check_v_; })
void tl_check_fail_(const char *expr, const char *file, int line);
#line 321 "chapters/01-tensors/01-tensors.md"
#line 1329 "chapters/01-tensors/01-tensors.md"
// ---------------------------------------------------------------------------
// Creation. All return a new contiguous tensor, or NULL + error on bad arguments.
tl_tensor *tl_empty(tl_shape shape, tl_dtype dtype);            // uninitialised
tl_tensor *tl_zeros(tl_shape shape, tl_dtype dtype);
tl_tensor *tl_ones(tl_shape shape, tl_dtype dtype);
tl_tensor *tl_full(tl_shape shape, double value, tl_dtype dtype); // value truncated for int64
tl_tensor *tl_zeros_like(const tl_tensor *t);
tl_tensor *tl_ones_like(const tl_tensor *t);
tl_tensor *tl_empty_like(const tl_tensor *t);                   // same shape+dtype, contiguous
tl_tensor *tl_from_data(const void *data, tl_shape shape, tl_dtype dtype);  // copies numel elements
tl_tensor *tl_arange(int64_t start, int64_t end, int64_t step);  // int64, like torch.arange(0, 10, 2)
tl_tensor *tl_arange_dtype(double start, double end, double step, tl_dtype dtype);
tl_tensor *tl_linspace(double start, double end, int64_t steps); // float32, bit-exact with PyTorch
tl_tensor *tl_eye(int64_t n);                                   // float32
tl_tensor *tl_scalar(double value, tl_dtype dtype);             // 0-d tensor
// Python literal syntax, PyTorch's dtype inference: all ints -> int64, any float -> float32,
// True/False -> bool:  tl_tensor_parse("[[1, 2], [3, 4]]"), tl_tensor_parse("[1., 2.5]").
// Errors name the column: "ValueError: expected a number at column 5 in \"[1, , 2]\"".
// A trailing comma is fine, as in Python: "[1, 2, ]" is tensor([1, 2]).
tl_tensor *tl_tensor_parse(const char *literal);
tl_tensor *tl_tensor_parse_dtype(const char *literal, tl_dtype dtype);
#line 322 "chapters/01-tensors/01-tensors.md"
#line 1787 "chapters/01-tensors/01-tensors.md"
// ---------------------------------------------------------------------------
// Elements, copies and conversion.
// element access (any dtype, returned as double); index count must equal ndim
double     tl_get(const tl_tensor *t, tl_shape index);        // tl_get(x, TL_SHAPE(1, 2)) == x[1, 2]
bool       tl_set(tl_tensor *t, tl_shape index, double value); // x[1, 2] = value
double     tl_item(const tl_tensor *t);     // one element -> number; NAN + error otherwise
// pointer to element 0 of a contiguous tensor, typed: TL_DATA(x, float)[i]
#define TL_DATA(t, T) ((T *)((char *)(t)->storage->data + (t)->offset * (int64_t)sizeof(T)))
// the same, untyped (for a tensor on a GPU, chapter 08, an address the host must not read)
static inline void *tl_data_ptr(const tl_tensor *t) {
    return (char *)t->storage->data + t->offset * (int64_t)tl_dtype_size(t->dtype);
}
#line 668 "chapters/01-tensors/01-tensors.md"
// the number of elements of a shape: the product of its ndim sizes (1 for no dims at all)
static inline int64_t tl_shape_numel(int ndim, const int64_t *d) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= d[i];
    return n;
}

static inline int64_t tl_numel(const tl_tensor *t) { return t ? tl_shape_numel(t->ndim, t->shape) : 0; }

// PyTorch's rule: sizes of 1 (and empty tensors) do not care about their stride
static inline bool tl_is_contiguous(const tl_tensor *t) {
    if (!t) return false;
    int64_t expected = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] == 0) return true;
        if (t->shape[i] != 1 && t->stride[i] != expected) return false;
        expected *= t->shape[i];
    }
    return true;
}
#line 1800 "chapters/01-tensors/01-tensors.md"
// t's shape as a tl_shape ({0} for NULL); inline, so that it is written straight where it goes
// (autograd copies two per recorded op)
static inline tl_shape tl_shape_of(const tl_tensor *t) {
    tl_shape s = { 0, { 0 } };
    if (!t) return s;
    s.ndim = t->ndim;
    for (int i = 0; i < TL_MAX_DIMS; i++) s.d[i] = t->shape[i];   // all: unused dims are 0 (tensor_alloc)
    return s;
}
tl_tensor *tl_contiguous(const tl_tensor *t);       // t itself (retained) if contiguous, else a copy
tl_tensor *tl_clone(const tl_tensor *t);            // always a contiguous copy
tl_tensor *tl_to_dtype(const tl_tensor *t, tl_dtype dtype);  // .to(torch.float32); t itself if same dtype
#line 323 "chapters/01-tensors/01-tensors.md"
#line 1996 "chapters/01-tensors/01-tensors.md"
// ---------------------------------------------------------------------------
// Views. Negative dims/indices count from the end. All share t's storage, except
// tl_reshape when no view is possible (then it copies, as PyTorch does).
tl_tensor *tl_reshape(const tl_tensor *t, tl_shape shape);   // -1 infers one dim; copies if needed
tl_tensor *tl_view(const tl_tensor *t, tl_shape shape);      // never copies; PyTorch's error if it must
tl_tensor *tl_transpose(const tl_tensor *t, int dim0, int dim1);
tl_tensor *tl_T(const tl_tensor *t);                          // .T: reverses all dims
tl_tensor *tl_permute(const tl_tensor *t, tl_shape dims);    // tl_permute(x, TL_DIMS(0, 2, 1))
tl_tensor *tl_squeeze(const tl_tensor *t, int dim);          // drops dim if its size is 1
tl_tensor *tl_unsqueeze(const tl_tensor *t, int dim);        // inserts a dim of size 1
tl_tensor *tl_flatten(const tl_tensor *t, int start_dim, int end_dim);
tl_tensor *tl_expand(const tl_tensor *t, tl_shape shape);    // broadcast view, stride 0
tl_tensor *tl_select(const tl_tensor *t, int dim, int64_t index);   // x[:, i] style, drops dim
tl_tensor *tl_index(const tl_tensor *t, int64_t index);             // x[i] == select(x, 0, i)
#define TL_END INT64_MAX
tl_tensor *tl_slice(const tl_tensor *t, int dim, int64_t start, int64_t end, int64_t step); // x[a:b:c]
#line 324 "chapters/01-tensors/01-tensors.md"

#endif
