// bench_gpu.c — Torchlet's training speed on a CUDA GPU, printed as "name value unit" lines that
// ./build.sh bench sets beside PyTorch CUDA eager on the same GPU (bench/bench_torch_cuda.py):
//   gpu_step_us        the tutorial's training step on the GPU: NeuralNetwork(2, 2), batch 2
//                      (launch-bound: it measures the overhead per op), microseconds per step
//   gpu_mlp_samples_s  a 784-256-128-10 MLP, batch 128, one pass over 60,000 random samples kept on
//                      the GPU, in samples per second (median of 3 passes)
//   gpu_matmul_gflops  tl_matmul of two 4096 x 4096 float32 matrices on the GPU (one cuBLAS sgemm)
// Without a CUDA device it prints one "skipped: ..." line and exits 0.
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "torchlet.h"
#include "bench.h"

static double bench_mlp(void) {
    enum { N = 60000, BATCH = 128, PASSES = 3 };
    tl_manual_seed(0);
    tl_module *model = mlp_784_256_128_10();
    TL_CHECK(tl_module_to(model, "cuda"));
    tl_sgd *opt = tl_sgd_new(model, (tl_sgd_options){ .lr = 0.01 });
    double runs[PASSES];
    TL_SCOPE {
        tl_tensor *X = TL_CHECK(tl_to(tl_rand(TL_SHAPE(N, 784), NULL), "cuda"));
        tl_tensor *Y = TL_CHECK(tl_to(tl_randint(0, 10, TL_SHAPE(N), NULL), "cuda"));
        for (int p = 0; p < PASSES; p++) {
            tl_cuda_synchronize(0);
            double t0 = now();
            for (int64_t b = 0; b + BATCH <= N; b += BATCH)
                train_step(model, opt, tl_slice(X, 0, b, b + BATCH, 1), tl_slice(Y, 0, b, b + BATCH, 1));
            tl_cuda_synchronize(0);
            runs[p] = (double)(N / BATCH * BATCH) / (now() - t0);
        }
    }
    tl_sgd_free(opt);
    tl_module_free(model);
    return median(runs, PASSES);
}

static double bench_matmul(void) {
    enum { M = 4096, REPS = 9 };
    double flops = 2.0 * M * M * M, runs[REPS];
    TL_SCOPE {
        tl_tensor *a = tl_to(tl_rand(TL_SHAPE(M, M), NULL), "cuda"), *b = tl_to(tl_rand(TL_SHAPE(M, M), NULL), "cuda");
        TL_SCOPE { TL_CHECK(tl_matmul(a, b)); }                           // warm up (loads cuBLAS)
        for (int r = 0; r < REPS; r++) {
            tl_cuda_synchronize(0);
            double t0 = now();
            TL_SCOPE { tl_matmul(a, b); }
            tl_cuda_synchronize(0);
            runs[r] = flops / (now() - t0) / 1e9;
        }
    }
    return median(runs, REPS);
}

int main(void) {
    if (!tl_cuda_is_available()) {
        printf("skipped: needs a CUDA device (%s)\n", tl_cuda_compiled() ? "none on this machine" : "this build has no CUDA");
        return 0;
    }
    printf("gpu_step_us %.2f us/step\n", bench_tutorial_step("cuda", 200, 2000));
    fflush(stdout);
    printf("gpu_mlp_samples_s %.0f samples/s\n", bench_mlp());
    fflush(stdout);
    printf("gpu_matmul_gflops %.1f GFLOP/s\n", bench_matmul());
    tl_cuda_memory_stats m = tl_cuda_memory();
    printf("gpu_cuda_malloc_calls %lld calls\n", (long long)m.malloc_calls);
    return 0;
}
