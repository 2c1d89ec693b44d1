/* generated from chapters/08-gpu/08-gpu.md by tools/tangle.lua; edit the chapter, not this file */
#line 192 "chapters/08-gpu/08-gpu.md"
// device.c — the C front of the GPU backend: device names, the same-device rule, .to(device),
// module.to(device), element access and fills on a device; and, in a build without CUDA, the
// backend's functions as stubs that fail with PyTorch's "Torch not compiled with CUDA enabled".
#include "device.h"
#include "autograd.h"
#include "nn.h"
#include "setup.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#line 213 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// Names
bool tl_device_parse(const char *name, tl_device *out) {
    if (!name) { tl_error_set(TL_RUNTIME_ERROR, "Expected a device name, got NULL"); return false; }
    if (strcmp(name, "cpu") == 0) { *out = TL_CPU_DEVICE; return true; }
    if (strncmp(name, "cuda", 4) == 0) {
        const char *p = name + 4;
        if (*p == '\0') { *out = (tl_device){ TL_CUDA, 0 }; return true; }   // the current device: 0
        if (*p == ':' && p[1] >= '0' && p[1] <= '9') {
            char *end;
            long index = strtol(p + 1, &end, 10);
            if (*end == '\0' && index < 1 << 20) { *out = (tl_device){ TL_CUDA, (int)index }; return true; }
        }
        tl_error_set(TL_RUNTIME_ERROR, "Invalid device string: '%s'", name);
        return false;
    }
    tl_error_set(TL_RUNTIME_ERROR, "Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, "
                 "ort, xla, lazy, vulkan, mps, meta, hpu, privateuseone device type at start of device string: %s",
                 name);
    return false;
}

const char *tl_device_name(tl_device d, char *buf, size_t size) {
    if (d.type == TL_CPU) snprintf(buf, size, "cpu");
    else snprintf(buf, size, "cuda:%d", d.index);
    return buf;
}

tl_device tl_device_of(const tl_tensor *t) { return t && t->storage ? t->storage->device : TL_CPU_DEVICE; }

bool tl_device_equal(tl_device a, tl_device b) { return a.type == b.type && (a.type == TL_CPU || a.index == b.index); }

const char *tl_default_device(void) { return tl_cuda_is_available() ? "cuda" : "cpu"; }
#line 206 "chapters/08-gpu/08-gpu.md"
#line 261 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// The same-device rule, as PyTorch's TensorIterator applies it: the first CUDA operand sets the
// device; a CPU 0-d tensor may join (it is read as a number); anything else elsewhere is an error.
bool tl_common_device(const tl_tensor *const *ts, int n, tl_device *out) {
    tl_device common = TL_CPU_DEVICE;
    for (int i = 0; i < n; i++)
        if (ts[i] && tl_is_cuda(ts[i])) { common = tl_device_of(ts[i]); break; }
    for (int i = 0; i < n; i++) {
        if (!ts[i]) continue;
        tl_device d = tl_device_of(ts[i]);
        if (tl_device_equal(d, common)) continue;
        if (common.type == TL_CUDA && d.type == TL_CPU && ts[i]->ndim == 0) continue;   // a number
        return tl_device_mismatch(common, d, NULL);
    }
    *out = common;
    return true;
}

// PyTorch's words for two devices that should have been one, written here only; context (the
// optimizer's "(SGD: parameter 3 and its gradient)") follows the message after a space
bool tl_device_mismatch(tl_device a, tl_device b, const char *context) {
    char na[24], nb[24];
    tl_error_set(TL_RUNTIME_ERROR, "Expected all tensors to be on the same device, but found at least two "
                 "devices, %s and %s!%s%s", tl_device_name(a, na, sizeof na), tl_device_name(b, nb, sizeof nb),
                 context && *context ? " " : "", context ? context : "");
    return false;
}

bool tl_require_cpu(const char *op, const tl_tensor *const *ts, int n) {
    for (int i = 0; i < n; i++) {
        if (tl_is_cuda(ts[i])) {
            tl_error_set(TL_RUNTIME_ERROR, "%s is not implemented for CUDA tensors in Torchlet yet: move the "
                         "tensors to the CPU first (tl_to(t, \"cpu\"))", op);
            return false;
        }
    }
    return true;
}
#line 207 "chapters/08-gpu/08-gpu.md"
#line 1965 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// Element-wise launch descriptions from tensors
void tl_cuda_ew_init(tl_cuda_ew *e, int ndim, const int64_t *shape) {
    memset(e, 0, sizeof *e);
    e->ndim = ndim;
    for (int d = 0; d < ndim; d++) e->shape[d] = shape[d];
}

// double -> int64 as the CPU path stores it (x86's conversion, PyTorch's .to(torch.int64)):
// truncated toward zero; NaN and values out of range give INT64_MIN, where the C cast is undefined
static int64_t device_double_to_i64(double v) {
    return v >= -9223372036854775808.0 && v < 9223372036854775808.0 ? (int64_t)v : INT64_MIN;
}

// operand k = t broadcast over e's shape (aligned at the right); a CPU tensor (0-d) becomes its
// number: a float one only as `scalar` (kernels read `iscalar` for an int64 or bool operand only)
void tl_cuda_ew_set(tl_cuda_ew *e, int k, const tl_tensor *t) {
    e->dtype[k] = t->dtype;
    if (!tl_is_cuda(t)) {
        e->data[k] = NULL;
        const void *p = tl_data_ptr(t);
        switch (t->dtype) {
        case TL_BOOL:    e->iscalar[k] = *(const bool *)p; e->scalar[k] = (double)e->iscalar[k]; break;
        case TL_INT64:   e->iscalar[k] = *(const int64_t *)p; e->scalar[k] = (double)e->iscalar[k]; break;
        case TL_FLOAT32: e->scalar[k] = *(const float *)p; e->iscalar[k] = 0; break;
        case TL_FLOAT64: e->scalar[k] = *(const double *)p; e->iscalar[k] = 0; break;
        }
        return;
    }
    e->data[k] = tl_data_ptr(t);
    for (int d = 0; d < e->ndim; d++) {
        int j = d - (e->ndim - t->ndim);
        e->stride[k][d] = (j < 0 || t->shape[j] == 1) ? 0 : t->stride[j];
    }
}

// dst (on a device) = src converted to dst's dtype, src broadcast to dst's shape
bool tl_device_copy(tl_tensor *dst, const tl_tensor *src) {
    tl_cuda_ew e;
    tl_cuda_ew_init(&e, dst->ndim, dst->shape);
    tl_cuda_ew_set(&e, 0, dst);
    tl_cuda_ew_set(&e, 1, src);
    return tl_cuda_copy(dst->storage->device.index, &e);
}

// dst (contiguous) = src element by element in row-major order, whatever their shapes (reshape's
// copy): one copy over src's shape that writes dst with the strides of a contiguous tensor of that shape
bool tl_device_copy_flat(tl_tensor *dst, const tl_tensor *src) {
    tl_cuda_ew e;
    tl_cuda_ew_init(&e, src->ndim, src->shape);
    tl_cuda_ew_set(&e, 1, src);
    e.dtype[0] = dst->dtype;
    e.data[0] = tl_data_ptr(dst);
    int64_t step = 1;
    for (int d = src->ndim - 1; d >= 0; step *= src->shape[d--]) e.stride[0][d] = step;
    return tl_cuda_copy(dst->storage->device.index, &e);
}

// t = value: a copy whose source is the number itself (operand 1 with data NULL), exact for int64/bool;
// the number is converted as the CPU stores it (bool: value != 0; int64: device_double_to_i64)
bool tl_device_fill(tl_tensor *t, double value) {
    tl_cuda_ew e;
    tl_cuda_ew_init(&e, t->ndim, t->shape);
    tl_cuda_ew_set(&e, 0, t);
    bool is_int = t->dtype == TL_INT64 || t->dtype == TL_BOOL;
    e.dtype[1] = is_int ? TL_INT64 : TL_FLOAT64;
    e.iscalar[1] = t->dtype == TL_BOOL ? value != 0 : is_int ? device_double_to_i64(value) : 0;
    e.scalar[1] = is_int ? (double)e.iscalar[1] : value;
    return tl_cuda_copy(t->storage->device.index, &e);
}

tl_tensor *tl_zeros_on(tl_shape shape, tl_dtype dtype, tl_device device) {
    tl_tensor *t = tl_empty_on(shape, dtype, device);
    if (t && device.type == TL_CUDA && !tl_cuda_memset0(device.index, t->storage->data, t->storage->nbytes)) return NULL;
    if (t && device.type == TL_CPU) memset(t->storage->data, 0, t->storage->nbytes);
    return t;
}

// one element of a device tensor, read (or written) through a 1-element copy
double tl_device_load(const tl_tensor *t, int64_t offset) {
    union { bool b; int64_t i; float f; double d; } v;
    size_t es = tl_dtype_size(t->dtype);
    if (!tl_cuda_memcpy(t->storage->device.index, &v, (const char *)t->storage->data + offset * (int64_t)es, es, TL_D2H))
        return NAN;
    switch (t->dtype) {
    case TL_BOOL: return v.b;
    case TL_INT64: return (double)v.i;
    case TL_FLOAT32: return v.f;
    default: return v.d;
    }
}

bool tl_device_store(tl_tensor *t, int64_t offset, double value) {
    union { bool b; int64_t i; float f; double d; } v;
    switch (t->dtype) {
    case TL_BOOL: v.b = value != 0; break;
    case TL_INT64: v.i = device_double_to_i64(value); break;
    case TL_FLOAT32: v.f = (float)value; break;
    default: v.d = value; break;
    }
    size_t es = tl_dtype_size(t->dtype);
    return tl_cuda_memcpy(t->storage->device.index, (char *)t->storage->data + offset * (int64_t)es, &v, es, TL_H2D);
}
#line 208 "chapters/08-gpu/08-gpu.md"
#line 319 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// .to(device)
static bool device_usable(tl_device d) {
    if (d.type == TL_CPU) return true;
    if (!tl_cuda_compiled()) {
        tl_error_set(TL_RUNTIME_ERROR, "Torch not compiled with CUDA enabled");
        return false;
    }
    return tl_cuda_check_device(d.index);
}

// a contiguous copy of t on device d, owned by the caller's pool, not recorded
static tl_tensor *copy_to(const tl_tensor *t, tl_device d) {
    tl_grad_mode_push(false);
    const tl_tensor *c = tl_contiguous(t);       // on t's device
    tl_grad_mode_pop();
    tl_tensor *out = c ? tl_empty_on(tl_shape_of(t), t->dtype, d) : NULL;
    if (!out) return NULL;
    size_t n = (size_t)tl_numel(t) * tl_dtype_size(t->dtype);
    const void *src = tl_data_ptr(c);
    bool ok;
    if (!tl_is_cuda(c)) ok = tl_cuda_memcpy(d.index, out->storage->data, src, n, TL_H2D);
    else if (d.type == TL_CPU) ok = tl_cuda_memcpy(c->storage->device.index, out->storage->data, src, n, TL_D2H);
    else if (c->storage->device.index == d.index) ok = tl_cuda_memcpy(d.index, out->storage->data, src, n, TL_D2D);
    else {   // between two GPUs: through the host (peer copies are an optimisation for later)
        void *host = malloc(n ? n : 1);
        ok = host && tl_cuda_memcpy(c->storage->device.index, host, src, n, TL_D2H) &&
             tl_cuda_memcpy(d.index, out->storage->data, host, n, TL_H2D);
        free(host);
    }
    return ok ? out : NULL;   // on failure out stays in the pool, which frees it
}

tl_tensor *tl_device_host_copy(const tl_tensor *t) { return copy_to(t, TL_CPU_DEVICE); }

static void to_copy_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    tl_device back = { (tl_device_type)node->ints[0], (int)node->ints[1] };
    grads[0] = tl_to_device(g, back);
}

tl_tensor *tl_to_device(const tl_tensor *t, tl_device device) {
    if (!t) return NULL;
    if (tl_device_equal(tl_device_of(t), device)) return tl_to_dtype(t, t->dtype);   // t itself, as PyTorch
    if (!device_usable(device)) return NULL;
    tl_tensor *out = copy_to(t, device);
    if (!out) return NULL;
    tl_device from = tl_device_of(t);
    tl_node *node = tl_record("ToCopyBackward0", to_copy_backward, out, &t, 1);
    if (node) {
        node->ints[0] = from.type;
        node->ints[1] = from.index;
    }
    return out;
}

tl_tensor *tl_to(const tl_tensor *t, const char *device) {
    tl_device d;
    if (!t || !tl_device_parse(device, &d)) return NULL;
    return tl_to_device(t, d);
}

tl_tensor *tl_cpu(const tl_tensor *t) { return tl_to_device(t, TL_CPU_DEVICE); }
#line 209 "chapters/08-gpu/08-gpu.md"
#line 391 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// module.to(device): every parameter and buffer moves IN PLACE (its storage is swapped), as
// PyTorch's module.to does with param.data, so the optimizer's pointers and m->weight stay valid.
static bool move_tensor(tl_tensor *t, tl_device d) {
    if (!t || tl_device_equal(tl_device_of(t), d)) return true;
    bool ok = false;
    TL_SCOPE {
        tl_tensor *c = copy_to(t, d);
        if (c && (!t->grad || move_tensor(t->grad, d))) {
            // t takes c's storage and layout; c takes t's old ones and frees them when the scope ends
            tl_storage *s = t->storage;
            t->storage = c->storage;
            c->storage = s;
            int64_t offset = t->offset, stride[TL_MAX_DIMS];
            memcpy(stride, t->stride, sizeof stride);
            t->offset = c->offset;
            memcpy(t->stride, c->stride, sizeof stride);
            c->offset = offset;
            memcpy(c->stride, stride, sizeof stride);
            ok = true;
        }
    }
    return ok;
}

static bool module_to(tl_module *m, tl_device d) {   // d already checked: usable
    for (int i = 0; i < m->n_params; i++) if (!move_tensor(m->params[i], d)) return false;
    for (int i = 0; i < m->n_buffers; i++) if (!move_tensor(m->buffers[i], d)) return false;
    for (int i = 0; i < m->n_children; i++) if (!module_to(m->children[i], d)) return false;
    return true;
}

bool tl_module_to(tl_module *m, const char *device) {
    tl_device d;
    return m && tl_device_parse(device, &d) && device_usable(d) && module_to(m, d);
}
#line 210 "chapters/08-gpu/08-gpu.md"
#line 2077 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// Without CUDA: the backend's entry points exist and fail (they are reached only through a
// tensor on a CUDA device, which such a build never makes).
#ifndef TL_WITH_CUDA
static bool no_cuda(void) {
    tl_error_set(TL_RUNTIME_ERROR, "Torch not compiled with CUDA enabled");
    return false;
}
bool  tl_cuda_check_device(int index) { (void)index; return no_cuda(); }
void *tl_cuda_malloc(int device, size_t nbytes, size_t *capacity) { (void)device; (void)nbytes; (void)capacity; no_cuda(); return NULL; }
void  tl_cuda_free(int device, void *ptr, size_t capacity) { (void)device; (void)ptr; (void)capacity; }
void  tl_cuda_empty_cache(void) {}
tl_cuda_memory_stats tl_cuda_memory(void) { return (tl_cuda_memory_stats){ 0, 0, 0 }; }
bool tl_cuda_memcpy(int device, void *dst, const void *src, size_t nbytes, tl_copy_kind kind) {
    (void)device; (void)dst; (void)src; (void)nbytes; (void)kind; return no_cuda();
}
bool tl_cuda_memset0(int device, void *dst, size_t nbytes) { (void)device; (void)dst; (void)nbytes; return no_cuda(); }
bool tl_cuda_synchronize(int device) { (void)device; return no_cuda(); }
bool tl_cuda_binary(int device, int op, tl_dtype ct, const tl_cuda_ew *e) { (void)device; (void)op; (void)ct; (void)e; return no_cuda(); }
bool tl_cuda_unary(int device, int op, tl_dtype ct, const tl_cuda_ew *e) { (void)device; (void)op; (void)ct; (void)e; return no_cuda(); }
bool tl_cuda_copy(int device, const tl_cuda_ew *e) { (void)device; (void)e; return no_cuda(); }
bool tl_cuda_accumulate(int device, const tl_cuda_ew *e) { (void)device; (void)e; return no_cuda(); }
bool tl_cuda_where(int device, tl_dtype ct, const tl_cuda_ew *e) { (void)device; (void)ct; (void)e; return no_cuda(); }
bool tl_cuda_index(int device, const tl_cuda_ew *e, int dim, const int64_t *idx, int64_t istride, int64_t size,
                   int64_t src_stride, bool add) {
    (void)device; (void)e; (void)dim; (void)idx; (void)istride; (void)size; (void)src_stride; (void)add;
    return no_cuda();
}
bool tl_cuda_sum(int device, tl_dtype in, tl_dtype out, const void *x, void *y, int64_t outer, int64_t n,
                 int64_t inner, double scale) {
    (void)device; (void)in; (void)out; (void)x; (void)y; (void)outer; (void)n; (void)inner; (void)scale; return no_cuda();
}
bool tl_cuda_argbest(int device, tl_dtype dt, const void *x, void *best, int64_t *index, int64_t outer, int64_t n,
                     int64_t inner, bool is_min) {
    (void)device; (void)dt; (void)x; (void)best; (void)index; (void)outer; (void)n; (void)inner; (void)is_min;
    return no_cuda();
}
bool tl_cuda_softmax(int device, tl_dtype dt, const void *x, const void *grad, void *y, int64_t outer, int64_t n,
                     int64_t inner, bool log_out) {
    (void)device; (void)dt; (void)x; (void)grad; (void)y; (void)outer; (void)n; (void)inner; (void)log_out;
    return no_cuda();
}
bool tl_cuda_nll_forward(int device, tl_dtype dt, const void *x, const int64_t *t, int64_t n, int64_t c, void *loss) {
    (void)device; (void)dt; (void)x; (void)t; (void)n; (void)c; (void)loss; return no_cuda();
}
bool tl_cuda_nll_backward(int device, tl_dtype dt, const int64_t *t, int64_t n, int64_t c, const void *g, void *dx) {
    (void)device; (void)dt; (void)t; (void)n; (void)c; (void)g; (void)dx; return no_cuda();
}
bool tl_cuda_activation(int device, tl_dtype dt, int kind, double p, const void *x, const void *g, void *y, int64_t n) {
    (void)device; (void)dt; (void)kind; (void)p; (void)x; (void)g; (void)y; (void)n; return no_cuda();
}
bool tl_cuda_sgd(int device, tl_dtype dt, void *w, const void *g, void *buf, bool first, int64_t n, double lr,
                 double momentum, double dampening, double weight_decay, bool nesterov) {
    (void)device; (void)dt; (void)w; (void)g; (void)buf; (void)first; (void)n; (void)lr; (void)momentum;
    (void)dampening; (void)weight_decay; (void)nesterov; return no_cuda();
}
bool tl_cuda_gemm(int device, tl_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void *a,
                  int64_t lda, const void *b, int64_t ldb, void *c, int64_t ldc, bool accumulate) {
    (void)device; (void)dt; (void)ta; (void)tb; (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)ldb;
    (void)c; (void)ldc; (void)accumulate; return no_cuda();
}
#endif
