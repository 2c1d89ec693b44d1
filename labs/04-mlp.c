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
#line 28 "chapters/04-mlp/04-mlp.md"
    return tl_lab_end();
}
