#!/usr/bin/env bash
# Run time of the examples workspace, criterion's default settings, builds done beforehand.
# Interleaved: every round runs every arm once, in an order that rotates from round to round.
#
#   scripts/perf/runtime.sh [ROUNDS=3]
#
# Arms (all with the same, already built, bench executables):
#   bench      cargo bench --workspace                     (allocbench's front; criterion without rayon)
#   upstream   cargo bench --workspace                     (the examples on upstream criterion 0.8.2, rayon on)
#   full       cargo allocbench --workspace                (timing pass + CPU pass + heap-site pass)
#   cpu        cargo allocbench --workspace --heap-profile none        (timing + CPU)
#   timing     cargo allocbench --workspace --no-cpu-profile --heap-profile none   (timing only)
#   allocs     cargo allocbench --workspace --allocs-only  (hyperfine, 10 runs after 1 warm-up)
#
# Each `cargo bench` starts from an empty target/criterion (no previous run to compare with, as
# cargo allocbench's runs never have), so its figure is criterion's cheapest run.
# Output: $DATA/runtime/times.tsv (arm, round, seconds, load before, load after, exit code), the
# criterion folders and report.json of every run.
. "$(dirname "$0")/common.sh"
ROUNDS=${1:-3}
OUT=$DATA/runtime
mkdir -p "$OUT"
T=$OUT/times.tsv
ARMS=(bench upstream full cpu timing allocs)

run_arm() { # ARM ROUND
    local arm=$1 r=$2 dir=$OUT/r$2/$1 t0 t1 l0 rc
    mkdir -p "$dir"
    l0=$(load)
    case $arm in
    bench)
        rm -rf "$TD/criterion"
        t0=$(now); (cd "$EX" && CARGO_TARGET_DIR="$TD" cargo bench --workspace) >"$dir/stdout" 2>"$dir/stderr"; rc=$?; t1=$(now)
        cp -r "$TD/criterion" "$dir/criterion" ;;
    upstream)
        rm -rf "$TDU/criterion"
        t0=$(now); (cd "$UP" && CARGO_TARGET_DIR="$TDU" cargo bench --workspace) >"$dir/stdout" 2>"$dir/stderr"; rc=$?; t1=$(now)
        cp -r "$TDU/criterion" "$dir/criterion" ;;
    full | cpu | timing)
        local extra=()
        [ "$arm" = cpu ] && extra=(--heap-profile none)
        [ "$arm" = timing ] && extra=(--no-cpu-profile --heap-profile none)
        t0=$(now); "$BIN" allocbench --manifest-path "$EX/Cargo.toml" --workspace --target-dir "$TD" --out-dir "$dir/out" --color never "${extra[@]}" >"$dir/stdout" 2>"$dir/stderr"; rc=$?; t1=$(now) ;;
    allocs)
        t0=$(now)
        hyperfine --runs 10 --warmup 1 --export-json "$dir/hyperfine.json" -N \
            "$BIN allocbench --manifest-path $EX/Cargo.toml --workspace --target-dir $TD --out-dir $dir/out --allocs-only --color never" >"$dir/stdout" 2>"$dir/stderr"; rc=$?
        t1=$(now) ;;
    esac
    log "$T" "$arm" "$r" "$(echo "$t1 - $t0" | bc)" "$l0" "$(load)" "$rc"
    echo "round $r $arm: $(echo "$t1 - $t0" | bc) s (load $l0 -> $(load)), exit $rc"
}

for r in $(seq 1 "$ROUNDS"); do
    n=${#ARMS[@]}
    for k in $(seq 0 $((n - 1))); do
        run_arm "${ARMS[$(((k + r - 1) % n))]}" "$r"
    done
done
