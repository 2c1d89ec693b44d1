/* generated from chapters/09-ddp/09-ddp.md by tools/tangle.lua; edit the chapter, not this file */
#line 701 "chapters/09-ddp/09-ddp.md"
// dist_nccl.c — GPU collectives with NCCL (chapter 09). Compiled with -DTL_WITH_NCCL when the build
// has CUDA and nccl.h; otherwise every function says that NCCL is not in this build.
#include "dist.h"
#include <stdio.h>

#ifdef TL_WITH_NCCL
#include "ops.h"
#include <cuda_runtime.h>
#include <nccl.h>

static struct { bool ready; ncclComm_t comm; cudaStream_t stream; } g_nccl;

bool tl_dist_nccl_compiled(void) { return true; }

// true on every rank when it is true on all of them (a collective): so that a failure on one rank
// makes all of them return false, instead of leaving the others waiting in the next collective
static bool all_ranks(bool ok) {
    bool all = false;
    TL_SCOPE {
        tl_tensor *failed = tl_scalar(ok ? 0 : 1, TL_INT64);
        all = tl_dist_all_reduce(failed, TL_REDUCE_SUM) && tl_item(failed) == 0;
    }
    return all;
}

bool tl_dist_nccl_init(void) {
    int rank = tl_dist_rank(), world = tl_dist_world_size(), local = tl_dist_local_rank(), devices = 0;
    if (rank < 0) return false;
    if (g_nccl.ready) return true;
    if (cudaGetDeviceCount(&devices) != cudaSuccess) devices = 0;
    bool ok = true;
    if (local >= devices) {
        tl_error_set(TL_RUNTIME_ERROR, "NCCL: rank %d is local rank %d, but this machine has %d GPU(s); start "
                     "one rank per GPU (mpirun -np %d)", rank, local, devices, devices);
        ok = false;
    }
    cudaError_t ce = ok ? cudaSetDevice(local) : cudaSuccess;     // torch.cuda.set_device(local_rank)
    if (ce != cudaSuccess) {
        tl_error_set(TL_RUNTIME_ERROR, "NCCL: cudaSetDevice(%d): %s", local, cudaGetErrorString(ce));
        ok = false;
    }
    ncclUniqueId id = { { 0 } };
    ncclResult_t r = ncclSuccess;
    if (ok && rank == 0 && (r = ncclGetUniqueId(&id)) != ncclSuccess) {   // rank 0 makes the ticket
        tl_error_set(TL_RUNTIME_ERROR, "NCCL: ncclGetUniqueId: %s", ncclGetErrorString(r));
        ok = false;
    }
    if (!all_ranks(ok)) {
        if (ok) tl_error_set(TL_RUNTIME_ERROR, "NCCL: another rank could not set up its GPU (see its message)");
        return false;
    }
    if (!tl_dist_broadcast_bytes_(&id, sizeof id, 0)) return false;      // MPI hands it to all
    r = ncclCommInitRank(&g_nccl.comm, world, id, rank);
    if (r != ncclSuccess) {
        tl_error_set(TL_RUNTIME_ERROR, "NCCL: ncclCommInitRank: %s", ncclGetErrorString(r));
        return false;
    }
    if ((ce = cudaStreamCreate(&g_nccl.stream)) != cudaSuccess) {
        ncclCommDestroy(g_nccl.comm);
        tl_error_set(TL_RUNTIME_ERROR, "NCCL: cudaStreamCreate: %s", cudaGetErrorString(ce));
        return false;
    }
    g_nccl.ready = true;
    return true;
}

bool tl_dist_nccl_all_reduce(void *dev_ptr, int64_t count, tl_dtype dtype, tl_reduce_op op) {
    if (!g_nccl.ready) {
        tl_error_set(TL_RUNTIME_ERROR, "NCCL all_reduce before tl_dist_nccl_init");
        return false;
    }
    ncclDataType_t type = dtype == TL_FLOAT32 ? ncclFloat32 : dtype == TL_FLOAT64 ? ncclFloat64 : ncclInt64;
    if (dtype == TL_BOOL || (op == TL_REDUCE_AVG && dtype == TL_INT64)) {
        tl_error_set(TL_RUNTIME_ERROR, "NCCL all_reduce: %s with %s is not supported",
                     op == TL_REDUCE_AVG ? "ReduceOp.AVG" : "ReduceOp.SUM", tl_dtype_name(dtype));
        return false;
    }
    ncclResult_t r = ncclAllReduce(dev_ptr, dev_ptr, (size_t)count, type, op == TL_REDUCE_AVG ? ncclAvg : ncclSum,
                                   g_nccl.comm, g_nccl.stream);
    cudaError_t ce = r == ncclSuccess ? cudaStreamSynchronize(g_nccl.stream) : cudaSuccess;
    if (r != ncclSuccess || ce != cudaSuccess) {
        tl_error_set(TL_RUNTIME_ERROR, "NCCL all_reduce: %s",
                     r != ncclSuccess ? ncclGetErrorString(r) : cudaGetErrorString(ce));
        return false;
    }
    return true;
}

bool tl_dist_nccl_all_reduce_host(float *data, int64_t n, tl_reduce_op op) {
    if (!g_nccl.ready) {
        tl_error_set(TL_RUNTIME_ERROR, "NCCL all_reduce before tl_dist_nccl_init");
        return false;
    }
    void *dev = NULL;
    size_t bytes = (size_t)(n > 0 ? n : 1) * sizeof(float);
    cudaError_t ce = cudaMalloc(&dev, bytes);
    if (ce == cudaSuccess) ce = cudaMemcpy(dev, data, (size_t)n * sizeof(float), cudaMemcpyHostToDevice);
    bool ok = ce == cudaSuccess && tl_dist_nccl_all_reduce(dev, n, TL_FLOAT32, op);
    if (ok) ce = cudaMemcpy(data, dev, (size_t)n * sizeof(float), cudaMemcpyDeviceToHost);
    if (ce != cudaSuccess) {
        tl_error_set(TL_RUNTIME_ERROR, "NCCL all_reduce_host: %s", cudaGetErrorString(ce));
        ok = false;
    }
    cudaFree(dev);
    return ok;
}

void tl_dist_nccl_destroy(void) {
    if (!g_nccl.ready) return;
    ncclCommDestroy(g_nccl.comm);
    cudaStreamDestroy(g_nccl.stream);
    g_nccl.ready = false;
}

#else
#define NO_NCCL "Torchlet was built without NCCL (it needs CUDA and nccl.h when it is built)"
bool tl_dist_nccl_compiled(void) { return false; }
bool tl_dist_nccl_init(void) { tl_error_set(TL_RUNTIME_ERROR, NO_NCCL); return false; }
bool tl_dist_nccl_all_reduce(void *dev_ptr, int64_t count, tl_dtype dtype, tl_reduce_op op) {
    (void)dev_ptr, (void)count, (void)dtype, (void)op;
    tl_error_set(TL_RUNTIME_ERROR, NO_NCCL);
    return false;
}
bool tl_dist_nccl_all_reduce_host(float *data, int64_t n, tl_reduce_op op) {
    (void)data, (void)n, (void)op;
    tl_error_set(TL_RUNTIME_ERROR, NO_NCCL);
    return false;
}
void tl_dist_nccl_destroy(void) {}
#endif
