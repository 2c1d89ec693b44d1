// tests/test_ch07_serialize.c — cmocka tests of lib/serialize.c (chapter 07): state dicts, .pth
// files (tl_save / tl_load), safetensors, atomic saving, and loading hostile or broken files.
//
// Fixtures are in tests/fixtures/ (made by make_fixtures.py with PyTorch 1.13.1; the expected
// values below are the ones that script prints). The round trip through PyTorch runs when
// /usr/bin/python3 can import torch, and is skipped otherwise.
//
//     gcc -std=c11 -Ilib -Itests tests/test_ch07_serialize.c -Lbuild -ltorchlet -lcmocka -lm -o test
#define _GNU_SOURCE
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "torchlet.h"
#include "pth_builder.h"

// ----------------------------------------------------------------------------
// helpers

#include "fixture.h"
#include "fixture_path.h"

static char tmpdir[256];

static const char *tmp_path(const char *name) {
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static void assert_error_contains(const char *needle) {
    const char *e = tl_error();
    if (!e || !strstr(e, needle)) fail_msg("expected an error containing \"%s\", got \"%s\"", needle, e ? e : "(none)");
    tl_error_clear();
}

static void check_values(const tl_tensor *t, const double *want, int64_t n) {
    assert_non_null(t);
    assert_int_equal(tl_numel(t), n);
    tl_tensor *flat = tl_reshape(t, TL_SHAPE(-1));
    for (int64_t i = 0; i < n; i++) {
        double got = tl_get(flat, TL_SHAPE(i));
        if (got != want[i]) fail_msg("element %lld: got %.17g, want %.17g", (long long)i, got, want[i]);
    }
}

// the tensors of a and b are equal: names, dtypes, shapes, values
static void assert_same_state(const tl_state_dict *a, const tl_state_dict *b) {
    assert_int_equal(tl_state_dict_len(a), tl_state_dict_len(b));
    for (int64_t i = 0; i < tl_state_dict_len(a); i++) {
        assert_string_equal(tl_state_dict_key(a, i), tl_state_dict_key(b, i));
        const tl_tensor *x = tl_state_dict_value(a, i), *y = tl_state_dict_value(b, i);
        assert_int_equal(x->dtype, y->dtype);
        assert_int_equal(x->ndim, y->ndim);
        for (int d = 0; d < x->ndim; d++) assert_int_equal(x->shape[d], y->shape[d]);
        tl_tensor *fx = tl_reshape(x, TL_SHAPE(-1)), *fy = tl_reshape(y, TL_SHAPE(-1));
        for (int64_t k = 0; k < tl_numel(x); k++)
            assert_true(tl_get(fx, TL_SHAPE(k)) == tl_get(fy, TL_SHAPE(k)));
    }
}

// a state dict with every dtype, views with offsets and strides, shared storage, a scalar, an empty tensor
static tl_state_dict *sample_dict(void) {
    tl_state_dict *sd = tl_state_dict_new();
    tl_tensor *base = tl_to_dtype(tl_arange(0, 10, 1), TL_FLOAT64);
    tl_state_dict_set(sd, "f32", tl_tensor_parse("[[1.5, -2.0, 3.25], [4.0, 5.5, -6.0]]"));
    tl_state_dict_set(sd, "f64_strided", tl_slice(base, 0, 2, 8, 2));
    tl_state_dict_set(sd, "f64_t", tl_T(tl_view(base, TL_SHAPE(2, 5))));
    tl_state_dict_set(sd, "i64", tl_tensor_parse("[-3, 0, 1099511627776, 7]"));
    tl_state_dict_set(sd, "b", tl_tensor_parse("[[True, False], [False, True]]"));
    tl_state_dict_set(sd, "scalar", tl_scalar(2.5, TL_FLOAT32));
    tl_state_dict_set(sd, "empty", tl_zeros(TL_SHAPE(0, 3), TL_FLOAT32));
    tl_state_dict_set(sd, "w", tl_requires_grad_(tl_ones(TL_SHAPE(2), TL_FLOAT32), true));
    assert_int_equal(tl_state_dict_len(sd), 8);
    return sd;
}

// ----------------------------------------------------------------------------
// state dicts

static void test_state_dict_basics(void **state) {
    (void)state;
    tl_state_dict *sd = tl_state_dict_new();
    tl_tensor *a = tl_tensor_parse("[1, 2]"), *b = tl_tensor_parse("[3.]");
    assert_true(tl_state_dict_set(sd, "b.weight", a));
    assert_true(tl_state_dict_set(sd, "a.bias", b));
    assert_int_equal(tl_state_dict_len(sd), 2);
    assert_string_equal(tl_state_dict_key(sd, 0), "b.weight");     // insertion order, not sorted
    assert_string_equal(tl_state_dict_key(sd, 1), "a.bias");
    assert_ptr_equal(tl_state_dict_get(sd, "a.bias"), b);
    assert_true(tl_state_dict_set(sd, "b.weight", b));              // replace keeps the place
    assert_int_equal(tl_state_dict_len(sd), 2);
    assert_ptr_equal(tl_state_dict_value(sd, 0), b);
    assert_null(tl_state_dict_get(sd, "nope"));
    assert_error_contains("the state dict has no key 'nope'");
    assert_null(tl_state_dict_key(sd, 2));
    assert_error_contains("out of range");
    assert_false(tl_state_dict_set(sd, "x", NULL));                // a failure passes through
    assert_true(tl_state_dict_set_metadata(sd, "format", "pt"));
    assert_true(tl_state_dict_set_metadata(sd, "format", "torchlet"));
    assert_string_equal(tl_state_dict_metadata(sd, "format"), "torchlet");
    assert_int_equal(tl_state_dict_metadata_len(sd), 1);
    assert_null(tl_state_dict_metadata(sd, "other"));
    tl_state_dict_free(sd);
    tl_state_dict_free(NULL);
}

static void test_state_dict_keeps_tensors_alive(void **state) {
    (void)state;
    int64_t live = tl_live_tensors();
    tl_state_dict *sd = tl_state_dict_new();
    TL_SCOPE { tl_state_dict_set(sd, "x", tl_tensor_parse("[7, 8]")); }   // the pool ends here
    assert_int_equal(tl_live_tensors(), live + 1);
    assert_int_equal((int64_t)tl_get(tl_state_dict_get(sd, "x"), TL_SHAPE(1)), 8);
    tl_state_dict_free(sd);
    assert_int_equal(tl_live_tensors(), live);
}

// ----------------------------------------------------------------------------
// .pth: our own round trip and layout

static void test_pth_round_trip(void **state) {
    (void)state;
    tl_state_dict *sd = sample_dict();
    assert_true(tl_save(sd, tmp_path("rt.pth")));
    tl_state_dict *back = tl_load(tmp_path("rt.pth"));
    assert_non_null(back);
    assert_same_state(sd, back);
    const tl_tensor *s = tl_state_dict_get(back, "f64_strided"), *t = tl_state_dict_get(back, "f64_t");
    assert_ptr_equal(s->storage, t->storage);                       // shared again
    assert_int_equal(s->offset, 2);
    assert_int_equal(s->stride[0], 2);
    assert_int_equal(t->stride[0], 1);
    assert_int_equal(t->stride[1], 5);
    assert_true(tl_state_dict_get(back, "w")->requires_grad);
    assert_false(tl_state_dict_get(back, "f32")->requires_grad);
    assert_int_equal(tl_state_dict_get(back, "scalar")->ndim, 0);
    tl_state_dict_free(sd);
    tl_state_dict_free(back);

    tl_state_dict *empty = tl_state_dict_new();                     // an empty state dict too
    assert_true(tl_save(empty, tmp_path("empty.pth")));
    tl_state_dict *e = tl_load(tmp_path("empty.pth"));
    assert_non_null(e);
    assert_int_equal(tl_state_dict_len(e), 0);
    tl_state_dict_free(e);
    tl_state_dict_free(empty);
}

// the archive is PyTorch's: names in order, stored, every record's data at a multiple of 64
static void test_pth_layout(void **state) {
    (void)state;
    tl_state_dict *sd = sample_dict();
    assert_true(tl_save(sd, tmp_path("layout.pth")));
    tl_state_dict_free(sd);
    size_t n = 0;
    unsigned char *f = tl_read_file(tmp_path("layout.pth"), &n);
    assert_non_null(f);
    const char *want[] = { "archive/data.pkl", "archive/byteorder", "archive/data/0", "archive/data/1",
                           "archive/data/2", "archive/data/3", "archive/data/4", "archive/data/5",
                           "archive/data/6", "archive/version" };
    size_t at = 0;
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        assert_true(at + 30 <= n);
        assert_memory_equal(f + at, "PK\x03\x04", 4);
        unsigned method = f[at + 8] | f[at + 9] << 8;
        uint32_t size = (uint32_t)f[at + 18] | (uint32_t)f[at + 19] << 8 | (uint32_t)f[at + 20] << 16 | (uint32_t)f[at + 21] << 24;
        unsigned nl = f[at + 26] | f[at + 27] << 8, xl = f[at + 28] | f[at + 29] << 8;
        assert_int_equal(method, 0);
        assert_int_equal(nl, strlen(want[i]));
        assert_memory_equal(f + at + 30, want[i], nl);
        size_t data = at + 30 + nl + xl;
        assert_int_equal(data % 64, 0);
        if (strcmp(want[i], "archive/byteorder") == 0) assert_memory_equal(f + data, "little", 6);
        if (strcmp(want[i], "archive/version") == 0) assert_memory_equal(f + data, "3\n", 2);
        at = data + size;
    }
    assert_memory_equal(f + at, "PK\x01\x02", 4);                  // then the central directory
    free(f);
    // saving twice gives the same bytes (fixed dates, no randomness)
    size_t n2;
    sd = sample_dict();
    assert_true(tl_save(sd, tmp_path("layout2.pth")));
    tl_state_dict_free(sd);
    unsigned char *f1 = tl_read_file(tmp_path("layout.pth"), &n), *f2 = tl_read_file(tmp_path("layout2.pth"), &n2);
    assert_int_equal(n, n2);
    assert_memory_equal(f1, f2, n);
    free(f1);
    free(f2);
}

// ----------------------------------------------------------------------------
// .pth files written by PyTorch

static void check_views(tl_state_dict *sd) {
    assert_non_null(sd);
    const char *keys[] = { "f32", "f64_strided", "f64_t", "i64", "b", "scalar" };
    assert_int_equal(tl_state_dict_len(sd), 6);
    for (int i = 0; i < 6; i++) assert_string_equal(tl_state_dict_key(sd, i), keys[i]);
    check_values(tl_state_dict_get(sd, "f32"), (double[]){ 1.5, -2, 3.25, 4, 5.5, -6 }, 6);
    check_values(tl_state_dict_get(sd, "f64_strided"), (double[]){ 0.5, 1.0, 1.5 }, 3);
    check_values(tl_state_dict_get(sd, "f64_t"), (double[]){ 0, 1.25, 0.25, 1.5, 0.5, 1.75, 0.75, 2, 1, 2.25 }, 10);
    check_values(tl_state_dict_get(sd, "i64"), (double[]){ -3, 0, 1099511627776.0, 7 }, 4);
    check_values(tl_state_dict_get(sd, "b"), (double[]){ 1, 0, 0, 1 }, 4);
    check_values(tl_state_dict_get(sd, "scalar"), (double[]){ 2.5 }, 1);
    const tl_tensor *s = tl_state_dict_get(sd, "f64_strided"), *t = tl_state_dict_get(sd, "f64_t");
    assert_int_equal(s->dtype, TL_FLOAT64);
    assert_int_equal(tl_state_dict_get(sd, "i64")->dtype, TL_INT64);
    assert_int_equal(tl_state_dict_get(sd, "b")->dtype, TL_BOOL);
    assert_ptr_equal(s->storage, t->storage);
    assert_int_equal(s->offset, 2);
    assert_int_equal(t->shape[0], 5);
    assert_int_equal(t->stride[1], 5);
    tl_state_dict_free(sd);
}

static void test_load_torch113(void **state) {
    (void)state;
    check_views(tl_load(fixture_path("torch113_views.pth")));
}

static void test_load_torch2x_layout(void **state) {
    (void)state;
    check_views(tl_load(fixture_path("torch2x_layout.pth")));
}

static void test_load_torch113_module(void **state) {
    (void)state;
    tl_state_dict *sd = tl_load(fixture_path("torch113_module.pth"));   // memo, BUILD of _metadata
    assert_non_null(sd);
    const char *keys[] = { "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                           "1.num_batches_tracked" };
    assert_int_equal(tl_state_dict_len(sd), 7);
    for (int i = 0; i < 7; i++) assert_string_equal(tl_state_dict_key(sd, i), keys[i]);
    check_values(tl_state_dict_get(sd, "0.weight"), (double[]){ (float)-0.2883412539958954, (float)0.0234226044267416,
        (float)-0.35119062662124634, (float)0.26665955781936646, (float)-0.6024938821792603, (float)0.5183402895927429 }, 6);
    check_values(tl_state_dict_get(sd, "1.running_var"),
                 (double[]){ (float)0.9024587869644165, (float)0.9112128615379333, (float)0.9378946423530579 }, 3);
    const tl_tensor *nbt = tl_state_dict_get(sd, "1.num_batches_tracked");
    assert_int_equal(nbt->dtype, TL_INT64);
    assert_int_equal(nbt->ndim, 0);
    assert_int_equal((int64_t)tl_item(nbt), 1);
    tl_state_dict_free(sd);
}

static void test_load_refusals(void **state) {
    (void)state;
    assert_null(tl_load(fixture_path("torch113_legacy.pth")));
    assert_error_contains("legacy format");
    assert_null(tl_load(tmp_path("does-not-exist.pth")));
    assert_error_contains("[Errno 2] No such file or directory: '");
    assert_null(tl_load(fixture_path("views.safetensors")));
    assert_error_contains("is not a PyTorch checkpoint");
    assert_null(tl_load_buffer("", 0, "empty"));
    assert_error_contains("'empty' is not a PyTorch checkpoint");
}

// tl_read_file: a directory is refused as Python's open refuses it; a regular file is read whole,
// and so is one whose size fstat does not know (/proc)
static void test_read_file(void **state) {
    (void)state;
    size_t n = 0;
    assert_null(tl_read_file(tmpdir, &n));
    char want[600];
    snprintf(want, sizeof want, "[Errno 21] Is a directory: '%s'", tmpdir);
    assert_error_contains(want);
    assert_null(tl_load(tmpdir));
    assert_error_contains(want);
    size_t big = 200000;                                        // more than the 64 KiB fallback chunk
    unsigned char *data = malloc(big);
    for (size_t i = 0; i < big; i++) data[i] = (unsigned char)(i * 7 + 3);
    FILE *f = fopen(tmp_path("read.bin"), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, big, f), big);
    fclose(f);
    unsigned char *got = tl_read_file(tmp_path("read.bin"), &n);
    assert_non_null(got);
    assert_int_equal(n, big);
    assert_memory_equal(got, data, big);
    free(got);
    free(data);
    got = tl_read_file("/proc/self/status", &n);
    assert_non_null(got);
    assert_true(n > 0 && memmem(got, n, "Name:", 5) != NULL);
    free(got);
}

// ----------------------------------------------------------------------------
// hostile and broken .pth files, built record by record

typedef struct { unsigned char b[4096]; size_t n; } pbuf;
static void raw(pbuf *p, const char *s) { size_t k = strlen(s); memcpy(p->b + p->n, s, k); p->n += k; }
static void byte(pbuf *p, int c) { p->b[p->n++] = (unsigned char)c; }
static void str(pbuf *p, const char *s) {
    size_t k = strlen(s);
    byte(p, 'X'); byte(p, (int)k); byte(p, 0); byte(p, 0); byte(p, 0);
    raw(p, s);
}
static void kint(pbuf *p, int v) { byte(p, 'K'); byte(p, v); }

typedef struct {
    const char *key, *storage_class, *module;   // module: the storage class's module ("torch")
    int numel, offset, ndim, size[3], stride[3];
} tensor_spec;

static void tensor_call(pbuf *p, const tensor_spec *t) {
    raw(p, "ctorch._utils\n_rebuild_tensor_v2\n((");
    str(p, "storage");
    byte(p, 'c'); raw(p, t->module ? t->module : "torch"); byte(p, '\n'); raw(p, t->storage_class); byte(p, '\n');
    str(p, t->key);
    str(p, "cpu");
    kint(p, t->numel);
    raw(p, "tQ");
    kint(p, t->offset);
    byte(p, '(');
    for (int d = 0; d < t->ndim; d++) kint(p, t->size[d]);
    raw(p, "t(");
    for (int d = 0; d < t->ndim; d++) kint(p, t->stride[d]);
    raw(p, "t\x89" "ccollections\nOrderedDict\n)RtR");
}

static const tensor_spec good = { "0", "FloatStorage", NULL, 6, 0, 2, { 2, 3 }, { 3, 1 } };

static pbuf dict_of(const tensor_spec *t) {
    pbuf p = { .n = 0 };
    raw(&p, "\x80\x02" "ccollections\nOrderedDict\n)R(");
    str(&p, "w");
    tensor_call(&p, t);
    raw(&p, "u.");
    return p;
}

static float storage0[16] = { 1, 2, 3, 4, 5, 6 };

static tl_state_dict *load_records(const pth_record *r, int n) {
    size_t size;
    unsigned char *zip = pth_build(r, n, &size);
    tl_state_dict *sd = tl_load_buffer(zip, size, "crafted.pth");
    free(zip);
    return sd;
}

// data.pkl = pkl, version 3, data/0 = storage_bytes bytes of storage0
static tl_state_dict *load_pickle(const pbuf *pkl, size_t storage_bytes) {
    pth_record r[] = { { "archive/data.pkl", pkl->b, pkl->n }, { "archive/version", "3\n", 2 },
                       { "archive/data/0", storage0, storage_bytes } };
    return load_records(r, 3);
}

static void test_crafted_valid(void **state) {
    (void)state;
    pbuf p = dict_of(&good);
    tl_state_dict *sd = load_pickle(&p, 24);                        // the builder itself is right
    assert_non_null(sd);
    check_values(tl_state_dict_get(sd, "w"), (double[]){ 1, 2, 3, 4, 5, 6 }, 6);
    tl_state_dict_free(sd);
    tensor_spec t = good;                                           // a view at the storage's very end
    t.offset = 4; t.ndim = 1; t.size[0] = 2; t.stride[0] = 1;
    p = dict_of(&t);
    sd = load_pickle(&p, 24);
    assert_non_null(sd);
    check_values(tl_state_dict_get(sd, "w"), (double[]){ 5, 6 }, 2);
    tl_state_dict_free(sd);
}

// a repeated key keeps its first place and takes its last value, as in a Python dict
static void test_crafted_repeated_key(void **state) {
    (void)state;
    tensor_spec tail = good;
    tail.offset = 4; tail.ndim = 1; tail.size[0] = 2; tail.stride[0] = 1;
    pbuf p = { .n = 0 };
    raw(&p, "\x80\x02" "ccollections\nOrderedDict\n)R(");
    str(&p, "a");
    tensor_call(&p, &good);
    raw(&p, "q");
    byte(&p, 0);                                                    // memo[0] = that tensor
    str(&p, "b");
    raw(&p, "h");
    byte(&p, 0);                                                    // the same tensor again
    str(&p, "a");
    tensor_call(&p, &tail);
    raw(&p, "u.");
    tl_state_dict *sd = load_pickle(&p, 24);
    assert_non_null(sd);
    assert_int_equal(tl_state_dict_len(sd), 2);
    assert_string_equal(tl_state_dict_key(sd, 0), "a");
    assert_string_equal(tl_state_dict_key(sd, 1), "b");
    check_values(tl_state_dict_get(sd, "a"), (double[]){ 5, 6 }, 2);
    check_values(tl_state_dict_get(sd, "b"), (double[]){ 1, 2, 3, 4, 5, 6 }, 6);
    assert_ptr_equal(tl_state_dict_get(sd, "a")->storage, tl_state_dict_get(sd, "b")->storage);
    tl_state_dict_free(sd);
}

// a pickle naming 200000 keys loads in linear time (no search per key)
static void test_crafted_many_keys(void **state) {
    (void)state;
    enum { N = 200000 };
    pbuf head = { .n = 0 };
    raw(&head, "\x80\x02" "ccollections\nOrderedDict\n)R(");
    str(&head, "k0");
    tensor_call(&head, &good);
    raw(&head, "q");
    byte(&head, 0);
    size_t cap = head.n + (size_t)N * 16 + 16, n = head.n;
    unsigned char *pkl = malloc(cap);
    memcpy(pkl, head.b, head.n);
    for (int i = 1; i < N; i++) {
        char key[16];
        int len = snprintf(key, sizeof key, "k%d", i);
        pkl[n++] = 'X'; pkl[n++] = (unsigned char)len; pkl[n++] = 0; pkl[n++] = 0; pkl[n++] = 0;
        memcpy(pkl + n, key, (size_t)len); n += (size_t)len;
        pkl[n++] = 'h'; pkl[n++] = 0;
    }
    pkl[n++] = 'u'; pkl[n++] = '.';
    pth_record r[] = { { "archive/data.pkl", pkl, n }, { "archive/version", "3\n", 2 },
                       { "archive/data/0", storage0, 24 } };
    clock_t start = clock();
    tl_state_dict *sd = load_records(r, 3);
    double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
    assert_non_null(sd);
    assert_int_equal(tl_state_dict_len(sd), N);
    assert_string_equal(tl_state_dict_key(sd, N - 1), "k199999");
    if (seconds > 5) fail_msg("loading %d keys took %.1f s: quadratic somewhere?", N, seconds);
    tl_state_dict_free(sd);
    free(pkl);
}

static void test_crafted_refused(void **state) {
    (void)state;
    pbuf p = { .n = 0 };                                            // pickle's classic exploit
    raw(&p, "\x80\x02" "cposix\nsystem\n(X");
    byte(&p, 2); byte(&p, 0); byte(&p, 0); byte(&p, 0);
    raw(&p, "idtR.");
    assert_null(load_pickle(&p, 24));
    assert_error_contains("Weights only load failed for 'crafted.pth'. WeightsUnpickler error: Unsupported class posix.system");

    p.n = 0;
    raw(&p, "\x80\x02" "cbuiltins\neval\n.");
    assert_null(load_pickle(&p, 24));
    assert_error_contains("Unsupported class builtins.eval");

    p.n = 0;
    raw(&p, "\x80\x02]."); // EMPTY_LIST: not needed by a state dict
    assert_null(load_pickle(&p, 24));
    assert_error_contains("Unsupported operand 93 (']') at byte 2");

    p.n = 0;
    raw(&p, "\x80\x02" "ctorch\nFloatStorage\n)R.");
    assert_null(load_pickle(&p, 24));
    assert_error_contains("calling torch.FloatStorage is not allowed");

    tensor_spec t = good;
    t.storage_class = "HalfStorage";                                // a dtype Torchlet lacks
    p = dict_of(&t);
    assert_null(load_pickle(&p, 24));
    assert_error_contains("Unsupported class torch.HalfStorage");

    p.n = 0;                                                        // a checkpoint, not a state dict
    raw(&p, "\x80\x02}(");
    str(&p, "epoch");
    kint(&p, 3);
    raw(&p, "u.");
    assert_null(load_pickle(&p, 24));
    assert_error_contains("the value of 'epoch' is a int, not a tensor");

    p.n = 0;
    raw(&p, "\x80\x02K\x05.");
    assert_null(load_pickle(&p, 24));
    assert_error_contains("the file holds a int, not a state dict");
}

static void test_crafted_corrupted(void **state) {
    (void)state;
    tensor_spec t = good;
    t.size[1] = 4;                                                  // (2, 4) with strides (3, 1): 8 > 6
    pbuf p = dict_of(&t);
    assert_null(load_pickle(&p, 24));
    assert_error_contains("reaches outside its storage of 6 elements");

    t = good;
    t.offset = 1;                                                   // one past the end
    p = dict_of(&t);
    assert_null(load_pickle(&p, 24));
    assert_error_contains("reaches outside");

    t = good;
    t.numel = 7;                                                    // the record has 6 floats
    p = dict_of(&t);
    assert_null(load_pickle(&p, 24));
    assert_error_contains("record 'data/0' has 24 bytes, not the 7 elements of 4 bytes");

    t = good;
    t.key = "1";                                                    // no such record
    p = dict_of(&t);
    assert_null(load_pickle(&p, 24));
    assert_error_contains("record 'data/1' is missing");

    t = good;
    t.key = "../0";
    p = dict_of(&t);
    assert_null(load_pickle(&p, 24));
    assert_error_contains("bad storage key");

    p = dict_of(&good);                                             // cut the pickle short
    p.n -= 10;
    assert_null(load_pickle(&p, 24));
    assert_error_contains("truncated or corrupted");

    p.n = 0;
    raw(&p, "\x80\x02h\x07.");                                      // BINGET of an empty memo slot
    assert_null(load_pickle(&p, 24));
    assert_error_contains("memo key 7 not found");

    p.n = 0;
    raw(&p, "\x80\x02(q\x01.");                                     // BINPUT of a MARK
    assert_null(load_pickle(&p, 24));
    assert_error_contains("no value on the stack");

    p.n = 0;
    raw(&p, "\x80\x02R.");                                          // REDUCE on an empty stack
    assert_null(load_pickle(&p, 24));
    assert_error_contains("stack underflow");

    p.n = 0;
    raw(&p, "\x80\x02" "ccollections\nOrder");                      // GLOBAL without its newline
    assert_null(load_pickle(&p, 24));
    assert_error_contains("not terminated");

    p.n = 0;
    raw(&p, "\x80\x02\x8a\x09");                                    // LONG1 of 9 bytes
    assert_null(load_pickle(&p, 24));
    assert_error_contains("integer of 9 bytes");
}

static void test_crafted_archive(void **state) {
    (void)state;
    pbuf p = dict_of(&good);
    pth_record no_version[] = { { "archive/data.pkl", p.b, p.n }, { "archive/data/0", storage0, 24 } };
    assert_null(load_records(no_version, 2));
    assert_error_contains("failed finding the record 'version'");

    pth_record bad_version[] = { { "archive/data.pkl", p.b, p.n }, { "archive/version", "99\n", 3 } };
    assert_null(load_records(bad_version, 2));
    assert_error_contains("unsupported file format version 99");

    pth_record big[] = { { "archive/data.pkl", p.b, p.n }, { "archive/version", "3\n", 2 },
                         { "archive/byteorder", "big", 3 } };
    assert_null(load_records(big, 3));
    assert_error_contains("big-endian");

    pth_record script[] = { { "m/data.pkl", p.b, p.n }, { "m/constants.pkl", "\x80\x02).", 4 },
                            { "m/version", "3\n", 2 } };
    assert_null(load_records(script, 3));
    assert_error_contains("TorchScript archive");

    pth_record no_folder[] = { { "data.pkl", p.b, p.n } };
    assert_null(load_records(no_folder, 1));
    assert_error_contains("first entry is not in a folder");

    pth_record no_pkl[] = { { "archive/version", "3\n", 2 } };
    assert_null(load_records(no_pkl, 1));
    assert_error_contains("it has no data.pkl");

    // a flipped bit in a storage is caught by the CRC
    size_t n = 0;
    pth_record r[] = { { "archive/data.pkl", p.b, p.n }, { "archive/version", "3\n", 2 },
                       { "archive/data/0", storage0, 24 } };
    unsigned char *zip = pth_build(r, 3, &n);
    unsigned char *d = memmem(zip, n, storage0, 24);
    assert_non_null(d);
    d[5] ^= 0x10;
    assert_null(tl_load_buffer(zip, n, "crc.pth"));
    assert_error_contains("'crc.pth' is truncated or corrupted: record 'data/0'");
    free(zip);
}

// every prefix of a valid file fails cleanly; every byte flipped loads or fails, never crashes
static void test_truncated_and_flipped(void **state) {
    (void)state;
    tl_state_dict *sd = sample_dict();
    assert_true(tl_save(sd, tmp_path("cut.pth")));
    tl_state_dict_free(sd);
    size_t n = 0;
    unsigned char *f = tl_read_file(tmp_path("cut.pth"), &n);
    for (size_t k = 0; k < n; k++) {
        unsigned char *cut = malloc(k ? k : 1);                     // exactly k bytes: ASan sees overreads
        memcpy(cut, f, k);
        tl_state_dict *x = tl_load_buffer(cut, k, "cut.pth");
        if (x) fail_msg("a file cut to %zu of %zu bytes loaded", k, n);
        assert_non_null(tl_error());
        tl_error_clear();
        free(cut);
    }
    for (size_t k = 0; k < n; k++) {
        f[k] ^= 0xA5;
        tl_state_dict_free(tl_load_buffer(f, n, "flip.pth"));
        tl_error_clear();
        f[k] ^= 0xA5;
    }
    // the same with the pickle itself mutated (CRCs recomputed, so the unpickler sees every change)
    pbuf p = dict_of(&good);
    for (size_t k = 0; k < p.n; k++) {
        for (int flip = 1; flip < 256; flip <<= 1) {
            p.b[k] ^= (unsigned char)flip;
            tl_state_dict_free(load_pickle(&p, 24));
            tl_error_clear();
            p.b[k] ^= (unsigned char)flip;
        }
    }
    free(f);
}

// ----------------------------------------------------------------------------
// atomic saving

static int count_temporaries(void) {
    DIR *d = opendir(tmpdir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) n += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

static void test_atomic_save(void **state) {
    (void)state;
    tl_state_dict *sd = tl_state_dict_new();
    tl_state_dict_set(sd, "a", tl_tensor_parse("[1., 2.]"));
    assert_true(tl_save(sd, tmp_path("atomic.pth")));
    size_t n0;
    unsigned char *before = tl_read_file(tmp_path("atomic.pth"), &n0);
    struct stat st;
    assert_int_equal(stat(tmp_path("atomic.pth"), &st), 0);
    mode_t mask = umask(0);
    umask(mask);
    assert_int_equal(st.st_mode & 0777, 0666 & ~mask);             // as fopen would, not mkstemp's 0600

    tl_state_dict_set(sd, "b", tl_zeros(TL_SHAPE(100), TL_FLOAT64));
    for (int64_t after = 0; after < 1200; after += 150) {          // the disk fills up at various points
        tl_serialize_inject_write_failure_(after);
        assert_false(tl_save(sd, tmp_path("atomic.pth")));
        assert_error_contains("(the file there, if any, is unchanged)");
        size_t n1;
        unsigned char *now = tl_read_file(tmp_path("atomic.pth"), &n1);
        assert_int_equal(n0, n1);
        assert_memory_equal(before, now, n0);
        free(now);
        assert_int_equal(count_temporaries(), 0);
    }
    tl_serialize_inject_write_failure_(40);
    assert_false(tl_save_safetensors(sd, tmp_path("atomic.pth")));
    assert_error_contains("unchanged");
    assert_int_equal(count_temporaries(), 0);

    tl_state_dict *old = tl_load(tmp_path("atomic.pth"));          // still the first checkpoint
    assert_int_equal(tl_state_dict_len(old), 1);
    tl_state_dict_free(old);
    assert_true(tl_save(sd, tmp_path("atomic.pth")));              // and a good save replaces it
    old = tl_load(tmp_path("atomic.pth"));
    assert_int_equal(tl_state_dict_len(old), 2);
    tl_state_dict_free(old);

    assert_false(tl_save(sd, tmp_path("no-such-dir/x.pth")));
    assert_error_contains("cannot create a file next to");
    free(before);
    tl_state_dict_free(sd);
}

// ----------------------------------------------------------------------------
// safetensors

static void test_safetensors_round_trip(void **state) {
    (void)state;
    tl_state_dict *sd = sample_dict();
    tl_state_dict_set_metadata(sd, "format", "pt");
    assert_true(tl_save_safetensors(sd, tmp_path("rt.safetensors")));
    tl_state_dict *back = tl_load_safetensors(tmp_path("rt.safetensors"));
    assert_non_null(back);
    assert_same_state(sd, back);
    assert_string_equal(tl_state_dict_metadata(back, "format"), "pt");
    assert_true(tl_is_contiguous(tl_state_dict_get(back, "f64_t")));   // no strides in safetensors
    tl_state_dict_free(back);
    tl_state_dict_free(sd);

    size_t n;                                                       // header length: 8-aligned data
    unsigned char *f = tl_read_file(tmp_path("rt.safetensors"), &n);
    uint64_t h = 0;
    for (int i = 7; i >= 0; i--) h = h << 8 | f[i];
    assert_int_equal(h % 8, 0);
    assert_int_equal(f[8], '{');
    free(f);
}

static void test_safetensors_fixture(void **state) {
    (void)state;
    tl_state_dict *sd = tl_load_safetensors(fixture_path("views.safetensors"));
    assert_non_null(sd);
    assert_string_equal(tl_state_dict_metadata(sd, "source"), "make_fixtures.py");
    assert_int_equal(tl_state_dict_len(sd), 6);
    check_values(tl_state_dict_get(sd, "f64_t"), (double[]){ 0, 1.25, 0.25, 1.5, 0.5, 1.75, 0.75, 2, 1, 2.25 }, 10);
    check_values(tl_state_dict_get(sd, "i64"), (double[]){ -3, 0, 1099511627776.0, 7 }, 4);
    check_values(tl_state_dict_get(sd, "b"), (double[]){ 1, 0, 0, 1 }, 4);
    tl_state_dict_free(sd);
}

// a safetensors file from a header text and n data bytes
static tl_state_dict *st_load(const char *header, size_t data_bytes) {
    size_t h = strlen(header), n = 8 + h + data_bytes;
    unsigned char *f = calloc(1, n);
    for (int i = 0; i < 8; i++) f[i] = (unsigned char)((uint64_t)h >> (8 * i));
    memcpy(f + 8, header, h);
    tl_state_dict *sd = tl_load_safetensors_buffer(f, n, "t.safetensors");
    free(f);
    return sd;
}

// a tensor that cannot be made contiguous (here: too large) keeps tl_contiguous's error
static void test_safetensors_save_keeps_error(void **state) {
    (void)state;
    tl_state_dict *sd = tl_state_dict_new();
    tl_state_dict_set(sd, "huge", tl_expand(tl_scalar(1.0, TL_FLOAT32), TL_SHAPE(1LL << 30, 1LL << 30)));
    assert_false(tl_save_safetensors(sd, tmp_path("huge.safetensors")));
    const char *e = tl_error();
    assert_non_null(e);
    if (strstr(e, "is not on the CPU")) fail_msg("the real error was overwritten: \"%s\"", e);
    assert_error_contains("is too large");
    assert_int_equal(access(tmp_path("huge.safetensors"), F_OK), -1);
    tl_state_dict_free(sd);
}

static void test_safetensors_strict(void **state) {
    (void)state;
    tl_state_dict *sd = st_load("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                                "\"b\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}", 16);
    assert_non_null(sd);
    tl_state_dict_free(sd);
    static const struct { const char *header; size_t data; const char *error; } bad[] = {
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
          "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "(overlap)" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
          "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}", 20, "(gap)" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "has 8 bytes, but its shape and dtype need 12" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12, "end at byte 8 of a data part of 12" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "starts at byte 4" },
        { "{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "has dtype F16; Torchlet reads F32, F64, I64 and BOOL" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "not a non-negative integer" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8, "not a non-negative integer" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "begin <= end" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", 8, "unexpected or repeated field 'x'" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "needs dtype, shape and data_offsets" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
          "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16, "'a' appears twice" },
        { "{\"__metadata__\":{\"k\":1}}", 0, "__metadata__ values must be strings" },
        { "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, "'k' appears twice" },
        { "{\"a\":[1,2]}", 0, "'a' is not an object" },
        { "[1, 2]", 0, "the header is not a JSON object" },
        { "{\"a\":", 0, "the header is not valid JSON" },
        { "{}  x", 0, "bytes after its JSON object" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}", 8,
          "need more than" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_null(st_load(bad[i].header, bad[i].data));
        assert_error_contains(bad[i].error);
    }
    unsigned char hdr[16] = { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, '{', '}' };
    assert_null(tl_load_safetensors_buffer(hdr, sizeof hdr, "long"));
    assert_error_contains("runs past the end of the file");
    assert_null(tl_load_safetensors_buffer(hdr, 5, "short"));
    assert_error_contains("shorter than its 8-byte header length");

    tl_state_dict *x = tl_state_dict_new();                         // every prefix of a good file fails
    tl_state_dict_set(x, "v", tl_tensor_parse("[1., 2., 3.]"));
    assert_true(tl_save_safetensors(x, tmp_path("cut.safetensors")));
    tl_state_dict_free(x);
    size_t n = 0;
    unsigned char *f = tl_read_file(tmp_path("cut.safetensors"), &n);
    for (size_t k = 0; k < n; k++) {
        unsigned char *cut = malloc(k ? k : 1);
        memcpy(cut, f, k);
        assert_null(tl_load_safetensors_buffer(cut, k, "cut"));
        tl_error_clear();
        free(cut);
    }
    for (size_t k = 0; k < n; k++) {
        for (int flip = 1; flip < 256; flip <<= 1) {
            f[k] ^= (unsigned char)flip;
            tl_state_dict_free(tl_load_safetensors_buffer(f, n, "flip"));
            tl_error_clear();
            f[k] ^= (unsigned char)flip;
        }
    }
    free(f);
}

// ----------------------------------------------------------------------------
// PyTorch reads ours and we read PyTorch's, when PyTorch is here

static void test_python_round_trip(void **state) {
    (void)state;
    if (system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
        printf("skipped: /usr/bin/python3 cannot import torch (Debian: apt-get install python3-torch)\n");
        skip();
    }
    tl_state_dict *sd = sample_dict();
    assert_true(tl_save(sd, tmp_path("for_torch.pth")));
    assert_true(tl_save_safetensors(sd, tmp_path("for_torch.safetensors")));
    tl_state_dict_free(sd);
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
        "/usr/bin/python3 - <<'EOF'\n"
        "import torch, json, struct\n"
        "sd = torch.load('%s', weights_only=True)\n"
        "assert list(sd) == ['f32', 'f64_strided', 'f64_t', 'i64', 'b', 'scalar', 'empty', 'w'], list(sd)\n"
        "assert sd['f32'].tolist() == [[1.5, -2.0, 3.25], [4.0, 5.5, -6.0]]\n"
        "assert sd['f64_strided'].dtype == torch.float64 and sd['f64_strided'].tolist() == [2.0, 4.0, 6.0]\n"
        "assert sd['f64_strided'].storage_offset() == 2 and sd['f64_strided'].stride() == (2,)\n"
        "assert sd['f64_t'].stride() == (1, 5) and sd['f64_t'][4, 1].item() == 9.0\n"
        "assert sd['f64_t'].storage().data_ptr() == sd['f64_strided'].storage().data_ptr()\n"
        "assert sd['i64'].tolist() == [-3, 0, 2**40, 7] and sd['b'].tolist() == [[True, False], [False, True]]\n"
        "assert sd['scalar'].shape == () and sd['scalar'].item() == 2.5 and sd['empty'].shape == (0, 3)\n"
        "assert sd['w'].requires_grad and not sd['f32'].requires_grad\n"
        "h = open('%s', 'rb').read(); n = struct.unpack('<Q', h[:8])[0]; head = json.loads(h[8:8+n])\n"
        "assert head['f64_t'] == {'dtype': 'F64', 'shape': [5, 2], 'data_offsets': head['f64_t']['data_offsets']}\n"
        "out = {k: v.detach() * 2 for k, v in sd.items() if v.dtype != torch.bool}\n"
        "out['view'] = torch.arange(12.).view(3, 4)[1:, ::2]\n"
        "torch.save(out, '%s')\n"
        "EOF\n", tmp_path("for_torch.pth"), tmp_path("for_torch.safetensors"), tmp_path("from_torch.pth"));
    assert_int_equal(system(cmd), 0);
    tl_state_dict *back = tl_load(tmp_path("from_torch.pth"));
    assert_non_null(back);
    check_values(tl_state_dict_get(back, "f32"), (double[]){ 3, -4, 6.5, 8, 11, -12 }, 6);
    check_values(tl_state_dict_get(back, "i64"), (double[]){ -6, 0, 2199023255552.0, 14 }, 4);
    check_values(tl_state_dict_get(back, "view"), (double[]){ 4, 6, 8, 10 }, 4);
    assert_int_equal(tl_state_dict_get(back, "view")->offset, 4);
    assert_int_equal(tl_state_dict_get(back, "view")->stride[1], 2);
    tl_state_dict_free(back);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tl-ch07-XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_state_dict_basics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_dict_keeps_tensors_alive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pth_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pth_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_torch113, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_torch2x_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_torch113_module, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crafted_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crafted_repeated_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crafted_many_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crafted_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crafted_corrupted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crafted_archive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_and_flipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_save, setup, teardown),
        cmocka_unit_test_setup_teardown(test_safetensors_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_safetensors_fixture, setup, teardown),
        cmocka_unit_test_setup_teardown(test_safetensors_save_keeps_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_safetensors_strict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_python_round_trip, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return failed;
}
