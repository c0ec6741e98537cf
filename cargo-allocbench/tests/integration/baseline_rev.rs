//! `--baseline-rev`: another commit measured in a temporary worktree, then the working tree,
//! compared in one command.

use std::path::Path;
use std::process::Command;

use libtest_mimic::Trial;

use crate::common::report::{comparisons, metric, report_in, Metric, Status};
use crate::common::{allocbench, copy_dir, out_dir, repo, run};

pub fn trials() -> Vec<Trial> {
    vec![trial!(baseline_rev_compares_with_the_previous_commit)]
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn baseline_rev_compares_with_the_previous_commit() {
    let work = out_dir("baseline-rev");
    let project = work.join("project");
    // A repository of its own: the exact fixture, with the harness by absolute path.
    let fixture = repo().join("fixtures/exact");
    for part in ["src", "benches"] {
        copy_dir(&fixture.join(part), &project.join(part));
    }
    std::fs::copy(fixture.join("Cargo.lock"), project.join("Cargo.lock")).unwrap();
    // Renamed, so that its binaries never take the place of the exact fixture's in the shared
    // target directory while another test runs them.
    let manifest = std::fs::read_to_string(fixture.join("Cargo.toml")).unwrap();
    let harness = repo().join("harness");
    let manifest = manifest.replace("../../harness", harness.to_str().unwrap()).replace("exact-fixture", "rev-fixture");
    // Only the counting allocator: the runs below count allocations and nothing else, and the
    // other revision builds its dependencies afresh in a target directory of its own, where
    // pprof-rs and backtrace (with their build-time crates) would cost most of the build.
    let counting_only = r#"path = "HARNESS", default-features = false, features = ["global-allocator"] }"#;
    let manifest = manifest.replace(
        &format!(r#"path = "{}" }}"#, harness.display()),
        &counting_only.replace("HARNESS", &harness.display().to_string()),
    );
    assert!(manifest.contains("default-features = false"), "the fixture's harness line moved:\n{manifest}");
    std::fs::write(project.join("Cargo.toml"), manifest).unwrap();
    let bench = std::fs::read_to_string(project.join("benches/exact.rs")).unwrap();
    std::fs::write(project.join("benches/exact.rs"), bench.replace("exact_fixture", "rev_fixture")).unwrap();
    let lock = std::fs::read_to_string(project.join("Cargo.lock")).unwrap();
    std::fs::write(project.join("Cargo.lock"), lock.replace("exact-fixture", "rev-fixture")).unwrap();
    std::fs::write(project.join(".gitignore"), "/target\n").unwrap();
    git(&project, &["init", "-q"]);
    git(&project, &["-c", "user.name=t", "-c", "user.email=t@example.invalid", "add", "."]);
    git(&project, &["-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "good"]);
    // The next commit allocates once more per iteration in `vec/iter`.
    let with_regress = std::fs::read_to_string(project.join("Cargo.toml"))
        .unwrap()
        .replace("[features]\n", "[features]\ndefault = [\"regress\"]\n");
    std::fs::write(project.join("Cargo.toml"), with_regress).unwrap();
    git(
        &project,
        &["-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qam", "one more allocation"],
    );

    let out = work.join("out");
    // `vec/iter` of the project against `rev`, allocations only.
    let against = |rev: &str| {
        let mut cmd = allocbench(&[
            "--baseline-rev",
            rev,
            "--allocs-only",
            "--heap-profile",
            "none",
            "--out-dir",
            out.to_str().unwrap(),
            "^vec/iter$",
        ]);
        cmd.current_dir(&project);
        run(cmd)
    };
    let o = against("HEAD~1");
    assert_eq!(o.status.code(), Some(1), "the working tree allocates more than HEAD~1");
    let report = report_in(&out);
    assert_eq!(report.comparison.as_ref().map(|c| c.baseline.as_str()), Some("HEAD~1"));
    let b = &comparisons(&report)[0];
    assert_eq!(b.id, "vec/iter");
    assert_eq!(b.status, Status::Regressed);
    let objects = metric(b, Metric::AllocObjects);
    assert_eq!((objects.base, objects.new), (Some(1.0), Some(2.0)));
    let worktrees = Command::new("git").arg("-C").arg(&project).args(["worktree", "list"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&worktrees.stdout).lines().count(), 1, "the temporary worktree is gone");

    assert_eq!(against("HEAD").status.code(), Some(0), "HEAD against the unchanged working tree passes");

    // `--runs 3`: the other revision's runs alternate with the working tree's (base 1, head 1,
    // base 2, head 2, ...), and time is compared across the runs. The working tree allocates
    // once more than HEAD in its source, features unchanged, so that the two builds' binaries
    // get the same paths in the shared target directory: each side must still run its own.
    let lib = std::fs::read_to_string(project.join("src/lib.rs")).unwrap();
    let once = "    black_box(Box::new(0u64));\n";
    assert!(lib.contains(once), "the fixture's extra allocation moved:\n{lib}");
    std::fs::write(project.join("src/lib.rs"), lib.replace(once, &once.repeat(2))).unwrap();
    // Before the other revision had a target directory of its own, cargo took the worktree's
    // newer binary for the working tree's and this passed.
    assert_eq!(against("HEAD").status.code(), Some(1), "a regression in the source alone is caught");
    let runs_out = work.join("runs-out");
    let mut runs = allocbench(&[
        "--baseline-rev",
        "HEAD",
        "--runs",
        "3",
        "--no-cpu-profile",
        "--heap-profile",
        "none",
        "--out-dir",
        runs_out.to_str().unwrap(),
        "^vec/iter$",
        "--",
        "--warm-up-time",
        "0.05",
        "--measurement-time",
        "0.1",
    ]);
    runs.current_dir(&project);
    let o = run(runs);
    assert_eq!(o.status.code(), Some(1), "three allocations against HEAD's two");
    let stderr = String::from_utf8_lossy(&o.stderr);
    for k in 1..=3 {
        assert!(stderr.contains(&format!("as the baseline, run {k} of 3")), "{stderr}");
    }
    assert!(!stderr.contains("the figures are run 1's"), "every run of each side ran its own code:\n{stderr}");
    let report = report_in(&runs_out);
    let time = metric(&comparisons(&report)[0], Metric::Time);
    assert!(time.limit.ends_with("(3 vs 3 runs)"), "{time:#?}");
    let b = &report.benchmarks[0];
    assert_eq!((b.alloc.map(|a| a.alloc_objects), b.time_runs_ns.len()), (Some(3.0), 3));
    let modified = |p: std::path::PathBuf| {
        std::fs::metadata(&p).and_then(|m| m.modified()).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    };
    let head = |k: u32| modified(runs_out.join(format!("runs/full-run{k}/rev-fixture/exact/records.jsonl")));
    let base = |k: u32| modified(runs_out.join(format!("baseline-rev-run{k}/report.json")));
    assert!(base(2) < head(2) && head(2) < base(3) && base(3) < head(3), "the runs alternate");

    let mut unknown =
        allocbench(&["--baseline-rev", "no-such-rev", "--allocs-only", "--out-dir", out.to_str().unwrap()]);
    unknown.current_dir(&project);
    let o = run(unknown);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("git knows no such revision"));
}
