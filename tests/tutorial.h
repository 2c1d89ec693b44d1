// tutorial.h — the tutorial's toy data (§6) and its training run (§7) as the tests use them: the five
// training rows and labels (as tl_tensor_parse text), the batches (dataset indices) that the
// drop_last loader gives after manual_seed(123), and the catalogue's losses for those six steps.
#ifndef TL_TEST_TUTORIAL_H
#define TL_TEST_TUTORIAL_H
#include <stdint.h>

#define TUTORIAL_X_TRAIN "[[-1.2, 3.1], [-0.9, 2.9], [-0.5, 2.6], [2.3, -1.1], [2.7, -1.5]]"
#define TUTORIAL_Y_TRAIN "[0, 0, 0, 1, 1]"

// 3 epochs x 2 batches of NeuralNetwork(2, 2) from seed 123, SGD lr 0.5
static const int64_t tutorial_batches[6][2] = { { 2, 1 }, { 3, 0 }, { 3, 4 }, { 1, 2 }, { 0, 4 }, { 1, 2 } };
static const double tutorial_losses[6] = { 0.74873573, 0.64503062, 0.44225580, 0.12562281, 0.02690554, 0.00432724 };

#endif
