#!/usr/bin/env python3
"""Tables for docs/performance.md from what the scripts/perf/*.sh campaigns left in $DATA.

  summarize.py runtime    [DATA/runtime]      run times and ratios (scripts/perf/runtime.sh)
  summarize.py distortion [DATA/distortion]   time per iteration, allocbench vs cargo bench (scripts/perf/distortion.sh)
  summarize.py heapcost   [DATA/runtime]      per-allocation cost of the heap-site pass, from the full runs
  summarize.py detect     [DATA/detect]       detection power (scripts/perf/detect.sh)
  summarize.py phases     [DATA/runtime]      seconds per pass of the cargo allocbench runs, from file times

Medians with min–max over rounds; ratios are taken within a round (interleaved runs) first.
"""
import glob
import json
import os
import statistics as st
import sys
from collections import defaultdict

DATA = os.environ.get("DATA", "/tmp/perf")


def med(v):
    return st.median(v) if v else float("nan")


def spread(v, fmt="{:.2f}"):
    if not v:
        return "–"
    return f"{fmt.format(med(v))} ({fmt.format(min(v))}–{fmt.format(max(v))}, n={len(v)})"


def read_times(d):
    rows = []
    with open(os.path.join(d, "times.tsv")) as f:
        for line in f:
            arm, r, secs, l0, l1, rc = line.rstrip("\n").split("\t")
            rows.append({"arm": arm, "round": int(r), "secs": float(secs), "load0": l0, "load1": l1, "rc": int(rc)})
    return rows


def criterion_typical(crit_dir):
    """id -> typical ns (slope when criterion fitted one, else the mean), from a criterion folder."""
    out = {}
    for est in glob.glob(os.path.join(crit_dir, "**", "new", "estimates.json"), recursive=True):
        bench_dir = os.path.dirname(os.path.dirname(est))
        bid = os.path.relpath(bench_dir, crit_dir)
        e = json.load(open(est))
        slope = e.get("slope")
        out[bid] = (slope or e["mean"])["point_estimate"]
    return out


def report_typical(report):
    r = json.load(open(report))
    return {b["id"]: b["time"]["typical_ns"] for b in r["benchmarks"] if b.get("time")}


def runtime(d):
    rows = read_times(d)
    by = defaultdict(dict)
    for x in rows:
        by[x["round"]][x["arm"]] = x
    # allocs: hyperfine's mean of one invocation
    for r, arms in by.items():
        hj = os.path.join(d, f"r{r}", "allocs", "hyperfine.json")
        if "allocs" in arms and os.path.exists(hj):
            res = json.load(open(hj))["results"][0]
            arms["allocs"]["secs"] = res["mean"]
            arms["allocs"]["runs"] = res["times"]
    nbench = None
    for r, arms in by.items():
        rep = os.path.join(d, f"r{r}", "timing", "out", "report.json")
        if os.path.exists(rep):
            nbench = len(json.load(open(rep))["benchmarks"])
    print(f"rounds: {sorted(by)}; benchmarks per run: {nbench}")
    print("\n| arm | wall time, s: median (min–max) | loads (1-min) before each run | exit codes |")
    print("| --- | ---: | --- | --- |")
    for arm in ["bench", "upstream", "timing", "cpu", "full", "allocs"]:
        v = [by[r][arm]["secs"] for r in sorted(by) if arm in by[r]]
        loads = ", ".join(by[r][arm]["load0"].split()[0] for r in sorted(by) if arm in by[r])
        rcs = ",".join(str(by[r][arm]["rc"]) for r in sorted(by) if arm in by[r])
        print(f"| {arm} | {spread(v)} | {loads} | {rcs} |")
    allr = [x for r in by for x in by[r].get("allocs", {}).get("runs", [])]
    if allr:
        print(f"\nallocs-only, every hyperfine run: {spread(allr, '{:.3f}')}")

    def ratio(a, b):
        return [by[r][a]["secs"] / by[r][b]["secs"] for r in sorted(by) if a in by[r] and b in by[r]]

    def diff(a, b, div=1):
        return [(by[r][a]["secs"] - by[r][b]["secs"]) / div for r in sorted(by) if a in by[r] and b in by[r]]

    print("\n| ratio, within a round | median (min–max) |")
    print("| --- | ---: |")
    for a, b in [("bench", "allocs"), ("upstream", "allocs"), ("full", "bench"), ("full", "upstream"),
                 ("timing", "bench"), ("timing", "upstream"), ("bench", "upstream")]:
        print(f"| {a} / {b} | {spread(ratio(a, b))} |")
    if nbench:
        print("\n| pass | seconds: median (min–max) |")
        print("| --- | ---: |")
        print(f"| CPU pass, per benchmark: (cpu − timing) / {nbench} | {spread(diff('cpu', 'timing', nbench))} |")
        print(f"| heap-site pass, whole run: full − cpu | {spread(diff('full', 'cpu'))} |")
        print(f"| heap-site pass, per benchmark | {spread(diff('full', 'cpu', nbench))} |")


def distortion(d):
    rounds = sorted(int(p.split("/r")[-1]) for p in glob.glob(os.path.join(d, "r*")))
    vals = defaultdict(lambda: defaultdict(dict))  # id -> round -> arm -> ns
    loads = []
    for r in rounds:
        base = os.path.join(d, f"r{r}")
        for arm in ["bench", "upstream"]:
            c = os.path.join(base, arm, "criterion")
            if os.path.isdir(c):
                for k, v in criterion_typical(c).items():
                    vals[k][r][arm] = v
        rep = os.path.join(base, "allocbench", "out", "report.json")
        if not os.path.exists(rep):  # runtime.sh's timing-only arm
            rep = os.path.join(base, "timing", "out", "report.json")
        if os.path.exists(rep):
            for k, v in report_typical(rep).items():
                vals[k][r]["allocbench"] = v
    try:
        rows = read_times(d)
        loads = [float(x["load0"].split()[0]) for x in rows]
        print(f"1-min load before the runs: median {med(loads):.2f}, min {min(loads):.2f}, max {max(loads):.2f}")
        a = os.path.join(d, "criterion-args")
        args = open(a).read().strip() if os.path.exists(a) else "criterion's defaults"
        print(f"criterion args: {args}; rounds: {rounds}")
    except FileNotFoundError:
        pass
    print("\n| benchmark | cargo bench (allocbench front), ns | upstream criterion, ns | cargo allocbench, ns | allocbench / front | allocbench / upstream | front / upstream |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    allr = defaultdict(list)
    for bid in sorted(vals):
        per = vals[bid]

        def col(arm):
            return [per[r][arm] for r in rounds if arm in per[r]]

        def rat(a, b):
            return [per[r][a] / per[r][b] for r in rounds if a in per[r] and b in per[r]]

        cells = [spread(col("bench"), "{:.1f}"), spread(col("upstream"), "{:.1f}"), spread(col("allocbench"), "{:.1f}")]
        ratios = []
        for a, b in [("allocbench", "bench"), ("allocbench", "upstream"), ("bench", "upstream")]:
            rr = rat(a, b)
            allr[(a, b)] += rr
            ratios.append(spread(rr, "{:.3f}"))
        print(f"| `{bid}` | " + " | ".join(cells + ratios) + " |")
    print("\nall benchmarks pooled: " + "; ".join(f"{a}/{b} {spread(v, '{:.3f}')}" for (a, b), v in allr.items()))


def heapcost(d):
    """Per allocation: (heap-pass ns/iter − timing ns/iter) / allocs per iteration, for the full runs."""
    print("| benchmark | allocs/iter | iterations in the heap pass (median) | ns/iter, heap pass | ns/iter, timing pass | µs per allocation |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    acc = defaultdict(lambda: defaultdict(list))
    for rep in sorted(glob.glob(os.path.join(d, "r*", "full", "out", "report.json"))):
        out = os.path.dirname(rep)
        r = json.load(open(rep))
        for b in r["benchmarks"]:
            crit = os.path.join(out, "runs", "heap", b["package"], b["target"], "criterion", b["id"], "new", "sample.json")
            if not os.path.exists(crit) or not b.get("time"):
                continue
            s = json.load(open(crit))
            iters, times = sum(s["iters"]), sum(s["times"])
            a = acc[b["id"]]
            a["allocs"].append(b["alloc"]["alloc_objects"])
            a["iters"].append(iters)
            a["heap"].append(times / iters)
            a["timing"].append(b["time"]["typical_ns"])
    for bid, a in sorted(acc.items()):
        n = med(a["allocs"])
        per = [(h - t) / n / 1000 for h, t in zip(a["heap"], a["timing"])] if n else []
        print(f"| `{bid}` | {n:g} | {med(a['iters']):.0f} | {med(a['heap']):.0f} | {med(a['timing']):.0f} | {spread(per) if per else '–'} |")


def detect(d):
    for name in ["aa-allocs", "regress-exact", "regress-fanout"]:
        f = os.path.join(d, name, "exits")
        if os.path.exists(f):
            codes = [int(x) for x in open(f).read().split()]
            nz = sum(1 for c in codes if c != 0)
            print(f"{name}: {len(codes)} runs, exit != 0 in {nz}; exit codes {sorted(set(codes))}")
    tdir = os.path.join(d, "time")
    if os.path.isdir(tdir):
        stats = defaultdict(lambda: defaultdict(int))
        ratio = defaultdict(list)
        pvals = defaultdict(list)
        trials = sorted(glob.glob(os.path.join(tdir, "*", "cmp", "report.json")))
        for rep in trials:
            kind = os.path.basename(os.path.dirname(os.path.dirname(rep))).split("-")[0]  # aa or slow
            r = json.load(open(rep))
            for b in (r.get("comparison") or {}).get("benchmarks", []):
                for m in b.get("metrics", []):
                    if m.get("metric") == "time":
                        key = (kind, b["id"])
                        stats[key][m["status"]] += 1
                        stats[key]["n"] += 1
                        if m.get("base") and m.get("new"):
                            ratio[key].append(m["new"] / m["base"])
                        if m.get("p_value") is not None:
                            pvals[key].append(m["p_value"])
        print("\n| trial | benchmark | trials | regressed | improved | pass | new/base time (median, min–max) |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
        for key in sorted(stats):
            s = stats[key]
            print(f"| {key[0]} | `{key[1]}` | {s['n']} | {s['regressed']} | {s['improved']} | {s['pass']} | {spread(ratio[key], '{:.3f}')} |")



def phases(d):
    """Per pass, from the files a run leaves: a pass ends when its last bench process's log was
    last written; the run starts `seconds` (times.tsv) before report.json was written."""
    rows = {(x["arm"], x["round"]): x for x in read_times(d)}
    acc = defaultdict(list)
    for (arm, r), x in sorted(rows.items()):
        if arm == "allocs":  # hyperfine's many runs: see `runtime`
            continue
        out = os.path.join(d, f"r{r}", arm, "out")
        rep = os.path.join(out, "report.json")
        if not os.path.exists(rep):
            continue
        end = os.path.getmtime(rep)
        start = end - x["secs"]
        n = len(json.load(open(rep))["benchmarks"])
        prev = start
        for p in ["full", "allocs-only", "cpu", "heap"]:
            logs = glob.glob(os.path.join(out, "runs", p, "*", "*", "output.log"))
            if not logs:
                continue
            e = max(os.path.getmtime(f) for f in logs)
            acc[(arm, p)].append(e - prev)
            acc[(arm, p + " per benchmark")].append((e - prev) / n)
            prev = e
        acc[(arm, "after the last pass (report, html, table)")].append(end - prev)
    print("| run | pass | seconds: median (min–max) |")
    print("| --- | --- | ---: |")
    for (arm, p), v in acc.items():
        print(f"| {arm} | {p} | {spread(v)} |")


if __name__ == "__main__":
    what = sys.argv[1]
    arg = sys.argv[2] if len(sys.argv) > 2 else os.path.join(DATA, "runtime" if what in ("heapcost", "phases") else what)
    {"runtime": runtime, "distortion": distortion, "heapcost": heapcost, "detect": detect, "phases": phases}[what](arg)
