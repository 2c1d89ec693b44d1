// tests/mock/mock_nccl.c — a HOST EMULATION of NCCL and of the few CUDA runtime calls that
// lib/dist_nccl.c makes, for testing chapter 09's GPU path on a machine without a GPU.
//
// tests/mock/run.sh compiles lib/dist_nccl.c against tests/mock/include/{nccl.h,cuda_runtime.h}
// and links this file (with tests/mock/mock_cuda.c, whose "device" memory is host memory behind
// pointers moved by +2^62). Each rank of `mpirun -np 2` is one process with its own emulated GPU
// (TL_MOCK_GPUS=2 lets the machine have two, so that local rank 1 finds cuda:1); the collectives
// are MPI's, on the untagged pointers. What it checks, as NCCL would:
//   - every buffer handed to a collective is device memory (a host pointer is an error: the
//     library must not route GPU gradients through the host);
//   - every rank joins with the same ncclUniqueId (rank 0's, broadcast by MPI), its own rank
//     number, the right world size, and its own GPU (NCCL refuses two ranks on one device);
//   - collectives are counted (mock_nccl_calls), so tests can check one all-reduce per step.
#define _POSIX_C_SOURCE 200809L
#include "nccl.h"
#include "cuda_runtime.h"
#include "cuda.h"        // tl_cuda_backend_device_count (mock_cuda.c)
#include "mock_ptr.h"    // on_device, H: mock_cuda.c's device pointers

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef TL_WITH_MPI
#include <mpi.h>
#endif

// ----------------------------------------------------------------------------
// the CUDA runtime calls: a current device per process, streams that are only tokens
static int current_device = 0;
static int live_streams = 0;

cudaError_t cudaSetDevice(int device) {
    if (device < 0 || device >= tl_cuda_backend_device_count()) return cudaErrorInvalidDevice;
    current_device = device;
    return cudaSuccess;
}
cudaError_t cudaGetDevice(int *device) { *device = current_device; return cudaSuccess; }
cudaError_t cudaStreamCreate(cudaStream_t *stream) {
    *stream = (cudaStream_t)malloc(1);
    if (!*stream) return cudaErrorInvalidValue;
    live_streams++;
    return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t stream) { return stream ? cudaSuccess : cudaErrorInvalidValue; }
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
    if (!stream) return cudaErrorInvalidValue;
    free(stream);
    live_streams--;
    return cudaSuccess;
}
const char *cudaGetErrorString(cudaError_t error) {
    switch (error) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    default: return "invalid argument";
    }
}

// ----------------------------------------------------------------------------
// NCCL
struct ncclComm {
    int rank, nranks, device;
#ifdef TL_WITH_MPI
    MPI_Comm mpi;    // MPI_COMM_NULL in a world of one without MPI
#endif
};

static int64_t calls_all_reduce, calls_broadcast, calls_all_gather, calls_init;

// how many times a collective ran in this process: "all_reduce", "broadcast", "all_gather", "init"
int64_t mock_nccl_calls(const char *name) {
    if (strcmp(name, "all_reduce") == 0) return calls_all_reduce;
    if (strcmp(name, "broadcast") == 0) return calls_broadcast;
    if (strcmp(name, "all_gather") == 0) return calls_all_gather;
    if (strcmp(name, "init") == 0) return calls_init;
    return -1;
}

const char *ncclGetErrorString(ncclResult_t r) {
    switch (r) {
    case ncclSuccess: return "no error";
    case ncclInvalidArgument: return "invalid argument (run with NCCL_DEBUG=WARN for details)";
    case ncclInvalidUsage: return "invalid usage (run with NCCL_DEBUG=WARN for details)";
    case ncclSystemError: return "unhandled system error (run with NCCL_DEBUG=INFO for details)";
    default: return "internal error - please report this issue to the NCCL developers";
    }
}

static void warn(const char *fmt, const char *what, long a, long b) {
    if (getenv("MOCK_NCCL_QUIET")) return;
    fprintf(stderr, "mock NCCL WARN ");
    fprintf(stderr, fmt, what, a, b);
    fprintf(stderr, "\n");
}

ncclResult_t ncclGetUniqueId(ncclUniqueId *id) {
    memset(id, 0, sizeof *id);
    snprintf(id->internal, sizeof id->internal, "mock-nccl-id pid %ld time %ld", (long)getpid(), (long)time(NULL));
    return ncclSuccess;
}

static int mpi_ready(void) {
#ifdef TL_WITH_MPI
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    return init && !fin;
#else
    return 0;
#endif
}

ncclResult_t ncclCommInitRank(ncclComm_t *comm, int nranks, ncclUniqueId id, int rank) {
    if (nranks < 1 || rank < 0 || rank >= nranks) { warn("%s: rank %ld of %ld", "ncclCommInitRank", rank, nranks); return ncclInvalidArgument; }
    if (strncmp(id.internal, "mock-nccl-id", 12) != 0) {
        warn("%s: rank %ld got no id from rank 0 (%ld)", "ncclCommInitRank", rank, 0);
        return ncclInvalidArgument;
    }
    struct ncclComm *c = calloc(1, sizeof *c);
    if (!c) return ncclSystemError;
    c->rank = rank, c->nranks = nranks, c->device = current_device;
#ifdef TL_WITH_MPI
    c->mpi = MPI_COMM_NULL;
    if (mpi_ready()) {
        MPI_Comm_split(MPI_COMM_WORLD, 0, rank, &c->mpi);     // rank order = NCCL's ranks
        int size = 0;
        MPI_Comm_size(c->mpi, &size);
        // every rank must bring rank 0's id, and its own GPU: NCCL's "Duplicate GPU detected"
        ncclUniqueId root = id;
        MPI_Bcast(&root, sizeof root, MPI_BYTE, 0, c->mpi);
        int *devices = calloc((size_t)size, sizeof *devices);
        MPI_Allgather(&c->device, 1, MPI_INT, devices, 1, MPI_INT, c->mpi);
        int bad = size != nranks || memcmp(&root, &id, sizeof id) != 0, dup = 0;
        for (int r = 0; r < size; r++)
            if (r != rank && devices[r] == c->device) dup = 1;
        free(devices);
        int mine[2] = { bad, dup }, any[2];
        MPI_Allreduce(mine, any, 2, MPI_INT, MPI_MAX, c->mpi);
        if (any[0] || any[1]) {
            if (bad) warn("%s: rank %ld: another id or world size than rank 0's (nranks %ld)", "ncclCommInitRank", rank, nranks);
            if (dup) warn("%s: Duplicate GPU detected: rank %ld and another rank both on CUDA device %ld", "init", rank, c->device);
            MPI_Comm_free(&c->mpi);
            free(c);
            return any[0] ? ncclInvalidArgument : ncclInvalidUsage;
        }
    } else
#endif
    if (nranks != 1) {
        warn("%s: %ld ranks, but this process has no MPI to reach the others (%ld)", "ncclCommInitRank", nranks, 0);
        free(c);
        return ncclSystemError;
    }
    calls_init++;
    *comm = c;
    return ncclSuccess;
}

ncclResult_t ncclCommDestroy(ncclComm_t comm) {
    if (!comm) return ncclInvalidArgument;
#ifdef TL_WITH_MPI
    if (comm->mpi != MPI_COMM_NULL && mpi_ready()) MPI_Comm_free(&comm->mpi);
#endif
    free(comm);
    return ncclSuccess;
}

static size_t type_size(ncclDataType_t t) {
    switch (t) {
    case ncclInt8: case ncclUint8: return 1;
    case ncclInt32: case ncclUint32: return 4;
    case ncclFloat16: return 2;
    case ncclFloat32: return 4;
    default: return 8;
    }
}

// the arguments every collective checks: a communicator on the current GPU, device buffers
// (an empty collective may pass any pointers, NULL too, as with NCCL)
static ncclResult_t check(const char *what, ncclComm_t comm, const void *a, const void *b, size_t count,
                          cudaStream_t stream) {
    if (!comm || !stream) { warn("%s: no communicator or no stream (%ld, %ld)", what, 0, 0); return ncclInvalidArgument; }
    if (count > 0 && (!on_device(a) || !on_device(b))) {
        warn("%s: rank %ld was given a host pointer; NCCL works on device memory (%ld)", what, comm->rank, 0);
        return ncclInvalidArgument;
    }
    if (current_device != comm->device) {
        warn("%s: the current device is %ld, the communicator's %ld", what, current_device, comm->device);
        return ncclInvalidUsage;
    }
    return ncclSuccess;
}

#ifdef TL_WITH_MPI
static MPI_Datatype mpi_type(ncclDataType_t t) {
    switch (t) {
    case ncclInt8: return MPI_INT8_T;
    case ncclUint8: return MPI_UINT8_T;
    case ncclInt32: return MPI_INT32_T;
    case ncclUint32: return MPI_UINT32_T;
    case ncclInt64: return MPI_INT64_T;
    case ncclUint64: return MPI_UINT64_T;
    case ncclFloat32: return MPI_FLOAT;
    default: return MPI_DOUBLE;
    }
}
#endif

static void divide(void *p, size_t count, ncclDataType_t t, int n) {
    for (size_t i = 0; i < count; i++) {
        switch (t) {
        case ncclFloat32: ((float *)p)[i] /= (float)n; break;
        case ncclFloat64: ((double *)p)[i] /= n; break;
        case ncclInt64: ((int64_t *)p)[i] /= n; break;
        default: break;
        }
    }
}

ncclResult_t ncclAllReduce(const void *send, void *recv, size_t count, ncclDataType_t type, ncclRedOp_t op,
                           ncclComm_t comm, cudaStream_t stream) {
    ncclResult_t r = check("ncclAllReduce", comm, send, recv, count, stream);
    if (r != ncclSuccess) return r;
    if (op != ncclSum && op != ncclAvg) { warn("%s: op %ld is not emulated (%ld)", "ncclAllReduce", op, 0); return ncclInvalidArgument; }
    calls_all_reduce++;
    if (count == 0) return ncclSuccess;
    if (send != recv) memmove(H(recv), H(send), count * type_size(type));
#ifdef TL_WITH_MPI
    if (comm->nranks > 1) MPI_Allreduce(MPI_IN_PLACE, H(recv), (int)count, mpi_type(type), MPI_SUM, comm->mpi);
#endif
    if (op == ncclAvg) divide(H(recv), count, type, comm->nranks);
    return ncclSuccess;
}

ncclResult_t ncclBroadcast(const void *send, void *recv, size_t count, ncclDataType_t type, int root,
                           ncclComm_t comm, cudaStream_t stream) {
    ncclResult_t r = check("ncclBroadcast", comm, send, recv, count, stream);
    if (r != ncclSuccess) return r;
    if (root < 0 || root >= comm->nranks) return ncclInvalidArgument;
    calls_broadcast++;
    if (count == 0) return ncclSuccess;
    if (comm->rank == root && send != recv) memmove(H(recv), H(send), count * type_size(type));
#ifdef TL_WITH_MPI
    if (comm->nranks > 1) MPI_Bcast(H(recv), (int)count, mpi_type(type), root, comm->mpi);
#endif
    return ncclSuccess;
}

ncclResult_t ncclAllGather(const void *send, void *recv, size_t count, ncclDataType_t type, ncclComm_t comm,
                           cudaStream_t stream) {
    ncclResult_t r = check("ncclAllGather", comm, send, recv, count, stream);
    if (r != ncclSuccess) return r;
    calls_all_gather++;
    if (count == 0) return ncclSuccess;
    size_t bytes = count * type_size(type);
#ifdef TL_WITH_MPI
    if (comm->nranks > 1) {
        MPI_Allgather(H(send), (int)bytes, MPI_BYTE, H(recv), (int)bytes, MPI_BYTE, comm->mpi);
        return ncclSuccess;
    }
#endif
    memmove(H(recv), H(send), bytes);
    return ncclSuccess;
}
