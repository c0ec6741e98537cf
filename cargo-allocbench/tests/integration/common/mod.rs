//! Helpers shared by the integration tests: run the real `cargo-allocbench` on fixture crates,
//! with one target directory for every nested build so that the suite builds each crate once;
//! read what it printed and wrote; files, processes and pseudo-random numbers for the tests.
#![allow(dead_code)] // not every helper is used by every build of the tests

#[macro_use]
pub mod harness;
pub mod counter;
pub mod pprof;
pub mod report;
pub mod tools;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the crate is one level below the root").to_owned()
}

/// A fixture crate's manifest.
pub fn fixture(name: &str) -> PathBuf {
    repo().join("fixtures").join(name).join("Cargo.toml")
}

/// The target directory all nested builds share.
pub fn shared_target() -> PathBuf {
    repo().join("target").join("nested")
}

/// A fresh output folder for one test.
pub fn out_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("allocbench-tests").join(test);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create the test's output folder");
    dir
}

/// `cargo-allocbench allocbench ARGS`, as cargo runs it, with the shared target directory.
pub fn allocbench(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-allocbench"));
    cmd.arg("allocbench").arg("--target-dir").arg(shared_target()).args(args);
    // What the user's environment may set that changes what the run prints: CI's own
    // CARGO_TERM_COLOR would show in clap's usage lines as a `--color` given.
    cmd.env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("CARGO_TERM_COLOR")
        .env("NO_COLOR", "1");
    cmd
}

/// Runs and returns the output, keeping stderr in the test's log.
pub fn run(mut cmd: Command) -> Output {
    let out = cmd.output().expect("run cargo-allocbench");
    note!("--- stderr of {cmd:?}\n{}", String::from_utf8_lossy(&out.stderr));
    out
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts the exit code, showing what the run printed when it differs.
pub fn assert_exit(out: &Output, code: i32, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}: exit status\n--- stdout\n{}\n--- stderr\n{}",
        stdout(out),
        stderr(out)
    );
}

/// The line of stderr that starts with `error:`; there must be exactly one, and nothing of it
/// on a second line.
pub fn one_error_line(out: &Output, what: &str) -> String {
    let text = stderr(out);
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "{what}: one error line expected:\n{text}");
    let line = lines[0].to_owned();
    let after = text.split(&line).nth(1).unwrap_or("");
    assert!(
        after.lines().nth(1).is_none_or(|l| !l.starts_with(' ')),
        "{what}: the error continues on another line:\n{text}"
    );
    line
}

/// The one line a failed run prints: stderr holds exactly one line, starting with `error: `.
pub fn only_error_line(out: &Output, what: &str) -> String {
    let text = stderr(out);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{what}: stderr should be one line, is:\n{text}");
    assert!(lines[0].starts_with("error: "), "{what}: the line should start with `error: `: {}", lines[0]);
    lines[0].to_owned()
}

pub fn assert_mentions(line: &str, words: &[&str], what: &str) {
    for word in words {
        assert!(line.contains(word), "{what}: the message should mention {word:?}:\n{line}");
    }
}

/// The files in a folder, sorted.
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.unwrap().file_name().into_string().unwrap()).collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// Every file below `dir`, relative, following no symbolic link.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            let t = e.file_type().unwrap();
            if t.is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path().strip_prefix(dir).unwrap().to_owned());
            }
        }
    }
    out
}

/// Copies a folder and everything below it.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A small linear congruential generator (Knuth's MMIX constants): the same cases on every run,
/// so that a failure reproduces.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 11
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        self.next_u64() as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}
