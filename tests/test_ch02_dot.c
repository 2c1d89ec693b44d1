// tests/test_ch02_dot.c — cmocka tests of tl_graph_dot (lib/graphviz.c, chapter 02): the DOT
// text of the tutorial's graph compared with a golden copy character for character, the
// styles of leaves, parameters, constants and the root, each node drawn once, .grad values
// with show_grads, escaping, a deep graph (no recursion), errors, and that `dot` accepts
// the text.
//
//     gcc -std=c11 -Ilib tests/test_ch02_dot.c -Lbuild -ltorchlet -lcmocka -lm -o test
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torchlet.h"

// ----------------------------------------------------------------------------
// helpers

typedef struct { tl_pool *pool; int64_t live, nodes; } fixture;

static int setup(void **state) {
    static fixture f;
    tl_error_clear();
    f.live = tl_live_tensors();
    f.nodes = tl_live_nodes();
    f.pool = tl_pool_push();
    *state = &f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    tl_pool_pop(f->pool);
    tl_error_clear();
    if (tl_live_tensors() != f->live || tl_live_nodes() != f->nodes) {
        fprintf(stderr, "leak: %lld tensors and %lld nodes alive after the test, %lld and %lld before\n",
                (long long)tl_live_tensors(), (long long)tl_live_nodes(), (long long)f->live, (long long)f->nodes);
        return -1;
    }
    return 0;
}

// the DOT text of the graph behind t (malloc'd; NULL if tl_graph_dot failed)
static char *dot_of(const tl_tensor *t, bool show_grads) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    bool ok = tl_graph_dot(t, f, show_grads);
    fclose(f);
    if (!ok) { free(text); return NULL; }
    return text;
}

// occurrences of needle (a plain loop: ASan's strstr measures the whole haystack on every call,
// which makes counting in the 100000-node graph quadratic)
static int count(const char *haystack, const char *needle) {
    int n = 0;
    size_t m = strlen(needle);
    for (const char *p = haystack; *p; p++)
        if (*p == *needle && strncmp(p, needle, m) == 0) {
            n++;
            p += m - 1;
        }
    return n;
}

static void assert_contains(const char *haystack, const char *needle) {
    if (!haystack) fail_msg("expected to find\n  %s\nin nothing (NULL)", needle);
    if (!strstr(haystack, needle)) fail_msg("expected to find\n  %s\nin\n%s", needle, haystack);
}

// the tutorial's graph (000:325-339): z = x1 * w1 + b, a = sigmoid(z), loss = bce(a, y)
static tl_tensor *tutorial_loss(tl_tensor **w1, tl_tensor **b) {
    *w1 = tl_requires_grad_(tl_tensor_parse("[2.2]"), true);
    *b = tl_requires_grad_(tl_tensor_parse("[0.0]"), true);
    tl_set_name(*w1, "w1");
    tl_set_name(*b, "b");
    tl_tensor *z = tl_add(tl_mul(tl_tensor_parse("[1.1]"), *w1), *b);
    tl_tensor *loss = tl_binary_cross_entropy(tl_sigmoid(z), tl_tensor_parse("[1.0]"));
    tl_set_name(loss, "loss");
    return loss;
}

#define HEADER                                                                                          \
    "digraph torchlet {\n"                                                                              \
    "    graph [rankdir=LR, fontname=\"Helvetica\", nodesep=0.25, ranksep=0.35, bgcolor=\"transparent\"];\n" \
    "    node  [fontname=\"Helvetica\", fontsize=11, penwidth=1.2, margin=\"0.12,0.06\"];\n"          \
    "    edge  [color=\"#555555\", arrowsize=0.7];\n"
#define OP "shape=box, style=\"rounded,filled\", fillcolor=\"#dae8fc\", color=\"#6c8ebf\""
#define LEAF "shape=box, style=filled, fillcolor=\"#fff2cc\", color=\"#d6b656\""
#define PARAMETER "shape=box, style=\"filled,bold\", fillcolor=\"#d5e8d4\", color=\"#82b366\""
#define CONSTANT "shape=box, style=dashed, color=\"#999999\", fontcolor=\"#666666\""
#define ROOT "shape=box, style=filled, fillcolor=\"#f8cecc\", color=\"#b85450\""

// ----------------------------------------------------------------------------
// the golden graph

static const char *LOGREG_DOT =
    HEADER
    "    n0 [" ROOT ", label=<<b>loss</b><br/><font point-size=\"9\">()</font>>];\n"
    "    n1 [" OP ", label=<<b>BinaryCrossEntropyBackward0</b><br/><font point-size=\"9\">()</font>>];\n"
    "    n2 [" OP ", label=<<b>SigmoidBackward0</b><br/><font point-size=\"9\">(1,)</font>>];\n"
    "    n3 [" CONSTANT ", label=<<b>no grad</b><br/><font point-size=\"9\">(1,)</font>>];\n"
    "    n4 [" OP ", label=<<b>AddBackward0</b><br/><font point-size=\"9\">(1,)</font>>];\n"
    "    n5 [" OP ", label=<<b>MulBackward0</b><br/><font point-size=\"9\">(1,)</font>>];\n"
    "    n6 [" LEAF ", label=<<b>b</b><br/><font point-size=\"9\">(1,)</font>>];\n"
    "    n7 [" CONSTANT ", label=<<b>no grad</b><br/><font point-size=\"9\">(1,)</font>>];\n"
    "    n8 [" LEAF ", label=<<b>w1</b><br/><font point-size=\"9\">(1,)</font>>];\n"
    "    n1 -> n0;\n"       // BCE -> loss
    "    n2 -> n1;\n"       // sigmoid -> BCE
    "    n3 -> n1;\n"       // y -> BCE
    "    n4 -> n2;\n"       // add -> sigmoid
    "    n5 -> n4;\n"       // mul -> add
    "    n6 -> n4;\n"       // b -> add
    "    n7 -> n5;\n"       // x1 -> mul
    "    n8 -> n5;\n"       // w1 -> mul
    "}\n";

static void test_tutorial_graph_golden(void **state) {
    (void)state;
    tl_tensor *w1, *b;
    tl_tensor *loss = tutorial_loss(&w1, &b);
    char *text = dot_of(loss, false);
    assert_non_null(text);
    assert_string_equal(text, LOGREG_DOT);
    // deterministic: the same text again
    char *again = dot_of(loss, false);
    assert_string_equal(again, text);
    free(again);
    free(text);
}

// with show_grads, each leaf's box shows its .grad (None before backward)
static void test_show_grads(void **state) {
    (void)state;
    tl_tensor *w1, *b;
    tl_tensor *loss = tutorial_loss(&w1, &b);
    char *before = dot_of(loss, true);
    assert_int_equal(count(before, "grad None"), 2);
    assert_true(tl_backward_ex(loss, NULL, true));      // keep the graph to draw it
    char *after = dot_of(loss, true);
    assert_contains(after, "    n6 [" LEAF ", label=<<b>b</b><br/><font point-size=\"9\">(1,)</font>"
                           "<br/><font face=\"Courier\" point-size=\"9\">grad [-0.0817]</font>>];\n");
    assert_contains(after, "    n8 [" LEAF ", label=<<b>w1</b><br/><font point-size=\"9\">(1,)</font>"
                           "<br/><font face=\"Courier\" point-size=\"9\">grad [-0.0898]</font>>];\n");
    assert_int_equal(count(after, "grad ["), 2);          // leaves only: no op shows a gradient
    free(before);
    free(after);
    // long gradients are cut after 6 values; tiny and huge ones are written in scientific notation
    tl_tensor *v = tl_requires_grad_(tl_zeros(TL_SHAPE(2, 5), TL_FLOAT32), true);
    tl_backward(tl_sum(tl_mul_scalar(v, 1e-7)));
    char *many = dot_of(v, true);
    assert_contains(many, "grad [1.000e-07, 1.000e-07, 1.000e-07, 1.000e-07, 1.000e-07, 1.000e-07, ...] (10 values)");
    free(many);
}

// ----------------------------------------------------------------------------
// kinds of vertices

static void test_parameters_and_constants(void **state) {
    (void)state;
    tl_tensor *w = tl_requires_grad_(tl_tensor_parse("[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]"), true);
    w->is_parameter = true;                                   // chapter 04's nn.Parameter
    tl_tensor *x = tl_tensor_parse("[[1.0, 2.0, 3.0]]");
    tl_tensor *out = tl_softmax(tl_matmul(x, w), 1);
    char *text = dot_of(out, false);
    assert_non_null(text);
    // an unnamed parameter is titled "parameter" and styled as one; the root shows its shape
    assert_contains(text, "[" PARAMETER ", label=<<b>parameter</b><br/><font point-size=\"9\">(3, 2)</font>>];\n");
    assert_contains(text, "[" CONSTANT ", label=<<b>no grad</b><br/><font point-size=\"9\">(1, 3)</font>>];\n");
    assert_contains(text, "    n0 [" ROOT ", label=<<font>(1, 2)</font>>];\n");
    assert_contains(text, "<b>SoftmaxBackward0</b><br/><font point-size=\"9\">(1, 2)</font>");
    free(text);
    tl_set_name(w, "weight");
    text = dot_of(out, false);
    assert_contains(text, "[" PARAMETER ", label=<<b>weight</b><br/><font point-size=\"9\">(3, 2)</font>>];\n");
    free(text);
}

// a tensor without a graph is drawn alone: a leaf that requires grad, or a plain constant
static void test_tensor_without_graph(void **state) {
    (void)state;
    tl_tensor *leaf = tl_requires_grad_(tl_tensor_parse("[1.0, 2.0]"), true);
    tl_set_name(leaf, "x");
    char *text = dot_of(leaf, false);
    assert_string_equal(text, HEADER "    n0 [" LEAF ", label=<<b>x</b><br/><font point-size=\"9\">(2,)</font>>];\n}\n");
    free(text);
    tl_tensor *plain = NULL;
    TL_NO_GRAD { plain = tl_mul(leaf, leaf); }                // computed with recording off
    text = dot_of(plain, false);
    assert_string_equal(text, HEADER "    n0 [" CONSTANT ", label=<<font>(2,)</font>>];\n}\n");
    free(text);
    tl_tensor *scalar = tl_tensor_parse("3.0");
    text = dot_of(scalar, false);
    assert_contains(text, "label=<<font>()</font>>");
    free(text);
}

// ----------------------------------------------------------------------------
// the walk

// x is used three times and the product twice: each vertex once, one edge per use
static void test_shared_nodes_drawn_once(void **state) {
    (void)state;
    tl_tensor *x = tl_requires_grad_(tl_tensor_parse("[1.0, 2.0]"), true);
    tl_set_name(x, "x");
    tl_tensor *xx = tl_mul(x, x);
    tl_tensor *y = tl_add(tl_add(xx, x), tl_sigmoid(xx));
    char *text = dot_of(y, false);
    assert_non_null(text);
    assert_int_equal(count(text, "<b>x</b>"), 1);
    assert_int_equal(count(text, "<b>MulBackward0</b>"), 1);
    assert_int_equal(count(text, "<b>AddBackward0</b>"), 2);
    assert_int_equal(count(text, "<b>SigmoidBackward0</b>"), 1);
    assert_int_equal(count(text, " [shape="), 6);             // root, add, add, sigmoid, mul, x
    // edges: add->root, add->add, sigmoid->add, mul->add, x->add, mul->sigmoid, x->mul twice
    assert_int_equal(count(text, " -> "), 8);
    free(text);
}

// a chain of 100000 nodes: an explicit stack, no recursion; every vertex numbered once.
// (h * 1.0 records the Python number as a second input that needs no gradient, as PyTorch's
// MulBackward0 does: next_functions ((<prev>, 0), (None, 0)))
static void test_deep_graph(void **state) {
    (void)state;
    tl_tensor *x = tl_requires_grad_(tl_tensor_parse("[0.5]"), true);
    tl_tensor *h = x;
    const int depth = 100000;
    TL_SCOPE {
        for (int i = 0; i < depth; i++) h = tl_mul_scalar(h, 1.0);
        char *text = dot_of(h, false);
        assert_non_null(text);
        assert_int_equal(count(text, "<b>MulBackward0</b>"), depth);
        assert_int_equal(count(text, "<b>no grad</b>"), depth);
        assert_int_equal(count(text, "[" LEAF), 1);
        assert_int_equal(count(text, " -> "), 2 * depth + 1);
        char last[32];
        snprintf(last, sizeof last, "    n%d [", 2 * depth + 1);   // the last of 2 depth + 2 vertices
        assert_int_equal(count(text, last), 1);
        snprintf(last, sizeof last, "    n%d [", 2 * depth + 2);
        assert_int_equal(count(text, last), 0);
        free(text);
    }
}

// names are escaped for Graphviz's HTML-like labels
static void test_names_are_escaped(void **state) {
    (void)state;
    tl_tensor *x = tl_requires_grad_(tl_tensor_parse("[1.0]"), true);
    tl_set_name(x, "a<b & \"c\">");
    char *text = dot_of(tl_softmax(x, 0), false);
    assert_contains(text, "<b>a&lt;b &amp; &quot;c&quot;&gt;</b>");
    free(text);
}

static void test_errors(void **state) {
    (void)state;
    tl_error_set(TL_RUNTIME_ERROR, "earlier");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_false(tl_graph_dot(NULL, f, false));             // NULL in: false, the error stays
    fclose(f);
    assert_int_equal(len, 0);
    free(text);
    assert_string_equal(tl_error(), "earlier");
    tl_error_clear();
    assert_false(tl_graph_dot(tl_tensor_parse("[1.0]"), NULL, false));
    assert_non_null(tl_error());
    tl_error_clear();
}

// Graphviz itself accepts the text (skipped when `dot` is not installed)
static void test_dot_accepts_it(void **state) {
    (void)state;
    if (system("command -v dot >/dev/null 2>&1") != 0) skip();
    tl_tensor *w1, *b;
    tl_tensor *loss = tutorial_loss(&w1, &b);
    char path[] = "/tmp/tl_dot_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_true(tl_graph_dot(loss, f, true));
    fclose(f);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "dot -Tsvg '%s' -o /dev/null", path);
    int rc = system(cmd);
    remove(path);
    assert_int_equal(rc, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tutorial_graph_golden, setup, teardown),
        cmocka_unit_test_setup_teardown(test_show_grads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parameters_and_constants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tensor_without_graph, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_nodes_drawn_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deep_graph, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_are_escaped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dot_accepts_it, setup, teardown),
    };
    return cmocka_run_group_tests_name("ch02_dot", tests, NULL, NULL);
}
