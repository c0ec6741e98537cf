//! What people read, as snapshots (`snapshots/`): `cargo allocbench --help` and `-h`, and what a
//! run prints when its input is bad (no project, a wrong `--manifest-path`, a typo in a limit, a
//! bad baseline name, a missing or corrupt baseline, arguments clap refuses), each exiting 2
//! before anything is built. Paths are redacted (`[TEMP]` for a test's own folder, `[REPO]` for
//! the repository); nothing here has a time in it.
//!
//! `hardening.rs` and `baseline_gate.rs` check the same failures for their words and their one
//! line; these snapshots show the whole text, so that a change in it is seen and reviewed.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use libtest_mimic::Trial;

use crate::common::{allocbench, assert_exit, copy_dir, fixture, out_dir, repo, run, stderr, stdout};

pub fn trials() -> Vec<Trial> {
    vec![
        trial!(help),
        trial!(projects_that_cannot_be_measured),
        trial!(bad_limits),
        trial!(bad_baseline_names_and_missing_baselines),
        trial!(corrupt_baselines),
        trial!(arguments_clap_refuses),
        trial!(criterions_arguments_that_allocbench_refuses),
    ]
}

/// Asserts a snapshot of `text` with `temp` (a test's folder) and the repository redacted.
fn assert_redacted(name: &str, temp: &Path, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(true);
    settings.set_omit_expression(true);
    settings.add_filter(&regex::escape(temp.to_str().unwrap()), "[TEMP]");
    settings.add_filter(&regex::escape(repo().to_str().unwrap()), "[REPO]");
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// Runs `cmd`, asserts that it exits 2, and snapshots its stderr; nothing goes to stdout.
fn assert_fails(name: &str, temp: &Path, cmd: Command) {
    let o: Output = run(cmd);
    assert_exit(&o, 2, name);
    assert!(o.stdout.is_empty(), "{name}: nothing on stdout:\n{}", stdout(&o));
    assert_redacted(name, temp, &stderr(&o));
}

/// `cargo allocbench` with its report in `temp/out`, then `args`.
fn allocbench_in(temp: &Path, args: &[&str]) -> Command {
    let out = temp.join("out");
    let mut all = vec!["--out-dir", out.to_str().unwrap()];
    all.extend_from_slice(args);
    allocbench(&all)
}

/// The long help and the short one, at clap's default width of 100 columns.
fn help() {
    for (name, flag) in [("help", "--help"), ("help_short", "-h")] {
        let mut cmd = allocbench(&[flag]);
        cmd.env("COLUMNS", "100");
        let o = run(cmd);
        assert_exit(&o, 0, flag);
        assert!(o.stderr.is_empty(), "{flag}: nothing on stderr:\n{}", stderr(&o));
        assert_redacted(name, &repo(), &stdout(&o));
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-allocbench"));
    cmd.args(["allocbench", "merge", "--help"]).env("COLUMNS", "100").env_remove("CARGO_TERM_COLOR");
    let o = run(cmd);
    assert_exit(&o, 0, "merge --help");
    assert_redacted("help_merge", &repo(), &stdout(&o));
}

fn projects_that_cannot_be_measured() {
    let temp = out_dir("messages-projects");
    let empty = temp.join("empty");
    fs::create_dir_all(&empty).unwrap();
    // Outside any cargo project: the test's folder is inside this repository's.
    let outside = tempfile::tempdir().unwrap();
    let mut cmd = allocbench_in(outside.path(), &[]);
    cmd.current_dir(outside.path());
    assert_fails("error_not_a_cargo_project", outside.path(), cmd);

    let nowhere = temp.join("nowhere/Cargo.toml");
    assert_fails(
        "error_manifest_path_does_not_exist",
        &temp,
        allocbench_in(&temp, &["--manifest-path", nowhere.to_str().unwrap()]),
    );
    assert_fails(
        "error_manifest_path_is_a_folder",
        &temp,
        allocbench_in(&temp, &["--manifest-path", empty.to_str().unwrap()]),
    );

    let nobench = temp.join("nobench");
    fs::create_dir_all(nobench.join("src")).unwrap();
    fs::write(nobench.join("src/lib.rs"), "").unwrap();
    fs::write(
        nobench.join("Cargo.toml"),
        "[package]\nname = \"nobench\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n",
    )
    .unwrap();
    let manifest = nobench.join("Cargo.toml");
    assert_fails(
        "error_no_bench_targets",
        &temp,
        allocbench_in(&temp, &["--manifest-path", manifest.to_str().unwrap()]),
    );

    let faulty = fixture("faulty");
    let mut cmd = allocbench_in(&temp, &["--manifest-path", faulty.to_str().unwrap(), "-p", "faulty-plain"]);
    cmd.env("CARGO_TERM_COLOR", "never");
    assert_fails("error_no_bench_target_uses_allocbench", &temp, cmd);
    assert!(!temp.join("out").exists(), "every case stopped before creating the output folder");
}

fn bad_limits() {
    let temp = out_dir("messages-limits");
    let exact = fixture("exact");
    for (name, spec) in [
        ("error_limit_unknown_metric", "alloc_spce=5%"),
        ("error_limit_bare_number", "alloc_space=5"),
        ("error_limit_without_a_value", "alloc_space"),
    ] {
        assert_fails(name, &temp, allocbench_in(&temp, &["--manifest-path", exact.to_str().unwrap(), "--limit", spec]));
    }

    // The same typo in `[package.metadata.allocbench.limits]`, in a copy of the fixture.
    let copy = temp.join("exact-copy");
    copy_dir(exact.parent().unwrap(), &copy);
    let manifest = copy.join("Cargo.toml");
    let harness = repo().join("harness");
    let text = fs::read_to_string(&manifest).unwrap();
    let text = text.replace("path = \"../../harness\"", &format!("path = {:?}", harness.to_str().unwrap()))
        + "\n[package.metadata.allocbench.limits]\nalloc_spce = \"5%\"\n";
    fs::write(&manifest, text).unwrap();
    assert_fails(
        "error_limit_in_package_metadata",
        &temp,
        allocbench_in(&temp, &["--manifest-path", manifest.to_str().unwrap()]),
    );
}

/// `cargo allocbench` on the exact fixture, allocations only, with baselines in `baselines`.
fn gate(temp: &Path, baselines: &Path, args: &[&str]) -> Command {
    let exact = fixture("exact");
    let mut all = vec!["--manifest-path", exact.to_str().unwrap(), "--allocs-only"];
    all.extend(["--baseline-dir", baselines.to_str().unwrap()]);
    all.extend_from_slice(args);
    allocbench_in(temp, &all)
}

fn bad_baseline_names_and_missing_baselines() {
    let temp = out_dir("messages-baseline-names");
    let baselines = temp.join("baselines");
    fs::create_dir_all(&baselines).unwrap();
    fs::write(baselines.join("main.json"), "{}").unwrap();
    for (name, args) in [
        ("error_baseline_name_is_a_path", &["--save-baseline", "../main"][..]),
        ("error_baseline_name_is_a_path_to_compare", &["--baseline", "../main"][..]),
        ("error_baseline_missing", &["--baseline", "release"][..]),
    ] {
        assert_fails(name, &temp, gate(&temp, &baselines, args));
    }
    let nowhere = temp.join("nowhere");
    assert_fails("error_baseline_folder_missing", &temp, gate(&temp, &nowhere, &["--baseline", "main"]));
    assert!(!nowhere.exists() && !temp.join("out").exists(), "a failed --baseline creates no folder");
}

fn corrupt_baselines() {
    let temp = out_dir("messages-corrupt-baselines");
    for (name, content) in [
        ("error_baseline_empty", ""),
        ("error_baseline_truncated", "{\"schema_version\": 1, \"benchmarks\": ["),
        ("error_baseline_not_json", "{\"schema_version\": 1, \"benchmarks\": [oops]}\n"),
        ("error_baseline_wrong_types", "{\"schema_version\": 1, \"benchmarks\": 3}\n"),
        ("error_baseline_newer_schema", "{\"schema_version\": 99, \"benchmarks\": []}\n"),
    ] {
        let baselines = temp.join(name);
        fs::create_dir_all(&baselines).unwrap();
        fs::write(baselines.join("main.json"), content).unwrap();
        assert_fails(name, &temp, gate(&temp, &baselines, &["--baseline", "main"]));
        assert_eq!(fs::read_to_string(baselines.join("main.json")).unwrap(), content, "{name}: untouched");
    }
}

/// What clap prints for arguments it refuses: the error, the usage, the hint.
fn arguments_clap_refuses() {
    let temp = out_dir("messages-arguments");
    for (name, args) in [
        ("error_runs_zero", &["--runs", "0"][..]),
        ("error_runs_too_many", &["--runs", "11"][..]),
        ("error_runs_with_allocs_only", &["--runs", "2", "--allocs-only"][..]),
    ] {
        let mut cmd = allocbench(args);
        cmd.env("COLUMNS", "100");
        assert_fails(name, &temp, cmd);
    }
}

/// Criterion's own options after `--` that allocbench has a flag of its own for, or that
/// criterion does not know: one line naming what to use, before anything is built.
fn criterions_arguments_that_allocbench_refuses() {
    let temp = out_dir("messages-criterion-arguments");
    let exact = fixture("exact");
    for (name, args) in [
        ("error_criterion_save_baseline", &["--", "--save-baseline", "main"][..]),
        ("error_criterion_baseline", &["--", "--baseline=main"][..]),
        ("error_criterion_profile_time", &["--", "--profile-time", "1"][..]),
        ("error_criterion_unknown_option", &["--", "--quik"][..]),
        ("error_criterion_two_filters", &["vec", "--", "zero"][..]),
    ] {
        let mut all = vec!["--manifest-path", exact.to_str().unwrap()];
        all.extend_from_slice(args);
        assert_fails(name, &temp, allocbench_in(&temp, &all));
    }
    assert!(!temp.join("out").exists(), "every case stopped before creating the output folder");
}
