/* generated from chapters/02-graphs/02-graphs.md by tools/tangle.lua; edit the chapter, not this file */
#line 126 "chapters/02-graphs/02-graphs.md"
// autograd.h — automatic differentiation: the graph recorded during the forward pass
// (chapter 02) and the backward pass that walks it (chapter 03).
//
//     tl_tensor *x1 = tl_tensor_parse("[1.1]");
//     tl_tensor *w1 = tl_requires_grad_(tl_tensor_parse("[2.2]"), true);   // a leaf
//     tl_tensor *z  = tl_mul(x1, w1);       // recorded: z->grad_fn is a MulBackward0 node
//     tl_tensor *a  = tl_sigmoid(z);        // SigmoidBackward0, whose input edge leads to z's node
//     tl_backward(tl_sum(a));               // chapter 03: fills w1->grad with d(sum a)/d(w1)
//     TL_NO_GRAD { tl_print(tl_mul(x1, w1)); }   // nothing recorded in here
#ifndef TL_AUTOGRAD_H
#define TL_AUTOGRAD_H
#include <stdio.h>

#include "tensor.h"

#line 179 "chapters/02-graphs/02-graphs.md"
// ---------------------------------------------------------------------------
// The graph node (PyTorch's Node, what t.grad_fn points to). A tensor made by a recorded
// op points to its node; the node's edges lead to the nodes of the op's inputs, or to
// the input itself when it is a leaf that requires grad:
//
//     z = x1 * w1 + b          AddBackward0 --next[0]--> MulBackward0 --leaf[1]--> w1
//     (w1, b require grad)          |                        (next[0] = leaf[0] = NULL: x1)
//                                   +--leaf[1]--> b
//
// The edge arrays have one entry per input of the op (ninputs); they live in the same
// allocation as the node.
typedef struct tl_node tl_node;
// the local rule: from d(loss)/d(output) to d(loss)/d(input i) for each input with
// needs_grad[i] (chapter 03)
typedef void (*tl_backward_fn)(tl_node *node, const tl_tensor *grad_output, tl_tensor **grad_inputs);
#define TL_MAX_SAVED 4

struct tl_node {
    const char    *name;          // PyTorch's: "MulBackward0" (first field: printing reads it)
    int            refcount;      // owners: the output tensor, and the nodes consuming it
    tl_backward_fn backward;      // the local rule
    int            ninputs;
    tl_node      **next;          // [ninputs] the node that made input i, or NULL
    tl_tensor    **leaf;          // [ninputs] input i if it is a leaf requiring grad (retained)
    bool          *needs_grad;    // [ninputs] does input i want a gradient?
    tl_shape      *input_shape;   // [ninputs] a gradient is summed back to this shape,
    tl_dtype      *input_dtype;   // [ninputs] and converted to this dtype
    tl_shape       output_shape;
    tl_dtype       output_dtype;
    tl_tensor     *saved[TL_MAX_SAVED];  // values the rule needs, retained, in the op's order;
    int            nsaved;               //   freed by a backward unless retain_graph
    bool           released;             // a backward freed saved[]
    double         scalar[2];            // small constants of the op
    int64_t        ints[TL_MAX_DIMS + 2];// dims, keepdim, permutation, slice bounds, ...
    // bookkeeping of the backward pass (chapter 03) and of freeing
    uint64_t       visit;         // the pass that last reached this node
    bool           needed;        // in that pass: does the node lead to a wanted gradient?
    tl_tensor     *grad;          // in that pass: d(loss)/d(output) summed so far
    tl_node       *free_next;     // the queue of nodes waiting to be freed
};
const char *tl_node_name(const tl_node *node);   // node->name; NULL for NULL
void        tl_node_release(tl_node *node);      // drop one owner (tensors do it when freed)
int64_t     tl_live_nodes(void);                 // nodes alive now (for leak tests)
#line 142 "chapters/02-graphs/02-graphs.md"
#line 437 "chapters/02-graphs/02-graphs.md"
// ---------------------------------------------------------------------------
// Leaves. A tensor without grad_fn is a leaf; t.requires_grad_(True) marks a leaf whose
// gradient is wanted. Returns t itself (no new reference). Errors (PyTorch's words):
//   non-leaf, requires = false: "you can only change requires_grad flags of leaf variables. ..."
//   integer/bool tensor:        "only Tensors of floating point dtype can require gradients"
tl_tensor *tl_requires_grad_(tl_tensor *t, bool requires);
bool       tl_is_leaf(const tl_tensor *t);          // t->grad_fn == NULL
tl_tensor *tl_detach(const tl_tensor *t);           // same storage, no history, no grad
#line 143 "chapters/02-graphs/02-graphs.md"
#line 497 "chapters/02-graphs/02-graphs.md"
// ---------------------------------------------------------------------------
// No-grad mode (torch.no_grad()): nothing is recorded while it is on. Per thread, on by
// default in every thread; nests:
//     TL_NO_GRAD { tl_print(tl_matmul(x, w)); }     // no grad_fn
// As with TL_SCOPE, leave the block normally (no break/return/goto out of it).
void tl_grad_mode_push(bool enabled);   // set the mode, remembering the current one
void tl_grad_mode_pop(void);            // restore the remembered mode
bool tl_grad_enabled(void);             // torch.is_grad_enabled()
#define TL_NO_GRAD TL_NO_GRAD_(TL_CONCAT_(tl_no_grad_once_, __LINE__))
#define TL_NO_GRAD_(v) for (int v = (tl_grad_mode_push(false), 1); v; tl_grad_mode_pop(), v = 0)
#line 144 "chapters/02-graphs/02-graphs.md"
#line 234 "chapters/02-graphs/02-graphs.md"
// ---------------------------------------------------------------------------
// Recording (called by every differentiable op, in chapter 01 and later chapters).
// tl_needs_record: would an op with these inputs be recorded? (grad mode on, and any input
// requires grad). tl_record makes the node, wires its edges, sets out->grad_fn and
// out->requires_grad, and returns the node so the op can save what its rule needs; it
// returns NULL (and does nothing) when nothing is to be recorded or out is not floating.
bool     tl_needs_record(const tl_tensor *const *inputs, int n);
tl_node *tl_record(const char *name, tl_backward_fn backward, tl_tensor *out,
                   const tl_tensor *const *inputs, int n);
// keep t for the rule, in node->saved[node->nsaved++] (NULL node: nothing). Saving the
// op's own output keeps a detached alias of it, so that tensor and node do not own each
// other in a cycle.
void     tl_node_save(tl_node *node, const tl_tensor *t);
#line 145 "chapters/02-graphs/02-graphs.md"
#line 189 "chapters/03-autograd/03-autograd.md"
// ---------------------------------------------------------------------------
// Backward. loss.backward(): the gradient of root with respect to every leaf that
// requires grad is ADDED into leaf->grad (created on first use). root must have one
// element, or a gradient of root's shape must be given (then the result is the
// vector-Jacobian product grad^T d(root)/d(leaf)). Unless retain_graph, the values the
// nodes saved are freed, and a second backward through them fails.
bool tl_backward(tl_tensor *root);                                   // retain_graph = false
bool tl_backward_ex(tl_tensor *root, const tl_tensor *grad, bool retain_graph);
// torch.autograd.grad(output, inputs, retain_graph=...): d(output)/d(inputs[i]) for each
// input, in a pool-owned array of pool-owned tensors, or NULL after an error. Does not
// touch any .grad. output must have one element. Inputs may be leaves or computed tensors.
tl_tensor **tl_grad(tl_tensor *output, tl_tensor *const *inputs, int n_inputs, bool retain_graph);
void tl_zero_grad_(tl_tensor *t);          // t.grad.zero_(): zeroes t->grad in place, if any
// Errors (PyTorch's words):
//   "element 0 of tensors does not require grad and does not have a grad_fn"
//   "grad can be implicitly created only for scalar outputs"
//   "Mismatch in shape: grad_output[0] has a shape of torch.Size([2]) and output[0] has a
//    shape of torch.Size([3])."
//   "Trying to backward through the graph a second time (or directly access saved tensors
//    after they have already been freed). Saved intermediate values of the graph are freed
//    when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to
//    backward through the graph a second time or if you need to access saved tensors after
//    calling backward."
//   tl_grad: "One of the differentiated Tensors does not require grad"
//            "One of the differentiated Tensors appears to not have been used in the graph.
//             Set allow_unused=True if this is the desired behavior."

// print a tuple of tensors as Python does: "(tensor([-0.0898]),)" for one, "(a, b)" for more
void tl_print_tuple(tl_tensor *const *ts, int n);
#line 146 "chapters/02-graphs/02-graphs.md"
#line 545 "chapters/02-graphs/02-graphs.md"
// ---------------------------------------------------------------------------
// Seeing the graph. tl_set_name labels a tensor for drawings (at most 31 bytes kept).
// tl_graph_dot writes the graph behind t as Graphviz DOT: op nodes, leaves (with their
// name or shape; parameters drawn differently); with show_grads, each leaf's .grad.
void tl_set_name(tl_tensor *t, const char *name);
bool tl_graph_dot(const tl_tensor *t, FILE *out, bool show_grads);
// tl_graph_draw writes the same into a lab's figure file (tl_lab_figure), which the build renders
// to SVG for the book: tl_graph_draw(loss, "logreg.dot", false).
bool tl_graph_draw(const tl_tensor *t, const char *figure, bool show_grads);
#line 147 "chapters/02-graphs/02-graphs.md"
#endif
