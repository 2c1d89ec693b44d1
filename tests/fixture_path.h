// fixture_path.h — the path of a file in tests/fixtures/ (made by make_fixtures.py), for the chapter 07
// tests: $TL_ROOT/tests/fixtures/NAME, or ./tests/fixtures/NAME when TL_ROOT is not set. The result is
// one of four static buffers, used in turn, so up to four paths can be alive at once.
#ifndef FIXTURE_PATH_H
#define FIXTURE_PATH_H
#include <stdio.h>
#include <stdlib.h>

static inline const char *fixture_path(const char *name) {
    static char buf[4][512];
    static int k;
    const char *root = getenv("TL_ROOT");
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/tests/fixtures/%s", root ? root : ".", name);
    return buf[k];
}
#endif
