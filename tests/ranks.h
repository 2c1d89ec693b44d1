// ranks.h — for test programs that run themselves as MPI ranks: the test (rank-less) starts
// `mpirun -np N PROGRAM --rank-worker NAME`, and each rank runs the worker NAME. Shared by
// tests/test_ch09_dist.c and tests/test_ch09_nccl.c, with the helpers both use: the teardown that
// destroys the process group, WCHECK for the workers, the mpirun check, the parameters as one
// vector, and batches of the tutorial's data. Include after <cmocka.h>, "torchlet.h" and (for
// dist_teardown) "fixture.h".
#ifndef TL_TEST_RANKS_H
#define TL_TEST_RANKS_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "tutorial.h"

#ifdef TL_TEST_FIXTURE_H
// tests/fixture.h's pool and leak check, with the process group (and its NCCL communicator)
// destroyed before the count
static inline int dist_teardown(void **state) {
    tl_dist_destroy();
    return teardown(state);
}
#endif

// in a worker: a failed condition prints "rank R: FAILED ..." (with the error, if any) and ends the
// whole job (`rank` is the worker's argument)
#define WCHECK(cond) do { if (!(cond)) { \
        printf("rank %d: FAILED %s (line %d)%s%s\n", rank, #cond, __LINE__, tl_error() ? ": " : "", \
               tl_error() ? tl_error() : ""); \
        fflush(stdout); tl_dist_abort(1); } } while (0)

// whether the two-rank tests can run: MPI in this build and mpirun on this machine (if not, says why)
static inline bool have_mpirun(void) {
    if (!tl_dist_mpi_compiled()) {
        print_message("Torchlet was built without MPI: the two-rank tests are skipped\n");
        return false;
    }
    if (system("command -v mpirun >/dev/null 2>&1") != 0) {
        print_message("mpirun is not installed (apt install openmpi-bin): the two-rank tests are skipped\n");
        return false;
    }
    return true;
}

// the float32 parameters of m, one after the other, as one CPU tensor (copied from any device);
// NULL if one cannot be copied
static inline tl_tensor *params_cpu(tl_module *m) {
    tl_named_tensor *ps;
    int n = tl_module_parameters(m, &ps);
    tl_tensor *v = n >= 0 ? tl_empty(TL_SHAPE(tl_module_num_parameters(m, false)), TL_FLOAT32) : NULL;
    int64_t k = 0;
    for (int i = 0; v && i < n; i++) {
        tl_tensor *c = tl_contiguous(tl_to(ps[i].tensor, "cpu"));
        if (!c || c->dtype != TL_FLOAT32) return NULL;
        memcpy(TL_DATA(v, float) + k, TL_DATA(c, float), (size_t)tl_numel(c) * sizeof(float));
        k += tl_numel(c);
    }
    return v;
}

// the largest |a[i] - b[i]| of two float32 CPU vectors of one size (infinity if one is NULL)
static inline double max_diff(const tl_tensor *a, const tl_tensor *b) {
    if (!a || !b) return INFINITY;
    double worst = 0;
    for (int64_t i = 0; i < tl_numel(a); i++) worst = fmax(worst, fabs(TL_DATA(a, float)[i] - TL_DATA(b, float)[i]));
    return worst;
}

// the tutorial's training data, rows `rows` of it (n of them, at most 5), on device
static inline void tutorial_batch(const int64_t *rows, int n, const char *device, tl_tensor **X, tl_tensor **y) {
    tl_tensor *Xa = tl_tensor_parse(TUTORIAL_X_TRAIN);
    tl_tensor *ya = tl_tensor_parse(TUTORIAL_Y_TRAIN);
    tl_tensor *xs[5], *ys[5];
    for (int i = 0; i < n; i++) xs[i] = tl_index(Xa, rows[i]), ys[i] = tl_index(ya, rows[i]);
    *X = tl_to(tl_stack(xs, n, 0), device);
    *y = tl_to(tl_stack(ys, n, 0), device);
}

// a worker: runs on every rank, prints "rank R: ..." lines, returns the rank's exit status
typedef struct { const char *name; int (*run)(int rank); } rank_worker;

// what starts run_rank_worker's own failure lines; a program whose parent looks for another mark
// defines it before including this file (exercises/tests/grade_09.c: "GRADE-FAIL: ")
#ifndef RANK_WORKER_FAIL
#define RANK_WORKER_FAIL ""
#endif

// the whole of `PROGRAM --rank-worker NAME`: the process group, the worker, the end
static inline int run_rank_worker(const char *name, const rank_worker *workers, int n) {
    int status = 1;
    TL_SCOPE {
        if (!tl_dist_init()) {
            printf(RANK_WORKER_FAIL "tl_dist_init failed: %s\n", tl_error());
        } else {
            int rank = tl_dist_rank(), k = 0;
            while (k < n && strcmp(workers[k].name, name) != 0) k++;
            if (k < n) status = workers[k].run(rank);
            else printf(RANK_WORKER_FAIL "rank %d: no worker named %s\n", rank, name);
        }
    }
    fflush(stdout);
    tl_dist_destroy();
    return status;
}

// runs `mpirun -np NP PROGRAM ARGS` under `timeout SECONDS` (a hang fails instead of stalling the
// suite); returns its exit status (124: timed out; -1: mpirun could not be started, out says why),
// its output in out (stdout and stderr, cut at size - 1 bytes: the rest is read and dropped, so
// that a chatty job is not cut off by SIGPIPE, or left blocked on a full pipe, when the reading
// stops) and its duration in *seconds (if not NULL). Leak detection is off
// in the ranks: MPI_Init keeps memory until exit by design. TL_MOCK_GPUS (the GPU emulation's
// device count) and TL_GRADE_SALT (the grader's inputs) are passed on to the ranks when they are set.
static inline int mpirun_ranks(int np, const char *program, const char *args, int timeout_seconds, char *out,
                               size_t size, double *seconds) {
    static const char *const pass_on[] = { "TL_MOCK_GPUS", "TL_GRADE_SALT" };
    char env[128] = "";
    for (size_t k = 0; k < sizeof pass_on / sizeof *pass_on; k++) {
        if (!getenv(pass_on[k])) continue;
        size_t len = strlen(env);
        snprintf(env + len, sizeof env - len, "-x %s ", pass_on[k]);
    }
    char cmd[8192];
    int len = snprintf(cmd, sizeof cmd,
             "ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0 timeout %d mpirun -np %d --oversubscribe %s "
             "-x ASAN_OPTIONS %s%s %s 2>&1",
             timeout_seconds, np, getuid() == 0 ? "--allow-run-as-root" : "", env, program, args);
    if (len < 0 || (size_t)len >= sizeof cmd) {
        snprintf(out, size, "the mpirun command is too long");
        return -1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    FILE *p = popen(cmd, "r");
    if (!p) {
        snprintf(out, size, "could not start mpirun");
        return -1;
    }
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    char rest[4096];
    while (fread(rest, 1, sizeof rest, p) > 0) {}
    int status = pclose(p);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (seconds) *seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if (status == -1) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// `mpirun -np 2 PROGRAM --rank-worker NAME` must exit 0 and print "rank R: EXPECT" on both ranks;
// out keeps the output
static inline void expect_ranks_say(const char *program, const char *name, const char *expect, char *out,
                                    size_t size) {
    char args[256];
    snprintf(args, sizeof args, "--rank-worker %s", name);
    int status = mpirun_ranks(2, program, args, 120, out, size, NULL);
    if (status != 0) fail_msg("worker %s: exit status %d\n%s", name, status, out);
    for (int r = 0; r < 2; r++) {
        char line[128];
        snprintf(line, sizeof line, "rank %d: %s", r, expect);
        if (!strstr(out, line)) fail_msg("worker %s: no line \"%s\" in\n%s", name, line, out);
    }
}

#endif
