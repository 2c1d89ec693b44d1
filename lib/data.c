/* generated from chapters/05-loaders/05-loaders.md by tools/tangle.lua; edit the chapter, not this file */
#line 1414 "chapters/05-loaders/05-loaders.md"
// data.c — Dataset, TensorDataset, Subset, random_split, samplers, DataLoader with worker threads.
// See data.h; chapter 05 explains each part.
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data.h"
#include "ops.h"

#line 141 "chapters/05-loaders/05-loaders.md"
int64_t tl_dataset_len(const tl_dataset *ds) {
    if (!ds || !ds->len) {
        tl_error_set(TL_TYPE_ERROR, "object of type 'NoneType' has no len()");
        return -1;
    }
    return ds->len(ds);
}

bool tl_dataset_get_item(const tl_dataset *ds, int64_t index, tl_tensor **features, tl_tensor **label) {
    *features = NULL;
    if (label) *label = NULL;
    if (!ds || !ds->get_item) {
        tl_error_set(TL_TYPE_ERROR, "'NoneType' object is not subscriptable");
        return false;
    }
    tl_tensor *unused = NULL;
    tl_error_clear();
    bool ok = ds->get_item(ds, index, features, label ? label : &unused);
    if (ok && !*features) ok = false;
    if (!ok && !tl_error())
        tl_error_set(TL_RUNTIME_ERROR, "the dataset's get_item failed for index %lld without an error message",
                     (long long)index);
    return ok;
}

void tl_dataset_free(tl_dataset *ds) {
    if (ds && ds->destroy) ds->destroy(ds);
}
#line 1426 "chapters/05-loaders/05-loaders.md"

#line 180 "chapters/05-loaders/05-loaders.md"
// ---------------------------------------------------------------------------
// TensorDataset: example i is row i of features (and of labels, which may be NULL).
typedef struct { tl_tensor *features, *labels; } tensor_dataset;

static int64_t tensor_dataset_len(const tl_dataset *ds) {
    return ((const tensor_dataset *)ds->state)->features->shape[0];
}

// row i of a contiguous tensor, copied into a new tensor of the current pool
static tl_tensor *copy_row(const tl_tensor *t, int64_t i) {
    tl_shape row = { t->ndim - 1, { 0 } };
    int64_t row_numel = 1;
    for (int d = 1; d < t->ndim; d++) { row.d[d - 1] = t->shape[d]; row_numel *= t->shape[d]; }
    const char *base = (const char *)t->storage->data + (t->offset + i * row_numel) * (int64_t)tl_dtype_size(t->dtype);
    return tl_from_data(base, row, t->dtype);
}

static bool tensor_dataset_get_item(const tl_dataset *ds, int64_t index, tl_tensor **x, tl_tensor **y) {
    const tensor_dataset *td = ds->state;
    int64_t n = td->features->shape[0];
    if (index < -n || index >= n) {
        tl_error_set(TL_INDEX_ERROR, "index %lld is out of bounds for dimension 0 with size %lld",
                     (long long)index, (long long)n);
        return false;
    }
    if (index < 0) index += n;
    *x = copy_row(td->features, index);
    *y = td->labels ? copy_row(td->labels, index) : NULL;
    return *x && (!td->labels || *y);
}

static void tensor_dataset_destroy(tl_dataset *ds) {
    tensor_dataset *td = ds->state;
    tl_release(td->features);
    tl_release(td->labels);
    free(ds);
}

tl_dataset *tl_tensor_dataset_new(const tl_tensor *features, const tl_tensor *labels) {
    if (!features) return NULL;
    if (features->ndim == 0 || (labels && labels->ndim == 0)) {
        tl_error_set(TL_INDEX_ERROR, "tensors of a TensorDataset need a first dimension (examples), got a 0-d tensor");
        return NULL;
    }
    if (labels && labels->shape[0] != features->shape[0]) {
        tl_error_set(TL_VALUE_ERROR, "Size mismatch between tensors (features have %lld rows, labels %lld)",
                     (long long)features->shape[0], (long long)labels->shape[0]);
        return NULL;
    }
    if (features->storage->device.type != TL_CPU || (labels && labels->storage->device.type != TL_CPU)) {
        tl_error_set(TL_RUNTIME_ERROR, "TensorDataset: Torchlet's datasets hold CPU tensors");
        return NULL;
    }
    tl_dataset *ds = calloc(1, sizeof *ds + sizeof(tensor_dataset));
    if (!ds) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return NULL; }
    tensor_dataset *td = (tensor_dataset *)(ds + 1);
    TL_SCOPE {                               // contiguous (copies if needed), kept by the dataset
        td->features = tl_retain(tl_contiguous(features));
        td->labels = labels ? tl_retain(tl_contiguous(labels)) : NULL;
    }
    *ds = (tl_dataset){ .len = tensor_dataset_len, .get_item = tensor_dataset_get_item, .state = td,
                        .thread_safe = true, .destroy = tensor_dataset_destroy };
    return ds;
}
#line 1428 "chapters/05-loaders/05-loaders.md"

#line 266 "chapters/05-loaders/05-loaders.md"
// ---------------------------------------------------------------------------
// Subset: example i is the parent's example indices[i]. The parent must outlive it.
typedef struct { const tl_dataset *parent; int64_t n; int64_t indices[]; } subset;

static int64_t subset_len(const tl_dataset *ds) { return ((const subset *)ds->state)->n; }

static bool subset_get_item(const tl_dataset *ds, int64_t index, tl_tensor **x, tl_tensor **y) {
    const subset *s = ds->state;
    if (index < -s->n || index >= s->n) {
        tl_error_set(TL_INDEX_ERROR, "list index out of range (index %lld, Subset of length %lld)",
                     (long long)index, (long long)s->n);
        return false;
    }
    if (index < 0) index += s->n;
    return tl_dataset_get_item(s->parent, s->indices[index], x, y);
}

static void subset_destroy(tl_dataset *ds) { free(ds); }

tl_dataset *tl_subset_new(const tl_dataset *parent, const int64_t *indices, int64_t n) {
    if (!parent) { tl_error_set(TL_TYPE_ERROR, "Subset: the dataset is NULL"); return NULL; }
    if (n < 0 || (n > 0 && !indices)) {
        tl_error_set(TL_VALUE_ERROR, "Subset: expected %lld indices, got none", (long long)n);
        return NULL;
    }
    tl_dataset *ds = malloc(sizeof *ds + sizeof(subset) + (size_t)n * sizeof(int64_t));
    if (!ds) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return NULL; }
    subset *s = (subset *)(ds + 1);
    s->parent = parent;
    s->n = n;
    if (n) memcpy(s->indices, indices, (size_t)n * sizeof(int64_t));
    *ds = (tl_dataset){ .len = subset_len, .get_item = subset_get_item, .state = s,
                        .thread_safe = parent->thread_safe, .destroy = subset_destroy };
    return ds;
}
#line 1430 "chapters/05-loaders/05-loaders.md"

#line 304 "chapters/05-loaders/05-loaders.md"
// lengths -> counts: whole numbers summing to len, or fractions summing to 1 (PyTorch's rule)
static bool split_counts(const double *lengths, int n, int64_t len, int64_t *counts) {
    double sum = 0;
    for (int i = 0; i < n; i++) sum += lengths[i];
    if (fabs(sum - 1.0) <= 1e-9 * fmax(fabs(sum), 1.0) && sum <= 1.0) {   // math.isclose(sum, 1)
        int64_t total = 0;
        for (int i = 0; i < n; i++) {
            if (lengths[i] < 0 || lengths[i] > 1) {
                tl_error_set(TL_VALUE_ERROR, "Fraction at index %d is not between 0 and 1", i);
                return false;
            }
            counts[i] = (int64_t)floor((double)len * lengths[i]);
            total += counts[i];
        }
        for (int64_t i = 0; i < len - total; i++) counts[i % n]++;      // the remainder, round robin
        return true;
    }
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        if (lengths[i] < 0 || lengths[i] != floor(lengths[i]) || lengths[i] > 9e18) {
            tl_error_set(TL_VALUE_ERROR, "random_split: length at index %d is %g; lengths are whole numbers "
                         "or fractions that sum to 1", i, lengths[i]);
            return false;
        }
        counts[i] = (int64_t)lengths[i];
        total += counts[i];
    }
    if (total != len) {
        tl_error_set(TL_VALUE_ERROR, "Sum of input lengths does not equal the length of the input dataset!");
        return false;
    }
    return true;
}

bool tl_random_split(const tl_dataset *ds, const double *lengths, int n, tl_generator *g, tl_dataset **out) {
    if (!out) { tl_error_set(TL_VALUE_ERROR, "random_split: no room for the subsets (out is NULL)"); return false; }
    for (int i = 0; i < n; i++) out[i] = NULL;
    if (n <= 0 || !lengths) {
        tl_error_set(TL_VALUE_ERROR, "Sum of input lengths does not equal the length of the input dataset!");
        return false;
    }
    int64_t len = tl_dataset_len(ds);
    if (len < 0) return false;
    int64_t *counts = malloc((size_t)n * sizeof *counts);
    if (!counts) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return false; }
    bool ok = split_counts(lengths, n, len, counts);
    TL_SCOPE {
        tl_tensor *perm = ok ? tl_randperm(len, g) : NULL;      // randperm(sum(lengths), generator)
        ok = ok && perm;
        int64_t offset = 0;
        for (int i = 0; ok && i < n; offset += counts[i], i++)
            ok = (out[i] = tl_subset_new(ds, TL_DATA(perm, int64_t) + offset, counts[i])) != NULL;
    }
    if (!ok)
        for (int i = 0; i < n; i++) { tl_dataset_free(out[i]); out[i] = NULL; }
    free(counts);
    return ok;
}
#line 1432 "chapters/05-loaders/05-loaders.md"

#line 443 "chapters/05-loaders/05-loaders.md"
int64_t tl_sampler_len(const tl_sampler *s) {
    if (!s || !s->len) { tl_error_set(TL_TYPE_ERROR, "the sampler is NULL"); return -1; }
    return s->len(s);
}

tl_tensor *tl_sampler_indices(tl_sampler *s) {
    int64_t n = tl_sampler_len(s);
    if (n < 0) return NULL;
    tl_tensor *t = tl_empty(TL_SHAPE(n), TL_INT64);
    return t && s->pass(s, TL_DATA(t, int64_t)) ? t : NULL;
}

void tl_sampler_free(tl_sampler *s) {
    if (s && s->destroy) s->destroy(s);
}

// one malloc block: the sampler, then its state
static void sampler_destroy(tl_sampler *s) { free(s); }
static tl_sampler *sampler_alloc(size_t state_size) {
    tl_sampler *s = calloc(1, sizeof *s + state_size);
    if (!s) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return NULL; }
    s->state = s + 1;
    s->destroy = sampler_destroy;
    return s;
}

// sequential and fixed-list samplers: a list of indices handed out as is
typedef struct { int64_t n; bool sequential; int64_t indices[]; } list_sampler;
static int64_t list_len(const tl_sampler *s) { return ((const list_sampler *)s->state)->n; }
static bool list_pass(tl_sampler *s, int64_t *out) {
    const list_sampler *l = s->state;
    for (int64_t i = 0; i < l->n; i++) out[i] = l->sequential ? i : l->indices[i];
    return true;
}
static tl_sampler *list_sampler_new(int64_t n, const int64_t *indices) {
    if (n < 0) { tl_error_set(TL_VALUE_ERROR, "a sampler needs n >= 0, got n=%lld", (long long)n); return NULL; }
    tl_sampler *s = sampler_alloc(sizeof(list_sampler) + (indices ? (size_t)n * sizeof(int64_t) : 0));
    if (!s) return NULL;
    list_sampler *l = s->state;
    l->n = n;
    l->sequential = !indices;
    if (indices && n) memcpy(l->indices, indices, (size_t)n * sizeof(int64_t));
    s->len = list_len;
    s->pass = list_pass;
    return s;
}
tl_sampler *tl_sequential_sampler_new(int64_t n) { return list_sampler_new(n, NULL); }
tl_sampler *tl_index_sampler_new(const int64_t *indices, int64_t n) {
    if (n > 0 && !indices) { tl_error_set(TL_VALUE_ERROR, "index sampler: no indices"); return NULL; }
    return list_sampler_new(n, indices ? indices : (const int64_t[]){ 0 });
}

// RandomSampler(replacement=False, num_samples=n, generator=g)
typedef struct { int64_t n; tl_generator *g; } random_sampler;
static int64_t random_len(const tl_sampler *s) { return ((const random_sampler *)s->state)->n; }
static bool random_pass(tl_sampler *s, int64_t *out) {
    const random_sampler *r = s->state;
    bool ok = true;
    TL_SCOPE {
        tl_generator *g = r->g, *own = NULL;
        if (!g) g = own = tl_generator_new((uint64_t)tl_random_int64(NULL));   // seed: 2 default draws
        tl_tensor *perm = g ? tl_randperm(r->n, g) : NULL;
        if (perm) memcpy(out, TL_DATA(perm, int64_t), (size_t)r->n * sizeof *out);
        else ok = false;
        if (r->g && ok) tl_randperm(r->n, r->g);       // the exhausted pass's extra, empty permutation
        tl_generator_free(own);
    }
    return ok;
}
tl_sampler *tl_random_sampler_new(int64_t n, tl_generator *g) {
    if (n < 0) { tl_error_set(TL_VALUE_ERROR, "num_samples should be a positive integer value, but got num_samples=%lld", (long long)n); return NULL; }
    tl_sampler *s = sampler_alloc(sizeof(random_sampler));
    if (!s) return NULL;
    *(random_sampler *)s->state = (random_sampler){ n, g };
    s->len = random_len;
    s->pass = random_pass;
    return s;
}
#line 530 "chapters/05-loaders/05-loaders.md"
typedef struct { int64_t n, num_samples, epoch; int replicas, rank; bool shuffle, drop_last; uint64_t seed; } dist_sampler;
static int64_t dist_len(const tl_sampler *s) { return ((const dist_sampler *)s->state)->num_samples; }
static bool dist_pass(tl_sampler *s, int64_t *out) {
    const dist_sampler *d = s->state;
    bool ok = true;
    TL_SCOPE {
        tl_tensor *perm = NULL;
        if (d->shuffle) {
            tl_generator *g = tl_generator_new(d->seed + (uint64_t)d->epoch);
            perm = g ? tl_randperm(d->n, g) : NULL;
            tl_generator_free(g);
        } else {
            perm = tl_arange(0, d->n, 1);
        }
        if (!perm) ok = false;
        for (int64_t k = 0; ok && k < d->num_samples; k++)      // indices[rank : total : replicas]
            out[k] = TL_DATA(perm, int64_t)[(d->rank + k * d->replicas) % d->n];   // padding repeats the head
    }
    return ok;
}
tl_sampler *tl_distributed_sampler_new(int64_t n, int num_replicas, int rank, bool shuffle, uint64_t seed,
                                       bool drop_last) {
    if (num_replicas <= 0) {
        tl_error_set(TL_VALUE_ERROR, "num_replicas should be a positive integer value, but got num_replicas=%d", num_replicas);
        return NULL;
    }
    if (rank < 0 || rank >= num_replicas) {
        tl_error_set(TL_VALUE_ERROR, "Invalid rank %d, rank should be in the interval [0, %d]", rank, num_replicas - 1);
        return NULL;
    }
    if (n < 0) { tl_error_set(TL_VALUE_ERROR, "a sampler needs n >= 0, got n=%lld", (long long)n); return NULL; }
    tl_sampler *s = sampler_alloc(sizeof(dist_sampler));
    if (!s) return NULL;
    int64_t R = num_replicas;
    int64_t num_samples = drop_last && n % R != 0 ? (n - R >= 0 ? (n - R + R - 1) / R : 0)   // ceil((n-R)/R)
                                                  : (n + R - 1) / R;                        // ceil(n/R)
    if (n == 0) num_samples = 0;
    *(dist_sampler *)s->state = (dist_sampler){ n, num_samples, 0, num_replicas, rank, shuffle, drop_last, seed };
    s->len = dist_len;
    s->pass = dist_pass;
    return s;
}
void tl_distributed_sampler_set_epoch(tl_sampler *s, int64_t epoch) {
    if (s && s->len == dist_len) ((dist_sampler *)s->state)->epoch = epoch;
}
#line 1434 "chapters/05-loaders/05-loaders.md"

#line 645 "chapters/05-loaders/05-loaders.md"
struct tl_dataloader {
    tl_dataset           *ds;
    tl_dataloader_options opts;
    tl_sampler           *sampler;      // opts.sampler, or own_sampler
    tl_sampler           *own_sampler;  // made here (random if shuffle, else sequential)
};
#line 1436 "chapters/05-loaders/05-loaders.md"

#line 710 "chapters/05-loaders/05-loaders.md"
typedef struct {                // a loaded batch on its way from a worker to the consumer
    tl_tensor *x, *y;           // retained, owned by no pool until the consumer adopts them
    bool       ready;
    tl_errkind err_kind;        // TL_OK, or the worker's error
    int        worker;
    char       err[512];
} batch_slot;

struct tl_dataloader_iterator {
    tl_dataloader *dl;
    int64_t   *indices;         // the pass's order (len(sampler) of them)
    int64_t    n, nbatches;     // indices, batches this pass
    int64_t    consumed;        // batches handed out so far
    int64_t    base_seed;       // drawn by iter(); worker w's generator is seeded base_seed + w
    bool       started, done;
    // worker threads (num_workers > 0)
    int        nworkers;
    pthread_t *threads;
    batch_slot *slots;          // the bounded queue: batch b waits in slots[b % capacity]
    int64_t    capacity;        // num_workers * prefetch_factor
    int        nstarted;        // threads running
    bool       stop;            // ask the workers to finish
    struct worker_arg *worker_args;
    pthread_mutex_t mu;
    pthread_cond_t  ready_cv;   // a slot was filled
    pthread_cond_t  space_cv;   // a slot was freed, or stop
};
#line 1438 "chapters/05-loaders/05-loaders.md"

#line 786 "chapters/05-loaders/05-loaders.md"
// held by load_batch, for datasets that are not thread_safe, in every loader and thread
static pthread_mutex_t get_item_lock = PTHREAD_MUTEX_INITIALIZER;

// a retained tensor that no pool owns becomes the current pool's (NULL-safe)
static tl_tensor *adopt(tl_tensor *t) {
    tl_tensor *u = tl_contiguous(t);        // t itself (+1, in the current pool): batches are contiguous
    tl_release(t);
    return u;
}

// Load and stack the examples idx[0..n-1]. On success *x and *y (NULL for a dataset without labels)
// are retained and owned by no pool: new tensors, sharing nothing with the dataset. For a dataset
// that is not thread_safe it holds get_item_lock while it loads, so that get_item, the stacking and
// the letting go of what get_item returned (views of shared tensors) run under the lock.
static bool load_batch(const tl_dataset *ds, const int64_t *idx, int64_t n, tl_tensor **x, tl_tensor **y) {
    *x = *y = NULL;
    tl_tensor **xs = calloc((size_t)(2 * n), sizeof *xs), **ys = xs + n;
    if (!xs) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return false; }
    bool ok = true, lock = !ds->thread_safe;
    if (lock) pthread_mutex_lock(&get_item_lock);
    tl_pool *pool = tl_pool_push();
    for (int64_t i = 0; ok && i < n; i++) ok = tl_dataset_get_item(ds, idx[i], &xs[i], &ys[i]);
    if (ok) {
        int64_t with_label = 0;
        for (int64_t i = 0; i < n; i++) with_label += ys[i] != NULL;
        if (with_label != 0 && with_label != n) {
            tl_error_set(TL_RUNTIME_ERROR, "default_collate: some examples of the batch have a label and "
                         "some do not (%lld of %lld have one)", (long long)with_label, (long long)n);
            ok = false;
        }
        *x = ok ? tl_retain(tl_stack(xs, (int)n, 0)) : NULL;
        *y = ok && with_label ? tl_retain(tl_stack(ys, (int)n, 0)) : NULL;
        ok = ok && *x && (!with_label || *y);
    }
    tl_pool_pop(pool);
    if (!ok) { tl_release(*x); tl_release(*y); *x = *y = NULL; }
    if (lock) pthread_mutex_unlock(&get_item_lock);
    free(xs);
    return ok;
}
#line 1440 "chapters/05-loaders/05-loaders.md"

#line 654 "chapters/05-loaders/05-loaders.md"
tl_dataloader *tl_dataloader_new(tl_dataset *ds, tl_dataloader_options opts) {
    if (opts.batch_size <= 0) {
        tl_error_set(TL_VALUE_ERROR, "batch_size should be a positive integer value, but got batch_size=%lld",
                     (long long)opts.batch_size);
        return NULL;
    }
    if (opts.sampler && opts.shuffle) {
        tl_error_set(TL_VALUE_ERROR, "sampler option is mutually exclusive with shuffle");
        return NULL;
    }
    if (opts.num_workers < 0) {
        tl_error_set(TL_VALUE_ERROR, "num_workers option should be non-negative; use num_workers=0 to disable "
                     "multiprocessing.");
        return NULL;
    }
    if (opts.prefetch_factor < 0) {
        tl_error_set(TL_VALUE_ERROR, "prefetch_factor option should be non-negative, got %d", opts.prefetch_factor);
        return NULL;
    }
    int64_t n = tl_dataset_len(ds);
    if (n < 0) return NULL;
    tl_dataloader *dl = calloc(1, sizeof *dl);
    if (!dl) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return NULL; }
    dl->ds = ds;
    dl->opts = opts;
    if (!opts.prefetch_factor) dl->opts.prefetch_factor = 2;
    if (!opts.sampler)
        dl->own_sampler = opts.shuffle ? tl_random_sampler_new(n, opts.generator) : tl_sequential_sampler_new(n);
    dl->sampler = opts.sampler ? opts.sampler : dl->own_sampler;
    if (!dl->sampler) { free(dl); return NULL; }
    return dl;
}

void tl_dataloader_free(tl_dataloader *dl) {
    if (!dl) return;
    tl_sampler_free(dl->own_sampler);
    free(dl);
}

int64_t tl_dataloader_len(const tl_dataloader *dl) {
    if (!dl) { tl_error_set(TL_TYPE_ERROR, "object of type 'NoneType' has no len()"); return -1; }
    int64_t n = tl_sampler_len(dl->sampler), b = dl->opts.batch_size;
    if (n < 0) return -1;
    return dl->opts.drop_last ? n / b : (n + b - 1) / b;
}
#line 1442 "chapters/05-loaders/05-loaders.md"

#line 746 "chapters/05-loaders/05-loaders.md"
static bool start_workers(tl_dataloader_iterator *it);

static bool begin_pass(tl_dataloader_iterator *it) {       // the sampler's pass; workers start
    it->started = true;
    if (it->n && !it->dl->sampler->pass(it->dl->sampler, it->indices)) return false;
    return it->nworkers == 0 || start_workers(it);
}

tl_dataloader_iterator *tl_dataloader_iter(tl_dataloader *dl) {
    if (!dl) return NULL;
    int64_t n = tl_sampler_len(dl->sampler);
    if (n < 0) return NULL;
    tl_dataloader_iterator *it = calloc(1, sizeof *it);
    int64_t *indices = malloc((size_t)(n ? n : 1) * sizeof *indices);
    if (!it || !indices) { free(it); free(indices); tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return NULL; }
    it->dl = dl;
    it->indices = indices;
    it->n = n;
    it->nbatches = tl_dataloader_len(dl);
    it->nworkers = dl->opts.num_workers;
    it->base_seed = tl_random_int64(dl->opts.generator);     // _base_seed: drawn on every pass
    if (it->nworkers > 0 && !begin_pass(it)) { tl_dataloader_iter_free(it); return NULL; }
    return it;
}
#line 834 "chapters/05-loaders/05-loaders.md"
static bool next_from_workers(tl_dataloader_iterator *it, tl_tensor **x, tl_tensor **y);
static void stop_workers(tl_dataloader_iterator *it);

bool tl_dataloader_next(tl_dataloader_iterator *it, tl_tensor **features, tl_tensor **labels) {
    if (features) *features = NULL;
    if (labels) *labels = NULL;
    if (!it || it->done) return false;
    if (!it->started && !begin_pass(it)) { it->done = true; return false; }
    if (it->consumed >= it->nbatches) {                     // StopIteration
        it->done = true;
        stop_workers(it);
        return false;
    }
    tl_tensor *x, *y;
    bool ok;
    if (it->nworkers == 0) {
        int64_t b = it->consumed, bs = it->dl->opts.batch_size;
        int64_t start = b * bs, count = start + bs <= it->n ? bs : it->n - start;
        ok = load_batch(it->dl->ds, it->indices + start, count, &x, &y);   // under get_item_lock if need be
        it->consumed++;
    } else {
        ok = next_from_workers(it, &x, &y);
    }
    if (!ok) {                                              // an error ends the pass
        it->done = true;
        stop_workers(it);
        return false;
    }
    x = adopt(x);
    y = adopt(y);
    if (features) *features = x;
    if (labels) *labels = y;
    return true;
}
#line 1444 "chapters/05-loaders/05-loaders.md"

#line 1278 "chapters/05-loaders/05-loaders.md"
// ---------------------------------------------------------------------------
// What a worker thread knows about itself (NULL in other threads): a variable of worker_main's.
typedef struct { int id, num_workers; uint64_t seed; tl_generator *gen; } worker_self;
static _Thread_local worker_self *self;

// false when the worker's generator cannot be made: the worker then fails every batch it is given
// rather than draw from the shared default generator
static bool worker_begin(const tl_dataloader_iterator *it, int id, worker_self *w) {
    uint64_t seed = (uint64_t)it->base_seed + (uint64_t)id;     // PyTorch: seed = base_seed + worker_id
    *w = (worker_self){ id, it->nworkers, seed, tl_generator_new(seed) };
    self = w;
    return w->gen != NULL;
}

static void worker_end(void) {
    tl_generator_free(self->gen);
    self = NULL;
}

tl_generator *tl_worker_generator(void) {
    return self ? self->gen : tl_default_generator();
}

bool tl_get_worker_info(int *id, int *num_workers, uint64_t *seed) {
    if (!self) return false;
    if (id) *id = self->id;
    if (num_workers) *num_workers = self->num_workers;
    if (seed) *seed = self->seed;
    return true;
}
#line 1446 "chapters/05-loaders/05-loaders.md"

#line 1017 "chapters/05-loaders/05-loaders.md"
// ---------------------------------------------------------------------------
// Worker threads: load batches ahead into the bounded queue it->slots, in order.
typedef struct worker_arg { tl_dataloader_iterator *it; int id; } worker_arg;

static void *worker_main(void *arg_) {
    worker_arg *arg = arg_;
    tl_dataloader_iterator *it = arg->it;
    const tl_dataset *ds = it->dl->ds;
    int64_t bs = it->dl->opts.batch_size;
    worker_self me;
    bool have_generator = worker_begin(it, arg->id, &me);  // its generator (see below)
    pthread_mutex_lock(&it->mu);
    for (int64_t b = arg->id; ; b += it->nworkers) {       // worker w loads batches w, w + N, w + 2N, ...
        while (!it->stop && b < it->nbatches && b >= it->consumed + it->capacity)
            pthread_cond_wait(&it->space_cv, &it->mu);     // wait for room in the queue
        if (it->stop || b >= it->nbatches) break;
        pthread_mutex_unlock(&it->mu);

        batch_slot s = { .worker = arg->id };
        int64_t start = b * bs, count = start + bs <= it->n ? bs : it->n - start;
        tl_error_clear();
        bool ok = false;
        if (!have_generator) {
            tl_error_set(TL_RUNTIME_ERROR, "out of memory making the random generator of worker %d", arg->id);
        } else {
            ok = load_batch(ds, it->indices + start, count, &s.x, &s.y);   // locks as without workers
        }
        if (!ok) {
            s.err_kind = tl_error_kind() == TL_OK ? TL_RUNTIME_ERROR : tl_error_kind();
            snprintf(s.err, sizeof s.err, "%s", tl_error() ? tl_error() : "unknown error");
        }
        s.ready = true;

        pthread_mutex_lock(&it->mu);
        it->slots[b % it->capacity] = s;
        pthread_cond_broadcast(&it->ready_cv);
    }
    pthread_mutex_unlock(&it->mu);
    worker_end();
    return NULL;
}
#line 1064 "chapters/05-loaders/05-loaders.md"
static bool start_workers(tl_dataloader_iterator *it) {
    it->capacity = (int64_t)it->nworkers * it->dl->opts.prefetch_factor;
    batch_slot *slots = calloc((size_t)it->capacity, sizeof *slots);
    pthread_t *threads = calloc((size_t)it->nworkers, sizeof *threads);
    worker_arg *args = calloc((size_t)it->nworkers, sizeof *args);    // live until the join
    if (!slots || !threads || !args) {
        free(slots); free(threads); free(args);
        tl_error_set(TL_RUNTIME_ERROR, "out of memory");
        return false;
    }
    pthread_mutex_init(&it->mu, NULL);
    pthread_cond_init(&it->ready_cv, NULL);
    pthread_cond_init(&it->space_cv, NULL);
    it->slots = slots;
    it->threads = threads;                  // from here on stop_workers cleans up
    it->worker_args = args;
    int started = 0;
    for (int w = 0; w < it->nworkers; w++) {
        args[w] = (worker_arg){ it, w };
        if (pthread_create(&it->threads[w], NULL, worker_main, &args[w]) != 0) break;
        started++;
    }
    it->nstarted = started;
    if (started < it->nworkers) {
        tl_error_set(TL_RUNTIME_ERROR, "DataLoader: could not start worker thread %d of %d", started, it->nworkers);
        return false;
    }
    return true;
}
#line 1099 "chapters/05-loaders/05-loaders.md"
static bool next_from_workers(tl_dataloader_iterator *it, tl_tensor **x, tl_tensor **y) {
    pthread_mutex_lock(&it->mu);
    batch_slot *slot = &it->slots[it->consumed % it->capacity];
    while (!slot->ready) pthread_cond_wait(&it->ready_cv, &it->mu);
    batch_slot s = *slot;
    *slot = (batch_slot){ 0 };
    it->consumed++;
    pthread_cond_broadcast(&it->space_cv);
    pthread_mutex_unlock(&it->mu);
    *x = s.x;
    *y = s.y;
    if (s.err_kind != TL_OK) {
        tl_error_set(s.err_kind, "Caught %s in DataLoader worker thread %d: %s",
                     tl_error_kind_name(s.err_kind), s.worker, s.err);
        return false;
    }
    return true;
}
#line 1125 "chapters/05-loaders/05-loaders.md"
static void stop_workers(tl_dataloader_iterator *it) {
    if (!it->threads) return;
    pthread_mutex_lock(&it->mu);
    it->stop = true;
    pthread_cond_broadcast(&it->space_cv);
    pthread_mutex_unlock(&it->mu);
    for (int w = 0; w < it->nstarted; w++) pthread_join(it->threads[w], NULL);
    for (int64_t i = 0; i < it->capacity; i++) {
        tl_release(it->slots[i].x);
        tl_release(it->slots[i].y);
    }
    pthread_mutex_destroy(&it->mu);
    pthread_cond_destroy(&it->ready_cv);
    pthread_cond_destroy(&it->space_cv);
    free(it->threads);
    free(it->slots);
    free(it->worker_args);
    it->threads = NULL;
    it->slots = NULL;
    it->worker_args = NULL;
}

void tl_dataloader_iter_free(tl_dataloader_iterator *it) {
    if (!it) return;
    stop_workers(it);
    free(it->indices);
    free(it);
}
