/* generated from chapters/02-graphs/02-graphs.md by tools/tangle.lua; edit the chapter, not this file */
#line 29 "chapters/02-graphs/02-graphs.md"
// 02-graphs — tutorial §3 (a model as a computation graph), seed 003's graph diagram and seed
// 004's dynamic graphs: the graph behind a tensor, printed, walked and drawn.
#include "torchlet.h"
#include <stdio.h>

#line 1671 "chapters/02-graphs/02-graphs.md"
// Prints a node and where each of its inputs comes from, as PyTorch's grad_fn.next_functions
// does: the node that computed the input, AccumulateGrad for a leaf that requires grad, or None.
static void print_next_functions(const tl_node *node) {
    printf("%s <-", tl_node_name(node));
    for (int i = 0; i < node->ninputs; i++) {
        const char *from = node->next[i] ? tl_node_name(node->next[i])
                         : node->leaf[i] ? "AccumulateGrad" : "None";
        printf("%s %s", i > 0 ? "," : "", from);
    }
    printf("\n");
}
#line 1805 "chapters/02-graphs/02-graphs.md"
// A model whose graph depends on its input. The `if` is ordinary C, evaluated while the forward
// pass runs; only the branch that runs is recorded.
static tl_tensor *branchy_model(const tl_tensor *x, const tl_tensor *w, const tl_tensor *b) {
    tl_tensor *z = tl_add(tl_mul(x, w), b);
    if (tl_item(x) >= 0)
        return tl_sigmoid(z);               // non-negative input: z -> sigmoid
    return tl_tanh(tl_mul(z, z));           // negative input: z -> z * z -> tanh
}
#line 35 "chapters/02-graphs/02-graphs.md"

int main(int argc, char **argv) {
    tl_lab_begin(argc, argv);
#line 51 "chapters/02-graphs/02-graphs.md"
    TL_CELL("the tutorial's forward pass");
    tl_tensor *y  = tl_tensor_parse("[1.0]");    // true label
    tl_tensor *x1 = tl_tensor_parse("[1.1]");    // input feature
    tl_tensor *w1 = tl_tensor_parse("[2.2]");    // weight parameter
    tl_tensor *b  = tl_tensor_parse("[0.0]");    // bias unit

    tl_tensor *z = tl_add(tl_mul(x1, w1), b);    // net input
    tl_tensor *a = tl_sigmoid(z);                // activation and output
    tl_tensor *loss = tl_binary_cross_entropy(a, y);
    tl_print(loss);
#line 75 "chapters/02-graphs/02-graphs.md"
    TL_CELL("the same forward pass, recorded");
    tl_requires_grad_(w1, true);
    tl_requires_grad_(b, true);
    z = tl_add(tl_mul(x1, w1), b);
    a = tl_sigmoid(z);
    loss = tl_binary_cross_entropy(a, y);
    tl_print(w1);
    tl_print(z);
    tl_print(a);
    tl_print(loss);
#line 640 "chapters/02-graphs/02-graphs.md"
    TL_CELL("losses on several elements");
    tl_print(tl_mse_loss(tl_tensor_parse("[1.0, 2.0, 3.0]"), tl_tensor_parse("[1.5, 2.0, 2.0]")));
    tl_print(tl_binary_cross_entropy(tl_tensor_parse("[0.9, 0.2, 0.0]"), tl_tensor_parse("[1.0, 0.0, 1.0]")));
    tl_print(tl_binary_cross_entropy(tl_tensor_parse("[1.5]"), tl_tensor_parse("[1.0]")));
    tl_print(tl_binary_cross_entropy(tl_tensor_parse("[0.5]"), tl_tensor_parse("[1.0, 0.0]")));
#line 677 "chapters/02-graphs/02-graphs.md"
    TL_CELL("softmax without overflow");
    tl_tensor *scores = tl_tensor_parse("[1000.0, 1001.0, 1002.0]");
    tl_print(tl_div(tl_exp(scores), tl_sum(tl_exp(scores))));   // the formula, written literally
    tl_print(tl_softmax(scores, 0));
    tl_print(tl_softmax(tl_tensor_parse("[0.0, 1.0, 2.0]"), 0));
    tl_print(tl_log_softmax(scores, 0));
#line 1689 "chapters/02-graphs/02-graphs.md"
    TL_CELL("walking the graph by hand");
    for (const tl_node *node = loss->grad_fn; node; node = node->next[0])
        print_next_functions(node);
#line 1721 "chapters/02-graphs/02-graphs.md"
    TL_CELL("drawing the graph");
    tl_set_name(w1, "w1");
    tl_set_name(b, "b");
    tl_set_name(loss, "loss");
    tl_graph_draw(loss, "logreg.dot", false);
#line 1748 "chapters/02-graphs/02-graphs.md"
    TL_CELL("seed 003's graph: sigmoid(W * x) and a squared error");
    tl_tensor *x = tl_tensor_parse("[1.0, 2.0]");
    tl_tensor *W = tl_requires_grad_(tl_tensor_parse("[0.5, -0.3]"), true);
    tl_tensor *target = tl_tensor_parse("[1.0, 0.0]");
    tl_tensor *zW = tl_mul(W, x);
    tl_tensor *aW = tl_sigmoid(zW);
    tl_tensor *mse = tl_mse_loss(aW, target);
    tl_print(zW);
    tl_print(aW);
    tl_print(mse);
    tl_set_name(W, "W");
    tl_set_name(mse, "loss");
    tl_graph_draw(mse, "seed003.dot", false);
#line 1818 "chapters/02-graphs/02-graphs.md"
    TL_CELL("one function, two graphs");
    tl_tensor *w = tl_requires_grad_(tl_tensor_parse("[0.5]"), true);
    tl_tensor *bias = tl_requires_grad_(tl_tensor_parse("[0.1]"), true);
    tl_set_name(w, "w");
    tl_set_name(bias, "b");
    tl_tensor *out_positive = branchy_model(tl_tensor_parse("[2.0]"), w, bias);
    tl_tensor *out_negative = branchy_model(tl_tensor_parse("[-3.0]"), w, bias);
    tl_set_name(out_positive, "output");
    tl_set_name(out_negative, "output");
    tl_print(out_positive);
    tl_print(out_negative);
    tl_graph_draw(out_positive, "dynamic-positive.dot", false);
    tl_graph_draw(out_negative, "dynamic-negative.dot", false);
#line 1856 "chapters/02-graphs/02-graphs.md"
    TL_CELL("recording switched off");
    TL_NO_GRAD {
        tl_tensor *z_plain = tl_add(tl_mul(x1, w1), b);
        tl_print(z_plain);
        printf("requires_grad: %s, grad_fn: %s\n", z_plain->requires_grad ? "True" : "False",
               z_plain->grad_fn ? tl_node_name(z_plain->grad_fn) : "None");
    }
    printf("w1 still requires grad: %s\n", w1->requires_grad ? "True" : "False");
#line 39 "chapters/02-graphs/02-graphs.md"
    return tl_lab_end();
}
