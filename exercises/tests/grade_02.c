// exercises/tests/grade_02.c — the graded tests of chapter 02's exercises (exercises/02-graphs.c).
//
// The graphs are random expressions, different for every exercise (seeded by its id). While the
// test builds one, it keeps for every value the set of ops that recorded a node on the way to it
// (a bit per op), the set of leaves it depends on and its depth, so the expected answers come from
// the construction itself, not from walking the graph.
#define _POSIX_C_SOURCE 200809L
#include "grade.h"

int64_t    ex02_count_nodes(const tl_tensor *t);
int        ex02_leaves(const tl_tensor *t, tl_tensor **out, int max);
int64_t    ex02_graph_depth(const tl_tensor *t);
tl_tensor *ex02_square(const tl_tensor *x);
void       ex02_square_backward(tl_node *node, const tl_tensor *grad_output, tl_tensor **grad_inputs);

typedef struct {
    tl_tensor *t;
    uint64_t   nodes;    // bit k: op k recorded a node that this value depends on
    uint64_t   leaves;   // bit i: leaf i (requires grad) is an ancestor
    int64_t    depth;    // longest chain of nodes from this value's node
} value;

#define MAX_VALUES 72
typedef struct {
    value  v[MAX_VALUES];
    int    n, nleaves, nops;
    tl_tensor *leaf[8];
} graph;

// nleaves leaves requiring grad and nconst constants, then nops random ops (at most 60)
static void random_graph(graph *g, int nleaves, int nconst, int nops) {
    memset(g, 0, sizeof *g);
    for (int i = 0; i < nleaves; i++) {
        tl_tensor *t = tl_requires_grad_(grade_uniform(TL_SHAPE(3), -1, 1, TL_FLOAT64), true);
        g->leaf[g->nleaves++] = t;
        g->v[g->n++] = (value){ t, 0, 1ULL << i, 0 };
    }
    for (int i = 0; i < nconst; i++) g->v[g->n++] = (value){ grade_uniform(TL_SHAPE(3), -1, 1, TL_FLOAT64), 0, 0, 0 };
    for (int k = 0; k < nops; k++) {
        // operands: mostly among the last few values, so that chains grow deep
        int lo = g->n > 4 && grade_int(0, 4) ? g->n - 4 : 0;
        value a = g->v[grade_int(lo, g->n)], b = g->v[grade_int(0, g->n)];
        int op = (int)grade_int(0, 7);
        tl_tensor *r;
        switch (op) {
        case 0: r = tl_add(a.t, b.t); break;
        case 1: r = tl_mul(a.t, b.t); break;
        case 2: r = tl_sub(a.t, b.t); break;
        case 3: r = tl_tanh(a.t); break;
        case 4: r = tl_sigmoid(a.t); break;
        case 5: r = tl_mul_scalar(a.t, 0.5); break;
        default: r = tl_neg(a.t); break;
        }
        bool binary = op <= 2;
        value v = { r, 0, a.leaves | (binary ? b.leaves : 0), 0 };
        if (v.leaves) {                     // some input requires grad: one node recorded
            v.nodes = a.nodes | (binary ? b.nodes : 0) | (1ULL << g->nops);
            v.depth = 1 + (binary && b.depth > a.depth ? b.depth : a.depth);
        }
        g->nops++;
        g->v[g->n++] = v;
    }
}

static int popcount(uint64_t x) { int n = 0; for (; x; x &= x - 1) n++; return n; }

// y = x; y = y + y, k times: k nodes, depth k, 2^k paths
static tl_tensor *doubling(tl_tensor *x, int k) {
    tl_tensor *y = x;
    for (int i = 0; i < k; i++) y = tl_add(y, y);
    return y;
}

// ----------------------------------------------------------------------------
static void test_count_nodes(void) {
    char w[96];
    for (int round = 0; round < 20; round++) {
        graph g;
        random_graph(&g, (int)grade_int(1, 5), (int)grade_int(0, 3), (int)grade_int(3, 60));
        for (int i = g.n - 3; i < g.n; i++) {
            snprintf(w, sizeof w, "ex02_count_nodes(a random graph of %d ops, value %d)", g.nops, i);
            grade_int_eq(w, ex02_count_nodes(g.v[i].t), popcount(g.v[i].nodes));
        }
    }
    tl_tensor *x = tl_requires_grad_(tl_ones(TL_SHAPE(2), TL_FLOAT64), true);
    grade_int_eq("ex02_count_nodes(a leaf)", ex02_count_nodes(x), 0);
    int k = (int)grade_int(36, 44);
    snprintf(w, sizeof w, "ex02_count_nodes(y = y + y, %d times)", k);
    grade_int_eq(w, ex02_count_nodes(doubling(x, k)), k);
    grade_int_eq("ex02_count_nodes(NULL)", ex02_count_nodes(NULL), -1);
}

static void test_leaves(void) {
    char w[128];
    for (int round = 0; round < 20; round++) {
        graph g;
        random_graph(&g, (int)grade_int(1, 7), (int)grade_int(0, 3), (int)grade_int(3, 40));
        const value *v = &g.v[g.n - 1];
        snprintf(w, sizeof w, "ex02_leaves(a random graph of %d ops over %d leaves)", g.nops, g.nleaves);
        grade_int_eq(w, ex02_leaves(v->t, NULL, 0), popcount(v->leaves));
        tl_tensor *out[8] = { 0 };
        int n = ex02_leaves(v->t, out, 8);
        grade_int_eq(w, n, popcount(v->leaves));
        for (int i = 0; i < g.nleaves; i++) {     // out holds exactly the expected leaves
            bool found = false;
            for (int j = 0; j < n; j++) found = found || out[j] == g.leaf[i];
            grade_true(found == ((v->leaves >> i) & 1), "%s: leaf %d %s", w, i,
                       found ? "is listed but the value does not depend on it" : "is missing from out[]");
        }
        if (n >= 2) {                              // max is respected
            tl_tensor *guard = g.leaf[0];                      // any non-NULL pointer
            tl_tensor *buf[3] = { NULL, NULL, guard };
            grade_int_eq("ex02_leaves(t, out, 2): the count", ex02_leaves(v->t, buf, 2), n);
            grade_true(buf[2] == guard, "ex02_leaves(t, out, 2) wrote past out[1]");
        }
    }
    tl_tensor *x = tl_requires_grad_(tl_ones(TL_SHAPE(2), TL_FLOAT64), true), *out[2] = { 0 };
    grade_int_eq("ex02_leaves(a leaf that requires grad)", ex02_leaves(x, out, 2), 1);
    grade_true(out[0] == x, "ex02_leaves(x, out, 2) with x a leaf: out[0] should be x");
    grade_int_eq("ex02_leaves(a constant)", ex02_leaves(tl_ones(TL_SHAPE(2), TL_FLOAT64), out, 2), 0);
    grade_int_eq("ex02_leaves(y = y + y, 40 times)", ex02_leaves(doubling(x, 40), out, 2), 1);
}

static void test_graph_depth(void) {
    char w[96];
    for (int round = 0; round < 20; round++) {
        graph g;
        random_graph(&g, (int)grade_int(1, 5), (int)grade_int(0, 3), (int)grade_int(3, 60));
        for (int i = g.n - 3; i < g.n; i++) {
            snprintf(w, sizeof w, "ex02_graph_depth(a random graph of %d ops, value %d)", g.nops, i);
            grade_int_eq(w, ex02_graph_depth(g.v[i].t), g.v[i].depth);
        }
    }
    tl_tensor *x = tl_requires_grad_(tl_ones(TL_SHAPE(2), TL_FLOAT64), true);
    grade_int_eq("ex02_graph_depth(a leaf)", ex02_graph_depth(x), 0);
    int k = (int)grade_int(36, 44);
    snprintf(w, sizeof w, "ex02_graph_depth(y = y + y, %d times)", k);
    grade_int_eq(w, ex02_graph_depth(doubling(x, k)), k);
    grade_int_eq("ex02_graph_depth(NULL)", ex02_graph_depth(NULL), -1);
}

// ----------------------------------------------------------------------------
static void test_square(void) {
    tl_shape s = grade_shape(2, 1, 5);
    tl_tensor *x = tl_requires_grad_(grade_uniform(s, -3, 3, TL_FLOAT64), true);
    tl_tensor *y = ex02_square(x);
    grade_ok("ex02_square(x)", y != NULL);
    grade_tensor("ex02_square(x): the values", tl_detach(y), tl_mul(tl_detach(x), tl_detach(x)), 1e-12);
    grade_true(y->grad_fn, "ex02_square(x) with x requiring grad: expected a grad_fn, got none");
    grade_str("ex02_square(x): grad_fn", tl_node_name(y->grad_fn), "SquareBackward0");
    grade_int_eq("ex02_square(x): the node's number of inputs", y->grad_fn->ninputs, 1);
    grade_true(y->grad_fn->leaf[0] == x && y->grad_fn->next[0] == NULL,
               "ex02_square(x) with x a leaf: expected the edge leaf[0] = x and next[0] = NULL");
    grade_true(y->grad_fn->backward == ex02_square_backward, "ex02_square(x): the node's rule should be ex02_square_backward");
    grade_true(tl_backward(tl_sum(y)), "backward through ex02_square failed: %s", grade_last_error());
    grade_tensor("x.grad after backward(sum(ex02_square(x)))", x->grad, tl_mul_scalar(tl_detach(x), 2), 1e-12);

    // inside a graph: the edge leads to the node of the input
    double c = (double)grade_int(2, 6);
    tl_zero_grad_(x);
    tl_tensor *m = tl_mul_scalar(x, c), *z = ex02_square(m);
    grade_ok("ex02_square(x * c)", z != NULL);
    grade_str("ex02_square(x * c): grad_fn", tl_node_name(z->grad_fn), "SquareBackward0");
    grade_true(z->grad_fn->next[0] == m->grad_fn && z->grad_fn->leaf[0] == NULL,
               "ex02_square(m) with m = x * c: expected the edge next[0] = m->grad_fn (MulBackward0)");
    grade_true(tl_backward(tl_sum(z)), "backward through ex02_square(x * c) failed: %s", grade_last_error());
    grade_tensor("x.grad after backward(sum(ex02_square(x * c)))", x->grad, tl_mul_scalar(tl_detach(x), 2 * c * c), 1e-12);

    // nothing to record
    tl_tensor *k = tl_detach(x), *r = ex02_square(k);
    grade_ok("ex02_square(a tensor that does not require grad)", r != NULL);
    grade_true(!r->grad_fn && !r->requires_grad, "ex02_square(a tensor that does not require grad): "
               "the result should have no grad_fn and not require grad");
    tl_tensor *q = NULL;
    TL_NO_GRAD { q = ex02_square(x); }
    grade_ok("ex02_square(x) inside TL_NO_GRAD", q != NULL);
    grade_true(!q->grad_fn && !q->requires_grad, "ex02_square(x) inside TL_NO_GRAD: the result should have no grad_fn");
    tl_tensor *f = grade_uniform(TL_SHAPE(4), -2, 2, TL_FLOAT32);
    grade_tensor("ex02_square(a float32 tensor)", ex02_square(f), tl_mul(f, f), 1e-6);
    grade_true(ex02_square(NULL) == NULL, "ex02_square(NULL) should return NULL");
}

static const grade_exercise exercises[] = {
    { "02.1", 2, "count the nodes of a graph (shared nodes once)", test_count_nodes },
    { "02.2", 3, "the leaves a tensor depends on", test_leaves },
    { "02.3", 3, "the depth of a graph, with memoisation", test_graph_depth },
    { "02.4", 4, "record a node of your own: SquareBackward0", test_square },
};
GRADE_MAIN(exercises)
