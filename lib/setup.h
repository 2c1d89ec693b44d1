/* generated from chapters/00-setup/00-setup.md by tools/tangle.lua; edit the chapter, not this file */
#line 124 "chapters/00-setup/00-setup.md"
// setup.h — what this build of Torchlet contains: version, BLAS library, CUDA devices.
#ifndef TL_SETUP_H
#define TL_SETUP_H
#include <stdbool.h>

#define TL_VERSION "0.1.0"

const char *tl_version(void);          // "0.1.0", like torch.__version__
const char *tl_blas_info(void);        // the BLAS library matrix products go through
bool        tl_cuda_is_available(void); // torch.cuda.is_available()
int         tl_cuda_device_count(void); // torch.cuda.device_count()
bool        tl_cuda_compiled(void);     // was the CUDA part compiled into this library?
#endif
