/* generated from chapters/05-loaders/05-loaders.md by tools/tangle.lua; edit the chapter, not this file */
#line 26 "chapters/05-loaders/05-loaders.md"
// 05-loaders — tutorial §6 (efficient data loaders): a Dataset, DataLoaders, shuffles, workers.
#define _POSIX_C_SOURCE 200809L     // nanosleep, clock_gettime (the slow dataset of the workers' section)
#include "torchlet.h"
#include <stdio.h>
#include <time.h>

#line 106 "chapters/05-loaders/05-loaders.md"
// The tutorial's ToyDataset: its data, and its __getitem__ and __len__.
typedef struct { tl_tensor *features, *labels; } ToyDataset;

static bool toy_get_item(const tl_dataset *ds, int64_t index, tl_tensor **one_x, tl_tensor **one_y) {
    const ToyDataset *toy = ds->state;
    *one_x = tl_index(toy->features, index);            // self.features[index]
    *one_y = tl_index(toy->labels, index);              // self.labels[index]
    return *one_x && *one_y;
}

static int64_t toy_len(const tl_dataset *ds) {
    const ToyDataset *toy = ds->state;
    return toy->labels->shape[0];                        // self.labels.shape[0]
}
#line 33 "chapters/05-loaders/05-loaders.md"

#line 1178 "chapters/05-loaders/05-loaders.md"
// A dataset whose examples cost 2 ms each, standing for files to read; example i is inner's i % len.
static bool slow_get_item(const tl_dataset *ds, int64_t index, tl_tensor **x, tl_tensor **y) {
    const tl_dataset *inner = ds->state;
    nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
    return tl_dataset_get_item(inner, index % tl_dataset_len(inner), x, y);
}
static int64_t slow_len(const tl_dataset *ds) { (void)ds; return 64; }

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

// one pass, in milliseconds
static double pass_ms(tl_dataloader *loader) {
    double t0 = seconds();
    tl_dataloader_iterator *it = tl_dataloader_iter(loader);
    while (tl_dataloader_next(it, NULL, NULL)) {}
    tl_dataloader_iter_free(it);
    return 1e3 * (seconds() - t0);
}
#line 35 "chapters/05-loaders/05-loaders.md"

#line 1315 "chapters/05-loaders/05-loaders.md"
// Seven examples of two random numbers each: torch.rand(2) in __getitem__.
static bool noise_get_item(const tl_dataset *ds, int64_t index, tl_tensor **x, tl_tensor **y) {
    (void)ds;
    *x = tl_rand(TL_SHAPE(2), tl_worker_generator());
    *y = tl_scalar((double)index, TL_INT64);
    return *x && *y;
}
static int64_t noise_len(const tl_dataset *ds) { (void)ds; return 7; }
#line 37 "chapters/05-loaders/05-loaders.md"

#line 878 "chapters/05-loaders/05-loaders.md"
// for idx, (x, y) in enumerate(loader): print(f"Batch {idx+1}:", x, y)
static void print_batches(tl_dataloader *loader) {
    tl_dataloader_iterator *it = tl_dataloader_iter(loader);
    tl_tensor *x, *y;
    for (int idx = 0; tl_dataloader_next(it, &x, &y); idx++)
        printf("Batch %d: %s %s\n", idx + 1, tl_repr(x), tl_repr(y));
    if (tl_error()) tl_error_print();
    tl_dataloader_iter_free(it);
}
#line 39 "chapters/05-loaders/05-loaders.md"

int main(int argc, char **argv) {
    tl_lab_begin(argc, argv);
#line 56 "chapters/05-loaders/05-loaders.md"
    TL_CELL("the toy data");
    tl_tensor *X_train = tl_tensor_parse("[[-1.2, 3.1], [-0.9, 2.9], [-0.5, 2.6], [2.3, -1.1], [2.7, -1.5]]");
    tl_tensor *y_train = tl_tensor_parse("[0, 0, 0, 1, 1]");
    tl_tensor *X_test = tl_tensor_parse("[[-0.8, 2.8], [2.6, -1.6]]");
    tl_tensor *y_test = tl_tensor_parse("[0, 1]");
    tl_print(X_train);
    tl_print(y_train);
#line 126 "chapters/05-loaders/05-loaders.md"
    TL_CELL("len(train_ds)");
    ToyDataset train_toy = { X_train, y_train }, test_toy = { X_test, y_test };
    tl_dataset train_ds = { .len = toy_len, .get_item = toy_get_item, .state = &train_toy };
    tl_dataset test_ds = { .len = toy_len, .get_item = toy_get_item, .state = &test_toy };
    printf("%lld\n", (long long)tl_dataset_len(&train_ds));
#line 377 "chapters/05-loaders/05-loaders.md"
    TL_CELL("random_split 80/10/10");
    tl_dataset *thousand = tl_tensor_dataset_new(tl_arange(0, 1000, 1), NULL);
    tl_dataset *parts[3], *parts_frac[3];
    tl_generator *g42 = tl_generator_new(42);
    TL_CHECK(tl_random_split(thousand, (double[]){ 800, 100, 100 }, 3, g42, parts));
    tl_generator_manual_seed(g42, 42);
    TL_CHECK(tl_random_split(thousand, (double[]){ 0.8, 0.1, 0.1 }, 3, g42, parts_frac));
    for (int i = 0; i < 3; i++) {
        tl_tensor *first, *first_frac;
        tl_dataset_get_item(parts[i], 0, &first, NULL);
        tl_dataset_get_item(parts_frac[i], 0, &first_frac, NULL);
        printf("%lld examples, the first is example %g (with fractions: %lld, %g)\n",
               (long long)tl_dataset_len(parts[i]), tl_item(first),
               (long long)tl_dataset_len(parts_frac[i]), tl_item(first_frac));
    }
    for (int i = 0; i < 3; i++) { tl_dataset_free(parts[i]); tl_dataset_free(parts_frac[i]); }
    tl_dataset_free(thousand);
    tl_generator_free(g42);
#line 583 "chapters/05-loaders/05-loaders.md"
    TL_CELL("samplers");
    tl_sampler *rank0 = tl_distributed_sampler_new(10, 2, 0, true, 0, false);
    tl_sampler *rank1 = tl_distributed_sampler_new(10, 2, 1, true, 0, false);
    tl_print(tl_sampler_indices(rank0));
    tl_print(tl_sampler_indices(rank1));
    tl_distributed_sampler_set_epoch(rank0, 1);
    tl_print(tl_sampler_indices(rank0));
    tl_sampler_free(rank0);
    tl_sampler_free(rank1);
#line 894 "chapters/05-loaders/05-loaders.md"
    TL_CELL("the training loader, first pass");
    tl_manual_seed(123);
    tl_dataloader *train_loader = tl_dataloader_new(&train_ds,
        (tl_dataloader_options){ .batch_size = 2, .shuffle = true, .num_workers = 0 });
    tl_dataloader *test_loader = tl_dataloader_new(&test_ds,
        (tl_dataloader_options){ .batch_size = 2, .shuffle = false, .num_workers = 0 });
    print_batches(train_loader);
#line 926 "chapters/05-loaders/05-loaders.md"
    TL_CELL("drop_last");
    tl_dataloader *train_loader_dl = tl_dataloader_new(&train_ds,
        (tl_dataloader_options){ .batch_size = 2, .shuffle = true, .num_workers = 0, .drop_last = true });
    print_batches(train_loader_dl);
    printf("len(train_loader) = %lld, with drop_last %lld\n",
           (long long)tl_dataloader_len(train_loader), (long long)tl_dataloader_len(train_loader_dl));
#line 947 "chapters/05-loaders/05-loaders.md"
    TL_CELL("a second pass of the first loader");
    tl_manual_seed(123);
    tl_dataloader_iterator *first_pass = tl_dataloader_iter(train_loader);
    while (tl_dataloader_next(first_pass, NULL, NULL)) {}
    tl_dataloader_iter_free(first_pass);
    print_batches(train_loader);
#line 966 "chapters/05-loaders/05-loaders.md"
    TL_CELL("the test loader");
    print_batches(test_loader);
#line 1158 "chapters/05-loaders/05-loaders.md"
    TL_CELL("two worker threads");
    tl_manual_seed(123);
    tl_dataloader *worker_loader = tl_dataloader_new(&train_ds,
        (tl_dataloader_options){ .batch_size = 2, .shuffle = true, .num_workers = 2 });
    print_batches(worker_loader);
#line 1207 "chapters/05-loaders/05-loaders.md"
    TL_CELL("what workers buy");
    tl_dataset *train_tensors = tl_tensor_dataset_new(X_train, y_train);
    tl_dataset slow_ds = { .len = slow_len, .get_item = slow_get_item, .state = train_tensors, .thread_safe = true };
    for (int workers = 0; workers <= 4; workers += 2) {
        tl_dataloader *slow_loader = tl_dataloader_new(&slow_ds,
            (tl_dataloader_options){ .batch_size = 8, .num_workers = workers });
        printf("num_workers=%d: %.0f ms per pass\n", workers, pass_ms(slow_loader));
        tl_dataloader_free(slow_loader);
    }
    slow_ds.thread_safe = false;                 // now each whole batch loads under the loader's lock
    tl_dataloader *locked_loader = tl_dataloader_new(&slow_ds, (tl_dataloader_options){ .batch_size = 8, .num_workers = 4 });
    printf("num_workers=4, not thread_safe: %.0f ms per pass\n", pass_ms(locked_loader));
    tl_dataloader_free(locked_loader);
    tl_dataset_free(train_tensors);
#line 1239 "chapters/05-loaders/05-loaders.md"
    TL_CELL("an error in a worker");
    tl_sampler *bad_order = tl_index_sampler_new((int64_t[]){ 0, 1, 7, 2 }, 4);
    tl_dataloader *bad_loader = tl_dataloader_new(&train_ds,
        (tl_dataloader_options){ .batch_size = 2, .num_workers = 2, .sampler = bad_order });
    print_batches(bad_loader);
#line 1326 "chapters/05-loaders/05-loaders.md"
    TL_CELL("random numbers inside workers");
    tl_dataset noise_ds = { .len = noise_len, .get_item = noise_get_item, .thread_safe = true };
    for (int workers = 0; workers <= 2; workers += 2) {
        tl_manual_seed(123);
        tl_dataloader *noise_loader = tl_dataloader_new(&noise_ds,
            (tl_dataloader_options){ .batch_size = 2, .num_workers = workers });
        tl_dataloader_iterator *it = tl_dataloader_iter(noise_loader);
        tl_tensor *x;
        printf("num_workers=%d:\n", workers);
        while (tl_dataloader_next(it, &x, NULL)) tl_print(x);
        tl_dataloader_iter_free(it);
        tl_dataloader_free(noise_loader);
    }
#line 43 "chapters/05-loaders/05-loaders.md"
#line 1364 "chapters/05-loaders/05-loaders.md"
    tl_dataloader_free(train_loader);
    tl_dataloader_free(test_loader);
    tl_dataloader_free(train_loader_dl);
    tl_dataloader_free(worker_loader);
    tl_dataloader_free(bad_loader);
    tl_sampler_free(bad_order);
#line 44 "chapters/05-loaders/05-loaders.md"
    return tl_lab_end();
}
