// exercise.h — included by every exercise file (exercises/NN-name.c and its reference solution).
//
// An exercise is a function whose body starts as a stub:
//     tl_tensor *ex01_trace(const tl_tensor *t) {
//         TL_TODO("01.1");       // records "exercise 01.1 (ex01_trace) is not implemented yet"
//         return NULL;           // and fails the way every Torchlet function fails
//     }
// Replace the two lines with your code, then grade it: ./build.sh grade 01.1
#ifndef TL_EXERCISE_H
#define TL_EXERCISE_H
#include "torchlet.h"

#define TL_TODO(id) tl_error_set(TL_RUNTIME_ERROR, "exercise %s (%s) is not implemented yet", (id), __func__)
#endif
