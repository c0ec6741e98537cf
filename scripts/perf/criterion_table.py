#!/usr/bin/env python3
"""Median and spread of criterion's point estimates over several runs of the same bench.

Usage: criterion_table.py [--vs NAME] RUN_OUTPUT...

Each RUN_OUTPUT is the captured stdout of one `cargo bench` (criterion's text output). For every
benchmark id it prints the median of the middle value of `time: [low mid high]` over the runs,
the min and max, and, with `--vs System`, the difference from the benchmark of the same group and
size whose function is `System` (the median of the per-run differences, so that a busy moment
that slows both rows of one run cancels out).
"""
import re
import statistics
import sys

UNITS = {"ps": 1e-3, "ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}


def parse(path):
    out = {}
    current = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^(\S+)\s*(time:\s*\[.*)?$", line.rstrip("\n"))
            if m and not line.startswith("Benchmarking") and "/" in m.group(1):
                current = m.group(1)
                if m.group(2) is None:
                    continue
                line = m.group(2)
            t = re.search(r"time:\s*\[(\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\]", line)
            if t and current:
                out[current] = float(t.group(3)) * UNITS[t.group(4)]
                current = None
    return out


def main():
    args = sys.argv[1:]
    vs = None
    if args[:1] == ["--vs"]:
        vs, args = args[1], args[2:]
    runs = [parse(p) for p in args]
    ids = [k for k in runs[0]]
    print(f"| benchmark | median ns/iter | min–max | runs |" + (f" − {vs} (median of per-run differences) |" if vs else ""))
    print("| --- | ---: | ---: | ---: |" + (" ---: |" if vs else ""))
    for bid in ids:
        vals = [r[bid] for r in runs if bid in r]
        row = f"| `{bid}` | {statistics.median(vals):.2f} | {min(vals):.2f}–{max(vals):.2f} | {len(vals)} |"
        if vs:
            parts = bid.split("/")
            ref = "/".join(parts[:-2] + [vs, parts[-1]]) if len(parts) >= 3 else None
            diffs = [r[bid] - r[ref] for r in runs if ref and bid in r and ref in r]
            row += f" {statistics.median(diffs):+.2f} ({min(diffs):+.2f}…{max(diffs):+.2f}) |" if diffs else " |"
        print(row)


if __name__ == "__main__":
    main()
