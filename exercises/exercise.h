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
#ifdef __cplusplus                 // a CUDA exercise (NN-name.cu, compiled by nvcc as C++): the C
#include <stdbool.h>              // library's names keep C linkage; the C headers it uses come first
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
extern "C" {
#endif
#include "torchlet.h"
#ifdef __cplusplus
}
#endif

#define TL_TODO(id) tl_error_set(TL_RUNTIME_ERROR, "exercise %s (%s) is not implemented yet", (id), __func__)
#endif
