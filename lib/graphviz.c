/* generated from chapters/02-graphs/02-graphs.md by tools/tangle.lua; edit the chapter, not this file */
#line 1348 "chapters/02-graphs/02-graphs.md"
// graphviz.c — the graph behind a tensor as Graphviz DOT text (chapter 02).
//
//     tl_graph_dot(loss, stdout, false);          // then:  dot -Tsvg graph.dot -o graph.svg
//
// Vertices: n0 is the root tensor, then every node and leaf in the order a depth-first walk from
// the root finds them (deterministic text, so tests compare it verbatim). Edges point the way the
// data flowed in the forward pass: input -> operation -> output.
#include "autograd.h"
#include "lab.h"
#include "print.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#line 1377 "chapters/02-graphs/02-graphs.md"
// ----------------------------------------------------------------------------
// seen: pointer (node or leaf tensor) -> vertex number; open addressing, kept at most half full

typedef struct { const void *key; int id; } seen_slot;
typedef struct { seen_slot *slots; size_t cap, count; } seen_map;

static size_t seen_hash(const void *key, size_t cap) {
    uint64_t h = (uint64_t)(uintptr_t)key * 0x9E3779B97F4A7C15ull;   // Fibonacci hashing
    return (size_t)(h >> 17) & (cap - 1);
}

static int seen_find(const seen_map *m, const void *key) {
    if (m->cap == 0) return -1;
    for (size_t i = seen_hash(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].key == key) return m->slots[i].id;
        if (m->slots[i].key == NULL) return -1;
    }
}

static bool seen_put(seen_map *m, const void *key, int id) {
    if (2 * (m->count + 1) > m->cap) {                 // grow: rehash into twice the slots
        size_t cap = m->cap ? 2 * m->cap : 64;
        seen_slot *slots = calloc(cap, sizeof *slots);
        if (!slots) return false;
        for (size_t j = 0; j < m->cap; j++) {
            if (!m->slots[j].key) continue;
            size_t i = seen_hash(m->slots[j].key, cap);
            while (slots[i].key) i = (i + 1) & (cap - 1);
            slots[i] = m->slots[j];
        }
        free(m->slots);
        m->slots = slots;
        m->cap = cap;
    }
    size_t i = seen_hash(key, m->cap);
    while (m->slots[i].key) i = (i + 1) & (m->cap - 1);
    m->slots[i] = (seen_slot){ key, id };
    m->count++;
    return true;
}
#line 1367 "chapters/02-graphs/02-graphs.md"
#line 1424 "chapters/02-graphs/02-graphs.md"
// ----------------------------------------------------------------------------
// label pieces

// s with &, <, > and " escaped for an HTML-like label
static void put_escaped(FILE *out, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default:  fputc(*s, out);
        }
    }
}

// a shape as a Python tuple: "()", "(3,)", "(2, 3)"
static void put_shape(FILE *out, const tl_shape *shape) {
    fputc('(', out);
    for (int d = 0; d < shape->ndim; d++) fprintf(out, d ? ", %" PRId64 : "%" PRId64, shape->d[d]);
    fputs(shape->ndim == 1 ? ",)" : ")", out);
}

// one gradient value, short: 4 decimals like PyTorch's print, scientific when tiny or huge
static void put_value(FILE *out, double v) {
    double a = fabs(v);
    if (v == 0 || (a >= 1e-4 && a < 1e5) || !isfinite(v)) fprintf(out, "%.4f", v);
    else fprintf(out, "%.3e", v);
}

#define DOT_GRAD_SHOWN 6   // values of a .grad shown in a box; more are elided with "..."

// "grad [-0.0898]", "grad [1.0000, 2.0000, ...] (10 values)", or "grad None"
static void put_grad(FILE *out, const tl_tensor *grad) {
    if (!grad) { fputs("grad None", out); return; }
    int64_t n = tl_numel(grad);
    fputs("grad [", out);
    TL_SCOPE {
        const tl_tensor *flat = tl_reshape(grad, TL_SHAPE(-1));
        for (int64_t i = 0; flat && i < n && i < DOT_GRAD_SHOWN; i++) {
            if (i) fputs(", ", out);
            put_value(out, tl_get(flat, TL_SHAPE(i)));
        }
    }
    fputs(n > DOT_GRAD_SHOWN ? ", ...]" : "]", out);
    if (n > DOT_GRAD_SHOWN) fprintf(out, " (%" PRId64 " values)", n);
}
#line 1368 "chapters/02-graphs/02-graphs.md"
#line 1479 "chapters/02-graphs/02-graphs.md"
// ----------------------------------------------------------------------------
// looks

static const char *DOT_HEADER =
    "digraph torchlet {\n"
    "    graph [rankdir=LR, fontname=\"Helvetica\", nodesep=0.25, ranksep=0.35, bgcolor=\"transparent\"];\n"
    "    node  [fontname=\"Helvetica\", fontsize=11, penwidth=1.2, margin=\"0.12,0.06\"];\n"
    "    edge  [color=\"#555555\", arrowsize=0.7];\n";

typedef enum { V_OP, V_LEAF, V_PARAMETER, V_CONSTANT, V_ROOT } vertex_kind;

static const char *vertex_style(vertex_kind kind) {
    switch (kind) {
    case V_OP:        return "shape=box, style=\"rounded,filled\", fillcolor=\"#dae8fc\", color=\"#6c8ebf\"";
    case V_LEAF:      return "shape=box, style=filled, fillcolor=\"#fff2cc\", color=\"#d6b656\"";
    case V_PARAMETER: return "shape=box, style=\"filled,bold\", fillcolor=\"#d5e8d4\", color=\"#82b366\"";
    case V_CONSTANT:  return "shape=box, style=dashed, color=\"#999999\", fontcolor=\"#666666\"";
    case V_ROOT:      return "shape=box, style=filled, fillcolor=\"#f8cecc\", color=\"#b85450\"";
    }
    return "";
}

// n<id> [style, label=<<b>title</b><br/><font point-size="9">(shape)</font>...>];
// title may be NULL (the shape alone); grad_of, when not NULL, adds the tensor's .grad line
static void put_vertex(FILE *out, int id, vertex_kind kind, const char *title, const tl_shape *shape,
                       const tl_tensor *grad_of) {
    fprintf(out, "    n%d [%s, label=<", id, vertex_style(kind));
    if (title) {
        fputs("<b>", out);
        put_escaped(out, title);
        fputs("</b><br/><font point-size=\"9\">", out);
    } else {
        fputs("<font>", out);
    }
    put_shape(out, shape);
    fputs("</font>", out);
    if (grad_of) {
        fputs("<br/><font face=\"Courier\" point-size=\"9\">", out);
        put_grad(out, grad_of->grad);
        fputs("</font>", out);
    }
    fputs(">];\n", out);
}
#line 1369 "chapters/02-graphs/02-graphs.md"
#line 1531 "chapters/02-graphs/02-graphs.md"
// ----------------------------------------------------------------------------
// the walk

typedef struct { int from, to; } dot_edge;

typedef struct {
    FILE           *out;
    bool            show_grads;
    int             next_id;                  // the next vertex number
    seen_map        seen;
    const tl_node **stack;                    // nodes numbered but not yet expanded
    size_t          nstack, cap_stack;
    dot_edge       *edges;
    size_t          nedges, cap_edges;
    bool            failed;                   // out of memory
} dot_walk;

// room for one more element: array itself while n < *cap, else a twice bigger copy (NULL: no memory)
static void *grow(void *array, size_t *cap, size_t n, size_t elem) {
    if (n < *cap) return array;
    size_t cap2 = *cap ? 2 * *cap : 32;
    void *bigger = realloc(array, cap2 * elem);
    if (bigger) *cap = cap2;
    return bigger;
}

static void add_edge(dot_walk *w, int from, int to) {
    dot_edge *edges = grow(w->edges, &w->cap_edges, w->nedges, sizeof *edges);
    if (!edges) { w->failed = true; return; }
    w->edges = edges;
    w->edges[w->nedges++] = (dot_edge){ from, to };
}

static vertex_kind leaf_kind(const tl_tensor *t) {
    if (t->is_parameter) return V_PARAMETER;
    return t->requires_grad ? V_LEAF : V_CONSTANT;
}

// a tensor's title: its name (tl_set_name), else "parameter" for a parameter, else none (the
// shape says enough)
static const char *tensor_title(const tl_tensor *t) {
    if (t->name[0]) return t->name;
    return t->is_parameter ? "parameter" : NULL;
}

// the vertex of a leaf tensor, drawn the first time it is seen
static int leaf_vertex(dot_walk *w, const tl_tensor *leaf) {
    int id = seen_find(&w->seen, leaf);
    if (id >= 0) return id;
    id = w->next_id++;
    if (!seen_put(&w->seen, leaf, id)) w->failed = true;
    tl_shape shape = tl_shape_of(leaf);
    put_vertex(w->out, id, leaf_kind(leaf), tensor_title(leaf), &shape, w->show_grads ? leaf : NULL);
    return id;
}

// the vertex of a node, drawn the first time it is seen and queued to have its inputs expanded
static int node_vertex(dot_walk *w, const tl_node *node) {
    int id = seen_find(&w->seen, node);
    if (id >= 0) return id;
    id = w->next_id++;
    const tl_node **stack = grow(w->stack, &w->cap_stack, w->nstack, sizeof *stack);
    if (stack) w->stack = stack;
    if (!stack || !seen_put(&w->seen, node, id)) {
        w->failed = true;
        return id;
    }
    w->stack[w->nstack++] = node;
    put_vertex(w->out, id, V_OP, tl_node_name(node), &node->output_shape, NULL);
    return id;
}

// numbers the inputs of a node (nodes among them go on the stack) and connects them to it
static void expand(dot_walk *w, const tl_node *node) {
    int id = seen_find(&w->seen, node);
    for (int i = 0; i < node->ninputs; i++) {
        int from;
        if (node->next[i]) {
            from = node_vertex(w, node->next[i]);
        } else if (node->leaf[i]) {
            from = leaf_vertex(w, node->leaf[i]);
        } else {                                     // an input without grad: a constant
            from = w->next_id++;
            put_vertex(w->out, from, V_CONSTANT, "no grad", &node->input_shape[i], NULL);
        }
        add_edge(w, from, id);
    }
}
#line 1626 "chapters/02-graphs/02-graphs.md"
bool tl_graph_dot(const tl_tensor *t, FILE *out, bool show_grads) {
    if (!t) return false;
    if (!out) {
        tl_error_set(TL_VALUE_ERROR, "tl_graph_dot: no file to write to");
        return false;
    }
    dot_walk w = { .out = out, .show_grads = show_grads };
    fputs(DOT_HEADER, out);
    tl_shape shape = tl_shape_of(t);
    if (!t->grad_fn) {                                   // a tensor without history
        put_vertex(out, w.next_id++, leaf_kind(t), tensor_title(t), &shape, show_grads ? t : NULL);
    } else {
        int root = w.next_id++;
        put_vertex(out, root, V_ROOT, tensor_title(t), &shape, NULL);
        add_edge(&w, node_vertex(&w, t->grad_fn), root);
        while (w.nstack > 0 && !w.failed) expand(&w, w.stack[--w.nstack]);
    }
    for (size_t i = 0; i < w.nedges; i++) fprintf(out, "    n%d -> n%d;\n", w.edges[i].from, w.edges[i].to);
    fputs("}\n", out);
    free(w.seen.slots);
    free(w.stack);
    free(w.edges);
    if (w.failed) {
        tl_error_set(TL_RUNTIME_ERROR, "tl_graph_dot: out of memory");
        return false;
    }
    if (ferror(out)) {
        tl_error_set(TL_RUNTIME_ERROR, "tl_graph_dot: could not write the graph");
        return false;
    }
    return true;
}
#line 1370 "chapters/02-graphs/02-graphs.md"
#line 1707 "chapters/02-graphs/02-graphs.md"
// ----------------------------------------------------------------------------
// draw into a lab's figure folder

bool tl_graph_draw(const tl_tensor *t, const char *figure, bool show_grads) {
    if (!t) return false;
    FILE *file = tl_lab_figure(figure);
    if (!file) return false;
    bool ok = tl_graph_dot(t, file, show_grads);
    fclose(file);
    return ok;
}
