// exercises/04-mlp.c — exercises for chapter 04 (multilayer networks): a module of your own, an
// initialiser from its formula, walking a module tree, and building networks from a description.
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
    TL_TODO("04.1");
    return NULL;
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
    TL_TODO("04.2");
    return false;
}


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
    TL_TODO("04.3");
    return -1;
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
    TL_TODO("04.4");
    return NULL;
}
