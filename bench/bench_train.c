// bench_train.c — Torchlet's training speed on the workloads of issue 5, printed as
// "name value unit" lines that ./build.sh bench sets beside PyTorch's (bench/bench_torch.py):
//   step_us        the tutorial's training step: NeuralNetwork(2, 2), batch 2, forward + loss +
//                  zero_grad + backward + SGD step, microseconds per step (median of 7 runs)
//   mlp_samples_s  a 784-256-128-10 MLP, batch 128, one pass over 60,000 random samples, in
//                  samples per second (median of 3 passes)
//   mlp_gemm_samples_s  the same pass's eight matrix products alone (3 forward, 5 backward),
//                  each one bare cblas_sgemm call on ready buffers: a ceiling for any framework
//                  that multiplies with this BLAS on this machine (median of 3 passes)
//   matmul_gflops  tl_matmul of two 1024 x 1024 float32 matrices (median of 9)
//   sgemm_gflops   the same product as one bare cblas_sgemm call, the ceiling
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "torchlet.h"
#include "bench.h"

static double bench_mlp(void) {
    enum { N = 60000, BATCH = 128, PASSES = 3 };
    tl_manual_seed(0);
    tl_module *model = mlp_784_256_128_10();
    tl_sgd *opt = tl_sgd_new(model, (tl_sgd_options){ .lr = 0.01 });
    double runs[PASSES];
    TL_SCOPE {
        tl_tensor *X = tl_rand(TL_SHAPE(N, 784), NULL);
        tl_tensor *Y = tl_randint(0, 10, TL_SHAPE(N), NULL);
        for (int p = 0; p < PASSES; p++) {
            // the step is bench.h's, as in bench_torch.py's loop; the bar (on stderr, a bar on a
            // terminal) is drawn every PROGRESS_EVERY steps only, so that writing it costs the
            // timed loop next to nothing
            enum { STEPS = N / BATCH, PROGRESS_EVERY = 16 };
            tl_progress bar;
            char label[32];
            snprintf(label, sizeof label, "MLP pass %d/%d", p + 1, PASSES);
            tl_progress_begin(&bar, label, STEPS);
            double t0 = now();
            int64_t shown = 0;                                 // the step the bar last showed
            for (int64_t s = 1; s <= STEPS; s++) {
                int64_t b = (s - 1) * BATCH;
                double loss = 0;
                TL_SCOPE {                                     // the batch's two views go with the step
                    loss = train_step(model, opt, tl_slice(X, 0, b, b + BATCH, 1), tl_slice(Y, 0, b, b + BATCH, 1));
                }
                if (s % PROGRESS_EVERY == 0 || s == STEPS) {
                    tl_progress_update(&bar, s, loss, (s - shown) * BATCH);
                    shown = s;
                }
            }
            runs[p] = (double)(N / BATCH * BATCH) / (now() - t0);
            tl_progress_end(&bar);
        }
    }
    tl_sgd_free(opt);
    tl_module_free(model);
    return median(runs, PASSES);
}

// one cblas_sgemm, row-major: C (m x n) = op(A) @ op(B), with ta/tb transposing A/B
static void sgemm(bool ta, bool tb, int m, int n, int k, const float *a, const float *b, float *c) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a,
                ta ? m : k, b, tb ? k : n, 0.0f, c, n);
}

// the MLP step's products alone: forward x W1^T, h1 W2^T, h2 W3^T; backward dW3 = g3^T h2,
// dh2 = g3 W3, dW2 = g2^T h1, dh1 = g2 W2, dW1 = g1^T x (the input needs no gradient)
static double bench_mlp_gemms(void) {
    enum { N = 60000, B = 128, PASSES = 3, IN = 784, H1 = 256, H2 = 128, OUT = 10 };
    enum { X, W1, W2, W3, A1, A2, A3, DW1, DW2, DW3, D1, D2, NBUF };
    static const size_t sizes[NBUF] = { B * IN, H1 * IN, H2 * H1, OUT * H2, B * H1, B * H2, B * OUT,
                                        H1 * IN, H2 * H1, OUT * H2, B * H1, B * H2 };
    float *m[NBUF];
    for (int i = 0; i < NBUF; i++) {
        if (!(m[i] = malloc(sizes[i] * sizeof(float)))) { fprintf(stderr, "bench_train: out of memory\n"); exit(1); }
        for (size_t j = 0; j < sizes[i]; j++) m[i][j] = (float)(j % 7) * 0.01f;
    }
    double runs[PASSES];
    for (int p = 0; p < PASSES; p++) {
        double t0 = now();
        for (int s = 0; s < N / B; s++) {
            sgemm(false, true, B, H1, IN, m[X], m[W1], m[A1]);
            sgemm(false, true, B, H2, H1, m[A1], m[W2], m[A2]);
            sgemm(false, true, B, OUT, H2, m[A2], m[W3], m[A3]);
            sgemm(true, false, OUT, H2, B, m[A3], m[A2], m[DW3]);
            sgemm(false, false, B, H2, OUT, m[A3], m[W3], m[D2]);
            sgemm(true, false, H2, H1, B, m[D2], m[A1], m[DW2]);
            sgemm(false, false, B, H1, H2, m[D2], m[W2], m[D1]);
            sgemm(true, false, H1, IN, B, m[D1], m[X], m[DW1]);
        }
        runs[p] = (double)(N / B * B) / (now() - t0);
    }
    for (int i = 0; i < NBUF; i++) free(m[i]);
    return median(runs, PASSES);
}

static void bench_matmul(double *lib_gflops, double *blas_gflops) {
    enum { M = 1024, REPS = 9 };
    double flops = 2.0 * M * M * M, lib[REPS], blas[REPS];
    TL_SCOPE {
        tl_tensor *a = tl_rand(TL_SHAPE(M, M), NULL), *b = tl_rand(TL_SHAPE(M, M), NULL);
        tl_tensor *c = tl_empty(TL_SHAPE(M, M), TL_FLOAT32);
        TL_SCOPE { tl_matmul(a, b); }                                    // warm up
        for (int r = 0; r < REPS; r++) {
            double t0 = now();
            TL_SCOPE { tl_matmul(a, b); }
            lib[r] = flops / (now() - t0) / 1e9;
            t0 = now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, M, M, 1.0f, TL_DATA(a, float), M,
                        TL_DATA(b, float), M, 0.0f, TL_DATA(c, float), M);
            blas[r] = flops / (now() - t0) / 1e9;
        }
    }
    *lib_gflops = median(lib, REPS);
    *blas_gflops = median(blas, REPS);
}

int main(int argc, char **argv) {
    bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;      // the test suite's smoke run
    if (quick) {
        tl_manual_seed(123);
        tl_module *model = neural_network_new(2, 2);
        tl_sgd *opt = tl_sgd_new(model, (tl_sgd_options){ .lr = 0.5 });
        TL_SCOPE { train_step(model, opt, tl_tensor_parse("[[-1.2, 3.1], [2.3, -1.1]]"), tl_tensor_parse("[0, 1]")); }
        tl_sgd_free(opt);
        tl_module_free(model);
        printf("quick ok\n");
        return tl_error() ? 1 : 0;
    }
    printf("step_us %.2f us/step\n", bench_tutorial_step("cpu", 1000, 20000));
    fflush(stdout);
    printf("mlp_samples_s %.0f samples/s\n", bench_mlp());
    printf("mlp_gemm_samples_s %.0f samples/s\n", bench_mlp_gemms());
    fflush(stdout);
    double lib, blas;
    bench_matmul(&lib, &blas);
    printf("matmul_gflops %.1f GFLOP/s\n", lib);
    printf("sgemm_gflops %.1f GFLOP/s\n", blas);
    return 0;
}
