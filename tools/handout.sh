#!/usr/bin/env bash
# tools/handout.sh — the students' hand-out: the exercise files without their solutions.
#
#   tools/handout.sh DIR        write the hand-out into DIR (one NN-name.c per chapter, exercise.h)
#   tools/handout.sh --update   rewrite the stubs exercises/NN-name.c from exercises/solutions/
#   tools/handout.sh --check    exit 1 if a stub in exercises/ is not its solution file stripped
#
# A solution file exercises/solutions/NN-name.c (or .cu) is the stub file plus its answers, marked so:
#
#       tl_tensor *ex01_trace(const tl_tensor *t) {
#           // BEGIN SOLUTION
#           ... the reference solution ...
#           // END SOLUTION
#           // STUB: TL_TODO("01.1");
#           // STUB: return NULL;
#       }
#
# Stripping deletes every line from "// BEGIN SOLUTION" to "// END SOLUTION" (both included) and
# turns each "// STUB: code" line into "code" (indentation kept). Everything else is copied.
set -euo pipefail
cd "$(dirname "$0")/.."

strip() {   # strip FILE: the hand-out text of one solution file, on stdout
    awk -v file="$1" '
        /^[ \t]*\/\/ BEGIN SOLUTION/ { if (inside) { print file ":" NR ": BEGIN SOLUTION inside another" > "/dev/stderr"; bad = 1 }
                                       inside = 1; next }
        /^[ \t]*\/\/ END SOLUTION/   { if (!inside) { print file ":" NR ": END SOLUTION without BEGIN" > "/dev/stderr"; bad = 1 }
                                       inside = 0; next }
        inside                       { next }
        /^[ \t]*\/\/ STUB: /         { sub(/\/\/ STUB: /, ""); print; next }
        /^[ \t]*\/\/ STUB:$/         { sub(/\/\/ STUB:$/, ""); print; next }
                                     { print }
        END { if (inside) { print file ": BEGIN SOLUTION never ends" > "/dev/stderr"; bad = 1 }
              exit bad }' "$1"
}

case ${1:-} in
    --check)
        bad=0
        for sol in exercises/solutions/[0-9][0-9]-*.c exercises/solutions/[0-9][0-9]-*.cu; do
            stub=exercises/$(basename "$sol")
            if ! strip "$sol" | cmp -s - "$stub"; then
                echo "$stub is not what tools/handout.sh makes of $sol (run tools/handout.sh --update):"
                strip "$sol" | diff -u "$stub" - | sed -n '3,20p'
                bad=1
            fi
        done
        [ $bad -eq 0 ] && echo "every stub in exercises/ is its solution file without the solutions"
        exit $bad ;;
    --update)
        for sol in exercises/solutions/[0-9][0-9]-*.c exercises/solutions/[0-9][0-9]-*.cu; do
            out=exercises/$(basename "$sol")
            strip "$sol" >"$out.tmp" && mv "$out.tmp" "$out"
            echo "wrote $out"
        done ;;
    ""|-h|--help)
        awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
        [ -n "${1:-}" ] || exit 2 ;;
    *)
        mkdir -p "$1"
        for sol in exercises/solutions/[0-9][0-9]-*.c exercises/solutions/[0-9][0-9]-*.cu; do strip "$sol" >"$1/$(basename "$sol")"; done
        cp exercises/exercise.h "$1/"
        echo "hand-out written to $1: $(cd "$1" && ls | xargs)" ;;
esac
