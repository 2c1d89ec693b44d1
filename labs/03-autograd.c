/* generated from chapters/03-autograd/03-autograd.md by tools/tangle.lua; edit the chapter, not this file */
#line 35 "chapters/03-autograd/03-autograd.md"
// 03-autograd — tutorial §4 (grad and backward) and the autograd examples of seeds 003 and 004.
#include "torchlet.h"
#include <stdio.h>

#line 1534 "chapters/03-autograd/03-autograd.md"
// the C counterpart of a function decorated with @torch.no_grad()
static tl_tensor *inference(tl_tensor *model_input) {
    tl_grad_mode_push(false);
    tl_tensor *result = tl_mul_scalar(model_input, 2);
    tl_grad_mode_pop();
    return result;
}
#line 40 "chapters/03-autograd/03-autograd.md"

int main(int argc, char **argv) {
    tl_lab_begin(argc, argv);
#line 56 "chapters/03-autograd/03-autograd.md"
    TL_CELL("the gradients of the loss");
    tl_tensor *y  = tl_tensor_parse("[1.0]");
    tl_tensor *x1 = tl_tensor_parse("[1.1]");
    tl_tensor *w1 = tl_requires_grad_(tl_tensor_parse("[2.2]"), true);
    tl_tensor *b  = tl_requires_grad_(tl_tensor_parse("[0.0]"), true);

    tl_tensor *z = tl_add(tl_mul(x1, w1), b);
    tl_tensor *a = tl_sigmoid(z);
    tl_tensor *loss = tl_binary_cross_entropy(a, y);

    tl_tensor **grad_L_w1 = tl_grad(loss, &w1, 1, true);   // grad(loss, w1, retain_graph=True)
    tl_tensor **grad_L_b  = tl_grad(loss, &b, 1, true);
    tl_print_tuple(grad_L_w1, 1);
    tl_print_tuple(grad_L_b, 1);
#line 82 "chapters/03-autograd/03-autograd.md"
    TL_CELL("backward fills .grad");
    tl_backward(loss);
    tl_print(w1->grad);
    tl_print(b->grad);
#line 97 "chapters/03-autograd/03-autograd.md"
    TL_CELL("the graph with its gradients");
    tl_set_name(w1, "w1");
    tl_set_name(b, "b");
    tl_set_name(loss, "loss");
    if (!tl_graph_draw(loss, "logreg-grads.dot", true)) tl_error_print();
#line 113 "chapters/03-autograd/03-autograd.md"
    TL_CELL("the graph is freed after backward");
    if (!tl_backward(loss)) tl_error_print();
#line 129 "chapters/03-autograd/03-autograd.md"
    TL_CELL("the chain rule, one factor at a time");
    z = tl_add(tl_mul(x1, w1), b);                  // a fresh graph: the old one was freed
    a = tl_sigmoid(z);
    loss = tl_binary_cross_entropy(a, y);
    tl_tensor *dL_da  = TL_CHECK(tl_grad(loss, &a, 1, true))[0];   // -1/a, since y = 1
    tl_tensor *da_dz  = TL_CHECK(tl_grad(a, &z, 1, true))[0];      // a (1 - a)
    tl_tensor *dz_dw1 = TL_CHECK(tl_grad(z, &w1, 1, true))[0];     // x1
    tl_tensor *dz_db  = TL_CHECK(tl_grad(z, &b, 1, true))[0];      // 1
    tl_print(dL_da);
    tl_print(da_dz);
    tl_print(dz_dw1);
    tl_print(dz_db);
    tl_print(tl_mul(tl_mul(dL_da, da_dz), dz_dw1));     // dL/dw1
    tl_print(tl_mul(tl_mul(dL_da, da_dz), dz_db));      // dL/db
#line 1449 "chapters/03-autograd/03-autograd.md"
    TL_CELL("y = w*x + b");
    tl_tensor *x = tl_requires_grad_(tl_tensor_parse("2.0"), true);
    tl_tensor *w = tl_requires_grad_(tl_tensor_parse("3.0"), true);
    tl_tensor *bias = tl_requires_grad_(tl_tensor_parse("1.0"), true);
    tl_tensor *yy = tl_add(tl_mul(w, x), bias);
    printf("y = w*x + b = %s*%s + %s = %s\n", tl_float_repr(tl_item(w)), tl_float_repr(tl_item(x)),
           tl_float_repr(tl_item(bias)), tl_float_repr(tl_item(yy)));
    printf("y.grad_fn: %s\n", tl_node_name(yy->grad_fn));
    tl_backward(yy);
    printf("dy/dx = w = %s\n", tl_float_repr(tl_item(x->grad)));
    printf("dy/dw = x = %s\n", tl_float_repr(tl_item(w->grad)));
    printf("dy/db = 1 = %s\n", tl_float_repr(tl_item(bias->grad)));
#line 1481 "chapters/03-autograd/03-autograd.md"
    TL_CELL("a polynomial and a sum of squares");
    tl_tensor *xp = tl_requires_grad_(tl_tensor_parse("2.0"), true);
    tl_tensor *f = tl_add_scalar(tl_add(tl_add(tl_pow_scalar(xp, 3), tl_mul_scalar(tl_pow_scalar(xp, 2), 2)),
                                        tl_mul_scalar(xp, 3)), 4);
    tl_backward(f);
    printf("f(2) = %s\n", tl_float_repr(tl_item(f)));
    printf("f'(2) = %s\n", tl_float_repr(tl_item(xp->grad)));
    tl_tensor *xs = tl_requires_grad_(tl_tensor_parse("[1.0, 2.0, 3.0]"), true);
    tl_backward(tl_sum(tl_mul(xs, xs)));
    printf("dy/dx = 2x = %s\n", tl_repr(xs->grad));
#line 1506 "chapters/03-autograd/03-autograd.md"
    TL_CELL("gradients accumulate");
    tl_tensor *wa = tl_requires_grad_(tl_tensor_parse("1.0"), true);
    tl_backward(tl_mul_scalar(wa, 2));
    printf("after the 1st backward w.grad = %s\n", tl_float_repr(tl_item(wa->grad)));
    tl_backward(tl_mul_scalar(wa, 3));
    printf("after the 2nd backward w.grad = %s\n", tl_float_repr(tl_item(wa->grad)));
    tl_zero_grad_(wa);
    printf("after zeroing w.grad = %s\n", tl_float_repr(tl_item(wa->grad)));
    tl_backward(tl_mul_scalar(wa, 4));
    printf("after the 3rd backward w.grad = %s\n", tl_float_repr(tl_item(wa->grad)));
#line 1544 "chapters/03-autograd/03-autograd.md"
    TL_CELL("three ways to switch recording off");
    tl_tensor *xn = tl_requires_grad_(tl_tensor_parse("[0.5, -1.0, 2.0]"), true);
    TL_NO_GRAD {
        tl_tensor *doubled = tl_mul_scalar(xn, 2);
        printf("in no_grad: y.requires_grad = %s\n", doubled->requires_grad ? "True" : "False");
    }
    printf("detached: y.requires_grad = %s\n", tl_detach(xn)->requires_grad ? "True" : "False");
    printf("decorated: result.requires_grad = %s\n", inference(xn)->requires_grad ? "True" : "False");
#line 1572 "chapters/03-autograd/03-autograd.md"
    TL_CELL("seed 004, corrected");
    tl_tensor *xv = tl_requires_grad_(tl_tensor_parse("[1.0, 2.0, 3.0]"), true);
    tl_tensor *yv = tl_mul_scalar(xv, 2);
    if (!tl_backward(yv)) tl_error_print();
    tl_backward_ex(yv, tl_tensor_parse("[1.0, 1.0, 1.0]"), false);
    tl_print(xv->grad);
    tl_tensor *plain = tl_tensor_parse("[1.0, 2.0, 3.0]");
    if (!tl_backward_ex(plain, tl_tensor_parse("[1.0, 1.0, 1.0]"), false)) tl_error_print();
    tl_tensor *xc = tl_requires_grad_(tl_tensor_parse("[1.0, 2.0, 3.0]"), true);
    tl_tensor *yc = tl_requires_grad_(tl_tensor_parse("[4.0, 5.0, 6.0]"), true);
    tl_backward_ex(tl_add(xc, yc), tl_tensor_parse("[1.0, 1.0, 1.0]"), false);
    tl_print(xc->grad);
#line 44 "chapters/03-autograd/03-autograd.md"
    return tl_lab_end();
}
