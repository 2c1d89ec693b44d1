/* generated from chapters/08-gpu/08-gpu.md by tools/tangle.lua; edit the chapter, not this file */
#line 2147 "chapters/08-gpu/08-gpu.md"
// 08-gpu — tutorial §9.1 and §9.2: tensors on a GPU, the device-mismatch error, training on a GPU.
#define _POSIX_C_SOURCE 200809L
#include "torchlet.h"
#include "neural_network.h"
#include <stdio.h>
#include <time.h>

#line 2164 "chapters/08-gpu/08-gpu.md"
// true when a CUDA device can be used; otherwise prints the cell's "skipped" line and its reason
static bool needs_cuda(void) {
    if (tl_cuda_is_available()) return true;
    printf("skipped: needs a CUDA device (%s)\n",
           tl_cuda_compiled() ? "none on this machine" : "this build has no CUDA");
    return false;
}

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
#line 2155 "chapters/08-gpu/08-gpu.md"

int main(int argc, char **argv) {
    tl_lab_begin(argc, argv);
#line 2185 "chapters/08-gpu/08-gpu.md"
    TL_CELL("is CUDA available?");
    printf("%s\n", tl_cuda_is_available() ? "True" : "False");
#line 2198 "chapters/08-gpu/08-gpu.md"
    TL_CELL("adding on the CPU");
    tl_tensor *tensor_1 = tl_tensor_parse("[1., 2., 3.]");
    tl_tensor *tensor_2 = tl_tensor_parse("[4., 5., 6.]");
    tl_print(tl_add(tensor_1, tensor_2));
#line 2211 "chapters/08-gpu/08-gpu.md"
    TL_CELL("adding on the GPU");
    if (needs_cuda()) {
        tensor_1 = tl_to(tensor_1, "cuda");
        tensor_2 = tl_to(tensor_2, "cuda");
        tl_print(tl_add(tensor_1, tensor_2));
    }
#line 2227 "chapters/08-gpu/08-gpu.md"
    TL_CELL("tensors on two devices");
    if (needs_cuda()) {
        tensor_1 = tl_to(tensor_1, "cpu");
        tl_print(tl_add(tensor_1, tensor_2));    // NULL: tl_print prints the recorded error
    }
#line 2243 "chapters/08-gpu/08-gpu.md"
    TL_CELL("asking for a GPU where there is none");
    if (!tl_cuda_is_available()) tl_print(tl_to(tl_tensor_parse("[1., 2., 3.]"), "cuda"));
    else printf("(this machine has a GPU)\n");
#line 2260 "chapters/08-gpu/08-gpu.md"
    TL_CELL("training on the GPU");
    tl_tensor *X_train = tl_tensor_parse("[[-1.2, 3.1], [-0.9, 2.9], [-0.5, 2.6], [2.3, -1.1], [2.7, -1.5]]");
    tl_tensor *y_train = tl_tensor_parse("[0, 0, 0, 1, 1]");
    tl_dataset *train_ds = tl_tensor_dataset_new(X_train, y_train);
    tl_dataloader *train_loader = tl_dataloader_new(train_ds,
        (tl_dataloader_options){ .batch_size = 2, .shuffle = true, .drop_last = true });
    if (needs_cuda()) {
        tl_manual_seed(123);
        tl_module *model = neural_network_new(2, 2);
        const char *device = "cuda";                        // New: a device variable
        TL_CHECK(tl_module_to(model, device));              // New: the model onto the GPU
        tl_sgd *optimizer = tl_sgd_new(model, (tl_sgd_options){ .lr = 0.5 });
        int num_epochs = 3;
        for (int epoch = 0; epoch < num_epochs; epoch++) {
            tl_module_train(model, true);
            tl_dataloader_iterator *it = tl_dataloader_iter(train_loader);
            tl_tensor *features, *labels;
            for (int batch_idx = 0; ; batch_idx++) {
                bool more = false;
                TL_SCOPE {
                    if ((more = tl_dataloader_next(it, &features, &labels))) {
                        features = tl_to(features, device);     // New: the data onto the GPU
                        labels = tl_to(labels, device);
                        tl_tensor *logits = tl_module_forward(model, features);
                        tl_tensor *loss = TL_CHECK(tl_cross_entropy(logits, labels));
                        tl_sgd_zero_grad(optimizer);
                        tl_backward(loss);
                        tl_sgd_step(optimizer);
                        printf("Epoch: %03d/%03d | Batch %03d/%03lld | Train/Val Loss: %.2f\n", epoch + 1, num_epochs,
                               batch_idx, (long long)tl_dataloader_len(train_loader), tl_item(loss));
                    }
                }
                if (!more) break;
            }
            tl_dataloader_iter_free(it);
            tl_module_eval(model);          // optional model evaluation
        }
        tl_sgd_free(optimizer);
        tl_module_free(model);
    }
    tl_dataloader_free(train_loader);
    tl_dataset_free(train_ds);
#line 2318 "chapters/08-gpu/08-gpu.md"
    TL_CELL("the device-agnostic idiom");
    const char *device = tl_default_device();   // "cuda" if available, else "cpu"
    printf("%s\n", device);
#line 2336 "chapters/08-gpu/08-gpu.md"
    TL_CELL("CPU against GPU: a 4096 x 4096 matrix product");
    if (needs_cuda()) {
        TL_SCOPE {
            tl_manual_seed(123);
            tl_tensor *a = tl_rand(TL_SHAPE(4096, 4096), NULL), *b = tl_rand(TL_SHAPE(4096, 4096), NULL);
            double t0 = seconds();
            tl_matmul(a, b);
            double cpu = seconds() - t0;
            tl_tensor *ga = tl_to(a, "cuda"), *gb = tl_to(b, "cuda");
            tl_matmul(ga, gb);                       // a first product: cuBLAS loads and warms up
            tl_cuda_synchronize(0);
            t0 = seconds();
            tl_matmul(ga, gb);
            tl_cuda_synchronize(0);
            double gpu = seconds() - t0;
            printf("CPU: %.1f ms, GPU: %.2f ms, the GPU is %.0f times faster\n", cpu * 1e3, gpu * 1e3, cpu / gpu);
        }
    }
#line 2159 "chapters/08-gpu/08-gpu.md"
    return tl_lab_end();
}
