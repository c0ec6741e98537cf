//! `cargo bench` on a crate that uses the front prints what plain criterion 0.8 prints.
//!
//! The same bench source is built twice: against allocbench (`fixtures/exact`) and against
//! upstream criterion (`fixtures/plain-criterion`, whose bench target is the same file). Both
//! binaries run as `cargo bench` runs them; their outputs must match line for line once the
//! measured numbers are masked.

use std::path::Path;
use std::process::Command;

use cargo_allocbench::targets::{self, CargoOptions};
use libtest_mimic::Trial;

use crate::common::{fixture, shared_target};

pub fn trials() -> Vec<Trial> {
    vec![trial!(bench_output_is_criterions)]
}

fn executable(manifest: &Path) -> std::path::PathBuf {
    let opts = CargoOptions { manifest_path: Some(manifest.to_owned()), ..CargoOptions::default() };
    let project = targets::discover(&opts).expect("discover the fixture");
    targets::build(&opts, &project.targets, &shared_target(), true).expect("build the fixture").remove(0)
}

/// Builds a crate that does not use allocbench, and returns its bench executable.
fn build_plain(manifest: &Path) -> std::path::PathBuf {
    let out = Command::new(targets::cargo())
        .args(["bench", "--no-run", "--quiet", "--message-format=json", "--manifest-path"])
        .arg(manifest)
        .arg("--target-dir")
        .arg(shared_target())
        .output()
        .expect("run cargo");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|m| m["executable"].as_str().filter(|_| m["target"]["kind"][0] == "bench").map(Into::into))
        .expect("cargo reported the bench executable")
}

fn run(exe: &Path, args: &[&str], home: &Path) -> String {
    let _ = std::fs::remove_dir_all(home);
    let out = Command::new(exe).args(args).env("CRITERION_HOME", home).output().expect("run the bench");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("criterion prints UTF-8")
}

/// Numbers and their units masked; lines about outliers (random by nature) dropped.
fn masked(output: &str) -> Vec<String> {
    let number = regex::Regex::new(r"-?[0-9]+(\.[0-9]+)?( ?(ns|µs|us|ms|s|%))?").unwrap();
    output
        .lines()
        .filter(|l| !l.contains("outlier") && !l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .map(|l| number.replace_all(l, "N").split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}

fn bench_output_is_criterions() {
    let ours = executable(&fixture("exact"));
    let plain = build_plain(&fixture("plain-criterion"));
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion-output");

    let list = ["--bench", "--list"];
    assert_eq!(run(&ours, &list, &tmp.join("a")), run(&plain, &list, &tmp.join("b")), "`--list` output differs");

    let args = ["--bench", "param", "--warm-up-time", "0.05", "--measurement-time", "0.1", "--noplot"];
    let a = masked(&run(&ours, &args, &tmp.join("a")));
    let b = masked(&run(&plain, &args, &tmp.join("b")));
    assert!(a.iter().any(|l| l.starts_with("param/buffer/N time: [N N N]")), "criterion's result lines: {a:#?}");
    assert_eq!(a, b);
}
