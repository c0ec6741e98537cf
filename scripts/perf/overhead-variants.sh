#!/usr/bin/env bash
# What each part of allocbench::Alloc's hook costs: the interleaved overhead tool
# (scripts/perf/overhead) built against edited copies of the harness, in /tmp/variants, then run
# alternately. The edits remove work from the owner's path; they are measurements, not fixes
# (a variant without peak tracking has no peak_space). The edits match the harness up to commit
# 8a8d23c (as in $SRC, see common.sh); 376962b built `proposal`. To compare commits, use
# overhead-revs.sh.
#
#   scripts/perf/overhead-variants.sh [REPEATS=5] [THREADS=1] [SIZE=64]
#
#   base          the harness as it is
#   no-free-space owned_free does not keep free_space (it is alloc_space − live, per shard)
#   no-heap-flag  no load of READ_MOSTLY.heap_active per call (as if it shared the epoch's word)
#   no-peak       no peak tracking: owned_raise_peak / owned_restart_peak do nothing
#   minimal       all three: counts of blocks and bytes and the live bytes, nothing else
#   peak-no-epoch the hot path of a proposal: mark() resets every used shard's peak to its live
#                 value, so an allocation only raises the peak (one load and compare, no epoch
#                 loads) and a free does nothing for the peak (the mark() side is not built here)
#   proposal      peak-no-epoch and no-heap-flag together
#   lean          proposal, and no `live` counter: an allocation computes the live bytes as
#                 alloc_space − free_space for the peak check, a free only bumps free_objects and
#                 free_space (readers, mark() included, would compute live the same way)
. "$(dirname "$0")/common.sh"
set -e
REPEATS=${1:-5}; THREADS=${2:-1}; SIZE=${3:-64}
HERE=$(cd "$(dirname "$0")" && pwd)
V=/tmp/variants
VARIANTS=(base no-free-space no-heap-flag no-peak minimal peak-no-epoch proposal lean)
if [ "${BUILD:-1}" = 1 ]; then
    for v in ${ONLY:-"${VARIANTS[@]}"}; do
        rm -rf "$V/$v"; mkdir -p "$V/$v"
        # The harness inherits its package fields from the workspace: copy the workspace's manifest too.
        cp -r "$SRC/Cargo.toml" "$SRC/Cargo.lock" "$SRC/harness" "$SRC/cargo-allocbench" "$V/$v/"
        cp -r "$HERE/overhead" "$V/$v/tool"
        rm -rf "$V/$v/tool/target"
        sed -i "s|path = \"../../../harness\"|path = \"$V/$v/harness\"|" "$V/$v/tool/Cargo.toml"
        python3 - "$V/$v/harness/src/alloc.rs" "$v" <<'PY'
import sys
p, v = sys.argv[1], sys.argv[2]
s = open(p).read()
def sub(old, new):
    global s
    assert old in s, (v, old)
    s = s.replace(old, new)
if v in ("no-free-space", "minimal"):
    sub("        bump(&self.free_objects, 1);\n        bump(&self.free_space, size);\n        let before",
        "        bump(&self.free_objects, 1);\n        let before")
if v in ("no-heap-flag", "minimal", "proposal", "lean"):
    sub("    if READ_MOSTLY.heap_active.load(Relaxed) {\n        crate::heap::on_alloc", "    if false {\n        crate::heap::on_alloc")
    sub("    if READ_MOSTLY.heap_active.load(Relaxed) {\n        crate::heap::on_free", "    if false {\n        crate::heap::on_free")
if v in ("no-peak", "minimal"):
    sub("    fn owned_raise_peak(&self, live: u64) {\n", "    fn owned_raise_peak(&self, live: u64) {\n        let _ = live;\n        return;\n")
    sub("    fn owned_restart_peak(&self, live: u64) {\n", "    fn owned_restart_peak(&self, live: u64) {\n        let _ = live;\n        return;\n")
if v == "lean":
    sub("        bump(&self.alloc_objects, 1);\n        bump(&self.alloc_space, size);\n        let after = bump(&self.live, size);\n        self.owned_raise_peak(after);",
        "        bump(&self.alloc_objects, 1);\n        let after = bump(&self.alloc_space, size).wrapping_sub(self.free_space.load(Relaxed));\n        self.owned_raise_peak(after);")
    sub("        bump(&self.free_space, size);\n        let before = self.live.load(Relaxed);\n        self.live.store(before.wrapping_sub(size), Relaxed);\n        // A free never raises the peak; it only restarts a stale one from where it was.\n        self.owned_restart_peak(before);",
        "        bump(&self.free_space, size);")
if v in ("peak-no-epoch", "proposal", "lean"):
    sub("    fn owned_raise_peak(&self, live: u64) {\n", "    fn owned_raise_peak(&self, live: u64) {\n        if live as i64 > self.peak.load(Relaxed) as i64 {\n            self.peak.store(live, Relaxed);\n        }\n        return;\n")
    sub("    fn owned_restart_peak(&self, live: u64) {\n", "    fn owned_restart_peak(&self, live: u64) {\n        let _ = live;\n        return;\n")
open(p, "w").write(s)
PY
        (cd "$V/$v/tool" && CARGO_TARGET_DIR="$V/target" cargo build --release -q)
        cp "$V/target/release/allocbench-perf-overhead" "$V/$v/overhead"
    done
fi
for i in $(seq 1 "$REPEATS"); do
    for v in "${VARIANTS[@]}"; do
        printf '%s\t%s\t' "$v" "$i"
        "$V/$v/overhead" "$THREADS" "$SIZE" 200 20000 | awk '$1 == "allocbench" { print $2 "\t" $4 }'
    done
done
