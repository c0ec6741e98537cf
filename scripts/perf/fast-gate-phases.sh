#!/usr/bin/env bash
# Where a benchmark's time goes under `--allocs-only` (issue 24): docs/performance.md §15, "The
# fast gate".
#
#   scripts/perf/fast-gate-phases.sh [ROUNDS=5] [MEASUREMENT_TIME=0.01]
#
# Runs each examples bench target natively as `--allocs-only` runs it (its criterion arguments,
# the harness in that mode), under `strace -ttt` of `write`, `openat` and `exit_group` only, and
# times each benchmark's phases from what criterion and the harness write:
#   warm-up    criterion's "Warming up" line to its "Collecting" line
#   sampling   "Collecting" to "Analyzing": the ten linear samples, which criterion sizes to fill
#              the measurement time from the warm-up's estimate
#   analysis   "Analyzing" to the harness's record line: criterion's analysis (bootstrap with
#              `--nresamples 1`), its JSON files (new/ and base/), its report lines, the record
# and, per process, its start up to the first warm-up (the `gnuplot --version` probe included).
# strace adds a few µs per traced call. EX, TD as in scripts/perf/instructions-cost.sh.
. "$(dirname "$0")/common.sh"
ROUNDS=${1:-5}
MT=${2:-0.01}
OUT=$DATA/fast-gate-phases-$MT
rm -rf "$OUT" && mkdir -p "$OUT"
TARGETS=(buffer-churn/frames json-fanout/fanout lock-per-item/pool regex-hotpath/logscan
    thread-per-request/serve unbounded-history/history unbuffered-log/log)
for r in $(seq "$ROUNDS"); do
    for t in "${TARGETS[@]}"; do
        exe=$(ls -t "$TD"/release/deps/"${t##*/}"-* | grep -E '/[^/.]+-[0-9a-f]{16}$' | head -1)
        rm -rf "$OUT/criterion" && mkdir -p "$OUT/criterion"
        (cd "$EX/${t%%/*}" && CRITERION_HOME=$OUT/criterion ALLOCBENCH_MODE=allocs-only \
            ALLOCBENCH_RECORDS=$OUT/records.jsonl \
            strace -s 200 -ttt -e trace=write,openat,exit_group -o "$OUT/strace.${t##*/}.$r" \
            "$exe" --bench --warm-up-time 0.001 --measurement-time "$MT" --sample-size 10 \
            --nresamples 1 --noplot >/dev/null 2>&1)
    done
    echo "round $r load $(load)"
done
python3 - "$OUT"/strace.* <<'PY'
import collections, statistics, sys
phases = collections.defaultdict(list)
starts = []
for path in sys.argv[1:]:
    lines = open(path).read().splitlines()
    t0 = float(lines[0].split()[0])
    cur, first = {}, None
    for line in lines:
        stamp, _, call = line.partition(" ")
        t = float(stamp)
        if "Warming up" in call:
            cur = {"w": t}
            first = first or t
        elif "Collecting" in call and "w" in cur:
            cur["c"] = t
        elif "Analyzing" in call and "c" in cur:
            cur["a"] = t
        elif "records.jsonl" in call and "a" in cur:
            phases["warm-up"].append(cur["c"] - cur["w"])
            phases["sampling"].append(cur["a"] - cur["c"])
            phases["analysis"].append(t - cur["a"])
            cur = {}
    if first is not None:
        starts.append(first - t0)
for k, v in phases.items():
    print(f"{k:10} per benchmark: median {1000 * statistics.median(v):.1f} ms [{1000 * min(v):.1f}-{1000 * max(v):.1f}] n={len(v)}")
print(f"process start to the first warm-up: median {1000 * statistics.median(starts):.1f} ms "
      f"[{1000 * min(starts):.1f}-{1000 * max(starts):.1f}] n={len(starts)}")
PY
