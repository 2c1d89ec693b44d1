// test_ch01_core.c — unit tests of chapter 01's core: errors, dtypes, pools, creation, the
// literal parser, element access, conversion and views (lib/tensor.h).
// Expected values and messages were derived with PyTorch 1.13 (python3 -c "import torch; ...")
// and are written here as literals; the derivation is given next to each.
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tensor.h"

// ----------------------------------------------------------------------------
// helpers
#define assert_error(kind, msg) do {                                 \
        assert_int_equal(tl_error_kind(), (kind));                   \
        assert_non_null(tl_error());                                 \
        assert_string_equal(tl_error(), (msg));                      \
        tl_error_clear();                                            \
    } while (0)

static void assert_shape(const tl_tensor *t, tl_shape s) {
    assert_non_null(t);
    assert_int_equal(t->ndim, s.ndim);
    for (int i = 0; i < s.ndim; i++) assert_int_equal(t->shape[i], s.d[i]);
}

static void assert_strides(const tl_tensor *t, tl_shape s) {
    assert_non_null(t);
    assert_int_equal(t->ndim, s.ndim);
    for (int i = 0; i < s.ndim; i++) assert_int_equal(t->stride[i], s.d[i]);
}

// the elements of t in row-major order, read through tl_get (any layout, any dtype)
static void assert_values(const tl_tensor *t, const double *want, int64_t n) {
    assert_non_null(t);
    assert_int_equal(tl_numel(t), n);
    int64_t idx[TL_MAX_DIMS] = { 0 };
    for (int64_t k = 0; k < n; k++) {
        tl_shape at = { t->ndim, { 0 } };
        for (int d = 0; d < t->ndim; d++) at.d[d] = idx[d];
        double v = tl_get(t, at);
        if (!(v == want[k] || (isnan(v) && isnan(want[k]))))
            fail_msg("element %lld: got %.17g, want %.17g", (long long)k, v, want[k]);
        for (int d = t->ndim - 1; d >= 0; d--) {
            if (++idx[d] < t->shape[d]) break;
            idx[d] = 0;
        }
    }
}
#define VALUES(t, ...) assert_values((t), (const double[]){ __VA_ARGS__ }, \
                                     (int64_t)(sizeof((const double[]){ __VA_ARGS__ }) / sizeof(double)))

static uint32_t f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static int setup(void **state) { (void)state; tl_error_clear(); return 0; }
static int teardown(void **state) {
    (void)state;
    if (tl_error()) fail_msg("test left an error recorded: %s", tl_error());
    return 0;
}

// ----------------------------------------------------------------------------
// errors
static void test_error_record(void **state) {
    (void)state;
    assert_null(tl_error());
    assert_int_equal(tl_error_kind(), TL_OK);
    tl_error_set(TL_INDEX_ERROR, "index %d is out of bounds for dimension %d with size %d", 5, 0, 4);
    assert_string_equal(tl_error_kind_name(tl_error_kind()), "IndexError");
    assert_error(TL_INDEX_ERROR, "index 5 is out of bounds for dimension 0 with size 4");
    assert_null(tl_error());
    // a message may quote the previous one
    tl_error_set(TL_VALUE_ERROR, "inner");
    tl_error_set(TL_RUNTIME_ERROR, "outer: %s", tl_error());
    assert_error(TL_RUNTIME_ERROR, "outer: inner");
    assert_string_equal(tl_error_kind_name(TL_RUNTIME_ERROR), "RuntimeError");
    assert_string_equal(tl_error_kind_name(TL_VALUE_ERROR), "ValueError");
    assert_string_equal(tl_error_kind_name(TL_TYPE_ERROR), "TypeError");
    // a very long message is cut, not overflowed
    char big[3000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    tl_error_set(TL_RUNTIME_ERROR, "%s", big);
    assert_true(strlen(tl_error()) < sizeof big - 1);
    tl_error_clear();
}

static void test_error_print(void **state) {
    (void)state;
    // tl_error_print writes "Kind: message" to stdout and clears; capture stdout in a pipe
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(stdout);
    int saved = dup(1);
    dup2(fds[1], 1);
    tl_error_set(TL_VALUE_ERROR, "expected sequence of length 2 at dim 1 (got 3)");
    tl_error_print();
    tl_error_print();                        // nothing recorded any more: prints nothing
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    close(fds[1]);
    char buf[256] = { 0 };
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    assert_true(n > 0);
    assert_string_equal(buf, "ValueError: expected sequence of length 2 at dim 1 (got 3)\n");
    assert_null(tl_error());
}

static void *thread_sets_error(void *arg) {
    (void)arg;
    tl_error_set(TL_TYPE_ERROR, "from the thread");
    // a tensor made outside any pool on this thread goes to the thread's root pool,
    // released when the thread ends
    tl_zeros(TL_SHAPE(4), TL_FLOAT32);
    return (void *)(intptr_t)(tl_error() && strcmp(tl_error(), "from the thread") == 0);
}

static void test_error_thread_local(void **state) {
    (void)state;
    int64_t live = tl_live_tensors();
    tl_error_set(TL_INDEX_ERROR, "main thread");
    pthread_t th;
    void *ok = NULL;
    assert_int_equal(pthread_create(&th, NULL, thread_sets_error, NULL), 0);
    assert_int_equal(pthread_join(th, &ok), 0);
    assert_true(ok != NULL);
    assert_error(TL_INDEX_ERROR, "main thread");           // untouched by the other thread
    assert_int_equal(tl_live_tensors(), live);            // its root pool went with it
}

// TL_CHECK aborts: run it in a child process and read what it wrote to stderr
static void run_check_child(int which, char *out, size_t n, int *status) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        signal(SIGABRT, SIG_DFL);
        tl_tensor *x = tl_zeros(TL_SHAPE(2, 3), TL_FLOAT32);
        if (which == 0) TL_CHECK(tl_view(tl_T(x), TL_SHAPE(6)));
        else TL_CHECK(x == NULL);
        _exit(0);                                  // not reached when TL_CHECK works
    }
    close(fds[1]);
    size_t k = 0;
    ssize_t r;
    while (k < n - 1 && (r = read(fds[0], out + k, n - 1 - k)) > 0) k += (size_t)r;
    out[k] = '\0';
    close(fds[0]);
    waitpid(pid, status, 0);
}

static void test_check_aborts_with_hint(void **state) {
    (void)state;
    char out[4096];
    int status;
    run_check_child(0, out, sizeof out, &status);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    assert_non_null(strstr(out, "test_ch01_core.c:"));
    assert_non_null(strstr(out, "TL_CHECK(tl_view(tl_T(x), TL_SHAPE(6))) failed"));
    assert_non_null(strstr(out, "RuntimeError: view size is not compatible with input tensor's size and stride"));
    assert_non_null(strstr(out, "HINT: "));
    assert_non_null(strstr(out, "tl_reshape"));
    run_check_child(1, out, sizeof out, &status);
    assert_true(WIFSIGNALED(status));
    assert_non_null(strstr(out, "TL_CHECK(x == NULL) failed"));
    assert_non_null(strstr(out, "HINT: "));
}

static void test_check_passes_value_once(void **state) {
    (void)state;
    static int calls;
    calls = 0;
    TL_SCOPE {
        tl_tensor *x = tl_zeros(TL_SHAPE(2, 3), TL_FLOAT32);
        int64_t live = tl_live_tensors();
        tl_tensor *y = TL_CHECK(tl_reshape(x, TL_SHAPE(3, 2)));   // evaluated once: one new tensor
        assert_int_equal(tl_live_tensors(), live + 1);
        assert_shape(y, TL_SHAPE(3, 2));
        calls += TL_CHECK(tl_set(y, TL_SHAPE(0, 0), 1.0)) ? 1 : 0;
        assert_int_equal(calls, 1);
    }
}

// ----------------------------------------------------------------------------
// dtypes
static void test_dtypes(void **state) {
    (void)state;
    assert_int_equal(tl_dtype_size(TL_BOOL), 1);
    assert_int_equal(tl_dtype_size(TL_INT64), 8);
    assert_int_equal(tl_dtype_size(TL_FLOAT32), 4);
    assert_int_equal(tl_dtype_size(TL_FLOAT64), 8);
    assert_string_equal(tl_dtype_name(TL_BOOL), "torch.bool");
    assert_string_equal(tl_dtype_name(TL_INT64), "torch.int64");
    assert_string_equal(tl_dtype_name(TL_FLOAT32), "torch.float32");
    assert_string_equal(tl_dtype_name(TL_FLOAT64), "torch.float64");
    assert_false(tl_dtype_is_floating(TL_BOOL));
    assert_false(tl_dtype_is_floating(TL_INT64));
    assert_true(tl_dtype_is_floating(TL_FLOAT32));
    assert_true(tl_dtype_is_floating(TL_FLOAT64));
    assert_null(tl_zeros(TL_SHAPE(2), (tl_dtype)42));
    assert_error(TL_TYPE_ERROR, "invalid dtype 42");
    assert_null(tl_node_name(NULL));
}

// ----------------------------------------------------------------------------
// pools
static void test_scope_frees_temporaries(void **state) {
    (void)state;
    int64_t start = tl_live_tensors();
    TL_SCOPE {
        tl_tensor *x = tl_ones(TL_SHAPE(2, 3), TL_FLOAT32);
        tl_tensor *v = tl_T(tl_reshape(tl_T(x), TL_SHAPE(2, 3)));   // nested temporaries
        assert_non_null(v);
        assert_int_equal(tl_live_tensors(), start + 4);
        assert_int_equal(x->storage->refcount, 2);                  // x, tl_T(x) (reshape copied)
    }
    assert_int_equal(tl_live_tensors(), start);
}

static void test_scope_nesting_and_retain(void **state) {
    (void)state;
    int64_t start = tl_live_tensors();
    tl_tensor *kept = NULL;
    TL_SCOPE {
        tl_tensor *a = tl_zeros(TL_SHAPE(3), TL_INT64);
        TL_SCOPE {
            tl_tensor *b = tl_ones(TL_SHAPE(3), TL_INT64);
            kept = tl_retain(b);                  // outlives both scopes
            tl_zeros(TL_SHAPE(5), TL_BOOL);
            assert_int_equal(tl_live_tensors(), start + 3);
        }
        assert_int_equal(tl_live_tensors(), start + 2);
        assert_int_equal(tl_get(a, TL_SHAPE(0)), 0);
    }
    assert_int_equal(tl_live_tensors(), start + 1);
    assert_int_equal(kept->refcount, 1);
    VALUES(kept, 1, 1, 1);
    tl_release(kept);
    assert_int_equal(tl_live_tensors(), start);
    tl_release(NULL);                             // NULL-safe
    assert_null(tl_retain(NULL));
}

static void test_views_keep_storage_alive(void **state) {
    (void)state;
    int64_t start = tl_live_tensors();
    tl_tensor *row = NULL;
    TL_SCOPE {
        tl_tensor *x = tl_tensor_parse("[[1, 2, 3], [4, 5, 6]]");
        row = tl_retain(tl_index(x, 1));         // a view; x itself dies with the scope
    }
    assert_int_equal(tl_live_tensors(), start + 1);
    assert_int_equal(row->storage->refcount, 1);
    VALUES(row, 4, 5, 6);                         // the storage outlived x
    tl_release(row);
    assert_int_equal(tl_live_tensors(), start);
}

static void test_pool_push_pop_and_adopt(void **state) {
    (void)state;
    int64_t start = tl_live_tensors();
    tl_pool *outer = tl_pool_push();
    tl_zeros(TL_SHAPE(2), TL_FLOAT32);
    char *s = tl_pool_adopt(malloc(32));          // freed by the pop (ASan/valgrind check it)
    assert_non_null(s);
    strcpy(s, "owned by the pool");
    assert_null(tl_pool_adopt(NULL));
    tl_pool_push();                               // an inner pool left open...
    tl_zeros(TL_SHAPE(2), TL_FLOAT32);
    assert_int_equal(tl_live_tensors(), start + 2);
    tl_pool_pop(outer);                           // ...is popped with its parent
    assert_int_equal(tl_live_tensors(), start);
    tl_pool_pop(NULL);                            // harmless
}

static void test_grad_released_with_tensor(void **state) {
    (void)state;
    int64_t start = tl_live_tensors();
    tl_tensor *w = NULL;
    TL_SCOPE {
        w = tl_retain(tl_zeros(TL_SHAPE(2), TL_FLOAT32));
        w->grad = tl_retain(tl_ones(TL_SHAPE(2), TL_FLOAT32));   // the tensor owns its grad
    }
    assert_int_equal(tl_live_tensors(), start + 2);
    tl_release(w);
    assert_int_equal(tl_live_tensors(), start);
}

// ----------------------------------------------------------------------------
// a NULL argument passes through and leaves the recorded error alone
static void test_null_passes_through(void **state) {
    (void)state;
    TL_SCOPE {
        tl_error_set(TL_INDEX_ERROR, "the first failure");
        assert_null(tl_zeros_like(NULL));
        assert_null(tl_ones_like(NULL));
        assert_null(tl_empty_like(NULL));
        assert_int_equal(tl_numel(NULL), 0);
        assert_false(tl_is_contiguous(NULL));
        assert_int_equal(tl_shape_of(NULL).ndim, 0);
        assert_null(tl_contiguous(NULL));
        assert_null(tl_clone(NULL));
        assert_null(tl_to_dtype(NULL, TL_FLOAT32));
        assert_null(tl_reshape(NULL, TL_SHAPE(2)));
        assert_null(tl_view(NULL, TL_SHAPE(2)));
        assert_null(tl_transpose(NULL, 0, 1));
        assert_null(tl_T(NULL));
        assert_null(tl_permute(NULL, TL_DIMS(1, 0)));
        assert_null(tl_squeeze(NULL, 0));
        assert_null(tl_unsqueeze(NULL, 0));
        assert_null(tl_flatten(NULL, 0, -1));
        assert_null(tl_expand(NULL, TL_SHAPE(2)));
        assert_null(tl_select(NULL, 0, 0));
        assert_null(tl_index(NULL, 0));
        assert_null(tl_slice(NULL, 0, 0, 1, 1));
        assert_true(isnan(tl_get(NULL, TL_SHAPE(0))));
        assert_false(tl_set(NULL, TL_SHAPE(0), 1));
        assert_true(isnan(tl_item(NULL)));
        assert_null(tl_T(tl_reshape(tl_index(NULL, 3), TL_SHAPE(-1))));  // a nested expression
        assert_error(TL_INDEX_ERROR, "the first failure");
    }
}

// ----------------------------------------------------------------------------
// creation
static void test_empty_zeros_ones_full(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *e = tl_empty(TL_SHAPE(2, 3), TL_FLOAT64);
        assert_shape(e, TL_SHAPE(2, 3));
        assert_strides(e, TL_SHAPE(3, 1));
        assert_int_equal(e->offset, 0);
        assert_int_equal(e->storage->nbytes, 48);
        assert_int_equal(e->refcount, 1);
        assert_int_equal(e->storage->refcount, 1);
        assert_int_equal(e->storage->device.type, TL_CPU);
        assert_int_equal(((uintptr_t)e->storage->data) % 64, 0);     // aligned for SIMD
        assert_false(e->requires_grad);
        assert_null(e->grad);
        assert_null(e->grad_fn);
        VALUES(tl_zeros(TL_SHAPE(2, 2), TL_INT64), 0, 0, 0, 0);
        VALUES(tl_ones(TL_SHAPE(3), TL_FLOAT32), 1, 1, 1);
        VALUES(tl_ones(TL_SHAPE(2), TL_BOOL), 1, 1);
        // torch.full((2,), 2.5, dtype=torch.int64) -> tensor([2, 2])
        VALUES(tl_full(TL_SHAPE(2), 2.5, TL_INT64), 2, 2);
        VALUES(tl_full(TL_SHAPE(2), -2.5, TL_INT64), -2, -2);
        // torch.full((2,), 3.0, dtype=torch.bool) -> tensor([True, True])
        VALUES(tl_full(TL_SHAPE(2), 3.0, TL_BOOL), 1, 1);
        VALUES(tl_full(TL_SHAPE(1, 2), 0.1, TL_FLOAT32), (float)0.1, (float)0.1);
        // strides of size-0/1 dims as PyTorch's: torch.empty(2, 0, 3).stride() == (3, 3, 1)
        assert_strides(tl_empty(TL_SHAPE(2, 0, 3), TL_FLOAT32), TL_SHAPE(3, 3, 1));
        assert_strides(tl_empty(TL_SHAPE(2, 1, 3), TL_FLOAT32), TL_SHAPE(3, 3, 1));
        tl_tensor *z = tl_zeros(TL_SHAPE(0), TL_FLOAT32);
        assert_int_equal(tl_numel(z), 0);
        // torch.empty(-1, 3)
        assert_null(tl_empty(TL_SHAPE(-1, 3), TL_FLOAT32));
        assert_error(TL_RUNTIME_ERROR, "Trying to create tensor with negative dimension -1: [-1, 3]");
        assert_null(tl_zeros(TL_SHAPE(2, -4), TL_INT64));
        assert_error(TL_RUNTIME_ERROR, "Trying to create tensor with negative dimension -4: [2, -4]");
        // torch.full((2,), 1e30, dtype=torch.int64) and float('nan')
        assert_null(tl_full(TL_SHAPE(2), 1e30, TL_INT64));
        assert_error(TL_RUNTIME_ERROR, "value cannot be converted to type int64_t without overflow");
        assert_null(tl_full(TL_SHAPE(2), NAN, TL_INT64));
        assert_error(TL_RUNTIME_ERROR, "value cannot be converted to type int64_t without overflow");
        assert_null(tl_empty((tl_shape){ 9, { 1 } }, TL_FLOAT32));
        assert_error(TL_RUNTIME_ERROR, "number of dimensions 9 is out of range [0, 8]");
        assert_null(tl_empty(TL_SHAPE(INT64_MAX / 2, 4), TL_FLOAT32));
        assert_error(TL_RUNTIME_ERROR, "tensor of shape [4611686018427387903, 4] is too large");
    }
}

static void test_like_and_scalar(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *x = tl_T(tl_tensor_parse("[[1.5, 2], [3, 4], [5, 6]]"));   // non-contiguous (2, 3)
        tl_tensor *z = tl_zeros_like(x), *o = tl_ones_like(x), *e = tl_empty_like(x);
        assert_shape(z, TL_SHAPE(2, 3));
        assert_shape(o, TL_SHAPE(2, 3));
        assert_shape(e, TL_SHAPE(2, 3));
        assert_int_equal(z->dtype, TL_FLOAT32);
        assert_true(tl_is_contiguous(e));
        assert_true(e->storage != x->storage);
        VALUES(z, 0, 0, 0, 0, 0, 0);
        VALUES(o, 1, 1, 1, 1, 1, 1);
        tl_tensor *s = tl_scalar(7.5, TL_FLOAT64);
        assert_int_equal(s->ndim, 0);
        assert_int_equal(tl_numel(s), 1);
        assert_true(tl_is_contiguous(s));
        assert_true(tl_item(s) == 7.5);
        assert_true(tl_get(s, TL_SCALAR_SHAPE) == 7.5);
        assert_true(tl_item(tl_scalar(3.9, TL_INT64)) == 3);
        assert_true(tl_item(tl_scalar(-0.0, TL_BOOL)) == 0);
    }
}

static void test_from_data(void **state) {
    (void)state;
    TL_SCOPE {
        float data[6] = { 1, 2, 3, 4, 5, 6 };
        tl_tensor *x = tl_from_data(data, TL_SHAPE(2, 3), TL_FLOAT32);
        data[0] = 100;                            // copied: later writes do not show
        VALUES(x, 1, 2, 3, 4, 5, 6);
        int64_t big[2] = { INT64_MAX, INT64_MIN };
        tl_tensor *b = tl_from_data(big, TL_SHAPE(2), TL_INT64);
        assert_true(TL_DATA(b, int64_t)[0] == INT64_MAX);
        assert_true(TL_DATA(b, int64_t)[1] == INT64_MIN);
        assert_non_null(tl_from_data(NULL, TL_SHAPE(0, 3), TL_FLOAT32));
        assert_null(tl_from_data(NULL, TL_SHAPE(2, 3), TL_FLOAT32));
        assert_error(TL_VALUE_ERROR, "tl_from_data: data is NULL but the shape holds 6 elements");
    }
}

static void test_arange(void **state) {
    (void)state;
    TL_SCOPE {
        // torch.arange(0, 10, 2), torch.arange(0, 10, 3), torch.arange(10, 0, -3), torch.arange(-5, 5, 3)
        tl_tensor *a = tl_arange(0, 10, 2);
        assert_int_equal(a->dtype, TL_INT64);
        VALUES(a, 0, 2, 4, 6, 8);
        VALUES(tl_arange(0, 10, 3), 0, 3, 6, 9);
        VALUES(tl_arange(10, 0, -3), 10, 7, 4, 1);
        VALUES(tl_arange(-5, 5, 3), -5, -2, 1, 4);
        assert_int_equal(tl_numel(tl_arange(0, 0, 1)), 0);
        assert_null(tl_arange(0, 10, 0));
        assert_error(TL_RUNTIME_ERROR, "step must be nonzero");
        assert_null(tl_arange(0, 10, -1));
        assert_error(TL_RUNTIME_ERROR, "upper bound and larger bound inconsistent with step sign");
        assert_null(tl_arange(10, 0, 1));
        assert_error(TL_RUNTIME_ERROR, "upper bound and larger bound inconsistent with step sign");
        // torch.arange(0, 1, 0.1): float32, bit patterns of the values
        tl_tensor *f = tl_arange_dtype(0, 1, 0.1, TL_FLOAT32);
        static const uint32_t want[10] = { 0x00000000, 0x3dcccccd, 0x3e4ccccd, 0x3e99999a, 0x3ecccccd,
                                           0x3f000000, 0x3f19999a, 0x3f333333, 0x3f4ccccd, 0x3f666666 };
        assert_int_equal(tl_numel(f), 10);
        for (int i = 0; i < 10; i++) assert_int_equal(f32_bits(TL_DATA(f, float)[i]), want[i]);
        // torch.arange(0, 1, 0.1, dtype=torch.float64)[3] == 0.30000000000000004
        tl_tensor *d = tl_arange_dtype(0, 1, 0.1, TL_FLOAT64);
        assert_true(TL_DATA(d, double)[3] == 0.30000000000000004);
        VALUES(tl_arange_dtype(1.0, 2.0, 0.25, TL_FLOAT32), 1.0, 1.25, 1.5, 1.75);
        VALUES(tl_arange_dtype(0, -1, -0.3, TL_FLOAT32), 0, (float)-0.3, (float)-0.6, (float)-0.9);
        // torch.arange(0.5, 3, 1, dtype=torch.int64) -> tensor([0, 1, 2])
        VALUES(tl_arange_dtype(0.5, 3, 1, TL_INT64), 0, 1, 2);
        assert_null(tl_arange_dtype(0, 3, 1, TL_BOOL));
        assert_error(TL_RUNTIME_ERROR, "\"arange_cpu\" not implemented for 'Bool'");
        assert_null(tl_arange_dtype(0, 1, 0, TL_FLOAT32));
        assert_error(TL_RUNTIME_ERROR, "step must be nonzero");
        assert_null(tl_arange_dtype(1, 0, 0.5, TL_FLOAT64));
        assert_error(TL_RUNTIME_ERROR, "upper bound and larger bound inconsistent with step sign");
    }
}

static void check_linspace(double start, double end, int64_t steps, const uint32_t *want) {
    tl_tensor *t = tl_linspace(start, end, steps);
    assert_non_null(t);
    assert_int_equal(t->dtype, TL_FLOAT32);
    assert_int_equal(tl_numel(t), steps);
    for (int64_t i = 0; i < steps; i++)
        if (f32_bits(TL_DATA(t, float)[i]) != want[i])
            fail_msg("linspace(%g, %g, %lld)[%lld]: got 0x%08x, want 0x%08x", start, end, (long long)steps,
                     (long long)i, f32_bits(TL_DATA(t, float)[i]), want[i]);
}

static void test_linspace_bit_exact(void **state) {
    (void)state;
    TL_SCOPE {
        // struct.pack('<f', v) of torch.linspace(...).tolist(), as hex
        check_linspace(0, 1, 5, (const uint32_t[]){ 0x00000000, 0x3e800000, 0x3f000000, 0x3f400000, 0x3f800000 });
        // the middle element is -2.98e-08, not 0: 1 - 3*step rounded once (fma)
        check_linspace(-1, 1, 7, (const uint32_t[]){ 0xbf800000, 0xbf2aaaaa, 0xbeaaaaaa, 0xb3000000,
                                                      0x3eaaaaaa, 0x3f2aaaaa, 0x3f800000 });
        // first-half elements are fused too: element 3 is 2.8000002, not the 2.8 of two roundings
        check_linspace(0.1, 7.3, 9, (const uint32_t[]){ 0x3dcccccd, 0x3f800000, 0x3ff33334, 0x40333334, 0x406ccccd,
                                                         0x40933333, 0x40b00000, 0x40cccccd, 0x40e9999a });
        // 33 points: two blocks of 16 (AVX2 pairs of 8) then one element alone
        check_linspace(0.1, 7.3, 33, (const uint32_t[]){
            0x3dcccccd, 0x3ea66667, 0x3f0ccccd, 0x3f466667, 0x3f800000, 0x3f9ccccd, 0x3fb9999a, 0x3fd66667,
            0x3ff33334, 0x40080000, 0x40166667, 0x4024cccd, 0x40333334, 0x4041999a, 0x40500000, 0x405e6667,
            0x406ccccd, 0x407b3333, 0x4084cccd, 0x408c0000, 0x40933333, 0x409a6666, 0x40a1999a, 0x40a8cccd,
            0x40b00000, 0x40b73333, 0x40be6666, 0x40c5999a, 0x40cccccd, 0x40d40000, 0x40db3333, 0x40e26666,
            0x40e9999a });
        // torch.linspace(0, 1, 100)[i] for i in (15, 31, 49, 50, 91, 99)
        tl_tensor *h = tl_linspace(0, 1, 100);
        static const int at[6] = { 15, 31, 49, 50, 91, 99 };
        static const uint32_t want[6] = { 0x3e1b26ca, 0x3ea052c0, 0x3efd6a06, 0x3f014afe, 0x3f6b502a, 0x3f800000 };
        for (int i = 0; i < 6; i++) assert_int_equal(f32_bits(TL_DATA(h, float)[at[i]]), want[i]);
        VALUES(tl_linspace(2, 5, 1), 2);
        assert_int_equal(tl_numel(tl_linspace(0, 1, 0)), 0);
        assert_null(tl_linspace(0, 1, -1));
        assert_error(TL_RUNTIME_ERROR, "number of steps must be non-negative");
    }
}

static void test_eye(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *e = tl_eye(3);
        assert_int_equal(e->dtype, TL_FLOAT32);
        VALUES(e, 1, 0, 0, 0, 1, 0, 0, 0, 1);
        assert_shape(tl_eye(0), TL_SHAPE(0, 0));
        assert_null(tl_eye(-1));
        assert_error(TL_RUNTIME_ERROR, "n must be greater or equal to 0, got -1");
    }
}

// ----------------------------------------------------------------------------
// the literal parser
static void test_parse_values_and_dtypes(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *x = tl_tensor_parse("[[1, 2, 3], [4, 5, 6]]");
        assert_int_equal(x->dtype, TL_INT64);
        assert_shape(x, TL_SHAPE(2, 3));
        VALUES(x, 1, 2, 3, 4, 5, 6);
        tl_tensor *f = tl_tensor_parse("  [ -.5 ,2e3,-1E-2, +3 ]  ");      // spaces, exponents, signs
        assert_int_equal(f->dtype, TL_FLOAT32);
        VALUES(f, -0.5, 2000, (float)-0.01, 3);
        tl_tensor *b = tl_tensor_parse("[[True, False]]");
        assert_int_equal(b->dtype, TL_BOOL);
        VALUES(b, 1, 0);
        // torch.tensor([True, 2]) -> int64; torch.tensor([True, 2.5]) -> float32
        tl_tensor *bi = tl_tensor_parse("[True, 2]");
        assert_int_equal(bi->dtype, TL_INT64);
        VALUES(bi, 1, 2);
        assert_int_equal(tl_tensor_parse("[True, 2.5]")->dtype, TL_FLOAT32);
        assert_int_equal(tl_tensor_parse("[1, 2.]")->dtype, TL_FLOAT32);
        // 0-d, empty lists
        tl_tensor *s = tl_tensor_parse("3");
        assert_int_equal(s->ndim, 0);
        assert_int_equal(s->dtype, TL_INT64);
        assert_true(tl_item(s) == 3);
        assert_true(tl_item(tl_tensor_parse("-1e-3")) == (float)-1e-3);
        tl_tensor *e = tl_tensor_parse("[]");
        assert_shape(e, TL_SHAPE(0));
        assert_int_equal(e->dtype, TL_FLOAT32);
        assert_shape(tl_tensor_parse("[[], []]"), TL_SHAPE(2, 0));
        // torch.tensor([[], [1]]) and torch.tensor([[], 3]) are accepted as (2, 0) float32: the shape comes
        // from the first items, and an empty result is not checked further
        tl_tensor *e2 = tl_tensor_parse("[[], [1]]");
        assert_shape(e2, TL_SHAPE(2, 0));
        assert_int_equal(e2->dtype, TL_FLOAT32);
        assert_shape(tl_tensor_parse("[[], 3]"), TL_SHAPE(2, 0));
        // int64 limits are exact; torch.tensor([1e40]) is inf in float32
        tl_tensor *big = tl_tensor_parse("[9223372036854775807, -9223372036854775808]");
        assert_true(TL_DATA(big, int64_t)[0] == INT64_MAX);
        assert_true(TL_DATA(big, int64_t)[1] == INT64_MIN);
        assert_true(isinf(tl_item(tl_tensor_parse("[1e40]"))));
        VALUES(tl_tensor_parse("[1, 2, ]"), 1, 2);                        // Python allows the trailing comma
        assert_shape(tl_tensor_parse("[[[1], [2]], [[3], [4]]]"), TL_SHAPE(2, 2, 1));
        // with a dtype: torch.tensor([1.5, -2.7], dtype=torch.int64) -> tensor([1, -2])
        tl_tensor *t = tl_tensor_parse_dtype("[1.5, -2.7]", TL_INT64);
        assert_int_equal(t->dtype, TL_INT64);
        VALUES(t, 1, -2);
        tl_tensor *d = tl_tensor_parse_dtype("[[1, 2], [3, 4]]", TL_FLOAT64);
        assert_int_equal(d->dtype, TL_FLOAT64);
        VALUES(d, 1, 2, 3, 4);
        assert_null(tl_tensor_parse_dtype("[1]", (tl_dtype)-3));
        assert_error(TL_TYPE_ERROR, "invalid dtype -3");
    }
}

static void test_parse_errors(void **state) {
    (void)state;
    TL_SCOPE {
        int64_t live = tl_live_tensors();
        // torch.tensor([[1, 2], [3, 4, 5]]) and friends
        assert_null(tl_tensor_parse("[[1, 2], [3, 4, 5]]"));
        assert_error(TL_VALUE_ERROR, "expected sequence of length 2 at dim 1 (got 3)");
        assert_null(tl_tensor_parse("[[1], []]"));
        assert_error(TL_VALUE_ERROR, "expected sequence of length 1 at dim 1 (got 0)");
        assert_null(tl_tensor_parse("[[[1], [2]], [[3], [4, 5]]]"));
        assert_error(TL_VALUE_ERROR, "expected sequence of length 1 at dim 2 (got 2)");
        assert_null(tl_tensor_parse("[[1, 2], 3]"));
        assert_error(TL_TYPE_ERROR, "not a sequence");
        assert_null(tl_tensor_parse("[1, [2]]"));
        assert_error(TL_TYPE_ERROR, "'list' object cannot be interpreted as an integer");
        assert_null(tl_tensor_parse("[9223372036854775808]"));              // torch.tensor([2**63])
        assert_error(TL_RUNTIME_ERROR, "Overflow when unpacking long");
        // syntax errors name the (1-based) column
        assert_null(tl_tensor_parse("[1, , 2]"));
        assert_error(TL_VALUE_ERROR, "expected a number at column 5 in \"[1, , 2]\"");
        assert_null(tl_tensor_parse("[1 2]"));
        assert_error(TL_VALUE_ERROR, "expected ',' or ']' at column 4 in \"[1 2]\"");
        assert_null(tl_tensor_parse("[1, 2"));
        assert_error(TL_VALUE_ERROR, "expected ',' or ']' at column 6 in \"[1, 2\"");
        assert_null(tl_tensor_parse("[1, 2]]"));
        assert_error(TL_VALUE_ERROR, "expected the end of the literal at column 7 in \"[1, 2]]\"");
        assert_null(tl_tensor_parse("[1e, 2]"));
        assert_error(TL_VALUE_ERROR, "expected a digit in the exponent at column 4 in \"[1e, 2]\"");
        assert_null(tl_tensor_parse("[true]"));
        assert_error(TL_VALUE_ERROR, "expected a number at column 2 in \"[true]\"");
        assert_null(tl_tensor_parse("[Truex]"));
        assert_error(TL_VALUE_ERROR, "expected a number at column 2 in \"[Truex]\"");
        assert_null(tl_tensor_parse("[12a]"));
        assert_error(TL_VALUE_ERROR, "expected ',' or ']' at column 4 in \"[12a]\"");
        assert_null(tl_tensor_parse(""));
        assert_error(TL_VALUE_ERROR, "expected a number at column 1 in \"\"");
        assert_null(tl_tensor_parse("[[[[[[[[[1]]]]]]]]]"));                  // 9 dims
        assert_error(TL_VALUE_ERROR, "too many dimensions (Torchlet tensors have at most 8)");
        assert_null(tl_tensor_parse(NULL));
        assert_error(TL_VALUE_ERROR, "tl_tensor_parse: the literal is NULL");
        assert_int_equal(tl_live_tensors(), live);                          // failures make no tensor
    }
}

// ----------------------------------------------------------------------------
// shape queries, copies, conversion
static void test_numel_contiguity_shape_of(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *x = tl_zeros(TL_SHAPE(2, 3, 4), TL_FLOAT32);
        assert_int_equal(tl_numel(x), 24);
        assert_true(tl_is_contiguous(x));
        assert_false(tl_is_contiguous(tl_T(x)));
        assert_false(tl_is_contiguous(tl_slice(x, 2, 0, 4, 2)));
        assert_true(tl_is_contiguous(tl_slice(x, 0, 1, 2, 1)));      // x[1:2] is still row-major
        assert_true(tl_is_contiguous(tl_unsqueeze(x, 0)));
        assert_false(tl_is_contiguous(tl_expand(tl_zeros(TL_SHAPE(1, 3), TL_FLOAT32), TL_SHAPE(2, 3))));
        tl_shape s = tl_shape_of(x);
        assert_int_equal(s.ndim, 3);
        assert_int_equal(s.d[0], 2);
        assert_int_equal(s.d[2], 4);
        assert_int_equal(tl_numel(tl_scalar(1, TL_FLOAT32)), 1);
        assert_int_equal(tl_shape_of(tl_scalar(1, TL_FLOAT32)).ndim, 0);
    }
}

static void test_contiguous_and_clone(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *x = tl_tensor_parse("[[1, 2, 3], [4, 5, 6]]");
        tl_tensor *c = tl_contiguous(x);
        assert_ptr_equal(c, x);                       // already contiguous: x itself, one more owner
        assert_int_equal(x->refcount, 2);
        tl_tensor *t = tl_T(x);
        tl_tensor *tc = tl_contiguous(t);             // x.T.contiguous(): a copy, strides (2, 1)
        assert_true(tc->storage != x->storage);
        assert_strides(tc, TL_SHAPE(2, 1));
        VALUES(tc, 1, 4, 2, 5, 3, 6);
        tl_tensor *k = tl_clone(x);
        assert_true(k != x && k->storage != x->storage);
        tl_set(k, TL_SHAPE(0, 0), 100);
        assert_true(tl_get(x, TL_SHAPE(0, 0)) == 1);
        VALUES(tl_clone(tl_slice(x, 1, 0, TL_END, 2)), 1, 3, 4, 6);
        VALUES(tl_clone(tl_expand(tl_tensor_parse("[[7], [8]]"), TL_SHAPE(2, 3))), 7, 7, 7, 8, 8, 8);
        tl_tensor *s = tl_clone(tl_scalar(2.5, TL_FLOAT32));
        assert_int_equal(s->ndim, 0);
        assert_true(tl_item(s) == 2.5);
        VALUES(tl_clone(tl_T(tl_tensor_parse("[[True, False], [False, False]]"))), 1, 0, 0, 0);
    }
}

static void test_to_dtype(void **state) {
    (void)state;
    TL_SCOPE {
        // torch.tensor([1.9, -1.9, 0.5, inf, -inf, nan]).to(torch.int64): truncation toward zero;
        // inf and nan come out as -9223372036854775808 (x86's answer)
        tl_tensor *f = tl_tensor_parse("[1.9, -1.9, 0.5, 1e40, -1e40]");
        tl_tensor *i = tl_to_dtype(f, TL_INT64);
        assert_int_equal(i->dtype, TL_INT64);
        int64_t *p = TL_DATA(i, int64_t);
        assert_true(p[0] == 1 && p[1] == -1 && p[2] == 0 && p[3] == INT64_MIN && p[4] == INT64_MIN);
        tl_tensor *n = tl_full(TL_SHAPE(1), NAN, TL_FLOAT64);
        assert_true(TL_DATA(tl_to_dtype(n, TL_INT64), int64_t)[0] == INT64_MIN);
        // torch.tensor([0.0, -0.5, 2]).to(torch.bool) -> [False, True, True]; nan is True
        VALUES(tl_to_dtype(tl_tensor_parse("[0.0, -0.5, 2]"), TL_BOOL), 0, 1, 1);
        VALUES(tl_to_dtype(n, TL_BOOL), 1);
        VALUES(tl_to_dtype(tl_tensor_parse("[2, 0, -3]"), TL_BOOL), 1, 0, 1);
        VALUES(tl_to_dtype(tl_tensor_parse("[True, False]"), TL_FLOAT32), 1, 0);
        tl_tensor *d = tl_to_dtype(tl_tensor_parse("[0.1]"), TL_FLOAT64);
        assert_true(TL_DATA(d, double)[0] == (double)0.1f);    // float32 0.1 widened exactly
        tl_tensor *g = tl_to_dtype(tl_arange(0, 4, 1), TL_FLOAT64);
        VALUES(g, 0, 1, 2, 3);
        // a non-contiguous source converts in row-major order
        VALUES(tl_to_dtype(tl_T(tl_tensor_parse("[[1, 2, 3], [4, 5, 6]]")), TL_FLOAT32), 1, 4, 2, 5, 3, 6);
        VALUES(tl_to_dtype(tl_scalar(-7.9, TL_FLOAT32), TL_INT64), -7);
        tl_tensor *same = tl_to_dtype(f, TL_FLOAT32);             // PyTorch returns self
        assert_ptr_equal(same, f);
        assert_null(tl_to_dtype(f, (tl_dtype)7));
        assert_error(TL_TYPE_ERROR, "invalid dtype 7");
    }
}

// ----------------------------------------------------------------------------
// element access
static void test_get_set_item(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *x = tl_tensor_parse("[[1, 2, 3], [4, 5, 6]]");
        assert_true(tl_get(x, TL_SHAPE(1, 2)) == 6);
        assert_true(tl_get(x, TL_SHAPE(-1, -3)) == 4);                 // negative counts from the end
        assert_true(tl_set(x, TL_SHAPE(0, 1), 20.7));                  // x[0, 1] = 20.7 -> 20 (int64)
        assert_true(tl_get(x, TL_SHAPE(0, 1)) == 20);
        assert_true(tl_get(tl_T(x), TL_SHAPE(1, 0)) == 20);             // seen through a view
        tl_tensor *b = tl_zeros(TL_SHAPE(2), TL_BOOL);
        assert_true(tl_set(b, TL_SHAPE(1), -0.5));
        VALUES(b, 0, 1);
        tl_tensor *f = tl_zeros(TL_SHAPE(2), TL_FLOAT32);
        assert_true(tl_set(f, TL_SHAPE(0), 0.1));
        assert_true(tl_get(f, TL_SHAPE(0)) == (double)0.1f);
        // x[2, 0] on a (2, 3) tensor; x[:, 5]
        assert_true(isnan(tl_get(x, TL_SHAPE(2, 0))));
        assert_error(TL_INDEX_ERROR, "index 2 is out of bounds for dimension 0 with size 2");
        assert_false(tl_set(x, TL_SHAPE(0, 5), 1));
        assert_error(TL_INDEX_ERROR, "index 5 is out of bounds for dimension 1 with size 3");
        assert_true(isnan(tl_get(x, TL_SHAPE(-3, 0))));
        assert_error(TL_INDEX_ERROR, "index -3 is out of bounds for dimension 0 with size 2");
        assert_true(isnan(tl_get(x, TL_SHAPE(1))));
        assert_error(TL_INDEX_ERROR, "tl_get: 1 indices given for a tensor of dimension 2 (one per dimension needed)");
        assert_false(tl_set(x, TL_SHAPE(0, 0), 1e30));
        assert_error(TL_RUNTIME_ERROR, "value cannot be converted to type int64_t without overflow");
        assert_true(tl_get(x, TL_SHAPE(0, 0)) == 1);                   // unchanged by the failed set
        // item
        assert_true(tl_item(tl_index(tl_index(x, 1), 2)) == 6);
        assert_true(tl_item(tl_tensor_parse("[[2.5]]")) == 2.5);
        assert_true(isnan(tl_item(x)));
        assert_error(TL_RUNTIME_ERROR, "a Tensor with 6 elements cannot be converted to Scalar");
        assert_true(isnan(tl_item(tl_tensor_parse("[]"))));
        assert_error(TL_RUNTIME_ERROR, "a Tensor with 0 elements cannot be converted to Scalar");
        // the one element of a slice that does not start at 0: torch.zeros(4)[1:2].item()
        tl_tensor *a = tl_arange(0, 4, 1);
        assert_true(tl_item(tl_slice(a, 0, 2, 3, 1)) == 2);
    }
}

// ----------------------------------------------------------------------------
// views: reshape, view, transpose, T, permute
static void test_reshape_view_or_copy(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *x = tl_tensor_parse("[[1, 2, 3], [4, 5, 6]]");
        tl_tensor *r = tl_reshape(x, TL_SHAPE(3, -1));                 // -1 -> 2; a view
        assert_shape(r, TL_SHAPE(3, 2));
        assert_strides(r, TL_SHAPE(2, 1));
        assert_ptr_equal(r->storage, x->storage);
        tl_set(r, TL_SHAPE(0, 0), 10);
        assert_true(tl_get(x, TL_SHAPE(0, 0)) == 10);                  // shares the storage
        tl_tensor *t = tl_T(x);
        tl_tensor *c = tl_reshape(t, TL_SHAPE(6));                     // x.T.reshape(6): must copy
        assert_true(c->storage != x->storage);
        VALUES(c, 10, 4, 2, 5, 3, 6);
        tl_tensor *same = tl_reshape(t, TL_SHAPE(3, 2));               // same shape: a view, strides (1, 3)
        assert_ptr_equal(same->storage, x->storage);
        assert_strides(same, TL_SHAPE(1, 3));
        // 0-d <-> 1 element
        tl_tensor *s = tl_scalar(5, TL_INT64);
        assert_strides(tl_reshape(s, TL_SHAPE(1, 1, 1)), TL_SHAPE(1, 1, 1));
        tl_tensor *back = tl_reshape(tl_reshape(s, TL_SHAPE(1)), TL_SCALAR_SHAPE);
        assert_int_equal(back->ndim, 0);
        assert_shape(tl_reshape(s, TL_SHAPE(-1)), TL_SHAPE(1));
        // zero elements
        assert_shape(tl_reshape(tl_zeros(TL_SHAPE(0, 3), TL_FLOAT32), TL_SHAPE(-1)), TL_SHAPE(0));
        // x.reshape(4, 4), x.reshape(-1, -1), x.reshape(-2, 3), x.reshape(-1, 4), x.reshape(0, -1)
        assert_null(tl_reshape(x, TL_SHAPE(4, 4)));
        assert_error(TL_RUNTIME_ERROR, "shape '[4, 4]' is invalid for input of size 6");
        assert_null(tl_reshape(x, TL_SHAPE(-1, -1)));
        assert_error(TL_RUNTIME_ERROR, "only one dimension can be inferred");
        assert_null(tl_reshape(x, TL_SHAPE(-2, 3)));
        assert_error(TL_RUNTIME_ERROR, "invalid shape dimension -2");
        assert_null(tl_reshape(x, TL_SHAPE(-1, 4)));
        assert_error(TL_RUNTIME_ERROR, "shape '[-1, 4]' is invalid for input of size 6");
        assert_null(tl_reshape(x, TL_SHAPE(0, -1)));
        assert_error(TL_RUNTIME_ERROR, "shape '[0, -1]' is invalid for input of size 6");
        assert_null(tl_reshape(tl_zeros(TL_SHAPE(0, 3), TL_FLOAT32), TL_SHAPE(-1, 0)));
        assert_error(TL_RUNTIME_ERROR, "cannot reshape tensor of 0 elements into shape [-1, 0] because the "
                     "unspecified dimension size -1 can be any value and is ambiguous");
    }
}

static void test_view_stride_rule(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *x = tl_tensor_parse("[[1, 2, 3], [4, 5, 6]]");
        tl_tensor *v = tl_view(x, TL_SHAPE(3, -1));
        assert_strides(v, TL_SHAPE(2, 1));
        assert_ptr_equal(v->storage, x->storage);
        // x.T.view(6): the classic failure
        assert_null(tl_view(tl_T(x), TL_SHAPE(6)));
        assert_error(TL_RUNTIME_ERROR, "view size is not compatible with input tensor's size and stride (at least "
                     "one dimension spans across two contiguous subspaces). Use .reshape(...) instead.");
        // y = torch.arange(24).reshape(2, 3, 4)
        tl_tensor *y = tl_reshape(tl_arange(0, 24, 1), TL_SHAPE(2, 3, 4));
        tl_tensor *p = tl_permute(y, TL_DIMS(1, 0, 2));                 // strides (4, 12, 1)
        // y.permute(1, 0, 2).view(3, 2, 2, 2).stride() == (4, 12, 2, 1): splitting a dim is fine
        assert_strides(tl_view(p, TL_SHAPE(3, 2, 2, 2)), TL_SHAPE(4, 12, 2, 1));
        assert_null(tl_view(p, TL_SHAPE(6, 4)));                       // merging 3 and 2 is not
        assert_error(TL_RUNTIME_ERROR, "view size is not compatible with input tensor's size and stride (at least "
                     "one dimension spans across two contiguous subspaces). Use .reshape(...) instead.");
        // torch.zeros(2, 3)[:, 1:2].view(2).stride() == (3,): size-1 dims do not matter
        assert_strides(tl_view(tl_slice(tl_zeros(TL_SHAPE(2, 3), TL_FLOAT32), 1, 1, 2, 1), TL_SHAPE(2)),
                       TL_SHAPE(3));
        // y[:, 0:1].view(2, 4).stride() == (12, 1)
        assert_strides(tl_view(tl_slice(y, 1, 0, 1, 1), TL_SHAPE(2, 4)), TL_SHAPE(12, 1));
        // torch.empty(0, 3).view(3, 0).stride() == (1, 1)
        assert_strides(tl_view(tl_empty(TL_SHAPE(0, 3), TL_FLOAT32), TL_SHAPE(3, 0)), TL_SHAPE(1, 1));
        assert_strides(tl_view(tl_scalar(5, TL_INT64), TL_SHAPE(1, 1)), TL_SHAPE(1, 1));
        assert_null(tl_view(x, TL_SHAPE(4)));
        assert_error(TL_RUNTIME_ERROR, "shape '[4]' is invalid for input of size 6");
        // a view keeps the offset of a sliced tensor
        tl_tensor *row = tl_view(tl_index(x, 1), TL_SHAPE(3, 1));
        assert_int_equal(row->offset, 3);
        VALUES(row, 4, 5, 6);
    }
}

static void test_transpose_T_permute(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *x = tl_tensor_parse("[[1, 2, 3], [4, 5, 6]]");
        tl_tensor *t = tl_T(x);                                        // x.T.stride() == (1, 3)
        assert_shape(t, TL_SHAPE(3, 2));
        assert_strides(t, TL_SHAPE(1, 3));
        assert_ptr_equal(t->storage, x->storage);
        assert_int_equal(x->storage->refcount, 2);
        VALUES(t, 1, 4, 2, 5, 3, 6);
        tl_tensor *y = tl_reshape(tl_arange(0, 24, 1), TL_SHAPE(2, 3, 4));
        assert_strides(tl_transpose(y, 0, 2), TL_SHAPE(1, 4, 12));     // y.transpose(0, 2).stride()
        assert_strides(tl_transpose(y, -1, 0), TL_SHAPE(1, 4, 12));
        assert_strides(tl_T(y), TL_SHAPE(1, 4, 12));
        tl_tensor *p = tl_permute(y, TL_DIMS(2, 0, 1));                // y.permute(2, 0, 1).stride() == (1, 12, 4)
        assert_shape(p, TL_SHAPE(4, 2, 3));
        assert_strides(p, TL_SHAPE(1, 12, 4));
        assert_true(tl_get(p, TL_SHAPE(3, 1, 2)) == 23);
        assert_int_equal(tl_transpose(tl_scalar(1, TL_FLOAT32), 0, 0)->ndim, 0);   // 0-d: allowed
        assert_int_equal(tl_T(tl_scalar(1, TL_FLOAT32))->ndim, 0);
        assert_null(tl_transpose(x, 0, 2));
        assert_error(TL_INDEX_ERROR, "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
        assert_null(tl_transpose(x, -3, 0));
        assert_error(TL_INDEX_ERROR, "Dimension out of range (expected to be in range of [-2, 1], but got -3)");
        assert_null(tl_permute(x, TL_DIMS(0, 1, 2)));
        assert_error(TL_RUNTIME_ERROR, "permute(sparse_coo): number of dimensions in the tensor input does not match "
                     "the length of the desired ordering of dimensions i.e. input.dim() = 2 is not equal to "
                     "len(dims) = 3");
        assert_null(tl_permute(x, TL_DIMS(0, 0)));
        assert_error(TL_RUNTIME_ERROR, "permute(): duplicate dims are not allowed.");
        assert_null(tl_permute(x, TL_DIMS(0, 2)));
        assert_error(TL_INDEX_ERROR, "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
    }
}

static void test_squeeze_unsqueeze_flatten(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *x = tl_tensor_parse("[[1, 2, 3], [4, 5, 6]]");
        // x.unsqueeze(1).stride() == (3, 3, 1); x.unsqueeze(2) -> (3, 1, 1); x.T.unsqueeze(0) -> (3, 1, 3)
        assert_strides(tl_unsqueeze(x, 1), TL_SHAPE(3, 3, 1));
        assert_strides(tl_unsqueeze(x, 2), TL_SHAPE(3, 1, 1));
        assert_strides(tl_unsqueeze(x, -1), TL_SHAPE(3, 1, 1));
        assert_strides(tl_unsqueeze(tl_T(x), 0), TL_SHAPE(3, 1, 3));
        assert_shape(tl_unsqueeze(tl_scalar(1, TL_FLOAT32), 0), TL_SHAPE(1));
        assert_null(tl_unsqueeze(x, 3));
        assert_error(TL_INDEX_ERROR, "Dimension out of range (expected to be in range of [-3, 2], but got 3)");
        assert_null(tl_unsqueeze(x, -4));
        assert_error(TL_INDEX_ERROR, "Dimension out of range (expected to be in range of [-3, 2], but got -4)");
        tl_tensor *u = tl_unsqueeze(x, 0);
        tl_tensor *s = tl_squeeze(u, 0);
        assert_shape(s, TL_SHAPE(2, 3));
        assert_strides(s, TL_SHAPE(3, 1));
        assert_shape(tl_squeeze(x, 0), TL_SHAPE(2, 3));                // size 2: nothing to squeeze
        assert_strides(tl_squeeze(tl_zeros(TL_SHAPE(1, 3), TL_FLOAT32), 0), TL_SHAPE(1));
        assert_int_equal(tl_squeeze(tl_scalar(1, TL_FLOAT32), 0)->ndim, 0);
        assert_null(tl_squeeze(x, 2));
        assert_error(TL_INDEX_ERROR, "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
        // flatten: a view when it can be, values in row-major order
        tl_tensor *f = tl_flatten(x, 0, -1);
        assert_shape(f, TL_SHAPE(6));
        assert_ptr_equal(f->storage, x->storage);
        VALUES(tl_flatten(tl_T(x), 0, 1), 1, 4, 2, 5, 3, 6);            // x.T.flatten() copies
        tl_tensor *y = tl_zeros(TL_SHAPE(2, 3, 4), TL_FLOAT32);
        assert_shape(tl_flatten(y, 1, 2), TL_SHAPE(2, 12));
        assert_shape(tl_flatten(tl_permute(y, TL_DIMS(0, 2, 1)), 0, 1), TL_SHAPE(8, 3));
        assert_shape(tl_flatten(tl_scalar(1, TL_FLOAT32), 0, -1), TL_SHAPE(1));   // torch.tensor(1.).flatten()
        assert_shape(tl_flatten(y, 1, 1), TL_SHAPE(2, 3, 4));
        assert_null(tl_flatten(x, 1, 0));
        assert_error(TL_RUNTIME_ERROR, "flatten() has invalid args: start_dim cannot come after end_dim");
        assert_null(tl_flatten(x, 0, 2));
        assert_error(TL_INDEX_ERROR, "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
    }
}

static void test_expand(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *x = tl_tensor_parse("[[0, 1, 2], [3, 4, 5]]");
        tl_tensor *e = tl_expand(x, TL_SHAPE(3, 2, 3));                 // x.expand(3, 2, 3).stride() == (0, 3, 1)
        assert_strides(e, TL_SHAPE(0, 3, 1));
        assert_ptr_equal(e->storage, x->storage);
        assert_true(tl_get(e, TL_SHAPE(2, 1, 2)) == 5);
        assert_strides(tl_expand(x, TL_SHAPE(-1, 3)), TL_SHAPE(3, 1));
        tl_tensor *c = tl_tensor_parse("[[1], [2]]");
        tl_tensor *ce = tl_expand(c, TL_SHAPE(2, 4));
        assert_strides(ce, TL_SHAPE(1, 0));
        VALUES(ce, 1, 1, 1, 1, 2, 2, 2, 2);
        // torch.tensor(1.).expand(2, 2).stride() == (0, 0)
        assert_strides(tl_expand(tl_scalar(1, TL_FLOAT32), TL_SHAPE(2, 2)), TL_SHAPE(0, 0));
        assert_null(tl_expand(x, TL_SHAPE(4)));
        assert_error(TL_RUNTIME_ERROR, "expand(torch.LongTensor{[2, 3]}, size=[4]): the number of sizes provided (1) "
                     "must be greater or equal to the number of dimensions in the tensor (2)");
        assert_null(tl_expand(x, TL_SHAPE(2, 4)));
        assert_error(TL_RUNTIME_ERROR, "The expanded size of the tensor (4) must match the existing size (3) at "
                     "non-singleton dimension 1.  Target sizes: [2, 4].  Tensor sizes: [2, 3]");
        assert_null(tl_expand(x, TL_SHAPE(-1, 2, 3)));
        assert_error(TL_RUNTIME_ERROR, "The expanded size of the tensor (-1) isn't allowed in a leading, "
                     "non-existing dimension 0");
    }
}

static void test_select_index_slice(void **state) {
    (void)state;
    TL_SCOPE {
        tl_tensor *y = tl_reshape(tl_arange(0, 24, 1), TL_SHAPE(2, 3, 4));
        tl_tensor *s = tl_select(y, 1, 1);                              // y[:, 1]: strides (12, 1), offset 4
        assert_shape(s, TL_SHAPE(2, 4));
        assert_strides(s, TL_SHAPE(12, 1));
        assert_int_equal(s->offset, 4);
        assert_ptr_equal(s->storage, y->storage);
        VALUES(tl_select(tl_index(y, 1), 1, 2), 14, 18, 22);            // y[1, :, 2]
        VALUES(tl_index(y, -1), 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23);
        tl_tensor *v = tl_arange(0, 4, 1);
        tl_tensor *e = tl_index(v, 2);
        assert_int_equal(e->ndim, 0);
        assert_true(tl_item(e) == 2);
        assert_null(tl_index(v, 5));                                    // v[5]
        assert_error(TL_INDEX_ERROR, "index 5 is out of bounds for dimension 0 with size 4");
        assert_null(tl_select(y, 2, -5));
        assert_error(TL_INDEX_ERROR, "index -5 is out of bounds for dimension 2 with size 4");
        assert_null(tl_select(y, 3, 0));
        assert_error(TL_INDEX_ERROR, "Dimension out of range (expected to be in range of [-3, 2], but got 3)");
        assert_null(tl_index(tl_scalar(1, TL_FLOAT32), 0));           // torch.tensor(1.)[0]
        assert_error(TL_INDEX_ERROR, "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                     "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number");
        assert_null(tl_select(tl_scalar(1, TL_FLOAT32), 0, 0));
        assert_error(TL_INDEX_ERROR, "select() cannot be applied to a 0-dim tensor.");
        // slices: y[:, :, 1:4:2] has strides (12, 4, 2), offset 1, shape (2, 3, 2)
        tl_tensor *sl = tl_slice(y, 2, 1, 4, 2);
        assert_shape(sl, TL_SHAPE(2, 3, 2));
        assert_strides(sl, TL_SHAPE(12, 4, 2));
        assert_int_equal(sl->offset, 1);
        assert_ptr_equal(sl->storage, y->storage);
        tl_tensor *x = tl_tensor_parse("[[0, 1, 2], [3, 4, 5]]");
        VALUES(tl_slice(x, 1, 1, 100, 2), 1, 4);                        // x[:, 1:100:2]: clamped
        VALUES(tl_slice(x, 1, -100, 2, 1), 0, 1, 3, 4);                 // x[:, -100:2]
        VALUES(tl_slice(x, -1, -1, TL_END, 1), 2, 5);                   // x[:, -1:]
        VALUES(tl_slice(x, 0, 1, TL_END, 1), 3, 4, 5);
        assert_shape(tl_slice(x, 1, 2, 1, 1), TL_SHAPE(2, 0));          // empty, not an error
        assert_shape(tl_slice(x, 1, 5, 9, 1), TL_SHAPE(2, 0));
        assert_shape(tl_slice(x, 1, 0, TL_END, INT64_MAX), TL_SHAPE(2, 1));
        assert_null(tl_slice(x, 1, 0, 3, 0));
        assert_error(TL_VALUE_ERROR, "slice step cannot be zero");
        assert_null(tl_slice(x, 1, 0, 3, -1));
        assert_error(TL_VALUE_ERROR, "step must be greater than zero");
        assert_null(tl_slice(tl_scalar(1, TL_FLOAT32), 0, 0, 1, 1));
        assert_error(TL_INDEX_ERROR, "slice() cannot be applied to a 0-dim tensor.");
        assert_null(tl_slice(x, 2, 0, 1, 1));
        assert_error(TL_INDEX_ERROR, "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
        // writes through a view show in the base
        tl_set(tl_slice(x, 1, 1, 3, 1), TL_SHAPE(1, 1), 50);
        VALUES(x, 0, 1, 2, 3, 4, 50);
    }
}

static void test_worked_example(void **state) {
    (void)state;
    // the section's worked example, step by step
    int64_t start = tl_live_tensors();
    TL_SCOPE {
        tl_tensor *tensor2d = tl_tensor_parse("[[1, 2, 3], [4, 5, 6]]");
        assert_strides(tensor2d, TL_SHAPE(3, 1));
        tl_tensor *t = tl_T(tensor2d);
        assert_strides(t, TL_SHAPE(1, 3));
        assert_ptr_equal(t->storage, tensor2d->storage);
        assert_null(tl_view(t, TL_SHAPE(6)));
        tl_error_clear();
        tl_tensor *r = tl_reshape(t, TL_SHAPE(6));
        assert_true(r->storage != tensor2d->storage);
        VALUES(r, 1, 4, 2, 5, 3, 6);
        VALUES(tl_view(tensor2d, TL_SHAPE(3, 2)), 1, 2, 3, 4, 5, 6);
    }
    assert_int_equal(tl_live_tensors(), start);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_error_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_print, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_thread_local, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_aborts_with_hint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_passes_value_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dtypes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scope_frees_temporaries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scope_nesting_and_retain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_views_keep_storage_alive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_push_pop_and_adopt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grad_released_with_tensor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_passes_through, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_zeros_ones_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_like_and_scalar, setup, teardown),
        cmocka_unit_test_setup_teardown(test_from_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arange, setup, teardown),
        cmocka_unit_test_setup_teardown(test_linspace_bit_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eye, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_values_and_dtypes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numel_contiguity_shape_of, setup, teardown),
        cmocka_unit_test_setup_teardown(test_contiguous_and_clone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_to_dtype, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_set_item, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reshape_view_or_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_view_stride_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transpose_T_permute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_squeeze_unsqueeze_flatten, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expand, setup, teardown),
        cmocka_unit_test_setup_teardown(test_select_index_slice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worked_example, setup, teardown),
    };
    return cmocka_run_group_tests_name("ch01_core", tests, NULL, NULL);
}
