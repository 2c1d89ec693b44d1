// ranks.h — for test programs that run themselves as MPI ranks: the test (rank-less) starts
// `mpirun -np N PROGRAM --rank-worker NAME`, and each rank runs the worker NAME. Shared by
// tests/test_ch09_dist.c and tests/test_ch09_nccl.c. Include after <cmocka.h> and "torchlet.h".
#ifndef TL_TEST_RANKS_H
#define TL_TEST_RANKS_H
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// a worker: runs on every rank, prints "rank R: ..." lines, returns the rank's exit status
typedef struct { const char *name; int (*run)(int rank); } rank_worker;

// the whole of `PROGRAM --rank-worker NAME`: the process group, the worker, the end
static inline int run_rank_worker(const char *name, const rank_worker *workers, int n) {
    int status = 1;
    TL_SCOPE {
        if (!tl_dist_init()) {
            printf("worker: %s\n", tl_error());
        } else {
            int rank = tl_dist_rank(), k = 0;
            while (k < n && strcmp(workers[k].name, name) != 0) k++;
            if (k < n) status = workers[k].run(rank);
            else printf("rank %d: no worker named %s\n", rank, name);
        }
    }
    fflush(stdout);
    tl_dist_destroy();
    return status;
}

// runs `mpirun -np NP PROGRAM ARGS` under `timeout` (a hang fails instead of stalling the suite);
// returns its exit status, its output in out (stdout and stderr) and its duration in *seconds (if
// not NULL). Leak detection is off in the ranks: MPI_Init keeps memory until exit by design.
// TL_MOCK_GPUS (the GPU emulation's device count) is passed on when set.
static inline int mpirun_ranks(int np, const char *program, const char *args, char *out, size_t size,
                               double *seconds) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0 timeout 120 mpirun -np %d --oversubscribe %s "
             "-x ASAN_OPTIONS %s %s %s 2>&1",
             np, getuid() == 0 ? "--allow-run-as-root" : "", getenv("TL_MOCK_GPUS") ? "-x TL_MOCK_GPUS" : "",
             program, args);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (seconds) *seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// `mpirun -np 2 PROGRAM --rank-worker NAME` must exit 0 and print "rank R: EXPECT" on both ranks;
// out keeps the output
static inline void expect_ranks_say(const char *program, const char *name, const char *expect, char *out,
                                    size_t size) {
    char args[256];
    snprintf(args, sizeof args, "--rank-worker %s", name);
    int status = mpirun_ranks(2, program, args, out, size, NULL);
    if (status != 0) fail_msg("worker %s: exit status %d\n%s", name, status, out);
    for (int r = 0; r < 2; r++) {
        char line[128];
        snprintf(line, sizeof line, "rank %d: %s", r, expect);
        if (!strstr(out, line)) fail_msg("worker %s: no line \"%s\" in\n%s", name, line, out);
    }
}

#endif
