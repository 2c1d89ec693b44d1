// tests/test_ch01_print.c — tl_repr prints what PyTorch prints, character for character
// (cmocka group "ch01_print").
//
// Most tests are rows of tests/golden/print_golden.h: a tensor described by its values
// and the text repr() gave for it in PyTorch 1.13.1 (tests/golden/gen_print.py made the
// table with torch itself). Each row becomes one cmocka test named after the row. The
// remaining tests check torch.Size, Python's repr(float), the CUDA device suffix (values
// from the tutorial), print() itself, and the options.
//
// Build (from the repository root):
//     gcc -std=c11 -O2 -g -Wall -Wextra -I wip/lib tests/test_ch01_print.c
//         wip/lib/print.c wip/lib/tensor.c -lcmocka -lopenblas -lm -o build/test_ch01_print
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "print.h"
#include "golden/print_golden.h"

// ----------------------------------------------------------------------------
// helpers

// options back to PyTorch's defaults after every test
static int reset_options(void **state) {
    (void)state;
    tl_set_printoptions(TL_PRINTOPTIONS_DEFAULT);
    return 0;
}

// A graph node as chapter 03 lays it out: the name comes first.
typedef struct { const char *name; } fake_node;

// Builds the tensor a golden row describes (owned by the current pool).
static tl_tensor *build_golden(const golden_print *c) {
    tl_shape s = { c->ndim, { 0 } };
    int64_t n = 1;
    for (int d = 0; d < c->ndim; d++) { s.d[d] = c->shape[d]; n *= c->shape[d]; }
    if (c->data) return tl_from_data(c->data, s, c->dtype);
    tl_tensor *t = tl_empty(s, c->dtype);
    if (!t || c->gen == GEN_NONE) return t;
    if (c->dtype == TL_INT64) {   // only GEN_ARANGE makes int64
        int64_t *p = TL_DATA(t, int64_t);
        for (int64_t i = 0; i < n; i++) p[i] = i;
        return t;
    }
    float *p = TL_DATA(t, float);
    const float k = (float)c->gen_k;
    for (int64_t i = 0; i < n; i++) {
        switch (c->gen) {
        case GEN_ARANGE:     p[i] = (float)i; break;
        case GEN_ARANGE_DIV: p[i] = (float)i / k; break;
        case GEN_ARANGE_MUL: p[i] = (float)i * k; break;
        case GEN_MOD17:      p[i] = (float)(i % 17 - 8) / 10.0f; break;
        case GEN_NONE:       break;
        }
    }
    return t;
}

// Turns the freshly built tensor into the view the row printed (by editing its
// shape/stride/offset: a view is nothing more than that).
static void apply_view(tl_tensor *t, golden_view view) {
    int64_t tmp;
    switch (view) {
    case VIEW_NONE: break;
    case VIEW_TRANSPOSE:      // .T of a matrix: swap sizes and strides
        tmp = t->shape[0]; t->shape[0] = t->shape[1]; t->shape[1] = tmp;
        tmp = t->stride[0]; t->stride[0] = t->stride[1]; t->stride[1] = tmp;
        break;
    case VIEW_EXPAND_ROWS:    // (n,) -> .expand(2, n): a new leading dim of stride 0
        t->shape[1] = t->shape[0]; t->stride[1] = t->stride[0];
        t->shape[0] = 2; t->stride[0] = 0;
        t->ndim = 2;
        break;
    case VIEW_SELECT_ROW1:    // (2, 3) -> [1]: the second row, offset 3
        t->offset = t->stride[0];
        t->shape[0] = t->shape[1]; t->stride[0] = t->stride[1];
        t->ndim = 1;
        break;
    }
}

// repr of a golden row, copied out of its pool (so a failing assert leaks nothing)
static char *golden_repr(const golden_print *c) {
    char *out = NULL;
    tl_pool *pool = tl_pool_push();
    tl_tensor *t = build_golden(c);
    if (t) {
        tl_tensor saved = *t;
        fake_node node = { c->grad_fn };
        apply_view(t, c->view);
        t->requires_grad = c->requires_grad;
        t->is_parameter = c->is_parameter;
        if (c->grad_fn) t->grad_fn = (tl_node *)&node;
        tl_set_printoptions(c->opts);
        const char *s = tl_repr(t);
        tl_set_printoptions(TL_PRINTOPTIONS_DEFAULT);
        if (s) out = strdup(s);
        // back to the plain tensor the core made, before the pool releases it
        t->ndim = saved.ndim; t->offset = saved.offset;
        memcpy(t->shape, saved.shape, sizeof t->shape);
        memcpy(t->stride, saved.stride, sizeof t->stride);
        t->grad_fn = NULL;
        t->requires_grad = false;
        t->is_parameter = false;
    }
    tl_pool_pop(pool);
    return out;
}

// Runs fn(arg) with stdout sent to a temporary file and returns what it wrote.
static char *capture_stdout(void (*fn)(const tl_tensor *), const tl_tensor *arg) {
    fflush(stdout);
    FILE *tmp = tmpfile();
    if (!tmp) return NULL;
    int saved = dup(STDOUT_FILENO);
    dup2(fileno(tmp), STDOUT_FILENO);
    fn(arg);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    long n = ftell(tmp);
    char *text = calloc((size_t)(n > 0 ? n : 0) + 1, 1);
    rewind(tmp);
    if (text && n > 0 && fread(text, 1, (size_t)n, tmp) != (size_t)n) text[0] = '\0';
    fclose(tmp);
    return text;
}

// ----------------------------------------------------------------------------
// one test per golden row

static void test_golden_row(void **state) {
    const golden_print *c = *state;
    char *got = golden_repr(c);
    assert_non_null(got);
    if (strcmp(got, c->expected) != 0)
        print_message("%s\nexpected:\n%s\ngot:\n%s\n", c->name, c->expected, got);
    int same = strcmp(got, c->expected) == 0;
    free(got);
    assert_true(same);
}

// ----------------------------------------------------------------------------
// torch.Size and repr(float)

static void test_shape_str(void **state) {
    (void)state;
    tl_pool *pool = tl_pool_push();
    int64_t v[6] = { 1, 2, 3, 4, 5, 6 };
    const char *s23 = tl_shape_str(tl_from_data(v, TL_SHAPE(2, 3), TL_INT64));   // tutorial 000:222
    const char *s0 = tl_shape_str(tl_from_data(v, TL_SCALAR_SHAPE, TL_INT64));   // tensor0d.shape
    const char *s222 = tl_shape_str(tl_empty(TL_SHAPE(2, 2, 2), TL_FLOAT32));    // tensor3d.shape
    const char *s03 = tl_shape_str(tl_empty(TL_SHAPE(0, 3), TL_FLOAT32));
    char *a = strdup(s23), *b = strdup(s0), *c = strdup(s222), *d = strdup(s03);
    tl_pool_pop(pool);
    assert_string_equal(a, "torch.Size([2, 3])");
    assert_string_equal(b, "torch.Size([])");
    assert_string_equal(c, "torch.Size([2, 2, 2])");
    assert_string_equal(d, "torch.Size([0, 3])");
    free(a); free(b); free(c); free(d);
}

static void test_float_repr_tutorial(void **state) {
    (void)state;
    // tutorial's sum / mean / std of [1., 2., 3., 4., 5.] (seed 003: 15.0, 3.0, 1.5811388492584229);
    // .item() of a float32 result, so the std is sqrt(2.5) rounded to float32, then widened
    tl_pool *pool = tl_pool_push();
    char *a = strdup(tl_float_repr(15.0));
    char *b = strdup(tl_float_repr(3.0));
    char *c = strdup(tl_float_repr((double)sqrtf(2.5f)));
    tl_pool_pop(pool);
    assert_string_equal(a, "15.0");
    assert_string_equal(b, "3.0");
    assert_string_equal(c, "1.5811388492584229");
    free(a); free(b); free(c);
}

static void test_float_repr_golden(void **state) {
    (void)state;
    size_t n = sizeof GOLDEN_FLOAT / sizeof GOLDEN_FLOAT[0], bad = 0;
    tl_pool *pool = tl_pool_push();
    for (size_t k = 0; k < n; k++) {
        double v;
        memcpy(&v, &GOLDEN_FLOAT[k].bits, sizeof v);
        const char *s = tl_float_repr(v);
        if (!s || strcmp(s, GOLDEN_FLOAT[k].repr) != 0) {
            print_message("repr(float) of 0x%016llx: expected %s, got %s\n",
                          (unsigned long long)GOLDEN_FLOAT[k].bits, GOLDEN_FLOAT[k].repr, s ? s : "NULL");
            bad++;
        }
    }
    tl_pool_pop(pool);
    assert_int_equal(bad, 0);
}

// ----------------------------------------------------------------------------
// device suffix: PyTorch names the device of every tensor not on the CPU

static char *repr_on_cuda(tl_tensor *t) {
    // a pretend GPU: only an EMPTY tensor can pretend, since printing a GPU tensor copies its
    // elements from the device (chapter 08; tests/test_ch08_cuda.c prints real ones)
    t->storage->device = (tl_device){ TL_CUDA, 0 };
    char *s = strdup(tl_repr(t));
    t->storage->device = TL_CPU_DEVICE;
    return s;
}

static void test_device_cuda(void **state) {
    (void)state;
    tl_pool *pool = tl_pool_push();
    tl_tensor *t = tl_empty(TL_SHAPE(0), TL_FLOAT32);
    tl_tensor *u = tl_empty(TL_SHAPE(0), TL_FLOAT64);
    u->requires_grad = true;
    char *s = repr_on_cuda(t);
    char *w = repr_on_cuda(u);
    u->requires_grad = false;
    tl_pool_pop(pool);
    assert_string_equal(s, "tensor([], device='cuda:0')");
    // order from _str_intern: device, dtype, then the autograd suffix
    assert_string_equal(w, "tensor([], device='cuda:0', dtype=torch.float64, requires_grad=True)");
    free(s); free(w);
}

// ----------------------------------------------------------------------------
// print(), NULL, options

static void print_it(const tl_tensor *t) { tl_print(t); }

static void test_print_writes_repr_and_newline(void **state) {
    (void)state;
    tl_pool *pool = tl_pool_push();
    int64_t v[6] = { 1, 2, 3, 4, 5, 6 };
    char *out = capture_stdout(print_it, tl_from_data(v, TL_SHAPE(2, 3), TL_INT64));
    tl_pool_pop(pool);
    assert_non_null(out);
    assert_string_equal(out, "tensor([[1, 2, 3],\n        [4, 5, 6]])\n");   // tutorial 000:211-212
    free(out);
}

static void test_print_null_prints_the_error(void **state) {
    (void)state;
    tl_error_set(TL_RUNTIME_ERROR, "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)");
    char *out = capture_stdout(print_it, NULL);
    assert_non_null(out);
    assert_string_equal(out, "RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)\n");
    free(out);
    assert_null(tl_error());   // printed, then cleared
}

static void test_null_passes_through(void **state) {
    (void)state;
    tl_error_set(TL_VALUE_ERROR, "earlier failure");
    assert_null(tl_repr(NULL));
    assert_null(tl_shape_str(NULL));
    assert_non_null(tl_error());
    assert_string_equal(tl_error(), "earlier failure");   // left alone
    tl_error_clear();
}

static void test_printoptions_get_set(void **state) {
    (void)state;
    tl_printoptions o = tl_get_printoptions();
    assert_int_equal(o.precision, 4);
    assert_int_equal(o.threshold, 1000);
    assert_int_equal(o.edgeitems, 3);
    assert_int_equal(o.linewidth, 80);
    assert_int_equal(o.sci_mode, -1);
    tl_set_printoptions((tl_printoptions){ 2, 5, 1, 40, 0 });
    o = tl_get_printoptions();
    assert_int_equal(o.precision, 2);
    assert_int_equal(o.threshold, 5);
    assert_int_equal(o.edgeitems, 1);
    assert_int_equal(o.linewidth, 40);
    assert_int_equal(o.sci_mode, 0);
    tl_set_printoptions((tl_printoptions){ -3, 5, -1, 40, 7 });   // nonsense is clamped
    o = tl_get_printoptions();
    assert_int_equal(o.precision, 0);
    assert_int_equal(o.edgeitems, 0);
    assert_int_equal(o.sci_mode, 1);
}

// edgeitems=0 with a summary: PyTorch 2.x prints "[...]" (1.13.1 prints the whole 1-d
// tensor, or raises for 2-d); expected text derived by hand from 2.x's _tensor_str.py.
static void test_edgeitems_zero(void **state) {
    (void)state;
    tl_pool *pool = tl_pool_push();
    int64_t v[6] = { 1, 2, 3, 4, 5, 6 };
    tl_set_printoptions((tl_printoptions){ 4, 2, 0, 80, -1 });
    char *a = strdup(tl_repr(tl_from_data(v, TL_SHAPE(6), TL_INT64)));
    char *b = strdup(tl_repr(tl_from_data(v, TL_SHAPE(2, 3), TL_FLOAT64)));
    tl_pool_pop(pool);
    assert_string_equal(a, "tensor([...])");
    assert_string_equal(b, "tensor([...], dtype=torch.float64)");
    free(a); free(b);
}

// Strings belong to the pool: many reprs in a scope, nothing left after it (the
// sanitizer and valgrind runs check the memory; this checks the tensors).
static void test_strings_die_with_their_pool(void **state) {
    (void)state;
    int64_t before = tl_live_tensors();
    for (int round = 0; round < 3; round++) {
        tl_pool *pool = tl_pool_push();
        float v[4] = { 0.5f, 1.5f, 2.5f, 3.5f };
        tl_tensor *t = tl_from_data(v, TL_SHAPE(2, 2), TL_FLOAT32);
        for (int k = 0; k < 200; k++) assert_non_null(tl_repr(t));
        assert_non_null(tl_shape_str(t));
        assert_non_null(tl_float_repr(0.1 * round));
        tl_pool_pop(pool);
    }
    assert_int_equal(tl_live_tensors(), before);
}

// ----------------------------------------------------------------------------

static const struct CMUnitTest FIXED_TESTS[] = {
    cmocka_unit_test_teardown(test_shape_str, reset_options),
    cmocka_unit_test_teardown(test_float_repr_tutorial, reset_options),
    cmocka_unit_test_teardown(test_float_repr_golden, reset_options),
    cmocka_unit_test_teardown(test_device_cuda, reset_options),
    cmocka_unit_test_teardown(test_print_writes_repr_and_newline, reset_options),
    cmocka_unit_test_teardown(test_print_null_prints_the_error, reset_options),
    cmocka_unit_test_teardown(test_null_passes_through, reset_options),
    cmocka_unit_test_teardown(test_printoptions_get_set, reset_options),
    cmocka_unit_test_teardown(test_edgeitems_zero, reset_options),
    cmocka_unit_test_teardown(test_strings_die_with_their_pool, reset_options),
};
#define N_FIXED (sizeof FIXED_TESTS / sizeof FIXED_TESTS[0])
#define N_GOLDEN (sizeof GOLDEN_PRINT / sizeof GOLDEN_PRINT[0])

static struct CMUnitTest tests[N_FIXED + N_GOLDEN];

int main(void) {
    memcpy(tests, FIXED_TESTS, sizeof FIXED_TESTS);
    for (size_t k = 0; k < N_GOLDEN; k++) {
        struct CMUnitTest *u = &tests[N_FIXED + k];
        u->name = GOLDEN_PRINT[k].name;
        u->test_func = test_golden_row;
        u->teardown_func = reset_options;
        u->initial_state = (void *)&GOLDEN_PRINT[k];
    }
    return cmocka_run_group_tests_name("ch01_print", tests, NULL, NULL);
}
