// tests/test_ch09_nccl.c — cmocka tests of chapter 09's GPU path (lib/dist.c, lib/dist_nccl.c):
// collectives on CUDA tensors through NCCL, and DDP on a model on a GPU.
//   - a build without NCCL computes on the CPU (tl_dist_device) and refuses CUDA tensors with
//     PyTorch's "doesn't have NCCL built in";
//   - one rank: all_reduce / broadcast / all_gather on CUDA tensors equal the CPU ones; the
//     argument errors; DDP on cuda:0 equals DDP on the CPU after a step, with ONE NCCL all-reduce
//     per step and no device allocation after the first step;
//   - two ranks under `mpirun -np 2`, each on its own GPU: the collectives on CUDA tensors equal the
//     CPU ones; a model on a GPU on one rank and on the CPU on the other is an error on both, and
//     so is a model on the same GPU (cuda:0) on both ranks (rank 1's GPU is cuda:1);
//     after a DDP step on the GPUs both ranks hold the same parameters, bit for bit,
//     equal to those of the same DDP step on the CPU.
// Every case needs a GPU (and NCCL): without one it says so and is skipped. CI runs this file
// against the host emulation of CUDA and NCCL (tests/mock/run.sh: TL_MOCK_GPUS=2 emulated GPUs),
// where the emulated NCCL also counts its calls (mock_nccl_calls); on a real GPU the counts come
// from the library's own counter only, and the two-rank cases need two GPUs.
//     mpirun -np 2 build/tests/test_ch09_nccl --rank-worker NAME     (run by the tests themselves)
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "torchlet.h"
#include "fixture.h"
#include "tutorial.h"
#include "ranks.h"
#include "../labs/neural_network.h"

// the emulated NCCL's call counter (tests/mock/mock_nccl.c); NULL in a real build
extern int64_t mock_nccl_calls(const char *name) __attribute__((weak));

static const char *self_path;

// ----------------------------------------------------------------------------
// helpers

static int64_t nccl_calls(const char *name) { return mock_nccl_calls ? mock_nccl_calls(name) : -1; }

// skips unless this build has NCCL and this machine (or the emulation) a GPU
static void needs_nccl_gpu(void) {
    if (!tl_dist_nccl_compiled()) {
        print_message("skipped: Torchlet was built without NCCL (no CUDA or no nccl.h)\n");
        skip();
    }
    if (tl_cuda_device_count() < 1) {
        print_message("skipped: needs a CUDA device (this machine has none)\n");
        skip();
    }
}

// a and b (on any devices) hold the same dtype, shape and bytes
static bool same(const tl_tensor *a, const tl_tensor *b) {
    if (!a || !b || a->dtype != b->dtype || a->ndim != b->ndim) return false;
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d]) return false;
    tl_tensor *ca = tl_contiguous(tl_to(a, "cpu")), *cb = tl_contiguous(tl_to(b, "cpu"));
    return ca && cb && memcmp(tl_data_ptr(ca), tl_data_ptr(cb), (size_t)tl_numel(ca) * tl_dtype_size(ca->dtype)) == 0;
}

// one DDP step (forward, backward + the average, SGD with lr 0.5) on X, y
static bool ddp_step(tl_ddp *ddp, tl_sgd *opt, tl_tensor *X, tl_tensor *y) {
    bool ok = false;
    TL_SCOPE {
        tl_tensor *loss = tl_cross_entropy(tl_ddp_forward(ddp, X), y);
        tl_sgd_zero_grad(opt);
        ok = tl_ddp_backward(ddp, loss) && tl_sgd_step(opt);
    }
    return ok;
}

// ----------------------------------------------------------------------------
// a build without NCCL: tl_dist_device() is the CPU; a CUDA tensor in a collective is a clear error, and
// so is DDP on a GPU

static void test_without_nccl(void **state) {
    (void)state;
    if (tl_dist_nccl_compiled()) {
        print_message("skipped: NCCL is in this build (tests/mock/run.sh checks a build without it)\n");
        skip();
    }
    if (tl_cuda_device_count() < 1) {
        print_message("skipped: needs a CUDA device to make a CUDA tensor\n");
        skip();
    }
    assert_true(tl_dist_init());
    assert_string_equal(tl_dist_device(), "cpu");      // a GPU, but no NCCL to average on it: train on the CPU
    assert_null(tl_dist_backend_for("cuda:0"));
    expect_error("Distributed package doesn't have NCCL built in: collectives on cuda:0 need NCCL, and Torchlet was "
                "built without it");
    tl_tensor *t = tl_to(tl_tensor_parse("[1., 2.]"), "cuda");
    assert_non_null(t);
    assert_false(tl_dist_all_reduce(t, TL_REDUCE_SUM));
    expect_error("Distributed package doesn't have NCCL built in: all_reduce on a tensor on cuda:0 needs NCCL, and "
                "Torchlet was built without it (it needs CUDA and nccl.h when it is built). Move the tensor to the "
                "CPU (tl_to(t, \"cpu\")) to use MPI");
    assert_false(tl_dist_broadcast(t, 0));
    assert_non_null(strstr(tl_error(), "broadcast on a tensor on cuda:0 needs NCCL"));
    tl_error_clear();
    assert_null(tl_dist_all_gather(t));
    tl_error_clear();
    assert_true(tl_dist_all_reduce(tl_tensor_parse("[1., 2.]"), TL_REDUCE_SUM));   // CPU tensors: MPI, as ever
    tl_module *net = neural_network_new(2, 2);
    assert_true(tl_module_to(net, "cuda"));
    assert_null(tl_ddp_new(net));
    assert_non_null(strstr(tl_error(), "Distributed package doesn't have NCCL built in: broadcast"));
    tl_error_clear();
    tl_module_free(net);
}

// ----------------------------------------------------------------------------
// one rank

static void test_collectives_one_rank(void **state) {
    (void)state;
    needs_nccl_gpu();
    assert_true(tl_dist_init());
    assert_string_equal(tl_dist_backend_for("cuda:0"), "nccl");
    assert_string_equal(tl_dist_backend_for("cpu"), "single");
    int64_t n0 = tl_dist_collectives_issued(), r0 = nccl_calls("all_reduce");
    tl_tensor *cpu = tl_tensor_parse("[1.5, -2., 3.25]");
    tl_tensor *t = tl_to(cpu, "cuda");
    assert_true(tl_dist_all_reduce(t, TL_REDUCE_SUM));               // makes the communicator first
    assert_int_equal(tl_dist_nccl_device(), 0);
    assert_true(tl_dist_all_reduce(t, TL_REDUCE_AVG));
    assert_true(tl_is_cuda(t));
    assert_true(same(tl_to(t, "cpu"), cpu));                     // a world of one: unchanged
    tl_tensor *d = tl_to(tl_tensor_parse("[[1., 2.], [3., 4.]]"), "cuda");
    assert_true(tl_dist_all_reduce(d, TL_REDUCE_AVG));
    tl_tensor *i = tl_to(tl_tensor_parse("[7, -8]"), "cuda");
    assert_true(tl_dist_all_reduce(i, TL_REDUCE_SUM));
    assert_true(same(tl_to(i, "cpu"), tl_tensor_parse("[7, -8]")));
    assert_true(tl_dist_broadcast(t, 0));
    tl_tensor *g = tl_dist_all_gather(d);
    assert_non_null(g);
    assert_true(tl_is_cuda(g));
    assert_int_equal(g->ndim, 3);
    assert_int_equal(g->shape[0], 1);
    assert_true(same(tl_to(g, "cpu"), tl_dist_all_gather(tl_to(d, "cpu"))));    // = the CPU path
    // the communicator's setup (one CPU all-reduce, one broadcast of the id) + the 6 above + the CPU gather
    assert_int_equal(tl_dist_collectives_issued() - n0, 2 + 6 + 1);
    if (r0 >= 0) assert_int_equal(nccl_calls("all_reduce") - r0, 4);

    // the errors
    assert_false(tl_dist_all_reduce(i, TL_REDUCE_AVG));
    expect_error("all_reduce: ReduceOp.AVG needs a floating point tensor, got torch.int64");
    assert_false(tl_dist_all_reduce(tl_transpose(d, 0, 1), TL_REDUCE_SUM));
    expect_error("Tensors must be contiguous");
    assert_false(tl_dist_broadcast(t, 1));
    expect_error("Invalid src rank 1: the group has ranks 0 to 0");
    if (tl_cuda_device_count() >= 2) {
        assert_false(tl_dist_all_reduce(tl_to(cpu, "cuda:1"), TL_REDUCE_SUM));
        expect_error("all_reduce: the tensor is on cuda:1, but rank 0's NCCL communicator is on cuda:0 (its local "
                    "rank); every rank works on its own GPU");
    }
    tl_dist_destroy();                                              // NCCL goes with the group
    assert_int_equal(tl_dist_nccl_device(), -1);
}

// DDP on cuda:0 against DDP on the CPU, in a world of one: the same parameters after each step, one
// NCCL all-reduce per step, the flat buffer on the GPU, and no device allocation after the first step
static void test_ddp_one_rank(void **state) {
    (void)state;
    needs_nccl_gpu();
    assert_true(tl_dist_init());
    tl_manual_seed(123);
    tl_module *cpu_net = neural_network_new(2, 2);
    tl_manual_seed(123);
    tl_module *gpu_net = neural_network_new(2, 2);
    assert_true(tl_module_to(gpu_net, "cuda"));
    tl_ddp *cpu = tl_ddp_new(cpu_net), *gpu = tl_ddp_new(gpu_net);
    assert_non_null(cpu);
    assert_non_null(gpu);
    assert_true(tl_is_cuda(gpu->flat));
    assert_false(tl_is_cuda(cpu->flat));
    assert_int_equal(gpu->numel, 752);
    tl_sgd *copt = tl_sgd_new(cpu_net, (tl_sgd_options){ .lr = 0.5 });
    tl_sgd *gopt = tl_sgd_new(gpu_net, (tl_sgd_options){ .lr = 0.5 });
    const void *flat = tl_data_ptr(gpu->flat);
    int64_t rows[3][2] = { { 4, 1 }, { 0, 3 }, { 2, 4 } };
    int64_t mallocs = 0;
    for (int step = 0; step < 3; step++) {
        TL_SCOPE {
            tl_tensor *X, *y, *Xg, *yg;
            tutorial_batch(rows[step], 2, "cpu", &X, &y);
            tutorial_batch(rows[step], 2, "cuda", &Xg, &yg);
            assert_true(ddp_step(cpu, copt, X, y));
            if (step == 1) mallocs = tl_cuda_memory().malloc_calls;
            int64_t n0 = tl_dist_collectives_issued(), r0 = nccl_calls("all_reduce");
            assert_true(ddp_step(gpu, gopt, Xg, yg));
            assert_int_equal(tl_dist_collectives_issued() - n0, 1);          // one collective per step
            if (r0 >= 0) assert_int_equal(nccl_calls("all_reduce") - r0, 1);  // ... and it is NCCL's
            double worst = max_diff(params_cpu(cpu_net), params_cpu(gpu_net));
            if (worst > 1e-5) fail_msg("step %d: GPU and CPU DDP differ by %g", step, worst);
        }
    }
    assert_int_equal(tl_cuda_memory().malloc_calls, mallocs);      // steps 2 and 3 allocated nothing new
    assert_ptr_equal(tl_data_ptr(gpu->flat), flat);                // the buffer of wrap time, reused
    tl_named_tensor *ps;
    tl_module_parameters(gpu_net, &ps);
    assert_true(tl_is_cuda(ps[0].tensor->grad));                     // the averages went back to the GPU

    // a model moved after it was wrapped
    assert_true(tl_module_to(gpu_net, "cpu"));
    TL_SCOPE {
        tl_tensor *X, *y;
        tutorial_batch(rows[0], 2, "cpu", &X, &y);
        assert_false(ddp_step(gpu, gopt, X, y));
    }
    expect_error("DistributedDataParallel: a parameter or its gradient is on cpu, but the model was on cuda:0 when it "
                "was wrapped; move the model before tl_ddp_new, not after");
    // parameters on two devices
    tl_tensor *w = tl_module_param(gpu_net, "layers.0.weight");
    tl_tensor *moved = tl_to(w, "cuda");
    tl_storage *keep = w->storage;
    w->storage = moved->storage;                // only the first layer's weight on the GPU
    assert_null(tl_ddp_new(gpu_net));
    w->storage = keep;
    expect_error("DistributedDataParallel: Torchlet's DDP needs all parameters on one device, but layers.0.bias is "
                "on cpu and the first is on cuda:0 (move the whole model with tl_module_to)");
    tl_sgd_free(copt);
    tl_sgd_free(gopt);
    tl_ddp_free(cpu);
    tl_ddp_free(gpu);
    tl_module_free(cpu_net);
    tl_module_free(gpu_net);
}

// ----------------------------------------------------------------------------
// two ranks, two GPUs, under mpirun

static char output[1 << 16];

static void run_two_ranks(const char *name, const char *expect) {
    needs_nccl_gpu();
    if (!have_mpirun()) skip();
    if (tl_cuda_device_count() < 2) {
        print_message("skipped: two ranks need two GPUs (NCCL refuses two ranks on one); this machine has %d\n",
                      tl_cuda_device_count());
        skip();
    }
    expect_ranks_say(self_path, name, expect, output, sizeof output);
}

static void test_two_ranks_collectives(void **state) { (void)state; run_two_ranks("collectives", "collectives ok"); }
static void test_two_ranks_ddp(void **state) { (void)state; run_two_ranks("ddp", "ddp ok"); }
static void test_two_ranks_ddp_other_gpu(void **state) { (void)state; run_two_ranks("ddp_other_gpu", "ddp_other_gpu ok"); }

// ----------------------------------------------------------------------------
// the workers (one process per rank, each on cuda:<local rank>)

// the same collective on a CUDA tensor and on a CPU tensor: the same result
static int worker_collectives(int rank, const char *dev) {
    tl_tensor *inputs[3] = { tl_full(TL_SHAPE(3), rank + 1.25, TL_FLOAT32), tl_full(TL_SHAPE(2, 2), rank ? 2.5 : -1.0, TL_FLOAT64),
                             tl_full(TL_SHAPE(4), 10 * (rank + 1), TL_INT64) };
    for (int k = 0; k < 3; k++) {
        for (int avg = 0; avg <= (k < 2); avg++) {
            tl_tensor *c = tl_clone(inputs[k]), *g = tl_to(inputs[k], dev);
            tl_reduce_op op = avg ? TL_REDUCE_AVG : TL_REDUCE_SUM;
            WCHECK(tl_dist_all_reduce(c, op) && tl_dist_all_reduce(g, op));
            WCHECK(tl_is_cuda(g) && same(tl_to(g, "cpu"), c));
        }
        tl_tensor *c = tl_clone(inputs[k]), *g = tl_to(inputs[k], dev);
        WCHECK(tl_dist_broadcast(c, 1) && tl_dist_broadcast(g, 1));
        WCHECK(same(tl_to(g, "cpu"), c));
        tl_tensor *ga = tl_dist_all_gather(tl_to(inputs[k], dev)), *ca = tl_dist_all_gather(inputs[k]);
        WCHECK(ga && ca && tl_is_cuda(ga) && same(tl_to(ga, "cpu"), ca));
    }
    WCHECK(tl_get(tl_to(tl_dist_all_gather(tl_to(inputs[2], dev)), "cpu"), TL_SHAPE(1, 0)) == 20);
    // another size on each rank: an error on both, nobody blocked
    WCHECK(tl_dist_all_gather(tl_to(tl_zeros(TL_SHAPE(rank + 1), TL_FLOAT32), dev)) == NULL);
    WCHECK(strstr(tl_error(), "rank 0 gave 1 elements and rank 1 gave 2") != NULL);
    tl_error_clear();
    WCHECK(tl_dist_nccl_device() == rank);
    // DDP with rank 0's model on its GPU and rank 1's on the CPU: the same error on both, no hang
    tl_module *m = neural_network_new(2, 2);
    WCHECK(tl_module_to(m, rank == 0 ? dev : "cpu"));
    WCHECK(tl_ddp_new(m) == NULL);
    WCHECK(strcmp(tl_error(), "DDP expects every rank's model on the same kind of device, but rank 1 has it on "
                              "the CPU and rank 0 on a GPU.") == 0);
    tl_error_clear();
    tl_module_free(m);
    WCHECK(tl_dist_barrier());
    printf("rank %d: collectives ok\n", rank);
    return 0;
}

// One DDP step on two GPUs and the same DDP step on two CPU processes (rank 0: examples 4 and 1,
// rank 1: examples 0 and 3): both ranks' GPU parameters equal bit for bit, equal to the CPU ones
// up to float rounding; one NCCL all-reduce in the GPU step; rank 0's weights broadcast at wrap time.
static int worker_ddp(int rank, const char *dev) {
    int64_t rows[2][2] = { { 4, 1 }, { 0, 3 } };
    tl_tensor *X, *y, *Xg, *yg;
    tutorial_batch(rows[rank], 2, "cpu", &X, &y);
    tutorial_batch(rows[rank], 2, dev, &Xg, &yg);

    tl_manual_seed(rank == 0 ? 123 : 999);          // rank 1 starts elsewhere: DDP must fix that
    tl_module *gpu_net = neural_network_new(2, 2);
    WCHECK(tl_module_to(gpu_net, dev));
    tl_manual_seed(123);
    tl_module *cpu_net = neural_network_new(2, 2);
    int64_t b0 = nccl_calls("broadcast");
    tl_ddp *gpu = tl_ddp_new(gpu_net), *cpu = tl_ddp_new(cpu_net);
    WCHECK(gpu && cpu && tl_is_cuda(gpu->flat) && tl_device_of(gpu->flat).index == rank);
    WCHECK(b0 < 0 || nccl_calls("broadcast") - b0 == 6);              // the six parameter tensors
    WCHECK(max_diff(params_cpu(gpu_net), params_cpu(cpu_net)) == 0);   // rank 0's weights everywhere

    tl_sgd *gopt = tl_sgd_new(gpu_net, (tl_sgd_options){ .lr = 0.5 });
    tl_sgd *copt = tl_sgd_new(cpu_net, (tl_sgd_options){ .lr = 0.5 });
    WCHECK(ddp_step(cpu, copt, X, y));
    int64_t n0 = tl_dist_collectives_issued(), r0 = nccl_calls("all_reduce");
    WCHECK(ddp_step(gpu, gopt, Xg, yg));
    WCHECK(tl_dist_collectives_issued() - n0 == 1);
    WCHECK(r0 < 0 || nccl_calls("all_reduce") - r0 == 1);

    // both ranks' GPU parameters, gathered through NCCL
    tl_tensor *mine = tl_to(params_cpu(gpu_net), dev);
    tl_tensor *all = tl_to(tl_dist_all_gather(mine), "cpu");
    WCHECK(all && all->shape[0] == 2 && all->shape[1] == 752);
    WCHECK(memcmp(TL_DATA(all, float), TL_DATA(all, float) + 752, 752 * sizeof(float)) == 0);
    double worst = max_diff(params_cpu(gpu_net), params_cpu(cpu_net));
    WCHECK(worst < 1e-5);
    printf("rank %d: ddp ok (largest difference to the CPU DDP step %.2g)\n", rank, worst);
    tl_sgd_free(gopt);
    tl_sgd_free(copt);
    tl_ddp_free(gpu);
    tl_ddp_free(cpu);
    tl_module_free(gpu_net);
    tl_module_free(cpu_net);
    return 0;
}

// every rank moves its model to "cuda" (cuda:0), not to its own GPU: rank 1's check refuses it, and rank 0,
// whose model is on its own GPU, refuses too at the same step (it would otherwise broadcast through NCCL
// to a rank that never joins)
static int worker_ddp_other_gpu(int rank) {
    tl_module *m = neural_network_new(2, 2);
    WCHECK(tl_module_to(m, "cuda"));
    WCHECK(tl_ddp_new(m) == NULL);
    if (rank == 1)
        WCHECK(strcmp(tl_error(), "DistributedDataParallel: the tensor layers.0.weight is on cuda:0, but rank 1's NCCL "
                                  "communicator is on cuda:1 (its local rank); every rank works on its own GPU (move the "
                                  "model with tl_module_to(model, tl_dist_device()))") == 0);
    else
        WCHECK(strcmp(tl_error(), "DistributedDataParallel: rank 1 could not wrap its model (its own error says why), "
                                  "so no rank wraps it") == 0);
    tl_error_clear();
    tl_module_free(m);
    WCHECK(tl_dist_barrier());
    printf("rank %d: ddp_other_gpu ok\n", rank);
    return 0;
}

// the workers need this rank's GPU (cuda:<local rank>); without one they fail, saying so
static const char *rank_gpu(int rank) {
    const char *dev = tl_dist_device();
    if (strncmp(dev, "cuda", 4) == 0) return dev;
    printf("rank %d: no GPU for this rank\n", rank);
    return NULL;
}
static int gpu_collectives(int rank) { const char *d = rank_gpu(rank); return d ? worker_collectives(rank, d) : 1; }
static int gpu_ddp(int rank) { const char *d = rank_gpu(rank); return d ? worker_ddp(rank, d) : 1; }

static int gpu_ddp_other_gpu(int rank) { const char *d = rank_gpu(rank); return d ? worker_ddp_other_gpu(rank) : 1; }

static const rank_worker workers[] = { { "collectives", gpu_collectives }, { "ddp", gpu_ddp },
                                       { "ddp_other_gpu", gpu_ddp_other_gpu } };

int main(int argc, char **argv) {
    self_path = argv[0];
    if (argc == 3 && strcmp(argv[1], "--rank-worker") == 0) return run_rank_worker(argv[2], workers, sizeof workers / sizeof *workers);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_without_nccl, setup, dist_teardown),
        cmocka_unit_test_setup_teardown(test_collectives_one_rank, setup, dist_teardown),
        cmocka_unit_test_setup_teardown(test_ddp_one_rank, setup, dist_teardown),
        cmocka_unit_test_setup_teardown(test_two_ranks_collectives, setup, dist_teardown),
        cmocka_unit_test_setup_teardown(test_two_ranks_ddp, setup, dist_teardown),
        cmocka_unit_test_setup_teardown(test_two_ranks_ddp_other_gpu, setup, dist_teardown),
    };
    return cmocka_run_group_tests_name("ch09_nccl", tests, NULL, NULL);
}
