// exercises/02-graphs.c — exercises for chapter 02 (computation graphs): walking the recorded
// graph, and recording a node of your own.
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
    TL_TODO("02.1");
    return -1;
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
    TL_TODO("02.2");
    return -1;
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
    TL_TODO("02.3");
    return -1;
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
    TL_TODO("02.4");
    return NULL;
}
