#!/usr/bin/env bash
# Where a bench target's time goes under the instruction pass (issue 24): docs/performance.md §15,
# "A bench target under callgrind, in CPU seconds".
#
#   scripts/perf/instructions-cost.sh [ROUNDS=3]
#
# CPU seconds (user + system, /usr/bin/time), which a shared machine inflates far less than wall
# time, of each examples bench target run by hand as the instruction pass runs it: the copy
# without debug information (`objcopy --strip-debug`, as the pass makes it), the pass's criterion
# arguments and callgrind options, the harness in the instruction pass's mode. Interleaved: every
# round runs every arm on every target once. Arms:
#   native        the executable itself, no valgrind, as `--allocs-only` runs it
#   true_none     `valgrind --tool=none /bin/true`: valgrind's own start
#   true_cg       the same under callgrind
#   list_none     `--bench --list` under `--tool=none`: the process's start, no benchmark
#   list_cg       the same under callgrind
#   pass_none     the pass's run under `--tool=none` (nothing instrumented, nothing counted)
#   pass_atstart  the pass's run under callgrind `--instr-atstart=no` (the harness never switches
#                 instrumentation on: nothing counted; the bound on what instrumenting less saves)
#   pass          the pass's run, as `cargo allocbench --instructions` makes it
# and, on two targets, the pass's run with one more valgrind option each (VARIANTS below).
# Output: one line per run, `TARGET ARM WALL USER SYS`, in $DATA/instructions-cost/runs.txt, and
# the medians per target and arm.
#
# EX is the examples workspace with its benches built (`cargo bench --workspace --no-run`), TD
# its target directory.
. "$(dirname "$0")/common.sh"
ROUNDS=${1:-3}
OUT=$DATA/instructions-cost
mkdir -p "$OUT"
RUNS=$OUT/runs.txt
: >"$RUNS"
TARGETS=(buffer-churn/frames json-fanout/fanout lock-per-item/pool regex-hotpath/logscan
    thread-per-request/serve unbounded-history/history unbuffered-log/log)
ARMS=(native true_none true_cg list_none list_cg pass_none pass_atstart pass)
declare -A VARIANTS=(
    [iropt0]="--vex-iropt-level=0" [iropt1]="--vex-iropt-level=1" [nochase]="--vex-guest-chase=no"
    [vgdbno]="--vgdb=no" [smcnone]="--smc-check=none" [inline_no]="--read-inline-info=no"
    [fair]="--fair-sched=yes" [spmem]="--vex-iropt-register-updates=sp-at-mem-access"
)
CRIT=(--bench --warm-up-time 0.001 --measurement-time 0.01 --sample-size 10 --nresamples 1 --noplot)

exe_of() { # TARGET -> the newest bench executable of that target
    ls -t "$TD"/release/deps/"${1##*/}"-* | grep -E '/[^/.]+-[0-9a-f]{16}$' | head -1
}
for t in "${TARGETS[@]}"; do
    objcopy --strip-debug "$(exe_of "$t")" "$OUT/${t##*/}.stripped"
done

run() { # TARGET ARM [EXTRA valgrind options]
    local t=$1 arm=$2 extra=${3:-} w=$OUT/work exe strip
    exe=$(exe_of "$t")
    strip=$OUT/${t##*/}.stripped
    rm -rf "$w" && mkdir -p "$w/criterion"
    local cg=(valgrind --tool=callgrind --collect-atstart=no --dump-line=no --compress-strings=no --quiet
        "--callgrind-out-file=$w/callgrind.out.%p")
    local cmd mode=instructions
    case $arm in
    native) mode=allocs-only cmd=("$exe" "${CRIT[@]}") ;;
    true_none) cmd=(valgrind --tool=none --quiet /bin/true) ;;
    true_cg) cmd=("${cg[@]}" /bin/true) ;;
    list_none) cmd=(valgrind --tool=none --quiet "$strip" --bench --list) ;;
    list_cg) cmd=("${cg[@]}" "$strip" --bench --list) ;;
    pass_none) cmd=(valgrind --tool=none --quiet "$strip" "${CRIT[@]}") ;;
    pass_atstart) cmd=("${cg[@]}" --instr-atstart=no "$strip" "${CRIT[@]}") ;;
    *) cmd=("${cg[@]}" $extra "$strip" "${CRIT[@]}") ;;
    esac
    (cd "$EX/${t%%/*}" && ALLOCBENCH_MODE=$mode ALLOCBENCH_RECORDS=$w/records.jsonl \
        ALLOCBENCH_STARTED=$w/started.jsonl CRITERION_HOME=$w/criterion \
        /usr/bin/time -f "$t $arm %e %U %S" -a -o "$RUNS" "${cmd[@]}" >/dev/null 2>&1)
}

for r in $(seq "$ROUNDS"); do
    for t in "${TARGETS[@]}"; do
        for arm in "${ARMS[@]}"; do run "$t" "$arm"; done
    done
    for t in json-fanout/fanout regex-hotpath/logscan; do
        for v in "${!VARIANTS[@]}"; do run "$t" "opt_$v" "${VARIANTS[$v]}"; done
    done
    echo "round $r load $(load)"
done
python3 - "$RUNS" <<'PY'
import collections, statistics, sys
cpu = collections.defaultdict(list)
for line in open(sys.argv[1]):
    t, arm, wall, user, sys_ = line.split()
    cpu[(t, arm)].append(float(user) + float(sys_))
arms = sorted({a for _, a in cpu}, key=lambda a: (a.startswith("opt_"), a))
total = collections.Counter()
for t in sorted({t for t, _ in cpu}):
    for a in arms:
        if (t, a) in cpu:
            v = cpu[(t, a)]
            m = statistics.median(v)
            total[a] += m
            print(f"{t:28} {a:14} cpu median {m:.3f} s [{min(v):.2f}-{max(v):.2f}] n={len(v)}")
for a in arms:
    print(f"{'sum of medians':28} {a:14} {total[a]:.2f} s")
PY
