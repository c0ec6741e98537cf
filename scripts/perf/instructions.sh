#!/usr/bin/env bash
# The instruction gate (issue 13), measured: docs/performance.md §8.
#
#   scripts/perf/instructions.sh [RUNS=20]
#
# Under load: two busy loops (`yes > /dev/null`) run beside every measurement.
#   aa        fixtures/instructions: `--allocs-only --instructions --save-baseline aa` once, then
#             RUNS runs of `--baseline aa`; a false alarm is an exit code other than 0.
#   regress   the same baseline, RUNS runs with `--features regress` (5 % more rounds of the
#             checksum, no allocation more); caught = exit code 1.
#   time      the time policy on the same change: per trial a full run saved as a baseline, then
#             a full run with `--features regress --fail-on-time` against it (RUNS/2 trials);
#             caught = exit code 1. Both runs `--no-cpu-profile --heap-profile none -- --warm-up-time 0.5
#             --measurement-time 2`.
#   noise     the examples workspace: `--allocs-only --instructions` saved once, then 5 runs
#             against it: the largest |change| of `instructions` per benchmark.
#   cost      the examples workspace, 3 interleaved rounds: `--allocs-only` and
#             `--allocs-only --instructions`, wall time of each.
. "$(dirname "$0")/common.sh"
N=${1:-20}
OUT=$DATA/instructions
mkdir -p "$OUT"
FX=$SRC/fixtures/instructions/Cargo.toml
AB=("$BIN" allocbench --color never --target-dir "$TD")

yes >/dev/null & B1=$!
yes >/dev/null & B2=$!
trap 'kill $B1 $B2 2>/dev/null' EXIT

"${AB[@]}" --manifest-path "$FX" --allocs-only --instructions --out-dir "$OUT/fx" --save-baseline aa >/dev/null 2>&1
for k in $(seq "$N"); do
    "${AB[@]}" --manifest-path "$FX" --allocs-only --instructions --out-dir "$OUT/fx" --baseline aa --format json >"$OUT/aa-$k.json" 2>/dev/null
    echo "aa $k exit $? load $(load)"
    "${AB[@]}" --manifest-path "$FX" --allocs-only --instructions --out-dir "$OUT/fx" --baseline aa --features regress >/dev/null 2>&1
    echo "regress $k exit $? load $(load)"
done
for k in $(seq $((N / 2))); do
    args=(--manifest-path "$FX" --no-cpu-profile --heap-profile none --out-dir "$OUT/time")
    crit=(-- --warm-up-time 0.5 --measurement-time 2)
    "${AB[@]}" "${args[@]}" --save-baseline t "${crit[@]}" >/dev/null 2>&1
    "${AB[@]}" "${args[@]}" --baseline t --fail-on-time --features regress "${crit[@]}" >/dev/null 2>&1
    echo "time $k exit $? load $(load)"
done
kill $B1 $B2 2>/dev/null

"${AB[@]}" --manifest-path "$EX/Cargo.toml" --workspace --allocs-only --instructions --out-dir "$OUT/ex" --save-baseline aa >/dev/null 2>&1
for k in 1 2 3 4 5; do
    "${AB[@]}" --manifest-path "$EX/Cargo.toml" --workspace --allocs-only --instructions --out-dir "$OUT/ex" --baseline aa --format json >"$OUT/noise-$k.json" 2>/dev/null
    echo "noise $k exit $?"
done
python3 - "$OUT" <<'PY'
import glob, json, sys
worst = {}
for f in sorted(glob.glob(sys.argv[1] + "/noise-*.json")):
    for b in json.load(open(f))["comparison"]["benchmarks"]:
        for m in b["metrics"]:
            if m["metric"] == "instructions" and m["change"] is not None:
                worst[b["id"]] = max(worst.get(b["id"], 0.0), abs(m["change"]))
for k, v in sorted(worst.items()):
    print(f"noise {k} max |change| {100 * v:.4f} %")
PY
for k in 1 2 3; do
    t0=$(now); "${AB[@]}" --manifest-path "$EX/Cargo.toml" --workspace --allocs-only --out-dir "$OUT/c1" >/dev/null 2>&1; t1=$(now)
    "${AB[@]}" --manifest-path "$EX/Cargo.toml" --workspace --allocs-only --instructions --out-dir "$OUT/c2" >/dev/null 2>&1; t2=$(now)
    echo "cost $k allocs-only $(echo "$t1 - $t0" | bc) s, with instructions $(echo "$t2 - $t1" | bc) s"
done
