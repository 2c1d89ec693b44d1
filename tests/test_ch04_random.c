// tests/test_ch04_random.c — cmocka tests of lib/random.c (chapter 04, "Random numbers identical to
// PyTorch's"): the MT19937 stream, rand / uniform_, both randn roads, randint, bernoulli_, randperm,
// the 64-bit random_ draw and the DataLoader's shuffle order, and the error messages.
//
// Floats are compared by their bits (memcmp), never by printed digits. Values marked "spec" are the
// reference vectors of shared/reference/torch-rng-spec.md (verified there against PyTorch 1.13.1);
// values marked "torch" were derived here with PyTorch 1.13.1 on x86-64 (AVX2), /usr/bin/python3:
//     torch.manual_seed(S); x = torch.<op>; [hex(struct.unpack('<I', struct.pack('<f', v))[0]) for v in x]
// (float64: float.hex(v)). Error messages are PyTorch 1.13.1's, verbatim.
//
//     gcc -std=c11 -Ilib tests/test_ch04_random.c -Lbuild -ltorchlet -lcmocka -lm -o test
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

// ----------------------------------------------------------------------------
// helpers

#include "fixture.h"

// t (float32, contiguous) has exactly these bits, element by element
static void check_bits32(const tl_tensor *t, const uint32_t *bits, int64_t n) {
    assert_non_null(t);
    assert_int_equal(t->dtype, TL_FLOAT32);
    assert_int_equal(tl_numel(t), n);
    for (int64_t i = 0; i < n; i++) {
        uint32_t b;
        memcpy(&b, &TL_DATA(t, float)[i], 4);
        if (b != bits[i]) fail_msg("element %lld: got 0x%08x, expected 0x%08x", (long long)i, b, bits[i]);
    }
}

static void check_f64(const tl_tensor *t, const double *want, int64_t n) {
    assert_non_null(t);
    assert_int_equal(t->dtype, TL_FLOAT64);
    assert_int_equal(tl_numel(t), n);
    for (int64_t i = 0; i < n; i++)
        if (memcmp(&TL_DATA(t, double)[i], &want[i], 8) != 0)
            fail_msg("element %lld: got %a, expected %a", (long long)i, TL_DATA(t, double)[i], want[i]);
}

// ----------------------------------------------------------------------------
// the engine

static void test_mt19937_stream(void **state) {
    (void)state;
    // spec §2: the first draws after manual_seed(123)
    const uint32_t want[10] = { 0xb24bcdfe, 0xb6843d6d, 0x49406d7e, 0x6db04542, 0x3a12efdc,
                                0xb0ddd462, 0x8d22f6e6, 0xb81a3c11, 0xb82f1e53, 0x7db9f86a };
    tl_manual_seed(123);
    for (int i = 0; i < 10; i++) assert_int_equal(tl_generator_random(NULL), want[i]);
    // the reference MT19937: seed 5489 (as std::mt19937)
    tl_generator *g = tl_generator_new(5489);
    assert_int_equal(tl_generator_random(g), 3499211612u);
    assert_int_equal(tl_generator_random(g), 581869302u);
    assert_int_equal(tl_generator_random(g), 3890346734u);
    // 10000 draws: the 10000th output of std::mt19937 with the default seed is 4123659995
    for (int i = 3; i < 9999; i++) tl_generator_random(g);
    assert_int_equal(tl_generator_random(g), 4123659995u);
    tl_generator_free(g);
}

static void test_seed_low_32_bits(void **state) {
    (void)state;
    tl_generator *a = tl_generator_new(7), *b = tl_generator_new((UINT64_C(1) << 32) + 7);
    tl_generator *c = tl_generator_new(UINT64_MAX), *d = tl_generator_new(0xFFFFFFFFu);  // manual_seed(-1)
    assert_true(b->seed == (UINT64_C(1) << 32) + 7);       // initial_seed() keeps all 64 bits
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(tl_generator_random(a), tl_generator_random(b));
        assert_int_equal(tl_generator_random(c), tl_generator_random(d));
    }
    // reseeding restarts the stream
    tl_generator_manual_seed(a, 123);
    assert_int_equal(tl_generator_random(a), 0xb24bcdfeu);
    tl_generator_free(a); tl_generator_free(b); tl_generator_free(c); tl_generator_free(d);
    // the default generator and a private one are independent streams
    tl_manual_seed(123);
    tl_generator *g = tl_generator_new(123);
    assert_int_equal(tl_generator_random(g), 0xb24bcdfeu);
    assert_int_equal(tl_generator_random(NULL), 0xb24bcdfeu);
    tl_generator_free(g);
    assert_non_null(tl_default_generator());
    assert_ptr_equal(tl_default_generator(), tl_default_generator());
}

static void test_random64(void **state) {
    (void)state;
    tl_manual_seed(123);
    assert_true(tl_generator_random64(NULL) == UINT64_C(0xb24bcdfeb6843d6d));   // first draw = high word
    // spec §7: int64 random_() after manual_seed(123)
    tl_manual_seed(123);
    assert_true(tl_random_int64(NULL) == INT64_C(3624216819017203053));
    assert_true(tl_random_int64(NULL) == INT64_C(5278339153051796802));
}

// ----------------------------------------------------------------------------
// uniform

static void test_rand_reference(void **state) {
    (void)state;
    // spec §14
    const uint32_t s123[8] = { 0x3e979bfc, 0x3f043d6d, 0x3e80dafc, 0x3f304542,
                               0x3d977ee0, 0x3f5dd462, 0x3e0bdb98, 0x3dd1e088 };
    const uint32_t s0[4] = { 0x3efe1558, 0x3f44aa2f, 0x3db533a8, 0x3e073300 };
    const uint32_t s42[4] = { 0x3f61dc66, 0x3f6a3db3, 0x3ec406b8, 0x3f75950e };
    tl_manual_seed(123); check_bits32(tl_rand(TL_SHAPE(8), NULL), s123, 8);
    tl_manual_seed(0);   check_bits32(tl_rand(TL_SHAPE(4), NULL), s0, 4);
    tl_manual_seed(42);  check_bits32(tl_rand(TL_SHAPE(2, 2), NULL), s42, 4);
    tl_generator *g = tl_generator_new(42);
    check_bits32(tl_rand(TL_SHAPE(4), g), s42, 4);
    tl_generator_free(g);
}

static void test_rand_tutorial_x(void **state) {
    (void)state;
    // torch: manual_seed(123); rand(1, 50) — the tutorial's X, starting 0.29611194
    const uint32_t want[50] = {
        0x3e979bfc, 0x3f043d6d, 0x3e80dafc, 0x3f304542, 0x3d977ee0, 0x3f5dd462, 0x3e0bdb98, 0x3dd1e088,
        0x3e3c794c, 0x3f39f86a, 0x3ea168f6, 0x3f2fe639, 0x3d9ae6b0, 0x3e495b84, 0x3ea200c0, 0x3ecdb0e2,
        0x3df2d3f0, 0x3f53d02f, 0x3ec3a092, 0x3f291620, 0x3f5a83ae, 0x3f17d8e0, 0x3f23006f, 0x3f7b8d99,
        0x3e8c8aa6, 0x3f288b4e, 0x3e8e19fa, 0x3f5b79a4, 0x3f663a60, 0x3d1fcd00, 0x3f6d4444, 0x3f3d1f31,
        0x3f37c737, 0x3f34b1c3, 0x3f6a6802, 0x3ede32a8, 0x3d9e0138, 0x3eb68a84, 0x3e176950, 0x3f08762f,
        0x3ed033f0, 0x3e6d5ef4, 0x3ee8b960, 0x3f794487, 0x3eebced2, 0x3f041063, 0x3ed812f8, 0x3f141f5c,
        0x3f720cb4, 0x3f4e4566 };
    tl_manual_seed(123);
    tl_tensor *x = tl_rand(TL_SHAPE(1, 50), NULL);
    assert_int_equal(x->ndim, 2);
    assert_int_equal(x->shape[0], 1);
    assert_int_equal(x->shape[1], 50);
    check_bits32(x, want, 50);
    assert_true(TL_DATA(x, float)[0] == 0.296111941f);
}

static void test_uniform_bounds_fma(void **state) {
    (void)state;
    // torch: manual_seed(5); torch.empty(6).uniform_(-2, 3)
    const uint32_t u5[6] = { 0x4009ae3c, 0xbfaf49fd, 0x402263eb, 0x4006606c, 0x40266ee0, 0xbfb558d9 };
    tl_manual_seed(5);
    tl_tensor *t = tl_empty(TL_SHAPE(6), TL_FLOAT32);
    assert_true(tl_uniform_(t, -2, 3, NULL));
    check_bits32(t, u5, 6);
    // spec §14: Linear(2, 30) after manual_seed(123): weight then bias, bound f32(1/sqrt(2)) (FMA values)
    const double b = 1.0 / sqrt(2.0);
    tl_manual_seed(123);
    tl_tensor *w = tl_empty(TL_SHAPE(30, 2), TL_FLOAT32), *bias = tl_empty(TL_SHAPE(30), TL_FLOAT32);
    assert_true(tl_uniform_(w, -b, b, NULL));
    assert_true(tl_uniform_(bias, -b, b, NULL));
    const uint32_t w4[4] = { 0xbe93a177, 0x3cbfe0c3, 0xbeb3cf42, 0x3e88879a };
    const uint32_t b3[3] = { 0x3de469ee, 0x3f159236, 0xbf2b102f };
    check_bits32(tl_slice(tl_reshape(w, TL_SHAPE(60)), 0, 0, 4, 1), w4, 4);
    check_bits32(tl_slice(bias, 0, 0, 3, 1), b3, 3);
}

static void test_uniform_float64(void **state) {
    (void)state;
    // torch: manual_seed(9); torch.empty(10, dtype=torch.float64).uniform_()
    const double want[10] = { 0x1.f85f975354570p-3, 0x1.ada7e7fc701f5p-1, 0x1.5ff6c03dcb070p-2,
        0x1.537da87a09cb0p-4, 0x1.647d036912410p-5, 0x1.37616e09191b4p-1, 0x1.ad1d919a7a940p-4,
        0x1.c77d11be14788p-4, 0x1.3bbe1956319d4p-3, 0x1.2995b7ea1ada1p-1 };
    tl_manual_seed(9);
    tl_tensor *t = tl_empty(TL_SHAPE(10), TL_FLOAT64);
    assert_true(tl_uniform_(t, 0, 1, NULL));
    check_f64(t, want, 10);
}

// ----------------------------------------------------------------------------
// normal

static void test_randn_scalar_path(void **state) {
    (void)state;
    // spec §5.1: manual_seed(123); randn(4)
    const uint32_t want[4] = { 0xbde448df, 0x3df680d9, 0xbebd40bc, 0xbe763021 };
    tl_manual_seed(123);
    check_bits32(tl_randn(TL_SHAPE(4), NULL), want, 4);
    // randn(3) leaves the 4th value cached in the generator: randn(3) + randn(1) == randn(4)
    tl_manual_seed(123);
    tl_tensor *a = tl_randn(TL_SHAPE(3), NULL);
    check_bits32(a, want, 3);
    assert_true(tl_default_generator()->has_next_normal);
    assert_true(tl_default_generator()->next_normal == -0.24041797675874255);
    // a normal_fill call in between neither uses nor clears the cache
    tl_randn(TL_SHAPE(16), NULL);
    check_bits32(tl_randn(TL_SHAPE(1), NULL), want + 3, 1);
    // manual_seed clears it
    tl_manual_seed(123);
    assert_false(tl_default_generator()->has_next_normal);
    // randn(3) then randn(5) = randn(8)
    tl_manual_seed(77);
    tl_tensor *r8 = tl_randn(TL_SHAPE(8), NULL);
    tl_manual_seed(77);
    tl_tensor *r3 = tl_randn(TL_SHAPE(3), NULL), *r5 = tl_randn(TL_SHAPE(5), NULL);
    assert_memory_equal(TL_DATA(r8, float), TL_DATA(r3, float), 3 * sizeof(float));
    assert_memory_equal(TL_DATA(r8, float) + 3, TL_DATA(r5, float), 5 * sizeof(float));
}

static void test_randn_fill_path(void **state) {
    (void)state;
    // spec §5.2: manual_seed(123); randn(16)[0..7], AVX2 kernel
    const uint32_t r16[8] = { 0x3eacbbc9, 0xbe360b3b, 0xbe9b67f8, 0xbf1687f2,
                              0x3eb27c61, 0x3f290c1b, 0xbe60e8af, 0xbec2228c };
    tl_manual_seed(123);
    tl_tensor *t = tl_randn(TL_SHAPE(16), NULL);
    check_bits32(tl_slice(t, 0, 0, 8, 1), r16, 8);
    // randn(20): elements 0..3 as randn(16), 4..7 from 16 fresh draws; 36 draws in all
    const uint32_t r20[4] = { 0x3fca5d36, 0x3fa6887a, 0x3fa33d12, 0xbe4dc6a6 };
    tl_manual_seed(123);
    tl_tensor *u = tl_randn(TL_SHAPE(4, 5), NULL);
    check_bits32(tl_slice(tl_reshape(u, TL_SHAPE(20)), 0, 0, 4, 1), r16, 4);
    check_bits32(tl_slice(tl_reshape(u, TL_SHAPE(20)), 0, 4, 8, 1), r20, 4);
    tl_generator *g = tl_generator_new(123);
    for (int i = 0; i < 36; i++) tl_generator_random(g);
    assert_int_equal(tl_generator_random(NULL), tl_generator_random(g));
    tl_generator_free(g);
}

// torch: manual_seed(7); randn(n) for n = 1, 15 (scalar road), 16, 17, 100 (normal_fill)
static const uint32_t randn7_15[15] = {
    0xbe165174, 0x3f49408e, 0x3f7262e7, 0xbf8ea2d3, 0x3fd86bd0, 0xbf651371, 0xbeb6147c, 0x3f9dbed1,
    0x3e0d7d22, 0xbfd75248, 0x3ea2a6bb, 0x3e07fe8d, 0x3e0c9eb0, 0x3e7651b9, 0x3fb29e22 };
static const uint32_t randn7_16[16] = {
    0xbf51f456, 0x3eca902b, 0x3f661ede, 0xbfb1b738, 0xbe2b0101, 0x3e91ff2d, 0xbf241e93, 0xbf64c69a,
    0x3f6d31ec, 0xbf091754, 0xbf9471b7, 0xbeeb99b8, 0x3f3562d1, 0x3f81a1f8, 0x3e6bed28, 0x3f8b8a88 };
static const uint32_t randn7_17[17] = {
    0xbf51f456, 0xbea62d99, 0x3ff6933b, 0xbea8f74c, 0x3e4b352e, 0x3f4835ea, 0x3f85017b, 0xbf397989,
    0xbf595213, 0xbe5c827d, 0xbfe869cc, 0xbeb0c38e, 0xc003ef41, 0x3f2c91dd, 0xbfa96365, 0xbfae0ce9,
    0xbf5de028 };
static const uint32_t randn7_100[100] = {
    0xbf51f456, 0x3eca902b, 0x3f661ede, 0xbfb1b738, 0xbe2b0101, 0x3e91ff2d, 0xbf241e93, 0xbf64c69a,
    0x3f6d31ec, 0xbf091754, 0xbf9471b7, 0xbeeb99b8, 0x3f3562d1, 0x3f81a1f8, 0x3e6bed28, 0x3f8b8a88,
    0xbfca94c1, 0xbea62d99, 0x3ff6933b, 0xbea8f74c, 0x3e4b352e, 0x3f4835ea, 0x3f85017b, 0xbf397989,
    0xbe565d56, 0xbe5c827d, 0xbfe869cc, 0xbeb0c38e, 0xc003ef41, 0x3f2c91dd, 0xbfa96365, 0xbfae0ce9,
    0xbdab10d9, 0xbcc054cb, 0x3e328f74, 0x4013180c, 0x3f7504a6, 0xbf297027, 0xbf54156f, 0xbf1b0ddd,
    0xbfb35c30, 0x3fa60f1a, 0x3fd20a1a, 0xbf87416d, 0xbe85eeb2, 0xbe801162, 0x3f00497f, 0x3e852377,
    0xbe367820, 0xbe84dd09, 0xbc6d5ed4, 0xbec48d5c, 0xc03dd5ba, 0xbf87c044, 0xbe9e34c3, 0x3f6f2d83,
    0x3fcfe99a, 0x3acd6ce1, 0xbee00556, 0xc006f236, 0x3f928f9b, 0xbec3adaa, 0xbeb5e56e, 0x3f4112c3,
    0x3e087004, 0x3e3aed2f, 0xbf03bef2, 0x3f4ceecd, 0xbf9f20d7, 0xbfdbdf4b, 0xbf15176c, 0xbf1d873b,
    0xbf62c39b, 0x3f9937e6, 0x3eef5730, 0xbe1364ff, 0xbf4fdf88, 0xbec5ed86, 0xbf84bbf3, 0x3f178f43,
    0xc0107f81, 0x3ecf0034, 0x3f127ba2, 0x3e9d99b4, 0x3e02808f, 0xbc9b2e3c, 0xbed085cd, 0x3f081d43,
    0xbf3df104, 0xbf233674, 0xbfca1003, 0x3f25606d, 0x3f01cfc3, 0xbe215e54, 0x3eebae9d, 0xbf939c53,
    0xbf307e2c, 0xbd4ace5c, 0xbf9ca98c, 0x3f23e8e8 };

static void test_randn_sizes(void **state) {
    (void)state;
    tl_manual_seed(7); check_bits32(tl_randn(TL_SHAPE(1), NULL), randn7_15, 1);
    tl_manual_seed(7); check_bits32(tl_randn(TL_SHAPE(15), NULL), randn7_15, 15);
    tl_manual_seed(7); check_bits32(tl_randn(TL_SHAPE(16), NULL), randn7_16, 16);
    tl_manual_seed(7); check_bits32(tl_randn(TL_SHAPE(17), NULL), randn7_17, 17);
    tl_manual_seed(7); check_bits32(tl_randn(TL_SHAPE(10, 10), NULL), randn7_100, 100);
    tl_generator *g = tl_generator_new(7);                 // the same through a private generator
    check_bits32(tl_randn(TL_SHAPE(100), g), randn7_100, 100);
    tl_generator_free(g);
}

static void test_normal_mean_std(void **state) {
    (void)state;
    // torch: manual_seed(5); torch.empty(n).normal_(1.5, 2.0), n = 5 (scalar road) and 20 (normal_fill)
    const uint32_t n5[5] = { 0x3f06c4ac, 0x3e95afcb, 0x3ec4826c, 0x40357170, 0x3f8d7634 };
    const uint32_t n20[20] = { 0x40a5e8bc, 0x40226ae5, 0xbff6407a, 0xbff38d98, 0x3f9ece6d, 0x3e97cac0,
        0x3fe51ea0, 0x3f99a4ed, 0x40d7553b, 0x3f21c7be, 0x400d1954, 0x3faf798e, 0x408ee85d, 0x401f3ca4,
        0x3fffcccd, 0x409fcf5d, 0x403f54da, 0x3fc81aab, 0xbf5846b0, 0xbfc1c6d8 };
    tl_manual_seed(5);
    tl_tensor *a = tl_empty(TL_SHAPE(5), TL_FLOAT32);
    assert_true(tl_normal_(a, 1.5, 2.0, NULL));
    check_bits32(a, n5, 5);
    tl_manual_seed(5);
    tl_tensor *b = tl_empty(TL_SHAPE(20), TL_FLOAT32);
    assert_true(tl_normal_(b, 1.5, 2.0, NULL));
    check_bits32(b, n20, 20);
}

static void test_normal_float64(void **state) {
    (void)state;
    // torch: manual_seed(9); torch.randn(3, dtype=torch.float64) and randn(20, dtype=torch.float64)
    const double r3[3] = { 0x1.6e68727595f52p-5, 0x1.e946f6427004ap+0, -0x1.d926b977d9a18p-3 };
    const double r20[20] = { 0x1.b41fd5d17017ep-2, -0x1.ab0dc3e716e2dp+0, -0x1.b714385ff5aaap-1,
        -0x1.9d5f95e9068b3p-4, 0x1.fae39a96b0df3p-2, -0x1.340bd8bb686a7p-1, -0x1.9c3dacc490276p-5,
        0x1.853fa8aa14d36p+0, -0x1.63ea9b5b1e72dp-3, 0x1.647b334e44a67p-2, 0x1.d31aa8461090ap+0,
        -0x1.4ce908fc85dc6p-3, 0x1.13fec4985ad5ep+0, 0x1.545f82c15b248p-2, 0x1.cd83e23eb2da2p-1,
        -0x1.3e8c29e0aa7dcp-3, 0x1.44467e25408c4p-1, -0x1.7d5734cb94fddp-6, -0x1.4f5585a0b1127p+0,
        -0x1.05d54edb3ea9ep+0 };
    tl_manual_seed(9);
    tl_tensor *a = tl_empty(TL_SHAPE(3), TL_FLOAT64);
    assert_true(tl_normal_(a, 0, 1, NULL));
    check_f64(a, r3, 3);
    tl_manual_seed(9);
    tl_tensor *b = tl_empty(TL_SHAPE(20), TL_FLOAT64);
    assert_true(tl_normal_(b, 0, 1, NULL));
    check_f64(b, r20, 20);
}

// ----------------------------------------------------------------------------
// integers, bernoulli, permutations

static void test_randint(void **state) {
    (void)state;
    // torch: manual_seed(3); torch.randint(-5, 10, (12,))
    const int64_t want[12] = { -4, 3, 2, 7, 5, -5, -5, 0, -4, -1, -1, 1 };
    tl_manual_seed(3);
    check_i64(tl_randint(-5, 10, TL_SHAPE(12), NULL), want, 12);
    // spec §7: randint(0, 2**32) uses random64 and keeps its low word = the second draw of each pair
    tl_manual_seed(123);
    tl_tensor *t = tl_randint(0, INT64_C(1) << 32, TL_SHAPE(2), NULL);
    assert_non_null(t);
    assert_int_equal(TL_DATA(t, int64_t)[0], 0xb6843d6d);
    assert_int_equal(TL_DATA(t, int64_t)[1], 0x6db04542);
}

static void test_bernoulli(void **state) {
    (void)state;
    // torch: manual_seed(3); torch.empty(12).bernoulli_(0.3), and float64 (6,)
    const uint32_t one = 0x3f800000, zero = 0;
    const uint32_t want[12] = { one, one, zero, one, zero, zero, one, zero, zero, zero, one, zero };
    const double want64[6] = { 1, 1, 0, 1, 0, 0 };
    tl_manual_seed(3);
    tl_tensor *t = tl_empty(TL_SHAPE(12), TL_FLOAT32);
    assert_true(tl_bernoulli_(t, 0.3, NULL));
    check_bits32(t, want, 12);
    tl_manual_seed(3);
    tl_tensor *d = tl_empty(TL_SHAPE(6), TL_FLOAT64);
    assert_true(tl_bernoulli_(d, 0.3, NULL));
    check_f64(d, want64, 6);
}

static void test_randperm(void **state) {
    (void)state;
    // spec §6
    tl_manual_seed(123); check_i64(tl_randperm(5, NULL), (const int64_t[]){ 2, 0, 1, 3, 4 }, 5);
    tl_manual_seed(123);
    check_i64(tl_randperm(10, NULL), (const int64_t[]){ 2, 0, 8, 1, 3, 7, 4, 9, 5, 6 }, 10);
    tl_manual_seed(0);
    check_i64(tl_randperm(10, NULL), (const int64_t[]){ 4, 1, 7, 5, 3, 9, 0, 8, 6, 2 }, 10);
    tl_generator *g = tl_generator_new(42);
    check_i64(tl_randperm(8, g), (const int64_t[]){ 6, 3, 0, 7, 2, 1, 4, 5 }, 8);
    tl_generator_free(g);
    // torch: manual_seed(1); randperm(0), randperm(1) (no draws), randperm(3)
    tl_manual_seed(1);
    tl_tensor *e = tl_randperm(0, NULL);
    assert_non_null(e);
    assert_int_equal(tl_numel(e), 0);
    check_i64(tl_randperm(1, NULL), (const int64_t[]){ 0 }, 1);
    check_i64(tl_randperm(3, NULL), (const int64_t[]){ 1, 2, 0 }, 3);
}

static void test_dataloader_shuffle(void **state) {
    (void)state;
    // spec §9 / tutorial: manual_seed(123), DataLoader(5 items, shuffle=True): each epoch draws two
    // random_ int64 values from the default generator (base seed, then the sampler's seed) and takes
    // randperm(5) of a generator seeded with the second.
    const int64_t orders[3][5] = { { 3, 1, 0, 2, 4 }, { 0, 2, 3, 1, 4 }, { 1, 3, 4, 2, 0 } };
    tl_manual_seed(123);
    for (int epoch = 0; epoch < 3; epoch++) {
        int64_t base_seed = tl_random_int64(NULL);
        int64_t seed = tl_random_int64(NULL);
        if (epoch == 0) {
            assert_true(base_seed == INT64_C(3624216819017203053));
            assert_true(seed == INT64_C(5278339153051796802));
        }
        tl_generator *g = tl_generator_new((uint64_t)seed);
        check_i64(tl_randperm(5, g), orders[epoch], 5);
        tl_generator_free(g);
    }
}

// ----------------------------------------------------------------------------
// errors

static void test_errors(void **state) {
    (void)state;
    assert_null(tl_randint(5, 5, TL_SHAPE(3), NULL));
    expect_error_kind(TL_RUNTIME_ERROR, "random_ expects 'from' to be less than 'to', but got from=5 >= to=5");
    assert_null(tl_randint(5, 2, TL_SHAPE(3), NULL));
    expect_error_kind(TL_RUNTIME_ERROR, "random_ expects 'from' to be less than 'to', but got from=5 >= to=2");
    assert_null(tl_randperm(-1, NULL));
    expect_error_kind(TL_RUNTIME_ERROR, "Trying to create tensor with negative dimension -1: [-1]");
    tl_tensor *f = tl_zeros(TL_SHAPE(3), TL_FLOAT32);
    assert_false(tl_uniform_(f, 2, 1, NULL));
    expect_error_kind(TL_RUNTIME_ERROR, "uniform_ expects to return a [from, to) range, but found from=2 > to=1");
    assert_false(tl_normal_(f, 0, -1, NULL));
    expect_error_kind(TL_RUNTIME_ERROR, "normal expects std >= 0.0, but found std -1");
    assert_false(tl_bernoulli_(f, 1.5, NULL));
    expect_error_kind(TL_RUNTIME_ERROR, "bernoulli_ expects p to be in [0, 1], but got p=1.5");
    tl_tensor *l = tl_zeros(TL_SHAPE(3), TL_INT64);
    assert_false(tl_normal_(l, 0, 1, NULL));
    expect_error_kind(TL_RUNTIME_ERROR, "\"normal_kernel_cpu\" not implemented for 'Long'");
    assert_false(tl_uniform_(l, 0, 1, NULL));
    expect_error_kind(TL_RUNTIME_ERROR, "\"check_uniform_bounds\" not implemented for 'Long'");
    // failed calls draw nothing and leave the tensor alone
    tl_manual_seed(123);
    assert_false(tl_uniform_(f, 2, 1, NULL));
    tl_error_clear();
    assert_true(tl_get(f, TL_SHAPE(0)) == 0.0);
    assert_int_equal(tl_generator_random(NULL), 0xb24bcdfeu);
    // a NULL tensor passes an earlier error through
    tl_error_clear();
    assert_false(tl_normal_(NULL, 0, 1, NULL));
    assert_null(tl_error());
    // non-contiguous tensors are refused with a clear message
    tl_tensor *m = tl_T(tl_zeros(TL_SHAPE(2, 3), TL_FLOAT32));
    assert_false(tl_uniform_(m, 0, 1, NULL));
    assert_non_null(tl_error());
    tl_error_clear();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mt19937_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seed_low_32_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rand_reference, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rand_tutorial_x, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uniform_bounds_fma, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uniform_float64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_randn_scalar_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_randn_fill_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_randn_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normal_mean_std, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normal_float64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_randint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bernoulli, setup, teardown),
        cmocka_unit_test_setup_teardown(test_randperm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dataloader_shuffle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
    };
    return cmocka_run_group_tests_name("ch04_random", tests, NULL, NULL);
}
