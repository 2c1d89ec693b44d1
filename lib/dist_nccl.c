/* generated from chapters/09-ddp/09-ddp.md by tools/tangle.lua; edit the chapter, not this file */
#line 915 "chapters/09-ddp/09-ddp.md"
// dist_nccl.c — GPU collectives with NCCL (chapter 09). Compiled with -DTL_WITH_NCCL when the build
// has CUDA and nccl.h; otherwise every function says that NCCL is not in this build.
// tests/mock/ compiles this same file against a host emulation of NCCL and CUDA (no GPU needed).
#include "dist.h"
#include "device.h"
#include "setup.h"
#include <stdio.h>

#ifdef TL_WITH_NCCL
#include "ops.h"
#include <cuda_runtime.h>
#include <nccl.h>

static struct { bool ready; int device; ncclComm_t comm; cudaStream_t stream; } g_nccl = { .device = -1 };

bool tl_dist_nccl_compiled(void) { return true; }
int tl_dist_nccl_device(void) { return g_nccl.ready ? g_nccl.device : -1; }

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
    int rank = tl_dist_rank(), world = tl_dist_world_size(), local = tl_dist_local_rank();
    if (rank < 0) return false;
    if (g_nccl.ready) return true;
    int devices = tl_cuda_device_count();
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
    g_nccl.device = local;
    g_nccl.ready = true;
    return true;
}

static bool check_ready(const char *op) {
    if (g_nccl.ready) return true;
    tl_error_set(TL_RUNTIME_ERROR, "NCCL %s before tl_dist_nccl_init", op);
    return false;
}

// a collective was enqueued (r): wait for it, so that its result is there when we return
static bool finish(const char *op, ncclResult_t r) {
    cudaError_t ce = r == ncclSuccess ? cudaStreamSynchronize(g_nccl.stream) : cudaSuccess;
    if (r == ncclSuccess && ce == cudaSuccess) return true;
    tl_error_set(TL_RUNTIME_ERROR, "NCCL %s: %s", op, r != ncclSuccess ? ncclGetErrorString(r) : cudaGetErrorString(ce));
    return false;
}

bool tl_dist_nccl_all_reduce(void *dev_ptr, int64_t count, tl_dtype dtype, tl_reduce_op op) {
    if (!check_ready("all_reduce")) return false;
    ncclDataType_t type = dtype == TL_FLOAT32 ? ncclFloat32 : dtype == TL_FLOAT64 ? ncclFloat64 : ncclInt64;
    if (dtype == TL_BOOL || (op == TL_REDUCE_AVG && dtype == TL_INT64)) {
        tl_error_set(TL_RUNTIME_ERROR, "NCCL all_reduce: %s with %s is not supported",
                     op == TL_REDUCE_AVG ? "ReduceOp.AVG" : "ReduceOp.SUM", tl_dtype_name(dtype));
        return false;
    }
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 10, 0)
    ncclRedOp_t nop = op == TL_REDUCE_AVG ? ncclAvg : ncclSum;
#else
    ncclRedOp_t nop = ncclSum;
#endif
    bool ok = finish("all_reduce", ncclAllReduce(dev_ptr, dev_ptr, (size_t)count, type, nop, g_nccl.comm,
                                                 g_nccl.stream));
#if NCCL_VERSION_CODE < NCCL_VERSION(2, 10, 0)
    if (ok && op == TL_REDUCE_AVG && count > 0) {      // no ncclAvg: x = x / world size, on the GPU
        tl_cuda_ew e;
        tl_cuda_ew_init(&e, 1, &count);
        e.data[0] = e.data[1] = dev_ptr;
        e.dtype[0] = e.dtype[1] = e.dtype[2] = dtype;
        e.stride[0][0] = e.stride[1][0] = 1;
        e.scalar[2] = tl_dist_world_size();            // operand 2 is a number (data NULL)
        ok = tl_cuda_binary(g_nccl.device, TL_CUDA_DIV, dtype, &e) && tl_cuda_synchronize(g_nccl.device);
    }
#endif
    return ok;
}

bool tl_dist_nccl_broadcast(void *dev_ptr, int64_t nbytes, int src) {
    if (!check_ready("broadcast")) return false;
    return finish("broadcast", ncclBroadcast(dev_ptr, dev_ptr, (size_t)nbytes, ncclUint8, src, g_nccl.comm,
                                             g_nccl.stream));
}

bool tl_dist_nccl_all_gather(const void *dev_in, void *dev_out, int64_t nbytes) {
    if (!check_ready("all_gather")) return false;
    return finish("all_gather", ncclAllGather(dev_in, dev_out, (size_t)nbytes, ncclUint8, g_nccl.comm,
                                              g_nccl.stream));
}

bool tl_dist_nccl_all_reduce_host(float *data, int64_t n, tl_reduce_op op) {
    if (!check_ready("all_reduce")) return false;
    size_t capacity = 0, bytes = (size_t)(n > 0 ? n : 0) * sizeof(float);
    void *dev = tl_cuda_malloc(g_nccl.device, bytes ? bytes : 1, &capacity);
    bool ok = dev && tl_cuda_memcpy(g_nccl.device, dev, data, bytes, TL_H2D) &&
              tl_dist_nccl_all_reduce(dev, n, TL_FLOAT32, op) &&
              tl_cuda_memcpy(g_nccl.device, data, dev, bytes, TL_D2H);
    if (dev) tl_cuda_free(g_nccl.device, dev, capacity);
    return ok;
}

void tl_dist_nccl_destroy(void) {
    if (!g_nccl.ready) return;
    ncclCommDestroy(g_nccl.comm);
    cudaStreamDestroy(g_nccl.stream);
    g_nccl.ready = false;
    g_nccl.device = -1;
}

#else
#define NO_NCCL "Torchlet was built without NCCL (it needs CUDA and nccl.h when it is built)"
static bool no_nccl(void) {
    tl_error_set(TL_RUNTIME_ERROR, NO_NCCL);
    return false;
}
bool tl_dist_nccl_compiled(void) { return false; }
int tl_dist_nccl_device(void) { return -1; }
bool tl_dist_nccl_init(void) { return no_nccl(); }
bool tl_dist_nccl_all_reduce(void *dev_ptr, int64_t count, tl_dtype dtype, tl_reduce_op op) {
    (void)dev_ptr, (void)count, (void)dtype, (void)op;
    return no_nccl();
}
bool tl_dist_nccl_broadcast(void *dev_ptr, int64_t nbytes, int src) {
    (void)dev_ptr, (void)nbytes, (void)src;
    return no_nccl();
}
bool tl_dist_nccl_all_gather(const void *dev_in, void *dev_out, int64_t nbytes) {
    (void)dev_in, (void)dev_out, (void)nbytes;
    return no_nccl();
}
bool tl_dist_nccl_all_reduce_host(float *data, int64_t n, tl_reduce_op op) {
    (void)data, (void)n, (void)op;
    return no_nccl();
}
void tl_dist_nccl_destroy(void) {}
#endif
