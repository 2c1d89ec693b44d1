/* generated from chapters/09-ddp/09-ddp.md by tools/tangle.lua; edit the chapter, not this file */
#line 78 "chapters/09-ddp/09-ddp.md"
// dist.h — distributed training (chapter 09): process groups over MPI, collectives on CPU tensors
// (MPI) and CUDA tensors (NCCL), and DistributedDataParallel.
//
//     tl_dist_init();                                  // init_process_group (mpirun decides the ranks)
//     tl_module_to(net, tl_dist_device());             // this rank's GPU, cuda:<local rank> (or "cpu")
//     tl_ddp *model = tl_ddp_new(net);                 // DDP(net): every rank takes rank 0's weights
//     tl_sgd *opt = tl_sgd_new(model->module, (tl_sgd_options){ .lr = 0.5 });
//     for (...) {
//         tl_tensor *loss = tl_cross_entropy(tl_ddp_forward(model, x), y);
//         tl_sgd_zero_grad(opt);
//         tl_ddp_backward(model, loss);                // loss.backward() + one all-reduce of all grads
//                                                      // (MPI on the CPU, NCCL on GPUs)
//         tl_sgd_step(opt);
//     }
//     tl_ddp_free(model);                              // the wrapper; net stays yours
//     tl_dist_destroy();                               // destroy_process_group
//
// Run it as `mpirun -np 2 ./program` (each process one rank, on one GPU when the machine has one
// per rank), or plainly: rank 0 of a world of one.
#ifndef TL_DIST_H
#define TL_DIST_H
#include <stdbool.h>
#include <stdint.h>
#include "nn.h"
#include "tensor.h"

#line 109 "chapters/09-ddp/09-ddp.md"
// ---------------------------------------------------------------------------
// The process group. Queries before tl_dist_init (or after destroy) return -1 and PyTorch's error
// "Default process group has not been initialized, please make sure to call init_process_group."
bool        tl_dist_init(void);              // init_process_group(); MPI_Init under a launcher
bool        tl_dist_is_initialized(void);    // torch.distributed.is_initialized()
int         tl_dist_rank(void);              // get_rank(): 0 .. world size - 1
int         tl_dist_world_size(void);        // get_world_size()
int         tl_dist_local_rank(void);        // the rank among the processes of this machine
int         tl_dist_local_world_size(void);  // processes on this machine
const char *tl_dist_backend(void);           // "mpi", or "single" for a world of one without MPI
void        tl_dist_destroy(void);           // destroy_process_group(); MPI_Finalize (NULL-safe)
bool        tl_dist_mpi_compiled(void);      // was MPI compiled into this library?
// the number of processes a launcher (mpirun, srun) announced in the environment: 1 without one
int         tl_dist_launcher_world_size(void);
// stops every rank now (MPI_Abort), with exit status `code`; exit(code) in a world of one
void        tl_dist_abort(int code) __attribute__((noreturn));
#line 305 "chapters/09-ddp/09-ddp.md"

// ---------------------------------------------------------------------------
// Collectives: every rank calls them, in the same order, with tensors of the same shape and dtype.
// Contiguous float32 / float64 / int64 tensors; in place except all_gather. CPU tensors go
// through MPI, CUDA tensors through NCCL (on this rank's GPU, cuda:<local rank>).
typedef enum { TL_REDUCE_SUM, TL_REDUCE_AVG } tl_reduce_op;       // ReduceOp.SUM, ReduceOp.AVG
bool       tl_dist_all_reduce(tl_tensor *t, tl_reduce_op op);    // t = sum (or mean) over ranks
bool       tl_dist_broadcast(tl_tensor *t, int src);             // t = rank src's t
tl_tensor *tl_dist_all_gather(const tl_tensor *t);               // (world size, *t.shape), rank order
bool       tl_dist_barrier(void);
int64_t    tl_dist_collectives_issued(void);   // collectives this process called so far (for tests)
// raw bytes from rank src to all (the NCCL id travels this way)
bool       tl_dist_broadcast_bytes_(void *data, int64_t nbytes, int src);
#line 544 "chapters/09-ddp/09-ddp.md"

// ---------------------------------------------------------------------------
// DistributedDataParallel. The wrapper holds the model (model.module); it does not own it.
typedef struct tl_ddp {
    tl_module  *module;       // the wrapped model, PyTorch's model.module
    int         n_params;     // the parameters that require grad, in model.parameters() order
    tl_tensor **params;       // retained
    tl_tensor  *flat;         // one buffer for all their gradients, on their device (retained)
    int64_t     numel;        // elements in flat
} tl_ddp;

// DDP(model): checks the model is the same on every rank, copies rank 0's parameters and buffers
// to every rank. Collective: every rank calls it. NULL + error if the group is not initialised, if
// the ranks' models differ, or if the parameters do not share one floating dtype.
tl_ddp     *tl_ddp_new(tl_module *model);
tl_tensor  *tl_ddp_forward(tl_ddp *ddp, const tl_tensor *input);  // model(x): the module's forward
// every parameter's .grad = its mean over the ranks: ONE all-reduce of a flat buffer. Collective.
bool        tl_ddp_sync_grads(tl_ddp *ddp);
bool        tl_ddp_backward(tl_ddp *ddp, tl_tensor *loss);        // loss.backward(), then sync_grads
void        tl_ddp_free(tl_ddp *ddp);                             // the wrapper only (NULL-safe)
#line 859 "chapters/09-ddp/09-ddp.md"

// ---------------------------------------------------------------------------
// NCCL: collectives on GPU memory (compiled when the build has CUDA and nccl.h: -DTL_WITH_NCCL).
// tl_dist_all_reduce / broadcast / all_gather send CUDA tensors here by themselves, and make the
// communicator at the first of them. tl_dist_nccl_init makes it now: cudaSetDevice(local rank),
// rank 0 makes the NCCL id, MPI broadcasts it, ncclCommInitRank. Collective, like everything below.
// One rank per GPU: NCCL refuses two ranks on one device.
bool tl_dist_nccl_compiled(void);
bool tl_dist_nccl_init(void);
int  tl_dist_nccl_device(void);      // the GPU of this rank's communicator; -1 before tl_dist_nccl_init
// in place on `count` elements of dtype (float32/float64/int64) at device address dev_ptr
bool tl_dist_nccl_all_reduce(void *dev_ptr, int64_t count, tl_dtype dtype, tl_reduce_op op);
bool tl_dist_nccl_broadcast(void *dev_ptr, int64_t nbytes, int src);            // rank src's bytes to all
bool tl_dist_nccl_all_gather(const void *dev_in, void *dev_out, int64_t nbytes);  // out: world x nbytes
// n floats in CPU memory: copied to this rank's GPU, all-reduced there, copied back (a smoke test)
bool tl_dist_nccl_all_reduce_host(float *data, int64_t n, tl_reduce_op op);
void tl_dist_nccl_destroy(void);     // tl_dist_destroy calls it
// where this rank computes: "cuda:<local rank>" when this build has NCCL and this machine has a GPU
// for every one of its ranks, else "cpu" (the tutorial's torch.cuda.set_device(rank) and model.to(rank))
const char *tl_dist_device(void);
// the backend of the collectives on tensors on `device`: tl_dist_backend() for "cpu", "nccl" for a GPU
// (NULL + error without NCCL in the build), as dist.get_backend() of a "cpu:gloo,cuda:nccl" group
const char *tl_dist_backend_for(const char *device);
#line 105 "chapters/09-ddp/09-ddp.md"
#endif
