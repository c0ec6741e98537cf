//! Which bench targets are allocbench benches: one cheap question to each bench executable
//! before any pass, so that a target cargo made of a helper module (`benches/utils.rs`, built
//! with libtest's harness under autobenches) or a `main` of another harness is left alone, as
//! `cargo bench` leaves it to its own harness, instead of being handed criterion's options.
//!
//! The question is `EXE --bench --list` with [`env::PROBE`] naming a file. How each kind of
//! executable answers it:
//!
//! - allocbench's harness writes its [`ProbeAnswer`] in the file and exits with success in its
//!   first `Criterion::default()`, before any benchmark's setup: the cost of starting the process;
//! - libtest's harness writes nothing, lists its tests and benchmarks on stdout, and ends the
//!   listing with its count (`0 tests, 0 benchmarks`): cheap, and never running a test;
//! - an allocbench older than the probe writes nothing and lists its benchmarks as criterion does
//!   (`ID: benchmark`, no count): it is measured as it always was, so that a baseline revision
//!   built with it (`--baseline-rev`) still runs;
//! - anything else (a `main` that ignores its arguments, fails on them, or hangs) writes nothing
//!   and is left out, with what it did in the note.
//!
//! The answer in a file, not on stdout: a bench's own code may print anything before criterion
//! gets to parse its arguments.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use allocbench_formats::env;
use allocbench_formats::probe::ProbeAnswer;
use allocbench_formats::record::RECORD_VERSION;

use crate::cargo::discover::BenchTarget;
use crate::events::Sink;
use crate::exec::process::{lock_out_dir, spawn, Tracked};
use crate::exec::run::{describe, RunError};

/// What a bench executable is, from its answer to the probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// allocbench's harness answered.
    Allocbench(ProbeAnswer),
    /// No answer, but criterion's listing without libtest's count: an allocbench that predates
    /// the probe. Measured as before.
    Unannounced,
    /// Not an allocbench bench: left out, for the reason given (one line, for the note).
    Other(String),
}

/// No bench target answered as an allocbench bench.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeError {
    #[error("nothing to measure: no selected bench target runs allocbench's `criterion_main!` ({skipped}); a bench target needs `harness = false` and `criterion = {{ package = \"allocbench\", ... }}` in `[dev-dependencies]`")]
    NothingToMeasure { skipped: String },
    #[error("bench target `{target}` links allocbench {harness}, which writes records of version {theirs}; this cargo-allocbench reads version {ours}: use the same version of both (`cargo install cargo-allocbench --version {harness}`)")]
    RecordVersion { target: String, harness: String, theirs: u32, ours: u32 },
    #[error(transparent)]
    Run(#[from] RunError),
}

/// The files of one target's probe, below the output folder.
fn files(out_dir: &Path, target: &BenchTarget) -> (PathBuf, PathBuf) {
    let base = out_dir.join("runs").join("probe").join(&target.package).join(&target.target);
    (base.join("answer.json"), base.join("list.txt"))
}

/// Asks every target's executable what it is, all at once, each for up to `timeout`; first
/// takes the output folder's lock, saying to `events` when it waits for it.
pub fn probe(
    targets: &[BenchTarget],
    executables: &[PathBuf],
    out_dir: &Path,
    timeout: Duration,
    events: &dyn Sink,
) -> Result<Vec<Kind>, RunError> {
    lock_out_dir(&out_dir.join("runs").join(".lock"), events)?;
    let mut running: Vec<(Tracked, PathBuf, PathBuf)> = Vec::new();
    for (target, exe) in targets.iter().zip(executables) {
        let (answer, list) = files(out_dir, target);
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| RunError::Io { path, source }
        };
        let folder = answer.parent().unwrap_or(out_dir);
        fs::create_dir_all(folder).map_err(io(folder))?;
        if answer.exists() {
            fs::remove_file(&answer).map_err(io(&answer))?;
        }
        let stdout = fs::File::create(&list).map_err(io(&list))?;
        let mut cmd = Command::new(exe);
        cmd.args(["--bench", "--list"])
            .current_dir(&target.package_dir)
            .env(env::PROBE, &answer)
            // Criterion's files, if an older harness writes any, stay in the probe's folder.
            .env("CRITERION_HOME", folder.join("criterion"))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::null());
        let (child, _) = spawn(&mut cmd).map_err(|source| match source.kind() {
            io::ErrorKind::Interrupted => RunError::Interrupted,
            _ => RunError::Spawn { exe: exe.to_owned(), source },
        })?;
        running.push((child, answer, list));
    }
    let started = Instant::now();
    let mut kinds = Vec::new();
    for (child, answer, list) in running {
        let left = timeout.saturating_sub(started.elapsed());
        let status = child.wait_for(left).map_err(|source| match source.kind() {
            io::ErrorKind::Interrupted => RunError::Interrupted,
            _ => RunError::Io { path: answer.clone(), source },
        })?;
        if status.is_none() {
            child.kill();
        }
        let answered = fs::read_to_string(&answer).ok().and_then(|t| serde_json::from_str::<ProbeAnswer>(&t).ok());
        let listing = fs::read(&list).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        kinds.push(match (answered, status) {
            (Some(answer), _) => Kind::Allocbench(answer),
            (None, Some(status)) => classify(&listing, status.success(), &describe(status)),
            (None, None) => Kind::Other(format!(
                "asked `--bench --list`, it did not answer in {} s; allocbench's harness answers at once",
                timeout.as_secs()
            )),
        });
    }
    Ok(kinds)
}

/// What an executable that did not answer the probe is, from what it printed on stdout for
/// `--bench --list` and how it exited.
fn classify(listing: &str, success: bool, status: &str) -> Kind {
    if !success {
        return Kind::Other(format!(
            "asked `--bench --list`, it ended with {status} and no answer, as allocbench's `criterion_main!` gives"
        ));
    }
    let lines: Vec<&str> = listing.lines().map(str::trim_end).filter(|l| !l.is_empty()).collect();
    if lines.last().is_some_and(|l| is_libtest_count(l)) {
        return Kind::Other("it runs libtest's harness (a module under `benches/` that cargo's autobenches made a bench target?); `cargo bench` runs it, allocbench has nothing to count there".to_owned());
    }
    if lines.iter().any(|l| l.ends_with(": benchmark")) {
        return Kind::Unannounced;
    }
    Kind::Other(
        "its `main` is not allocbench's `criterion_main!`: asked `--bench --list`, it listed no benchmark".to_owned(),
    )
}

/// libtest's last line of `--list`: `1 test, 0 benchmarks`, `3 tests, 2 benchmarks`.
fn is_libtest_count(line: &str) -> bool {
    let count = |part: &str, word: &str| {
        part.split_once(' ').is_some_and(|(n, w)| {
            !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && (w == word || w.strip_suffix('s') == Some(word))
        })
    };
    line.split_once(", ").is_some_and(|(tests, benches)| count(tests, "test") && count(benches, "benchmark"))
}

/// Keeps the targets the probe found measurable, with their executables; notes each target left
/// out on one line. A run in which no target is left to measure fails, and so does one whose
/// harness writes records this build cannot read.
pub fn select(
    targets: &[BenchTarget],
    executables: Vec<PathBuf>,
    kinds: &[Kind],
    note: impl Fn(&str),
) -> Result<(Vec<BenchTarget>, Vec<PathBuf>), ProbeError> {
    let mut kept = (Vec::new(), Vec::new());
    let mut skipped = Vec::new();
    for ((target, exe), kind) in targets.iter().zip(executables).zip(kinds) {
        match kind {
            Kind::Other(why) => {
                note(&format!("skipping bench target `{}/{}`: {why}", target.package, target.target));
                skipped.push(format!("`{}/{}`", target.package, target.target));
            }
            Kind::Allocbench(answer) if answer.record_version != RECORD_VERSION => {
                // Found now, not when its records fail to read after minutes of measuring.
                return Err(ProbeError::RecordVersion {
                    target: format!("{}/{}", target.package, target.target),
                    harness: answer.harness.clone(),
                    theirs: answer.record_version,
                    ours: RECORD_VERSION,
                });
            }
            _ => {
                kept.0.push(target.clone());
                kept.1.push(exe);
            }
        }
    }
    if kept.0.is_empty() {
        return Err(ProbeError::NothingToMeasure { skipped: skipped.join(", ") });
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_tell_libtest_from_criterion() {
        assert!(is_libtest_count("0 tests, 0 benchmarks"));
        assert!(is_libtest_count("1 test, 1 benchmark"));
        assert!(is_libtest_count("12 tests, 3 benchmarks"));
        assert!(!is_libtest_count("tests, benchmarks"));
        assert!(!is_libtest_count("a, b: benchmark"));
        // libtest's `#[bench]` functions are listed as criterion lists its benchmarks: the count
        // that ends the listing tells them apart.
        let libtest = "utils::tests::t: test\nutils::b: benchmark\n\n1 test, 1 benchmark\n";
        assert!(matches!(classify(libtest, true, "exit code 0"), Kind::Other(why) if why.contains("libtest")));
        assert_eq!(classify("g/f: benchmark\ng/h: benchmark\n", true, "exit code 0"), Kind::Unannounced);
        assert!(
            matches!(classify("hello\n", true, "exit code 0"), Kind::Other(why) if why.contains("listed no benchmark"))
        );
        assert!(matches!(classify("", false, "exit code 1"), Kind::Other(why) if why.contains("exit code 1")));
    }

    #[test]
    fn a_run_with_nothing_left_to_measure_fails() {
        let target = |name: &str| BenchTarget {
            package: "p".into(),
            package_id: "p 0.0.0".into(),
            target: name.into(),
            package_dir: PathBuf::new(),
            selection: None,
        };
        let targets = [target("benches"), target("utils")];
        let exes = vec![PathBuf::from("a"), PathBuf::from("b")];
        let notes = std::cell::RefCell::new(Vec::new());
        let answer = ProbeAnswer { harness: "0.1.0".into(), record_version: 1 };
        let kinds = [Kind::Allocbench(answer), Kind::Other("libtest".into())];
        let (kept, kept_exes) =
            select(&targets, exes.clone(), &kinds, |n| notes.borrow_mut().push(n.to_owned())).unwrap();
        assert_eq!(
            (kept.len(), kept_exes, notes.borrow().clone()),
            (1, vec![PathBuf::from("a")], vec!["skipping bench target `p/utils`: libtest".to_owned()])
        );
        let newer = ProbeAnswer { harness: "9.0.0".into(), record_version: RECORD_VERSION + 1 };
        let e = select(&targets, exes.clone(), &[Kind::Allocbench(newer), Kind::Unannounced], |_| {}).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("bench target `p/benches` links allocbench 9.0.0, which writes records of version"),
            "{e}"
        );
        let none = [Kind::Other("x".into()), Kind::Other("y".into())];
        let e = select(&targets, exes, &none, |_| {}).unwrap_err();
        assert!(e.to_string().starts_with("nothing to measure: no selected bench target runs allocbench's `criterion_main!` (`p/benches`, `p/utils`)"), "{e}");
    }
}
