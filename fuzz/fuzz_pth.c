// fuzz_pth.c — libFuzzer target for tl_load_buffer (chapter 07): .pth files must load or fail,
// never crash, overread or leak, whatever their bytes.
//
// Two kinds of input, told apart by the first byte:
//   'P' ...        a whole file (a zip archive: "PK\3\4"), loaded as it is;
//   anything else  byte 0 = n (storages, taken mod 8), then n 2-byte little-endian sizes, then a
//                  pickle. It is wrapped into a well-formed archive (data.pkl, version, data/0 ..
//                  data/n-1 of those sizes) with correct CRCs, so that mutations reach the
//                  unpickler instead of stopping at the zip layer's checksums.
//
//   make fuzz && build/fuzz/fuzz_pth -max_total_time=60 /tmp/new-corpus fuzz/corpus/pth
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "torchlet.h"
#include "pth_builder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tl_state_dict *sd = NULL;
    if (size > 0 && data[0] == 'P') {
        sd = tl_load_buffer(data, size, "fuzz.pth");
    } else if (size > 0) {
        int n = data[0] % 8;
        size_t at = 1 + 2 * (size_t)n;
        if (at > size) return 0;
        static unsigned char storage_bytes[65536];
        static const char *names[8] = { "archive/data/0", "archive/data/1", "archive/data/2", "archive/data/3",
                                        "archive/data/4", "archive/data/5", "archive/data/6", "archive/data/7" };
        pth_record r[10] = { { "archive/data.pkl", data + at, size - at }, { "archive/version", "3\n", 2 } };
        for (int i = 0; i < n; i++) {
            size_t len = (size_t)data[1 + 2 * i] | (size_t)data[2 + 2 * i] << 8;
            r[2 + i] = (pth_record){ names[i], storage_bytes, len };
        }
        size_t zip_size;
        unsigned char *zip = pth_build(r, 2 + n, &zip_size);
        sd = tl_load_buffer(zip, zip_size, "fuzz.pth");
        free(zip);
    }
    for (int64_t i = 0; i < tl_state_dict_len(sd); i++) {   // touch every element of every tensor
        const tl_tensor *t = tl_state_dict_value(sd, i);
        if (tl_numel(t) <= 4096) TL_SCOPE { tl_sum(t); }
    }
    tl_state_dict_free(sd);
    tl_error_clear();
    return 0;
}
