/* generated from chapters/00-setup/00-setup.md by tools/tangle.lua; edit the chapter, not this file */
#line 222 "chapters/00-setup/00-setup.md"
// cuda.cu — device-side CUDA code. Only nvcc compiles this file (see lib/cuda.c for the C side).
#include "cuda.h"
#include <cuda_runtime.h>

extern "C" int tl_cuda_backend_device_count(void) {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
        cudaGetLastError();   // clear the sticky "no driver" error
        return 0;
    }
    return count;
}
