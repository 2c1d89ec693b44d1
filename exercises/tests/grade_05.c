// exercises/tests/grade_05.c — the graded tests of chapter 05's exercises (exercises/05-loaders.c).
// Expected values: the parent dataset's items transformed by the test itself, KFold's fold bounds
// written out by counting (not by the n / k formula), padded batches built element by element, and
// the weighted sampler's indices from the multinomial rule with a linear search over the
// cumulative weights, on an identically seeded generator; fixed cases from PyTorch 1.13.1
// (pad_sequence, WeightedRandomSampler) are written in the test.
#define _POSIX_C_SOURCE 200809L
#include "grade.h"

tl_dataset *ex05_transform_dataset_new(const tl_dataset *parent,
                                       tl_tensor *(*transform)(const tl_tensor *features, void *arg), void *arg);
bool        ex05_kfold_split(const tl_dataset *ds, int k, int fold, tl_dataset **train, tl_dataset **val);
bool        ex05_pad_collate(tl_tensor *const *items, int n, double padding_value, tl_tensor **padded,
                             tl_tensor **lengths);
tl_sampler *ex05_weighted_sampler_new(const double *weights, int64_t n, int64_t num_samples, tl_generator *g);

// ----------------------------------------------------------------------------
typedef struct { double shift, scale; bool fail_on_negative_first; } affine_arg;

// (x - shift) * scale; fails (NULL + error) on a row whose first element is < 0
// when asked to
static tl_tensor *affine(const tl_tensor *x, void *arg) {
    affine_arg *a = arg;
    if (a->fail_on_negative_first && tl_get(x, TL_SHAPE(0)) < 0) {
        tl_error_set(TL_VALUE_ERROR, "the test's transform refuses a row starting with a negative number");
        return NULL;
    }
    return tl_mul_scalar(tl_sub_scalar(x, a->shift), a->scale);
}

static double affine_of(double v, const void *ctx) {
    const double *shift_scale = ctx;
    return (v - shift_scale[0]) * shift_scale[1];
}
static tl_tensor *expected_affine(const tl_tensor *x, double shift, double scale) {
    return grade_map(x, affine_of, (const double[]){ shift, scale });
}

static void test_transform_dataset(void) {
    int64_t n = grade_int(4, 12), f = grade_int(1, 5), neg = grade_int(0, 4);
    tl_tensor *X = grade_uniform(TL_SHAPE(n, f), 0, 2, TL_FLOAT64);
    tl_set(X, TL_SHAPE(neg, 0), -1.25);         // the one row the failing transform refuses
    tl_tensor *y = grade_uniform(TL_SHAPE(n), 0, 3, TL_INT64);
    tl_dataset *parent = tl_tensor_dataset_new(X, y);
    affine_arg arg = { (double)grade_int(-3, 4) / 2, (double)grade_int(1, 9) / 4, false };
    tl_dataset *ds = ex05_transform_dataset_new(parent, affine, &arg);
    grade_ok("ex05_transform_dataset_new(TensorDataset(X, y), affine, &arg)", ds != NULL);
    grade_int_eq("len(ds) for a parent of that length", tl_dataset_len(ds), n);
    char w[160];
    for (int64_t i = 0; i < n; i++) {
        tl_tensor *xi = NULL, *yi = NULL;
        snprintf(w, sizeof w, "ds[%lld] (get_item)", (long long)i);
        grade_ok(w, tl_dataset_get_item(ds, i, &xi, &yi));
        snprintf(w, sizeof w, "ds[%lld]: the features, (x - %g) * %g", (long long)i, arg.shift, arg.scale);
        grade_tensor(w, xi, expected_affine(tl_index(X, i), arg.shift, arg.scale), 1e-12);
        snprintf(w, sizeof w, "ds[%lld]: the label", (long long)i);
        grade_tensor(w, yi, tl_index(y, i), 0);
    }
    // through a DataLoader: batches of transformed rows
    tl_dataloader *dl = tl_dataloader_new(ds, (tl_dataloader_options){ .batch_size = 3 });
    tl_dataloader_iterator *it = tl_dataloader_iter(dl);
    tl_tensor *bx = NULL, *by = NULL;
    bool got_batch = it && tl_dataloader_next(it, &bx, &by);
    tl_dataloader_iter_free(it);
    tl_dataloader_free(dl);
    grade_true(got_batch, "a DataLoader(batch_size=3) over the transform dataset gave no batch: %s", grade_last_error());
    grade_tensor("the first batch of DataLoader(ds, batch_size=3)", bx,
                 tl_reshape(expected_affine(tl_reshape(tl_slice(X, 0, 0, 3, 1), TL_SHAPE(-1)), arg.shift, arg.scale),
                            TL_SHAPE(3, f)), 1e-12);
    // an index out of range passes the parent's error through
    tl_tensor *px = NULL, *py = NULL;
    snprintf(w, sizeof w, "ds[%lld] of a dataset of %lld", (long long)(n + 2), (long long)n);
    grade_fails(w, !tl_dataset_get_item(ds, n + 2, &px, &py));
    tl_dataset_free(ds);
    // the parent is still alive after tl_dataset_free(ds): it was not freed with the wrapper
    grade_true(tl_dataset_get_item(parent, 0, &px, &py) && tl_dataset_len(parent) == n,
               "the parent dataset no longer works after tl_dataset_free(wrapper)");

    // a failing transform fails the item, with the transform's error
    affine_arg failing = { 0, 1, true };
    tl_dataset *fds = ex05_transform_dataset_new(parent, affine, &failing);
    grade_ok("ex05_transform_dataset_new(parent, a transform that can fail, &arg)", fds != NULL);
    bool fok = tl_dataset_get_item(fds, neg, &px, &py);
    tl_dataset_free(fds);
    grade_true(!fok && tl_error() && strstr(tl_error(), "refuses"),
               "a transform that returns NULL (with an error) must make get_item fail with its error; got %s",
               fok ? "an item" : tl_error() ? tl_error() : "no error");
    tl_error_clear();
    // no transform: the parent's items as they are
    tl_dataset *plain = ex05_transform_dataset_new(parent, NULL, NULL);
    grade_ok("ex05_transform_dataset_new(parent, NULL, NULL)", plain != NULL);
    bool pok = tl_dataset_get_item(plain, n - 1, &px, &py);
    tl_dataset_free(plain);
    tl_dataset_free(parent);
    grade_true(pok, "a NULL transform means none, but get_item failed: %s", grade_last_error());
    grade_tensor("ds[n-1] with no transform", px, tl_index(X, n - 1), 0);
    grade_fails("ex05_transform_dataset_new(NULL, affine, &arg)", ex05_transform_dataset_new(NULL, affine, &arg) == NULL);
}

// ----------------------------------------------------------------------------
// the indices of the examples of a dataset made over rows 0..n-1 (features = the row number)
static bool subset_rows(const tl_dataset *ds, int64_t *rows, int64_t max, int64_t *count) {
    *count = tl_dataset_len(ds);
    if (*count < 0 || *count > max) return false;
    for (int64_t i = 0; i < *count; i++) {
        tl_tensor *x = NULL, *y = NULL;
        if (!tl_dataset_get_item(ds, i, &x, &y)) return false;
        rows[i] = (int64_t)tl_get(x, TL_SHAPE(0));
    }
    return true;
}

static void check_kfold(tl_dataset *ds, int64_t n, int k) {
    int64_t sizes[64] = { 0 }, start = 0;
    for (int64_t i = 0; i < n; i++) sizes[i % k]++;   // dealt round: n / k each, one more for the first n % k
    for (int f = 0; f < k; f++) {
        tl_dataset *train = NULL, *val = NULL;
        char w[160], what[200];
        snprintf(w, sizeof w, "ex05_kfold_split(a dataset of %lld, k=%d, fold=%d, ...)", (long long)n, k, f);
        grade_ok(w, ex05_kfold_split(ds, k, f, &train, &val));
        int64_t tr[256], va[256], ntr = -1, nva = -1;
        bool read = subset_rows(train, tr, 256, &ntr) && subset_rows(val, va, 256, &nva);
        tl_dataset_free(train);
        tl_dataset_free(val);
        grade_true(read, "%s: reading the subsets failed: %s", w, grade_last_error());
        snprintf(what, sizeof what, "%s: the validation part's size", w);
        grade_int_eq(what, nva, sizes[f]);
        snprintf(what, sizeof what, "%s: the training part's size", w);
        grade_int_eq(what, ntr, n - sizes[f]);
        for (int64_t i = 0; i < nva; i++) {
            snprintf(what, sizeof what, "%s: val[%lld]", w, (long long)i);
            grade_int_eq(what, va[i], start + i);
        }
        for (int64_t i = 0, want = 0; i < ntr; i++, want++) {
            if (want == start) want += sizes[f];
            snprintf(what, sizeof what, "%s: train[%lld]", w, (long long)i);
            grade_int_eq(what, tr[i], want);
        }
        start += sizes[f];
    }
}

static void test_kfold(void) {
    for (int round = 0; round < 4; round++) {
        int64_t n = round == 0 ? 10 : grade_int(2, 200);
        int k = round == 0 ? 3 : (int)grade_int(2, n < 12 ? n + 1 : 12);
        tl_tensor *X = tl_reshape(tl_to_dtype(tl_arange(0, n, 1), TL_FLOAT32), TL_SHAPE(n, 1));
        tl_dataset *ds = tl_tensor_dataset_new(X, tl_arange(0, n, 1));
        check_kfold(ds, n, k);
        tl_dataset_free(ds);
    }
    tl_tensor *X = tl_zeros(TL_SHAPE(5, 2), TL_FLOAT32);
    tl_dataset *ds = tl_tensor_dataset_new(X, NULL);
    tl_dataset *train = (tl_dataset *)1, *val = (tl_dataset *)1;
    bool r1 = ex05_kfold_split(ds, 1, 0, &train, &val);
    const char *e1 = tl_error() ? tl_pool_adopt(strdup(tl_error())) : NULL;
    tl_error_clear();
    bool nulled = train == NULL && val == NULL;
    bool r2 = ex05_kfold_split(ds, 6, 0, &train, &val);
    const char *e2 = tl_error() ? tl_pool_adopt(strdup(tl_error())) : NULL;
    tl_error_clear();
    bool r3 = ex05_kfold_split(ds, 5, 5, &train, &val);
    const char *e3 = tl_error() ? tl_pool_adopt(strdup(tl_error())) : NULL;
    tl_error_clear();
    tl_dataset_free(ds);
    grade_true(!r1 && !r2 && !r3, "ex05_kfold_split: k=1, k=6 > n=5 and fold=5 of 5 must fail");
    grade_str("ex05_kfold_split(ds, 1, 0, ...): the error", e1,
              "k-fold cross-validation requires at least one train/test split by setting n_splits=2 or more, got n_splits=1.");
    grade_true(nulled, "ex05_kfold_split must set *train and *val to NULL when it fails");
    grade_str("ex05_kfold_split(a dataset of 5, 6, 0, ...): the error", e2,
              "Cannot have number of splits n_splits=6 greater than the number of samples: n_samples=5.");
    grade_str("ex05_kfold_split(ds, 5, 5, ...): the error", e3, "fold 5 is out of range for 5 folds");
}

// ----------------------------------------------------------------------------
static void check_pad(tl_tensor *const *items, int n, double pad, const char *what) {
    tl_tensor *padded = NULL, *lengths = NULL;
    char w[200];
    snprintf(w, sizeof w, "ex05_pad_collate(%s, padding %g)", what, pad);
    grade_ok(w, ex05_pad_collate(items, n, pad, &padded, &lengths));
    int64_t max_len = 0, inner = 1;
    for (int i = 0; i < n; i++) if (items[i]->shape[0] > max_len) max_len = items[i]->shape[0];
    tl_shape s = { items[0]->ndim + 1, { n, max_len } };
    for (int d = 1; d < items[0]->ndim; d++) s.d[d + 1] = items[0]->shape[d], inner *= items[0]->shape[d];
    tl_tensor *want = tl_empty(s, items[0]->dtype), *wlen = tl_empty(TL_SHAPE(n), TL_INT64);
    tl_tensor *flat = tl_reshape(want, TL_SHAPE(n, max_len, inner));
    for (int i = 0; i < n; i++) {
        tl_tensor *it = tl_reshape(items[i], TL_SHAPE(items[i]->shape[0], inner));
        tl_set(wlen, TL_SHAPE(i), (double)items[i]->shape[0]);
        for (int64_t l = 0; l < max_len; l++)
            for (int64_t j = 0; j < inner; j++)
                tl_set(flat, TL_SHAPE(i, l, j), l < items[i]->shape[0] ? tl_get(it, TL_SHAPE(l, j)) : pad);
    }
    snprintf(w, sizeof w, "ex05_pad_collate(%s): padded", what);
    grade_tensor(w, padded, tl_reshape(flat, s), 0);
    snprintf(w, sizeof w, "ex05_pad_collate(%s): lengths", what);
    grade_tensor(w, lengths, wlen, 0);
}

static void test_pad_collate(void) {
    tl_tensor *fixed[3] = { tl_tensor_parse("[1, 2, 3]"), tl_tensor_parse("[4]"), tl_tensor_parse("[5, 6]") };
    check_pad(fixed, 3, 0, "[1, 2, 3], [4], [5, 6]");
    // PyTorch 1.13.1: pad_sequence([[[1., 2.]], zeros(0, 2), [[5., 6.], [7., 8.]]], batch_first=True, padding_value=-1.5)
    tl_tensor *three[3] = { tl_tensor_parse("[[1.0, 2.0]]"), tl_zeros(TL_SHAPE(0, 2), TL_FLOAT32),
                            tl_tensor_parse("[[5.0, 6.0], [7.0, 8.0]]") };
    tl_tensor *padded3 = NULL, *lengths3 = NULL;
    grade_ok("ex05_pad_collate({[[1, 2]], an empty (0, 2), [[5, 6], [7, 8]]}, 3, -1.5, ...)",
             ex05_pad_collate(three, 3, -1.5, &padded3, &lengths3));
    grade_tensor("the padded batch (PyTorch 1.13.1's pad_sequence)", padded3,
                 tl_tensor_parse("[[[1.0, 2.0], [-1.5, -1.5]], [[-1.5, -1.5], [-1.5, -1.5]], [[5.0, 6.0], [7.0, 8.0]]]"), 0);
    grade_tensor("the lengths", lengths3, tl_tensor_parse("[1, 0, 2]"), 0);
    for (int round = 0; round < 4; round++) {
        int n = (int)grade_int(1, 7);
        tl_dtype dt = round == 0 ? TL_INT64 : round == 1 ? TL_FLOAT32 : TL_FLOAT64;
        int extra = round < 2 ? 0 : (int)grade_int(1, 3);
        tl_tensor *items[8];
        for (int i = 0; i < n; i++) {
            tl_shape s = { 1 + extra, { grade_int(round == 3 ? 0 : 1, 8), 3, 2 } };
            items[i] = grade_uniform(s, -9, 9, dt);
        }
        char what[64];
        snprintf(what, sizeof what, "%d random %s items of %d dims", n, tl_dtype_name(dt), 1 + extra);
        check_pad(items, n, round == 1 ? -1.5 : (double)grade_int(-3, 3), what);
    }
    tl_tensor *padded = (tl_tensor *)1, *lengths = (tl_tensor *)1;
    grade_fails("ex05_pad_collate(items, 0, ...)", !ex05_pad_collate(fixed, 0, 0, &padded, &lengths));
    grade_true(padded == NULL && lengths == NULL, "ex05_pad_collate must set the outputs to NULL when it fails");
    tl_tensor *mixed[3] = { tl_zeros(TL_SHAPE(3, 2), TL_FLOAT32), tl_zeros(TL_SHAPE(4, 3), TL_FLOAT32),
                            tl_zeros(TL_SHAPE(1, 2), TL_FLOAT32) };
    grade_true(!ex05_pad_collate(mixed, 3, 0, &padded, &lengths), "ex05_pad_collate(items of shapes [3, 2], [4, 3], [1, 2]) "
               "must fail: their sizes after the first dimension differ");
    grade_str("ex05_pad_collate(items of shapes [3, 2], [4, 3], ...): the error", tl_error(),
              "pad_collate: item 1 has shape torch.Size([4, 3]) and dtype torch.float32, expected [*, 2] and torch.float32 like item 0");
    tl_error_clear();
    mixed[1] = tl_zeros(TL_SHAPE(4, 2), TL_FLOAT64);
    grade_fails("ex05_pad_collate(a float32 and a float64 item)", !ex05_pad_collate(mixed, 3, 0, &padded, &lengths));
    mixed[1] = tl_scalar(1, TL_FLOAT32);
    grade_fails("ex05_pad_collate(an item with no dimensions)", !ex05_pad_collate(mixed, 3, 0, &padded, &lengths));
}

// ----------------------------------------------------------------------------
// the multinomial rule with a linear search (the first j with c[j] >= u)
static void expected_weighted(const double *w, int64_t n, int64_t k, tl_generator *g, int64_t *out) {
    double c[256], total = 0;
    for (int64_t j = 0; j < n; j++) c[j] = (total += w[j]);
    for (int64_t j = 0; j < n; j++) c[j] /= total;
    c[n - 1] = 1.0;
    for (int64_t i = 0; i < k; i++) {
        uint64_t r = tl_generator_random64(g);
        double u = (double)(r & ((1ULL << 53) - 1)) / 9007199254740992.0;
        int64_t j = 0;
        while (c[j] < u) j++;
        out[i] = j;
    }
}

static void check_pass(const char *what, tl_sampler *s, const int64_t *want, int64_t k) {
    tl_tensor *got = tl_sampler_indices(s);
    grade_true(got != NULL, "%s: the pass failed: %s", what, grade_last_error());
    char m[240];
    snprintf(m, sizeof m, "%s: the indices", what);
    grade_tensor(m, got, tl_from_data(want, TL_SHAPE(k), TL_INT64), 0);
}

static void test_weighted_sampler(void) {
    // PyTorch 1.13.1: list(WeightedRandomSampler([0.1, 0.9, 0.4, 0.0, 2.5], 12, generator=Generator().manual_seed(0)))
    // twice, and torch.manual_seed(123); list(WeightedRandomSampler([...], 8))
    double w5[5] = { 0.1, 0.9, 0.4, 0.0, 2.5 };
    static const int64_t torch_p1[12] = { 4, 4, 4, 4, 4, 4, 1, 2, 4, 2, 4, 1 };
    static const int64_t torch_p2[12] = { 2, 4, 4, 4, 4, 1, 4, 4, 1, 4, 1, 4 };
    static const int64_t torch_default[8] = { 4, 0, 4, 1, 4, 4, 4, 4 };
    tl_generator *g0 = tl_generator_new(0);
    tl_sampler *s = ex05_weighted_sampler_new(w5, 5, 12, g0);
    grade_ok("ex05_weighted_sampler_new({0.1, 0.9, 0.4, 0.0, 2.5}, 5, 12, a generator seeded 0)", s != NULL);
    w5[0] = 100;     // the sampler keeps its own copy
    grade_int_eq("len(the sampler) = num_samples", tl_sampler_len(s), 12);
    check_pass("WeightedRandomSampler(..., 12, generator seeded 0), pass 1 (PyTorch 1.13.1)", s, torch_p1, 12);
    check_pass("the same, pass 2 (PyTorch 1.13.1)", s, torch_p2, 12);
    tl_sampler_free(s);
    tl_generator_free(g0);
    w5[0] = 0.1;

    tl_manual_seed(123);
    s = ex05_weighted_sampler_new(w5, 5, 8, NULL);
    grade_ok("ex05_weighted_sampler_new(w, 5, 8, NULL)", s != NULL);
    check_pass("torch.manual_seed(123); WeightedRandomSampler(w, 8) (the default generator; PyTorch 1.13.1)", s,
               torch_default, 8);
    tl_sampler_free(s);

    // random weights (some zero), more or fewer samples than weights, two passes, then the stream
    for (int round = 0; round < 4; round++) {
        int64_t n = grade_int(1, 40), k = grade_int(1, 90);
        double w[64];
        for (int64_t j = 0; j < n; j++) w[j] = grade_int(0, 4) == 0 ? 0.0 : (double)grade_int(1, 1000) / 97.0;
        w[grade_int(0, n)] = 1.5;
        uint64_t seed = (uint64_t)grade_int(0, 1 << 30);
        tl_generator *g = tl_generator_new(seed), *ref = tl_generator_new(seed);
        s = ex05_weighted_sampler_new(w, n, k, g);
        char what[200];
        snprintf(what, sizeof what, "ex05_weighted_sampler_new(%lld random weights, %lld samples, g)", (long long)n,
                 (long long)k);
        grade_ok(what, s != NULL);
        grade_int_eq("len(a weighted sampler)", tl_sampler_len(s), k);
        int64_t want[128];
        for (int pass = 1; pass <= 2; pass++) {
            expected_weighted(w, n, k, ref, want);
            char wp[240];
            snprintf(wp, sizeof wp, "%s, pass %d", what, pass);
            check_pass(wp, s, want, k);
        }
        uint32_t next_got = tl_generator_random(g), next_want = tl_generator_random(ref);
        tl_sampler_free(s);
        tl_generator_free(g);
        tl_generator_free(ref);
        grade_true(next_got == next_want, "%s drew more or fewer random numbers than 2 per sample (one random64 each)",
                   what);
    }

    // as a DataLoader's sampler: batches of the drawn rows
    int64_t n = 6;
    double w[6] = { 1, 0, 2, 0, 3, 0.5 };
    tl_tensor *X = tl_reshape(tl_to_dtype(tl_arange(0, n, 1), TL_FLOAT32), TL_SHAPE(n, 1));
    tl_dataset *ds = tl_tensor_dataset_new(X, NULL);
    uint64_t seed = (uint64_t)grade_int(0, 1 << 30);
    tl_generator *g = tl_generator_new(seed), *ref = tl_generator_new(seed);
    s = ex05_weighted_sampler_new(w, n, 10, g);
    tl_dataloader *dl = s ? tl_dataloader_new(ds, (tl_dataloader_options){ .batch_size = 4, .sampler = s }) : NULL;
    tl_dataloader_iterator *it = tl_dataloader_iter(dl);
    tl_tensor *x, *batches[3] = { 0 };
    int nb = 0;
    while (it && nb < 3 && tl_dataloader_next(it, &x, NULL)) batches[nb++] = tl_reshape(x, TL_SHAPE(-1));
    tl_dataloader_iter_free(it);
    tl_dataloader_free(dl);
    tl_sampler_free(s);
    tl_dataset_free(ds);
    int64_t want[10];     // the loader's own draws (its base seed) come from the default generator, not g
    expected_weighted(w, n, 10, ref, want);
    tl_generator_free(g);
    tl_generator_free(ref);
    grade_int_eq("DataLoader(ds, batch_size=4, sampler=your sampler of 10): the number of batches", nb, 3);
    tl_tensor *all = tl_to_dtype(tl_cat(batches, 3, 0), TL_INT64);
    grade_tensor("the rows of the DataLoader's batches, in order", all, tl_from_data(want, TL_SHAPE(10), TL_INT64), 0);

    double neg[3] = { 1, -0.5, 2 }, zero[3] = { 0, 0, 0 };
    grade_fails("ex05_weighted_sampler_new(w, 3, 0, NULL)", ex05_weighted_sampler_new(w5, 3, 0, NULL) == NULL);
    grade_fails("ex05_weighted_sampler_new({1, -0.5, 2}, 3, 4, NULL)", ex05_weighted_sampler_new(neg, 3, 4, NULL) == NULL);
    grade_fails("ex05_weighted_sampler_new({0, 0, 0}, 3, 4, NULL)", ex05_weighted_sampler_new(zero, 3, 4, NULL) == NULL);
}

static const grade_exercise exercises[] = {
    { "05.1", 2, "a dataset with a transform", test_transform_dataset },
    { "05.2", 3, "k-fold cross-validation splits (KFold)", test_kfold },
    { "05.3", 3, "collate sequences of different lengths with padding", test_pad_collate },
    { "05.4", 4, "a weighted random sampler, PyTorch's draws", test_weighted_sampler },
};
GRADE_MAIN(exercises)
