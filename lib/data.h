/* generated from chapters/05-loaders/05-loaders.md by tools/tangle.lua; edit the chapter, not this file */
#line 1377 "chapters/05-loaders/05-loaders.md"
// data.h — datasets and data loaders (chapter 05): PyTorch's torch.utils.data in C.
//
//     tl_dataset *ds = tl_tensor_dataset_new(X, y);                      // TensorDataset(X, y)
//     tl_dataloader *dl = tl_dataloader_new(ds,                          // DataLoader(ds, batch_size=2,
//         (tl_dataloader_options){ .batch_size = 2, .shuffle = true });  //            shuffle=True)
//     tl_dataloader_iterator *it = tl_dataloader_iter(dl);               // for x, y in dl:
//     tl_tensor *x, *y;
//     while (tl_dataloader_next(it, &x, &y)) tl_print(x);                //     print(x)
//     tl_dataloader_iter_free(it);
//     tl_dataloader_free(dl);
//     tl_dataset_free(ds);
//
// Shuffles draw from the generators exactly as PyTorch 1.13 does, so seeded runs give PyTorch's
// batches. Datasets, samplers, loaders and iterators are malloc'ed (free them); the tensors they
// return belong to the caller's current pool. In a long loop, give each batch a pool:
//     for (bool more = true; more;) TL_SCOPE { if ((more = tl_dataloader_next(it, &x, &y))) { ... } }
#ifndef TL_DATA_H
#define TL_DATA_H
#include <stdbool.h>
#include <stdint.h>
#include "tensor.h"
#include "random.h"

#line 81 "chapters/05-loaders/05-loaders.md"
// ---------------------------------------------------------------------------
// Datasets: torch.utils.data.Dataset. A dataset is two callbacks and its own data.
// get_item returns example `index` as new tensors in the caller's current pool: its features
// and its label (*label may be set to NULL for a dataset without labels); false + an error
// (tl_error_set, worded like PyTorch's) when it cannot.
typedef struct tl_dataset tl_dataset;
struct tl_dataset {
    int64_t (*len)(const tl_dataset *ds);                                         // __len__
    bool    (*get_item)(const tl_dataset *ds, int64_t index,
                        tl_tensor **features, tl_tensor **label);                 // __getitem__
    void     *state;         // the dataset's own data, for the two callbacks
    bool      thread_safe;   // get_item may run in several threads at once (see "Worker threads")
    void    (*destroy)(tl_dataset *ds);   // called by tl_dataset_free; NULL for a dataset you own
};
int64_t tl_dataset_len(const tl_dataset *ds);                    // len(ds); -1 + error for NULL
bool    tl_dataset_get_item(const tl_dataset *ds, int64_t index, // ds[index]
                            tl_tensor **features, tl_tensor **label);
void    tl_dataset_free(tl_dataset *ds);                         // for the library's datasets
#line 1401 "chapters/05-loaders/05-loaders.md"

#line 247 "chapters/05-loaders/05-loaders.md"
tl_dataset *tl_tensor_dataset_new(const tl_tensor *features, const tl_tensor *labels);  // TensorDataset(X, y); y may be NULL
#line 365 "chapters/05-loaders/05-loaders.md"
tl_dataset *tl_subset_new(const tl_dataset *parent, const int64_t *indices, int64_t n);  // Subset
// random_split(ds, lengths, generator): out[0..n-1] = subsets, each freed with tl_dataset_free.
// lengths are counts summing to len(ds), or fractions summing to 1. g NULL: the default generator.
bool tl_random_split(const tl_dataset *ds, const double *lengths, int n, tl_generator *g, tl_dataset **out);
#line 1403 "chapters/05-loaders/05-loaders.md"

#line 412 "chapters/05-loaders/05-loaders.md"
// ---------------------------------------------------------------------------
// Samplers: the indices of one pass over a dataset (torch.utils.data.Sampler).
typedef struct tl_sampler tl_sampler;
struct tl_sampler {
    int64_t (*len)(const tl_sampler *s);                 // indices per pass
    bool    (*pass)(tl_sampler *s, int64_t *indices);    // the next pass: len() indices (may draw)
    void     *state;
    void    (*destroy)(tl_sampler *s);                   // called by tl_sampler_free
};
int64_t     tl_sampler_len(const tl_sampler *s);
tl_tensor  *tl_sampler_indices(tl_sampler *s);      // the next pass as an int64 tensor: list(iter(sampler))
void        tl_sampler_free(tl_sampler *s);
tl_sampler *tl_sequential_sampler_new(int64_t n);                 // SequentialSampler: 0, 1, ..., n-1
tl_sampler *tl_random_sampler_new(int64_t n, tl_generator *g);    // RandomSampler (no replacement)
tl_sampler *tl_index_sampler_new(const int64_t *indices, int64_t n);   // these indices, in this order
// DistributedSampler(dataset of n, num_replicas, rank, shuffle, seed, drop_last); draws no global numbers
tl_sampler *tl_distributed_sampler_new(int64_t n, int num_replicas, int rank, bool shuffle,
                                       uint64_t seed, bool drop_last);
void        tl_distributed_sampler_set_epoch(tl_sampler *s, int64_t epoch);
#line 1405 "chapters/05-loaders/05-loaders.md"

#line 610 "chapters/05-loaders/05-loaders.md"
// ---------------------------------------------------------------------------
// DataLoader. Options follow PyTorch's keyword arguments; zero means the default, except
// batch_size, which must be given.
typedef struct {
    int64_t       batch_size;       // examples per batch (> 0)
    bool          shuffle;          // a new random order every pass (a RandomSampler)
    bool          drop_last;        // drop the last batch when it is short
    int           num_workers;      // 0: load in the calling thread; N: N worker threads
    int           prefetch_factor;  // batches each worker loads ahead (0: PyTorch's 2)
    tl_sampler   *sampler;          // the order of the examples (not with shuffle); not owned
    tl_generator *generator;        // for the base seed and the shuffle (NULL: the default); not owned
} tl_dataloader_options;

typedef struct tl_dataloader tl_dataloader;
typedef struct tl_dataloader_iterator tl_dataloader_iterator;   // one pass

// The dataset (and sampler, generator) must outlive the loader, and the loader its iterators.
// NULL + PyTorch's message on bad options.
tl_dataloader *tl_dataloader_new(tl_dataset *ds, tl_dataloader_options opts);
void           tl_dataloader_free(tl_dataloader *dl);
int64_t        tl_dataloader_len(const tl_dataloader *dl);       // len(loader): batches per pass
// iter(loader): a new pass. Draws the base seed (2 draws) at once, shuffles (2 more) at the
// first next() with 0 workers, at once with workers (which start loading).
tl_dataloader_iterator *tl_dataloader_iter(tl_dataloader *dl);
// next(it): the next batch, new tensors in the current pool (labels may be NULL if unwanted).
// false at the end of the pass, or false + error when a batch could not be loaded.
bool tl_dataloader_next(tl_dataloader_iterator *it, tl_tensor **features, tl_tensor **labels);
void tl_dataloader_iter_free(tl_dataloader_iterator *it);  // also mid-pass: stops the workers
#line 1407 "chapters/05-loaders/05-loaders.md"

#line 1268 "chapters/05-loaders/05-loaders.md"
// ---------------------------------------------------------------------------
// Inside get_item. The generator for random numbers (augmentation): in a worker thread the
// worker's own, seeded base_seed + worker id as PyTorch seeds a worker process; in any other
// thread the default generator. torch.rand in a PyTorch __getitem__ = tl_rand(..., tl_worker_generator()).
tl_generator *tl_worker_generator(void);
// torch.utils.data.get_worker_info(): false (and nothing set) outside a worker thread.
bool tl_get_worker_info(int *id, int *num_workers, uint64_t *seed);
#line 1409 "chapters/05-loaders/05-loaders.md"

#endif
