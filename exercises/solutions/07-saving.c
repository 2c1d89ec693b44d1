// exercises/07-saving.c — exercises for chapter 07 (saving and loading): how many bytes a .pth
// file stores, and the safetensors format written and read by hand.
// BEGIN SOLUTION
//
// REFERENCE SOLUTIONS (the teacher's copy). tools/handout.sh strips everything between the
// BEGIN/END SOLUTION markers and turns the "STUB:" lines into code: that is exercises/07-saving.c.
// END SOLUTION
//
// Each exercise is a function: read its comment, replace the TL_TODO stub with your code, and
// grade it with ./build.sh grade 07 (the chapter) or ./build.sh grade 07.2 (one exercise).
// serialize.h is the reference for state dicts (tl_state_dict_len, _key, _value). The safetensors
// layout (chapter 07):
//     8 bytes   N, the JSON header's length, unsigned 64-bit little-endian
//     N bytes   {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...}
//               (optionally "__metadata__": {"key": "value"}), padded with spaces
//     the rest  each tensor's bytes, row-major, little-endian, at its offsets from here
// dtypes: "F32" float32, "F64" float64, "I64" int64, "BOOL" bool (1 byte).
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "exercise.h"

// ----------------------------------------------------------------------------
// Exercise 07.1 (easy, 2 points): how many bytes of tensor data a .pth file holds.
//
// Task: torch.save writes every *storage* a state dict's tensors use, whole and once: two tensors
// that share a storage (a weight and its transpose, tied weights) cost it once, and a view of a few
// elements of a large tensor costs the whole storage. Return the number of bytes of tensor data
// tl_save(sd, ...) writes: the sum of storage->nbytes over the distinct storages of the tensors
// of sd. NULL sd: -1 with "state_dict_nbytes: the state dict is NULL" (a TypeError). An empty
// state dict: 0.
//
// Approach: for tensor i (tl_state_dict_value(sd, i)), count its storage only if no tensor before
// it has the same storage pointer (t->storage).
//
// Example: w, a (3, 4) float32 matrix, and w.T: 48 bytes, not 96. x[2:4] of a float64 x of 10
// elements: 80 bytes.
//
// Hints: safetensors has no sharing: each tensor is saved as its own numel * element size bytes.
// A .pth of a model whose two layers tie their weights is smaller than its safetensors.
int64_t ex07_state_dict_nbytes(const tl_state_dict *sd) {
    // BEGIN SOLUTION
    if (!sd) {
        tl_error_set(TL_TYPE_ERROR, "state_dict_nbytes: the state dict is NULL");
        return -1;
    }
    int64_t n = tl_state_dict_len(sd), total = 0;
    for (int64_t i = 0; i < n; i++) {
        const tl_storage *s = tl_state_dict_value(sd, i)->storage;
        bool seen = false;
        for (int64_t j = 0; j < i && !seen; j++) seen = tl_state_dict_value(sd, j)->storage == s;
        if (!seen) total += (int64_t)s->nbytes;
    }
    return total;
    // END SOLUTION
    // STUB: TL_TODO("07.1");
    // STUB: return -1;
}

// BEGIN SOLUTION
static const char *st_name(tl_dtype d) {
    return d == TL_FLOAT32 ? "F32" : d == TL_FLOAT64 ? "F64" : d == TL_INT64 ? "I64" : "BOOL";
}
// END SOLUTION

// ----------------------------------------------------------------------------
// Exercise 07.2 (medium, 3 points): write a safetensors file by hand.
//
// Task: write tensors[0..n-1] under names[0..n-1] to `path` in the safetensors layout above, in
// the given order: tensor i's bytes follow tensor i-1's, data_offsets [begin, end) counted from the
// start of the data part. The header is the JSON object with one entry per tensor, in order, and
// no "__metadata__"; pad it with spaces (after the closing brace) so that 8 + N is a multiple of
// 8, as the reference implementation does, so the data starts aligned. A tensor that is not
// contiguous is written in row-major order (tl_contiguous gives such a copy). The file must load
// with tl_load_safetensors (and with Hugging Face's safetensors) to the same tensors. Return true,
// or false with an error: a name used twice: "safetensors: the name 'w' is used twice"; n < 1:
// "safetensors: nothing to save"; a file that cannot be opened: "safetensors: cannot open
// '/no/such/dir/x.safetensors' for writing: No such file or directory" (strerror(errno)).
//
// Approach: build the header text first (snprintf into a growing buffer, or cJSON: cJSON_CreateObject,
// cJSON_AddObjectToObject, cJSON_AddStringToObject, cJSON_AddArrayToObject, cJSON_CreateNumber,
// cJSON_PrintUnformatted; cjson/cJSON.h is installed with the library). Then fwrite the 8 length
// bytes (least significant first), the header, the padding, and each tensor's bytes (TL_DATA).
//
// Example: one float32 tensor "w" of shape (2,): the header {"w":{"dtype":"F32","shape":[2],
// "data_offsets":[0,8]}} has 54 characters; 8 + 54 = 62 is padded to 64, so N = 56, and the file
// is 8 + 56 + 8 = 72 bytes long.
//
// Hints: write the 8 length bytes one by one ((N >> (8 * k)) & 0xff) so that the file is right on
// any machine. A 0-d tensor has "shape": [] and one element.
bool ex07_save_safetensors(const char *const *names, tl_tensor *const *tensors, int n, const char *path) {
    // BEGIN SOLUTION
    if (n < 1 || !names || !tensors) {
        tl_error_set(TL_VALUE_ERROR, "safetensors: nothing to save");
        return false;
    }
    for (int i = 0; i < n; i++) {
        if (!names[i] || !tensors[i]) {
            tl_error_set(TL_VALUE_ERROR, "safetensors: entry %d has no name or no tensor", i);
            return false;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0) {
                tl_error_set(TL_VALUE_ERROR, "safetensors: the name '%s' is used twice", names[i]);
                return false;
            }
    }
    bool ok = true;
    TL_SCOPE {
        cJSON *header = cJSON_CreateObject();
        tl_tensor **c = tl_pool_adopt(calloc((size_t)n, sizeof *c));
        size_t at = 0;
        for (int i = 0; ok && i < n; i++) {
            c[i] = tl_contiguous(tensors[i]);
            size_t nbytes = (size_t)tl_numel(c[i]) * tl_dtype_size(c[i]->dtype);
            cJSON *e = cJSON_AddObjectToObject(header, names[i]);
            cJSON_AddStringToObject(e, "dtype", st_name(c[i]->dtype));
            cJSON *shape = cJSON_AddArrayToObject(e, "shape");
            for (int d = 0; d < c[i]->ndim; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)c[i]->shape[d]));
            cJSON *offs = cJSON_AddArrayToObject(e, "data_offsets");
            cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)at));
            cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)(at + nbytes)));
            at += nbytes;
        }
        char *json = cJSON_PrintUnformatted(header);
        cJSON_Delete(header);
        FILE *f = json ? fopen(path, "wb") : NULL;
        if (!f) {
            if (json) tl_error_set(TL_RUNTIME_ERROR, "safetensors: cannot open '%s' for writing: %s", path, strerror(errno));
            else tl_error_set(TL_RUNTIME_ERROR, "out of memory");
            ok = false;
        } else {
            size_t len = strlen(json), padded = (8 + len + 7) / 8 * 8 - 8;
            for (int k = 0; k < 8; k++) fputc((int)(((uint64_t)padded >> (8 * k)) & 0xff), f);
            fwrite(json, 1, len, f);
            for (size_t k = len; k < padded; k++) fputc(' ', f);
            for (int i = 0; i < n; i++) fwrite(TL_DATA(c[i], char), tl_dtype_size(c[i]->dtype), (size_t)tl_numel(c[i]), f);
            ok = !ferror(f);
            ok = fclose(f) == 0 && ok;
            if (!ok) tl_error_set(TL_RUNTIME_ERROR, "safetensors: writing '%s' failed: %s", path, strerror(errno));
        }
        free(json);
    }
    return ok;
    // END SOLUTION
    // STUB: TL_TODO("07.2");
    // STUB: return false;
}

// ----------------------------------------------------------------------------
// Exercise 07.3 (hard, 4 points): read one tensor out of a safetensors file, trusting nothing.
//
// Task: data[0..size-1] holds a safetensors file (from anyone: it may be truncated or hostile).
// Return the tensor called `name` as a new tensor in the current pool, with its dtype, shape and
// values, or NULL with an error, checking everything before reading a byte of data:
//   size < 8:                "safetensors: the file is too short (5 bytes)"
//   8 + N > size:            "safetensors: the header (1000 bytes) runs past the end of the file (64 bytes)"
//   not a JSON object:       "safetensors: the header is not a JSON object"
//   no such name:            "safetensors: no tensor named 'v'"
//   a bad entry (no or an unknown dtype, a shape that is not a list of integers >= 0, data_offsets
//   that are not two integers): "safetensors: the entry of 'w' is malformed"
//   end - begin != numel * element size: "safetensors: 'w' has data_offsets [0, 12] but dtype F32
//                            and shape [2, 2] need 16 bytes"
//   8 + N + end > size:      "safetensors: 'w' runs past the end of the file"
// The name "__metadata__" is not a tensor (no tensor named '__metadata__').
//
// Approach: read N from the first 8 bytes (least significant first), parse the header with
// cJSON_ParseWithLength(data + 8, N) (cjson/cJSON.h), find the entry with
// cJSON_GetObjectItemCaseSensitive, check it field by field (cJSON_IsString, cJSON_IsArray,
// cJSON_GetArraySize, cJSON_IsNumber and ->valuedouble), then tl_empty the tensor and memcpy its
// bytes from data + 8 + N + begin. cJSON_Delete the parsed header on every path.
//
// Example: the 72-byte file of 07.2's example, name "w": a float32 tensor of shape (2,).
//
// Hints: a number in JSON may be 2.5 or -1 or 1e300: check that each size and offset is a whole
// number in range before converting it to an integer. The grader feeds you files written by
// tl_save_safetensors (with metadata, and names that contain one another, like "w" and "layer.w")
// and corrupted copies of them.
tl_tensor *ex07_safetensors_read(const void *data, size_t size, const char *name) {
    // BEGIN SOLUTION
    const unsigned char *b = data;
    if (!b || size < 8) {
        tl_error_set(TL_RUNTIME_ERROR, "safetensors: the file is too short (%zu bytes)", b ? size : 0);
        return NULL;
    }
    uint64_t N = 0;
    for (int k = 7; k >= 0; k--) N = N << 8 | b[k];
    if (N > size - 8) {
        tl_error_set(TL_RUNTIME_ERROR, "safetensors: the header (%llu bytes) runs past the end of the file (%zu bytes)",
                     (unsigned long long)N, size);
        return NULL;
    }
    cJSON *header = cJSON_ParseWithLength((const char *)b + 8, (size_t)N);
    if (!cJSON_IsObject(header)) {
        cJSON_Delete(header);
        tl_error_set(TL_RUNTIME_ERROR, "safetensors: the header is not a JSON object");
        return NULL;
    }
    const cJSON *e = name && strcmp(name, "__metadata__") != 0 ? cJSON_GetObjectItemCaseSensitive(header, name) : NULL;
    if (!e) {
        cJSON_Delete(header);
        tl_error_set(TL_RUNTIME_ERROR, "safetensors: no tensor named '%s'", name ? name : "(null)");
        return NULL;
    }
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype"), *shape = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    tl_dtype dtype = TL_FLOAT32;
    bool ok = cJSON_IsString(dt) && cJSON_IsArray(shape) && cJSON_GetArraySize(shape) <= TL_MAX_DIMS &&
              cJSON_IsArray(offs) && cJSON_GetArraySize(offs) == 2;
    if (ok) {
        const char *s = dt->valuestring;
        ok = true;
        if (strcmp(s, "F32") == 0) dtype = TL_FLOAT32;
        else if (strcmp(s, "F64") == 0) dtype = TL_FLOAT64;
        else if (strcmp(s, "I64") == 0) dtype = TL_INT64;
        else if (strcmp(s, "BOOL") == 0) dtype = TL_BOOL;
        else ok = false;
    }
    tl_shape sh = { 0, { 0 } };
    double numel = 1, o[2] = { 0, 0 };
    for (int d = 0; ok && d < cJSON_GetArraySize(shape); d++) {
        const cJSON *v = cJSON_GetArrayItem(shape, d);
        ok = cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 9007199254740992.0 &&
             v->valuedouble == (double)(int64_t)v->valuedouble;
        if (ok) sh.d[sh.ndim++] = (int64_t)v->valuedouble, numel *= v->valuedouble;
    }
    for (int k = 0; ok && k < 2; k++) {
        const cJSON *v = cJSON_GetArrayItem(offs, k);
        ok = cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 9007199254740992.0 &&
             v->valuedouble == (double)(int64_t)v->valuedouble;
        if (ok) o[k] = v->valuedouble;
    }
    char desc[160] = "";
    if (ok) {                                                  // "dtype F32 and shape [2, 2]"
        size_t l = (size_t)snprintf(desc, sizeof desc, "dtype %s and shape [", dt->valuestring);
        for (int d = 0; d < sh.ndim && l < sizeof desc; d++)
            l += (size_t)snprintf(desc + l, sizeof desc - l, d ? ", %lld" : "%lld", (long long)sh.d[d]);
        if (l < sizeof desc) snprintf(desc + l, sizeof desc - l, "]");
    }
    cJSON_Delete(header);
    if (!ok) {
        tl_error_set(TL_RUNTIME_ERROR, "safetensors: the entry of '%s' is malformed", name);
        return NULL;
    }
    double need = numel * (double)tl_dtype_size(dtype);
    if (o[1] < o[0] || o[1] - o[0] != need) {
        tl_error_set(TL_RUNTIME_ERROR, "safetensors: '%s' has data_offsets [%.0f, %.0f] but %s need %.0f bytes", name,
                     o[0], o[1], desc, need);
        return NULL;
    }
    if (o[1] > (double)(size - 8 - N)) {
        tl_error_set(TL_RUNTIME_ERROR, "safetensors: '%s' runs past the end of the file", name);
        return NULL;
    }
    tl_tensor *t = tl_empty(sh, dtype);
    if (t && need > 0) memcpy(TL_DATA(t, char), b + 8 + N + (size_t)o[0], (size_t)need);
    return t;
    // END SOLUTION
    // STUB: TL_TODO("07.3");
    // STUB: return NULL;
}
