// exercises/tests/planted/09-ddp.c — a planted hand-in for chapter 09, to prove the grader under
// mpirun (tests/test_grader.c grades it with --dir exercises/tests/planted 09):
//   09.1 a blocking MPI_Ssend on every rank before its MPI_Recv: a deadlock, must be "FAIL" after 4 s;
//   09.2 calls MPI_Allreduce: right numbers, but a collective: must FAIL naming it;
//   09.3 one all-reduce per parameter: must FAIL on the number of messages;
//   09.4 a binomial tree with the largest distance first (another right road): must pass.
#include <stdint.h>
#include <string.h>

#include "exercise.h"
#ifdef TL_WITH_MPI
#include <mpi.h>

static MPI_Datatype type_of(const tl_tensor *t) {
    return t->dtype == TL_FLOAT32 ? MPI_FLOAT : t->dtype == TL_FLOAT64 ? MPI_DOUBLE : MPI_INT64_T;
}
#endif

bool ex09_ring_shift(tl_tensor *t) {
#ifdef TL_WITH_MPI
    int r, P;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &P);
    MPI_Ssend(TL_DATA(t, char), (int)tl_numel(t), type_of(t), (r + 1) % P, 0, MPI_COMM_WORLD);   // all wait here
    MPI_Recv(TL_DATA(t, char), (int)tl_numel(t), type_of(t), (r - 1 + P) % P, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return true;
#else
    return false;
#endif
}

bool ex09_ring_all_reduce(tl_tensor *t) {
#ifdef TL_WITH_MPI
    if (!tl_is_contiguous(t)) {
        tl_error_set(TL_RUNTIME_ERROR, "ring_all_reduce: expected a contiguous tensor");
        return false;
    }
    return MPI_Allreduce(MPI_IN_PLACE, TL_DATA(t, char), (int)tl_numel(t), type_of(t), MPI_SUM, MPI_COMM_WORLD) ==
           MPI_SUCCESS;
#else
    return false;
#endif
}

// a ring all-reduce of its own (right in itself), called once per parameter: too many messages
static bool ring(tl_tensor *t) {
#ifdef TL_WITH_MPI
    int r, P;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &P);
    int64_t n = tl_numel(t);
    TL_SCOPE {
        tl_tensor *acc = tl_clone(t), *pass = tl_clone(t), *in = tl_clone(t);
        for (int s = 0; s < P - 1; s++) {     // pass the whole tensor around, adding: P - 1 messages
            MPI_Sendrecv(TL_DATA(pass, char), (int)n, type_of(t), (r + 1) % P, 5, TL_DATA(in, char), (int)n, type_of(t),
                         (r - 1 + P) % P, 5, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            tl_copy_(pass, in);
            tl_add_(acc, in);
        }
        tl_copy_(t, acc);
    }
    return true;
#else
    return t == NULL;
#endif
}

bool ex09_average_gradients(tl_tensor *const *params, int n) {
    for (int i = 0; i < n; i++)
        if (!params[i]->grad) {
            tl_error_set(TL_RUNTIME_ERROR, "average_gradients: parameter %d has no gradient", i);
            return false;
        }
    for (int i = 0; i < n; i++) {
        if (!ring(params[i]->grad)) return false;
        TL_SCOPE { tl_copy_(params[i]->grad, tl_div_scalar(params[i]->grad, tl_dist_world_size())); }
    }
    return true;
}

bool ex09_tree_broadcast(tl_tensor *t, int root) {
#ifdef TL_WITH_MPI
    int r, P;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &P);
    if (root < 0 || root >= P) {
        tl_error_set(TL_RUNTIME_ERROR, "tree_broadcast: bad root %d", root);
        return false;
    }
    int v = (r - root + P) % P, top = 1;
    while (top < P) top <<= 1;
    for (int mask = top >> 1; mask >= 1; mask >>= 1) {     // the largest distance first
        if (v % (2 * mask) == 0 && v + mask < P)
            MPI_Send(TL_DATA(t, char), (int)tl_numel(t), type_of(t), (v + mask + root) % P, 7, MPI_COMM_WORLD);
        else if (v % (2 * mask) == mask)
            MPI_Recv(TL_DATA(t, char), (int)tl_numel(t), type_of(t), (v - mask + root) % P, 7, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
    }
    return true;
#else
    return false;
#endif
}
