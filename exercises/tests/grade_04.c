// exercises/tests/grade_04.c — the graded tests of chapter 04's exercises (exercises/04-mlp.c).
// Expected values: closed forms (clamp, its gradient), the library's own tl_normal_ with the
// formula's std on an identically seeded generator, names recorded while building a random module
// tree, and networks built layer by layer with the library's modules from the same seed.
#define _POSIX_C_SOURCE 200809L
#include "grade.h"

tl_module *ex04_hardtanh_new(double min_val, double max_val);
bool       ex04_kaiming_normal_(tl_tensor *t, double a, const char *mode, tl_generator *g);
int        ex04_named_modules(const tl_module *m, const char **names, int max);
tl_module *ex04_mlp_new(const int64_t *sizes, int n, const char *activation);

// ----------------------------------------------------------------------------
typedef struct { double lo, hi; bool gradient; } clamp_arg;
static double clamp_of(double v, const void *ctx) {
    const clamp_arg *a = ctx;
    return a->gradient ? (v > a->lo && v < a->hi) : v < a->lo ? a->lo : v > a->hi ? a->hi : v;
}
static tl_tensor *clamp(const tl_tensor *x, double lo, double hi, bool gradient) {
    return grade_map(x, clamp_of, &(clamp_arg){ lo, hi, gradient });
}

static void test_hardtanh(void) {
    char want[128], w[128];
    double lo = -(double)grade_int(1, 12) / 4, hi = (double)grade_int(1, 12) / 4;
    tl_module *m = ex04_hardtanh_new(lo, hi);
    snprintf(w, sizeof w, "ex04_hardtanh_new(%s, %s)", tl_float_repr(lo), tl_float_repr(hi));
    grade_ok(w, m != NULL);
    snprintf(want, sizeof want, "Hardtanh(min_val=%s, max_val=%s)", tl_float_repr(lo), tl_float_repr(hi));
    const char *repr = tl_module_repr(m);
    if (!repr || strcmp(repr, want) != 0) tl_module_free(m);
    grade_str("print(ex04_hardtanh_new(...))", repr, want);

    tl_tensor *x = grade_uniform(TL_SHAPE(grade_int(2, 5), 5), -3, 3, TL_FLOAT32);
    tl_tensor *y = tl_module_forward(m, x);
    if (!y || tl_error()) tl_module_free(m);
    grade_tensor("Hardtanh forward, float32", y, clamp(x, lo, hi, false), 1e-7);

    tl_tensor *xg = tl_requires_grad_(grade_uniform(TL_SHAPE(3, 4), -3, 3, TL_FLOAT64), true);
    tl_tensor *yg = tl_module_forward(m, xg);
    int64_t nparams = tl_module_num_parameters(m, false);
    tl_module_free(m);
    grade_tensor("Hardtanh forward, float64", yg, clamp(xg, lo, hi, false), 1e-12);
    grade_true(tl_backward(tl_sum(yg)), "backward through Hardtanh failed: %s", grade_last_error());
    grade_tensor("x.grad after backward(sum(Hardtanh(x)))", xg->grad, clamp(xg, lo, hi, true), 0);
    grade_int_eq("Hardtanh's number of parameters", nparams, 0);

    tl_module *d = ex04_hardtanh_new(-1, 1);
    tl_module *seq = d ? tl_sequential_new(2, tl_linear_new(3, 4, true), d) : NULL;
    const char *srepr = tl_module_repr(seq);
    tl_tensor *out = tl_module_forward(seq, grade_uniform(TL_SHAPE(2, 3), -1, 1, TL_FLOAT32));
    tl_module_free(seq);
    grade_str("print(Sequential(Linear(3, 4), Hardtanh(-1, 1)))", srepr,
              "Sequential(\n  (0): Linear(in_features=3, out_features=4, bias=True)\n"
              "  (1): Hardtanh(min_val=-1.0, max_val=1.0)\n)");
    grade_true(out && out->shape[1] == 4, "Sequential(Linear(3, 4), Hardtanh) forward failed: %s", grade_last_error());
    snprintf(w, sizeof w, "ex04_hardtanh_new(%s, %s)", tl_float_repr(hi), tl_float_repr(lo));
    grade_fails(w, ex04_hardtanh_new(hi, lo) == NULL);
}

// ----------------------------------------------------------------------------
static void check_kaiming(tl_shape s, double a, const char *mode, bool use_default) {
    tl_tensor *got = tl_zeros(s, TL_FLOAT32), *want = tl_zeros(s, TL_FLOAT32);
    double receptive = 1;
    for (int d = 2; d < s.ndim; d++) receptive *= (double)s.d[d];
    double fan = (double)(strcmp(mode, "fan_in") == 0 ? s.d[1] : s.d[0]) * receptive;
    double std = sqrt(2.0 / (1 + a * a)) / sqrt(fan);
    uint64_t seed = (uint64_t)grade_int(0, 1 << 30);
    char w[160];
    snprintf(w, sizeof w, "ex04_kaiming_normal_(a tensor of shape %s, a=%g, \"%s\", %s)", tl_shape_str(got), a, mode,
             use_default ? "NULL: the default generator" : "a generator");
    bool ok;
    uint32_t next_got, next_want;
    if (use_default) {
        tl_manual_seed(seed);
        ok = ex04_kaiming_normal_(got, a, mode, NULL);
        next_got = tl_generator_random(tl_default_generator());
        tl_manual_seed(seed);
        tl_normal_(want, 0, std, NULL);
        next_want = tl_generator_random(tl_default_generator());
    } else {
        tl_generator *g1 = tl_generator_new(seed), *g2 = tl_generator_new(seed);
        ok = ex04_kaiming_normal_(got, a, mode, g1);
        tl_normal_(want, 0, std, g2);
        next_got = tl_generator_random(g1);
        next_want = tl_generator_random(g2);
        tl_generator_free(g1);
        tl_generator_free(g2);
    }
    grade_ok(w, ok);
    grade_tensor(w, got, want, 1e-6);
    grade_true(next_got == next_want, "%s drew more or fewer random numbers than one normal_ fill", w);
}

static void test_kaiming_normal(void) {
    static const double as[] = { 0.0, 0.01, 2.23606797749979, 1.0 };
    check_kaiming(TL_SHAPE(grade_int(2, 40), grade_int(2, 60)), as[grade_int(0, 4)], "fan_in", false);
    check_kaiming(TL_SHAPE(grade_int(2, 40), grade_int(2, 60)), as[grade_int(0, 4)], "fan_out", false);
    check_kaiming(TL_SHAPE(grade_int(2, 8), grade_int(2, 8), 3, 3), as[grade_int(0, 4)], "fan_in", false);
    check_kaiming(TL_SHAPE(grade_int(2, 8), grade_int(2, 8), 5), as[grade_int(0, 4)], "fan_out", true);
    grade_fails("ex04_kaiming_normal_(a 1-D tensor, 0, \"fan_in\", NULL)",
                !ex04_kaiming_normal_(tl_zeros(TL_SHAPE(5), TL_FLOAT32), 0, "fan_in", NULL));
    grade_fails("ex04_kaiming_normal_(t, 0, \"fan_avg\", NULL)",
                !ex04_kaiming_normal_(tl_zeros(TL_SHAPE(5, 5), TL_FLOAT32), 0, "fan_avg", NULL));
}

// ----------------------------------------------------------------------------
#define MAX_NAMES 200
typedef struct { char names[MAX_NAMES][64]; int n; } name_list;

// a random tree; every module's dotted name is recorded in pre-order as it is made
static tl_module *random_tree(const char *name, int depth, name_list *out) {
    static const char *const types[] = { "Block", "Encoder", "Decoder", "Head", "Stage" };
    static const char *const words[] = { "enc", "dec", "layers", "head", "block", "proj", "mlp", "out" };
    if (out->n < MAX_NAMES) snprintf(out->names[out->n], 64, "%s", name);
    out->n++;
    if (depth == 0 || grade_int(0, 4) == 0) return grade_int(0, 2) ? tl_linear_new(2, 2, true) : tl_relu_new();
    tl_module *m = tl_module_new(types[grade_int(0, 5)], NULL);
    int nchildren = (int)grade_int(1, 4);
    for (int i = 0; i < nchildren; i++) {
        char child[16], full[64];
        if (grade_int(0, 2)) snprintf(child, sizeof child, "%d", i);
        else snprintf(child, sizeof child, "%s%d", words[grade_int(0, 8)], i);
        snprintf(full, sizeof full, "%s%s%s", name, *name ? "." : "", child);
        tl_module_add(m, child, random_tree(full, depth - 1, out));
    }
    return m;
}

static void check_named_modules(const char *what, tl_module *m, const name_list *want) {
    const char *got[MAX_NAMES] = { 0 };
    int n = ex04_named_modules(m, got, MAX_NAMES);
    int few = want->n > 2 ? 2 : want->n;
    const char *guard = "guard", *part[3] = { NULL, NULL, guard };
    int n2 = ex04_named_modules(m, part, few);
    tl_module_free(m);
    char w[160];
    snprintf(w, sizeof w, "ex04_named_modules(%s): the number of modules", what);
    grade_int_eq(w, n, want->n);
    for (int i = 0; i < n && i < MAX_NAMES; i++) {
        snprintf(w, sizeof w, "ex04_named_modules(%s): name %d", what, i);
        grade_str(w, got[i], want->names[i]);
    }
    snprintf(w, sizeof w, "ex04_named_modules(%s, names, %d): the count", what, few);
    grade_int_eq(w, n2, want->n);
    grade_true(part[2] == guard, "ex04_named_modules(%s, names, %d) wrote past names[%d]", what, few, few - 1);
}

static void test_named_modules(void) {
    static name_list want;
    want = (name_list){ .n = 4 };
    strcpy(want.names[0], ""); strcpy(want.names[1], "0"); strcpy(want.names[2], "1"); strcpy(want.names[3], "2");
    check_named_modules("Sequential(Linear, ReLU, Linear)",
                        tl_sequential_new(3, tl_linear_new(2, 3, true), tl_relu_new(), tl_linear_new(3, 1, true)), &want);
    for (int round = 0; round < 6; round++) {
        want.n = 0;
        tl_module *m = random_tree("", (int)grade_int(1, 5), &want);
        char what[64];
        snprintf(what, sizeof what, "a random tree of %d modules", want.n);
        check_named_modules(what, m, &want);
    }
    grade_int_eq("ex04_named_modules(NULL, names, 4)", ex04_named_modules(NULL, NULL, 4), -1);
}

// ----------------------------------------------------------------------------
static tl_module *reference_mlp(const int64_t *sizes, int n, int act) {
    tl_module *seq = tl_sequential_new(0);
    for (int i = 0; i < n - 1; i++) {
        tl_sequential_append(seq, tl_linear_new(sizes[i], sizes[i + 1], true));
        if (i < n - 2)
            tl_sequential_append(seq, act == 0 ? tl_relu_new() : act == 1 ? tl_tanh_new()
                                      : act == 2 ? tl_sigmoid_new() : tl_gelu_new(false));
    }
    return seq;
}

static void test_mlp(void) {
    static const char *const acts[] = { "relu", "tanh", "sigmoid", "gelu" };
    for (int round = 0; round < 4; round++) {
        int n = (int)grade_int(2, 6), act = round;
        int64_t sizes[6];
        for (int i = 0; i < n; i++) sizes[i] = grade_int(1, 12);
        uint64_t seed = (uint64_t)grade_int(0, 1 << 30);
        char w[160];
        int len = snprintf(w, sizeof w, "ex04_mlp_new({");
        for (int i = 0; i < n; i++) len += snprintf(w + len, sizeof w - (size_t)len, i ? ", %lld" : "%lld", (long long)sizes[i]);
        snprintf(w + len, sizeof w - (size_t)len, "}, %d, \"%s\")", n, acts[act]);

        tl_manual_seed(seed);
        tl_module *got = ex04_mlp_new(sizes, n, acts[act]);
        grade_true(got != NULL, "%s returned NULL: %s", w, grade_last_error());
        tl_manual_seed(seed);
        tl_module *want = reference_mlp(sizes, n, act);
        const char *grepr = tl_module_repr(got), *wrepr = tl_module_repr(want);
        tl_named_tensor *gp = NULL, *wp = NULL;
        int ng = tl_module_parameters(got, &gp), nw = tl_module_parameters(want, &wp);
        tl_tensor *x = grade_uniform(TL_SHAPE(3, sizes[0]), -1, 1, TL_FLOAT32);
        tl_tensor *gy = tl_module_forward(got, x), *wy = tl_module_forward(want, x);
        tl_error_clear();
        tl_module_free(got);      // the tensors stay alive in this pool; the modules go now
        tl_module_free(want);
        grade_str(w, grepr, wrepr);
        grade_int_eq("the number of parameter tensors", ng, nw);
        for (int i = 0; i < nw; i++) {
            char wi[320];
            snprintf(wi, sizeof wi, "%s: parameter %s (same seed, layers made in order?)", w, wp[i].name);
            grade_str("a parameter's name", gp[i].name, wp[i].name);
            grade_tensor(wi, gp[i].tensor, wp[i].tensor, 0);
        }
        grade_tensor("the network's output for a random batch", gy, wy, 1e-6);
    }
    int64_t two[2] = { 3, 2 };
    grade_fails("ex04_mlp_new(sizes, 2, \"swish\")", ex04_mlp_new(two, 2, "swish") == NULL);
    grade_fails("ex04_mlp_new(sizes, 1, \"relu\")", ex04_mlp_new(two, 1, "relu") == NULL);
}

static const grade_exercise exercises[] = {
    { "04.1", 3, "an activation module: Hardtanh with extra_repr", test_hardtanh },
    { "04.2", 3, "kaiming_normal_ from its formula", test_kaiming_normal },
    { "04.3", 3, "walk a module tree: named_modules()", test_named_modules },
    { "04.4", 4, "build an MLP from a description, seeded as PyTorch", test_mlp },
};
GRADE_MAIN(exercises)
