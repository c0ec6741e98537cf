//! Building: one `cargo bench --no-run`, and the executables cargo says it built.
//!
//! Paths come from cargo's `compiler-artifact` messages, never from guessing what lies under
//! `target/`. Diagnostics are rendered by cargo onto our stderr, as `cargo bench` shows them.

use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use cargo_metadata::{Message, TargetKind};

use crate::cargo::discover::{BenchTarget, CargoOptions};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    #[error("cannot run `{command}`: {source}; is cargo on PATH (or `$CARGO` set)?")]
    Spawn { command: String, source: std::io::Error },
    #[error("`{command}` failed ({status}); cargo's errors are above")]
    Failed { command: String, status: std::process::ExitStatus },
    #[error("`cargo bench --no-run` did not report an executable for bench target `{package}/{target}`")]
    NoExecutable { package: String, target: String },
}

/// The cargo to run: the one that ran us, as cargo subcommands do.
pub fn cargo() -> PathBuf {
    std::env::var_os("CARGO").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("cargo"))
}

/// Builds `targets` and returns each one's executable, in the order of `targets`.
pub fn build(
    opts: &CargoOptions,
    targets: &[BenchTarget],
    target_dir: &std::path::Path,
    quiet: bool,
) -> Result<Vec<PathBuf>, BuildError> {
    let mut cmd = Command::new(cargo());
    cmd.args(["bench", "--no-run", "--message-format=json-render-diagnostics"]);
    if let Some(m) = &opts.manifest_path {
        cmd.arg("--manifest-path").arg(m);
    }
    let mut packages: Vec<&str> = targets.iter().map(|t| t.package.as_str()).collect();
    packages.dedup();
    for p in packages {
        cmd.args(["--package", p]);
    }
    let mut names: Vec<&str> = targets.iter().map(|t| t.target.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    for n in names {
        cmd.args(["--bench", n]);
    }
    cmd.args(opts.feature_args()).args(opts.lock_args());
    if let Some(profile) = &opts.profile {
        cmd.args(["--profile", profile]);
    }
    if let Some(target) = &opts.target {
        cmd.args(["--target", target]);
    }
    cmd.arg("--target-dir").arg(target_dir);
    if quiet {
        cmd.arg("--quiet");
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
    let command = format!("{cmd:?}").replace('"', "");
    // Registered, so that an interrupted run stops the build too.
    let (child, stdout) = crate::exec::process::spawn(&mut cmd)
        .map_err(|source| BuildError::Spawn { command: command.clone(), source })?;

    let mut executables: BTreeMap<(String, String), PathBuf> = BTreeMap::new();
    if let Some(stdout) = stdout {
        for message in Message::parse_stream(BufReader::new(stdout)).flatten() {
            if let Message::CompilerArtifact(a) = message {
                if let (true, Some(exe)) = (a.target.kind.contains(&TargetKind::Bench), a.executable) {
                    executables.insert((a.package_id.repr, a.target.name), exe.into_std_path_buf());
                }
            }
        }
    }
    let status = child.wait().map_err(|source| BuildError::Spawn { command: command.clone(), source })?;
    if !status.success() {
        return Err(BuildError::Failed { command: "cargo bench --no-run".to_owned(), status });
    }
    targets
        .iter()
        .map(|t| {
            executables
                .get(&(t.package_id.clone(), t.target.clone()))
                .cloned()
                .ok_or_else(|| BuildError::NoExecutable { package: t.package.clone(), target: t.target.clone() })
        })
        .collect()
}
