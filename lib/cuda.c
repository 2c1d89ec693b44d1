/* generated from chapters/00-setup/00-setup.md by tools/tangle.lua; edit the chapter, not this file */
#line 193 "chapters/00-setup/00-setup.md"
// cuda.c — the CPU side of CUDA support: answers "is there a GPU?" in every build.
#include "setup.h"
#include "cuda.h"

bool tl_cuda_compiled(void) {
#ifdef TL_WITH_CUDA
    return true;
#else
    return false;
#endif
}

int tl_cuda_device_count(void) {
#ifdef TL_WITH_CUDA
    return tl_cuda_backend_device_count();
#else
    return 0;
#endif
}

bool tl_cuda_is_available(void) { return tl_cuda_device_count() > 0; }
