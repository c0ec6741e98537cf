//! Hardening (issue 7): under bad input, crashing or hanging benchmarks, odd ids, interrupted
//! and concurrent runs, `cargo allocbench` keeps working, says what went wrong in one line,
//! and loses nothing.
//!
//! Most cases run the real binary on `fixtures/faulty`, whose bench targets panic, abort,
//! segfault, hang (when `FAULTY` contains `hang`), flood stdout, exit early, run nothing, or
//! carry odd ids, and whose workspace member `faulty-plain` has a bench target without
//! allocbench. Every run measures allocations only (`--allocs-only`), in an output folder of
//! its own, with the shared `target/nested`. Baseline errors of the loader (missing, empty,
//! truncated, ...) and SIGKILL during `--save-baseline` on `fixtures/exact` are
//! `baseline_gate.rs`'s; here are the cases it leaves out.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use cargo_allocbench::baseline;
use libtest_mimic::Trial;
use serde_json::Value;

use crate::common::report::{alloc, bench, compared, ids, report_in, Report, Status, Verdict};
use crate::common::{
    allocbench, assert_exit, assert_mentions, files_below, fixture, one_error_line, out_dir, run, shared_target,
    stderr, stdout, Lcg,
};

pub fn trials() -> Vec<Trial> {
    let mut trials = vec![
        trial!(failing_benchmarks_are_named_and_the_others_measured),
        trial!(the_parsers_never_panic_on_mutated_input),
        trial!(odd_ids_are_measured_kept_inside_the_output_folder_and_shown_escaped),
        trial!(two_runs_at_once_on_one_output_folder),
        trial!(a_hanging_benchmark_times_out_and_the_others_are_measured),
        trial!(projects_that_cannot_be_measured_fail_with_one_clear_line),
        trial!(a_build_failure_shows_cargos_errors_and_exits_2),
        trial!(an_unwritable_baseline_folder_fails_with_one_line_and_keeps_what_was_there),
        trial!(a_changed_set_of_benchmarks_is_reported_new_and_missing),
    ];
    #[cfg(unix)]
    trials.insert(0, trial!(save_baseline_interrupted_100_times_leaves_the_old_or_the_new_baseline));
    #[cfg(target_os = "linux")]
    trials.push(trial!(ctrl_c_stops_the_bench_processes_it_started));
    trials
}

/// `cargo allocbench` on the faulty fixture, allocations only, with its output in `out`.
fn faulty(out: &Path, args: &[&str]) -> Command {
    let manifest = fixture("faulty");
    let mut all =
        vec!["--manifest-path", manifest.to_str().unwrap(), "--out-dir", out.to_str().unwrap(), "--allocs-only"];
    all.extend_from_slice(args);
    let mut cmd = allocbench(&all);
    cmd.env_remove("FAULTY").env("CARGO_TERM_COLOR", "never");
    cmd
}

/// Asserts that `id` was measured and allocates `bytes` per iteration in one block.
fn assert_measured(report: &Report, id: &str, bytes: f64) {
    let b = bench(report, id);
    assert!(b.error.is_none(), "`{id}` failed: {b:#?}");
    let a = alloc(report, id);
    assert_eq!(a.alloc_space, bytes, "`{id}`: {b:#?}");
    assert_eq!(a.alloc_objects, 1.0, "`{id}`: {b:#?}");
}

/// Asserts that `id` failed with an error that mentions `words`, and returns the error.
fn assert_failed(report: &Report, id: &str, words: &[&str]) -> String {
    let b = bench(report, id);
    let error = b.error.clone().unwrap_or_else(|| panic!("`{id}` did not fail: {b:#?}"));
    assert!(b.alloc.is_none(), "`{id}` failed but has figures: {b:#?}");
    assert_mentions(&error, words, id);
    assert!(!error.contains('\n'), "`{id}`: the error is one line: {error:?}");
    error
}

/// Asserts that people's output holds no raw escape or bidirectional-override character.
fn assert_no_raw_controls(text: &[u8], what: &str) {
    if let Some(at) = text.iter().position(|&b| b == 0x1b) {
        let from = at.saturating_sub(80);
        panic!("{what}: a raw ESC byte at {at}: {:?}", String::from_utf8_lossy(&text[from..(at + 40).min(text.len())]));
    }
    let text = String::from_utf8_lossy(text);
    assert!(!text.contains('\u{202e}'), "{what}: a raw right-to-left override");
    assert!(!text.contains(['\u{7}', '\u{7f}']), "{what}: a raw BEL or DEL");
}

// --- Projects ---------------------------------------------------------------------------------

/// A crate in a temporary folder outside any cargo workspace.
fn scratch_crate(dir: &Path, name: &str, manifest_tail: &str) -> PathBuf {
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(dir.join("src/lib.rs"), "").unwrap();
    let manifest = dir.join("Cargo.toml");
    fs::write(
        &manifest,
        format!("[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n{manifest_tail}"),
    )
    .unwrap();
    manifest
}

/// Not a cargo project, a wrong `--manifest-path`, no bench targets, bench targets that do not
/// use allocbench: exit 2 before anything is built or written, with one line that names the
/// thing and the fix.
fn projects_that_cannot_be_measured_fail_with_one_clear_line() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("out");
    let out_arg = out.to_str().unwrap().to_owned();

    let what = "not a cargo project";
    let empty = temp.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    let mut cmd = allocbench(&["--out-dir", &out_arg]);
    cmd.current_dir(&empty);
    let o = run(cmd);
    assert_exit(&o, 2, what);
    let line = one_error_line(&o, what);
    assert_mentions(&line, &["could not find `Cargo.toml`", empty.to_str().unwrap(), "--manifest-path"], what);

    for (what, path) in [
        ("a manifest that does not exist", temp.path().join("nowhere/Cargo.toml")),
        ("a manifest path that is a folder", empty.clone()),
    ] {
        let o = run(allocbench(&["--manifest-path", path.to_str().unwrap(), "--out-dir", &out_arg]));
        assert_exit(&o, 2, what);
        let line = one_error_line(&o, what);
        assert_mentions(&line, &[path.to_str().unwrap(), "--manifest-path", "Cargo.toml"], what);
    }

    let what = "a manifest cargo cannot parse";
    let broken = temp.path().join("broken");
    fs::create_dir_all(&broken).unwrap();
    fs::write(broken.join("Cargo.toml"), "[package]\nname = \n").unwrap();
    let o = run(allocbench(&["--manifest-path", broken.join("Cargo.toml").to_str().unwrap(), "--out-dir", &out_arg]));
    assert_exit(&o, 2, what);
    let line = one_error_line(&o, what);
    assert_mentions(&line, &["`cargo metadata` failed", "Cargo.toml", "fix what cargo reports"], what);

    let what = "no bench targets";
    let manifest = scratch_crate(&temp.path().join("nobench"), "nobench", "");
    let o = run(allocbench(&["--manifest-path", manifest.to_str().unwrap(), "--out-dir", &out_arg]));
    assert_exit(&o, 2, what);
    let line = one_error_line(&o, what);
    assert_mentions(&line, &["no bench targets", "`nobench`", "[[bench]]", "package = \"allocbench\""], what);

    let what = "only bench targets that do not use allocbench";
    let o = run(faulty(&out, &["-p", "faulty-plain"]));
    assert_exit(&o, 2, what);
    let line = one_error_line(&o, what);
    assert_mentions(
        &line,
        &["no bench target uses allocbench", "faulty-plain/plain", "package = \"allocbench\""],
        what,
    );

    assert!(!out.exists(), "every case stopped before creating the output folder");
}

/// A bench target that does not compile: cargo's own errors are shown, then one line; exit 2.
fn a_build_failure_shows_cargos_errors_and_exits_2() {
    let dir = out_dir("hardening-build-failure");
    let harness = crate::common::repo().join("harness");
    let manifest = scratch_crate(
        &dir.join("broken"),
        "broken-fixture",
        &format!(
            "\n[dev-dependencies]\ncriterion = {{ package = \"allocbench\", path = {:?} }}\n\n[profile.bench]\ndebug = true\n\n[[bench]]\nname = \"broken\"\nharness = false\n",
            harness.to_str().unwrap()
        ),
    );
    // The faulty fixture's lock file: the same dependency versions, built already.
    fs::copy(fixture("faulty").with_file_name("Cargo.lock"), dir.join("broken/Cargo.lock")).unwrap();
    fs::create_dir_all(dir.join("broken/benches")).unwrap();
    fs::write(
        dir.join("broken/benches/broken.rs"),
        "fn main() {\n    let n: u32 = \"not a number\";\n    println!(\"{n}\");\n}\n",
    )
    .unwrap();
    let out = dir.join("out");
    let o = run(allocbench(&[
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--allocs-only",
    ]));
    assert_exit(&o, 2, "a bench target that does not compile");
    let err = stderr(&o);
    assert!(err.contains("error[E0308]") && err.contains("not a number"), "cargo's error is shown:\n{err}");
    let line = err.lines().last().unwrap_or_default();
    assert!(line.starts_with("error: `cargo bench --no-run` failed"), "the last line says what failed:\n{err}");
    assert!(line.contains("cargo's errors are above"), "{line}");
    assert!(stdout(&o).is_empty(), "no table for a run that did not build:\n{}", stdout(&o));
    assert!(!out.join("report.json").exists(), "no report for a run that did not build");
}

// --- Benchmarks that fail -------------------------------------------------------------------

/// A panic, an abort, a segfault, an `exit(0)` in the middle, a flood of output, a target that
/// runs nothing, a group with no benchmark, a duplicated id that criterion refuses, and a bench
/// target without allocbench beside them: each failing one is named in the table and the report,
/// every other benchmark is measured (those after a failing one in the same binary too), the
/// targets that are not allocbench benches are noted and left alone, and the run exits 2.
fn failing_benchmarks_are_named_and_the_others_measured() {
    let dir = out_dir("hardening-failing");
    let started = Instant::now();
    let mut cmd = faulty(
        &dir,
        &[
            "--workspace",
            "--bench",
            "crash",
            "--bench",
            "exit_early",
            "--bench",
            "flood",
            "--bench",
            "noop",
            "--bench",
            "empty_group",
            "--bench",
            "ids",
            "--bench",
            "plain",
        ],
    );
    cmd.env("FAULTY", "twice");
    let o = run(cmd);
    let took = started.elapsed();
    assert_exit(&o, 2, "failing benchmarks");
    let r = report_in(&dir);
    let stderr_text = stderr(&o);
    assert_eq!(r.verdict, Verdict::Error, "{r:#?}");

    // The crashes, each followed by a benchmark that is still measured.
    assert_measured(&r, "crash/before", 16.0);
    assert_failed(&r, "crash/panic", &["panicked", "exit code 101", "faulty: this benchmark panics"]);
    assert_measured(&r, "crash/after_panic", 32.0);
    assert_failed(&r, "crash/abort", &["SIGABRT"]);
    assert_measured(&r, "crash/after_abort", 64.0);
    assert_failed(&r, "crash/segfault", &["SIGSEGV"]);
    assert_measured(&r, "crash/after_segfault", 128.0);
    // `exit(0)` in the middle of a benchmark: a success status, yet that benchmark never ended.
    assert_measured(&r, "exit/before", 16.0);
    assert_failed(&r, "exit/zero", &["exited with success in the middle of this benchmark", "std::process::exit"]);
    assert_measured(&r, "exit/after", 32.0);
    // Megabytes of output, some without a newline, some not UTF-8: nothing is lost.
    assert_measured(&r, "flood/before", 16.0);
    assert_measured(&r, "flood/noise", 24.0);
    assert_measured(&r, "flood/after", 32.0);
    // A target of allocbench's `criterion_main!` that runs nothing fails; a `main` that is not
    // allocbench's (it exits before creating a `Criterion`) is left alone, as `cargo bench`
    // leaves it, with a note.
    assert_failed(&r, "faulty-fixture/empty_group (bench target)", &["ran no benchmark", "criterion_main!", "--bench"]);
    assert!(!r.benchmarks.iter().any(|b| b.target == "noop"), "noop is not measured");
    let noted: Vec<&str> = stderr_text.lines().filter(|l| l.contains("`faulty-fixture/noop`")).collect();
    assert!(
        noted.len() == 1
            && noted[0].starts_with(
                "skipping bench target `faulty-fixture/noop`: its `main` is not allocbench's `criterion_main!`"
            ),
        "one note on noop: {noted:?}"
    );
    // Criterion refuses the same id twice in one group, after the target's other benchmarks ran.
    let twice =
        assert_failed(&r, "faulty-fixture/ids (bench target)", &["panicked", "duplicated benchmark ID twice/f"]);
    assert!(twice.len() < 600, "a failure's reason is short: {twice}");
    assert_measured(&r, "ends: Warming up for", 160.0);

    let errors: Vec<(&str, &str)> =
        r.benchmarks.iter().filter_map(|b| Some((b.id.as_str(), b.error.as_deref()?))).collect();
    assert_eq!(errors.len(), 6, "exactly the failing ones failed: {errors:#?}");

    // The table names each failing benchmark on a line of its own, with its error.
    let table = stdout(&o);
    for (id, _) in &errors {
        let row = table.lines().find(|l| l.starts_with(id)).unwrap_or_else(|| panic!("no row for `{id}`:\n{table}"));
        assert!(row.contains("error: "), "the row of `{id}` shows its error: {row}");
    }
    // The skipped target: a warning with the fix.
    let err = stderr(&o);
    let skip =
        err.lines().find(|l| l.contains("faulty-plain/plain")).unwrap_or_else(|| panic!("no skip warning:\n{err}"));
    assert_mentions(skip, &["warning:", "does not use allocbench", "criterion = { package = \"allocbench\""], "skip");
    // The flood stays in the bench process's log: what people read stays small and clean.
    assert!(o.stdout.len() < 64 * 1024, "stdout is {} bytes", o.stdout.len());
    assert!(o.stderr.len() < 64 * 1024, "stderr is {} bytes", o.stderr.len());
    assert_no_raw_controls(&o.stdout, "stdout");
    assert_no_raw_controls(&o.stderr, "stderr");
    let log = dir.join("runs/allocs-only/faulty-fixture/flood/output.log");
    assert!(fs::metadata(&log).unwrap().len() > 32 << 20, "the flood went to `{}`", log.display());
    note!("failing benchmarks: {:.1} s", took.as_secs_f64());
}

/// A benchmark that hangs is killed after `--timeout` without progress; the benchmarks around
/// it are measured.
fn a_hanging_benchmark_times_out_and_the_others_are_measured() {
    let dir = out_dir("hardening-hang");
    let mut cmd = faulty(&dir, &["--bench", "hang", "--timeout", "2"]);
    cmd.env("FAULTY", "hang");
    let started = Instant::now();
    let o = run(cmd);
    let took = started.elapsed();
    assert_exit(&o, 2, "a hanging benchmark");
    let r = report_in(&dir);
    assert_measured(&r, "hang/before", 16.0);
    assert_failed(&r, "hang/forever", &["timed out", "2 s", "--timeout"]);
    assert_measured(&r, "hang/after", 32.0);
    let row = stdout(&o).lines().find(|l| l.starts_with("hang/forever")).map(str::to_owned);
    assert!(row.is_some_and(|r| r.contains("timed out")), "the table names it:\n{}", stdout(&o));
    assert!(took < Duration::from_secs(60), "killed after the timeout, not later: {took:?}");
    note!("hang with --timeout 2: {:.1} s", took.as_secs_f64());
}

// --- Interruption ---------------------------------------------------------------------------

/// The processes whose executable is a bench binary of the faulty fixture named `target-HASH`,
/// run for the output folder `out`.
fn bench_processes(target: &str, out: &Path) -> Vec<u32> {
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir("/proc") else { return found };
    let prefix = format!("{target}-");
    let records = format!("ALLOCBENCH_RECORDS={}", out.display());
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let Ok(exe) = fs::read_link(e.path().join("exe")) else { continue };
        let name = exe.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if !name.starts_with(&prefix) || !exe.starts_with(shared_target()) {
            continue;
        }
        let environ = fs::read(e.path().join("environ")).unwrap_or_default();
        if environ.split(|&b| b == 0).any(|v| v.starts_with(records.as_bytes())) {
            found.push(pid);
        }
    }
    found
}

fn signal(pid: u32, name: &str) {
    let status = Command::new("kill").args([&format!("-{name}"), &pid.to_string()]).status().unwrap();
    assert!(status.success(), "kill -{name} {pid}");
}

/// Waits up to `limit` for `child` to exit.
fn wait_for(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Ctrl-C (SIGINT to `cargo allocbench` alone), and SIGTERM, while a benchmark hangs: the bench
/// process it started is stopped, and it exits with 128 + the signal, saying so in one line.
#[cfg(target_os = "linux")]
fn ctrl_c_stops_the_bench_processes_it_started() {
    for (name, code) in [("INT", 130), ("TERM", 143)] {
        let dir = out_dir(&format!("hardening-sig{name}"));
        let mut cmd = faulty(&dir, &["--bench", "hang", "--timeout", "600"]);
        cmd.env("FAULTY", "hang").stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        // Until the benchmark hangs: its process is there and has started `hang/forever`.
        let log = dir.join("runs/allocs-only/faulty-fixture/hang/output.log");
        let started = Instant::now();
        let pids = loop {
            let pids = bench_processes("hang", &dir);
            let hanging = fs::read_to_string(&log).is_ok_and(|l| l.contains("Benchmarking hang/forever"));
            if hanging && !pids.is_empty() {
                break pids;
            }
            assert!(child.try_wait().unwrap().is_none(), "SIG{name}: the run ended before the benchmark hung");
            assert!(started.elapsed() < Duration::from_secs(120), "SIG{name}: the benchmark never started");
            std::thread::sleep(Duration::from_millis(50));
        };
        signal(child.id(), name);
        let status = wait_for(&mut child, Duration::from_secs(20));
        if status.is_none() {
            let _ = child.kill();
        }
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(code), "SIG{name}: exit status\n{}", stderr(&o));
        let line = one_error_line(&o, &format!("SIG{name}"));
        assert_mentions(&line, &[&format!("interrupted by SIG{name}"), "stopped 1 process"], "interrupt");
        // SIGKILLed and reaped by `cargo allocbench` itself: no process left, not even a zombie.
        let left: Vec<u32> = pids.iter().copied().filter(|p| Path::new(&format!("/proc/{p}")).exists()).collect();
        assert!(left.is_empty(), "SIG{name}: bench processes left running: {left:?}");
        assert!(bench_processes("hang", &dir).is_empty(), "SIG{name}: a bench process started after the signal");
        assert!(!dir.join("runs/.lock").exists(), "SIG{name}: the output folder's lock is released");
        note!("SIG{name}: stopped after {:.1} s: {line}", started.elapsed().as_secs_f64());
    }
}

/// `--save-baseline` interrupted 100 times at pseudo-random points, 50 times by SIGKILL (the
/// whole process group, as an OOM killer or a cancelled CI job would) and 50 times by SIGINT
/// (to `cargo allocbench` alone, as Ctrl-C): afterwards the baseline is the old file byte for
/// byte or the complete new one, never anything else, and stray files are never taken for a
/// baseline. The two signals run side by side, each with its own folders.
///
/// A run takes under a second (one benchmark, allocations only). Half of the signals come at a
/// pseudo-random point of the whole run; the other half are aimed at the save, which follows
/// the report within milliseconds: 0 to 8 ms after `report.json` appears. The unit test
/// `baseline::tests::sigkill_during_save_never_leaves_a_partial_baseline` kills the write itself
/// 20 times more.
#[cfg(unix)]
fn save_baseline_interrupted_100_times_leaves_the_old_or_the_new_baseline() {
    let dir = out_dir("hardening-interrupt-save");
    let lanes: Vec<std::thread::JoinHandle<String>> = [("KILL", 0x5eed_0001u64), ("INT", 0x5eed_0002)]
        .into_iter()
        .map(|(name, seed)| {
            let dir = dir.join(name);
            std::thread::spawn(move || interrupt_lane(&dir, name, seed, 50))
        })
        .collect();
    for lane in lanes {
        note!("{}", lane.join().expect("a lane failed"));
    }
}

fn interrupt_lane(dir: &Path, name: &str, seed: u64, rounds: usize) -> String {
    use std::os::unix::process::CommandExt;

    let baselines = dir.join("baselines");
    let path = baselines.join("main.json");
    let out = dir.join("out");
    let save = |filter: &str| {
        let mut cmd = faulty(
            &out,
            &["--bench", "hang", "--baseline-dir", baselines.to_str().unwrap(), "--save-baseline", "main", filter],
        );
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        cmd
    };
    // The old baseline has two benchmarks; the interrupted runs save one.
    let o = save("^hang/(before|after)$").stderr(Stdio::piped()).output().unwrap();
    assert_exit(&o, 0, "the old baseline");
    let old = fs::read(&path).unwrap();
    let mut duration = Duration::ZERO;
    for _ in 0..2 {
        let started = Instant::now();
        let o = save("^hang/before$").output().unwrap();
        duration = started.elapsed();
        assert!(o.status.success(), "{name}: a run that is not interrupted saves");
    }
    fs::write(&path, &old).unwrap();

    // The old bytes (false) or a complete new baseline (true); nothing else.
    let check = |what: &str| -> bool {
        let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{what}: the baseline is gone: {e}"));
        let loaded =
            baseline::load(&baselines, "main").unwrap_or_else(|e| panic!("{what}: the baseline does not load: {e}"));
        for entry in fs::read_dir(&baselines).unwrap() {
            let file = entry.unwrap().file_name().into_string().unwrap();
            assert!(
                file == "main.json" || (file.starts_with(".main.json.") && file.ends_with(".tmp")),
                "{what}: an unexpected file in the baseline folder: {file}"
            );
        }
        assert_eq!(baseline::list(&baselines), ["main"], "{what}: temporary files are not baselines");
        if bytes == old {
            return false;
        }
        let ids: Vec<&str> = loaded.benchmarks.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, ["hang/before"], "{what}: the new baseline is complete");
        assert_eq!(loaded.benchmarks[0].alloc.map(|a| a.alloc_space), Some(16.0), "{what}");
        true
    };

    let mut rng = Lcg(seed);
    let (mut kept, mut replaced, mut exited, mut aimed) = (0, 0, 0, 0);
    let report = out.join("report.json");
    let started = Instant::now();
    for round in 0..rounds {
        let _ = fs::remove_file(&report);
        let mut cmd = save("^hang/before$");
        cmd.process_group(0);
        let mut child = cmd.spawn().unwrap();
        let spawned = Instant::now();
        if round % 2 == 0 {
            // Anywhere in the run, and a little after.
            std::thread::sleep(duration.mul_f64(1.1 * rng.next_f64()));
        } else {
            // Aimed at the save: it follows the report within milliseconds.
            while !report.exists() && spawned.elapsed() < duration * 10 && child.try_wait().unwrap().is_none() {
                std::thread::sleep(Duration::from_millis(1));
            }
            std::thread::sleep(Duration::from_micros(rng.below(8_000) as u64));
            aimed += 1;
        }
        let delay = spawned.elapsed();
        let _ =
            Command::new("kill").args([&format!("-{name}"), &child.id().to_string()]).stderr(Stdio::null()).status();
        let status = match wait_for(&mut child, Duration::from_secs(20)) {
            Some(status) => status,
            None => panic!("{name} round {round}: the run did not stop within 20 s of the signal"),
        };
        // Whatever the run started goes too, so that nothing outlives the round.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if name == "INT" {
            // 130 after its handler ran, 0 when it had finished; killed by the signal itself only
            // in the first instants, before the handler is installed.
            use std::os::unix::process::ExitStatusExt;
            let ok = matches!(status.code(), Some(0 | 130)) || status.signal() == Some(2);
            assert!(ok, "{name} round {round}: exit status {status}");
        }
        if status.success() {
            exited += 1;
        }
        let what = format!("{name} round {round}, after {:.3} s ({status})", delay.as_secs_f64());
        if check(&what) {
            replaced += 1;
            fs::write(&path, &old).unwrap();
        } else {
            kept += 1;
        }
    }
    assert!(kept > 0, "{name}: no signal came before the save: the test tested nothing");
    // A run that is not interrupted still saves, stale locks and temporary files notwithstanding.
    let o = save("^hang/before$").output().unwrap();
    assert!(o.status.success(), "{name}: the run after the interrupted ones");
    assert!(check(&format!("{name}: the run after the interrupted ones")));
    format!(
        "SIG{name}: {rounds} runs interrupted in {:.1} s (one run: {:.2} s; {aimed} signals aimed at the save): old baseline kept {kept} times, new one found {replaced} times ({exited} runs had finished)",
        started.elapsed().as_secs_f64(),
        duration.as_secs_f64()
    )
}

/// Two runs at once on the same target directory and the same `--out-dir`, both saving the same
/// baseline: both succeed, and `report.json` and the baseline are whole documents afterwards.
fn two_runs_at_once_on_one_output_folder() {
    let dir = out_dir("hardening-concurrent");
    let baselines = dir.join("baselines");
    let cmd = || {
        let mut cmd = faulty(
            &dir,
            &["--bench", "hang", "--baseline-dir", baselines.to_str().unwrap(), "--save-baseline", "main"],
        );
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd
    };
    for round in 0..2 {
        let children: Vec<Child> = (0..2).map(|_| cmd().spawn().unwrap()).collect();
        let outputs: Vec<Output> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
        for (k, o) in outputs.iter().enumerate() {
            assert_exit(o, 0, &format!("round {round}, run {k} of two at once"));
        }
        let waited = outputs.iter().any(|o| stderr(o).contains("waiting for another cargo allocbench"));
        let r = report_in(&dir);
        let ids: BTreeSet<String> = ids(&r).into_iter().collect();
        assert_eq!(
            ids,
            BTreeSet::from(["hang/before", "hang/forever", "hang/after"].map(String::from)),
            "round {round}"
        );
        let loaded = baseline::load(&baselines, "main").unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(loaded.benchmarks.len(), 3, "round {round}");
        note!("round {round}: both runs passed (one waited for the other: {waited})");
    }
}

// --- Benchmark ids ----------------------------------------------------------------------------

/// The ids of `fixtures/faulty/benches/ids.rs` and what each allocates per iteration.
fn odd_ids() -> Vec<(String, f64)> {
    let mut ids: Vec<(String, f64)> = vec![
        ("../../x".into(), 8.0),
        ("/leading/slash".into(), 16.0),
        ("with spaces in it".into(), 24.0),
        ("ünïcödé/ベンチ".into(), 32.0),
        ("\x1b[31mred\x1b[0m".into(), 40.0),
        ("tab\there\rcr\x07bell\x7fdel".into(), 48.0),
        ("\u{202e}rtl\u{200b}zw".into(), 56.0),
        (" ".into(), 64.0),
        ("long-".repeat(60), 72.0),
        (".".into(), 80.0),
        ("..".into(), 88.0),
        ("new".into(), 136.0),
        ("colon: in the id: Collecting".into(), 144.0),
    ];
    ids.extend([
        ("dup/same/id".to_owned(), 96.0),
        ("dup/param/".to_owned(), 104.0),
        ("dup/same/id #2".to_owned(), 112.0),
        ("../../..".to_owned(), 152.0),
        ("ends: Warming up for".to_owned(), 160.0),
    ]);
    ids
}

/// Odd ids are each measured under their own id; their files (heap profiles, with
/// `--heap-profile all`) lie inside the output folder in folders of their own; criterion's
/// files stay inside the run's folder even for `..`; and the terminal never gets a raw escape
/// sequence or text-reordering character.
fn odd_ids_are_measured_kept_inside_the_output_folder_and_shown_escaped() {
    let dir = out_dir("hardening-ids");
    let started = Instant::now();
    let o = run(faulty(&dir, &["--bench", "ids", "--heap-profile", "all"]));
    assert_exit(&o, 0, "odd ids");
    let r = report_in(&dir);
    let expected = odd_ids();
    assert_eq!(ids(&r), expected.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), "every id, in order");
    for (id, bytes) in &expected {
        assert_measured(&r, id, *bytes);
    }

    // Each benchmark's files: relative, inside the output folder, in a folder of its own.
    let root = dir.canonicalize().unwrap();
    let mut folders = BTreeSet::new();
    for b in &r.benchmarks {
        let id = &b.id;
        let heap = b.artifacts.heap_profile.as_deref().unwrap_or_else(|| panic!("`{id}` has no heap profile: {b:#?}"));
        // Every kind of file the report can name, as JSON, so that a new kind is checked too.
        let artifacts = serde_json::to_value(&b.artifacts).unwrap();
        for (kind, path) in artifacts.as_object().unwrap() {
            let Some(path) = path.as_str() else { continue };
            let p = Path::new(path);
            assert!(p.is_relative() && !path.contains(".."), "`{id}` {kind}: {path}");
            assert!(path.bytes().all(|c| c.is_ascii_graphic()), "`{id}` {kind}: a plain path: {path:?}");
            let full = dir.join(p).canonicalize().unwrap_or_else(|e| panic!("`{id}` {kind}: `{path}`: {e}"));
            assert!(full.starts_with(&root), "`{id}` {kind}: {} is outside {}", full.display(), root.display());
        }
        let folder = Path::new(heap).parent().unwrap().to_owned();
        assert!(folder.starts_with("benchmarks"), "{heap}");
        assert!(folders.insert(folder.clone()), "`{id}` shares the folder {}", folder.display());
    }
    // Criterion's own files stay in the run's folder, `..` and `../../..` notwithstanding.
    for pass in ["allocs-only", "heap"] {
        let run_dir = dir.join("runs").join(pass).join("faulty-fixture/ids");
        // `again` holds the runs of a benchmark criterion sampled flat, measured again with linear
        // sampling: the run's own, there or not as the machine's speed decides.
        let mut top: Vec<String> = fs::read_dir(&run_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|name| name != "again")
            .collect();
        top.sort();
        assert_eq!(top, ["criterion", "output.log", "records.jsonl", "started.jsonl"], "{pass}: {}", run_dir.display());
    }
    // The files of ours (criterion's, under `runs/`, are named as criterion names them).
    let ours: Vec<PathBuf> = files_below(&dir).into_iter().filter(|p| !p.starts_with("runs")).collect();
    assert!(ours.len() > expected.len(), "{ours:?}");
    for p in &ours {
        assert!(p.to_string_lossy().bytes().all(|c| c.is_ascii_graphic()), "a file name of plain characters: {p:?}");
    }

    // People's output: escaped, never raw.
    assert_no_raw_controls(&o.stdout, "stdout");
    assert_no_raw_controls(&o.stderr, "stderr");
    let table = stdout(&o);
    assert!(table.contains("\\u{1b}[31mred\\u{1b}[0m"), "the escape sequence is shown escaped:\n{table}");
    assert!(table.contains("\\u{202e}rtl"), "the override is shown escaped:\n{table}");
    assert!(table.contains("dup/same/id #2"), "{table}");
    // The report keeps ids as they are: JSON escapes them.
    let json = fs::read(dir.join("report.json")).unwrap();
    assert!(!json.contains(&0x1b), "report.json holds no raw ESC");
    note!("odd ids: {:.1} s", started.elapsed().as_secs_f64());
}

// --- Baselines --------------------------------------------------------------------------------

/// A baseline folder that cannot be created (its parent is a file: permission bits do not stop
/// root): the run is measured, the save fails with one line naming the folder, exit 2. A
/// baseline file that cannot be replaced (it is a folder): the same, and what was there is kept,
/// with no temporary file left.
fn an_unwritable_baseline_folder_fails_with_one_line_and_keeps_what_was_there() {
    let dir = out_dir("hardening-unwritable");
    let file = dir.join("a-file");
    fs::write(&file, "not a folder").unwrap();
    let folder = file.join("baselines");
    let o = run(faulty(
        &dir.join("out"),
        &["--bench", "hang", "--baseline-dir", folder.to_str().unwrap(), "--save-baseline", "main"],
    ));
    assert_exit(&o, 2, "an unwritable baseline folder");
    let line = one_error_line(&o, "unwritable folder");
    assert_mentions(&line, &["cannot create folder", folder.to_str().unwrap(), "--baseline-dir"], "unwritable folder");
    assert_eq!(fs::read(&file).unwrap(), b"not a folder");

    let baselines = dir.join("baselines");
    let target = baselines.join("main.json");
    fs::create_dir_all(&target).unwrap();
    fs::write(target.join("keep"), "x").unwrap();
    let o = run(faulty(
        &dir.join("out"),
        &["--bench", "hang", "--baseline-dir", baselines.to_str().unwrap(), "--save-baseline", "main"],
    ));
    assert_exit(&o, 2, "a baseline that cannot be replaced");
    let line = one_error_line(&o, "cannot replace");
    assert_mentions(&line, &["cannot replace", target.to_str().unwrap(), "--baseline-dir"], "cannot replace");
    assert_eq!(fs::read(target.join("keep")).unwrap(), b"x", "what was there is kept");
    let names: Vec<String> =
        fs::read_dir(&baselines).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(names, ["main.json"], "no temporary file is left");
}

/// A baseline with a benchmark that is gone and without one that is new: both reported, by
/// name, in the report, the table and the summary line; neither passes silently.
fn a_changed_set_of_benchmarks_is_reported_new_and_missing() {
    let dir = out_dir("hardening-changed-set");
    let baselines = dir.join("baselines");
    let b = baselines.to_str().unwrap();
    let o = run(faulty(
        &dir.join("save"),
        &["--bench", "hang", "--baseline-dir", b, "--save-baseline", "main", "^hang/(before|forever)$"],
    ));
    assert_exit(&o, 0, "--save-baseline main");
    let out = dir.join("compare");
    let o =
        run(faulty(&out, &["--bench", "hang", "--baseline-dir", b, "--baseline", "main", "^hang/(forever|after)$"]));
    assert_exit(&o, 0, "new and missing benchmarks do not regress");
    let r = report_in(&out);
    let status = |id: &str| compared(&r, id).status;
    assert_eq!(status("hang/before"), Status::Missing);
    assert_eq!(status("hang/after"), Status::New);
    assert_eq!(status("hang/forever"), Status::Pass);
    let table = stdout(&o);
    assert!(table.lines().any(|l| l.contains("missing") && l.contains("hang/before")), "{table}");
    assert!(table.lines().any(|l| l.contains("new") && l.contains("hang/after")), "{table}");
    assert!(stderr(&o).contains("1 new, 1 missing against baseline `main`"), "{}", stderr(&o));
}

// --- Parsers ----------------------------------------------------------------------------------

/// A valid baseline document, with every optional part present.
fn valid_baseline() -> Vec<u8> {
    let json = serde_json::json!({
        "schema_version": 1,
        "name": "main",
        "writer": "cargo-allocbench 0.1.0",
        "environment": {
            "rustc": "rustc 1.95.0", "target": "x86_64-unknown-linux-gnu", "profile": "bench",
            "allocator": "System", "git_commit": "abc", "cpu": "x", "created": "2026-01-01T00:00:00Z",
            "cargo_lock_hash": "0123456789abcdef"
        },
        "benchmarks": [
            {
                "id": "group/fn/1", "package": "p", "target": "t",
                "alloc": { "alloc_objects": 1.0, "alloc_space": 64.0, "free_objects": 1.0, "free_space": 64.0,
                           "inuse_objects": 0.0, "inuse_space": 0.0, "reallocs": 0.0, "peak_space": 64.0,
                           "exact": true, "approximate": true },
                "time": { "typical_ns": 10.5, "mean_ns": 11.0, "median_ns": 10.0, "ci_low_ns": 9.0, "ci_high_ns": 12.0 },
                "artifacts": { "flamegraph": "benchmarks/x/flamegraph.svg", "cpu_profile": null,
                               "heap_profile": null, "alloc_flamegraph": null },
                "cpu": null,
                "time_samples_ns": [10.0, 11.0, 12.5],
                "cpu_folded": "main;f 3\n"
            },
            {
                "id": "\u{1b}[31m/..", "package": "p", "target": "t", "alloc": null, "time": null,
                "artifacts": {}, "error": "bench process killed by SIGSEGV (11)"
            }
        ]
    });
    serde_json::to_vec_pretty(&json).unwrap()
}

/// A report as `report.json` holds it, from a real run's document shape.
fn valid_report(baseline: &[u8]) -> Vec<u8> {
    let mut value: Value = serde_json::from_slice(baseline).unwrap();
    let object = value.as_object_mut().unwrap();
    object.remove("name");
    object.remove("writer");
    object.insert("comparison".into(), Value::Null);
    object.insert("verdict".into(), "pass".into());
    serde_json::to_vec(&value).unwrap()
}

/// One mutation of `bytes`: a truncation, flipped or replaced bytes, an insertion of bytes or of
/// a JSON token, a deletion, or a duplicated slice.
fn mutate(rng: &mut Lcg, bytes: &[u8]) -> Vec<u8> {
    const TOKENS: [&[u8]; 16] = [
        b"{",
        b"}",
        b"[",
        b"]",
        b"\"",
        b",",
        b":",
        b"null",
        b"-0",
        b"1e999",
        b"18446744073709551616",
        b"\\u0000",
        b"\\ud800",
        b"\xff\xfe",
        b"\"schema_version\": 2,",
        b"true",
    ];
    let mut out = bytes.to_vec();
    let n = out.len();
    match rng.below(7) {
        0 => out.truncate(rng.below(n + 1)),
        1 => {
            for _ in 0..1 + rng.below(4) {
                let k = rng.below(n);
                out[k] ^= 1 << rng.below(8);
            }
        }
        2 => {
            let k = rng.below(n);
            out[k] = rng.below(256) as u8;
        }
        3 => {
            let token = TOKENS[rng.below(TOKENS.len())];
            let k = rng.below(n + 1);
            out.splice(k..k, token.iter().copied());
        }
        4 => {
            let k = rng.below(n);
            let len = rng.below(32).min(n - k);
            out.drain(k..k + len);
        }
        5 => {
            let k = rng.below(n);
            let len = rng.below(64).min(n - k);
            let slice = out[k..k + len].to_vec();
            let at = rng.below(n + 1);
            out.splice(at..at, slice);
        }
        _ => {
            let k = rng.below(n + 1);
            let garbage: Vec<u8> = (0..1 + rng.below(16)).map(|_| rng.below(256) as u8).collect();
            out.splice(k..k, garbage);
        }
    }
    // Now and then a second mutation on top of the first.
    if rng.below(4) == 0 && !out.is_empty() {
        return mutate(rng, &out);
    }
    out
}

/// The baseline and report parsers, and the record reader, on 10,000 mutated documents each
/// (and some pathological ones): never a panic, and every baseline error is one line.
fn the_parsers_never_panic_on_mutated_input() {
    let baseline_bytes = valid_baseline();
    let path = Path::new("/baselines/main.json");
    let parsed = baseline::parse("main", path, &baseline_bytes).expect("the valid baseline parses");
    assert_eq!(parsed.benchmarks.len(), 2);
    let report_bytes = valid_report(&baseline_bytes);
    serde_json::from_slice::<Report>(&report_bytes).expect("the valid report parses");

    let deep = |open: &str, close: &str| {
        format!("{{\"schema_version\": 1, \"benchmarks\": {}{}}}", open.repeat(100_000), close.repeat(100_000))
    };
    let pathological: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\0".to_vec(),
        b"\xef\xbb\xbf{}".to_vec(),
        deep("[", "]").into_bytes(),
        deep("{\"a\":", "}").into_bytes(),
        b"{\"schema_version\": 18446744073709551616}".to_vec(),
        b"{\"schema_version\": -1}".to_vec(),
        b"{\"schema_version\": 1.5}".to_vec(),
        b"{\"schema_version\": 1, \"schema_version\": 2}".to_vec(),
        "\"".repeat(1 << 20).into_bytes(),
    ];

    let mut rng = Lcg(0xf022_5eed);
    let started = Instant::now();
    let (mut accepted, mut rejected) = (0, 0);
    let cases: Vec<Vec<u8>> =
        pathological.iter().cloned().chain((0..10_000).map(|_| mutate(&mut rng, &baseline_bytes))).collect();
    for (k, case) in cases.iter().enumerate() {
        let result = std::panic::catch_unwind(|| baseline::parse("main", path, case).map_err(|e| e.to_string()));
        match result {
            Ok(Ok(_)) => accepted += 1,
            Ok(Err(message)) => {
                assert!(!message.contains('\n'), "case {k}: a baseline error on two lines: {message}");
                rejected += 1;
            }
            Err(_) => panic!("case {k}: baseline::parse panicked on {:?}", String::from_utf8_lossy(case)),
        }
    }
    for k in 0..10_000 {
        let case = mutate(&mut rng, &report_bytes);
        let result = std::panic::catch_unwind(|| serde_json::from_slice::<Report>(&case).is_ok());
        assert!(result.is_ok(), "report case {k}: panicked on {:?}", String::from_utf8_lossy(&case));
    }

    // Record files: valid lines, mutated.
    // In memory where there is a tmpfs: 10,000 rewrites of a file on disk take half a minute.
    let shm = Path::new("/dev/shm");
    let records = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() }.unwrap();
    let file = records.path().join("records.jsonl");
    let line = r#"{"version":1,"id":"g/f","counting":true,"samples":[{"time":12.5,"windows":1,"custom":false,"alloc_objects":2,"alloc_space":32,"free_objects":2,"free_space":32,"reallocs":0,"peak_space":16}],"sites":[{"frames":[{"function":"f","file":"a.rs","line":3}],"samples":[[1,2,3,4]]}],"cpu_profile":{"dir":"/x","frequency":997}}"#;
    // The same id twice: the second is named as criterion titles it.
    let valid = format!("{line}\n{line}\n");
    fs::write(&file, &valid).unwrap();
    let ids: Vec<String> =
        cargo_allocbench::records::read_records(&file).expect("valid records").into_iter().map(|r| r.id).collect();
    assert_eq!(ids, ["g/f", "g/f #2"]);
    let (mut records_ok, mut records_err) = (0, 0);
    for k in 0..10_000 {
        let case = mutate(&mut rng, valid.as_bytes());
        fs::write(&file, &case).unwrap();
        let result =
            std::panic::catch_unwind(|| cargo_allocbench::records::read_records(&file).map_err(|e| e.to_string()));
        match result {
            Ok(Ok(_)) => records_ok += 1,
            Ok(Err(message)) => {
                assert!(!message.contains('\n'), "record case {k}: an error on two lines: {message}");
                records_err += 1;
            }
            Err(_) => panic!("record case {k}: read_records panicked on {:?}", String::from_utf8_lossy(&case)),
        }
    }
    note!(
        "parsers: {} baselines ({accepted} accepted, {rejected} refused), 10000 reports, 10000 record files ({records_ok} read, {records_err} refused) in {:.1} s",
        cases.len(),
        started.elapsed().as_secs_f64()
    );
}
