#!/usr/bin/env bash
# The runtime signals' A/A noise and the `regress` features' catch (issue 23, docs/performance.md
# §17): on the bundled examples and on fixtures/signals (and fixtures/exact, EXACT=1), a baseline
# saved once, then N rounds of
#   - an A/A comparison: `--allocs-only --baseline "$NAME"` on the unchanged code, and
#   - a regress comparison: the same with `--features regress` (examples only), and, with
#     DEFAULT=1, the same again without LIMITS (`defregress`: what the default limits catch),
# interleaved, so that all see the same load; and a few full-run A/A pairs on
# thread-per-request (does `threads_alive` stay exact outside `--allocs-only`?). Each run's
# report.json is kept; scripts/perf/signals_aa.py tabulates them.
#
#   cargo build -p cargo-allocbench          # the binary the script runs (BIN)
#   scripts/perf/signals-aa.sh               # N=20 rounds; DATA=/tmp/signals-aa
#   python3 scripts/perf/signals_aa.py /tmp/signals-aa
#
# Extra arguments of every comparison (not of the baseline) go in LIMITS, e.g.
# LIMITS="--limit voluntary_switches=50%": the figures are the same, only the verdicts change.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BIN:-$ROOT/target/debug/cargo-allocbench}
TD=${TD:-$ROOT/target/aa}                     # the fixtures' target dir
ETD=${ETD:-$TD}                               # the examples' (examples/target: their own)
DATA=${DATA:-/tmp/signals-aa}
N=${N:-20}                                    # rounds of A/A (and of regress)
FULL=${FULL:-10}                              # full-run A/A comparisons on thread-per-request
LIMITS=${LIMITS:-}
DEFAULT=${DEFAULT:-0}                         # 1: also the regress comparisons without LIMITS
EXACT=${EXACT:-0}                             # 1: also A/A comparisons of fixtures/exact
FIXTURES=${FIXTURES:-1}                       # 0: the examples only (no fixtures/signals)
PKG=${PKG:---workspace}                       # which examples, e.g. PKG="-p lock-per-item"
NAME=${NAME:-aa}                              # the baselines' name

mkdir -p "$DATA"
LOG=$DATA/runs.tsv                            # what ran, its exit code, seconds and load
[ -s "$LOG" ] || printf 'suite\tkind\tround\texit\tseconds\tload_before\tload_after\n' >"$LOG"

load() { cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,; }
# run SUITE KIND ROUND ARGS...: one cargo allocbench run, its report kept in DATA/SUITE/KIND-ROUND.
run() {
    local suite=$1 kind=$2 round=$3 td=$TD
    shift 3
    [ "$suite" = examples ] && td=$ETD
    local out=$DATA/$suite/$kind-$round l0 s e rc
    rm -rf "$out"
    mkdir -p "$out"
    l0=$(load)
    s=$(date +%s.%N)
    "$BIN" allocbench --target-dir "$td" --baseline-dir "$DATA/$suite/baselines" --out-dir "$out" \
        --color never "$@" >"$out/stdout" 2>"$out/stderr"
    rc=$?
    e=$(date +%s.%N)
    printf '%s\t%s\t%s\t%s\t%.2f\t%s\t%s\n' "$suite" "$kind" "$round" "$rc" "$(echo "$e - $s" | bc)" "$l0" "$(load)" >>"$LOG"
    echo "$suite $kind $round: exit $rc" >&2
}

# shellcheck disable=SC2206 # PKG is a list of arguments
EXAMPLES=(--manifest-path "$ROOT/examples/Cargo.toml" $PKG)
FIXTURE=(--manifest-path "$ROOT/fixtures/signals/Cargo.toml")
EXACT_FIXTURE=(--manifest-path "$ROOT/fixtures/exact/Cargo.toml")

# Build everything first (the build is not part of any run's figures), then the baselines.
# shellcheck disable=SC2086
CARGO_TARGET_DIR=$ETD cargo bench --manifest-path "$ROOT/examples/Cargo.toml" $PKG --no-run -q
# shellcheck disable=SC2086
CARGO_TARGET_DIR=$ETD cargo bench --manifest-path "$ROOT/examples/Cargo.toml" $PKG --features regress --no-run -q
[ "$FIXTURES" = 1 ] && CARGO_TARGET_DIR=$TD cargo bench --manifest-path "$ROOT/fixtures/signals/Cargo.toml" --no-run -q
[ "$EXACT" = 1 ] && CARGO_TARGET_DIR=$TD cargo bench --manifest-path "$ROOT/fixtures/exact/Cargo.toml" --no-run -q

run examples base 0 "${EXAMPLES[@]}" --allocs-only --save-baseline "$NAME"
[ "$FIXTURES" = 1 ] && run fixture base 0 "${FIXTURE[@]}" --allocs-only --save-baseline "$NAME"
[ "$EXACT" = 1 ] && run exact base 0 "${EXACT_FIXTURE[@]}" --allocs-only --save-baseline "$NAME"
for i in $(seq 1 "$N"); do
    # shellcheck disable=SC2086 # LIMITS is a list of arguments
    run examples aa "$i" "${EXAMPLES[@]}" --allocs-only --baseline "$NAME" $LIMITS
    # shellcheck disable=SC2086
    run examples regress "$i" "${EXAMPLES[@]}" --allocs-only --baseline "$NAME" --features regress $LIMITS
    [ "$DEFAULT" = 1 ] && run examples defregress "$i" "${EXAMPLES[@]}" --allocs-only --baseline "$NAME" --features regress
    # shellcheck disable=SC2086
    [ "$FIXTURES" = 1 ] && run fixture aa "$i" "${FIXTURE[@]}" --allocs-only --baseline "$NAME" $LIMITS
    # shellcheck disable=SC2086
    [ "$EXACT" = 1 ] && run exact aa "$i" "${EXACT_FIXTURE[@]}" --allocs-only --baseline "$NAME" $LIMITS
done

# Full runs (criterion's timing, CPU profile, allocation sites) of thread-per-request alone.
if [ "$FULL" -gt 0 ]; then
    TPR=(--manifest-path "$ROOT/examples/Cargo.toml" -p thread-per-request)
    run full base 0 "${TPR[@]}" --save-baseline full
    for i in $(seq 1 "$FULL"); do
        # shellcheck disable=SC2086
        run full aa "$i" "${TPR[@]}" --baseline full $LIMITS
    done
fi
