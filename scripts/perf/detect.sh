#!/usr/bin/env bash
# Detection power of the gate.
#
#   scripts/perf/detect.sh alloc [RUNS=20]     allocation figures: A/A false alarms and one extra allocation
#   scripts/perf/detect.sh time  [TRIALS=20]   time policy: a 10 % slowdown, and A/A (needs scripts/perf/slow-churn.sh)
#
# alloc:
#   aa-allocs       the examples workspace: `--allocs-only --save-baseline aa` once, then RUNS
#                   runs of `--allocs-only --baseline aa`; a false alarm is an exit code other than 0.
#   aa-exact        fixtures/exact: the same A/A, on the fixture (it has a two-thread benchmark).
#   regress-exact   fixtures/exact: baseline without features, then RUNS runs with `--features
#                   regress` (exactly one more 8-byte allocation per iteration of `vec/iter`);
#                   caught = exit code 1.
#   regress-fanout  json-fanout: baseline without features, then RUNS runs with `--features regress`.
# time: TRIALS independent A/A trials and TRIALS slowdown trials, interleaved (aa, slow, aa, ...).
#   Each trial: one run of the slow-churn copy without slowdown, saved as a baseline of its own,
#   then one run compared with it, with SLOWDOWN_EVERY=10 (slow) or without (aa). Both runs:
#   `--no-cpu-profile --heap-profile none -- --warm-up-time 0.5 --measurement-time 2`.
#
#   scripts/perf/detect.sh time-runs [TRIALS=10]   the same trials with `--runs ${RUNS:-5}` on both
#                   runs of a trial: time compared across runs (permutation test).
. "$(dirname "$0")/common.sh"
SLOW=${SLOW:-/tmp/slow-churn}
OUT=$DATA/detect
what=${1:?alloc or time}
N=${2:-20}
AB=("$BIN" allocbench --color never)

case $what in
alloc)
    for set in aa-allocs aa-exact regress-exact regress-fanout; do
        d=$OUT/$set; rm -rf "$d"; mkdir -p "$d"
        case $set in
        aa-allocs) sel=(--manifest-path "$EX/Cargo.toml" --workspace); feat=() ;;
        aa-exact) sel=(--manifest-path "$SRC/fixtures/exact/Cargo.toml"); feat=() ;;
        regress-exact) sel=(--manifest-path "$SRC/fixtures/exact/Cargo.toml"); feat=(--features regress) ;;
        regress-fanout) sel=(--manifest-path "$EX/Cargo.toml" -p json-fanout); feat=(--features regress) ;;
        esac
        # Builds of both feature sets first, so that no run below compiles.
        "${AB[@]}" "${sel[@]}" --target-dir "$TD" --out-dir "$d/base" --baseline-dir "$d/baselines" --allocs-only --save-baseline base >"$d/base.log" 2>&1 || echo "baseline of $set failed: $?"
        [ ${#feat[@]} -gt 0 ] && (cd "$(dirname "${sel[1]}")" && CARGO_TARGET_DIR="$TD" cargo bench "${sel[@]:2}" "${feat[@]}" --no-run >/dev/null 2>&1)
        : >"$d/exits"
        for i in $(seq 1 "$N"); do
            "${AB[@]}" "${sel[@]}" "${feat[@]}" --target-dir "$TD" --out-dir "$d/run$i" --baseline-dir "$d/baselines" --allocs-only --baseline base >"$d/run$i.log" 2>&1
            echo $? >>"$d/exits"
        done
        echo "$set: $(tr '\n' ' ' <"$d/exits")"
    done ;;
time|time-runs)
    d=$OUT/$what; rm -rf "$d"; mkdir -p "$d"
    args=(--manifest-path "$SLOW/Cargo.toml" --target-dir "$TD" --baseline-dir "$d/baselines" --no-cpu-profile --heap-profile none)
    [ "$what" = time-runs ] && args+=(--runs "${RUNS:-5}")
    crit=(-- --warm-up-time 0.5 --measurement-time 2)
    for i in $(seq 1 "$N"); do
        for kind in aa slow; do
            t=$d/$kind-$i; mkdir -p "$t"
            l0=$(load)
            SLOWDOWN_EVERY=0 "${AB[@]}" "${args[@]}" --out-dir "$t/base" --save-baseline "$kind-$i" "${crit[@]}" >"$t/base.log" 2>&1
            [ $kind = slow ] && every=10 || every=0
            SLOWDOWN_EVERY=$every "${AB[@]}" "${args[@]}" --out-dir "$t/cmp" --baseline "$kind-$i" "${crit[@]}" >"$t/cmp.log" 2>&1
            echo "$kind-$i: exit $? (load $l0 -> $(load))"
        done
    done ;;
esac
