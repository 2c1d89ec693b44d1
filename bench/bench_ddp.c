// bench_ddp.c — data-parallel training throughput (chapter 09): the 784-256-128-10 MLP of issue 5,
// batch 128 per rank, cross entropy, SGD, gradients averaged by tl_ddp (one all-reduce per step).
// Run it plainly (one rank) and under `mpirun -np 2` (two CPU ranks); ./build.sh bench does both,
// with OPENBLAS_NUM_THREADS=1 so that the ranks do not fight over cores. Rank 0 prints
// "name value" lines:
//   ddp_ranks      the world size
//   ddp_step_ms    one step (forward, loss, backward, all-reduce, SGD), milliseconds (median of 7)
//   ddp_allreduce_ms   the all-reduce of the 235,146 gradients alone, milliseconds (median of 7)
//   ddp_samples_s  ranks * 128 / step time: the whole job's samples per second
// Scaling efficiency = samples_s(2 ranks) / (2 * samples_s(1 rank)): 1.0 would be perfect.
// bench/bench_torch_ddp.py runs the same workload with PyTorch's DDP over gloo, for comparison.
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "torchlet.h"
#include "bench.h"

enum { BATCH = 128, STEPS = 10, RUNS = 7 };

int main(void) {
    if (!tl_dist_init()) { tl_error_print(); return 1; }
    int rank = tl_dist_rank(), world = tl_dist_world_size();
    tl_manual_seed(123);
    tl_module *mlp = mlp_784_256_128_10();
    tl_ddp *ddp = TL_CHECK(tl_ddp_new(mlp));
    tl_sgd *opt = tl_sgd_new(mlp, (tl_sgd_options){ .lr = 0.01 });
    tl_generator *g = tl_generator_new(1000 + (uint64_t)rank);     // each rank its own batch
    double step_ms[RUNS], reduce_ms[RUNS];
    TL_SCOPE {
        tl_tensor *x = tl_randn(TL_SHAPE(BATCH, 784), g), *y = tl_randint(0, 10, TL_SHAPE(BATCH), g);
        for (int run = -1; run < RUNS; run++) {      // run -1 warms up
            tl_dist_barrier();
            double t0 = now();
            for (int s = 0; s < STEPS; s++) {
                TL_SCOPE {
                    tl_tensor *loss = tl_cross_entropy(tl_ddp_forward(ddp, x), y);
                    tl_sgd_zero_grad(opt);
                    TL_CHECK(tl_ddp_backward(ddp, loss));
                    TL_CHECK(tl_sgd_step(opt));
                }
            }
            double t1 = now();
            for (int s = 0; s < STEPS; s++) tl_dist_all_reduce(ddp->flat, TL_REDUCE_AVG);
            double t2 = now();
            if (run >= 0) {
                step_ms[run] = 1e3 * (t1 - t0) / STEPS;
                reduce_ms[run] = 1e3 * (t2 - t1) / STEPS;
            }
        }
    }
    double step = median(step_ms, RUNS), reduce = median(reduce_ms, RUNS);
    // the slowest rank sets the pace: take the largest median
    TL_SCOPE {
        tl_tensor *t = tl_from_data((double[]){ step, reduce }, TL_SHAPE(2), TL_FLOAT64);
        tl_tensor *all = tl_dist_all_gather(t);
        for (int r = 0; all && r < world; r++) {
            if (TL_DATA(all, double)[2 * r] > step) step = TL_DATA(all, double)[2 * r];
            if (TL_DATA(all, double)[2 * r + 1] > reduce) reduce = TL_DATA(all, double)[2 * r + 1];
        }
    }
    if (rank == 0) {
        printf("ddp_ranks %d\n", world);
        printf("ddp_step_ms %.3f\n", step);
        printf("ddp_allreduce_ms %.3f\n", reduce);
        printf("ddp_samples_s %.0f\n", world * BATCH / (step / 1e3));
    }
    tl_generator_free(g);
    tl_sgd_free(opt);
    tl_ddp_free(ddp);
    tl_module_free(mlp);
    tl_dist_destroy();
    return 0;
}
