/* generated from chapters/00-setup/00-setup.md by tools/tangle.lua; edit the chapter, not this file */
#line 498 "chapters/00-setup/00-setup.md"
// 00-setup — the checks of tutorial §1: version, BLAS, CUDA.
#include "torchlet.h"
#include <stdio.h>

int main(int argc, char **argv) {
    tl_lab_begin(argc, argv);
#line 512 "chapters/00-setup/00-setup.md"
    TL_CELL("which Torchlet is this");
    printf("'%s'\n", tl_version());
#line 525 "chapters/00-setup/00-setup.md"
    TL_CELL("is a CUDA GPU available");
    printf("%s\n", tl_cuda_is_available() ? "True" : "False");
    printf("CUDA compiled in: %s, devices: %d\n", tl_cuda_compiled() ? "yes" : "no",
           tl_cuda_device_count());
#line 543 "chapters/00-setup/00-setup.md"
    TL_CELL("which BLAS does matrix products");
    printf("%s\n", tl_blas_info());
#line 505 "chapters/00-setup/00-setup.md"
    return tl_lab_end();
}
