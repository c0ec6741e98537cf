#!/usr/bin/env bash
# Time distortion: criterion's typical time per iteration of the examples' benchmarks under
# `cargo allocbench` (timing pass only) against plain `cargo bench` (allocbench's front) and
# against the same benches on upstream criterion 0.8.2, same criterion arguments, interleaved.
#
#   scripts/perf/distortion.sh [ROUNDS=5] [criterion args, default: --warm-up-time 1 --measurement-time 3]
#
# Arms per round, order rotating from round to round:
#   bench      cd $EX && cargo bench --workspace -- ARGS
#   upstream   cd $UP && cargo bench --workspace -- ARGS
#   allocbench cargo allocbench --workspace --no-cpu-profile --heap-profile none -- ARGS
# Environment: SEL (package selection, default `--workspace`; e.g. SEL="-p buffer-churn -p unbounded-history"),
# NOPLOT=1 (give the two `cargo bench` arms `--noplot` as well: allocbench passes it to criterion
# itself; plots change the wall time, not the measurement), NAME (folder under $DATA, default distortion).
# Output under $DATA/$NAME/r<round>/<arm>/; summarise with scripts/perf/summarize.py distortion $DATA/$NAME.
. "$(dirname "$0")/common.sh"
ROUNDS=${1:-5}
shift || true
ARGS=("$@")
[ ${#ARGS[@]} -eq 0 ] && ARGS=(--warm-up-time 1 --measurement-time 3)
read -r -a SELA <<<"${SEL:---workspace}"
PLOT=()
[ "${NOPLOT:-0}" = 1 ] && PLOT=(--noplot)
OUT=$DATA/${NAME:-distortion}
mkdir -p "$OUT"
T=$OUT/times.tsv
ARMS=(bench upstream allocbench)
printf '%s\n' "${ARGS[*]} (selection: ${SELA[*]}; cargo bench arms also: ${PLOT[*]:-})" >"$OUT/criterion-args"

run_arm() {
    local arm=$1 r=$2 dir=$OUT/r$2/$1 t0 t1 l0 rc
    mkdir -p "$dir"
    l0=$(load)
    case $arm in
    bench)
        rm -rf "$TD/criterion"
        t0=$(now); (cd "$EX" && CARGO_TARGET_DIR="$TD" cargo bench "${SELA[@]}" -- "${ARGS[@]}" "${PLOT[@]}") >"$dir/stdout" 2>"$dir/stderr"; rc=$?; t1=$(now)
        cp -r "$TD/criterion" "$dir/criterion" ;;
    upstream)
        rm -rf "$TDU/criterion"
        t0=$(now); (cd "$UP" && CARGO_TARGET_DIR="$TDU" cargo bench "${SELA[@]}" -- "${ARGS[@]}" "${PLOT[@]}") >"$dir/stdout" 2>"$dir/stderr"; rc=$?; t1=$(now)
        cp -r "$TDU/criterion" "$dir/criterion" ;;
    allocbench)
        t0=$(now); "$BIN" allocbench --manifest-path "$EX/Cargo.toml" "${SELA[@]}" --target-dir "$TD" --out-dir "$dir/out" --color never --no-cpu-profile --heap-profile none -- "${ARGS[@]}" >"$dir/stdout" 2>"$dir/stderr"; rc=$?; t1=$(now) ;;
    esac
    log "$T" "$arm" "$r" "$(echo "$t1 - $t0" | bc)" "$l0" "$(load)" "$rc"
    echo "round $r $arm: $(echo "$t1 - $t0" | bc) s (load $l0 -> $(load)), exit $rc"
}

for r in $(seq 1 "$ROUNDS"); do
    for k in 0 1 2; do
        run_arm "${ARMS[$(((k + r - 1) % 3))]}" "$r"
    done
done
