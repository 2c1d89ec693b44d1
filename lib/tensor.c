/* generated from chapters/01-tensors/01-tensors.md by tools/tangle.lua; edit the chapter, not this file */
#line 410 "chapters/01-tensors/01-tensors.md"
// tensor.c — the Tensor of Torchlet: errors, dtypes, storage, pools (lifetime), creation,
// the literal parser, and views (reshape/view/transpose/permute/select/slice/expand).
// Every public function: a NULL tensor argument returns NULL (NAN, false) at once and
// leaves the recorded error alone; a bad argument records PyTorch's message and returns NULL.
#define _POSIX_C_SOURCE 200809L
#include "tensor.h"
#include "device.h"   // chapter 08: storages on a GPU

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#line 417 "chapters/02-graphs/02-graphs.md"
// ----------------------------------------------------------------------------
// autograd (chapters 02-03): recording the views, and their local rules
#include "autograd.h"
#include "ops.h"
#line 1341 "chapters/03-autograd/03-autograd.md"

// rules of the views and copies (chapter 03); ints[] holds each op's dims and bounds
static void reshape_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    grads[0] = tl_reshape(g, node->input_shape[0]);
}

static void transpose_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    grads[0] = tl_transpose(g, (int)node->ints[0], (int)node->ints[1]);
}

static void permute_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    tl_shape inverse = { g->ndim, { 0 } };          // dims[i] = d  ->  inverse[d] = i
    for (int i = 0; i < g->ndim; i++) inverse.d[node->ints[i]] = i;
    grads[0] = tl_permute(g, inverse);
}

static void unsqueeze_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    grads[0] = tl_squeeze(g, (int)node->ints[0]);
}

static void pass_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {   // expand, clone, to
    grads[0] = (tl_tensor *)g;
}

static void select_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    tl_tensor *z = tl_zeros(node->input_shape[0], g->dtype);
    grads[0] = tl_copy_(tl_select(z, (int)node->ints[0], node->ints[1]), g) ? z : NULL;
}

static void slice_backward(tl_node *node, const tl_tensor *g, tl_tensor **grads) {
    tl_tensor *z = tl_zeros(node->input_shape[0], g->dtype);
    tl_tensor *part = tl_slice(z, (int)node->ints[0], node->ints[1], node->ints[2], node->ints[3]);
    grads[0] = tl_copy_(part, g) ? z : NULL;
}

// record a one-input view or copy; returns the node (NULL when nothing is recorded)
static tl_node *record_view(const char *name, tl_backward_fn rule, tl_tensor *out, const tl_tensor *t) {
    return tl_record(name, rule, out, &t, 1);
}
#line 429 "chapters/01-tensors/01-tensors.md"
#line 1240 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// Errors: one record per thread, like Python's "current exception".
#define TL_ERRMSG_MAX 1024
static TL_THREAD_LOCAL tl_errkind error_kind = TL_OK;
static _Thread_local char error_msg[TL_ERRMSG_MAX];

void tl_error_set(tl_errkind kind, const char *fmt, ...) {
    char buf[TL_ERRMSG_MAX];            // format aside: an argument may be tl_error() itself
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    memcpy(error_msg, buf, sizeof buf);
    error_kind = kind == TL_OK ? TL_RUNTIME_ERROR : kind;
}

const char *tl_error(void) { return error_kind == TL_OK ? NULL : error_msg; }
tl_errkind tl_error_kind(void) { return error_kind; }
void tl_error_clear(void) {
    if (error_kind == TL_OK) return;     // the common case touches only the flag
    error_kind = TL_OK;
    error_msg[0] = '\0';
}

const char *tl_error_kind_name(tl_errkind kind) {
    switch (kind) {
    case TL_OK:            return "OK";
    case TL_RUNTIME_ERROR: return "RuntimeError";
    case TL_VALUE_ERROR:   return "ValueError";
    case TL_INDEX_ERROR:   return "IndexError";
    case TL_TYPE_ERROR:    return "TypeError";
    case TL_ATTRIBUTE_ERROR: return "AttributeError";
    }
    return "Error";
}

void tl_error_print(void) {
    if (error_kind == TL_OK) return;
    printf("%s: %s\n", tl_error_kind_name(error_kind), error_msg);
    fflush(stdout);
    tl_error_clear();
}
#line 1288 "chapters/01-tensors/01-tensors.md"

// A beginner's hint, chosen from the words of the message.
static const char *error_hint(const char *msg) {
    if (!msg) return "the checked expression was false (or NULL) but no Torchlet error was recorded;"
                     " the failing call is your own code";
    static const struct { const char *words, *hint; } hints[] = {
        { "view size is not compatible", "view() never copies: the tensor is not laid out contiguously "
                                         "(after transpose/permute?). Use tl_reshape, or tl_contiguous first" },
        { "is invalid for input of size", "the new shape must hold exactly numel elements: multiply the sizes "
                                          "(-1 lets Torchlet infer one of them)" },
        { "out of bounds", "indices start at 0, so the last valid index is size-1; negative ones count from the end" },
        { "Dimension out of range", "dims count from 0 (or from the end with -1); a 2-D tensor has dims 0 and 1" },
        { "must match the size", "broadcasting pairs sizes from the right: each pair must be equal or contain a 1" },
        { "expected sequence of length", "every row of a nested list must have the same length (no ragged lists)" },
        { "cannot be converted to Scalar", "item() reads a tensor of exactly one element; index it first" },
    };
    for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++)
        if (strstr(msg, hints[i].words)) return hints[i].hint;
    return "a tl_ function returned NULL: the message above is PyTorch's, search it as you would a Python "
           "exception; every later call just passed the NULL along, so the first failing call is the culprit";
}

void tl_check_fail_(const char *expr, const char *file, int line) {
    fflush(stdout);
    fprintf(stderr, "%s:%d: TL_CHECK(%s) failed\n", file, line, expr);
    if (tl_error()) fprintf(stderr, "%s: %s\n", tl_error_kind_name(error_kind), error_msg);
    fprintf(stderr, "HINT: %s\n", error_hint(tl_error()));
    fflush(stderr);
    abort();
}
#line 430 "chapters/01-tensors/01-tensors.md"
#line 456 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// dtypes
static bool dtype_valid(tl_dtype dtype) { return dtype >= TL_BOOL && dtype <= TL_FLOAT64; }

const char *tl_dtype_name(tl_dtype dtype) {
    switch (dtype) {
    case TL_BOOL:    return "torch.bool";
    case TL_INT64:   return "torch.int64";
    case TL_FLOAT32: return "torch.float32";
    case TL_FLOAT64: return "torch.float64";
    }
    return "torch.unknown";
}


// double -> int64 as x86 does it (and so PyTorch's .to(torch.int64)): truncate toward zero;
// NaN and out-of-range values give INT64_MIN. Written out because the C cast is UB there.
static int64_t double_to_i64(double v) {
    if (v >= -9223372036854775808.0 && v < 9223372036854775808.0) return (int64_t)v;
    return INT64_MIN;
}

// store a double into one element of the given dtype
static void store_double(void *p, tl_dtype dtype, double v) {
    switch (dtype) {
    case TL_BOOL:    *(bool *)p = v != 0; break;
    case TL_INT64:   *(int64_t *)p = double_to_i64(v); break;
    case TL_FLOAT32: *(float *)p = (float)v; break;
    case TL_FLOAT64: *(double *)p = v; break;
    }
}

static double load_double(const void *p, tl_dtype dtype) {
    switch (dtype) {
    case TL_BOOL:    return *(const bool *)p ? 1.0 : 0.0;
    case TL_INT64:   return (double)*(const int64_t *)p;
    case TL_FLOAT32: return *(const float *)p;
    case TL_FLOAT64: return *(const double *)p;
    }
    return NAN;
}

// A Python number going into a tensor of this dtype (torch.full, x[i] = v): ints must fit.
static bool scalar_fits(double v, tl_dtype dtype) {
    if (dtype != TL_INT64) return true;
    if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0)) {
        tl_error_set(TL_RUNTIME_ERROR, "value cannot be converted to type int64_t without overflow");
        return false;
    }
    return true;
}
#line 431 "chapters/01-tensors/01-tensors.md"
#line 515 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// Shapes: "[2, 3]" as PyTorch prints a size list in messages.
static const char *shape_str(char *buf, size_t n, int ndim, const int64_t *d) {
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ", %lld" : "%lld", (long long)d[i]);
    if (k < n) snprintf(buf + k, n - k, "]");
    return buf;
}

// PyTorch's maybe_wrap_dim: a dim in [-ndim, ndim-1] (a 0-d tensor counts as 1-d here)
static bool wrap_dim(int *dim, int ndim) {
    int n = ndim > 0 ? ndim : 1;
    if (*dim < -n || *dim > n - 1) {
        tl_error_set(TL_INDEX_ERROR, "Dimension out of range (expected to be in range of [%d, %d], but got %d)",
                     -n, n - 1, *dim);
        return false;
    }
    if (*dim < 0) *dim += n;
    return true;
}

// the error of a shape check_shape refused: a negative size (the first), or too many elements
static bool shape_error(int ndim, const int64_t *d) {
    char s[256];
    for (int i = 0; i < ndim; i++)
        if (d[i] < 0) {
            tl_error_set(TL_RUNTIME_ERROR, "Trying to create tensor with negative dimension %lld: %s",
                         (long long)d[i], shape_str(s, sizeof s, ndim, d));
            return false;
        }
    tl_error_set(TL_RUNTIME_ERROR, "tensor of shape %s is too large", shape_str(s, sizeof s, ndim, d));
    return false;
}

// ndim sizes d: a shape a tensor can have (taken by pointer: no 72-byte copy per call). It runs
// for every new tensor, so the messages are written elsewhere (shape_error).
static bool check_shape(int ndim, const int64_t *d) {
    if (ndim < 0 || ndim > TL_MAX_DIMS) {
        tl_error_set(TL_RUNTIME_ERROR, "number of dimensions %d is out of range [0, %d]", ndim, TL_MAX_DIMS);
        return false;
    }
    double n = 1;                                     // the byte count must fit in the address range
    bool negative = false;
    for (int i = 0; i < ndim; i++) {
        negative |= d[i] < 0;
        n *= (double)d[i];
    }
    return negative || n * 8 > 9.0e18 ? shape_error(ndim, d) : true;
}
#line 432 "chapters/01-tensors/01-tensors.md"
#line 1070 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// The block cache: freed blocks kept per thread and handed out again for the same size.
#define CACHE_SMALL_MAX  ((size_t)64 << 10)              // up to 64 KiB: a list per 64 bytes
#define CACHE_BIG_MAX    ((size_t)256 << 20)             // larger blocks, up to 256 MiB: a table
#define CACHE_BIG_SLOTS  64
#define CACHE_LIMIT      ((size_t)1 << 30)               // bytes kept per thread, at most
typedef struct cache_block { struct cache_block *next; } cache_block;
typedef struct {
    cache_block *small[CACHE_SMALL_MAX / 64 + 1];        // a free list per multiple of 64 bytes
    struct { void *block; size_t size; } big[CACHE_BIG_SLOTS];
    int          nbig;
    size_t       bytes;                                  // bytes kept, all lists together
} block_cache;
static TL_THREAD_LOCAL block_cache *cache;               // this thread's; made at its first free

static bool cache_on(void) {
#if defined(__SANITIZE_ADDRESS__)
    return false;                                        // let ASan see every use after free
#else
    static atomic_int cache_mode = -1;                   // -1: not decided yet, 0: off, 1: on
    int mode = atomic_load(&cache_mode);
    if (mode < 0) {
        const char *env = getenv("TORCHLET_CACHE");
        mode = !(env && strcmp(env, "0") == 0);
        atomic_store(&cache_mode, mode);
    }
    return mode == 1;
#endif
}

// the size of the block that holds n bytes: a multiple of 64, at least 64
static size_t block_size(size_t n) { return n ? (n + 63) / 64 * 64 : 64; }

void *tl_block_alloc(size_t n) {
    size_t size = block_size(n);
    block_cache *c = cache;                              // NULL: nothing freed yet, or the cache is off
    if (c && size <= CACHE_SMALL_MAX && c->small[size / 64]) {
        cache_block *b = c->small[size / 64];
        c->small[size / 64] = b->next;
        c->bytes -= size;
        return b;
    }
    for (int i = 0; c && size > CACHE_SMALL_MAX && i < c->nbig; i++) {
        if (c->big[i].size != size) continue;
        void *b = c->big[i].block;
        c->big[i] = c->big[--c->nbig];
        c->bytes -= size;
        return b;
    }
    return aligned_alloc(64, size);
}

static void clean_up_at_thread_exit(void);     // below, with the pools: the thread's exit drains the cache

// this thread's cache, made on first use; NULL when the cache is off
static block_cache *cache_open(void) {
    if (!cache_on()) return NULL;
    clean_up_at_thread_exit();
    cache = calloc(1, sizeof *cache);
    return cache;
}

void tl_block_free(void *p, size_t n) {
    size_t size = block_size(n);
    if (!p) return;
    block_cache *c = cache ? cache : cache_open();
    if (c && c->bytes + size <= CACHE_LIMIT) {
        if (size <= CACHE_SMALL_MAX) {
            cache_block *b = p;
            b->next = c->small[size / 64];
            c->small[size / 64] = b;
            c->bytes += size;
            return;
        }
        if (size <= CACHE_BIG_MAX && c->nbig < CACHE_BIG_SLOTS) {
            c->big[c->nbig].block = p;
            c->big[c->nbig++].size = size;
            c->bytes += size;
            return;
        }
    }
    free(p);
}

// give every cached block of this thread back to the system (at thread exit)
static void cache_drain(void) {
    block_cache *c = cache;
    if (!c) return;
    cache = NULL;
    for (size_t k = 0; k <= CACHE_SMALL_MAX / 64; k++) {
        while (c->small[k]) {
            cache_block *b = c->small[k];
            c->small[k] = b->next;
            free(b);
        }
    }
    while (c->nbig > 0) free(c->big[--c->nbig].block);
    free(c);
}
#line 433 "chapters/01-tensors/01-tensors.md"
#line 795 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// Pools. A pool is a list of things to let go of when it pops: tensor references
// (tl_release) and malloc'ed blocks (free). Each thread has a stack of pools over a root
// pool; the root is released at exit (the main thread) or when its thread ends.
typedef struct { void *ptr; bool is_tensor; } pool_item;

struct tl_pool {
    pool_item *items;
    size_t     n, cap;
    tl_pool   *parent;              // the enclosing pool (NULL for a thread's root)
};

static TL_THREAD_LOCAL tl_pool *pool_top;      // innermost pool; NULL = the root
static TL_THREAD_LOCAL tl_pool *pool_root;
static TL_THREAD_LOCAL tl_pool *pool_spare;    // popped pools kept for reuse (linked by parent)
static pthread_key_t root_key;
static pthread_once_t root_once = PTHREAD_ONCE_INIT;

// release what the pool owns, last in, first out; the pool itself is then empty
static void pool_release_items(tl_pool *p) {
    for (size_t i = p->n; i-- > 0;) {
        if (p->items[i].is_tensor) tl_release(p->items[i].ptr);
        else free(p->items[i].ptr);
    }
    p->n = 0;
}

static void pool_drain(tl_pool *p) {
    pool_release_items(p);
    free(p->items);
    free(p);
}

// a popped pool: emptied and kept, with its array, for the next tl_pool_push
static void pool_recycle(tl_pool *p) {
    pool_release_items(p);
    p->parent = pool_spare;
    pool_spare = p;
}

// release every pool of this thread: the pushed ones, then the root
static void release_thread_pools(void) {
    while (pool_top) {
        tl_pool *p = pool_top;
        pool_top = p->parent;
        pool_drain(p);
    }
    if (pool_root) {
        tl_pool *r = pool_root;
        pool_root = NULL;
        pool_drain(r);
    }
    while (pool_spare) {
        tl_pool *p = pool_spare;
        pool_spare = p->parent;
        pool_drain(p);
    }
    cache_drain();                       // and the blocks this thread kept for reuse
}

static void live_retire(void);
static void root_thread_exit(void *unused) {
    (void)unused;
    release_thread_pools();
    live_retire();                       // this thread's count of live tensors goes to the total
}
static void root_at_exit(void) { release_thread_pools(); }
static void root_init_once(void) {
    pthread_key_create(&root_key, root_thread_exit);
    atexit(root_at_exit);
}

// The one way a thread signs up for root_thread_exit: its key gets a value (any non-NULL one).
// Called when a thread first keeps something: a root pool, a spare pool, a cache, a live-count slot.
static int thread_signed_up;
static void clean_up_at_thread_exit(void) {
    pthread_once(&root_once, root_init_once);
    if (!pthread_getspecific(root_key)) pthread_setspecific(root_key, &thread_signed_up);
}

static tl_pool *current_pool(void) {
    if (pool_top) return pool_top;
    if (!pool_root) {
        pool_root = calloc(1, sizeof *pool_root);
        if (!pool_root) { fprintf(stderr, "torchlet: out of memory\n"); abort(); }
        clean_up_at_thread_exit();                   // so that thread exit releases it
    }
    return pool_root;
}

static void pool_add(void *ptr, bool is_tensor) {
    tl_pool *p = current_pool();
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        pool_item *items = realloc(p->items, cap * sizeof *items);
        if (!items) { fprintf(stderr, "torchlet: out of memory\n"); abort(); }
        p->items = items;
        p->cap = cap;
    }
    p->items[p->n++] = (pool_item){ ptr, is_tensor };
}

tl_pool *tl_pool_push(void) {
    tl_pool *p = pool_spare;
    if (p) {
        pool_spare = p->parent;
    } else {
        if (!(p = calloc(1, sizeof *p))) { fprintf(stderr, "torchlet: out of memory\n"); abort(); }
        clean_up_at_thread_exit();                   // its spares die with the thread
    }
    p->parent = pool_top;
    pool_top = p;
    return p;
}

void tl_pool_pop(tl_pool *pool) {
    if (!pool) return;
    tl_pool *q = pool_top;
    while (q && q != pool) q = q->parent;
    if (!q) {
        fprintf(stderr, "torchlet: tl_pool_pop of a pool that is not on this thread's stack (ignored)\n");
        return;
    }
    // inner pools left open (a `return` out of a TL_SCOPE) are popped with it
    while (pool_top != pool) {
        tl_pool *p = pool_top;
        pool_top = p->parent;
        pool_recycle(p);
    }
    pool_top = pool->parent;
    pool_recycle(pool);
}

void *tl_pool_adopt(void *malloced) {
    if (malloced) pool_add(malloced, false);
    return malloced;
}

// Live objects (tensors; chapter 02's graph nodes): a slot per thread, written only by its
// thread (no atomic read-modify-write)
enum { LIVE_SLOTS = 256 };
static struct {
    _Alignas(64) _Atomic int64_t n[TL_LIVE_KINDS];   // a cache line each: no false sharing
    _Atomic bool used;
} live_slot[LIVE_SLOTS];
static _Atomic int64_t live_shared[TL_LIVE_KINDS];    // threads that ended, and threads past the slots
static TL_THREAD_LOCAL int live_me = -1;       // this thread's slot; LIVE_SLOTS: the shared counter

static int live_claim(void) {
    clean_up_at_thread_exit();                   // the count goes to the total at exit
    for (int i = 0; i < LIVE_SLOTS; i++) {
        bool free_slot = false;
        if (atomic_compare_exchange_strong(&live_slot[i].used, &free_slot, true)) return live_me = i;
    }
    return live_me = LIVE_SLOTS;
}

static inline void live_add(tl_live_kind kind, int64_t d) {
    int i = live_me >= 0 ? live_me : live_claim();
    if (i == LIVE_SLOTS) atomic_fetch_add(&live_shared[kind], d);
    else atomic_store_explicit(&live_slot[i].n[kind],
                               atomic_load_explicit(&live_slot[i].n[kind], memory_order_relaxed) + d,
                               memory_order_relaxed);
}

void tl_live_add(tl_live_kind kind, int64_t d) { live_add(kind, d); }

static void live_retire(void) {
    if (live_me < 0 || live_me == LIVE_SLOTS) return;
    for (int k = 0; k < TL_LIVE_KINDS; k++) atomic_fetch_add(&live_shared[k], atomic_exchange(&live_slot[live_me].n[k], 0));
    atomic_store(&live_slot[live_me].used, false);
    live_me = -1;
}

// objects of a kind alive now, all threads (exact when no other thread is making or freeing any)
int64_t tl_live_count(tl_live_kind kind) {
    int64_t n = atomic_load(&live_shared[kind]);
    for (int i = 0; i < LIVE_SLOTS; i++) n += atomic_load_explicit(&live_slot[i].n[kind], memory_order_relaxed);
    return n;
}

int64_t tl_live_tensors(void) { return tl_live_count(TL_LIVE_TENSORS); }
#line 984 "chapters/01-tensors/01-tensors.md"
tl_tensor *tl_retain(tl_tensor *t) {
    if (t) t->refcount++;
    return t;
}

// a storage's memory back to where it came from: on the CPU its one block (header and
// elements), on a GPU the device's bytes and then the header
static void storage_release(tl_storage *s) {
    if (!s || --s->refcount > 0) return;
    if (s->device.type == TL_CUDA) {                                        // chapter 08
        tl_cuda_free(s->device.index, s->data, s->capacity);
        tl_block_free(s, sizeof *s);
    } else {
        tl_block_free(s, s->capacity);
    }
}

void tl_release(tl_tensor *t) {
    if (!t || --t->refcount > 0) return;
    tl_release(t->grad);                 // a tensor owns its .grad
#line 410 "chapters/02-graphs/02-graphs.md"
    tl_node_release(t->grad_fn);         // and its share of the graph that made it
#line 1005 "chapters/01-tensors/01-tensors.md"
    storage_release(t->storage);
    tl_block_free(t, sizeof *t);
    live_add(TL_LIVE_TENSORS, -1);
}
#line 1016 "chapters/01-tensors/01-tensors.md"

// t itself with one more reference, owned by the current pool
static tl_tensor *same_tensor(const tl_tensor *t) {
    tl_tensor *u = (tl_tensor *)t;
    tl_retain(u);
    pool_add(u, true);
    return u;
}
#line 434 "chapters/01-tensors/01-tensors.md"
#line 579 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// Making tensor structs. new_view shares a storage; tl_empty makes a fresh one.
static tl_tensor *tensor_alloc(tl_dtype dtype, int ndim, const int64_t *shape, const int64_t *stride,
                               int64_t offset, tl_storage *storage) {
    tl_tensor *t = tl_block_alloc(sizeof *t);
    if (!t) { fprintf(stderr, "torchlet: out of memory\n"); abort(); }
    // Field by field, unused dims 0. (Zeroing the whole struct first compiles to `rep stos`, and
    // building it on the stack and copying it in stalls on store forwarding: either cost more
    // than the rest of this function. The name is a C string: its first byte is enough.)
    t->dtype = dtype;
    t->ndim = ndim;
    memset(t->shape, 0, sizeof t->shape);           // fixed sizes: a few vector stores
    memset(t->stride, 0, sizeof t->stride);
    for (int i = 0; i < ndim; i++) { t->shape[i] = shape[i]; t->stride[i] = stride[i]; }
    t->offset = offset;
    t->storage = storage;
    t->refcount = 1;
    t->requires_grad = t->is_parameter = t->wrapped_number = false;
    t->grad = NULL;
    t->grad_fn = NULL;
    t->name[0] = '\0';
    storage->refcount++;
    live_add(TL_LIVE_TENSORS, 1);
    pool_add(t, true);                   // the current pool owns the new reference
    return t;
}

static tl_tensor *new_view(const tl_tensor *base, int ndim, const int64_t *shape, const int64_t *stride,
                           int64_t offset) {
    return tensor_alloc(base->dtype, ndim, shape, stride, offset, base->storage);
}

// contiguous (row-major) strides of a shape; returns numel
static int64_t contiguous_strides(int ndim, const int64_t *shape, int64_t *stride) {
    int64_t n = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        stride[i] = n;
        n *= shape[i] > 1 ? shape[i] : 1;    // PyTorch: a size-0/1 dim does not scale the next stride
    }
    return tl_shape_numel(ndim, shape);
}

// a new contiguous tensor on a device. On the CPU its storage is one block from the cache: the
// header, then the elements (STORAGE_HEADER bytes in, so they are 64-byte aligned), one
// allocation per tensor instead of two. On a GPU the elements come from the device's caching
// allocator (chapter 08).
#define STORAGE_HEADER 64
_Static_assert(sizeof(tl_storage) <= STORAGE_HEADER, "a storage header fits in front of its elements");

static tl_tensor *empty_on(int ndim, const int64_t *dims, tl_dtype dtype, tl_device device) {
    if (!dtype_valid(dtype)) { tl_error_set(TL_TYPE_ERROR, "invalid dtype %d", (int)dtype); return NULL; }
    if (!check_shape(ndim, dims)) return NULL;
    int64_t stride[TL_MAX_DIMS] = { 0 };
    int64_t numel = contiguous_strides(ndim, dims, stride);
    size_t nbytes = (size_t)numel * tl_dtype_size(dtype), capacity = 0;
    tl_storage *s;
    void *data;
    if (device.type == TL_CUDA) {                                           // chapter 08
        if (!(data = tl_cuda_malloc(device.index, nbytes, &capacity))) return NULL;   // it said why
        if (!(s = tl_block_alloc(sizeof *s))) tl_cuda_free(device.index, data, capacity);
    } else {
        s = tl_block_alloc(capacity = STORAGE_HEADER + block_size(nbytes));
        data = s ? (char *)s + STORAGE_HEADER : NULL;
    }
    if (!s) {
        tl_error_set(TL_RUNTIME_ERROR, "DefaultCPUAllocator: not enough memory: you tried to allocate %zu bytes.",
                     nbytes);
        return NULL;
    }
    memset(s, 0, sizeof *s);
    s->data = data;
    s->nbytes = nbytes;
    s->capacity = capacity;
    s->device = device;
    return tensor_alloc(dtype, ndim, dims, stride, 0, s);
}

tl_tensor *tl_empty(tl_shape shape, tl_dtype dtype) { return empty_on(shape.ndim, shape.d, dtype, TL_CPU_DEVICE); }
#line 435 "chapters/01-tensors/01-tensors.md"
#line 1874 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// Walking a strided tensor in row-major order. The inner loop runs along the last dim
// with a fixed stride; strided_next advances the outer index like an odometer.
static bool strided_next(int ndim, const int64_t *shape, const int64_t *stride, int64_t *idx, int64_t *off) {
    for (int d = ndim - 2; d >= 0; d--) {     // the last dim is the caller's inner loop
        if (++idx[d] < shape[d]) { *off += stride[d]; return true; }
        *off -= (shape[d] - 1) * stride[d];
        idx[d] = 0;
    }
    return false;
}

// copy src (any layout) into the contiguous buffer dst of the same dtype
static void copy_to_contiguous(void *dst, const tl_tensor *src) {
    int64_t numel = tl_numel(src);
    if (numel == 0) return;
    size_t es = tl_dtype_size(src->dtype);
    const char *base = (const char *)src->storage->data;
    if (tl_is_contiguous(src)) { memcpy(dst, base + src->offset * (int64_t)es, (size_t)numel * es); return; }
    int nd = src->ndim;
    int64_t inner = src->shape[nd - 1], istride = src->stride[nd - 1];
    int64_t idx[TL_MAX_DIMS] = { 0 }, off = src->offset;
#define COPY_LOOP(T) do {                                                   \
        T *o = (T *)dst; const T *in = (const T *)base;                     \
        do {                                                                \
            for (int64_t i = 0; i < inner; i++) *o++ = in[off + i * istride]; \
        } while (strided_next(nd, src->shape, src->stride, idx, &off));     \
    } while (0)
    switch (es) {
    case 1: COPY_LOOP(uint8_t); break;
    case 4: COPY_LOOP(uint32_t); break;
    default: COPY_LOOP(uint64_t); break;
    }
#undef COPY_LOOP
}
#line 436 "chapters/01-tensors/01-tensors.md"
#line 1357 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// Creation
static void fill_value(tl_tensor *t, double value) {
    int64_t n = tl_numel(t);
    switch (t->dtype) {
    case TL_BOOL:    { bool v = value != 0; bool *p = TL_DATA(t, bool); for (int64_t i = 0; i < n; i++) p[i] = v; } break;
    case TL_INT64:   { int64_t v = double_to_i64(value); int64_t *p = TL_DATA(t, int64_t); for (int64_t i = 0; i < n; i++) p[i] = v; } break;
    case TL_FLOAT32: { float v = (float)value; float *p = TL_DATA(t, float); for (int64_t i = 0; i < n; i++) p[i] = v; } break;
    case TL_FLOAT64: { double *p = TL_DATA(t, double); for (int64_t i = 0; i < n; i++) p[i] = value; } break;
    }
}

tl_tensor *tl_zeros(tl_shape shape, tl_dtype dtype) {
    tl_tensor *t = tl_empty(shape, dtype);
    if (t) memset(t->storage->data, 0, t->storage->nbytes);   // all-zero bytes = 0, 0.0, false
    return t;
}

tl_tensor *tl_full(tl_shape shape, double value, tl_dtype dtype) {
    if (dtype_valid(dtype) && !scalar_fits(value, dtype)) return NULL;
    tl_tensor *t = tl_empty(shape, dtype);
    if (t) fill_value(t, value);
    return t;
}

tl_tensor *tl_ones(tl_shape shape, tl_dtype dtype) { return tl_full(shape, 1.0, dtype); }

// the _like functions make their tensor on t's device (chapter 08)
tl_tensor *tl_empty_like(const tl_tensor *t) { return t ? empty_on(t->ndim, t->shape, t->dtype, t->storage->device) : NULL; }
tl_tensor *tl_zeros_like(const tl_tensor *t) { return t ? tl_zeros_on(tl_shape_of(t), t->dtype, t->storage->device) : NULL; }
tl_tensor *tl_ones_like(const tl_tensor *t) {
    if (!t || !tl_is_cuda(t)) return t ? tl_ones(tl_shape_of(t), t->dtype) : NULL;
    tl_tensor *out = tl_empty_like(t);
    return out && tl_device_fill(out, 1.0) ? out : NULL;
}

tl_tensor *tl_from_data(const void *data, tl_shape shape, tl_dtype dtype) {
    if (!dtype_valid(dtype)) { tl_error_set(TL_TYPE_ERROR, "invalid dtype %d", (int)dtype); return NULL; }
    if (!check_shape(shape.ndim, shape.d)) return NULL;
    if (!data && tl_shape_numel(shape.ndim, shape.d) > 0) {
        tl_error_set(TL_VALUE_ERROR, "tl_from_data: data is NULL but the shape holds %lld elements",
                     (long long)tl_shape_numel(shape.ndim, shape.d));
        return NULL;
    }
    tl_tensor *t = tl_empty(shape, dtype);
    if (t && t->storage->nbytes) memcpy(t->storage->data, data, t->storage->nbytes);
    return t;
}

tl_tensor *tl_scalar(double value, tl_dtype dtype) { return tl_full(TL_SCALAR_SHAPE, value, dtype); }

tl_tensor *tl_eye(int64_t n) {
    if (n < 0) { tl_error_set(TL_RUNTIME_ERROR, "n must be greater or equal to 0, got %lld", (long long)n); return NULL; }
    tl_tensor *t = tl_zeros(TL_SHAPE(n, n), TL_FLOAT32);
    if (!t) return NULL;
    float *p = TL_DATA(t, float);
    for (int64_t i = 0; i < n; i++) p[i * n + i] = 1.0f;
    return t;
}
#line 1430 "chapters/01-tensors/01-tensors.md"

static bool arange_size(double start, double end, double step, int64_t *size) {
    if (step == 0) { tl_error_set(TL_RUNTIME_ERROR, "step must be nonzero"); return false; }
    if (!isfinite(start) || !isfinite(end) || !isfinite(step)) {
        tl_error_set(TL_RUNTIME_ERROR, "unsupported range: %g -> %g", start, end);
        return false;
    }
    if ((step > 0 && end < start) || (step < 0 && end > start)) {
        tl_error_set(TL_RUNTIME_ERROR, "upper bound and larger bound inconsistent with step sign");
        return false;
    }
    double n = ceil((end - start) / step);
    if (!(n >= 0 && n <= 9.0e15)) { tl_error_set(TL_RUNTIME_ERROR, "invalid size, possible overflow?"); return false; }
    *size = (int64_t)n;
    return true;
}

tl_tensor *tl_arange(int64_t start, int64_t end, int64_t step) {
    if (step == 0) { tl_error_set(TL_RUNTIME_ERROR, "step must be nonzero"); return NULL; }
    if ((step > 0 && end < start) || (step < 0 && end > start)) {
        tl_error_set(TL_RUNTIME_ERROR, "upper bound and larger bound inconsistent with step sign");
        return NULL;
    }
    // exact integer ceil((end - start) / step), in unsigned arithmetic so no overflow
    uint64_t span = step > 0 ? (uint64_t)end - (uint64_t)start : (uint64_t)start - (uint64_t)end;
    uint64_t ustep = step > 0 ? (uint64_t)step : 0 - (uint64_t)step;
    uint64_t n = span / ustep + (span % ustep != 0);
    if (n > (uint64_t)1 << 60) { tl_error_set(TL_RUNTIME_ERROR, "invalid size, possible overflow?"); return NULL; }
    tl_tensor *t = tl_empty(TL_SHAPE((int64_t)n), TL_INT64);
    if (!t) return NULL;
    int64_t *p = TL_DATA(t, int64_t);
    for (uint64_t i = 0; i < n; i++) p[i] = (int64_t)((uint64_t)start + i * (uint64_t)step);
    return t;
}

tl_tensor *tl_arange_dtype(double start, double end, double step, tl_dtype dtype) {
    if (!dtype_valid(dtype)) { tl_error_set(TL_TYPE_ERROR, "invalid dtype %d", (int)dtype); return NULL; }
    if (dtype == TL_BOOL) { tl_error_set(TL_RUNTIME_ERROR, "\"arange_cpu\" not implemented for 'Bool'"); return NULL; }
    if (dtype == TL_INT64) {
        // PyTorch converts the three numbers to int64 first (truncating), then counts
        if (!scalar_fits(start, dtype) || !scalar_fits(end, dtype) || !scalar_fits(step, dtype)) return NULL;
        return tl_arange((int64_t)start, (int64_t)end, (int64_t)step);
    }
    int64_t n;
    if (!arange_size(start, end, step, &n)) return NULL;
    tl_tensor *t = tl_empty(TL_SHAPE(n), dtype);
    if (!t) return NULL;
    // values in double (PyTorch's accumulate type on CPU), then rounded to the dtype
    if (dtype == TL_FLOAT32) { float *p = TL_DATA(t, float); for (int64_t i = 0; i < n; i++) p[i] = (float)(start + step * (double)i); }
    else { double *p = TL_DATA(t, double); for (int64_t i = 0; i < n; i++) p[i] = start + step * (double)i; }
    return t;
}
#line 1501 "chapters/01-tensors/01-tensors.md"

tl_tensor *tl_linspace(double start, double end, int64_t steps) {
    if (steps < 0) { tl_error_set(TL_RUNTIME_ERROR, "number of steps must be non-negative"); return NULL; }
    tl_tensor *t = tl_empty(TL_SHAPE(steps), TL_FLOAT32);
    if (!t || steps == 0) return t;
    float *p = TL_DATA(t, float);
    float s = (float)start, e = (float)end;
    if (steps == 1) { p[0] = s; return t; }
    // PyTorch's CPU kernel, bit for bit. In float, step = (end - start) / (steps - 1); the
    // first half counts up from start, the second half down from end, so both ends are
    // exact. PyTorch's compiled code fuses "start + step*i" into one fma (one rounding).
    // It works in blocks of 8 floats (AVX2), two blocks per round: a block starts at the
    // value of its first index and adds k*step (rounded, then added); what is left after
    // the last full round is computed one element at a time.
    float step = (e - s) / (float)(steps - 1);
    int64_t halfway = steps / 2;
#define LINSPACE_AT(i) ((i) < halfway ? fmaf(step, (float)(i), s) : fmaf(-step, (float)(steps - (i) - 1), e))
    int64_t i = 0;
    for (; i + 16 <= steps; i += 16) {
        for (int64_t b = i; b < i + 16; b += 8) {              // two blocks of 8
            float base = LINSPACE_AT(b);
            for (int k = 0; k < 8; k++) p[b + k] = base + (float)k * step;
        }
    }
    for (; i < steps; i++) p[i] = LINSPACE_AT(i);
#undef LINSPACE_AT
    return t;
}
#line 437 "chapters/01-tensors/01-tensors.md"
#line 1915 "chapters/01-tensors/01-tensors.md"

tl_tensor *tl_clone(const tl_tensor *t) {
    if (!t) return NULL;
    tl_tensor *out = tl_empty_like(t);
    if (!out) return NULL;
    if (!tl_is_cuda(t)) copy_to_contiguous(out->storage->data, t);
    else if (!tl_device_copy(out, t)) return NULL;                       // chapter 08
#line 1431 "chapters/03-autograd/03-autograd.md"
    record_view("CloneBackward0", pass_backward, out, t);                // chapter 03
#line 1923 "chapters/01-tensors/01-tensors.md"
    return out;
}

tl_tensor *tl_contiguous(const tl_tensor *t) {
    if (!t) return NULL;
    return tl_is_contiguous(t) ? same_tensor(t) : tl_clone(t);
}
#line 438 "chapters/01-tensors/01-tensors.md"
#line 1815 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// Element access
static bool element_offset(const tl_tensor *t, tl_shape index, int64_t *off, const char *fn) {
    if (index.ndim != t->ndim) {
        tl_error_set(TL_INDEX_ERROR, "%s: %d indices given for a tensor of dimension %d (one per dimension needed)",
                     fn, index.ndim, t->ndim);
        return false;
    }
    int64_t o = t->offset;
    for (int d = 0; d < t->ndim; d++) {
        int64_t i = index.d[d];
        if (i < -t->shape[d] || i >= t->shape[d]) {
            tl_error_set(TL_INDEX_ERROR, "index %lld is out of bounds for dimension %d with size %lld",
                         (long long)i, d, (long long)t->shape[d]);
            return false;
        }
        if (i < 0) i += t->shape[d];
        o += i * t->stride[d];
    }
    *off = o;
    return true;
}

double tl_get(const tl_tensor *t, tl_shape index) {
    int64_t off;
    if (!t || !element_offset(t, index, &off, "tl_get")) return NAN;
    if (tl_is_cuda(t)) return tl_device_load(t, off);                   // chapter 08
    return load_double((char *)t->storage->data + off * (int64_t)tl_dtype_size(t->dtype), t->dtype);
}

bool tl_set(tl_tensor *t, tl_shape index, double value) {
    int64_t off;
    if (!t || !element_offset(t, index, &off, "tl_set") || !scalar_fits(value, t->dtype)) return false;
    if (tl_is_cuda(t)) return tl_device_store(t, off, value);           // chapter 08
    store_double((char *)t->storage->data + off * (int64_t)tl_dtype_size(t->dtype), t->dtype, value);
    return true;
}

double tl_item(const tl_tensor *t) {
    if (!t) return NAN;
    int64_t n = tl_numel(t);
    if (n != 1) {
        tl_error_set(TL_RUNTIME_ERROR, "a Tensor with %lld elements cannot be converted to Scalar", (long long)n);
        return NAN;
    }
    int64_t off = t->offset;      // the one element: every index is 0
    if (tl_is_cuda(t)) return tl_device_load(t, off);                   // chapter 08
    return load_double((char *)t->storage->data + off * (int64_t)tl_dtype_size(t->dtype), t->dtype);
}
#line 439 "chapters/01-tensors/01-tensors.md"
#line 1939 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// Conversion
tl_tensor *tl_to_dtype(const tl_tensor *t, tl_dtype dtype) {
    if (!t) return NULL;
    if (!dtype_valid(dtype)) { tl_error_set(TL_TYPE_ERROR, "invalid dtype %d", (int)dtype); return NULL; }
    if (t->dtype == dtype) return same_tensor(t);          // PyTorch's .to returns self
    tl_tensor *out = tl_empty_on(tl_shape_of(t), dtype, t->storage->device);
    if (!out) return NULL;
#line 1435 "chapters/03-autograd/03-autograd.md"
    record_view("ToCopyBackward0", pass_backward, out, t);               // chapter 03
#line 1948 "chapters/01-tensors/01-tensors.md"
    if (tl_is_cuda(t)) return tl_device_copy(out, t) ? out : NULL;     // chapter 08
    int64_t n = tl_numel(t);
    if (n == 0) return out;
    // read the source in row-major order through a contiguous copy when needed
    const void *src;
    void *scratch = NULL;
    if (tl_is_contiguous(t)) {
        src = (const char *)t->storage->data + t->offset * (int64_t)tl_dtype_size(t->dtype);
    } else {
        scratch = malloc((size_t)n * tl_dtype_size(t->dtype));
        if (!scratch) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return NULL; }
        copy_to_contiguous(scratch, t);
        src = scratch;
    }
    void *dst = out->storage->data;
    // one typed loop per (from, to) pair: the dtype switch is outside the loop
#define CONVERT(FROM, TO, EXPR) do {                                         \
        const FROM *a = (const FROM *)src; TO *b = (TO *)dst;                \
        for (int64_t i = 0; i < n; i++) { FROM x = a[i]; b[i] = (EXPR); }    \
    } while (0)
#define CONVERT_FROM(FROM)                                                   \
    switch (dtype) {                                                         \
    case TL_BOOL:    CONVERT(FROM, bool, x != 0); break;                     \
    case TL_INT64:   CONVERT(FROM, int64_t, double_to_i64((double)x)); break;\
    case TL_FLOAT32: CONVERT(FROM, float, (float)x); break;                  \
    case TL_FLOAT64: CONVERT(FROM, double, (double)x); break;                \
    }
    switch (t->dtype) {
    case TL_BOOL:    CONVERT_FROM(bool); break;
    case TL_INT64:   CONVERT_FROM(int64_t); break;
    case TL_FLOAT32: CONVERT_FROM(float); break;
    case TL_FLOAT64: CONVERT_FROM(double); break;
    }
#undef CONVERT_FROM
#undef CONVERT
    free(scratch);
    return out;
}
#line 440 "chapters/01-tensors/01-tensors.md"
#line 2047 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// Views
// PyTorch's computeStride: strides that let `shape` view the same elements as t, or false
// when some new dim would have to span two chunks of memory that are not evenly spaced.
static bool view_strides(const tl_tensor *t, int ndim, const int64_t *shape, int64_t *stride) {
    if (t->ndim == 0) {
        for (int i = 0; i < ndim; i++) stride[i] = 1;
        return true;
    }
    int64_t numel = tl_numel(t);
    if (numel == 0) {
        bool same = ndim == t->ndim;
        for (int i = 0; same && i < ndim; i++) same = shape[i] == t->shape[i];
        if (same) { for (int i = 0; i < ndim; i++) stride[i] = t->stride[i]; return true; }
        for (int i = ndim - 1; i >= 0; i--)
            stride[i] = i == ndim - 1 ? 1 : (shape[i + 1] > 1 ? shape[i + 1] : 1) * stride[i + 1];
        return true;
    }
    int view_d = ndim - 1;
    int64_t chunk_base_stride = t->stride[t->ndim - 1];
    int64_t tensor_numel = 1, view_numel = 1;
    for (int td = t->ndim - 1; td >= 0; td--) {
        tensor_numel *= t->shape[td];
        // a chunk ends where the next-outer dim is not laid out right after this one
        if (td == 0 || (t->shape[td - 1] != 1 && t->stride[td - 1] != tensor_numel * chunk_base_stride)) {
            while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
                stride[view_d] = view_numel * chunk_base_stride;
                view_numel *= shape[view_d];
                view_d--;
            }
            if (view_numel != tensor_numel) return false;
            if (td > 0) {
                chunk_base_stride = t->stride[td - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    return view_d == -1;
}
#line 2094 "chapters/01-tensors/01-tensors.md"

// resolve -1 and check the element count ("shape '[4, 4]' is invalid for input of size 6")
static bool infer_shape(const tl_tensor *t, tl_shape *shape) {
    if (shape->ndim < 0 || shape->ndim > TL_MAX_DIMS) {
        tl_error_set(TL_RUNTIME_ERROR, "number of dimensions %d is out of range [0, %d]", shape->ndim, TL_MAX_DIMS);
        return false;
    }
    int infer = -1;
    int64_t known = 1;
    for (int i = 0; i < shape->ndim; i++) {
        if (shape->d[i] == -1) {
            if (infer >= 0) { tl_error_set(TL_RUNTIME_ERROR, "only one dimension can be inferred"); return false; }
            infer = i;
        } else if (shape->d[i] < 0) {
            tl_error_set(TL_RUNTIME_ERROR, "invalid shape dimension %lld", (long long)shape->d[i]);
            return false;
        } else {
            known = known * shape->d[i];
            if (known > ((int64_t)1 << 62)) known = (int64_t)1 << 62;     // surely too big: avoid overflow
        }
    }
    int64_t numel = tl_numel(t);
    char s[256];
    if (infer >= 0) {
        if (known == 0) {
            if (numel == 0) {
                tl_error_set(TL_RUNTIME_ERROR, "cannot reshape tensor of 0 elements into shape %s because the "
                             "unspecified dimension size -1 can be any value and is ambiguous",
                             shape_str(s, sizeof s, shape->ndim, shape->d));
                return false;
            }
        } else if (numel % known == 0) {
            shape->d[infer] = numel / known;
            return true;
        }
    } else if (known == numel) {
        return true;
    }
    tl_error_set(TL_RUNTIME_ERROR, "shape '%s' is invalid for input of size %lld",
                 shape_str(s, sizeof s, shape->ndim, shape->d), (long long)numel);
    return false;
}
#line 2141 "chapters/01-tensors/01-tensors.md"

tl_tensor *tl_view(const tl_tensor *t, tl_shape shape) {
    if (!t || !infer_shape(t, &shape)) return NULL;
    int64_t stride[TL_MAX_DIMS];
    if (!view_strides(t, shape.ndim, shape.d, stride)) {
        tl_error_set(TL_RUNTIME_ERROR, "view size is not compatible with input tensor's size and stride (at least one "
                     "dimension spans across two contiguous subspaces). Use .reshape(...) instead.");
        return NULL;
    }
    tl_tensor *out = new_view(t, shape.ndim, shape.d, stride, t->offset);
#line 1385 "chapters/03-autograd/03-autograd.md"
    record_view("ViewBackward0", reshape_backward, out, t);              // chapter 03
#line 2152 "chapters/01-tensors/01-tensors.md"
    return out;
}

tl_tensor *tl_reshape(const tl_tensor *t, tl_shape shape) {
    if (!t || !infer_shape(t, &shape)) return NULL;
    int64_t stride[TL_MAX_DIMS];
    if (view_strides(t, shape.ndim, shape.d, stride)) {
        tl_tensor *out = new_view(t, shape.ndim, shape.d, stride, t->offset);
#line 1385 "chapters/03-autograd/03-autograd.md"
        record_view("ViewBackward0", reshape_backward, out, t);              // chapter 03
#line 2161 "chapters/01-tensors/01-tensors.md"
        return out;
    }
    // no view possible: copy into a fresh contiguous tensor of the new shape
    tl_tensor *out = tl_empty_on(shape, t->dtype, t->storage->device);
    if (!out) return NULL;
    if (!tl_is_cuda(t)) copy_to_contiguous(out->storage->data, t);
    else if (!tl_device_copy_flat(out, t)) return NULL;                  // chapter 08
#line 1389 "chapters/03-autograd/03-autograd.md"
    record_view("UnsafeViewBackward0", reshape_backward, out, t);        // chapter 03
#line 2169 "chapters/01-tensors/01-tensors.md"
    return out;
}
#line 2180 "chapters/01-tensors/01-tensors.md"

tl_tensor *tl_transpose(const tl_tensor *t, int dim0, int dim1) {
    if (!t || !wrap_dim(&dim0, t->ndim) || !wrap_dim(&dim1, t->ndim)) return NULL;
    int64_t shape[TL_MAX_DIMS], stride[TL_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++) { shape[i] = t->shape[i]; stride[i] = t->stride[i]; }
    if (t->ndim > 0) {
        shape[dim0] = t->shape[dim1];  stride[dim0] = t->stride[dim1];
        shape[dim1] = t->shape[dim0];  stride[dim1] = t->stride[dim0];
    }
    tl_tensor *out = new_view(t, t->ndim, shape, stride, t->offset);
#line 1393 "chapters/03-autograd/03-autograd.md"
    tl_node *node = record_view("TransposeBackward0", transpose_backward, out, t);   // chapter 03
    if (node) { node->ints[0] = dim0; node->ints[1] = dim1; }
#line 2191 "chapters/01-tensors/01-tensors.md"
    return out;
}

tl_tensor *tl_T(const tl_tensor *t) {
    if (!t) return NULL;
    int64_t shape[TL_MAX_DIMS], stride[TL_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++) {
        shape[i] = t->shape[t->ndim - 1 - i];
        stride[i] = t->stride[t->ndim - 1 - i];
    }
    tl_tensor *out = new_view(t, t->ndim, shape, stride, t->offset);
#line 1398 "chapters/03-autograd/03-autograd.md"
    tl_node *node = record_view("PermuteBackward0", permute_backward, out, t);       // chapter 03
    for (int i = 0; node && i < t->ndim; i++) node->ints[i] = t->ndim - 1 - i;
#line 2203 "chapters/01-tensors/01-tensors.md"
    return out;
}

tl_tensor *tl_permute(const tl_tensor *t, tl_shape dims) {
    if (!t) return NULL;
    if (dims.ndim != t->ndim) {
        tl_error_set(TL_RUNTIME_ERROR, "permute(sparse_coo): number of dimensions in the tensor input does not match "
                     "the length of the desired ordering of dimensions i.e. input.dim() = %d is not equal to "
                     "len(dims) = %d", t->ndim, dims.ndim);
        return NULL;
    }
    int64_t shape[TL_MAX_DIMS], stride[TL_MAX_DIMS];
    bool seen[TL_MAX_DIMS] = { false };
    for (int i = 0; i < t->ndim; i++) {
        int64_t d64 = dims.d[i];
        int d = d64 < -1000 ? -1000 : d64 > 1000 ? 1000 : (int)d64;
        if (!wrap_dim(&d, t->ndim)) return NULL;
        if (seen[d]) { tl_error_set(TL_RUNTIME_ERROR, "permute(): duplicate dims are not allowed."); return NULL; }
        seen[d] = true;
        shape[i] = t->shape[d];
        stride[i] = t->stride[d];
    }
    tl_tensor *out = new_view(t, t->ndim, shape, stride, t->offset);
#line 1403 "chapters/03-autograd/03-autograd.md"
    tl_node *node = record_view("PermuteBackward0", permute_backward, out, t);       // chapter 03
    for (int i = 0; node && i < t->ndim; i++) node->ints[i] = dims.d[i] < 0 ? dims.d[i] + t->ndim : dims.d[i];
#line 2227 "chapters/01-tensors/01-tensors.md"
    return out;
}
#line 2240 "chapters/01-tensors/01-tensors.md"

tl_tensor *tl_squeeze(const tl_tensor *t, int dim) {
    if (!t || !wrap_dim(&dim, t->ndim)) return NULL;
    int64_t shape[TL_MAX_DIMS], stride[TL_MAX_DIMS];
    int n = 0;                                      // keep every dim but dim, if its size is 1
    for (int i = 0; i < t->ndim; i++)
        if (i != dim || t->shape[i] != 1) { shape[n] = t->shape[i]; stride[n] = t->stride[i]; n++; }
    tl_tensor *out = new_view(t, n, shape, stride, t->offset);
#line 1408 "chapters/03-autograd/03-autograd.md"
    record_view("SqueezeBackward1", reshape_backward, out, t);           // chapter 03
#line 2249 "chapters/01-tensors/01-tensors.md"
    return out;
}

tl_tensor *tl_unsqueeze(const tl_tensor *t, int dim) {
    if (!t) return NULL;
    // the new dim may go anywhere in [0, ndim]: wrap against ndim+1
    if (dim < -(t->ndim + 1) || dim > t->ndim) {
        tl_error_set(TL_INDEX_ERROR, "Dimension out of range (expected to be in range of [%d, %d], but got %d)",
                     -(t->ndim + 1), t->ndim, dim);
        return NULL;
    }
    if (dim < 0) dim += t->ndim + 1;
    if (t->ndim == TL_MAX_DIMS) {
        tl_error_set(TL_RUNTIME_ERROR, "Torchlet tensors have at most %d dimensions", TL_MAX_DIMS);
        return NULL;
    }
    int64_t shape[TL_MAX_DIMS], stride[TL_MAX_DIMS];
    for (int i = 0, j = 0; i <= t->ndim; i++) {
        if (i == dim) {
            shape[i] = 1;
            stride[i] = dim < t->ndim ? t->shape[dim] * t->stride[dim] : 1;
        } else {
            shape[i] = t->shape[j];
            stride[i] = t->stride[j];
            j++;
        }
    }
    tl_tensor *out = new_view(t, t->ndim + 1, shape, stride, t->offset);
#line 1412 "chapters/03-autograd/03-autograd.md"
    tl_node *node = record_view("UnsqueezeBackward0", unsqueeze_backward, out, t);   // chapter 03
    if (node) node->ints[0] = dim;
#line 2278 "chapters/01-tensors/01-tensors.md"
    return out;
}

tl_tensor *tl_flatten(const tl_tensor *t, int start_dim, int end_dim) {
    if (!t || !wrap_dim(&start_dim, t->ndim) || !wrap_dim(&end_dim, t->ndim)) return NULL;
    if (start_dim > end_dim) {
        tl_error_set(TL_RUNTIME_ERROR, "flatten() has invalid args: start_dim cannot come after end_dim");
        return NULL;
    }
    if (t->ndim == 0) return tl_reshape(t, TL_SHAPE(1));
    if (start_dim == end_dim) return same_tensor(t);            // PyTorch returns self
    tl_shape s = { 0, { 0 } };
    for (int i = 0; i < start_dim; i++) s.d[s.ndim++] = t->shape[i];
    int64_t m = 1;
    for (int i = start_dim; i <= end_dim; i++) m *= t->shape[i];
    s.d[s.ndim++] = m;
    for (int i = end_dim + 1; i < t->ndim; i++) s.d[s.ndim++] = t->shape[i];
    return tl_reshape(t, s);
}
#line 2308 "chapters/01-tensors/01-tensors.md"

tl_tensor *tl_expand(const tl_tensor *t, tl_shape shape) {
    if (!t) return NULL;
    char a[256], b[256];
    if (shape.ndim < t->ndim || shape.ndim > TL_MAX_DIMS) {
        if (shape.ndim < 0 || shape.ndim > TL_MAX_DIMS) {
            tl_error_set(TL_RUNTIME_ERROR, "number of dimensions %d is out of range [0, %d]", shape.ndim, TL_MAX_DIMS);
            return NULL;
        }
        static const char *names[] = { "torch.BoolTensor", "torch.LongTensor", "torch.FloatTensor", "torch.DoubleTensor" };
        tl_error_set(TL_RUNTIME_ERROR, "expand(%s{%s}, size=%s): the number of sizes provided (%d) must be greater or "
                     "equal to the number of dimensions in the tensor (%d)", names[t->dtype],
                     shape_str(a, sizeof a, t->ndim, t->shape), shape_str(b, sizeof b, shape.ndim, shape.d),
                     shape.ndim, t->ndim);
        return NULL;
    }
    int64_t out_shape[TL_MAX_DIMS], stride[TL_MAX_DIMS];
    int lead = shape.ndim - t->ndim;
    for (int i = shape.ndim - 1; i >= 0; i--) {
        int j = i - lead;                       // the matching dim of t, if any
        int64_t want = shape.d[i];
        if (j < 0) {                            // a new leading dim: stride 0
            if (want < 0) {
                tl_error_set(TL_RUNTIME_ERROR, "The expanded size of the tensor (%lld) isn't allowed in a leading, "
                             "non-existing dimension %d", (long long)want, i);
                return NULL;
            }
            out_shape[i] = want;
            stride[i] = 0;
            continue;
        }
        int64_t have = t->shape[j];
        if (want == -1) want = have;
        if (have == want) { out_shape[i] = have; stride[i] = t->stride[j]; }
        else if (have == 1 && want >= 0) { out_shape[i] = want; stride[i] = 0; }
        else {
            tl_error_set(TL_RUNTIME_ERROR, "The expanded size of the tensor (%lld) must match the existing size (%lld) "
                         "at non-singleton dimension %d.  Target sizes: %s.  Tensor sizes: %s", (long long)want,
                         (long long)have, i, shape_str(a, sizeof a, shape.ndim, shape.d),
                         shape_str(b, sizeof b, t->ndim, t->shape));
            return NULL;
        }
    }
    tl_tensor *out = new_view(t, shape.ndim, out_shape, stride, t->offset);
#line 1417 "chapters/03-autograd/03-autograd.md"
    record_view("ExpandBackward0", pass_backward, out, t);               // chapter 03
#line 2353 "chapters/01-tensors/01-tensors.md"
    return out;
}
#line 2366 "chapters/01-tensors/01-tensors.md"

static tl_tensor *select_impl(const tl_tensor *t, int dim, int64_t index, bool python_index) {
    if (!t) return NULL;
    if (t->ndim == 0) {
        if (python_index)
            tl_error_set(TL_INDEX_ERROR, "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                         "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number");
        else
            tl_error_set(TL_INDEX_ERROR, "select() cannot be applied to a 0-dim tensor.");
        return NULL;
    }
    if (!wrap_dim(&dim, t->ndim)) return NULL;
    int64_t size = t->shape[dim];
    if (index < -size || index >= size) {
        tl_error_set(TL_INDEX_ERROR, "index %lld is out of bounds for dimension %d with size %lld",
                     (long long)index, dim, (long long)size);
        return NULL;
    }
    if (index < 0) index += size;
    int64_t shape[TL_MAX_DIMS], stride[TL_MAX_DIMS];
    int n = 0;
    for (int i = 0; i < t->ndim; i++)
        if (i != dim) { shape[n] = t->shape[i]; stride[n] = t->stride[i]; n++; }
    tl_tensor *out = new_view(t, n, shape, stride, t->offset + index * t->stride[dim]);
#line 1421 "chapters/03-autograd/03-autograd.md"
    tl_node *node = record_view("SelectBackward0", select_backward, out, t);         // chapter 03
    if (node) { node->ints[0] = dim; node->ints[1] = index; }
#line 2391 "chapters/01-tensors/01-tensors.md"
    return out;
}

tl_tensor *tl_select(const tl_tensor *t, int dim, int64_t index) { return select_impl(t, dim, index, false); }
tl_tensor *tl_index(const tl_tensor *t, int64_t index) { return select_impl(t, 0, index, true); }
#line 2406 "chapters/01-tensors/01-tensors.md"

tl_tensor *tl_slice(const tl_tensor *t, int dim, int64_t start, int64_t end, int64_t step) {
    if (!t) return NULL;
    if (t->ndim == 0) { tl_error_set(TL_INDEX_ERROR, "slice() cannot be applied to a 0-dim tensor."); return NULL; }
    if (step == 0) { tl_error_set(TL_VALUE_ERROR, "slice step cannot be zero"); return NULL; }
    if (step < 0) { tl_error_set(TL_VALUE_ERROR, "step must be greater than zero"); return NULL; }
    if (!wrap_dim(&dim, t->ndim)) return NULL;
    int64_t size = t->shape[dim];
    // Python's rules: negative counts from the end, then clamp into [0, size]
    if (start < 0) start = start < -size ? 0 : start + size;
    if (end < 0) end = end < -size ? 0 : end + size;
    if (start > size) start = size;
    if (end > size) end = size;
    if (end < start) end = start;
    int64_t shape[TL_MAX_DIMS], stride[TL_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++) { shape[i] = t->shape[i]; stride[i] = t->stride[i]; }
    shape[dim] = end == start ? 0 : (end - start - 1) / step + 1;      // ceil((end - start) / step)
    stride[dim] = t->stride[dim] * step;
    tl_tensor *out = new_view(t, t->ndim, shape, stride, t->offset + start * t->stride[dim]);
#line 1426 "chapters/03-autograd/03-autograd.md"
    tl_node *node = record_view("SliceBackward0", slice_backward, out, t);           // chapter 03
    if (node) { node->ints[0] = dim; node->ints[1] = start; node->ints[2] = end; node->ints[3] = step; }
#line 2426 "chapters/01-tensors/01-tensors.md"
    return out;
}
#line 441 "chapters/01-tensors/01-tensors.md"
#line 478 "chapters/02-graphs/02-graphs.md"
// ----------------------------------------------------------------------------
// detach (chapter 02): a view of t as it is, with no grad_fn and not requiring grad
tl_tensor *tl_detach(const tl_tensor *t) {
    return t ? new_view(t, t->ndim, t->shape, t->stride, t->offset) : NULL;
}
#line 442 "chapters/01-tensors/01-tensors.md"
#line 1551 "chapters/01-tensors/01-tensors.md"
// ----------------------------------------------------------------------------
// The literal parser: "[[1, 2], [3, 4]]" -> a tensor, as torch.tensor([[1, 2], [3, 4]]).
// Pass 1 parses the text into a small tree (a list node or a number node); pass 2 takes
// the shape from the first element at each depth, as PyTorch does, checks every list
// against it and writes the numbers out.
typedef enum { PN_LIST, PN_INT, PN_FLOAT, PN_BOOL } pn_kind;
typedef struct pnode {
    pn_kind kind;
    int64_t i;                    // PN_INT, PN_BOOL
    double f;                     // PN_FLOAT
    int64_t n;                    // PN_LIST: number of items
    struct pnode **items;
} pnode;

typedef struct {
    const char *src, *p;
    int depth;
} parser;

static void pnode_free(pnode *n) {
    if (!n) return;
    if (n->kind == PN_LIST) {
        for (int64_t i = 0; i < n->n; i++) pnode_free(n->items[i]);
        free(n->items);
    }
    free(n);
}

static void skip_space(parser *ps) { while (*ps->p && isspace((unsigned char)*ps->p)) ps->p++; }

static void parse_error(parser *ps, const char *what) {
    tl_error_set(TL_VALUE_ERROR, "expected %s at column %d in \"%s\"", what, (int)(ps->p - ps->src) + 1, ps->src);
}

static pnode *parse_value(parser *ps);
#line 1592 "chapters/01-tensors/01-tensors.md"

static pnode *parse_number(parser *ps) {
    const char *q = ps->p;
    if (strncmp(q, "True", 4) == 0 || strncmp(q, "False", 5) == 0) {
        bool v = *q == 'T';
        const char *after = q + (v ? 4 : 5);
        if (!isalnum((unsigned char)*after) && *after != '_') {
            pnode *n = calloc(1, sizeof *n);
            if (!n) return NULL;
            n->kind = PN_BOOL;
            n->i = v;
            ps->p = after;
            return n;
        }
    }
    // [sign] digits [. digits] [e [sign] digits], as a Python literal (with unary +/-)
    if (*q == '+' || *q == '-') q++;
    bool digits = false, is_float = false;
    while (isdigit((unsigned char)*q)) { q++; digits = true; }
    if (*q == '.') {
        is_float = true;
        q++;
        while (isdigit((unsigned char)*q)) { q++; digits = true; }
    }
    if (!digits) { parse_error(ps, "a number"); return NULL; }
    if (*q == 'e' || *q == 'E') {
        const char *e = q + 1;
        if (*e == '+' || *e == '-') e++;
        if (!isdigit((unsigned char)*e)) { ps->p = e; parse_error(ps, "a digit in the exponent"); return NULL; }
        while (isdigit((unsigned char)*e)) e++;
        q = e;
        is_float = true;
    }
    if (isalnum((unsigned char)*q) || *q == '_' || *q == '.') { ps->p = q; parse_error(ps, "',' or ']'"); return NULL; }
    pnode *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    if (is_float) {
        n->kind = PN_FLOAT;
        n->f = strtod(ps->p, NULL);
    } else {
        n->kind = PN_INT;
        errno = 0;
        n->i = strtoll(ps->p, NULL, 10);
        if (errno == ERANGE) {
            free(n);
            tl_error_set(TL_RUNTIME_ERROR, "Overflow when unpacking long");
            return NULL;
        }
    }
    ps->p = q;
    return n;
}
#line 1650 "chapters/01-tensors/01-tensors.md"

static pnode *parse_list(parser *ps) {
    if (++ps->depth > 64) { parse_error(ps, "less nesting"); return NULL; }
    ps->p++;                                      // the '['
    pnode *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->kind = PN_LIST;
    int64_t cap = 0;
    skip_space(ps);
    while (*ps->p != ']') {
        pnode *item = parse_value(ps);
        if (!item) { pnode_free(n); return NULL; }
        if (n->n == cap) {
            cap = cap ? 2 * cap : 8;
            pnode **items = realloc(n->items, (size_t)cap * sizeof *items);
            if (!items) { pnode_free(item); pnode_free(n); return NULL; }
            n->items = items;
        }
        n->items[n->n++] = item;
        skip_space(ps);
        if (*ps->p == ',') { ps->p++; skip_space(ps); }      // a trailing comma is fine, as in Python
        else if (*ps->p != ']') { parse_error(ps, "',' or ']'"); pnode_free(n); return NULL; }
    }
    ps->p++;                                      // the ']'
    ps->depth--;
    return n;
}

static pnode *parse_value(parser *ps) {
    skip_space(ps);
    return *ps->p == '[' ? parse_list(ps) : parse_number(ps);
}
#line 1689 "chapters/01-tensors/01-tensors.md"

// pass 2 helpers: the shape is read off the first items, then every node is checked
static int tree_shape(const pnode *n, int64_t *shape) {
    int nd = 0;
    while (n->kind == PN_LIST) {
        if (nd == TL_MAX_DIMS) return -1;
        shape[nd++] = n->n;
        if (n->n == 0) break;
        n = n->items[0];
    }
    return nd;
}

typedef struct { double *f; int64_t *i; int64_t k; bool any_float, any_int; } tree_out;

static bool tree_store(const pnode *n, int dim, int ndim, const int64_t *shape, tree_out *out) {
    if (dim == ndim) {
        if (n->kind == PN_LIST) {
            tl_error_set(TL_TYPE_ERROR, "'list' object cannot be interpreted as an integer");
            return false;
        }
        out->f[out->k] = n->kind == PN_FLOAT ? n->f : (double)n->i;
        out->i[out->k] = n->i;
        out->any_float |= n->kind == PN_FLOAT;
        out->any_int |= n->kind == PN_INT;
        out->k++;
        return true;
    }
    if (n->kind != PN_LIST) { tl_error_set(TL_TYPE_ERROR, "not a sequence"); return false; }
    if (n->n != shape[dim]) {
        tl_error_set(TL_VALUE_ERROR, "expected sequence of length %lld at dim %d (got %lld)",
                     (long long)shape[dim], dim, (long long)n->n);
        return false;
    }
    for (int64_t i = 0; i < n->n; i++)
        if (!tree_store(n->items[i], dim + 1, ndim, shape, out)) return false;
    return true;
}

// dtype < 0: infer it (bool / int64 / float32) as torch.tensor does
static tl_tensor *parse_impl(const char *literal, int dtype) {
    if (!literal) { tl_error_set(TL_VALUE_ERROR, "tl_tensor_parse: the literal is NULL"); return NULL; }
    parser ps = { literal, literal, 0 };
    pnode *root = parse_value(&ps);
    if (!root) { if (!tl_error()) tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return NULL; }
    skip_space(&ps);
    if (*ps.p) { parse_error(&ps, "the end of the literal"); pnode_free(root); return NULL; }

    tl_shape shape = { 0, { 0 } };
    shape.ndim = tree_shape(root, shape.d);
    if (shape.ndim < 0) {
        tl_error_set(TL_VALUE_ERROR, "too many dimensions (Torchlet tensors have at most %d)", TL_MAX_DIMS);
        pnode_free(root);
        return NULL;
    }
    int64_t numel = tl_shape_numel(shape.ndim, shape.d);
    tree_out out = { malloc(sizeof(double) * (size_t)(numel ? numel : 1)),
                     malloc(sizeof(int64_t) * (size_t)(numel ? numel : 1)), 0, false, false };
    tl_tensor *t = NULL;
    // like PyTorch, an empty result is not walked at all: torch.tensor([[], [1]]) is a (2, 0) float32
    if (out.f && out.i && (numel == 0 || tree_store(root, 0, shape.ndim, shape.d, &out))) {
        tl_dtype dt = dtype >= 0 ? (tl_dtype)dtype
                    : out.any_float ? TL_FLOAT32 : out.any_int ? TL_INT64 : numel ? TL_BOOL : TL_FLOAT32;
        t = tl_empty(shape, dt);
        if (t) {
            void *d = t->storage->data;
            for (int64_t k = 0; k < numel; k++) {
                if (dt == TL_INT64 && !out.any_float) ((int64_t *)d)[k] = out.i[k];      // exact, beyond 2^53
                else store_double((char *)d + k * (int64_t)tl_dtype_size(dt), dt, out.f[k]);
            }
        }
    } else if (!out.f || !out.i) {
        tl_error_set(TL_RUNTIME_ERROR, "out of memory");
    }
    free(out.f);
    free(out.i);
    pnode_free(root);
    return t;
}

tl_tensor *tl_tensor_parse(const char *literal) { return parse_impl(literal, -1); }

tl_tensor *tl_tensor_parse_dtype(const char *literal, tl_dtype dtype) {
    if (!dtype_valid(dtype)) { tl_error_set(TL_TYPE_ERROR, "invalid dtype %d", (int)dtype); return NULL; }
    return parse_impl(literal, (int)dtype);
}
#line 443 "chapters/01-tensors/01-tensors.md"
#line 441 "chapters/08-gpu/08-gpu.md"
// ----------------------------------------------------------------------------
// A tensor on a device (chapter 08): its storage comes from the device's caching allocator
tl_tensor *tl_empty_on(tl_shape shape, tl_dtype dtype, tl_device device) {
    return empty_on(shape.ndim, shape.d, dtype, device);   // chapter 01's tl_empty, on the device's allocator
}
