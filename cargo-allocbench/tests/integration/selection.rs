//! What a run selects: criterion's own arguments after `--` (its timing settings left out of a
//! counting pass with a note, its baselines refused with ours), `--list`, and a filter that
//! matches nothing, which fails and leaves the last report as it was.

use std::fs;

use libtest_mimic::Trial;

use crate::common::report::{bench, report_in};
use crate::common::{allocbench, assert_exit, fixture, one_error_line, out_dir, run, stderr, stdout};

pub fn trials() -> Vec<Trial> {
    vec![
        trial!(criterions_timing_settings_are_left_out_of_a_counting_pass),
        trial!(list_prints_every_id),
        trial!(a_filter_that_matches_nothing_fails_and_keeps_the_last_report),
    ]
}

/// The exact fixture's ids, as its bench code defines them.
const EXACT_IDS: [&str; 13] = [
    "vec/iter",
    "zero",
    "realloc",
    "large_drop",
    "batched/per_iteration",
    "batched/small_input",
    "batched_ref/keeps",
    "threads",
    "peak",
    "custom",
    "param/buffer/16",
    "param/buffer/256",
    "param/buffer/4096",
];

fn criterions_timing_settings_are_left_out_of_a_counting_pass() {
    let out = out_dir("selection-quick");
    let exact = fixture("exact");
    let args = ["--manifest-path", exact.to_str().unwrap(), "--out-dir", out.to_str().unwrap(), "--allocs-only"];
    let mut all = args.to_vec();
    all.extend(["vec/iter", "--", "--quick", "--noplot", "--sample-size", "20"]);
    let o = run(allocbench(&all));
    assert_exit(&o, 0, "--allocs-only -- --quick --noplot --sample-size 20");
    let notes: Vec<String> = stderr(&o).lines().filter(|l| l.contains("left out")).map(str::to_owned).collect();
    assert_eq!(notes.len(), 1, "one note: {notes:?}");
    assert!(notes[0].contains("`--quick`, `--sample-size`"), "{}", notes[0]);
    let r = report_in(&out);
    assert_eq!(r.benchmarks.len(), 1);
    assert_eq!(bench(&r, "vec/iter").alloc.map(|a| (a.alloc_objects, a.exact)), Some((1.0, true)));
}

fn list_prints_every_id() {
    let out = out_dir("selection-list");
    let exact = fixture("exact");
    let base = ["--manifest-path", exact.to_str().unwrap(), "--out-dir", out.to_str().unwrap()];
    for how in [&["--list"][..], &["--", "--list"]] {
        let o = run(allocbench(&[&base[..], how].concat()));
        assert_exit(&o, 0, &format!("{how:?}"));
        let text = stdout(&o);
        let mut got: Vec<&str> = text.lines().filter_map(|l| l.strip_suffix(": benchmark")).collect();
        let mut expected = EXACT_IDS.to_vec();
        expected.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, expected, "{how:?}");
        assert!(!out.join("report.json").exists(), "{how:?}: listing measures nothing and writes no report");
    }
    let o = run(allocbench(&[&base[..], &["--list", "param"]].concat()));
    assert_eq!(stdout(&o).lines().count(), 3, "{}", stdout(&o));
}

fn a_filter_that_matches_nothing_fails_and_keeps_the_last_report() {
    let out = out_dir("selection-typo");
    let exact = fixture("exact");
    let base = ["--manifest-path", exact.to_str().unwrap(), "--out-dir", out.to_str().unwrap(), "--allocs-only"];
    let baselines = out.join("baselines");
    let o = run(allocbench(&[&base[..], &["zero", "--save-baseline", "main"]].concat()));
    assert_exit(&o, 0, "the first run");
    let kept: Vec<(String, Vec<u8>)> = ["report.json", "report.html", "summary.md"]
        .iter()
        .map(|f| (f.to_string(), fs::read(out.join(f)).unwrap_or_default()))
        .collect();
    let o = run(allocbench(&[&base[..], &["zeor", "--baseline", "main"]].concat()));
    assert_exit(&o, 2, "a filter that matches nothing");
    let line = one_error_line(&o, "a filter that matches nothing");
    assert_eq!(
        line,
        format!(
            "error: no benchmark matches the filter `zeor`: the selected bench targets hold {} benchmarks (`cargo allocbench --list` lists them); nothing was written",
            EXACT_IDS.len()
        )
    );
    for (file, bytes) in kept {
        assert_eq!(fs::read(out.join(&file)).unwrap_or_default(), bytes, "{file} is as the first run left it");
    }
    assert!(baselines.join("main.json").exists());
}
