//! Building: one `cargo bench --no-run`, and the executables cargo says it built.
//!
//! Paths come from cargo's `compiler-artifact` messages, never from guessing what lies under
//! `target/`. Diagnostics are rendered by cargo onto our stderr, as `cargo bench` shows them.

use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use cargo_metadata::{ArtifactDebuginfo, Message, TargetKind};

use crate::cargo::discover::{BenchTarget, CargoOptions};

/// A build of the bench targets that gave no executable to run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Cargo could not be started.
    #[error("cannot run `{command}`: {source}; is cargo on PATH (or `$CARGO` set)?")]
    Spawn {
        /// The command line, as the message shows it.
        command: String,
        /// Why it did not start.
        source: std::io::Error,
    },
    /// The build failed; cargo printed why.
    #[error("`{command}` failed ({status}); cargo's errors are above")]
    Failed {
        /// The command line, as the message shows it.
        command: String,
        /// How cargo exited.
        status: std::process::ExitStatus,
    },
    /// Cargo built, but named no executable for a bench target (a target cargo skipped).
    #[error("`cargo bench --no-run` did not report an executable for bench target `{package}/{target}`")]
    NoExecutable {
        /// The target's package.
        package: String,
        /// The bench target's name.
        target: String,
    },
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
    build_with(opts, targets, target_dir, quiet, &[]).map(|b| b.executables)
}

/// What one `cargo bench --no-run` built.
#[derive(Debug, Clone, Default)]
pub struct Built {
    /// Each target's executable, in the order of the targets.
    pub executables: Vec<PathBuf>,
    /// When a bench target was built without the debug info that names inlined functions
    /// (`debug` below `"limited"`, cargo's default for `bench`): the packages built from a local
    /// path (workspace members, path dependencies) without it, by name. Empty otherwise.
    pub without_debuginfo: Vec<String>,
}

/// The debug info the allocation-site pass needs: `"limited"` names every inlined function with
/// its path (`"line-tables-only"` gives inlined functions their bare names: `new`, `{closure#0}`).
pub const SITES_DEBUGINFO: &str = "limited";

/// Whether a unit built with `d` has what [`SITES_DEBUGINFO`] gives.
fn names_inlined_functions(d: &ArtifactDebuginfo) -> bool {
    match d {
        ArtifactDebuginfo::None | ArtifactDebuginfo::LineDirectivesOnly | ArtifactDebuginfo::LineTablesOnly => false,
        ArtifactDebuginfo::UnknownInt(n) => *n >= 1,
        _ => true,
    }
}

/// The package name in a cargo package id: `path+file:///p/foo#bar@1.0.0`, or `…/foo#1.0.0`
/// when the name is the folder's.
fn package_name(id: &str) -> Option<&str> {
    let (url, fragment) = id.rsplit_once('#')?;
    match fragment.split_once('@') {
        Some((name, _)) => Some(name),
        None => url.rsplit('/').next().filter(|s| !s.is_empty()),
    }
}

/// As [`build`], with the packages `debuginfo_for` built with `debug = "limited"` and not
/// stripped (`--config profile.bench.package.NAME...`): the allocation-site pass's build when
/// the bench profile has no debug info. Only those packages are built again, not their
/// dependencies; and since the profile is part of each unit's hash, cargo keeps both builds
/// apart: neither makes the other build again.
pub fn build_with(
    opts: &CargoOptions,
    targets: &[BenchTarget],
    target_dir: &std::path::Path,
    quiet: bool,
    debuginfo_for: &[String],
) -> Result<Built, BuildError> {
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
    // The profile the build uses: `--profile NAME`, or `bench`.
    let profile = opts.profile.as_deref().unwrap_or("bench");
    for p in debuginfo_for {
        // Package names are letters, digits, `-` and `_`: nothing to escape in the quotes.
        cmd.arg("--config").arg(format!("profile.{profile}.package.\"{p}\".debug=\"{SITES_DEBUGINFO}\""));
        cmd.arg("--config").arg(format!("profile.{profile}.package.\"{p}\".strip=\"none\""));
    }
    if quiet {
        cmd.arg("--quiet");
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
    let command = format!("{cmd:?}").replace('"', "");
    // Registered, so that an interrupted run stops the build too.
    let (child, stdout) = crate::exec::process::spawn(&mut cmd)
        .map_err(|source| BuildError::Spawn { command: command.clone(), source })?;

    let mut executables: BTreeMap<(String, String), PathBuf> = BTreeMap::new();
    let mut bench_without = false;
    let mut local_without: Vec<String> = Vec::new();
    if let Some(stdout) = stdout {
        for message in Message::parse_stream(BufReader::new(stdout)).flatten() {
            if let Message::CompilerArtifact(a) = message {
                let is_bench = a.target.kind.contains(&TargetKind::Bench);
                if !names_inlined_functions(&a.profile.debuginfo) {
                    bench_without |= is_bench;
                    let local = a.package_id.repr.starts_with("path+");
                    if let Some(name) =
                        package_name(&a.package_id.repr).filter(|n| local && !HARNESS_PACKAGES.contains(n))
                    {
                        if !local_without.iter().any(|n| n == name) {
                            local_without.push(name.to_owned());
                        }
                    }
                }
                if let (true, Some(exe)) = (is_bench, a.executable) {
                    executables.insert((a.package_id.repr, a.target.name), exe.into_std_path_buf());
                }
            }
        }
    }
    let status = child.wait().map_err(|source| BuildError::Spawn { command: command.clone(), source })?;
    if !status.success() {
        return Err(BuildError::Failed { command: "cargo bench --no-run".to_owned(), status });
    }
    let executables = targets
        .iter()
        .map(|t| {
            executables
                .get(&(t.package_id.clone(), t.target.clone()))
                .cloned()
                .ok_or_else(|| BuildError::NoExecutable { package: t.package.clone(), target: t.target.clone() })
        })
        .collect::<Result<Vec<_>, _>>()?;
    local_without.sort();
    Ok(Built { executables, without_debuginfo: if bench_without { local_without } else { Vec::new() } })
}

/// allocbench's own packages, when a crate depends on them by path (this repository's
/// fixtures): their frames are cut from every stack, so their debug info is not worth a build.
const HARNESS_PACKAGES: [&str; 2] = [crate::cargo::discover::HARNESS_PACKAGE, "allocbench-formats"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_from_ids() {
        assert_eq!(package_name("path+file:///w/fixtures/no-debug#no-debug-fixture@0.0.0"), Some("no-debug-fixture"));
        assert_eq!(package_name("path+file:///w/harness#allocbench@0.1.0"), Some("allocbench"));
        assert_eq!(package_name("path+file:///w/foo#0.1.0"), Some("foo"));
        assert_eq!(package_name("registry+https://github.com/rust-lang/crates.io-index#serde@1.0.0"), Some("serde"));
        assert_eq!(package_name("no fragment"), None);
    }

    #[test]
    fn debuginfo_that_names_inlined_functions() {
        assert!(!names_inlined_functions(&ArtifactDebuginfo::None));
        assert!(!names_inlined_functions(&ArtifactDebuginfo::LineTablesOnly));
        assert!(names_inlined_functions(&ArtifactDebuginfo::Limited));
        assert!(names_inlined_functions(&ArtifactDebuginfo::Full));
        assert!(names_inlined_functions(&ArtifactDebuginfo::UnknownInt(2)));
    }
}
