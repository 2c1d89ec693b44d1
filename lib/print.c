/* generated from chapters/01-tensors/01-tensors.md by tools/tangle.lua; edit the chapter, not this file */
#line 4800 "chapters/01-tensors/01-tensors.md"
// print.c — the exact text PyTorch prints for a tensor, a torch.Size and a Python float.
//
// repr(tensor) is written in Python, in torch/_tensor_str.py; this file follows it step by
// step so that our output matches PyTorch's byte for byte:
//   1. gather   copy the elements that will be shown (all, or the edges of a summary)
//   2. format   one _Formatter for the whole tensor: int / float / int-valued float /
//               scientific, and one column width, the widest element
//   3. layout   nested brackets, PRINT_OPTS.linewidth, "..." rows and columns
//   4. suffixes device=, size=, dtype=, grad_fn= / requires_grad=, wrapped like PyTorch
#include "print.h"
#include "device.h"   // chapter 08: a GPU tensor prints from a host copy

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#line 4843 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// print options: torch.set_printoptions / PRINT_OPTS

static tl_printoptions print_opts = { 4, 1000, 3, 80, -1 };

void tl_set_printoptions(tl_printoptions opts) {
    if (opts.precision < 0) opts.precision = 0;   // Python would raise; we clamp
    if (opts.edgeitems < 0) opts.edgeitems = 0;
    if (opts.sci_mode > 1) opts.sci_mode = 1;
    if (opts.sci_mode < -1) opts.sci_mode = -1;
    print_opts = opts;
}

tl_printoptions tl_get_printoptions(void) { return print_opts; }
#line 4820 "chapters/01-tensors/01-tensors.md"

#line 4865 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// a growing string: every text this file makes is built in one of these

typedef struct {
    char  *s;      // NUL-terminated text (NULL until the first append)
    size_t len;    // bytes used, without the NUL
    size_t cap;    // bytes allocated
    int    oom;    // set when an allocation failed: the text is then incomplete
} strbuf;

static int sb_reserve(strbuf *b, size_t extra) {
    if (b->oom) return 0;
    if (b->len + extra + 1 <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 128;
    while (cap < b->len + extra + 1) cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) { b->oom = 1; return 0; }
    b->s = s;
    b->cap = cap;
    return 1;
}

static void sb_add(strbuf *b, const char *s, size_t n) {
    if (!sb_reserve(b, n)) return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_str(strbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_fill(strbuf *b, char c, int64_t n) {
    if (n <= 0 || !sb_reserve(b, (size_t)n)) return;
    memset(b->s + b->len, c, (size_t)n);
    b->len += (size_t)n;
    b->s[b->len] = '\0';
}

static void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(strbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !sb_reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

// The finished text, handed to the current pool; NULL and PyTorch's allocator message
// when memory ran out on the way.
static const char *sb_finish(strbuf *b) {
    if (!b->oom && !b->s && sb_reserve(b, 0)) b->s[0] = '\0';
    if (b->oom) {
        free(b->s);
        tl_error_set(TL_RUNTIME_ERROR, "DefaultCPUAllocator: not enough memory: "
                     "you tried to allocate %zu bytes.", b->cap * 2);
        return NULL;
    }
    return tl_pool_adopt(b->s);
}
#line 4822 "chapters/01-tensors/01-tensors.md"

#line 4956 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// 1. gather: the elements that will be shown, in row-major order, as plain numbers

typedef struct {
    int      ndim;
    int64_t  keep[TL_MAX_DIMS];   // entries kept per dimension
    int      cut[TL_MAX_DIMS];    // 1: "..." stands between the two halves of this dim
    int64_t  edge;                // entries kept on each side of a cut
    int64_t  n;                   // product of keep[] (1 for a 0-d tensor)
    double  *f;                   // floating values (float32 widened exactly), or NULL
    int64_t *i;                   // int64 and bool values, or NULL
} gathered;

// source index of kept entry k along dimension d
static inline int64_t kept_to_source(const gathered *g, const tl_tensor *t, int d, int64_t k) {
    return (g->cut[d] && k >= g->edge) ? t->shape[d] - 2 * g->edge + k : k;
}

// Copies one kept row (the last dimension) of element type T into dst.
#define GATHER_ROW(T, dst)                                                        \
    do {                                                                          \
        const T *src = (const T *)t->storage->data;                              \
        if (!g->cut[last]) {                                                      \
            for (int64_t k = 0; k < g->keep[last]; k++)                           \
                (dst)[pos + k] = src[off + k * st];                               \
        } else {                                                                  \
            for (int64_t k = 0; k < g->keep[last]; k++)                           \
                (dst)[pos + k] = src[off + kept_to_source(g, t, last, k) * st];   \
        }                                                                         \
    } while (0)

// Fills g from a tensor with at least one element; 0 when out of memory.
static int gather(gathered *g, const tl_tensor *t, int summarize, int64_t edgeitems) {
    memset(g, 0, sizeof *g);
    g->ndim = t->ndim;
    g->edge = edgeitems;
    g->n = 1;
    for (int d = 0; d < t->ndim; d++) {
        g->cut[d] = summarize && t->shape[d] > 2 * edgeitems;
        g->keep[d] = g->cut[d] ? 2 * edgeitems : t->shape[d];
        g->n *= g->keep[d];
    }
    if (tl_dtype_is_floating(t->dtype)) g->f = malloc((size_t)g->n * sizeof(double));
    else                                g->i = malloc((size_t)g->n * sizeof(int64_t));
    if (!g->f && !g->i) return 0;

    if (t->ndim == 0) {   // a scalar: one element at the offset
        switch (t->dtype) {
        case TL_FLOAT32: g->f[0] = ((const float *)t->storage->data)[t->offset]; break;
        case TL_FLOAT64: g->f[0] = ((const double *)t->storage->data)[t->offset]; break;
        case TL_INT64:   g->i[0] = ((const int64_t *)t->storage->data)[t->offset]; break;
        case TL_BOOL:    g->i[0] = ((const uint8_t *)t->storage->data)[t->offset]; break;
        }
        return 1;
    }

    // odometer over the kept indices of every dimension but the last
    const int last = t->ndim - 1;
    const int64_t st = t->stride[last];
    int64_t idx[TL_MAX_DIMS] = { 0 };
    for (int64_t pos = 0; pos < g->n; pos += g->keep[last]) {
        int64_t off = t->offset;
        for (int d = 0; d < last; d++) off += kept_to_source(g, t, d, idx[d]) * t->stride[d];
        switch (t->dtype) {
        case TL_FLOAT32: GATHER_ROW(float, g->f); break;
        case TL_FLOAT64: GATHER_ROW(double, g->f); break;
        case TL_INT64:   GATHER_ROW(int64_t, g->i); break;
        case TL_BOOL:    GATHER_ROW(uint8_t, g->i); break;
        }
        for (int d = last - 1; d >= 0; d--) {   // next row
            if (++idx[d] < g->keep[d]) break;
            idx[d] = 0;
        }
    }
    return 1;
}
#line 4824 "chapters/01-tensors/01-tensors.md"

#line 5076 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// 2. format: PyTorch's _Formatter, one for the whole tensor

typedef struct {
    int floating;   // dtype is float32/float64
    int int_mode;   // every finite nonzero value is integral: print "3."
    int sci_mode;   // print "3.0000e+00"
    int width;      // column width (max_width); at least 1
    int precision;  // digits after the point
} formatter;

static int formatted_len(const char *fmt, int prec, double v) {
    return snprintf(NULL, 0, fmt, prec, v);
}

static int int_len(int64_t v) {
    char buf[32];
    return snprintf(buf, sizeof buf, "%" PRId64, v);
}

static formatter make_formatter(const tl_tensor *t, const gathered *g, const tl_printoptions *o) {
    formatter f = { tl_dtype_is_floating(t->dtype), 1, 0, 1, o->precision };
    if (!f.floating) {
        if (t->dtype == TL_BOOL) {
            f.width = 4;                                                               // "True"
            for (int64_t k = 0; k < g->n; k++) if (!g->i[k]) { f.width = 5; break; }  // "False"
        } else {
            for (int64_t k = 0; k < g->n; k++) {
                int len = int_len(g->i[k]);
                if (len > f.width) f.width = len;
            }
        }
        return f;
    }
    // the nonzero finite values: how many, the smallest and largest magnitude, integral?
    int64_t count = 0;
    double amin = INFINITY, amax = 0.0;
    for (int64_t k = 0; k < g->n; k++) {
        double v = g->f[k];
        if (!isfinite(v) || v == 0.0) continue;
        count++;
        double a = fabs(v);
        if (a < amin) amin = a;
        if (a > amax) amax = a;
        if (v != ceil(v)) f.int_mode = 0;
    }
    if (count == 0) return f;   // PyTorch returns here: sci_mode in the options is ignored
    if (f.int_mode) f.sci_mode = amax / amin > 1000.0 || amax > 1.0e8;
    else            f.sci_mode = amax / amin > 1000.0 || amax > 1.0e8 || amin < 1.0e-4;
    for (int64_t k = 0; k < g->n; k++) {
        double v = g->f[k];
        if (!isfinite(v) || v == 0.0) continue;
        int len = f.sci_mode ? formatted_len("%.*e", f.precision, v)
                : f.int_mode ? formatted_len("%.*f", 0, v) + 1
                             : formatted_len("%.*f", f.precision, v);
        if (len > f.width) f.width = len;
    }
    if (o->sci_mode >= 0) f.sci_mode = o->sci_mode;   // only after measuring
    return f;
}

static const char *nonfinite_text(double v) {
    if (isnan(v)) return "nan";            // Python drops the sign of a NaN
    return v < 0 ? "-inf" : "inf";
}

// Appends element k of the gathered values, right-aligned to the formatter's width.
static void format_value(strbuf *b, const formatter *f, const tl_tensor *t, const gathered *g, int64_t k) {
    char small[32];
    if (!f->floating) {
        const char *s = small;
        if (t->dtype == TL_BOOL) s = g->i[k] ? "True" : "False";
        else snprintf(small, sizeof small, "%" PRId64, g->i[k]);
        int len = (int)strlen(s);
        sb_fill(b, ' ', f->width - len);
        sb_add(b, s, (size_t)len);
        return;
    }
    double v = g->f[k];
    size_t start = b->len;
    if (!isfinite(v))     sb_str(b, nonfinite_text(v));
    else if (f->sci_mode) sb_printf(b, "%.*e", f->precision, v);
    else if (f->int_mode) sb_printf(b, "%.0f.", v);
    else                  sb_printf(b, "%.*f", f->precision, v);
    if (b->oom) return;
    int len = (int)(b->len - start);
    if (len < f->width) {   // shift right and pad on the left
        int pad = f->width - len;
        if (!sb_reserve(b, (size_t)pad)) return;
        memmove(b->s + start + pad, b->s + start, (size_t)len + 1);
        memset(b->s + start, ' ', (size_t)pad);
        b->len += (size_t)pad;
    }
}
#line 4826 "chapters/01-tensors/01-tensors.md"

#line 5213 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// 3. layout: _tensor_str_with_formatter and _vector_str
//
// indent = the column of this block's "[": 7 after "tensor(", +1 per nesting level.

typedef struct {
    const tl_tensor *t;
    const gathered  *g;
    formatter        f;
    int              linewidth;
} layout;

// a row: the last dimension, starting at gathered element base
static void vector_str(strbuf *b, const layout *L, int64_t base, int indent) {
    const gathered *g = L->g;
    const int d = g->ndim - 1;
    const int64_t element_length = L->f.width + 2;   // the element and its ", "
    int64_t per_line = (int64_t)floor((double)(L->linewidth - indent) / (double)element_length);
    if (per_line < 1) per_line = 1;
    sb_str(b, "[");
    int64_t item = 0;   // elements written so far, " ..." included
    for (int64_t k = 0; k < g->keep[d]; k++) {
        for (int dots = (g->cut[d] && k == g->edge); dots >= 0; dots--) {
            if (item > 0) {
                if (item % per_line == 0) { sb_str(b, ",\n"); sb_fill(b, ' ', indent + 1); }
                else sb_str(b, ", ");
            }
            item++;
            if (dots) sb_str(b, " ...");
            else format_value(b, &L->f, L->t, g, base + k);
        }
    }
    sb_str(b, "]");
}

// the block of dimension d starting at gathered element base
static void tensor_str(strbuf *b, const layout *L, int d, int64_t base, int indent) {
    const gathered *g = L->g;
    if (g->ndim == 0) { format_value(b, &L->f, L->t, g, 0); return; }
    if (d == g->ndim - 1) { vector_str(b, L, base, indent); return; }
    int64_t block = 1;   // gathered elements per entry of dimension d
    for (int e = d + 1; e < g->ndim; e++) block *= g->keep[e];
    sb_str(b, "[");
    int64_t item = 0;
    for (int64_t k = 0; k < g->keep[d]; k++) {
        for (int dots = (g->cut[d] && k == g->edge); dots >= 0; dots--) {
            if (item > 0) {
                sb_str(b, ",");
                sb_fill(b, '\n', g->ndim - d - 1);
                sb_fill(b, ' ', indent + 1);
            }
            item++;
            if (dots) sb_str(b, "...");
            else tensor_str(b, L, d + 1, base + k * block, indent + 1);
        }
    }
    sb_str(b, "]");
}
#line 5278 "chapters/01-tensors/01-tensors.md"

// The text between "tensor(" and the suffixes (_tensor_str) of a tensor with elements.
static void tensor_body(strbuf *b, const tl_tensor *t, int64_t numel, int indent) {
    const tl_printoptions o = print_opts;
    int summarize = numel > o.threshold;
    if (summarize && o.edgeitems == 0 && t->ndim > 0) {
        sb_str(b, "[...]");
        return;
    }
    gathered g;
    if (!gather(&g, t, summarize, o.edgeitems)) { free(g.f); free(g.i); b->oom = 1; return; }
    layout L = { t, &g, make_formatter(t, &g, &o), o.linewidth };
    tensor_str(b, &L, 0, 0, indent);
    free(g.f);
    free(g.i);
}
#line 4828 "chapters/01-tensors/01-tensors.md"

#line 5326 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// 4. suffixes: _str_intern and _add_suffixes

#define MAX_SUFFIXES 6

static void add_suffixes(strbuf *b, size_t start, const char *const *suffixes, int count,
                         int indent, int linewidth) {
    // PyTorch: last_line_len = len(s) - s.rfind("\n") + 1, i.e. the last line's length + 2
    size_t nl = start;
    int found = 0;
    for (size_t p = b->len; p > start; p--)
        if (b->s[p - 1] == '\n') { nl = p - 1; found = 1; break; }
    int64_t last_line_len = found ? (int64_t)(b->len - nl) + 1 : (int64_t)(b->len - start) + 2;
    for (int k = 0; k < count; k++) {
        int64_t len = (int64_t)strlen(suffixes[k]);
        if (last_line_len + len + 2 > linewidth) {
            sb_str(b, ",\n");
            sb_fill(b, ' ', indent);
            last_line_len = indent + len;
        } else {
            sb_str(b, ", ");
            last_line_len += len + 2;
        }
        sb_str(b, suffixes[k]);
    }
    sb_str(b, ")");
}

// repr(t) into b
static void repr_into(strbuf *b, const tl_tensor *t) {
    if (t->is_parameter) sb_str(b, "Parameter containing:\n");
    const size_t start = b->len;   // line lengths count from "tensor(" on
    const char *prefix = "tensor(";
    const int indent = (int)strlen(prefix);
    sb_str(b, prefix);

    char device[48], size[32 + 24 * TL_MAX_DIMS], dtype[48], grad[160];
    const char *suffixes[MAX_SUFFIXES];
    int count = 0;
    tl_device dev = t->storage ? t->storage->device : TL_CPU_DEVICE;
    if (dev.type != TL_CPU) {
        if (dev.index >= 0) snprintf(device, sizeof device, "device='cuda:%d'", dev.index);
        else snprintf(device, sizeof device, "device='cuda'");
        suffixes[count++] = device;
    }
    int64_t numel = 1;
    for (int d = 0; d < t->ndim; d++) numel *= t->shape[d];
    if (numel == 0) {
        if (t->ndim != 1) {   // str(tuple(shape)): "(0, 3)"
            int n = snprintf(size, sizeof size, "size=(");
            for (int d = 0; d < t->ndim; d++)
                n += snprintf(size + n, sizeof size - (size_t)n, d ? ", %" PRId64 : "%" PRId64, t->shape[d]);
            snprintf(size + n, sizeof size - (size_t)n, ")");
            suffixes[count++] = size;
        }
        if (t->dtype != TL_FLOAT32) {
            snprintf(dtype, sizeof dtype, "dtype=%s", tl_dtype_name(t->dtype));
            suffixes[count++] = dtype;
        }
        sb_str(b, "[]");
    } else {
        if (t->dtype == TL_FLOAT64) {
            snprintf(dtype, sizeof dtype, "dtype=%s", tl_dtype_name(t->dtype));
            suffixes[count++] = dtype;
        }
#line 452 "chapters/08-gpu/08-gpu.md"
        if (dev.type == TL_CPU) {
            tensor_body(b, t, numel, indent);
        } else {                                 // chapter 08: format a host copy of a GPU tensor
            const tl_tensor *host = tl_device_host_copy(t);
            if (host) tensor_body(b, host, numel, indent);
            else sb_str(b, "<not readable from the device>");
        }
#line 5392 "chapters/01-tensors/01-tensors.md"
    }
    if (t->grad_fn) {
        const char *name = tl_node_name(t->grad_fn);
        snprintf(grad, sizeof grad, "grad_fn=<%s>", name ? name : "Node");
        suffixes[count++] = grad;
    } else if (t->requires_grad) {
        suffixes[count++] = "requires_grad=True";
    }
    if (b->oom) return;
    add_suffixes(b, start, suffixes, count, indent, print_opts.linewidth);
}
#line 4830 "chapters/01-tensors/01-tensors.md"

#line 5415 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// public: repr, print, torch.Size

const char *tl_repr(const tl_tensor *t) {
    if (!t) return NULL;
    strbuf b = { 0 };
    repr_into(&b, t);
    return sb_finish(&b);
}

void tl_print(const tl_tensor *t) {
    if (!t) { tl_error_print(); return; }
    tl_pool *pool = tl_pool_push();   // the text dies right after it is printed
    const char *s = tl_repr(t);
    if (s) puts(s);
    else tl_error_print();
    tl_pool_pop(pool);
}

const char *tl_shape_str(const tl_tensor *t) {
    if (!t) return NULL;
    strbuf b = { 0 };
    sb_str(&b, "torch.Size([");
    for (int d = 0; d < t->ndim; d++) sb_printf(&b, d ? ", %" PRId64 : "%" PRId64, t->shape[d]);
    sb_str(&b, "])");
    return sb_finish(&b);
}

const char *tl_device_str(const tl_tensor *t) {
    if (!t) return NULL;
    strbuf b = { 0 };
    tl_device d = t->storage->device;
    if (d.type == TL_CUDA) sb_printf(&b, "cuda:%d", d.index < 0 ? 0 : d.index);
    else sb_str(&b, "cpu");
    return sb_finish(&b);
}
#line 4832 "chapters/01-tensors/01-tensors.md"

#line 5470 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// Python's repr(float): the shortest decimal that reads back as the same double

// digits of v (finite, > 0) into dig, without trailing zeros; returns the decimal
// exponent e of d.ddd x 10^e
static int shortest_digits(double v, char dig[20]) {
    char buf[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, v);   // "d.ddde+XX"
        int exp10 = atoi(strchr(buf, 'e') + 1);
        int n = 0;
        for (const char *c = buf; *c != 'e'; c++) if (*c >= '0' && *c <= '9') dig[n++] = *c;
        dig[n] = '\0';
        if (strtod(buf, NULL) != v) {
            // try the p-digit neighbour on the other side of v
            char alt[20];
            memcpy(alt, dig, (size_t)n + 1);
            int alt_exp = exp10;
            int up = strtod(buf, NULL) < v;
            if (up) {   // add one unit in the last place: 9.99 -> 1.00, one exponent up
                int i = n - 1;
                while (i >= 0 && alt[i] == '9') alt[i--] = '0';
                if (i < 0) { alt[0] = '1'; alt_exp++; }
                else alt[i]++;
            } else {    // take one away: 1.00 -> 9.99, one exponent down (the grid is finer there)
                int i = n - 1;
                while (alt[i] == '0') alt[i--] = '9';
                alt[i]--;
                if (alt[0] == '0') { memset(alt, '9', (size_t)n); alt_exp--; }
            }
            char back[48];
            snprintf(back, sizeof back, "%c.%se%d", alt[0], alt + 1, alt_exp);
            if (strtod(back, NULL) != v) continue;
            memcpy(dig, alt, strlen(alt) + 1);
            exp10 = alt_exp;
            n = (int)strlen(dig);
        }
        while (n > 1 && dig[n - 1] == '0') dig[--n] = '\0';
        return exp10;
    }
    return 0;   // not reached: 17 digits always read back
}

const char *tl_float_repr(double v) {
    strbuf b = { 0 };
    if (isnan(v)) sb_str(&b, "nan");
    else if (isinf(v)) sb_str(&b, v < 0 ? "-inf" : "inf");
    else if (v == 0.0) sb_str(&b, signbit(v) ? "-0.0" : "0.0");
    else {
        if (v < 0) sb_str(&b, "-");
        char dig[20];
        int e = shortest_digits(fabs(v), dig);
        int n = (int)strlen(dig);
        int decpt = e + 1;   // digits before the decimal point
        if (decpt > -4 && decpt <= 16) {   // fixed point
            if (decpt <= 0) { sb_str(&b, "0."); sb_fill(&b, '0', -decpt); sb_str(&b, dig); }
            else if (decpt >= n) { sb_str(&b, dig); sb_fill(&b, '0', decpt - n); sb_str(&b, ".0"); }
            else { sb_add(&b, dig, (size_t)decpt); sb_str(&b, "."); sb_str(&b, dig + decpt); }
        } else {                           // scientific
            sb_add(&b, dig, 1);
            if (n > 1) { sb_str(&b, "."); sb_str(&b, dig + 1); }
            sb_printf(&b, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
        }
    }
    return sb_finish(&b);
}
