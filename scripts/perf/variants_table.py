#!/usr/bin/env python3
"""Table of scripts/perf/overhead-variants.sh's output: per variant, the median over repeats of
(allocbench − System) per alloc/free pair, each repeat itself a median over interleaved rounds."""
import collections
import statistics
import sys

ns, over = collections.defaultdict(list), collections.defaultdict(list)
for line in open(sys.argv[1]):
    v, _, a, b = line.rstrip("\n").split("\t")
    ns[v].append(float(a))
    over[v].append(float(b))
print("| variant | ns per pair | over System, ns: median (min–max over repeats) |")
print("| --- | ---: | ---: |")
for v in over:
    o = over[v]
    print(f"| {v} | {statistics.median(ns[v]):.2f} | {statistics.median(o):+.2f} ({min(o):+.2f} … {max(o):+.2f}, n={len(o)}) |")
