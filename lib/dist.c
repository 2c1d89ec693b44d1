/* generated from chapters/09-ddp/09-ddp.md by tools/tangle.lua; edit the chapter, not this file */
#line 787 "chapters/09-ddp/09-ddp.md"
// dist.c — process groups over MPI (or a world of one), collectives (CPU tensors through MPI, CUDA
// tensors through lib/dist_nccl.c's NCCL), DDP on either device (chapter 09).
// Compiled with -DTL_WITH_MPI and mpicc's flags when the build finds MPI.
#define _POSIX_C_SOURCE 200809L
#include "dist.h"
#include "autograd.h"
#include "device.h"
#include "setup.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef TL_WITH_MPI
#include <mpi.h>
#endif

// ---------------------------------------------------------------------------
// the process group
#line 132 "chapters/09-ddp/09-ddp.md"
#define NOT_INITIALIZED "Default process group has not been initialized, please make sure to call init_process_group."

static struct {
    bool    initialized;      // between tl_dist_init and tl_dist_destroy
    bool    mpi;              // the group runs over MPI (a launcher started us)
    bool    mpi_finalized;    // MPI can be initialised once per process: remember that it is gone
    int     rank, world_size, local_rank, local_world_size;
    int64_t collectives;      // collectives this process issued (tests count them)
#ifdef TL_WITH_MPI
    MPI_Comm world, local;
#endif
} g_dist;

// a launcher's environment variable as a number, -1 when it is not set
static int env_int(const char *name) {
    const char *v = getenv(name);
    return v && *v ? atoi(v) : -1;
}

int tl_dist_launcher_world_size(void) {
    int n = env_int("OMPI_COMM_WORLD_SIZE");        // Open MPI's mpirun
    if (n < 0) n = env_int("PMI_SIZE");             // MPICH's mpiexec, Slurm's srun --mpi=pmi2
    if (n < 0 && (getenv("PMIX_RANK") || getenv("PMI_RANK")))
        n = env_int("SLURM_STEP_NUM_TASKS");        // srun --mpi=pmix: Slurm's own count
    return n > 0 ? n : 1;
}

#ifdef TL_WITH_MPI
// started by a launcher at all (PMIx, as srun --mpi=pmix uses it, announces no size)
static bool launched(void) {
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMI_RANK") || getenv("PMIX_RANK");
}
#endif

bool tl_dist_mpi_compiled(void) {
#ifdef TL_WITH_MPI
    return true;
#else
    return false;
#endif
}

static bool check_initialized(void) {
    if (g_dist.initialized) return true;
    tl_error_set(TL_RUNTIME_ERROR, NOT_INITIALIZED);
    return false;
}
#line 807 "chapters/09-ddp/09-ddp.md"
#line 188 "chapters/09-ddp/09-ddp.md"
bool tl_dist_init(void) {
    if (g_dist.initialized) {
        tl_error_set(TL_RUNTIME_ERROR, "trying to initialize the default process group twice!");
        return false;
    }
    g_dist.rank = g_dist.local_rank = 0;
    g_dist.world_size = g_dist.local_world_size = 1;
    g_dist.mpi = false;
#ifdef TL_WITH_MPI
    if (launched()) {
        int done = 0, provided = 0;
        MPI_Finalized(&done);
        if (done || g_dist.mpi_finalized) {
            tl_error_set(TL_RUNTIME_ERROR, "init_process_group after destroy_process_group: MPI can be "
                                           "initialised only once per process");
            return false;
        }
        MPI_Initialized(&done);
        if (!done && MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
            tl_error_set(TL_RUNTIME_ERROR, "MPI_Init failed: the launcher's processes could not connect");
            return false;
        }
        MPI_Comm_dup(MPI_COMM_WORLD, &g_dist.world);
        MPI_Comm_rank(g_dist.world, &g_dist.rank);
        MPI_Comm_size(g_dist.world, &g_dist.world_size);
        MPI_Comm_split_type(g_dist.world, MPI_COMM_TYPE_SHARED, g_dist.rank, MPI_INFO_NULL, &g_dist.local);
        MPI_Comm_rank(g_dist.local, &g_dist.local_rank);
        MPI_Comm_size(g_dist.local, &g_dist.local_world_size);
        g_dist.mpi = true;
    }
#else
    int n = tl_dist_launcher_world_size();
    if (n > 1) {
        tl_error_set(TL_RUNTIME_ERROR, "this process is one of %d ranks started by a launcher, but Torchlet "
                     "was built without MPI and cannot reach the others. Install Open MPI (apt install "
                     "libopenmpi-dev openmpi-bin) and rebuild, or run a single process", n);
        return false;
    }
#endif
    g_dist.initialized = true;
    return true;
}

bool tl_dist_is_initialized(void) { return g_dist.initialized; }
int tl_dist_rank(void) { return check_initialized() ? g_dist.rank : -1; }
int tl_dist_world_size(void) { return check_initialized() ? g_dist.world_size : -1; }
int tl_dist_local_rank(void) { return check_initialized() ? g_dist.local_rank : -1; }
int tl_dist_local_world_size(void) { return check_initialized() ? g_dist.local_world_size : -1; }
const char *tl_dist_backend(void) { return !check_initialized() ? NULL : g_dist.mpi ? "mpi" : "single"; }

const char *tl_dist_device(void) {
    static char name[32];
    if (!check_initialized()) return NULL;
    if (!tl_dist_nccl_compiled()) return "cpu";        // GPU tensors could not be averaged: no NCCL here
    if (tl_cuda_device_count() < g_dist.local_world_size) return "cpu";   // not one GPU per rank here
    snprintf(name, sizeof name, "cuda:%d", g_dist.local_rank);
    return name;
}

const char *tl_dist_backend_for(const char *device) {
    tl_device d;
    if (!check_initialized() || !tl_device_parse(device, &d)) return NULL;
    if (d.type == TL_CPU) return tl_dist_backend();
    if (!tl_dist_nccl_compiled()) {
        tl_error_set(TL_RUNTIME_ERROR, "Distributed package doesn't have NCCL built in: collectives on %s need "
                     "NCCL, and Torchlet was built without it", device);
        return NULL;
    }
    return "nccl";
}

void tl_dist_destroy(void) {
    if (!g_dist.initialized) return;
    tl_dist_nccl_destroy();             // NCCL's communicator first: it may still talk through MPI
#ifdef TL_WITH_MPI
    if (g_dist.mpi) {
        MPI_Comm_free(&g_dist.local);
        MPI_Comm_free(&g_dist.world);
        MPI_Finalize();
        g_dist.mpi_finalized = true;
    }
#endif
    g_dist.initialized = g_dist.mpi = false;
}

void tl_dist_abort(int code) {
    fflush(stdout);
    fflush(stderr);
#ifdef TL_WITH_MPI
    if (g_dist.initialized && g_dist.mpi) MPI_Abort(g_dist.world, code);
#endif
    exit(code);
}
#line 808 "chapters/09-ddp/09-ddp.md"

// ---------------------------------------------------------------------------
// collectives
#line 328 "chapters/09-ddp/09-ddp.md"
// a CUDA tensor goes through NCCL: in the build, the communicator made, the tensor on its GPU
static bool check_nccl(const char *op, const tl_tensor *t) {
    char dev[32];
    tl_device_name(t->storage->device, dev, sizeof dev);
    if (!tl_dist_nccl_compiled()) {
        tl_error_set(TL_RUNTIME_ERROR, "Distributed package doesn't have NCCL built in: %s on a tensor on %s needs "
                     "NCCL, and Torchlet was built without it (it needs CUDA and nccl.h when it is built). Move "
                     "the tensor to the CPU (tl_to(t, \"cpu\")) to use MPI", op, dev);
        return false;
    }
    if (!tl_dist_nccl_init()) return false;            // the first GPU collective makes the communicator
    if (t->storage->device.index != tl_dist_nccl_device()) {
        tl_error_set(TL_RUNTIME_ERROR, "%s: the tensor is on %s, but rank %d's NCCL communicator is on cuda:%d "
                     "(its local rank); every rank works on its own GPU", op, dev, g_dist.rank, tl_dist_nccl_device());
        return false;
    }
    return true;
}

static bool check_tensor(const char *op, const tl_tensor *t, bool reduce) {
    if (!t || !check_initialized()) return false;
    if (!tl_is_contiguous(t)) {
        tl_error_set(TL_RUNTIME_ERROR, "Tensors must be contiguous");
        return false;
    }
    if (reduce && t->dtype == TL_BOOL) {
        tl_error_set(TL_RUNTIME_ERROR, "%s: cannot reduce a tensor of dtype torch.bool", op);
        return false;
    }
    return !tl_is_cuda(t) || check_nccl(op, t);
}

#ifdef TL_WITH_MPI
static MPI_Datatype mpi_type(tl_dtype dtype) {
    switch (dtype) {
    case TL_FLOAT32: return MPI_FLOAT;
    case TL_FLOAT64: return MPI_DOUBLE;
    case TL_INT64:   return MPI_INT64_T;
    default:         return MPI_C_BOOL;
    }
}
// MPI counts are int: a tensor of more than 2^30 elements goes in pieces
#define MPI_CHUNK ((int64_t)1 << 30)
#endif
#line 381 "chapters/09-ddp/09-ddp.md"
#define DIVIDE(T) for (int64_t i = 0; i < n; i++) ((T *)p)[i] /= (T)g_dist.world_size;

bool tl_dist_all_reduce(tl_tensor *t, tl_reduce_op op) {
    if (!check_tensor("all_reduce", t, true)) return false;
    if (op != TL_REDUCE_SUM && op != TL_REDUCE_AVG) {
        tl_error_set(TL_VALUE_ERROR, "all_reduce: unknown reduce op %d", (int)op);
        return false;
    }
    if (op == TL_REDUCE_AVG && !tl_dtype_is_floating(t->dtype)) {
        tl_error_set(TL_RUNTIME_ERROR, "all_reduce: ReduceOp.AVG needs a floating point tensor, got %s",
                     tl_dtype_name(t->dtype));
        return false;
    }
    g_dist.collectives++;
    if (tl_is_cuda(t)) return tl_dist_nccl_all_reduce(tl_data_ptr(t), tl_numel(t), t->dtype, op);
    if (g_dist.world_size == 1) return true;
    int64_t n = tl_numel(t);
    char *p = tl_data_ptr(t);
#ifdef TL_WITH_MPI
    size_t size = tl_dtype_size(t->dtype);
    for (int64_t done = 0; done < n; done += MPI_CHUNK) {
        int count = (int)(n - done < MPI_CHUNK ? n - done : MPI_CHUNK);
        MPI_Allreduce(MPI_IN_PLACE, p + done * (int64_t)size, count, mpi_type(t->dtype), MPI_SUM, g_dist.world);
    }
#endif
    if (op == TL_REDUCE_AVG) {
        if (t->dtype == TL_FLOAT32) DIVIDE(float)
        else DIVIDE(double)
    }
    return true;
}

static bool check_src(int src) {
    if (src >= 0 && src < g_dist.world_size) return true;
    tl_error_set(TL_RUNTIME_ERROR, "Invalid src rank %d: the group has ranks 0 to %d", src, g_dist.world_size - 1);
    return false;
}

bool tl_dist_broadcast_bytes_(void *data, int64_t nbytes, int src) {
    if (!check_initialized() || !check_src(src)) return false;
    g_dist.collectives++;
#ifdef TL_WITH_MPI
    for (int64_t done = 0; g_dist.world_size > 1 && done < nbytes; done += MPI_CHUNK) {
        int count = (int)(nbytes - done < MPI_CHUNK ? nbytes - done : MPI_CHUNK);
        MPI_Bcast((char *)data + done, count, MPI_BYTE, src, g_dist.world);
    }
#else
    (void)data, (void)nbytes;
#endif
    return true;
}

bool tl_dist_broadcast(tl_tensor *t, int src) {
    if (!check_tensor("broadcast", t, false)) return false;
    int64_t nbytes = tl_numel(t) * (int64_t)tl_dtype_size(t->dtype);
    if (!tl_is_cuda(t)) return tl_dist_broadcast_bytes_(tl_data_ptr(t), nbytes, src);
    if (!check_src(src)) return false;
    g_dist.collectives++;
    return tl_dist_nccl_broadcast(tl_data_ptr(t), nbytes, src);
}
#line 451 "chapters/09-ddp/09-ddp.md"
tl_tensor *tl_dist_all_gather(const tl_tensor *t) {
    if (!check_tensor("all_gather", t, false)) return NULL;
    int64_t n = tl_numel(t);
    size_t size = tl_dtype_size(t->dtype);
    if (t->ndim + 1 > TL_MAX_DIMS) {
        tl_error_set(TL_RUNTIME_ERROR, "all_gather: a %d-d tensor gathers to more than %d dims", t->ndim, TL_MAX_DIMS);
        return NULL;
    }
    tl_shape shape = { t->ndim + 1, { g_dist.world_size } };
    for (int d = 0; d < t->ndim; d++) shape.d[d + 1] = t->shape[d];
    g_dist.collectives++;
    bool cuda = tl_is_cuda(t);
#ifdef TL_WITH_MPI
    if (g_dist.world_size > 1) {
        int64_t *counts = malloc(sizeof(int64_t) * (size_t)g_dist.world_size);
        if (!counts) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return NULL; }
        MPI_Allgather(&n, 1, MPI_INT64_T, counts, 1, MPI_INT64_T, g_dist.world);
        for (int r = 0; r < g_dist.world_size; r++) {
            if (counts[r] != counts[0]) {
                tl_error_set(TL_RUNTIME_ERROR, "all_gather: every rank must give a tensor of the same size, but "
                             "rank 0 gave %lld elements and rank %d gave %lld", (long long)counts[0], r,
                             (long long)counts[r]);
                free(counts);
                return NULL;
            }
        }
        free(counts);
        if (!cuda && (int64_t)size * n > INT_MAX) {
            tl_error_set(TL_RUNTIME_ERROR, "all_gather: Torchlet gathers at most 2 GiB per rank");
            return NULL;
        }
    }
#endif
    tl_tensor *out = tl_empty_on(shape, t->dtype, t->storage->device);
    if (!out) return NULL;
    if (g_dist.world_size == 1 && !cuda) {       // a world of one on the CPU: the tensor itself
        if (n) memcpy(tl_data_ptr(out), tl_data_ptr(t), (size_t)n * size);
        return out;
    }
    if (cuda) return tl_dist_nccl_all_gather(tl_data_ptr(t), tl_data_ptr(out), n * (int64_t)size) ? out : NULL;
#ifdef TL_WITH_MPI
    MPI_Allgather(tl_data_ptr(t), (int)(n * (int64_t)size), MPI_BYTE, tl_data_ptr(out), (int)(n * (int64_t)size),
                  MPI_BYTE, g_dist.world);
    return out;
#else
    (void)n, (void)size;
    return NULL;   // unreachable: without MPI the world has one rank
#endif
}

bool tl_dist_barrier(void) {
    if (!check_initialized()) return false;
    g_dist.collectives++;
#ifdef TL_WITH_MPI
    if (g_dist.mpi) MPI_Barrier(g_dist.world);
#endif
    return true;
}

int64_t tl_dist_collectives_issued(void) { return g_dist.collectives; }
#line 812 "chapters/09-ddp/09-ddp.md"

// ---------------------------------------------------------------------------
// DistributedDataParallel
#line 567 "chapters/09-ddp/09-ddp.md"
tl_ddp *tl_ddp_new(tl_module *model) {
    if (!model) return NULL;
    if (!check_initialized()) return NULL;
    tl_ddp *ddp = calloc(1, sizeof *ddp);
    if (!ddp) { tl_error_set(TL_RUNTIME_ERROR, "out of memory"); return NULL; }
    ddp->module = model;
    bool ok = true;
    TL_SCOPE {
        tl_named_tensor *params = NULL, *state = NULL;
        int np = tl_module_parameters(model, &params);
        int ns = tl_module_state(model, &state);
        ok = np >= 0 && ns >= 0;
        // the parameters that train, and their common dtype
        ddp->params = ok ? calloc((size_t)np + 1, sizeof *ddp->params) : NULL;
        if (ok && !ddp->params) {
            tl_error_set(TL_RUNTIME_ERROR, "out of memory");
            ok = false;
        }
        tl_dtype dtype = TL_FLOAT32;
        tl_device device = TL_CPU_DEVICE;
        for (int i = 0; ok && i < np; i++) {
            tl_tensor *p = params[i].tensor;
            if (!p->requires_grad) continue;
            if (ddp->n_params == 0) dtype = p->dtype, device = tl_device_of(p);
            if (p->dtype != dtype || !tl_dtype_is_floating(dtype)) {
                tl_error_set(TL_RUNTIME_ERROR, "DistributedDataParallel: Torchlet's DDP needs all parameters in "
                             "one floating dtype, but %s is %s and the first is %s", params[i].name,
                             tl_dtype_name(p->dtype), tl_dtype_name(dtype));
                ok = false;
            } else if (!tl_device_equal(tl_device_of(p), device)) {
                char a[32], b[32];
                tl_error_set(TL_RUNTIME_ERROR, "DistributedDataParallel: Torchlet's DDP needs all parameters on one "
                             "device, but %s is on %s and the first is on %s (move the whole model with "
                             "tl_module_to)", params[i].name, tl_device_name(tl_device_of(p), a, sizeof a),
                             tl_device_name(device, b, sizeof b));
                ok = false;
            } else if (tl_is_cuda(p) && tl_device_of(p).index != g_dist.local_rank) {
                char a[32];
                tl_error_set(TL_RUNTIME_ERROR, "DistributedDataParallel: the tensor %s is on %s, but rank %d's NCCL "
                             "communicator is on cuda:%d (its local rank); every rank works on its own GPU (move the "
                             "model with tl_module_to(model, tl_dist_device()))", params[i].name,
                             tl_device_name(tl_device_of(p), a, sizeof a), g_dist.rank, g_dist.local_rank);
                ok = false;
            } else {
                ddp->params[ddp->n_params++] = tl_retain(p);
                ddp->numel += tl_numel(p);
            }
        }
#line 640 "chapters/09-ddp/09-ddp.md"
        {
            int64_t on_gpu = ddp->n_params > 0 && tl_is_cuda(ddp->params[0]);
            bool mine_ok = ok;
            tl_tensor *mine = tl_from_data((int64_t[]){ mine_ok, ddp->n_params, ddp->numel, dtype, on_gpu }, TL_SHAPE(5),
                                           TL_INT64);
            tl_tensor *all = tl_dist_all_gather(mine);
            ok = all != NULL;
            const int64_t *v = ok ? TL_DATA(all, int64_t) : NULL;
            for (int r = 0; ok && r < g_dist.world_size; r++) {
                if (!v[5 * r]) {
                    if (mine_ok) tl_error_set(TL_RUNTIME_ERROR, "DistributedDataParallel: rank %d could not wrap its model "
                                              "(its own error says why), so no rank wraps it", r);
                    ok = false;
                }
            }
            for (int r = 1; ok && r < g_dist.world_size; r++) {
                if (v[5 * r + 1] != v[1]) {
                    tl_error_set(TL_RUNTIME_ERROR, "DDP expects same model across all ranks, but Rank %d has %lld params, "
                                 "while rank 0 has inconsistent %lld params.", r, (long long)v[5 * r + 1], (long long)v[1]);
                    ok = false;
                } else if (v[5 * r + 2] != v[2]) {
                    tl_error_set(TL_RUNTIME_ERROR, "DDP expects same model across all ranks, but the parameters of rank %d "
                                 "hold %lld values and those of rank 0 %lld.", r, (long long)v[5 * r + 2], (long long)v[2]);
                    ok = false;
                } else if (v[5 * r + 3] != v[3]) {
                    tl_error_set(TL_RUNTIME_ERROR, "DDP expects same model across all ranks, but the parameters of rank %d "
                                 "are %s and those of rank 0 %s.", r, tl_dtype_name((tl_dtype)v[5 * r + 3]),
                                 tl_dtype_name((tl_dtype)v[3]));
                    ok = false;
                } else if (v[5 * r + 4] != v[4]) {
                    tl_error_set(TL_RUNTIME_ERROR, "DDP expects every rank's model on the same kind of device, but rank %d "
                                 "has it on %s and rank 0 on %s.", r, v[5 * r + 4] ? "a GPU" : "the CPU",
                                 v[4] ? "a GPU" : "the CPU");
                    ok = false;
                }
            }
        }
#line 616 "chapters/09-ddp/09-ddp.md"
        // rank 0's parameters and buffers, to everyone
        for (int i = 0; ok && i < ns; i++) ok = tl_dist_broadcast(state[i].tensor, 0);
        // the flat buffer, made once, on the parameters' device: every step reuses it
        if (ok) ok = (ddp->flat = tl_retain(tl_zeros_on(TL_SHAPE(ddp->numel), dtype, device))) != NULL;
    }
    if (!ok) {
        tl_ddp_free(ddp);
        return NULL;
    }
    return ddp;
}
#line 816 "chapters/09-ddp/09-ddp.md"
#line 691 "chapters/09-ddp/09-ddp.md"
// nbytes from src to dst on device d: memcpy on the CPU, a copy inside the GPU on a GPU
static bool copy_bytes(tl_device d, void *dst, const void *src, size_t nbytes) {
    if (d.type == TL_CPU) {
        if (nbytes) memcpy(dst, src, nbytes);
        return true;
    }
    return tl_cuda_memcpy(d.index, dst, src, nbytes, TL_D2D);
}

static bool zero_bytes(tl_device d, void *dst, size_t nbytes) {
    if (d.type == TL_CPU) {
        if (nbytes) memset(dst, 0, nbytes);
        return true;
    }
    return tl_cuda_memset0(d.index, dst, nbytes);
}

// a tensor of the wrapped model that is not where the flat buffer is (the model moved after wrapping)
static bool check_device(const tl_tensor *t, tl_device d) {
    if (tl_device_equal(tl_device_of(t), d)) return true;
    char a[32], b[32];
    tl_error_set(TL_RUNTIME_ERROR, "DistributedDataParallel: a parameter or its gradient is on %s, but the model was "
                 "on %s when it was wrapped; move the model before tl_ddp_new, not after",
                 tl_device_name(tl_device_of(t), a, sizeof a), tl_device_name(d, b, sizeof b));
    return false;
}

bool tl_ddp_sync_grads(tl_ddp *ddp) {
    if (!ddp || !check_initialized()) return false;
    tl_device dev = tl_device_of(ddp->flat);
    size_t size = tl_dtype_size(ddp->flat->dtype);
    char *flat = tl_data_ptr(ddp->flat);          // on dev: not to be read here when dev is a GPU
    bool ok = true;
    int64_t off = 0;
    for (int i = 0; ok && i < ddp->n_params; i++) {            // gradients -> flat
        tl_tensor *p = ddp->params[i];
        int64_t n = tl_numel(p);
        if (!(ok = check_device(p, dev))) break;
        if (p->grad) {
            TL_SCOPE {      // a converted copy, if one is needed, dies here (the grad keeps one owner)
                const tl_tensor *g = tl_contiguous(tl_to_dtype(p->grad, ddp->flat->dtype));
                ok = g != NULL && check_device(g, dev) &&
                     copy_bytes(dev, flat + off * (int64_t)size, tl_data_ptr(g), (size_t)n * size);
            }
        } else {
            ok = zero_bytes(dev, flat + off * (int64_t)size, (size_t)n * size);
        }
        off += n;
    }
    ok = ok && tl_dist_all_reduce(ddp->flat, TL_REDUCE_AVG);       // the one collective of the step
    TL_SCOPE {
        off = 0;
        for (int i = 0; ok && i < ddp->n_params; i++) {        // flat -> gradients
            tl_tensor *p = ddp->params[i];
            int64_t n = tl_numel(p);
            tl_tensor *g = p->grad;
            bool in_place = g && g->refcount == 1 && g->storage->refcount == 1 && tl_is_contiguous(g) &&
                            g->dtype == ddp->flat->dtype && tl_numel(g) == n &&
                            tl_device_equal(tl_device_of(g), dev);
            if (!in_place) {
                tl_tensor *fresh = tl_empty_like(p);           // on p's device, which is dev
                if (!(ok = fresh != NULL)) break;
                fresh->requires_grad = false;
                fresh->is_parameter = false;
                p->grad = tl_retain(fresh);
                tl_release(g);
                g = fresh;
            }
            ok = copy_bytes(dev, tl_data_ptr(g), flat + off * (int64_t)size, (size_t)n * size);
            off += n;
        }
    }
    return ok;
}

bool tl_ddp_backward(tl_ddp *ddp, tl_tensor *loss) {
    if (!ddp || !loss) return false;
    return tl_backward(loss) && tl_ddp_sync_grads(ddp);
}

tl_tensor *tl_ddp_forward(tl_ddp *ddp, const tl_tensor *input) {
    return ddp ? tl_module_forward(ddp->module, input) : NULL;
}

void tl_ddp_free(tl_ddp *ddp) {
    if (!ddp) return;
    for (int i = 0; i < ddp->n_params; i++) tl_release(ddp->params[i]);
    free(ddp->params);
    tl_release(ddp->flat);
    free(ddp);
}
