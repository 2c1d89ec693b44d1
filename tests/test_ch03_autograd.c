// test_ch03_autograd.c — chapter 03: the backward pass (lib/autograd.h). The tutorial's §4 values,
// seeds 003 and 004's autograd examples, PyTorch's error messages, retain_graph, tl_grad leaving
// .grad alone, vector-Jacobian products, broadcasting and dtypes of gradients, and memory: a
// 100,000-step forward+backward loop in flat memory, a 100,000-node chain without recursion.
// Expected values were derived with PyTorch 1.13.1 (/usr/bin/python3) and are literals here.
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "torchlet.h"

#define assert_error(msg) do {                                       \
        assert_int_equal(tl_error_kind(), TL_RUNTIME_ERROR);         \
        assert_non_null(tl_error());                                 \
        assert_string_equal(tl_error(), (msg));                      \
        tl_error_clear();                                            \
    } while (0)

#define FREED_GRAPH "Trying to backward through the graph a second time (or directly access saved tensors after " \
    "they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or " \
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you " \
    "need to access saved tensors after calling backward."
#define NO_GRAD_FN "element 0 of tensors does not require grad and does not have a grad_fn"
#define NOT_SCALAR "grad can be implicitly created only for scalar outputs"
#define UNUSED "One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True " \
    "if this is the desired behavior."

// what stdout receives while f runs (for tl_print_tuple)
static char *capture_stdout(void (*f)(void *), void *arg) {
    static char buf[4096];
    fflush(stdout);
    int saved = dup(1);
    FILE *tmp = tmpfile();
    dup2(fileno(tmp), 1);
    f(arg);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    rewind(tmp);
    size_t n = fread(buf, 1, sizeof buf - 1, tmp);
    buf[n] = '\0';
    fclose(tmp);
    return buf;
}

// binary cross entropy written with the ops of chapter 01: -(y log a + (1 - y) log(1 - a))
static tl_tensor *bce(tl_tensor *a, tl_tensor *y) {
    tl_tensor *one_minus_y = tl_sub_scalar(tl_neg(y), -1), *one_minus_a = tl_sub_scalar(tl_neg(a), -1);
    return tl_neg(tl_mean(tl_add(tl_mul(y, tl_log(a)), tl_mul(one_minus_y, tl_log(one_minus_a)))));
}

// ----------------------------------------------------------------------------
// the tutorial, §4 (000:330-366)
typedef struct { tl_tensor **g1, **g2; } tuple_pair;
static void print_pair(void *arg) {
    tuple_pair *p = arg;
    tl_print_tuple(p->g1, 1);
    tl_print_tuple(p->g2, 1);
}

static void test_tutorial_section4(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *y = tl_tensor_parse("[1.0]");
        tl_tensor *x1 = tl_tensor_parse("[1.1]");
        tl_tensor *w1 = tl_requires_grad_(tl_tensor_parse("[2.2]"), true);
        tl_tensor *b = tl_requires_grad_(tl_tensor_parse("[0.0]"), true);
        tl_tensor *z = tl_add(tl_mul(x1, w1), b);
        tl_tensor *a = tl_sigmoid(z);
        tl_tensor *loss = bce(a, y);
        // z = 2.4200000762939453, a = 0.918339729309082, loss = 0.0851878821849823 (PyTorch, float32)
        assert_true(fabs(tl_item(loss) - 0.0851878821849823) < 2e-8);
        tl_tensor **g1 = tl_grad(loss, &w1, 1, true);
        tl_tensor **g2 = tl_grad(loss, &b, 1, true);
        assert_non_null(g1);
        assert_non_null(g2);
        // PyTorch: -0.08982629328966141 and -0.08166026324033737 (float32 values, as doubles)
        assert_true(fabs(tl_item(g1[0]) - -0.08982629328966141) < 2e-8);
        assert_true(fabs(tl_item(g2[0]) - -0.08166026324033737) < 2e-8);
        assert_null(w1->grad);                       // tl_grad leaves .grad alone
        assert_null(b->grad);
        tuple_pair p = { g1, g2 };
        assert_string_equal(capture_stdout(print_pair, &p), "(tensor([-0.0898]),)\n(tensor([-0.0817]),)\n");
        assert_true(tl_backward(loss));              // 000:363-366
        assert_string_equal(tl_repr(w1->grad), "tensor([-0.0898])");
        assert_string_equal(tl_repr(b->grad), "tensor([-0.0817])");
        assert_true(fabs(tl_item(w1->grad) - -0.08982629328966141) < 2e-8);
        assert_null(z->grad);                        // only leaves get .grad
        assert_null(a->grad);
        assert_false(tl_backward(loss));             // the graph was freed by that backward
        assert_error(FREED_GRAPH);
        assert_true(tl_item(w1->grad) == tl_item(g1[0]));   // and the refused pass changed nothing
    }
}

// ----------------------------------------------------------------------------
// seed 003 (519-598)
static void test_seed003_basic(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *x = tl_requires_grad_(tl_scalar(2.0, TL_FLOAT32), true);
        tl_tensor *w = tl_requires_grad_(tl_scalar(3.0, TL_FLOAT32), true);
        tl_tensor *b = tl_requires_grad_(tl_scalar(1.0, TL_FLOAT32), true);
        tl_tensor *y = tl_add(tl_mul(w, x), b);
        assert_true(tl_item(y) == 7.0);
        assert_string_equal(tl_node_name(y->grad_fn), "AddBackward0");
        assert_true(tl_backward(y));
        assert_true(tl_item(x->grad) == 3.0);
        assert_true(tl_item(w->grad) == 2.0);
        assert_true(tl_item(b->grad) == 1.0);
        assert_string_equal(tl_repr(x->grad), "tensor(3.)");
    }
}

static void test_seed003_polynomial(void **state) {
    (void)state;
    TL_SCOPE {
        // f(x) = x^3 + 2x^2 + 3x + 4 at x = 2: f = 26, f' = 23
        tl_tensor *x = tl_requires_grad_(tl_scalar(2.0, TL_FLOAT32), true);
        tl_tensor *f = tl_add_scalar(tl_add(tl_add(tl_pow_scalar(x, 3), tl_mul_scalar(tl_pow_scalar(x, 2), 2)),
                                            tl_mul_scalar(x, 3)), 4);
        assert_true(tl_backward(f));
        assert_true(tl_item(f) == 26.0);
        assert_true(tl_item(x->grad) == 23.0);
        // y = sum(x * x) at [1, 2, 3]: dy/dx = [2, 4, 6]
        tl_tensor *v = tl_requires_grad_(tl_tensor_parse("[1.0, 2.0, 3.0]"), true);
        assert_true(tl_backward(tl_sum(tl_mul(v, v))));
        assert_string_equal(tl_repr(v->grad), "tensor([2., 4., 6.])");
    }
}

static void test_seed003_accumulation(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *w = tl_requires_grad_(tl_scalar(1.0, TL_FLOAT32), true);
        assert_true(tl_backward(tl_mul_scalar(w, 2)));
        assert_true(tl_item(w->grad) == 2.0);
        tl_tensor *grad = w->grad;
        assert_true(tl_backward(tl_mul_scalar(w, 3)));
        assert_true(tl_item(w->grad) == 5.0);       // 2 + 3: accumulated
        assert_ptr_equal(w->grad, grad);             // in place, as PyTorch's .grad
        tl_zero_grad_(w);
        assert_true(tl_item(w->grad) == 0.0);
        assert_ptr_equal(w->grad, grad);
        assert_true(tl_backward(tl_mul_scalar(w, 4)));
        assert_true(tl_item(w->grad) == 4.0);
        tl_tensor *fresh = tl_requires_grad_(tl_scalar(1.0, TL_FLOAT32), true);
        tl_zero_grad_(fresh);                        // no .grad yet: nothing to do
        assert_null(fresh->grad);
    }
}

static void test_seed003_disable(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *x = tl_requires_grad_(tl_tensor_parse("[0.1, 0.2, 0.3]"), true);
        tl_tensor *y = NULL;
        TL_NO_GRAD { y = tl_mul_scalar(x, 2); }
        assert_false(y->requires_grad);
        assert_false(tl_detach(x)->requires_grad);
        assert_false(tl_backward(y));
        assert_error(NO_GRAD_FN);
    }
}

// ----------------------------------------------------------------------------
// seed 004's examples, corrected (catalogue Part 2, the 004 table)
static void test_seed004(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *x = tl_requires_grad_(tl_tensor_parse("[1.0, 2.0, 3.0]"), true);
        tl_tensor *y = tl_mul_scalar(x, 2);
        assert_false(tl_backward(y));                                 // 004:67-71
        assert_error(NOT_SCALAR);
        assert_null(x->grad);
        assert_true(tl_backward_ex(y, tl_tensor_parse("[1.0, 1.0, 1.0]"), false));   // 004:934-947
        assert_string_equal(tl_repr(x->grad), "tensor([2., 2., 2.])");          // no grad_fn
        tl_tensor *c = tl_tensor_parse("[1.0, 2.0, 3.0]");
        assert_false(tl_backward_ex(c, tl_tensor_parse("[1.0, 1.0, 1.0]"), false));   // 004:98-99
        assert_error(NO_GRAD_FN);
        tl_tensor *a = tl_requires_grad_(tl_tensor_parse("[1.0, 2.0, 3.0]"), true);  // 004:1024-1037
        tl_tensor *bb = tl_requires_grad_(tl_tensor_parse("[4.0, 5.0, 6.0]"), true);
        assert_true(tl_backward_ex(tl_add(a, bb), tl_tensor_parse("[1.0, 1.0, 1.0]"), false));
        assert_string_equal(tl_repr(a->grad), "tensor([1., 1., 1.])");
        assert_string_equal(tl_repr(bb->grad), "tensor([1., 1., 1.])");
        assert_ptr_not_equal(a->grad, bb->grad);      // each leaf has its own .grad
    }
}

// ----------------------------------------------------------------------------
// the vector-Jacobian product and its checks
static void test_vjp(void **state) {
    (void)state;
    TL_SCOPE {
        // y = x^2 (elementwise) with v = [1, 0.5, -2]: x.grad = 2 x v
        tl_tensor *x = tl_requires_grad_(tl_tensor_parse("[1.0, 2.0, 3.0]"), true);
        tl_tensor *y = tl_mul(x, x);
        assert_true(tl_backward_ex(y, tl_tensor_parse("[1.0, 0.5, -2.0]"), true));
        assert_string_equal(tl_repr(x->grad), "tensor([  2.,   2., -12.])");
        // a gradient of another dtype is converted (PyTorch accepts float64 and int64 here)
        assert_true(tl_backward_ex(y, tl_tensor_parse_dtype("[1, 1, 1]", TL_INT64), true));
        assert_string_equal(tl_repr(x->grad), "tensor([ 4.,  6., -6.])");
        assert_false(tl_backward_ex(y, tl_tensor_parse("[1.0, 1.0]"), true));
        assert_error("Mismatch in shape: grad_output[0] has a shape of torch.Size([2]) and output[0] has a shape of "
                     "torch.Size([3]).");
        assert_false(tl_backward_ex(tl_sum(y), tl_tensor_parse("[1.0, 1.0]"), true));
        assert_error("Mismatch in shape: grad_output[0] has a shape of torch.Size([2]) and output[0] has a shape of "
                     "torch.Size([]).");
        // a 2-D Jacobian: y = W x, v^T J = v^T W for x, v x^T for W
        tl_tensor *W = tl_requires_grad_(tl_tensor_parse("[[1., 2.], [3., 4.], [5., 6.]]"), true);
        tl_tensor *u = tl_requires_grad_(tl_tensor_parse("[1., -1.]"), true);
        assert_true(tl_backward_ex(tl_matmul(W, u), tl_tensor_parse("[1., 0., 2.]"), false));
        assert_string_equal(tl_repr(u->grad), "tensor([11., 14.])");
        assert_string_equal(tl_repr(W->grad), "tensor([[ 1., -1.],\n        [ 0., -0.],\n        [ 2., -2.]])");
    }
}

// a root that is itself a leaf
static void test_leaf_root(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *s = tl_requires_grad_(tl_scalar(3.0, TL_FLOAT32), true);
        assert_true(tl_backward(s));
        assert_string_equal(tl_repr(s->grad), "tensor(1.)");
        tl_tensor **g = tl_grad(s, &s, 1, false);
        assert_non_null(g);
        assert_true(tl_item(g[0]) == 1.0);
    }
}

// ----------------------------------------------------------------------------
// retain_graph
static void test_retain_graph(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *a = tl_requires_grad_(tl_tensor_parse("[1., 2.]"), true);
        tl_tensor *l = tl_sum(tl_mul(a, a));
        assert_true(tl_backward_ex(l, NULL, true));
        assert_true(tl_backward_ex(l, NULL, true));              // kept: a second pass works
        assert_string_equal(tl_repr(a->grad), "tensor([4., 8.])");
        assert_true(tl_backward(l));                             // the third frees it
        assert_false(tl_backward(l));
        assert_error(FREED_GRAPH);
        assert_null(tl_grad(l, &a, 1, true));                    // tl_grad says the same
        assert_error(FREED_GRAPH);
        assert_string_equal(tl_repr(a->grad), "tensor([ 6., 12.])");
        assert_string_equal(tl_node_name(l->grad_fn), "SumBackward0");   // the nodes stay, for printing
        // nodes that saved nothing can be walked again, as in PyTorch: (a + 2).sum()
        tl_tensor *s = tl_sum(tl_add_scalar(a, 2));
        assert_true(tl_backward(s));
        assert_true(tl_backward(s));
        assert_string_equal(tl_repr(a->grad), "tensor([ 8., 14.])");
        // but x * 2 keeps the 2, and exp its result (PyTorch refuses both a second time)
        tl_tensor *m = tl_sum(tl_mul_scalar(a, 2));
        assert_true(tl_backward(m));
        assert_false(tl_backward(m));
        assert_error(FREED_GRAPH);
        tl_tensor *e = tl_sum(tl_exp(a));
        assert_true(tl_backward(e));
        assert_false(tl_backward(e));
        assert_error(FREED_GRAPH);
    }
}

// ----------------------------------------------------------------------------
// tl_grad
static void test_grad_function(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *x = tl_requires_grad_(tl_tensor_parse("[[1., 2., 3.], [4., 5., 6.]]"), true);
        tl_tensor *z = tl_requires_grad_(tl_tensor_parse("[1., 2., 3.]"), true);
        tl_tensor *h = tl_mul_scalar(x, 3);
        tl_tensor *L = tl_sum(tl_mul(h, h));
        // two inputs at once, one of them computed: dL/dh = 2h, dL/dx = 18x
        tl_tensor *both[2] = { h, x };
        tl_tensor **g = tl_grad(L, both, 2, true);
        assert_non_null(g);
        assert_string_equal(tl_repr(g[0]), "tensor([[ 6., 12., 18.],\n        [24., 30., 36.]])");
        assert_string_equal(tl_repr(g[1]), "tensor([[ 18.,  36.,  54.],\n        [ 72.,  90., 108.]])");
        assert_null(x->grad);
        assert_null(g[0]->grad_fn);                                  // gradients carry no history
        tl_tensor *twice[2] = { x, x };                              // the same tensor twice: both slots
        tl_tensor **g2 = tl_grad(L, twice, 2, true);
        assert_non_null(g2);
        assert_true(tl_get(g2[0], TL_SHAPE(1, 2)) == 108 && tl_get(g2[1], TL_SHAPE(1, 2)) == 108);
        // errors, worded as torch.autograd.grad's
        assert_null(tl_grad(L, &z, 1, true));
        assert_error(UNUSED);
        tl_tensor *both2[2] = { x, z };
        assert_null(tl_grad(L, both2, 2, true));
        assert_error(UNUSED);
        tl_tensor *c = tl_ones(TL_SHAPE(3), TL_FLOAT32);
        assert_null(tl_grad(L, &c, 1, true));
        assert_error("One of the differentiated Tensors does not require grad");
        assert_null(tl_grad(h, &x, 1, true));
        assert_error(NOT_SCALAR);
        assert_null(tl_grad(tl_ones(TL_SHAPE(1), TL_FLOAT32), &x, 1, true));
        assert_error(NO_GRAD_FN);
        assert_null(tl_grad(NULL, &x, 1, true));                     // NULL passes through
        // without retain_graph, tl_grad frees the graph too
        assert_non_null(tl_grad(L, &x, 1, false));
        assert_null(tl_grad(L, &x, 1, false));
        assert_error(FREED_GRAPH);
    }
}

// tl_grad skips what does not lead to the tensors asked about: here the branch through
// exp (whose saved values were freed) is not needed for dL/dw
static void test_grad_prunes(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *w = tl_requires_grad_(tl_tensor_parse("[1., 2.]"), true);
        tl_tensor *v = tl_requires_grad_(tl_tensor_parse("[0.5, 0.5]"), true);
        tl_tensor *e = tl_exp(v);
        assert_true(tl_backward(tl_sum(e)));                          // frees exp's saved result
        tl_tensor *L = tl_add(tl_sum(tl_mul(w, w)), tl_sum(e));
        tl_tensor **g = tl_grad(L, &w, 1, false);
        assert_non_null(g);
        assert_string_equal(tl_repr(g[0]), "tensor([2., 4.])");
    }
}

// ----------------------------------------------------------------------------
// gradients have their input's shape and dtype
static void test_broadcast_and_dtype(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *x = tl_requires_grad_(tl_tensor_parse("[[1., 2., 3.], [4., 5., 6.]]"), true);
        tl_tensor *b = tl_requires_grad_(tl_tensor_parse("[10., 20., 30.]"), true);
        tl_tensor *c = tl_requires_grad_(tl_tensor_parse("[[1.], [2.]]"), true);
        assert_true(tl_backward(tl_sum(tl_mul(tl_add(x, b), c))));
        assert_string_equal(tl_repr(b->grad), "tensor([3., 3., 3.])");          // summed over the rows
        assert_string_equal(tl_repr(c->grad), "tensor([[66.],\n        [75.]])");
        assert_string_equal(tl_repr(x->grad), "tensor([[1., 1., 1.],\n        [2., 2., 2.]])");
        // float32 tensor * float64 0-d tensor -> float32; the float64 input gets a float64 gradient
        tl_tensor *s = tl_requires_grad_(tl_scalar(0.5, TL_FLOAT64), true);
        tl_tensor *y = tl_mul(x, s);
        assert_int_equal(y->dtype, TL_FLOAT32);
        assert_true(tl_backward(tl_sum(y)));
        assert_int_equal(s->grad->dtype, TL_FLOAT64);
        assert_int_equal(s->grad->ndim, 0);
        assert_true(tl_item(s->grad) == 21.0);
        // .to(float64) and back
        tl_tensor *f = tl_requires_grad_(tl_tensor_parse("[1., 2.]"), true);
        assert_true(tl_backward(tl_sum(tl_mul(tl_to_dtype(f, TL_FLOAT64), tl_scalar(3, TL_FLOAT64)))));
        assert_int_equal(f->grad->dtype, TL_FLOAT32);
        assert_string_equal(tl_repr(f->grad), "tensor([3., 3.])");
        // float32 gradients of the fused rules match float64 ones
        tl_tensor *p32 = tl_requires_grad_(tl_tensor_parse("[0.3, -1.2, 2.5]"), true);
        tl_tensor *p64 = tl_requires_grad_(tl_tensor_parse_dtype("[0.3, -1.2, 2.5]", TL_FLOAT64), true);
        assert_true(tl_backward(tl_sum(tl_tanh(tl_sigmoid(tl_relu(p32))))));
        assert_true(tl_backward(tl_sum(tl_tanh(tl_sigmoid(tl_relu(p64))))));
        for (int i = 0; i < 3; i++)
            assert_true(fabs(tl_get(p32->grad, TL_SHAPE(i)) - tl_get(p64->grad, TL_SHAPE(i))) < 1e-6);
    }
}

// a tensor used twice: the contributions add up
static void test_multiple_uses(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *x = tl_requires_grad_(tl_tensor_parse("[2.]"), true);
        tl_tensor *u = tl_mul(x, x);                       // u used by both terms
        tl_tensor *L = tl_add(tl_mul(u, u), tl_mul_scalar(u, 3));   // x^4 + 3x^2: 4x^3 + 6x = 44
        assert_true(tl_backward(L));
        assert_true(tl_item(x->grad) == 44.0);
    }
}

// ----------------------------------------------------------------------------
// memory
static void test_loop_flat_memory(void **state) {
    (void)state;
    int64_t tensors = 0, nodes = tl_live_nodes();
    TL_SCOPE {
        tl_tensor *w = tl_requires_grad_(tl_tensor_parse("[[0.1], [-0.2], [0.3], [0.05]]"), true);
        tl_tensor *b = tl_requires_grad_(tl_tensor_parse("[0.]"), true);
        tl_tensor *x = tl_tensor_parse("[[1., 2., 3., 4.], [0.5, -1., 0., 2.], [-1., -1., 1., 1.]]");
        tl_tensor *y = tl_tensor_parse("[[1.], [0.], [1.]]");
        for (int step = 0; step < 100000; step++) {
            TL_SCOPE {
                tl_tensor *a = tl_sigmoid(tl_addmm(b, x, w));
                tl_tensor *loss = bce(a, y);
                tl_zero_grad_(w);
                tl_zero_grad_(b);
                assert_true(tl_backward(loss));
                TL_NO_GRAD {                                   // a plain SGD step
                    tl_add_(w, tl_mul_scalar(w->grad, -0.1));
                    tl_add_(b, tl_mul_scalar(b->grad, -0.1));
                }
            }
            if (step == 10) tensors = tl_live_tensors();
            if (step > 10 && step % 10000 == 0) {
                assert_int_equal(tl_live_tensors(), tensors);
                assert_int_equal(tl_live_nodes(), nodes);
            }
        }
        assert_true(tl_get(w->grad, TL_SHAPE(0, 0)) != 0);
    }
    assert_int_equal(tl_live_nodes(), nodes);
}

// a 100,000-node chain: backward walks it with heap stacks, not recursion
static void test_long_chain_backward(void **state) {
    (void)state;
    int64_t tensors = tl_live_tensors();
    TL_SCOPE {
        tl_tensor *x = tl_requires_grad_(tl_scalar(1.0, TL_FLOAT64), true);
        tl_tensor *y = x;
        for (int i = 0; i < 100000; i++) y = tl_mul_scalar(tl_add_scalar(y, 1e-6), 1.0);
        assert_true(tl_backward(y));
        assert_true(tl_item(x->grad) == 1.0);
    }
    assert_int_equal(tl_live_tensors(), tensors);
}

static void print_two(void *arg) {
    tl_print_tuple((tl_tensor *const *)arg, 2);
    tl_print_tuple(NULL, 0);
}

static void test_print_tuple(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *ts[2] = { tl_tensor_parse("[1., 2.]"), tl_tensor_parse("[[1, 2], [3, 4]]") };
        assert_string_equal(capture_stdout(print_two, ts),
                            "(tensor([1., 2.]), tensor([[1, 2],\n        [3, 4]]))\n()\n");
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tutorial_section4),
        cmocka_unit_test(test_seed003_basic),
        cmocka_unit_test(test_seed003_polynomial),
        cmocka_unit_test(test_seed003_accumulation),
        cmocka_unit_test(test_seed003_disable),
        cmocka_unit_test(test_seed004),
        cmocka_unit_test(test_vjp),
        cmocka_unit_test(test_leaf_root),
        cmocka_unit_test(test_retain_graph),
        cmocka_unit_test(test_grad_function),
        cmocka_unit_test(test_grad_prunes),
        cmocka_unit_test(test_broadcast_and_dtype),
        cmocka_unit_test(test_multiple_uses),
        cmocka_unit_test(test_loop_flat_memory),
        cmocka_unit_test(test_long_chain_backward),
        cmocka_unit_test(test_print_tuple),
    };
    return cmocka_run_group_tests_name("ch03_autograd", tests, NULL, NULL);
}
