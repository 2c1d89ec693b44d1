// exercises/05-loaders.c — exercises for chapter 05 (data loaders): a dataset that wraps another,
// k-fold cross-validation splits, a collate that pads items of different lengths, and a weighted
// random sampler that draws exactly PyTorch's indices.
//
// Each exercise is a function: read its comment, replace the TL_TODO stub with your code, and
// grade it with ./build.sh grade 05 (the chapter) or ./build.sh grade 05.2 (one exercise).
// data.h is the reference: a tl_dataset is two callbacks (len, get_item) and a `state` pointer for
// the dataset's own data; a tl_sampler is two callbacks (len, pass) and a `state` pointer; both have
// a `destroy` callback that tl_dataset_free / tl_sampler_free call.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"


// ----------------------------------------------------------------------------
// Exercise 05.1 (easy, 2 points): a dataset with a transform.
//
// Task: return a new dataset that reads its items from `parent` and passes each item's features
// through transform(features, arg) before handing them out; the label passes unchanged. It is what
// PyTorch code writes as a Dataset with `self.transform` (torchvision's transforms.Normalize etc.).
// len() is the parent's; get_item(i) returns false (with the error recorded) when the parent's
// get_item fails (e.g. an index out of range) or the transform returns NULL. A NULL transform
// means no transform. tl_dataset_free(ds) frees the wrapper only, never the parent (the caller
// owns that). A NULL parent records "transform dataset: the parent dataset is NULL" (a TypeError)
// and returns NULL.
//
// Approach: malloc one block holding the tl_dataset and a small struct (parent, transform, arg) and
// point ds->state at the struct; write the two callbacks and a destroy that frees the block. The
// wrapper is safe in several threads when its parent is (copy parent->thread_safe) and the
// transform is.
//
// Example: a TensorDataset of 5 rows and the transform "x / 10" give 5 items, item 2 being row 2
// divided by 10, with row 2's label.
//
// Hints: the tensors get_item returns belong to the caller's current pool, so a transform that
// makes new tensors (tl_div_scalar, tl_sub, ...) leaks nothing.
tl_dataset *ex05_transform_dataset_new(const tl_dataset *parent,
                                       tl_tensor *(*transform)(const tl_tensor *features, void *arg), void *arg) {
    TL_TODO("05.1");
    return NULL;
}

// ----------------------------------------------------------------------------
// Exercise 05.2 (medium, 3 points): k-fold cross-validation.
//
// Task: split ds as scikit-learn's KFold(n_splits=k) (no shuffle) does and return fold `fold`
// (0 <= fold < k): *val = the fold's examples, *train = all the others, both in their original
// order, as Subsets of ds (tl_subset_new; the caller frees them with tl_dataset_free). With n
// examples the first n % k folds hold n / k + 1 examples, the rest n / k, one after another.
// Return true, or false with *train = *val = NULL and nothing leaked; the errors are
// scikit-learn's: k < 2: "k-fold cross-validation requires at least one train/test split by setting
// n_splits=2 or more, got n_splits=1."; k > n: "Cannot have number of splits n_splits=6 greater
// than the number of samples: n_samples=5." (ValueErrors); fold outside [0, k):
// "fold 5 is out of range for 5 folds" (an IndexError).
//
// Approach: compute where the fold starts and stops, fill one index array for the validation part
// and one for the training part, and make the two subsets.
//
// Example: n = 10, k = 3: the folds are [0, 1, 2, 3], [4, 5, 6], [7, 8, 9]; fold 1 gives
// val = [4, 5, 6] and train = [0, 1, 2, 3, 7, 8, 9].
//
// Hints: tl_dataset_len(ds) is n. tl_subset_new copies the index array, so a local or a freed
// malloc'ed array is fine afterwards.
bool ex05_kfold_split(const tl_dataset *ds, int k, int fold, tl_dataset **train, tl_dataset **val) {
    TL_TODO("05.2");
    if (train) *train = NULL;
    if (val) *val = NULL;
    return false;
}

// ----------------------------------------------------------------------------
// Exercise 05.3 (medium, 3 points): collate items of different lengths, with padding.
//
// Task: the DataLoader stacks items of one shape; sequences (sentences, time series) come in
// different lengths. items[0..n-1] have shapes (L_i, *rest), the same `rest` and dtype for all.
// Make *padded of shape (n, max L_i, *rest) in the items' dtype, item i in rows 0..L_i-1 of
// padded[i] and padding_value everywhere else, and *lengths, an int64 tensor (n) of the L_i: what
// torch.nn.utils.rnn.pad_sequence(items, batch_first=True, padding_value=...) returns, plus the
// lengths a model needs to ignore the padding. Both in the current pool. Return true, or false
// with the outputs set to NULL and an error: n < 1: "pad_collate: received an empty list of
// sequences"; an item with no dimensions (0-d): "pad_collate: item 2 has no dimensions (a 0-d
// tensor), expected a sequence"; another dtype or rest:
// "pad_collate: item 1 has shape torch.Size([4, 3]) and dtype torch.float64, expected [*, 2] and
// torch.float32 like item 0" (on one line: the item's shape as tl_shape_str writes it, then a star
// and item 0's rest in brackets).
//
// Approach: check every item against item 0 first; then tl_full the result with padding_value and
// copy each item into its block: tl_copy_(tl_slice(tl_index(padded, i), 0, 0, L_i, 1), items[i]).
// tl_index and tl_slice are views, so tl_copy_ writes into padded.
//
// Example: [1, 2, 3], [4], [5, 6] (int64), padding 0 -> [[1, 2, 3], [4, 0, 0], [5, 6, 0]] and
// lengths [3, 1, 2].
//
// Hints: an item of length 0 is allowed (its row is all padding); so is max L_i = 0.
bool ex05_pad_collate(tl_tensor *const *items, int n, double padding_value, tl_tensor **padded, tl_tensor **lengths) {
    TL_TODO("05.3");
    if (padded) *padded = NULL;
    if (lengths) *lengths = NULL;
    return false;
}


// ----------------------------------------------------------------------------
// Exercise 05.4 (hard, 4 points): a weighted random sampler, drawn as PyTorch draws it.
//
// Task: return a sampler that, like torch.utils.data.WeightedRandomSampler(weights, num_samples,
// replacement=True, generator=g), gives num_samples indices per pass, index j with probability
// weights[j] / sum(weights), with replacement, and exactly PyTorch's indices for the same seed.
// PyTorch draws them with torch.multinomial on the weights as float64: it sums the weights into a
// cumulative list c[0..n-1] (c[j] = w[0] + ... + w[j], in double), divides every c[j] by the total,
// sets the last one to exactly 1.0, and then for each sample draws one double u in [0, 1) and
// takes the first j with c[j] >= u (a binary search). The double is
//     u = (random64 & (2^53 - 1)) * 2^-53,    random64 = tl_generator_random64(g)   (2 draws)
// from g, or from the default generator (tl_default_generator()) when g is NULL, at each pass.
// Copy the weights (the caller may reuse its array). Errors (NULL returned), PyTorch's words:
// num_samples < 1: "num_samples should be a positive integer value, but got num_samples=0";
// a negative weight: "invalid multinomial distribution (encountering probability entry < 0)";
// all zero: "invalid multinomial distribution (sum of probabilities <= 0)"; n < 1: the same as all zero.
//
// Approach: one malloc block holding the tl_sampler and a struct (n, num_samples, g, then the
// cumulative weights as a flexible array member); len() returns num_samples; pass() fills
// indices[0..num_samples-1]; destroy frees the block. Use it as a DataLoader's
// `.sampler` to draw batches with these odds.
//
// Example: weights {0.1, 0.9, 0.4, 0.0, 2.5}, 12 samples, a generator seeded 0: the first pass is
// [4, 4, 4, 4, 4, 4, 1, 2, 4, 2, 4, 1], the second [2, 4, 4, 4, 4, 1, 4, 4, 1, 4, 1, 4]
// (PyTorch 1.13.1). Index 3 (weight 0) never comes.
//
// Hints: u must be exactly that double (53 bits of one random64), not a float from tl_rand, or
// now and then another index comes out. Setting the last c to exactly 1.0 matters: rounding can
// leave the total's c slightly below 1, and a u above it would find no j. Draw nothing at creation.
tl_sampler *ex05_weighted_sampler_new(const double *weights, int64_t n, int64_t num_samples, tl_generator *g) {
    TL_TODO("05.4");
    return NULL;
}
