// exercises/00-setup.c — exercises for chapter 00 (setup): versions and what a build contains.
//
// Each exercise is a function: read its comment, replace the TL_TODO stub with your code, and
// grade it with ./build.sh grade 00 (the chapter) or ./build.sh grade 00.2 (one exercise).
// A function that cannot do its job fails as Torchlet's own functions do: it records a message
// with tl_error_set(TL_RUNTIME_ERROR, ...) and returns the failure value its comment names.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"


// ----------------------------------------------------------------------------
// Exercise 00.1 (easy, 2 points): compare two version numbers.
//
// Task: return -1 if version a is older than b, 0 if they are the same version, 1 if a is newer.
// A version is one to three non-negative integers separated by dots ("2", "1.13", "0.10.2");
// missing parts count as 0, so "1.13" and "1.13.0" are the same version. Anything else
// ("1..2", "1.x", "", "1.2.3.4", "v1", NULL) is malformed: record an error that quotes it,
// e.g. "not a version: '1.x'", and return -2.
//
// Approach: read the numbers with strtol (which tells you where it stopped), then compare part by
// part, numerically: comparing the strings would put "0.9" after "0.10".
//
// Example: ex00_version_compare("0.10.0", "0.9.3") == 1;  ex00_version_compare("1.2", "1.2.0") == 0
//
// Hints: check that every part starts with a digit (strtol skips spaces and accepts a sign);
// after a number comes either '.' or the end of the string.
int ex00_version_compare(const char *a, const char *b) {
    TL_TODO("00.1");
    return -2;
}

// ----------------------------------------------------------------------------
// Exercise 00.2 (easy, 1 point): is this Torchlet recent enough?
//
// Task: return true when the library's version (tl_version()) is `required` or newer, false when
// it is older. A malformed `required` records an error and returns false; a plain "too old" records
// nothing (it is an answer, not a failure).
//
// Approach: one call to your ex00_version_compare.
//
// Example: with Torchlet 0.1.0, ex00_version_at_least("0.1") is true, ("0.2.0") is false.
bool ex00_version_at_least(const char *required) {
    TL_TODO("00.2");
    return false;
}

// ----------------------------------------------------------------------------
// Exercise 00.3 (medium, 3 points): a one-line summary of the build, snprintf style.
//
// Task: write into buf (size bytes, always NUL-terminated when size > 0)
//     "torchlet VERSION | BLAS: INFO | CUDA: CUDA"
// where VERSION is tl_version(), INFO is tl_blas_info() and CUDA is "not available" when
// tl_cuda_is_available() is false, else "N device(s)" with N = tl_cuda_device_count().
// Return the length of the whole line (without the NUL), even when it did not fit: like snprintf,
// a caller sees truncation as a return value >= size. buf may be NULL when size is 0 (a caller
// asking only for the length). A NULL buf with size > 0 records an error and returns -1.
//
// Example: "torchlet 0.1.0 | BLAS: OpenBLAS 0.3.21 ... | CUDA: not available"  (returns its length)
//
// Hints: snprintf already has exactly these semantics; format the CUDA part into a small local
// buffer first.
int ex00_build_summary(char *buf, size_t size) {
    TL_TODO("00.3");
    return -1;
}
