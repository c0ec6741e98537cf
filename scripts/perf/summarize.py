#!/usr/bin/env python3
"""Tables for docs/performance.md from what the scripts/perf/*.sh campaigns left in $DATA.

  summarize.py runtime    [DATA/runtime]      run times and ratios (scripts/perf/runtime.sh)
  summarize.py distortion [DATA/distortion]   time per iteration, allocbench vs cargo bench (scripts/perf/distortion.sh)
  summarize.py heapcost   [DATA/runtime]      per-allocation cost of the heap-site pass, from the full runs
  summarize.py detect     [DATA/detect]       detection power (scripts/perf/detect.sh)
  summarize.py pooled     [DIR...]            distortion ratios pooled over campaigns, with bootstrap intervals
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
    for name in ["aa-allocs", "aa-exact", "regress-exact", "regress-fanout"]:
        f = os.path.join(d, name, "exits")
        if os.path.exists(f):
            codes = [int(x) for x in open(f).read().split()]
            nz = sum(1 for c in codes if c != 0)
            print(f"{name}: {len(codes)} runs, exit != 0 in {nz}; exit codes {sorted(set(codes))}")
            flagged = defaultdict(int)
            for rep in glob.glob(os.path.join(d, name, "run*", "report.json")):
                for b in (json.load(open(rep)).get("comparison") or {}).get("benchmarks", []):
                    for m in b.get("metrics", []):
                        if m["status"] != "pass":
                            flagged[(b["id"], m["metric"], m["status"], "gated" if m.get("gated") else "not gated")] += 1
            for k, n in sorted(flagged.items()):
                print(f"    {n:2d} runs: {k[0]} {k[1]} {k[2]} ({k[3]})")
    for sub in ["time", "time-runs", "time-rev"]:
        tdir = os.path.join(d, sub)
        if not os.path.isdir(tdir):
            continue
        print(f"\n{sub}:")
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
        # What other noise floors (`time-noise`) would have given, with the same p < 0.05.
        rows = []
        for (kind, bid), rs in ratio.items():
            rows += [(kind, r - 1, p) for r, p in zip(rs, pvals[(kind, bid)])]
        n_aa = sum(1 for r in rows if r[0] == "aa")
        n_slow = sum(1 for r in rows if r[0] == "slow")
        print(f"\n| time-noise floor | A/A: reported regressed | A/A: reported any change | 10 % slowdown: reported regressed |")
        print("| ---: | ---: | ---: | ---: |")
        for fl in [0.02, 0.05, 0.10, 0.15, 0.20]:
            aar = sum(1 for k, c, p in rows if k == "aa" and c > fl and p < 0.05)
            aac = sum(1 for k, c, p in rows if k == "aa" and abs(c) > fl and p < 0.05)
            slr = sum(1 for k, c, p in rows if k == "slow" and c > fl and p < 0.05)
            print(f"| {fl:.0%} | {aar} of {n_aa} | {aac} of {n_aa} | {slr} of {n_slow} |")
        aap = [p for k, c, p in rows if k == "aa"]
        print(f"\nA/A comparisons with p < 0.05: {sum(1 for p in aap if p < 0.05)} of {len(aap)} (a valid test: about 5 %)")
        if sub == "time":
            across_runs(tdir)


def across_runs(tdir):
    """Run-to-run spread against criterion's within-run interval, and what a test across runs
    (a permutation test on per-run typical times) would do with the same runs: every run without
    slowdown (the baselines of all trials and the A/A trials' second runs) is a draw of "normal",
    every slowed run a draw of "slow"."""
    import itertools
    import random

    def typ(f):
        return {b["id"]: b["time"] for b in json.load(open(f))["benchmarks"]}

    normal, slow = [], []
    for t in sorted(glob.glob(os.path.join(tdir, "*-*"))):
        kind = os.path.basename(t).split("-")[0]
        if os.path.exists(os.path.join(t, "base", "report.json")):
            normal.append(typ(os.path.join(t, "base", "report.json")))
        if os.path.exists(os.path.join(t, "cmp", "report.json")):
            (slow if kind == "slow" else normal).append(typ(os.path.join(t, "cmp", "report.json")))
    hw = [(x[b]["ci_high_ns"] - x[b]["ci_low_ns"]) / 2 / x[b]["typical_ns"] for x in normal for b in x]
    print(f"\nruns without slowdown: {len(normal)}, slowed runs: {len(slow)}; "
          f"criterion's within-run 95 % interval, half-width: median {100 * med(hw):.1f} %")
    ids = sorted(normal[0]) if normal else []
    for bid in ids:
        v = [x[bid]["typical_ns"] for x in normal]
        w = [x[bid]["typical_ns"] for x in slow]
        cv = 100 * st.stdev(v) / st.mean(v)
        print(f"  {bid}: normal runs median {med(v):.1f} ns, CV {cv:.1f} %, min {min(v):.1f}, max {max(v):.1f}; "
              f"slowed runs median {med(w):.1f} ns ({med(w) / med(v):.3f}x)")

    def perm_p(a, b):
        obs = abs(med(b) - med(a))
        pool = a + b
        hits = tot = 0
        for idx in itertools.combinations(range(len(pool)), len(a)):
            chosen = set(idx)
            x = [pool[i] for i in idx]
            y = [pool[i] for i in range(len(pool)) if i not in chosen]
            tot += 1
            hits += abs(med(y) - med(x)) >= obs - 1e-12
        return hits / tot

    random.seed(2)
    print("\n| runs per side | benchmark | A/A: change reported | 10 % slowdown: regression reported |")
    print("| ---: | --- | ---: | ---: |")
    for k in [3, 5]:
        for bid in ids:
            fa = det = 0
            draws = 200
            for _ in range(draws):
                g = random.sample(normal, 2 * k)
                a = [x[bid]["typical_ns"] for x in g[:k]]
                b = [x[bid]["typical_ns"] for x in g[k:]]
                fa += perm_p(a, b) < 0.05 and abs(med(b) / med(a) - 1) > 0.02
                a = [x[bid]["typical_ns"] for x in random.sample(normal, k)]
                b = [x[bid]["typical_ns"] for x in random.sample(slow, k)]
                det += perm_p(a, b) < 0.05 and med(b) / med(a) - 1 > 0.02
            print(f"| {k} | `{bid}` | {100 * fa / draws:.0f} % | {100 * det / draws:.0f} % |")



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


def pooled(dirs):
    """Ratios per round (allocbench / cargo bench front, allocbench / upstream) from several
    distortion-style campaigns, per benchmark and pooled, with a bootstrap 95 % interval of the
    median (4000 resamples, fixed seed)."""
    import random
    random.seed(1)
    allr = defaultdict(lambda: defaultdict(list))
    for d in dirs:
        for rd in glob.glob(os.path.join(d, "r*")):
            v = {}
            for arm in ["bench", "upstream"]:
                c = os.path.join(rd, arm, "criterion")
                if os.path.isdir(c):
                    v[arm] = criterion_typical(c)
            for arm in ["allocbench", "timing"]:
                rep = os.path.join(rd, arm, "out", "report.json")
                if os.path.exists(rep):
                    v["allocbench"] = report_typical(rep)
            if len(v) < 3:
                continue
            for bid, t in v["allocbench"].items():
                if bid in v["bench"] and bid in v["upstream"]:
                    allr[bid]["front"].append(t / v["bench"][bid])
                    allr[bid]["upstream"].append(t / v["upstream"][bid])

    def ci(x):
        meds = sorted(med(random.choices(x, k=len(x))) for _ in range(4000))
        return meds[100], meds[3899]

    def cell(x):
        lo, hi = ci(x)
        return f"{med(x):.3f} [{lo:.3f}, {hi:.3f}]"

    print("| benchmark | rounds | allocbench / cargo bench (front): median [95 % CI] | allocbench / upstream criterion |")
    print("| --- | ---: | ---: | ---: |")
    for bid in sorted(allr):
        print(f"| `{bid}` | {len(allr[bid]['front'])} | {cell(allr[bid]['front'])} | {cell(allr[bid]['upstream'])} |")
    low = [b for b in allr if b.startswith(("frames/", "logscan/parse_line", "history/"))]
    for name, sel in [("pooled: frames/*, parse_line, history (0–1 allocation per iteration)", low), ("pooled: all", list(allr))]:
        f = [x for b in sel for x in allr[b]["front"]]
        u = [x for b in sel for x in allr[b]["upstream"]]
        print(f"| {name} | {len(f)} | {cell(f)} | {cell(u)} |")


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "pooled":
        pooled(sys.argv[2:] or [os.path.join(DATA, d) for d in ("runtime", "distortion", "distortion-small")])
        sys.exit(0)
    arg = sys.argv[2] if len(sys.argv) > 2 else os.path.join(DATA, "runtime" if what in ("heapcost", "phases") else what)
    {"runtime": runtime, "distortion": distortion, "heapcost": heapcost, "detect": detect, "phases": phases}[what](arg)
