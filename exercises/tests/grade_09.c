// exercises/tests/grade_09.c — the graded tests of chapter 09's exercises (exercises/09-ddp.c).
// Each exercise runs this program again under `mpirun -np 2` and `-np 3` (09.4: 3 and 5) as a worker
// (grade_09 --rank-worker 09.K); every rank draws its own random tensors (seeded by the exercise's
// id and the rank), calls the student's function, and compares with MPI_Allreduce / MPI_Allgather
// called through PMPI (the reference). The student's MPI calls go through the wrappers below
// (MPI's profiling interface): they count the messages each rank sends, to whom and how large, and
// any collective, so that the ring is checked as a ring. A rank that finds a difference prints
// "GRADE-FAIL: rank R: ..." and aborts the job; the parent reports the first such line. Without
// MPI in the library or without mpirun the exercises are skipped, visibly (grade_skip), and so they
// are when TL_GRADE_NO_MPI=1 is set (a machine where mpirun must not run, e.g. a login node).
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <sys/wait.h>
#include <unistd.h>

#include "grade.h"
#define RANK_WORKER_FAIL "GRADE-FAIL: "     // run_rank_worker's failures, as the parent looks for them
#include "ranks.h"      // tests/ranks.h (grade.sh compiles with -Itests): mpirun_ranks, run_rank_worker
#ifdef TL_WITH_MPI
#include <mpi.h>
#endif

bool ex09_ring_shift(tl_tensor *t);
bool ex09_ring_all_reduce(tl_tensor *t);
bool ex09_average_gradients(tl_tensor *const *params, int n);
bool ex09_tree_broadcast(tl_tensor *t, int root);

// ----------------------------------------------------------------------------
// the parent: run the worker under mpirun with 2 and 3 ranks

// grade.sh runs each exercise under its own `timeout` (--timeout, 10 s) but does not tell the grader
// its length: each mpirun job gets 4 s, so that the two jobs of an exercise fit in grade.sh's default
#define MPIRUN_SECONDS 4

static void run_ranks(const char *id, int np_first, int np_second) {
    if (getenv("TL_GRADE_NO_MPI") && *getenv("TL_GRADE_NO_MPI"))
        grade_skip("TL_GRADE_NO_MPI is set: the exercises that run under mpirun are not graded here");
    if (!tl_dist_mpi_compiled()) grade_skip("this Torchlet was built without MPI (install libopenmpi-dev, rebuild)");
    if (system("command -v mpirun >/dev/null 2>&1") != 0) grade_skip("mpirun is not installed (apt install openmpi-bin)");
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) GRADE_FAIL("the grader cannot find its own program (/proc/self/exe)");
    self[len] = '\0';
    for (int np = np_first; np > 0; np = np == np_first ? np_second : 0) {
        char args[64];
        snprintf(args, sizeof args, "--rank-worker %s", id);
        static char out[1 << 16];
        int rc = mpirun_ranks(np, self, args, MPIRUN_SECONDS, out, sizeof out, NULL);
        if (rc == -1) GRADE_FAIL("mpirun -np %d: %s", np, out);
        size_t n = strlen(out);
        const char *f = strstr(out, "GRADE-FAIL: ");
        if (f) {
            const char *end = strchr(f, '\n');
            GRADE_FAIL("mpirun -np %d: %.*s", np, (int)(end ? end - f - 12 : (long)strlen(f + 12)), f + 12);
        }
        if (rc == 124) GRADE_FAIL("mpirun -np %d: the ranks did not finish within %d s (a deadlock: every rank waiting "
                                  "to send or to receive?)", np, MPIRUN_SECONDS);
        if (rc != 0) {
            const char *last = n > 600 ? out + n - 600 : out;
            GRADE_FAIL("mpirun -np %d ended with status %d (a crash in a rank?): ...%s", np, rc, last);
        }
    }
}

static void test_ring_shift(void) { run_ranks("09.1", 2, 3); }
static void test_ring_all_reduce(void) { run_ranks("09.2", 2, 3); }
static void test_average_gradients(void) { run_ranks("09.3", 2, 3); }
static void test_tree_broadcast(void) { run_ranks("09.4", 3, 5); }      // a tree needs 5 ranks to differ from a line

static const grade_exercise exercises[] = {
    { "09.1", 2, "one step around the ring: MPI_Sendrecv, no deadlock", test_ring_shift },
    { "09.2", 5, "ring all-reduce from point-to-point messages", test_ring_all_reduce },
    { "09.3", 3, "DDP's gradient averaging with one ring all-reduce", test_average_gradients },
    { "09.4", 3, "broadcast along a binomial tree", test_tree_broadcast },
};

#ifdef TL_WITH_MPI
// ----------------------------------------------------------------------------
// the wrappers: what the student's code sends (only while `watching`)
static bool watching, ring_only = true;    // ring_only: every message must go to the right neighbour
static int  w_rank, w_size;
static int  sends, bad_dest, collectives, largest;
static const char *collective_name;

static void sent(int count, MPI_Datatype type, int dest) {
    if (!watching) return;
    sends++;
    if (ring_only && dest != (w_rank + 1) % w_size) bad_dest = dest;
    if (count > largest) largest = count;
    (void)type;
}
static void collective(const char *name) {
    if (watching && !collectives++) collective_name = name;
}

int MPI_Send(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm) {
    sent(count, type, dest);
    return PMPI_Send(buf, count, type, dest, tag, comm);
}
int MPI_Ssend(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm) {
    sent(count, type, dest);
    return PMPI_Ssend(buf, count, type, dest, tag, comm);
}
int MPI_Isend(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm, MPI_Request *req) {
    sent(count, type, dest);
    return PMPI_Isend(buf, count, type, dest, tag, comm, req);
}
int MPI_Sendrecv(const void *sbuf, int scount, MPI_Datatype stype, int dest, int stag, void *rbuf, int rcount,
                 MPI_Datatype rtype, int source, int rtag, MPI_Comm comm, MPI_Status *status) {
    sent(scount, stype, dest);
    return PMPI_Sendrecv(sbuf, scount, stype, dest, stag, rbuf, rcount, rtype, source, rtag, comm, status);
}
int MPI_Sendrecv_replace(void *buf, int count, MPI_Datatype type, int dest, int stag, int source, int rtag,
                         MPI_Comm comm, MPI_Status *status) {
    sent(count, type, dest);
    return PMPI_Sendrecv_replace(buf, count, type, dest, stag, source, rtag, comm, status);
}
int MPI_Allreduce(const void *s, void *r, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm) {
    collective("MPI_Allreduce");
    return PMPI_Allreduce(s, r, count, type, op, comm);
}
int MPI_Reduce(const void *s, void *r, int count, MPI_Datatype type, MPI_Op op, int root, MPI_Comm comm) {
    collective("MPI_Reduce");
    return PMPI_Reduce(s, r, count, type, op, root, comm);
}
int MPI_Reduce_scatter_block(const void *s, void *r, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm) {
    collective("MPI_Reduce_scatter_block");
    return PMPI_Reduce_scatter_block(s, r, count, type, op, comm);
}
int MPI_Reduce_scatter(const void *s, void *r, const int counts[], MPI_Datatype type, MPI_Op op, MPI_Comm comm) {
    collective("MPI_Reduce_scatter");
    return PMPI_Reduce_scatter(s, r, counts, type, op, comm);
}
int MPI_Allgather(const void *s, int sc, MPI_Datatype st, void *r, int rc, MPI_Datatype rt, MPI_Comm comm) {
    collective("MPI_Allgather");
    return PMPI_Allgather(s, sc, st, r, rc, rt, comm);
}
int MPI_Allgatherv(const void *s, int sc, MPI_Datatype st, void *r, const int rcs[], const int displs[],
                   MPI_Datatype rt, MPI_Comm comm) {
    collective("MPI_Allgatherv");
    return PMPI_Allgatherv(s, sc, st, r, rcs, displs, rt, comm);
}
int MPI_Bcast(void *buf, int count, MPI_Datatype type, int root, MPI_Comm comm) {
    collective("MPI_Bcast");
    return PMPI_Bcast(buf, count, type, root, comm);
}
int MPI_Gather(const void *s, int sc, MPI_Datatype st, void *r, int rc, MPI_Datatype rt, int root, MPI_Comm comm) {
    collective("MPI_Gather");
    return PMPI_Gather(s, sc, st, r, rc, rt, root, comm);
}

static void watch(void) {
    sends = collectives = largest = 0;
    bad_dest = -1;
    collective_name = NULL;
    watching = true;
}

// the checks of a rank: print the failure and stop the whole job
#define RFAIL(...) do { printf("GRADE-FAIL: rank %d: ", w_rank); printf(__VA_ARGS__); printf("\n"); fflush(stdout); \
                        PMPI_Abort(MPI_COMM_WORLD, 1); } while (0)
#define RCHECK(cond, ...) do { if (!(cond)) RFAIL(__VA_ARGS__); } while (0)

static void check_watch(const char *what, int max_sends, int64_t max_count) {
    watching = false;
    RCHECK(collectives == 0, "%s called %s: build it from point-to-point messages (MPI_Sendrecv), not a collective",
           what, collective_name);
    RCHECK(bad_dest < 0, "%s sent a message to rank %d; in a ring of %d, rank %d sends to its right neighbour, %d, only",
           what, bad_dest, w_size, w_rank, (w_rank + 1) % w_size);
    RCHECK(sends <= max_sends, "%s sent %d messages from this rank, expected at most %d", what, sends, max_sends);
    RCHECK(largest <= max_count, "%s sent a message of %d elements, expected at most %lld (one chunk)", what, largest,
           (long long)max_count);
}

// the same check as grade_tensor, on a rank
static void rcompare(const char *what, const tl_tensor *got, const tl_tensor *want, double tol) {
    RCHECK(got && want && tl_numel(got) == tl_numel(want), "%s: the tensor's size changed", what);
    tl_tensor *g = tl_reshape(got, TL_SHAPE(-1)), *w = tl_reshape(want, TL_SHAPE(-1));
    for (int64_t k = 0; k < tl_numel(w); k++) {
        double a = tl_get(g, TL_SHAPE(k)), b = tl_get(w, TL_SHAPE(k));
        RCHECK(grade_close(a, b, tol), "%s: element %lld: expected %.10g, got %.10g", what, (long long)k, b, a);
    }
}

static MPI_Datatype mpi_of(tl_dtype d) { return d == TL_FLOAT32 ? MPI_FLOAT : d == TL_FLOAT64 ? MPI_DOUBLE : MPI_INT64_T; }

// t's copies from every rank, gathered through PMPI: (P, numel)
static tl_tensor *gathered(const tl_tensor *t) {
    tl_tensor *all = tl_empty(TL_SHAPE(w_size, tl_numel(t)), t->dtype);
    PMPI_Allgather(TL_DATA(t, char), (int)tl_numel(t), mpi_of(t->dtype), TL_DATA(all, char), (int)tl_numel(t),
                   mpi_of(t->dtype), MPI_COMM_WORLD);
    return all;
}

// sizes come from grade_gen (seeded by the exercise's id: the same on every rank), the numbers
// from rank_gen (seeded by the id and the rank: different on each rank)
static tl_generator *rank_gen;
static tl_tensor *rank_uniform(tl_shape s, double lo, double hi, tl_dtype dt) {
    tl_generator *shared = grade_gen;
    grade_gen = rank_gen;
    tl_tensor *t = grade_uniform(s, lo, hi, dt);
    grade_gen = shared;
    return t;
}
static tl_tensor *rank_tensor(int64_t n, tl_dtype dt) {
    return rank_uniform(TL_SHAPE(n), dt == TL_INT64 ? -1000 : -1, dt == TL_INT64 ? 1000 : 1, dt);
}

// ----------------------------------------------------------------------------
static void worker_shift(void) {
    static const tl_dtype dts[] = { TL_FLOAT32, TL_FLOAT64, TL_INT64 };
    for (int round = 0; round < 3; round++) {
        int64_t n = grade_int(1, 50);
        tl_tensor *t = rank_tensor(n, dts[round]);
        tl_tensor *all = gathered(t);
        tl_error_clear();
        watch();
        bool ok = ex09_ring_shift(t);
        char what[96];
        snprintf(what, sizeof what, "ex09_ring_shift(a %s tensor of %lld)", tl_dtype_name(dts[round]), (long long)n);
        RCHECK(ok, "%s failed: %s", what, grade_last_error());
        check_watch(what, 1, n);
        rcompare(what, t, tl_index(all, (w_rank - 1 + w_size) % w_size), 0);
    }
    tl_tensor *m = tl_zeros(TL_SHAPE(3, 4), TL_FLOAT32);
    tl_error_clear();
    RCHECK(!ex09_ring_shift(tl_T(m)) && tl_error(), "ex09_ring_shift(a transposed, non-contiguous tensor) must fail "
           "with an error");
    tl_error_clear();
}

static void worker_all_reduce(void) {
    static const tl_dtype dts[] = { TL_FLOAT32, TL_FLOAT64, TL_INT64, TL_FLOAT64, TL_FLOAT32 };
    for (int round = 0; round < 5; round++) {
        int64_t n = round == 0 ? 4 : round == 4 ? grade_int(1, w_size + 1) : grade_int(1, 3000);
        tl_tensor *t = rank_tensor(n, dts[round]);
        tl_tensor *want = tl_clone(t);
        PMPI_Allreduce(MPI_IN_PLACE, TL_DATA(want, char), (int)n, mpi_of(want->dtype), MPI_SUM, MPI_COMM_WORLD);
        tl_error_clear();
        watch();
        bool ok = ex09_ring_all_reduce(t);
        char what[128];
        snprintf(what, sizeof what, "ex09_ring_all_reduce(a %s tensor of %lld) on %d ranks", tl_dtype_name(dts[round]),
                 (long long)n, w_size);
        RCHECK(ok, "%s failed: %s", what, grade_last_error());
        check_watch(what, 2 * (w_size - 1), n / w_size + 1);
        rcompare(what, t, want, dts[round] == TL_INT64 ? 0 : dts[round] == TL_FLOAT32 ? 1e-5 : 1e-12);
    }
}

static void worker_average(void) {
    for (int round = 0; round < 3; round++) {
        int n = (int)grade_int(1, 5);
        tl_dtype dt = round == 1 ? TL_FLOAT64 : TL_FLOAT32;
        tl_tensor *params[5], *grads[5], *want[5];
        for (int i = 0; i < n; i++) {
            tl_shape s = TL_SHAPE(grade_int(1, 6), grade_int(1, 40));
            params[i] = tl_requires_grad_(tl_zeros(s, dt), true);
        }
        for (int i = 0; i < n; i++) {
            grads[i] = rank_uniform(tl_shape_of(params[i]), -1, 1, dt);
            params[i]->grad = tl_retain(grads[i]);
            want[i] = tl_clone(grads[i]);
            PMPI_Allreduce(MPI_IN_PLACE, TL_DATA(want[i], char), (int)tl_numel(want[i]), mpi_of(dt), MPI_SUM, MPI_COMM_WORLD);
            want[i] = tl_div_scalar(want[i], w_size);
        }
        tl_error_clear();
        watch();
        bool ok = ex09_average_gradients(params, n);
        char what[128];
        snprintf(what, sizeof what, "ex09_average_gradients(%d %s parameters) on %d ranks", n, tl_dtype_name(dt), w_size);
        RCHECK(ok, "%s failed: %s", what, grade_last_error());
        int64_t total = 0;
        for (int i = 0; i < n; i++) total += tl_numel(grads[i]);
        check_watch(what, 2 * (w_size - 1), total / w_size + 1);
        for (int i = 0; i < n; i++) {
            char wi[160];
            snprintf(wi, sizeof wi, "%s: parameter %d's gradient", what, i);
            RCHECK(params[i]->grad == grads[i], "%s was replaced: write into it", wi);
            rcompare(wi, params[i]->grad, want[i], dt == TL_FLOAT32 ? 1e-5 : 1e-12);
        }
    }
    tl_tensor *p[2] = { tl_requires_grad_(tl_zeros(TL_SHAPE(2), TL_FLOAT32), true),
                        tl_requires_grad_(tl_zeros(TL_SHAPE(2), TL_FLOAT32), true) };
    p[0]->grad = tl_retain(tl_ones(TL_SHAPE(2), TL_FLOAT32));
    tl_error_clear();
    RCHECK(!ex09_average_gradients(p, 2) && tl_error() && !strstr(tl_error(), "not implemented"),
           "ex09_average_gradients(a parameter without a gradient) must fail with an error");
    tl_error_clear();
}

static void worker_broadcast(void) {
    static const tl_dtype dts[] = { TL_FLOAT32, TL_FLOAT64, TL_INT64, TL_FLOAT32 };
    ring_only = false;
    int logP = 0;
    while ((1 << logP) < w_size) logP++;
    for (int round = 0; round < 4; round++) {
        int64_t n = grade_int(1, 200);
        int root = (int)grade_int(0, w_size);
        tl_tensor *t = rank_tensor(n, dts[round]);
        tl_tensor *want = tl_clone(t);
        PMPI_Bcast(TL_DATA(want, char), (int)n, mpi_of(want->dtype), root, MPI_COMM_WORLD);
        tl_error_clear();
        watch();
        bool ok = ex09_tree_broadcast(t, root);
        watching = false;
        char what[128];
        snprintf(what, sizeof what, "ex09_tree_broadcast(a %s tensor of %lld, root %d) on %d ranks",
                 tl_dtype_name(dts[round]), (long long)n, root, w_size);
        RCHECK(ok, "%s failed: %s", what, grade_last_error());
        int mine = sends, all = 0;
        RCHECK(collectives == 0, "%s called %s: build it from point-to-point messages, not a collective", what,
               collective_name);
        PMPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        RCHECK(mine <= logP, "%s sent %d messages from this rank, expected at most ceil(log2 %d) = %d (a tree, not a line)",
               what, mine, w_size, logP);
        RCHECK(all == w_size - 1, "%s sent %d messages in all, expected %d (each rank but the root receives once)", what,
               all, w_size - 1);
        rcompare(what, t, want, 0);
    }
    tl_tensor *t = tl_zeros(TL_SHAPE(3), TL_FLOAT32);
    tl_error_clear();
    RCHECK(!ex09_tree_broadcast(t, w_size + 2) && tl_error() && !strstr(tl_error(), "not implemented"),
           "ex09_tree_broadcast(t, root %d) on %d ranks must fail with an error", w_size + 2, w_size);
    tl_error_clear();
}

// one exercise's worker on this rank (run_rank_worker has made the process group and a pool)
static int grade_worker(int rank, const char *id, void (*work)(void)) {
    w_rank = rank;
    w_size = tl_dist_world_size();
    grade_seed = grade_seed_for(id);
    grade_gen = tl_generator_new(grade_seed);
    rank_gen = tl_generator_new(grade_seed + 1000003ULL * (uint64_t)(w_rank + 1));
    work();
    tl_generator_free(grade_gen);
    tl_generator_free(rank_gen);
    return 0;
}
static int worker_09_1(int rank) { return grade_worker(rank, "09.1", worker_shift); }
static int worker_09_2(int rank) { return grade_worker(rank, "09.2", worker_all_reduce); }
static int worker_09_3(int rank) { return grade_worker(rank, "09.3", worker_average); }
static int worker_09_4(int rank) { return grade_worker(rank, "09.4", worker_broadcast); }

static const rank_worker workers[] = {
    { "09.1", worker_09_1 }, { "09.2", worker_09_2 }, { "09.3", worker_09_3 }, { "09.4", worker_09_4 },
};
#endif

int main(int argc, char **argv) {
#ifdef TL_WITH_MPI
    if (argc == 3 && strcmp(argv[1], "--rank-worker") == 0)
        return run_rank_worker(argv[2], workers, (int)(sizeof workers / sizeof *workers));
#endif
    return grade_main(argc, argv, exercises, (int)(sizeof exercises / sizeof exercises[0]));
}
