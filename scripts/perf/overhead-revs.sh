#!/usr/bin/env bash
# allocbench::Alloc's overhead per alloc/free pair at two or more commits, interleaved: the
# overhead tool (scripts/perf/overhead) built against each commit's harness, in
# /tmp/variants/<rev>, then run in turn, REPEATS times. Output as overhead-variants.sh's, so
# variants_table.py makes the table and overhead-callgrind.sh <rev>... counts the instructions.
#
#   scripts/perf/overhead-revs.sh REPEATS THREADS SIZE REV...
. "$(dirname "$0")/common.sh"
set -e
REPEATS=$1; THREADS=$2; SIZE=$3; shift 3
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
V=/tmp/variants
if [ "${BUILD:-1}" = 1 ]; then
    for rev in "$@"; do
        rm -rf "${V:?}/$rev"; mkdir -p "$V/$rev"
        git -C "$REPO" archive "$rev" Cargo.toml Cargo.lock harness cargo-allocbench | tar -x -C "$V/$rev"
        cp -r "$HERE/overhead" "$V/$rev/tool"
        rm -rf "$V/$rev/tool/target"
        sed -i "s|path = \"../../../harness\"|path = \"$V/$rev/harness\"|" "$V/$rev/tool/Cargo.toml"
        (cd "$V/$rev/tool" && CARGO_TARGET_DIR="$V/target" cargo build --release -q)
        cp "$V/target/release/allocbench-perf-overhead" "$V/$rev/overhead"
    done
fi
for i in $(seq 1 "$REPEATS"); do
    for rev in "$@"; do
        printf '%s\t%s\t' "$rev" "$i"
        "$V/$rev/overhead" "$THREADS" "$SIZE" 200 20000 | awk '$1 == "allocbench" { print $2 "\t" $4 }'
    done
done
