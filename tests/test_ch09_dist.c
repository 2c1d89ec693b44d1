// tests/test_ch09_dist.c — cmocka tests of chapter 09 (lib/dist.c, lib/dist_nccl.c, labs/09-ddp.c):
//   - the process group in a world of one: ranks, errors before init / after destroy, double init;
//   - collectives in a world of one and their argument errors;
//   - DDP in a world of one: one all-reduce per step, gradients unchanged, missing grads, errors;
//   - DistributedSampler index lists of the catalogue (§9.3) that chapter 05's tests do not cover;
//   - the tutorial's script: its losses to 8 digits (catalogue §9.3) with one rank and with two;
//   - NCCL: compiled or not, refuses without a GPU, one rank on a GPU when there is one (raw host
//     buffers); tests/test_ch09_nccl.c tests the rest, a DDP training on cuda:0 included
//     (test_ddp_one_rank);
//   - under `mpirun -np 2` (skipped, visibly, without mpirun or MPI): the lab's per-rank losses and
//     accuracies, one DDP step against a single-process step on the union of both ranks' batches,
//     every collective with two ranks, DDP refusing (on both ranks, no hang) a model whose dtype is
//     wrong on one rank, a rank that is killed or fails ending the job quickly, and a job that prints
//     more than the output buffer holds ending normally.
// The two-rank cases run this very program again under mpirun as a worker:
//     mpirun -np 2 build/tests/test_ch09_dist --rank-worker NAME
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "torchlet.h"
#include "fixture.h"
#include "tutorial.h"
#include "ranks.h"
#include "../labs/neural_network.h"

static const char *self_path;     // argv[0]: the workers are this program

// ----------------------------------------------------------------------------
// helpers

#define NOT_INIT "Default process group has not been initialized, please make sure to call init_process_group."

// ----------------------------------------------------------------------------
// a world of one

static void test_world_of_one(void **state) {
    (void)state;
    assert_false(tl_dist_is_initialized());
    assert_int_equal(tl_dist_rank(), -1);
    expect_error_kind(TL_RUNTIME_ERROR, NOT_INIT);
    assert_int_equal(tl_dist_world_size(), -1);
    expect_error_kind(TL_RUNTIME_ERROR, NOT_INIT);
    assert_false(tl_dist_barrier());
    expect_error_kind(TL_RUNTIME_ERROR, NOT_INIT);
    assert_false(tl_dist_all_reduce(tl_ones(TL_SHAPE(2), TL_FLOAT32), TL_REDUCE_SUM));
    expect_error_kind(TL_RUNTIME_ERROR, NOT_INIT);

    assert_true(tl_dist_init());
    assert_true(tl_dist_is_initialized());
    assert_int_equal(tl_dist_rank(), 0);
    assert_int_equal(tl_dist_world_size(), 1);
    assert_int_equal(tl_dist_local_rank(), 0);
    assert_int_equal(tl_dist_local_world_size(), 1);
    assert_string_equal(tl_dist_backend(), "single");
    assert_string_equal(tl_dist_backend_for("cpu"), "single");
    assert_int_equal(tl_dist_launcher_world_size(), 1);
    assert_false(tl_dist_init());
    expect_error_kind(TL_RUNTIME_ERROR, "trying to initialize the default process group twice!");

    tl_dist_destroy();
    assert_false(tl_dist_is_initialized());
    assert_int_equal(tl_dist_local_rank(), -1);
    expect_error_kind(TL_RUNTIME_ERROR, NOT_INIT);
    tl_dist_destroy();                         // twice is harmless
    assert_true(tl_dist_init());               // a world of one may start again
}

static void test_collectives_world_of_one(void **state) {
    (void)state;
    assert_true(tl_dist_init());
    int64_t n0 = tl_dist_collectives_issued();
    tl_tensor *t = tl_tensor_parse("[1., 2., 3.]");
    assert_true(tl_dist_all_reduce(t, TL_REDUCE_SUM));
    assert_true(tl_dist_all_reduce(t, TL_REDUCE_AVG));
    assert_float_equal(tl_get(t, TL_SHAPE(2)), 3.0, 0);
    tl_tensor *i = tl_tensor_parse("[1, 2]");
    assert_true(tl_dist_all_reduce(i, TL_REDUCE_SUM));
    assert_true(tl_dist_broadcast(t, 0));
    tl_tensor *g = tl_dist_all_gather(tl_tensor_parse("[[1., 2.], [3., 4.]]"));
    assert_non_null(g);
    assert_int_equal(g->ndim, 3);
    assert_int_equal(g->shape[0], 1);
    assert_int_equal(g->shape[2], 2);
    assert_float_equal(tl_get(g, TL_SHAPE(0, 1, 0)), 3.0, 0);
    assert_true(tl_dist_barrier());
    assert_int_equal(tl_dist_collectives_issued() - n0, 6);
    // a tensor that requires grad gathers to a plain tensor, as with more ranks (no grad_fn)
    g = tl_dist_all_gather(tl_requires_grad_(tl_tensor_parse("[5., 6.]"), true));
    assert_non_null(g);
    assert_false(g->requires_grad);
    assert_null(g->grad_fn);
    assert_float_equal(tl_get(g, TL_SHAPE(0, 1)), 6.0, 0);

    // the errors
    assert_false(tl_dist_all_reduce(i, TL_REDUCE_AVG));
    expect_error_kind(TL_RUNTIME_ERROR, "all_reduce: ReduceOp.AVG needs a floating point tensor, got torch.int64");
    assert_false(tl_dist_all_reduce(tl_tensor_parse("[True, False]"), TL_REDUCE_SUM));
    expect_error_kind(TL_RUNTIME_ERROR, "all_reduce: cannot reduce a tensor of dtype torch.bool");
    assert_false(tl_dist_all_reduce(tl_T(tl_ones(TL_SHAPE(2, 3), TL_FLOAT32)), TL_REDUCE_SUM));
    expect_error_kind(TL_RUNTIME_ERROR, "Tensors must be contiguous");
    assert_false(tl_dist_all_reduce(t, (tl_reduce_op)7));
    expect_error_kind(TL_VALUE_ERROR, "all_reduce: unknown reduce op 7");
    assert_false(tl_dist_broadcast(t, 1));
    expect_error_kind(TL_RUNTIME_ERROR, "Invalid src rank 1: the group has ranks 0 to 0");
    assert_false(tl_dist_broadcast(t, -1));
    expect_error_kind(TL_RUNTIME_ERROR, "Invalid src rank -1: the group has ranks 0 to 0");
    assert_null(tl_dist_all_gather(tl_ones(TL_SHAPE(1, 1, 1, 1, 1, 1, 1, 1), TL_FLOAT32)));
    expect_error_kind(TL_RUNTIME_ERROR, "all_gather: a 8-d tensor gathers to more than 8 dims");
    // a NULL argument passes an earlier error through untouched
    tl_error_set(TL_VALUE_ERROR, "earlier");
    assert_false(tl_dist_all_reduce(NULL, TL_REDUCE_SUM));
    assert_null(tl_dist_all_gather(NULL));
    expect_error_kind(TL_VALUE_ERROR, "earlier");
}

// ----------------------------------------------------------------------------
// DDP in one process: the averaging leaves the gradients as they are, with one collective

static void test_ddp_world_of_one(void **state) {
    (void)state;
    assert_null(tl_ddp_new(NULL));
    tl_manual_seed(123);
    tl_module *net = neural_network_new(2, 2);
    assert_null(tl_ddp_new(net));
    expect_error_kind(TL_RUNTIME_ERROR, NOT_INIT);
    assert_true(tl_dist_init());
    tl_ddp *ddp = tl_ddp_new(net);
    assert_non_null(ddp);
    assert_ptr_equal(ddp->module, net);
    assert_int_equal(ddp->n_params, 6);
    assert_int_equal(ddp->numel, 752);

    tl_tensor *X = tl_tensor_parse("[[2.7, -1.5], [-0.9, 2.9]]"), *y = tl_tensor_parse("[1, 0]");
    tl_tensor *loss = tl_cross_entropy(tl_ddp_forward(ddp, X), y);
    assert_true(tl_backward(loss));
    tl_tensor *w = tl_module_param(net, "layers.0.weight");
    tl_tensor *before = tl_clone(w->grad);
    int64_t n0 = tl_dist_collectives_issued();
    tl_tensor *grad0 = w->grad;
    assert_true(tl_ddp_sync_grads(ddp));
    assert_int_equal(tl_dist_collectives_issued() - n0, 1);          // ONE all-reduce for 6 tensors
    assert_ptr_equal(w->grad, grad0);                                 // written in place
    assert_memory_equal(TL_DATA(w->grad, float), TL_DATA(before, float), 60 * sizeof(float));

    // a parameter without a gradient ends the step with zeros (as on a rank that did not use it)
    tl_tensor *b = tl_module_param(net, "layers.4.bias");
    tl_release(b->grad);
    b->grad = NULL;
    assert_true(tl_ddp_sync_grads(ddp));
    assert_non_null(b->grad);
    assert_float_equal(tl_get(b->grad, TL_SHAPE(1)), 0.0, 0);
    assert_false(b->grad->requires_grad);

    // a gradient shared with another tensor is replaced, never written through
    tl_tensor *shared = tl_retain(w->grad);
    float first = TL_DATA(shared, float)[0];
    TL_DATA(shared, float)[0] = 1234.5f;
    assert_true(tl_ddp_sync_grads(ddp));
    assert_ptr_not_equal(w->grad, shared);
    assert_float_equal(TL_DATA(w->grad, float)[0], 1234.5f, 0);
    TL_DATA(w->grad, float)[0] = first;
    tl_release(shared);

    assert_false(tl_ddp_sync_grads(NULL));
    assert_false(tl_ddp_backward(ddp, NULL));
    assert_null(tl_ddp_forward(NULL, X));
    tl_ddp_free(ddp);
    tl_ddp_free(NULL);

    // parameters of two dtypes
    tl_module *mixed = tl_module_new("Mixed", NULL);
    tl_module_add_parameter(mixed, "a", tl_zeros(TL_SHAPE(2), TL_FLOAT32));
    tl_module_add_parameter(mixed, "b", tl_zeros(TL_SHAPE(2), TL_FLOAT64));
    assert_null(tl_ddp_new(mixed));
    expect_error_kind(TL_RUNTIME_ERROR, "DistributedDataParallel: Torchlet's DDP needs all parameters in one floating "
                                  "dtype, but b is torch.float64 and the first is torch.float32");
    tl_module_free(mixed);
    tl_module_free(net);
}

// ----------------------------------------------------------------------------
// DistributedSampler: the catalogue's lists (§9.3) for 5 examples; chapter 05's tests already
// cover world 2, epoch 0

static void test_sampler_catalogue(void **state) {
    (void)state;
    struct { int W, rank, epoch; int64_t len, want[5]; } cases[] = {
        { 1, 0, 0, 5, { 4, 0, 1, 3, 2 } }, { 1, 0, 1, 5, { 0, 4, 2, 3, 1 } }, { 1, 0, 2, 5, { 3, 4, 1, 0, 2 } },
        { 2, 0, 1, 3, { 0, 2, 1 } },       { 2, 1, 1, 3, { 4, 3, 0 } },
        { 2, 0, 2, 3, { 3, 1, 2 } },       { 2, 1, 2, 3, { 4, 0, 3 } },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tl_sampler *s = tl_distributed_sampler_new(5, cases[c].W, cases[c].rank, true, 0, false);
        tl_distributed_sampler_set_epoch(s, cases[c].epoch);
        tl_tensor *ix = tl_sampler_indices(s);
        assert_int_equal(tl_numel(ix), cases[c].len);
        assert_memory_equal(TL_DATA(ix, int64_t), cases[c].want, (size_t)cases[c].len * sizeof(int64_t));
        tl_sampler_free(s);
    }
}

// ----------------------------------------------------------------------------
// the tutorial's script (catalogue §9.3) on this rank: seed 123, NeuralNetwork(2, 2), SGD(lr=0.5),
// a DistributedSampler per rank, batches of 2 with drop_last, 3 epochs; the losses in float64,
// as the catalogue gives them to 8 digits. Returns how many steps it took.

static int script_losses(int rank, int world, double *losses, int max) {
    int n = 0;
    TL_SCOPE {
        tl_tensor *X = tl_tensor_parse(TUTORIAL_X_TRAIN);
        tl_tensor *y = tl_tensor_parse(TUTORIAL_Y_TRAIN);
        tl_dataset *ds = tl_tensor_dataset_new(X, y);
        tl_sampler *s = tl_distributed_sampler_new(5, world, rank, true, 0, false);
        tl_dataloader *dl = tl_dataloader_new(ds, (tl_dataloader_options){ .batch_size = 2, .drop_last = true, .sampler = s });
        tl_manual_seed(123);
        tl_module *net = neural_network_new(2, 2);
        tl_sgd *opt = tl_sgd_new(net, (tl_sgd_options){ .lr = 0.5 });
        tl_ddp *ddp = tl_ddp_new(net);
        for (int epoch = 0; ddp && epoch < 3; epoch++) {
            tl_distributed_sampler_set_epoch(s, epoch);
            tl_dataloader_iterator *it = tl_dataloader_iter(dl);
            tl_tensor *xb, *yb;
            for (bool more = true; more;) {
                TL_SCOPE {
                    if ((more = tl_dataloader_next(it, &xb, &yb))) {
                        tl_tensor *loss = tl_cross_entropy(tl_ddp_forward(ddp, xb), yb);
                        tl_sgd_zero_grad(opt);
                        if (tl_ddp_backward(ddp, loss) && tl_sgd_step(opt) && n < max) losses[n++] = tl_item(loss);
                    }
                }
            }
            tl_dataloader_iter_free(it);
        }
        tl_ddp_free(ddp);
        tl_sgd_free(opt);
        tl_module_free(net);
        tl_dataloader_free(dl);
        tl_sampler_free(s);
        tl_dataset_free(ds);
    }
    return n;
}

// world size 1: six steps, the catalogue's losses to 8 digits
static void test_script_losses_world_of_one(void **state) {
    (void)state;
    assert_true(tl_dist_init());
    double got[8];
    const double want[6] = { 0.66358602, 0.32569629, 0.10120828, 0.07398465, 0.04057200, 0.01329369 };
    assert_int_equal(script_losses(0, 1, got, 8), 6);
    for (int i = 0; i < 6; i++)
        if (fabs(got[i] - want[i]) > 1e-6) fail_msg("step %d: loss %.8f, catalogue %.8f", i, got[i], want[i]);
}

// ----------------------------------------------------------------------------
// NCCL: the host-buffer collective and the errors before and without a GPU. Collectives on CUDA
// tensors and DDP on a GPU model are tests/test_ch09_nccl.c's.

static void test_nccl(void **state) {
    (void)state;
    assert_true(tl_dist_init());
    if (!tl_dist_nccl_compiled()) {
        assert_false(tl_dist_nccl_init());
        expect_error_kind(TL_RUNTIME_ERROR, "Torchlet was built without NCCL (it needs CUDA and nccl.h when it is built)");
        print_message("NCCL is not compiled into this build (no CUDA or no nccl.h): its path is not tested\n");
        skip();
    }
    if (tl_cuda_device_count() == 0) {
        assert_false(tl_dist_nccl_init());
        expect_error_kind(TL_RUNTIME_ERROR, "NCCL: rank 0 is local rank 0, but this machine has 0 GPU(s); start one rank "
                                      "per GPU (mpirun -np 0)");
        assert_false(tl_dist_nccl_all_reduce(NULL, 0, TL_FLOAT32, TL_REDUCE_SUM));
        expect_error_kind(TL_RUNTIME_ERROR, "NCCL all_reduce before tl_dist_nccl_init");
        assert_false(tl_dist_nccl_all_reduce_host((float[]){ 1 }, 1, TL_REDUCE_SUM));
        expect_error_kind(TL_RUNTIME_ERROR, "NCCL all_reduce before tl_dist_nccl_init");
        print_message("NCCL is compiled in, but this machine has no GPU: one-rank NCCL run skipped\n");
        skip();
    }
    assert_true(tl_dist_nccl_init());                           // one rank on GPU 0
    float v[3] = { 1.5f, -2.0f, 3.25f };
    assert_true(tl_dist_nccl_all_reduce_host(v, 3, TL_REDUCE_SUM));   // a world of one: unchanged
    assert_true(tl_dist_nccl_all_reduce_host(v, 3, TL_REDUCE_AVG));
    assert_float_equal(v[0], 1.5, 0);
    assert_float_equal(v[2], 3.25, 0);
    assert_true(tl_dist_nccl_all_reduce(NULL, 0, TL_FLOAT32, TL_REDUCE_AVG));
    assert_false(tl_dist_nccl_all_reduce(NULL, 0, TL_BOOL, TL_REDUCE_SUM));
    expect_error_kind(TL_RUNTIME_ERROR, "NCCL all_reduce: ReduceOp.SUM with torch.bool is not supported");
    tl_dist_nccl_destroy();
    print_message("NCCL ran on GPU 0 with one rank\n");
}

// ----------------------------------------------------------------------------
// two ranks under mpirun

// the lines of `text` that start with `prefix`, in order, one per entry, with the prefix cut
static int lines_after(const char *text, const char *prefix, char lines[][64], int max) {
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *p = text; p && *p && n < max; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, prefix, len) != 0) continue;
        const char *end = strchr(p + len, '\n');
        size_t l = end ? (size_t)(end - p - len) : strlen(p + len);
        if (l > 63) l = 63;
        memcpy(lines[n], p + len, l);
        lines[n++][l] = '\0';
    }
    return n;
}

static char output[1 << 16];

// the lab as the tutorial's script on two CPU ranks: the losses derived from the script (catalogue
// §9.3), accuracies 1.0, and the header printed by rank 0 only
static void test_two_ranks_lab(void **state) {
    (void)state;
    if (!have_mpirun()) skip();
    char lab[1024];
    snprintf(lab, sizeof lab, "%s/%s/labs/09-ddp", getenv("TL_ROOT") ? getenv("TL_ROOT") : ".",
             getenv("TL_BUILD") ? getenv("TL_BUILD") : "build");
    assert_int_equal(access(lab, X_OK), 0);
    double seconds;
    int status = mpirun_ranks(2, lab, "", 120, output, sizeof output, &seconds);
    if (status != 0) fail_msg("mpirun -np 2 %s: exit status %d\n%s", lab, status, output);
    const char *want[2][3] = { { "0.66", "0.23", "0.13" }, { "0.67", "0.45", "0.11" } };
    for (int r = 0; r < 2; r++) {
        char prefix[96], got[8][64];
        for (int e = 0; e < 3; e++) {
            snprintf(prefix, sizeof prefix, "[CPU%d] Epoch: %03d/003 | Batchsize 002 | Train/Val Loss: ", r, e + 1);
            assert_int_equal(lines_after(output, prefix, got, 8), 1);       // one batch per rank and epoch
            assert_string_equal(got[0], want[r][e]);
        }
        snprintf(prefix, sizeof prefix, "[CPU%d] Training accuracy ", r);
        assert_int_equal(lines_after(output, prefix, got, 8), 3);
        for (int e = 0; e < 3; e++) assert_string_equal(got[e], "1.0");
        snprintf(prefix, sizeof prefix, "[CPU%d] Test accuracy ", r);
        assert_int_equal(lines_after(output, prefix, got, 8), 3);
        for (int e = 0; e < 3; e++) assert_string_equal(got[e], "1.0");
    }
    char got[8][64];
    assert_int_equal(lines_after(output, "World size: ", got, 8), 1);       // rank 0 only
    assert_string_equal(got[0], "2 (backend: mpi)");
}

static void run_worker_test(const char *name, const char *expect) {
    if (!have_mpirun()) skip();
    expect_ranks_say(self_path, name, expect, output, sizeof output);
}

static void test_two_ranks_ddp_step(void **state) { (void)state; run_worker_test("step", "step ok"); }
static void test_two_ranks_script_losses(void **state) { (void)state; run_worker_test("script", "script ok"); }
static void test_two_ranks_collectives(void **state) { (void)state; run_worker_test("collectives", "collectives ok"); }
static void test_two_ranks_ddp_dtype(void **state) { (void)state; run_worker_test("ddp_dtype", "ddp dtype ok"); }

// a rank that dies (SIGKILL) or fails (exits 3 without finalising MPI) while the other waits in an
// all-reduce: the job must end, non-zero, within seconds
static void test_failing_rank_stops_the_job(void **state) {
    (void)state;
    if (!have_mpirun()) skip();
    const char *cases[] = { "--rank-worker kill", "--rank-worker fail" };
    for (int c = 0; c < 2; c++) {
        double seconds;
        int status = mpirun_ranks(2, self_path, cases[c], 120, output, sizeof output, &seconds);
        print_message("%s: exit status %d after %.2f s\n", cases[c], status, seconds);
        if (status == 0) fail_msg("%s: the job succeeded\n%s", cases[c], output);
        if (status == 124) fail_msg("%s: the job hung until timeout killed it\n%s", cases[c], output);
        if (seconds > 10) fail_msg("%s: the job took %.1f s to stop\n%s", cases[c], seconds, output);
        if (!strstr(output, "rank 0: waiting in all_reduce")) fail_msg("%s: rank 0 never waited\n%s", cases[c], output);
        if (strstr(output, "rank 0: all_reduce returned")) fail_msg("%s: rank 0 went on\n%s", cases[c], output);
    }
}

// a job that prints more than the output buffer holds: mpirun_ranks reads the rest and drops it,
// so the job ends normally, with status 0 (not killed by SIGPIPE, status 141, nor left blocked on a
// full pipe until `timeout` kills it)
static void test_chatty_job_ends(void **state) {
    (void)state;
    if (!have_mpirun()) skip();
    static char small[4096];
    double seconds;
    int status = mpirun_ranks(2, self_path, "--rank-worker chatty", 60, small, sizeof small, &seconds);
    if (status != 0) fail_msg("--rank-worker chatty: exit status %d after %.1f s\n%s", status, seconds, small);
    assert_int_equal(strlen(small), sizeof small - 1);
    if (seconds > 30) fail_msg("--rank-worker chatty: the job took %.1f s", seconds);
}

// ----------------------------------------------------------------------------
// the workers: run by mpirun, one process per rank; print "rank R: ..." lines, exit 0 when fine

// One DDP step on two ranks (rank 0: examples 4 and 1, rank 1: examples 0 and 3, the sampler's
// epoch-0 shares) against one plain step on all four examples: the same parameters on both ranks,
// bit for bit, and equal to the plain step's up to float rounding.
static int worker_step(int rank) {
    WCHECK(tl_dist_world_size() == 2);
    int64_t rows[2][2] = { { 4, 1 }, { 0, 3 } };
    tl_tensor *Xr, *yr, *Xu, *yu;
    tutorial_batch(rows[rank], 2, "cpu", &Xr, &yr);
    tutorial_batch((int64_t[]){ 4, 1, 0, 3 }, 4, "cpu", &Xu, &yu);
    WCHECK(Xr && yr && Xu && yu);

    tl_manual_seed(rank == 0 ? 123 : 999);          // rank 1 starts elsewhere: DDP must fix that
    tl_module *net = neural_network_new(2, 2);
    tl_manual_seed(123);
    tl_module *ref = neural_network_new(2, 2);
    tl_ddp *ddp = tl_ddp_new(net);
    WCHECK(ddp);
    WCHECK(memcmp(TL_DATA(params_cpu(net), float), TL_DATA(params_cpu(ref), float), 752 * sizeof(float)) == 0);

    tl_sgd *opt = tl_sgd_new(net, (tl_sgd_options){ .lr = 0.5 }), *ref_opt = tl_sgd_new(ref, (tl_sgd_options){ .lr = 0.5 });
    int64_t n0 = tl_dist_collectives_issued();
    tl_tensor *loss = tl_cross_entropy(tl_ddp_forward(ddp, Xr), yr);
    tl_sgd_zero_grad(opt);
    WCHECK(tl_ddp_backward(ddp, loss));
    WCHECK(tl_dist_collectives_issued() - n0 == 1);
    WCHECK(tl_sgd_step(opt));
    double want_loss[2] = { 0.66377997, 0.66800535 };      // catalogue §9.3: the first step's losses
    WCHECK(fabs(tl_item(loss) - want_loss[rank]) < 1e-6);

    tl_tensor *ref_loss = tl_cross_entropy(tl_module_forward(ref, Xu), yu);
    tl_sgd_zero_grad(ref_opt);
    WCHECK(tl_backward(ref_loss));
    WCHECK(tl_sgd_step(ref_opt));

    tl_tensor *mine = params_cpu(net), *single = params_cpu(ref);
    tl_tensor *all = tl_dist_all_gather(mine);
    WCHECK(all && all->shape[0] == 2 && all->shape[1] == 752);
    WCHECK(memcmp(TL_DATA(all, float), TL_DATA(all, float) + 752, 752 * sizeof(float)) == 0);
    double worst = max_diff(mine, single);
    WCHECK(worst < 1e-6);
    printf("rank %d: step ok (largest difference to the single-process step %.2g)\n", rank, worst);
    tl_sgd_free(opt);
    tl_sgd_free(ref_opt);
    tl_ddp_free(ddp);
    tl_module_free(net);
    tl_module_free(ref);
    return 0;
}

// world size 2: three steps per rank, the catalogue's losses to 8 digits
static int worker_script(int rank) {
    WCHECK(tl_dist_world_size() == 2);
    const double want[2][3] = { { 0.66377997, 0.22732145, 0.13425237 }, { 0.66800535, 0.44524431, 0.10502125 } };
    double got[8];
    WCHECK(script_losses(rank, 2, got, 8) == 3);
    for (int i = 0; i < 3; i++) {
        if (fabs(got[i] - want[rank][i]) > 1e-6) {
            printf("rank %d: step %d: loss %.8f, catalogue %.8f\n", rank, i, got[i], want[rank][i]);
            tl_dist_abort(1);
        }
    }
    printf("rank %d: script ok (%.8f %.8f %.8f)\n", rank, got[0], got[1], got[2]);
    return 0;
}

static int worker_collectives(int rank) {
    WCHECK(tl_dist_world_size() == 2);
    WCHECK(strcmp(tl_dist_backend(), "mpi") == 0);
    WCHECK(strcmp(tl_dist_backend_for("cpu"), "mpi") == 0);
    WCHECK(tl_dist_local_rank() == rank && tl_dist_local_world_size() == 2);    // one machine
    WCHECK(tl_dist_launcher_world_size() == 2);

    tl_tensor *f = tl_full(TL_SHAPE(3), rank + 1, TL_FLOAT32);          // 1s and 2s
    WCHECK(tl_dist_all_reduce(f, TL_REDUCE_SUM) && tl_get(f, TL_SHAPE(2)) == 3.0);
    tl_tensor *d = tl_full(TL_SHAPE(2, 2), rank == 0 ? 1.0 : 2.0, TL_FLOAT64);
    WCHECK(tl_dist_all_reduce(d, TL_REDUCE_AVG) && tl_get(d, TL_SHAPE(1, 1)) == 1.5);
    tl_tensor *i = tl_full(TL_SHAPE(4), 10 * (rank + 1), TL_INT64);
    WCHECK(tl_dist_all_reduce(i, TL_REDUCE_SUM) && tl_get(i, TL_SHAPE(3)) == 30.0);

    tl_tensor *b = tl_full(TL_SHAPE(5), rank == 1 ? 7.0 : -1.0, TL_FLOAT32);
    WCHECK(tl_dist_broadcast(b, 1) && tl_get(b, TL_SHAPE(4)) == 7.0);
    WCHECK(!tl_dist_broadcast(b, 2));
    tl_error_clear();

    tl_tensor *g = tl_dist_all_gather(tl_full(TL_SHAPE(2), rank, TL_INT64));
    WCHECK(g && g->shape[0] == 2 && g->shape[1] == 2 && tl_get(g, TL_SHAPE(0, 1)) == 0 && tl_get(g, TL_SHAPE(1, 0)) == 1);
    // a rank with another size: an error on both ranks, nobody blocked
    WCHECK(tl_dist_all_gather(tl_zeros(TL_SHAPE(rank + 1), TL_FLOAT32)) == NULL);
    WCHECK(strcmp(tl_error(), "all_gather: every rank must give a tensor of the same size, but rank 0 gave 1 "
                              "elements and rank 1 gave 2") == 0);
    tl_error_clear();

    // a model that differs between ranks: PyTorch's message, on both ranks
    tl_module *m = rank == 0 ? neural_network_new(2, 2) : tl_linear_new(2, 2, true);
    WCHECK(tl_ddp_new(m) == NULL);
    if (rank == 0) WCHECK(strcmp(tl_error(), "DDP expects same model across all ranks, but Rank 1 has 2 params, "
                                             "while rank 0 has inconsistent 6 params.") == 0);
    tl_error_clear();
    tl_module_free(m);
    m = rank == 0 ? tl_linear_new(2, 3, true) : tl_linear_new(3, 2, true);
    WCHECK(tl_ddp_new(m) == NULL);
    WCHECK(strstr(tl_error(), "hold 8 values and those of rank 0 9") != NULL);
    tl_error_clear();
    tl_module_free(m);

    WCHECK(tl_dist_barrier());
    printf("rank %d: collectives ok\n", rank);
    return 0;
}

// DDP(model) where rank 1's model is not fit to wrap (a float64 parameter among float32 ones) or is
// float64 where rank 0's is float32: both ranks fail, no rank waits for the other, and the message
// names the rank (the mismatched rank keeps its own message, which names the parameter)
static int worker_ddp_dtype(int rank) {
    WCHECK(tl_dist_world_size() == 2);
    tl_module *m = tl_module_new("M", NULL);
    WCHECK(tl_module_add_parameter(m, "a", tl_zeros(TL_SHAPE(2), TL_FLOAT32)));
    WCHECK(tl_module_add_parameter(m, "b", tl_zeros(TL_SHAPE(2), rank == 1 ? TL_FLOAT64 : TL_FLOAT32)));
    WCHECK(tl_ddp_new(m) == NULL);
    if (rank == 0) WCHECK(strcmp(tl_error(), "DistributedDataParallel: rank 1 could not wrap its model (its own "
                                             "error says why), so no rank wraps it") == 0);
    else WCHECK(strcmp(tl_error(), "DistributedDataParallel: Torchlet's DDP needs all parameters in one floating "
                                   "dtype, but b is torch.float64 and the first is torch.float32") == 0);
    tl_error_clear();
    tl_module_free(m);

    // the same model, float32 on rank 0 and float64 on rank 1: the broadcast would garble rank 1's
    m = tl_linear_new(2, 2, true);
    if (rank == 1) WCHECK(tl_module_to_dtype(m, TL_FLOAT64));
    WCHECK(tl_ddp_new(m) == NULL);
    WCHECK(strcmp(tl_error(), "DDP expects same model across all ranks, but the parameters of rank 1 are "
                              "torch.float64 and those of rank 0 torch.float32.") == 0);
    tl_error_clear();
    tl_module_free(m);

    WCHECK(tl_dist_barrier());
    printf("rank %d: ddp dtype ok\n", rank);
    return 0;
}

// rank 1 dies (kill) or fails (exits without destroying the group); rank 0 waits for it in an
// all-reduce that can never complete
static int worker_failure(int rank, bool kill_it) {
    if (rank == 1) {
        nanosleep(&(struct timespec){ 0, 200 * 1000 * 1000 }, NULL);
        if (kill_it) raise(SIGKILL);
        printf("rank 1: failing with exit status 3\n");
        fflush(stdout);
        _exit(3);
    }
    printf("rank 0: waiting in all_reduce\n");
    fflush(stdout);
    tl_tensor *t = tl_ones(TL_SHAPE(4), TL_FLOAT32);
    tl_dist_all_reduce(t, TL_REDUCE_SUM);
    printf("rank 0: all_reduce returned\n");
    return 0;
}

// 256 KiB of lines per rank, far more than a pipe holds
static int worker_chatty(int rank) {
    for (int i = 0; i < 4096; i++) printf("rank %d: line %04d of a chatty job ...................................\n", rank, i);
    return 0;
}

static int worker_kill(int rank) { return worker_failure(rank, true); }
static int worker_fail(int rank) { return worker_failure(rank, false); }

static const rank_worker workers[] = {
    { "step", worker_step }, { "collectives", worker_collectives }, { "script", worker_script },
    { "kill", worker_kill }, { "fail", worker_fail }, { "ddp_dtype", worker_ddp_dtype },
    { "chatty", worker_chatty },
};

int main(int argc, char **argv) {
    self_path = argv[0];
    if (argc == 3 && strcmp(argv[1], "--rank-worker") == 0) return run_rank_worker(argv[2], workers, sizeof workers / sizeof *workers);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_world_of_one, setup, dist_teardown),
        cmocka_unit_test_setup_teardown(test_collectives_world_of_one, setup, dist_teardown),
        cmocka_unit_test_setup_teardown(test_ddp_world_of_one, setup, dist_teardown),
        cmocka_unit_test_setup_teardown(test_sampler_catalogue, setup, dist_teardown),
        cmocka_unit_test_setup_teardown(test_script_losses_world_of_one, setup, dist_teardown),
        cmocka_unit_test_setup_teardown(test_nccl, setup, dist_teardown),
        cmocka_unit_test_setup_teardown(test_two_ranks_lab, setup, dist_teardown),
        cmocka_unit_test_setup_teardown(test_two_ranks_ddp_step, setup, dist_teardown),
        cmocka_unit_test_setup_teardown(test_two_ranks_script_losses, setup, dist_teardown),
        cmocka_unit_test_setup_teardown(test_two_ranks_collectives, setup, dist_teardown),
        cmocka_unit_test_setup_teardown(test_two_ranks_ddp_dtype, setup, dist_teardown),
        cmocka_unit_test_setup_teardown(test_failing_rank_stops_the_job, setup, dist_teardown),
        cmocka_unit_test_setup_teardown(test_chatty_job_ends, setup, dist_teardown),
    };
    return cmocka_run_group_tests_name("ch09_dist", tests, NULL, NULL);
}
