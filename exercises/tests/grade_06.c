// exercises/tests/grade_06.c — the graded tests of chapter 06's exercises (exercises/06-training.c).
// Expected values: PyTorch's own recursive CosineAnnealingLR replayed step by step (and the
// tutorial's printed column), gradient norms and scaled gradients summed element by element,
// label-smoothed losses and their gradients from log-sum-exp loops in double, Adam's update rule
// written out per element, and Lightning's early-stopping rule as a flag per epoch; fixed cases
// from PyTorch 1.13.1 are written in the test.
#define _POSIX_C_SOURCE 200809L
#include "grade.h"

typedef struct {
    double lr;
    double beta1, beta2;
    double eps;
    double weight_decay;
} ex06_adam_options;
typedef struct ex06_adam ex06_adam;

double      ex06_cosine_annealing_lr(double base_lr, double eta_min, int64_t T_max, int64_t epoch);
double      ex06_clip_grad_norm_(tl_tensor *const *params, int n, double max_norm);
tl_tensor  *ex06_cross_entropy_smooth(const tl_tensor *input, const tl_tensor *target, double label_smoothing);
ex06_adam  *ex06_adam_new(tl_tensor *const *params, int n, ex06_adam_options options);
bool        ex06_adam_step(ex06_adam *opt);
void        ex06_adam_free(ex06_adam *opt);
int         ex06_early_stopping(const double *val_losses, int n, int patience, double min_delta, int *best_epoch);

// ----------------------------------------------------------------------------
// torch.optim.lr_scheduler.CosineAnnealingLR.get_lr (1.13), stepped from epoch 0 to `epochs`
static void pytorch_cosine(double base, double eta_min, int64_t T, int64_t epochs, double *lr) {
    const double pi = 3.141592653589793;
    lr[0] = base;
    for (int64_t e = 1; e <= epochs; e++) {
        int64_t r = ((e - 1 - T) % (2 * T) + 2 * T) % (2 * T);       // Python's % (never negative)
        if (r == 0) lr[e] = lr[e - 1] + (base - eta_min) * (1 - cos(pi / (double)T)) / 2;
        else lr[e] = (1 + cos(pi * (double)e / (double)T)) / (1 + cos(pi * (double)(e - 1) / (double)T)) *
                     (lr[e - 1] - eta_min) + eta_min;
    }
}

static void test_cosine(void) {
    // the tutorial's LR column (003:1739-1741, T_max 15, and 003:1160, T_max 10), printed {:10.6f}
    static const double t15[15] = { 0.000989, 0.000957, 0.000905, 0.000835, 0.000750, 0.000655, 0.000552, 0.000448,
                                    0.000345, 0.000250, 0.000165, 0.000095, 0.000043, 0.000011, 0.000000 };
    static const double t10[12] = { 0.000976, 0.000905, 0.000794, 0.000655, 0.000500, 0.000345,
                                    0.000206, 0.000095, 0.000024, 0.000000, 0.000024, 0.000095 };
    static const struct { int t_max, epochs; const double *lr; } tables[] = { { 15, 15, t15 }, { 10, 12, t10 } };
    char w[160];
    for (int t = 0; t < 2; t++)
        for (int e = 1; e <= tables[t].epochs; e++) {
            snprintf(w, sizeof w, "ex06_cosine_annealing_lr(0.001, 0, %d, %d) printed to 6 decimals (the tutorial)",
                     tables[t].t_max, e);
            grade_double(w, ex06_cosine_annealing_lr(0.001, 0, tables[t].t_max, e), tables[t].lr[e - 1], 5e-7);
        }
    // PyTorch 1.13.1: SGD(lr=0.1), CosineAnnealingLR(T_max=7, eta_min=0.01), the lr after each of 20 steps
    static const double t7[20] = { 0.09554359905560886, 0.08305704108364301, 0.06501344202803415, 0.04498655797196586,
                                   0.026942958916356993, 0.014456400944391143, 0.01, 0.01445640094439114,
                                   0.026942958916356986, 0.04498655797196585, 0.06501344202803411, 0.083057041083643,
                                   0.09554359905560887, 0.1, 0.09554359905560889, 0.08305704108364304,
                                   0.06501344202803414, 0.04498655797196587, 0.026942958916357007, 0.01445640094439115 };
    for (int e = 1; e <= 20; e++) {
        snprintf(w, sizeof w, "ex06_cosine_annealing_lr(0.1, 0.01, 7, %d) (PyTorch 1.13.1)", e);
        grade_double(w, ex06_cosine_annealing_lr(0.1, 0.01, 7, e), t7[e - 1], 1e-12);
    }
    grade_double("ex06_cosine_annealing_lr(0.1, 0.01, 7, 0)", ex06_cosine_annealing_lr(0.1, 0.01, 7, 0), 0.1, 1e-15);
    for (int round = 0; round < 5; round++) {
        double base = (double)grade_int(1, 1000) / 1000, eta = round == 0 ? 0 : base * (double)grade_int(0, 50) / 100;
        int64_t T = grade_int(1, 30), E = grade_int(1, 3 * T + 2);
        double lr[200];
        pytorch_cosine(base, eta, T, E, lr);
        for (int64_t e = 0; e <= E; e++) {
            snprintf(w, sizeof w, "ex06_cosine_annealing_lr(%g, %g, %lld, %lld)", base, eta, (long long)T, (long long)e);
            grade_double(w, ex06_cosine_annealing_lr(base, eta, T, e), lr[e], 1e-9);
        }
    }
    grade_fails("ex06_cosine_annealing_lr(0.1, 0, 0, 3)", isnan(ex06_cosine_annealing_lr(0.1, 0, 0, 3)));
    grade_fails("ex06_cosine_annealing_lr(0.1, 0, 10, -1)", isnan(ex06_cosine_annealing_lr(0.1, 0, 10, -1)));
}

// ----------------------------------------------------------------------------
static double times(double v, const void *coef) { return v * *(const double *)coef; }

static void test_clip_grad_norm(void) {
    // PyTorch 1.13.1: clip_grad_norm_([p1, p2], 2.0) with float32 grads [3, -4] and [[1, 2], [0.5, -0.5]]
    tl_tensor *p[6];
    p[0] = tl_requires_grad_(tl_zeros(TL_SHAPE(2), TL_FLOAT32), true);
    p[1] = tl_requires_grad_(tl_zeros(TL_SHAPE(2, 2), TL_FLOAT32), true);
    p[0]->grad = tl_retain(tl_tensor_parse("[3.0, -4.0]"));
    p[1]->grad = tl_retain(tl_tensor_parse("[[1.0, 2.0], [0.5, -0.5]]"));
    tl_tensor *g0 = p[0]->grad;
    grade_double("ex06_clip_grad_norm_({[3, -4], [[1, 2], [0.5, -0.5]]}, 2, 2.0): the total norm (PyTorch 1.13.1)",
                 ex06_clip_grad_norm_(p, 2, 2.0), 5.522680282592773, 1e-7);
    grade_true(p[0]->grad == g0, "ex06_clip_grad_norm_ replaced p->grad: it must scale the gradient in place");
    grade_tensor("the first gradient after clipping (PyTorch 1.13.1)", p[0]->grad,
                 tl_tensor_parse("[1.0864288806915283, -1.448571801185608]"), 1e-6);
    grade_tensor("the second gradient after clipping (PyTorch 1.13.1)", p[1]->grad,
                 tl_tensor_parse("[[0.362142950296402, 0.724285900592804], [0.181071475148201, -0.181071475148201]]"), 1e-6);

    for (int round = 0; round < 6; round++) {
        int n = (int)grade_int(1, 7);
        tl_dtype dt = round % 2 ? TL_FLOAT32 : TL_FLOAT64;
        tl_tensor *want[6] = { 0 }, *before[6] = { 0 }, *grads[6] = { 0 };
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = tl_requires_grad_(grade_uniform(TL_SHAPE(grade_int(1, 5), grade_int(1, 6)), -1, 1, dt), true);
            before[i] = tl_clone(p[i]);
            if (i > 0 && grade_int(0, 4) == 0) continue;           // a parameter without a gradient
            grads[i] = grade_uniform(tl_shape_of(p[i]), -3, 3, dt);
            p[i]->grad = tl_retain(grads[i]);
            tl_tensor *gf = tl_reshape(grads[i], TL_SHAPE(-1));
            for (int64_t k = 0; k < tl_numel(gf); k++) sum += tl_get(gf, TL_SHAPE(k)) * tl_get(gf, TL_SHAPE(k));
        }
        double total = sqrt(sum);
        // half the rounds clip (max_norm below the norm), half do not
        double max_norm = round < 3 ? total * (double)grade_int(10, 90) / 100 : total * (double)grade_int(110, 300) / 100;
        double coef = max_norm / (total + 1e-6);
        if (coef > 1) coef = 1;
        for (int i = 0; i < n; i++) {
            if (!grads[i]) continue;
            want[i] = grade_map(grads[i], times, &coef);
        }
        char w[200];
        snprintf(w, sizeof w, "ex06_clip_grad_norm_(%d random %s parameters, max_norm %g)", n, tl_dtype_name(dt), max_norm);
        grade_double(w, ex06_clip_grad_norm_(p, n, max_norm), total, dt == TL_FLOAT32 ? 1e-6 : 1e-12);
        for (int i = 0; i < n; i++) {
            char wi[320];
            if (!grads[i]) {
                grade_true(p[i]->grad == NULL, "%s: parameter %d had no gradient and must keep none", w, i);
                continue;
            }
            grade_true(p[i]->grad == grads[i], "%s: parameter %d's .grad was replaced: scale it in place", w, i);
            snprintf(wi, sizeof wi, "%s: the gradient of parameter %d%s", w, i, round < 3 ? " (clipped)" : " (left alone)");
            grade_tensor(wi, p[i]->grad, want[i], dt == TL_FLOAT32 ? 1e-6 : 1e-12);
            snprintf(wi, sizeof wi, "%s: parameter %d itself (it must not change)", w, i);
            grade_tensor(wi, p[i], before[i], 0);
        }
    }
    grade_double("ex06_clip_grad_norm_(params, 0, 1.0)", ex06_clip_grad_norm_(p, 0, 1.0), 0, 0);
    grade_fails("ex06_clip_grad_norm_(params, -1, 1.0)", ex06_clip_grad_norm_(p, -1, 1.0) < 0);
}

// ----------------------------------------------------------------------------
// the loss and the gradient, from log-sum-exp in double
static double smooth_expected(const tl_tensor *x, const tl_tensor *t, double eps, tl_tensor *grad) {
    int64_t N = x->shape[0], C = x->shape[1];
    double loss = 0;
    for (int64_t i = 0; i < N; i++) {
        double mx = -INFINITY, s = 0, sum_logp = 0;
        for (int64_t c = 0; c < C; c++) mx = fmax(mx, tl_get(x, TL_SHAPE(i, c)));
        for (int64_t c = 0; c < C; c++) s += exp(tl_get(x, TL_SHAPE(i, c)) - mx);
        double lse = mx + log(s);
        int64_t y = (int64_t)tl_get(t, TL_SHAPE(i));
        for (int64_t c = 0; c < C; c++) sum_logp += tl_get(x, TL_SHAPE(i, c)) - lse;
        loss += -(1 - eps) * (tl_get(x, TL_SHAPE(i, y)) - lse) - eps / (double)C * sum_logp;
        for (int64_t c = 0; c < C; c++) {
            double q = (1 - eps) * (c == y) + eps / (double)C;
            tl_set(grad, TL_SHAPE(i, c), (exp(tl_get(x, TL_SHAPE(i, c)) - lse) - q) / (double)N);
        }
    }
    return loss / (double)N;
}

static void check_smooth(tl_tensor *x, tl_tensor *t, double eps, double tol, const char *what) {
    char w[200];
    tl_tensor *want_grad = tl_empty_like(x);
    double want = smooth_expected(x, t, eps, want_grad);
    tl_requires_grad_(x, true);
    tl_tensor *loss = ex06_cross_entropy_smooth(x, t, eps);
    snprintf(w, sizeof w, "ex06_cross_entropy_smooth(%s, eps=%g)", what, eps);
    grade_ok(w, loss != NULL);
    grade_true(loss->ndim == 0, "%s: expected a 0-d loss, got shape %s", w, tl_shape_str(loss));
    grade_true(loss->dtype == x->dtype, "%s: dtype: expected %s (the input's), got %s", w, tl_dtype_name(x->dtype),
               tl_dtype_name(loss->dtype));
    grade_double(w, tl_item(loss), want, tol);
    grade_true(tl_backward(loss), "%s: backward failed: %s", w, grade_last_error());
    snprintf(w, sizeof w, "input.grad after ex06_cross_entropy_smooth(%s, eps=%g).backward()", what, eps);
    grade_tensor(w, x->grad, want_grad, tol);
}

static void test_label_smoothing(void) {
    // PyTorch 1.13.1: F.cross_entropy(x, [0, 2], label_smoothing=0.1), float64, and x.grad
    tl_tensor *x = tl_tensor_parse_dtype("[[2.0, 0.5, -1.0], [0.1, 1.2, 0.3]]", TL_FLOAT64);
    tl_tensor *t = tl_tensor_parse("[0, 2]");
    tl_requires_grad_(x, true);
    tl_tensor *loss = ex06_cross_entropy_smooth(x, t, 0.1);
    grade_ok("ex06_cross_entropy_smooth([[2.0, 0.5, -1.0], [0.1, 1.2, 0.3]], [0, 2], 0.1)", loss != NULL);
    grade_double("ex06_cross_entropy_smooth(the example, 0.1) (PyTorch 1.13.1)", tl_item(loss), 0.9107708065347807, 1e-12);
    grade_true(tl_backward(loss), "backward failed: %s", grade_last_error());
    grade_tensor("x.grad (PyTorch 1.13.1)", x->grad,
                 tl_tensor_parse_dtype("[[-0.07386814937202874, 0.07097852940335168, 0.0028896199686770582], "
                                       "[0.07901669735527492, 0.27078204458494876, -0.34979874194022365]]", TL_FLOAT64),
                 1e-12);
    static const double epss[] = { 0.0, 0.05, 0.1, 0.3, 1.0 };
    for (int round = 0; round < 6; round++) {
        int64_t N = grade_int(1, 7), C = grade_int(2, 8);
        tl_dtype dt = round == 5 ? TL_FLOAT32 : TL_FLOAT64;
        tl_tensor *xr = grade_uniform(TL_SHAPE(N, C), -4, 4, dt);
        tl_tensor *tr = grade_uniform(TL_SHAPE(N), 0, (double)C, TL_INT64);
        char what[64];
        snprintf(what, sizeof what, "random (%lld, %lld) %s logits", (long long)N, (long long)C, tl_dtype_name(dt));
        check_smooth(xr, tr, round < 5 ? epss[round] : (double)grade_int(1, 100) / 100, dt == TL_FLOAT32 ? 1e-5 : 1e-12,
                     what);
    }
    grade_fails("ex06_cross_entropy_smooth(x, t, 1.5)", ex06_cross_entropy_smooth(x, t, 1.5) == NULL);
    grade_fails("ex06_cross_entropy_smooth(x, [0, 5], 0.1) (3 classes)",
                ex06_cross_entropy_smooth(x, tl_tensor_parse("[0, 5]"), 0.1) == NULL);
}

// ----------------------------------------------------------------------------
typedef struct { double *p, *m, *v; int64_t t, n; } adam_ref;

static void adam_ref_step(adam_ref *r, const tl_tensor *g, ex06_adam_options o) {
    r->t++;
    tl_tensor *gf = tl_reshape(g, TL_SHAPE(-1));
    for (int64_t i = 0; i < r->n; i++) {
        double d = tl_get(gf, TL_SHAPE(i)) + o.weight_decay * r->p[i];
        r->m[i] = o.beta1 * r->m[i] + (1 - o.beta1) * d;
        r->v[i] = o.beta2 * r->v[i] + (1 - o.beta2) * d * d;
        double mhat = r->m[i] / (1 - pow(o.beta1, (double)r->t));
        double denom = sqrt(r->v[i]) / sqrt(1 - pow(o.beta2, (double)r->t)) + o.eps;
        r->p[i] -= o.lr * mhat / denom;
    }
}

static void test_adam(void) {
    // PyTorch 1.13.1: Adam([p], lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01), float32
    tl_tensor *p = tl_requires_grad_(tl_tensor_parse("[0.5, -1.0, 2.0]"), true);
    ex06_adam *opt = ex06_adam_new(&p, 1, (ex06_adam_options){ 0.1, 0.9, 0.999, 1e-8, 0.01 });
    grade_ok("ex06_adam_new(&p, 1, {lr 0.1, betas (0.9, 0.999), eps 1e-8, weight_decay 0.01})", opt != NULL);
    static const char *const grads[3] = { "[1.0, -2.0, 0.5]", "[0.3, 0.3, -1.0]", "[-0.7, 0.1, 0.2]" };
    static const char *const want[3] = { "[0.4000000059604645, -0.8999999761581421, 1.899999976158142]",
                                         "[0.3143118619918823, -0.8443536162376404, 1.9343857765197754]",
                                         "[0.29448848962783813, -0.8042622804641724, 1.9480735063552856]" };
    tl_tensor *p0 = p;
    for (int s = 0; s < 3; s++) {
        tl_release(p->grad);
        p->grad = tl_retain(tl_tensor_parse(grads[s]));
        grade_true(ex06_adam_step(opt), "ex06_adam_step (step %d) failed: %s", s + 1, grade_last_error());
        char w[160];
        snprintf(w, sizeof w, "p after Adam step %d, float32 (PyTorch 1.13.1)", s + 1);
        grade_tensor(w, p, tl_tensor_parse(want[s]), 1e-5);
    }
    ex06_adam_free(opt);
    grade_true(p == p0 && p->requires_grad && p->grad_fn == NULL,
               "after Adam steps p must be the same leaf tensor, still requiring grad, with no grad_fn");

    // random float64 parameters, several steps, some without a gradient at some steps
    for (int round = 0; round < 3; round++) {
        int n = (int)grade_int(1, 4);
        ex06_adam_options o = { (double)grade_int(1, 100) / 1000, 0.9, 0.999, 1e-8, 0 };
        if (round >= 1) o = (ex06_adam_options){ (double)grade_int(1, 100) / 1000, (double)grade_int(50, 95) / 100,
                                                 (double)grade_int(900, 999) / 1000, 1e-6, round == 2 ? 0.05 : 0 };
        tl_tensor *ps[4];
        adam_ref ref[4];
        double mem[4][3][40];
        for (int i = 0; i < n; i++) {
            ps[i] = tl_requires_grad_(grade_uniform(TL_SHAPE(grade_int(1, 5), grade_int(1, 8)), -2, 2, TL_FLOAT64), true);
            ref[i] = (adam_ref){ mem[i][0], mem[i][1], mem[i][2], 0, tl_numel(ps[i]) };
            for (int64_t k = 0; k < ref[i].n; k++) {
                mem[i][0][k] = tl_get(tl_reshape(ps[i], TL_SHAPE(-1)), TL_SHAPE(k));
                mem[i][1][k] = mem[i][2][k] = 0;
            }
        }
        char w[240];
        snprintf(w, sizeof w, "Adam(%d random float64 parameters, lr %g, betas (%g, %g), eps %g, weight_decay %g)", n,
                 o.lr, o.beta1, o.beta2, o.eps, o.weight_decay);
        opt = ex06_adam_new(ps, n, o);
        grade_ok(w, opt != NULL);
        int steps = (int)grade_int(3, 8);
        for (int s = 0; s < steps; s++) {
            for (int i = 0; i < n; i++) {
                tl_release(ps[i]->grad);
                ps[i]->grad = NULL;
                if (i > 0 && grade_int(0, 3) == 0) continue;          // no gradient this step
                ps[i]->grad = tl_retain(grade_uniform(tl_shape_of(ps[i]), -1, 1, TL_FLOAT64));
                adam_ref_step(&ref[i], ps[i]->grad, o);
            }
            grade_true(ex06_adam_step(opt), "%s: step %d failed: %s", w, s + 1, grade_last_error());
            for (int i = 0; i < n; i++) {
                char wi[320];
                snprintf(wi, sizeof wi, "%s: parameter %d after step %d (its own step %lld)", w, i, s + 1,
                         (long long)ref[i].t);
                grade_tensor(wi, ps[i], tl_from_data(ref[i].p, tl_shape_of(ps[i]), TL_FLOAT64), 1e-10);
            }
        }
        ex06_adam_free(opt);
    }
    ex06_adam_free(NULL);
    grade_fails("ex06_adam_step(NULL)", !ex06_adam_step(NULL));
    grade_fails("ex06_adam_new(&p, 1, {lr -0.1, ...})",
                ex06_adam_new(&p, 1, (ex06_adam_options){ -0.1, 0.9, 0.999, 1e-8, 0 }) == NULL);
    struct { ex06_adam_options o; const char *msg; } bad[] = {
        { { -0.1, 0.9, 0.999, 1e-8, 0 }, "Invalid learning rate: -0.1" },
        { { 0.1, 0.9, 0.999, -1, 0 }, "Invalid epsilon value: -1.0" },
        { { 0.1, 1.0, 0.999, 1e-8, 0 }, "Invalid beta parameter at index 0: 1.0" },
        { { 0.1, 0.9, -0.5, 1e-8, 0 }, "Invalid beta parameter at index 1: -0.5" },
        { { 0.1, 0.9, 0.999, 1e-8, -1 }, "Invalid weight_decay value: -1.0" },
    };
    for (int i = 0; i < 5; i++) {
        ex06_adam *a = ex06_adam_new(&p, 1, bad[i].o);
        ex06_adam_free(a);
        grade_true(a == NULL, "ex06_adam_new with a bad option must fail with \"%s\"", bad[i].msg);
        grade_str("ex06_adam_new with a bad option: the error", tl_error(), bad[i].msg);
        tl_error_clear();
    }
}

// ----------------------------------------------------------------------------
// the rule, written as Lightning's EarlyStopping keeps it: a "should stop" flag per epoch
static int stopping_expected(const double *loss, int n, int patience, double min_delta, int *best_epoch) {
    double best = INFINITY;
    int wait = 0, stopped = n;
    *best_epoch = -1;
    for (int e = 0; e < n && stopped == n; e++) {
        bool should_stop = false;
        if (isnan(loss[e]) || isinf(loss[e])) should_stop = true;
        else if (best - min_delta > loss[e]) { best = loss[e]; wait = 0; *best_epoch = e; }
        else should_stop = ++wait >= patience;
        if (should_stop) stopped = e + 1;
    }
    return stopped;
}

static void test_early_stopping(void) {
    const double ex[6] = { 1.0, 0.8, 0.79, 0.81, 0.9, 0.7 };
    int best = 99;
    grade_int_eq("ex06_early_stopping(the example, 6, patience 2, min_delta 0.05)", ex06_early_stopping(ex, 6, 2, 0.05, &best), 4);
    grade_int_eq("ex06_early_stopping(the example, ...): *best_epoch", best, 1);
    for (int round = 0; round < 40; round++) {
        double loss[60];
        int n = (int)grade_int(1, 60), patience = (int)grade_int(1, 6);
        double min_delta = round % 3 == 0 ? 0 : (double)grade_int(0, 20) / 100, level = 2;
        for (int e = 0; e < n; e++) {
            level *= 1 - (double)grade_int(-10, 25) / 100;            // a noisy decline
            loss[e] = grade_int(0, 4) == 0 && e > 0 ? loss[e - 1] : level;   // now and then a tie
            if (round % 10 == 9 && e == n / 2) loss[e] = grade_int(0, 2) ? NAN : INFINITY;
        }
        int want_best, got_best = 99;
        int want = stopping_expected(loss, n, patience, min_delta, &want_best);
        int got = ex06_early_stopping(loss, n, patience, min_delta, &got_best);
        char w[160];
        snprintf(w, sizeof w, "ex06_early_stopping(%d random losses, patience %d, min_delta %g)", n, patience, min_delta);
        grade_int_eq(w, got, want);
        snprintf(w, sizeof w, "ex06_early_stopping(%d random losses, patience %d, min_delta %g): *best_epoch", n, patience,
                 min_delta);
        grade_int_eq(w, got_best, want_best);
    }
    grade_fails("ex06_early_stopping(losses, 6, patience 0, 0.0, &best)", ex06_early_stopping(ex, 6, 0, 0.0, &best) < 0);
    grade_fails("ex06_early_stopping(losses, 6, 2, min_delta -0.1, &best)", ex06_early_stopping(ex, 6, 2, -0.1, &best) < 0);
}

static const grade_exercise exercises[] = {
    { "06.1", 2, "a learning-rate schedule: CosineAnnealingLR", test_cosine },
    { "06.2", 3, "gradient clipping by norm: clip_grad_norm_", test_clip_grad_norm },
    { "06.3", 3, "cross entropy with label smoothing, and its gradient", test_label_smoothing },
    { "06.4", 5, "the Adam optimiser from its update rule", test_adam },
    { "06.5", 2, "early stopping on the validation loss", test_early_stopping },
};
GRADE_MAIN(exercises)
