//! `--runs N`: the timing pass N times in fresh processes, each run's typical time in the report
//! and the baseline, and time compared across runs; allocation figures as exact as with one run.

mod common;

use common::{allocbench, bench, fixture, out_dir, report, run};

/// The exact fixture's `vec/iter` (one 256-byte block per iteration), timed briefly.
fn args<'a>(manifest: &'a str, out: &'a str, baselines: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["--manifest-path", manifest, "--out-dir", out, "--baseline-dir", baselines];
    a.extend(["--no-cpu-profile", "--heap-profile", "none", "--format", "json"]);
    a.extend(extra);
    a.extend(["^vec/iter$", "--", "--warm-up-time", "0.05", "--measurement-time", "0.1"]);
    a
}

#[test]
fn time_is_compared_across_runs() {
    let out = out_dir("runs");
    let baselines = out.join("baselines");
    let manifest = fixture("exact");
    let (m, o, b) = (manifest.to_str().unwrap(), out.to_str().unwrap(), baselines.to_str().unwrap());

    let saved = run(allocbench(&args(m, o, b, &["--runs", "3", "--save-baseline", "main"])));
    assert_eq!(saved.status.code(), Some(0));
    let r = report(&saved);
    let v = bench(&r, "vec/iter");
    let runs = v["time_runs_ns"].as_array().expect("time_runs_ns with --runs 3");
    assert_eq!(runs.len(), 3, "{v:#}");
    assert!(runs.iter().all(|t| t.as_f64().unwrap() > 0.0), "{v:#}");
    assert_eq!(runs[0], v["time"]["typical_ns"], "the first run's typical time comes first");
    assert_eq!((v["alloc"]["alloc_objects"].as_f64(), v["alloc"]["alloc_space"].as_f64()), (Some(1.0), Some(256.0)));
    for folder in ["full", "full-run2", "full-run3"] {
        assert!(out.join("runs").join(folder).is_dir(), "a fresh folder per run: {folder}");
    }
    let stored = std::fs::read_to_string(baselines.join("main.json")).unwrap();
    assert!(stored.contains("\"time_runs_ns\""), "the baseline keeps the runs");

    // Three runs a side can never reach p < 0.05 (the smallest p is 2/20): time passes whatever
    // the machine does, and says on what it was judged.
    let compared = run(allocbench(&args(m, o, b, &["--runs", "3", "--baseline", "main"])));
    assert_eq!(compared.status.code(), Some(0));
    let r = report(&compared);
    let c = r["comparison"]["benchmarks"].as_array().unwrap().iter().find(|c| c["id"] == "vec/iter").unwrap();
    let time = c["metrics"].as_array().unwrap().iter().find(|m| m["metric"] == "time").unwrap();
    assert!(time["limit"].as_str().unwrap().ends_with("(3 vs 3 runs)"), "{time:#}");
    assert!(time["p_value"].as_f64().unwrap() >= 0.1 - 1e-12, "{time:#}");
    assert_eq!(time["status"], "pass", "{time:#}");
    assert_eq!(c["status"], "pass", "{c:#}");
}

#[test]
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
