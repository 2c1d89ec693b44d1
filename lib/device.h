/* generated from chapters/08-gpu/08-gpu.md by tools/tangle.lua; edit the chapter, not this file */
#line 35 "chapters/08-gpu/08-gpu.md"
// device.h — tensors on a GPU: moving them (tl_to), the device rules of ops, and the CUDA
// backend that the ops call (kernels, cuBLAS, the caching allocator).
//
//     TL_SCOPE {
//         tl_tensor *a = tl_to(tl_tensor_parse("[1., 2., 3.]"), "cuda");   // NULL + error without a GPU
//         tl_tensor *b = tl_to(tl_tensor_parse("[4., 5., 6.]"), "cuda");
//         tl_print(tl_add(a, b));          // tensor([5., 7., 9.], device='cuda:0')
//         tl_add(tl_to(a, "cpu"), b);      // NULL: Expected all tensors to be on the same device, ...
//     }
// Every op checks its operands' devices ONCE and then runs either its CPU loop or one CUDA
// launch; nothing here is called per element.
#ifndef TL_DEVICE_H
#define TL_DEVICE_H
#include "tensor.h"
#ifdef __cplusplus
extern "C" {
#endif

// ---------------------------------------------------------------------------
// Devices by name: "cpu", "cuda" (= the current device, cuda:0), "cuda:1"
bool        tl_device_parse(const char *name, tl_device *out);    // false + PyTorch's error
const char *tl_device_name(tl_device d, char *buf, size_t size);  // "cpu", "cuda:0"
tl_device   tl_device_of(const tl_tensor *t);                      // where t's storage lives
bool        tl_device_equal(tl_device a, tl_device b);
// the tutorial's idiom: torch.device("cuda" if torch.cuda.is_available() else "cpu")
const char *tl_default_device(void);

// .to(device): t itself when it is already there, else a copy on that device (recorded as
// ToCopyBackward0, so gradients flow back to the original device). Errors as PyTorch's:
// "Torch not compiled with CUDA enabled", "Found no NVIDIA driver on your system. ...",
// "No CUDA GPUs are available", "CUDA error: invalid device ordinal".
tl_tensor *tl_to(const tl_tensor *t, const char *device);
tl_tensor *tl_to_device(const tl_tensor *t, tl_device device);
tl_tensor *tl_cpu(const tl_tensor *t);                             // .cpu()
// model.to(device): parameters, their gradients and buffers move in place (the tensors stay the
// same objects, so an optimizer made before still holds them). false + error if it cannot.
typedef struct tl_module tl_module;
bool       tl_module_to(tl_module *model, const char *device);

// Tensors made directly on a device (the _like functions of tensor.h follow their argument's device)
tl_tensor *tl_empty_on(tl_shape shape, tl_dtype dtype, tl_device device);
tl_tensor *tl_zeros_on(tl_shape shape, tl_dtype dtype, tl_device device);

// The device all operands share: the first CUDA device among them, else the CPU; a 0-d CPU
// tensor (a Python number) may join a CUDA op. Mismatch: false and PyTorch's message
// "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!"
bool tl_common_device(const tl_tensor *const *ts, int n, tl_device *out);
// that message for devices a and b, followed by context ("" or NULL for none); returns false
bool tl_device_mismatch(tl_device a, tl_device b, const char *context);
static inline bool tl_is_cuda(const tl_tensor *t) { return t && t->storage->device.type == TL_CUDA; }
// ops that have no CUDA kernel yet call this first: false + a clear error if a tensor is on a GPU
bool tl_require_cpu(const char *op, const tl_tensor *const *ts, int n);

// ---------------------------------------------------------------------------
// The CUDA backend (lib/cuda_backend.cu; in a build without CUDA, stubs that fail).
// Errors are recorded with tl_error_set as "CUDA error: <cudaGetErrorString> (file:line)".

// Is device `index` usable? false + PyTorch's message (no driver, no GPU, bad ordinal).
bool  tl_cuda_check_device(int index);

// Caching allocator: blocks come back to a free list and are reused for a request of the same
// rounded size (512-byte steps), so a training step calls cudaMalloc only in its first iteration.
void *tl_cuda_malloc(int device, size_t nbytes, size_t *capacity);   // NULL + "CUDA out of memory..."
void  tl_cuda_free(int device, void *ptr, size_t capacity);           // back to the cache
void  tl_cuda_empty_cache(void);                                      // torch.cuda.empty_cache()
typedef struct {
    size_t  allocated;      // bytes in tensors now (memory_allocated)
    size_t  reserved;       // bytes held from cudaMalloc, cached blocks included (memory_reserved)
    int64_t malloc_calls;   // cudaMalloc calls so far (a training step should add none)
} tl_cuda_memory_stats;
tl_cuda_memory_stats tl_cuda_memory(void);

typedef enum { TL_H2D, TL_D2H, TL_D2D } tl_copy_kind;
bool tl_cuda_memcpy(int device, void *dst, const void *src, size_t nbytes, tl_copy_kind kind);
bool tl_cuda_memset0(int device, void *dst, size_t nbytes);
bool tl_cuda_synchronize(int device);                                 // torch.cuda.synchronize()

// An element-wise launch over the output shape: operand 0 is the output, operands 1 to 3 the
// inputs. Strides are in elements over the output's dims (0 where broadcast). An input with
// data == NULL is the number `scalar` (a CPU 0-d tensor or a Python number).
#define TL_CUDA_EW_OPS 4
typedef struct {
    int      ndim;
    int64_t  shape[TL_MAX_DIMS];
    void    *data[TL_CUDA_EW_OPS];
    tl_dtype dtype[TL_CUDA_EW_OPS];
    int64_t  stride[TL_CUDA_EW_OPS][TL_MAX_DIMS];
    double   scalar[TL_CUDA_EW_OPS];
    int64_t  iscalar[TL_CUDA_EW_OPS];   // the same number, exact, for int64/bool operands (0 for float)
    int      linear;   // set by the backend: every operand is contiguous in the output's order
} tl_cuda_ew;

// op codes: the order of ops.c's binary_op and unary_op enums
enum { TL_CUDA_ADD, TL_CUDA_SUB, TL_CUDA_MUL, TL_CUDA_DIV, TL_CUDA_POW, TL_CUDA_MAX, TL_CUDA_MIN,
       TL_CUDA_EQ, TL_CUDA_NE, TL_CUDA_LT, TL_CUDA_LE, TL_CUDA_GT, TL_CUDA_GE,
       // local rules of unary ops, a = g, b = the saved value
       TL_CUDA_ABS_BW, TL_CUDA_LOG_BW, TL_CUDA_SQRT_BW, TL_CUDA_SIGMOID_BW, TL_CUDA_TANH_BW, TL_CUDA_RELU_BW,
       TL_CUDA_BINARY_COUNT };
enum { TL_CUDA_NEG, TL_CUDA_ABS, TL_CUDA_RELU, TL_CUDA_EXP, TL_CUDA_LOG, TL_CUDA_SQRT, TL_CUDA_SIGMOID,
       TL_CUDA_TANH, TL_CUDA_UNARY_COUNT };

void tl_cuda_ew_init(tl_cuda_ew *e, int ndim, const int64_t *shape);
void tl_cuda_ew_set(tl_cuda_ew *e, int k, const tl_tensor *t);   // operand k: t broadcast, or its number
// helpers of the library built on the above
bool   tl_device_copy(tl_tensor *dst, const tl_tensor *src);    // dst = src (converted, broadcast)
bool   tl_device_copy_flat(tl_tensor *dst, const tl_tensor *src);   // same numel, dst contiguous, any shapes
tl_tensor *tl_device_host_copy(const tl_tensor *t);               // a CPU copy, not recorded (printing)
bool   tl_device_fill(tl_tensor *t, double value);
double tl_device_load(const tl_tensor *t, int64_t offset);     // one element, through the host
bool   tl_device_store(tl_tensor *t, int64_t offset, double value);
bool tl_cuda_binary(int device, int op, tl_dtype ct, const tl_cuda_ew *e);   // out = a OP b, computed in ct
bool tl_cuda_unary(int device, int op, tl_dtype ct, const tl_cuda_ew *e);    // out = OP(a), computed in ct
bool tl_cuda_copy(int device, const tl_cuda_ew *e);        // out = a, converting dtypes (a may be a number)
bool tl_cuda_accumulate(int device, const tl_cuda_ew *e);  // out += a (atomic: out may be broadcast)
// index_select over e's shape (the result's): operand 0 the result, operand 1 the source, whose
// position along dim is idx[j * istride] (src_stride apart) instead of j. With add, the reverse:
// operand 1 += operand 0 (index_select's rule, atomic). A bad index is reported at the next wait.
bool tl_cuda_index(int device, const tl_cuda_ew *e, int dim, const int64_t *idx, int64_t istride, int64_t size,
                   int64_t src_stride, bool add);
bool tl_cuda_where(int device, tl_dtype ct, const tl_cuda_ew *e);   // out = cond ? a : b (operands 1, 2, 3)

// Reductions over a contiguous (outer, n, inner) block, as ops.c sees them; y gets one value per
// (outer, inner). sum: y = scale * sum (accumulated in double, or uint64 for integers).
bool tl_cuda_sum(int device, tl_dtype in, tl_dtype out, const void *x, void *y, int64_t outer, int64_t n,
                 int64_t inner, double scale);
// max/min with the index of the first best (NaN wins); best or index may be NULL
bool tl_cuda_argbest(int device, tl_dtype dt, const void *x, void *best, int64_t *index, int64_t outer,
                     int64_t n, int64_t inner, bool is_min);
// softmax / log_softmax along n; with grad != NULL, the backward: x is the forward's output
bool tl_cuda_softmax(int device, tl_dtype dt, const void *x, const void *grad, void *y, int64_t outer, int64_t n,
                     int64_t inner, bool log_out);
// nll_loss: loss = -mean x[i, t_i]. A bad target is found by the kernel and reported, without a
// synchronisation of its own, by the next call that waits for the device (tl_item, a copy to the
// host, tl_cuda_synchronize): it fails with "Target 5 is out of bounds.".
// backward: dx[i, t_i] = -g / n with g read from the device
bool tl_cuda_nll_forward(int device, tl_dtype dt, const void *x, const int64_t *t, int64_t n, int64_t c, void *loss);
bool tl_cuda_nll_backward(int device, tl_dtype dt, const int64_t *t, int64_t n, int64_t c, const void *g, void *dx);
// chapter 04's activations, kind = act_kind (GELU, GELU tanh, SiLU, LeakyReLU(p), ELU(p)), on
// contiguous arrays: y = f(x), or with g != NULL the backward dx = g f'(x) (into y)
bool tl_cuda_activation(int device, tl_dtype dt, int kind, double p, const void *x, const void *g, void *y, int64_t n);
// SGD's update of one parameter (see optim.c); buf may be NULL
bool tl_cuda_sgd(int device, tl_dtype dt, void *w, const void *g, void *buf, bool first, int64_t n, double lr,
                 double momentum, double dampening, double weight_decay, bool nesterov);
// row-major C (m x n, ldc) = A @ B (+ C when accumulate) through cuBLAS; ta/tb: A/B are read
// transposed (element (i, j) at j*ld + i). float32/float64 only.
bool tl_cuda_gemm(int device, tl_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void *a,
                  int64_t lda, const void *b, int64_t ldb, void *c, int64_t ldc, bool accumulate);
#ifdef __cplusplus
}
#endif
#endif
