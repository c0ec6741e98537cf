# Shared settings of the scripts/perf/*.sh campaigns (sourced, not run).
#
# The campaigns measure a clean export of one commit, so that other engineers' uncommitted work
# in the working tree neither breaks the build nor changes the figures:
#
#   C=$(git rev-parse HEAD); rm -rf /tmp/ab-head; mkdir -p /tmp/ab-head
#   git archive "$C" | tar -x -C /tmp/ab-head; echo "$C" > /tmp/ab-head/COMMIT
#   (cd /tmp/ab-head && cargo build --release -p cargo-allocbench --target-dir "$TD")
#   cp "$TD/release/cargo-allocbench" /tmp/ab-bin/
#   (cd /tmp/ab-head/examples && CARGO_TARGET_DIR="$TD" cargo bench --workspace --no-run)
#
# and, for the comparison with upstream criterion, a scratch copy of the examples whose
# dev-dependency is criterion itself (see scripts/perf/upstream-examples.sh).
set -u
SRC=${SRC:-/tmp/ab-head}                      # the clean export
EX=${EX:-$SRC/examples}                       # the examples workspace
UP=${UP:-/tmp/upstream-examples}              # the examples on upstream criterion 0.8.2
BIN=${BIN:-/tmp/ab-bin/cargo-allocbench}      # cargo-allocbench built from $SRC
TD=${TD:-/work/main/target/perf}              # target dir for $EX (and cargo allocbench)
TDU=${TDU:-/work/main/target/perf-upstream}   # target dir for $UP
DATA=${DATA:-/tmp/perf}                       # where the campaigns keep what they measured

now() { date +%s.%N; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
# log FILE ARM ROUND SECONDS LOAD_BEFORE LOAD_AFTER EXIT
log() { printf '%s\t%s\t%.3f\t%s\t%s\t%s\n' "$2" "$3" "$4" "$5" "$6" "$7" >>"$1"; }
