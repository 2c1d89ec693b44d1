// exercises/08-gpu.cu — exercises for chapter 08 (the GPU): CUDA kernels of your own on Torchlet's
// CUDA tensors: an element-wise one, a reduction, a row-wise softmax and a tiled matrix multiply.
//
// This file is CUDA C++, compiled by nvcc. Each exercise is a function with C linkage (extern "C":
// the graded test is C) that checks its tensors and launches your kernel. Grade it with
// ./build.sh grade 08 (the chapter) or ./build.sh grade 08.3 (one exercise). The grader runs it
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
// blocks = (n + 255) / 256; n == 0 launches nothing. gridDim.x may reach 2^31 - 1 (only y and z
// stop at 65535): capping blocks, at 65535 say, is a choice that a grid-stride loop allows. Then
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


// ----------------------------------------------------------------------------
// Exercise 08.3 (hard, 4 points): softmax over the rows of a matrix, one block per row.
//
// Task: x is a contiguous 2-D float32 tensor on a CUDA device, of shape (rows, cols). Return a new
// tensor of the same shape on the same device whose row r is softmax(x[r, :]) =
// exp(x[r, k] - m) / sum_j exp(x[r, j] - m), m = max_j x[r, j], computed by a kernel of your own
// (x itself does not change). Subtracting the row's maximum changes nothing mathematically and
// keeps exp finite: exp(1e4) is inf in float, exp(1e4 - 1e4) is 1. Rows of any length (1 column,
// a few thousand) and a matrix with no rows or no columns (an empty result, nothing launched).
// Errors (NULL returned): "softmax_rows: x must be a contiguous float32 tensor on a CUDA device";
// "softmax_rows: x must be 2-D, got a 3-D tensor"; a failed launch: "softmax_rows: CUDA error: ...".
//
// Approach: launch one block of 256 threads per row (blocks = rows; gridDim.x may reach 2^31 - 1,
// and a cap, such as 65535, is a choice that a loop over rows r = blockIdx.x, blockIdx.x +
// gridDim.x, ... allows). In a row the block makes three passes,
// each thread taking columns threadIdx.x, threadIdx.x + 256, ...: (1) the maximum, each thread its
// own and then the block's; (2) the sum of exp(x - max), the same way; (3) y = exp(x - max) / sum.
// The block's max or sum of 256 numbers: a tree in shared memory as in 08.2, or warp shuffles:
// v = fmaxf(v, __shfl_xor_sync(0xffffffff, v, offset)) for offset 16, 8, 4, 2, 1 leaves every lane
// of a warp with the warp's maximum; lane 0 of each of the 8 warps puts it in __shared__ float
// s[32], and one more shuffle round over s gives the block's. The result: tl_empty_on(shape,
// TL_FLOAT32, x->storage->device), whose TL_DATA(y, float) the kernel writes.
//
// Example: x = [[1, 2, 3], [1e4, 1e4, 1e4 + 1]] on cuda:0 ->
//          [[0.0900, 0.2447, 0.6652], [0.2119, 0.2119, 0.5761]] on cuda:0 (a naive exp gives nan).
//
// Hints: every thread of the block must reach every __syncthreads() and every __shfl_xor_sync with
// the full mask, so keep them outside the "if (k < cols)" parts: a thread with no column of its
// own contributes -INFINITY to the max and 0 to the sum. Reusing one shared array for the max and
// then the sum needs a __syncthreads() between the last read of one and the first write of the
// next. Rows of 1 column or fewer columns than threads are where index bugs show.
extern "C" tl_tensor *ex08_softmax_rows(const tl_tensor *x) {
    TL_TODO("08.3");
    return NULL;
}


// ----------------------------------------------------------------------------
// Exercise 08.4 (hard, 5 points): a tiled matrix multiply in shared memory.
//
// Task: a (M, K) and b (K, N) are contiguous 2-D float32 tensors on the same CUDA device. Return
// their product c = a @ b, a new (M, N) float32 tensor on that device, computed by a kernel of your
// own that stages tiles of a and b in shared memory, for any M, N, K (not only multiples of the
// tile; K = 0 gives zeros, M = 0 or N = 0 an empty result). Errors (NULL returned): "matmul: a
// must be a contiguous float32 tensor on a CUDA device" (b: "matmul: b must be ..."); "matmul: a
// must be 2-D, got a 1-D tensor"; a and b on different devices: PyTorch's
// "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and
// cuda:1!"; K of a not K of b: PyTorch's "mat1 and mat2 shapes cannot be multiplied (2x3 and
// 4x5)"; a grid that cannot be launched or a failed launch: "matmul: CUDA error: ...".
//
// Approach: blocks of TILE x TILE threads (TILE 16: dim3 block(16, 16)), one per tile of c:
// dim3 grid(ceil(N / TILE), ceil(M / TILE)) (gridDim.y is at most 65535). Thread (ty, tx) of
// block (by, bx) computes c[row, col], row = by * TILE + ty, col = bx * TILE + tx. For each k0 =
// 0, TILE, 2 TILE, ... < K: load as[ty][tx] = a[row, k0 + tx] and bs[ty][tx] = b[k0 + ty, col]
// (0 outside the matrices), __syncthreads(), acc += as[ty][i] * bs[i][tx] for i < TILE,
// __syncthreads(). At the end, if row < M and col < N, c[row * N + col] = acc.
//
// Example: [[1, 2], [3, 4]] @ [[5, 6], [7, 8]] on cuda:0 -> [[19, 22], [43, 50]] on cuda:0;
// a (2, 3) @ b (4, 5) -> NULL, "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)".
//
// Hints: the __syncthreads() after the multiply-add matters: without it a fast warp reloads the
// tiles while a slow one still reads them. A thread outside c (row >= M or col >= N) must still
// load and wait, or the others wait for ever or read what it should have loaded. Compute the
// offsets in int64_t (row * K overflows an int for big matrices). Accumulate in float, as cuBLAS
// does: the grader allows float32 rounding, growing with K.
extern "C" tl_tensor *ex08_matmul(const tl_tensor *a, const tl_tensor *b) {
    TL_TODO("08.4");
    return NULL;
}
