#!/usr/bin/env bash
# tools/grade.sh — grade the exercises (run it as ./build.sh grade, which builds the library first).
#
#   ./build.sh grade                  every chapter's exercises in exercises/
#   ./build.sh grade 03               chapter 03 only;   ./build.sh grade 03.2   exercise 03.2 only
#   ./build.sh grade --solutions      the reference solutions (exercises/solutions/) instead
#   ./build.sh grade --json FILE      also write the report as JSON, for an autograder
#
# Options: --dir DIR (grade the files NN-name.c of another folder, e.g. a student's hand-in),
# --timeout S (seconds per exercise, 10), --quiet (only the score line). Several selectors may
# be given: ./build.sh grade 01 03.2. Inputs are random, seeded by each exercise's id; a teacher
# who sets TL_GRADE_SALT=anyword gets other inputs (the same for everyone with that word).
#
# How: for each chapter NN with a graded test exercises/tests/grade_NN.c, the student's file
# DIR/NN-*.c (DIR/NN-*.cu for CUDA, compiled by nvcc) is compiled on its own (a compile error scores
# 0 for that chapter, shows the compiler's message and the other chapters go on), linked with the
# graded test against libtorchlet.so, and each exercise runs in its own process under `timeout`,
# so a crash or an endless loop costs that exercise only. The table gives, for a failure, the first
# failing check with expected and actual values. An exercise that needs what this machine lacks
# (mpirun for chapter 09; nvcc or a GPU for chapter 08) says so and is "skipped", not counted in
# X/Y. The last line is "Score: X/Y". The exit status is 0 when grading ran (whatever the score).
set -uo pipefail
cd "$(dirname "$0")/.."

BUILD=${TL_BUILD:-build}
DIR=exercises
TIMEOUT=10
JSON=
QUIET=0
SELECT=()
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
while [ $# -gt 0 ]; do
    case $1 in
        --solutions) DIR=exercises/solutions ;;
        --dir) DIR=${2:?--dir needs a folder}; shift ;;
        --json) JSON=${2:?--json needs a file name}; shift ;;
        --timeout) TIMEOUT=${2:?--timeout needs seconds}; shift ;;
        --quiet) QUIET=1 ;;
        -h|--help) usage; exit 0 ;;
        [0-9][0-9]|[0-9][0-9].[0-9]*) SELECT+=("$1") ;;
        *) echo "grade: unknown argument '$1' (a chapter like 03, an exercise like 03.2, or an option)" >&2
           usage >&2; exit 2 ;;
    esac
    shift
done
[ -d "$DIR" ] || { echo "grade: no folder $DIR" >&2; exit 2; }
[ -f "$BUILD/libtorchlet.so" ] || { echo "grade: $BUILD/libtorchlet.so is missing: run ./build.sh build first" >&2; exit 2; }

# How the library was built, as the Makefile wrote it in $BUILD/settings (bash arrays): the compiler,
# MPI's flags when it was built with MPI (chapter 09: the exercises and their tests may call MPI
# themselves), the sanitizers' flags (a sanitizer build needs the student's code built with them
# too), and for chapter 08's .cu file the library's nvcc, its flags (the same GPU targets) and its
# CUDA link flags.
[ -f "$BUILD/settings" ] || { echo "grade: $BUILD/settings is missing: run ./build.sh build first" >&2; exit 2; }
# shellcheck source=/dev/null
source "$BUILD/settings"
NVCC=${NVCC[0]:-}           # none in a build without CUDA
CFLAGS=(-std=c11 -g -Wall -Wextra -Wno-unused-parameter -Ilib -Iexercises -Iexercises/tests -Itests "${SAN_CFLAGS[@]}")
LIBS=(-L"$BUILD" -ltorchlet -Wl,-rpath,"$(cd "$BUILD" && pwd)" -lcmocka -lopenblas -lcjson -lm -lpthread "${SAN_LDFLAGS[@]}")
if [ "$TL_MPI" = 1 ]; then
    CFLAGS+=(-DTL_WITH_MPI "${MPI_CFLAGS[@]}")
    LIBS+=("${MPI_LIBS[@]}")
fi
NVFLAGS+=(-Iexercises)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tl-grade.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ulimit -c 0    # no core files from crashing exercises

selected() {   # selected ID: is exercise ID (NN.K) asked for?
    [ ${#SELECT[@]} -eq 0 ] && return 0
    local s
    for s in "${SELECT[@]}"; do
        [ "$s" = "$1" ] || [ "$s" = "${1%%.*}" ] && return 0
    done
    return 1
}

json_escape() {   # the text as a JSON string body
    local s=$1
    s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\t'/\\t}; s=${s//$'\r'/}; s=${s//$'\n'/\\n}
    printf '%s' "$s" | tr -d '\000-\010\013\014\016-\037'
}

score=0; total=0; skipped=0; rows=()
report() {   # report ID POINTS MAX STATUS TITLE MESSAGE
    local id=$1 pts=$2 max=$3 status=$4 title=$5 msg=$6
    score=$((score + pts)); total=$((total + max))
    [ "$QUIET" -eq 1 ] || printf '%-8s %3d/%-3d %-13s %s\n' "$id" "$pts" "$max" "$status" "$title"
    [ "$QUIET" -eq 1 ] || [ -z "$msg" ] || printf '%s\n' "$msg" | head -n 20 | sed '1s/^/         -> /; 2,$s/^/            /'
    rows+=("{\"id\": \"$id\", \"title\": \"$(json_escape "$title")\", \"points\": $pts, \"max_points\": $max, \"status\": \"$status\", \"message\": \"$(json_escape "$msg")\"}")
}

signal_name() { kill -l "$1" 2>/dev/null | sed 's/^/SIG/' || echo "signal $1"; }

[ "$QUIET" -eq 1 ] || { printf 'Grading %s (%s s per exercise)\n\n' "$DIR" "$TIMEOUT"
                        printf '%-8s %-7s %-13s %s\n' exercise points result title; }
for test in exercises/tests/grade_[0-9][0-9].c; do
    nn=$(basename "$test" .c); nn=${nn#grade_}
    # the exercises of this chapter that are asked for: "id|points|title" from the test's table
    mapfile -t table < <(sed -nE 's/^[[:space:]]*\{ *"([0-9]{2}\.[0-9]+)", *([0-9]+), *"([^"]*)".*/\1|\2|\3/p' "$test")
    wanted=()
    for row in "${table[@]}"; do selected "${row%%|*}" && wanted+=("$row"); done
    [ ${#wanted[@]} -eq 0 ] && continue

    src=$(ls "$DIR/$nn"-*.c "$DIR/$nn"-*.cu 2>/dev/null | head -n 1)
    problem= status= cu_libs=()
    [[ $src == *.cu ]] && cu_libs=("${LIBCUDA[@]}")   # a CUDA exercise file: nvcc compiles it
    if [ -z "$src" ]; then     # the hand-out's file (exercises/NN-*) says whether the chapter's is a .c or a .cu
        ext=c; compgen -G "exercises/$nn-*.cu" >/dev/null && ext=cu
        problem="no file $DIR/$nn-*.$ext"; status="missing"
    elif [[ $src == *.cu ]] && [ "$TL_CUDA" != 1 ]; then
        problem="this Torchlet was built without CUDA"; status=skipped
    elif [[ $src == *.cu ]] && { [ -z "$NVCC" ] || [ ! -x "$NVCC" ]; }; then
        problem="nvcc is not installed"; status=skipped
    elif [[ $src == *.cu ]] && ! "$NVCC" "${NVFLAGS[@]}" -c "$src" -o "$WORK/student_$nn.o" 2>"$WORK/cc_$nn.log"; then
        problem="$src does not compile:"$'\n'"$(head -n 15 "$WORK/cc_$nn.log")"
        status="compile error"
    elif [[ $src != *.cu ]] && ! "${CC[@]}" "${CFLAGS[@]}" -O0 -c "$src" -o "$WORK/student_$nn.o" 2>"$WORK/cc_$nn.log"; then
        problem="$src does not compile:"$'\n'"$(grep -v '^In file included' "$WORK/cc_$nn.log" | head -n 15)"
        status="compile error"
    elif ! "${CC[@]}" "${CFLAGS[@]}" -O1 -c "$test" -o "$WORK/grade_$nn.o" 2>"$WORK/cc_$nn.log"; then
        problem="the graded test $test does not compile (not your fault):"$'\n'"$(head -n 15 "$WORK/cc_$nn.log")"
        status="grader error"
    elif ! "${CC[@]}" -o "$WORK/grade_$nn" "$WORK/grade_$nn.o" "$WORK/student_$nn.o" "${LIBS[@]}" ${cu_libs[@]+"${cu_libs[@]}"} \
               2>"$WORK/cc_$nn.log"; then
        missing=$(grep -oE "undefined reference to \`[^']+'" "$WORK/cc_$nn.log" | sed -E "s/.*\`([^']+)'/\1/" | sort -u | xargs)
        if [ -n "$missing" ]; then problem="$src does not link: it has no function $missing (missing or misnamed?)"
        else problem="$src does not link:"$'\n'"$(grep -v '^collect2' "$WORK/cc_$nn.log" | head -n 10)"; fi
        status="compile error"
    fi
    if [ -n "$problem" ]; then   # none of the chapter's exercises can run: each scores 0
        [ "$status" != skipped ] ||
            problem="$problem: the CUDA exercises are graded where nvcc and a GPU are (not counted)"
        for row in "${wanted[@]}"; do
            IFS='|' read -r id pts title <<<"$row"
            if [ "$status" = skipped ]; then skipped=$((skipped + 1)); pts=0; fi
            report "$id" 0 "$pts" "$status" "$title" "$problem"
            [ "$status" = skipped ] || problem=     # a compile error's message once, on the first row
        done
        continue
    fi

    for row in "${wanted[@]}"; do
        IFS='|' read -r id pts title <<<"$row"
        log="$WORK/run_$id.log"
        { timeout -k 2 "$TIMEOUT" "$WORK/grade_$nn" --run "$id" >"$log" 2>&1 </dev/null; } 2>/dev/null
        rc=$?
        if [ $rc -eq 0 ]; then
            report "$id" "$pts" "$pts" pass "$title" ""
        elif [ $rc -eq 77 ] && grep -q -a '^GRADE-SKIP: ' "$log"; then     # needs what this machine lacks
            skipped=$((skipped + 1))
            report "$id" 0 0 skipped "$title" "$(grep -m1 -a '^GRADE-SKIP: ' "$log" | sed 's/^GRADE-SKIP: //') (not counted)"
        elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
            report "$id" 0 "$pts" "timed out" "$title" "timed out after $TIMEOUT s (an endless loop?)"
        elif [ $rc -gt 128 ]; then
            report "$id" 0 "$pts" crashed "$title" "crashed ($(signal_name $((rc - 128))), signal $((rc - 128)))"
        else
            st=FAIL
            msg=$(grep -m1 -a '^GRADE-FAIL: ' "$log" | sed 's/^GRADE-FAIL: //')
            if [ -z "$msg" ] && grep -q -a 'ERROR: LeakSanitizer' "$log"; then
                msg="leaks memory (LeakSanitizer): $(grep -m1 -a -E '(Direct|Indirect) leak of' "$log")"
            elif [ -z "$msg" ] && grep -q -a -E 'ERROR: (Address|Undefined)Sanitizer|runtime error:' "$log"; then
                msg="crashed: $(grep -m1 -a -E 'ERROR: (Address|Undefined)Sanitizer|runtime error:' "$log")"
                st=crashed
            fi
            [ -n "$msg" ] || msg=$(grep -m1 -a '\[  ERROR   \] --- ' "$log" | sed 's/.*\] --- //')
            [ -n "$msg" ] || msg="exited with status $rc: $(tail -n 1 "$log")"
            report "$id" 0 "$pts" "$st" "$title" "$msg"
        fi
    done
done

echo
if [ $skipped -gt 0 ]; then echo "Score: $score/$total ($skipped exercise(s) skipped: they need what this machine lacks)"
else echo "Score: $score/$total"; fi
if [ -n "$JSON" ]; then
    {
        printf '{\n  "directory": "%s",\n  "score": %d,\n  "max_score": %d,\n  "exercises": [' "$(json_escape "$DIR")" "$score" "$total"
        sep=
        for r in "${rows[@]}"; do printf '%s\n    %s' "$sep" "$r"; sep=,; done
        printf '\n  ]\n}\n'
    } >"$JSON"
fi
exit 0
