// tests/test_ch06_train.c — cmocka tests of chapter 06: cross_entropy / nll_loss (values, gradients,
// graph, errors), SGD (every option against PyTorch 1.13.1), and the tutorial's training run (§7)
// reproduced from seed 123 on the batches the tutorial's loader gives.
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "torchlet.h"
#include "../labs/neural_network.h"
#include "../labs/training_loop.h"
#include "gradcheck.h"

#include "fixture.h"
#include "tutorial.h"

static void assert_near(double a, double b, double tol) {
    if (!(fabs(a - b) <= tol)) fail_msg("%.9g != %.9g (tolerance %g)", a, b, tol);
}

// ----------------------------------------------------------------------------
// cross entropy

static void test_cross_entropy_values_and_graph(void **state) {
    (void)state;
    tl_tensor *x = tl_requires_grad_(tl_tensor_parse("[[2.0, 0.5], [0.1, 1.2]]"), true);
    tl_tensor *loss = tl_cross_entropy(x, tl_tensor_parse("[0, 1]"));
    assert_string_equal(tl_repr(loss), "tensor(0.2444, grad_fn=<NllLossBackward0>)");
    assert_string_equal(tl_node_name(loss->grad_fn->next[0]), "LogSoftmaxBackward0");
    assert_true(tl_backward(loss));
    assert_string_equal(tl_repr(x->grad), "tensor([[-0.0912,  0.0912],\n        [ 0.1249, -0.1249]])");

    tl_tensor *x3 = tl_requires_grad_(tl_tensor_parse("[[0.2, -1.0, 0.7], [1.5, 0.3, -0.4], [0.0, 0.1, 0.2]]"), true);
    tl_tensor *l3 = tl_cross_entropy(x3, tl_tensor_parse("[2, 0, 1]"));
    assert_near(tl_item(l3), 0.6852696537971497, 1e-7);        // torch
    assert_true(tl_backward(l3));
    static const double g3[] = { 0.1130, 0.0340, -0.1470, -0.1036, 0.0692, 0.0344, 0.1002, -0.2226, 0.1224 };   // torch
    for (int i = 0; i < 9; i++) assert_near(TL_DATA(x3->grad, float)[i], g3[i], 1e-4);
}

static tl_tensor *ce_fn(tl_tensor *const *in, void *ctx) { return tl_cross_entropy(in[0], ctx); }

static void test_cross_entropy_gradcheck(void **state) {
    (void)state;
    srand(5);
    tl_tensor *target = tl_tensor_parse("[3, 0, 1, 3, 2]");
    tl_tensor *in[1] = { tl_requires_grad_(gc_randn(TL_SHAPE(5, 4)), true) };
    char why[256];
    if (!tl_gradcheck(ce_fn, in, 1, target, 1e-6, 1e-5, why, sizeof why)) fail_msg("%s", why);
}

static void test_cross_entropy_errors(void **state) {
    (void)state;
    tl_tensor *x = tl_zeros(TL_SHAPE(3, 3), TL_FLOAT32);
    assert_null(tl_cross_entropy(x, tl_tensor_parse("[0, 5, 1]")));
    expect_error_kind(TL_INDEX_ERROR, "Target 5 is out of bounds.");
    assert_null(tl_cross_entropy(x, tl_tensor_parse("[0, -1, 1]")));
    expect_error("Target -1 is out of bounds.");
    assert_null(tl_cross_entropy(x, tl_tensor_parse("[0, 1]")));
    expect_error("Expected input batch_size (3) to match target batch_size (2).");
    assert_null(tl_cross_entropy(x, tl_tensor_parse("[0., 1., 1.]")));
    expect_error("expected scalar type Long but found Float");
    assert_null(tl_cross_entropy(tl_zeros(TL_SHAPE(3), TL_FLOAT32), tl_tensor_parse("[0, 1, 1]")));
    assert_non_null(tl_error());
    tl_error_clear();
    assert_null(tl_cross_entropy(NULL, tl_tensor_parse("[0]")));
}

// ----------------------------------------------------------------------------
// SGD: three steps on loss = sum(w * w * [1, 2, 3]) from w = [1, -2, 0.5]

static void sgd_case(tl_sgd_options o, const double *expect) {
    tl_tensor *w = tl_requires_grad_(tl_tensor_parse("[1.0, -2.0, 0.5]"), true);
    tl_sgd *opt = tl_sgd_new_params(&w, 1, o);
    assert_non_null(opt);
    tl_tensor *c = tl_tensor_parse("[1.0, 2.0, 3.0]");
    for (int s = 0; s < 3; s++) {
        TL_SCOPE {
            tl_sgd_zero_grad(opt);
            assert_true(tl_backward(tl_sum(tl_mul(tl_mul(w, w), c))));
            assert_true(tl_sgd_step(opt));
        }
    }
    for (int i = 0; i < 3; i++) assert_near(TL_DATA(w, float)[i], expect[i], 2e-7);
    assert_int_equal(opt->steps, 3);
    tl_sgd_free(opt);
}

static void test_sgd_against_torch(void **state) {
    (void)state;
    static const double plain[] = { 0.5119999647140503, -0.4320000112056732, 0.031999994069337845 };
    static const double mom[] = { 0.06199999898672104, 1.0799999237060547, -0.4269999563694 };
    static const double damp[] = { 0.25200003385543823, 0.671999990940094, -0.387999951839447 };
    static const double nest[] = { -0.10835198312997818, 0.8665919303894043, -0.15203197300434113 };
    static const double wd[] = { 0.5966923236846924, -0.5764697790145874, 0.023738674819469452 };
    sgd_case((tl_sgd_options){ .lr = 0.1 }, plain);
    sgd_case((tl_sgd_options){ .lr = 0.1, .momentum = 0.9 }, mom);
    sgd_case((tl_sgd_options){ .lr = 0.1, .momentum = 0.9, .dampening = 0.5 }, damp);
    sgd_case((tl_sgd_options){ .lr = 0.1, .momentum = 0.9, .nesterov = true }, nest);
    sgd_case((tl_sgd_options){ .lr = 0.05, .momentum = 0.5, .weight_decay = 0.1 }, wd);
}

static void test_sgd_errors(void **state) {
    (void)state;
    tl_tensor *w = tl_requires_grad_(tl_zeros(TL_SHAPE(1), TL_FLOAT32), true);
    assert_null(tl_sgd_new_params(&w, 1, (tl_sgd_options){ .lr = -0.1 }));
    expect_error("Invalid learning rate: -0.1");
    assert_null(tl_sgd_new_params(&w, 1, (tl_sgd_options){ .lr = 0.1, .momentum = -1 }));
    expect_error("Invalid momentum value: -1.0");
    assert_null(tl_sgd_new_params(&w, 1, (tl_sgd_options){ .lr = 0.1, .weight_decay = -1 }));
    expect_error("Invalid weight_decay value: -1.0");
    assert_null(tl_sgd_new_params(&w, 1, (tl_sgd_options){ .lr = 0.1, .nesterov = true }));
    expect_error("Nesterov momentum requires a momentum and zero dampening");
    assert_null(tl_sgd_new_params(&w, 0, (tl_sgd_options){ .lr = 0.1 }));
    expect_error("optimizer got an empty parameter list");
    tl_tensor *nonleaf = tl_mul_scalar(w, 2);
    assert_null(tl_sgd_new_params(&nonleaf, 1, (tl_sgd_options){ .lr = 0.1 }));
    expect_error("can't optimize a non-leaf Tensor");
    tl_tensor *ints[2] = { w, tl_zeros(TL_SHAPE(1), TL_INT64) };
    assert_null(tl_sgd_new_params(ints, 2, (tl_sgd_options){ .lr = 0.1 }));
    expect_error_kind(TL_TYPE_ERROR, "optimizer can only optimize Tensors of floating point dtype, but parameter 1 "
                                     "is of dtype torch.int64");
    assert_null(tl_sgd_new_params(NULL, 1, (tl_sgd_options){ .lr = 0.1 }));
    expect_error_kind(TL_TYPE_ERROR, "params argument given to the optimizer should be an iterable of Tensors or "
                                     "dicts, but got NoneType");
    // no gradient yet: step leaves the parameter alone
    tl_sgd *opt = tl_sgd_new_params(&w, 1, (tl_sgd_options){ .lr = 0.1 });
    assert_true(tl_sgd_step(opt));
    assert_true(TL_DATA(w, float)[0] == 0.0f);
    tl_sgd_free(opt);
    tl_sgd_free(NULL);
}

// ----------------------------------------------------------------------------
// The tutorial's training run (§7): NeuralNetwork(2, 2) from seed 123, SGD lr 0.5, 3 epochs of
// the drop_last loader, whose batches (dataset indices) the catalogue lists; the model draws no
// random numbers after construction, so the loader's own draws do not change these values.

static void test_tutorial_training_run(void **state) {
    (void)state;
    tl_tensor *X = tl_tensor_parse(TUTORIAL_X_TRAIN);
    tl_tensor *y = tl_tensor_parse(TUTORIAL_Y_TRAIN);
    tl_manual_seed(123);
    tl_module *model = neural_network_new(2, 2);
    tl_sgd *opt = tl_sgd_new(model, (tl_sgd_options){ .lr = 0.5 });
    assert_int_equal(opt->n, 6);
    for (int b = 0; b < 6; b++) {
        TL_SCOPE {
            tl_tensor *idx = tl_from_data(tutorial_batches[b], TL_SHAPE(2), TL_INT64);
            tl_tensor *loss = tl_cross_entropy(tl_module_forward(model, tl_index_select(X, 0, idx)),
                                               tl_index_select(y, 0, idx));
            tl_sgd_zero_grad(opt);
            assert_true(tl_backward(loss));
            assert_true(tl_sgd_step(opt));
            assert_near(tl_item(loss), tutorial_losses[b], 2e-6);
        }
    }
    static const double logits[10] = { 2.85692525, -4.16177702, 2.53819346, -3.75478673, 2.09436846,
                                       -3.18195081, -1.48135340, 1.48162293, -1.71761250, 1.73422837 };
    TL_NO_GRAD {
        tl_tensor *out = tl_module_forward(model, X);
        for (int i = 0; i < 10; i++) assert_near(TL_DATA(out, float)[i], logits[i], 2e-5);
    }
    tl_sgd_free(opt);
    tl_module_free(model);
}

// the tutorial's training data, but example 2 cannot be read: train_model and compute_accuracy
// must report the failed batch, not stop quietly as if the data had ended
typedef struct { tl_tensor *X, *y; } broken_data;
static int64_t broken_len(const tl_dataset *ds) { return ((const broken_data *)ds->state)->y->shape[0]; }
static bool broken_get_item(const tl_dataset *ds, int64_t index, tl_tensor **x, tl_tensor **y) {
    const broken_data *b = ds->state;
    if (index == 2) {
        tl_error_set(TL_VALUE_ERROR, "broken example %lld", (long long)index);
        return false;
    }
    *x = tl_index(b->X, index);
    *y = tl_index(b->y, index);
    return *x && *y;
}

// a worker thread names itself in the message, as PyTorch's worker processes do
static void expect_loader_error(int workers) {
    expect_error_kind(TL_VALUE_ERROR, workers ? "Caught ValueError in DataLoader worker thread 1: broken example 2"
                                              : "broken example 2");
}

static void test_loop_reports_loader_errors(void **state) {
    (void)state;
    broken_data b = { tl_tensor_parse(TUTORIAL_X_TRAIN), tl_tensor_parse(TUTORIAL_Y_TRAIN) };
    tl_dataset ds = { .len = broken_len, .get_item = broken_get_item, .state = &b };
    tl_manual_seed(123);
    tl_module *model = neural_network_new(2, 2);
    tl_sgd *opt = tl_sgd_new(model, (tl_sgd_options){ .lr = 0.5 });
    for (int workers = 0; workers <= 2; workers += 2) {
        tl_dataloader *dl = tl_dataloader_new(&ds, (tl_dataloader_options){ .batch_size = 2, .num_workers = workers });
        double losses[8];
        tl_error_set(TL_RUNTIME_ERROR, "an older error");        // cleared by the call, not reported
        assert_int_equal(train_model(model, opt, dl, 2, false, losses, 8), -1);   // batch 0 trained, batch 1 failed
        expect_loader_error(workers);
        tl_error_set(TL_RUNTIME_ERROR, "an older error");
        assert_true(isnan(compute_accuracy(model, dl)));
        expect_loader_error(workers);
        tl_dataloader_free(dl);
    }
    // and a good loader still trains after an older error
    tl_dataset *good = tl_tensor_dataset_new(b.X, b.y);
    tl_dataloader *dl = tl_dataloader_new(good, (tl_dataloader_options){ .batch_size = 2 });
    double losses[8];
    tl_error_set(TL_RUNTIME_ERROR, "an older error");
    assert_int_equal(train_model(model, opt, dl, 2, false, losses, 8), 6);
    assert_null(tl_error());
    assert_false(isnan(compute_accuracy(model, dl)));
    assert_null(tl_error());
    tl_dataloader_free(dl);
    tl_dataset_free(good);
    tl_sgd_free(opt);
    tl_module_free(model);
}

// examples 0 and 1 have the model's two features, the rest three: the loader makes every batch, but
// the forward pass fails on the second. compute_accuracy answers NaN with the forward's error and
// stops there: the loader is not asked for example 4 (the third batch), and the count of the failed
// batch (tl_item of no tensor: NaN) is never converted to an integer.
typedef struct { tl_tensor *X2, *X3, *y; int64_t reads; } widening_data;
static int64_t widening_len(const tl_dataset *ds) { return ((const widening_data *)ds->state)->y->shape[0]; }
static bool widening_get_item(const tl_dataset *ds, int64_t index, tl_tensor **x, tl_tensor **y) {
    widening_data *w = ds->state;
    w->reads++;
    *x = tl_index(index < 2 ? w->X2 : w->X3, index);
    *y = tl_index(w->y, index);
    return *x && *y;
}

static void test_accuracy_stops_at_failed_forward(void **state) {
    (void)state;
    widening_data w = { tl_tensor_parse(TUTORIAL_X_TRAIN), tl_zeros(TL_SHAPE(5, 3), TL_FLOAT32),
                        tl_tensor_parse(TUTORIAL_Y_TRAIN), 0 };
    tl_dataset ds = { .len = widening_len, .get_item = widening_get_item, .state = &w };
    tl_dataloader *dl = tl_dataloader_new(&ds, (tl_dataloader_options){ .batch_size = 2 });
    tl_manual_seed(123);
    tl_module *model = neural_network_new(2, 2);
    assert_true(isnan(compute_accuracy(model, dl)));
    expect_error_kind(TL_RUNTIME_ERROR, "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x30)");
    assert_int_equal(w.reads, 4);
    tl_module_free(model);
    tl_dataloader_free(dl);
}

// a CPU weight whose gradient (assigned by hand) is on a GPU: refused before either update reads it.
// Without a GPU the gradient's storage is labelled cuda:0 for the call (no memory is read through
// it when the check works) and given its label back before it is freed.
static void test_sgd_gradient_on_another_device(void **state) {
    (void)state;
    tl_tensor *w = tl_requires_grad_(tl_tensor_parse("[1.0, -2.0]"), true);
    tl_sgd *opt = tl_sgd_new_params(&w, 1, (tl_sgd_options){ .lr = 0.1 });
    bool gpu = tl_cuda_is_available();
    tl_tensor *g = gpu ? tl_to(tl_ones(TL_SHAPE(2), TL_FLOAT32), "cuda:0") : tl_ones(TL_SHAPE(2), TL_FLOAT32);
    assert_non_null(g);
    if (!gpu) g->storage->device = (tl_device){ TL_CUDA, 0 };
    w->grad = tl_retain(g);
    bool ok = tl_sgd_step(opt);
    if (!gpu) g->storage->device = TL_CPU_DEVICE;
    assert_false(ok);
    expect_error("Expected all tensors to be on the same device, but found at least two devices, cpu and cuda:0! "
                 "(SGD: parameter 0 and its gradient)");
    assert_true(TL_DATA(w, float)[0] == 1.0f && TL_DATA(w, float)[1] == -2.0f);
    assert_int_equal(opt->steps, 0);
    tl_sgd_free(opt);
}

static void test_progress_lines(void **state) {
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    tl_progress p;
    tl_progress_begin(&p, "train", 20);
    p.out = f;
    p.tty = false;
    for (int s = 1; s <= 20; s++) tl_progress_update(&p, s, 0.5, 4);
    tl_progress_end(&p);
    fclose(f);
    int lines = 0;
    for (size_t i = 0; i < len; i++) lines += text[i] == '\n';
    assert_int_equal(lines, 10);                      // one per 10% when not a terminal
    assert_non_null(strstr(text, "train: step 20/20  loss 0.5000"));
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cross_entropy_values_and_graph, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cross_entropy_gradcheck, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cross_entropy_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sgd_against_torch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sgd_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sgd_gradient_on_another_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tutorial_training_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loop_reports_loader_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accuracy_stops_at_failed_forward, setup, teardown),
        cmocka_unit_test_setup_teardown(test_progress_lines, setup, teardown),
    };
    return cmocka_run_group_tests_name("ch06_train", tests, NULL, NULL);
}
