// tests/mock/mock_ptr.h — the emulated GPU's pointers, shared by tests/mock/mock_cuda.c (which hands
// them out) and tests/mock/mock_nccl.c (which checks them): "device memory" is host memory behind
// a pointer moved out of the canonical address range by +2^62, so host code that dereferences a
// device pointer by mistake crashes at once, as it would on a real GPU.
#ifndef TL_MOCK_PTR_H
#define TL_MOCK_PTR_H
#include <stdbool.h>
#include <stdint.h>

#define TAG ((uintptr_t)1 << 62)
static inline bool on_device(const void *p) { return (uintptr_t)p >= TAG; }                     // a device pointer?
static inline void *H(const void *p) { return p ? (void *)((uintptr_t)p - TAG) : NULL; }       // device -> host
static inline void *D(void *p) { return (void *)((uintptr_t)p + TAG); }                         // host -> device

#endif
