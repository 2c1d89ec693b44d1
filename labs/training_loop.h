/* generated from chapters/06-training/06-training.md by tools/tangle.lua; edit the chapter, not this file */
#line 575 "chapters/06-training/06-training.md"
// training_loop.h — the tutorial's training loop and compute_accuracy (chapter 06), shared by the labs
// that train.
#ifndef LAB_TRAINING_LOOP_H
#define LAB_TRAINING_LOOP_H
#include <math.h>
#include <stdio.h>
#include "torchlet.h"

#line 532 "chapters/06-training/06-training.md"
// the tutorial's training loop (000:668-688): num_epochs passes over loader, one SGD step per
// batch, a log line per batch when verbose; the losses go to losses[0..max_losses-1]. Returns
// the number of steps taken, or -1 when a step or a batch of the loader failed (the error is
// recorded; an error recorded before the call is cleared first).
static inline int train_model(tl_module *model, tl_sgd *optimizer, tl_dataloader *train_loader, int num_epochs,
                              bool verbose, double *losses, int max_losses) {
    int steps = 0;
    bool ok = true;
    tl_error_clear();
    for (int epoch = 0; epoch < num_epochs && ok; epoch++) {
        tl_module_train(model, true);
        tl_dataloader_iterator *it = tl_dataloader_iter(train_loader);
        ok = it != NULL;
        tl_tensor *features, *labels;
        for (int batch_idx = 0; ok; batch_idx++) {
            bool more = false;
            TL_SCOPE {
                if ((more = tl_dataloader_next(it, &features, &labels))) {
                    tl_tensor *logits = tl_module_forward(model, features);
                    tl_tensor *loss = tl_cross_entropy(logits, labels);      // loss function

                    tl_sgd_zero_grad(optimizer);
                    ok = tl_backward(loss) && tl_sgd_step(optimizer);

                    // LOGGING
                    if (ok && verbose)
                        printf("Epoch: %03d/%03d | Batch %03d/%03lld | Train/Val Loss: %.2f\n", epoch + 1,
                               num_epochs, batch_idx, (long long)tl_dataloader_len(train_loader), tl_item(loss));
                    if (ok && steps < max_losses) losses[steps] = tl_item(loss);
                    steps += ok;
                }
            }
            if (!more) break;
        }
        ok = ok && !tl_error();         // the loader stops early, with an error, when a batch fails
        tl_dataloader_iter_free(it);
        tl_module_eval(model);          // optional model evaluation
    }
    return ok ? steps : -1;
}
#line 584 "chapters/06-training/06-training.md"

#line 735 "chapters/06-training/06-training.md"
// the tutorial's compute_accuracy (000:781-794): the share of correct predictions over a loader;
// NaN when the loader gave no example (0 / 0, as PyTorch's tensor division gives), and NaN with
// the error recorded when a batch failed (an error recorded before the call is cleared first).
// device: where to move each batch first ("cuda:0", as chapter 09's script does), or NULL
static inline double compute_accuracy_on(tl_module *model, tl_dataloader *loader, const char *device) {
    tl_error_clear();
    tl_module_eval(model);
    int64_t correct = 0, total_examples = 0;
    tl_dataloader_iterator *it = tl_dataloader_iter(loader);
    bool failed = it == NULL;
    tl_tensor *features, *labels;
    for (bool more = !failed; more;) {
        TL_SCOPE {
            if ((more = tl_dataloader_next(it, &features, &labels))) {
                if (device) features = tl_to(features, device), labels = tl_to(labels, device);
                TL_NO_GRAD {
                    tl_tensor *logits = tl_module_forward(model, features);
                    tl_tensor *predictions = tl_argmax_dim(logits, 1, false);
                    tl_tensor *compare = tl_eq(labels, predictions);
                    double batch_correct = tl_item(tl_sum(compare));    // NaN when a step above failed
                    if (isnan(batch_correct) || tl_error()) {
                        more = false, failed = true;                    // stop here; never cast the NaN
                    } else {
                        correct += (int64_t)batch_correct;
                        total_examples += tl_numel(compare);
                    }
                }
            }
        }
    }
    failed = failed || tl_error();              // the loader also stops, with an error, when a batch fails
    tl_dataloader_iter_free(it);
    return total_examples && !failed ? (double)correct / (double)total_examples : NAN;
}

static inline double compute_accuracy(tl_module *model, tl_dataloader *loader) {
    return compute_accuracy_on(model, loader, NULL);
}
#line 586 "chapters/06-training/06-training.md"

#endif
