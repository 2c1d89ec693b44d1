#!/bin/sh
# tools/weave.sh: render the Torchlet book (HTML, offline) with pandoc + tools/weave.lua.
#
#   tools/weave.sh [BUILD]        (default BUILD=build; the Makefile's `book` target runs this)
#
# Run it from the repository root (the folder holding chapters/).
# Reads  chapters/NN-name/NN-name.md, book/template.html, book/style.css, book/front.md,
#        BUILD/out/NN-name.txt (the labs' outputs; a lab not run is shown as "not run").
# Writes BUILD/book/index.html, BUILD/book/NN-name.html, BUILD/book/style.css and the figures.
set -eu
tools=$(dirname "$0")
book="$tools/../book"
build=${1:-build}
mkdir -p "$build/book"

chapter_args=""
for chapter in chapters/*/[0-9][0-9]-*.md; do
    [ -e "$chapter" ] && chapter_args="$chapter_args -M chapter=$chapter"
done

# $chapter_args is split on purpose: chapter paths (chapters/NN-name/NN-name.md) have no spaces.
exec pandoc -f commonmark -t html5 -s --mathml --template "$book/template.html" \
    --lua-filter "$tools/weave.lua" -M outputs_dir="$build/out" \
    -M front="$book/front.md" -M style="$book/style.css" $chapter_args \
    -o "$build/book/index.html" /dev/null
