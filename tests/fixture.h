// fixture.h — the fixture most cmocka test files of Torchlet share: each test runs in a pool of its
// own, starts with no recorded error, and must leave as many live tensors as it found (a leak fails
// the test). Include it after <cmocka.h> and "torchlet.h"; use it as
//     cmocka_unit_test_setup_teardown(test_something, setup, teardown)
#ifndef TL_TEST_FIXTURE_H
#define TL_TEST_FIXTURE_H

typedef struct { tl_pool *pool; int64_t live; } fixture;

static inline int setup(void **state) {
    static fixture f;
    f.live = tl_live_tensors();
    f.pool = tl_pool_push();
    tl_error_clear();
    *state = &f;
    return 0;
}

static inline int teardown(void **state) {
    fixture *f = *state;
    tl_pool_pop(f->pool);
    assert_int_equal(tl_live_tensors(), f->live);
    return 0;
}

// the last call failed with exactly this message; clears it
static inline void expect_error(const char *message) {
    assert_non_null(tl_error());
    assert_string_equal(tl_error(), message);
    tl_error_clear();
}

// ... and it was of this kind (TL_RUNTIME_ERROR, TL_VALUE_ERROR, ...)
static inline void expect_error_kind(tl_errkind kind, const char *message) {
    assert_non_null(tl_error());
    assert_string_equal(tl_error(), message);
    assert_int_equal(tl_error_kind(), kind);
    tl_error_clear();
}

// t is a 1-D int64 tensor holding exactly want[0..n-1] (read through its strides, so views too)
static inline void check_i64(const tl_tensor *t, const int64_t *want, int64_t n) {
    assert_non_null(t);
    assert_int_equal(t->dtype, TL_INT64);
    assert_int_equal(tl_numel(t), n);
    for (int64_t i = 0; i < n; i++) {
        double got = tl_get(t, TL_SHAPE(i));
        if (got != (double)want[i]) fail_msg("element %lld: got %g, expected %lld", (long long)i, got, (long long)want[i]);
    }
}

#endif
