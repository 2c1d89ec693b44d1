// exercises/tests/grade_07.c — the graded tests of chapter 07's exercises (exercises/07-saving.c).
// Expected values: the storages the test itself made and shared out (07.1), the library's strict
// safetensors loader and the file's bytes laid out by the test (07.2), and files written by
// tl_save_safetensors or assembled byte by byte from a header text, intact, truncated or corrupted
// (07.3).
#define _POSIX_C_SOURCE 200809L
#include <unistd.h>

#include "grade.h"

int64_t    ex07_state_dict_nbytes(const tl_state_dict *sd);
bool       ex07_save_safetensors(const char *const *names, tl_tensor *const *tensors, int n, const char *path);
tl_tensor *ex07_safetensors_read(const void *data, size_t size, const char *name);

// a fresh temporary folder for this exercise's files, removed at exit
static char tmpdir[256];
static void remove_tmpdir(void) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
}
static const char *tmp_path(const char *file) {
    static char path[400];
    if (!tmpdir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/tl-grade07.XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(tmpdir)) GRADE_FAIL("the grader cannot make a temporary folder in %s", t && *t ? t : "/tmp");
        atexit(remove_tmpdir);
    }
    snprintf(path, sizeof path, "%s/%s", tmpdir, file);
    return path;
}

// the bytes of the file at path, freed with the current pool; NULL when there is none (no error kept)
static unsigned char *read_file(const char *path, size_t *size) {
    unsigned char *b = tl_pool_adopt(tl_read_file(path, size));
    if (!b) tl_error_clear();
    return b;
}

static tl_tensor *random_tensor(tl_dtype dt) {
    tl_shape s = { (int)grade_int(0, 4), { 0 } };
    for (int d = 0; d < s.ndim; d++) s.d[d] = grade_int(1, 5);
    if (dt == TL_BOOL) {
        tl_tensor *t = tl_empty(s, TL_BOOL);
        for (int64_t k = 0; k < tl_numel(t); k++) TL_DATA(t, bool)[k] = grade_int(0, 2);
        return t;
    }
    return grade_uniform(s, -100, 100, dt);
}

// ----------------------------------------------------------------------------
static void test_nbytes(void) {
    static const tl_dtype dts[] = { TL_FLOAT32, TL_FLOAT64, TL_INT64, TL_BOOL };
    for (int round = 0; round < 5; round++) {
        int nbase = (int)grade_int(1, 5);
        tl_tensor *base[5];
        bool used[5] = { false };
        int64_t want = 0;
        for (int k = 0; k < nbase; k++) base[k] = grade_uniform(TL_SHAPE(grade_int(2, 9), grade_int(2, 9)), -1, 1,
                                                                dts[grade_int(0, 3)]);
        tl_state_dict *sd = tl_state_dict_new();
        int n = (int)grade_int(1, 8);
        char desc[400] = "";
        size_t dl = 0;
        for (int i = 0; i < n; i++) {
            int k = (int)grade_int(0, nbase), how = (int)grade_int(0, 4);
            tl_tensor *v = how == 0 ? base[k] : how == 1 ? tl_T(base[k]) : how == 2 ? tl_index(base[k], 1)
                         : tl_slice(base[k], 1, 0, 1, 1);
            static const char *const hows[] = { "", ".T", "[1]", "[:, 0:1]" };
            char name[32];
            snprintf(name, sizeof name, "t%d", i);
            tl_state_dict_set(sd, name, v);
            if (!used[k]) want += (int64_t)tl_numel(base[k]) * (int64_t)tl_dtype_size(base[k]->dtype);
            used[k] = true;
            if (dl < sizeof desc) dl += (size_t)snprintf(desc + dl, sizeof desc - dl, "%sb%d%s", i ? ", " : "", k, hows[how]);
        }
        int64_t got = ex07_state_dict_nbytes(sd);
        tl_state_dict_free(sd);
        char w[512];
        snprintf(w, sizeof w, "ex07_state_dict_nbytes({%s}) over %d base tensors", desc, nbase);
        grade_int_eq(w, got, want);
    }
    tl_state_dict *empty = tl_state_dict_new();
    int64_t e = ex07_state_dict_nbytes(empty);
    tl_state_dict_free(empty);
    grade_int_eq("ex07_state_dict_nbytes(an empty state dict)", e, 0);
    grade_fails("ex07_state_dict_nbytes(NULL)", ex07_state_dict_nbytes(NULL) < 0);
}

// ----------------------------------------------------------------------------
static void test_save(void) {
    static const tl_dtype dts[] = { TL_FLOAT32, TL_FLOAT64, TL_INT64, TL_BOOL };
    for (int round = 0; round < 4; round++) {
        int n = round == 0 ? 1 : (int)grade_int(1, 6);
        const char *names[6];
        tl_tensor *ts[6];
        char namebuf[6][24];
        static const char *const words[] = { "weight", "bias", "layers.0.weight", "w", "running_mean", "emb" };
        for (int i = 0; i < n; i++) {
            snprintf(namebuf[i], sizeof namebuf[i], "%s%d", words[grade_int(0, 6)], i);
            names[i] = namebuf[i];
            ts[i] = round == 0 ? tl_tensor_parse("[1.5, -2.0]") : random_tensor(dts[grade_int(0, 4)]);
            if (round == 3 && i == 0 && ts[0]->ndim == 2) ts[0] = tl_T(ts[0]);     // not contiguous
        }
        const char *path = tmp_path("ex.safetensors");
        char w[160];
        snprintf(w, sizeof w, "ex07_save_safetensors(%d tensors, \"%s\")", n, path);
        grade_ok(w, ex07_save_safetensors(names, ts, n, path));
        size_t size = 0;
        unsigned char *b = read_file(path, &size);
        grade_true(b != NULL, "%s: no file was written", w);
        grade_true(size >= 8, "%s: the file has %zu bytes, fewer than the 8 of the header length", w, size);
        uint64_t N = 0;
        for (int k = 7; k >= 0; k--) N = N << 8 | b[k];
        grade_true((8 + N) % 8 == 0, "%s: the header's length %llu: 8 + N must be a multiple of 8 (pad with spaces)", w,
                   (unsigned long long)N);
        grade_true(N <= size - 8, "%s: the header's length %llu runs past the end of the file (%zu bytes): 8 + N must "
                   "be at most the file's size", w, (unsigned long long)N, size);
        grade_true(N > 0 && b[8] == '{', "%s: the header must start right after the 8 length bytes with '{'", w);
        size_t at = 8 + (size_t)N;
        for (int i = 0; i < n; i++) {
            tl_tensor *c = tl_contiguous(ts[i]);
            size_t nb = (size_t)tl_numel(c) * tl_dtype_size(c->dtype);
            bool here = at + nb <= size && memcmp(b + at, TL_DATA(c, char), nb) == 0;
            if (i == 0) grade_true(here, "%s: tensor 0's bytes (row-major) must start the data part", w);
            else grade_true(here, "%s: tensor %d's bytes (row-major) must follow tensor %d's in the data part", w, i, i - 1);
            at += nb;
        }
        grade_int_eq("the file's size: 8 + N + all the tensors' bytes", size, at);
        tl_state_dict *sd = tl_load_safetensors(path);
        grade_true(sd != NULL, "%s: Torchlet's strict loader refuses the file: %s", w, grade_last_error());
        int64_t len = tl_state_dict_len(sd);
        tl_tensor *got[6] = { 0 };
        for (int i = 0; i < n && len == n; i++) got[i] = tl_state_dict_get(sd, names[i]);
        for (int i = 0; i < n; i++) tl_retain(got[i]);          // the dict's tensors outlive it...
        tl_state_dict_free(sd);
        grade_int_eq("the number of tensors in the file", len, n);
        for (int i = 0; i < n; i++) {
            char wi[200];
            snprintf(wi, sizeof wi, "%s: tensor '%s' read back", w, names[i]);
            bool same = got[i] != NULL;
            tl_tensor *want = ts[i];
            if (same) {
                tl_tensor *g = tl_clone(got[i]);        // ...as copies in this pool: let the loaded ones go
                tl_release(got[i]);
                got[i] = g;
            }
            grade_tensor(wi, got[i], want, 0);
        }
    }
    // the example of the exercise: 72 bytes
    const char *one[1] = { "w" };
    tl_tensor *two = tl_zeros(TL_SHAPE(2), TL_FLOAT32);
    const char *path = tmp_path("w.safetensors");
    grade_ok("ex07_save_safetensors({\"w\": zeros(2)}, ...)", ex07_save_safetensors(one, &two, 1, path));
    size_t size = 0;
    read_file(path, &size);
    grade_int_eq("the size of the file of one float32 tensor \"w\" of 2 elements", size, 72);
    const char *dup[2] = { "w", "w" };
    tl_tensor *pair[2] = { two, two };
    grade_fails("ex07_save_safetensors({\"w\", \"w\"}, ...)", !ex07_save_safetensors(dup, pair, 2, tmp_path("dup")));
    grade_fails("ex07_save_safetensors(names, tensors, 0, ...)", !ex07_save_safetensors(one, &two, 0, tmp_path("none")));
    grade_fails("ex07_save_safetensors(..., \"/no/such/folder/x.safetensors\")",
                !ex07_save_safetensors(one, &two, 1, "/no/such/folder/x.safetensors"));
}

// ----------------------------------------------------------------------------
// a file from a header text and data bytes: the length, the header, the data
static unsigned char *assemble(const char *header, const void *data, size_t ndata, size_t *size) {
    size_t N = strlen(header);
    unsigned char *b = tl_pool_adopt(malloc(8 + N + ndata + 1));
    for (int k = 0; k < 8; k++) b[k] = (unsigned char)(((uint64_t)N >> (8 * k)) & 0xff);
    memcpy(b + 8, header, N);
    if (ndata) memcpy(b + 8 + N, data, ndata);
    *size = 8 + N + ndata;
    return b;
}

static void expect_error(const char *what, const unsigned char *b, size_t size, const char *name, const char *msg) {
    tl_error_clear();
    tl_tensor *t = ex07_safetensors_read(b, size, name);
    grade_true(t == NULL, "%s: expected a failure with \"%s\", got a tensor", what, msg);
    grade_str(what, tl_error(), msg);
    tl_error_clear();
}

static void test_read(void) {
    static const tl_dtype dts[] = { TL_FLOAT32, TL_FLOAT64, TL_INT64, TL_BOOL };
    static const char *const names[] = { "w", "layer.w", "w2", "bias", "x" };
    for (int round = 0; round < 4; round++) {
        tl_state_dict *sd = tl_state_dict_new();
        int n = (int)grade_int(2, 6);
        tl_tensor *ts[5];
        for (int i = 0; i < n; i++) {
            ts[i] = random_tensor(dts[grade_int(0, 4)]);
            tl_state_dict_set(sd, names[i], ts[i]);
        }
        if (round % 2) tl_state_dict_set_metadata(sd, "format", "pt");
        const char *path = tmp_path("in.safetensors");
        bool saved = tl_save_safetensors(sd, path);
        tl_state_dict_free(sd);
        grade_true(saved, "the grader could not write its file: %s", grade_last_error());
        size_t size = 0;
        unsigned char *b = read_file(path, &size);
        for (int i = n - 1; i >= 0; i--) {
            char w[160];
            snprintf(w, sizeof w, "ex07_safetensors_read(a file of %d tensors%s, \"%s\")", n,
                     round % 2 ? " and metadata" : "", names[i]);
            grade_tensor(w, ex07_safetensors_read(b, size, names[i]), ts[i], 0);
        }
        expect_error("ex07_safetensors_read(the file, \"layer\")", b, size, "layer", "safetensors: no tensor named 'layer'");
        if (round % 2)
            expect_error("ex07_safetensors_read(the file, \"__metadata__\")", b, size, "__metadata__",
                         "safetensors: no tensor named '__metadata__'");
        expect_error("ex07_safetensors_read(the first 5 bytes of a file, \"w\")", b, 5, "w",
                     "safetensors: the file is too short (5 bytes)");
        char msg[160];
        uint64_t N = 0;
        for (int k = 7; k >= 0; k--) N = N << 8 | b[k];
        snprintf(msg, sizeof msg, "safetensors: the header (%llu bytes) runs past the end of the file (20 bytes)",
                 (unsigned long long)N);
        expect_error("ex07_safetensors_read(the first 20 bytes of a file, \"w\")", b, 20, "w", msg);
    }
    // assembled by hand: the exercise's example, then one problem each
    float two[2] = { 1.5f, -2.0f };
    size_t size;
    unsigned char *b = assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}     ", two, 8, &size);
    grade_tensor("ex07_safetensors_read(the example file, \"w\")", ex07_safetensors_read(b, size, "w"),
                 tl_tensor_parse("[1.5, -2.0]"), 0);
    double d[4] = { 1, 2, 3, 4 };
    b = assemble("{\"s\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[8,16]},"
                 "\"m\":{\"dtype\":\"F64\",\"shape\":[1,2],\"data_offsets\":[16,32]}}", d, 32, &size);
    grade_tensor("ex07_safetensors_read(a 0-d tensor at offset 8, \"s\")", ex07_safetensors_read(b, size, "s"),
                 tl_scalar(2, TL_FLOAT64), 0);
    grade_tensor("ex07_safetensors_read(a (1, 2) tensor at offset 16, \"m\")", ex07_safetensors_read(b, size, "m"),
                 tl_tensor_parse_dtype("[[3.0, 4.0]]", TL_FLOAT64), 0);
    static const struct { const char *header, *what, *msg; } bad[] = {
        { "[1, 2]", "a header that is a list", "safetensors: the header is not a JSON object" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],", "a cut header", "safetensors: the header is not a JSON object" },
        { "{\"w\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", "dtype F16", "safetensors: the entry of 'w' is malformed" },
        { "{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", "no dtype", "safetensors: the entry of 'w' is malformed" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,8]}}", "a negative size", "safetensors: the entry of 'w' is malformed" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", "a size of 2.5", "safetensors: the entry of 'w' is malformed" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", "one offset", "safetensors: the entry of 'w' is malformed" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", "a shape that is a string", "safetensors: the entry of 'w' is malformed" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", "12 bytes for 16",
          "safetensors: 'w' has data_offsets [0, 12] but dtype F32 and shape [2, 2] need 16 bytes" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}", "offsets past the end",
          "safetensors: 'w' runs past the end of the file" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[4000000000000000],\"data_offsets\":[0,8]}}", "a huge shape",
          "safetensors: 'w' has data_offsets [0, 8] but dtype F32 and shape [4000000000000000] need 16000000000000000 bytes" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        b = assemble(bad[i].header, two, 8, &size);
        char w[160];
        snprintf(w, sizeof w, "ex07_safetensors_read(a file with %s, \"w\")", bad[i].what);
        expect_error(w, b, size, "w", bad[i].msg);
    }
    b = assemble("{}", NULL, 0, &size);
    b[0] = 0xe8; b[1] = 0x03;                          // N = 1000 in a file of 10 bytes
    expect_error("ex07_safetensors_read(a header length of 1000 in a file of 10 bytes, \"w\")", b, size, "w",
                 "safetensors: the header (1000 bytes) runs past the end of the file (10 bytes)");
}

static const grade_exercise exercises[] = {
    { "07.1", 2, "the bytes a .pth stores: each storage once", test_nbytes },
    { "07.2", 3, "write a safetensors file by hand", test_save },
    { "07.3", 4, "read a tensor from a safetensors file, trusting nothing", test_read },
};
GRADE_MAIN(exercises)
