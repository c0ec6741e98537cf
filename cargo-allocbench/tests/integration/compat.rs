//! A compatibility matrix: benches written the way public crates write them (`fixtures/compat`, a
//! workspace of its own that declares criterion once in `[workspace.dependencies]`), measured by
//! one `cargo allocbench --allocs-only --workspace`, and compared with an independent count.
//!
//! As in `exact.rs`, [`oracle`] calls each routine of `compat-fixture` the way criterion's window
//! holds it and counts with the binary's counting allocator, before the harness starts a thread;
//! the trials compare the counts with the report. The figures the patterns cannot make
//! deterministic are named where they are checked.
//!
//! The workspace also holds what public suites hold beside their benches: a helper module,
//! `benches/utils.rs`, which cargo's autobenches makes a bench target of libtest's harness (left
//! alone, with one note), and a group named with a multi-line string, last in its binary (its id
//! kept byte for byte, its row on one line).

use std::collections::BTreeSet;
use std::future::Future;
use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use cargo_allocbench::targets::{self, CargoOptions};
use compat_fixture as fx;
use libtest_mimic::Trial;

use crate::common::counter::{kept, sink, Expected};
use crate::common::report::{alloc, baseline_in, bench, report, report_in, report_json_in, Report};
use crate::common::{allocbench, assert_exit, files_below, fixture, out_dir, run, shared_target, stderr, stdout};

/// Every benchmark of the compat workspace: (package, bench target, id, what one iteration's
/// window allocates, what is checked).
pub struct Oracle(Vec<(&'static str, &'static str, String, Expected, Check)>);

/// What the comparison can hold the report to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Check {
    /// Every figure, the peak, and `exact: true`.
    Exact,
    /// `iter_custom`: every figure and `exact: true`, marked approximate (`~`).
    Custom,
    /// `BatchSize::NumIterations(n)`: criterion frees its vector of inputs once per batch, and
    /// `ceil(iters / n)` batches per sample are not proportional to the iterations unless `n`
    /// divides criterion's step, so `free_objects` (and `inuse_objects`) may be off by up to
    /// `1/n` and `exact` may be false; the bytes are exact.
    FreeObjectsWithin(f64),
    /// `BatchSize::LargeInput`: a batch is one iteration up to 1000 iterations a sample, more
    /// above, so whether the inputs vector is freed in the window (and how often) depends on
    /// criterion's iteration counts: only what is allocated is exact.
    AllocOnly,
    /// On tokio's multi-threaded runtime: every figure (the value the samples agree on), but not
    /// `exact`, since the idle worker thread may still allocate or free a block in a window of
    /// the first benchmark (the bench lets it settle first, which has sufficed so far).
    Background,
    /// A task spawned on tokio's multi-threaded runtime: its allocation is counted in the window
    /// (one block more than the routine's, of a size tokio decides), but it is freed by
    /// whichever thread drops it last, sometimes after the window has closed.
    Spawned,
}

/// Polls a future to its end on this thread. The fixture's futures never wait.
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// Counts every benchmark's routine. Only while no other thread runs: `main` calls it first.
pub fn oracle() -> Oracle {
    use Check::*;
    let mut out = Vec::new();
    let mut add = |package, target, id: &str, e: Expected, check| out.push((package, target, id.to_owned(), e, check));

    let data = fx::bytes(fx::SIZES[fx::SIZES.len() - 1]);
    for n in fx::SIZES {
        add("compat-benches", "groups", &format!("hex/{n}"), Expected::of(|| sink(fx::to_hex(&data[..n]))), Exact);
    }
    for words in compat_benches_word_counts() {
        let s = fx::sentence(words);
        let e = Expected::of(|| sink(fx::split_words(black_box(&s))));
        add("compat-benches", "groups", &format!("parse/split/{words}"), e, Exact);
    }
    let v = fx::make_vec(32);
    let sorted = Expected::of(|| sink(fx::sorted_copy(black_box(&v))));
    add("compat-benches", "groups", "sort/sorted_copy", sorted, Exact);
    add("compat-benches", "groups", "sort/routine_fn/32", sorted, Exact);
    let input = fx::make_vec(32);
    add("compat-benches", "groups", "sort/doubled_fn", kept(|| fx::doubled(input)), Exact);
    add("compat-benches", "groups", "make_vec", Expected::of(|| sink(fx::make_vec(black_box(64)))), Exact);
    let bytes = fx::bytes(64);
    add("compat-benches", "groups", "hex_of/64", Expected::of(|| sink(fx::to_hex(&bytes))), Exact);
    let s = fx::sentence(3);
    let e = Expected::of(|| sink(fx::split_words(black_box(&s))));
    add("compat-benches", "groups", &format!("{MULTI_LINE_GROUP}/split"), e, Exact);

    add("compat-benches", "loops", "iter", Expected::of(|| sink(fx::make_vec(black_box(64)))), Exact);
    let input = fx::make_vec(16);
    let doubled = kept(|| fx::doubled(input));
    add("compat-benches", "loops", "iter_with_setup", doubled, Exact);
    // `iter_with_large_drop`: the outputs are dropped after the window closes.
    add("compat-benches", "loops", "iter_with_large_drop", kept(|| fx::make_vec(black_box(256))), Exact);
    // `iter_custom` counts the whole routine, clock reads included.
    let custom = Expected::of(|| {
        let start = Instant::now();
        black_box(fx::make_vec(black_box(16)));
        black_box(start.elapsed());
    });
    add("compat-benches", "loops", "iter_custom", custom, Custom);
    let batched = doubled.with_inputs_vector::<Vec<u64>>();
    add("compat-benches", "loops", "iter_batched/small_input", batched, Exact);
    add("compat-benches", "loops", "iter_batched/large_input", doubled, AllocOnly);
    add("compat-benches", "loops", "iter_batched/per_iteration", doubled, Exact);
    add("compat-benches", "loops", "iter_batched/num_batches/4", batched, Exact);
    add("compat-benches", "loops", "iter_batched/num_iterations/8", batched, FreeObjectsWithin(1.0 / 8.0));
    // `iter_batched_ref`: the inputs (and what the routine put in them) outlive the window.
    let mut boxes = fx::boxes();
    let by_ref = Expected::of(|| fx::append_box(&mut boxes));
    drop(boxes);
    for id in ["small_input", "large_input", "per_iteration", "num_batches/4", "num_iterations/8"] {
        add("compat-benches", "loops", &format!("iter_batched_ref/{id}"), by_ref, Exact);
    }

    let data = fx::bytes(256);
    for n in [64usize, 256] {
        let e = Expected::of(|| sink(fx::checksum(&data[..n])));
        add("compat-benches", "custom", &format!("hashed/checksum/{n}"), e, Exact);
    }
    add("compat-benches", "custom", "profiled/sorted_copy", sorted, Exact);

    for n in [16usize, 256] {
        let e = Expected::of(|| sink(ready(fx::load(n))));
        add("compat-async", "tokio", &format!("async/load/{n}"), e, Background);
    }
    let input = fx::make_vec(16);
    add("compat-async", "tokio", "async/load_batched", kept(|| ready(async move { fx::doubled(input) })), Background);
    let load16 = Expected::of(|| sink(ready(fx::load(16))));
    add("compat-async", "tokio", "async/spawn", load16, Spawned);
    add("compat-async", "tokio", "current_thread/load", load16, Exact);
    Oracle(out)
}

/// `compat_benches::WORD_COUNTS`: that crate links allocbench, so it is not a dependency here.
fn compat_benches_word_counts() -> [usize; 2] {
    [1, 8]
}

/// `utils::MULTI_LINE_GROUP` of the compat benches (`benches/utils.rs`), the last group of the
/// `groups` binary: newlines, a tab, and characters beyond ASCII.
const MULTI_LINE_GROUP: &str = "multi-line\ninput:\tñandú ✓\nend";

/// How the table and `report.html` show its benchmark: escaped, on one line.
const MULTI_LINE_SHOWN: &str = "multi-line\\ninput:\\tñandú ✓\\nend/split";

pub fn trials(oracle: Oracle) -> Vec<Trial> {
    let oracle = Arc::new(oracle);
    vec![
        trial!(the_independent_counts_are_not_trivial, {
            let o = Arc::clone(&oracle);
            move || the_independent_counts_are_not_trivial(&o.0)
        }),
        trial!(every_pattern_is_measured, {
            let o = Arc::clone(&oracle);
            move || every_pattern_is_measured(&o.0)
        }),
        trial!(user_profiler_gives_way_to_allocbenchs),
    ]
}

/// The counts the test relies on are not trivial: keeping, freeing inside and outside the
/// window, reallocs, and criterion's vector of inputs.
fn the_independent_counts_are_not_trivial(expected: &[(&str, &str, String, Expected, Check)]) {
    let by_id = |id: &str| expected.iter().find(|(_, _, i, ..)| i == id).map(|x| x.3).expect("an oracle entry");
    assert!(by_id("parse/split/8").reallocs > 0.0);
    assert!(by_id("iter_with_large_drop").free_objects == 0.0 && by_id("iter_with_large_drop").alloc_space > 0.0);
    assert!(by_id("iter_batched/small_input").free_space > by_id("iter_batched/per_iteration").free_space);
    assert!(by_id("iter_batched_ref/small_input").alloc_space > by_id("iter_batched_ref/small_input").free_space);
}

fn check(report: &Report, expected: &[(&str, &str, String, Expected, Check)]) {
    for (package, target, id, e, how) in expected {
        let b = bench(report, id);
        assert_eq!((b.package.as_str(), b.target.as_str()), (*package, *target), "{id}: {b:?}");
        let a = alloc(report, id);
        let what = format!("{id}: report {a:?} vs independent count {e:?}");
        assert_eq!(a.alloc_objects, e.alloc_objects + f64::from(*how == Check::Spawned), "{what}");
        assert_eq!(a.approximate, *how == Check::Custom, "{what}");
        match how {
            Check::Spawned => {
                assert!(a.alloc_space > e.alloc_space, "{what}");
                continue;
            }
            _ => assert_eq!(a.alloc_space, e.alloc_space, "{what}"),
        }
        assert_eq!(a.reallocs, e.reallocs, "{what}");
        if *how == Check::AllocOnly {
            continue;
        }
        assert_eq!(a.free_space, e.free_space, "{what}");
        assert_eq!(a.inuse_space, e.alloc_space - e.free_space, "{what}");
        assert_eq!(a.peak_space, e.peak_space, "{what}");
        if let Check::FreeObjectsWithin(extra) = how {
            let f = a.free_objects;
            // Up to `1/n` per iteration, and a rounding of `1/step` between two samples.
            assert!(f >= e.free_objects && f < e.free_objects + 2.0 * extra, "{what}");
            continue;
        }
        assert_eq!(a.free_objects, e.free_objects, "{what}");
        assert_eq!(a.inuse_objects, e.alloc_objects - e.free_objects, "{what}");
        if *how != Check::Background {
            assert!(a.exact, "{what}");
        }
    }
}

/// Each bench executable of the compat workspace, built as `cargo allocbench` builds them.
fn executables() -> Vec<(String, String, std::path::PathBuf)> {
    let opts = CargoOptions { manifest_path: Some(fixture("compat")), workspace: true, ..CargoOptions::default() };
    let project = targets::discover(&opts).expect("discover the compat workspace");
    let exes = targets::build(&opts, &project.targets, &shared_target(), true).expect("build the compat workspace");
    project.targets.into_iter().zip(exes).map(|(t, exe)| (t.package, t.target, exe)).collect()
}

/// Criterion's own listing of a bench executable. Criterion prints an id as it is, so an id
/// with newlines spans lines: the lines up to one that ends with `: benchmark` are one id (the
/// fixture's benches print nothing else, and no id starts with a newline, so a blank line
/// before an id is criterion's own). libtest's listing of the helper target has none.
fn listed(exe: &Path, home: &Path) -> Vec<String> {
    let out = Command::new(exe).args(["--bench", "--list"]).env("CRITERION_HOME", home).output().expect("run --list");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut ids = Vec::new();
    let mut lines: Vec<&str> = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).split('\n') {
        if lines.is_empty() && line.is_empty() {
            continue; // criterion's blank line after a group, not the start of an id
        }
        lines.push(line);
        if let Some(last) = line.strip_suffix(": benchmark") {
            let id = lines[..lines.len() - 1].iter().map(|l| format!("{l}\n")).collect::<String>() + last;
            ids.push(id);
            lines.clear();
        }
    }
    ids
}

fn every_pattern_is_measured(expected: &[(&str, &str, String, Expected, Check)]) {
    let started = Instant::now();
    let out = out_dir("compat-allocs-only");
    let baselines = out.join("baselines");
    let o = run(allocbench(&[
        "--manifest-path",
        fixture("compat").to_str().expect("a UTF-8 path"),
        "--workspace",
        "--allocs-only",
        "--out-dir",
        out.to_str().expect("a UTF-8 path"),
        "--save-baseline",
        "compat",
        "--baseline-dir",
        baselines.to_str().expect("a UTF-8 path"),
        // Saving a baseline turns the allocation-site pass on; the figures are what is checked.
        "--heap-profile",
        "none",
    ]));
    assert_exit(&o, 0, "compat: --allocs-only --workspace");
    let r = report_in(&out);
    check(&r, expected);

    // The helper module's target is left alone, and said so once.
    let notes: Vec<String> =
        stderr(&o).lines().filter(|l| l.contains("`compat-benches/utils`")).map(Into::into).collect();
    assert_eq!(notes.len(), 1, "one note on the helper target: {notes:?}");
    assert!(
        notes[0].starts_with("skipping bench target `compat-benches/utils`: it runs libtest's harness"),
        "{notes:?}"
    );
    assert!(!r.benchmarks.iter().any(|b| b.target == "utils"), "the helper target is not measured");

    // The multi-line id: byte for byte in report.json and the baseline, escaped on one row of the
    // table and in report.html.
    let multi_line = format!("{MULTI_LINE_GROUP}/split");
    assert!(report_json_in(&out)["benchmarks"]
        .as_array()
        .expect("benchmarks")
        .iter()
        .any(|b| b["id"] == multi_line.as_str()));
    assert!(
        baseline_in(&baselines, "compat").benchmarks.iter().any(|b| b.benchmark.id == multi_line),
        "the baseline keeps the id"
    );
    let table = stdout(&o);
    let rows: Vec<&str> = table.lines().filter(|l| l.contains("ñandú")).collect();
    assert!(rows.len() == 1 && rows[0].starts_with(&format!("{MULTI_LINE_SHOWN} ")), "one row, escaped:\n{table}");
    assert!(!table.lines().any(|l| l.starts_with("input:") || l.starts_with("end/split")), "{table}");
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(html.contains(MULTI_LINE_SHOWN) && !html.contains(MULTI_LINE_GROUP), "report.html shows the id escaped");

    let reported: BTreeSet<String> =
        r.benchmarks.iter().map(|b| format!("{}/{} {}", b.package, b.target, b.id)).collect();
    let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("compat-list");
    let mut criterions = BTreeSet::new();
    for (package, target, exe) in executables() {
        for id in listed(&exe, &home) {
            criterions.insert(format!("{package}/{target} {id}"));
        }
    }
    assert_eq!(reported, criterions, "the report has exactly the benchmarks criterion's `--list` gives");
    let checked: BTreeSet<String> = expected.iter().map(|(p, t, id, ..)| format!("{p}/{t} {id}")).collect();
    assert_eq!(reported, checked, "every benchmark of the compat workspace is checked");
    note!("compat: every pattern measured in {:.0?}", started.elapsed());
}

/// `with_profiler(P)`: criterion calls `P` in its `--profile-time` mode, as under `cargo bench`;
/// in `cargo allocbench`'s CPU pass allocbench's profiler takes its place (two pprof-rs profilers
/// in one process cannot both run), and the benchmark still gets its flame graph.
fn user_profiler_gives_way_to_allocbenchs() {
    let (.., exe) = executables()
        .into_iter()
        .find(|(p, t, _)| p == "compat-benches" && t == "custom")
        .expect("the custom bench target");
    let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("compat-profile-time");
    let _ = std::fs::remove_dir_all(&home);
    let o = Command::new(&exe)
        .args(["--bench", "--profile-time", "1", "^profiled/"])
        .env("CRITERION_HOME", &home)
        .output()
        .expect("run the bench executable");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let log = std::fs::read_to_string(home.join("profiled_sorted_copy/profile/user-profiler.log"))
        .expect("criterion called the user's profiler");
    assert_eq!(log, "start profiled/sorted_copy\nstop profiled/sorted_copy\n");

    let out = out_dir("compat-cpu");
    let o = run(allocbench(&[
        "--manifest-path",
        fixture("compat").to_str().expect("a UTF-8 path"),
        "-p",
        "compat-benches",
        "--bench",
        "custom",
        "--heap-profile",
        "none",
        "--out-dir",
        out.to_str().expect("a UTF-8 path"),
        "--format",
        "json",
        "profiled/",
        "--",
        "--warm-up-time",
        "0.1",
        "--measurement-time",
        "0.2",
    ]));
    assert_eq!(o.status.code(), Some(0));
    let r = report(&o);
    let b = bench(&r, "profiled/sorted_copy");
    let flamegraph = b.artifacts.flamegraph.as_deref().unwrap_or_else(|| panic!("a flame graph: {b:?}"));
    assert!(out.join(flamegraph).is_file(), "{flamegraph}");
    assert!(
        !files_below(&out).iter().any(|p| p.file_name().is_some_and(|n| n == "user-profiler.log")),
        "the user's profiler ran beside allocbench's"
    );
}
