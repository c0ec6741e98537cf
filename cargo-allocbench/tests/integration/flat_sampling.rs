//! Benchmarks of milliseconds per call, which criterion samples flat (every sample the same
//! iteration count) when the bench says so or its auto mode chooses it: their per-iteration
//! figures must still be exact, and equal what the routine allocates in steady state, counted
//! by [`oracle`] with the binary's plain counting allocator before the harness starts a thread
//! (see `common::counter`).
//!
//! The fixture `fixtures/slow` has three routines (reuse a buffer captured in the bench closure,
//! make a fresh buffer, grow a captured history by one element per call), each in a group set
//! to `SamplingMode::Flat`, a group left to criterion's auto mode, and a top-level
//! `bench_function`. A buffer captured in the closure grows on the first call of every sample:
//! with one iteration per sample that reads as 20 allocations and 8 MiB per iteration, where the
//! routine allocates nothing once the buffer exists.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use libtest_mimic::Trial;
use slow_fixture as fx;

use crate::common::counter::Expected;
use crate::common::report::{alloc, bench, report, Report};
use crate::common::{allocbench, fixture, out_dir, run};

/// What one call allocates: the first call into an empty captured buffer, and each routine once
/// the bench closure's captured state exists.
pub struct Oracle {
    first: Expected,
    reuse: Expected,
    fresh: Expected,
    grow: Expected,
}

/// Counts the fixture's routines. Only while no other thread runs: `main` calls it first.
pub fn oracle() -> Oracle {
    let mut buf = String::new();
    let first = Expected::of(|| fx::encode_into(&mut buf));
    let reuse = Expected::of(|| fx::encode_into(&mut buf));
    let fresh = Expected::of(|| drop(black_box(fx::encode())));
    let mut history = fx::history();
    let mut scratch = String::new();
    fx::record(&mut history, &mut scratch);
    let grow = Expected::of(|| fx::record(&mut history, &mut scratch));
    Oracle { first, reuse, fresh, grow }
}

impl Oracle {
    /// What one call allocates in steady state, per benchmark name.
    fn steady_state(&self) -> Vec<(&'static str, Expected)> {
        vec![("reuse_buf", self.reuse), ("fresh_buf", self.fresh), ("grow_vec", self.grow)]
    }
}

pub fn trials(oracle: Oracle) -> Vec<Trial> {
    let oracle = Arc::new(oracle);
    let o = || Arc::clone(&oracle);
    vec![
        trial!(the_steady_state_differs_from_the_first_call, {
            let o = o();
            move || the_steady_state_differs_from_the_first_call(&o)
        }),
        trial!(allocs_only_samples_linearly, {
            let o = o();
            move || allocs_only_samples_linearly(&o.steady_state())
        }),
        trial!(full_run_takes_figures_from_linear_samples, {
            let o = o();
            move || full_run_takes_figures_from_linear_samples(&o.steady_state())
        }),
    ]
}

fn the_steady_state_differs_from_the_first_call(o: &Oracle) {
    let (first, reuse, fresh, grow) = (o.first, o.reuse, o.fresh, o.grow);
    // The case flat sampling gets wrong: the first call of a sample allocates, later ones not.
    assert!(first.alloc_objects > 10.0 && first.alloc_space > 1e6, "{first:?}");
    assert_eq!(reuse.alloc_objects, 0.0);
    assert_eq!(fresh.alloc_objects, first.alloc_objects);
    assert_eq!((grow.alloc_objects, grow.alloc_space, grow.free_space), (1.0, fx::ENTRY_BYTES as f64, 0.0));
}

/// The fixture's ids: each routine under each way of writing the bench.
fn ids() -> Vec<(String, &'static str)> {
    ["flat", "auto", "top"]
        .iter()
        .flat_map(|prefix| ["reuse_buf", "fresh_buf", "grow_vec"].map(|name| (format!("{prefix}/{name}"), name)))
        .collect()
}

fn check(r: &Report, expected: &[(&str, Expected)], what: &str) {
    for (id, name) in ids() {
        let e = expected.iter().find(|(n, _)| *n == name).map(|(_, e)| *e).unwrap();
        let a = alloc(r, &id);
        e.assert_counted(&a, &format!("{what} {id}"));
        let msg = format!("{what} {id}: report {a:?} vs independent count {e:?}");
        assert!(a.exact, "{msg}");
        assert!(a.inexact.is_none(), "{msg}");
    }
}

/// Criterion's sampling mode of benchmark `id` in one pass's run folder (below `run_dir`).
fn sampling_mode(run_dir: &Path, id: &str) -> String {
    let mut stack = vec![run_dir.to_owned()];
    while let Some(dir) = stack.pop() {
        let new = dir.join("new");
        if let Ok(text) = std::fs::read(new.join("benchmark.json")) {
            let bench: serde_json::Value = serde_json::from_slice(&text).unwrap();
            // `again/` below a run holds the second measurements: the first run's folder is
            // the shallower one, found first only if searched so; skip the others.
            if bench["full_id"] == id && !dir.to_string_lossy().contains("/again/") {
                let sample: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(new.join("sample.json")).unwrap()).unwrap();
                return sample["sampling_mode"].as_str().unwrap().to_owned();
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

/// `--allocs-only`: groups are sampled linearly whatever the bench code says; top-level
/// benchmarks, whose sampling mode criterion cannot be told, come out flat and are measured again.
fn allocs_only_samples_linearly(expected: &[(&str, Expected)]) {
    let out = out_dir("flat-allocs-only");
    let o = run(allocbench(&[
        "--manifest-path",
        fixture("slow").to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--allocs-only",
        "--format",
        "json",
    ]));
    assert_eq!(o.status.code(), Some(0));
    let r = report(&o);
    check(&r, expected, "--allocs-only");
    let runs = out.join("runs").join("allocs-only");
    for (id, _) in ids() {
        let mode = sampling_mode(&runs, &id);
        let want = if id.starts_with("top/") { "Flat" } else { "Linear" };
        assert_eq!(mode, want, "{id}: criterion's sampling in the first run");
    }
    assert!(runs.join("slow-fixture/slow/again").is_dir(), "the top-level benchmarks were measured again");
}

/// A full run keeps the bench's own sampling for time (flat here, set and chosen), and takes the
/// allocation figures and the sites from samples of two iteration counts.
fn full_run_takes_figures_from_linear_samples(expected: &[(&str, Expected)]) {
    let out = out_dir("flat-full");
    let o = run(allocbench(&[
        "--manifest-path",
        fixture("slow").to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--no-cpu-profile",
        "--format",
        "json",
        "--",
        "--warm-up-time",
        "0.01",
        "--measurement-time",
        "0.05",
        "--sample-size",
        "10",
    ]));
    assert_eq!(o.status.code(), Some(0));
    let r = report(&o);
    check(&r, expected, "full run");
    for (id, _) in ids() {
        assert_eq!(sampling_mode(&out.join("runs").join("full"), &id), "Flat", "{id}: the timing run's sampling");
        let b = bench(&r, &id);
        assert!(b.time.is_some_and(|t| t.typical_ns > 1e5), "{id}: a full run reports time: {b:?}");
        // The sites add up to the benchmark's figures.
        let a = alloc(&r, &id);
        let sites = &b.sites;
        assert_eq!(sites.iter().map(|s| s.alloc_objects).sum::<f64>(), a.alloc_objects, "{id}: sites {sites:?}");
        assert_eq!(sites.iter().map(|s| s.alloc_space).sum::<f64>(), a.alloc_space, "{id}: sites {sites:?}");
    }
}
