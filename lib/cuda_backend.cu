/* generated from chapters/08-gpu/08-gpu.md by tools/tangle.lua; edit the chapter, not this file */
#line 472 "chapters/08-gpu/08-gpu.md"
// cuda_backend.cu — the CUDA side of Torchlet: the caching allocator, the kernels every op
// launches, and matrix products through cuBLAS. Only nvcc compiles this file; lib/device.c
// is its C front (tl_to, device checks) and holds failing stubs when CUDA is not compiled in.
//
// Shapes: (outer, n, inner) = a contiguous block reduced along n; B = blocks, T = threads.
extern "C" {
#include "tensor.h"   // a C header: its functions have C linkage
}
#include "device.h"

#include <cuda_runtime.h>
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#line 511 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// Checking: every CUDA call goes through CUDA_OK, which records file, line and the error string.
static bool cuda_ok(cudaError_t err, const char *what, const char *file, int line) {
    if (err == cudaSuccess) return true;
    cudaGetLastError();   // clear a non-sticky error so the next call starts clean
    if (err == cudaErrorMemoryAllocation)
        tl_error_set(TL_RUNTIME_ERROR, "CUDA out of memory (%s at %s:%d)", what, file, line);
    else
        tl_error_set(TL_RUNTIME_ERROR, "CUDA error: %s (%s at %s:%d)", cudaGetErrorString(err), what, file, line);
    return false;
}
#define CUDA_OK(call) cuda_ok((call), #call, __FILE__, __LINE__)
// after a kernel launch: launch errors now, execution errors at the next synchronising call
#define LAUNCH_OK() CUDA_OK(cudaGetLastError())

// The current device, cached per thread so that a launch on the device already current costs no
// runtime call. The cache assumes that nothing else in this thread calls cudaSetDevice (the library
// has no public entry point for it): code that does, such as a kernel launcher of its own (exercise
// 08.3's solution) or chapter 09's NCCL setup, leaves the thread on a device the cache does not know,
// and a later use_device of the cached device would launch on the other one. With one GPU the two
// cannot disagree.
static bool use_device(int device) {
    static __thread int current = -1;
    if (device == current) return true;
    if (!CUDA_OK(cudaSetDevice(device))) return false;
    current = device;
    return true;
}
#line 491 "chapters/08-gpu/08-gpu.md"
#line 546 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// Which device exists: PyTorch's words for each way of not having one
extern "C" bool tl_cuda_check_device(int index) {
    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) cudaGetLastError();
    if (err == cudaErrorNoDevice || (err == cudaSuccess && count == 0)) {
        tl_error_set(TL_RUNTIME_ERROR, "No CUDA GPUs are available");
        return false;
    }
    if (err != cudaSuccess) {   // no driver, or one too old for this runtime
        tl_error_set(TL_RUNTIME_ERROR, "Found no NVIDIA driver on your system. Please check that you have an "
                     "NVIDIA GPU and installed a driver from http://www.nvidia.com/Download/index.aspx");
        return false;
    }
    if (index < 0 || index >= count) {
        tl_error_set(TL_RUNTIME_ERROR, "CUDA error: invalid device ordinal");
        return false;
    }
    return true;
}
#line 492 "chapters/08-gpu/08-gpu.md"
#line 583 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// The caching allocator. Freed blocks go to a per-device free list and are handed out again
// for a request of the same rounded size; cudaMalloc runs only on a miss, and when it reports
// out of memory the cache is released (cudaFree) and the request tried once more.
#define MAX_DEVICES 16
typedef struct block { void *ptr; size_t size; struct block *next; } block;
static block *free_blocks[MAX_DEVICES];
static pthread_mutex_t alloc_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t bytes_allocated, bytes_reserved;
static int64_t malloc_calls;

static size_t round_size(size_t n) { return n < 512 ? 512 : (n + 511) & ~(size_t)511; }

static void release_cached(void) {   // alloc_lock held
    for (int d = 0; d < MAX_DEVICES; d++) {
        while (free_blocks[d]) {
            block *b = free_blocks[d];
            free_blocks[d] = b->next;
            if (use_device(d)) CUDA_OK(cudaFree(b->ptr));
            bytes_reserved -= b->size;
            free(b);
        }
    }
}

extern "C" void *tl_cuda_malloc(int device, size_t nbytes, size_t *capacity) {
    if (device < 0 || device >= MAX_DEVICES) {
        tl_error_set(TL_RUNTIME_ERROR, "CUDA error: invalid device ordinal");
        return NULL;
    }
    size_t size = round_size(nbytes);
    void *ptr = NULL;
    pthread_mutex_lock(&alloc_lock);
    for (block **p = &free_blocks[device]; *p; p = &(*p)->next) {
        if ((*p)->size == size) {          // a hit: no cudaMalloc
            block *b = *p;
            *p = b->next;
            ptr = b->ptr;
            free(b);
            break;
        }
    }
    if (!ptr && use_device(device)) {
        malloc_calls++;
        cudaError_t err = cudaMalloc(&ptr, size);
        if (err == cudaErrorMemoryAllocation) {   // give the cache back and try once more
            cudaGetLastError();
            release_cached();
            use_device(device);
            err = cudaMalloc(&ptr, size);
        }
        if (err == cudaErrorMemoryAllocation) {
            cudaGetLastError();
            size_t free_b = 0, total_b = 0;
            cudaMemGetInfo(&free_b, &total_b);
            tl_error_set(TL_RUNTIME_ERROR, "CUDA out of memory. Tried to allocate %.2f MiB (GPU %d; %.2f GiB total "
                         "capacity; %.2f GiB free; %.2f GiB reserved by Torchlet)", size / 1048576.0, device,
                         total_b / 1073741824.0, free_b / 1073741824.0, bytes_reserved / 1073741824.0);
            ptr = NULL;
        } else if (!cuda_ok(err, "cudaMalloc", __FILE__, __LINE__)) {   // not memory: say what it is
            ptr = NULL;
        } else {
            bytes_reserved += size;
        }
    }
    if (ptr) bytes_allocated += size;
    pthread_mutex_unlock(&alloc_lock);
    if (ptr) *capacity = size;
    return ptr;
}

extern "C" void tl_cuda_free(int device, void *ptr, size_t capacity) {
    if (!ptr) return;
    block *b = (block *)malloc(sizeof *b);
    pthread_mutex_lock(&alloc_lock);
    bytes_allocated -= capacity;
    if (b) {   // kernels already queued on the stream still see the block: stream order protects it
        b->ptr = ptr;
        b->size = capacity;
        b->next = free_blocks[device];
        free_blocks[device] = b;
    } else if (use_device(device)) {
        CUDA_OK(cudaFree(ptr));
        bytes_reserved -= capacity;
    }
    pthread_mutex_unlock(&alloc_lock);
}

extern "C" void tl_cuda_empty_cache(void) {
    pthread_mutex_lock(&alloc_lock);
    release_cached();
    pthread_mutex_unlock(&alloc_lock);
}

extern "C" tl_cuda_memory_stats tl_cuda_memory(void) {
    pthread_mutex_lock(&alloc_lock);
    tl_cuda_memory_stats s = { bytes_allocated, bytes_reserved, malloc_calls };
    pthread_mutex_unlock(&alloc_lock);
    return s;
}
#line 493 "chapters/08-gpu/08-gpu.md"
#line 685 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// Copies. Everything runs on the default stream, so a device-to-host copy waits for the
// kernels before it: reading a result (tl_item, printing) is where the host synchronises.
//
// Errors a kernel finds (a bad target in nll_loss) are not worth a synchronisation of their own: the
// kernel writes them into a small record in device memory, and the host reads the record where it
// waits for the device anyway (a copy to the host, tl_cuda_synchronize). That call then fails with
// the kernel's message, much as PyTorch reports a device-side assertion at a later call.
enum { DEVICE_ERROR_NONE, DEVICE_ERROR_TARGET, DEVICE_ERROR_INDEX };
static int64_t *device_errors[MAX_DEVICES];   // per device: [0] what went wrong, [1] the value

static int64_t *error_record(int device) {    // made (zeroed) on first use
    pthread_mutex_lock(&alloc_lock);
    if (!device_errors[device]) {
        void *p = NULL;
        if (CUDA_OK(cudaMalloc(&p, 2 * sizeof(int64_t))) && CUDA_OK(cudaMemset(p, 0, 2 * sizeof(int64_t))))
            device_errors[device] = (int64_t *)p;
    }
    int64_t *r = device_errors[device];
    pthread_mutex_unlock(&alloc_lock);
    return r;
}

static bool check_device_errors(int device) {   // only after a call that waited for the device
    if (!device_errors[device]) return true;
    int64_t e[2];
    if (!CUDA_OK(cudaMemcpy(e, device_errors[device], sizeof e, cudaMemcpyDeviceToHost))) return false;
    if (e[0] == DEVICE_ERROR_NONE) return true;
    CUDA_OK(cudaMemset(device_errors[device], 0, sizeof e));
    if (e[0] == DEVICE_ERROR_TARGET) tl_error_set(TL_INDEX_ERROR, "Target %lld is out of bounds.", (long long)e[1]);
    else tl_error_set(TL_INDEX_ERROR, "index out of range in self");
    return false;
}

extern "C" bool tl_cuda_memcpy(int device, void *dst, const void *src, size_t nbytes, tl_copy_kind kind) {
    static const cudaMemcpyKind kinds[] = { cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice };
    if (nbytes == 0) return true;
    if (!use_device(device) || !CUDA_OK(cudaMemcpy(dst, src, nbytes, kinds[kind]))) return false;
    return kind != TL_D2H || check_device_errors(device);
}

extern "C" bool tl_cuda_memset0(int device, void *dst, size_t nbytes) {
    return nbytes == 0 || (use_device(device) && CUDA_OK(cudaMemsetAsync(dst, 0, nbytes, 0)));
}

extern "C" bool tl_cuda_synchronize(int device) {
    return use_device(device) && CUDA_OK(cudaDeviceSynchronize()) && check_device_errors(device);
}
#line 494 "chapters/08-gpu/08-gpu.md"
#line 748 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// Element-wise kernels. One thread per output element (grid-stride loop); the element's
// offset in each operand comes from its index in the output shape. Operands are read in
// their own dtype and converted to the computation type T (a switch on a kernel argument:
// the same branch for every thread, so it costs nothing next to the memory traffic).
#define THREADS 256

static int grid_for(int64_t n) {
    int64_t b = (n + THREADS - 1) / THREADS;
    return (int)(b < 1 ? 1 : b > 65535 * 8 ? 65535 * 8 : b);
}

__device__ __forceinline__ void ew_offsets(const tl_cuda_ew &e, int64_t i, int nops, int64_t *off) {
    if (e.linear) {   // the common case: no index arithmetic at all
        for (int k = 0; k < nops; k++) off[k] = i;
        return;
    }
    for (int k = 0; k < nops; k++) off[k] = 0;
    for (int d = e.ndim - 1; d >= 0; d--) {
        int64_t idx = i % e.shape[d];
        i /= e.shape[d];
        for (int k = 0; k < nops; k++) off[k] += idx * e.stride[k][d];
    }
}

template <typename T> __device__ __forceinline__ T ew_load(const tl_cuda_ew &e, int k, int64_t off) {
    const void *p = e.data[k];
    if (!p) return (T)(e.dtype[k] == TL_INT64 || e.dtype[k] == TL_BOOL ? (T)e.iscalar[k] : (T)e.scalar[k]);
    switch (e.dtype[k]) {
    case TL_BOOL:    return (T)((const bool *)p)[off];
    case TL_INT64:   return (T)((const int64_t *)p)[off];
    case TL_FLOAT32: return (T)((const float *)p)[off];
    default:         return (T)((const double *)p)[off];
    }
}

template <typename T> __device__ __forceinline__ void ew_store(const tl_cuda_ew &e, int64_t off, T v) {
    void *p = e.data[0];
    switch (e.dtype[0]) {
    case TL_BOOL:    ((bool *)p)[off] = v != (T)0; break;
    case TL_INT64:   ((int64_t *)p)[off] = (int64_t)v; break;
    case TL_FLOAT32: ((float *)p)[off] = (float)v; break;
    default:         ((double *)p)[off] = (double)v; break;
    }
}

// math in the computation type (integer versions exist for the compiler; they never run)
template <typename T> __device__ __forceinline__ T m_exp(T x) { return (T)exp((double)x); }
template <typename T> __device__ __forceinline__ T m_log(T x) { return (T)log((double)x); }
template <typename T> __device__ __forceinline__ T m_sqrt(T x) { return (T)sqrt((double)x); }
template <typename T> __device__ __forceinline__ T m_tanh(T x) { return (T)tanh((double)x); }
__device__ __forceinline__ float m_exp(float x) { return expf(x); }
__device__ __forceinline__ double m_exp(double x) { return exp(x); }
__device__ __forceinline__ float m_log(float x) { return logf(x); }
__device__ __forceinline__ double m_log(double x) { return log(x); }
__device__ __forceinline__ float m_sqrt(float x) { return sqrtf(x); }
__device__ __forceinline__ double m_sqrt(double x) { return sqrt(x); }
__device__ __forceinline__ float m_tanh(float x) { return tanhf(x); }
__device__ __forceinline__ double m_tanh(double x) { return tanh(x); }
__device__ __forceinline__ float m_pow(float a, float b) { return powf(a, b); }
__device__ __forceinline__ double m_pow(double a, double b) { return pow(a, b); }
__device__ __forceinline__ int64_t m_pow(int64_t base, int64_t e) {   // as ops.c's ipow
    if (e < 0) return base == 1 ? 1 : base == -1 ? ((e & 1) ? -1 : 1) : 0;
    uint64_t r = 1, b = (uint64_t)base;
    while (e) { if (e & 1) r *= b; b *= b; e >>= 1; }
    return (int64_t)r;
}
__device__ __forceinline__ bool m_pow(bool a, bool b) { return a || !b; }   // never launched
template <typename T> __device__ __forceinline__ T m_wrap_add(T a, T b) { return a + b; }
template <> __device__ __forceinline__ int64_t m_wrap_add(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }

template <int OP, typename T> __device__ __forceinline__ T binop(T a, T b) {
    switch (OP) {
    case TL_CUDA_ADD: return m_wrap_add<T>(a, b);
    case TL_CUDA_SUB: return m_wrap_add<T>(a, (T)(0 - b));
    case TL_CUDA_MUL: return (T)(a * b);
    case TL_CUDA_DIV: return (T)(a / b);
    case TL_CUDA_POW: return m_pow(a, b);
    case TL_CUDA_MAX: return (a > b || a != a) ? a : b;   // NaN wins
    case TL_CUDA_MIN: return (a < b || a != a) ? a : b;
    case TL_CUDA_EQ: return (T)(a == b);
    case TL_CUDA_NE: return (T)(a != b);
    case TL_CUDA_LT: return (T)(a < b);
    case TL_CUDA_LE: return (T)(a <= b);
    case TL_CUDA_GT: return (T)(a > b);
    case TL_CUDA_GE: return (T)(a >= b);
    case TL_CUDA_ABS_BW: return b > (T)0 ? a : b < (T)0 ? (T)(0 - a) : (T)0;
    case TL_CUDA_LOG_BW: return (T)(a / b);
    case TL_CUDA_SQRT_BW: return (T)(a / ((T)2 * b));
    case TL_CUDA_SIGMOID_BW: return (T)(a * b * ((T)1 - b));
    case TL_CUDA_TANH_BW: return (T)(a * ((T)1 - b * b));
    default: /* RELU_BW */ return b > (T)0 ? a : (T)0;
    }
}

// comparisons are computed in T and stored as bool: a bool result is 1 or 0 in any T
template <int OP, typename T> __global__ void binary_kernel(tl_cuda_ew e, int64_t n) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        int64_t off[3];
        ew_offsets(e, i, 3, off);
        ew_store<T>(e, off[0], binop<OP, T>(ew_load<T>(e, 1, off[1]), ew_load<T>(e, 2, off[2])));
    }
}

template <int OP, typename T> __device__ __forceinline__ T unop(T x) {
    switch (OP) {
    case TL_CUDA_NEG: return (T)(0 - x);
    case TL_CUDA_ABS: return x < (T)0 ? (T)(0 - x) : x;
    case TL_CUDA_RELU: return (x > (T)0 || x != x) ? x : (T)0;   // relu(NaN) = NaN
    case TL_CUDA_EXP: return m_exp(x);
    case TL_CUDA_LOG: return m_log(x);
    case TL_CUDA_SQRT: return m_sqrt(x);
    case TL_CUDA_SIGMOID: return (T)1 / ((T)1 + m_exp(-x));
    default: /* TANH */ return m_tanh(x);
    }
}

template <int OP, typename T> __global__ void unary_kernel(tl_cuda_ew e, int64_t n) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        int64_t off[2];
        ew_offsets(e, i, 2, off);
        ew_store<T>(e, off[0], unop<OP, T>(ew_load<T>(e, 1, off[1])));
    }
}

template <typename T> __global__ void where_kernel(tl_cuda_ew e, int64_t n) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        int64_t off[4];
        ew_offsets(e, i, 4, off);
        ew_store<T>(e, off[0], ew_load<bool>(e, 1, off[1]) ? ew_load<T>(e, 2, off[2]) : ew_load<T>(e, 3, off[3]));
    }
}

template <typename T> __global__ void copy_kernel(tl_cuda_ew e, int64_t n) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        int64_t off[2];
        ew_offsets(e, i, 2, off);
        ew_store<T>(e, off[0], ew_load<T>(e, 1, off[1]));
    }
}

__device__ __forceinline__ void atomic_add(float *p, float v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(double *p, double v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(int64_t *p, int64_t v) {
    atomicAdd((unsigned long long *)p, (unsigned long long)v);
}
__device__ __forceinline__ void atomic_add(bool *p, bool v) { if (v) *p = true; }   // "or": every writer writes true

template <typename T> __global__ void accumulate_kernel(tl_cuda_ew e, int64_t n) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        int64_t off[2];
        ew_offsets(e, i, 2, off);
        atomic_add((T *)e.data[0] + off[0], ew_load<T>(e, 1, off[1]));
    }
}

static int64_t ew_numel(const tl_cuda_ew *e) {
    int64_t n = 1;
    for (int d = 0; d < e->ndim; d++) n *= e->shape[d];
    return n;
}

// Is every operand (numbers aside) laid out contiguously in the output's order? Then element i
// of the output reads element i of each operand. A launch works on a copy with the flag set.
static tl_cuda_ew ew_prepare(const tl_cuda_ew *e) {
    tl_cuda_ew p = *e;
    p.linear = 1;
    for (int k = 0; k < TL_CUDA_EW_OPS && p.linear; k++) {
        if (!p.data[k]) continue;
        int64_t expect = 1;
        for (int d = p.ndim - 1; d >= 0 && p.linear; d--) {
            if (p.shape[d] != 1 && p.stride[k][d] != expect) p.linear = 0;
            expect *= p.shape[d];
        }
    }
    return p;
}

// one switch from the op code (a run-time value) to the kernel compiled for it
#define FOR_DTYPE(ct, KERNEL, ...)                                                               \
    switch (ct) {                                                                                \
    case TL_BOOL: KERNEL<__VA_ARGS__ bool><<<grid_for(n), THREADS>>>(ew_prepare(e), n); break;              \
    case TL_INT64: KERNEL<__VA_ARGS__ int64_t><<<grid_for(n), THREADS>>>(ew_prepare(e), n); break;          \
    case TL_FLOAT32: KERNEL<__VA_ARGS__ float><<<grid_for(n), THREADS>>>(ew_prepare(e), n); break;          \
    case TL_FLOAT64: KERNEL<__VA_ARGS__ double><<<grid_for(n), THREADS>>>(ew_prepare(e), n); break;         \
    }
#define FOR_FLOAT(ct, KERNEL, ...)                                                               \
    switch (ct) {                                                                                \
    case TL_FLOAT32: KERNEL<__VA_ARGS__ float><<<grid_for(n), THREADS>>>(ew_prepare(e), n); break;          \
    case TL_FLOAT64: KERNEL<__VA_ARGS__ double><<<grid_for(n), THREADS>>>(ew_prepare(e), n); break;         \
    default: tl_error_set(TL_RUNTIME_ERROR, "CUDA kernel: unsupported dtype"); return false;     \
    }
#define FOR_NUMBER(ct, KERNEL, ...)                                                              \
    switch (ct) {                                                                                \
    case TL_INT64: KERNEL<__VA_ARGS__ int64_t><<<grid_for(n), THREADS>>>(ew_prepare(e), n); break;          \
    case TL_FLOAT32: KERNEL<__VA_ARGS__ float><<<grid_for(n), THREADS>>>(ew_prepare(e), n); break;          \
    case TL_FLOAT64: KERNEL<__VA_ARGS__ double><<<grid_for(n), THREADS>>>(ew_prepare(e), n); break;         \
    default: tl_error_set(TL_RUNTIME_ERROR, "CUDA kernel: unsupported dtype"); return false;     \
    }

extern "C" bool tl_cuda_binary(int device, int op, tl_dtype ct, const tl_cuda_ew *e) {
    int64_t n = ew_numel(e);
    if (n == 0) return true;
    if (!use_device(device)) return false;
    switch (op) {
    case TL_CUDA_ADD: FOR_DTYPE(ct, binary_kernel, TL_CUDA_ADD,) break;
    case TL_CUDA_SUB: FOR_NUMBER(ct, binary_kernel, TL_CUDA_SUB,) break;
    case TL_CUDA_MUL: FOR_DTYPE(ct, binary_kernel, TL_CUDA_MUL,) break;
    case TL_CUDA_DIV: FOR_FLOAT(ct, binary_kernel, TL_CUDA_DIV,) break;
    case TL_CUDA_POW: FOR_NUMBER(ct, binary_kernel, TL_CUDA_POW,) break;
    case TL_CUDA_MAX: FOR_DTYPE(ct, binary_kernel, TL_CUDA_MAX,) break;
    case TL_CUDA_MIN: FOR_DTYPE(ct, binary_kernel, TL_CUDA_MIN,) break;
    case TL_CUDA_EQ: FOR_DTYPE(ct, binary_kernel, TL_CUDA_EQ,) break;
    case TL_CUDA_NE: FOR_DTYPE(ct, binary_kernel, TL_CUDA_NE,) break;
    case TL_CUDA_LT: FOR_DTYPE(ct, binary_kernel, TL_CUDA_LT,) break;
    case TL_CUDA_LE: FOR_DTYPE(ct, binary_kernel, TL_CUDA_LE,) break;
    case TL_CUDA_GT: FOR_DTYPE(ct, binary_kernel, TL_CUDA_GT,) break;
    case TL_CUDA_GE: FOR_DTYPE(ct, binary_kernel, TL_CUDA_GE,) break;
    case TL_CUDA_ABS_BW: FOR_FLOAT(ct, binary_kernel, TL_CUDA_ABS_BW,) break;
    case TL_CUDA_LOG_BW: FOR_FLOAT(ct, binary_kernel, TL_CUDA_LOG_BW,) break;
    case TL_CUDA_SQRT_BW: FOR_FLOAT(ct, binary_kernel, TL_CUDA_SQRT_BW,) break;
    case TL_CUDA_SIGMOID_BW: FOR_FLOAT(ct, binary_kernel, TL_CUDA_SIGMOID_BW,) break;
    case TL_CUDA_TANH_BW: FOR_FLOAT(ct, binary_kernel, TL_CUDA_TANH_BW,) break;
    case TL_CUDA_RELU_BW: FOR_FLOAT(ct, binary_kernel, TL_CUDA_RELU_BW,) break;
    default: tl_error_set(TL_RUNTIME_ERROR, "CUDA: unknown binary op %d", op); return false;
    }
    return LAUNCH_OK();
}

extern "C" bool tl_cuda_unary(int device, int op, tl_dtype ct, const tl_cuda_ew *e) {
    int64_t n = ew_numel(e);
    if (n == 0) return true;
    if (!use_device(device)) return false;
    switch (op) {
    case TL_CUDA_NEG: FOR_NUMBER(ct, unary_kernel, TL_CUDA_NEG,) break;
    case TL_CUDA_ABS: FOR_NUMBER(ct, unary_kernel, TL_CUDA_ABS,) break;
    case TL_CUDA_RELU: FOR_NUMBER(ct, unary_kernel, TL_CUDA_RELU,) break;
    case TL_CUDA_EXP: FOR_FLOAT(ct, unary_kernel, TL_CUDA_EXP,) break;
    case TL_CUDA_LOG: FOR_FLOAT(ct, unary_kernel, TL_CUDA_LOG,) break;
    case TL_CUDA_SQRT: FOR_FLOAT(ct, unary_kernel, TL_CUDA_SQRT,) break;
    case TL_CUDA_SIGMOID: FOR_FLOAT(ct, unary_kernel, TL_CUDA_SIGMOID,) break;
    case TL_CUDA_TANH: FOR_FLOAT(ct, unary_kernel, TL_CUDA_TANH,) break;
    default: tl_error_set(TL_RUNTIME_ERROR, "CUDA: unknown unary op %d", op); return false;
    }
    return LAUNCH_OK();
}

extern "C" bool tl_cuda_copy(int device, const tl_cuda_ew *e) {
    int64_t n = ew_numel(e);
    if (n == 0) return true;
    if (!use_device(device)) return false;
    tl_dtype to = e->dtype[0];
    FOR_DTYPE(to, copy_kernel, )
    return LAUNCH_OK();
}

extern "C" bool tl_cuda_where(int device, tl_dtype ct, const tl_cuda_ew *e) {
    int64_t n = ew_numel(e);
    if (n == 0) return true;
    if (!use_device(device)) return false;
    FOR_DTYPE(ct, where_kernel, )
    return LAUNCH_OK();
}

extern "C" bool tl_cuda_accumulate(int device, const tl_cuda_ew *e) {
    int64_t n = ew_numel(e);
    if (n == 0) return true;
    if (!use_device(device)) return false;
    tl_dtype to = e->dtype[0];
    FOR_DTYPE(to, accumulate_kernel, )
    return LAUNCH_OK();
}
#line 495 "chapters/08-gpu/08-gpu.md"
#line 1031 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// Reductions: one block per output value; its threads stride over the n reduced elements
// (x[(o*n + k)*inner + i]) and combine partial results in shared memory.
template <typename TA> __device__ TA block_sum(TA v, TA *shared) {
    shared[threadIdx.x] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if ((int)threadIdx.x < s) shared[threadIdx.x] = shared[threadIdx.x] + shared[threadIdx.x + s];
        __syncthreads();
    }
    TA r = shared[0];
    __syncthreads();
    return r;
}

template <typename TI, typename TA, typename TO>
__global__ void sum_kernel(const TI *x, TO *y, int64_t outer, int64_t n, int64_t inner, double scale) {
    __shared__ TA shared[THREADS];
    for (int64_t out = blockIdx.x; out < outer * inner; out += gridDim.x) {
        int64_t o = out / inner, i = out % inner;
        const TI *row = x + o * n * inner + i;
        TA acc = 0;
        for (int64_t k = threadIdx.x; k < n; k += blockDim.x) acc = acc + (TA)row[k * inner];
        acc = block_sum<TA>(acc, shared);
        if (threadIdx.x == 0) y[out] = (TO)(scale == 1.0 ? acc : (TA)(acc * scale));
    }
}

static int blocks_for(int64_t outputs) { return (int)(outputs < 1 ? 1 : outputs > 65535 ? 65535 : outputs); }

extern "C" bool tl_cuda_sum(int device, tl_dtype in, tl_dtype out, const void *x, void *y, int64_t outer, int64_t n,
                            int64_t inner, double scale) {
    if (outer * inner == 0) return true;
    if (!use_device(device)) return false;
    int B = blocks_for(outer * inner);
    switch (in) {
    case TL_BOOL:
        sum_kernel<bool, uint64_t, int64_t><<<B, THREADS>>>((const bool *)x, (int64_t *)y, outer, n, inner, 1.0);
        break;
    case TL_INT64:
        sum_kernel<int64_t, uint64_t, int64_t><<<B, THREADS>>>((const int64_t *)x, (int64_t *)y, outer, n, inner, 1.0);
        break;
    case TL_FLOAT32:
        sum_kernel<float, double, float><<<B, THREADS>>>((const float *)x, (float *)y, outer, n, inner, scale);
        break;
    case TL_FLOAT64:
        sum_kernel<double, double, double><<<B, THREADS>>>((const double *)x, (double *)y, outer, n, inner, scale);
        break;
    }
    (void)out;
    return LAUNCH_OK();
}

// the better of two (value, index) pairs: NaN wins, then the better value, then the lower index
template <typename T> __device__ __forceinline__ bool better(T v, int64_t iv, T b, int64_t ib, bool is_min) {
    bool vnan = v != v, bnan = b != b;
    if (vnan || bnan) return vnan && (!bnan || iv < ib);
    if (v == b) return iv < ib;
    return is_min ? v < b : v > b;
}

template <typename T>
__global__ void argbest_kernel(const T *x, T *best, int64_t *index, int64_t outer, int64_t n, int64_t inner,
                               bool is_min) {
    __shared__ T sv[THREADS];
    __shared__ int64_t si[THREADS];
    for (int64_t out = blockIdx.x; out < outer * inner; out += gridDim.x) {
        int64_t o = out / inner, i = out % inner;
        const T *row = x + o * n * inner + i;
        T b = row[0];
        int64_t ib = 0;
        for (int64_t k = threadIdx.x; k < n; k += blockDim.x)
            if (better(row[k * inner], k, b, ib, is_min)) { b = row[k * inner]; ib = k; }
        sv[threadIdx.x] = b;
        si[threadIdx.x] = ib;
        __syncthreads();
        for (int s = blockDim.x / 2; s > 0; s >>= 1) {
            if ((int)threadIdx.x < s && better(sv[threadIdx.x + s], si[threadIdx.x + s], sv[threadIdx.x],
                                                si[threadIdx.x], is_min)) {
                sv[threadIdx.x] = sv[threadIdx.x + s];
                si[threadIdx.x] = si[threadIdx.x + s];
            }
            __syncthreads();
        }
        if (threadIdx.x == 0) {
            if (best) best[out] = sv[0];
            if (index) index[out] = si[0];
        }
        __syncthreads();
    }
}

extern "C" bool tl_cuda_argbest(int device, tl_dtype dt, const void *x, void *best, int64_t *index, int64_t outer,
                                int64_t n, int64_t inner, bool is_min) {
    if (outer * inner == 0) return true;
    if (!use_device(device)) return false;
    int B = blocks_for(outer * inner);
    switch (dt) {
    case TL_BOOL: argbest_kernel<bool><<<B, THREADS>>>((const bool *)x, (bool *)best, index, outer, n, inner, is_min); break;
    case TL_INT64: argbest_kernel<int64_t><<<B, THREADS>>>((const int64_t *)x, (int64_t *)best, index, outer, n, inner, is_min); break;
    case TL_FLOAT32: argbest_kernel<float><<<B, THREADS>>>((const float *)x, (float *)best, index, outer, n, inner, is_min); break;
    case TL_FLOAT64: argbest_kernel<double><<<B, THREADS>>>((const double *)x, (double *)best, index, outer, n, inner, is_min); break;
    }
    return LAUNCH_OK();
}
#line 496 "chapters/08-gpu/08-gpu.md"
#line 1144 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// softmax / log_softmax: one block per (o, i) row of n elements; max and sum in double, as
// the CPU kernels of chapter 02 do. Backward: softmax dx = s (g - sum(g s)),
// log_softmax dx = g - exp(out) sum(g).
static __device__ double block_max(double v, double *shared) {
    shared[threadIdx.x] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if ((int)threadIdx.x < s && shared[threadIdx.x + s] > shared[threadIdx.x]) shared[threadIdx.x] = shared[threadIdx.x + s];
        __syncthreads();
    }
    double r = shared[0];
    __syncthreads();
    return r;
}

template <typename T>
__global__ void softmax_kernel(const T *x, const T *g, T *y, int64_t outer, int64_t n, int64_t inner, bool log_out) {
    __shared__ double shared[THREADS];
    for (int64_t row = blockIdx.x; row < outer * inner; row += gridDim.x) {
        int64_t o = row / inner, i = row % inner;
        int64_t base = o * n * inner + i;
        if (!g) {
            double mx = -INFINITY;
            for (int64_t k = threadIdx.x; k < n; k += blockDim.x) mx = fmax(mx, (double)x[base + k * inner]);
            mx = block_max(mx, shared);
            double sum = 0;
            for (int64_t k = threadIdx.x; k < n; k += blockDim.x) sum += (double)m_exp((T)(x[base + k * inner] - (T)mx));
            sum = block_sum<double>(sum, shared);
            double lsum = log(sum), inv = 1.0 / sum;
            for (int64_t k = threadIdx.x; k < n; k += blockDim.x) {
                T xm = (T)(x[base + k * inner] - (T)mx);
                y[base + k * inner] = log_out ? (T)(xm - (T)lsum) : (T)(m_exp(xm) * inv);
            }
        } else {
            double acc = 0;
            for (int64_t k = threadIdx.x; k < n; k += blockDim.x) {
                int64_t j = base + k * inner;
                acc += log_out ? (double)g[j] : (double)g[j] * (double)x[j];
            }
            acc = block_sum<double>(acc, shared);
            for (int64_t k = threadIdx.x; k < n; k += blockDim.x) {
                int64_t j = base + k * inner;
                y[j] = log_out ? (T)((double)g[j] - (double)m_exp(x[j]) * acc) : (T)((double)x[j] * ((double)g[j] - acc));
            }
        }
    }
}

extern "C" bool tl_cuda_softmax(int device, tl_dtype dt, const void *x, const void *grad, void *y, int64_t outer,
                                int64_t n, int64_t inner, bool log_out) {
    if (outer * inner * n == 0) return true;
    if (!use_device(device)) return false;
    int B = blocks_for(outer * inner);
    if (dt == TL_FLOAT32)
        softmax_kernel<float><<<B, THREADS>>>((const float *)x, (const float *)grad, (float *)y, outer, n, inner, log_out);
    else
        softmax_kernel<double><<<B, THREADS>>>((const double *)x, (const double *)grad, (double *)y, outer, n, inner, log_out);
    return LAUNCH_OK();
}
#line 497 "chapters/08-gpu/08-gpu.md"
#line 1214 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// nll_loss. The forward checks the targets on the device and writes a bad one into the device's
// error record (see the copies above); the host learns of it at its next wait for the device.
template <typename T>
__global__ void nll_forward_kernel(const T *x, const int64_t *t, int64_t n, int64_t c, T *loss, int64_t *err) {
    __shared__ double shared[THREADS];
    double sum = 0;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
        int64_t ti = t[i];
        if (ti < 0 || ti >= c) {
            if (atomicCAS((unsigned long long *)&err[0], DEVICE_ERROR_NONE, DEVICE_ERROR_TARGET) == DEVICE_ERROR_NONE)
                err[1] = ti;
            continue;
        }
        sum += (double)x[i * c + ti];
    }
    sum = block_sum<double>(sum, shared);
    if (threadIdx.x == 0) *loss = (T)(n > 0 ? -sum / (double)n : NAN);
}

template <typename T>
__global__ void nll_backward_kernel(const int64_t *t, int64_t n, int64_t c, const T *g, T *dx) {
    for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < n * c; j += (int64_t)gridDim.x * blockDim.x) {
        int64_t i = j / c;
        dx[j] = (j % c == t[i]) ? (T)(-(double)*g / (double)n) : (T)0;
    }
}

extern "C" bool tl_cuda_nll_forward(int device, tl_dtype dt, const void *x, const int64_t *t, int64_t n, int64_t c,
                                    void *loss) {
    if (!use_device(device)) return false;
    int64_t *err = error_record(device);
    if (!err) return false;
    if (dt == TL_FLOAT32) nll_forward_kernel<float><<<1, THREADS>>>((const float *)x, t, n, c, (float *)loss, err);
    else nll_forward_kernel<double><<<1, THREADS>>>((const double *)x, t, n, c, (double *)loss, err);
    return LAUNCH_OK();
}

extern "C" bool tl_cuda_nll_backward(int device, tl_dtype dt, const int64_t *t, int64_t n, int64_t c, const void *g,
                                     void *dx) {
    if (n * c == 0) return true;
    if (!use_device(device)) return false;
    if (dt == TL_FLOAT32) nll_backward_kernel<float><<<grid_for(n * c), THREADS>>>(t, n, c, (const float *)g, (float *)dx);
    else nll_backward_kernel<double><<<grid_for(n * c), THREADS>>>(t, n, c, (const double *)g, (double *)dx);
    return LAUNCH_OK();
}
#line 498 "chapters/08-gpu/08-gpu.md"
#line 1262 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// index_select and its rule: element i of the result (its position j along dim) reads, or adds
// into, the source at position idx[j] along dim. A bad index goes to the device's error record.
template <typename T>
__global__ void index_kernel(tl_cuda_ew e, int64_t n, int dim, const int64_t *idx, int64_t istride, int64_t size,
                             int64_t src_stride, bool add, int64_t *err) {
    int64_t inner = 1;
    for (int d = dim + 1; d < e.ndim; d++) inner *= e.shape[d];
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        int64_t off[2];
        ew_offsets(e, i, 2, off);   // operand 1's stride along dim is 0: its position comes from idx
        int64_t j = e.ndim ? (i / inner) % e.shape[dim] : 0, k = idx[j * istride];
        if (k < 0 || k >= size) {
            atomicCAS((unsigned long long *)&err[0], DEVICE_ERROR_NONE, DEVICE_ERROR_INDEX);
            continue;
        }
        T *src = (T *)e.data[1] + off[1] + k * src_stride, *res = (T *)e.data[0] + off[0];
        if (add) atomic_add(src, *res);
        else *res = *src;
    }
}

extern "C" bool tl_cuda_index(int device, const tl_cuda_ew *e, int dim, const int64_t *idx, int64_t istride,
                              int64_t size, int64_t src_stride, bool add) {
    int64_t n = ew_numel(e);
    if (n == 0) return true;
    if (!use_device(device)) return false;
    int64_t *err = error_record(device);
    if (!err) return false;
    tl_cuda_ew p = ew_prepare(e);
    switch (e->dtype[0]) {
    case TL_BOOL: index_kernel<bool><<<grid_for(n), THREADS>>>(p, n, dim, idx, istride, size, src_stride, add, err); break;
    case TL_INT64: index_kernel<int64_t><<<grid_for(n), THREADS>>>(p, n, dim, idx, istride, size, src_stride, add, err); break;
    case TL_FLOAT32: index_kernel<float><<<grid_for(n), THREADS>>>(p, n, dim, idx, istride, size, src_stride, add, err); break;
    case TL_FLOAT64: index_kernel<double><<<grid_for(n), THREADS>>>(p, n, dim, idx, istride, size, src_stride, add, err); break;
    }
    return LAUNCH_OK();
}

// ----------------------------------------------------------------------------
// chapter 04's activations, the formulas of activation.c in double, one thread per element
template <typename T>
__global__ void activation_kernel(int kind, double p, const T *x, const T *g, T *y, int64_t n) {
    const double SQRT1_2 = 0.70710678118654752440, INV_SQRT2PI = 0.39894228040143267794,
                 SQRT2_PI = 0.79788456080286535588, C = 0.044715;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        double v = x[i], r;
        if (!g) {
            switch (kind) {
            case 0: r = 0.5 * v * (1 + erf(v * SQRT1_2)); break;                           // GELU
            case 1: r = 0.5 * v * (1 + tanh(SQRT2_PI * (v + C * v * v * v))); break;      // GELU, tanh
            case 2: r = v / (1 + exp(-v)); break;                                          // SiLU
            case 3: r = v > 0 ? v : v * p; break;                                          // LeakyReLU
            default: r = v > 0 ? v : p * expm1(v); break;                                  // ELU
            }
        } else {
            double gi = g[i];
            switch (kind) {
            case 0: r = gi * (0.5 * (1 + erf(v * SQRT1_2)) + v * INV_SQRT2PI * exp(-0.5 * v * v)); break;
            case 1: {
                double t = tanh(SQRT2_PI * (v + C * v * v * v));
                r = gi * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SQRT2_PI * (1 + 3 * C * v * v));
            } break;
            case 2: { double s = 1 / (1 + exp(-v)); r = gi * s * (1 + v * (1 - s)); } break;
            case 3: r = v > 0 ? gi : gi * p; break;
            default: r = v > 0 ? gi : gi * p * exp(v); break;
            }
        }
        y[i] = (T)r;
    }
}

extern "C" bool tl_cuda_activation(int device, tl_dtype dt, int kind, double p, const void *x, const void *g, void *y,
                                   int64_t n) {
    if (n == 0) return true;
    if (!use_device(device)) return false;
    if (dt == TL_FLOAT32)
        activation_kernel<float><<<grid_for(n), THREADS>>>(kind, p, (const float *)x, (const float *)g, (float *)y, n);
    else
        activation_kernel<double><<<grid_for(n), THREADS>>>(kind, p, (const double *)x, (const double *)g, (double *)y, n);
    return LAUNCH_OK();
}

// ----------------------------------------------------------------------------
// SGD: the loop of optim.c, one thread per element
template <typename T>
__global__ void sgd_kernel(T *w, const T *g, T *buf, bool first, int64_t n, T lr, T wd, T mu, T damp, bool nesterov) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        T d = g[i];
        if (wd != (T)0) d = d + wd * w[i];
        if (buf) {
            buf[i] = first ? d : mu * buf[i] + damp * d;
            d = nesterov ? d + mu * buf[i] : buf[i];
        }
        w[i] = w[i] - lr * d;
    }
}

extern "C" bool tl_cuda_sgd(int device, tl_dtype dt, void *w, const void *g, void *buf, bool first, int64_t n,
                            double lr, double momentum, double dampening, double weight_decay, bool nesterov) {
    if (n == 0) return true;
    if (!use_device(device)) return false;
    if (dt == TL_FLOAT32)
        sgd_kernel<float><<<grid_for(n), THREADS>>>((float *)w, (const float *)g, (float *)buf, first, n, (float)lr,
                                                     (float)weight_decay, (float)momentum, (float)(1 - dampening), nesterov);
    else
        sgd_kernel<double><<<grid_for(n), THREADS>>>((double *)w, (const double *)g, (double *)buf, first, n, lr,
                                                      weight_decay, momentum, 1 - dampening, nesterov);
    return LAUNCH_OK();
}
#line 499 "chapters/08-gpu/08-gpu.md"
#line 1391 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// cuBLAS, loaded when first needed (dlopen), so that libtorchlet.so itself needs no cuBLAS to
// load and run on a machine without CUDA. cuBLAS is column-major; a row-major C = A @ B is the
// column-major C^T = B^T @ A^T, and a row-major buffer read column-major IS the transpose: so
// call gemm with the operands swapped (B first) and the same leading dimensions.
typedef int cublas_status;
typedef void *cublas_handle;
enum { CUBLAS_OP_N_ = 0, CUBLAS_OP_T_ = 1 };
typedef cublas_status (*create_fn)(cublas_handle *);
typedef cublas_status (*sgemm_fn)(cublas_handle, int, int, int, int, int, const float *, const float *, int,
                                  const float *, int, const float *, float *, int);
typedef cublas_status (*dgemm_fn)(cublas_handle, int, int, int, int, int, const double *, const double *, int,
                                  const double *, int, const double *, double *, int);
static struct {
    pthread_once_t once;
    void *lib;
    create_fn create;
    sgemm_fn sgemm;
    dgemm_fn dgemm;
    cublas_handle handle[MAX_DEVICES];
} blas = { PTHREAD_ONCE_INIT, NULL, NULL, NULL, NULL, { NULL } };

#ifndef TL_CUDA_LIBDIR                 // where the build found the toolkit's libraries (the Makefile says)
#define TL_CUDA_LIBDIR "/usr/local/cuda/lib64"
#endif
static void blas_load(void) {
    static const char *names[] = { "libcublas.so.13", TL_CUDA_LIBDIR "/libcublas.so.13", "libcublas.so.12",
                                   TL_CUDA_LIBDIR "/libcublas.so.12", "libcublas.so", TL_CUDA_LIBDIR "/libcublas.so" };
    for (size_t i = 0; i < sizeof names / sizeof *names && !blas.lib; i++) blas.lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!blas.lib) return;
    blas.create = (create_fn)dlsym(blas.lib, "cublasCreate_v2");
    blas.sgemm = (sgemm_fn)dlsym(blas.lib, "cublasSgemm_v2");
    blas.dgemm = (dgemm_fn)dlsym(blas.lib, "cublasDgemm_v2");
}

static cublas_handle blas_handle(int device) {
    pthread_once(&blas.once, blas_load);
    if (!blas.create || !blas.sgemm || !blas.dgemm) {
        tl_error_set(TL_RUNTIME_ERROR, "cuBLAS could not be loaded: %s (add the CUDA libraries' folder to "
                     "LD_LIBRARY_PATH)", blas.lib ? "cublasCreate_v2/cublasSgemm_v2 missing" : "libcublas.so not found");
        return NULL;
    }
    pthread_mutex_lock(&alloc_lock);
    if (!blas.handle[device]) {
        cublas_status st = blas.create(&blas.handle[device]);
        if (st != 0) {
            blas.handle[device] = NULL;
            tl_error_set(TL_RUNTIME_ERROR, "CUDA error: CUBLAS_STATUS_NOT_INITIALIZED when calling `cublasCreate(handle)` "
                         "(status %d)", st);
        }
    }
    cublas_handle h = blas.handle[device];
    pthread_mutex_unlock(&alloc_lock);
    return h;
}

extern "C" bool tl_cuda_gemm(int device, tl_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
                             const void *a, int64_t lda, const void *b, int64_t ldb, void *c, int64_t ldc,
                             bool accumulate) {
    if (m == 0 || n == 0) return true;
    if (m > INT32_MAX || n > INT32_MAX || k > INT32_MAX || lda > INT32_MAX || ldb > INT32_MAX || ldc > INT32_MAX) {
        tl_error_set(TL_RUNTIME_ERROR, "matmul: matrix dimensions exceed the cuBLAS integer range");
        return false;
    }
    if (dt != TL_FLOAT32 && dt != TL_FLOAT64) {
        tl_error_set(TL_RUNTIME_ERROR, "\"addmm_cuda\" not implemented for '%s'", dt == TL_INT64 ? "Long" : "Bool");
        return false;
    }
    if (!use_device(device)) return false;
    cublas_handle h = blas_handle(device);
    if (!h) return false;
    if (k == 0) return accumulate || CUDA_OK(cudaMemset2DAsync(c, (size_t)ldc * tl_dtype_size(dt), 0,
                                                               (size_t)n * tl_dtype_size(dt), (size_t)m, 0));
    int opa = ta ? CUBLAS_OP_T_ : CUBLAS_OP_N_, opb = tb ? CUBLAS_OP_T_ : CUBLAS_OP_N_;
    cublas_status st;
    if (dt == TL_FLOAT32) {
        float one = 1.0f, beta = accumulate ? 1.0f : 0.0f;
        st = blas.sgemm(h, opb, opa, (int)n, (int)m, (int)k, &one, (const float *)b, (int)ldb, (const float *)a,
                        (int)lda, &beta, (float *)c, (int)ldc);
    } else {
        double one = 1.0, beta = accumulate ? 1.0 : 0.0;
        st = blas.dgemm(h, opb, opa, (int)n, (int)m, (int)k, &one, (const double *)b, (int)ldb, (const double *)a,
                        (int)lda, &beta, (double *)c, (int)ldc);
    }
    if (st != 0) {
        tl_error_set(TL_RUNTIME_ERROR, "CUDA error: cuBLAS gemm failed with status %d (m=%lld, n=%lld, k=%lld) at %s:%d",
                     st, (long long)m, (long long)n, (long long)k, __FILE__, __LINE__);
        return false;
    }
    return LAUNCH_OK();
}
