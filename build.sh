#!/usr/bin/env bash
# build.sh — the one entry point of Torchlet. Run `./build.sh help` for the commands.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(gcc make pandoc libopenblas-dev libcmocka-dev graphviz libzip-dev libcjson-dev)
FUZZ_SECONDS=${TL_FUZZ_SECONDS:-5}   # per fuzz target, inside ./build.sh test
JOBS=$(nproc 2>/dev/null || echo 2)
# the prefix that runs a command with address-space randomisation off, for the programs built with
# AddressSanitizer (see cmd_test); empty where setarch cannot, or where it is off already
NO_ASLR=()
[ -n "${TL_NO_ASLR:-}" ] || ! setarch "$(uname -m)" -R true 2>/dev/null ||
    NO_ASLR=(env TL_NO_ASLR=1 setarch "$(uname -m)" -R)

say()  { printf '%s\n' "$*"; }
die()  { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

usage() {
    cat <<'USAGE'
usage: ./build.sh [command] [options]

  (none)            setup + tangle + build + book, then say where everything is
  setup             install the Debian packages the kit needs (as root), or print the line to run
  tangle            cut the chapters' code into lib/ and labs/ (writes only files that changed)
  build             compile build/libtorchlet.so, every lab and every test
  test [--sanitize] [--valgrind]
                    run the whole suite (unit tests, doc tests, tangler tests, drift check,
                    each fuzz target for TL_FUZZ_SECONDS (5) seconds when clang has libFuzzer);
                    --sanitize builds everything with AddressSanitizer + UBSan into build/san;
                    --valgrind also runs every lab under valgrind. Ends with "N passed, N failed".
  lab NN [args]     build and run chapter NN's lab, e.g. ./build.sh lab 01 --step
                    (lab options: --list, --cell K, --step, --help; --nproc N runs N ranks
                    under mpirun, e.g. ./build.sh lab 09 --nproc 2)
  book              render the book into build/book/ (offline HTML)
  valgrind          run every lab under valgrind (memory errors and leaks fail)
  grade [NN|NN.K]   grade the exercises: all, chapter NN, exercise NN.K (--solutions, --json FILE)
  bench             time the training step, an MLP's throughput and matmul; beside PyTorch's
                    numbers on the same machine when python3 has torch (apt install python3-torch)
  clean             remove build/
  help              this text

Environment: TL_CUDA=0 leaves the CUDA part out even when nvcc is installed.
USAGE
}

# ----------------------------------------------------------------------------
# bench: Torchlet's numbers, then PyTorch's on the same workloads, then the ratios
find_torch_python() {
    local py
    for py in python3 /usr/bin/python3; do
        command -v "$py" >/dev/null 2>&1 && "$py" -c 'import torch' >/dev/null 2>&1 && { echo "$py"; return; }
    done
}

cmd_bench() {
    local out=build/bench py
    say "Torchlet (bench/bench_train.c; medians of repeated runs):"
    "$out/bench_train" | tee "$out/torchlet.txt"
    say "Torchlet on a GPU (bench/bench_gpu.c; beside PyTorch CUDA eager, bench/bench_torch_cuda.py):"
    "$out/bench_gpu" | tee "$out/torchlet_gpu.txt"
    py=$(find_torch_python)
    [ -n "$py" ] && grep -q '^gpu_' "$out/torchlet_gpu.txt" && (cd bench && "$py" bench_torch_cuda.py) | tee "$out/pytorch_gpu.txt"
    if [ -z "$py" ]; then
        say "PyTorch is not installed for python3: no side-by-side numbers (apt install python3-torch)."
        return 0
    fi
    say ""
    say "PyTorch $("$py" -c 'import torch; print(torch.__version__)' 2>/dev/null) (bench/bench_torch.py, CPU eager):"
    "$py" bench/bench_torch.py 2>/dev/null | tee "$out/pytorch.txt"
    say ""
    awk '
        FNR == NR { tl[$1] = $2; next }
        { pt[$1] = $2 }
        END {
            if (tl["step_us"] > 0 && pt["step_us"] > 0)
                printf "training step (NeuralNetwork(2, 2), batch 2): Torchlet %.1f us, PyTorch %.1f us -> %.1fx faster\n", tl["step_us"], pt["step_us"], pt["step_us"] / tl["step_us"]
            if (tl["mlp_samples_s"] > 0 && pt["mlp_samples_s"] > 0)
                printf "MLP 784-256-128-10, batch 128: Torchlet %.0f, PyTorch %.0f samples/s -> %.2fx\n", tl["mlp_samples_s"], pt["mlp_samples_s"], tl["mlp_samples_s"] / pt["mlp_samples_s"]
            if (tl["mlp_gemm_samples_s"] > 0 && pt["mlp_samples_s"] > 0)
                printf "  its 8 matrix products alone, bare cblas_sgemm: %.0f samples/s, a ceiling for any framework on this BLAS: %.2fx PyTorch\n", tl["mlp_gemm_samples_s"], tl["mlp_gemm_samples_s"] / pt["mlp_samples_s"]
            if (tl["matmul_gflops"] > 0 && tl["sgemm_gflops"] > 0)
                printf "matmul 1024^3: tl_matmul %.1f GFLOP/s = %.0f%% of bare cblas_sgemm (%.1f); PyTorch %.1f\n", tl["matmul_gflops"], 100 * tl["matmul_gflops"] / tl["sgemm_gflops"], tl["sgemm_gflops"], pt["matmul_gflops"]
        }' "$out/torchlet.txt" "$out/pytorch.txt"
    bench_ddp
}

# chapter 09: the MLP trained data-parallel on 1 and 2 CPU ranks (one BLAS thread per rank),
# Torchlet over MPI, then PyTorch's DDP over gloo (bench/bench_torch_ddp.py) when python3 has torch
ddp_summary() {   # ddp_summary NAME ONE_RANK_FILE TWO_RANK_FILE
    awk -v name="$1" -v cores="$JOBS" '
        FNR == 1 { f++ }
        { v[f, $1] = $2 }
        END {
            for (i = 1; i <= 2; i++)
                printf "%s, %d rank(s): %.2f ms per step (all-reduce %.2f ms), %.0f samples/s\n", name, v[i, "ddp_ranks"], v[i, "ddp_step_ms"], v[i, "ddp_allreduce_ms"], v[i, "ddp_samples_s"]
            printf "%s: scaling efficiency with 2 ranks %.0f%% (on %d cores)\n", name, 100 * v[2, "ddp_samples_s"] / (2 * v[1, "ddp_samples_s"]), cores
        }' "$2" "$3"
}

bench_ddp() {
    local out=build/bench mpi py
    say ""
    say "DDP (bench/bench_ddp.c): MLP 784-256-128-10, batch 128 per rank, one all-reduce per step"
    OPENBLAS_NUM_THREADS=1 "$out/bench_ddp" > "$out/ddp1.txt" || return 0
    if ! command -v mpirun >/dev/null 2>&1 || ! grep -q 'ddp_ranks 1' "$out/ddp1.txt"; then
        cat "$out/ddp1.txt"; say "(no mpirun: one rank only)"; return 0
    fi
    mapfile -t mpi < <(mpirun_cmd 2)
    OPENBLAS_NUM_THREADS=1 "${mpi[@]}" -x OPENBLAS_NUM_THREADS "$out/bench_ddp" > "$out/ddp2.txt" || return 0
    ddp_summary "Torchlet (MPI)" "$out/ddp1.txt" "$out/ddp2.txt"
    py=$(find_torch_python)
    [ -n "$py" ] || return 0
    "$py" bench/bench_torch_ddp.py 1 > "$out/torch_ddp1.txt" 2>/dev/null &&
        "$py" bench/bench_torch_ddp.py 2 > "$out/torch_ddp2.txt" 2>/dev/null &&
        ddp_summary "PyTorch (DDP, gloo)" "$out/torch_ddp1.txt" "$out/torch_ddp2.txt"
}

# ----------------------------------------------------------------------------
# setup: packages
missing_packages() {
    local p missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    printf '%s\n' "${missing[@]}"
}

cmd_setup() {
    local missing
    missing=$(missing_packages | xargs)
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -eq 0 ]; then
        say "Installing: $missing"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
    else
        say "Torchlet needs these Debian packages: $missing"
        say "Install them with:"
        say "    sudo apt-get install --no-install-recommends $missing"
        exit 1
    fi
}

# ----------------------------------------------------------------------------
# tangle and build
cmd_tangle() {
    check_drift >/dev/null || { check_drift >&2; die "not tangling: that would overwrite the hand edit"; }
    make -s tangle
}

make_build() {   # make_build BUILD_DIR SANITIZE
    make -s -j"$JOBS" BUILD="$1" SANITIZE="$2" ${TL_CUDA:+TL_CUDA=$TL_CUDA} lib labs tests benches
}

cmd_build() {
    cmd_tangle
    make_build build 0
}

cmd_book() {
    cmd_build
    make -s -j"$JOBS" ${TL_CUDA:+TL_CUDA=$TL_CUDA} book
    say "The book: $(pwd)/build/book/index.html"
}

# ----------------------------------------------------------------------------
# tests: every suite prints cmocka's summary; we add them up
passed=0; failed=0; skipped=0; failures=(); recap=""

# the sum of the counts in every match of PATTERN ("[  PASSED  ] 7 test") in FILE; cmocka writes
# some summary lines to stderr, so they need not start a line in a log of both streams
sum_matches() {   # sum_matches FILE PATTERN
    { grep -aoE "$2" "$1" || true; } | awk '{ n += $(NF - 1) } END { print n + 0 }'
}

count_suite() {   # count_suite NAME LOGFILE EXIT_STATUS
    local name=$1 log=$2 status=$3 p f s
    p=$(sum_matches "$log" '\[  PASSED  \] [0-9]+ test')
    f=$(sum_matches "$log" '\[  FAILED  \] [0-9]+ test')
    s=$(sum_matches "$log" '\[  SKIPPED \] [0-9]+ test')
    p=${p:-0}; f=${f:-0}; s=${s:-0}
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1   # crashed or failed outside any test (sanitizer report, abort, missing summary)
        say "!! $name exited with status $status before reporting a failure"
    fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    [ "$f" -eq 0 ] || { failures+=("$name"); recap+=$(failure_recap "$name" "$log"); }
}

# the end of each failed test's output (its last 30 lines: the check and the message), repeated
# after the summary so that a long run's failures are read without scrolling back
failure_recap() {   # failure_recap NAME LOGFILE
    printf '\n--- %s\n' "$1"
    awk '/^\[ RUN      \]/ { n = 0 }
         { line[n++ % 30] = $0 }
         /^\[  FAILED  \] [^0-9]/ && !seen[$0]++ && n > 0 {
             for (i = (n > 30 ? n - 30 : 0); i < n; i++) print line[i % 30]; n = 0 }' "$2" | head -n 120
    grep -a -m 5 -E '^!!|ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' "$2" || true
}

run_suite() {   # run_suite NAME COMMAND...
    local name=$1; shift
    local log; log=$(mktemp)
    say ""
    say "=== $name"
    set +e
    stdbuf -oL -eL "$@" >"$log" 2>&1
    local status=$?
    set -e
    cat "$log"
    count_suite "$name" "$log" "$status"
    rm -f "$log"
}

# a plain check counted as one test
run_check() {   # run_check NAME COMMAND...
    local name=$1; shift
    say ""
    say "=== $name"
    if "$@"; then passed=$((passed + 1)); say "[  PASSED  ] 1 test(s)."
    else failed=$((failed + 1)); failures+=("$name"); say "[  FAILED  ] 1 test(s)."; fi
}

# lib/ and labs/ must be exactly what the chapters tangle to. Run BEFORE tangling: a generated file
# that differs from its chapter's code and is newer than the chapter was edited by hand. That edit
# would be lost by the next tangle, so we stop and say which chapter to edit instead. (A chapter
# newer than its files was simply edited and not tangled yet: the tangle that follows fixes that.
# In CI every difference is an error.)
check_drift() {
    local tmp; tmp=$(mktemp -d)
    make -s tangle TANGLE_ROOT="$tmp" >/dev/null || { rm -rf "$tmp"; return 1; }
    local bad=0 f rel src newest
    newest=$(ls -t chapters/*/[0-9][0-9]-*.md | head -n 1)
    while IFS= read -r f; do
        rel=${f#"$tmp"/}
        [ -f "$rel" ] || continue                      # new file: the tangle will write it
        cmp -s "$f" "$rel" && continue
        src=$(head -n 3 "$f" | grep -oE 'chapters/[^ ;]+\.md' | head -n 1)
        # chunks may come from any chapter: a hand edit is newer than every chapter
        if [ -n "${CI:-}" ] || [ -z "$src" ] || [ "$rel" -nt "$newest" ]; then
            say "$rel was edited by hand: it differs from what ${src:-its chapter} tangles to."
            say "   lib/ and labs/ are generated. Move the change into ${src:-the chapter}, then run"
            say "   ./build.sh tangle (or discard it: git checkout $rel). The difference:"
            diff -u "$f" "$rel" | sed -n '3,14p' | sed 's/^/   /'
            bad=1
        fi
    done < <(find "$tmp/lib" "$tmp/labs" -type f 2>/dev/null | sort)
    for f in lib/* labs/*; do
        [ -f "$tmp/$f" ] || { say "$f is not produced by any chapter (left over? remove it)"; bad=1; }
    done
    rm -rf "$tmp"
    [ "$bad" -eq 0 ] && say "lib/ and labs/ match the chapters."
    return "$bad"
}

# ----------------------------------------------------------------------------
# fuzzing: every fuzz/fuzz_NAME.c runs FUZZ_SECONDS from its seed corpus fuzz/corpus/NAME/; a crash,
# a sanitizer report or a leak fails it, and the input that did it is kept in build/fuzz/crashes/
have_libfuzzer() {
    command -v clang >/dev/null || return 1
    local t; t=$(mktemp -d)
    printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' > "$t/f.c"
    clang -fsanitize=fuzzer,address "$t/f.c" -o "$t/f" >/dev/null 2>&1; local ok=$?
    rm -rf "$t"
    return $ok
}

run_fuzzer() {   # run_fuzzer BINARY
    local bin=$1 name corpus log status
    name=$(basename "$bin"); name=${name#fuzz_}
    corpus=$(mktemp -d); log=$(mktemp)
    mkdir -p build/fuzz/crashes
    # the fuzzers are built with AddressSanitizer: ASLR off, as for the sanitizer suite (cmd_test)
    ${NO_ASLR[@]+"${NO_ASLR[@]}"} "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix=build/fuzz/crashes/ "$corpus" "fuzz/corpus/$name" >"$log" 2>&1
    status=$?
    if [ "$status" -eq 0 ]; then
        say "$(grep -aE 'stat::number_of_executed_units' "$log" | awk '{print $2}') inputs in ${FUZZ_SECONDS} s, no crash"
    else
        tail -n 40 "$log"; say "the input is in build/fuzz/crashes/ (replay: $bin FILE)"
    fi
    rm -rf "$corpus" "$log"
    return "$status"
}

run_fuzzers() {
    if ! have_libfuzzer; then
        say ""; say "=== fuzz"; say "skipped: clang/libFuzzer missing (Debian: apt-get install clang libclang-rt-14-dev)"
        skipped=$((skipped + 1)); return
    fi
    if ! make -s -j"$JOBS" fuzz; then
        failed=$((failed + 1)); failures+=("fuzz build"); return
    fi
    local f
    for f in build/fuzz/fuzz_*; do
        [ -x "$f" ] && run_check "fuzz $(basename "$f") (${FUZZ_SECONDS} s)" run_fuzzer "$f"
    done
}

run_labs_under_valgrind() {
    local dir=$1 lab ok=0 log
    command -v valgrind >/dev/null || { say "valgrind is not installed"; return 1; }
    mkdir -p "$dir/valgrind"
    for lab in labs/*.c; do
        lab="$dir/labs/$(basename "$lab" .c)"
        log="$dir/valgrind/$(basename "$lab").log"
        # TORCHLET_CACHE=0: every free reaches valgrind (the block cache would hide a use after free)
        if TORCHLET_CACHE=0 valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
                "$lab" >/dev/null 2>"$log"; then
            say "valgrind clean: $lab"
        else
            say "valgrind errors in $lab:"; cat "$log"; ok=1
        fi
    done
    return $ok
}

cmd_test() {
    local sanitize=0 valgrind=0 dir=build
    for a in "$@"; do
        case $a in
            --sanitize) sanitize=1; dir=build/san ;;
            --valgrind) valgrind=1 ;;
            *) die "test: unknown option '$a' (options: --sanitize, --valgrind)" ;;
        esac
    done
    # The sanitizer build runs with address-space randomisation off. gcc 12's AddressSanitizer
    # fails at random (a crash or an endless "DEADLYSIGNAL" loop at start-up) on kernels that
    # randomise mmap with more bits than it expects (vm.mmap_rnd_bits = 32); a suite that starts
    # hundreds of sanitized processes, as the grader test does, then fails on some of them. A fixed
    # layout makes every run the same; setarch -R asks for it without privileges, for this process
    # and all its children.
    if [ "$sanitize" -eq 1 ] && [ ${#NO_ASLR[@]} -gt 0 ]; then exec "${NO_ASLR[@]}" "$0" test "$@"; fi
    cmd_setup
    run_check "drift: lib/ and labs/ are the chapters' code" check_drift
    [ "$failed" -eq 0 ] && make -s tangle   # never overwrite a hand edit
    if ! make_build "$dir" "$sanitize"; then
        say ""
        say "The build failed (the compiler's messages above name the chapter lines); no test ran."
        say "$passed passed, $((failed + 1)) failed"
        exit 1
    fi
    # verify_asan_link_order=0: stdbuf (line-buffered logs) preloads a tiny library before ASan
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:verify_asan_link_order=0}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    export TL_ROOT TL_BUILD="$dir"
    TL_ROOT=$(pwd)

    run_check "incremental: a second build has nothing to do" make -q BUILD="$dir" SANITIZE="$sanitize" \
        ${TL_CUDA:+TL_CUDA=$TL_CUDA} lib labs tests benches
    local t lab name
    for t in tests/test_*.c; do              # the sources decide: a stale binary is not run
        t="$dir/tests/$(basename "$t" .c)"
        [ -x "$t" ] && run_suite "$(basename "$t")" "$t"
    done
    for lab in labs/*.c; do
        name=$(basename "$lab" .c)
        lab="$dir/labs/$name"
        [ -x "$lab" ] || continue
        [ -f "build/expected/$name.expected" ] || { say "no expected outputs for $name"; continue; }
        run_suite "doctest $name" "$dir/tests/doctest" "$lab" "build/expected/$name.expected"
    done
    [ "$valgrind" -eq 0 ] || run_check "labs under valgrind" run_labs_under_valgrind "$dir"
    run_fuzzers

    say ""
    if [ "${#failures[@]}" -gt 0 ]; then
        say ""
        say "What failed (the end of each failed test's output, repeated from above):$recap"
        say ""
        say "Failed: ${failures[*]}"
    fi
    if [ "$skipped" -gt 0 ]; then say "$passed passed, $failed failed, $skipped skipped"
    else say "$passed passed, $failed failed"; fi
    [ "$failed" -eq 0 ]
}

# mpirun with the options a laptop or container needs (more ranks than cores, root in a container):
# the Makefile's MPIRUN_FLAGS, from build/settings (so after a build); prints the command's words,
# one per line. build/settings is bash arrays, read as tools/grade.sh reads it: sourced (here in a
# subshell, so that its CC, NVCC... stay out of this script) and the array printed word by word.
mpirun_cmd() {   # mpirun_cmd NPROC
    command -v mpirun >/dev/null 2>&1 || die "mpirun is not installed (apt install openmpi-bin libopenmpi-dev, then rebuild)"
    [ -f build/settings ] || die "build/settings is missing: run ./build.sh build first"
    local flags
    mapfile -t flags < <(source build/settings && for w in "${MPIRUN_FLAGS[@]}"; do printf '%s\n' "$w"; done)
    printf '%s\n' mpirun -np "$1" "${flags[@]}"
}

cmd_lab() {
    [ $# -ge 1 ] || die "lab: which chapter? e.g. ./build.sh lab 01 (labs: $(ls labs | sed 's/\.c$//' | xargs))"
    local nn=$1; shift
    local src nproc=0 args=()
    while [ $# -gt 0 ]; do           # --nproc N: N ranks under mpirun (chapter 09)
        case $1 in
            --nproc) [ $# -ge 2 ] || die "lab: --nproc needs a number of ranks"; nproc=$2; shift 2 ;;
            --nproc=*) nproc=${1#--nproc=}; shift ;;
            *) args+=("$1"); shift ;;
        esac
    done
    [[ $nproc =~ ^[0-9]+$ ]] || die "lab: --nproc takes a number of ranks, got '$nproc'"
    src=$(ls labs/"$nn"-*.c 2>/dev/null | head -n 1 || true)
    [ -n "$src" ] || die "lab: no lab for chapter '$nn' (labs: $(ls labs | sed 's/\.c$//' | xargs))"
    cmd_build >/dev/null
    local bin="build/labs/$(basename "$src" .c)"
    if [ "$nproc" -gt 0 ]; then
        local mpi; mapfile -t mpi < <(mpirun_cmd "$nproc")
        exec "${mpi[@]}" "$bin" ${args[@]+"${args[@]}"}
    fi
    exec "$bin" ${args[@]+"${args[@]}"}
}

cmd_default() {
    cmd_setup
    cmd_build
    make -s -j"$JOBS" ${TL_CUDA:+TL_CUDA=$TL_CUDA} book
    say "Built: build/libtorchlet.so and $(ls labs/*.c | wc -l) labs."
    say "The book: $(pwd)/build/book/index.html"
    say "Run the first lab, a cell at a time: ./build.sh lab 01 --step"
}

case ${1:-} in
    "")          cmd_default ;;
    setup)       cmd_setup; say "All packages are installed." ;;
    tangle)      cmd_tangle ;;
    build)       cmd_setup; cmd_build ;;
    test)        shift; cmd_test "$@" ;;
    lab)         shift; cmd_lab "$@" ;;
    book)        cmd_setup; cmd_book ;;
    valgrind)    cmd_setup; cmd_build; run_labs_under_valgrind build ;;
    bench)       cmd_setup; cmd_build; cmd_bench ;;
    grade)       shift; cmd_setup; cmd_tangle      # grading links against the library only
                 make -s -j"$JOBS" ${TL_CUDA:+TL_CUDA=$TL_CUDA} lib; tools/grade.sh "$@" ;;
    clean)       make -s clean ;;
    help|-h|--help) usage ;;
    *)           usage >&2; die "unknown command '$1'" ;;
esac
