// bench.h — what the benchmarks share: a monotonic clock, the median of repeated runs, the
// issue's 784-256-128-10 MLP and one training step (forward, cross entropy, zero_grad, backward,
// SGD) in a pool of its own. Header-only (static inline) for the programs in bench/.
#ifndef TL_BENCH_H
#define TL_BENCH_H
#include <stdlib.h>
#include <time.h>

#include "torchlet.h"

static inline double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

// the median of v[0..n-1] (sorts v)
static inline double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

// Linear(784, 256), ReLU, Linear(256, 128), ReLU, Linear(128, 10), built in order
static inline tl_module *mlp_784_256_128_10(void) {
    tl_module *model = tl_sequential_new(0);
    tl_sequential_append(model, tl_linear_new(784, 256, true));
    tl_sequential_append(model, tl_relu_new());
    tl_sequential_append(model, tl_linear_new(256, 128, true));
    tl_sequential_append(model, tl_relu_new());
    tl_sequential_append(model, tl_linear_new(128, 10, true));
    return model;
}

// one training step of the tutorial's loop; stops the program (TL_CHECK) if a step fails
static inline void train_step(tl_module *model, tl_sgd *opt, const tl_tensor *x, const tl_tensor *y) {
    TL_SCOPE {
        tl_tensor *loss = TL_CHECK(tl_cross_entropy(tl_module_forward(model, x), y));
        tl_sgd_zero_grad(opt);
        TL_CHECK(tl_backward(loss));
        TL_CHECK(tl_sgd_step(opt));
    }
}

#endif
