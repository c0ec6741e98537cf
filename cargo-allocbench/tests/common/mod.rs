//! Helpers shared by the integration tests: run the real `cargo-allocbench` on fixture crates,
//! with one target directory for every nested build so that the suite builds each crate once.
#![allow(dead_code)] // each test binary uses its own part

pub mod counter;

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
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the test's output folder");
    dir
}

/// `cargo-allocbench allocbench ARGS`, as cargo runs it, with the shared target directory.
pub fn allocbench(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-allocbench"));
    cmd.arg("allocbench").arg("--target-dir").arg(shared_target()).args(args);
    cmd.env_remove("GITHUB_STEP_SUMMARY").env_remove("GITHUB_ACTIONS").env("NO_COLOR", "1");
    cmd
}

/// Runs and returns the output, printing stderr for the test log.
pub fn run(mut cmd: Command) -> Output {
    let out = cmd.output().expect("run cargo-allocbench");
    eprintln!("--- stderr of {cmd:?}\n{}", String::from_utf8_lossy(&out.stderr));
    out
}

/// The report printed by `--format json`.
pub fn report(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not a report ({e}):\n{}", String::from_utf8_lossy(&out.stdout)))
}

/// The benchmark `id` of a report.
pub fn bench<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["benchmarks"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["id"] == id))
        .unwrap_or_else(|| panic!("no benchmark `{id}` in the report:\n{report:#}"))
}
