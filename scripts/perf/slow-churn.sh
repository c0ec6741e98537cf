#!/usr/bin/env bash
# A scratch copy of examples/buffer-churn (in $SLOW, default /tmp/slow-churn) whose benchmark
# closure can do its work a second time every N-th iteration, N from the environment variable
# SLOWDOWN_EVERY (unset or 0: never). SLOWDOWN_EVERY=10 adds 10 % of the benchmark's own work
# to every iteration on average, whatever the machine's speed, and no allocation (the example's
# writer reuses its buffer). The check is a predictable branch on a captured integer, present
# with and without the slowdown, so both runs execute the same binary.
. "$(dirname "$0")/common.sh"
SLOW=${SLOW:-/tmp/slow-churn}
set -e
rm -rf "$SLOW"
cp -r "$EX/buffer-churn" "$SLOW"
cp "$EX/Cargo.lock" "$SLOW/Cargo.lock"
sed -i "s|path = \"../../harness\"|path = \"$SRC/harness\"|" "$SLOW/Cargo.toml"
printf '\n[workspace]\n\n[profile.bench]\ndebug = true\n' >>"$SLOW/Cargo.toml"
python3 - "$SLOW/benches/frames.rs" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
old = """        group.bench_with_input(BenchmarkId::new("write", name), record, |b, record| {
            b.iter(|| writer.write_record(black_box(record)))
        });"""
new = """        let every: u32 = std::env::var("SLOWDOWN_EVERY").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut left = every;
        group.bench_with_input(BenchmarkId::new("write", name), record, |b, record| {
            b.iter(|| {
                let r = writer.write_record(black_box(record));
                if every != 0 {
                    left -= 1;
                    if left == 0 {
                        left = every;
                        let _ = black_box(writer.write_record(black_box(record)));
                    }
                }
                r
            })
        });"""
assert old in s, "frames.rs changed: update scripts/perf/slow-churn.sh"
open(p, "w").write(s.replace(old, new))
PY
(cd "$SLOW" && CARGO_TARGET_DIR="$TD" cargo bench --no-run)
