#!/usr/bin/env bash
# Instructions the counting hook adds per alloc/free pair (callgrind's total, whole process):
#   ((counted 2N) - (counted N) - (plain 2N) + (plain N)) / N
# with N pairs of SIZE bytes through `&dyn GlobalAlloc` (scripts/perf/overhead/src/bin/pairs.rs).
#
#   scripts/perf/hook-instructions.sh [BINARY] [N=100000] [SIZE=64]
# BINARY defaults to the pairs tool built from this checkout's harness:
#   cargo build --release --manifest-path scripts/perf/overhead/Cargo.toml --bin allocbench-perf-pairs \
#     --target-dir target/perf
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-$here/target/perf/release/allocbench-perf-pairs}
N=${2:-100000}
SIZE=${3:-64}
tmp=$(mktemp -d)
ir() { # ARM PAIRS -> total instructions
    valgrind --tool=callgrind --callgrind-out-file="$tmp/out" "$B" "$1" "$2" "$SIZE" >/dev/null 2>"$tmp/log"
    sed -n 's/^summary: //p' "$tmp/out"
}
p1=$(ir plain "$N"); p2=$(ir plain $((2 * N)))
c1=$(ir counted "$N"); c2=$(ir counted $((2 * N)))
d1=$(ir divan "$N"); d2=$(ir divan $((2 * N)))
rm -rf "$tmp"
echo "plain:   $(( (p2 - p1) / N )) instructions per pair ($p1 at N, $p2 at 2N)"
echo "counted: $(( (c2 - c1) / N )) instructions per pair ($c1 at N, $c2 at 2N)"
awk -v p1="$p1" -v p2="$p2" -v c1="$c1" -v c2="$c2" -v n="$N" \
    'BEGIN { printf "hook:    %.2f instructions per alloc/free pair (counted minus plain)\n", ((c2 - c1) - (p2 - p1)) / n }'
awk -v p1="$p1" -v p2="$p2" -v d1="$d1" -v d2="$d2" -v n="$N" \
    'BEGIN { printf "divan:   %.2f instructions per alloc/free pair (divan'"'"'s AllocProfiler minus plain)\n", ((d2 - d1) - (p2 - p1)) / n }'
