/* generated from chapters/02-graphs/02-graphs.md by tools/tangle.lua; edit the chapter, not this file */
#line 250 "chapters/02-graphs/02-graphs.md"
// autograd.c — automatic differentiation. Chapter 02: grad mode, graph nodes and their
// lifetime, recording, leaves. Chapter 03: the backward pass (tl_backward, tl_grad).
// The local rules of the ops live next to the ops (ops.c, tensor.c), filled in by chapter 03.
#include "autograd.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "print.h"

#line 510 "chapters/02-graphs/02-graphs.md"
// ----------------------------------------------------------------------------
// Grad mode: a per-thread flag and a stack of the values it had before each push.
#define GRAD_MODE_DEPTH 64
static TL_THREAD_LOCAL bool grad_disabled;             // false: recording on (the default)
static _Thread_local bool grad_mode_saved[GRAD_MODE_DEPTH];
static TL_THREAD_LOCAL int grad_mode_depth;

void tl_grad_mode_push(bool enabled) {
    if (grad_mode_depth == GRAD_MODE_DEPTH) {
        fprintf(stderr, "torchlet: grad mode blocks nested more than %d deep (a push without a pop?)\n",
                GRAD_MODE_DEPTH);
        abort();
    }
    grad_mode_saved[grad_mode_depth++] = grad_disabled;
    grad_disabled = !enabled;
}

void tl_grad_mode_pop(void) {
    if (grad_mode_depth == 0) {
        fprintf(stderr, "torchlet: tl_grad_mode_pop without a push (ignored)\n");
        return;
    }
    grad_disabled = grad_mode_saved[--grad_mode_depth];
}

bool tl_grad_enabled(void) { return !grad_disabled; }
#line 263 "chapters/02-graphs/02-graphs.md"
#line 358 "chapters/02-graphs/02-graphs.md"
// ----------------------------------------------------------------------------
// Node lifetime. A node whose count reaches 0 goes into a per-thread queue; the outermost
// call empties it, so freeing a long chain needs no recursion.
static TL_THREAD_LOCAL tl_node *free_queue;
static TL_THREAD_LOCAL bool freeing;

int64_t tl_live_nodes(void) { return tl_live_count(TL_LIVE_NODES); }

const char *tl_node_name(const tl_node *node) { return node ? node->name : NULL; }

static void node_release_saved(tl_node *node) {
    for (int i = 0; i < node->nsaved; i++) {
        tl_release(node->saved[i]);
        node->saved[i] = NULL;
    }
}

// a node and its edge arrays are one block of this size
static size_t node_bytes(int n) {
    return sizeof(tl_node) + (size_t)n * (sizeof(tl_shape) + sizeof(tl_node *) + sizeof(tl_tensor *) +
                                          sizeof(tl_dtype) + sizeof(bool));
}

static void node_free(tl_node *node) {
    for (int i = 0; i < node->ninputs; i++) {
        tl_node_release(node->next[i]);         // may queue the input's node
        tl_release(node->leaf[i]);
    }
    node_release_saved(node);                   // may free tensors, which may queue nodes
    tl_release(node->grad);
    tl_block_free(node, node_bytes(node->ninputs));
    tl_live_add(TL_LIVE_NODES, -1);
}

void tl_node_release(tl_node *node) {
    if (!node || --node->refcount > 0) return;
    node->free_next = free_queue;
    free_queue = node;
    if (freeing) return;                        // the loop below, further up the stack, frees it
    freeing = true;
    while (free_queue) {
        tl_node *n = free_queue;
        free_queue = n->free_next;
        node_free(n);
    }
    freeing = false;
}
#line 264 "chapters/02-graphs/02-graphs.md"
#line 273 "chapters/02-graphs/02-graphs.md"
// ----------------------------------------------------------------------------
// Recording
bool tl_needs_record(const tl_tensor *const *inputs, int n) {
    if (!tl_grad_enabled()) return false;
    for (int i = 0; i < n; i++)
        if (inputs[i] && inputs[i]->requires_grad) return true;
    return false;
}

// one block: the struct, then shapes (8-byte), pointers, dtypes (4-byte), flags
static tl_node *node_alloc(int n) {
    size_t bytes = node_bytes(n);
    char *p = tl_block_alloc(bytes);     // chapter 01's cache: nodes come and go as often as tensors
    if (!p) { fprintf(stderr, "torchlet: out of memory\n"); abort(); }
    memset(p, 0, bytes);
    tl_node *node = (tl_node *)p;
    p += sizeof(tl_node);
    node->input_shape = (tl_shape *)p;   p += (size_t)n * sizeof(tl_shape);
    node->next = (tl_node **)p;          p += (size_t)n * sizeof(tl_node *);
    node->leaf = (tl_tensor **)p;        p += (size_t)n * sizeof(tl_tensor *);
    node->input_dtype = (tl_dtype *)p;   p += (size_t)n * sizeof(tl_dtype);
    node->needs_grad = (bool *)p;
    node->ninputs = n;
    node->refcount = 1;                  // the output tensor's reference
    tl_live_add(TL_LIVE_NODES, 1);       // chapter 01's per-thread counters
    return node;
}

tl_node *tl_record(const char *name, tl_backward_fn backward, tl_tensor *out,
                   const tl_tensor *const *inputs, int n) {
    if (!out || !tl_dtype_is_floating(out->dtype) || !tl_needs_record(inputs, n)) return NULL;
    tl_node *node = node_alloc(n);
    node->name = name;
    node->backward = backward;
    for (int i = 0; i < n; i++) {
        const tl_tensor *t = inputs[i];
        node->input_shape[i] = tl_shape_of(t);
        node->input_dtype[i] = t->dtype;
        if (!t->requires_grad) continue;          // a constant: no edge
        node->needs_grad[i] = true;
        if (t->grad_fn) {                         // computed: the edge leads to its node
            node->next[i] = t->grad_fn;
            t->grad_fn->refcount++;
        } else {                                  // a leaf: the gradient will land in it
            node->leaf[i] = tl_retain((tl_tensor *)t);
        }
    }
    node->output_shape = tl_shape_of(out);
    node->output_dtype = out->dtype;
    out->grad_fn = node;                          // the output owns the node's first reference
    out->requires_grad = true;
    return node;
}
#line 335 "chapters/02-graphs/02-graphs.md"

void tl_node_save(tl_node *node, const tl_tensor *t) {
    if (!node || !t) return;
    if (node->nsaved == TL_MAX_SAVED) {
        fprintf(stderr, "torchlet: %s saves more than %d tensors\n", node->name, TL_MAX_SAVED);
        abort();
    }
    tl_tensor *keep = t->grad_fn == node ? tl_detach(t) : (tl_tensor *)t;   // no cycle
    node->saved[node->nsaved++] = tl_retain(keep);
}
#line 265 "chapters/02-graphs/02-graphs.md"
#line 448 "chapters/02-graphs/02-graphs.md"
// ----------------------------------------------------------------------------
// Leaves
tl_tensor *tl_requires_grad_(tl_tensor *t, bool requires) {
    if (!t) return NULL;
    if (t->grad_fn) {             // computed: it requires grad, and must keep doing so
        if (!requires) {
            tl_error_set(TL_RUNTIME_ERROR, "you can only change requires_grad flags of leaf variables. If you "
                         "want to use a computed variable in a subgraph that doesn't require differentiation use "
                         "var_no_grad = var.detach().");
            return NULL;
        }
        return t;
    }
    if (requires && !tl_dtype_is_floating(t->dtype)) {
        tl_error_set(TL_RUNTIME_ERROR, "only Tensors of floating point dtype can require gradients");
        return NULL;
    }
    t->requires_grad = requires;
    return t;
}

bool tl_is_leaf(const tl_tensor *t) { return t && !t->grad_fn; }
#line 557 "chapters/02-graphs/02-graphs.md"

void tl_set_name(tl_tensor *t, const char *name) {
    if (!t) return;
    snprintf(t->name, sizeof t->name, "%s", name ? name : "");
}
#line 266 "chapters/02-graphs/02-graphs.md"
#line 230 "chapters/03-autograd/03-autograd.md"
// ----------------------------------------------------------------------------
// The backward pass
// The two growing lists of a pass (the nodes in order, the search's stack) start in arrays on the
// stack, big enough for most graphs (the tutorial's has 10 nodes), and move to the heap only when
// they outgrow them: a backward pass needs no malloc of its own.
enum { PASS_LOCAL = 64 };

// doubles the array *buf of *cap elements of elem bytes; local is its stack array
static bool grow(void **buf, void *local, int64_t *cap, size_t elem) {
    void *b = *buf == local ? malloc((size_t)*cap * 2 * elem) : realloc(*buf, (size_t)*cap * 2 * elem);
    if (!b) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return false; }
    if (*buf == local) memcpy(b, local, (size_t)*cap * elem);
    *buf = b;
    *cap *= 2;
    return true;
}

typedef struct {
    tl_node  **order;           // every node reachable from the root, in post-order
    int64_t    n, cap;
    tl_node   *order_local[PASS_LOCAL];
    uint64_t   visit;           // this pass's mark
    bool       retain;          // retain_graph
    tl_tensor *const *inputs;   // tl_grad: the tensors asked about (NULL: backward)
    int        ninputs;
    tl_tensor **captured;       // tl_grad: their gradients so far
} pass;

static _Atomic uint64_t pass_counter;

static bool order_push(pass *p, tl_node *node) {
    if (p->n == p->cap && !grow((void **)&p->order, p->order_local, &p->cap, sizeof *p->order)) return false;
    p->order[p->n++] = node;
    return true;
}

// depth-first search from root with an explicit stack; nodes are listed in post-order
// (a node after every node below it), so reading the list backwards is a topological order
static bool collect(pass *p, tl_node *root) {
    typedef struct { tl_node *node; int edge; } frame;
    frame local[PASS_LOCAL], *stack = local;
    int64_t depth = 0, cap = PASS_LOCAL;
    root->visit = p->visit;
    stack[depth++] = (frame){ root, 0 };
    bool ok = true;
    while (ok && depth > 0) {
        frame *f = &stack[depth - 1];
        if (f->edge == f->node->ninputs) {          // everything below is listed: list it
            ok = order_push(p, f->node);
            depth--;
            continue;
        }
        tl_node *child = f->node->next[f->edge++];
        if (!child || child->visit == p->visit) continue;
        child->visit = p->visit;
        if (depth == cap && !grow((void **)&stack, local, &cap, sizeof *stack)) { ok = false; break; }
        stack[depth++] = (frame){ child, 0 };
    }
    if (stack != local) free(stack);
    return ok;
}
#line 300 "chapters/03-autograd/03-autograd.md"

// the index of t among the tensors tl_grad asks about, or -1
static int wanted(const pass *p, const tl_tensor *t) {
    for (int i = 0; i < p->ninputs; i++)
        if (p->inputs[i] == t) return i;
    return -1;
}

static bool made_wanted(const pass *p, const tl_node *node) {
    for (int i = 0; i < p->ninputs; i++)
        if (p->inputs[i]->grad_fn == node) return true;
    return false;
}

static void mark_needed(pass *p) {
    for (int64_t k = 0; k < p->n; k++) {
        tl_node *node = p->order[k];
        node->needed = !p->inputs || made_wanted(p, node);
        for (int i = 0; i < node->ninputs && !node->needed; i++)
            node->needed = (node->next[i] && node->next[i]->needed) || (node->leaf[i] && wanted(p, node->leaf[i]) >= 0);
    }
}
#line 341 "chapters/03-autograd/03-autograd.md"

// sum g back over broadcast dims and convert it, to fit input i of node
static tl_tensor *fit_gradient(const tl_node *node, int i, tl_tensor *g) {
    tl_shape want = node->input_shape[i];
    bool same = g->ndim == want.ndim;
    for (int d = 0; same && d < want.ndim; d++) same = g->shape[d] == want.d[d];
    if (!same) g = tl_sum_to_size(g, want);
    if (g && g->dtype != node->input_dtype[i]) g = tl_to_dtype(g, node->input_dtype[i]);
    return g;
}

// *acc += g, where *acc is a reference we own (or NULL)
static void add_into(tl_tensor **acc, tl_tensor *g) {
    tl_tensor *sum = *acc ? tl_add(*acc, g) : g;
    tl_retain(sum);
    tl_release(*acc);
    *acc = sum;
}

static void accumulate_leaf(pass *p, tl_tensor *leaf, tl_tensor *g) {
    if (p->inputs) {                            // tl_grad: only the tensors asked about
        for (int k = 0; k < p->ninputs; k++)
            if (p->inputs[k] == leaf) add_into(&p->captured[k], g);
    } else if (!leaf->grad) {
        bool private_to_us = g->refcount == 1 && g->storage->refcount == 1 && !g->requires_grad &&
                             g->offset == 0 && tl_is_contiguous(g);
        leaf->grad = tl_retain(private_to_us ? g : tl_clone(g));   // its own memory: changed in place later
    } else {
        tl_add_(leaf->grad, g);
    }
}
#line 390 "chapters/03-autograd/03-autograd.md"

static bool run_node(pass *p, tl_node *node) {
    tl_tensor *g = node->grad;
    node->grad = NULL;
    if (p->inputs && made_wanted(p, node))
        for (int k = 0; k < p->ninputs; k++)
            if (p->inputs[k]->grad_fn == node) add_into(&p->captured[k], g);
    bool ok = true;
    TL_SCOPE {
        tl_tensor *grads[node->ninputs > 0 ? node->ninputs : 1];
        for (int i = 0; i < node->ninputs; i++) grads[i] = NULL;
        node->backward(node, g, grads);
        bool passed_on = false;                   // a rule may hand g itself on (an addition)
        for (int i = 0; i < node->ninputs; i++) passed_on |= grads[i] == g;
        if (!passed_on) { tl_release(g); g = NULL; }   // views of g keep its storage, not g
        for (int i = 0; ok && i < node->ninputs; i++) {
            if (!node->needs_grad[i]) continue;
            tl_tensor *gi = grads[i] ? fit_gradient(node, i, grads[i]) : NULL;
            if (!gi) { ok = false; break; }       // a rule failed; its message is recorded
            if (node->next[i] && node->next[i]->needed) add_into(&node->next[i]->grad, gi);
            else if (node->leaf[i]) accumulate_leaf(p, node->leaf[i], gi);
        }
    }
    tl_release(g);
    if (!p->retain) {
        node_release_saved(node);
        node->released = true;
    }
    return ok;
}
#line 428 "chapters/03-autograd/03-autograd.md"

static void unused_error(void) {
    tl_error_set(TL_RUNTIME_ERROR, "One of the differentiated Tensors appears to not have been used in the graph. "
                 "Set allow_unused=True if this is the desired behavior.");
}

static const char *const freed_graph_message =
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if "
    "you need to access saved tensors after calling backward.";

// the starting gradient, d(root)/d(root), owned by the current pool
static tl_tensor *seed_gradient(const tl_tensor *root, const tl_tensor *grad) {
    if (!grad) {
        if (tl_numel(root) != 1) {
            tl_error_set(TL_RUNTIME_ERROR, "grad can be implicitly created only for scalar outputs");
            return NULL;
        }
        return tl_ones_like(root);
    }
    bool same = grad->ndim == root->ndim;
    for (int d = 0; same && d < root->ndim; d++) same = grad->shape[d] == root->shape[d];
    if (!same) {
        const char *gs = tl_shape_str(grad), *rs = tl_shape_str(root);
        tl_error_set(TL_RUNTIME_ERROR, "Mismatch in shape: grad_output[0] has a shape of %s and output[0] has a "
                     "shape of %s.", gs, rs);
        return NULL;
    }
    return tl_to_dtype(grad, root->dtype);
}

static bool run_backward(pass *p, tl_tensor *root, const tl_tensor *grad) {
    p->order = p->order_local;
    p->cap = PASS_LOCAL;
    if (!root || (p->inputs && !p->captured)) return false;
    if (!root->requires_grad) {
        tl_error_set(TL_RUNTIME_ERROR, "element 0 of tensors does not require grad and does not have a grad_fn");
        return false;
    }
    for (int k = 0; k < p->ninputs; k++) {
        if (!p->inputs[k]) return false;
        if (!p->inputs[k]->requires_grad) {
            tl_error_set(TL_RUNTIME_ERROR, "One of the differentiated Tensors does not require grad");
            return false;
        }
    }
    bool ok = true;
    tl_grad_mode_push(false);
    TL_SCOPE {
        tl_tensor *seed = seed_gradient(root, grad);
        p->visit = atomic_fetch_add(&pass_counter, 1) + 1;
        if (!seed) {
            ok = false;
        } else if (!root->grad_fn) {                 // the root is a leaf
            if (p->inputs && wanted(p, root) < 0) { unused_error(); ok = false; }
            else accumulate_leaf(p, root, seed);
        } else {
            ok = collect(p, root->grad_fn);
            if (ok) mark_needed(p);
            for (int64_t k = 0; ok && k < p->n; k++)
                if (p->order[k]->needed && p->order[k]->released && p->order[k]->nsaved > 0) {
                    tl_error_set(TL_RUNTIME_ERROR, "%s", freed_graph_message);
                    ok = false;
                }
            // every tensor asked about must be reachable: a leaf on an edge, or a node we listed
            for (int k = 0; ok && k < p->ninputs; k++) {
                const tl_tensor *in = p->inputs[k];
                bool found = in == root || (in->grad_fn && in->grad_fn->visit == p->visit);
                for (int64_t j = 0; !found && j < p->n; j++)
                    for (int i = 0; !found && i < p->order[j]->ninputs; i++) found = p->order[j]->leaf[i] == in;
                if (!found) { unused_error(); ok = false; }
            }
            if (ok && root->grad_fn->needed) root->grad_fn->grad = tl_retain(seed);
            for (int64_t k = p->n - 1; ok && k >= 0; k--)   // consumers before producers
                if (p->order[k]->needed && p->order[k]->grad) ok = run_node(p, p->order[k]);
            for (int64_t k = 0; k < p->n; k++) {           // after a failure: drop partial sums
                tl_release(p->order[k]->grad);
                p->order[k]->grad = NULL;
            }
        }
    }
    tl_grad_mode_pop();
    if (p->order != p->order_local) free(p->order);
    return ok;
}
#line 520 "chapters/03-autograd/03-autograd.md"

bool tl_backward_ex(tl_tensor *root, const tl_tensor *grad, bool retain_graph) {
    pass p = { .retain = retain_graph };
    return run_backward(&p, root, grad);
}

bool tl_backward(tl_tensor *root) { return tl_backward_ex(root, NULL, false); }

tl_tensor **tl_grad(tl_tensor *output, tl_tensor *const *inputs, int n_inputs, bool retain_graph) {
    if (!output || !inputs || n_inputs <= 0) return NULL;
    if (tl_numel(output) != 1 && output->requires_grad) {
        tl_error_set(TL_RUNTIME_ERROR, "grad can be implicitly created only for scalar outputs");
        return NULL;
    }
    tl_tensor **captured = calloc((size_t)n_inputs, sizeof *captured);
    pass p = { .retain = retain_graph, .inputs = inputs, .ninputs = n_inputs, .captured = captured };
    bool ok = run_backward(&p, output, NULL);
    tl_tensor **result = ok ? tl_pool_adopt(calloc((size_t)n_inputs, sizeof *result)) : NULL;
    for (int k = 0; k < n_inputs; k++) {
        if (result) result[k] = tl_detach(captured[k]);   // a pool-owned reference
        tl_release(captured[k]);
    }
    free(captured);
    return result;
}

void tl_zero_grad_(tl_tensor *t) {
    if (!t || !t->grad) return;
    TL_SCOPE {
        tl_grad_mode_push(false);
        tl_copy_(t->grad, tl_scalar(0, t->grad->dtype));
        tl_grad_mode_pop();
    }
}

void tl_print_tuple(tl_tensor *const *ts, int n) {
    TL_SCOPE {
        fputs("(", stdout);
        for (int i = 0; i < n; i++) fprintf(stdout, "%s%s", i ? ", " : "", ts && ts[i] ? tl_repr(ts[i]) : "None");
        fputs(n == 1 ? ",)\n" : ")\n", stdout);
    }
}
