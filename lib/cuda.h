/* generated from chapters/00-setup/00-setup.md by tools/tangle.lua; edit the chapter, not this file */
#line 178 "chapters/00-setup/00-setup.md"
// cuda.h — the CUDA backend (grown in chapter 08). Compiled in when the build finds nvcc.
#ifndef TL_CUDA_H
#define TL_CUDA_H
#ifdef __cplusplus
extern "C" {
#endif
// number of usable CUDA devices, 0 when there is no driver or no device (never fails)
int tl_cuda_backend_device_count(void);
#ifdef __cplusplus
}
#endif
#endif
