/* generated from chapters/04-mlp/04-mlp.md by tools/tangle.lua; edit the chapter, not this file */
#line 21 "chapters/04-mlp/04-mlp.md"
// 04-mlp — tutorial §5 (multilayer networks); for now its random numbers.
#include "torchlet.h"
#include <stdio.h>

int main(int argc, char **argv) {
    tl_lab_begin(argc, argv);
#line 578 "chapters/04-mlp/04-mlp.md"
    TL_CELL("torch.rand after manual_seed(123)");
    tl_manual_seed(123);
    tl_tensor *X = tl_rand(TL_SHAPE(1, 50), NULL);
    tl_print(X);
#line 599 "chapters/04-mlp/04-mlp.md"
    TL_CELL("the data loader's shuffles");
    tl_manual_seed(123);
    for (int pass = 0; pass < 3; pass++) {
        tl_random_int64(NULL);                              // the loader's base seed (unused here)
        int64_t seed = tl_random_int64(NULL);               // the sampler's seed
        tl_generator *g = tl_generator_new((uint64_t)seed);
        tl_print(tl_randperm(5, g));
        tl_generator_free(g);
    }
#line 620 "chapters/04-mlp/04-mlp.md"
    TL_CELL("randn's two roads");
    tl_manual_seed(42);
    tl_print(tl_randn(TL_SHAPE(2, 3), NULL));
    tl_manual_seed(42);
    tl_print(tl_slice(tl_flatten(tl_randn(TL_SHAPE(100, 1), NULL), 0, -1), 0, 0, 4, 1));
#line 636 "chapters/04-mlp/04-mlp.md"
    TL_CELL("a private generator");
    tl_generator *g42 = tl_generator_new(42);
    tl_print(tl_randperm(10, g42));
    tl_generator_free(g42);
    tl_manual_seed(123);
    tl_print(tl_randint(0, 10, TL_SHAPE(8), NULL));
#line 1098 "chapters/04-mlp/04-mlp.md"
    TL_CELL("activation: relu, tanh, sigmoid");
    tl_tensor *ax = tl_tensor_parse("[-2., -1., 0., 1., 2.]");
    tl_print(tl_relu(ax));
    tl_print(tl_tanh(ax));
    tl_print(tl_sigmoid(ax));
#line 1114 "chapters/04-mlp/04-mlp.md"
    TL_CELL("activation: gelu");
    tl_print(tl_gelu(ax, false));
    tl_print(tl_gelu(ax, true));
#line 1125 "chapters/04-mlp/04-mlp.md"
    TL_CELL("activation: silu, leaky_relu, elu, prelu");
    tl_print(tl_silu(ax));
    tl_print(tl_leaky_relu(ax, 0.01));
    tl_print(tl_elu(ax, 1.0));
    tl_print(tl_prelu(ax, tl_tensor_parse("[0.25]")));
#line 1145 "chapters/04-mlp/04-mlp.md"
    TL_CELL("activation: prelu learns its slope");
    tl_tensor *pa = tl_requires_grad_(tl_tensor_parse("[0.25]"), true);
    tl_tensor *px = tl_requires_grad_(tl_tensor_parse("[-2., -1., 0., 1., 2.]"), true);
    tl_tensor *py = tl_prelu(px, pa);
    tl_print(py);
    tl_backward(tl_sum(py));
    tl_print(pa->grad);
    tl_print(px->grad);
#line 1164 "chapters/04-mlp/04-mlp.md"
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
#line 28 "chapters/04-mlp/04-mlp.md"
    return tl_lab_end();
}
