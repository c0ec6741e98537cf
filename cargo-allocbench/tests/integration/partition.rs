//! `--partition` and `cargo allocbench merge`: the examples workspace measured in three shards
//! and merged gives, byte for byte, the comparison, table, summary and annotations of one
//! unsplit run, with its exit code; shards that do not belong together are one line and exit 2.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::report::{baseline_in, ids, report_at, report_in, write_baseline, write_report, Status};
use crate::common::{allocbench, assert_exit, assert_mentions, one_error_line, out_dir, repo, run, stderr, stdout};
use libtest_mimic::Trial;

pub fn trials() -> Vec<Trial> {
    vec![trial!(three_shards_merge_into_the_unsplit_run), trial!(shards_that_do_not_belong_together_are_refused)]
}

/// `cargo allocbench` on the examples workspace, the fast gate, into `out`.
fn examples(out: &Path, baselines: &Path, extra: &[&str]) -> Command {
    let manifest = repo().join("examples/Cargo.toml");
    let mut args = vec!["--manifest-path", manifest.to_str().unwrap(), "--workspace", "--allocs-only"];
    // Not the examples that start threads in every iteration: a thread's allocations and frees
    // count in a shard that depends on which threads have exited yet, so their `peak_space` (an
    // upper bound when several threads allocate) differs from one run to the next, and this test
    // compares two runs byte for byte.
    args.extend(["--exclude", "thread-per-request", "--exclude", "lock-per-item"]);
    args.extend(["--heap-profile", "none", "--color", "never"]);
    args.extend(["--out-dir", out.to_str().unwrap(), "--baseline-dir", baselines.to_str().unwrap()]);
    args.extend(extra);
    allocbench(&args)
}

/// As GitHub Actions runs a step: a job summary file and workflow commands.
fn in_actions(mut cmd: Command, summary: &Path) -> Command {
    cmd.env("GITHUB_ACTIONS", "true").env("GITHUB_STEP_SUMMARY", summary);
    cmd
}

fn merge(reports: &[PathBuf], out: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-allocbench"));
    cmd.args(["allocbench", "merge", "--color", "never", "--out-dir", out.to_str().unwrap()]).args(reports);
    cmd.env_remove("GITHUB_STEP_SUMMARY").env_remove("GITHUB_ACTIONS").env("NO_COLOR", "1");
    cmd
}

fn annotations(out: &Output) -> Vec<String> {
    stderr(out).lines().filter(|l| l.starts_with("::")).map(str::to_owned).collect()
}

/// Baseline `main` as saved, edited into `edited`: three benchmarks allocated one block less
/// (so this run regresses), one is not in it (new), and one only it has (missing).
fn edited_baseline(dir: &Path) {
    let mut doc = baseline_in(dir, "main");
    doc.name = "edited".into();
    let benchmarks = &mut doc.benchmarks;
    assert!(benchmarks.len() >= 6, "the examples have more benchmarks than this edits: {benchmarks:?}");
    let mut lowered = 0;
    for b in benchmarks.iter_mut() {
        let id = b.benchmark.id.clone();
        let alloc = b.benchmark.alloc.as_mut().unwrap_or_else(|| panic!("`{id}` has no allocation figures"));
        if alloc.alloc_objects >= 1.0 && lowered < 3 {
            alloc.alloc_objects -= 1.0;
            lowered += 1;
        }
    }
    assert_eq!(lowered, 3, "three benchmarks that allocate");
    benchmarks.remove(1);
    let mut removed = benchmarks[0].clone();
    removed.benchmark.id = "removed/since/then".into();
    benchmarks.push(removed);
    write_baseline(dir, &doc);
}

fn three_shards_merge_into_the_unsplit_run() {
    let root = out_dir("partition");
    let baselines = root.join("baselines");
    let whole = root.join("whole");
    assert_exit(&run(examples(&whole, &baselines, &["--save-baseline", "main"])), 0, "save the baseline");
    edited_baseline(&baselines);

    let summary = root.join("whole-summary.md");
    let unsplit = run(in_actions(examples(&whole, &baselines, &["--baseline", "edited"]), &summary));
    assert_exit(&unsplit, 1, "the unsplit run regresses against the edited baseline");
    let expected = report_in(&whole);
    let comparison = expected.comparison.as_ref().expect("a comparison");
    let statuses: Vec<Status> = comparison.benchmarks.iter().map(|b| b.status).collect();
    for status in [Status::Regressed, Status::New, Status::Missing, Status::Pass] {
        assert!(statuses.contains(&status), "the comparison has a {status} benchmark: {statuses:?}");
    }

    for kind in ["hash", "count"] {
        let mut reports = Vec::new();
        let mut measured = Vec::new();
        for k in 1..=3 {
            let shard = root.join(format!("{kind}-{k}"));
            let shard_summary = root.join(format!("{kind}-{k}-summary.md"));
            let partition = format!("{kind}:{k}/3");
            let extra = ["--baseline", "edited", "--partition", &partition];
            let out = run(in_actions(examples(&shard, &baselines, &extra), &shard_summary));
            assert!(matches!(out.status.code(), Some(0 | 1)), "{partition}: {}", stderr(&out));
            assert!(!shard_summary.exists(), "{partition}: a shard writes no job summary; the merge does");
            assert_eq!(annotations(&out), Vec::<String>::new(), "{partition}: a shard annotates nothing");
            let report = report_in(&shard);
            let spec = report.partition.as_ref().expect("a shard's report says which shard").spec;
            assert_eq!(spec.to_string(), partition);
            measured.extend(ids(&report));
            reports.push(shard.join("report.json"));
        }
        // Each benchmark in exactly one shard.
        let mut all = ids(&expected);
        all.sort();
        measured.sort();
        assert_eq!(measured, all, "{kind}: the shards measured every benchmark once");

        let merged_dir = root.join(format!("{kind}-merged"));
        let merged_summary = root.join(format!("{kind}-merged-summary.md"));
        // Any order of the shards' reports.
        reports.reverse();
        let merged = run(in_actions(merge(&reports, &merged_dir), &merged_summary));
        assert_exit(&merged, 1, &format!("{kind}: the merge's exit code is the unsplit run's"));
        let got = report_in(&merged_dir);
        assert_eq!(got.partition, None, "a merged report is a whole run's");
        let json = |v: &dyn erased::Json| v.json();
        assert_eq!(json(&got.comparison), json(&expected.comparison), "{kind}: the comparison, byte for byte");
        assert_eq!(json(&got.benchmarks), json(&expected.benchmarks), "{kind}: the benchmarks, byte for byte");
        assert_eq!(got.verdict, expected.verdict);
        assert_eq!(stdout(&merged), stdout(&unsplit), "{kind}: the table");
        assert_eq!(annotations(&merged), annotations(&unsplit), "{kind}: the annotations");
        assert!(annotations(&merged).len() <= 10);
        assert_eq!(
            fs::read_to_string(&merged_summary).unwrap(),
            fs::read_to_string(&summary).unwrap(),
            "{kind}: the job summary"
        );
        let html = fs::read_to_string(merged_dir.join("report.html")).expect("the merge writes report.html");
        assert!(html.contains("removed/since/then"), "{kind}: report.html has the whole comparison");
    }
}

mod erased {
    /// Serializes to JSON text, for byte-for-byte comparisons.
    pub trait Json {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> String {
            serde_json::to_string_pretty(self).expect("serializes")
        }
    }
}

fn shards_that_do_not_belong_together_are_refused() {
    let root = out_dir("partition-refused");
    let baselines = root.join("baselines");
    let shard = |partition: &str, extra: &[&str]| {
        let out = root.join(partition.replace([':', '/'], "-"));
        let mut args = vec!["--partition", partition];
        args.extend(extra);
        let o = run(examples(&out, &baselines, &args));
        (o, out.join("report.json"))
    };
    let (o, h1) = shard("hash:1/3", &[]);
    assert_exit(&o, 0, "hash:1/3");
    let (_, h2) = shard("hash:2/3", &["--save-baseline", "second"]);
    let (_, c3) = shard("count:3/3", &[]);
    let whole = root.join("whole");
    assert_exit(&run(examples(&whole, &baselines, &[])), 0, "unsplit");

    let refused = |reports: &[&PathBuf], words: &[&str], what: &str| {
        let reports: Vec<PathBuf> = reports.iter().map(|p| p.to_path_buf()).collect();
        let out = run(merge(&reports, &root.join("merged")));
        assert_exit(&out, 2, what);
        assert_mentions(&one_error_line(&out, what), words, what);
        assert!(!root.join("merged/report.json").exists(), "{what}: nothing written");
    };
    refused(&[&h1, &h1, &h2], &["both shard hash:1/3", "once"], "a duplicated shard");
    refused(&[&h1, &h2], &["shard hash:3/3 is missing", "all 3 shards"], "a missing shard");
    refused(&[&h1, &h2, &c3], &["count:3/3", "same partition"], "shards of two partitions");
    refused(&[&whole.join("report.json")], &["not a shard's report", "--partition"], "an unsplit report");
    let future = root.join("future.json");
    let mut doc = report_at(&h1);
    doc.schema_version = 99;
    write_report(&future, &doc);
    refused(&[&future, &h2], &["schema version 99", "one version"], "another schema");
    let mut doc = report_at(&h2);
    doc.environment.git_commit = Some("0123456789abcdef".into());
    let other = root.join("other-commit.json");
    write_report(&other, &doc);
    let (_, h3) = shard("hash:3/3", &[]);
    refused(&[&h1, &other, &h3], &["0123456789abcdef", "one revision"], "shards of two revisions");

    // A shard's baseline holds that shard only: another shard comparing with it would find
    // every benchmark new.
    let (o, _) = shard("hash:1/3", &["--baseline", "second"]);
    assert_exit(&o, 2, "another shard's baseline");
    assert_mentions(
        &one_error_line(&o, "another shard's baseline"),
        &["second", "shard hash:2/3", "shard hash:1/3"],
        "",
    );
    let (o, _) = shard("hash:2/3", &["--baseline", "second"]);
    assert_exit(&o, 0, "the shard's own baseline");
    let bad = run(examples(&root.join("bad"), &baselines, &["--partition", "hash:4/3"]));
    assert_exit(&bad, 2, "a shard beyond the count");
    assert_mentions(&stderr(&bad), &["hash:4/3", "1 <= K <= N"], "a shard beyond the count");
}
