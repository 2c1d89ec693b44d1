// exercises/08-gpu.cu — exercises for chapter 08 (the GPU): CUDA kernels of your own, an
// element-wise one and a reduction, on Torchlet's CUDA tensors.
//
// This file is CUDA C++, compiled by nvcc. Each exercise is a function with C linkage (extern "C":
// the graded test is C) that checks its tensors and launches your kernel. Grade it with
// ./build.sh grade 08 (the chapter) or ./build.sh grade 08.2 (one exercise). The grader runs it
// only where there is a GPU; elsewhere (no nvcc, no device) the exercises are reported "skipped".
// A CUDA tensor's numbers are in GPU memory: TL_DATA(t, float) is a device pointer, which a kernel
// may read and write and host code must not touch (copy with tl_to(t, "cpu") to look at it).
#include <math.h>
#include <cuda_runtime.h>

#include "exercise.h"


// ----------------------------------------------------------------------------
// Exercise 08.1 (medium, 3 points): an element-wise kernel, y += a * x (BLAS's axpy).
//
// Task: x and y are contiguous float32 tensors on the same CUDA device with the same number of
// elements n. Add a * x to y in place, element by element, with a kernel of your own: one thread
// per element (or a grid-stride loop, each thread doing i, i + total threads, ...). Return true, or
// false with an error: a tensor that is not a contiguous float32 CUDA tensor:
// "axpy_: y must be a contiguous float32 tensor on a CUDA device" (x: "axpy_: x must be ...");
// different sizes: "axpy_: x has 6 elements, y 5"; a failed launch: "axpy_: CUDA error: ..."
// (cudaGetErrorString of cudaGetLastError()).
//
// Approach: a __global__ function with the loop; launch it with kernel<<<blocks, 256>>>(...),
// blocks = (n + 255) / 256 (at most 65535 with a grid-stride loop); n == 0 launches nothing. Then
// cudaGetLastError() tells whether the launch was refused. No synchronisation is needed: the next
// copy (tl_to(y, "cpu")) waits for the kernel on the same stream.
//
// Example: y = [1, 2, 3], x = [10, 20, 30], a = 0.5 -> y = [6, 12, 18].
//
// Hints: t->storage->device.type is TL_CUDA for a GPU tensor; TL_DATA(y, float) is where its first
// element is on the GPU. Compute a * x[i] in float, as cuBLAS's saxpy does.
extern "C" bool ex08_axpy_(tl_tensor *y, double a, const tl_tensor *x) {
    TL_TODO("08.1");
    return false;
}


// ----------------------------------------------------------------------------
// Exercise 08.2 (hard, 4 points): a reduction kernel, the sum of a tensor.
//
// Task: return the sum of the elements of a contiguous float32 CUDA tensor x, computed on the GPU
// by a kernel of your own, as a double on the host. Many threads cannot add into one number
// without waiting for each other, so a reduction goes in two levels: each block of threads adds
// its share of x into shared memory and halves it as a tree (256 partial sums, 128, ..., 1, with
// __syncthreads() between the rounds), and writes one partial sum per block; then the host (or a
// second, one-block launch) adds the blocks' partial sums. An empty tensor sums to 0. Errors (NAN
// returned): "sum: x must be a contiguous float32 tensor on a CUDA device"; a failed launch or
// copy: "sum: CUDA error: ...".
//
// Approach: a kernel with __shared__ double s[256]; each thread first adds x[i], x[i + grid],
// ... into a double of its own (a grid-stride loop), stores it in s[threadIdx.x], and the block
// folds s in half until s[0] holds the block's sum. cudaMalloc an array of one double per block,
// launch (blocks = min(ceil(n / 256), 1024)), cudaMemcpy the partial sums back, add them, cudaFree.
//
// Example: the sum of torch.arange(1, 1001.) on the GPU: 500500.
//
// Hints: adding in double keeps the result within 1e-6 of the exact sum for the grader's sizes;
// a float accumulator drifts. Every thread of a block must reach every __syncthreads().
extern "C" double ex08_sum(const tl_tensor *x) {
    TL_TODO("08.2");
    return NAN;
}
