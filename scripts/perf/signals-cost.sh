#!/usr/bin/env bash
# What the runtime signals cost `--allocs-only` (issue 23, docs/performance.md §17): the bundled
# examples measured with the signals (the default) and with `ALLOCBENCH_SIGNALS=0`, interleaved
# (on, off, on, off, ...) so that both see the same load; wall time of each run in ms.
#
#   cargo build -p cargo-allocbench
#   scripts/perf/signals-cost.sh              # ROUNDS=20; prints `signals ms` lines, then medians
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BIN:-$ROOT/target/debug/cargo-allocbench}
TD=${TD:-$ROOT/target/aa}
DATA=${DATA:-/tmp/signals-cost}
ROUNDS=${ROUNDS:-20}
mkdir -p "$DATA"
CARGO_TARGET_DIR=$TD cargo bench --manifest-path "$ROOT/examples/Cargo.toml" --workspace --no-run -q
: >"$DATA/runs.txt"
for i in $(seq 1 "$ROUNDS"); do
    for v in 1 0; do
        s=$(date +%s%N)
        ALLOCBENCH_SIGNALS=$v "$BIN" allocbench --target-dir "$TD" --manifest-path "$ROOT/examples/Cargo.toml" \
            --workspace --allocs-only --out-dir "$DATA/out-$v" --color never >"$DATA/out-$v.log" 2>&1 ||
            echo "round $i signals=$v: exit $?" >&2
        e=$(date +%s%N)
        echo "$v $(((e - s) / 1000000)) $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$DATA/runs.txt"
    done
done
python3 - "$DATA/runs.txt" <<'PY'
import statistics, sys
runs = {"1": [], "0": []}
for line in open(sys.argv[1]):
    v, ms, _ = line.split()
    runs[v].append(int(ms))
for v, name in (("1", "signals on"), ("0", "signals off")):
    r = sorted(runs[v])
    print(f"{name}: median {statistics.median(r)} ms, range {r[0]}–{r[-1]} ({len(r)} runs): {' '.join(map(str, r))}")
print(f"ratio of medians: {statistics.median(runs['1']) / statistics.median(runs['0']):.3f}")
PY
