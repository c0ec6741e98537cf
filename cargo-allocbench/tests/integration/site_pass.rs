//! The allocation-site pass on two crates of the kind real suites are: one with no debug settings
//! at all (cargo's `bench` profile has no debug info), whose sites must still be named, and one
//! benchmark of 300,001 allocations per iteration, which the pass must measure in a few captured
//! iterations, not in criterion's whole warm-up and measurement.
//!
//! [`oracle`] counts the no-debug fixture's routines independently, before the harness starts a
//! thread (see `main.rs`); the 300k routine's figures are computed from what it does.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use libtest_mimic::Trial;
use no_debug_fixture as nd;

use crate::common::counter::{kept, sink, Expected};
use crate::common::report::{alloc, bench, report, Report};
use crate::common::{allocbench, assert_exit, fixture, out_dir, run, stderr};

/// Independent counts of `fixtures/no-debug/benches/no_debug.rs`'s benchmarks.
pub struct Oracle(Vec<(&'static str, Expected)>);

/// Counts the no-debug fixture's routines. Only while no other thread runs: `main` calls it first.
pub fn oracle() -> Oracle {
    let entries = nd::parse(nd::INPUT);
    let input = nd::parse(nd::INPUT);
    Oracle(vec![
        ("parse", Expected::of(|| sink(nd::parse(std::hint::black_box(nd::INPUT))))),
        ("render", Expected::of(|| sink(nd::render(&entries)))),
        ("boxed", Expected::of(|| sink(nd::boxed(7)))),
        // `iter_batched` per iteration: the input is consumed (and freed) inside the window, the
        // output dropped after it.
        (
            "upper_keys",
            kept(move || {
                let e = input;
                nd::upper_keys(&e)
            }),
        ),
    ])
}

pub fn trials(oracle: Oracle) -> Vec<Trial> {
    let oracle = Arc::new(oracle);
    vec![
        trial!(sites_are_named_without_debug_info, move || sites_are_named_without_debug_info(&oracle)),
        trial!(three_hundred_thousand_allocations_take_a_few_captured_iterations),
    ]
}

/// The function names of a site that say nothing of the benchmark's code: an address (no symbol),
/// or criterion's and allocbench's frames (code inlined into criterion's loop, unnamed).
fn unnamed(function: &str) -> bool {
    function.starts_with("0x") || allocbench_formats::frames::is_harness_frame(function)
}

fn sites_are_named_without_debug_info(oracle: &Oracle) {
    let out = out_dir("sites-no-debug");
    let manifest = fixture("no-debug");
    let args = ["--manifest-path", manifest.to_str().unwrap(), "--allocs-only", "--heap-profile", "all"];
    let mut cmd = allocbench(&args);
    cmd.args(["--format", "json", "--out-dir", out.to_str().unwrap()]);
    let o = run(cmd);
    assert_exit(&o, 0, "no-debug");
    let err = stderr(&o);
    // The pass says, once, that it builds the crate again, and how to spare it that build.
    let said: Vec<&str> = err.lines().filter(|l| l.contains("no debug info")).collect();
    assert_eq!(said.len(), 1, "one line about the missing debug info:\n{err}");
    assert!(said[0].contains("`no-debug-fixture`") && said[0].contains("debug = \"limited\""), "{}", said[0]);
    assert!(!err.contains("No stack counts found"), "{err}");
    assert!(!err.contains("inlined into criterion's loop"), "every site named, nothing to warn about:\n{err}");
    let r = report(&o);

    for (id, expected) in &oracle.0 {
        let a = alloc(&r, id);
        expected.assert_counted(&a, id);
        assert!(a.exact, "{id}: {a:?}");
        let sites = &bench(&r, id).sites;
        assert_eq!(sites.iter().map(|s| s.alloc_objects).sum::<f64>(), a.alloc_objects, "{id}: {sites:#?}");
        assert_eq!(sites.iter().map(|s| s.alloc_space).sum::<f64>(), a.alloc_space, "{id}: {sites:#?}");
        let named: f64 = sites.iter().filter(|s| !unnamed(&s.function)).map(|s| s.alloc_space).sum();
        assert!(named >= 0.95 * a.alloc_space, "{id}: {named} of {} bytes in named sites: {sites:#?}", a.alloc_space);
        note!("{id}: {:.1} % of the bytes in named sites", 100.0 * named / a.alloc_space);
    }
    // A one-line function inlined with `Box::new` into criterion's loop: its own name, from the
    // debug info the pass's build adds, with its file and line.
    let boxed = &bench(&r, "boxed").sites[0];
    assert_eq!(boxed.function, "no_debug_fixture::boxed", "{boxed:#?}");
    assert!(boxed.file.as_deref().is_some_and(|f| f.ends_with("fixtures/no-debug/src/lib.rs")), "{boxed:#?}");
}

/// A run of the 300k fixture: its report, and how long it took.
fn timed(out: &Path, heap_profile: &str) -> (Report, Duration) {
    let manifest = fixture("many-allocs");
    let args = ["--manifest-path", manifest.to_str().unwrap(), "--allocs-only", "--heap-profile", heap_profile];
    let mut cmd = allocbench(&args);
    cmd.args(["--format", "json", "--out-dir", out.to_str().unwrap()]);
    let start = Instant::now();
    let o = run(cmd);
    let took = start.elapsed();
    assert_exit(&o, 0, &format!("many-allocs, --heap-profile {heap_profile}"));
    (report(&o), took)
}

/// Every record line the allocation-site pass left below `dir` (its runs and the runs again).
fn heap_records(dir: &Path) -> Vec<PathBuf> {
    crate::common::files_below(dir)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "records.jsonl"))
        .map(|p| dir.join(p))
        .collect()
}

fn three_hundred_thousand_allocations_take_a_few_captured_iterations() {
    let count = many_allocs_fixture::COUNT as f64;
    let word = std::mem::size_of::<u64>() as f64;
    let out = out_dir("sites-many-allocs");
    // The first run builds; the two timed ones find the build done.
    timed(&out.join("build"), "none");
    let (without, t_without) = timed(&out.join("none"), "none");
    let (with, t_with) = timed(&out.join("all"), "all");

    // `n` boxes of a u64 and the vector of `n` pointers that holds them, all freed.
    let a = alloc(&with, "boxes");
    assert_eq!((a.alloc_objects, a.alloc_space), (count + 1.0, 2.0 * word * count), "{a:?}");
    assert_eq!((a.inuse_objects, a.inuse_space), (0.0, 0.0), "{a:?}");
    assert!(a.exact, "{a:?}");
    assert_eq!(alloc(&without, "boxes"), a);
    let sites = &bench(&with, "boxes").sites;
    assert_eq!(sites.iter().map(|s| s.alloc_objects).sum::<f64>(), a.alloc_objects, "{sites:#?}");
    assert_eq!(sites.iter().map(|s| s.alloc_space).sum::<f64>(), a.alloc_space, "{sites:#?}");
    assert_eq!(sites[0].function, "many_allocs_fixture::boxes", "{sites:#?}");

    // The pass captured two samples of the benchmark, whatever else criterion ran.
    let mut captured_iterations = Vec::new();
    for path in heap_records(&out.join("all").join("runs").join("heap")) {
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines() {
            let rec: allocbench_formats::record::RecordLine = serde_json::from_str(line).unwrap();
            let captured: Vec<_> = rec.samples.iter().filter(|s| s.sites).collect();
            assert!(captured.len() <= 2, "{}: {} samples captured", path.display(), captured.len());
            // Alloc objects per captured sample: iterations × 300,001 (plus the pass's own few).
            captured_iterations.extend(captured.iter().map(|s| s.counts.alloc_objects as f64 / (count + 1.0)));
        }
    }
    assert!(!captured_iterations.is_empty(), "no captured sample below {}", out.display());
    note!(
        "many-allocs: --allocs-only --heap-profile none {:.1} s, all {:.1} s: ratio {:.2}; captured samples of {:?} iterations",
        t_without.as_secs_f64(),
        t_with.as_secs_f64(),
        t_with.as_secs_f64() / t_without.as_secs_f64(),
        captured_iterations.iter().map(|n| n.floor()).collect::<Vec<_>>()
    );
}
