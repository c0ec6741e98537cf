//! `--runs N`: the timing pass N times in fresh processes, each run's typical time in the report
//! and the baseline, and time compared across runs; allocation figures as exact as with one run.

use libtest_mimic::Trial;

use crate::common::report::{alloc, bench, compared, metric, report, Metric, Status};
use crate::common::{allocbench, fixture, out_dir, run};

pub fn trials() -> Vec<Trial> {
    vec![trial!(time_is_compared_across_runs), trial!(runs_needs_timing_and_a_sane_count)]
}

/// The exact fixture's `vec/iter` (one 256-byte block per iteration), timed briefly.
fn args<'a>(manifest: &'a str, out: &'a str, baselines: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["--manifest-path", manifest, "--out-dir", out, "--baseline-dir", baselines];
    a.extend(["--no-cpu-profile", "--heap-profile", "none", "--format", "json"]);
    a.extend(extra);
    a.extend(["^vec/iter$", "--", "--warm-up-time", "0.05", "--measurement-time", "0.1"]);
    a
}

fn time_is_compared_across_runs() {
    let out = out_dir("runs");
    let baselines = out.join("baselines");
    let manifest = fixture("exact");
    let (m, o, b) = (manifest.to_str().unwrap(), out.to_str().unwrap(), baselines.to_str().unwrap());

    let saved = run(allocbench(&args(m, o, b, &["--runs", "3", "--save-baseline", "main"])));
    assert_eq!(saved.status.code(), Some(0));
    let r = report(&saved);
    let v = bench(&r, "vec/iter");
    let runs = &v.time_runs_ns;
    assert_eq!(runs.len(), 3, "time_runs_ns with --runs 3: {v:#?}");
    assert!(runs.iter().all(|t| *t > 0.0), "{v:#?}");
    assert_eq!(Some(runs[0]), v.time.map(|t| t.typical_ns), "the first run's typical time comes first");
    let a = alloc(&r, "vec/iter");
    assert_eq!((a.alloc_objects, a.alloc_space), (1.0, 256.0));
    for folder in ["full", "full-run2", "full-run3"] {
        assert!(out.join("runs").join(folder).is_dir(), "a fresh folder per run: {folder}");
    }
    let stored = std::fs::read_to_string(baselines.join("main.json")).unwrap();
    assert!(stored.contains("\"time_runs_ns\""), "the baseline keeps the runs");

    // Three runs a side can never reach p < 0.05 (the smallest p is 2/20): time passes whatever
    // the machine does, and says on what it was judged.
    let compared_run = run(allocbench(&args(m, o, b, &["--runs", "3", "--baseline", "main"])));
    assert_eq!(compared_run.status.code(), Some(0));
    let r = report(&compared_run);
    let c = compared(&r, "vec/iter");
    let time = metric(c, Metric::Time);
    assert!(time.limit.ends_with("(3 vs 3 runs)"), "{time:#?}");
    assert!(time.p_value.unwrap() >= 0.1 - 1e-12, "{time:#?}");
    assert_eq!(time.status, Status::Pass, "{time:#?}");
    assert_eq!(c.status, Status::Pass, "{c:#?}");
}

fn runs_needs_timing_and_a_sane_count() {
    let out = out_dir("runs-bad");
    let manifest = fixture("exact");
    for (extra, words) in [
        (&["--runs", "2", "--allocs-only"][..], &["--runs", "--allocs-only"][..]),
        (&["--runs", "0"][..], &["--runs", "0", "1..=10"][..]),
        (&["--runs", "11"][..], &["--runs", "11"][..]),
    ] {
        let mut a = vec!["--manifest-path", manifest.to_str().unwrap(), "--out-dir", out.to_str().unwrap()];
        a.extend(extra);
        let o = run(allocbench(&a));
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        for w in words {
            assert!(err.contains(w), "{extra:?}: `{w}` not in\n{err}");
        }
        assert!(!out.join("runs").exists(), "{extra:?}: stopped before measuring");
    }
}
