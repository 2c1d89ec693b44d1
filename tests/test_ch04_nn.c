// tests/test_ch04_nn.c — cmocka tests of lib/nn.c (chapter 04, "Modules"): initialisers bit for bit
// against PyTorch, print(model) against PyTorch's text, parameter names, order and counts, freezing,
// train/eval, forward values and grad_fn, backward reaching every parameter, no leaks, and the
// Dropout and BatchNorm1d layers of seed 003's MLP.
//
// Values marked "torch" were derived with PyTorch 1.13.1 (/usr/bin/python3), e.g.
//     torch.manual_seed(123); l = torch.nn.Linear(50, 30)
//     [hex(struct.unpack('<I', struct.pack('<f', float(v)))[0]) for v in l.weight[0, :5]]
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
#include "gradcheck.h"

typedef struct { tl_pool *pool; int64_t live; int64_t nodes; } fixture;

static int setup(void **state) {
    static fixture f;
    f.live = tl_live_tensors();
    f.nodes = tl_live_nodes();
    f.pool = tl_pool_push();
    tl_error_clear();
    *state = &f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    tl_pool_pop(f->pool);
    assert_int_equal(tl_live_tensors(), f->live);
    assert_int_equal(tl_live_nodes(), f->nodes);
    return 0;
}

static uint32_t bits_at(const tl_tensor *t, int64_t i) {
    uint32_t u;
    float v = TL_DATA(t, float)[i];
    memcpy(&u, &v, 4);
    return u;
}

static void check_bits(const tl_tensor *t, int64_t start, const uint32_t *bits, int n) {
    assert_non_null(t);
    assert_int_equal(t->dtype, TL_FLOAT32);
    for (int i = 0; i < n; i++) assert_int_equal(bits_at(t, start + i), bits[i]);
}

// the tutorial's NeuralNetwork (000:383-399)
static tl_module *neural_network(int64_t num_inputs, int64_t num_outputs) {
    tl_module *model = tl_module_new("NeuralNetwork", NULL);
    tl_module *layers = tl_module_add(model, "layers", tl_sequential_new(0));
    tl_sequential_append(layers, tl_linear_new(num_inputs, 30, true));
    tl_sequential_append(layers, tl_relu_new());
    tl_sequential_append(layers, tl_linear_new(30, 20, true));
    tl_sequential_append(layers, tl_relu_new());
    tl_sequential_append(layers, tl_linear_new(20, num_outputs, true));
    return model;
}

// ----------------------------------------------------------------------------
// initialisers

static void test_linear_default_init_bits(void **state) {
    (void)state;
    tl_manual_seed(123);
    tl_module *l = tl_linear_new(50, 30, true);
    static const uint32_t w0[] = { 0xbd6c358c, 0x3b99809d, 0xbd8fd902, 0x3d5a7291, 0xbdf6c812 };  // torch
    static const uint32_t wlast[] = { 0x3d0ce5df, 0xbdc6dd1c, 0xbd508613 };                       // torch
    static const uint32_t b0[] = { 0xbdffee8a, 0x3d524654, 0x3d1604ef };                          // torch
    check_bits(l->weight, 0, w0, 5);
    check_bits(l->weight, 29 * 50 + 47, wlast, 3);
    check_bits(l->bias, 0, b0, 3);
    assert_true(l->weight->is_parameter && l->weight->requires_grad);
    assert_true(l->bias->is_parameter && l->bias->requires_grad);
    tl_module_free(l);
}

static void test_weight_matches_rand_cross_check(void **state) {
    (void)state;
    // catalogue §5: W[0, j] = (2 X[0, j] - 1) / sqrt(50) from the same draws
    tl_manual_seed(123);
    tl_module *l = tl_linear_new(50, 30, true);
    tl_manual_seed(123);
    tl_tensor *x = tl_rand(TL_SHAPE(1, 50), NULL);
    for (int j = 0; j < 50; j++) {
        double w = TL_DATA(l->weight, float)[j];
        double v = (2.0 * TL_DATA(x, float)[j] - 1.0) / sqrt(50.0);
        assert_true(fabs(w - v) < 1e-7);
    }
    tl_module_free(l);
}

static void test_kaiming_xavier_zeros(void **state) {
    (void)state;
    tl_tensor *w = tl_empty(TL_SHAPE(3, 4), TL_FLOAT32);
    tl_manual_seed(0);
    assert_true(tl_kaiming_uniform_(w, 0.0, NULL));
    static const uint32_t k[] = { 0xbc163b71, 0x3f283195, 0xbf8106d0, 0xbf66be0f };   // torch
    check_bits(w, 0, k, 4);
    tl_manual_seed(0);
    assert_true(tl_xavier_uniform_(w, 1.0, NULL));
    static const uint32_t xv[] = { 0xbbe32135, 0x3efe48f2, 0xbf4311e4, 0xbf2e6cc4 };  // torch
    check_bits(w, 0, xv, 4);
    assert_true(tl_zeros_(w));
    for (int i = 0; i < 12; i++) assert_int_equal(bits_at(w, i), 0);
    tl_tensor *v = tl_empty(TL_SHAPE(3), TL_FLOAT32);
    assert_false(tl_kaiming_uniform_(v, 0.0, NULL));
    assert_string_equal(tl_error(), "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
    tl_error_clear();
}

// ----------------------------------------------------------------------------
// printing

static void test_print_model(void **state) {
    (void)state;
    tl_module *model = neural_network(50, 3);
    assert_string_equal(tl_module_repr(model),
        "NeuralNetwork(\n"
        "  (layers): Sequential(\n"
        "    (0): Linear(in_features=50, out_features=30, bias=True)\n"
        "    (1): ReLU()\n"
        "    (2): Linear(in_features=30, out_features=20, bias=True)\n"
        "    (3): ReLU()\n"
        "    (4): Linear(in_features=20, out_features=3, bias=True)\n"
        "  )\n"
        ")");
    tl_module_free(model);
}

static void test_print_other_layers(void **state) {
    (void)state;
    tl_module *s = tl_sequential_new(6, tl_flatten_new(), tl_linear_new(4, 2, false), tl_sigmoid_new(),
                                     tl_tanh_new(), tl_softmax_new(1), tl_identity_new());
    assert_string_equal(tl_module_repr(s),   // torch
        "Sequential(\n"
        "  (0): Flatten(start_dim=1, end_dim=-1)\n"
        "  (1): Linear(in_features=4, out_features=2, bias=False)\n"
        "  (2): Sigmoid()\n"
        "  (3): Tanh()\n"
        "  (4): Softmax(dim=1)\n"
        "  (5): Identity()\n"
        ")");
    assert_null(tl_module_get(s, "1")->bias);
    assert_int_equal(tl_module_num_parameters(s, false), 8);
    tl_module_free(s);
}

// ----------------------------------------------------------------------------
// parameters

static void test_parameter_names_order_counts(void **state) {
    (void)state;
    tl_module *model = neural_network(50, 3);
    tl_named_tensor *ps;
    int n = tl_module_parameters(model, &ps);
    static const char *names[] = { "layers.0.weight", "layers.0.bias", "layers.2.weight",
                                   "layers.2.bias", "layers.4.weight", "layers.4.bias" };
    static const int64_t numel[] = { 1500, 30, 600, 20, 60, 3 };
    assert_int_equal(n, 6);
    for (int i = 0; i < n; i++) {
        assert_string_equal(ps[i].name, names[i]);
        assert_int_equal(tl_numel(ps[i].tensor), numel[i]);
        assert_ptr_equal(tl_module_param(model, names[i]), ps[i].tensor);
    }
    assert_int_equal(tl_module_num_parameters(model, true), 2213);
    assert_int_equal(tl_module_num_parameters(tl_module_get(model, "layers.0"), true), 1530);
    assert_int_equal(tl_module_num_parameters(tl_module_get(model, "layers.2"), true), 620);
    assert_int_equal(tl_module_num_parameters(tl_module_get(model, "layers.4"), true), 63);
    assert_string_equal(tl_shape_str(tl_module_get(model, "layers.0")->weight), "torch.Size([30, 50])");
    assert_ptr_equal(tl_module_get(model, "layers.0")->weight, ps[0].tensor);
    assert_ptr_equal(tl_module_child(tl_module_child(model, "layers"), "4"), tl_module_get(model, "layers.4"));
    tl_module *m2 = neural_network(2, 2);
    assert_int_equal(tl_module_num_parameters(m2, true), 752);
    tl_module_free(m2);
    // missing names
    assert_null(tl_module_get(model, "layers.9"));
    assert_non_null(tl_error());
    tl_error_clear();
    assert_null(tl_module_param(model, "layers.1.weight"));
    assert_non_null(tl_error());
    tl_error_clear();
    tl_module_free(model);
}

static void test_freezing(void **state) {
    (void)state;
    tl_module *model = neural_network(50, 3);
    tl_requires_grad_(tl_module_param(model, "layers.0.weight"), false);
    tl_requires_grad_(tl_module_param(model, "layers.0.bias"), false);
    assert_int_equal(tl_module_num_parameters(model, true), 683);      // torch
    assert_int_equal(tl_module_num_parameters(model, false), 2213);
    assert_true(tl_module_param(model, "layers.0.weight")->is_parameter);
    tl_module_free(model);
}

static void test_train_eval_propagate(void **state) {
    (void)state;
    tl_module *model = neural_network(4, 2);
    assert_true(model->training);
    tl_module_eval(model);
    assert_false(model->training);
    assert_false(tl_module_get(model, "layers")->training);
    for (int i = 0; i < 5; i++) assert_false(tl_module_get(model, "layers")->children[i]->training);
    tl_module_train(model, true);
    for (int i = 0; i < 5; i++) assert_true(tl_module_get(model, "layers")->children[i]->training);
    tl_module_free(model);
}

// ----------------------------------------------------------------------------
// forward and backward

static void test_forward_tutorial_values(void **state) {
    (void)state;
    tl_manual_seed(123);
    tl_module *model = neural_network(50, 3);
    tl_manual_seed(123);
    tl_tensor *x = tl_rand(TL_SHAPE(1, 50), NULL);
    tl_tensor *out = tl_module_forward(model, x);
    static const uint32_t o[] = { 0xbe0133ba, 0x3ddd1cc3, 0xbe37815a };   // torch
    check_bits(out, 0, o, 3);
    assert_string_equal(tl_node_name(out->grad_fn), "AddmmBackward0");
    assert_string_equal(tl_repr(out), "tensor([[-0.1262,  0.1080, -0.1792]], grad_fn=<AddmmBackward0>)");
    TL_NO_GRAD {
        tl_tensor *o2 = tl_module_forward(model, x);
        assert_null(o2->grad_fn);
        assert_string_equal(tl_repr(o2), "tensor([[-0.1262,  0.1080, -0.1792]])");
        assert_string_equal(tl_repr(tl_softmax(o2, 1)), "tensor([[0.3113, 0.3934, 0.2952]])");
    }
    tl_module_free(model);
}

// a leaf of draws in [-1, 1) in leaf_dtype, requiring grad
static tl_dtype leaf_dtype = TL_FLOAT32;
static tl_tensor *leaf(tl_shape shape) {
    return tl_requires_grad_(tl_to_dtype(gc_uniform(shape, -1, 1), leaf_dtype), true);
}

static bool same_bits(const tl_tensor *a, const tl_tensor *b) {
    return a && b && tl_numel(a) == tl_numel(b) &&
           a->dtype == b->dtype &&
           memcmp(tl_data_ptr(tl_contiguous(a)), tl_data_ptr(tl_contiguous(b)), (size_t)tl_numel(a) * tl_dtype_size(a->dtype)) == 0;
}

// tl_linear's one-node path against PyTorch's composite addmm(b, x, W.T): the same bits forward and
// backward, the same grad_fn name, one node whose inputs are b, x and W itself (no TBackward0)
static void check_linear_like_addmm(tl_tensor *x, tl_tensor *w, tl_tensor *b) {
    tl_tensor *y1 = tl_linear(x, w, b), *y2 = tl_addmm(b, x, tl_T(w));
    assert_true(same_bits(y1, y2));
    assert_string_equal(tl_node_name(y1->grad_fn), "AddmmBackward0");
    assert_int_equal(y1->grad_fn->ninputs, 3);
    if (w->grad_fn) assert_ptr_equal(y1->grad_fn->next[2], w->grad_fn);
    else assert_ptr_equal(y1->grad_fn->leaf[2], w);
    tl_tensor *r = gc_uniform(tl_shape_of(y1), -1, 1);                // a weighting of the outputs
    tl_tensor *in[3] = { x, w, b };
    tl_tensor **g1 = tl_grad(tl_sum(tl_mul(y1, r)), in, 3, false), **g2 = tl_grad(tl_sum(tl_mul(y2, r)), in, 3, false);
    assert_non_null(g1);
    assert_non_null(g2);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(g1[i]->ndim, in[i]->ndim);
        for (int d = 0; d < in[i]->ndim; d++) assert_int_equal(g1[i]->shape[d], in[i]->shape[d]);
        assert_true(same_bits(g1[i], g2[i]));
    }
}

static void test_linear_one_node(void **state) {
    (void)state;
    srand(5);
    tl_dtype dtypes[] = { TL_FLOAT32, TL_FLOAT64 };
    for (int d = 0; d < 2; d++) {
        leaf_dtype = dtypes[d];
        check_linear_like_addmm(leaf(TL_SHAPE(4, 5)), leaf(TL_SHAPE(3, 5)), leaf(TL_SHAPE(3)));
        check_linear_like_addmm(leaf(TL_SHAPE(1, 5)), leaf(TL_SHAPE(1, 5)), leaf(TL_SHAPE(1)));
        check_linear_like_addmm(leaf(TL_SHAPE(64, 33)), leaf(TL_SHAPE(17, 33)), leaf(TL_SHAPE(17)));
        check_linear_like_addmm(leaf(TL_SHAPE(4, 5)), tl_T(leaf(TL_SHAPE(5, 3))), leaf(TL_SHAPE(3)));   // W a view
        check_linear_like_addmm(tl_T(leaf(TL_SHAPE(5, 4))), leaf(TL_SHAPE(3, 5)), leaf(TL_SHAPE(3)));   // x a view
    }
    leaf_dtype = TL_FLOAT32;
    // an empty batch: (0, 3) out, and gradients of zeros (an empty sum) for W and the bias
    tl_tensor *w0 = leaf(TL_SHAPE(3, 5)), *b0 = leaf(TL_SHAPE(3)), *x0 = leaf(TL_SHAPE(0, 5));
    tl_tensor *y0 = tl_linear(x0, w0, b0);
    assert_non_null(y0);
    assert_int_equal(y0->shape[0], 0);
    assert_int_equal(y0->shape[1], 3);
    assert_true(tl_backward(tl_sum(y0)));
    assert_string_equal(tl_repr(b0->grad), "tensor([0., 0., 0.])");
    assert_int_equal(tl_item(tl_sum(tl_abs(w0->grad))), 0);
    // a frozen weight gets no gradient; the input and the bias still do
    tl_tensor *wf = tl_to_dtype(gc_uniform(TL_SHAPE(3, 5), -1, 1), TL_FLOAT32), *xf = leaf(TL_SHAPE(2, 5));
    tl_tensor *bf = leaf(TL_SHAPE(3));
    assert_true(tl_backward(tl_sum(tl_linear(xf, wf, bf))));
    assert_null(wf->grad);
    assert_non_null(xf->grad);
    assert_string_equal(tl_repr(bf->grad), "tensor([2., 2., 2.])");
    // the other shapes take F.linear's composite path: PyTorch's grad_fn names and messages
    tl_tensor *w = leaf(TL_SHAPE(3, 5)), *b = leaf(TL_SHAPE(3));
    assert_string_equal(tl_node_name(tl_linear(leaf(TL_SHAPE(4, 5)), w, NULL)->grad_fn), "MmBackward0");
    assert_string_equal(tl_node_name(tl_linear(leaf(TL_SHAPE(2, 4, 5)), w, b)->grad_fn), "AddBackward0");
    assert_null(tl_linear(leaf(TL_SHAPE(4, 6)), w, b));
    const char *msg = tl_error();
    assert_non_null(msg);
    char expected[256];
    snprintf(expected, sizeof expected, "%s", msg);
    tl_error_clear();
    assert_null(tl_addmm(b, leaf(TL_SHAPE(4, 6)), tl_T(w)));
    assert_string_equal(tl_error(), expected);
    tl_error_clear();
    assert_null(tl_linear(NULL, w, b));
}

static void test_backward_reaches_every_parameter(void **state) {
    (void)state;
    tl_module *model = neural_network(5, 3);
    tl_tensor *x = tl_rand(TL_SHAPE(4, 5), NULL);
    tl_tensor *loss = tl_sum(tl_module_forward(model, x));
    assert_true(tl_backward(loss));
    tl_named_tensor *ps;
    int n = tl_module_parameters(model, &ps);
    for (int i = 0; i < n; i++) {
        assert_non_null(ps[i].tensor->grad);
        assert_string_equal(tl_shape_str(ps[i].tensor->grad), tl_shape_str(ps[i].tensor));
    }
    // the output bias's gradient of a sum over 4 rows is 4
    tl_tensor *gb = tl_module_param(model, "layers.4.bias")->grad;
    for (int i = 0; i < 3; i++) assert_true(TL_DATA(gb, float)[i] == 4.0f);
    tl_module_free(model);
}

static void test_activation_modules(void **state) {
    (void)state;
    tl_tensor *x = tl_tensor_parse("[[-1., 0., 2.]]");
    tl_module *m;
    m = tl_relu_new();
    assert_string_equal(tl_repr(tl_module_forward(m, x)), "tensor([[0., 0., 2.]])");
    tl_module_free(m);
    m = tl_sigmoid_new();
    assert_string_equal(tl_repr(tl_module_forward(m, x)), "tensor([[0.2689, 0.5000, 0.8808]])");
    tl_module_free(m);
    m = tl_tanh_new();
    assert_string_equal(tl_repr(tl_module_forward(m, x)), "tensor([[-0.7616,  0.0000,  0.9640]])");
    tl_module_free(m);
    m = tl_softmax_new(1);
    assert_string_equal(tl_repr(tl_module_forward(m, x)), "tensor([[0.0420, 0.1142, 0.8438]])");
    tl_module_free(m);
    m = tl_identity_new();
    assert_ptr_equal(tl_module_forward(m, x), x);
    tl_module_free(m);
    m = tl_flatten_new();
    tl_tensor *y = tl_module_forward(m, tl_zeros(TL_SHAPE(2, 3, 4), TL_FLOAT32));
    assert_string_equal(tl_shape_str(y), "torch.Size([2, 12])");
    tl_module_free(m);
    m = tl_linear_new(3, 2, false);
    tl_tensor *z = tl_module_forward(m, x);
    assert_string_equal(tl_shape_str(z), "torch.Size([1, 2])");
    assert_string_equal(tl_node_name(z->grad_fn), "MmBackward0");
    tl_module_free(m);
}

static void test_no_leaks(void **state) {
    (void)state;
    int64_t live = tl_live_tensors();
    tl_module *model = neural_network(50, 3);
    assert_int_equal(tl_live_tensors(), live + 6);
    tl_module_free(model);
    assert_int_equal(tl_live_tensors(), live);
    tl_module_free(NULL);
}

// ----------------------------------------------------------------------------
// Dropout and BatchNorm1d

static void test_dropout(void **state) {
    (void)state;
    tl_module *d = tl_dropout_new(0.1);
    assert_string_equal(tl_module_repr(d), "Dropout(p=0.1, inplace=False)");
    tl_manual_seed(0);
    tl_tensor *y = tl_module_forward(d, tl_ones(TL_SHAPE(20), TL_FLOAT32));
    static const uint32_t first[] = { 0x0, 0x3f8e38e4, 0x3f8e38e4, 0x0 };   // torch: F.dropout(ones(20), 0.1)
    check_bits(y, 0, first, 4);
    tl_module_eval(d);
    tl_tensor *x = tl_ones(TL_SHAPE(3), TL_FLOAT32);
    assert_ptr_equal(tl_module_forward(d, x), x);
    tl_module_free(d);
    assert_null(tl_dropout_new(1.5));
    assert_non_null(tl_error());
    tl_error_clear();
}

static bool near(double a, double b) { return fabs(a - b) < 1e-4; }

static void test_batchnorm1d(void **state) {
    (void)state;
    tl_module *bn = tl_batchnorm1d_new(2);
    assert_string_equal(tl_module_repr(bn),
        "BatchNorm1d(2, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
    assert_int_equal(tl_module_num_parameters(bn, false), 4);
    tl_tensor *x = tl_tensor_parse("[[1., 2.], [3., 6.], [5., 1.]]");
    tl_tensor *y = tl_module_forward(bn, x);
    static const double ty[] = { -1.2247, -0.46291, 0.0, 1.3887, 1.2247, -0.92582 };   // torch
    for (int i = 0; i < 6; i++) assert_true(near(TL_DATA(y, float)[i], ty[i]));
    static const double rm[] = { 0.3, 0.3 }, rv[] = { 1.3, 1.6 };                      // torch
    for (int i = 0; i < 2; i++) {
        assert_true(near(TL_DATA(bn->running_mean, float)[i], rm[i]));
        assert_true(near(TL_DATA(bn->running_var, float)[i], rv[i]));
    }
    assert_int_equal((int64_t)tl_item(bn->num_batches_tracked), 1);
    assert_true(bn->running_mean->grad_fn == NULL && !bn->running_mean->requires_grad);
    tl_module_eval(bn);
    tl_tensor *z = tl_module_forward(bn, x);
    static const double tz[] = { 0.6139, 1.3440, 2.3680, 4.5062, 4.1222, 0.5534 };     // torch
    for (int i = 0; i < 6; i++) assert_true(near(TL_DATA(z, float)[i], tz[i]));
    assert_int_equal((int64_t)tl_item(bn->num_batches_tracked), 1);
    tl_module_free(bn);
}

static tl_module *mlp(int64_t in, int64_t hidden, int64_t out) {
    tl_module *m = tl_module_new("MLP", NULL);      // forward: children in order (ReLU left out)
    tl_module_add(m, "fc1", tl_linear_new(in, hidden, true));
    tl_module_add(m, "bn1", tl_batchnorm1d_new(hidden));
    tl_module_add(m, "dropout", tl_dropout_new(0.1));
    tl_module_add(m, "fc2", tl_linear_new(hidden, hidden, true));
    tl_module_add(m, "bn2", tl_batchnorm1d_new(hidden));
    tl_module_add(m, "fc3", tl_linear_new(hidden, out, true));
    return m;
}

static void test_mlp_counts_and_backward(void **state) {
    (void)state;
    tl_module *big = mlp(784, 256, 10);
    assert_int_equal(tl_module_num_parameters(big, false), 270346);   // seed 003
    tl_requires_grad_(tl_module_param(big, "fc1.weight"), false);
    tl_requires_grad_(tl_module_param(big, "fc1.bias"), false);
    assert_int_equal(tl_module_num_parameters(big, true), 270346 - 784 * 256 - 256);
    tl_module_free(big);
    tl_module *m = mlp(6, 5, 3);
    tl_tensor *out = tl_module_forward(m, tl_rand(TL_SHAPE(4, 6), NULL));
    assert_string_equal(tl_shape_str(out), "torch.Size([4, 3])");
    assert_true(tl_backward(tl_sum(tl_mul(out, out))));
    tl_named_tensor *ps;
    int n = tl_module_parameters(m, &ps);
    assert_int_equal(n, 10);
    for (int i = 0; i < n; i++) {
        assert_non_null(ps[i].tensor->grad);
        assert_string_equal(tl_shape_str(ps[i].tensor->grad), tl_shape_str(ps[i].tensor));
    }
    tl_module_free(m);
}


// ----------------------------------------------------------------------------
// gradient checks: every module, in float64, against central differences. The inputs checked
// are the module's input and all of its parameters (the very tensors the module holds, so the
// check's perturbations reach the forward pass).

static tl_tensor *module_fn(tl_tensor *const *in, void *ctx) {
    tl_module *m = ctx;
    if (strcmp(m->type, "Dropout") == 0) tl_manual_seed(7);     // the same mask on every call
    return tl_module_forward(m, in[0]);
}

static void gradcheck_module(tl_module *m, tl_shape in_shape) {
    assert_non_null(m);
    assert_true(tl_module_to_dtype(m, TL_FLOAT64));
    srand(11);
    tl_named_tensor *ps;
    int n = tl_module_parameters(m, &ps);
    assert_true(n >= 0 && n < 15);
    tl_tensor *in[16];
    in[0] = tl_requires_grad_(gc_randn(in_shape), true);
    for (int i = 0; i < n; i++) {
        assert_int_equal(ps[i].tensor->dtype, TL_FLOAT64);
        in[i + 1] = ps[i].tensor;
    }
    char why[256];
    if (!tl_gradcheck(module_fn, in, n + 1, m, 1e-6, 1e-5, why, sizeof why))
        fail_msg("%s: %s", m->type, why);
    tl_module_free(m);
}

static void test_gradcheck_every_module(void **state) {
    (void)state;
    tl_manual_seed(3);
    gradcheck_module(tl_linear_new(4, 3, true), TL_SHAPE(5, 4));      // addmm
    gradcheck_module(tl_linear_new(4, 3, false), TL_SHAPE(5, 4));     // mm
    gradcheck_module(tl_linear_new(4, 3, true), TL_SHAPE(2, 5, 4));   // matmul + add
    gradcheck_module(tl_relu_new(), TL_SHAPE(3, 4));
    gradcheck_module(tl_sigmoid_new(), TL_SHAPE(3, 4));
    gradcheck_module(tl_tanh_new(), TL_SHAPE(3, 4));
    gradcheck_module(tl_softmax_new(1), TL_SHAPE(3, 4));
    gradcheck_module(tl_softmax_new(0), TL_SHAPE(3, 4));
    gradcheck_module(tl_flatten_new(), TL_SHAPE(2, 3, 2));
    gradcheck_module(tl_identity_new(), TL_SHAPE(3));
    gradcheck_module(tl_gelu_new(false), TL_SHAPE(3, 4));
    gradcheck_module(tl_gelu_new(true), TL_SHAPE(3, 4));
    gradcheck_module(tl_silu_new(), TL_SHAPE(3, 4));
    gradcheck_module(tl_leaky_relu_new(0.2), TL_SHAPE(3, 4));
    gradcheck_module(tl_elu_new(1.0), TL_SHAPE(3, 4));
    gradcheck_module(tl_prelu_new(1, 0.25), TL_SHAPE(3, 4));
    gradcheck_module(tl_prelu_new(4, 0.1), TL_SHAPE(3, 4));
    gradcheck_module(tl_dropout_new(0.3), TL_SHAPE(3, 4));
    gradcheck_module(tl_batchnorm1d_new(4), TL_SHAPE(5, 4));
    tl_module *bn = tl_batchnorm1d_new(4);
    tl_module_eval(bn);
    gradcheck_module(bn, TL_SHAPE(5, 4));
    tl_module *seq = tl_sequential_new(0);
    tl_sequential_append(seq, tl_linear_new(4, 6, true));
    tl_sequential_append(seq, tl_tanh_new());
    tl_sequential_append(seq, tl_linear_new(6, 2, true));
    gradcheck_module(seq, TL_SHAPE(3, 4));
}

// ----------------------------------------------------------------------------
// errors and ownership

static void expect_error(const char *message) {
    assert_non_null(tl_error());
    assert_string_equal(tl_error(), message);
    tl_error_clear();
}

static void test_errors(void **state) {
    (void)state;
    tl_module *l = tl_linear_new(50, 30, true);
    assert_null(tl_module_forward(l, tl_rand(TL_SHAPE(1, 40), NULL)));
    expect_error("mat1 and mat2 shapes cannot be multiplied (1x40 and 50x30)");
    tl_module *seq = tl_sequential_new(1, l);
    assert_null(tl_module_get(seq, "0.x"));
    assert_int_equal(tl_error_kind(), TL_ATTRIBUTE_ERROR);
    expect_error("Linear has no attribute `x`");
    assert_null(tl_module_param(seq, "0.x"));
    expect_error("Linear has no attribute `x`");
    assert_null(tl_module_param(seq, "x"));
    expect_error("Sequential has no attribute `x`");
    assert_ptr_equal(tl_module_get(seq, ""), seq);
    assert_null(tl_module_add(seq, "a.b", tl_relu_new()));           // the child is freed, no leak
    expect_error("module name can't contain \".\", got: a.b");
    assert_null(tl_module_add(seq, "0", tl_relu_new()));
    expect_error("attribute '0' already exists");
    assert_null(tl_module_add_parameter(seq, "", tl_zeros(TL_SHAPE(2), TL_FLOAT32)));
    expect_error("parameter name can't be empty string \"\"");
    assert_null(tl_module_add_parameter(seq, "p", tl_arange(0, 3, 1)));
    assert_non_null(tl_error());
    tl_error_clear();
    tl_tensor *w = tl_requires_grad_(tl_ones(TL_SHAPE(2), TL_FLOAT32), true);
    assert_null(tl_module_add_parameter(seq, "p", tl_mul_scalar(w, 2)));
    assert_int_equal(tl_error_kind(), TL_TYPE_ERROR);
    tl_error_clear();
    tl_module_free(seq);
    assert_null(tl_dropout_new(1.5));
    expect_error("dropout probability has to be between 0 and 1, but got 1.5");
    tl_module *bn = tl_batchnorm1d_new(3);
    assert_null(tl_module_forward(bn, tl_rand(TL_SHAPE(1, 3), NULL)));
    expect_error("Expected more than 1 value per channel when training, got input size torch.Size([1, 3])");
    tl_module_free(bn);
    assert_null(tl_linear_new(-1, 3, true));
    assert_non_null(tl_error());
    tl_error_clear();
    // a failed constructor inside a Sequential: NULL, the error kept, every other argument freed
    assert_null(tl_sequential_new(3, tl_relu_new(), tl_dropout_new(2.0), tl_linear_new(3, 3, true)));
    expect_error("dropout probability has to be between 0 and 1, but got 2.0");
    assert_null(tl_module_forward(NULL, tl_zeros(TL_SHAPE(1), TL_FLOAT32)));
    assert_int_equal(tl_module_num_parameters(NULL, false), 0);
    tl_error_clear();
}

static void test_state_order(void **state) {
    (void)state;
    tl_module *m = mlp(3, 4, 2);
    tl_named_tensor *st;
    int n = tl_module_state(m, &st);
    static const char *keys[] = {   // torch: list(MLP(3, 4, 2).state_dict().keys())
        "fc1.weight", "fc1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
        "bn1.num_batches_tracked", "fc2.weight", "fc2.bias", "bn2.weight", "bn2.bias", "bn2.running_mean",
        "bn2.running_var", "bn2.num_batches_tracked", "fc3.weight", "fc3.bias" };
    assert_int_equal(n, 16);
    for (int i = 0; i < n; i++) assert_string_equal(st[i].name, keys[i]);
    assert_int_equal(st[6].tensor->dtype, TL_INT64);
    assert_false(st[4].tensor->is_parameter);
    // a parameter shared by two modules is listed once
    tl_module *a = tl_linear_new(2, 2, false), *b = tl_linear_new(2, 2, false);
    tl_module_free(m);
    m = tl_sequential_new(2, a, b);
    tl_module_add_parameter(b, "tied", a->weight);
    assert_int_equal(tl_module_parameters(m, &st), 2);
    assert_int_equal(tl_module_num_parameters(m, false), 8);
    tl_module_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_linear_default_init_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_weight_matches_rand_cross_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kaiming_xavier_zeros, setup, teardown),
        cmocka_unit_test_setup_teardown(test_print_model, setup, teardown),
        cmocka_unit_test_setup_teardown(test_print_other_layers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parameter_names_order_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_freezing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_train_eval_propagate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forward_tutorial_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_linear_one_node, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backward_reaches_every_parameter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_activation_modules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_leaks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dropout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batchnorm1d, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mlp_counts_and_backward, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gradcheck_every_module, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_order, setup, teardown),
    };
    return cmocka_run_group_tests_name("ch04_nn", tests, NULL, NULL);
}
