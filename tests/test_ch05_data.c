// tests/test_ch05_data.c — cmocka tests of lib/data.c (chapter 05, data loaders): datasets,
// random_split, samplers, the DataLoader's shuffles and random draws per pass, batches, drop_last,
// len, worker threads (same batches as without, errors surfaced, clean stop mid-pass, PyTorch's
// random streams per worker), flat memory over passes, errors.
//
// Values marked "torch" were derived with PyTorch 1.13.1 (/usr/bin/python3), e.g.
//     g = torch.Generator().manual_seed(42)
//     [list(s.indices[:5]) for s in random_split(range(1000), [0.8, 0.1, 0.1], generator=g)]
// Values marked "spec" are from shared/reference/torch-rng-spec.md §8-§10 and the seed catalogue.
//
//     gcc -std=c11 -Ilib tests/test_ch05_data.c -Lbuild -ltorchlet -lcmocka -lm -o test
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "torchlet.h"

// ----------------------------------------------------------------------------
// helpers

#include "fixture.h"
#include "tutorial.h"

// CHECK_I64(t, 2, 0, 1): check_i64 (fixture.h) with the expected values written inline
#define CHECK_I64(t, ...) check_i64((t), (const int64_t[]){ __VA_ARGS__ }, \
                                    (int64_t)(sizeof((const int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t)))

// The tutorial's data as a TensorDataset, and the labels 0..n-1 as an "identity" dataset whose
// batch labels are the indices visited.
static tl_dataset *toy_train(void) {
    return tl_tensor_dataset_new(
        tl_tensor_parse(TUTORIAL_X_TRAIN),
        tl_tensor_parse(TUTORIAL_Y_TRAIN));
}
static tl_dataset *identity_ds(int64_t n) {
    return tl_tensor_dataset_new(tl_arange(0, n, 1), tl_arange(0, n, 1));
}

// one whole pass; the labels of all batches, concatenated, into order (returns how many);
// sizes[] gets each batch's size
static int64_t pass_order(tl_dataloader *dl, int64_t *order, int64_t *sizes, int64_t *nbatches) {
    tl_dataloader_iterator *it = tl_dataloader_iter(dl);
    assert_non_null(it);
    int64_t k = 0, b = 0;
    tl_tensor *x, *y;
    while (tl_dataloader_next(it, &x, &y)) {
        for (int64_t i = 0; i < tl_numel(y); i++) order[k++] = (int64_t)tl_get(y, TL_SHAPE(i));
        if (sizes) sizes[b] = tl_numel(y);
        b++;
    }
    assert_null(tl_error());
    tl_dataloader_iter_free(it);
    if (nbatches) *nbatches = b;
    return k;
}

// ----------------------------------------------------------------------------
// the shuffles and the draws per pass

static void test_three_shuffles(void **state) {
    (void)state;
    tl_dataset *ds = identity_ds(5);
    tl_manual_seed(123);
    tl_dataloader *dl = tl_dataloader_new(ds, (tl_dataloader_options){ .batch_size = 2, .shuffle = true });
    assert_non_null(dl);
    const int64_t want[3][5] = { { 3, 1, 0, 2, 4 }, { 0, 2, 3, 1, 4 }, { 1, 3, 4, 2, 0 } };   // spec §8
    for (int p = 0; p < 3; p++) {
        int64_t order[5], sizes[3], nb;
        assert_int_equal(pass_order(dl, order, sizes, &nb), 5);
        assert_memory_equal(order, want[p], sizeof order);
        assert_int_equal(nb, 3);
        assert_int_equal(sizes[0], 2);
        assert_int_equal(sizes[1], 2);
        assert_int_equal(sizes[2], 1);
    }
    tl_dataloader_free(dl);
    tl_dataset_free(ds);
}

// the stream after k draws of seed 123, for checking how far a pass moved the default generator
static uint32_t draw_after(int k) {
    tl_generator *g = tl_generator_new(123);
    for (int i = 0; i < k; i++) tl_generator_random(g);
    uint32_t v = tl_generator_random(g);
    tl_generator_free(g);
    return v;
}

static void test_draws_per_pass(void **state) {
    (void)state;
    tl_dataset *ds = identity_ds(7);
    int64_t order[7];
    // shuffle=False: 2 draws (the base seed) per pass, still
    tl_dataloader *seq = tl_dataloader_new(ds, (tl_dataloader_options){ .batch_size = 3 });
    tl_manual_seed(123);
    pass_order(seq, order, NULL, NULL);
    assert_int_equal(tl_generator_random(NULL), draw_after(2));
    // shuffle=True: 4 draws per pass
    tl_dataloader *shuf = tl_dataloader_new(ds, (tl_dataloader_options){ .batch_size = 3, .shuffle = true });
    tl_manual_seed(123);
    pass_order(shuf, order, NULL, NULL);
    pass_order(shuf, order, NULL, NULL);
    assert_int_equal(tl_generator_random(NULL), draw_after(8));
    // with 0 workers the sampler draws at the first next(): an iterator never advanced costs 2
    tl_manual_seed(123);
    tl_dataloader_iter_free(tl_dataloader_iter(shuf));
    assert_int_equal(tl_generator_random(NULL), draw_after(2));
    // with workers it starts at once: 4
    tl_dataloader *work = tl_dataloader_new(ds, (tl_dataloader_options){ .batch_size = 3, .shuffle = true,
                                                                        .num_workers = 2 });
    tl_manual_seed(123);
    tl_dataloader_iter_free(tl_dataloader_iter(work));
    assert_int_equal(tl_generator_random(NULL), draw_after(4));
    // a loader's own generator: the default one is not touched
    tl_generator *g7 = tl_generator_new(7);
    tl_dataloader *own = tl_dataloader_new(ds, (tl_dataloader_options){ .batch_size = 3, .shuffle = true,
                                                                       .generator = g7 });
    tl_manual_seed(123);
    pass_order(own, order, NULL, NULL);
    assert_int_equal(tl_generator_random(NULL), draw_after(0));
    tl_generator_free(g7);
    tl_dataloader_free(seq);
    tl_dataloader_free(shuf);
    tl_dataloader_free(work);
    tl_dataloader_free(own);
    tl_dataset_free(ds);
}

static void test_loader_generator(void **state) {
    (void)state;
    // torch: DataLoader(TensorDataset(X, arange(5)), batch_size=2, shuffle=True,
    //                   generator=torch.Generator().manual_seed(7)), three passes
    const int64_t want[3][5] = { { 1, 3, 0, 4, 2 }, { 3, 2, 4, 0, 1 }, { 0, 4, 3, 2, 1 } };
    tl_dataset *ds = identity_ds(5);
    tl_generator *g = tl_generator_new(7);
    tl_dataloader *dl = tl_dataloader_new(ds, (tl_dataloader_options){ .batch_size = 2, .shuffle = true,
                                                                      .generator = g });
    for (int p = 0; p < 3; p++) {
        int64_t order[5];
        pass_order(dl, order, NULL, NULL);
        assert_memory_equal(order, want[p], sizeof order);
    }
    tl_dataloader_free(dl);
    tl_generator_free(g);
    tl_dataset_free(ds);
}

// ----------------------------------------------------------------------------
// batches, drop_last, len

static void test_batch_contents(void **state) {
    (void)state;
    tl_dataset *ds = toy_train();
    tl_manual_seed(123);
    tl_dataloader *dl = tl_dataloader_new(ds, (tl_dataloader_options){ .batch_size = 2, .shuffle = true });
    tl_dataloader_iterator *it = tl_dataloader_iter(dl);
    tl_tensor *x, *y;
    assert_true(tl_dataloader_next(it, &x, &y));            // examples 3 and 1 (000:621-622)
    assert_int_equal(x->dtype, TL_FLOAT32);
    assert_int_equal(x->ndim, 2);
    assert_int_equal(x->shape[0], 2);
    assert_int_equal(x->shape[1], 2);
    assert_true(tl_is_contiguous(x));
    assert_string_equal(tl_repr(x), "tensor([[ 2.3000, -1.1000],\n        [-0.9000,  2.9000]])");
    assert_string_equal(tl_repr(y), "tensor([1, 0])");
    assert_true(tl_dataloader_next(it, &x, &y));
    assert_string_equal(tl_repr(x), "tensor([[-1.2000,  3.1000],\n        [-0.5000,  2.6000]])");
    assert_string_equal(tl_repr(y), "tensor([0, 0])");
    assert_true(tl_dataloader_next(it, &x, &y));
    assert_string_equal(tl_repr(x), "tensor([[ 2.7000, -1.5000]])");
    assert_string_equal(tl_repr(y), "tensor([1])");
    assert_false(tl_dataloader_next(it, &x, &y));
    assert_null(x);
    assert_null(y);
    assert_null(tl_error());
    assert_false(tl_dataloader_next(it, &x, &y));            // stays at the end
    tl_dataloader_iter_free(it);
    tl_dataloader_free(dl);
    tl_dataset_free(ds);
}

static void test_drop_last(void **state) {
    (void)state;
    tl_dataset *ds = toy_train();
    tl_manual_seed(123);
    tl_dataloader *first = tl_dataloader_new(ds, (tl_dataloader_options){ .batch_size = 2, .shuffle = true });
    tl_dataloader *dl = tl_dataloader_new(ds, (tl_dataloader_options){ .batch_size = 2, .shuffle = true,
                                                                      .drop_last = true });
    tl_dataloader_iterator *it = tl_dataloader_iter(first);
    while (tl_dataloader_next(it, NULL, NULL)) {}
    tl_dataloader_iter_free(it);
    it = tl_dataloader_iter(dl);                         // the stream's second order: 0 2 3 1 (4 dropped)
    tl_tensor *x, *y;
    assert_true(tl_dataloader_next(it, &x, &y));
    assert_string_equal(tl_repr(x), "tensor([[-1.2000,  3.1000],\n        [-0.5000,  2.6000]])");   // 000:648
    assert_true(tl_dataloader_next(it, &x, &y));
    assert_string_equal(tl_repr(x), "tensor([[ 2.3000, -1.1000],\n        [-0.9000,  2.9000]])");
    assert_string_equal(tl_repr(y), "tensor([1, 0])");
    assert_false(tl_dataloader_next(it, &x, &y));
    tl_dataloader_iter_free(it);
    assert_int_equal(tl_dataloader_len(first), 3);
    assert_int_equal(tl_dataloader_len(dl), 2);
    tl_dataloader_free(first);
    tl_dataloader_free(dl);
    tl_dataset_free(ds);
}

static void test_len(void **state) {
    (void)state;
    for (int64_t n = 0; n <= 11; n++) {
        tl_dataset *ds = identity_ds(n);
        assert_non_null(ds);
        assert_int_equal(tl_dataset_len(ds), n);
        for (int64_t bs = 1; bs <= 4; bs++)
            for (int drop = 0; drop <= 1; drop++) {
                tl_dataloader *dl = tl_dataloader_new(ds, (tl_dataloader_options){ .batch_size = bs, .drop_last = drop });
                int64_t want = drop ? n / bs : (n + bs - 1) / bs;
                assert_int_equal(tl_dataloader_len(dl), want);
                tl_dataloader_iterator *it = tl_dataloader_iter(dl);
                int64_t batches = 0;
                tl_tensor *x;
                while (tl_dataloader_next(it, &x, NULL)) {
                    assert_true(x->shape[0] == bs || (!drop && batches == want - 1 && x->shape[0] == n % bs));
                    batches++;
                }
                assert_null(tl_error());
                assert_int_equal(batches, want);
                tl_dataloader_iter_free(it);
                tl_dataloader_free(dl);
            }
        tl_dataset_free(ds);
    }
}

// ----------------------------------------------------------------------------
// datasets, subsets, random_split

static void test_tensor_dataset(void **state) {
    (void)state;
    tl_dataset *ds = toy_train();
    tl_tensor *x, *y;
    assert_true(tl_dataset_get_item(ds, 3, &x, &y));
    assert_string_equal(tl_repr(x), "tensor([ 2.3000, -1.1000])");
    assert_string_equal(tl_repr(y), "tensor(1)");
    assert_true(tl_dataset_get_item(ds, -1, &x, &y));            // negative: from the end
    assert_string_equal(tl_repr(x), "tensor([ 2.7000, -1.5000])");
    assert_false(tl_dataset_get_item(ds, 5, &x, &y));
    assert_null(x);
    expect_error_kind(TL_INDEX_ERROR, "index 5 is out of bounds for dimension 0 with size 5");    // torch
    assert_false(tl_dataset_get_item(ds, -6, &x, &y));
    expect_error_kind(TL_INDEX_ERROR, "index -6 is out of bounds for dimension 0 with size 5");
    tl_dataset_free(ds);
    // a non-contiguous source is copied once; a view's rows come out right
    tl_tensor *m = tl_T(tl_tensor_parse("[[1, 2, 3], [4, 5, 6]]"));          // rows [1,4] [2,5] [3,6]
    ds = tl_tensor_dataset_new(m, NULL);
    assert_true(tl_dataset_get_item(ds, 1, &x, &y));
    assert_null(y);
    assert_string_equal(tl_repr(x), "tensor([2, 5])");
    tl_dataset_free(ds);
    // without labels, batches have no labels
    ds = tl_tensor_dataset_new(tl_arange(0, 4, 1), NULL);
    tl_dataloader *dl = tl_dataloader_new(ds, (tl_dataloader_options){ .batch_size = 3 });
    tl_dataloader_iterator *it = tl_dataloader_iter(dl);
    assert_true(tl_dataloader_next(it, &x, &y));
    assert_null(y);
    CHECK_I64(x, 0, 1, 2);
    tl_dataloader_iter_free(it);
    tl_dataloader_free(dl);
    tl_dataset_free(ds);
    // a mismatch of rows
    assert_null(tl_tensor_dataset_new(tl_zeros(TL_SHAPE(5, 2), TL_FLOAT32), tl_arange(0, 4, 1)));
    expect_error_kind(TL_VALUE_ERROR, "Size mismatch between tensors (features have 5 rows, labels 4)");
    assert_null(tl_tensor_dataset_new(NULL, NULL));
}

static void test_subset(void **state) {
    (void)state;
    tl_dataset *ds = identity_ds(10);
    tl_dataset *sub = tl_subset_new(ds, (const int64_t[]){ 7, 2, 9 }, 3);
    assert_int_equal(tl_dataset_len(sub), 3);
    tl_tensor *x, *y;
    assert_true(tl_dataset_get_item(sub, 1, &x, &y));
    assert_int_equal((int64_t)tl_item(y), 2);
    assert_false(tl_dataset_get_item(sub, 3, &x, &y));
    expect_error_kind(TL_INDEX_ERROR, "list index out of range (index 3, Subset of length 3)");
    tl_dataset_free(sub);
    tl_dataset_free(ds);
}

static void check_split(tl_dataset **parts, int n, const int64_t *lens, const int64_t *const *firsts, int nfirst) {
    for (int i = 0; i < n; i++) {
        assert_non_null(parts[i]);
        assert_int_equal(tl_dataset_len(parts[i]), lens[i]);
        for (int k = 0; k < nfirst && k < lens[i]; k++) {
            tl_tensor *x, *y;
            assert_true(tl_dataset_get_item(parts[i], k, &x, &y));
            if ((int64_t)tl_item(x) != firsts[i][k])
                fail_msg("subset %d item %d: got %g, expected %lld", i, k, tl_item(x), (long long)firsts[i][k]);
        }
        tl_dataset_free(parts[i]);
    }
}

static void test_random_split(void **state) {
    (void)state;
    tl_dataset *thousand = identity_ds(1000), *parts[3];
    // torch: random_split(range(1000), [0.8, 0.1, 0.1], generator=torch.Generator().manual_seed(42))
    const int64_t a[] = { 542, 618, 816, 68, 94 }, b[] = { 673, 842, 746, 582, 717 }, c[] = { 256, 526, 70, 461, 454 };
    const int64_t *firsts[] = { a, b, c }, lens[] = { 800, 100, 100 };
    tl_generator *g = tl_generator_new(42);
    assert_true(tl_random_split(thousand, (const double[]){ 0.8, 0.1, 0.1 }, 3, g, parts));
    check_split(parts, 3, lens, firsts, 5);
    tl_generator_manual_seed(g, 42);                                       // counts: the same split
    assert_true(tl_random_split(thousand, (const double[]){ 800, 100, 100 }, 3, g, parts));
    check_split(parts, 3, lens, firsts, 5);
    tl_dataset_free(thousand);

    // torch: the rounding rule. range(10), [0.33, 0.33, 0.34], seed 1 -> 4, 3, 3
    tl_dataset *ten = identity_ds(10);
    const int64_t t0[] = { 5, 6, 1, 2 }, t1[] = { 0, 8, 9 }, t2[] = { 3, 7, 4 };
    tl_generator_manual_seed(g, 1);
    assert_true(tl_random_split(ten, (const double[]){ 0.33, 0.33, 0.34 }, 3, g, parts));
    check_split(parts, 3, (const int64_t[]){ 4, 3, 3 }, (const int64_t *const[]){ t0, t1, t2 }, 4);
    // torch: range(7), [0.5, 0.5], seed 1 -> [0, 6, 1, 3], [5, 2, 4]
    tl_dataset *seven = identity_ds(7);
    const int64_t s0[] = { 0, 6, 1, 3 }, s1[] = { 5, 2, 4 };
    tl_generator_manual_seed(g, 1);
    assert_true(tl_random_split(seven, (const double[]){ 0.5, 0.5 }, 2, g, parts));
    check_split(parts, 2, (const int64_t[]){ 4, 3 }, (const int64_t *const[]){ s0, s1 }, 4);
    tl_dataset_free(seven);
    // torch: the default generator: manual_seed(123); random_split(range(5), [3, 2]) -> [2, 0, 1], [3, 4]
    tl_dataset *five = identity_ds(5);
    const int64_t f0[] = { 2, 0, 1 }, f1[] = { 3, 4 };
    tl_manual_seed(123);
    assert_true(tl_random_split(five, (const double[]){ 3, 2 }, 2, NULL, parts));
    check_split(parts, 2, (const int64_t[]){ 3, 2 }, (const int64_t *const[]){ f0, f1 }, 3);
    tl_dataset_free(five);

    // errors (torch's messages)
    assert_false(tl_random_split(ten, (const double[]){ 3, 3 }, 2, g, parts));
    expect_error_kind(TL_VALUE_ERROR, "Sum of input lengths does not equal the length of the input dataset!");
    assert_null(parts[0]);
    assert_false(tl_random_split(ten, (const double[]){ 1.5, -0.5 }, 2, g, parts));
    expect_error_kind(TL_VALUE_ERROR, "Fraction at index 0 is not between 0 and 1");
    assert_false(tl_random_split(ten, (const double[]){ 2.5, 7.5 }, 2, g, parts));
    assert_non_null(strstr(tl_error(), "length at index 0 is 2.5"));
    tl_error_clear();
    tl_dataset_free(ten);
    tl_generator_free(g);
}

// ----------------------------------------------------------------------------
// samplers

static void test_samplers(void **state) {
    (void)state;
    tl_sampler *s = tl_sequential_sampler_new(4);
    CHECK_I64(tl_sampler_indices(s), 0, 1, 2, 3);
    tl_sampler_free(s);
    s = tl_index_sampler_new((const int64_t[]){ 4, 0, 4 }, 3);
    CHECK_I64(tl_sampler_indices(s), 4, 0, 4);
    tl_sampler_free(s);
    // RandomSampler without a generator: 2 default draws, then randperm of a private generator (spec §8)
    s = tl_random_sampler_new(5, NULL);
    tl_manual_seed(123);
    tl_random_int64(NULL);                          // what the loader's base seed would take
    CHECK_I64(tl_sampler_indices(s), 3, 1, 0, 2, 4);
    assert_int_equal(tl_generator_random(NULL), draw_after(4));
    tl_sampler_free(s);

    // torch: DistributedSampler(range(n), num_replicas, rank, shuffle, drop_last), set_epoch(e)
    struct { int64_t n; int R, rank; int64_t epoch; bool shuffle, drop; int64_t len; int64_t want[5]; } cases[] = {
        { 10, 2, 0, 0, true, false, 5, { 4, 7, 3, 0, 6 } },
        { 10, 2, 1, 0, true, false, 5, { 1, 5, 9, 8, 2 } },
        { 10, 2, 0, 1, true, false, 5, { 5, 1, 0, 9, 7 } },
        { 5, 2, 0, 0, true, false, 3, { 4, 1, 2 } },
        { 5, 2, 1, 0, true, false, 3, { 0, 3, 4 } },
        { 5, 2, 1, 0, true, true, 2, { 0, 3 } },
        { 5, 2, 0, 0, false, false, 3, { 0, 2, 4 } },
        { 7, 3, 2, 3, true, true, 2, { 4, 2 } },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s = tl_distributed_sampler_new(cases[i].n, cases[i].R, cases[i].rank, cases[i].shuffle, 0, cases[i].drop);
        tl_distributed_sampler_set_epoch(s, cases[i].epoch);
        tl_manual_seed(5);
        assert_int_equal(tl_sampler_len(s), cases[i].len);
        check_i64(tl_sampler_indices(s), cases[i].want, cases[i].len);
        tl_manual_seed(5);                                    // spec §10: no global draws
        tl_sampler_indices(s);
        tl_generator *ref = tl_generator_new(5);
        assert_int_equal(tl_generator_random(NULL), tl_generator_random(ref));
        tl_generator_free(ref);
        tl_sampler_free(s);
    }
    assert_null(tl_distributed_sampler_new(10, 2, 2, true, 0, false));
    expect_error_kind(TL_VALUE_ERROR, "Invalid rank 2, rank should be in the interval [0, 1]");

    // a loader with a sampler visits the sampler's order
    tl_dataset *ds = identity_ds(6);
    s = tl_index_sampler_new((const int64_t[]){ 5, 3, 1 }, 3);
    tl_dataloader *dl = tl_dataloader_new(ds, (tl_dataloader_options){ .batch_size = 2, .sampler = s });
    assert_int_equal(tl_dataloader_len(dl), 2);
    int64_t order[3];
    assert_int_equal(pass_order(dl, order, NULL, NULL), 3);
    assert_memory_equal(order, ((const int64_t[]){ 5, 3, 1 }), sizeof order);
    tl_dataloader_free(dl);
    tl_sampler_free(s);
    tl_dataset_free(ds);
}

// ----------------------------------------------------------------------------
// a dataset written like the tutorial's ToyDataset (views: not thread safe), one that fails on
// purpose, and one that is slow for its first examples (so that workers finish out of order)

typedef struct { tl_tensor *features, *labels; int64_t fail_at; int slow_first; } view_dataset;

static bool view_get_item(const tl_dataset *ds, int64_t index, tl_tensor **x, tl_tensor **y) {
    const view_dataset *v = ds->state;
    if (index == v->fail_at) {
        tl_error_set(TL_VALUE_ERROR, "broken example %lld", (long long)index);
        return false;
    }
    if (index < v->slow_first) nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
    *x = tl_index(v->features, index);
    *y = tl_index(v->labels, index);
    return *x && *y;
}
static int64_t view_len(const tl_dataset *ds) { return ((const view_dataset *)ds->state)->labels->shape[0]; }

// every batch of two loaders, compared element for element
static void check_same_batches(tl_dataloader *a, tl_dataloader *b) {
    tl_dataloader_iterator *ia = tl_dataloader_iter(a), *ib = tl_dataloader_iter(b);
    tl_tensor *xa, *ya, *xb, *yb;
    int64_t k = 0;                                  // batches compared
    for (bool more = true; more;) TL_SCOPE {
        bool more_b;
        more = tl_dataloader_next(ia, &xa, &ya), more_b = tl_dataloader_next(ib, &xb, &yb);
        assert_int_equal(more, more_b);
        if (more) {
            assert_int_equal(xa->ndim, xb->ndim);
            for (int d = 0; d < xa->ndim; d++) assert_int_equal(xa->shape[d], xb->shape[d]);
            assert_memory_equal(xa->storage->data, xb->storage->data, (size_t)tl_numel(xa) * sizeof(float));
            assert_memory_equal(ya->storage->data, yb->storage->data, (size_t)tl_numel(ya) * sizeof(int64_t));
            k++;
        }
    }
    assert_null(tl_error());
    assert_int_equal(k, tl_dataloader_len(a));
    tl_dataloader_iter_free(ia);
    tl_dataloader_iter_free(ib);
}

static void test_workers_same_batches(void **state) {
    (void)state;
    enum { N = 23 };
    tl_tensor *feats = tl_rand(TL_SHAPE(N, 3), NULL), *labels = tl_arange(0, N, 1);
    view_dataset v = { feats, labels, -1, 4 };
    tl_dataset view_ds = { .len = view_len, .get_item = view_get_item, .state = &v };
    tl_dataset *tensor_ds = tl_tensor_dataset_new(feats, labels);
    tl_dataset *datasets[2] = { &view_ds, tensor_ds };
    for (int d = 0; d < 2; d++)
        for (int64_t bs = 1; bs <= 8; bs += (bs < 3 ? 1 : 2))
            for (int workers = 1; workers <= 4; workers++)
                for (int drop = 0; drop <= 1; drop++) {
                    uint64_t seed = 100 + (uint64_t)(bs * 7 + workers * 3 + drop);
                    // the two loaders get generators in step, so each pass has the same order
                    tl_generator *ga = tl_generator_new(seed), *gb = tl_generator_new(seed);
                    tl_dataloader_options o = { .batch_size = bs, .shuffle = true, .drop_last = drop,
                                                .generator = ga };
                    tl_dataloader *plain = tl_dataloader_new(datasets[d], o);
                    o.num_workers = workers;
                    o.prefetch_factor = 1 + (int)(bs % 3);
                    o.generator = gb;
                    tl_dataloader *threaded = tl_dataloader_new(datasets[d], o);
                    check_same_batches(plain, threaded);
                    check_same_batches(plain, threaded);      // a second pass: still in step
                    tl_dataloader_free(plain);
                    tl_dataloader_free(threaded);
                    tl_generator_free(ga);
                    tl_generator_free(gb);
                }
    // and with the default generator, seeded the same before each loader's pass
    tl_dataloader *plain = tl_dataloader_new(&view_ds, (tl_dataloader_options){ .batch_size = 4, .shuffle = true });
    tl_dataloader *threaded = tl_dataloader_new(&view_ds, (tl_dataloader_options){ .batch_size = 4, .shuffle = true,
                                                                                   .num_workers = 3 });
    int64_t oa[N], ob[N];
    tl_manual_seed(123);
    pass_order(plain, oa, NULL, NULL);
    tl_manual_seed(123);
    pass_order(threaded, ob, NULL, NULL);
    assert_memory_equal(oa, ob, sizeof oa);
    tl_dataloader_free(plain);
    tl_dataloader_free(threaded);
    tl_dataset_free(tensor_ds);
}

static void test_worker_error(void **state) {
    (void)state;
    enum { N = 20 };
    view_dataset v = { tl_rand(TL_SHAPE(N, 2), NULL), tl_arange(0, N, 1), 9, 0 };
    tl_dataset ds = { .len = view_len, .get_item = view_get_item, .state = &v };
    for (int workers = 0; workers <= 3; workers++) {
        tl_dataloader *dl = tl_dataloader_new(&ds, (tl_dataloader_options){ .batch_size = 4, .num_workers = workers });
        tl_dataloader_iterator *it = tl_dataloader_iter(dl);
        tl_tensor *x, *y;
        int batches = 0;
        while (tl_dataloader_next(it, &x, &y)) batches++;
        assert_int_equal(batches, 2);                     // batch 2 holds example 9
        char want[128] = "broken example 9";
        if (workers != 0)
            snprintf(want, sizeof want, "Caught ValueError in DataLoader worker thread %d: broken example 9", 2 % workers);
        expect_error_kind(TL_VALUE_ERROR, want);
        assert_false(tl_dataloader_next(it, &x, &y));     // the pass is over
        assert_null(tl_error());
        tl_dataloader_iter_free(it);
        tl_dataloader_free(dl);
    }
    // the very first example fails: no batch at all, no hang
    v.fail_at = 0;
    tl_dataloader *dl = tl_dataloader_new(&ds, (tl_dataloader_options){ .batch_size = 1, .num_workers = 4,
                                                                       .prefetch_factor = 1 });
    tl_dataloader_iterator *it = tl_dataloader_iter(dl);
    assert_false(tl_dataloader_next(it, NULL, NULL));
    assert_non_null(strstr(tl_error(), "broken example 0"));
    tl_error_clear();
    tl_dataloader_iter_free(it);
    tl_dataloader_free(dl);
}

static void test_worker_free_mid_pass(void **state) {
    (void)state;
    enum { N = 200 };
    view_dataset v = { tl_rand(TL_SHAPE(N, 4), NULL), tl_arange(0, N, 1), -1, 0 };
    tl_dataset ds = { .len = view_len, .get_item = view_get_item, .state = &v };
    tl_dataset *tds = tl_tensor_dataset_new(v.features, v.labels);
    for (int k = 0; k < 6; k++) {
        tl_dataloader *dl = tl_dataloader_new(k % 2 ? tds : &ds, (tl_dataloader_options){ .batch_size = 3,
            .shuffle = true, .num_workers = 1 + k % 4 });
        int64_t live = tl_live_tensors();
        TL_SCOPE {
            tl_dataloader_iterator *it = tl_dataloader_iter(dl);
            tl_tensor *x, *y;
            for (int i = 0; i < k; i++) assert_true(tl_dataloader_next(it, &x, &y));
            tl_dataloader_iter_free(it);                      // workers joined, queued batches released
        }
        assert_int_equal(tl_live_tensors(), live);
        tl_dataloader_free(dl);
    }
    tl_dataset_free(tds);
}

// random numbers inside get_item: PyTorch's streams, with and without workers; the worker's info
static bool noise_item(const tl_dataset *ds, int64_t index, tl_tensor **x, tl_tensor **y) {
    (void)ds; (void)index;
    int id = -1, n = 0;
    uint64_t seed = 0;
    bool in_worker = tl_get_worker_info(&id, &n, &seed);
    *x = tl_rand(TL_SHAPE(2), tl_worker_generator());
    *y = tl_scalar(in_worker ? id * 100 + n : -1, TL_INT64);     // who loaded it
    return *x && *y;
}
static int64_t seven(const tl_dataset *ds) { (void)ds; return 7; }

static void test_worker_random(void **state) {
    (void)state;
    // torch: class R(Dataset): __getitem__ returns torch.rand(2), i; manual_seed(123);
    //        DataLoader(R() of 7, batch_size=2, num_workers=W); the float32 bits of all batches
    const uint32_t want0[14] = { 0x3e80dafc, 0x3f304542, 0x3d977ee0, 0x3f5dd462, 0x3e0bdb98, 0x3dd1e088, 0x3e3c794c,
                                 0x3f39f86a, 0x3ea168f6, 0x3f2fe639, 0x3d9ae6b0, 0x3e495b84, 0x3ea200c0, 0x3ecdb0e2 };
    const uint32_t want3[14] = { 0x3f44ad15, 0x3f5fb371, 0x3e1480f0, 0x3f1ed682, 0x3f6a2b3c, 0x3f7b7b5d, 0x3e3fd328,
                                 0x3e7f20ec, 0x3f2fbd86, 0x3e783510, 0x3ea5a7ce, 0x3f29f91c, 0x3e7a7eec, 0x3ee3df1e };
    tl_dataset ds = { .len = seven, .get_item = noise_item, .thread_safe = true };
    assert_false(tl_get_worker_info(NULL, NULL, NULL));              // the main thread is no worker
    assert_ptr_equal(tl_worker_generator(), tl_default_generator());
    for (int workers = 0; workers <= 3; workers += 3) {
        tl_manual_seed(123);
        tl_dataloader *dl = tl_dataloader_new(&ds, (tl_dataloader_options){ .batch_size = 2, .num_workers = workers });
        tl_dataloader_iterator *it = tl_dataloader_iter(dl);
        tl_tensor *x, *y;
        int k = 0, b = 0;
        while (tl_dataloader_next(it, &x, &y)) {
            for (int64_t i = 0; i < tl_numel(x); i++, k++) {
                uint32_t bits;
                memcpy(&bits, &TL_DATA(x, float)[i], 4);
                uint32_t want = workers ? want3[k] : want0[k];
                if (bits != want) fail_msg("workers=%d value %d: 0x%08x, expected 0x%08x", workers, k, bits, want);
            }
            for (int64_t i = 0; i < tl_numel(y); i++)       // batch b comes from worker b % 3
                assert_int_equal((int64_t)tl_get(y, TL_SHAPE(i)), workers ? (b % 3) * 100 + 3 : -1);
            b++;
        }
        assert_int_equal(k, 14);
        tl_dataloader_iter_free(it);
        tl_dataloader_free(dl);
    }
}

// the loop idiom of data.h keeps memory flat: each batch dies with its own pool
static void test_flat_memory(void **state) {
    (void)state;
    tl_dataset *ds = tl_tensor_dataset_new(tl_rand(TL_SHAPE(64, 8), NULL), tl_arange(0, 64, 1));
    for (int workers = 0; workers <= 2; workers += 2) {
        tl_dataloader *dl = tl_dataloader_new(ds, (tl_dataloader_options){ .batch_size = 4, .shuffle = true,
                                                                          .num_workers = workers });
        int64_t live = tl_live_tensors(), batches = 0;
        for (int pass = 0; pass < 5; pass++) {
            tl_dataloader_iterator *it = tl_dataloader_iter(dl);
            tl_tensor *x, *y;
            for (bool more = true; more;) TL_SCOPE {
                if ((more = tl_dataloader_next(it, &x, &y))) {
                    tl_sum(tl_mul(x, x));                 // some temporaries, as a training step makes
                    batches++;
                }
            }
            assert_int_equal(tl_live_tensors(), live);
            tl_dataloader_iter_free(it);
        }
        assert_int_equal(batches, 5 * 16);
        tl_dataloader_free(dl);
    }
    tl_dataset_free(ds);
}

// ----------------------------------------------------------------------------
// bad arguments and bad datasets

static bool silent_failure(const tl_dataset *ds, int64_t index, tl_tensor **x, tl_tensor **y) {
    (void)ds; (void)index; (void)y;
    *x = NULL;
    return false;
}
static int64_t three(const tl_dataset *ds) { (void)ds; return 3; }
static bool ragged_item(const tl_dataset *ds, int64_t index, tl_tensor **x, tl_tensor **y) {
    (void)ds;
    *x = tl_zeros(TL_SHAPE(index + 1), TL_FLOAT32);
    *y = tl_scalar(0, TL_INT64);
    return true;
}

static void test_bad_arguments(void **state) {
    (void)state;
    tl_dataset *ds = identity_ds(5);
    assert_null(tl_dataloader_new(ds, (tl_dataloader_options){ .batch_size = 0 }));
    expect_error_kind(TL_VALUE_ERROR, "batch_size should be a positive integer value, but got batch_size=0");   // torch
    assert_null(tl_dataloader_new(ds, (tl_dataloader_options){ .batch_size = -3 }));
    expect_error_kind(TL_VALUE_ERROR, "batch_size should be a positive integer value, but got batch_size=-3");
    tl_sampler *s = tl_sequential_sampler_new(5);
    assert_null(tl_dataloader_new(ds, (tl_dataloader_options){ .batch_size = 2, .shuffle = true, .sampler = s }));
    expect_error_kind(TL_VALUE_ERROR, "sampler option is mutually exclusive with shuffle");                       // torch
    tl_sampler_free(s);
    assert_null(tl_dataloader_new(ds, (tl_dataloader_options){ .batch_size = 2, .num_workers = -1 }));
    expect_error_kind(TL_VALUE_ERROR, "num_workers option should be non-negative; use num_workers=0 to disable "
                                "multiprocessing.");                                                       // torch
    assert_null(tl_dataloader_new(NULL, (tl_dataloader_options){ .batch_size = 2 }));
    expect_error_kind(TL_TYPE_ERROR, "object of type 'NoneType' has no len()");
    // NULL passes through
    assert_null(tl_dataloader_iter(NULL));
    assert_false(tl_dataloader_next(NULL, NULL, NULL));
    tl_dataloader_iter_free(NULL);
    tl_dataloader_free(NULL);
    tl_dataset_free(NULL);
    tl_sampler_free(NULL);
    assert_int_equal(tl_dataloader_len(NULL), -1);
    tl_error_clear();
    // a dataset that fails without saying why
    tl_dataset quiet = { .len = three, .get_item = silent_failure };
    tl_dataloader *dl = tl_dataloader_new(&quiet, (tl_dataloader_options){ .batch_size = 2 });
    tl_dataloader_iterator *it = tl_dataloader_iter(dl);
    assert_false(tl_dataloader_next(it, NULL, NULL));
    expect_error_kind(TL_RUNTIME_ERROR, "the dataset's get_item failed for index 0 without an error message");
    tl_dataloader_iter_free(it);
    tl_dataloader_free(dl);
    // examples that cannot be stacked: example i has i + 1 features
    tl_dataset ragged = { .len = three, .get_item = ragged_item };
    dl = tl_dataloader_new(&ragged, (tl_dataloader_options){ .batch_size = 2 });
    it = tl_dataloader_iter(dl);
    assert_false(tl_dataloader_next(it, NULL, NULL));
    expect_error_kind(TL_RUNTIME_ERROR, "stack expects each tensor to be equal size, but got [1] at entry 0 and [2] at entry 1");
    tl_dataloader_iter_free(it);
    tl_dataloader_free(dl);
    tl_dataset_free(ds);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_three_shuffles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_draws_per_pass, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loader_generator, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_contents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drop_last, setup, teardown),
        cmocka_unit_test_setup_teardown(test_len, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tensor_dataset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_samplers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_workers_same_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worker_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worker_free_mid_pass, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worker_random, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flat_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
