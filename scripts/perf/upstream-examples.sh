#!/usr/bin/env bash
# A scratch copy of the examples whose benches run on upstream criterion 0.8.2 (default features:
# rayon, plotters, cargo_bench_support) instead of allocbench's front: the "before allocbench"
# reference of docs/performance.md. Nothing in the repository changes.
. "$(dirname "$0")/common.sh"
set -e
rm -rf "$UP"
cp -r "$EX" "$UP"
rm -rf "$UP/target"
sed -i 's|^criterion = { package = "allocbench", path = "../../harness" }|criterion = "0.8.2"|' "$UP"/*/Cargo.toml
grep -q '^criterion = "0.8.2"' "$UP"/json-fanout/Cargo.toml
(cd "$UP" && CARGO_TARGET_DIR="$TDU" cargo bench --workspace --no-run)
