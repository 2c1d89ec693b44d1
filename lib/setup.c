/* generated from chapters/00-setup/00-setup.md by tools/tangle.lua; edit the chapter, not this file */
#line 144 "chapters/00-setup/00-setup.md"
// setup.c — version and build information.
#include "setup.h"
#include <cblas.h>

const char *tl_version(void) { return TL_VERSION; }

const char *tl_blas_info(void) {
#line 159 "chapters/00-setup/00-setup.md"
    static char info[256];
    if (!info[0]) {
        const char *config = openblas_get_config();
        size_t n = 0;
        while (config[n] && n + 1 < sizeof info) { info[n] = config[n]; n++; }
        while (n > 0 && info[n - 1] == ' ') n--;
        info[n] = '\0';
    }
    return info;
#line 152 "chapters/00-setup/00-setup.md"
}
