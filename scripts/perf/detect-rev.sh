#!/usr/bin/env bash
# The time policy with `--baseline-rev HEAD --runs N`, where the base's runs alternate with the
# working tree's: TRIALS A/A trials and TRIALS trials with a 10 % slowdown in the working tree
# only, interleaved (aa, slow, aa, ...).
#
#   scripts/perf/detect-rev.sh [TRIALS=8] [RUNS=5]
#
# The subject is a git repository of its own in $SLOWREV (default /tmp/slow-churn-rev): the
# slow-churn copy (scripts/perf/slow-churn.sh) whose benchmark reads the slowdown from the file
# SLOWDOWN_EVERY in its own manifest folder. The file is ignored by git, so the worktree that
# `--baseline-rev HEAD` checks out never has it: writing `10` there slows the working tree alone.
# Each trial: `--baseline-rev HEAD --runs RUNS --no-cpu-profile --heap-profile none -- --warm-up-time
# 0.5 --measurement-time 2`; its report lands in $DATA/detect/time-rev/<trial>/cmp, where
# `summarize.py detect` reads it.
. "$(dirname "$0")/common.sh"
set -e
TRIALS=${1:-8}; RUNS=${2:-5}
SLOWREV=${SLOWREV:-/tmp/slow-churn-rev}
SLOW=$SLOWREV "$(dirname "$0")/slow-churn.sh"
python3 - "$SLOWREV/benches/frames.rs" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
old = 'std::env::var("SLOWDOWN_EVERY").ok().and_then(|v| v.parse().ok()).unwrap_or(0)'
new = 'std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/SLOWDOWN_EVERY")).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(0)'
assert old in s, "slow-churn.sh changed: update detect-rev.sh"
open(p, "w").write(s.replace(old, new))
PY
printf '/target\nSLOWDOWN_EVERY\n' >"$SLOWREV/.gitignore"
git -C "$SLOWREV" init -q
git -C "$SLOWREV" add .
git -C "$SLOWREV" -c user.name=perf -c user.email=perf@example.invalid commit -qm "slow-churn"
set +e
d=$DATA/detect/time-rev; rm -rf "$d"; mkdir -p "$d"
AB=("$BIN" allocbench --color never --manifest-path "$SLOWREV/Cargo.toml" --target-dir "$TD" --baseline-rev HEAD
    --runs "$RUNS" --no-cpu-profile --heap-profile none)
for i in $(seq 1 "$TRIALS"); do
    for kind in aa slow; do
        t=$d/$kind-$i; mkdir -p "$t"
        l0=$(load)
        if [ $kind = slow ]; then echo 10 >"$SLOWREV/SLOWDOWN_EVERY"; else rm -f "$SLOWREV/SLOWDOWN_EVERY"; fi
        "${AB[@]}" --out-dir "$t/cmp" -- --warm-up-time 0.5 --measurement-time 2 >"$t/cmp.log" 2>&1
        echo "$kind-$i: exit $? (load $l0 -> $(load))"
    done
done
rm -f "$SLOWREV/SLOWDOWN_EVERY"
