/* generated from chapters/09-ddp/09-ddp.md by tools/tangle.lua; edit the chapter, not this file */
#line 1104 "chapters/09-ddp/09-ddp.md"
// 09-ddp — tutorial §9.3: DistributedDataParallel on CPU processes. A notebook when run plainly;
// the tutorial's stand-alone script on every rank when started by mpirun with several ranks.
#define _POSIX_C_SOURCE 200809L
#include "torchlet.h"
#include "neural_network.h"            // the tutorial's NeuralNetwork, as chapter 04 defines it
#include "training_loop.h"             // compute_accuracy_on, as chapter 06 defines it
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#line 1136 "chapters/09-ddp/09-ddp.md"
// NEW: the process group (the tutorial's ddp_setup): mpirun decided the ranks, MPI connects them;
// the device is this rank's GPU (cuda:<local rank>) when there is one per rank, else the CPU
static const char *ddp_setup(void) {
    TL_CHECK(tl_dist_init());
    return tl_dist_device();
}
#line 1184 "chapters/09-ddp/09-ddp.md"
typedef struct {
    tl_dataset    *train_ds, *test_ds;
    tl_sampler    *sampler;               // the training loader's DistributedSampler
    tl_dataloader *train_loader, *test_loader;
} toy_data;

static bool prepare_dataset(toy_data *d, int rank, int world_size) {
    *d = (toy_data){ 0 };
    TL_SCOPE {
        tl_tensor *X_train = tl_tensor_parse("[[-1.2, 3.1], [-0.9, 2.9], [-0.5, 2.6], [2.3, -1.1], [2.7, -1.5]]");
        tl_tensor *y_train = tl_tensor_parse("[0, 0, 0, 1, 1]");
        tl_tensor *X_test = tl_tensor_parse("[[-0.8, 2.8], [2.6, -1.6]]");
        tl_tensor *y_test = tl_tensor_parse("[0, 1]");
        d->train_ds = tl_tensor_dataset_new(X_train, y_train);
        d->test_ds = tl_tensor_dataset_new(X_test, y_test);
    }
    // NEW: chunk the examples across the ranks without overlap (shuffle=True, seed=0)
    d->sampler = tl_distributed_sampler_new(tl_dataset_len(d->train_ds), world_size, rank, true, 0, false);
    d->train_loader = tl_dataloader_new(d->train_ds, (tl_dataloader_options){
        .batch_size = 2, .drop_last = true, .sampler = d->sampler });   // shuffle=False: the sampler shuffles
    d->test_loader = tl_dataloader_new(d->test_ds, (tl_dataloader_options){ .batch_size = 2 });
    return d->sampler && d->train_loader && d->test_loader;
}

static void free_dataset(toy_data *d) {
    tl_dataloader_free(d->train_loader);
    tl_dataloader_free(d->test_loader);
    tl_sampler_free(d->sampler);
    tl_dataset_free(d->train_ds);
    tl_dataset_free(d->test_ds);
}

// the indices a sampler gives in one pass, as a Python list
static void print_indices(tl_sampler *s) {
    TL_SCOPE {
        tl_tensor *ix = tl_sampler_indices(s);
        printf("[");
        for (int64_t i = 0; ix && i < tl_numel(ix); i++) printf("%s%lld", i ? ", " : "", (long long)TL_DATA(ix, int64_t)[i]);
        printf("]");
    }
}
#line 1271 "chapters/09-ddp/09-ddp.md"
// false + the tutorial's hint when this rank's loader gave no batch
static bool rank_accuracy(tl_module *model, tl_dataloader *loader, const char *device, double *accuracy) {
    *accuracy = compute_accuracy_on(model, loader, device);
    if (!isnan(*accuracy)) return true;
    tl_error_set(TL_RUNTIME_ERROR, "division by zero: this rank's loader gave no batch.\n\nThis script is "
                 "designed for 2 ranks. You can run it as:\nmpirun -np 2 build/labs/09-ddp\nOr, for more "
                 "ranks, enlarge the data set in prepare_dataset.");
    return false;
}
#line 1294 "chapters/09-ddp/09-ddp.md"
// the log lines' prefix: [GPU0] on a GPU, as in the tutorial, [CPU0] on the CPU
static const char *tag(const char *device) { return strncmp(device, "cuda", 4) == 0 ? "GPU" : "CPU"; }

static void log_error(int rank, const char *device) {
    fprintf(stderr, "[%s%d] %s: %s\n", tag(device), rank, tl_error_kind_name(tl_error_kind()), tl_error());
}

// NEW: the training run of one rank (the tutorial's main(rank, world_size, num_epochs)) on device
static bool ddp_main(int rank, int world_size, int num_epochs, const char *device) {
    toy_data data;
    bool ok = prepare_dataset(&data, rank, world_size);
    tl_module *model = neural_network_new(2, 2);
    ok = ok && tl_module_to(model, device);        // NEW: model.to(rank)
    tl_sgd *optimizer = tl_sgd_new(model, (tl_sgd_options){ .lr = 0.5 });
    tl_ddp *ddp = ok ? tl_ddp_new(model) : NULL;   // NEW: wrap the model; the core model is ddp->module
    ok = ok && optimizer && ddp;

    for (int epoch = 0; ok && epoch < num_epochs; epoch++) {
        tl_distributed_sampler_set_epoch(data.sampler, epoch);   // NEW: a new shuffle every epoch
        tl_module_train(ddp->module, true);
        tl_dataloader_iterator *it = tl_dataloader_iter(data.train_loader);
        tl_tensor *features, *labels;
        for (bool more = it != NULL; ok && more;) {
            TL_SCOPE {
                if ((more = tl_dataloader_next(it, &features, &labels))) {
                    features = tl_to(features, device), labels = tl_to(labels, device);   // NEW
                    tl_tensor *logits = tl_ddp_forward(ddp, features);
                    tl_tensor *loss = tl_cross_entropy(logits, labels);      // loss function

                    tl_sgd_zero_grad(optimizer);
                    ok = tl_ddp_backward(ddp, loss) && tl_sgd_step(optimizer);   // NEW: grads averaged

                    // LOGGING
                    if (ok) printf("[%s%d] Epoch: %03d/%03d | Batchsize %03lld | Train/Val Loss: %.2f\n", tag(device),
                                   rank, epoch + 1, num_epochs, (long long)labels->shape[0], tl_item(loss));
                }
            }
        }
        tl_dataloader_iter_free(it);

        tl_module_eval(ddp->module);
        double train_acc = 0, test_acc = 0;
        ok = ok && rank_accuracy(ddp->module, data.train_loader, device, &train_acc);
        if (ok) printf("[%s%d] Training accuracy %s\n", tag(device), rank, tl_float_repr(train_acc));
        ok = ok && rank_accuracy(ddp->module, data.test_loader, device, &test_acc);
        if (ok) printf("[%s%d] Test accuracy %s\n", tag(device), rank, tl_float_repr(test_acc));
    }
    if (!ok) log_error(rank, device);
    tl_ddp_free(ddp);
    tl_sgd_free(optimizer);
    tl_module_free(model);
    free_dataset(&data);
    return ok;
}
#line 1456 "chapters/09-ddp/09-ddp.md"
static int run_script(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *device = ddp_setup();
    int rank = tl_dist_rank(), world_size = tl_dist_world_size();
    if (rank == 0) {        // only print in the first process
        printf("Torchlet version: %s\n", tl_version());
        printf("CUDA available: %s\n", tl_cuda_is_available() ? "True" : "False");
        printf("Number of GPUs available: %d\n", tl_cuda_device_count());
        printf("World size: %d (backend: %s)\n", world_size, tl_dist_backend_for(device));
    }
    tl_manual_seed(123);
    int num_epochs = 3;
    if (!ddp_main(rank, world_size, num_epochs, device)) tl_dist_abort(1);   // stop every rank, not just this one
    tl_dist_destroy();      // NEW: cleanly exit distributed mode
    return 0;
}
#line 1677 "chapters/09-ddp/09-ddp.md"
static int cmp_desc(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}
#line 1116 "chapters/09-ddp/09-ddp.md"

int main(int argc, char **argv) {
    if (tl_dist_launcher_world_size() > 1 || (argc > 1 && strcmp(argv[1], "--script") == 0))
        return run_script();        // mpirun -np N build/labs/09-ddp: the script, on every rank
    tl_lab_begin(argc, argv);
#line 1145 "chapters/09-ddp/09-ddp.md"
    TL_CELL("ddp_setup(): the process group");
    const char *device = ddp_setup();      // the notebook trains on the CPU, then on this device if it is a GPU
    int rank = tl_dist_rank(), world_size = tl_dist_world_size();
    printf("rank %d of %d, local rank %d of %d, backend: %s\n", rank, world_size, tl_dist_local_rank(),
           tl_dist_local_world_size(), tl_dist_backend());
#line 1160 "chapters/09-ddp/09-ddp.md"
    TL_CELL("rank 0 prints the header");
    if (rank == 0) {            // only print in the first process
        printf("Torchlet version: %s\n", tl_version());
        printf("CUDA available: %s\n", tl_cuda_is_available() ? "True" : "False");
        printf("Number of GPUs available: %d\n", tl_cuda_device_count());
    }
#line 1232 "chapters/09-ddp/09-ddp.md"
    TL_CELL("DistributedSampler: each rank's share, epochs 0-2");
    for (int W = 1; W <= 2; W++) {
        for (int epoch = 0; epoch < 3; epoch++) {
            printf("world size %d, epoch %d:", W, epoch);
            for (int r = 0; r < W; r++) {
                tl_sampler *s = tl_distributed_sampler_new(5, W, r, true, 0, false);
                tl_distributed_sampler_set_epoch(s, epoch);
                printf(" rank %d ", r);
                print_indices(s);
                tl_sampler_free(s);
            }
            printf("\n");
        }
    }
#line 1354 "chapters/09-ddp/09-ddp.md"
    TL_CELL("main(rank, world_size, num_epochs=3)");
    tl_manual_seed(123);
    int num_epochs = 3;
    TL_CHECK(ddp_main(rank, world_size, num_epochs, "cpu"));
#line 1384 "chapters/09-ddp/09-ddp.md"
    TL_CELL("main on the GPU");
    if (strcmp(device, "cpu") == 0) {
        printf("skipped: needs a CUDA device and NCCL (this machine has %d GPU(s); NCCL is %sin this build)\n",
               tl_cuda_device_count(), tl_dist_nccl_compiled() ? "" : "not ");
    } else {
        tl_manual_seed(123);
        TL_CHECK(ddp_main(rank, world_size, num_epochs, device));
    }
#line 1417 "chapters/09-ddp/09-ddp.md"
    TL_CELL("model.module, and the collectives of one step");
    tl_manual_seed(123);
    tl_module *net = neural_network_new(2, 2);
    tl_ddp *model = TL_CHECK(tl_ddp_new(net));
    tl_module_print(model->module);
    printf("%d parameter tensors, %lld values in one flat buffer\n", model->n_params, (long long)model->numel);
    int64_t before = tl_dist_collectives_issued();
    TL_SCOPE {
        tl_tensor *X = tl_tensor_parse("[[2.7, -1.5], [-1.2, 3.1]]"), *y = tl_tensor_parse("[1, 0]");
        TL_CHECK(tl_ddp_backward(model, tl_cross_entropy(tl_ddp_forward(model, X), y)));
    }
    printf("collectives in one step: %lld\n", (long long)(tl_dist_collectives_issued() - before));
#line 1477 "chapters/09-ddp/09-ddp.md"
    TL_CELL("destroy_process_group()");
    tl_ddp_free(model);
    tl_module_free(net);
    tl_dist_destroy();
    printf("initialized: %s\n", tl_dist_is_initialized() ? "True" : "False");
#line 1639 "chapters/09-ddp/09-ddp.md"
    TL_CELL("synchronous vs stale updates");
    for (int staleness = 0; staleness <= 4; staleness++) {
        if (staleness == 3) continue;
        double w[31] = { 0.0 };                            // w[t]: the weights after t updates
        for (int t = 0; t < 30; t++) {
            double seen = w[t - staleness >= 0 ? t - staleness : 0];   // what the worker computed on
            w[t + 1] = w[t] - 0.9 * (seen - 2.0);                       // the server applies its gradient
        }
        printf("staleness %d: distance to the minimum after 30 updates %.4f\n", staleness, fabs(w[30] - 2.0));
    }
#line 1684 "chapters/09-ddp/09-ddp.md"
    TL_CELL("gradient compression: top 10% and 8 bits");
    tl_manual_seed(123);
    tl_module *cnet = neural_network_new(2, 2);
    TL_SCOPE {
        tl_tensor *X = tl_tensor_parse("[[2.7, -1.5], [-1.2, 3.1]]"), *y = tl_tensor_parse("[1, 0]");
        tl_backward(tl_cross_entropy(tl_module_forward(cnet, X), y));
        float grad[752], mag[752];
        tl_named_tensor *ps;
        int np = tl_module_parameters(cnet, &ps), n = 0;
        for (int i = 0; i < np; i++)
            for (int64_t j = 0; j < tl_numel(ps[i].tensor); j++) grad[n++] = TL_DATA(ps[i].tensor->grad, float)[j];
        double norm2 = 0, kept2 = 0, max = 0, err2 = 0;
        for (int i = 0; i < n; i++) {
            mag[i] = fabsf(grad[i]);
            norm2 += (double)grad[i] * grad[i];
            if (mag[i] > max) max = mag[i];
        }
        int k = n / 10;
        qsort(mag, (size_t)n, sizeof *mag, cmp_desc);
        for (int i = 0; i < n; i++) if (fabsf(grad[i]) >= mag[k - 1]) kept2 += (double)grad[i] * grad[i];
        double scale = max / 127;                               // 8 bits: round(g / scale) in [-127, 127]
        for (int i = 0; i < n; i++) {
            double q = round(grad[i] / scale) * scale;
            err2 += (q - grad[i]) * (q - grad[i]);
        }
        printf("top %d of %d values: %.1f%% of the gradient's length, %d bytes instead of %d\n", k, n,
               100 * sqrt(kept2 / norm2), k * 8, n * 4);
        printf("8 bits per value: relative error %.4f, %d bytes instead of %d\n", sqrt(err2 / norm2), n + 4, n * 4);
    }
    tl_module_free(cnet);
#line 1122 "chapters/09-ddp/09-ddp.md"
    return tl_lab_end();
}
