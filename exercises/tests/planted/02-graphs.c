// exercises/tests/planted/02-graphs.c — a planted hand-in for chapter 02 that does not compile (a
// missing semicolon): the grader must show the compiler's message, score chapter 02 zero and go
// on with the other chapters.
#include "exercise.h"

int64_t ex02_count_nodes(const tl_tensor *t) {
    return t ? 0 : -1
}
