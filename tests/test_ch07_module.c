// tests/test_ch07_module.c — cmocka tests of chapter 07's module side: tl_module_state_dict and
// tl_module_load_state_dict (PyTorch's messages, strict and not, the model untouched on failure),
// and a PyTorch 1.13.1 checkpoint of nn.Sequential(Linear(2, 3), BatchNorm1d(3)) loaded into ours.
//
// Expected messages and reprs are PyTorch 1.13.1's, verbatim (tests/fixtures/make_fixtures.py
// made the checkpoint; the values below are the ones it prints).
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "torchlet.h"
#include "../labs/neural_network.h"

#include "fixture.h"
#include "fixture_path.h"

static bool same_values(const tl_tensor *a, const tl_tensor *b) {
    if (tl_numel(a) != tl_numel(b)) return false;
    tl_tensor *x = tl_reshape(a, TL_SHAPE(-1)), *y = tl_reshape(b, TL_SHAPE(-1));
    for (int64_t i = 0; i < tl_numel(a); i++)
        if (tl_get(x, TL_SHAPE(i)) != tl_get(y, TL_SHAPE(i))) return false;
    return true;
}

// every tensor of the model equals the one of that name in sd
static bool model_equals(const tl_module *m, const tl_state_dict *sd) {
    tl_named_tensor *own;
    int n = tl_module_state(m, &own);
    for (int i = 0; i < n; i++)
        if (!same_values(own[i].tensor, tl_state_dict_get(sd, own[i].name))) return false;
    return true;
}

// a deep copy of a state dict (clones): a snapshot of a model's values
static tl_state_dict *snapshot(const tl_module *m) {
    tl_state_dict *sd = tl_module_state_dict(m), *copy = tl_state_dict_new();
    for (int64_t i = 0; i < tl_state_dict_len(sd); i++)
        tl_state_dict_set(copy, tl_state_dict_key(sd, i), tl_clone(tl_state_dict_value(sd, i)));
    tl_state_dict_free(sd);
    return copy;
}

static void test_state_dict_of_module(void **state) {
    (void)state;
    tl_manual_seed(123);
    tl_module *model = neural_network_new(2, 2);
    tl_state_dict *sd = tl_module_state_dict(model);
    const char *keys[] = { "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias",
                           "layers.4.weight", "layers.4.bias" };
    assert_int_equal(tl_state_dict_len(sd), 6);
    for (int i = 0; i < 6; i++) assert_string_equal(tl_state_dict_key(sd, i), keys[i]);
    tl_tensor *w = tl_state_dict_get(sd, "layers.0.weight"), *p = tl_module_param(model, "layers.0.weight");
    assert_ptr_equal(w->storage, p->storage);                      // shares the module's memory
    assert_false(w->requires_grad);                                 // detached
    assert_null(w->grad_fn);
    assert_true(p->requires_grad);
    TL_NO_GRAD { tl_copy_(p, tl_full(TL_SHAPE(30, 2), 0.5, TL_FLOAT32)); }
    assert_true(tl_get(w, TL_SHAPE(3, 1)) == 0.5);                  // a view, not a copy
    tl_state_dict_free(sd);
    tl_module_free(model);
}

static void test_load_strict(void **state) {
    (void)state;
    tl_manual_seed(123);
    tl_module *a = neural_network_new(2, 2), *b = neural_network_new(2, 2);
    tl_state_dict *sd = tl_module_state_dict(a);
    assert_false(model_equals(b, sd));
    tl_tensor *before = tl_module_param(b, "layers.2.weight");
    tl_incompatible_keys *r = tl_module_load_state_dict(b, sd, true);
    assert_non_null(r);
    assert_int_equal(r->n_missing, 0);
    assert_int_equal(r->n_unexpected, 0);
    assert_string_equal(tl_incompatible_keys_repr(r), "<All keys matched successfully>");
    assert_true(model_equals(b, sd));
    assert_ptr_equal(tl_module_param(b, "layers.2.weight"), before);   // copied into, not replaced
    assert_ptr_not_equal(before->storage, tl_module_param(a, "layers.2.weight")->storage);
    assert_true(before->requires_grad);
    tl_tensor *x = tl_tensor_parse("[[-1.2, 3.1], [2.7, -1.5]]");
    TL_NO_GRAD { assert_true(same_values(tl_module_forward(a, x), tl_module_forward(b, x))); }
    tl_state_dict_free(sd);
    tl_module_free(a);
    tl_module_free(b);
}

static void test_load_size_mismatch(void **state) {
    (void)state;
    tl_manual_seed(123);
    tl_module *small = neural_network_new(2, 2), *wide = neural_network_new(50, 3);
    tl_state_dict *sd = tl_module_state_dict(small), *was = snapshot(wide);
    assert_null(tl_module_load_state_dict(wide, sd, false));        // even when not strict
    expect_error("Error(s) in loading state_dict for NeuralNetwork:\n"
        "\tsize mismatch for layers.0.weight: copying a param with shape torch.Size([30, 2]) from checkpoint, "
        "the shape in current model is torch.Size([30, 50]).\n"
        "\tsize mismatch for layers.4.weight: copying a param with shape torch.Size([2, 20]) from checkpoint, "
        "the shape in current model is torch.Size([3, 20]).\n"
        "\tsize mismatch for layers.4.bias: copying a param with shape torch.Size([2]) from checkpoint, "
        "the shape in current model is torch.Size([3]).");
    assert_true(model_equals(wide, was));                           // untouched, layers.2 included
    tl_state_dict_free(sd);
    tl_state_dict_free(was);
    tl_module_free(small);
    tl_module_free(wide);
}

static void test_load_missing_unexpected(void **state) {
    (void)state;
    tl_manual_seed(123);
    tl_module *a = neural_network_new(2, 2), *b = neural_network_new(2, 2);
    tl_state_dict *full = tl_module_state_dict(a), *was = snapshot(b);
    tl_state_dict *partial = tl_state_dict_new();
    tl_state_dict_set(partial, "layers.0.weight", tl_state_dict_get(full, "layers.0.weight"));
    tl_state_dict_set(partial, "layers.9.weight", tl_zeros(TL_SHAPE(2), TL_FLOAT32));
    tl_state_dict_set(partial, "layers.0.weight.x", tl_zeros(TL_SHAPE(2), TL_FLOAT32));   // claimed by nobody
    tl_state_dict_set(partial, "layers", tl_zeros(TL_SHAPE(2), TL_FLOAT32));              // a module's name
    tl_state_dict_set(partial, "extra", tl_zeros(TL_SHAPE(1), TL_FLOAT32));
    assert_null(tl_module_load_state_dict(b, partial, true));
    assert_string_equal(tl_error(),
        "Error(s) in loading state_dict for NeuralNetwork:\n"
        "\tMissing key(s) in state_dict: \"layers.0.bias\", \"layers.2.weight\", \"layers.2.bias\", "
        "\"layers.4.weight\", \"layers.4.bias\". \n"
        "\tUnexpected key(s) in state_dict: \"extra\", \"layers.9.weight\". ");
    tl_error_clear();
    assert_true(model_equals(b, was));                              // untouched
    tl_incompatible_keys *r = tl_module_load_state_dict(b, partial, false);
    assert_non_null(r);
    assert_string_equal(tl_incompatible_keys_repr(r),
        "_IncompatibleKeys(missing_keys=['layers.0.bias', 'layers.2.weight', 'layers.2.bias', 'layers.4.weight', "
        "'layers.4.bias'], unexpected_keys=['extra', 'layers.9.weight'])");
    assert_true(same_values(tl_module_param(b, "layers.0.weight"), tl_state_dict_get(full, "layers.0.weight")));
    assert_true(same_values(tl_module_param(b, "layers.0.bias"), tl_state_dict_get(was, "layers.0.bias")));

    tl_state_dict *only_missing = tl_state_dict_new();               // repr with one list empty
    r = tl_module_load_state_dict(b, only_missing, false);
    assert_int_equal(r->n_missing, 6);
    assert_non_null(strstr(tl_incompatible_keys_repr(r), "'layers.4.bias'], unexpected_keys=[])"));
    tl_state_dict_free(only_missing);
    tl_state_dict_free(partial);
    tl_state_dict_free(full);
    tl_state_dict_free(was);
    tl_module_free(a);
    tl_module_free(b);
}

static void test_load_converts_dtype(void **state) {
    (void)state;
    tl_module *lin = tl_linear_new(2, 1, true);
    tl_state_dict *sd = tl_state_dict_new();
    tl_state_dict_set(sd, "weight", tl_tensor_parse_dtype("[[0.25, -0.5]]", TL_FLOAT64));
    tl_state_dict_set(sd, "bias", tl_tensor_parse_dtype("[1.5]", TL_FLOAT64));
    assert_non_null(tl_module_load_state_dict(lin, sd, true));
    assert_int_equal(tl_module_param(lin, "weight")->dtype, TL_FLOAT32);
    assert_true(tl_get(tl_module_param(lin, "weight"), TL_SHAPE(0, 1)) == -0.5);
    assert_true(tl_get(tl_module_param(lin, "bias"), TL_SHAPE(0)) == 1.5);
    tl_state_dict_free(sd);
    tl_module_free(lin);
}

// PyTorch 1.13.1: nn.Sequential(Linear(2, 3), BatchNorm1d(3)) after one training batch, saved
static void test_load_pytorch_batchnorm(void **state) {
    (void)state;
    tl_module *m = tl_sequential_new(0);
    tl_sequential_append(m, tl_linear_new(2, 3, true));
    tl_sequential_append(m, tl_batchnorm1d_new(3));
    tl_state_dict *own = tl_module_state_dict(m);                  // parameters, then buffers
    const char *keys[] = { "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                           "1.num_batches_tracked" };
    assert_int_equal(tl_state_dict_len(own), 7);
    for (int i = 0; i < 7; i++) assert_string_equal(tl_state_dict_key(own, i), keys[i]);
    tl_state_dict_free(own);
    tl_state_dict *sd = tl_load(fixture_path("torch113_module.pth"));
    assert_non_null(sd);
    assert_non_null(tl_module_load_state_dict(m, sd, true));
    assert_true(model_equals(m, sd));
    assert_true(tl_get(tl_module_param(m, "0.weight"), TL_SHAPE(2, 1)) == (float)0.5183402895927429);
    tl_module *bn = tl_module_get(m, "1");
    assert_true(tl_get(bn->running_var, TL_SHAPE(0)) == (float)0.9024587869644165);
    assert_int_equal((int64_t)tl_item(bn->num_batches_tracked), 1);
    tl_state_dict_free(sd);
    tl_module_free(m);
}

// the tutorial's flow across languages: Torchlet saves NeuralNetwork(2, 2) after manual_seed(123);
// PyTorch 1.13.1 builds the same network from the same seed, finds the very same numbers in the
// file, and loads it with weights_only=True
static void test_pytorch_loads_our_model(void **state) {
    (void)state;
    if (system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
        printf("skipped: /usr/bin/python3 cannot import torch (Debian: apt-get install python3-torch)\n");
        skip();
    }
    char path[] = "/tmp/tl-ch07-model-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    tl_manual_seed(123);
    tl_module *model = neural_network_new(2, 2);
    tl_state_dict *sd = tl_module_state_dict(model);
    assert_true(tl_save(sd, path));
    tl_state_dict_free(sd);
    tl_module_free(model);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
        "/usr/bin/python3 - <<'EOF'\n"
        "import torch\n"
        "class NeuralNetwork(torch.nn.Module):\n"
        "    def __init__(self, num_inputs, num_outputs):\n"
        "        super().__init__()\n"
        "        self.layers = torch.nn.Sequential(torch.nn.Linear(num_inputs, 30), torch.nn.ReLU(),\n"
        "            torch.nn.Linear(30, 20), torch.nn.ReLU(), torch.nn.Linear(20, num_outputs))\n"
        "    def forward(self, x):\n"
        "        return self.layers(x)\n"
        "torch.manual_seed(123)\n"
        "model = NeuralNetwork(2, 2)\n"
        "sd = torch.load('%s', weights_only=True)\n"
        "assert list(sd) == list(model.state_dict()), list(sd)\n"
        "assert all(torch.equal(sd[k], v) for k, v in model.state_dict().items())\n"
        "model = NeuralNetwork(2, 2)\n"
        "assert str(model.load_state_dict(sd)) == '<All keys matched successfully>'\n"
        "EOF\n", path);
    int status = system(cmd);
    unlink(path);
    assert_int_equal(status, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_state_dict_of_module, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_strict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_size_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_missing_unexpected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_converts_dtype, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_pytorch_batchnorm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pytorch_loads_our_model, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
