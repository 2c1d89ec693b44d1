/* generated from chapters/04-mlp/04-mlp.md by tools/tangle.lua; edit the chapter, not this file */
#line 53 "chapters/04-mlp/04-mlp.md"
// random.h — PyTorch's CPU random numbers, bit for bit (chapter 04).
//
//     tl_manual_seed(123);                               // torch.manual_seed(123)
//     tl_tensor *x = tl_rand(TL_SHAPE(1, 50), NULL);     // tensor([[0.2961, 0.5166, 0.2517, ...
//     tl_generator *g = tl_generator_new(42);            // torch.Generator().manual_seed(42)
//     tl_tensor *p = tl_randperm(8, g);                  // tensor([6, 3, 0, 7, 2, 1, 4, 5])
//     tl_generator_free(g);
//
// Every function that draws takes the generator last; NULL means the default generator.
// A generator is not locked: share one between threads only with your own lock.
#ifndef TL_RANDOM_H
#define TL_RANDOM_H
#include <stdbool.h>
#include <stdint.h>
#include "tensor.h"

#line 89 "chapters/04-mlp/04-mlp.md"
// ---------------------------------------------------------------------------
// The generator: MT19937's state plus what PyTorch's CPUGeneratorImpl adds.
#define TL_MT_N 624
typedef struct tl_generator {
    uint64_t seed;                  // the seed as given: torch.initial_seed()
    uint32_t state[TL_MT_N];        // the twister's 624 words
    int      left;                  // words still to hand out before the next twist (+1)
    int      next;                  // index of the next word to hand out
    bool     has_next_normal;       // a cached second Box-Muller value (scalar randn path)
    double   next_normal;
} tl_generator;
#line 70 "chapters/04-mlp/04-mlp.md"

#line 193 "chapters/04-mlp/04-mlp.md"
// ---------------------------------------------------------------------------
// Generators. The default one starts with PyTorch's default seed 67280421310721.
tl_generator *tl_default_generator(void);
void          tl_manual_seed(uint64_t seed);                     // torch.manual_seed: the default one
tl_generator *tl_generator_new(uint64_t seed);                  // torch.Generator().manual_seed(seed)
void          tl_generator_free(tl_generator *g);
void          tl_generator_manual_seed(tl_generator *g, uint64_t seed);
uint32_t      tl_generator_random(tl_generator *g);             // one 32-bit draw
uint64_t      tl_generator_random64(tl_generator *g);           // two draws, the first is the high word
int64_t       tl_random_int64(tl_generator *g);                 // int64 random_(): random64 & (2^63-1)
#line 530 "chapters/04-mlp/04-mlp.md"
// ---------------------------------------------------------------------------
// Random tensors (new, contiguous). Each returns NULL + PyTorch's message on bad arguments.
tl_tensor *tl_rand(tl_shape shape, tl_generator *g);       // float32, uniform [0, 1): 1 draw each
tl_tensor *tl_randn(tl_shape shape, tl_generator *g);      // float32, standard normal
tl_tensor *tl_randint(int64_t low, int64_t high, tl_shape shape, tl_generator *g);   // int64 in [low, high)
tl_tensor *tl_randperm(int64_t n, tl_generator *g);        // int64, a permutation of 0..n-1

// In-place fills of a contiguous float32/float64 tensor (bernoulli_: any dtype); false + error otherwise.
bool tl_uniform_(tl_tensor *t, double from, double to, tl_generator *g);
bool tl_normal_(tl_tensor *t, double mean, double std, tl_generator *g);
bool tl_bernoulli_(tl_tensor *t, double p, tl_generator *g);
#line 72 "chapters/04-mlp/04-mlp.md"

#endif
