// fuzz_safetensors.c — libFuzzer target for tl_load_safetensors_buffer (chapter 07).
//
//   make fuzz && build/fuzz/fuzz_safetensors -max_total_time=60 /tmp/new-corpus fuzz/corpus/safetensors
#include <stddef.h>
#include <stdint.h>
#include "torchlet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tl_state_dict *sd = tl_load_safetensors_buffer(data, size, "fuzz.safetensors");
    for (int64_t i = 0; i < tl_state_dict_len(sd); i++) {
        const tl_tensor *t = tl_state_dict_value(sd, i);
        if (tl_numel(t) <= 4096) TL_SCOPE { tl_sum(t); }
    }
    tl_state_dict_free(sd);
    tl_error_clear();
    return 0;
}
