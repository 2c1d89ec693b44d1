// tests/mock/mock_cuda.c — a HOST EMULATION of lib/cuda_backend.cu, for testing the device
// plumbing of chapter 08 on a machine without a GPU: the ops' dispatch, tl_to, model.to, the
// autograd engine on "device" tensors, printing, the lab's GPU cells and tests/test_ch08_cuda.c.
//
// "Device memory" is host memory behind a pointer moved out of the canonical address range
// (+2^62), so any host code that dereferences a device pointer by mistake crashes at once,
// as it would on a real GPU; every emulated kernel moves the pointers back first. The kernels
// are plain loops with the semantics of the CUDA ones. This file replaces cuda_backend.cu and
// cuda.cu in a build made by tests/mock/run.sh; it is not part of the library.
#define _POSIX_C_SOURCE 200809L
#include "device.h"
#include "cuda.h"
#include "mock_ptr.h"    // TAG, H (device -> host), D (host -> device)

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static tl_cuda_memory_stats stats;
// a bad nll_loss target (or index: -1), reported at the next wait for the device, as the real
// backend does
static int64_t pending_target;
static bool pending;

// one emulated GPU, or TL_MOCK_GPUS of them (chapter 09: each rank of mpirun -np 2 on its own).
// They all share this process's memory; only the device numbers differ.
int tl_cuda_backend_device_count(void) {
    const char *v = getenv("TL_MOCK_GPUS");
    int n = v && *v ? atoi(v) : 1;
    return n < 1 ? 1 : n > 8 ? 8 : n;
}

bool tl_cuda_check_device(int index) {
    if (index < 0 || index >= tl_cuda_backend_device_count()) {
        tl_error_set(TL_RUNTIME_ERROR, "CUDA error: invalid device ordinal");
        return false;
    }
    return true;
}

// a tiny cache, to exercise malloc_calls the way the real allocator counts them
typedef struct blk { void *p; size_t size; struct blk *next; } blk;
static blk *cache;

// a test may make the next N allocations fail, as on a GPU out of memory (tests/test_ch08_cuda.c)
int tl_mock_malloc_failures;

void *tl_cuda_malloc(int device, size_t nbytes, size_t *capacity) {
    if (!tl_cuda_check_device(device)) return NULL;
    if (tl_mock_malloc_failures > 0) {
        tl_mock_malloc_failures--;
        tl_error_set(TL_RUNTIME_ERROR, "CUDA out of memory");
        return NULL;
    }
    size_t size = nbytes < 512 ? 512 : (nbytes + 511) & ~(size_t)511;
    for (blk **b = &cache; *b; b = &(*b)->next)
        if ((*b)->size == size) {
            blk *x = *b;
            *b = x->next;
            void *p = x->p;
            free(x);
            stats.allocated += size;
            *capacity = size;
            return p;
        }
    static bool registered = false;
    if (!registered) registered = atexit(tl_cuda_empty_cache) == 0;   // cached blocks are not leaks
    void *p = malloc(size);
    if (!p) { tl_error_set(TL_RUNTIME_ERROR, "CUDA out of memory"); return NULL; }
    memset(p, 0xA5, size);   // garbage, as cudaMalloc gives
    stats.malloc_calls++;
    stats.reserved += size;
    stats.allocated += size;
    *capacity = size;
    return D(p);
}

void tl_cuda_free(int device, void *ptr, size_t capacity) {
    (void)device;
    if (!ptr) return;
    blk *b = malloc(sizeof *b);
    if (!b) {   // no room to cache it: give it back, as the real allocator does
        stats.allocated -= capacity;
        stats.reserved -= capacity;
        free(H(ptr));
        return;
    }
    b->p = ptr;
    b->size = capacity;
    b->next = cache;
    cache = b;
    stats.allocated -= capacity;
}

void tl_cuda_empty_cache(void) {
    while (cache) {
        blk *b = cache;
        cache = b->next;
        stats.reserved -= b->size;
        free(H(b->p));
        free(b);
    }
}

tl_cuda_memory_stats tl_cuda_memory(void) { return stats; }


static bool check_pending(void) {
    if (!pending) return true;
    pending = false;
    if (pending_target >= 0) tl_error_set(TL_INDEX_ERROR, "Target %lld is out of bounds.", (long long)pending_target);
    else tl_error_set(TL_INDEX_ERROR, "index out of range in self");
    return false;
}

bool tl_cuda_memcpy(int device, void *dst, const void *src, size_t nbytes, tl_copy_kind kind) {
    (void)device;
    if (nbytes == 0) return true;
    memcpy(kind == TL_D2H ? dst : H(dst), kind == TL_H2D ? src : H(src), nbytes);
    return kind != TL_D2H || check_pending();
}

bool tl_cuda_memset0(int device, void *dst, size_t nbytes) {
    (void)device;
    if (nbytes) memset(H(dst), 0, nbytes);
    return true;
}

bool tl_cuda_synchronize(int device) { (void)device; return check_pending(); }

// ----------------------------------------------------------------------------
// element-wise: every value goes through double (int64 through int64 where exactness matters)
static int64_t numel(const tl_cuda_ew *e) {
    int64_t n = 1;
    for (int d = 0; d < e->ndim; d++) n *= e->shape[d];
    return n;
}

static void offsets(const tl_cuda_ew *e, int64_t i, int64_t *off) {
    off[0] = off[1] = off[2] = off[3] = 0;
    for (int d = e->ndim - 1; d >= 0; d--) {
        int64_t idx = i % e->shape[d];
        i /= e->shape[d];
        for (int k = 0; k < 4; k++) off[k] += idx * e->stride[k][d];
    }
}

static double loadd(const tl_cuda_ew *e, int k, int64_t off) {
    if (!e->data[k]) return e->dtype[k] == TL_INT64 || e->dtype[k] == TL_BOOL ? (double)e->iscalar[k] : e->scalar[k];
    const char *p = H(e->data[k]);
    switch (e->dtype[k]) {
    case TL_BOOL: return ((const bool *)p)[off];
    case TL_INT64: return (double)((const int64_t *)p)[off];
    case TL_FLOAT32: return ((const float *)p)[off];
    default: return ((const double *)p)[off];
    }
}

static int64_t loadi(const tl_cuda_ew *e, int k, int64_t off) {
    if (!e->data[k]) return e->dtype[k] == TL_INT64 || e->dtype[k] == TL_BOOL ? e->iscalar[k] : (int64_t)e->scalar[k];
    const char *p = H(e->data[k]);
    switch (e->dtype[k]) {
    case TL_BOOL: return ((const bool *)p)[off];
    case TL_INT64: return ((const int64_t *)p)[off];
    case TL_FLOAT32: return (int64_t)((const float *)p)[off];
    default: return (int64_t)((const double *)p)[off];
    }
}

static void stored(const tl_cuda_ew *e, int64_t off, double v, int64_t iv, bool exact_int) {
    char *p = H(e->data[0]);
    switch (e->dtype[0]) {
    case TL_BOOL: ((bool *)p)[off] = exact_int ? iv != 0 : v != 0; break;
    case TL_INT64: ((int64_t *)p)[off] = exact_int ? iv : (int64_t)v; break;
    case TL_FLOAT32: ((float *)p)[off] = (float)v; break;
    default: ((double *)p)[off] = v; break;
    }
}

static int64_t ipow(int64_t base, int64_t ex) {
    if (ex < 0) return base == 1 ? 1 : base == -1 ? ((ex & 1) ? -1 : 1) : 0;
    uint64_t r = 1, b = (uint64_t)base;
    while (ex) { if (ex & 1) r *= b; b *= b; ex >>= 1; }
    return (int64_t)r;
}

bool tl_cuda_binary(int device, int op, tl_dtype ct, const tl_cuda_ew *e) {
    (void)device;
    bool isint = ct == TL_INT64 || ct == TL_BOOL;
    for (int64_t i = 0, n = numel(e); i < n; i++) {
        int64_t off[4];
        offsets(e, i, off);
        if (isint) {
            int64_t a = loadi(e, 1, off[1]), b = loadi(e, 2, off[2]), r;
            if (ct == TL_BOOL) { a = a != 0; b = b != 0; }
            switch (op) {
            case TL_CUDA_ADD: r = ct == TL_BOOL ? (a || b) : (int64_t)((uint64_t)a + (uint64_t)b); break;
            case TL_CUDA_SUB: r = (int64_t)((uint64_t)a - (uint64_t)b); break;
            case TL_CUDA_MUL: r = ct == TL_BOOL ? (a && b) : (int64_t)((uint64_t)a * (uint64_t)b); break;
            case TL_CUDA_POW: r = ipow(a, b); break;
            case TL_CUDA_MAX: r = a > b ? a : b; break;
            case TL_CUDA_MIN: r = a < b ? a : b; break;
            case TL_CUDA_EQ: r = a == b; break;
            case TL_CUDA_NE: r = a != b; break;
            case TL_CUDA_LT: r = a < b; break;
            case TL_CUDA_LE: r = a <= b; break;
            case TL_CUDA_GT: r = a > b; break;
            case TL_CUDA_GE: r = a >= b; break;
            default: tl_error_set(TL_RUNTIME_ERROR, "mock: op %d on integers", op); return false;
            }
            stored(e, off[0], (double)r, r, true);
        } else {
            double a = loadd(e, 1, off[1]), b = loadd(e, 2, off[2]), r;
            if (ct == TL_FLOAT32) { a = (float)a; b = (float)b; }
            switch (op) {
            case TL_CUDA_ADD: r = a + b; break;
            case TL_CUDA_SUB: r = a - b; break;
            case TL_CUDA_MUL: r = a * b; break;
            case TL_CUDA_DIV: r = a / b; break;
            case TL_CUDA_POW: r = ct == TL_FLOAT32 ? powf((float)a, (float)b) : pow(a, b); break;
            case TL_CUDA_MAX: r = (a > b || a != a) ? a : b; break;
            case TL_CUDA_MIN: r = (a < b || a != a) ? a : b; break;
            case TL_CUDA_EQ: r = a == b; break;
            case TL_CUDA_NE: r = a != b; break;
            case TL_CUDA_LT: r = a < b; break;
            case TL_CUDA_LE: r = a <= b; break;
            case TL_CUDA_GT: r = a > b; break;
            case TL_CUDA_GE: r = a >= b; break;
            case TL_CUDA_ABS_BW: r = b > 0 ? a : b < 0 ? -a : 0; break;
            case TL_CUDA_LOG_BW: r = a / b; break;
            case TL_CUDA_SQRT_BW: r = a / (2 * b); break;
            case TL_CUDA_SIGMOID_BW: r = a * b * (1 - b); break;
            case TL_CUDA_TANH_BW: r = a * (1 - b * b); break;
            case TL_CUDA_RELU_BW: r = b > 0 ? a : 0; break;
            default: tl_error_set(TL_RUNTIME_ERROR, "mock: op %d", op); return false;
            }
            stored(e, off[0], r, 0, false);
        }
    }
    return true;
}

bool tl_cuda_unary(int device, int op, tl_dtype ct, const tl_cuda_ew *e) {
    (void)device;
    for (int64_t i = 0, n = numel(e); i < n; i++) {
        int64_t off[4];
        offsets(e, i, off);
        if (ct == TL_INT64) {
            int64_t x = loadi(e, 1, off[1]), r;
            switch (op) {
            case TL_CUDA_NEG: r = (int64_t)(0 - (uint64_t)x); break;
            case TL_CUDA_ABS: r = x < 0 ? (int64_t)(0 - (uint64_t)x) : x; break;
            case TL_CUDA_RELU: r = x > 0 ? x : 0; break;
            default: tl_error_set(TL_RUNTIME_ERROR, "mock: unary %d on integers", op); return false;
            }
            stored(e, off[0], (double)r, r, true);
        } else {
            double x = loadd(e, 1, off[1]), r;
            bool f = ct == TL_FLOAT32;
            switch (op) {
            case TL_CUDA_NEG: r = -x; break;
            case TL_CUDA_ABS: r = fabs(x); break;
            case TL_CUDA_RELU: r = x > 0 || x != x ? x : 0; break;
            case TL_CUDA_EXP: r = f ? expf((float)x) : exp(x); break;
            case TL_CUDA_LOG: r = f ? logf((float)x) : log(x); break;
            case TL_CUDA_SQRT: r = f ? sqrtf((float)x) : sqrt(x); break;
            case TL_CUDA_SIGMOID: r = f ? 1.0f / (1.0f + expf((float)-x)) : 1 / (1 + exp(-x)); break;
            default: r = f ? tanhf((float)x) : tanh(x); break;
            }
            stored(e, off[0], r, 0, false);
        }
    }
    return true;
}

bool tl_cuda_copy(int device, const tl_cuda_ew *e) {
    (void)device;
    bool exact = e->dtype[1] == TL_INT64 || e->dtype[1] == TL_BOOL;
    for (int64_t i = 0, n = numel(e); i < n; i++) {
        int64_t off[4];
        offsets(e, i, off);
        stored(e, off[0], loadd(e, 1, off[1]), loadi(e, 1, off[1]), exact);
    }
    return true;
}

bool tl_cuda_where(int device, tl_dtype ct, const tl_cuda_ew *e) {
    (void)device;
    bool exact = ct == TL_INT64 || ct == TL_BOOL;
    for (int64_t i = 0, n = numel(e); i < n; i++) {
        int64_t off[4];
        offsets(e, i, off);
        int k = loadi(e, 1, off[1]) ? 2 : 3;
        stored(e, off[0], loadd(e, k, off[k]), loadi(e, k, off[k]), exact);
    }
    return true;
}

bool tl_cuda_index(int device, const tl_cuda_ew *e, int dim, const int64_t *idx, int64_t istride, int64_t size,
                   int64_t src_stride, bool add) {
    (void)device;
    idx = H(idx);
    int64_t inner = 1;
    for (int d = dim + 1; d < e->ndim; d++) inner *= e->shape[d];
    size_t es = tl_dtype_size(e->dtype[0]);
    for (int64_t i = 0, n = numel(e); i < n; i++) {
        int64_t off[4];
        offsets(e, i, off);
        int64_t j = e->ndim ? (i / inner) % e->shape[dim] : 0, k = idx[j * istride];
        if (k < 0 || k >= size) {
            if (!pending) { pending = true; pending_target = -1; }
            continue;
        }
        char *src = (char *)H(e->data[1]) + (off[1] + k * src_stride) * (int64_t)es, *res = (char *)H(e->data[0]) + off[0] * (int64_t)es;
        if (!add) { memcpy(res, src, es); continue; }
        switch (e->dtype[0]) {
        case TL_BOOL: *(bool *)src |= *(bool *)res; break;
        case TL_INT64: *(int64_t *)src += *(int64_t *)res; break;
        case TL_FLOAT32: *(float *)src += *(float *)res; break;
        default: *(double *)src += *(double *)res; break;
        }
    }
    return true;
}

bool tl_cuda_accumulate(int device, const tl_cuda_ew *e) {
    (void)device;
    for (int64_t i = 0, n = numel(e); i < n; i++) {
        int64_t off[4];
        offsets(e, i, off);
        char *p = H(e->data[0]);
        switch (e->dtype[0]) {
        case TL_BOOL: if (loadi(e, 1, off[1])) ((bool *)p)[off[0]] = true; break;
        case TL_INT64: ((int64_t *)p)[off[0]] += loadi(e, 1, off[1]); break;
        case TL_FLOAT32: ((float *)p)[off[0]] += (float)loadd(e, 1, off[1]); break;
        default: ((double *)p)[off[0]] += loadd(e, 1, off[1]); break;
        }
    }
    return true;
}

// ----------------------------------------------------------------------------
static double at(tl_dtype dt, const void *x, int64_t j) {
    switch (dt) {
    case TL_BOOL: return ((const bool *)x)[j];
    case TL_INT64: return (double)((const int64_t *)x)[j];
    case TL_FLOAT32: return ((const float *)x)[j];
    default: return ((const double *)x)[j];
    }
}

bool tl_cuda_sum(int device, tl_dtype in, tl_dtype out, const void *x, void *y, int64_t outer, int64_t n,
                 int64_t inner, double scale) {
    (void)device;
    x = H(x), y = H(y);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            if (in == TL_INT64 || in == TL_BOOL) {
                uint64_t acc = 0;   // exact: int64 values are not read through double
                for (int64_t k = 0; k < n; k++) {
                    int64_t j = (o * n + k) * inner + i;
                    acc += in == TL_INT64 ? (uint64_t)((const int64_t *)x)[j] : (uint64_t)((const bool *)x)[j];
                }
                ((int64_t *)y)[o * inner + i] = (int64_t)acc;
            } else {
                double acc = 0;
                for (int64_t k = 0; k < n; k++) acc += at(in, x, (o * n + k) * inner + i);
                acc *= scale;
                if (out == TL_FLOAT32) ((float *)y)[o * inner + i] = (float)acc;
                else ((double *)y)[o * inner + i] = acc;
            }
        }
    return true;
}

bool tl_cuda_argbest(int device, tl_dtype dt, const void *x, void *best, int64_t *index, int64_t outer, int64_t n,
                     int64_t inner, bool is_min) {
    (void)device;
    x = H(x), best = H(best), index = H(index);
    size_t es = tl_dtype_size(dt);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t bi = 0;
            double b = at(dt, x, o * n * inner + i);
            for (int64_t k = 1; k < n; k++) {
                double v = at(dt, x, (o * n + k) * inner + i);
                if (b == b && ((is_min ? v < b : v > b) || v != v)) { b = v; bi = k; }
            }
            if (best) memcpy((char *)best + (o * inner + i) * (int64_t)es, (const char *)x + ((o * n + bi) * inner + i) * (int64_t)es, es);
            if (index) index[o * inner + i] = bi;
        }
    return true;
}

bool tl_cuda_softmax(int device, tl_dtype dt, const void *x, const void *grad, void *y, int64_t outer, int64_t n,
                     int64_t inner, bool log_out) {
    (void)device;
    x = H(x), grad = H(grad), y = H(y);
    bool f = dt == TL_FLOAT32;
#define AT(p, j) (f ? (double)((const float *)(p))[j] : ((const double *)(p))[j])
#define SET(p, j, v) do { if (f) ((float *)(p))[j] = (float)(v); else ((double *)(p))[j] = (v); } while (0)
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t base = o * n * inner + i;
            if (!grad) {
                double mx = -INFINITY, sum = 0;
                for (int64_t k = 0; k < n; k++) mx = fmax(mx, AT(x, base + k * inner));
                for (int64_t k = 0; k < n; k++) sum += f ? expf((float)(AT(x, base + k * inner) - (float)mx)) : exp(AT(x, base + k * inner) - mx);
                for (int64_t k = 0; k < n; k++) {
                    double xm = f ? (double)(float)(AT(x, base + k * inner) - (float)mx) : AT(x, base + k * inner) - mx;
                    SET(y, base + k * inner, log_out ? xm - (f ? (double)(float)log(sum) : log(sum)) : (f ? expf((float)xm) : exp(xm)) / sum);
                }
            } else {
                double acc = 0;
                for (int64_t k = 0; k < n; k++) acc += log_out ? AT(grad, base + k * inner) : AT(grad, base + k * inner) * AT(x, base + k * inner);
                for (int64_t k = 0; k < n; k++) {
                    int64_t j = base + k * inner;
                    SET(y, j, log_out ? AT(grad, j) - exp(AT(x, j)) * acc : AT(x, j) * (AT(grad, j) - acc));
                }
            }
        }
    return true;
}

bool tl_cuda_nll_forward(int device, tl_dtype dt, const void *x, const int64_t *t, int64_t n, int64_t c, void *loss) {
    (void)device;
    x = H(x), t = H(t), loss = H(loss);
    double sum = 0;
    for (int64_t i = 0; i < n; i++) {
        if (t[i] < 0 || t[i] >= c) {
            if (!pending) { pending = true; pending_target = t[i]; }
            continue;
        }
        sum += at(dt, x, i * c + t[i]);
    }
    double v = n > 0 ? -sum / (double)n : NAN;
    if (dt == TL_FLOAT32) *(float *)loss = (float)v; else *(double *)loss = v;
    return true;
}

bool tl_cuda_nll_backward(int device, tl_dtype dt, const int64_t *t, int64_t n, int64_t c, const void *g, void *dx) {
    (void)device;
    t = H(t), g = H(g), dx = H(dx);
    double gv = at(dt, g, 0);
    for (int64_t j = 0; j < n * c; j++) {
        double v = (j % c == t[j / c]) ? -gv / (double)n : 0;
        if (dt == TL_FLOAT32) ((float *)dx)[j] = (float)v; else ((double *)dx)[j] = v;
    }
    return true;
}

bool tl_cuda_activation(int device, tl_dtype dt, int kind, double p, const void *x, const void *g, void *y, int64_t n) {
    (void)device;
    x = H(x), g = H(g), y = H(y);
    for (int64_t i = 0; i < n; i++) {
        double v = at(dt, x, i), r;
        if (!g) {
            switch (kind) {
            case 0: r = 0.5 * v * (1 + erf(v * 0.70710678118654752440)); break;
            case 1: r = 0.5 * v * (1 + tanh(0.79788456080286535588 * (v + 0.044715 * v * v * v))); break;
            case 2: r = v / (1 + exp(-v)); break;
            case 3: r = v > 0 ? v : v * p; break;
            default: r = v > 0 ? v : p * expm1(v); break;
            }
        } else {
            double gi = at(dt, g, i);
            switch (kind) {
            case 0: r = gi * (0.5 * (1 + erf(v * 0.70710678118654752440)) + v * 0.39894228040143267794 * exp(-0.5 * v * v)); break;
            case 1: { double t = tanh(0.79788456080286535588 * (v + 0.044715 * v * v * v));
                      r = gi * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * 0.79788456080286535588 * (1 + 3 * 0.044715 * v * v)); } break;
            case 2: { double s = 1 / (1 + exp(-v)); r = gi * s * (1 + v * (1 - s)); } break;
            case 3: r = v > 0 ? gi : gi * p; break;
            default: r = v > 0 ? gi : gi * p * exp(v); break;
            }
        }
        if (dt == TL_FLOAT32) ((float *)y)[i] = (float)r; else ((double *)y)[i] = r;
    }
    return true;
}

bool tl_cuda_sgd(int device, tl_dtype dt, void *w, const void *g, void *buf, bool first, int64_t n, double lr,
                 double momentum, double dampening, double weight_decay, bool nesterov) {
    (void)device;
    w = H(w), g = H(g), buf = H(buf);
    for (int64_t i = 0; i < n; i++) {
        if (dt == TL_FLOAT32) {
            float *W = w, *B = buf, d = ((const float *)g)[i];
            if (weight_decay != 0) d = d + (float)weight_decay * W[i];
            if (B) { B[i] = first ? d : (float)momentum * B[i] + (float)(1 - dampening) * d; d = nesterov ? d + (float)momentum * B[i] : B[i]; }
            W[i] = W[i] - (float)lr * d;
        } else {
            double *W = w, *B = buf, d = ((const double *)g)[i];
            if (weight_decay != 0) d = d + weight_decay * W[i];
            if (B) { B[i] = first ? d : momentum * B[i] + (1 - dampening) * d; d = nesterov ? d + momentum * B[i] : B[i]; }
            W[i] = W[i] - lr * d;
        }
    }
    return true;
}

// row-major C = A @ B (+ C), with cuBLAS's argument checks on the leading dimensions
bool tl_cuda_gemm(int device, tl_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void *a,
                  int64_t lda, const void *b, int64_t ldb, void *c, int64_t ldc, bool accumulate) {
    (void)device;
    if (dt != TL_FLOAT32 && dt != TL_FLOAT64) {
        tl_error_set(TL_RUNTIME_ERROR, "\"addmm_cuda\" not implemented for '%s'", dt == TL_INT64 ? "Long" : "Bool");
        return false;
    }
    // cuBLAS (column-major, swapped): op(B') is n x k with ld >= (tb ? k : n); op(A') k x m, ld >= (ta ? m : k)
    if (ldb < (tb ? (k > 1 ? k : 1) : (n > 1 ? n : 1)) || lda < (ta ? (m > 1 ? m : 1) : (k > 1 ? k : 1)) ||
        ldc < (n > 1 ? n : 1)) {
        tl_error_set(TL_RUNTIME_ERROR, "mock cuBLAS: bad leading dimension (m=%lld n=%lld k=%lld lda=%lld ldb=%lld ldc=%lld ta=%d tb=%d)",
                     (long long)m, (long long)n, (long long)k, (long long)lda, (long long)ldb, (long long)ldc, ta, tb);
        return false;
    }
    a = H(a), b = H(b), c = H(c);
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0;
            for (int64_t p = 0; p < k; p++)
                s += at(dt, a, ta ? p * lda + i : i * lda + p) * at(dt, b, tb ? j * ldb + p : p * ldb + j);
            if (dt == TL_FLOAT32) { float *C = c; C[i * ldc + j] = (float)((accumulate ? C[i * ldc + j] : 0) + s); }
            else { double *C = c; C[i * ldc + j] = (accumulate ? C[i * ldc + j] : 0) + s; }
        }
    return true;
}
