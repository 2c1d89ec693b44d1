// test_ch02_record.c — chapter 02: recording the graph during the forward pass (lib/autograd.h).
// What is recorded and when, grad_fn names, edges, leaves and requires_grad, detach, no-grad
// mode (nesting, threads), names for drawings, and graphs freed with their tensors.
// Names and messages were derived with PyTorch 1.13.1 (/usr/bin/python3 -c "import torch; ...");
// where PyTorch 2.x prints another name the test says so (the tutorial runs 2.4.1).
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "torchlet.h"

#define assert_error(msg) do {                                       \
        assert_int_equal(tl_error_kind(), TL_RUNTIME_ERROR);         \
        assert_non_null(tl_error());                                 \
        assert_string_equal(tl_error(), (msg));                      \
        tl_error_clear();                                            \
    } while (0)

static const char *grad_fn_name(const tl_tensor *t) {
    assert_non_null(t);
    return t->grad_fn ? tl_node_name(t->grad_fn) : "None";
}

// ----------------------------------------------------------------------------
// what is recorded
static void test_recording_rules(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *x1 = tl_tensor_parse("[1.1]");
        tl_tensor *w1 = tl_requires_grad_(tl_tensor_parse("[2.2]"), true);
        tl_tensor *b = tl_requires_grad_(tl_tensor_parse("[0.0]"), true);
        // nothing requires grad: nothing recorded
        tl_tensor *c = tl_mul(x1, x1);
        assert_null(c->grad_fn);
        assert_false(c->requires_grad);
        // one input requires grad: recorded, and the result requires grad
        tl_tensor *m = tl_mul(x1, w1);
        tl_tensor *z = tl_add(m, b);
        assert_string_equal(grad_fn_name(m), "MulBackward0");
        assert_string_equal(grad_fn_name(z), "AddBackward0");
        assert_true(m->requires_grad && z->requires_grad);
        assert_true(tl_is_leaf(w1) && tl_is_leaf(x1) && !tl_is_leaf(z));
        // the edges: z = m + b; m = x1 * w1
        tl_node *add = z->grad_fn, *mul = m->grad_fn;
        assert_int_equal(add->ninputs, 2);
        assert_ptr_equal(add->next[0], mul);
        assert_null(add->leaf[0]);
        assert_null(add->next[1]);
        assert_ptr_equal(add->leaf[1], b);
        assert_true(add->needs_grad[0] && add->needs_grad[1]);
        assert_null(mul->next[0]);
        assert_null(mul->leaf[0]);                 // x1: a constant, no edge
        assert_false(mul->needs_grad[0]);
        assert_ptr_equal(mul->leaf[1], w1);
        assert_true(mul->needs_grad[1]);
        assert_int_equal(mul->refcount, 2);        // m, and the add node consuming m
        assert_int_equal(add->output_shape.ndim, 1);
        assert_int_equal(add->output_dtype, TL_FLOAT32);
        // integer and bool results are never recorded
        tl_tensor *gt = tl_gt_scalar(z, 0);
        assert_null(gt->grad_fn);
        assert_false(gt->requires_grad);
        assert_null(tl_argmax(z)->grad_fn);
        tl_tensor *idx = NULL;
        tl_tensor *mx = tl_max_dim(z, 0, false, &idx);
        assert_string_equal(grad_fn_name(mx), "MaxBackward0");
        assert_null(idx->grad_fn);
        assert_false(idx->requires_grad);
        // tl_record itself refuses a non-floating output
        tl_tensor *ints = tl_tensor_parse("[1, 2]");
        const tl_tensor *in[1] = { w1 };
        assert_null(tl_record("X", NULL, ints, in, 1));
        assert_null(ints->grad_fn);
        assert_true(tl_needs_record(in, 1));
        const tl_tensor *consts[2] = { x1, ints };
        assert_false(tl_needs_record(consts, 2));
    }
}

// ----------------------------------------------------------------------------
// grad_fn names, as PyTorch prints them
typedef tl_tensor *(*make_fn)(tl_tensor *x, tl_tensor *v, tl_tensor *w, tl_tensor *b3, tl_tensor *c3);
#define MK(name, expr) static tl_tensor *name(tl_tensor *x, tl_tensor *v, tl_tensor *w, tl_tensor *b3, tl_tensor *c3) { \
        (void)x; (void)v; (void)w; (void)b3; (void)c3; return (expr); }
MK(n_add, tl_add(x, x))
MK(n_add_s, tl_add_scalar(x, 2))
MK(n_sub_s, tl_sub_scalar(x, 1))
MK(n_mul_s, tl_mul_scalar(x, 2))
MK(n_div_s, tl_div_scalar(x, 2))
MK(n_neg, tl_neg(x))
MK(n_pow_s, tl_pow_scalar(x, 2))
MK(n_pow_t, tl_pow(x, x))
MK(n_pow_number_base, tl_pow(tl_number(2), x))
MK(n_exp, tl_exp(x))
MK(n_log, tl_log(x))
MK(n_sqrt, tl_sqrt(x))
MK(n_abs, tl_abs(x))
MK(n_sigmoid, tl_sigmoid(x))
MK(n_tanh, tl_tanh(x))
MK(n_relu, tl_relu(x))
MK(n_dot, tl_matmul(v, v))
MK(n_mv, tl_matmul(x, v))
MK(n_vm, tl_matmul(v, w))
MK(n_mm, tl_matmul(x, w))
MK(n_b3w, tl_matmul(b3, w))
MK(n_b3c3, tl_matmul(b3, c3))
MK(n_b3v, tl_matmul(b3, v))
MK(n_vc3, tl_matmul(v, c3))
MK(n_xc3, tl_matmul(x, c3))
MK(n_mm2, tl_mm(x, w))
MK(n_bmm, tl_bmm(b3, c3))
MK(n_addmm, tl_addmm(tl_select(w, 0, 0), x, w))
MK(n_sum, tl_sum(x))
MK(n_sum0, tl_sum_dim(x, 0, false))
MK(n_sum1k, tl_sum_dim(x, 1, true))
MK(n_mean, tl_mean(x))
MK(n_mean0, tl_mean_dim(x, 0, false))
MK(n_max, tl_max(x))
MK(n_max0, tl_max_dim(x, 0, false, NULL))
MK(n_min, tl_min(x))
MK(n_min1, tl_min_dim(x, 1, false, NULL))
MK(n_std, tl_std(x))
MK(n_std0, tl_std_dim(x, 0, false))
MK(n_view, tl_view(x, TL_SHAPE(6)))
MK(n_reshape_view, tl_reshape(x, TL_SHAPE(6)))
MK(n_reshape_copy, tl_reshape(tl_T(x), TL_SHAPE(6)))
MK(n_T, tl_T(x))
MK(n_transpose, tl_transpose(x, 0, 1))
MK(n_permute, tl_permute(x, TL_DIMS(1, 0)))
MK(n_squeeze, tl_squeeze(tl_unsqueeze(x, 0), 0))
MK(n_unsqueeze, tl_unsqueeze(x, 1))
MK(n_select, tl_index(x, 0))
MK(n_select2, tl_select(x, 1, 1))
MK(n_slice, tl_slice(x, 1, 1, 3, 1))
MK(n_index_select, tl_index_select(x, 1, tl_tensor_parse("[0, 2]")))
MK(n_masked_select, tl_masked_select(x, tl_gt_scalar(x, 0)))
MK(n_cat, tl_cat(TL_LIST(x, x), 0))
MK(n_stack, tl_stack(TL_LIST(x, x), 0))
MK(n_expand, tl_expand(x, TL_SHAPE(4, 2, 3)))
MK(n_clone, tl_clone(x))
MK(n_contiguous_T, tl_contiguous(tl_T(x)))
MK(n_contiguous, tl_contiguous(x))
MK(n_to, tl_to_dtype(x, TL_FLOAT64))
MK(n_to_long, tl_to_dtype(x, TL_INT64))
MK(n_where, tl_where(tl_gt_scalar(x, 0), x, tl_mul_scalar(x, 2)))
MK(n_maximum, tl_maximum(x, tl_mul_scalar(x, 2)))
MK(n_minimum, tl_minimum(x, tl_mul_scalar(x, 2)))
MK(n_flatten, tl_flatten(x, 0, -1))
MK(n_flatten_T, tl_flatten(tl_T(x), 0, -1))
MK(n_detach, tl_detach(x))

static void test_grad_fn_names(void **state) {
    (void)state;
    static const struct { make_fn f; const char *want; } cases[] = {
        { n_add, "AddBackward0" }, { n_add_s, "AddBackward0" }, { n_sub_s, "SubBackward0" },
        { n_mul_s, "MulBackward0" }, { n_div_s, "DivBackward0" }, { n_neg, "NegBackward0" },
        { n_pow_s, "PowBackward0" }, { n_pow_t, "PowBackward1" }, { n_pow_number_base, "PowBackward1" },
        { n_exp, "ExpBackward0" }, { n_log, "LogBackward0" }, { n_sqrt, "SqrtBackward0" },
        { n_abs, "AbsBackward0" }, { n_sigmoid, "SigmoidBackward0" }, { n_tanh, "TanhBackward0" },
        { n_relu, "ReluBackward0" }, { n_dot, "DotBackward0" }, { n_mv, "MvBackward0" },
        { n_vm, "SqueezeBackward4" },          // PyTorch 2.x (1.13: SqueezeBackward3)
        { n_mm, "MmBackward0" }, { n_b3w, "UnsafeViewBackward0" }, { n_b3c3, "UnsafeViewBackward0" },
        { n_b3v, "UnsafeViewBackward0" }, { n_vc3, "UnsafeViewBackward0" }, { n_xc3, "CloneBackward0" },
        { n_mm2, "MmBackward0" }, { n_bmm, "BmmBackward0" }, { n_addmm, "AddmmBackward0" },
        { n_sum, "SumBackward0" }, { n_sum0, "SumBackward1" }, { n_sum1k, "SumBackward1" },
        { n_mean, "MeanBackward0" }, { n_mean0, "MeanBackward1" }, { n_max, "MaxBackward1" },
        { n_max0, "MaxBackward0" }, { n_min, "MinBackward1" }, { n_min1, "MinBackward0" },
        { n_std, "StdBackward0" }, { n_std0, "StdBackward0" }, { n_view, "ViewBackward0" },
        { n_reshape_view, "ViewBackward0" },   // PyTorch 2.x (1.13: ReshapeAliasBackward0)
        { n_reshape_copy, "UnsafeViewBackward0" }, { n_T, "PermuteBackward0" },
        { n_transpose, "TransposeBackward0" }, { n_permute, "PermuteBackward0" },
        { n_squeeze, "SqueezeBackward1" }, { n_unsqueeze, "UnsqueezeBackward0" },
        { n_select, "SelectBackward0" }, { n_select2, "SelectBackward0" }, { n_slice, "SliceBackward0" },
        { n_index_select, "IndexSelectBackward0" }, { n_masked_select, "MaskedSelectBackward0" },
        { n_cat, "CatBackward0" }, { n_stack, "StackBackward0" }, { n_expand, "ExpandBackward0" },
        { n_clone, "CloneBackward0" }, { n_contiguous_T, "CloneBackward0" }, { n_contiguous, "None" },
        { n_to, "ToCopyBackward0" }, { n_to_long, "None" }, { n_where, "WhereBackward0" },
        { n_maximum, "MaximumBackward0" }, { n_minimum, "MinimumBackward0" },
        { n_flatten, "ViewBackward0" },        // PyTorch 2.x (1.13: ReshapeAliasBackward0)
        { n_flatten_T, "UnsafeViewBackward0" }, { n_detach, "None" },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        TL_SCOPE {
            tl_tensor *x = tl_requires_grad_(tl_tensor_parse("[[1., -2., 3.], [4., 5., -6.]]"), true);
            tl_tensor *v = tl_requires_grad_(tl_ones(TL_SHAPE(3), TL_FLOAT32), true);
            tl_tensor *w = tl_requires_grad_(tl_ones(TL_SHAPE(3, 4), TL_FLOAT32), true);
            tl_tensor *b3 = tl_requires_grad_(tl_ones(TL_SHAPE(5, 2, 3), TL_FLOAT32), true);
            tl_tensor *c3 = tl_requires_grad_(tl_ones(TL_SHAPE(5, 3, 4), TL_FLOAT32), true);
            tl_tensor *r = cases[k].f(x, v, w, b3, c3);
            if (!r) fail_msg("case %zu (%s): %s", k, cases[k].want, tl_error());
            if (strcmp(grad_fn_name(r), cases[k].want) != 0)
                fail_msg("case %zu: grad_fn %s, want %s", k, grad_fn_name(r), cases[k].want);
        }
    }
}

// printing shows grad_fn and requires_grad as PyTorch does
static void test_printing(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *w1 = tl_requires_grad_(tl_tensor_parse("[2.2]"), true);
        tl_tensor *z = tl_add(tl_mul(tl_tensor_parse("[1.1]"), w1), tl_tensor_parse("[0.0]"));
        assert_string_equal(tl_repr(w1), "tensor([2.2000], requires_grad=True)");
        assert_string_equal(tl_repr(z), "tensor([2.4200], grad_fn=<AddBackward0>)");
        assert_string_equal(tl_repr(tl_sigmoid(z)), "tensor([0.9183], grad_fn=<SigmoidBackward0>)");
        assert_string_equal(tl_repr(tl_detach(z)), "tensor([2.4200])");
        tl_tensor *d = tl_requires_grad_(tl_tensor_parse_dtype("[1., 2.]", TL_FLOAT64), true);
        assert_string_equal(tl_repr(tl_mul_scalar(d, 2)), "tensor([2., 4.], dtype=torch.float64, grad_fn=<MulBackward0>)");
    }
}

// ----------------------------------------------------------------------------
// leaves, requires_grad_, detach
static void test_requires_grad_rules(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *x = tl_requires_grad_(tl_tensor_parse("[1., 2.]"), true);
        assert_true(x->requires_grad);
        tl_tensor *y = tl_mul_scalar(x, 2);
        assert_null(tl_requires_grad_(y, false));
        assert_error("you can only change requires_grad flags of leaf variables. If you want to use a computed "
                     "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().");
        assert_ptr_equal(tl_requires_grad_(y, true), y);      // already requires grad: allowed, no change
        assert_non_null(y->grad_fn);
        assert_null(tl_requires_grad_(tl_tensor_parse("[1, 2]"), true));
        assert_error("only Tensors of floating point dtype can require gradients");
        assert_null(tl_requires_grad_(tl_tensor_parse("[True]"), true));
        assert_error("only Tensors of floating point dtype can require gradients");
        assert_non_null(tl_requires_grad_(tl_tensor_parse("[1, 2]"), false));   // false is fine
        assert_ptr_equal(tl_requires_grad_(x, false), x);     // a leaf may switch back
        assert_false(x->requires_grad);
        assert_null(tl_requires_grad_(NULL, true));           // NULL passes through
        assert_false(tl_is_leaf(NULL));
    }
}

static void test_detach(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *x = tl_requires_grad_(tl_tensor_parse("[[1., 2.], [3., 4.]]"), true);
        tl_tensor *y = tl_T(tl_mul_scalar(x, 2));
        tl_tensor *d = tl_detach(y);
        assert_null(d->grad_fn);
        assert_false(d->requires_grad);
        assert_true(tl_is_leaf(d));
        assert_ptr_equal(d->storage, y->storage);            // same memory
        assert_int_equal(d->stride[0], y->stride[0]);
        assert_int_equal(d->stride[1], y->stride[1]);
        assert_true(tl_set(d, TL_SHAPE(0, 1), 100));
        assert_true(tl_get(y, TL_SHAPE(0, 1)) == 100);       // a write through d shows in y
        assert_null(tl_mul(d, d)->grad_fn);                  // a constant in later computations
        assert_null(tl_detach(NULL));
    }
}

// ----------------------------------------------------------------------------
// no-grad mode
static void test_no_grad(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *x = tl_requires_grad_(tl_tensor_parse("[1., 2., 3.]"), true);
        assert_true(tl_grad_enabled());
        TL_NO_GRAD {
            assert_false(tl_grad_enabled());
            tl_tensor *y = tl_mul_scalar(x, 2);              // 003:616-619
            assert_false(y->requires_grad);
            assert_null(y->grad_fn);
            TL_NO_GRAD { assert_false(tl_grad_enabled()); }
            assert_false(tl_grad_enabled());                 // the inner block restored "off"
            tl_grad_mode_push(true);                         // torch.enable_grad() inside no_grad
            assert_true(tl_mul_scalar(x, 2)->requires_grad);
            tl_grad_mode_pop();
            assert_false(tl_grad_enabled());
        }
        assert_true(tl_grad_enabled());
        assert_true(tl_mul_scalar(x, 2)->requires_grad);
        assert_false(tl_detach(x)->requires_grad);           // 003:622-623
    }
}

static void *grad_mode_in_thread(void *arg) {
    *(bool *)arg = tl_grad_enabled();
    return NULL;
}

static void test_no_grad_is_per_thread(void **state) {
    (void)state;
    bool in_thread = false;
    TL_NO_GRAD {
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, grad_mode_in_thread, &in_thread), 0);
        pthread_join(th, NULL);
    }
    assert_true(in_thread);                                  // a new thread records by default
}

// ----------------------------------------------------------------------------
// lifetime: a graph goes with its last tensor
static void test_graph_freed_with_tensors(void **state) {
    (void)state;
    int64_t tensors = tl_live_tensors(), nodes = tl_live_nodes();
    tl_tensor *loss = NULL;
    TL_SCOPE {
        tl_tensor *w = tl_requires_grad_(tl_tensor_parse("[[0.5, -1.], [2., 0.25]]"), true);
        tl_tensor *x = tl_tensor_parse("[[1., 2.], [3., 4.]]");
        loss = tl_retain(tl_mean(tl_sigmoid(tl_matmul(x, w))));
        assert_int_equal(tl_live_nodes() - nodes, 3);
    }
    // the pool let go of w, x and the intermediates; the graph keeps what it needs
    assert_int_equal(tl_live_nodes() - nodes, 3);
    assert_true(tl_backward(loss));
    tl_release(loss);                                        // the last tensor: the graph goes
    assert_int_equal(tl_live_nodes(), nodes);
    assert_int_equal(tl_live_tensors(), tensors);
}

// a leaf released by the program stays alive while a graph needs it, and gets its .grad
static void test_leaf_kept_by_graph(void **state) {
    (void)state;
    int64_t tensors = tl_live_tensors();
    tl_tensor *w = NULL, *y = NULL;
    TL_SCOPE {
        w = tl_requires_grad_(tl_tensor_parse("[3.]"), true);
        y = tl_retain(tl_mul_scalar(w, 2));
    }                                                        // the pool let go of w; the node has it
    assert_ptr_equal(y->grad_fn->leaf[0], w);
    assert_int_equal(w->refcount, 2);                       // the edge, and the saved operand
    assert_true(tl_backward(y));
    assert_true(tl_item(y->grad_fn->leaf[0]->grad) == 2);
    tl_release(y);
    assert_int_equal(tl_live_tensors(), tensors);
}

// freeing a chain of 100,000 nodes, each saving the previous result, needs no deep recursion
static void test_long_chain_freed(void **state) {
    (void)state;
    int64_t tensors = tl_live_tensors(), nodes = tl_live_nodes();
    TL_SCOPE {
        tl_tensor *w = tl_requires_grad_(tl_tensor_parse("[1.0001]"), true);
        tl_tensor *y = tl_tensor_parse("[1.]");
        for (int i = 0; i < 100000; i++) {
            TL_SCOPE {                                       // only the newest link is kept by us
                tl_tensor *next = tl_retain(tl_mul(y, w));
                if (i > 0) tl_release(y);
                y = next;
            }
        }
        assert_int_equal(tl_live_nodes() - nodes, 100000);
        tl_release(y);                                       // frees the whole chain
    }
    assert_int_equal(tl_live_nodes(), nodes);
    assert_int_equal(tl_live_tensors(), tensors);
}

// a node keeps a detached alias of its own output (no tensor <-> node cycle)
static void test_saved_output_alias(void **state) {
    (void)state;
    int64_t tensors = tl_live_tensors();
    TL_SCOPE {
        tl_tensor *x = tl_requires_grad_(tl_tensor_parse("[0.5, -1.]"), true);
        tl_tensor *s = tl_sigmoid(x);
        tl_node *node = s->grad_fn;
        assert_int_equal(node->nsaved, 1);
        assert_ptr_not_equal(node->saved[0], s);
        assert_null(node->saved[0]->grad_fn);
        assert_ptr_equal(node->saved[0]->storage, s->storage);
        tl_tensor *l = tl_log(x);                            // log saves its input itself
        assert_ptr_equal(l->grad_fn->saved[0], x);
    }
    assert_int_equal(tl_live_tensors(), tensors);
}

// in-place writes into a tensor that requires grad are refused while recording
static void test_inplace_refused(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *w = tl_requires_grad_(tl_tensor_parse("[1., 2.]"), true);
        tl_tensor *one = tl_tensor_parse("[1.]");
        assert_null(tl_add_(w, one));
        assert_error("a leaf Variable that requires grad is being used in an in-place operation.");
        assert_null(tl_copy_(w, one));
        assert_error("a leaf Variable that requires grad is being used in an in-place operation.");
        TL_NO_GRAD { assert_ptr_equal(tl_add_(w, one), w); }  // an optimizer step
        assert_true(tl_get(w, TL_SHAPE(1)) == 3);
        tl_tensor *plain = tl_zeros(TL_SHAPE(3), TL_FLOAT32);
        assert_null(tl_add_(plain, tl_ones(TL_SHAPE(2, 3), TL_FLOAT32)));
        assert_error("output with shape [3] doesn't match the broadcast shape [2, 3]");
        assert_null(tl_add_(tl_zeros(TL_SHAPE(2), TL_INT64), tl_ones(TL_SHAPE(2), TL_FLOAT32)));
        assert_error("result type Float can't be cast to the desired output type Long");
    }
}

static void test_set_name(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *w = tl_tensor_parse("[1.]");
        assert_string_equal(w->name, "");
        tl_set_name(w, "w1");
        assert_string_equal(w->name, "w1");
        tl_set_name(w, "a_name_that_is_much_longer_than_thirty_one_bytes");
        assert_int_equal(strlen(w->name), 31);
        assert_memory_equal(w->name, "a_name_that_is_much_longer_than", 31);
        tl_set_name(NULL, "x");                              // NULL-safe
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recording_rules),
        cmocka_unit_test(test_grad_fn_names),
        cmocka_unit_test(test_printing),
        cmocka_unit_test(test_requires_grad_rules),
        cmocka_unit_test(test_detach),
        cmocka_unit_test(test_no_grad),
        cmocka_unit_test(test_no_grad_is_per_thread),
        cmocka_unit_test(test_graph_freed_with_tensors),
        cmocka_unit_test(test_leaf_kept_by_graph),
        cmocka_unit_test(test_long_chain_freed),
        cmocka_unit_test(test_saved_output_alias),
        cmocka_unit_test(test_inplace_refused),
        cmocka_unit_test(test_set_name),
    };
    return cmocka_run_group_tests_name("ch02_record", tests, NULL, NULL);
}
