/* generated from chapters/04-mlp/04-mlp.md by tools/tangle.lua; edit the chapter, not this file */
#line 23 "chapters/04-mlp/04-mlp.md"
// 04-mlp — tutorial §5 (multilayer networks): random numbers, activation functions, modules.
#include "torchlet.h"
#include "neural_network.h"
#include <math.h>
#include <stdio.h>

#line 2476 "chapters/04-mlp/04-mlp.md"
// seed 003's MLP (003:774-805): fc1 -> bn1 -> relu -> dropout -> fc2 -> bn2 -> relu -> dropout -> fc3
static tl_tensor *mlp_forward(tl_module *self, const tl_tensor *x) {
    tl_module *dropout = tl_module_child(self, "dropout");
    x = tl_module_forward(tl_module_child(self, "fc1"), x);
    x = tl_module_forward(dropout, tl_relu(tl_module_forward(tl_module_child(self, "bn1"), x)));
    x = tl_module_forward(tl_module_child(self, "fc2"), x);
    x = tl_module_forward(dropout, tl_relu(tl_module_forward(tl_module_child(self, "bn2"), x)));
    return tl_module_forward(tl_module_child(self, "fc3"), x);
}

static tl_module *mlp_new(int64_t input_dim, int64_t hidden_dim, int64_t output_dim, double dropout) {
    tl_module *m = tl_module_new("MLP", mlp_forward);
    tl_module_add(m, "fc1", tl_linear_new(input_dim, hidden_dim, true));
    tl_module_add(m, "bn1", tl_batchnorm1d_new(hidden_dim));
    tl_module_add(m, "dropout", tl_dropout_new(dropout));
    tl_module_add(m, "fc2", tl_linear_new(hidden_dim, hidden_dim, true));
    tl_module_add(m, "bn2", tl_batchnorm1d_new(hidden_dim));
    tl_module_add(m, "fc3", tl_linear_new(hidden_dim, output_dim, true));
    return m;
}

// 270346 -> "270,346", as Python's f"{n:,}"
static const char *thousands(int64_t n) {
    static char buf[32];
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%lld", (long long)n), o = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && digits[i] != '-' && (len - i) % 3 == 0 && digits[i - 1] != '-') buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}
#line 30 "chapters/04-mlp/04-mlp.md"

int main(int argc, char **argv) {
    tl_lab_begin(argc, argv);
#line 584 "chapters/04-mlp/04-mlp.md"
    TL_CELL("torch.rand after manual_seed(123)");
    tl_manual_seed(123);
    tl_tensor *X = tl_rand(TL_SHAPE(1, 50), NULL);
    tl_print(X);
#line 605 "chapters/04-mlp/04-mlp.md"
    TL_CELL("the data loader's shuffles");
    tl_manual_seed(123);
    for (int pass = 0; pass < 3; pass++) {
        tl_random_int64(NULL);                              // the loader's base seed (unused here)
        int64_t seed = tl_random_int64(NULL);               // the sampler's seed
        tl_generator *g = tl_generator_new((uint64_t)seed);
        tl_print(tl_randperm(5, g));
        tl_generator_free(g);
    }
#line 626 "chapters/04-mlp/04-mlp.md"
    TL_CELL("randn's two roads");
    tl_manual_seed(42);
    tl_print(tl_randn(TL_SHAPE(2, 3), NULL));
    tl_manual_seed(42);
    tl_print(tl_slice(tl_flatten(tl_randn(TL_SHAPE(100, 1), NULL), 0, -1), 0, 0, 4, 1));
#line 642 "chapters/04-mlp/04-mlp.md"
    TL_CELL("a private generator");
    tl_generator *g42 = tl_generator_new(42);
    tl_print(tl_randperm(10, g42));
    tl_generator_free(g42);
    tl_manual_seed(123);
    tl_print(tl_randint(0, 10, TL_SHAPE(8), NULL));
#line 1116 "chapters/04-mlp/04-mlp.md"
    TL_CELL("activation: relu, tanh, sigmoid");
    tl_tensor *ax = tl_tensor_parse("[-2., -1., 0., 1., 2.]");
    tl_print(tl_relu(ax));
    tl_print(tl_tanh(ax));
    tl_print(tl_sigmoid(ax));
#line 1132 "chapters/04-mlp/04-mlp.md"
    TL_CELL("activation: gelu");
    tl_print(tl_gelu(ax, false));
    tl_print(tl_gelu(ax, true));
#line 1143 "chapters/04-mlp/04-mlp.md"
    TL_CELL("activation: silu, leaky_relu, elu, prelu");
    tl_print(tl_silu(ax));
    tl_print(tl_leaky_relu(ax, 0.01));
    tl_print(tl_elu(ax, 1.0));
    tl_print(tl_prelu(ax, tl_tensor_parse("[0.25]")));
#line 1163 "chapters/04-mlp/04-mlp.md"
    TL_CELL("activation: prelu learns its slope");
    tl_tensor *pa = tl_requires_grad_(tl_tensor_parse("[0.25]"), true);
    tl_tensor *px = tl_requires_grad_(tl_tensor_parse("[-2., -1., 0., 1., 2.]"), true);
    tl_tensor *py = tl_prelu(px, pa);
    tl_print(py);
    tl_backward(tl_sum(py));
    tl_print(pa->grad);
    tl_print(px->grad);
#line 1182 "chapters/04-mlp/04-mlp.md"
    TL_CELL("activation: the curves");
    enum { NPTS = 121, NCURVES = 8 };
    tl_tensor *cx = tl_empty(TL_SHAPE(NPTS), TL_FLOAT64);
    for (int i = 0; i < NPTS; i++) TL_DATA(cx, double)[i] = -3.0 + 6.0 * i / (NPTS - 1);
    tl_tensor *curves[NCURVES] = {
        tl_relu(cx), tl_tanh(cx), tl_sigmoid(cx), tl_gelu(cx, false), tl_silu(cx),
        tl_leaky_relu(cx, 0.1), tl_prelu(cx, tl_tensor_parse_dtype("[0.25]", TL_FLOAT64)), tl_elu(cx, 1.0),
    };
    const char *names[NCURVES] = { "ReLU", "Tanh", "Sigmoid", "GELU", "SiLU",
                                   "LeakyReLU (0.1)", "PReLU (a = 0.25)", "ELU" };
    const double *ys[NCURVES];
    for (int c = 0; c < NCURVES; c++) ys[c] = TL_DATA(curves[c], double);
    FILE *fig = tl_lab_figure("activations.svg");
    if (fig) {
        tl_plot_svg(fig, "Activation functions", TL_DATA(cx, double), ys, names, NCURVES, NPTS);
        fclose(fig);
    }
    printf("%d curves of %d points\n", NCURVES, NPTS);
#line 2286 "chapters/04-mlp/04-mlp.md"
    TL_CELL("NeuralNetwork(50, 3)");
    tl_module *model = neural_network_new(50, 3);
    tl_module_print(model);
#line 2306 "chapters/04-mlp/04-mlp.md"
    TL_CELL("trainable parameters");
    printf("Total number of trainable model parameters: %lld\n", (long long)tl_module_num_parameters(model, true));
#line 2319 "chapters/04-mlp/04-mlp.md"
    TL_CELL("named parameters, layer by layer");
    tl_named_tensor *params;
    int nparams = tl_module_parameters(model, &params);
    for (int i = 0; i < nparams; i++)
        printf("%-16s %-22s %lld\n", params[i].name, tl_shape_str(params[i].tensor), (long long)tl_numel(params[i].tensor));
    for (int i = 0; i < 5; i += 2) {
        char path[24];
        snprintf(path, sizeof path, "layers.%d", i);
        printf("%s: %lld\n", path, (long long)tl_module_num_parameters(tl_module_get(model, path), true));
    }
#line 2347 "chapters/04-mlp/04-mlp.md"
    TL_CELL("model.layers[0].weight.shape");
    printf("%s\n", tl_shape_str(tl_module_get(model, "layers.0")->weight));
    tl_module_free(model);
#line 2361 "chapters/04-mlp/04-mlp.md"
    TL_CELL("seeded weights");
    tl_manual_seed(123);
    model = neural_network_new(50, 3);
    tl_print(tl_module_get(model, "layers.0")->weight);
#line 2384 "chapters/04-mlp/04-mlp.md"
    TL_CELL("model(X)");
    tl_manual_seed(123);
    X = tl_rand(TL_SHAPE(1, 50), NULL);
    const float *w0 = TL_DATA(tl_module_get(model, "layers.0")->weight, float);
    double worst = 0;
    for (int j = 0; j < 50; j++) {
        double diff = fabs(w0[j] - (2.0 * TL_DATA(X, float)[j] - 1.0) / sqrt(50.0));
        if (diff > worst) worst = diff;
    }
    printf("W[0, j] == (2 X[0, j] - 1) / sqrt(50) for all 50 j (to float precision): %s\n", worst < 1e-7 ? "True" : "False");
    tl_tensor *out = tl_module_forward(model, X);
    tl_print(out);
#line 2407 "chapters/04-mlp/04-mlp.md"
    TL_CELL("model(X) under no_grad");
    TL_NO_GRAD { tl_print(tl_module_forward(model, X)); }
#line 2420 "chapters/04-mlp/04-mlp.md"
    TL_CELL("softmax(model(X), dim=1)");
    TL_NO_GRAD { tl_print(tl_softmax(tl_module_forward(model, X), 1)); }
    tl_module_free(model);
#line 2437 "chapters/04-mlp/04-mlp.md"
    TL_CELL("the weights of a fresh Linear(50, 30)");
    tl_manual_seed(123);
    tl_module *fresh = tl_linear_new(50, 30, true);
    enum { NBINS = 20 };
    double bound = 1 / sqrt(50.0), centers[NBINS], counts[NBINS] = { 0 };
    const float *fw = TL_DATA(fresh->weight, float);
    for (int64_t i = 0; i < tl_numel(fresh->weight); i++) {
        int bin = (int)((fw[i] + bound) / (2 * bound) * NBINS);
        counts[bin < 0 ? 0 : bin >= NBINS ? NBINS - 1 : bin] += 1;
    }
    for (int b = 0; b < NBINS; b++) {
        centers[b] = -bound + (b + 0.5) * 2 * bound / NBINS;
        printf("%d%s", (int)counts[b], b + 1 < NBINS ? " " : "\n");
    }
    const double *hist[1] = { counts };
    const char *hist_name[1] = { "weights per bin" };
    FILE *hf = tl_lab_figure("linear-weights.svg");
    if (hf) {
        tl_plot_svg(hf, "Weights of a fresh Linear(50, 30): 1500 draws, 20 bins", centers, hist, hist_name, 1, NBINS);
        fclose(hf);
    }
    tl_module_free(fresh);
#line 2514 "chapters/04-mlp/04-mlp.md"
    TL_CELL("seed 003: MLP(784, 256, 10)");
    tl_module *mlp = mlp_new(784, 256, 10, 0.1);
    tl_module_print(mlp);
    printf("Total parameters: %s\n", thousands(tl_module_num_parameters(mlp, false)));
    printf("Trainable parameters: %s\n", thousands(tl_module_num_parameters(mlp, true)));
    int nmlp = tl_module_parameters(mlp, &params);
    for (int i = 0; i < nmlp; i++) printf("  %s: %s\n", params[i].name, tl_shape_str(params[i].tensor));
#line 2551 "chapters/04-mlp/04-mlp.md"
    TL_CELL("seed 003: freezing fc1, a batch of 4");
    int frozen = 0;
    tl_requires_grad_(tl_module_param(mlp, "fc1.weight"), false);
    tl_requires_grad_(tl_module_param(mlp, "fc1.bias"), false);
    for (int i = 0; i < nmlp; i++) frozen += !params[i].tensor->requires_grad;
    printf("Froze %d parameter tensors\n", frozen);
    printf("Trainable parameters: %s\n", thousands(tl_module_num_parameters(mlp, true)));
    tl_manual_seed(0);
    printf("Output shape: %s\n", tl_shape_str(tl_module_forward(mlp, tl_randn(TL_SHAPE(4, 784), NULL))));
    tl_module_free(mlp);
#line 2576 "chapters/04-mlp/04-mlp.md"
    TL_CELL("activation layers");
    tl_module *acts = tl_sequential_new(8, tl_relu_new(), tl_tanh_new(), tl_sigmoid_new(), tl_gelu_new(false),
                                        tl_silu_new(), tl_leaky_relu_new(0.01), tl_prelu_new(1, 0.25), tl_elu_new(1.0));
    tl_module_print(acts);
    tl_print(tl_module_forward(tl_module_child(acts, "6"), tl_tensor_parse("[-2., 2.]")));
    tl_module_free(acts);
#line 2609 "chapters/04-mlp/04-mlp.md"
    TL_CELL("seed 003: linear regression with autograd");
    tl_manual_seed(42);
    tl_tensor *rx = tl_randn(TL_SHAPE(100, 1), NULL);
    tl_tensor *ry = tl_add(tl_add_scalar(tl_mul_scalar(rx, 3), 2), tl_mul_scalar(tl_randn(TL_SHAPE(100, 1), NULL), 0.3));
    tl_tensor *rw = tl_requires_grad_(tl_randn(TL_SHAPE(1), NULL), true);
    tl_tensor *rb = tl_requires_grad_(tl_zeros(TL_SHAPE(1), TL_FLOAT32), true);
    for (int epoch = 0; epoch < 100; epoch++) {
        TL_SCOPE {                                                   // this step's graph dies here
            tl_tensor *pred = tl_add(tl_mul(rx, rw), rb);                      // X * w + b
            tl_tensor *loss = tl_mean(tl_pow_scalar(tl_sub(pred, ry), 2));     // ((pred - y) ** 2).mean()
            tl_backward(loss);
            TL_NO_GRAD {
                tl_add_(rw, tl_mul_scalar(rw->grad, -0.1));                    // w -= lr * w.grad
                tl_add_(rb, tl_mul_scalar(rb->grad, -0.1));
            }
            tl_zero_grad_(rw);
            tl_zero_grad_(rb);
            if ((epoch + 1) % 20 == 0)
                printf("Epoch %3d: loss=%.4f, w=%.4f, b=%.4f\n", epoch + 1, tl_item(loss), tl_item(rw), tl_item(rb));
        }
    }
    printf("Final result: y = %.4fx + %.4f\n", tl_item(rw), tl_item(rb));
#line 34 "chapters/04-mlp/04-mlp.md"
    return tl_lab_end();
}
