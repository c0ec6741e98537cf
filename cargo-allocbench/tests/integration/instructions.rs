//! `--instructions`: instructions per iteration under valgrind's callgrind, equal to an
//! independent count, and gated.
//!
//! The independent count is callgrind's own, outside criterion and allocbench: the fixture's
//! `loop` binary calls the same function N and then 2N times in a plain loop, under
//! `valgrind --tool=callgrind --toggle-collect=loop::run`, and one call is the difference
//! divided by N.

use std::path::Path;
use std::process::Command;

use libtest_mimic::Trial;

use crate::common::report::{bench, compared, metric, report, Metric, Status};
use crate::common::tools::{Needs, Tool};
use crate::common::{allocbench, assert_exit, fixture, one_error_line, out_dir, run, shared_target, stderr};

pub fn trials() -> Vec<Trial> {
    vec![
        trial!(instructions_equal_an_independent_callgrind_count).needs(Tool::Valgrind),
        trial!(five_percent_more_work_fails_the_gate).needs(Tool::Valgrind),
        trial!(missing_valgrind_is_one_line_before_the_build),
    ]
}

/// Instructions that `loop::run` executes for `n` calls, as callgrind counts them.
fn callgrind_count(exe: &Path, n: u64, out: &Path) -> u64 {
    let file = out.join(format!("callgrind.loop.{n}"));
    let o = Command::new("valgrind")
        .args(["--tool=callgrind", "--toggle-collect=loop::run"])
        .arg(format!("--callgrind-out-file={}", file.display()))
        .arg(exe)
        .arg(n.to_string())
        .output()
        .expect("run valgrind");
    assert!(o.status.success(), "valgrind on the loop: {}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&file).unwrap();
    let total = text.lines().find_map(|l| l.strip_prefix("summary:").or_else(|| l.strip_prefix("totals:")));
    total.and_then(|t| t.trim().parse().ok()).unwrap_or_else(|| panic!("no total in {}", file.display()))
}

fn instructions_equal_an_independent_callgrind_count() {
    let out = out_dir("instructions-exact");
    let manifest = fixture("instructions");
    let built = Command::new(env!("CARGO"))
        .args(["build", "--release", "--bin", "loop", "--manifest-path"])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(shared_target())
        .output()
        .expect("build the loop binary");
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let exe = shared_target().join("release").join("loop");
    let (n, two_n) = (callgrind_count(&exe, 8, &out), callgrind_count(&exe, 16, &out));
    let per_call = (two_n - n) as f64 / 8.0;
    assert!(per_call > 100_000.0, "the checksum is a hot loop: {per_call}");

    let o = run(allocbench(&[
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--allocs-only",
        "--instructions",
        "--format",
        "json",
    ]));
    assert_exit(&o, 0, "--allocs-only --instructions");
    let r = report(&o);
    // A group (sampled linearly by the harness) and a top-level benchmark (sampled flat by
    // criterion, then counted again with linear sampling).
    for id in ["hot/checksum", "top/checksum"] {
        let b = bench(&r, id);
        let i = b.instructions.as_ref().unwrap_or_else(|| panic!("{id}: no instructions: {b:#?}"));
        assert!(i.exact, "{id}: every sample gave the same slope: {i:#?}");
        let off = (i.instructions - per_call).abs() / per_call;
        assert!(
            off < 0.001,
            "{id}: {} instructions per iteration, callgrind on a plain loop {per_call}",
            i.instructions
        );
        assert_eq!(i.functions[0].function, "instructions_fixture::checksum", "{i:#?}");
        // The allocation figures are still there, from the timing pass.
        assert_eq!(b.alloc.map(|a| a.alloc_objects), Some(0.0), "{b:#?}");
        // The fast gate draws no flame graph.
        assert_eq!(b.artifacts.instructions_flamegraph, None, "{id}");
    }
    // The run wrote the Markdown summary beside report.json (what `--format markdown` prints).
    let summary = std::fs::read_to_string(out.join("summary.md")).expect("summary.md");
    assert!(summary.contains("instr/iter"), "the Markdown summary has the column:\n{summary}");

    // A full run (criterion's own timing, briefly) counts the same, and draws the flame graph
    // from callgrind's call chains, with the routine as its root.
    let full_dir = out.join("full");
    let full_run = |extra: &[&str]| {
        let mut a = vec!["--manifest-path", manifest.to_str().unwrap(), "--out-dir", full_dir.to_str().unwrap()];
        a.extend(["--instructions", "--no-cpu-profile", "--heap-profile", "none", "--format", "json"]);
        a.extend_from_slice(extra);
        a.extend(["--", "--warm-up-time", "0.05", "--measurement-time", "0.1"]);
        run(allocbench(&a))
    };
    let full = full_run(&["--save-baseline", "full"]);
    assert_exit(&full, 0, "a full run with --instructions");
    let r = report(&full);
    for id in ["hot/checksum", "top/checksum"] {
        let b = bench(&r, id);
        let i = b.instructions.as_ref().unwrap_or_else(|| panic!("{id}: no instructions: {b:#?}"));
        assert!((i.instructions - per_call).abs() / per_call < 0.001, "{id}: {i:#?}");
        assert!(b.time.is_some(), "{id}: a full run times too");
        let svg = b.artifacts.instructions_flamegraph.as_ref().unwrap_or_else(|| panic!("{id}: {b:#?}"));
        let svg = std::fs::read_to_string(out.join("full").join(svg)).unwrap();
        assert!(svg.contains("instructions_fixture::checksum"), "{id}: the checksum is in the graph");
        assert!(!svg.contains("criterion::routine"), "{id}: criterion's frames are cut away");
    }
    // Against a baseline with call chains: a differential graph of where instructions grew.
    let regressed = full_run(&["--baseline", "full", "--features", "regress"]);
    assert_exit(&regressed, 1, "a full run, 5 % more rounds");
    let r = report(&regressed);
    for id in ["hot/checksum", "top/checksum"] {
        let diff = bench(&r, id).artifacts.instructions_diff_flamegraph.clone();
        assert!(diff.is_some_and(|d| full_dir.join(d).is_file()), "{id}: a differential flame graph");
    }
}

fn five_percent_more_work_fails_the_gate() {
    let out = out_dir("instructions-gate");
    let manifest = fixture("instructions");
    let args = |extra: &[&str]| {
        let mut a = vec!["--manifest-path", manifest.to_str().unwrap(), "--out-dir", out.to_str().unwrap()];
        a.extend(["--allocs-only", "--instructions", "--format", "json"]);
        a.extend_from_slice(extra);
        a.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let call = |extra: &[&str]| {
        let a = args(extra);
        run(allocbench(&a.iter().map(String::as_str).collect::<Vec<_>>()))
    };
    assert_exit(&call(&["--save-baseline", "main"]), 0, "save");
    let aa = call(&["--baseline", "main"]);
    assert_exit(&aa, 0, "A/A");
    let r = report(&aa);
    assert_eq!(metric(compared(&r, "hot/checksum"), Metric::Instructions).status, Status::Pass);

    let regressed = call(&["--baseline", "main", "--features", "regress"]);
    assert_exit(&regressed, 1, "5 % more rounds");
    let r = report(&regressed);
    for id in ["hot/checksum", "top/checksum"] {
        let c = compared(&r, id);
        let m = metric(c, Metric::Instructions);
        assert_eq!((m.status, m.gated, m.limit.as_str()), (Status::Regressed, true, "1%"), "{id}: {m:#?}");
        let change = m.change.unwrap();
        assert!((0.04..0.06).contains(&change), "{id}: 20 → 21 rounds is +5 %: {m:#?}");
        // Nothing allocates more: only instructions can catch this.
        assert_eq!(metric(c, Metric::AllocObjects).status, Status::Pass, "{id}");
        assert_eq!(c.grew.instructions[0].function, "instructions_fixture::checksum", "{c:#?}");
    }
    // A limit above the change lets it pass.
    assert_exit(&call(&["--baseline", "main", "--features", "regress", "--limit", "instructions=10%"]), 0, "10 %");
}

fn missing_valgrind_is_one_line_before_the_build() {
    let out = out_dir("instructions-no-valgrind");
    // A PATH with cargo and rustc but no valgrind.
    let bin = out.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["cargo", "rustc"] {
        let found = Command::new("which").arg(tool).output().expect("which");
        let path = String::from_utf8_lossy(&found.stdout).trim().to_owned();
        std::os::unix::fs::symlink(path, bin.join(tool)).unwrap();
    }
    let manifest = fixture("instructions");
    let mut cmd = allocbench(&["--manifest-path", manifest.to_str().unwrap(), "--allocs-only", "--instructions"]);
    cmd.env("PATH", &bin).env_remove("CARGO");
    let o = run(cmd);
    assert_exit(&o, 2, "no valgrind");
    let line = one_error_line(&o, "no valgrind");
    assert!(line.contains("valgrind") && line.contains("apt-get install valgrind"), "{line}");
    assert!(!stderr(&o).contains("Compiling"), "found before the build:\n{}", stderr(&o));
}
