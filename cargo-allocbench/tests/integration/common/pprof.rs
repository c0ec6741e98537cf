//! Go's `go tool pprof`, which reads our profiles as an independent check.

use std::path::Path;
use std::process::Command;

/// `go tool pprof ARGS PROFILE`'s output.
pub fn go_pprof(args: &[&str], profile: &Path) -> String {
    let out = Command::new("go")
        .args(["tool", "pprof"])
        .args(args)
        .arg(profile)
        .output()
        .expect("`go` runs: install Debian's golang-go (`.ci/run` does)");
    assert!(out.status.success(), "go tool pprof {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The rows of `go tool pprof -top`, after its table header.
pub fn top_rows(top: &str) -> Vec<&str> {
    top.lines().skip_while(|l| !l.trim_start().starts_with("flat")).skip(1).collect()
}

/// The function names of `go tool pprof -top`'s rows (after flat, flat%, sum%, cum, cum%).
pub fn top_names(top: &str) -> Vec<String> {
    top_rows(top).into_iter().map(|l| l.split_whitespace().skip(5).collect::<Vec<_>>().join(" ")).collect()
}
