/* generated from chapters/07-saving/07-saving.md by tools/tangle.lua; edit the chapter, not this file */
#line 2219 "chapters/07-saving/07-saving.md"
// serialize.c — state dicts; .pth files (zip + pickle) as torch.save writes and torch.load reads
// them; safetensors. Chapter 07.
//
// Layout of a .pth: PREFIX/data.pkl (pickle protocol 2), PREFIX/data/<key> (storages, raw LE
// bytes), PREFIX/version, PREFIX/byteorder. Loading trusts nothing in the file.
#define _GNU_SOURCE            // strndup, O_DIRECTORY, O_CLOEXEC
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <zip.h>
#include <zlib.h>

#include "serialize.h"
#include "autograd.h"
#include "ops.h"
#include "print.h"

#line 103 "chapters/07-saving/07-saving.md"
// ----------------------------------------------------------------------------
// The state dict
typedef struct { char *name; tl_tensor *tensor; } sd_entry;

struct tl_state_dict {
    sd_entry *items;            // insertion order
    int64_t   len, cap;
    char    **meta;             // key, value, key, value, ...
    int64_t   meta_len, meta_cap;
};

// makes room for `need` elements of `size` bytes in *array (capacity *cap)
static bool grow(void *array, int64_t *cap, int64_t need, size_t size) {
    void **p = array;
    if (need <= *cap) return true;
    int64_t c = *cap ? *cap : 8;
    while (c < need) c *= 2;
    void *q = realloc(*p, (size_t)c * size);
    if (!q) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return false; }
    *p = q;
    *cap = c;
    return true;
}

tl_state_dict *tl_state_dict_new(void) {
    tl_state_dict *sd = calloc(1, sizeof *sd);
    if (!sd) tl_error_set(TL_RUNTIME_ERROR, "out of memory");
    return sd;
}

void tl_state_dict_free(tl_state_dict *sd) {
    if (!sd) return;
    for (int64_t i = 0; i < sd->len; i++) { free(sd->items[i].name); tl_release(sd->items[i].tensor); }
    for (int64_t i = 0; i < 2 * sd->meta_len; i++) free(sd->meta[i]);
    free(sd->items);
    free(sd->meta);
    free(sd);
}

static int64_t sd_find(const tl_state_dict *sd, const char *name) {
    for (int64_t i = 0; i < sd->len; i++)
        if (strcmp(sd->items[i].name, name) == 0) return i;
    return -1;
}

// appends a name known not to be there yet (loaders, which checked): no search
static bool sd_append(tl_state_dict *sd, const char *name, tl_tensor *t) {
    char *copy = strdup(name);
    if (!copy || !grow(&sd->items, &sd->cap, sd->len + 1, sizeof *sd->items)) {
        free(copy);
        tl_error_set(TL_RUNTIME_ERROR, "out of memory");
        return false;
    }
    sd->items[sd->len++] = (sd_entry){ copy, tl_retain(t) };
    return true;
}

static bool meta_append(tl_state_dict *sd, const char *key, const char *value) {
    char *k = strdup(key), *v = strdup(value);
    if (!k || !v || !grow(&sd->meta, &sd->meta_cap, 2 * (sd->meta_len + 1), sizeof *sd->meta)) {
        free(k); free(v);
        tl_error_set(TL_RUNTIME_ERROR, "out of memory");
        return false;
    }
    sd->meta[2 * sd->meta_len] = k;
    sd->meta[2 * sd->meta_len + 1] = v;
    sd->meta_len++;
    return true;
}

bool tl_state_dict_set(tl_state_dict *sd, const char *name, tl_tensor *t) {
    if (!t) return false;                                  // an earlier failure passes through
    if (!sd || !name) {
        tl_error_set(TL_VALUE_ERROR, "tl_state_dict_set: the state dict and the name must not be NULL");
        return false;
    }
    int64_t i = sd_find(sd, name);
    if (i >= 0) {                                          // replace, keep the place
        tl_retain(t);
        tl_release(sd->items[i].tensor);
        sd->items[i].tensor = t;
        return true;
    }
    return sd_append(sd, name, t);
}

tl_tensor *tl_state_dict_get(const tl_state_dict *sd, const char *name) {
    if (!sd || !name) return NULL;
    int64_t i = sd_find(sd, name);
    if (i < 0) {
        tl_error_set(TL_VALUE_ERROR, "the state dict has no key '%s'", name);
        return NULL;
    }
    return sd->items[i].tensor;
}

int64_t tl_state_dict_len(const tl_state_dict *sd) { return sd ? sd->len : 0; }

const char *tl_state_dict_key(const tl_state_dict *sd, int64_t i) {
    if (!sd || i < 0 || i >= sd->len) {
        tl_error_set(TL_INDEX_ERROR, "state dict index %lld is out of range", (long long)i);
        return NULL;
    }
    return sd->items[i].name;
}

tl_tensor *tl_state_dict_value(const tl_state_dict *sd, int64_t i) {
    return tl_state_dict_key(sd, i) ? sd->items[i].tensor : NULL;
}

bool tl_state_dict_set_metadata(tl_state_dict *sd, const char *key, const char *value) {
    if (!sd || !key || !value) {
        tl_error_set(TL_VALUE_ERROR, "tl_state_dict_set_metadata: NULL argument");
        return false;
    }
    for (int64_t i = 0; i < sd->meta_len; i++) {
        if (strcmp(sd->meta[2 * i], key) != 0) continue;
        char *v = strdup(value);
        if (!v) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return false; }
        free(sd->meta[2 * i + 1]);
        sd->meta[2 * i + 1] = v;
        return true;
    }
    return meta_append(sd, key, value);
}

const char *tl_state_dict_metadata(const tl_state_dict *sd, const char *key) {
    for (int64_t i = 0; sd && key && i < sd->meta_len; i++)
        if (strcmp(sd->meta[2 * i], key) == 0) return sd->meta[2 * i + 1];
    return NULL;
}

int64_t tl_state_dict_metadata_len(const tl_state_dict *sd) { return sd ? sd->meta_len : 0; }

const char *tl_state_dict_metadata_key(const tl_state_dict *sd, int64_t i) {
    return sd && i >= 0 && i < sd->meta_len ? sd->meta[2 * i] : NULL;
}
#line 2245 "chapters/07-saving/07-saving.md"

#line 311 "chapters/07-saving/07-saving.md"
// ----------------------------------------------------------------------------
// A growable byte buffer: the pickle, the zip archive
typedef struct { unsigned char *p; size_t len, cap; bool failed; } bytes;

static void put(bytes *b, const void *data, size_t n) {
    if (b->failed) return;
    if (n > b->cap - b->len) {
        size_t c = b->cap ? b->cap : 4096;
        while (c - b->len < n) c *= 2;
        unsigned char *q = realloc(b->p, c);
        if (!q) { b->failed = true; return; }
        b->p = q;
        b->cap = c;
    }
    if (n) memcpy(b->p + b->len, data, n);
    b->len += n;
}
static void put_u8(bytes *b, unsigned v) { unsigned char c = (unsigned char)v; put(b, &c, 1); }
static void put_le(bytes *b, uint64_t v, int n) {            // n-byte little-endian integer
    unsigned char c[8];
    for (int i = 0; i < n; i++) c[i] = (unsigned char)(v >> (8 * i));
    put(b, c, (size_t)n);
}
static uint64_t get_le(const unsigned char *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}
static bool host_is_little_endian(void) { const uint16_t one = 1; return *(const unsigned char *)&one == 1; }
#line 2247 "chapters/07-saving/07-saving.md"

#line 343 "chapters/07-saving/07-saving.md"
// ----------------------------------------------------------------------------
// Pickle writing (protocol 2, no memo)
static void pk_int(bytes *b, int64_t v) {
    if (v >= 0 && v < 256)                     { put_u8(b, 'K'); put_u8(b, (unsigned)v); }
    else if (v >= 0 && v < 65536)              { put_u8(b, 'M'); put_le(b, (uint64_t)v, 2); }
    else if (v >= INT32_MIN && v <= INT32_MAX) { put_u8(b, 'J'); put_le(b, (uint64_t)(uint32_t)(int32_t)v, 4); }
    else                                       { put_u8(b, 0x8a); put_u8(b, 8); put_le(b, (uint64_t)v, 8); }
}
static void pk_str(bytes *b, const char *s) {
    size_t n = strlen(s);
    put_u8(b, 'X');
    put_le(b, n, 4);
    put(b, s, n);
}
static void pk_global(bytes *b, const char *module, const char *name) {
    put_u8(b, 'c');
    put(b, module, strlen(module)); put_u8(b, '\n');
    put(b, name, strlen(name));     put_u8(b, '\n');
}
static void pk_int_tuple(bytes *b, int n, const int64_t *v) {
    if (n == 0) { put_u8(b, ')'); return; }
    put_u8(b, '(');
    for (int i = 0; i < n; i++) pk_int(b, v[i]);
    put_u8(b, 't');
}
#line 373 "chapters/07-saving/07-saving.md"
static const char *storage_class(tl_dtype dtype) {
    switch (dtype) {
    case TL_FLOAT32: return "FloatStorage";
    case TL_FLOAT64: return "DoubleStorage";
    case TL_INT64:   return "LongStorage";
    case TL_BOOL:    return "BoolStorage";
    }
    return "?";
}
#line 392 "chapters/07-saving/07-saving.md"
static void pickle_state_dict(bytes *b, const tl_state_dict *sd, const int64_t *keys, const int64_t *numel) {
    put_u8(b, 0x80); put_u8(b, 2);                                    // PROTO 2
    pk_global(b, "collections", "OrderedDict"); put_u8(b, ')'); put_u8(b, 'R');
    if (sd->len > 0) put_u8(b, '(');                                  // MARK
    for (int64_t i = 0; i < sd->len; i++) {
        const tl_tensor *t = sd->items[i].tensor;
        char key[24];
        snprintf(key, sizeof key, "%lld", (long long)keys[i]);
        pk_str(b, sd->items[i].name);
        pk_global(b, "torch._utils", "_rebuild_tensor_v2");
        put_u8(b, '(');                                               // its arguments:
        put_u8(b, '(');                                               //   the persistent id
        pk_str(b, "storage");
        pk_global(b, "torch", storage_class(t->dtype));
        pk_str(b, key);
        pk_str(b, "cpu");
        pk_int(b, numel[keys[i]]);
        put_u8(b, 't');
        put_u8(b, 'Q');                                               //   BINPERSID: the storage
        pk_int(b, t->offset);                                         //   storage_offset
        pk_int_tuple(b, t->ndim, t->shape);                           //   size
        pk_int_tuple(b, t->ndim, t->stride);                          //   stride
        put_u8(b, t->requires_grad ? 0x88 : 0x89);                    //   requires_grad
        pk_global(b, "collections", "OrderedDict"); put_u8(b, ')'); put_u8(b, 'R');   // hooks
        put_u8(b, 't');
        put_u8(b, 'R');                                               // _rebuild_tensor_v2(...)
    }
    if (sd->len > 0) put_u8(b, 'u');                                  // SETITEMS
    put_u8(b, '.');                                                   // STOP
}
#line 2249 "chapters/07-saving/07-saving.md"

#line 445 "chapters/07-saving/07-saving.md"
// ----------------------------------------------------------------------------
// A zip writer: stored entries whose data start at multiples of 64 bytes, as PyTorch writes them
typedef struct { const void *p; size_t n; } span;             // n bytes at p, written in order

typedef struct {
    char       *name;
    uint32_t    crc, size, offset;      // offset: of the local header in the file
    size_t      header_at, header_len;  // the local header, in out
    const void *data;                   // the entry's bytes: the caller's memory, not copied
} zw_entry;

typedef struct {
    bytes     out;                      // headers and central directory
    zw_entry *entries;
    int64_t   n, cap;
    size_t    file_len;                 // bytes of the file so far
    size_t    cd_at, cd_len;            // the central directory and its end record, in out
    bool      too_big;
} zw_writer;

static void zw_init(zw_writer *z) { memset(z, 0, sizeof *z); }
#line 474 "chapters/07-saving/07-saving.md"
static void zw_add(zw_writer *z, const char *name, const void *data, size_t size) {
    size_t offset = z->file_len, name_len = strlen(name);
    size_t pad = (64 - (offset + 30 + name_len) % 64) % 64;
    if (pad > 0 && pad < 4) pad += 64;
    if (offset >= 0xFFFFFFFFu || size >= 0xFFFFFFFFu) { z->too_big = true; return; }   // no zip64 here
    char *copy = strdup(name);
    if (!copy || !grow(&z->entries, &z->cap, z->n + 1, sizeof *z->entries)) {
        free(copy);
        z->out.failed = true;
        return;
    }
    uint32_t crc = (uint32_t)crc32_z(0, data, size);
    bytes *b = &z->out;
    z->entries[z->n++] = (zw_entry){ copy, crc, (uint32_t)size, (uint32_t)offset, b->len, 30 + name_len + pad, data };
    z->file_len += 30 + name_len + pad + size;
    put_le(b, 0x04034b50, 4);               // local file header signature
    put_le(b, 20, 2);                       // version needed to extract (2.0)
    put_le(b, 0, 2);                        // flags
    put_le(b, 0, 2);                        // method: stored
    put_le(b, 0, 2);                        // time 00:00
    put_le(b, 0x21, 2);                     // date 1980-01-01
    put_le(b, crc, 4);
    put_le(b, size, 4);                     // compressed size
    put_le(b, size, 4);                     // uncompressed size
    put_le(b, name_len, 2);
    put_le(b, pad, 2);                      // extra field length
    put(b, name, name_len);
    if (pad) {                              // extra field "FB": padding to the 64-byte boundary
        put(b, "FB", 2);
        put_le(b, pad - 4, 2);
        for (size_t i = 0; i < pad - 4; i++) put_u8(b, 'Z');
    }
}

static void zw_finish(zw_writer *z) {
    bytes *b = &z->out;
    size_t cd_offset = z->file_len;
    z->cd_at = b->len;
    for (int64_t i = 0; i < z->n; i++) {
        const zw_entry *e = &z->entries[i];
        size_t name_len = strlen(e->name);
        put_le(b, 0x02014b50, 4);           // central directory header signature
        put_le(b, 20, 2);                   // version made by
        put_le(b, 20, 2);                   // version needed
        put_le(b, 0, 2);                    // flags
        put_le(b, 0, 2);                    // method: stored
        put_le(b, 0, 2);                    // time
        put_le(b, 0x21, 2);                 // date
        put_le(b, e->crc, 4);
        put_le(b, e->size, 4);
        put_le(b, e->size, 4);
        put_le(b, name_len, 2);
        put_le(b, 0, 2);                    // extra field length
        put_le(b, 0, 2);                    // comment length
        put_le(b, 0, 2);                    // disk number
        put_le(b, 0, 2);                    // internal attributes
        put_le(b, 0, 4);                    // external attributes
        put_le(b, e->offset, 4);            // where its local header is
        put(b, e->name, name_len);
    }
    size_t cd_size = b->len - z->cd_at;
    if (z->n > 0xFFFF || cd_offset >= 0xFFFFFFFFu || cd_size >= 0xFFFFFFFFu) z->too_big = true;
    put_le(b, 0x06054b50, 4);               // end of central directory
    put_le(b, 0, 2);                        // this disk
    put_le(b, 0, 2);                        // disk with the central directory
    put_le(b, (uint64_t)z->n, 2);           // entries on this disk
    put_le(b, (uint64_t)z->n, 2);           // entries in all
    put_le(b, cd_size, 4);
    put_le(b, cd_offset, 4);
    put_le(b, 0, 2);                        // comment length
    z->cd_len = b->len - z->cd_at;
}

// the whole file as spans: each header, then its data; then the central directory (malloc'd)
static span *zw_spans(const zw_writer *z, int *count) {
    span *s = malloc(((size_t)z->n * 2 + 1) * sizeof *s);
    if (!s) return NULL;
    int k = 0;
    for (int64_t i = 0; i < z->n; i++) {
        s[k++] = (span){ z->out.p + z->entries[i].header_at, z->entries[i].header_len };
        s[k++] = (span){ z->entries[i].data, z->entries[i].size };
    }
    s[k++] = (span){ z->out.p + z->cd_at, z->cd_len };
    *count = k;
    return s;
}

static void zw_free(zw_writer *z) {
    for (int64_t i = 0; i < z->n; i++) free(z->entries[i].name);
    free(z->entries);
    free(z->out.p);
}
#line 2251 "chapters/07-saving/07-saving.md"

#line 593 "chapters/07-saving/07-saving.md"
// ----------------------------------------------------------------------------
// Writing a file atomically: temporary file in the same directory, fsync, rename, fsync the directory
static _Atomic int64_t inject_failure_after = -1;    // tests: fail the next write after N bytes

void tl_serialize_inject_write_failure_(int64_t after_bytes) { inject_failure_after = after_bytes; }

// writes spans[0..count) one after the other into fd; 0 or an errno (ENOSPC when the test hook fires)
static int write_spans(int fd, const span *spans, int count, int64_t fail_at) {
    size_t total = 0;
    for (int i = 0; i < count; i++) {
        const unsigned char *data = spans[i].p;
        size_t n = spans[i].n, done = 0;
        while (done < n) {
            size_t chunk = n - done;
            if (fail_at >= 0 && (int64_t)(total + chunk) > fail_at) chunk = (size_t)fail_at - total;
            ssize_t w = chunk ? write(fd, data + done, chunk) : 0;
            if (fail_at >= 0 && total + (size_t)(w > 0 ? w : 0) >= (size_t)fail_at) return ENOSPC;
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) return w < 0 ? errno : EIO;
            done += (size_t)w;
            total += (size_t)w;
        }
    }
    return 0;
}

static _Atomic unsigned temp_counter;               // makes temporary names unique within the process

static bool write_file_atomic(const char *path, const span *spans, int count, const char *fn) {
    size_t len = strlen(path) + 48;
    char *tmp = malloc(len);
    if (!tmp) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return false; }
    int fd = -1;
    for (int tries = 0; fd < 0 && tries < 100; tries++) {   // 0666: the kernel applies the umask
        snprintf(tmp, len, "%s.tmp.%ld.%u", path, (long)getpid(), atomic_fetch_add(&temp_counter, 1));
        fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        tl_error_set(TL_RUNTIME_ERROR, "%s: cannot create a file next to '%s': %s", fn, path, strerror(errno));
        free(tmp);
        return false;
    }
    int err = write_spans(fd, spans, count, atomic_exchange(&inject_failure_after, -1));
    if (!err && fsync(fd) != 0) err = errno;
    if (close(fd) != 0 && !err) err = errno;
    if (!err && rename(tmp, path) != 0) err = errno;
    if (err) {
        unlink(tmp);
        tl_error_set(TL_RUNTIME_ERROR, "%s: writing '%s' failed: %s (the file there, if any, is unchanged)",
                     fn, path, strerror(err));
        free(tmp);
        return false;
    }
    free(tmp);
    // make the rename durable: sync the directory that holds the file
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY) : -1;
    if (dfd >= 0) { fsync(dfd); close(dfd); }
    free(dir);
    return true;
}
#line 2253 "chapters/07-saving/07-saving.md"

#line 681 "chapters/07-saving/07-saving.md"
// ----------------------------------------------------------------------------
// tl_save
bool tl_save(const tl_state_dict *sd, const char *path) {
    if (!sd || !path) { tl_error_set(TL_VALUE_ERROR, "tl_save: NULL state dict or path"); return false; }
    if (!host_is_little_endian()) {
        tl_error_set(TL_RUNTIME_ERROR, "tl_save: this machine is big-endian; Torchlet writes little-endian files only");
        return false;
    }
    int64_t n = sd->len;
    int64_t *keys = calloc((size_t)n + 1, sizeof *keys), *numel = calloc((size_t)n + 1, sizeof *numel);
    const tl_tensor **first = calloc((size_t)n + 1, sizeof *first);   // the first tensor on each storage
    bytes pkl = { 0 };
    zw_writer z;
    zw_init(&z);
    bool ok = keys && numel && first;
    if (!ok) tl_error_set(TL_RUNTIME_ERROR, "out of memory");
    int64_t nstorages = 0;
    for (int64_t i = 0; ok && i < n; i++) {
        const tl_tensor *t = sd->items[i].tensor;
        if (t->storage->device.type != TL_CPU) {
            tl_error_set(TL_RUNTIME_ERROR, "tl_save: '%s' is on cuda:%d; copy it to the CPU before saving",
                         sd->items[i].name, t->storage->device.index);
            ok = false;
            break;
        }
        int64_t k = 0;
        while (k < nstorages && first[k]->storage != t->storage) k++;
        if (k == nstorages) {
            first[k] = t;
            numel[k] = (int64_t)(t->storage->nbytes / tl_dtype_size(t->dtype));
            nstorages++;
        } else if (first[k]->dtype != t->dtype) {
            tl_error_set(TL_RUNTIME_ERROR, "tl_save: '%s' (%s) shares its storage with a %s tensor; a storage "
                         "has one dtype",
                         sd->items[i].name, tl_dtype_name(t->dtype), tl_dtype_name(first[k]->dtype));
            ok = false;
        }
        keys[i] = k;
    }
    if (ok) {
        pickle_state_dict(&pkl, sd, keys, numel);
        zw_add(&z, "archive/data.pkl", pkl.p, pkl.len);
        zw_add(&z, "archive/byteorder", "little", 6);
        for (int64_t k = 0; k < nstorages; k++) {
            char name[48];
            snprintf(name, sizeof name, "archive/data/%lld", (long long)k);
            zw_add(&z, name, first[k]->storage->data, (size_t)numel[k] * tl_dtype_size(first[k]->dtype));
        }
        zw_add(&z, "archive/version", "3\n", 2);
        zw_finish(&z);
        if (pkl.failed || z.out.failed) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); ok = false; }
        else if (z.too_big) {
            tl_error_set(TL_RUNTIME_ERROR, "tl_save: the checkpoint would be larger than 4 GiB, which needs zip64; "
                         "Torchlet does not write zip64");
            ok = false;
        }
    }
    int n_spans = 0;
    span *spans = ok ? zw_spans(&z, &n_spans) : NULL;
    if (ok && !spans) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); ok = false; }
    if (ok) ok = write_file_atomic(path, spans, n_spans, "tl_save");
    free(spans);
    free(keys); free(numel); free(first); free(pkl.p);
    zw_free(&z);
    return ok;
}
#line 2255 "chapters/07-saving/07-saving.md"

#line 766 "chapters/07-saving/07-saving.md"
// ----------------------------------------------------------------------------
// Reading a whole file: Python's words for the errors ("[Errno 2] No such file or directory: 'x'")
unsigned char *tl_read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) { tl_error_set(TL_RUNTIME_ERROR, "[Errno %d] %s: '%s'", errno, strerror(errno), path); return NULL; }
    struct stat st;
    bool known = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
                 (uint64_t)st.st_size < SIZE_MAX;
    size_t cap = known ? (size_t)st.st_size + 1 : 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    int err = 0;
    errno = 0;
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) { if (ferror(f)) err = errno ? errno : EIO; break; }
        if (n == cap) {                                       // a size fstat did not know, or a file that grew
            unsigned char *q = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
            if (!q) { free(buf); buf = NULL; break; }
            buf = q;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) { tl_error_set(TL_RUNTIME_ERROR, "out of memory reading '%s'", path); return NULL; }
    if (err) { free(buf); tl_error_set(TL_RUNTIME_ERROR, "[Errno %d] %s: '%s'", err, strerror(err), path); return NULL; }
    *size = n;
    return buf;
}
#line 2257 "chapters/07-saving/07-saving.md"

#line 809 "chapters/07-saving/07-saving.md"
// ----------------------------------------------------------------------------
// Reading the archive (libzip, from memory)
typedef struct {
    const char *name;               // the file, for messages
    size_t      file_size;
    zip_t      *za;
    char       *prefix;             // "archive/"
} pth_archive;

// Finds PREFIX + record: its index and size. False with *missing when it is not in the archive
// (no error set), false with an error when its entry is broken or compressed.
static bool record_find(const pth_archive *a, const char *record, zip_uint64_t *index, size_t *size,
                        bool *missing) {
    *missing = false;
    size_t need = strlen(a->prefix) + strlen(record) + 1;
    char *full = malloc(need);
    if (!full) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return false; }
    snprintf(full, need, "%s%s", a->prefix, record);
    zip_int64_t idx = zip_name_locate(a->za, full, ZIP_FL_ENC_RAW);
    free(full);
    if (idx < 0) { *missing = true; return false; }
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(a->za, (zip_uint64_t)idx, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE)) {
        tl_error_set(TL_RUNTIME_ERROR, "'%s' is corrupted: cannot read the entry of record '%s'", a->name, record);
        return false;
    }
    if ((st.valid & ZIP_STAT_COMP_METHOD) && st.comp_method != ZIP_CM_STORE) {
        tl_error_set(TL_RUNTIME_ERROR, "'%s': record '%s' is compressed (method %d); PyTorch stores records "
                     "uncompressed, and so must a file Torchlet loads", a->name, record, (int)st.comp_method);
        return false;
    }
    if (st.size > a->file_size) {
        tl_error_set(TL_RUNTIME_ERROR, "'%s' is corrupted: record '%s' claims %llu bytes in a file of %zu",
                     a->name, record, (unsigned long long)st.size, a->file_size);
        return false;
    }
    *index = (zip_uint64_t)idx;
    *size = (size_t)st.size;
    return true;
}

// Reads the record's `size` bytes into dst, checking its CRC-32 (by reading one byte past the end).
static bool record_read(const pth_archive *a, zip_uint64_t index, const char *record, void *dst,
                        size_t size) {
    zip_file_t *f = zip_fopen_index(a->za, index, 0);
    if (!f) {
        tl_error_set(TL_RUNTIME_ERROR, "'%s' is corrupted: cannot open record '%s': %s", a->name, record,
                     zip_strerror(a->za));
        return false;
    }
    unsigned char extra;
    bool ok = zip_fread(f, dst, size) == (zip_int64_t)size && zip_fread(f, &extra, 1) == 0;
    if (!ok) tl_error_set(TL_RUNTIME_ERROR, "'%s' is truncated or corrupted: record '%s': %s", a->name, record,
                          zip_error_strerror(zip_file_get_error(f)));
    zip_fclose(f);
    return ok;
}

// The record PREFIX + record, malloc'd, or NULL: *missing tells "not in the archive" (no error set)
// from a broken entry (error set).
static unsigned char *read_record(const pth_archive *a, const char *record, size_t *len, bool *missing) {
    zip_uint64_t idx;
    if (!record_find(a, record, &idx, len, missing)) return NULL;
    unsigned char *buf = malloc(*len ? *len : 1);
    if (!buf) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return NULL; }
    if (!record_read(a, idx, record, buf, *len)) { free(buf); return NULL; }
    return buf;
}
#line 888 "chapters/07-saving/07-saving.md"
static bool archive_open(pth_archive *a, const void *data, size_t size, const char *name) {
    memset(a, 0, sizeof *a);
    a->name = name;
    a->file_size = size;
    const unsigned char *p = data;
    if (size < 4 || memcmp(p, "PK\x03\x04", 4) != 0) {
        if (size >= 2 && p[0] == 0x80 && p[1] <= 5)
            tl_error_set(TL_RUNTIME_ERROR, "'%s' is in PyTorch's legacy format (before 1.6, a pickle, not a zip "
                         "archive); Torchlet reads only the zip format: load it in PyTorch and save it again with "
                         "torch.save(obj, path)", name);
        else
            tl_error_set(TL_RUNTIME_ERROR, "'%s' is not a PyTorch checkpoint: PytorchStreamReader failed reading zip "
                         "archive: failed finding central directory", name);
        return false;
    }
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, size, 0, &ze);
    a->za = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze) : NULL;
    if (!a->za) {
        tl_error_set(TL_RUNTIME_ERROR, "'%s' is not a valid zip archive: %s", name, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        if (src) zip_source_free(src);
        return false;
    }
    zip_error_fini(&ze);
    const char *first = zip_get_num_entries(a->za, 0) > 0 ? zip_get_name(a->za, 0, ZIP_FL_ENC_RAW) : NULL;
    const char *slash = first ? strchr(first, '/') : NULL;
    if (!slash) {
        tl_error_set(TL_RUNTIME_ERROR, "'%s' is not a PyTorch checkpoint: its first entry is not in a folder", name);
        return false;
    }
    a->prefix = strndup(first, (size_t)(slash - first) + 1);
    if (!a->prefix) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return false; }
    return true;
}

static void archive_close(pth_archive *a) {
    if (a->za) zip_discard(a->za);     // also frees the source
    free(a->prefix);
}

static bool archive_check(const pth_archive *a) {
    size_t len;
    bool missing;
    zip_uint64_t index;
    bool found = record_find(a, "constants.pkl", &index, &len, &missing);     // its entry is enough
    if (found || !missing) {                                    // (not found and not missing: broken)
        if (found) tl_error_set(TL_RUNTIME_ERROR, "'%s' is a TorchScript archive (it has constants.pkl): load it "
                                "with torch.jit.load; Torchlet loads what torch.save writes", a->name);
        return false;
    }
    unsigned char *rec = read_record(a, ".data/version", &len, &missing);      // PyTorch 2.x; preferred, as PyTorch does
    if (missing) rec = read_record(a, "version", &len, &missing);
    if (!rec) {
        if (missing)
            tl_error_set(TL_RUNTIME_ERROR, "'%s': PytorchStreamReader failed finding the record 'version'", a->name);
        return false;
    }
    long long version = 0;
    size_t i = 0;
    while (i < len && i < 12 && rec[i] >= '0' && rec[i] <= '9') version = version * 10 + (rec[i++] - '0');
    bool good = i > 0 && (i == len || (rec[i] == '\n' && i + 1 == len));
    free(rec);
    if (!good || version < 1 || version > 10) {
        tl_error_set(TL_RUNTIME_ERROR, "'%s': unsupported file format version %lld (Torchlet reads versions 1 to 10)",
                     a->name, good ? version : -1);
        return false;
    }
    rec = read_record(a, "byteorder", &len, &missing);
    if (!rec) return missing;                                   // absent before PyTorch 2.x: little
    bool little = len == 6 && memcmp(rec, "little", 6) == 0;
    bool big = len == 3 && memcmp(rec, "big", 3) == 0;
    free(rec);
    if (!little) {
        tl_error_set(TL_RUNTIME_ERROR, "'%s' %s", a->name, big ? "was written on a big-endian machine; Torchlet "
                     "reads little-endian files" : "has an unknown byteorder record");
        return false;
    }
    return true;
}
#line 2259 "chapters/07-saving/07-saving.md"

#line 980 "chapters/07-saving/07-saving.md"
// ----------------------------------------------------------------------------
// The restricted unpickler: values
typedef enum { V_MARK, V_NONE, V_BOOL, V_INT, V_STR, V_TUPLE, V_DICT, V_GLOBAL, V_STORAGE, V_TENSOR } vkind;
static const char *const vkind_name[] = { "MARK", "None", "bool", "int", "str", "tuple", "dict", "global",
                                          "storage", "tensor" };

typedef struct value {
    vkind          kind;
    int64_t        i;        // V_BOOL, V_INT; V_GLOBAL: which one (an index into allowed_globals)
    char          *s;        // V_STR: NUL-terminated copy
    size_t         slen;
    struct value **items;    // V_TUPLE: n items; V_DICT: n keys and n values, interleaved
    int64_t        n, cap;
    tl_tensor     *tensor;   // V_STORAGE: a 1-d tensor owning the storage; V_TENSOR: the tensor
} value;
#line 1003 "chapters/07-saving/07-saving.md"
enum { G_ORDERED_DICT, G_REBUILD_TENSOR_V2, G_REBUILD_PARAMETER, G_STORAGE };   // G_STORAGE + dtype
static const struct { const char *module, *name; int dtype; } allowed_globals[] = {
    { "collections",  "OrderedDict",        -1 },
    { "torch._utils", "_rebuild_tensor_v2", -1 },
    { "torch._utils", "_rebuild_parameter", -1 },
    { "torch", "BoolStorage",   TL_BOOL },      // G_STORAGE + 0 ...
    { "torch", "LongStorage",   TL_INT64 },
    { "torch", "FloatStorage",  TL_FLOAT32 },
    { "torch", "DoubleStorage", TL_FLOAT64 },
};
#define N_GLOBALS ((int)(sizeof allowed_globals / sizeof allowed_globals[0]))
#line 1020 "chapters/07-saving/07-saving.md"
typedef struct { char *key; value *storage; } loaded_storage;

typedef struct {
    const pth_archive   *archive;
    const unsigned char *p;          // the pickle
    size_t               n, pos;
    value              **stack;
    int64_t              sp, stack_cap;
    value              **memo;       // memo[i]: NULL when unset
    int64_t              memo_len, memo_cap;
    value              **arena;      // every value made, freed at the end
    int64_t              arena_len, arena_cap;
    loaded_storage      *storages;
    int64_t              n_storages, storages_cap;
    int64_t             *slots;      // hash index into storages (-1: empty), a power of two long
    int64_t              n_slots;
} unpickler;
#line 1046 "chapters/07-saving/07-saving.md"
static uint64_t fnv1a(const char *s) {
    uint64_t h = 14695981039346656037u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

// the index of the storage with this key, or -1; *slot: where it is or would go
static int64_t storage_find(const unpickler *u, const char *key, int64_t *slot) {
    if (u->n_slots == 0) { *slot = -1; return -1; }
    int64_t h = (int64_t)(fnv1a(key) & (uint64_t)(u->n_slots - 1));
    while (u->slots[h] >= 0 && strcmp(u->storages[u->slots[h]].key, key) != 0) h = (h + 1) & (u->n_slots - 1);
    *slot = h;
    return u->slots[h];
}

static bool storage_index_add(unpickler *u, int64_t i) {
    if (2 * (i + 1) > u->n_slots) {                      // grow and rehash
        int64_t n = u->n_slots ? 2 * u->n_slots : 64;
        int64_t *slots = malloc((size_t)n * sizeof *slots);
        if (!slots) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return false; }
        for (int64_t k = 0; k < n; k++) slots[k] = -1;
        free(u->slots);
        u->slots = slots;
        u->n_slots = n;
        for (int64_t k = 0; k < i; k++) {
            int64_t slot;
            storage_find(u, u->storages[k].key, &slot);
            u->slots[slot] = k;
        }
    }
    int64_t slot;
    storage_find(u, u->storages[i].key, &slot);
    u->slots[slot] = i;
    return true;
}
#line 1088 "chapters/07-saving/07-saving.md"
static void *corrupted(const unpickler *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void *corrupted(const unpickler *u, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tl_error_set(TL_RUNTIME_ERROR, "'%s' is truncated or corrupted: data.pkl: %s", u->archive->name, msg);
    return NULL;
}

static void *refused(const unpickler *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void *refused(const unpickler *u, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tl_error_set(TL_RUNTIME_ERROR, "Weights only load failed for '%s'. WeightsUnpickler error: %s",
                 u->archive->name, msg);
    return NULL;
}

static value *new_value(unpickler *u, vkind kind) {
    value *v = calloc(1, sizeof *v);
    if (!v || !grow(&u->arena, &u->arena_cap, u->arena_len + 1, sizeof *u->arena)) {
        free(v);
        tl_error_set(TL_RUNTIME_ERROR, "out of memory");
        return NULL;
    }
    u->arena[u->arena_len++] = v;
    v->kind = kind;
    return v;
}

static bool push(unpickler *u, value *v) {
    if (!v || !grow(&u->stack, &u->stack_cap, u->sp + 1, sizeof *u->stack)) return false;
    u->stack[u->sp++] = v;
    return true;
}

static value *pop(unpickler *u) {
    if (u->sp == 0) return corrupted(u, "stack underflow at byte %zu", u->pos - 1);
    value *v = u->stack[--u->sp];
    if (v->kind == V_MARK) return corrupted(u, "unexpected MARK at byte %zu", u->pos - 1);
    return v;
}

static value *top(unpickler *u) {
    if (u->sp == 0 || u->stack[u->sp - 1]->kind == V_MARK)
        return corrupted(u, "no value on the stack at byte %zu", u->pos - 1);
    return u->stack[u->sp - 1];
}

// the values above the topmost MARK, removed from the stack (MARK too): *count of them, from stack[*first]
static bool pop_mark(unpickler *u, int64_t *first, int64_t *count) {
    int64_t m = u->sp - 1;
    while (m >= 0 && u->stack[m]->kind != V_MARK) m--;
    if (m < 0) { corrupted(u, "no MARK before byte %zu", u->pos - 1); return false; }
    *first = m + 1;
    *count = u->sp - m - 1;
    u->sp = m;                    // the values stay in the array, above sp, until the next push
    return true;
}

static value *make_tuple(unpickler *u, value **items, int64_t n) {
    value *t = new_value(u, V_TUPLE);
    if (!t) return NULL;
    if (n > 0) {
        t->items = malloc((size_t)n * sizeof *t->items);
        if (!t->items) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return NULL; }
        memcpy(t->items, items, (size_t)n * sizeof *items);
    }
    t->n = t->cap = n;
    return t;
}
#line 1172 "chapters/07-saving/07-saving.md"
static bool dict_set(unpickler *u, value *d, value *k, value *v) {
    if (d->kind != V_DICT) { refused(u, "SETITEM on a %s, not a dict", vkind_name[d->kind]); return false; }
    if (k->kind != V_STR) { refused(u, "dictionary keys must be strings, not %s", vkind_name[k->kind]); return false; }
    if (!grow(&d->items, &d->cap, 2 * (d->n + 1), sizeof *d->items)) return false;
    d->items[2 * d->n] = k;
    d->items[2 * d->n + 1] = v;
    d->n++;
    return true;
}
#line 1190 "chapters/07-saving/07-saving.md"
static value *persistent_load(unpickler *u, value *pid) {
    if (pid->kind != V_TUPLE || pid->n != 5 || pid->items[0]->kind != V_STR || strcmp(pid->items[0]->s, "storage") != 0)
        return refused(u, "persistent id must be ('storage', type, key, location, numel)");
    value *type = pid->items[1], *key = pid->items[2], *loc = pid->items[3], *numel = pid->items[4];
    if (type->kind != V_GLOBAL || type->i < G_STORAGE)
        return refused(u, "the storage type must be a storage class, not %s", vkind_name[type->kind]);
    if (key->kind != V_STR || key->slen == 0 || key->slen > 64 || strlen(key->s) != key->slen || strchr(key->s, '/'))
        return corrupted(u, "bad storage key");
    if (loc->kind != V_STR || (strncmp(loc->s, "cpu", 3) != 0 && strncmp(loc->s, "cuda", 4) != 0))
        return refused(u, "storage location must be cpu or cuda, not %s", loc->kind == V_STR ? loc->s : "that");
    if (numel->kind != V_INT || numel->i < 0) return corrupted(u, "bad storage size");
    tl_dtype dtype = (tl_dtype)allowed_globals[type->i].dtype;
    int64_t slot, found = storage_find(u, key->s, &slot);
    if (found >= 0) {
        value *s = u->storages[found].storage;
        if (s->tensor->dtype != dtype || s->tensor->shape[0] != numel->i)
            return corrupted(u, "storage '%s' is used with two types or sizes", key->s);
        return s;
    }
    char record[80];
    snprintf(record, sizeof record, "data/%s", key->s);
    zip_uint64_t idx;
    size_t len;
    bool missing;
    if (!record_find(u->archive, record, &idx, &len, &missing))
        return missing ? corrupted(u, "record '%s' is missing", record) : NULL;
    size_t esize = tl_dtype_size(dtype);
    if ((uint64_t)numel->i > len / esize || (size_t)numel->i * esize != len)
        return corrupted(u, "record '%s' has %zu bytes, not the %lld elements of %zu bytes its storage says",
                         record, len, (long long)numel->i, esize);
    tl_tensor *base = tl_empty(TL_SHAPE(numel->i), dtype);   // the bytes go straight into the storage
    if (!base || !record_read(u->archive, idx, record, base->storage->data, len)) return NULL;
    if (dtype == TL_BOOL) {
        unsigned char *raw = base->storage->data;
        for (size_t i = 0; i < len; i++) raw[i] = raw[i] != 0;
    }
    value *s = base ? new_value(u, V_STORAGE) : NULL;
    char *k = s ? strdup(key->s) : NULL;
    if (!k || !grow(&u->storages, &u->storages_cap, u->n_storages + 1, sizeof *u->storages)) {
        free(k);
        if (s) tl_error_set(TL_RUNTIME_ERROR, "out of memory");
        return NULL;
    }
    s->tensor = base;
    u->storages[u->n_storages] = (loaded_storage){ k, s };
    return storage_index_add(u, u->n_storages++) ? s : NULL;
}
#line 1250 "chapters/07-saving/07-saving.md"
static bool int_tuple(const value *v, int64_t *out, int max) {
    if (v->kind != V_TUPLE || v->n > max) return false;
    for (int64_t i = 0; i < v->n; i++) {
        if (v->items[i]->kind != V_INT) return false;
        out[i] = v->items[i]->i;
    }
    return true;
}

static value *rebuild_tensor(unpickler *u, value *args) {
    if (args->kind != V_TUPLE || (args->n != 6 && args->n != 7))
        return refused(u, "_rebuild_tensor_v2 takes 6 or 7 arguments");
    value *storage = args->items[0], *offset = args->items[1], *size = args->items[2], *stride = args->items[3];
    value *rg = args->items[4], *hooks = args->items[5];
    if (storage->kind != V_STORAGE) return refused(u, "_rebuild_tensor_v2: the first argument must be a storage");
    if (offset->kind != V_INT || rg->kind != V_BOOL || hooks->kind != V_DICT ||
        (args->n == 7 && args->items[6]->kind != V_DICT && args->items[6]->kind != V_NONE))
        return refused(u, "_rebuild_tensor_v2: bad argument types");
    int64_t shape[TL_MAX_DIMS] = { 0 }, strides[TL_MAX_DIMS] = { 0 };     // past nd: 0, as in every tensor
    if (size->kind == V_TUPLE && size->n > TL_MAX_DIMS)
        return refused(u, "a tensor of %lld dimensions (Torchlet has at most %d)", (long long)size->n, TL_MAX_DIMS);
    if (!int_tuple(size, shape, TL_MAX_DIMS) || !int_tuple(stride, strides, TL_MAX_DIMS) || size->n != stride->n)
        return corrupted(u, "size and stride must be tuples of integers of one length");
    int nd = (int)size->n;
    int64_t storage_numel = storage->tensor->shape[0], numel = 1, last = offset->i;
    bool overflow = offset->i < 0;
    for (int d = 0; d < nd; d++) {
        overflow |= shape[d] < 0 || strides[d] < 0;
        overflow |= __builtin_mul_overflow(numel, shape[d], &numel);
    }
    overflow |= numel > INT64_MAX / 8;
    for (int d = 0; d < nd && !overflow && numel > 0; d++) {
        int64_t reach;
        overflow |= __builtin_mul_overflow(shape[d] - 1, strides[d], &reach);
        overflow |= __builtin_add_overflow(last, reach, &last);
    }
    if (overflow || (numel > 0 ? last >= storage_numel : offset->i > storage_numel))
        return corrupted(u, "a tensor view (offset %lld) reaches outside its storage of %lld elements",
                         (long long)offset->i, (long long)storage_numel);
    tl_tensor *t = tl_detach(storage->tensor);
    if (!t) return NULL;
    t->ndim = nd;
    memcpy(t->shape, shape, sizeof shape);
    memcpy(t->stride, strides, sizeof strides);
    t->offset = offset->i;
    if (rg->i && !tl_requires_grad_(t, true)) return NULL;
    value *v = new_value(u, V_TENSOR);
    if (v) v->tensor = t;
    return v;
}

// _rebuild_parameter(data, requires_grad, hooks)
static value *rebuild_parameter(unpickler *u, value *args) {
    if (args->kind != V_TUPLE || args->n != 3 || args->items[0]->kind != V_TENSOR ||
        args->items[1]->kind != V_BOOL || args->items[2]->kind != V_DICT)
        return refused(u, "_rebuild_parameter takes (tensor, requires_grad, hooks)");
    tl_tensor *t = args->items[0]->tensor;
    if (!tl_requires_grad_(t, args->items[1]->i != 0)) return NULL;
    t->is_parameter = true;
    return args->items[0];
}
#line 1317 "chapters/07-saving/07-saving.md"
static value *call(unpickler *u, value *f, value *args) {
    if (f->kind != V_GLOBAL) return refused(u, "REDUCE on a %s, not a callable", vkind_name[f->kind]);
    if (args->kind != V_TUPLE) return refused(u, "REDUCE arguments must be a tuple");
    switch (f->i) {
    case G_ORDERED_DICT:
        if (args->n != 0) return refused(u, "OrderedDict must be called with no arguments");
        return new_value(u, V_DICT);
    case G_REBUILD_TENSOR_V2:  return rebuild_tensor(u, args);
    case G_REBUILD_PARAMETER:  return rebuild_parameter(u, args);
    default:
        return refused(u, "calling %s.%s is not allowed", allowed_globals[f->i].module, allowed_globals[f->i].name);
    }
}
#line 1336 "chapters/07-saving/07-saving.md"
static value *op_global(unpickler *u) {
    const unsigned char *p = u->p + u->pos, *end = u->p + u->n;
    const unsigned char *nl1 = memchr(p, '\n', (size_t)(end - p));
    const unsigned char *nl2 = nl1 ? memchr(nl1 + 1, '\n', (size_t)(end - nl1 - 1)) : NULL;
    if (!nl2) return corrupted(u, "GLOBAL at byte %zu is not terminated", u->pos - 1);
    size_t mlen = (size_t)(nl1 - p), nlen = (size_t)(nl2 - nl1 - 1);
    u->pos = (size_t)(nl2 + 1 - u->p);
    for (int g = 0; g < N_GLOBALS; g++) {
        if (strlen(allowed_globals[g].module) == mlen && memcmp(allowed_globals[g].module, p, mlen) == 0 &&
            strlen(allowed_globals[g].name) == nlen && memcmp(allowed_globals[g].name, nl1 + 1, nlen) == 0) {
            value *v = new_value(u, V_GLOBAL);
            if (v) v->i = g;
            return v;
        }
    }
    char shown[130];
    size_t k = 0;
    for (const unsigned char *c = p; c < nl2 && k < sizeof shown - 4; c++)
        shown[k++] = c == nl1 ? '.' : (*c >= 0x20 && *c < 0x7f ? (char)*c : '?');
    if (k == sizeof shown - 4) { memcpy(shown + k, "...", 3); k += 3; }
    shown[k] = '\0';
    return refused(u, "Unsupported class %s", shown);
}
#line 1366 "chapters/07-saving/07-saving.md"
static bool need(unpickler *u, size_t k) {
    if (u->n - u->pos >= k) return true;
    corrupted(u, "the pickle ends inside an opcode at byte %zu", u->pos);
    return false;
}

static bool memo_put(unpickler *u, uint64_t idx) {
    value *v = top(u);
    if (!v) return false;
    if (idx >= u->n) { corrupted(u, "memo index %llu out of range", (unsigned long long)idx); return false; }
    int64_t old = u->memo_len;
    if ((int64_t)idx >= u->memo_len) {
        if (!grow(&u->memo, &u->memo_cap, (int64_t)idx + 1, sizeof *u->memo)) return false;
        for (int64_t i = old; i <= (int64_t)idx; i++) u->memo[i] = NULL;
        u->memo_len = (int64_t)idx + 1;
    }
    u->memo[idx] = v;
    return true;
}

static bool memo_get(unpickler *u, uint64_t idx) {
    if (idx >= (uint64_t)u->memo_len || !u->memo[idx]) {
        corrupted(u, "memo key %llu not found", (unsigned long long)idx);
        return false;
    }
    return push(u, u->memo[idx]);
}

static value *int_value(unpickler *u, int64_t i) {
    value *v = new_value(u, V_INT);
    if (v) v->i = i;
    return v;
}

static value *unpickle(unpickler *u) {
    for (;;) {
        if (!need(u, 1)) return NULL;
        size_t at = u->pos;
        unsigned op = u->p[u->pos++];
        bool ok = true;
        switch (op) {
        case 0x80:                                            // PROTO
            if (!need(u, 1)) return NULL;
            if (u->p[u->pos++] > 5) return corrupted(u, "unknown pickle protocol %d", u->p[u->pos - 1]);
            break;
        case 'c': ok = push(u, op_global(u)); break;          // GLOBAL
        case 'q':                                             // BINPUT
            ok = need(u, 1) && memo_put(u, u->p[u->pos]);
            u->pos += ok;
            break;
        case 'r':                                             // LONG_BINPUT
            ok = need(u, 4) && memo_put(u, get_le(u->p + u->pos, 4));
            u->pos += ok ? 4 : 0;
            break;
        case 'h':                                             // BINGET
            ok = need(u, 1) && memo_get(u, u->p[u->pos]);
            u->pos += ok;
            break;
        case 'j':                                             // LONG_BINGET
            ok = need(u, 4) && memo_get(u, get_le(u->p + u->pos, 4));
            u->pos += ok ? 4 : 0;
            break;
        case '(': ok = push(u, new_value(u, V_MARK)); break;   // MARK
        case ')': ok = push(u, make_tuple(u, NULL, 0)); break; // EMPTY_TUPLE
        case 0x85: case 0x86: case 0x87: {                    // TUPLE1, TUPLE2, TUPLE3
            int64_t k = op - 0x84;
            value *items[3];
            for (int64_t i = k - 1; i >= 0; i--) if (!(items[i] = pop(u))) return NULL;
            ok = push(u, make_tuple(u, items, k));
            break;
        }
        case 't': {                                           // TUPLE
            int64_t first, count;
            ok = pop_mark(u, &first, &count) && push(u, make_tuple(u, u->stack + first, count));
            break;
        }
        case '}': ok = push(u, new_value(u, V_DICT)); break;  // EMPTY_DICT
        case 's': {                                           // SETITEM
            value *v = pop(u), *k = v ? pop(u) : NULL, *d = k ? top(u) : NULL;
            ok = d && dict_set(u, d, k, v);
            break;
        }
        case 'u': {                                           // SETITEMS
            int64_t first, count;
            if (!pop_mark(u, &first, &count)) return NULL;
            if (count % 2) return corrupted(u, "SETITEMS with an odd number of values");
            value *d = top(u);
            value **kv = u->stack + first;                    // still intact above sp: nothing pushed yet
            for (int64_t i = 0; ok && d && i < count; i += 2) ok = dict_set(u, d, kv[i], kv[i + 1]);
            ok = ok && d;
            break;
        }
        case 'X': {                                           // BINUNICODE
            if (!need(u, 4)) return NULL;
            uint64_t len = get_le(u->p + u->pos, 4);
            u->pos += 4;
            if (!need(u, len)) return NULL;
            value *v = new_value(u, V_STR);
            if (!v || !(v->s = malloc(len + 1))) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return NULL; }
            memcpy(v->s, u->p + u->pos, len);
            v->s[len] = '\0';
            v->slen = len;
            u->pos += len;
            ok = push(u, v);
            break;
        }
        case 'K':                                             // BININT1
            ok = need(u, 1) && push(u, int_value(u, u->p[u->pos]));
            u->pos += ok;
            break;
        case 'M':                                             // BININT2
            ok = need(u, 2) && push(u, int_value(u, (int64_t)get_le(u->p + u->pos, 2)));
            u->pos += ok ? 2 : 0;
            break;
        case 'J':                                             // BININT: signed 32 bits
            ok = need(u, 4) && push(u, int_value(u, (int32_t)(uint32_t)get_le(u->p + u->pos, 4)));
            u->pos += ok ? 4 : 0;
            break;
        case 0x8a: {                                          // LONG1: n-byte two's complement
            if (!need(u, 1)) return NULL;
            int k = u->p[u->pos++];
            if (k > 8) return refused(u, "integer of %d bytes (more than 64 bits)", k);
            if (!need(u, (size_t)k)) return NULL;
            uint64_t raw = get_le(u->p + u->pos, k);
            if (k > 0 && k < 8 && (raw >> (8 * k - 1) & 1)) raw |= ~UINT64_C(0) << (8 * k);   // sign-extend
            u->pos += (size_t)k;
            ok = push(u, int_value(u, (int64_t)raw));
            break;
        }
        case 0x88: case 0x89: {                               // NEWTRUE, NEWFALSE
            value *v = new_value(u, V_BOOL);
            if (v) v->i = op == 0x88;
            ok = push(u, v);
            break;
        }
        case 'N': ok = push(u, new_value(u, V_NONE)); break;  // NONE
        case 'Q': {                                           // BINPERSID
            value *pid = pop(u);
            ok = pid && push(u, persistent_load(u, pid));
            break;
        }
        case 'R': {                                           // REDUCE
            value *args = pop(u), *f = args ? pop(u) : NULL;
            ok = f && push(u, call(u, f, args));
            break;
        }
        case 'b': {                                           // BUILD: only OrderedDict's _metadata
            value *state = pop(u), *obj = state ? top(u) : NULL;
            if (!obj) return NULL;
            if (obj->kind != V_DICT || state->kind != V_DICT)
                return refused(u, "BUILD of a %s with a %s state", vkind_name[obj->kind], vkind_name[state->kind]);
            break;                                            // the state (_metadata) is not needed
        }
        case '.': return pop(u);                              // STOP
        default:
            return refused(u, "Unsupported operand %u ('%c') at byte %zu", op, op >= 0x20 && op < 0x7f ? op : '?', at);
        }
        if (!ok) return NULL;
    }
}
#line 2261 "chapters/07-saving/07-saving.md"

#line 1540 "chapters/07-saving/07-saving.md"
// ----------------------------------------------------------------------------
// tl_load
static void unpickler_free(unpickler *u) {
    for (int64_t i = 0; i < u->arena_len; i++) { free(u->arena[i]->s); free(u->arena[i]->items); free(u->arena[i]); }
    for (int64_t i = 0; i < u->n_storages; i++) free(u->storages[i].key);
    free(u->arena); free(u->stack); free(u->memo); free(u->storages); free(u->slots);
}

// pairs sorted by key, then by position: equal keys end up side by side, in insertion order
typedef struct { const value *key; int64_t pos; } key_pos;
static int by_key(const value *x, const value *y) {
    size_t n = x->slen < y->slen ? x->slen : y->slen;
    int c = memcmp(x->s, y->s, n);
    return c ? c : (x->slen > y->slen) - (x->slen < y->slen);
}
static int by_key_then_pos(const void *a, const void *b) {
    const key_pos *x = a, *y = b;
    int c = by_key(x->key, y->key);
    return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

static tl_state_dict *to_state_dict(unpickler *u, const value *d) {
    if (d->kind != V_DICT)
        return refused(u, "the file holds a %s, not a state dict (a dict of name -> tensor)", vkind_name[d->kind]);
    for (int64_t i = 0; i < d->n; i++) {
        const value *k = d->items[2 * i], *v = d->items[2 * i + 1];
        if (v->kind != V_TENSOR)
            return refused(u, "the value of '%.100s' is a %s, not a tensor: tl_load reads state dicts (name -> tensor)",
                           k->s, vkind_name[v->kind]);
        if (strlen(k->s) != k->slen) return corrupted(u, "a key contains a NUL byte");
    }
    // Python's dict semantics for repeated keys: the first place, the last value
    key_pos *sorted = malloc((size_t)(d->n + 1) * sizeof *sorted);
    const value **final = calloc((size_t)d->n + 1, sizeof *final);   // final[pos]: its value, or NULL
    tl_state_dict *sd = sorted && final ? tl_state_dict_new() : NULL;
    if (sd && !grow(&sd->items, &sd->cap, d->n, sizeof *sd->items)) { tl_state_dict_free(sd); sd = NULL; }
    if (!sd) { free(sorted); free(final); tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return NULL; }
    for (int64_t i = 0; i < d->n; i++) sorted[i] = (key_pos){ d->items[2 * i], i };
    qsort(sorted, (size_t)d->n, sizeof *sorted, by_key_then_pos);
    for (int64_t i = 0; i < d->n;) {
        int64_t j = i;
        while (j + 1 < d->n && by_key(sorted[j + 1].key, sorted[i].key) == 0) j++;
        final[sorted[i].pos] = d->items[2 * sorted[j].pos + 1];
        i = j + 1;
    }
    for (int64_t i = 0; i < d->n && sd; i++) {          // in the order of first insertion
        if (!final[i]) continue;
        char *name = strdup(d->items[2 * i]->s);
        if (!name) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); tl_state_dict_free(sd); sd = NULL; break; }
        sd->items[sd->len++] = (sd_entry){ name, tl_retain(final[i]->tensor) };   // unique: no search
    }
    free(sorted);
    free(final);
    return sd;
}

tl_state_dict *tl_load_buffer(const void *data, size_t size, const char *name) {
    if (!data && size) { tl_error_set(TL_VALUE_ERROR, "tl_load_buffer: NULL data"); return NULL; }
    static const unsigned char nothing[4];
    if (!name) name = "<buffer>";
    tl_state_dict *sd = NULL;
    pth_archive a;
    TL_SCOPE {
        if (archive_open(&a, data ? data : nothing, size, name) && archive_check(&a)) {
            size_t len;
            bool missing;
            unsigned char *pkl = read_record(&a, "data.pkl", &len, &missing);
            if (missing)
                tl_error_set(TL_RUNTIME_ERROR, "'%s' is not a PyTorch checkpoint: it has no data.pkl", name);
            if (pkl) {
                unpickler u = { .archive = &a, .p = pkl, .n = len };
                value *result = unpickle(&u);
                if (result) sd = to_state_dict(&u, result);
                unpickler_free(&u);
                free(pkl);
            }
        }
        archive_close(&a);
    }
    return sd;
}

tl_state_dict *tl_load(const char *path) {
    if (!path) { tl_error_set(TL_VALUE_ERROR, "tl_load: NULL path"); return NULL; }
    size_t size = 0;
    unsigned char *data = tl_read_file(path, &size);
    if (!data) return NULL;
    tl_state_dict *sd = tl_load_buffer(data, size, path);
    free(data);
    return sd;
}
#line 2263 "chapters/07-saving/07-saving.md"

#line 1667 "chapters/07-saving/07-saving.md"
// ----------------------------------------------------------------------------
// safetensors: writing
static const char *const st_dtype_names[] = { [TL_BOOL] = "BOOL", [TL_INT64] = "I64",
                                              [TL_FLOAT32] = "F32", [TL_FLOAT64] = "F64" };

bool tl_save_safetensors(const tl_state_dict *sd, const char *path) {
    if (!sd || !path) { tl_error_set(TL_VALUE_ERROR, "tl_save_safetensors: NULL state dict or path"); return false; }
    cJSON *header = cJSON_CreateObject();
    span *spans = calloc((size_t)sd->len + 1, sizeof *spans);     // spans[0]: the header; then each tensor
    bytes head = { 0 };
    char *json = NULL;
    bool ok = header && spans;
    if (!ok) tl_error_set(TL_RUNTIME_ERROR, "out of memory");
    if (ok && sd->meta_len > 0) {
        cJSON *meta = cJSON_AddObjectToObject(header, "__metadata__");
        for (int64_t i = 0; ok && i < sd->meta_len; i++)
            ok = meta && cJSON_AddStringToObject(meta, sd->meta[2 * i], sd->meta[2 * i + 1]);
        if (!ok) tl_error_set(TL_RUNTIME_ERROR, "out of memory");
    }
    TL_SCOPE {                                    // the contiguous copies live until the file is written
        size_t at = 0;
        for (int64_t i = 0; ok && i < sd->len; i++) {
            const tl_tensor *t = sd->items[i].tensor;
            if (t->storage->device.type != TL_CPU) {
                tl_error_set(TL_RUNTIME_ERROR, "tl_save_safetensors: '%s' is not on the CPU; copy it there first",
                             sd->items[i].name);
                ok = false;
                break;
            }
            tl_tensor *c = tl_contiguous(t);      // t itself if it can; NULL with its own error (too large)
            if (!c) { ok = false; break; }
            size_t nbytes = (size_t)tl_numel(c) * tl_dtype_size(c->dtype);
            spans[i + 1] = (span){ TL_DATA(c, char), nbytes };
            cJSON *e = cJSON_AddObjectToObject(header, sd->items[i].name);
            cJSON *shape = e ? cJSON_AddArrayToObject(e, "shape") : NULL;
            cJSON *offs = e ? cJSON_AddArrayToObject(e, "data_offsets") : NULL;
            ok = e && shape && offs && cJSON_AddStringToObject(e, "dtype", st_dtype_names[c->dtype]);
            for (int d = 0; ok && d < c->ndim; d++)
                ok = cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)c->shape[d]));
            ok = ok && cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)at)) &&
                 cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)(at + nbytes)));
            at += nbytes;
            if (!ok) tl_error_set(TL_RUNTIME_ERROR, "out of memory");
        }
        json = ok ? cJSON_PrintUnformatted(header) : NULL;
        if (ok && json) {
            size_t n = strlen(json), padded = (n + 7) / 8 * 8;
            put_le(&head, padded, 8);
            put(&head, json, n);
            for (size_t i = n; i < padded; i++) put_u8(&head, ' ');
            ok = !head.failed;
        } else {
            ok = false;
        }
        if (!ok && !tl_error()) tl_error_set(TL_RUNTIME_ERROR, "out of memory");
        if (ok) {
            spans[0] = (span){ head.p, head.len };
            ok = write_file_atomic(path, spans, (int)sd->len + 1, "tl_save_safetensors");
        }
    }
    cJSON_free(json);
    cJSON_Delete(header);
    free(head.p);
    free(spans);
    return ok;
}
#line 2265 "chapters/07-saving/07-saving.md"

#line 1747 "chapters/07-saving/07-saving.md"
// ----------------------------------------------------------------------------
// safetensors: reading
typedef struct {
    const char *name;
    tl_dtype    dtype;
    int         ndim;
    int64_t     shape[TL_MAX_DIMS];
    uint64_t    begin, end;                 // data_offsets
} st_entry;

static void *st_bad(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void *st_bad(const char *file, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tl_error_set(TL_RUNTIME_ERROR, "'%s' is not a valid safetensors file: %s", file, msg);
    return NULL;
}

// a JSON number that is an integer in [0, 2^53]
static bool json_uint(const cJSON *j, uint64_t *out) {
    if (!cJSON_IsNumber(j)) return false;
    double v = j->valuedouble;
    if (!(v >= 0 && v <= 9007199254740992.0) || v != (double)(uint64_t)v) return false;
    *out = (uint64_t)v;
    return true;
}

static int st_by_begin(const void *a, const void *b) {
    const st_entry *x = *(const st_entry *const *)a, *y = *(const st_entry *const *)b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : (x->end > y->end) - (x->end < y->end);
}

static bool st_parse_entry(const char *file, const cJSON *e, st_entry *out) {
    out->name = e->string;
    if (!cJSON_IsObject(e)) { st_bad(file, "'%.100s' is not an object", e->string); return false; }
    const cJSON *dtype = NULL, *shape = NULL, *offs = NULL, *f;
    cJSON_ArrayForEach(f, e) {
        if (strcmp(f->string, "dtype") == 0 && !dtype) dtype = f;
        else if (strcmp(f->string, "shape") == 0 && !shape) shape = f;
        else if (strcmp(f->string, "data_offsets") == 0 && !offs) offs = f;
        else {
            st_bad(file, "'%.100s' has an unexpected or repeated field '%.100s'", e->string, f->string);
            return false;
        }
    }
    if (!dtype || !shape || !offs) {
        st_bad(file, "'%.100s' needs dtype, shape and data_offsets", e->string);
        return false;
    }
    int dt = -1;
    for (int k = 0; k < 4 && cJSON_IsString(dtype); k++)
        if (strcmp(dtype->valuestring, st_dtype_names[k]) == 0) dt = k;
    if (dt < 0) {
        tl_error_set(TL_RUNTIME_ERROR, "'%s': tensor '%.100s' has dtype %.20s; Torchlet reads F32, F64, I64 and BOOL",
                     file, e->string, cJSON_IsString(dtype) ? dtype->valuestring : "(not a string)");
        return false;
    }
    out->dtype = (tl_dtype)dt;
    int n = cJSON_GetArraySize(shape);
    if (!cJSON_IsArray(shape) || n > TL_MAX_DIMS) {
        st_bad(file, "the shape of '%.100s' is not a list of at most %d sizes", e->string, TL_MAX_DIMS);
        return false;
    }
    out->ndim = n;
    uint64_t numel = 1, bytes_ = 0;
    bool overflow = false;
    for (int d = 0; d < n; d++) {
        uint64_t s;
        if (!json_uint(cJSON_GetArrayItem(shape, d), &s)) {
            st_bad(file, "a size of '%.100s' is not a non-negative integer", e->string);
            return false;
        }
        out->shape[d] = (int64_t)s;
        overflow |= __builtin_mul_overflow(numel, s, &numel);
    }
    overflow |= __builtin_mul_overflow(numel, (uint64_t)tl_dtype_size(out->dtype), &bytes_);
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 || !json_uint(cJSON_GetArrayItem(offs, 0), &out->begin) ||
        !json_uint(cJSON_GetArrayItem(offs, 1), &out->end) || out->begin > out->end) {
        st_bad(file, "the data_offsets of '%.100s' are not [begin, end] with begin <= end", e->string);
        return false;
    }
    if (overflow || bytes_ != out->end - out->begin) {
        st_bad(file, "'%.100s' has %llu bytes, but its shape and dtype need %s%llu", e->string,
               (unsigned long long)(out->end - out->begin), overflow ? "more than " : "", (unsigned long long)bytes_);
        return false;
    }
    return true;
}
#line 1841 "chapters/07-saving/07-saving.md"
// every name in a JSON object is different (sorted, then neighbours compared: no quadratic search)
static int by_string(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static bool json_unique_names(const char *file, const cJSON *obj) {
    int n = cJSON_GetArraySize(obj), i = 0;
    const char **names = malloc(((size_t)n + 1) * sizeof *names);
    if (!names) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return false; }
    for (const cJSON *c = obj->child; c; c = c->next) names[i++] = c->string;
    qsort(names, (size_t)n, sizeof *names, by_string);
    bool ok = true;
    for (i = 1; ok && i < n; i++)
        if (strcmp(names[i - 1], names[i]) == 0) ok = st_bad(file, "'%.100s' appears twice", names[i]) != NULL;
    free(names);
    return ok;
}

tl_state_dict *tl_load_safetensors_buffer(const void *data, size_t size, const char *name) {
    if (!name) name = "<buffer>";
    if (!data || size < 8) return st_bad(name, "the file is shorter than its 8-byte header length");
    const unsigned char *p = data;
    uint64_t n = get_le(p, 8);
    if (n > size - 8)
        return st_bad(name, "the header length %llu runs past the end of the file", (unsigned long long)n);
    if (n > 100000000) return st_bad(name, "the header length %llu is over the 100 MB limit", (unsigned long long)n);
    if (n < 2 || p[8] != '{') return st_bad(name, "the header is not a JSON object");
    const char *json = (const char *)p + 8, *json_end = NULL;
    cJSON *header = cJSON_ParseWithLengthOpts(json, (size_t)n, &json_end, 0);
    if (!header || !cJSON_IsObject(header)) {
        cJSON_Delete(header);
        return st_bad(name, "the header is not valid JSON");
    }
    for (const char *c = json_end; c < json + n; c++)           // after the object: padding only
        if (*c != ' ' && *c != '\t' && *c != '\n' && *c != '\r') {
            cJSON_Delete(header);
            return st_bad(name, "the header has bytes after its JSON object");
        }
    int count = cJSON_GetArraySize(header);
    st_entry *entries = calloc((size_t)count + 1, sizeof *entries);
    st_entry **order = calloc((size_t)count + 1, sizeof *order);
    tl_state_dict *sd = entries && order ? tl_state_dict_new() : NULL;
    int n_entries = 0;
    bool ok = sd != NULL;
    if (!ok && (!entries || !order)) tl_error_set(TL_RUNTIME_ERROR, "out of memory");
    const cJSON *e;
    ok = ok && json_unique_names(name, header);
    cJSON_ArrayForEach(e, header) {
        if (!ok) break;
        if (strcmp(e->string, "__metadata__") == 0) {
            const cJSON *m;
            if (!cJSON_IsObject(e)) { ok = st_bad(name, "__metadata__ is not an object"); break; }
            if (!json_unique_names(name, e)) { ok = false; break; }
            cJSON_ArrayForEach(m, e) {
                if (!cJSON_IsString(m)) { ok = st_bad(name, "__metadata__ values must be strings"); break; }
                if (!meta_append(sd, m->string, m->valuestring)) { ok = false; break; }
            }
            continue;
        }
        ok = st_parse_entry(name, e, &entries[n_entries]);
        if (ok) { order[n_entries] = &entries[n_entries]; n_entries++; }
    }
    uint64_t data_size = size - 8 - n, at = 0;
    if (ok) {
        qsort(order, (size_t)n_entries, sizeof *order, st_by_begin);
        for (int i = 0; ok && i < n_entries; i++) {
            if (order[i]->begin != at)
                ok = st_bad(name, "'%.100s' starts at byte %llu, but the previous tensor ends at %llu (%s)",
                            order[i]->name, (unsigned long long)order[i]->begin, (unsigned long long)at,
                            order[i]->begin < at ? "overlap" : "gap");
            at = order[i]->end;
        }
        if (ok && at != data_size)
            ok = st_bad(name, "the tensors end at byte %llu of a data part of %llu bytes",
                        (unsigned long long)at, (unsigned long long)data_size);
    }
    const unsigned char *base = p + 8 + n;
    for (int i = 0; ok && i < n_entries; i++) {
        TL_SCOPE {
            st_entry *s = &entries[i];
            tl_shape shape = { .ndim = s->ndim };
            for (int d = 0; d < s->ndim; d++) shape.d[d] = s->shape[d];
            tl_tensor *t = tl_empty(shape, s->dtype);
            if (t && s->dtype == TL_BOOL)
                for (uint64_t k = 0; k < s->end - s->begin; k++) TL_DATA(t, bool)[k] = base[s->begin + k] != 0;
            else if (t && s->end > s->begin)
                memcpy(t->storage->data, base + s->begin, (size_t)(s->end - s->begin));
            ok = t && sd_append(sd, s->name, t);               // names are unique: no search
        }
    }
    free(entries);
    free(order);
    cJSON_Delete(header);
    if (!ok) { tl_state_dict_free(sd); return NULL; }
    return sd;
}

tl_state_dict *tl_load_safetensors(const char *path) {
    if (!path) { tl_error_set(TL_VALUE_ERROR, "tl_load_safetensors: NULL path"); return NULL; }
    size_t size = 0;
    unsigned char *data = tl_read_file(path, &size);
    if (!data) return NULL;
    tl_state_dict *sd = tl_load_safetensors_buffer(data, size, path);
    free(data);
    return sd;
}
#line 2267 "chapters/07-saving/07-saving.md"

#line 2159 "chapters/07-saving/07-saving.md"
typedef struct { int rank; int64_t k; } key_rank;
static int by_rank(const void *a, const void *b) {
    const key_rank *x = a, *y = b;
    return x->rank != y->rank ? (x->rank > y->rank) - (x->rank < y->rank) : (x->k > y->k) - (x->k < y->k);
}
#line 2269 "chapters/07-saving/07-saving.md"

#line 1978 "chapters/07-saving/07-saving.md"
// ----------------------------------------------------------------------------
// Modules: state_dict() and load_state_dict()
tl_state_dict *tl_module_state_dict(const tl_module *m) {
    if (!m) { tl_error_set(TL_VALUE_ERROR, "tl_module_state_dict: NULL module"); return NULL; }
    tl_state_dict *sd = tl_state_dict_new();
    TL_SCOPE {
        tl_named_tensor *entries;
        int n = tl_module_state(m, &entries);
        if (n < 0) { tl_state_dict_free(sd); sd = NULL; }
        for (int i = 0; sd && i < n; i++)
            if (!tl_state_dict_set(sd, entries[i].name, tl_detach(entries[i].tensor))) {
                tl_state_dict_free(sd);
                sd = NULL;
            }
    }
    return sd;
}
#line 2013 "chapters/07-saving/07-saving.md"
typedef struct { const char *path; const tl_module *m; } module_path;

// the modules of the tree in pre-order with their dotted paths ("" for the root); pool-owned;
// -1 if out of memory
static int module_paths(const tl_module *m, const char *path, module_path **list, int n, int *cap) {
    if (n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        module_path *q = tl_pool_adopt(malloc((size_t)*cap * sizeof *q));
        if (!q) return -1;
        if (n) memcpy(q, *list, (size_t)n * sizeof *q);
        *list = q;
    }
    (*list)[n++] = (module_path){ path, m };
    for (int i = 0; n >= 0 && i < m->n_children; i++) {
        size_t len = strlen(path) + strlen(m->child_names[i]) + 2;
        char *child = tl_pool_adopt(malloc(len));
        if (!child) return -1;
        snprintf(child, len, "%s%s%s", path, *path ? "." : "", m->child_names[i]);
        n = module_paths(m->children[i], child, list, n, cap);
    }
    return n;
}

static bool has_name(char *const *names, int n, const char *name, size_t len) {
    for (int i = 0; i < n; i++)
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0) return true;
    return false;
}

// the pre-order rank of the module that reports `key` as unexpected, or -1 if none does
static int unexpected_rank(const char *key, const module_path *mods, int n_mods) {
    int best = -1;
    size_t best_len = 0;
    for (int i = 0; i < n_mods; i++) {                      // the deepest module whose prefix fits
        size_t len = strlen(mods[i].path);
        bool fits = len == 0 || (strncmp(key, mods[i].path, len) == 0 && key[len] == '.');
        if (fits && (best < 0 || len >= best_len)) { best = i; best_len = len; }
    }
    const tl_module *m = mods[best].m;
    const char *rest = key + best_len + (best_len ? 1 : 0);
    size_t c = strcspn(rest, ".");                           // the next component
    if (has_name(m->child_names, m->n_children, rest, c) || has_name(m->param_names, m->n_params, rest, c) ||
        has_name(m->buffer_names, m->n_buffers, rest, c))
        return -1;
    return best;
}
#line 2066 "chapters/07-saving/07-saving.md"
static void msg_add(bytes *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void msg_add(bytes *b, const char *fmt, ...) {
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    put(b, tmp, n < 0 ? 0 : (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void msg_key_list(bytes *b, const char *title, const char **keys, int64_t n) {
    msg_add(b, "\n\t%s: ", title);
    for (int64_t i = 0; i < n; i++) msg_add(b, "%s\"%s\"", i ? ", " : "", keys[i]);
    msg_add(b, ". ");
}

tl_incompatible_keys *tl_module_load_state_dict(tl_module *m, const tl_state_dict *sd, bool strict) {
    if (!m || !sd) {
        tl_error_set(TL_VALUE_ERROR, "tl_module_load_state_dict: NULL module or state dict");
        return NULL;
    }
    tl_named_tensor *own;
    int n_own = tl_module_state(m, &own);
    if (n_own < 0) return NULL;
    tl_incompatible_keys *r = tl_pool_adopt(calloc(1, sizeof *r));          // all pool-owned: an early
    const char **missing = tl_pool_adopt(calloc((size_t)n_own + 1, sizeof *missing));   // return frees them
    const char **unexpected = tl_pool_adopt(calloc((size_t)sd->len + 1, sizeof *unexpected));
    const tl_tensor **source = tl_pool_adopt(calloc((size_t)n_own + 1, sizeof *source));
    bool *matched = tl_pool_adopt(calloc((size_t)sd->len + 1, sizeof *matched));   // sd's key k is the model's
    key_rank *found = tl_pool_adopt(malloc(((size_t)sd->len + 1) * sizeof *found));
    module_path *mods = NULL;
    int cap = 0, n_mods = module_paths(m, "", &mods, 0, &cap);
    if (!r || !missing || !unexpected || !source || !matched || !found || n_mods < 0) {
        tl_error_set(TL_RUNTIME_ERROR, "tl_module_load_state_dict: out of memory");
        return NULL;
    }
    r->missing_keys = missing;
    r->unexpected_keys = unexpected;
    bytes mismatches = { 0 };
    for (int i = 0; i < n_own; i++) {                         // missing keys and shape mismatches
        int64_t k = sd_find(sd, own[i].name);
        if (k < 0) { r->missing_keys[r->n_missing++] = own[i].name; continue; }
        matched[k] = true;
        const tl_tensor *want = own[i].tensor, *have = sd->items[k].tensor;
        bool same = want->ndim == have->ndim;
        for (int d = 0; same && d < want->ndim; d++) same = want->shape[d] == have->shape[d];
        if (!same)
            msg_add(&mismatches, "\n\tsize mismatch for %s: copying a param with shape %s from checkpoint, the shape "
                    "in current model is %s.", own[i].name, tl_shape_str(have), tl_shape_str(want));
        else if (have->storage->device.type != want->storage->device.type)
            msg_add(&mismatches, "\n\tcannot copy %s: the checkpoint's tensor and the model's are on different devices",
                    own[i].name);
        else
            source[i] = have;
    }
    // unexpected keys, in PyTorch's order: by the rank of the module that reports them, then in the
    // state dict's order
    for (int64_t k = 0; k < sd->len; k++) {
        int rank = matched[k] ? -1 : unexpected_rank(sd->items[k].name, mods, n_mods);
        if (rank >= 0) found[r->n_unexpected++] = (key_rank){ rank, k };
    }
    qsort(found, (size_t)r->n_unexpected, sizeof *found, by_rank);
    for (int64_t i = 0; i < r->n_unexpected; i++)
        r->unexpected_keys[i] = tl_pool_adopt(strdup(sd->items[found[i].k].name));
    bool failed = mismatches.len > 0 || (strict && (r->n_missing > 0 || r->n_unexpected > 0));
    if (failed) {
        bytes msg = { 0 };
        msg_add(&msg, "Error(s) in loading state_dict for %s:", m->type);
        if (strict && r->n_missing) msg_key_list(&msg, "Missing key(s) in state_dict", r->missing_keys, r->n_missing);
        if (strict && r->n_unexpected)
            msg_key_list(&msg, "Unexpected key(s) in state_dict", r->unexpected_keys, r->n_unexpected);
        put(&msg, mismatches.p, mismatches.len);
        put_u8(&msg, '\0');
        tl_error_set(TL_RUNTIME_ERROR, "%s",
                     msg.failed ? "Error(s) in loading state_dict (out of memory)" : (char *)msg.p);
        free(msg.p);
        free(mismatches.p);
        return NULL;
    }
    free(mismatches.p);
    bool ok = true;                                           // all checked: now copy
    TL_NO_GRAD {
        for (int i = 0; ok && i < n_own; i++)
            if (source[i]) ok = tl_copy_(own[i].tensor, tl_to_dtype(source[i], own[i].tensor->dtype)) != NULL;
    }
    return ok ? r : NULL;
}
#line 2167 "chapters/07-saving/07-saving.md"
const char *tl_incompatible_keys_repr(const tl_incompatible_keys *r) {
    if (!r) return NULL;
    if (r->n_missing == 0 && r->n_unexpected == 0) return "<All keys matched successfully>";
    bytes b = { 0 };
    for (int list = 0; list < 2; list++) {
        const char **keys = list ? r->unexpected_keys : r->missing_keys;
        int64_t n = list ? r->n_unexpected : r->n_missing;
        msg_add(&b, "%s_keys=[", list ? ", unexpected" : "_IncompatibleKeys(missing");
        for (int64_t i = 0; i < n; i++) msg_add(&b, "%s'%s'", i ? ", " : "", keys[i]);
        msg_add(&b, "]");
    }
    msg_add(&b, ")");
    put_u8(&b, '\0');
    if (b.failed) { free(b.p); tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return NULL; }
    return tl_pool_adopt(b.p);
}
