// exercises/tests/planted/06-training.c — a planted hand-in for chapter 06, to prove the grader on
// the chapter's own mistakes (tests/test_grader.c grades it with --dir exercises/tests/planted 06):
//   06.1 right by another road (cos^2 of half the angle): must pass;
//   06.2 forgets PyTorch's min(clip_coef, 1), so small gradients are scaled up: must FAIL on them;
//   06.3 and 06.5 left as the stubs: must FAIL saying "not implemented yet";
//   06.4 Adam without the bias correction: must FAIL with the expected and the actual parameter.
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "exercise.h"

double ex06_cosine_annealing_lr(double base_lr, double eta_min, int64_t T_max, int64_t epoch) {
    if (T_max < 1 || epoch < 0) {
        tl_error_set(TL_VALUE_ERROR, "CosineAnnealingLR: bad T_max %lld or epoch %lld", (long long)T_max, (long long)epoch);
        return NAN;
    }
    double c = cos(acos(-1.0) * (double)epoch / (double)(2 * T_max));
    return eta_min + (base_lr - eta_min) * c * c;
}

double ex06_clip_grad_norm_(tl_tensor *const *params, int n, double max_norm) {
    if (n < 0) {
        tl_error_set(TL_VALUE_ERROR, "clip_grad_norm_: expected n >= 0 parameters, got %d", n);
        return -1;
    }
    double sum = 0;
    for (int i = 0; i < n; i++)
        if (params[i]->grad) TL_SCOPE { sum += tl_item(tl_sum(tl_mul(params[i]->grad, params[i]->grad))); }
    double total = sqrt(sum);
    for (int i = 0; i < n; i++)        // the planted mistake: no min(coef, 1)
        if (params[i]->grad) TL_SCOPE { tl_copy_(params[i]->grad, tl_mul_scalar(params[i]->grad, max_norm / (total + 1e-6))); }
    return total;
}

tl_tensor *ex06_cross_entropy_smooth(const tl_tensor *input, const tl_tensor *target, double label_smoothing) {
    TL_TODO("06.3");
    return NULL;
}

typedef struct { double lr, beta1, beta2, eps, weight_decay; } ex06_adam_options;
typedef struct ex06_adam {
    ex06_adam_options o;
    int n;
    tl_tensor *p[8], *m[8], *v[8];
} ex06_adam;

ex06_adam *ex06_adam_new(tl_tensor *const *params, int n, ex06_adam_options options) {
    if (options.lr < 0 || options.eps < 0 || options.beta1 < 0 || options.beta1 >= 1 || options.beta2 < 0 ||
        options.beta2 >= 1 || options.weight_decay < 0 || n < 0 || n > 8) {
        tl_error_set(TL_VALUE_ERROR, "Invalid Adam option");
        return NULL;
    }
    ex06_adam *a = calloc(1, sizeof *a);
    a->o = options;
    a->n = n;
    for (int i = 0; i < n; i++) {
        a->p[i] = tl_retain(params[i]);
        TL_SCOPE { a->m[i] = tl_retain(tl_zeros_like(params[i])); a->v[i] = tl_retain(tl_zeros_like(params[i])); }
    }
    return a;
}

bool ex06_adam_step(ex06_adam *a) {
    if (!a) {
        tl_error_set(TL_TYPE_ERROR, "Adam: NULL");
        return false;
    }
    for (int i = 0; i < a->n; i++) {
        tl_tensor *p = a->p[i], *g = p->grad;
        if (!g) continue;
        for (int64_t k = 0; k < tl_numel(p); k++) {      // float64 and float32 through tl_get/tl_set
            tl_shape at = { 1, { k } };
            tl_tensor *pf = tl_reshape(p, TL_SHAPE(-1)), *gf = tl_reshape(g, TL_SHAPE(-1));
            tl_tensor *mf = tl_reshape(a->m[i], TL_SHAPE(-1)), *vf = tl_reshape(a->v[i], TL_SHAPE(-1));
            double d = tl_get(gf, at) + a->o.weight_decay * tl_get(pf, at);
            double m = a->o.beta1 * tl_get(mf, at) + (1 - a->o.beta1) * d;
            double v = a->o.beta2 * tl_get(vf, at) + (1 - a->o.beta2) * d * d;
            tl_set(mf, at, m);
            tl_set(vf, at, v);
            tl_set(pf, at, tl_get(pf, at) - a->o.lr * m / (sqrt(v) + a->o.eps));   // the planted mistake: no bias correction
        }
    }
    return true;
}

void ex06_adam_free(ex06_adam *a) {
    if (!a) return;
    for (int i = 0; i < a->n; i++) {
        tl_release(a->p[i]);
        tl_release(a->m[i]);
        tl_release(a->v[i]);
    }
    free(a);
}

int ex06_early_stopping(const double *val_losses, int n, int patience, double min_delta, int *best_epoch) {
    if (best_epoch) *best_epoch = -1;
    TL_TODO("06.5");
    return -1;
}
