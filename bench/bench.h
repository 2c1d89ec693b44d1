// bench.h — what the benchmarks share: a monotonic clock, the median of repeated runs, the
// issue's 784-256-128-10 MLP, one training step (forward, cross entropy, zero_grad, backward,
// SGD) in a pool of its own, and the tutorial's step timed on a device. Header-only (static
// inline) for the programs in bench/.
#ifndef TL_BENCH_H
#define TL_BENCH_H
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "torchlet.h"
#include "../labs/neural_network.h"

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

// one training step of the tutorial's loop; stops the program (TL_CHECK) if a step fails. Returns
// the step's loss when it is on the CPU, where reading it costs a load; NaN for a loss on a GPU,
// whose reading would wait for the device every step, which PyTorch's timed loops do not do.
static inline double train_step(tl_module *model, tl_sgd *opt, const tl_tensor *x, const tl_tensor *y) {
    double value = NAN;
    TL_SCOPE {
        tl_tensor *loss = TL_CHECK(tl_cross_entropy(tl_module_forward(model, x), y));
        tl_sgd_zero_grad(opt);
        TL_CHECK(tl_backward(loss));
        TL_CHECK(tl_sgd_step(opt));
        if (!tl_is_cuda(loss)) value = tl_item(loss);
    }
    return value;
}

// the tutorial's training step, NeuralNetwork(2, 2) on its batch of 2, on device ("cpu", "cuda",
// "cuda:1"): microseconds per step, the median of 7 runs of `steps` steps after `warmup` steps. On
// a GPU the clock reads only after that device has finished (torch.cuda.synchronize(device)).
static inline double bench_tutorial_step(const char *device, int warmup, int steps) {
    tl_device where;
    TL_CHECK(tl_device_parse(device, &where));
    bool gpu = where.type == TL_CUDA;
    tl_manual_seed(123);
    tl_module *model = neural_network_new(2, 2);
    TL_CHECK(tl_module_to(model, device));
    tl_sgd *opt = tl_sgd_new(model, (tl_sgd_options){ .lr = 0.5 });
    double runs[7];
    TL_SCOPE {
        tl_tensor *x = TL_CHECK(tl_to(tl_tensor_parse("[[-1.2, 3.1], [2.3, -1.1]]"), device));
        tl_tensor *y = TL_CHECK(tl_to(tl_tensor_parse("[0, 1]"), device));
        for (int i = 0; i < warmup; i++) train_step(model, opt, x, y);
        for (int r = 0; r < 7; r++) {
            if (gpu) tl_cuda_synchronize(where.index);
            double t0 = now();
            for (int i = 0; i < steps; i++) train_step(model, opt, x, y);
            if (gpu) tl_cuda_synchronize(where.index);
            runs[r] = (now() - t0) / steps * 1e6;
        }
    }
    tl_sgd_free(opt);
    tl_module_free(model);
    return median(runs, 7);
}

#endif
