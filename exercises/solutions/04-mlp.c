// exercises/04-mlp.c — exercises for chapter 04 (multilayer networks): a module of your own, an
// initialiser from its formula, walking a module tree, and building networks from a description.
// BEGIN SOLUTION
//
// REFERENCE SOLUTIONS (the teacher's copy). tools/handout.sh strips everything between the
// BEGIN/END SOLUTION markers and turns the "STUB:" lines into code: that is exercises/04-mlp.c.
// END SOLUTION
//
// Each exercise is a function: read its comment, replace the TL_TODO stub with your code, and
// grade it with ./build.sh grade 04 (the chapter) or ./build.sh grade 04.2 (one exercise).
// nn.h is the reference for modules: a tl_module has a type name, a forward function, an optional
// extra_repr (what print(model) shows between the parentheses) and a `state` pointer for a module's
// own settings (malloc it; tl_module_free frees it).
#define _POSIX_C_SOURCE 200809L     // strdup (POSIX, not C11)
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"

// BEGIN SOLUTION
typedef struct { double min_val, max_val; } hardtanh_state;

static tl_tensor *hardtanh_forward(tl_module *self, const tl_tensor *x) {
    const hardtanh_state *s = self->state;
    return tl_minimum(tl_maximum(x, tl_number(s->min_val)), tl_number(s->max_val));
}

static void hardtanh_repr(const tl_module *self, char *buf, size_t size) {
    const hardtanh_state *s = self->state;
    snprintf(buf, size, "min_val=%s, max_val=%s", tl_float_repr(s->min_val), tl_float_repr(s->max_val));
}
// END SOLUTION

// ----------------------------------------------------------------------------
// Exercise 04.1 (easy, 3 points): an activation module, nn.Hardtanh.
//
// Task: return a new module of type "Hardtanh" whose forward clamps every element of its input
// to [min_val, max_val] (differentiably: the gradient is 1 inside the interval, 0 outside), and
// which prints as PyTorch prints it: "Hardtanh(min_val=-1.0, max_val=1.0)" (numbers as Python's
// repr writes floats: tl_float_repr). It has no parameters. max_val <= min_val records
// "hardtanh: max_val (-1.0) must be larger than min_val (1.0)" and returns NULL.
//
// Approach: tl_module_new("Hardtanh", your_forward); keep min_val and max_val in a small struct
// you malloc and hang on m->state; set m->extra_repr to a function that writes the two settings.
// The forward can be tl_minimum(tl_maximum(x, lo), hi) with lo and hi Python numbers (tl_number):
// both ops have local rules, so the gradient comes for free.
//
// Example: Hardtanh(-1, 1) maps [-2., -0.5, 3.] to [-1., -0.5, 1.]; in a Sequential it prints
// "(1): Hardtanh(min_val=-1.0, max_val=1.0)".
//
// Hints: forward and extra_repr get the module as `self`: read your struct from self->state.
tl_module *ex04_hardtanh_new(double min_val, double max_val) {
    // BEGIN SOLUTION
    if (!(max_val > min_val)) {
        tl_error_set(TL_RUNTIME_ERROR, "hardtanh: max_val (%s) must be larger than min_val (%s)", tl_float_repr(max_val),
                     tl_float_repr(min_val));
        return NULL;
    }
    hardtanh_state *s = malloc(sizeof *s);
    tl_module *m = s ? tl_module_new("Hardtanh", hardtanh_forward) : NULL;
    if (!m) {
        free(s);
        return NULL;
    }
    *s = (hardtanh_state){ min_val, max_val };
    m->state = s;
    m->extra_repr = hardtanh_repr;
    return m;
    // END SOLUTION
    // STUB: TL_TODO("04.1");
    // STUB: return NULL;
}

// ----------------------------------------------------------------------------
// Exercise 04.2 (medium, 3 points): an initialiser from its formula, kaiming_normal_.
//
// Task: fill the float tensor t in place with normal values of mean 0 and standard deviation
//     std = gain / sqrt(fan),   gain = sqrt(2 / (1 + a^2))
// as torch.nn.init.kaiming_normal_(t, a, mode) does, drawing from g (NULL: the default generator)
// with tl_normal_. fan is fan_in = t.shape[1] * receptive (mode "fan_in") or fan_out = t.shape[0]
// * receptive (mode "fan_out"), receptive = the product of the sizes after the first two (1 for a
// matrix). Return true, or false with an error: fewer than 2 dims: "Fan in and fan out can not be
// computed for tensor with fewer than 2 dimensions"; another mode: "Mode fan_avg not supported,
// please use one of ['fan_in', 'fan_out']" (ValueErrors both). A tensor with no elements is left
// alone (true).
//
// Approach: compute the fans, the gain and std in double, then one call to tl_normal_.
//
// Example: a (30, 50) weight, a = 0, "fan_in": std = sqrt(2) / sqrt(50) = 0.2.
//
// Hints: the graded test draws the same stream with tl_normal_ and your std, so compute std as
// written above (in double) and draw nothing else from g.
bool ex04_kaiming_normal_(tl_tensor *t, double a, const char *mode, tl_generator *g) {
    // BEGIN SOLUTION
    if (!t) return false;
    bool fan_in_mode = mode && strcmp(mode, "fan_in") == 0;
    if (!fan_in_mode && !(mode && strcmp(mode, "fan_out") == 0)) {
        tl_error_set(TL_VALUE_ERROR, "Mode %s not supported, please use one of ['fan_in', 'fan_out']", mode ? mode : "None");
        return false;
    }
    if (t->ndim < 2) {
        tl_error_set(TL_VALUE_ERROR, "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
        return false;
    }
    if (tl_numel(t) == 0) return true;
    double receptive = 1;
    for (int d = 2; d < t->ndim; d++) receptive *= (double)t->shape[d];
    double fan = (double)(fan_in_mode ? t->shape[1] : t->shape[0]) * receptive;
    double gain = sqrt(2.0 / (1 + a * a));
    return tl_normal_(t, 0.0, gain / sqrt(fan), g);
    // END SOLUTION
    // STUB: TL_TODO("04.2");
    // STUB: return false;
}

// BEGIN SOLUTION
static char *join_name(const char *prefix, const char *name) {
    size_t n = strlen(prefix) + strlen(name) + 2;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s%s%s", prefix, *prefix ? "." : "", name);
    return s;
}

// pre-order: m's own name, then each child's subtree; returns the count so far, -1 on error
static int walk_modules(const tl_module *m, const char *name, const char **names, int max, int count) {
    char *own = tl_pool_adopt(strdup(name));
    if (!own) {
        tl_error_set(TL_RUNTIME_ERROR, "out of memory");
        return -1;
    }
    if (count < max) names[count] = own;
    count++;
    for (int i = 0; i < m->n_children && count >= 0; i++) {
        char *child = join_name(name, m->child_names[i]);
        count = child ? walk_modules(m->children[i], child, names, max, count) : -1;
        free(child);
    }
    return count;
}
// END SOLUTION

// ----------------------------------------------------------------------------
// Exercise 04.3 (medium, 3 points): walk a module tree, named_modules().
//
// Task: list every module of the tree under m with its dotted name, in the order PyTorch's
// model.named_modules() yields them: m itself first, named "" (the empty string), then each child
// in order of registration followed by its whole subtree (pre-order, depth first); a child of a
// child is named "parent.child", e.g. "layers.0". Write the first `max` names into names[] as
// strings owned by the current pool, and return how many modules there are in all. NULL m: -1.
//
// Approach: a recursive function that carries the prefix, the output array and the count so far.
// m->n_children, m->child_names[i] and m->children[i] are the tree (nn.h).
//
// Example: Sequential(Linear, ReLU, Linear) -> 4 modules: "", "0", "1", "2".
//
// Hints: make a pool-owned string with tl_pool_adopt(strdup(text)): it is freed when the
// current pool pops, so the caller need not free it. Count every module even past max.
int ex04_named_modules(const tl_module *m, const char **names, int max) {
    // BEGIN SOLUTION
    if (!m) return -1;
    return walk_modules(m, "", names, max, 0);
    // END SOLUTION
    // STUB: TL_TODO("04.3");
    // STUB: return -1;
}

// ----------------------------------------------------------------------------
// Exercise 04.4 (hard, 4 points): build a multilayer perceptron from a description.
//
// Task: sizes[0..n-1] are the layer widths; return
//     Sequential(Linear(sizes[0], sizes[1]), ACT, Linear(sizes[1], sizes[2]), ACT, ..., Linear(sizes[n-2], sizes[n-1]))
// with an activation module after every Linear but the last, ACT chosen by name: "relu", "tanh",
// "sigmoid" or "gelu" (exact GELU). The weights must be exactly PyTorch's for the same seed,
// which means the layers are made in order, first to last (each Linear draws its weight, then its
// bias, from the default generator). Errors (NULL returned, nothing leaked): n < 2 records
// "mlp_new: need at least 2 sizes, got 1"; an unknown name records
// "mlp_new: unknown activation 'swish' (relu, tanh, sigmoid, gelu)".
//
// Approach: start from an empty Sequential (tl_sequential_new(0)) and tl_sequential_append each
// layer as you make it. Check the activation's name before making anything.
//
// Example: sizes {50, 30, 20, 3}, "relu": the tutorial's NeuralNetwork body, 2213 parameters.
//
// Hints: tl_sequential_new(3, a, b, c) would be shorter, but C does not promise that its
// arguments are evaluated left to right, so the weights could come out in another order.
tl_module *ex04_mlp_new(const int64_t *sizes, int n, const char *activation) {
    // BEGIN SOLUTION
    static const char *const names[] = { "relu", "tanh", "sigmoid", "gelu" };
    int act = -1;
    for (int i = 0; i < 4; i++)
        if (activation && strcmp(activation, names[i]) == 0) act = i;
    if (act < 0) {
        tl_error_set(TL_RUNTIME_ERROR, "mlp_new: unknown activation '%s' (relu, tanh, sigmoid, gelu)",
                     activation ? activation : "(null)");
        return NULL;
    }
    if (n < 2) {
        tl_error_set(TL_RUNTIME_ERROR, "mlp_new: need at least 2 sizes, got %d", n);
        return NULL;
    }
    tl_module *seq = tl_sequential_new(0);
    for (int i = 0; seq && i < 2 * n - 3; i++) {     // Linear, ACT, Linear, ..., Linear
        tl_module *layer = i % 2 == 0 ? tl_linear_new(sizes[i / 2], sizes[i / 2 + 1], true)
                         : act == 0   ? tl_relu_new()
                         : act == 1   ? tl_tanh_new()
                         : act == 2   ? tl_sigmoid_new()
                                      : tl_gelu_new(false);
        if (!layer || !tl_sequential_append(seq, layer)) {   // a failed append has freed the layer
            tl_module_free(seq);
            return NULL;
        }
    }
    return seq;
    // END SOLUTION
    // STUB: TL_TODO("04.4");
    // STUB: return NULL;
}
