// pth_builder.h — builds .pth-shaped zip archives in memory, for the chapter 07 tests and the
// fuzz target of tl_load: stored records, correct CRC-32s, no alignment (loaders must not need it).
//
//     pth_record r[] = { { "archive/data.pkl", pkl, pkl_len }, { "archive/version", "3\n", 2 } };
//     size_t n; unsigned char *zip = pth_build(r, 2, &n);   // malloc'd; free() it
#ifndef PTH_BUILDER_H
#define PTH_BUILDER_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>                      // crc32_z: the library links zlib already (-lz)

typedef struct { const char *name; const void *data; size_t size; } pth_record;

static unsigned char *pth_le(unsigned char *o, uint64_t v, int n) {
    for (int i = 0; i < n; i++) *o++ = (unsigned char)(v >> (8 * i));
    return o;
}

static unsigned char *pth_build(const pth_record *r, int n, size_t *out_size) {
    size_t total = 22;
    for (int i = 0; i < n; i++) total += 30 + 46 + 2 * strlen(r[i].name) + r[i].size;
    unsigned char *buf = malloc(total), *o = buf;
    uint32_t *offsets = malloc(sizeof *offsets * (size_t)(n + 1)), *crcs = malloc(sizeof *crcs * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        size_t nl = strlen(r[i].name);
        offsets[i] = (uint32_t)(o - buf);
        crcs[i] = (uint32_t)crc32_z(0, r[i].data, r[i].size);
        o = pth_le(o, 0x04034b50, 4); o = pth_le(o, 20, 2); o = pth_le(o, 0, 2); o = pth_le(o, 0, 2);
        o = pth_le(o, 0, 2); o = pth_le(o, 0x21, 2); o = pth_le(o, crcs[i], 4);
        o = pth_le(o, r[i].size, 4); o = pth_le(o, r[i].size, 4); o = pth_le(o, nl, 2); o = pth_le(o, 0, 2);
        memcpy(o, r[i].name, nl); o += nl;
        if (r[i].size) memcpy(o, r[i].data, r[i].size);
        o += r[i].size;
    }
    size_t cd = (size_t)(o - buf);
    for (int i = 0; i < n; i++) {
        size_t nl = strlen(r[i].name);
        o = pth_le(o, 0x02014b50, 4); o = pth_le(o, 20, 2); o = pth_le(o, 20, 2); o = pth_le(o, 0, 2);
        o = pth_le(o, 0, 2); o = pth_le(o, 0, 2); o = pth_le(o, 0x21, 2); o = pth_le(o, crcs[i], 4);
        o = pth_le(o, r[i].size, 4); o = pth_le(o, r[i].size, 4); o = pth_le(o, nl, 2);
        o = pth_le(o, 0, 2); o = pth_le(o, 0, 2); o = pth_le(o, 0, 2); o = pth_le(o, 0, 2); o = pth_le(o, 0, 4);
        o = pth_le(o, offsets[i], 4);
        memcpy(o, r[i].name, nl); o += nl;
    }
    size_t cd_size = (size_t)(o - buf) - cd;
    o = pth_le(o, 0x06054b50, 4); o = pth_le(o, 0, 2); o = pth_le(o, 0, 2); o = pth_le(o, (uint64_t)n, 2);
    o = pth_le(o, (uint64_t)n, 2); o = pth_le(o, cd_size, 4); o = pth_le(o, cd, 4); o = pth_le(o, 0, 2);
    free(offsets);
    free(crcs);
    *out_size = (size_t)(o - buf);
    return buf;
}
#endif
