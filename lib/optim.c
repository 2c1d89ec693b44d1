/* generated from chapters/06-training/06-training.md by tools/tangle.lua; edit the chapter, not this file */
#line 465 "chapters/06-training/06-training.md"
// optim.c — SGD and the progress line (chapter 06).
#define _POSIX_C_SOURCE 200809L
#include "optim.h"
#include "autograd.h"
#include "device.h"   // chapter 08: SGD's update on a GPU
#include "print.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#line 263 "chapters/06-training/06-training.md"
tl_sgd *tl_sgd_new_params(tl_tensor *const *params, int n, tl_sgd_options o) {
    if (!params && n > 0)
        return tl_error_set(TL_TYPE_ERROR, "params argument given to the optimizer should be an iterable of Tensors "
                            "or dicts, but got NoneType"), NULL;
    if (o.lr < 0) return tl_error_set(TL_VALUE_ERROR, "Invalid learning rate: %s", tl_float_repr(o.lr)), NULL;
    if (o.momentum < 0) return tl_error_set(TL_VALUE_ERROR, "Invalid momentum value: %s", tl_float_repr(o.momentum)), NULL;
    if (o.weight_decay < 0)
        return tl_error_set(TL_VALUE_ERROR, "Invalid weight_decay value: %s", tl_float_repr(o.weight_decay)), NULL;
    if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
        return tl_error_set(TL_VALUE_ERROR, "Nesterov momentum requires a momentum and zero dampening"), NULL;
    if (n == 0) return tl_error_set(TL_VALUE_ERROR, "optimizer got an empty parameter list"), NULL;
    for (int i = 0; i < n; i++) {
        if (!params[i]) return NULL;
        if (!tl_is_leaf(params[i])) return tl_error_set(TL_VALUE_ERROR, "can't optimize a non-leaf Tensor"), NULL;
        if (!tl_dtype_is_floating(params[i]->dtype))
            return tl_error_set(TL_TYPE_ERROR, "optimizer can only optimize Tensors of floating point dtype, but "
                                "parameter %d is of dtype %s", i, tl_dtype_name(params[i]->dtype)), NULL;
    }
    tl_sgd *s = calloc(1, sizeof *s);
    if (s) {
        s->params = calloc((size_t)n, sizeof *s->params);
        s->momentum = calloc((size_t)n, sizeof *s->momentum);
    }
    if (!s || !s->params || !s->momentum) {
        tl_sgd_free(s);
        tl_error_set(TL_RUNTIME_ERROR, "out of memory creating an SGD optimizer for %d parameters", n);
        return NULL;
    }
    s->opt = o;
    s->n = n;
    for (int i = 0; i < n; i++) s->params[i] = tl_retain(params[i]);
    return s;
}

tl_sgd *tl_sgd_new(const tl_module *model, tl_sgd_options o) {
    tl_sgd *s = NULL;
    TL_SCOPE {
        tl_named_tensor *ps;
        int n = tl_module_parameters(model, &ps), k = 0;
        tl_tensor **trainable = n > 0 ? tl_pool_adopt(calloc((size_t)n, sizeof *trainable)) : NULL;
        for (int i = 0; trainable && i < n; i++)
            if (ps[i].tensor->requires_grad) trainable[k++] = ps[i].tensor;
        if (n >= 0) s = tl_sgd_new_params(trainable, k, o);
    }
    return s;
}

void tl_sgd_free(tl_sgd *s) {
    if (!s) return;
    for (int i = 0; s->params && i < s->n; i++) {
        tl_release(s->params[i]);
        if (s->momentum) tl_release(s->momentum[i]);
    }
    free(s->params);
    free(s->momentum);
    free(s);
}

void tl_sgd_zero_grad(tl_sgd *s) {
    if (!s) return;
    for (int i = 0; i < s->n; i++) {
        tl_release(s->params[i]->grad);
        s->params[i]->grad = NULL;
    }
}
#line 345 "chapters/06-training/06-training.md"
#define SGD_KERNEL(T)                                                                         \
/* w -= lr * d, with d the gradient after weight decay and momentum; buf may be NULL */       \
static void sgd_update_##T(T *w, const T *g, T *buf, bool first, int64_t n, tl_sgd_options o) {\
    const T lr = (T)o.lr, wd = (T)o.weight_decay, mu = (T)o.momentum, damp = (T)(1 - o.dampening); \
    if (wd == 0 && !buf) {                   /* plain SGD: a loop the compiler vectorises */  \
        for (int64_t i = 0; i < n; i++) w[i] = w[i] - lr * g[i];                              \
        return;                                                                               \
    }                                                                                         \
    for (int64_t i = 0; i < n; i++) {                                                         \
        T d = g[i];                                                                           \
        if (wd != 0) d = d + wd * w[i];                                                       \
        if (buf) {                                                                            \
            buf[i] = first ? d : mu * buf[i] + damp * d;                                      \
            d = o.nesterov ? d + mu * buf[i] : buf[i];                                        \
        }                                                                                     \
        w[i] = w[i] - lr * d;                                                                 \
    }                                                                                         \
}
SGD_KERNEL(float)
SGD_KERNEL(double)

bool tl_sgd_step(tl_sgd *s) {
    if (!s) return false;
    for (int i = 0; i < s->n; i++) {
        tl_tensor *w = s->params[i], *g = w->grad;
        if (!g) continue;                              // a parameter that got no gradient stays put
        if (!tl_device_equal(tl_device_of(w), tl_device_of(g))) {                // chapter 08
            char context[48];
            snprintf(context, sizeof context, "(SGD: parameter %d and its gradient)", i);
            return tl_device_mismatch(tl_device_of(w), tl_device_of(g), context);
        }
        if (!tl_is_contiguous(w) || !tl_is_contiguous(g) || g->dtype != w->dtype) {
            tl_error_set(TL_RUNTIME_ERROR, "SGD: parameter %d and its gradient must be contiguous and of one dtype", i);
            return false;
        }
        bool first = false;
        if (s->opt.momentum != 0 && !s->momentum[i]) {
            TL_SCOPE { s->momentum[i] = tl_retain(tl_empty_like(w)); }
            if (!s->momentum[i]) return false;
            first = true;
        }
        tl_tensor *buf = s->opt.momentum != 0 ? s->momentum[i] : NULL;
        if (tl_is_cuda(w)) {                                                     // chapter 08
            if (!tl_cuda_sgd(w->storage->device.index, w->dtype, tl_data_ptr(w), tl_data_ptr(g),
                             buf ? tl_data_ptr(buf) : NULL, first, tl_numel(w), s->opt.lr, s->opt.momentum,
                             s->opt.dampening, s->opt.weight_decay, s->opt.nesterov))
                return false;
        } else if (w->dtype == TL_FLOAT32)
            sgd_update_float(TL_DATA(w, float), TL_DATA(g, float), buf ? TL_DATA(buf, float) : NULL, first,
                             tl_numel(w), s->opt);
        else
            sgd_update_double(TL_DATA(w, double), TL_DATA(g, double), buf ? TL_DATA(buf, double) : NULL, first,
                              tl_numel(w), s->opt);
    }
    s->steps++;
    return true;
}
#line 477 "chapters/06-training/06-training.md"
#line 429 "chapters/06-training/06-training.md"
static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void tl_progress_begin(tl_progress *p, const char *label, int64_t total_steps) {
    *p = (tl_progress){ label ? label : "", total_steps > 0 ? total_steps : 1, 0, 0, now_seconds(), false, stderr };
    p->tty = isatty(fileno(p->out));
}

void tl_progress_update(tl_progress *p, int64_t step, double loss, int64_t batch_samples) {
    p->samples += batch_samples;
    double elapsed = now_seconds() - p->start, rate = elapsed > 0 ? (double)p->samples / elapsed : 0;
    if (p->tty) {
        enum { WIDTH = 30 };
        int filled = (int)(WIDTH * step / p->total);
        char bar[WIDTH + 1];
        for (int i = 0; i < WIDTH; i++) bar[i] = i < filled ? '#' : '.';
        bar[WIDTH] = '\0';
        fprintf(p->out, "\r%s [%s] %lld/%lld  loss %.4f  %.0f samples/s", p->label, bar, (long long)step,
                (long long)p->total, loss, rate);
        fflush(p->out);
    } else if (step * 10 / p->total > p->last_printed * 10 / p->total || step == p->total) {
        fprintf(p->out, "%s: step %lld/%lld  loss %.4f  %.0f samples/s\n", p->label, (long long)step,
                (long long)p->total, loss, rate);
        p->last_printed = step;
    }
}

void tl_progress_end(tl_progress *p) {
    if (p->tty) fputc('\n', p->out);
}
