//! Baselines and the regression gate, end to end: the real `cargo allocbench` on the fixture
//! crate `fixtures/exact`, whose cargo feature `regress` adds one allocation of 8 bytes per
//! iteration to `vec/iter` and `custom`.
//!
//! Every test keeps its baselines in a folder of its own (`--baseline-dir`) and measures with
//! `--allocs-only`, so that a run takes about a second once the fixture is built (the first run
//! of the suite builds it into the shared `target/nested`, with and without `regress`).

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use cargo_allocbench::baseline;
use libtest_mimic::Trial;
use serde_json::Value;

use crate::common::report::{
    alloc, baseline_in, compared, comparisons, ids, metric, report, report_in, report_json, report_json_in,
    write_baseline, Metric, Report, Status, Verdict,
};
use crate::common::{
    allocbench, assert_exit, assert_mentions, copy_dir, files_in, fixture, only_error_line, out_dir, run, stderr,
    stdout, Lcg,
};

pub fn trials() -> Vec<Trial> {
    let mut trials = vec![
        trial!(twenty_a_a_comparisons_in_a_row),
        trial!(a_a_comparison_passes),
        trial!(an_ungated_metric_alone_does_not_change_a_benchmarks_status),
        trial!(one_more_allocation_fails_and_keeps_the_baseline),
        trial!(one_allocation_fewer_is_an_improvement),
        trial!(bad_baselines_fail_early_with_one_clear_line),
        trial!(exports_markdown_and_step_summary),
        trial!(bad_limits_fail_early_with_one_clear_line),
    ];
    #[cfg(unix)]
    trials.insert(0, trial!(sigkill_during_save_baseline_never_leaves_a_partial_baseline));
    trials
}

/// `cargo allocbench` on `manifest`, allocations only, with its report in `out` and its
/// baselines in `baselines`, then `args`.
fn gate_on(manifest: &Path, out: &Path, baselines: &Path, args: &[&str]) -> Command {
    let mut all: Vec<&str> = vec![
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--baseline-dir",
        baselines.to_str().unwrap(),
        "--allocs-only",
    ];
    all.extend_from_slice(args);
    allocbench(&all)
}

/// [`gate_on`] the fixture `exact`.
fn gate(out: &Path, baselines: &Path, args: &[&str]) -> Command {
    gate_on(&fixture("exact"), out, baselines, args)
}

/// The benchmarks of the comparison whose status is not `pass`, with the metrics that moved.
fn not_passing(report: &Report) -> Vec<String> {
    comparisons(report)
        .iter()
        .filter(|b| b.status != Status::Pass)
        .map(|b| {
            let moved: Vec<String> = b
                .metrics
                .iter()
                .filter(|m| m.status != Status::Pass)
                .map(|m| {
                    let (base, new) = (m.base, m.new);
                    format!("{} {base:?} → {new:?} ({}, gated {})", m.metric.name(), m.status, m.gated)
                })
                .collect();
            format!("{} is {}: {}", b.id, b.status, moved.join("; "))
        })
        .collect()
}

/// A/A: save, then compare with no change. Exit 0, verdict pass, every benchmark passes, and
/// the baseline is only read.
fn a_a_comparison_passes() {
    let dir = out_dir("baseline-a-a");
    let baselines = dir.join("baselines");
    let save = run(gate(&dir.join("save"), &baselines, &["--save-baseline", "main", "--format", "json"]));
    assert_exit(&save, 0, "--save-baseline main");
    assert!(stderr(&save).contains("saved baseline `main`"), "the save is announced:\n{}", stderr(&save));
    assert_eq!(report(&save).comparison, None, "no baseline given, no comparison");
    let path = baselines.join("main.json");
    let saved = fs::read(&path).expect("the baseline file exists");

    let compare = run(gate(&dir.join("compare"), &baselines, &["--baseline", "main", "--format", "json"]));
    assert_exit(&compare, 0, "--baseline main with no change");
    let r = report(&compare);
    assert_eq!(r.verdict, Verdict::Pass);
    assert_eq!(
        report_json(&compare),
        report_json_in(&dir.join("compare")),
        "report.json holds what --format json printed"
    );
    let comparison = r.comparison.as_ref().unwrap_or_else(|| panic!("--baseline fills `comparison`: {r:#?}"));
    assert_eq!(comparison.baseline, "main");
    let compared_ids: Vec<String> = comparison.benchmarks.iter().map(|b| b.id.clone()).collect();
    assert_eq!(compared_ids, ids(&r), "every benchmark is compared, none new or missing");
    assert_eq!(compared_ids.len(), 13, "the fixture's 13 benchmarks");
    // Gated metrics pass; the exact ones are equal, exactly. A noisy one (`voluntary_switches`,
    // gated above its samples' spread) is the scheduler's as much as the code's: `threads`
    // blocks when its two threads meet, more in one run than in another.
    for b in &comparison.benchmarks {
        for m in b.metrics.iter().filter(|m| m.gated) {
            if m.metric.info().rule == allocbench_formats::metric::ComparisonRule::Exact {
                assert_eq!(m.base, m.new, "{}: {m:?}", b.id);
            }
            assert_eq!(m.status, Status::Pass, "{}: {m:?}", b.id);
        }
    }
    // And no benchmark is reported as anything but `pass`. (The multi-threaded `threads` has a
    // peak that depends on how its two threads overlap; its ungated `peak_space` must not turn
    // an A/A run into an "improvement".)
    assert_eq!(not_passing(&r), Vec::<String>::new(), "an A/A run has every benchmark `pass`");
    assert!(
        stderr(&compare).contains("0 regressed, 0 improved, 13 passed, 0 new, 0 missing against baseline `main`"),
        "the summary line:\n{}",
        stderr(&compare)
    );
    assert_eq!(fs::read(&path).unwrap(), saved, "comparing never writes the baseline");
}

/// The status of a benchmark does not depend on which way an ungated metric moved: an ungated
/// increase leaves it `pass`, so an ungated decrease must too (otherwise run-to-run noise in an
/// ungated figure, such as the peak of a multi-threaded benchmark, shows up as improvements in
/// A/A runs).
fn an_ungated_metric_alone_does_not_change_a_benchmarks_status() {
    let dir = out_dir("baseline-ungated");
    let baselines = dir.join("baselines");
    let save = run(gate(&dir.join("save"), &baselines, &["--save-baseline", "main", "vec/iter"]));
    assert_exit(&save, 0, "--save-baseline main vec/iter");
    let mut document = baseline_in(&baselines, "main");
    assert_eq!(document.benchmarks[0].benchmark.id, "vec/iter");
    let peak = document.benchmarks[0].benchmark.alloc.expect("allocation figures").peak_space;

    for (how, base_peak) in [("higher", peak * 10.0), ("lower", peak / 10.0)] {
        document.benchmarks[0].benchmark.alloc.as_mut().expect("allocation figures").peak_space = base_peak;
        write_baseline(&baselines, &document);
        let out = dir.join(format!("compare-{how}"));
        let compare = run(gate(&out, &baselines, &["--baseline", "main", "vec/iter", "--format", "json"]));
        assert_exit(&compare, 0, &format!("a baseline with a {how} ungated peak_space"));
        let r = report(&compare);
        let b = compared(&r, "vec/iter");
        let m = metric(b, Metric::PeakSpace);
        assert!(!m.gated, "peak_space is not gated by default: {m:?}");
        assert_ne!(m.status, Status::Pass, "the metric itself moved and says so: {m:?}");
        assert_eq!(
            b.status,
            Status::Pass,
            "baseline peak_space {how} than the run's: an ungated metric alone must not decide the benchmark's status: {b:#?}"
        );
    }
}

/// One more allocation per iteration: exit 1, the benchmark named with base and new figures in
/// the output and the JSON, and the baseline byte for byte unchanged, also when the run was
/// asked to save it.
fn one_more_allocation_fails_and_keeps_the_baseline() {
    let dir = out_dir("baseline-regression");
    let baselines = dir.join("baselines");
    let save = run(gate(&dir.join("save"), &baselines, &["--save-baseline", "main", "--format", "json"]));
    assert_exit(&save, 0, "--save-baseline main");
    let first = report(&save);
    let objects = alloc(&first, "vec/iter").alloc_objects;
    let space = alloc(&first, "vec/iter").alloc_space;
    assert_eq!(objects, 1.0, "vec/iter allocates one vector");
    let path = baselines.join("main.json");
    let before = fs::read(&path).unwrap();

    let regress = run(gate(&dir.join("regress"), &baselines, &["--baseline", "main", "--features", "regress"]));
    assert_exit(&regress, 1, "--baseline main --features regress");
    assert_eq!(fs::read(&path).unwrap(), before, "a regression leaves the baseline byte for byte unchanged");

    // The terminal names the benchmark, then base → new per metric that moved.
    let text = format!("{}\n{}", stdout(&regress), stderr(&regress));
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.split_whitespace().collect::<Vec<_>>() == ["regressed", "vec/iter"])
        .unwrap_or_else(|| panic!("no line `regressed  vec/iter` in:\n{text}"));
    let details: Vec<&str> = lines[at + 1..].iter().take_while(|l| l.starts_with("   ")).copied().collect();
    let has = |metric: &str, figures: &str| details.iter().any(|l| l.contains(metric) && l.contains(figures));
    assert!(has("alloc_objects", "1 → 2"), "alloc_objects 1 → 2 under vec/iter:\n{}", details.join("\n"));
    let bytes = format!("{} B → {} B", space as u64, space as u64 + 8);
    assert!(has("alloc_space", &bytes), "alloc_space {bytes} under vec/iter:\n{}", details.join("\n"));
    assert!(
        stderr(&regress).contains("2 regressed, "),
        "the summary line counts the two regressions:\n{}",
        stderr(&regress)
    );

    // The JSON comparison.
    let r = report_in(&dir.join("regress"));
    assert_eq!(r.verdict, Verdict::Regressed);
    let b = compared(&r, "vec/iter");
    assert_eq!(b.status, Status::Regressed, "{b:#?}");
    let m = metric(b, Metric::AllocObjects);
    assert_eq!((m.base, m.new), (Some(objects), Some(objects + 1.0)), "{m:?}");
    assert_eq!((m.status, m.gated), (Status::Regressed, true), "{m:?}");
    let m = metric(b, Metric::AllocSpace);
    assert_eq!((m.base, m.new), (Some(space), Some(space + 8.0)), "{m:?}");
    assert_eq!(m.status, Status::Regressed, "{m:?}");
    let regressed: BTreeSet<&str> =
        comparisons(&r).iter().filter(|b| b.status == Status::Regressed).map(|b| b.id.as_str()).collect();
    assert_eq!(regressed, BTreeSet::from(["custom", "vec/iter"]), "the two benchmarks that call vec_sum");

    // Asked to save as well: compares, refuses to save, says so, exits 1.
    let both = run(gate(
        &dir.join("both"),
        &baselines,
        &["--save-baseline", "main", "--baseline", "main", "--features", "regress"],
    ));
    assert_exit(&both, 1, "--save-baseline main --baseline main --features regress");
    assert_eq!(fs::read(&path).unwrap(), before, "a regression is never saved over the baseline");
    let text = stderr(&both);
    assert!(
        text.lines().any(|l| l.contains("not saving baseline `main`") && l.contains("kept")),
        "says the baseline was not saved and the old one kept:\n{text}"
    );
    assert!(!text.contains("saved baseline"), "{text}");
    assert_eq!(files_in(&baselines), ["main.json"], "nothing else was written to the baseline folder");
}

/// One allocation fewer: exit 0, `improved`. With `--save-baseline` too, the new figures are
/// saved after the comparison passed.
fn one_allocation_fewer_is_an_improvement() {
    let dir = out_dir("baseline-improvement");
    let baselines = dir.join("baselines");
    let save = run(gate(&dir.join("save"), &baselines, &["--save-baseline", "main", "--features", "regress"]));
    assert_exit(&save, 0, "--save-baseline main --features regress");
    let path = baselines.join("main.json");
    let before = fs::read(&path).unwrap();

    let compare = run(gate(&dir.join("compare"), &baselines, &["--baseline", "main", "--format", "json"]));
    assert_exit(&compare, 0, "--baseline main, one allocation fewer");
    let r = report(&compare);
    assert_eq!(r.verdict, Verdict::Pass);
    let b = compared(&r, "vec/iter");
    assert_eq!(b.status, Status::Improved, "{b:#?}");
    let m = metric(b, Metric::AllocObjects);
    assert_eq!((m.base, m.new, m.status), (Some(2.0), Some(1.0), Status::Improved));
    assert_eq!(compared(&r, "custom").status, Status::Improved);
    assert!(stderr(&compare).contains("0 regressed, "), "{}", stderr(&compare));
    assert_eq!(fs::read(&path).unwrap(), before, "comparing never writes the baseline");

    let both = run(gate(&dir.join("both"), &baselines, &["--save-baseline", "main", "--baseline", "main"]));
    assert_exit(&both, 0, "--save-baseline main --baseline main, one allocation fewer");
    assert!(
        stderr(&both).contains("saved baseline `main` after the comparison passed"),
        "says it saved after comparing:\n{}",
        stderr(&both)
    );
    let saved = baseline::load(&baselines, "main").unwrap();
    let vec_iter = saved.benchmarks.iter().find(|b| b.id == "vec/iter").unwrap();
    assert_eq!(vec_iter.alloc.unwrap().alloc_objects, 1.0, "the new figures were saved");
    assert_eq!(files_in(&baselines), ["main.json"]);
}

/// 20 A/A comparisons in a row: no false alarm.
fn twenty_a_a_comparisons_in_a_row() {
    const RUNS: usize = 20;
    const FILTER: &str = "vec/iter|param";
    let dir = out_dir("baseline-twenty");
    let baselines = dir.join("baselines");
    let save = run(gate(&dir.join("save"), &baselines, &["--save-baseline", "main", FILTER]));
    assert_exit(&save, 0, "--save-baseline main");
    let path = baselines.join("main.json");
    let saved = fs::read(&path).unwrap();

    let started = Instant::now();
    let mut alarms = Vec::new();
    for k in 0..RUNS {
        let out = dir.join("compare");
        let mut cmd = gate(&out, &baselines, &["--baseline", "main", FILTER, "--format", "json"]);
        let o = cmd.output().expect("run cargo-allocbench");
        if o.status.code() != Some(0) {
            alarms.push(format!("run {k}: exit {:?}\n{}", o.status.code(), stderr(&o)));
            continue;
        }
        let r = report(&o);
        assert_eq!(ids(&r), ["vec/iter", "param/buffer/16", "param/buffer/256", "param/buffer/4096"]);
        if r.verdict != Verdict::Pass || !not_passing(&r).is_empty() {
            alarms.push(format!("run {k}: verdict {:?}; {:?}", r.verdict, not_passing(&r)));
        }
    }
    let elapsed = started.elapsed();
    note!(
        "{RUNS} A/A comparisons in {:.1} s ({:.2} s each)",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() / RUNS as f64
    );
    assert_eq!(alarms, Vec::<String>::new(), "false alarms in {RUNS} A/A runs");
    assert_eq!(fs::read(&path).unwrap(), saved, "comparing never writes the baseline");
}

/// A bad baseline, or a bad name: exit 2 before the build, one line that names the file (or the
/// baseline) and the fix, the baseline folder untouched.
fn bad_baselines_fail_early_with_one_clear_line() {
    let dir = out_dir("baseline-bad");
    // A valid baseline to cut in half.
    let good_dir = dir.join("good");
    let save = run(gate(&dir.join("save"), &good_dir, &["--save-baseline", "main", "vec/iter"]));
    assert_exit(&save, 0, "--save-baseline main vec/iter");
    let good = fs::read(good_dir.join("main.json")).unwrap();
    assert!(baseline::load(&good_dir, "main").is_ok());

    struct Case {
        what: &'static str,
        content: Option<Vec<u8>>,
        words: Vec<&'static str>,
    }
    let cases = [
        Case { what: "empty", content: Some(Vec::new()), words: vec!["empty", "--save-baseline main"] },
        Case {
            what: "truncated",
            content: Some(good[..good.len() / 2].to_vec()),
            words: vec!["invalid", "truncated", "--save-baseline main"],
        },
        Case {
            what: "invalid-json",
            content: Some(b"{\"schema_version\": 1, \"benchmarks\": [oops]}\n".to_vec()),
            words: vec!["invalid", "not JSON", "--save-baseline main"],
        },
        Case {
            what: "wrong-types",
            content: Some(b"{\"schema_version\": 1, \"benchmarks\": 3}\n".to_vec()),
            words: vec!["invalid", "unexpected content", "expected a sequence", "--save-baseline main"],
        },
        Case {
            what: "future-version",
            content: Some(b"{\"schema_version\": 99, \"benchmarks\": []}\n".to_vec()),
            words: vec!["schema version 99", "newer", "upgrade cargo-allocbench", "--save-baseline main"],
        },
    ];
    for case in &cases {
        let baselines = dir.join(case.what);
        let path = baselines.join("main.json");
        fs::create_dir_all(&baselines).unwrap();
        let content = case.content.clone().unwrap();
        fs::write(&path, &content).unwrap();
        for args in [&["--baseline", "main"][..], &["--save-baseline", "main", "--baseline", "main"][..]] {
            let what = format!("{} baseline, {}", case.what, args.join(" "));
            let out = dir.join(format!("{}-out", case.what));
            let started = Instant::now();
            let o = run(gate(&out, &baselines, args));
            let took = started.elapsed();
            assert_exit(&o, 2, &what);
            let line = only_error_line(&o, &what);
            assert_mentions(&line, &case.words, &what);
            assert!(line.contains(path.to_str().unwrap()), "{what}: the message names the file:\n{line}");
            assert!(stdout(&o).is_empty(), "{what}: nothing on stdout:\n{}", stdout(&o));
            assert_eq!(fs::read(&path).unwrap(), content, "{what}: the file is untouched");
            assert_eq!(files_in(&baselines), ["main.json"], "{what}: nothing written beside it");
            assert!(!out.exists(), "{what}: the run stopped before creating its output folder (before the build)");
            note!("{what}: {:.2} s: {line}", took.as_secs_f64());
        }
    }

    // Missing, with other baselines there: names it, lists those that exist, says how to create it.
    let what = "missing baseline";
    let out = dir.join("missing-out");
    let o = run(gate(&out, &good_dir, &["--baseline", "release"]));
    assert_exit(&o, 2, what);
    let line = only_error_line(&o, what);
    assert_mentions(
        &line,
        &["`release`", "not found", good_dir.to_str().unwrap(), "available: main", "--save-baseline release"],
        what,
    );
    assert!(!out.exists(), "{what}: stopped before the build");
    assert_eq!(files_in(&good_dir), ["main.json"]);
    assert_eq!(fs::read(good_dir.join("main.json")).unwrap(), good);

    // Missing, in a folder that does not exist: says so, and creates nothing.
    let nowhere = dir.join("nowhere");
    let o = run(gate(&out, &nowhere, &["--baseline", "main"]));
    assert_exit(&o, 2, "missing baseline folder");
    let line = only_error_line(&o, "missing baseline folder");
    assert_mentions(&line, &["`main`", "not found", "no baselines saved there yet", "--save-baseline main"], "nowhere");
    assert!(!nowhere.exists() && !out.exists(), "a failed --baseline creates no folder");

    // A name that is a path.
    let o = run(gate(&out, &good_dir, &["--save-baseline", "../main"]));
    assert_exit(&o, 2, "--save-baseline ../main");
    let line = only_error_line(&o, "--save-baseline ../main");
    assert_mentions(&line, &["invalid baseline name", "../main", "plain name"], "--save-baseline ../main");
    assert!(!out.exists());
    assert_eq!(files_in(&good_dir), ["main.json"], "nothing saved under a bad name");
}

/// `--save-baseline` killed with SIGKILL at pseudo-random points of its run: the baseline is
/// always the old file byte for byte or a complete new one, and temporary files are never
/// taken for it.
#[cfg(unix)]
fn sigkill_during_save_baseline_never_leaves_a_partial_baseline() {
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;

    // Kills spread over the whole run (pseudo-random), then kills aimed at the moment the
    // baseline is saved: a bisection between the latest kill that left the old baseline and the
    // earliest that found the new one. The save takes milliseconds and the run's length varies
    // by more, so the aimed kills land around it, before, within and after. (The unit test
    // `baseline::tests::sigkill_during_save_never_leaves_a_partial_baseline` hammers the write
    // itself.)
    const SPREAD: usize = 12;
    const AIMED: usize = 8;
    const ROUNDS: usize = SPREAD + AIMED;
    let dir = out_dir("baseline-sigkill");
    let baselines = dir.join("baselines");
    let path = baselines.join("main.json");
    // The old baseline differs from what the killed runs save: it has one more allocation.
    let old = run(gate(&dir.join("old"), &baselines, &["--save-baseline", "main", "--features", "regress"]));
    assert_exit(&old, 0, "--save-baseline main --features regress");
    let old_bytes = fs::read(&path).unwrap();
    let expected_ids: Vec<String> =
        baseline::load(&baselines, "main").unwrap().benchmarks.into_iter().map(|b| b.benchmark.id).collect();
    assert_eq!(expected_ids.len(), 13);

    // One run's duration, warm (the first may build the fixture without `regress`).
    let scratch = dir.join("scratch");
    let mut duration = Duration::ZERO;
    for _ in 0..2 {
        let started = Instant::now();
        let o = gate(&dir.join("measure"), &scratch, &["--save-baseline", "main"]).output().unwrap();
        duration = started.elapsed();
        assert_exit(&o, 0, "--save-baseline main (measuring)");
    }
    note!("one --save-baseline run takes {:.2} s", duration.as_secs_f64());

    // After a kill: the old bytes (false) or a complete new baseline (true); never anything else,
    // and temporary files are never taken for a baseline.
    let check = |what: &str| -> bool {
        let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{what}: the baseline is gone: {e}"));
        let loaded =
            baseline::load(&baselines, "main").unwrap_or_else(|e| panic!("{what}: the baseline does not load: {e}"));
        let stray: Vec<String> = files_in(&baselines).into_iter().filter(|n| n != "main.json").collect();
        for name in &stray {
            assert!(
                name.starts_with(".main.json.") && name.ends_with(".tmp"),
                "{what}: an unexpected file in the baseline folder: {name}"
            );
        }
        assert_eq!(baseline::list(&baselines), ["main"], "{what}: temporary files are not baselines");
        if bytes == old_bytes {
            return false;
        }
        let ids: Vec<String> = loaded.benchmarks.iter().map(|b| b.id.clone()).collect();
        assert_eq!(ids, expected_ids, "{what}: a new baseline has every benchmark");
        assert!(loaded.benchmarks.iter().all(|b| b.error.is_none() && b.alloc.is_some()), "{what}");
        let vec_iter = loaded.benchmarks.iter().find(|b| b.id == "vec/iter").unwrap();
        assert_eq!(vec_iter.alloc.unwrap().alloc_objects, 1.0, "{what}: the new figures");
        true
    };

    let mut rng = Lcg(0x0a11_0cbe_5eed);
    let (mut kept, mut replaced, mut after_save, mut finished, mut in_write) = (0, 0, 0, 0, 0);
    // The latest delay that left the old baseline, the earliest that found the new one.
    let (mut before, mut after) = (Duration::ZERO, duration.mul_f64(1.15));
    let started = Instant::now();
    for round in 0..ROUNDS {
        let delay = if round < SPREAD {
            // Over the whole run and a little beyond, so that some kills come after the save.
            duration.mul_f64(1.15 * rng.next_f64())
        } else {
            (before + after) / 2
        };
        let temporaries = files_in(&baselines).len();
        let mut cmd = gate(&dir.join(format!("kill-{round}")), &baselines, &["--save-baseline", "main"]);
        cmd.stdout(Stdio::null()).stderr(Stdio::null()).process_group(0);
        let mut child = cmd.spawn().expect("start cargo-allocbench");
        std::thread::sleep(delay);
        // SIGKILL; `Ok` too when the run already exited.
        let _ = child.kill();
        // Its children (cargo, the bench process) too, so that none outlives the round.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let status = child.wait().unwrap();
        let what = format!("round {round}, killed after {:.3} s ({status})", delay.as_secs_f64());
        if files_in(&baselines).len() > temporaries {
            in_write += 1;
        }
        if check(&what) {
            replaced += 1;
            if status.success() {
                finished += 1;
            } else {
                after_save += 1;
            }
            after = after.min(delay);
            note!("{what}: new baseline");
            fs::write(&path, &old_bytes).unwrap();
        } else {
            kept += 1;
            before = before.max(delay);
            note!("{what}: old baseline");
        }
        if before >= after {
            // The run's length varies: widen the bracket again.
            (before, after) = (after.mul_f64(0.9), before.mul_f64(1.1));
        }
    }
    let stray = files_in(&baselines).len() - 1;
    note!(
        "{ROUNDS} kills in {:.1} s: old baseline kept {kept} times; new one found {replaced} times ({after_save} killed \
         after the save, {finished} finished before the kill); {in_write} kills left a temporary baseline file \
         ({stray} left in all)",
        started.elapsed().as_secs_f64()
    );
    assert!(kept > 0, "no kill came before the save: the test tested nothing");

    // A run that is not killed replaces the old baseline with a complete new one, temporary
    // files of killed runs notwithstanding.
    let o = run(gate(&dir.join("final"), &baselines, &["--save-baseline", "main"]));
    assert_exit(&o, 0, "--save-baseline main, not killed");
    assert!(check("the run that was not killed"), "the run that was not killed saved the new figures");
}

/// `--export` writes valid JSON with every benchmark; `--format markdown` prints the summary with
/// the verdict; `GITHUB_STEP_SUMMARY` gets it appended.
fn exports_markdown_and_step_summary() {
    let dir = out_dir("baseline-exports");
    let baselines = dir.join("baselines");
    let save = run(gate(&dir.join("save"), &baselines, &["--save-baseline", "main"]));
    assert_exit(&save, 0, "--save-baseline main");

    let summary = dir.join("step-summary.md");
    let bmf = dir.join("exports/bmf.json");
    let gab = dir.join("exports/github-action-benchmark.json");
    let bmf_arg = format!("bmf={}", bmf.display());
    let gab_arg = format!("github-action-benchmark={}", gab.display());
    let mut printed = String::new();
    for k in 0..2 {
        let out = dir.join(format!("run-{k}"));
        let mut cmd = gate(
            &out,
            &baselines,
            &["--baseline", "main", "--format", "markdown", "--export", &bmf_arg, "--export", &gab_arg],
        );
        cmd.env("GITHUB_STEP_SUMMARY", &summary);
        let o = run(cmd);
        assert_exit(&o, 0, "--format markdown --export ...");
        let md = stdout(&o);
        assert!(md.starts_with("## ✅ allocbench: pass\n"), "the title has the verdict:\n{md}");
        assert!(md.contains("against baseline `main`"), "the summary line:\n{md}");
        assert!(md.contains("vec/iter"), "the benchmarks are listed:\n{md}");
        printed.push_str(&md);
    }
    let appended = fs::read_to_string(&summary).unwrap();
    assert_eq!(appended, printed, "each run appends what it printed to $GITHUB_STEP_SUMMARY");
    assert_eq!(appended.matches("## ✅ allocbench: pass").count(), 2, "two summaries");

    let r = report_in(&dir.join("run-1"));
    let bench_ids = ids(&r);
    let bmf: Value = serde_json::from_slice(&fs::read(&bmf).unwrap()).expect("the BMF export is JSON");
    let keys: BTreeSet<&str> = bmf.as_object().expect("BMF is an object").keys().map(String::as_str).collect();
    assert_eq!(keys, bench_ids.iter().map(String::as_str).collect::<BTreeSet<_>>(), "BMF has every benchmark");
    assert_eq!(bmf["vec/iter"]["alloc-objects"]["value"].as_f64(), Some(1.0), "{:#}", bmf["vec/iter"]);
    assert_eq!(bmf["vec/iter"]["alloc-space"]["value"].as_f64(), Some(256.0), "{:#}", bmf["vec/iter"]);
    assert!(bmf["vec/iter"].get("latency").is_none(), "--allocs-only measures no time");

    let gab: Value =
        serde_json::from_slice(&fs::read(&gab).unwrap()).expect("the github-action-benchmark export is JSON");
    let entries = gab.as_array().expect("customSmallerIsBetter is an array");
    for e in entries {
        assert!(e["name"].is_string() && e["unit"].is_string() && e["value"].is_number(), "{e}");
    }
    for id in &bench_ids {
        let name = format!("{id} (alloc_objects)");
        assert!(entries.iter().any(|e| e["name"] == name.as_str()), "no entry `{name}` in {gab:#}");
    }
    let vec_iter = entries.iter().find(|e| e["name"] == "vec/iter (alloc_objects)").unwrap();
    assert_eq!(vec_iter["value"].as_f64(), Some(1.0), "{vec_iter}");

    // A regression in Markdown: the verdict in the title, the benchmark expanded.
    let o = run(gate(
        &dir.join("regress"),
        &baselines,
        &["--baseline", "main", "--features", "regress", "--format", "markdown"],
    ));
    assert_exit(&o, 1, "--format markdown, regressed");
    let md = stdout(&o);
    assert!(md.starts_with("## ❌ allocbench: regressed\n"), "{md}");
    let regressions = md.split("### Regressions").nth(1).unwrap_or_else(|| panic!("no regressions section:\n{md}"));
    assert!(regressions.contains("#### vec/iter"), "{md}");
    assert!(regressions.contains("| alloc_objects | 1 | 2 |"), "base and new figures:\n{md}");
}

/// A typo in a limit, on the command line or in `Cargo.toml`, stops the run before the build
/// with one line: a typo must not silently turn a gate off.
fn bad_limits_fail_early_with_one_clear_line() {
    let dir = out_dir("baseline-bad-limit");
    let baselines = dir.join("baselines");
    let out = dir.join("out");
    for (spec, words) in [
        ("alloc_spce=5%", &["`--limit alloc_spce=5%`", "unknown metric", "alloc_space"][..]),
        ("alloc_space=5", &["`--limit alloc_space=5`", "ambiguous", "+5", "5%"][..]),
        ("alloc_space", &["`--limit alloc_space`", "METRIC=LIMIT"][..]),
    ] {
        let what = format!("--limit {spec}");
        let o = run(gate(&out, &baselines, &["--limit", spec]));
        assert_exit(&o, 2, &what);
        let line = only_error_line(&o, &what);
        assert_mentions(&line, words, &what);
        assert!(!out.exists(), "{what}: stopped before the build");
    }

    // The same typo in `[package.metadata.allocbench]`, in a copy of the fixture.
    let copy = dir.join("exact-copy");
    let source = fixture("exact").parent().unwrap().to_owned();
    copy_dir(&source, &copy);
    let manifest = copy.join("Cargo.toml");
    let harness = crate::common::repo().join("harness");
    let text = fs::read_to_string(&manifest).unwrap();
    assert!(text.contains("path = \"../../harness\""), "{text}");
    let text = text.replace("path = \"../../harness\"", &format!("path = {:?}", harness.to_str().unwrap()))
        + "\n[package.metadata.allocbench.limits]\nalloc_spce = \"5%\"\n";
    fs::write(&manifest, text).unwrap();
    let o = run(gate_on(&manifest, &out, &baselines, &[]));
    assert_exit(&o, 2, "a typo in [package.metadata.allocbench.limits]");
    let line = only_error_line(&o, "package metadata");
    let file = manifest.to_str().unwrap();
    assert_mentions(
        &line,
        &[file, "[package.metadata.allocbench.limits]", "alloc_spce", "unknown metric", "alloc_space"],
        "metadata",
    );
    assert!(!out.exists(), "stopped before the build");
}
