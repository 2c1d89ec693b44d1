/* generated from chapters/04-mlp/04-mlp.md by tools/tangle.lua; edit the chapter, not this file */
#line 1418 "chapters/04-mlp/04-mlp.md"
// nn.c — modules (chapter 04): building, initialising, the layers, walking the tree, printing.
// Generated from the chapter; see chapters/04-mlp/04-mlp.md for the explanations.
#define _POSIX_C_SOURCE 200809L
#include "nn.h"
#include "activation.h"
#include "autograd.h"
#include "device.h"   // chapter 08: dropout's noise moves to the input's device
#include "functional.h"
#include "ops.h"
#include "print.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#line 1452 "chapters/04-mlp/04-mlp.md"
tl_module *tl_module_new(const char *type, tl_forward_fn forward) {
    tl_module *m = calloc(1, sizeof *m);
    if (!m) {
        tl_error_set(TL_RUNTIME_ERROR, "out of memory creating a %s module", type ? type : "(unnamed)");
        return NULL;
    }
    m->type = type ? type : "Module";
    m->forward = forward;
    m->training = true;
    return m;
}
#line 1470 "chapters/04-mlp/04-mlp.md"
static int find_name(char *const *names, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) return i;
    return -1;
}

static bool name_free(const tl_module *m, const char *what, const char *name) {
    if (!name || !*name) {
        tl_error_set(TL_RUNTIME_ERROR, "%s name can't be empty string \"\"", what);
        return false;
    }
    if (strchr(name, '.')) {
        tl_error_set(TL_RUNTIME_ERROR, "%s name can't contain \".\", got: %s", what, name);
        return false;
    }
    if (find_name(m->param_names, m->n_params, name) >= 0 || find_name(m->buffer_names, m->n_buffers, name) >= 0 ||
        find_name(m->child_names, m->n_children, name) >= 0) {
        tl_error_set(TL_RUNTIME_ERROR, "attribute '%s' already exists", name);
        return false;
    }
    return true;
}
#line 1498 "chapters/04-mlp/04-mlp.md"
// room for one more name and item; false (and an error) when memory runs out
static bool grow_names(char ***names, int n, const char *name, char **copy) {
    char **more = realloc(*names, (size_t)(n + 1) * sizeof *more);
    if (more) *names = more;
    *copy = more ? strdup(name) : NULL;
    if (!*copy) tl_error_set(TL_RUNTIME_ERROR, "out of memory adding '%s' to a module", name);
    return *copy != NULL;
}

static tl_tensor *add_tensor(tl_module *m, const char *what, char ***names, tl_tensor ***items, int *n,
                             const char *name, tl_tensor *t) {
    char *copy;
    if (!name_free(m, what, name) || !grow_names(names, *n, name, &copy)) return NULL;
    tl_tensor **more = realloc(*items, (size_t)(*n + 1) * sizeof *more);
    if (!more) {
        free(copy);
        tl_error_set(TL_RUNTIME_ERROR, "out of memory adding '%s' to a module", name);
        return NULL;
    }
    *items = more;
    (*names)[*n] = copy;
    (*items)[*n] = tl_retain(t);       // the module's own reference
    (*n)++;
    return t;
}
#line 1530 "chapters/04-mlp/04-mlp.md"
tl_tensor *tl_module_add_parameter(tl_module *m, const char *name, tl_tensor *t) {
    if (!m || !t) return NULL;
    if (!tl_is_leaf(t)) {
        tl_error_set(TL_TYPE_ERROR, "Cannot assign non-leaf Tensor to parameter '%s'. Model parameters must be "
                     "created explicitly. To express '%s' as a function of another Tensor, compute the value in "
                     "the forward() method.", name ? name : "", name ? name : "");
        return NULL;
    }
    if (!tl_requires_grad_(t, true)) return NULL;       // integer tensors cannot be parameters
    if (!add_tensor(m, "parameter", &m->param_names, &m->params, &m->n_params, name, t)) return NULL;
    t->is_parameter = true;
    return t;
}

tl_tensor *tl_module_add_buffer(tl_module *m, const char *name, tl_tensor *t) {
    if (!m || !t) return NULL;
    return add_tensor(m, "buffer", &m->buffer_names, &m->buffers, &m->n_buffers, name, t);
}
#line 1555 "chapters/04-mlp/04-mlp.md"
tl_module *tl_module_add(tl_module *parent, const char *name, tl_module *child) {
    char *copy;
    if (!parent || !child || !name_free(parent, "module", name) ||
        !grow_names(&parent->child_names, parent->n_children, name, &copy)) {
        tl_module_free(child);
        return NULL;
    }
    tl_module **more = realloc(parent->children, (size_t)(parent->n_children + 1) * sizeof *more);
    if (!more) {
        free(copy);
        tl_module_free(child);
        tl_error_set(TL_RUNTIME_ERROR, "out of memory adding module '%s'", name);
        return NULL;
    }
    parent->children = more;
    parent->child_names[parent->n_children] = copy;
    parent->children[parent->n_children++] = child;
    return child;
}
#line 1580 "chapters/04-mlp/04-mlp.md"
void tl_module_free(tl_module *m) {
    if (!m) return;
    for (int i = 0; i < m->n_children; i++) {
        tl_module_free(m->children[i]);
        free(m->child_names[i]);
    }
    for (int i = 0; i < m->n_params; i++) {
        tl_release(m->params[i]);
        free(m->param_names[i]);
    }
    for (int i = 0; i < m->n_buffers; i++) {
        tl_release(m->buffers[i]);
        free(m->buffer_names[i]);
    }
    free(m->children);
    free(m->child_names);
    free(m->params);
    free(m->param_names);
    free(m->buffers);
    free(m->buffer_names);
    free(m->state);
    free(m);
}
#line 1436 "chapters/04-mlp/04-mlp.md"
#line 1628 "chapters/04-mlp/04-mlp.md"
static bool compute_fans(const tl_tensor *t, double *fan_in, double *fan_out) {
    if (t->ndim < 2) {
        tl_error_set(TL_VALUE_ERROR, "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
        return false;
    }
    double receptive = 1;
    for (int d = 2; d < t->ndim; d++) receptive *= (double)t->shape[d];
    *fan_in = (double)t->shape[1] * receptive;
    *fan_out = (double)t->shape[0] * receptive;
    return true;
}

// uniform_(-bound, bound) on a floating tensor; an empty tensor is left alone, as PyTorch does
static bool fill_uniform(tl_tensor *t, double bound, tl_generator *g) {
    if (tl_numel(t) == 0) return true;
    return tl_uniform_(t, -bound, bound, g);
}

bool tl_kaiming_uniform_(tl_tensor *t, double a, tl_generator *g) {
    double fan_in, fan_out;
    if (!t) return false;
    if (tl_numel(t) == 0) return true;                      // "Initializing zero-element tensors is a no-op"
    if (!compute_fans(t, &fan_in, &fan_out)) return false;
    double gain = sqrt(2.0 / (1 + a * a));                  // calculate_gain('leaky_relu', a)
    return fill_uniform(t, sqrt(3.0) * (gain / sqrt(fan_in)), g);
}

bool tl_xavier_uniform_(tl_tensor *t, double gain, tl_generator *g) {
    double fan_in, fan_out;
    if (!t || !compute_fans(t, &fan_in, &fan_out)) return false;
    return fill_uniform(t, sqrt(3.0) * (gain * sqrt(2.0 / (fan_in + fan_out))), g);
}

bool tl_zeros_(tl_tensor *t) {
    if (!t) return false;
    bool ok = false;
    TL_SCOPE {
        TL_NO_GRAD { ok = tl_copy_(t, tl_zeros(TL_SCALAR_SHAPE, t->dtype)) != NULL; }
    }
    return ok;
}
#line 1437 "chapters/04-mlp/04-mlp.md"
#line 1683 "chapters/04-mlp/04-mlp.md"
static void linear_repr(const tl_module *m, char *buf, size_t size) {
    snprintf(buf, size, "in_features=%lld, out_features=%lld, bias=%s", (long long)m->in_features,
             (long long)m->out_features, m->bias ? "True" : "False");
}

static bool linear_reset_parameters(tl_module *m) {
    bool ok = tl_kaiming_uniform_(m->weight, sqrt(5.0), NULL);
    if (ok && m->bias) {
        double fan_in = (double)m->in_features;
        ok = fill_uniform(m->bias, fan_in > 0 ? 1 / sqrt(fan_in) : 0, NULL);
    }
    return ok;
}
#line 1705 "chapters/04-mlp/04-mlp.md"
static tl_tensor *linear_forward(tl_module *m, const tl_tensor *x) {
    return tl_linear(x, m->weight, m->bias);                          // F.linear
}
#line 1767 "chapters/04-mlp/04-mlp.md"
tl_module *tl_linear_new(int64_t in_features, int64_t out_features, bool bias) {
    if (in_features < 0 || out_features < 0) {
        tl_error_set(TL_RUNTIME_ERROR, "Trying to create tensor with negative dimension %lld: [%lld, %lld]",
                     (long long)(out_features < 0 ? out_features : in_features), (long long)out_features,
                     (long long)in_features);
        return NULL;
    }
    tl_module *m = tl_module_new("Linear", linear_forward);
    if (!m) return NULL;
    m->extra_repr = linear_repr;
    m->in_features = in_features;
    m->out_features = out_features;
    bool ok = false;
    TL_SCOPE {                  // a private pool: once it is popped, the module owns the only reference
        m->weight = tl_module_add_parameter(m, "weight", tl_empty(TL_SHAPE(out_features, in_features), TL_FLOAT32));
        if (bias) m->bias = tl_module_add_parameter(m, "bias", tl_empty(TL_SHAPE(out_features), TL_FLOAT32));
        ok = m->weight && (!bias || m->bias) && linear_reset_parameters(m);
    }
    if (!ok) {
        tl_module_free(m);
        return NULL;
    }
    return m;
}
#line 1438 "chapters/04-mlp/04-mlp.md"
#line 1800 "chapters/04-mlp/04-mlp.md"
tl_module *tl_sequential_append(tl_module *seq, tl_module *m) {
    char name[24];
    if (!seq) {
        tl_module_free(m);
        return NULL;
    }
    snprintf(name, sizeof name, "%d", seq->n_children);
    return tl_module_add(seq, name, m) ? seq : NULL;
}

tl_module *tl_sequential_new(int n, ...) {
    tl_module *seq = tl_module_new("Sequential", NULL);
    bool ok = seq != NULL;
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {             // take every argument, also after a failure, to free it
        tl_module *m = va_arg(ap, tl_module *);
        if (ok && m) ok = tl_sequential_append(seq, m) != NULL;
        else {
            tl_module_free(m);
            ok = false;
        }
    }
    va_end(ap);
    if (!ok) {
        tl_module_free(seq);
        return NULL;
    }
    return seq;
}
#line 1439 "chapters/04-mlp/04-mlp.md"
#line 1840 "chapters/04-mlp/04-mlp.md"
static tl_tensor *relu_forward(tl_module *m, const tl_tensor *x)     { return tl_relu(x); }
static tl_tensor *sigmoid_forward(tl_module *m, const tl_tensor *x)  { return tl_sigmoid(x); }
static tl_tensor *tanh_forward(tl_module *m, const tl_tensor *x)     { return tl_tanh(x); }
static tl_tensor *softmax_forward(tl_module *m, const tl_tensor *x)  { return tl_softmax(x, m->dim); }
static tl_tensor *flatten_forward(tl_module *m, const tl_tensor *x)  { return tl_flatten(x, m->start_dim, m->end_dim); }
static tl_tensor *identity_forward(tl_module *m, const tl_tensor *x) { return (tl_tensor *)x; }
static tl_tensor *gelu_forward(tl_module *m, const tl_tensor *x)     { return tl_gelu(x, m->approximate); }
static tl_tensor *silu_forward(tl_module *m, const tl_tensor *x)     { return tl_silu(x); }
static tl_tensor *leaky_forward(tl_module *m, const tl_tensor *x)    { return tl_leaky_relu(x, m->alpha); }
static tl_tensor *elu_forward(tl_module *m, const tl_tensor *x)      { return tl_elu(x, m->alpha); }
static tl_tensor *prelu_forward(tl_module *m, const tl_tensor *x)    { return tl_prelu(x, m->weight); }

static void softmax_repr(const tl_module *m, char *buf, size_t n) { snprintf(buf, n, "dim=%d", m->dim); }
static void flatten_repr(const tl_module *m, char *buf, size_t n) {
    snprintf(buf, n, "start_dim=%d, end_dim=%d", m->start_dim, m->end_dim);
}
static void gelu_repr(const tl_module *m, char *buf, size_t n) {
    snprintf(buf, n, "approximate='%s'", m->approximate ? "tanh" : "none");
}
static void leaky_repr(const tl_module *m, char *buf, size_t n) {
    snprintf(buf, n, "negative_slope=%s", tl_float_repr(m->alpha));
}
static void elu_repr(const tl_module *m, char *buf, size_t n) { snprintf(buf, n, "alpha=%s", tl_float_repr(m->alpha)); }
static void prelu_repr(const tl_module *m, char *buf, size_t n) {
    snprintf(buf, n, "num_parameters=%lld", (long long)m->in_features);
}

static tl_module *layer_new(const char *type, tl_forward_fn forward, tl_extra_repr_fn repr) {
    tl_module *m = tl_module_new(type, forward);
    if (m) m->extra_repr = repr;
    return m;
}

tl_module *tl_relu_new(void)     { return layer_new("ReLU", relu_forward, NULL); }
tl_module *tl_sigmoid_new(void)  { return layer_new("Sigmoid", sigmoid_forward, NULL); }
tl_module *tl_tanh_new(void)     { return layer_new("Tanh", tanh_forward, NULL); }
tl_module *tl_identity_new(void) { return layer_new("Identity", identity_forward, NULL); }
tl_module *tl_silu_new(void)     { return layer_new("SiLU", silu_forward, NULL); }

tl_module *tl_softmax_new(int dim) {
    tl_module *m = layer_new("Softmax", softmax_forward, softmax_repr);
    if (m) m->dim = dim;
    return m;
}

tl_module *tl_flatten_new(void) {
    tl_module *m = layer_new("Flatten", flatten_forward, flatten_repr);
    if (m) {
        m->start_dim = 1;
        m->end_dim = -1;
    }
    return m;
}

tl_module *tl_gelu_new(bool tanh_approx) {
    tl_module *m = layer_new("GELU", gelu_forward, gelu_repr);
    if (m) m->approximate = tanh_approx;
    return m;
}

tl_module *tl_leaky_relu_new(double negative_slope) {
    tl_module *m = layer_new("LeakyReLU", leaky_forward, leaky_repr);
    if (m) m->alpha = negative_slope;
    return m;
}

tl_module *tl_elu_new(double alpha) {
    tl_module *m = layer_new("ELU", elu_forward, elu_repr);
    if (m) m->alpha = alpha;
    return m;
}

tl_module *tl_prelu_new(int64_t num_parameters, double init) {
    if (num_parameters < 1) {
        tl_error_set(TL_RUNTIME_ERROR, "PReLU needs num_parameters >= 1, got %lld", (long long)num_parameters);
        return NULL;
    }
    tl_module *m = layer_new("PReLU", prelu_forward, prelu_repr);
    if (!m) return NULL;
    m->in_features = num_parameters;
    TL_SCOPE { m->weight = tl_module_add_parameter(m, "weight", tl_full(TL_SHAPE(num_parameters), init, TL_FLOAT32)); }
    if (!m->weight) {
        tl_module_free(m);
        return NULL;
    }
    return m;
}
#line 1440 "chapters/04-mlp/04-mlp.md"
#line 1942 "chapters/04-mlp/04-mlp.md"
static void dropout_repr(const tl_module *m, char *buf, size_t n) {
    snprintf(buf, n, "p=%s, inplace=False", tl_float_repr(m->p));
}

static tl_tensor *dropout_forward(tl_module *m, const tl_tensor *x) {
    if (!m->training || m->p == 0) return (tl_tensor *)x;
    if (m->p == 1) return tl_mul_scalar(x, 0.0);
    tl_tensor *noise = tl_empty(tl_shape_of(x), x->dtype);   // drawn on the CPU, by our generator
    if (!noise || !tl_bernoulli_(noise, 1 - m->p, NULL)) return NULL;
    noise = tl_to_device(noise, tl_device_of(x));              // chapter 08: to x's device
    return tl_mul(x, tl_div_scalar(noise, 1 - m->p));
}

tl_module *tl_dropout_new(double p) {
    if (!(p >= 0 && p <= 1)) {
        tl_error_set(TL_VALUE_ERROR, "dropout probability has to be between 0 and 1, but got %s", tl_float_repr(p));
        return NULL;
    }
    tl_module *m = layer_new("Dropout", dropout_forward, dropout_repr);
    if (m) m->p = p;
    return m;
}
#line 1441 "chapters/04-mlp/04-mlp.md"
#line 1980 "chapters/04-mlp/04-mlp.md"
static void batchnorm_repr(const tl_module *m, char *buf, size_t n) {
    snprintf(buf, n, "%lld, eps=%s, momentum=%s, affine=True, track_running_stats=True", (long long)m->in_features,
             tl_float_repr(m->eps), tl_float_repr(m->momentum));
}

static tl_tensor *batchnorm_forward(tl_module *m, const tl_tensor *x) {
    if (x->ndim != 2 || x->shape[1] != m->in_features) {
        tl_error_set(TL_VALUE_ERROR, "Torchlet's BatchNorm1d(%lld) takes input of shape (N, %lld), got %s",
                     (long long)m->in_features, (long long)m->in_features, tl_shape_str(x));
        return NULL;
    }
    if (!m->training)                       // evaluation: the running statistics
        return tl_add(tl_mul(tl_div(tl_sub(x, m->running_mean), tl_sqrt(tl_add_scalar(m->running_var, m->eps))),
                             m->weight), m->bias);
    int64_t n = x->shape[0];
    if (n < 2) {
        tl_error_set(TL_VALUE_ERROR, "Expected more than 1 value per channel when training, got input size %s",
                     tl_shape_str(x));
        return NULL;
    }
    tl_tensor *mean = tl_mean_dim(x, 0, false);                    // (C)
    tl_tensor *centered = tl_sub(x, mean);
    tl_tensor *var = tl_mean_dim(tl_mul(centered, centered), 0, false);   // biased: divides by n
    tl_tensor *y = tl_add(tl_mul(tl_div(centered, tl_sqrt(tl_add_scalar(var, m->eps))), m->weight), m->bias);
    if (!y) return NULL;
    TL_NO_GRAD {                           // the running statistics are not part of the graph
        double mom = m->momentum;
        tl_copy_(m->running_mean, tl_add(tl_mul_scalar(m->running_mean, 1 - mom), tl_mul_scalar(mean, mom)));
        tl_copy_(m->running_var, tl_add(tl_mul_scalar(m->running_var, 1 - mom),
                                        tl_mul_scalar(var, mom * (double)n / (double)(n - 1))));
        tl_add_(m->num_batches_tracked, tl_int(1));   // on any device (chapter 08)
    }
    return y;
}

tl_module *tl_batchnorm1d_new(int64_t num_features) {
    if (num_features < 1) {
        tl_error_set(TL_RUNTIME_ERROR, "BatchNorm1d needs num_features >= 1, got %lld", (long long)num_features);
        return NULL;
    }
    tl_module *m = layer_new("BatchNorm1d", batchnorm_forward, batchnorm_repr);
    if (!m) return NULL;
    m->in_features = num_features;
    m->eps = 1e-5;
    m->momentum = 0.1;
    tl_shape c = TL_SHAPE(num_features);
    TL_SCOPE {
        m->weight = tl_module_add_parameter(m, "weight", tl_ones(c, TL_FLOAT32));
        m->bias = tl_module_add_parameter(m, "bias", tl_zeros(c, TL_FLOAT32));
        m->running_mean = tl_module_add_buffer(m, "running_mean", tl_zeros(c, TL_FLOAT32));
        m->running_var = tl_module_add_buffer(m, "running_var", tl_ones(c, TL_FLOAT32));
        m->num_batches_tracked = tl_module_add_buffer(m, "num_batches_tracked", tl_zeros(TL_SCALAR_SHAPE, TL_INT64));
    }
    if (!m->weight || !m->bias || !m->running_mean || !m->running_var || !m->num_batches_tracked) {
        tl_module_free(m);
        return NULL;
    }
    return m;
}
#line 1442 "chapters/04-mlp/04-mlp.md"
#line 2048 "chapters/04-mlp/04-mlp.md"
tl_tensor *tl_module_forward(tl_module *m, const tl_tensor *x) {
    if (!m || !x) return NULL;
    if (m->forward) return m->forward(m, x);
    tl_tensor *y = (tl_tensor *)x;
    for (int i = 0; i < m->n_children && y; i++) y = tl_module_forward(m->children[i], y);
    return y;
}

void tl_module_train(tl_module *m, bool mode) {
    if (!m) return;
    m->training = mode;
    for (int i = 0; i < m->n_children; i++) tl_module_train(m->children[i], mode);
}

void tl_module_eval(tl_module *m) { tl_module_train(m, false); }
#line 2070 "chapters/04-mlp/04-mlp.md"
static void retarget(tl_module *m, tl_tensor *old, tl_tensor *new_t) {
    tl_tensor **shortcuts[] = { &m->weight, &m->bias, &m->running_mean, &m->running_var, &m->num_batches_tracked };
    for (size_t i = 0; i < sizeof shortcuts / sizeof shortcuts[0]; i++)
        if (*shortcuts[i] == old) *shortcuts[i] = new_t;
}

static bool convert_list(tl_module *m, tl_tensor **items, int n, tl_dtype dtype) {
    for (int i = 0; i < n; i++) {
        tl_tensor *old = items[i], *conv = NULL;
        if (old->dtype == dtype || !tl_dtype_is_floating(old->dtype)) continue;
        TL_SCOPE {
            TL_NO_GRAD { conv = tl_retain(tl_clone(tl_to_dtype(old, dtype))); }
        }
        if (!conv) return false;
        conv->requires_grad = old->requires_grad;
        conv->is_parameter = old->is_parameter;
        items[i] = conv;
        retarget(m, old, conv);
        tl_release(old);
    }
    return true;
}

bool tl_module_to_dtype(tl_module *m, tl_dtype dtype) {
    if (!m) return false;
    if (!tl_dtype_is_floating(dtype)) {
        tl_error_set(TL_TYPE_ERROR, "nn.Module.to only accepts floating point dtypes, but got desired dtype=%s",
                     tl_dtype_name(dtype));
        return false;
    }
    if (!convert_list(m, m->params, m->n_params, dtype) || !convert_list(m, m->buffers, m->n_buffers, dtype))
        return false;
    for (int i = 0; i < m->n_children; i++)
        if (!tl_module_to_dtype(m->children[i], dtype)) return false;
    return true;
}
#line 1443 "chapters/04-mlp/04-mlp.md"
#line 2117 "chapters/04-mlp/04-mlp.md"
typedef struct { tl_named_tensor *items; int n, cap; bool ok; } named_list;

static void named_push(named_list *list, const char *prefix, const char *name, tl_tensor *t) {
    for (int i = 0; i < list->n; i++)
        if (list->items[i].tensor == t) return;                // shared: listed once
    if (list->n == list->cap) {
        int cap = list->cap ? 2 * list->cap : 16;
        tl_named_tensor *more = realloc(list->items, (size_t)cap * sizeof *more);
        if (!more) {
            list->ok = false;
            return;
        }
        list->items = more;
        list->cap = cap;
    }
    size_t len = strlen(prefix) + strlen(name) + 1;
    char *full = tl_pool_adopt(malloc(len));
    if (!full) {
        list->ok = false;
        return;
    }
    snprintf(full, len, "%s%s", prefix, name);
    list->items[list->n++] = (tl_named_tensor){ full, t };
}

static void collect(const tl_module *m, const char *prefix, bool with_buffers, named_list *list) {
    for (int i = 0; i < m->n_params; i++) named_push(list, prefix, m->param_names[i], m->params[i]);
    if (with_buffers)
        for (int i = 0; i < m->n_buffers; i++) named_push(list, prefix, m->buffer_names[i], m->buffers[i]);
    for (int i = 0; i < m->n_children && list->ok; i++) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s%s.", prefix, m->child_names[i]);
        collect(m->children[i], sub, with_buffers, list);
    }
}

static int collect_all(const tl_module *m, bool with_buffers, tl_named_tensor **out) {
    named_list list = { NULL, 0, 0, true };
    *out = NULL;
    if (!m) return -1;
    collect(m, "", with_buffers, &list);
    if (!list.ok) {
        free(list.items);
        tl_error_set(TL_RUNTIME_ERROR, "out of memory listing the parameters of a %s", m->type);
        return -1;
    }
    *out = list.items ? tl_pool_adopt(list.items) : NULL;
    return list.n;
}

int tl_module_parameters(const tl_module *m, tl_named_tensor **out) { return collect_all(m, false, out); }
int tl_module_state(const tl_module *m, tl_named_tensor **out) { return collect_all(m, true, out); }
#line 2176 "chapters/04-mlp/04-mlp.md"
int64_t tl_module_num_parameters(const tl_module *m, bool trainable_only) {
    int64_t total = 0;
    TL_SCOPE {
        tl_named_tensor *ps;
        int n = tl_module_parameters(m, &ps);
        for (int i = 0; i < n; i++)
            if (!trainable_only || ps[i].tensor->requires_grad) total += tl_numel(ps[i].tensor);
    }
    return total;
}
#line 2192 "chapters/04-mlp/04-mlp.md"
tl_module *tl_module_child(const tl_module *m, const char *name) {
    if (!m || !name) return NULL;
    int i = find_name(m->child_names, m->n_children, name);
    return i >= 0 ? m->children[i] : NULL;
}

tl_module *tl_module_get(const tl_module *m, const char *path) {
    if (!m || !path) return NULL;
    const tl_module *cur = m;
    while (*path) {
        char step[128];
        size_t len = strcspn(path, ".");
        snprintf(step, sizeof step, "%.*s", (int)(len < sizeof step ? len : sizeof step - 1), path);
        const tl_module *next = tl_module_child(cur, step);
        if (!next) {
            tl_error_set(TL_ATTRIBUTE_ERROR, "%s has no attribute `%s`", cur->type, step);
            return NULL;
        }
        cur = next;
        path += len + (path[len] == '.');
    }
    return (tl_module *)cur;
}

tl_tensor *tl_module_param(const tl_module *m, const char *path) {
    if (!m || !path) return NULL;
    const char *dot = strrchr(path, '.');
    const tl_module *owner = m;
    if (dot) {
        char prefix[512];
        snprintf(prefix, sizeof prefix, "%.*s", (int)(dot - path), path);
        if (!(owner = tl_module_get(m, prefix))) return NULL;
    }
    const char *name = dot ? dot + 1 : path;
    int i = find_name(owner->param_names, owner->n_params, name);
    if (i >= 0) return owner->params[i];
    if (find_name(owner->buffer_names, owner->n_buffers, name) >= 0)
        tl_error_set(TL_ATTRIBUTE_ERROR, "`%s` is not an nn.Parameter", name);
    else
        tl_error_set(TL_ATTRIBUTE_ERROR, "%s has no attribute `%s`", owner->type, name);
    return NULL;
}
#line 1444 "chapters/04-mlp/04-mlp.md"
#line 2243 "chapters/04-mlp/04-mlp.md"
static void write_repr(FILE *out, const tl_module *m, int indent) {
    char extra[256] = "";
    if (m->extra_repr) m->extra_repr(m, extra, sizeof extra);
    fprintf(out, "%s(", m->type);
    if (m->n_children == 0) {                    // a leaf: its settings on the same line
        fprintf(out, "%s)", extra);
        return;
    }
    if (extra[0]) fprintf(out, "\n%*s%s", indent + 2, "", extra);
    for (int i = 0; i < m->n_children; i++) {
        fprintf(out, "\n%*s(%s): ", indent + 2, "", m->child_names[i]);
        write_repr(out, m->children[i], indent + 2);
    }
    fprintf(out, "\n%*s)", indent, "");
}

const char *tl_module_repr(const tl_module *m) {
    if (!m) return NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        tl_error_set(TL_RUNTIME_ERROR, "out of memory printing a %s", m->type);
        return NULL;
    }
    TL_SCOPE { write_repr(out, m, 0); }          // tl_float_repr's strings die here
    fclose(out);
    return tl_pool_adopt(text);
}

void tl_module_print(const tl_module *m) {
    const char *s = tl_module_repr(m);
    if (s) printf("%s\n", s);
    else tl_error_print();                       // an earlier call failed: show why, as tl_print does
}
