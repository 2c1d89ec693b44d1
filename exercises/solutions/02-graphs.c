// exercises/02-graphs.c — exercises for chapter 02 (computation graphs): walking the recorded
// graph, and recording a node of your own.
// BEGIN SOLUTION
//
// REFERENCE SOLUTIONS (the teacher's copy). tools/handout.sh strips everything between the
// BEGIN/END SOLUTION markers and turns the "STUB:" lines into code: that is exercises/02-graphs.c.
// END SOLUTION
//
// Each exercise is a function: read its comment, replace the TL_TODO stub with your code, and
// grade it with ./build.sh grade 02 (the chapter) or ./build.sh grade 02.3 (one exercise).
// The graph (autograd.h): a tensor made by a recorded op has t->grad_fn, a tl_node; for each input
// i of the op, node->next[i] is the node that made that input, or NULL, and node->leaf[i] is the
// input itself when it is a leaf that requires grad (else NULL). Graphs share nodes: in
// y = z * z + z the node of z is reached three times, and it is still one node.
#include <stdint.h>
#include <stdlib.h>

#include "exercise.h"

// BEGIN SOLUTION
// a growable list of pointers, used as a visited set (linear search: graphs here are small)
typedef struct { const void **p; int64_t n, cap; } ptr_list;

static bool list_has(const ptr_list *l, const void *x) {
    for (int64_t i = 0; i < l->n; i++)
        if (l->p[i] == x) return true;
    return false;
}

static bool list_add(ptr_list *l, const void *x) {
    if (l->n == l->cap) {
        int64_t cap = l->cap ? 2 * l->cap : 16;
        const void **p = realloc(l->p, (size_t)cap * sizeof *p);
        if (!p) return false;
        l->p = p;
        l->cap = cap;
    }
    l->p[l->n++] = x;
    return true;
}

// every node reachable from root, each once, into seen (depth first, with an explicit stack);
// leaves (when not NULL) gets every distinct leaf met on an edge
static bool walk(tl_node *root, ptr_list *seen, ptr_list *leaves) {
    ptr_list stack = { 0 };
    bool ok = true;
    if (root && (ok = list_add(seen, root) && list_add(&stack, root)))
        while (ok && stack.n > 0) {
            tl_node *node = (tl_node *)stack.p[--stack.n];
            for (int i = 0; ok && i < node->ninputs; i++) {
                if (leaves && node->leaf[i] && !list_has(leaves, node->leaf[i])) ok = list_add(leaves, node->leaf[i]);
                tl_node *next = node->next[i];
                if (ok && next && !list_has(seen, next)) ok = list_add(seen, next) && list_add(&stack, next);
            }
        }
    free(stack.p);
    if (!ok) tl_error_set(TL_RUNTIME_ERROR, "out of memory walking the graph");
    return ok;
}

// depth(node) = 1 + max depth(next[i]), remembered in depth[] at node's index in seen
static int64_t depth_of(const tl_node *node, const ptr_list *seen, int64_t *depth) {
    int64_t k = 0;
    while (seen->p[k] != node) k++;
    if (depth[k]) return depth[k];
    int64_t d = 1;
    for (int i = 0; i < node->ninputs; i++) {
        if (!node->next[i]) continue;
        int64_t di = 1 + depth_of(node->next[i], seen, depth);
        if (di > d) d = di;
    }
    return depth[k] = d;
}
// END SOLUTION

// ----------------------------------------------------------------------------
// Exercise 02.1 (easy, 2 points): how many nodes does this graph have?
//
// Task: return the number of distinct nodes reachable from t->grad_fn through the next[] edges
// (t's own node included); 0 for a tensor without grad_fn (a leaf, or made with recording off).
// A NULL t returns -1 (the error of the call that failed stays recorded).
//
// Approach: a depth-first walk with a "seen" list, so that a shared node counts once and is not
// walked again (without it, y = y + y repeated 40 times would take 2^40 steps).
//
// Example: z = x * w + b (w, b leaves that require grad): MulBackward0 and AddBackward0, so 2.
//
// Hints: a dynamic array of node pointers is enough for the seen list and for the stack
// (realloc when full; free both before returning).
int64_t ex02_count_nodes(const tl_tensor *t) {
    // BEGIN SOLUTION
    if (!t) return -1;
    ptr_list seen = { 0 };
    bool ok = walk(t->grad_fn, &seen, NULL);
    int64_t n = seen.n;
    free(seen.p);
    return ok ? n : -1;
    // END SOLUTION
    // STUB: TL_TODO("02.1");
    // STUB: return -1;
}

// ----------------------------------------------------------------------------
// Exercise 02.2 (medium, 3 points): which leaves does this tensor depend on?
//
// Task: find every distinct leaf tensor that requires grad from which t was computed: those are
// the tensors a backward from t would give a .grad. Write the first `max` of them into out[] (in
// any order) and return how many there are in all (so a caller can ask with max 0 first). A t
// that is itself a leaf requiring grad depends on itself: 1, out[0] = t. NULL t: -1.
//
// Approach: the walk of 02.1; at each node, node->leaf[i] (when not NULL) is such a leaf. A leaf
// used by several ops is met several times: count it once.
//
// Example: loss = bce(sigmoid(x1 * w1 + b), y) depends on w1 and b: returns 2.
//
// Hints: leaves are tensors, so compare pointers (tl_tensor *), as for nodes.
int ex02_leaves(const tl_tensor *t, tl_tensor **out, int max) {
    // BEGIN SOLUTION
    if (!t) return -1;
    ptr_list seen = { 0 }, leaves = { 0 };
    bool ok = true;
    if (!t->grad_fn && t->requires_grad) ok = list_add(&leaves, t);
    else ok = walk(t->grad_fn, &seen, &leaves);
    int n = (int)leaves.n;
    for (int i = 0; ok && i < n && i < max; i++) out[i] = (tl_tensor *)leaves.p[i];
    free(seen.p);
    free(leaves.p);
    return ok ? n : -1;
    // END SOLUTION
    // STUB: TL_TODO("02.2");
    // STUB: return -1;
}

// ----------------------------------------------------------------------------
// Exercise 02.3 (medium, 3 points): the depth of a graph.
//
// Task: return the number of nodes on the longest path that starts at t->grad_fn and follows
// next[] edges; 0 when t has no grad_fn; -1 for a NULL t. This is the number of local rules a
// backward pass applies one after the other, at least, to reach the farthest leaf.
//
// Approach: depth(node) = 1 + the largest depth(next[i]) (0 for a missing next). Written as plain
// recursion it is right but slow on shared nodes: y = y + y forty times has 2^40 paths. Remember
// each node's depth once computed (memoisation), e.g. in a list of (node, depth) pairs.
//
// Example: sigmoid(x * w + b) with w, b leaves: SigmoidBackward0 -> AddBackward0 -> MulBackward0, 3.
int64_t ex02_graph_depth(const tl_tensor *t) {
    // BEGIN SOLUTION
    if (!t) return -1;
    ptr_list seen = { 0 };
    if (!walk(t->grad_fn, &seen, NULL)) return -1;
    int64_t n = seen.n, *depth = calloc((size_t)(n ? n : 1), sizeof *depth);   // 0: not known yet
    if (!depth) { free(seen.p); tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return -1; }
    if (n) depth_of(t->grad_fn, &seen, depth);
    int64_t result = n ? depth[0] : 0;      // seen.p[0] is t->grad_fn
    free(depth);
    free(seen.p);
    return result;
    // END SOLUTION
    // STUB: TL_TODO("02.3");
    // STUB: return -1;
}

// ----------------------------------------------------------------------------
// Exercise 02.4 (hard, 4 points): record a node of your own.
//
// The local rule of a new op, SquareBackward0, is written for you below (chapter 03 is about rules):
// the gradient of x*x is 2x times the incoming gradient; it reads x from node->saved[0].
void ex02_square_backward(tl_node *node, const tl_tensor *grad_output, tl_tensor **grad_inputs) {
    grad_inputs[0] = tl_mul(tl_mul_scalar(node->saved[0], 2.0), grad_output);
}
//
// Task: return x * x element-wise (same shape and dtype as x), recorded as ONE node named
// "SquareBackward0" with the rule ex02_square_backward and one input, x, saved for the rule. As for
// every op: when nothing is to be recorded (grad mode off, or x does not require grad) the result
// has no grad_fn and does not require grad. NULL x: NULL.
//
// Approach: compute the values with recording off (TL_NO_GRAD { ... }), so the multiplication
// leaves no MulBackward0 behind; then tl_record(name, rule, out, inputs, 1) wires the node (and
// returns NULL when there is nothing to record), and tl_node_save(node, x) keeps x for the rule.
//
// Example: x = tensor([1., -2.], requires_grad=True); y = ex02_square(x) prints
// tensor([1., 4.], grad_fn=<SquareBackward0>); tl_backward(tl_sum(y)) gives x.grad = [2., -4.].
//
// Hints: inputs are passed as an array: (const tl_tensor *[]){ x }. tl_node_save(NULL, x) does
// nothing, so there is no need to test the node.
tl_tensor *ex02_square(const tl_tensor *x) {
    // BEGIN SOLUTION
    if (!x) return NULL;
    tl_tensor *out = NULL;
    TL_NO_GRAD { out = tl_mul(x, x); }
    if (!out) return NULL;
    tl_node *node = tl_record("SquareBackward0", ex02_square_backward, out, (const tl_tensor *[]){ x }, 1);
    tl_node_save(node, x);
    return out;
    // END SOLUTION
    // STUB: TL_TODO("02.4");
    // STUB: return NULL;
}
