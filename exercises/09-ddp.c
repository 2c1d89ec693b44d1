// exercises/09-ddp.c — exercises for chapter 09 (distributed data parallel): messages around a ring
// of processes, the ring all-reduce built from them, DDP's gradient averaging on top of it, and a
// broadcast along a binomial tree.
//
// Each exercise is a function: read its comment, replace the TL_TODO stub with your code, and
// grade it with ./build.sh grade 09 (the chapter) or ./build.sh grade 09.2 (one exercise). The
// grader runs your functions on every rank of `mpirun -np 2` and `mpirun -np 3` (09.4: 3 and 5;
// after tl_dist_init(), so MPI is initialised) and compares with MPI_Allreduce or MPI_Bcast;
// without mpirun, or with a Torchlet built without MPI, the exercises are reported "skipped".
// Use MPI's point-to-point messages on MPI_COMM_WORLD (MPI_Sendrecv is the easiest: it sends and
// receives at once, so two neighbours never wait for each other); the collectives (MPI_Allreduce,
// MPI_Reduce_scatter, MPI_Allgather, MPI_Bcast, ...) are what you are rebuilding, and the grader
// counts them.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"
#ifdef TL_WITH_MPI
#include <mpi.h>
#endif


// ----------------------------------------------------------------------------
// Exercise 09.1 (easy, 2 points): pass it on, one step around the ring.
//
// Task: the ranks 0, 1, ..., P-1 sit in a ring: rank r's right neighbour is (r + 1) % P, its left
// one (r - 1 + P) % P. Every rank sends its tensor t to its right neighbour and replaces t, in
// place, with what its left neighbour sent: afterwards rank r holds rank r-1's numbers. t is
// contiguous, float32, float64 or int64 (MPI_FLOAT, MPI_DOUBLE, MPI_INT64_T), of the same shape on
// every rank. Return true, or false with an error (a non-contiguous tensor or another dtype:
// "ring_shift: expected a contiguous float32, float64 or int64 tensor").
//
// Approach: MPI_Comm_rank and MPI_Comm_size on MPI_COMM_WORLD give r and P. MPI_Sendrecv sends t
// and receives into a second buffer (malloc one of the same size), which you then copy into t;
// or MPI_Sendrecv_replace does both in one buffer.
//
// Example: with 3 ranks holding [0, 0], [1, 1], [2, 2], afterwards they hold [2, 2], [0, 0], [1, 1].
//
// Hints: if every rank first called a blocking MPI_Send and then MPI_Recv, all of them could wait
// in MPI_Send for a receive nobody has posted yet (a deadlock, for large messages): MPI_Sendrecv
// pairs the two for you.
bool ex09_ring_shift(tl_tensor *t) {
    TL_TODO("09.1");
    return false;
}


// ----------------------------------------------------------------------------
// Exercise 09.2 (hard, 5 points): ring all-reduce from point-to-point messages.
//
// Task: replace t, on every rank, with the element-wise sum of all ranks' t, as
// MPI_Allreduce(MPI_IN_PLACE, ..., MPI_SUM) does, but with the ring algorithm that NCCL and MPI use
// for large buffers. Cut t into P chunks, chunk c = elements [c * n / P, (c + 1) * n / P). Then
//   1. reduce-scatter, P - 1 steps: at step s rank r sends chunk (r - s) mod P to its right
//      neighbour and receives chunk (r - s - 1) mod P from its left one, adding it into its own;
//      after the last step rank r holds the complete sum of chunk (r + 1) mod P;
//   2. all-gather, P - 1 steps: at step s rank r sends chunk (r + 1 - s) mod P (complete) to the
//      right and receives chunk (r - s) mod P from the left, replacing its own.
// Every rank sends 2 (P - 1) messages, all to its right neighbour, of about n / P elements each:
// whatever P, each rank sends about 2n numbers, which is why the ring scales. t: contiguous
// float32, float64 or int64, the same shape on every rank (n may be smaller than P: some chunks
// are then empty). Return true, or false with an error as in 09.1
// ("ring_all_reduce: expected a contiguous float32, float64 or int64 tensor").
//
// Approach: write the chunk bounds as a small function; keep a receive buffer as large as the
// largest chunk; one MPI_Sendrecv per step; an addition loop per dtype for step 1.
//
// Example: 2 ranks, t = [1, 2, 3, 4] and [10, 20, 30, 40]: both end with [11, 22, 33, 44]. Rank 0
// sends chunk 0 ([1, 2]) and receives rank 1's chunk 1 ([30, 40]), adds: [1, 2, 33, 44]; then it
// sends chunk 1 and receives the finished chunk 0 ([11, 22]).
//
// Hints: the grader checks that you send to the right neighbour only, no more than 2 (P - 1)
// messages of at most one chunk each, and call no collective. Floating-point sums in another order
// than MPI's differ in the last bits; the grader allows for that (int64 must be exact).
bool ex09_ring_all_reduce(tl_tensor *t) {
    TL_TODO("09.2");
    return false;
}

// ----------------------------------------------------------------------------
// Exercise 09.3 (medium, 3 points): DDP's gradient averaging with your ring.
//
// Task: replace every params[i]->grad by its mean over the ranks, as tl_ddp_sync_grads does after
// backward: copy all the gradients into ONE flat buffer, all-reduce it with your
// ex09_ring_all_reduce (exercise 09.2) in a single call, divide by the world size, and copy the
// results back into the gradients, in place (the .grad tensors stay the same tensors). The
// gradients share one dtype (float32 or float64) and are contiguous. Return true, or false with an
// error: a parameter without a gradient: "average_gradients: parameter 1 has no gradient"; two
// dtypes: "average_gradients: parameter 1's gradient is torch.float64, parameter 0's torch.float32".
// n == 0: true (and, like every rank, still no message: nothing to do).
//
// Approach: sum the numels, tl_empty one flat tensor, memcpy each gradient's numbers into it
// (TL_DATA), one ring all-reduce, then copy back each part multiplied by 1 / P.
//
// Example: 2 ranks whose gradients are [1, 2], [[3]] and [3, 4], [[5]]: both end with [2, 3], [[4]].
//
// Hints: one all-reduce of everything instead of one per parameter is what makes DDP fast: each
// message has a start-up cost. The grader counts your messages: at most 2 (P - 1) per rank.
bool ex09_average_gradients(tl_tensor *const *params, int n) {
    TL_TODO("09.3");
    return false;
}

// ----------------------------------------------------------------------------
// Exercise 09.4 (medium, 3 points): broadcast along a binomial tree.
//
// Task: copy rank root's tensor t into t on every other rank, as MPI_Bcast (and
// torch.distributed.broadcast, which DDP calls when it starts, so that every rank begins with rank
// 0's weights) does, in ceil(log2 P) rounds instead of root sending P - 1 messages one after the
// other. Number the ranks from the root: v = (r - root + P) % P. In the round with mask = 1, 2, 4,
// ... (while mask < P), every rank with v < mask (it has the data) sends t to rank v + mask (if
// v + mask < P), and every rank with mask <= v < 2 * mask receives from v - mask. Convert v back to
// a real rank with (v + root) % P. The data doubles every round; each rank receives once (the
// root never) and sends at most ceil(log2 P) times. t: contiguous float32, float64 or int64, the
// same shape on every rank. Return true, or false with an error: root outside [0, P):
// "tree_broadcast: root 5 is not a rank of a world of 3"; a bad tensor as in 09.1
// ("tree_broadcast: expected a contiguous float32, float64 or int64 tensor").
//
// Approach: one loop over mask; MPI_Send to send, MPI_Recv to receive (here a blocking pair is
// safe: in each round a rank either sends or receives, and its partner does the other).
//
// Example: 5 ranks, root 0: round 1: 0 -> 1; round 2: 0 -> 2, 1 -> 3; round 3: 0 -> 4.
//
// Hints: the grader runs this with 3 and 5 ranks and a random root, and counts every rank's
// messages: P - 1 in all, at most ceil(log2 P) from any one rank, no collective.
bool ex09_tree_broadcast(tl_tensor *t, int root) {
    TL_TODO("09.4");
    return false;
}
