/* generated from chapters/04-mlp/04-mlp.md by tools/tangle.lua; edit the chapter, not this file */
#line 1286 "chapters/04-mlp/04-mlp.md"
// nn.h — modules: layers that own their parameters, nested into networks (torch.nn).
//
//     tl_manual_seed(123);
//     tl_module *model = tl_sequential_new(3, tl_linear_new(50, 30, true), tl_relu_new(),
//                                          tl_linear_new(30, 3, true));
//     tl_module_print(model);       // Sequential(\n  (0): Linear(in_features=50, out_features=30, ...
//     tl_tensor *out = tl_module_forward(model, tl_rand(TL_SHAPE(1, 50), NULL));   // model(X)
//     printf("%lld\n", (long long)tl_module_num_parameters(model, true));          // 1623
//     tl_module_free(model);        // the module, its children and every tensor they own
#ifndef TL_NN_H
#define TL_NN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "random.h"
#include "tensor.h"

#line 1313 "chapters/04-mlp/04-mlp.md"
typedef struct tl_module tl_module;
// model(x): a tensor owned by the current pool, or NULL and an error
typedef tl_tensor *(*tl_forward_fn)(tl_module *self, const tl_tensor *input);
// the settings a leaf module prints between its parentheses, e.g. "in_features=50, ..."
typedef void (*tl_extra_repr_fn)(const tl_module *self, char *buf, size_t size);

struct tl_module {
    const char      *type;           // the class name print(model) shows: "Linear"
    tl_forward_fn    forward;        // NULL: run the children in order, as Sequential does
    tl_extra_repr_fn extra_repr;     // NULL: nothing between the parentheses
    bool             training;       // train() / eval(); true for a new module
    // its own parameters, buffers and children, each list in the order of registration
    int          n_params, n_buffers, n_children;
    char       **param_names, **buffer_names, **child_names;
    tl_tensor  **params, **buffers;
    tl_module  **children;
    // shortcuts into the lists for the built-in layers (NULL where a layer has none)
    tl_tensor *weight, *bias;                                       // Linear, BatchNorm1d, PReLU
    tl_tensor *running_mean, *running_var, *num_batches_tracked;    // BatchNorm1d's buffers
    // the built-in layers' settings; each layer uses the few that concern it
    int64_t in_features, out_features;   // Linear; BatchNorm1d: num_features; PReLU: num_parameters
    int     dim, start_dim, end_dim;     // Softmax; Flatten
    double  p, eps, momentum, alpha;     // Dropout; BatchNorm1d; LeakyReLU's slope, ELU's alpha
    bool    approximate;                 // GELU: the tanh approximation
    void   *state;                       // a user module's own data: free()d with the module
};

// a parameter or buffer with its dotted name, as named_parameters() yields them
typedef struct { const char *name; tl_tensor *tensor; } tl_named_tensor;
#line 1304 "chapters/04-mlp/04-mlp.md"

#line 1347 "chapters/04-mlp/04-mlp.md"
// ---------------------------------------------------------------------------
// Building. A module owns what is added to it: tl_module_free releases the whole tree.
tl_module *tl_module_new(const char *type, tl_forward_fn forward);   // an empty user module
tl_module *tl_module_add(tl_module *parent, const char *name, tl_module *child);  // returns child
// register_parameter: the module keeps t (retained), marks it a Parameter that requires grad
tl_tensor *tl_module_add_parameter(tl_module *m, const char *name, tl_tensor *t);
tl_tensor *tl_module_add_buffer(tl_module *m, const char *name, tl_tensor *t);   // register_buffer
void       tl_module_free(tl_module *m);                                         // NULL-safe

// ---------------------------------------------------------------------------
// Initialisers (torch.nn.init), in place, drawing from g (NULL: the default generator).
// kaiming_uniform_(a): U(-b, b) with b = sqrt(3) * sqrt(2 / (1 + a^2)) / sqrt(fan_in)
// xavier_uniform_(gain): U(-b, b) with b = sqrt(3) * gain * sqrt(2 / (fan_in + fan_out))
bool tl_kaiming_uniform_(tl_tensor *t, double a, tl_generator *g);
bool tl_xavier_uniform_(tl_tensor *t, double gain, tl_generator *g);
bool tl_zeros_(tl_tensor *t);

// ---------------------------------------------------------------------------
// Layers. Each returns a new module (the caller owns it, or adds it to a parent).
tl_module *tl_linear_new(int64_t in_features, int64_t out_features, bool bias);   // x W^T + b
// Sequential(a, b, c): n modules, run in order. C evaluates arguments in an unspecified order, so
// when layers draw seeded random weights, build them in order with tl_sequential_append instead.
tl_module *tl_sequential_new(int n, ...);
tl_module *tl_sequential_append(tl_module *seq, tl_module *m);   // named "0", "1", ...; returns seq
tl_module *tl_relu_new(void);
tl_module *tl_sigmoid_new(void);
tl_module *tl_tanh_new(void);
tl_module *tl_softmax_new(int dim);
tl_module *tl_flatten_new(void);                     // start_dim=1, end_dim=-1
tl_module *tl_identity_new(void);
tl_module *tl_gelu_new(bool tanh_approx);            // approximate='none' / 'tanh'
tl_module *tl_silu_new(void);                        // Swish with beta = 1
tl_module *tl_leaky_relu_new(double negative_slope); // PyTorch's default: 0.01
tl_module *tl_elu_new(double alpha);                 // PyTorch's default: 1.0
tl_module *tl_prelu_new(int64_t num_parameters, double init);   // defaults: 1, 0.25 (learned)
tl_module *tl_dropout_new(double p);                 // zeroes with probability p in training
tl_module *tl_batchnorm1d_new(int64_t num_features); // eps 1e-5, momentum 0.1, (N, C) input

// ---------------------------------------------------------------------------
// Using a module.
tl_tensor *tl_module_forward(tl_module *m, const tl_tensor *input);   // model(x)
void       tl_module_train(tl_module *m, bool mode);   // model.train(mode): the whole tree
void       tl_module_eval(tl_module *m);               // model.eval() == train(false)
// model.double() / .float(): converts parameters and floating buffers in place (grads dropped)
bool       tl_module_to_dtype(tl_module *m, tl_dtype dtype);

// ---------------------------------------------------------------------------
// Looking inside. Dotted names as PyTorch's: "layers.0", "layers.0.weight".
tl_module *tl_module_child(const tl_module *m, const char *name);   // a direct child, or NULL
tl_module *tl_module_get(const tl_module *m, const char *path);     // get_submodule("layers.0")
tl_tensor *tl_module_param(const tl_module *m, const char *path);   // get_parameter("layers.0.weight")
// named_parameters(): every parameter of the tree in PyTorch's order (a module's own, then its
// children's, depth first), each once. *out is a pool-owned array; returns its length, -1 on error.
int        tl_module_parameters(const tl_module *m, tl_named_tensor **out);
// the state_dict's entries in its order: each module's parameters, then its buffers, then its
// children's. The tensors are the module's own (not copies).
int        tl_module_state(const tl_module *m, tl_named_tensor **out);
// sum(p.numel() for p in model.parameters() [if p.requires_grad])
int64_t    tl_module_num_parameters(const tl_module *m, bool trainable_only);

// ---------------------------------------------------------------------------
// Printing: print(model) in PyTorch's format (nested, two spaces per level).
const char *tl_module_repr(const tl_module *m);      // pool-owned string
void        tl_module_print(const tl_module *m);     // repr and a newline; NULL: the error, as tl_print
#line 1306 "chapters/04-mlp/04-mlp.md"
#endif
