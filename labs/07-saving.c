/* generated from chapters/07-saving/07-saving.md by tools/tangle.lua; edit the chapter, not this file */
#line 2280 "chapters/07-saving/07-saving.md"
// 07-saving — tutorial §8 (saving and loading): state dicts, torch.save / torch.load, safetensors.
#define _GNU_SOURCE                    // mkdtemp, memmem
#include "torchlet.h"
#include "neural_network.h"            // the tutorial's NeuralNetwork, as chapter 04 defines it
#include "training_loop.h"             // the tutorial's training loop, as chapter 06 defines it
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char scratch[64];               // the lab's temporary folder
static const char *const scratch_files[] = { "model.pth", "model.safetensors", "shared.pth", "layer.pth" };

static const char *lab_path(const char *name) {
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", scratch, name);
    return path;
}

static void remove_scratch(void) {
    for (size_t i = 0; i < sizeof scratch_files / sizeof *scratch_files; i++) unlink(lab_path(scratch_files[i]));
    rmdir(scratch);
}

int main(int argc, char **argv) {
    tl_lab_begin(argc, argv);
    snprintf(scratch, sizeof scratch, "/tmp/torchlet-07-XXXXXX");
    if (!mkdtemp(scratch)) { perror("mkdtemp"); return 1; }
    atexit(remove_scratch);
#line 2318 "chapters/07-saving/07-saving.md"
    TL_CELL("a state dict: names -> tensors");
    tl_manual_seed(123);
    tl_state_dict *sd = tl_state_dict_new();
    tl_state_dict_set(sd, "layer.weight", tl_rand(TL_SHAPE(2, 3), NULL));
    tl_state_dict_set(sd, "layer.bias", tl_zeros(TL_SHAPE(2), TL_FLOAT32));
    for (int64_t i = 0; i < tl_state_dict_len(sd); i++) {
        printf("%s ", tl_state_dict_key(sd, i));
        tl_print(tl_state_dict_value(sd, i));
    }
#line 2338 "chapters/07-saving/07-saving.md"
    TL_CELL("torch.save, torch.load");
    TL_CHECK(tl_save(sd, lab_path("layer.pth")));
    tl_state_dict *loaded = TL_CHECK(tl_load(lab_path("layer.pth")));
    for (int64_t i = 0; i < tl_state_dict_len(loaded); i++) {
        printf("%s ", tl_state_dict_key(loaded, i));
        tl_print(tl_state_dict_value(loaded, i));
    }
    tl_state_dict_free(loaded);
#line 2358 "chapters/07-saving/07-saving.md"
    TL_CELL("shared storage survives the round trip");
    tl_state_dict *shared = tl_state_dict_new();
    tl_tensor *m = tl_view(tl_arange(0, 6, 1), TL_SHAPE(2, 3));
    tl_state_dict_set(shared, "m", m);
    tl_state_dict_set(shared, "m.T", tl_T(m));                 // a view of the same storage
    TL_CHECK(tl_save(shared, lab_path("shared.pth")));
    tl_state_dict *back = TL_CHECK(tl_load(lab_path("shared.pth")));
    tl_set(tl_state_dict_get(back, "m"), TL_SHAPE(0, 1), 100);  // d["m"][0, 1] = 100
    tl_print(tl_state_dict_get(back, "m.T"));
    tl_state_dict_free(back);
    tl_state_dict_free(shared);
#line 2380 "chapters/07-saving/07-saving.md"
    TL_CELL("safetensors");
    tl_state_dict_set_metadata(sd, "format", "pt");
    TL_CHECK(tl_save_safetensors(sd, lab_path("model.safetensors")));
    tl_state_dict *st = TL_CHECK(tl_load_safetensors(lab_path("model.safetensors")));
    printf("format: %s\n", tl_state_dict_metadata(st, "format"));
    for (int64_t i = 0; i < tl_state_dict_len(st); i++) {
        printf("%s ", tl_state_dict_key(st, i));
        tl_print(tl_state_dict_value(st, i));
    }
    tl_state_dict_free(st);
#line 2403 "chapters/07-saving/07-saving.md"
    TL_CELL("a damaged file is an error");
    size_t size;
    unsigned char *bytes = TL_CHECK(tl_read_file(lab_path("layer.pth"), &size));
    unsigned char *weights = memmem(bytes, size, TL_DATA(tl_state_dict_get(sd, "layer.weight"), float), 24);
    weights[5] ^= 0x01;                                       // one bit of one weight
    if (!tl_load_buffer(bytes, size, "layer.pth")) tl_error_print();
    weights[5] ^= 0x01;
    if (!tl_load_buffer(bytes, size / 2, "layer.pth")) tl_error_print();
    free(bytes);
    tl_state_dict_free(sd);
#line 2428 "chapters/07-saving/07-saving.md"
    TL_CELL("model.state_dict() of the trained model");
    tl_tensor *X_train = tl_tensor_parse("[[-1.2, 3.1], [-0.9, 2.9], [-0.5, 2.6], [2.3, -1.1], [2.7, -1.5]]");
    tl_tensor *y_train = tl_tensor_parse("[0, 0, 0, 1, 1]");
    tl_dataset *train_ds = tl_tensor_dataset_new(X_train, y_train);
    tl_dataloader *train_loader = tl_dataloader_new(train_ds,
        (tl_dataloader_options){ .batch_size = 2, .shuffle = true, .drop_last = true });
    tl_manual_seed(123);
    tl_module *model = neural_network_new(2, 2);
    tl_sgd *optimizer = tl_sgd_new(model, (tl_sgd_options){ .lr = 0.5 });
    double losses[8] = { 0 };
    int steps = train_model(model, optimizer, train_loader, 3, false, losses, 8);
    printf("trained: %d steps, last loss %.2f\n", steps, steps > 0 ? losses[steps - 1] : -1.0);
    tl_state_dict *model_sd = tl_module_state_dict(model);
    for (int64_t i = 0; i < tl_state_dict_len(model_sd); i++)
        printf("%s %s\n", tl_state_dict_key(model_sd, i), tl_shape_str(tl_state_dict_value(model_sd, i)));
#line 2460 "chapters/07-saving/07-saving.md"
    TL_CELL("save the model, load it into a new one");
    TL_CHECK(tl_save(model_sd, lab_path("model.pth")));
    tl_module *restored = neural_network_new(2, 2);             // needs to match the original exactly
    tl_state_dict *from_file = TL_CHECK(tl_load(lab_path("model.pth")));
    tl_incompatible_keys *result = TL_CHECK(tl_module_load_state_dict(restored, from_file, true));
    puts(tl_incompatible_keys_repr(result));
#line 2476 "chapters/07-saving/07-saving.md"
    TL_CELL("the reloaded model reproduces chapter 06's logits");
    tl_module_eval(restored);
    TL_NO_GRAD { tl_print(tl_module_forward(restored, X_train)); }
#line 2495 "chapters/07-saving/07-saving.md"
    TL_CELL("state dicts that do not fit");
    tl_module *wider = neural_network_new(50, 3);
    if (!tl_module_load_state_dict(wider, from_file, true)) tl_error_print();
    tl_state_dict *partial = tl_state_dict_new();
    tl_state_dict_set(partial, "layers.0.weight", tl_state_dict_get(from_file, "layers.0.weight"));
    tl_state_dict_set(partial, "layers.9.weight", tl_state_dict_get(from_file, "layers.0.weight"));
    tl_state_dict_set(partial, "extra", tl_zeros(TL_SHAPE(1), TL_FLOAT32));
    if (!tl_module_load_state_dict(restored, partial, true)) tl_error_print();
    puts(tl_incompatible_keys_repr(tl_module_load_state_dict(restored, partial, false)));
    tl_state_dict_free(partial);
    tl_state_dict_free(from_file);
    tl_state_dict_free(model_sd);
    tl_module_free(wider);
    tl_module_free(restored);
    tl_sgd_free(optimizer);
    tl_module_free(model);
    tl_dataloader_free(train_loader);
    tl_dataset_free(train_ds);
#line 2310 "chapters/07-saving/07-saving.md"
    return tl_lab_end();
}
