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

#endif
