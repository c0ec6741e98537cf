//! Figures that cannot be exact, end to end: the fixture `fixtures/nonstationary` has routines
//! whose allocations change from sample to sample (a buffer each sample grows from empty and
//! never clears, the same buffer kept from sample to sample, a history that keeps a 1000-byte
//! block per call), and a cargo feature `regress` that does each routine's work twice.
//!
//! Their figures are marked `≈` and must still be possible (never negative, within what the
//! samples show, `inuse = alloc - free`) and be the amortized truth: what the run allocated and
//! retained over the iterations it ran, computed here from the routines' own growth (the
//! fixture's functions called again, their capacities read) for the iteration counts criterion
//! saved and the calls the bench reports. The gate judges them with a tolerance from their
//! samples' spread: the same code passes 20 comparisons of 20, twice the allocations fails. Their
//! allocation sites are amortized alike, and never negative.

use std::path::Path;
use std::process::Command;

use libtest_mimic::Trial;
use nonstationary_fixture as fx;

use crate::common::report::{
    alloc, comparisons, metric, report, AllocFigures, BenchmarkComparison, Metric, Report, Status, Verdict,
};
use crate::common::{allocbench, assert_exit, fixture, out_dir, run, stderr};

const IDS: [&str; 3] = ["nonstationary/buffer", "nonstationary/kept_buffer", "nonstationary/history"];

pub fn trials() -> Vec<Trial> {
    vec![
        trial!(figures_are_possible_and_amortized),
        trial!(the_same_code_passes_and_twice_the_allocations_fail_twenty_times),
    ]
}

/// `cargo allocbench --allocs-only` on the fixture, its report in `out`, then `args`.
fn allocs_only(out: &Path, args: &[&str]) -> Command {
    let manifest = fixture("nonstationary");
    let mut all =
        vec!["--manifest-path", manifest.to_str().unwrap(), "--out-dir", out.to_str().unwrap(), "--allocs-only"];
    all.extend_from_slice(args);
    allocbench(&all)
}

/// The iteration counts criterion saved for benchmark `id` in the run below `run_dir`, in the
/// order it measured them.
fn iters(run_dir: &Path, id: &str) -> Vec<u64> {
    let mut stack = vec![run_dir.to_owned()];
    while let Some(dir) = stack.pop() {
        let new = dir.join("new");
        if let Ok(text) = std::fs::read(new.join("benchmark.json")) {
            let bench: serde_json::Value = serde_json::from_slice(&text).unwrap();
            if bench["full_id"] == id {
                let sample: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(new.join("sample.json")).unwrap()).unwrap();
                return sample["iters"].as_array().unwrap().iter().map(|n| n.as_f64().unwrap() as u64).collect();
            }
        }
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(entry.path());
            }
        }
    }
    panic!("no sample.json of `{id}` below {}", run_dir.display())
}

/// What the measured calls of a routine allocated in all, counted from the growth of what it
/// keeps: `[alloc_objects, alloc_space, free_objects, free_space, reallocs]`.
#[derive(Debug, Default, Clone, Copy)]
struct Counts([u64; 5]);

impl Counts {
    /// A kept allocation grew from `before` bytes to `after` (a realloc when it had some).
    fn grew(&mut self, before: usize, after: usize) {
        if after != before {
            self.0[0] += 1;
            self.0[1] += after as u64;
            if before > 0 {
                self.0[2] += 1;
                self.0[3] += before as u64;
                self.0[4] += 1;
            }
        }
    }

    /// The amortized figures of these counts over `iters` iterations, as the report computes them.
    fn per_iteration(self, iters: u64) -> [f64; 5] {
        self.0.map(|c| c as f64 / iters as f64)
    }
}

/// The buffer of `append`: each sample grows its own from empty (`warm_up` is None) or one
/// buffer goes on growing after `warm_up` calls.
fn appended(warm_up: Option<u64>, samples: &[u64]) -> Counts {
    let mut counts = Counts::default();
    let mut buffer = fx::Buffer::default();
    for _ in 0..warm_up.unwrap_or(0) {
        fx::append(&mut buffer);
    }
    for &n in samples {
        if warm_up.is_none() {
            buffer = fx::Buffer::default();
        }
        for _ in 0..n {
            let before = buffer.capacities()[0];
            fx::append(&mut buffer);
            counts.grew(before, buffer.capacities()[0]);
        }
    }
    counts
}

/// The history of `record` after `warm_up` calls: a block of [`fx::BLOCK`] bytes a call, and
/// the history's own growth.
fn recorded(warm_up: u64, samples: &[u64]) -> Counts {
    let mut counts = Counts::default();
    let mut history = fx::History::default();
    for _ in 0..warm_up {
        fx::record(&mut history);
    }
    for _ in 0..samples.iter().sum::<u64>() {
        let before = history.own_bytes();
        fx::record(&mut history);
        counts.grew(before, history.own_bytes());
        counts.0[0] += 1;
        counts.0[1] += fx::BLOCK as u64;
    }
    counts
}

/// Never negative, within what its samples gave, `inuse = alloc - free`.
fn assert_possible(a: &AllocFigures, what: &str) {
    assert!(!a.exact && a.inexact.is_some(), "{what}");
    let range = a.sample_range.unwrap_or_else(|| panic!("{what}: no sample range"));
    for (m, value) in a.metrics().filter(|(m, _)| *m != Metric::PeakSpace) {
        let [low, high] = range.get(m).unwrap();
        let slack = 1e-9 * high.abs().max(1.0);
        assert!(low - slack <= value && value <= high + slack, "{what}: {m:?} {value} outside [{low}, {high}]");
        assert!(value >= 0.0, "{what}: {m:?} is negative");
    }
    assert!(a.peak_space >= 0.0, "{what}");
    // Equal up to the last bit, which reading JSON may round either way.
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0);
    assert!(close(a.inuse_space, a.alloc_space - a.free_space), "{what}");
    assert!(close(a.inuse_objects, a.alloc_objects - a.free_objects), "{what}");
}

/// The report's figures equal the independent ones (up to float rounding).
fn assert_figures(a: &AllocFigures, expected: [f64; 5], what: &str) {
    let got = [a.alloc_objects, a.alloc_space, a.free_objects, a.free_space, a.reallocs];
    for ((g, e), name) in
        got.iter().zip(expected).zip(["alloc_objects", "alloc_space", "free_objects", "free_space", "reallocs"])
    {
        assert!((g - e).abs() <= 1e-9 * e.abs().max(1.0), "{what}: {name} {g}, independent count {e}");
    }
}

fn figures_are_possible_and_amortized() {
    let out = out_dir("nonstationary-figures");
    let calls_file = out.join("calls.txt");
    let mut cmd = allocs_only(&out, &["--heap-profile", "all", "--format", "json"]);
    cmd.env(fx::CALLS_FILE, &calls_file);
    let o = run(cmd);
    assert_exit(&o, 0, "--allocs-only");
    let r = report(&o);
    let calls_text = std::fs::read_to_string(&calls_file).expect("the bench wrote its calls");
    let calls = |id: &str| -> u64 {
        calls_text
            .lines()
            .find_map(|l| l.strip_prefix(id)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no calls of {id}"))
    };
    let runs = out.join("runs").join("allocs-only");
    for id in IDS {
        let a = alloc(&r, id);
        let samples = iters(&runs, id);
        let n: u64 = samples.iter().sum();
        let what = format!("{id}: samples of {samples:?} iterations: {a:?}");
        assert_possible(&a, &what);
        // The allocation sites, amortized as the benchmark is (in the site pass's own run): none
        // negative, and the routine's own site is among them.
        let sites = &crate::common::report::bench(&r, id).sites;
        assert!(!sites.is_empty(), "{what}: no sites");
        for s in sites {
            let figures = [s.alloc_objects, s.alloc_space, s.inuse_objects, s.inuse_space];
            assert!(figures.iter().all(|v| *v >= 0.0), "{what}: a site is negative: {s:?}");
        }
        assert!(sites.iter().any(|s| s.function.contains("nonstationary_fixture::")), "{what}: {sites:?}");
        match id {
            "nonstationary/buffer" => {
                let expected = appended(None, &samples).per_iteration(n);
                assert_figures(&a, expected, &what);
                // Each sample keeps its buffer's capacity, 1000 to 2000 bytes a call.
                assert!((1000.0..2000.0).contains(&a.inuse_space), "{what}");
            }
            "nonstationary/kept_buffer" => {
                let warm_up = calls(id) - n;
                let expected = appended(Some(warm_up), &samples).per_iteration(n);
                assert_figures(&a, expected, &format!("{what}, {warm_up} calls before"));
                // What the measured calls retained: never the 0 B that slopes between samples read.
                assert!(a.inuse_space > 0.0, "{what}");
                note!("{id}: {warm_up} calls of warm-up, {n} measured; retained/iter {:.1} B", a.inuse_space);
            }
            _ => {
                let warm_up = calls(id) - n;
                let expected = recorded(warm_up, &samples).per_iteration(n);
                assert_figures(&a, expected, &format!("{what}, {warm_up} calls before"));
                // Every call keeps a 1000-byte block: at least that, and one allocation.
                assert!(a.inuse_space >= fx::BLOCK as f64 && a.alloc_objects >= 1.0, "{what}");
            }
        }
    }
}

/// The comparisons of the fixture's benchmarks whose status is not `pass`, with why.
fn not_passing(r: &Report) -> Vec<String> {
    comparisons(r).iter().filter(|b| b.status != Status::Pass).map(describe).collect()
}

fn describe(b: &BenchmarkComparison) -> String {
    let moved: Vec<String> = b
        .metrics
        .iter()
        .filter(|m| m.status != Status::Pass && m.gated)
        .map(|m| format!("{} {:?} → {:?} (limit {})", m.metric.name(), m.base, m.new, m.limit))
        .collect();
    format!("{} {}: {}", b.id, b.status, moved.join(", "))
}

/// One baseline, then 20 comparisons of the same code and 20 of the code with `regress`.
fn the_same_code_passes_and_twice_the_allocations_fail_twenty_times() {
    const RUNS: usize = 20;
    let dir = out_dir("nonstationary-gate");
    let baselines = dir.join("baselines");
    let gate = |out: &str, args: &[&str]| {
        let mut all = vec!["--baseline-dir", baselines.to_str().unwrap()];
        all.extend_from_slice(args);
        allocs_only(&dir.join(out), &all)
    };
    assert_exit(&run(gate("save", &["--save-baseline", "main"])), 0, "--save-baseline main");

    let mut alarms = Vec::new();
    for k in 0..RUNS {
        let o = gate("same", &["--baseline", "main", "--format", "json"]).output().expect("run cargo-allocbench");
        if !matches!(o.status.code(), Some(0 | 1)) {
            alarms.push(format!("run {k}: exit {:?}\n{}", o.status.code(), stderr(&o)));
            continue;
        }
        let r = report(&o);
        if o.status.code() != Some(0) || r.verdict != Verdict::Pass || !not_passing(&r).is_empty() {
            alarms.push(format!("run {k}: exit {:?}: {:?}", o.status.code(), not_passing(&r)));
        }
        // A `≈` figure says it was judged with a tolerance, and which.
        let buffer = comparisons(&r).iter().find(|b| b.id == IDS[0]).expect("the buffer was compared");
        let m = metric(buffer, Metric::InuseSpace);
        assert!(m.tolerance.is_some() && m.limit.contains("samples' spread"), "run {k}: {m:?}");
    }
    note!("A/A: {} of {RUNS} comparisons of the same code failed", alarms.len());
    assert_eq!(alarms, Vec::<String>::new(), "false alarms in {RUNS} A/A comparisons");

    let mut caught = std::collections::BTreeMap::<String, usize>::new();
    let mut verdicts = 0;
    for k in 0..RUNS {
        let o = gate("doubled", &["--baseline", "main", "--features", "regress", "--format", "json"])
            .output()
            .expect("run cargo-allocbench");
        assert_eq!(o.status.code(), Some(1), "run {k} of `regress`: {}", stderr(&o));
        let r = report(&o);
        verdicts += usize::from(r.verdict == Verdict::Regressed);
        for b in comparisons(&r) {
            *caught.entry(b.id.clone()).or_default() += usize::from(b.status == Status::Regressed);
        }
    }
    note!("twice the allocations: verdict `regressed` in {verdicts} of {RUNS}; by benchmark: {caught:?}");
    assert_eq!(verdicts, RUNS);
    // A buffer that each sample grows and a history: every sample shows the doubling.
    for id in ["nonstationary/buffer", "nonstationary/history"] {
        assert_eq!(caught.get(id), Some(&RUNS), "{id} caught in {caught:?}");
    }
}
