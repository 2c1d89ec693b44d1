/* generated from chapters/04-mlp/04-mlp.md by tools/tangle.lua; edit the chapter, not this file */
#line 546 "chapters/04-mlp/04-mlp.md"
// random.c — PyTorch's CPU generator (MT19937) and its distributions, bit for bit (chapter 04).
// Specification: PyTorch 1.13.1's CPUGeneratorImpl, DistributionsHelper.h and the CPU
// distribution kernels (uniform_, normal_ with its scalar and AVX2 roads, random_, randperm).
// Compiled WITHOUT floating-point contraction: every fused multiply-add is an explicit fma/fmaf.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "random.h"

// ---------------------------------------------------------------------------
// the engine: seeding, drawing, the default generator
#line 109 "chapters/04-mlp/04-mlp.md"
void tl_generator_manual_seed(tl_generator *g, uint64_t seed) {
    if (!g) g = tl_default_generator();
    g->seed = seed;
    g->state[0] = (uint32_t)(seed & 0xFFFFFFFFu);          // only the low 32 bits count
    for (int j = 1; j < TL_MT_N; j++)
        g->state[j] = 1812433253u * (g->state[j - 1] ^ (g->state[j - 1] >> 30)) + (uint32_t)j;
    g->left = 1;                                           // the first draw twists
    g->next = 0;
    g->has_next_normal = false;
}
#line 126 "chapters/04-mlp/04-mlp.md"
static void mt_twist(tl_generator *g) {
    enum { M = 397 };
    uint32_t *s = g->state;
#define TL_MT_MIX(u, v) ((((u) & 0x80000000u) | ((v) & 0x7FFFFFFFu)) >> 1 ^ (((v) & 1u) ? 0x9908B0DFu : 0u))
    int k = 0;
    for (; k < TL_MT_N - M; k++) s[k] = s[k + M] ^ TL_MT_MIX(s[k], s[k + 1]);
    for (; k < TL_MT_N - 1; k++) s[k] = s[k + M - TL_MT_N] ^ TL_MT_MIX(s[k], s[k + 1]);
    s[TL_MT_N - 1] = s[M - 1] ^ TL_MT_MIX(s[TL_MT_N - 1], s[0]);
#undef TL_MT_MIX
    g->left = TL_MT_N;
    g->next = 0;
}

uint32_t tl_generator_random(tl_generator *g) {
    if (!g) g = tl_default_generator();
    if (--g->left == 0) mt_twist(g);
    uint32_t y = g->state[g->next++];
    y ^= y >> 11;                                          // tempering
    y ^= (y << 7) & 0x9D2C5680u;
    y ^= (y << 15) & 0xEFC60000u;
    y ^= y >> 18;
    return y;
}
#line 156 "chapters/04-mlp/04-mlp.md"
uint64_t tl_generator_random64(tl_generator *g) {
    uint64_t hi = tl_generator_random(g);
    uint64_t lo = tl_generator_random(g);
    return hi << 32 | lo;
}

int64_t tl_random_int64(tl_generator *g) {     // torch.empty((), dtype=torch.int64).random_()
    return (int64_t)(tl_generator_random64(g) & 0x7FFFFFFFFFFFFFFFu);
}
#line 171 "chapters/04-mlp/04-mlp.md"
static tl_generator default_generator;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static void default_init(void) { tl_generator_manual_seed(&default_generator, 67280421310721u); }

tl_generator *tl_default_generator(void) {
    pthread_once(&default_once, default_init);
    return &default_generator;
}

void tl_manual_seed(uint64_t seed) { tl_generator_manual_seed(tl_default_generator(), seed); }

tl_generator *tl_generator_new(uint64_t seed) {
    tl_generator *g = malloc(sizeof *g);
    if (!g) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return NULL; }
    tl_generator_manual_seed(g, seed);
    return g;
}

void tl_generator_free(tl_generator *g) { free(g); }
#line 563 "chapters/04-mlp/04-mlp.md"

// ---------------------------------------------------------------------------
// uniform: rand, uniform_
#line 220 "chapters/04-mlp/04-mlp.md"
static inline float uniform24(tl_generator *g) {              // [0, 1), exact
    return (float)(tl_generator_random(g) & 0xFFFFFFu) * 0x1p-24f;
}
static inline double uniform53(tl_generator *g) {             // [0, 1), exact
    return (double)(tl_generator_random64(g) & ((UINT64_C(1) << 53) - 1)) * 0x1p-53;
}
#line 233 "chapters/04-mlp/04-mlp.md"
static bool check_fill(const tl_tensor *t, const char *kernel, bool allow_int) {
    if (!t) return false;
    if (t->storage->device.type != TL_CPU) {
        tl_error_set(TL_RUNTIME_ERROR, "%s: only CPU tensors are supported by Torchlet's generator", kernel);
        return false;
    }
    if (!tl_is_contiguous(t)) {
        tl_error_set(TL_RUNTIME_ERROR, "%s: Torchlet fills only contiguous tensors", kernel);
        return false;
    }
    if (!allow_int && !tl_dtype_is_floating(t->dtype)) {
        tl_error_set(TL_RUNTIME_ERROR, "\"%s\" not implemented for '%s'", kernel,
                     t->dtype == TL_INT64 ? "Long" : "Bool");
        return false;
    }
    return true;
}

bool tl_uniform_(tl_tensor *t, double from, double to, tl_generator *g) {
    if (!check_fill(t, "check_uniform_bounds", false)) return false;
    if (from > to) {
        tl_error_set(TL_RUNTIME_ERROR, "uniform_ expects to return a [from, to) range, but found from=%g > to=%g",
                     from, to);
        return false;
    }
    if (!g) g = tl_default_generator();
    int64_t n = tl_numel(t);
    if (t->dtype == TL_FLOAT32) {
        float from32 = (float)from, range = (float)to - from32, *d = TL_DATA(t, float);
        for (int64_t i = 0; i < n; i++) d[i] = fmaf(uniform24(g), range, from32);
    } else {
        double *d = TL_DATA(t, double);
        for (int64_t i = 0; i < n; i++) d[i] = fma(uniform53(g), to - from, from);
    }
    return true;
}

tl_tensor *tl_rand(tl_shape shape, tl_generator *g) {
    tl_tensor *t = tl_empty(shape, TL_FLOAT32);
    return t && tl_uniform_(t, 0.0, 1.0, g) ? t : NULL;
}
#line 567 "chapters/04-mlp/04-mlp.md"

// ---------------------------------------------------------------------------
// normal: randn, normal_ (scalar Box-Muller, vectorised normal_fill)
#line 296 "chapters/04-mlp/04-mlp.md"
static double normal_scalar(tl_generator *g) {              // one standard normal, double
    if (g->has_next_normal) { g->has_next_normal = false; return g->next_normal; }
    double u1 = uniform53(g), u2 = uniform53(g);
    double r = sqrt(-2.0 * log(1.0 - u2));
    double theta = 2.0 * 3.14159265358979323846 * u1;
    g->next_normal = r * sin(theta);                          // kept for the next value
    g->has_next_normal = true;
    return r * cos(theta);
}
#line 319 "chapters/04-mlp/04-mlp.md"
static inline float f32_of(uint32_t bits) { float f; memcpy(&f, &bits, 4); return f; }
static inline uint32_t bits_of(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }

static float cephes_logf(float x) {                           // log256_ps of avx_mathfun.h, one lane
    static const float P[9] = { 7.0376836292E-2f, -1.1514610310E-1f, 1.1676998740E-1f,
        -1.2420140846E-1f, 1.4249322787E-1f, -1.6668057665E-1f, 2.0000714765E-1f,
        -2.4999993993E-1f, 3.3333331174E-1f };
    const float Q1 = -2.12194440e-4f, Q2 = 0.693359375f, SQRTHF = 0.707106781186547524f;
    if (x < 0x1p-126f) x = 0x1p-126f;
    uint32_t b = bits_of(x);
    int e_int = (int)(b >> 23) - 127;
    x = f32_of((b & 0x807FFFFFu) | 0x3F000000u);              // mantissa in [0.5, 1)
    float e = (float)(e_int + 1);
    if (x < SQRTHF) { e = e - 1.0f; x = (x - 1.0f) + x; }
    else            { x = x - 1.0f; }
    float z = x * x;
    float y = P[0];
    for (int k = 1; k < 9; k++) y = fmaf(y, x, P[k]);        // fused Horner steps
    y = y * x;
    y = fmaf(y, z, e * Q1);
    y = y - z * 0.5f;
    return fmaf(e, Q2, x + y);
}
#line 349 "chapters/04-mlp/04-mlp.md"
static void cephes_sincosf(float x, float *s_out, float *c_out) {   // sincos256_ps, one lane
    const float DP1 = -0.78515625f, DP2 = -2.4187564849853515625e-4f, DP3 = -3.77489497744594108e-8f;
    const float SIN0 = -1.9515295891E-4f, SIN1 = 8.3321608736E-3f, SIN2 = -1.6666654611E-1f;
    const float COS0 = 2.443315711809948E-005f, COS1 = -1.388731625493765E-003f,
                COS2 = 4.166664568298827E-002f, FOPI = 1.27323954473516f;
    bool sign_sin = signbit(x);
    x = fabsf(x);
    int j = (int)(x * FOPI);
    j = (j + 1) & ~1;
    float y = (float)j;
    bool swap = (j & 4) != 0, sin_poly_for_sin = (j & 2) == 0;
    x = fmaf(y, DP1, x); x = fmaf(y, DP2, x); x = fmaf(y, DP3, x);
    bool sign_cos = ((~(j - 2)) & 4) != 0;
    sign_sin ^= swap;
    float z = x * x;
    float yc = fmaf(fmaf(COS0, z, COS1), z, COS2);
    yc = yc * z;
    yc = fmaf(yc, z, -(z * 0.5f));
    yc = yc + 1.0f;
    float ys = fmaf(fmaf(SIN0, z, SIN1), z, SIN2);
    ys = ys * z;
    ys = fmaf(ys, x, x);
    float s = sin_poly_for_sin ? ys : yc, c = sin_poly_for_sin ? yc : ys;
    *s_out = sign_sin ? -s : s;
    *c_out = sign_cos ? -c : c;
}
#line 380 "chapters/04-mlp/04-mlp.md"
static void normal_block16(float *d, float mean, float std) {
    const float TWO_PI = (float)(2.0 * 3.14159265358979323846);
    for (int j = 0; j < 8; j++) {
        float u1 = 1.0f - d[j], u2 = d[j + 8];               // u1 in (0, 1]
        float radius = sqrtf(-2.0f * cephes_logf(u1));
        float s, c;
        cephes_sincosf(TWO_PI * u2, &s, &c);
        d[j]     = fmaf(radius * c, std, mean);
        d[j + 8] = fmaf(radius * s, std, mean);
    }
}

static void normal_fill(float *d, int64_t n, float mean, float std, tl_generator *g) {
    for (int64_t i = 0; i < n; i++) d[i] = uniform24(g);
    for (int64_t b = 0; b + 16 <= n; b += 16) normal_block16(d + b, mean, std);
    if (n % 16 != 0) {                                        // redo the last 16 with fresh draws
        for (int i = 0; i < 16; i++) d[n - 16 + i] = uniform24(g);
        normal_block16(d + n - 16, mean, std);
    }
}
#line 407 "chapters/04-mlp/04-mlp.md"
static void normal_block16_64(double *x, double mean, double std) {
    for (int j = 0; j < 8; j++) {
        double u1 = 1.0 - x[j], u2 = x[j + 8];
        double radius = sqrt(-2.0 * log(u1)), theta = 2.0 * 3.14159265358979323846 * u2;
        x[j]     = radius * cos(theta) * std + mean;
        x[j + 8] = radius * sin(theta) * std + mean;
    }
}

static void normal_fill64(double *d, int64_t n, double mean, double std, tl_generator *g) {
    for (int64_t i = 0; i < n; i++) d[i] = uniform53(g);
    for (int64_t b = 0; b + 16 <= n; b += 16) normal_block16_64(d + b, mean, std);
    if (n % 16 != 0) {
        for (int i = 0; i < 16; i++) d[n - 16 + i] = uniform53(g);
        normal_block16_64(d + n - 16, mean, std);
    }
}
#line 429 "chapters/04-mlp/04-mlp.md"
bool tl_normal_(tl_tensor *t, double mean, double std, tl_generator *g) {
    if (!check_fill(t, "normal_kernel_cpu", false)) return false;
    if (!(std >= 0.0)) {
        tl_error_set(TL_RUNTIME_ERROR, "normal expects std >= 0.0, but found std %g", std);
        return false;
    }
    if (!g) g = tl_default_generator();
    int64_t n = tl_numel(t);
    if (t->dtype == TL_FLOAT32 && n >= 16) {
        normal_fill(TL_DATA(t, float), n, (float)mean, (float)std, g);
    } else if (t->dtype == TL_FLOAT64 && n >= 16) {
        normal_fill64(TL_DATA(t, double), n, mean, std, g);
    } else if (t->dtype == TL_FLOAT32) {
        float *d = TL_DATA(t, float);
        for (int64_t i = 0; i < n; i++) d[i] = (float)(normal_scalar(g) * std + mean);
    } else {
        double *d = TL_DATA(t, double);
        for (int64_t i = 0; i < n; i++) d[i] = normal_scalar(g) * std + mean;
    }
    return true;
}

tl_tensor *tl_randn(tl_shape shape, tl_generator *g) {
    tl_tensor *t = tl_empty(shape, TL_FLOAT32);
    return t && tl_normal_(t, 0.0, 1.0, g) ? t : NULL;
}
#line 571 "chapters/04-mlp/04-mlp.md"

// ---------------------------------------------------------------------------
// integers: randint, bernoulli_, randperm
#line 467 "chapters/04-mlp/04-mlp.md"
tl_tensor *tl_randint(int64_t low, int64_t high, tl_shape shape, tl_generator *g) {
    if (low >= high) {
        tl_error_set(TL_RUNTIME_ERROR, "random_ expects 'from' to be less than 'to', but got from=%lld >= to=%lld",
                     (long long)low, (long long)high);
        return NULL;
    }
    tl_tensor *t = tl_empty(shape, TL_INT64);
    if (!t) return NULL;
    if (!g) g = tl_default_generator();
    uint64_t range = (uint64_t)high - (uint64_t)low;
    int64_t *d = TL_DATA(t, int64_t), n = tl_numel(t);
    for (int64_t i = 0; i < n; i++) {
        uint64_t r = range >= (UINT64_C(1) << 32) ? tl_generator_random64(g) % range
                                                   : tl_generator_random(g) % range;
        d[i] = (int64_t)((uint64_t)low + r);
    }
    return t;
}

bool tl_bernoulli_(tl_tensor *t, double p, tl_generator *g) {
    if (!check_fill(t, "bernoulli_scalar_cpu_", true)) return false;
    if (!(p >= 0.0 && p <= 1.0)) {
        tl_error_set(TL_RUNTIME_ERROR, "bernoulli_ expects p to be in [0, 1], but got p=%g", p);
        return false;
    }
    if (!g) g = tl_default_generator();
    int64_t n = tl_numel(t);
    for (int64_t i = 0; i < n; i++) {
        bool one = uniform53(g) < p;
        switch (t->dtype) {
        case TL_FLOAT32: TL_DATA(t, float)[i] = one; break;
        case TL_FLOAT64: TL_DATA(t, double)[i] = one; break;
        case TL_INT64:   TL_DATA(t, int64_t)[i] = one; break;
        case TL_BOOL:    TL_DATA(t, bool)[i] = one; break;
        }
    }
    return true;
}
#line 515 "chapters/04-mlp/04-mlp.md"
tl_tensor *tl_randperm(int64_t n, tl_generator *g) {
    tl_tensor *t = tl_empty(TL_SHAPE(n), TL_INT64);
    if (!t) return NULL;
    if (!g) g = tl_default_generator();
    int64_t *r = TL_DATA(t, int64_t);
    for (int64_t i = 0; i < n; i++) r[i] = i;
    for (int64_t i = 0; i + 1 < n; i++) {
        int64_t z = (int64_t)(tl_generator_random(g) % (uint64_t)(n - i));
        int64_t tmp = r[i]; r[i] = r[i + z]; r[i + z] = tmp;
    }
    return t;
}
