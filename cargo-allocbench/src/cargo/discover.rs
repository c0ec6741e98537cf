//! Discovery: which packages and bench targets to measure, from `cargo metadata`, with cargo's
//! own selection rules (`-p`, `--workspace`, default members, `--bench`).

use std::path::PathBuf;

use cargo_metadata::{CargoOpt, Metadata, MetadataCommand, Package, TargetKind};

/// The crate bench targets must link for allocbench to count them.
pub const HARNESS_PACKAGE: &str = "allocbench";

/// Cargo's options that select and build packages, as the user gave them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CargoOptions {
    /// Cargo's `--manifest-path`; `None` finds `Cargo.toml` from the current folder up.
    pub manifest_path: Option<PathBuf>,
    /// Cargo's `-p`: the packages to measure; none means the default members (or the package).
    pub packages: Vec<String>,
    /// Cargo's `--workspace`: every member's bench targets.
    pub workspace: bool,
    /// Cargo's `--exclude`, with `--workspace`: members left out.
    pub exclude: Vec<String>,
    /// Cargo's `--bench`: only these bench targets; none means every one that links allocbench.
    pub benches: Vec<String>,
    /// Cargo's `--features`, for the build and for `cargo metadata`'s dependency graph.
    pub features: Vec<String>,
    /// Cargo's `--all-features`.
    pub all_features: bool,
    /// Cargo's `--no-default-features`.
    pub no_default_features: bool,
    /// Cargo's `--target-dir`; `None` uses the workspace's (`cargo metadata` says where).
    pub target_dir: Option<PathBuf>,
    /// Cargo's `--profile`; `None` builds with `bench`.
    pub profile: Option<String>,
    /// Cargo's `--target`; `None` builds for the host.
    pub target: Option<String>,
    /// Cargo's `--frozen`: neither the lock file nor the network may change anything.
    pub frozen: bool,
    /// Cargo's `--locked`: the build fails rather than update `Cargo.lock`.
    pub locked: bool,
    /// Cargo's `--offline`: no network access.
    pub offline: bool,
}

impl CargoOptions {
    /// The feature flags, in cargo's words, for any cargo command.
    pub fn feature_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if !self.features.is_empty() {
            args.push("--features".to_owned());
            args.push(self.features.join(","));
        }
        if self.all_features {
            args.push("--all-features".to_owned());
        }
        if self.no_default_features {
            args.push("--no-default-features".to_owned());
        }
        args
    }

    /// The profile the benchmarks are built with, as the report's environment names it.
    pub fn profile_name(&self) -> &str {
        self.profile.as_deref().unwrap_or("bench")
    }

    /// `--frozen`, `--locked`, `--offline`, passed to every cargo command.
    pub fn lock_args(&self) -> Vec<String> {
        let flags = [(self.frozen, "--frozen"), (self.locked, "--locked"), (self.offline, "--offline")];
        flags.iter().filter(|(on, _)| *on).map(|(_, f)| (*f).to_owned()).collect()
    }
}

/// A bench target to build and run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchTarget {
    /// Its package's name, as reports and baselines key benchmarks by it.
    pub package: String,
    /// Cargo's package id, to match build artifacts.
    pub package_id: String,
    /// The bench target's name (`[[bench]] name`), what `--bench` selects.
    pub target: String,
    /// Where cargo runs the bench binary: the package's folder.
    pub package_dir: PathBuf,
    /// The criterion filter that selects this target's share of the benchmarks under
    /// `--partition` (see [`crate::exec::partition`]); `None` without one.
    pub selection: Option<String>,
}

/// A bench target left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Its package's name.
    pub package: String,
    /// The bench target's name.
    pub target: String,
}

/// What discovery found.
#[derive(Debug, Clone)]
pub struct Project {
    /// The workspace's root folder, where a run's output folder and baselines go by default.
    pub workspace_root: PathBuf,
    /// Where cargo builds: `--target-dir`, or the workspace's own.
    pub target_dir: PathBuf,
    /// The bench targets to build and run, in cargo's order of packages and targets.
    pub targets: Vec<BenchTarget>,
    /// Bench targets of selected packages that do not depend on `allocbench`.
    pub skipped: Vec<Skipped>,
    /// `[workspace.metadata]`, as JSON.
    pub workspace_metadata: serde_json::Value,
    /// `[package.metadata]` of each selected package with bench targets, by package name, with
    /// the package's `Cargo.toml`.
    pub package_metadata: Vec<(String, PathBuf, serde_json::Value)>,
}

/// A selection that finds no bench target to measure, each message with the fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoverError {
    /// `cargo metadata` failed: no manifest there, a broken one, or a lock file it may not
    /// update.
    #[error("`cargo metadata` failed{}: {detail}; {}", manifest.as_ref().map(|m| format!(" for `{}`", m.display())).unwrap_or_default(), metadata_hint(detail, manifest.is_some()))]
    Metadata {
        /// The `--manifest-path` given, if any.
        manifest: Option<PathBuf>,
        /// What cargo said.
        detail: String,
    },
    /// A `-p` that names no member of the workspace.
    #[error("package `{0}` is not in this workspace; `cargo metadata` lists its members")]
    UnknownPackage(String),
    /// A `--bench` that names no bench target of the selected packages.
    #[error("no bench target named `{0}` in the selected packages")]
    UnknownBench(String),
    /// The selected packages have no bench target at all.
    #[error("no bench targets in {packages}; add a `[[bench]]` with `harness = false` and `criterion = {{ package = \"allocbench\", ... }}` in `[dev-dependencies]`, or select another package with `-p`")]
    NoBenches {
        /// The selected packages, as the message names them.
        packages: String,
    },
    /// The selected packages have bench targets, but none links allocbench's harness.
    #[error("no bench target uses allocbench ({skipped}); in `[dev-dependencies]` write `{line}`")]
    NoAllocbench {
        /// The bench targets left out, as the message names them.
        skipped: String,
        /// The `[dev-dependencies]` line that makes criterion's name resolve to allocbench.
        line: String,
    },
}

/// Runs `cargo metadata` and selects the bench targets to measure.
pub fn discover(opts: &CargoOptions) -> Result<Project, DiscoverError> {
    let mut cmd = MetadataCommand::new();
    if let Some(m) = &opts.manifest_path {
        cmd.manifest_path(m);
    }
    if opts.all_features {
        cmd.features(CargoOpt::AllFeatures);
    }
    if opts.no_default_features {
        cmd.features(CargoOpt::NoDefaultFeatures);
    }
    if !opts.features.is_empty() {
        cmd.features(CargoOpt::SomeFeatures(opts.features.clone()));
    }
    cmd.other_options(opts.lock_args());
    let metadata = cmd.exec().map_err(|e| DiscoverError::Metadata {
        manifest: opts.manifest_path.clone(),
        detail: one_line(&e.to_string()),
    })?;
    select(&metadata, opts)
}

/// Cargo's error text on one line: cargo's own `error: ...` line, and the first line of what it
/// says under `Caused by:`, if anything.
fn one_line(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim().trim_start_matches("`cargo metadata` exited with an error:").trim())
        .filter(|l| !l.is_empty())
        .collect();
    let Some(first) =
        lines.iter().position(|l| l.starts_with("error:")).or(if lines.is_empty() { None } else { Some(0) })
    else {
        return "no output".to_owned();
    };
    let mut out = lines[first].trim_start_matches("error:").trim().to_owned();
    let cause = lines[first + 1..].iter().skip_while(|l| **l != "Caused by:").nth(1);
    if let Some(cause) = cause {
        out.push_str(": ");
        out.push_str(cause);
    }
    out
}

/// What to do about a failed `cargo metadata`, from cargo's error.
fn metadata_hint(detail: &str, manifest_given: bool) -> &'static str {
    if detail.contains("could not find `Cargo.toml`") {
        "run `cargo allocbench` in a cargo project, or pass `--manifest-path path/to/Cargo.toml`"
    } else if manifest_given && (detail.contains("does not exist") || detail.contains("expected a file")) {
        "pass `--manifest-path` the path of a `Cargo.toml` file"
    } else {
        "fix what cargo reports, then run again (`cargo metadata` shows the same error)"
    }
}

fn uses_allocbench(p: &Package) -> bool {
    p.dependencies.iter().any(|d| d.name == HARNESS_PACKAGE)
}

fn select(metadata: &Metadata, opts: &CargoOptions) -> Result<Project, DiscoverError> {
    let members = metadata.workspace_packages();
    let mut packages: Vec<&Package> = if !opts.packages.is_empty() {
        let mut chosen = Vec::new();
        for spec in &opts.packages {
            // Cargo's package spec: `name`, or `name@version` to tell two versions apart.
            let (name, version) = spec.split_once('@').map_or((spec.as_str(), None), |(n, v)| (n, Some(v)));
            let p = members
                .iter()
                .find(|p| p.name.as_str() == name && version.is_none_or(|v| p.version.to_string() == v))
                .ok_or_else(|| DiscoverError::UnknownPackage(spec.clone()))?;
            chosen.push(*p);
        }
        chosen
    } else if opts.workspace {
        members.clone()
    } else {
        metadata.workspace_default_packages()
    };
    packages.retain(|p| !opts.exclude.iter().any(|e| e == p.name.as_str()));

    let mut targets = Vec::new();
    let mut skipped = Vec::new();
    let mut any_bench = false;
    for p in &packages {
        for t in p.targets.iter().filter(|t| t.kind.contains(&TargetKind::Bench)) {
            if !opts.benches.is_empty() && !opts.benches.contains(&t.name) {
                continue;
            }
            any_bench = true;
            if uses_allocbench(p) {
                targets.push(BenchTarget {
                    package: p.name.to_string(),
                    package_id: p.id.repr.clone(),
                    target: t.name.clone(),
                    package_dir: p.manifest_path.parent().map(|d| d.as_std_path().to_owned()).unwrap_or_default(),
                    selection: None,
                });
            } else {
                skipped.push(Skipped { package: p.name.to_string(), target: t.name.clone() });
            }
        }
    }
    for b in &opts.benches {
        if !targets.iter().any(|t| &t.target == b) && !skipped.iter().any(|s| &s.target == b) {
            return Err(DiscoverError::UnknownBench(b.clone()));
        }
    }
    if !any_bench {
        let names: Vec<String> = packages.iter().map(|p| format!("`{}`", p.name)).collect();
        let packages = match names.len() {
            0 => "the selected packages (none is selected)".to_owned(),
            1 => format!("package {}", names[0]),
            _ => format!("packages {}", names.join(", ")),
        };
        return Err(DiscoverError::NoBenches { packages });
    }
    if targets.is_empty() {
        let names: Vec<String> = skipped.iter().map(|s| format!("{}/{}", s.package, s.target)).collect();
        return Err(DiscoverError::NoAllocbench { skipped: names.join(", "), line: super::dependency::line() });
    }
    let package_metadata = packages
        .iter()
        .filter(|p| targets.iter().any(|t| t.package == p.name.as_str()))
        .map(|p| (p.name.to_string(), p.manifest_path.as_std_path().to_owned(), p.metadata.clone()))
        .collect();
    Ok(Project {
        workspace_root: metadata.workspace_root.as_std_path().to_owned(),
        target_dir: opts.target_dir.clone().unwrap_or_else(|| metadata.target_directory.as_std_path().to_owned()),
        targets,
        skipped,
        workspace_metadata: metadata.workspace_metadata.clone(),
        package_metadata,
    })
}
