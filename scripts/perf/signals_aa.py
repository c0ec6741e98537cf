#!/usr/bin/env python3
"""Tabulates scripts/perf/signals-aa.sh's runs (docs/performance.md §17).

    python3 scripts/perf/signals_aa.py /tmp/signals-aa [LIMIT ...]

Prints, per suite: the exit codes; per benchmark and signal, the A/A figures (min, max over the
rounds, the baseline's figure) and how many A/A comparisons marked the metric regressed (gated or
not); per benchmark, how many regress comparisons were regressed, and by which metrics. Each LIMIT
(`voluntary_switches=50%`, `minor_faults=+1`) is also checked against every A/A and regress
comparison with the gate's rule for a figure with a spread: the new figure against the limit above
the baseline's figure plus the larger of the baseline's spread above its figure and the new run's
below its own. This leaves out the gate's last check (that a sample rose too), so it can only
count more failures than the gate would. `100%&+1` models a rule the gate does not have: fail only
when the figure exceeds both limits (doubles and rises by at least 1).

Suites: `examples`, `fixture` (fixtures/signals), `exact` (fixtures/exact); the regress runs
are `regress` (with the script's LIMITS) and `defregress` (without: the default limits).
"""

import json
import os
import sys
from collections import defaultdict

SIGNALS = [
    "threads_started",
    "threads_alive",
    "voluntary_switches",
    "read_syscalls",
    "write_syscalls",
    "read_bytes",
    "write_bytes",
    "minor_faults",
]


def parse_limit(text):
    if "&" in text:
        return ("all", [parse_limit(part) for part in text.split("&")])
    if text == "none":
        return None
    if text.endswith("%"):
        return ("rel", float(text[:-1]) / 100)
    if text.startswith("+"):
        return ("abs", float(text[1:]))
    if float(text) == 0:
        return ("rel", 0.0)
    raise ValueError(text)


def exceeded(limit, base, new):
    tol = 1e-9 * max(abs(base), abs(new), 1.0)
    kind, v = limit
    if kind == "all":
        return all(exceeded(part, base, new) for part in v)
    return new - (base * (1 + v) if kind == "rel" else base + v) > tol


def modelled_fail(limit, base_b, new_b, metric):
    """The gate's judgement of one signal, without its sample check (see the module's doc)."""
    b = base_b["signals"][metric]
    n = new_b["signals"][metric]
    lo_b, hi_b = base_b["signals"].get("sample_range", {}).get(metric, [b, b])
    lo_n, hi_n = new_b["signals"].get("sample_range", {}).get(metric, [n, n])
    above = max(hi_b - b, n - lo_n, 0.0)
    return exceeded(limit, b + above, n)


def load(path):
    with open(path) as f:
        return json.load(f)


def runs(data, suite, kind):
    d = os.path.join(data, suite)
    out = []
    if not os.path.isdir(d):
        return out
    for name in sorted(os.listdir(d), key=lambda n: (n.split("-")[0], int(n.split("-")[-1]) if n.split("-")[-1].isdigit() else 0)):
        if name.startswith(kind + "-"):
            p = os.path.join(d, name, "report.json")
            out.append((name, load(p) if os.path.exists(p) else None))
    return out


def fmt(v):
    return "%.4g" % v


def main():
    data = sys.argv[1]
    # (metric, as given, parsed): several limits of one metric are modelled side by side.
    limits = []
    for spec in sys.argv[2:]:
        k, v = spec.split("=")
        limits.append((k, v, parse_limit(v)))
    exits = defaultdict(list)
    with open(os.path.join(data, "runs.tsv")) as f:
        next(f)
        for line in f:
            suite, kind, rnd, rc, secs, l0, l1 = line.rstrip("\n").split("\t")
            exits[(suite, kind)].append((int(rc), float(secs), l0, l1))
    for (suite, kind), rows in sorted(exits.items()):
        codes = defaultdict(int)
        for rc, *_ in rows:
            codes[rc] += 1
        secs = sorted(r[1] for r in rows)
        loads = sorted(float(r[2].split(",")[0]) for r in rows)
        print(
            f"{suite} {kind}: {len(rows)} runs, exit codes {dict(codes)}, seconds {fmt(secs[0])}–{fmt(secs[-1])}, "
            f"1-min load before {fmt(loads[0])}–{fmt(loads[-1])}"
        )
    for suite in ("examples", "fixture", "exact", "full"):
        base = runs(data, suite, "base")
        if not base or base[0][1] is None:
            continue
        base_r = base[0][1]
        base_by = {(b["package"], b["id"]): b for b in base_r["benchmarks"]}
        print(f"\n## {suite}: A/A")
        aa = [(n, r) for n, r in runs(data, suite, "aa") if r is not None]
        print("benchmark | metric | base | A/A min | A/A max | A/A marked regressed (gated) | modelled failures per limit")
        for key, bb in base_by.items():
            if not bb.get("signals"):
                continue
            for m in SIGNALS:
                vals = [r_b["signals"][m] for _, r in aa for r_b in r["benchmarks"] if (r_b["package"], r_b["id"]) == key and r_b.get("signals")]
                if not vals or (max(vals) == 0 and bb["signals"][m] == 0):
                    continue
                marked = gated = 0
                for _, r in aa:
                    for c in (r.get("comparison") or {}).get("benchmarks", []):
                        if (c["package"], c["id"]) != key:
                            continue
                        for mc in c["metrics"]:
                            if mc["metric"] == m and mc["status"] == "regressed":
                                marked += 1
                                gated += mc["gated"]
                model = []
                for lm, text, lim in limits:
                    if lm != m or lim is None:
                        continue
                    fails = 0
                    for _, r in aa:
                        for r_b in r["benchmarks"]:
                            if (r_b["package"], r_b["id"]) == key and r_b.get("signals"):
                                fails += modelled_fail(lim, bb, r_b, m)
                    model.append(f"{text}: {fails}/{len(vals)}")
                model = ", ".join(model)
                print(f"{key[1]} | {m} | {fmt(bb['signals'][m])} | {fmt(min(vals))} | {fmt(max(vals))} | {marked} ({gated}) of {len(vals)} | {model}")
        aa_status = defaultdict(lambda: defaultdict(int))
        for _, r in aa:
            for c in (r.get("comparison") or {}).get("benchmarks", []):
                aa_status[c["id"]][c["status"]] += 1
        print("A/A benchmark statuses:", {k: dict(v) for k, v in aa_status.items()})
        for kind in ("regress", "defregress"):
            regress(suite, kind, runs(data, suite, kind), base_by, limits)


def regress(suite, kind, runs_, base_by, limits):
    """The regress comparisons of one kind: what was caught, by which metric, and the model's count."""
    reg = [(n, r) for n, r in runs_ if r is not None]
    if not reg:
        return
    print(f"\n## {suite}: {kind}")
    caught = defaultdict(lambda: defaultdict(int))
    by_metric = defaultdict(lambda: defaultdict(int))
    figures = defaultdict(lambda: defaultdict(list))
    for _, r in reg:
        for c in (r.get("comparison") or {}).get("benchmarks", []):
            caught[c["id"]][c["status"]] += 1
            for mc in c["metrics"]:
                if mc["status"] == "regressed":
                    by_metric[c["id"]][f"{mc['metric']}{'' if mc['gated'] else ' (ungated)'}"] += 1
        for r_b in r["benchmarks"]:
            if r_b.get("signals"):
                for m in SIGNALS:
                    figures[r_b["id"]][m].append(r_b["signals"][m])
    for bid in caught:
        sig = {m: f"{fmt(min(v))}–{fmt(max(v))}" for m, v in figures[bid].items() if max(v) != 0}
        model = {}
        for m, text, lim in limits:
            if lim is None:
                continue
            n = 0
            for _, r in reg:
                for r_b in r["benchmarks"]:
                    key = (r_b["package"], r_b["id"])
                    if r_b["id"] == bid and r_b.get("signals") and key in base_by and base_by[key].get("signals"):
                        n += modelled_fail(lim, base_by[key], r_b, m)
            model[f"{m}={text}"] = n
        print(f"{bid}: {dict(caught[bid])}; regressed metrics {dict(by_metric[bid])}; signals {sig}; modelled {model}")


if __name__ == "__main__":
    main()
