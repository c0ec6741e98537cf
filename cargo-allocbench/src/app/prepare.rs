//! Before anything is measured: discover the bench targets, check everything the user can get
//! wrong (the policy, valgrind, the export specs, the baseline's name and folder) before the
//! build, which may take minutes; build; ask each bench executable whether it is an allocbench
//! bench ([`probe`]); and take this shard's share of the benchmarks (`--partition`).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::cargo::build;
use crate::cargo::discover::{self, BenchTarget, CargoOptions, Project};
use crate::cli::Cli;
use crate::criterion_args::CriterionArgs;
use crate::events::Sink;
use crate::exec::probe;
use crate::exec::run::{Mode, RunSpec};
use crate::exec::{listing, partition};
use crate::gate::baseline::{self, Baseline};
use crate::gate::policy::{Policy, PolicyError};
use crate::passes::{Build, Context};
use crate::render::export::{self, ExportFormat};
use allocbench_formats::partition::Partition;

/// Everything the measuring phase needs, found and checked.
pub struct Setup<'a> {
    pub cli: &'a Cli,
    /// Where the engine's events go (the binary's reporter).
    pub events: &'a dyn Sink,
    /// Criterion's arguments after `--`, sorted.
    pub criterion: CriterionArgs,
    pub opts: CargoOptions,
    pub project: Project,
    pub policy: Policy,
    pub exports: Vec<(ExportFormat, PathBuf)>,
    pub out_dir: PathBuf,
    pub baseline_dir: PathBuf,
    /// The named baseline (`--baseline`), loaded.
    pub base: Option<Baseline>,
    /// The bench targets this shard runs, and their executables in the same order.
    pub targets: Vec<BenchTarget>,
    pub executables: Vec<PathBuf>,
    /// Every allocbench bench target and its executable, before the partition's share.
    benches: Vec<BenchTarget>,
    built: Vec<PathBuf>,
    pub partition: Option<Partition>,
    pub without_debuginfo: Vec<String>,
}

/// Prepares the run; `None` when the command line asked for the benchmarks' list, which is then
/// printed.
pub fn prepare<'a>(cli: &'a Cli, events: &'a dyn Sink) -> Result<Option<Setup<'a>>> {
    // Criterion's arguments after `--` are sorted before anything is built: a baseline flag of
    // criterion's is refused with ours, and a counting pass says which timing settings it leaves out.
    let criterion = CriterionArgs::resolve(&cli.criterion_args, cli.filter.as_deref())?;
    let listing = cli.list || criterion.list();
    let left_out = criterion.left_out_when_counting();
    if cli.allocs_only && !left_out.is_empty() && !listing {
        events.note(&format!(
            "note: `{}` after `--` set criterion's timing, which --allocs-only does not measure: left out (its counting pass samples as it needs)",
            left_out.join("`, `")
        ));
    }
    let opts = cli.cargo_options();
    let project = discover::discover(&opts)?;
    for s in &project.skipped {
        events.warn(&format!(
            "skipping bench target `{}/{}`: it does not use allocbench (in [dev-dependencies] write `{}`)",
            s.package,
            s.target,
            crate::cargo::dependency::line()
        ));
    }

    // Everything the user can get wrong is checked before the build, which may take minutes.
    let policy = policy_for(cli, &project)?;
    if cli.instructions {
        crate::passes::instructions::callgrind::check_valgrind()?;
    }
    let exports = cli.exports.iter().map(|e| export::parse_export_spec(e)).collect::<Result<Vec<_>, _>>()?;
    let out_dir = match &cli.out_dir {
        Some(d) => std::path::absolute(d).unwrap_or_else(|_| d.clone()),
        None => project.target_dir.join("allocbench"),
    };
    let baseline_dir = match &cli.baseline_dir {
        Some(d) => std::path::absolute(d).unwrap_or_else(|_| d.clone()),
        None => out_dir.join("baselines"),
    };
    if let Some(name) = &cli.save_baseline {
        baseline::validate_name(name)?;
        // Found now, not after minutes of measuring.
        std::fs::create_dir_all(&baseline_dir).map_err(|error| baseline::BaselineError::Unwritable {
            name: name.clone(),
            action: "cannot create folder",
            path: baseline_dir.clone(),
            error,
        })?;
    }
    let base = cli.baseline.as_deref().map(|name| baseline::load(&baseline_dir, name)).transpose()?;
    std::fs::create_dir_all(&out_dir).with_context(|| format!("cannot create `{}`", out_dir.display()))?;

    let built = build::build_with(&opts, &project.targets, &project.target_dir, cli.quiet, &[])?;
    let without_debuginfo = built.without_debuginfo;
    // Autobenches' helper modules and other harnesses' targets are left out before anything runs.
    let timeout = std::time::Duration::from_secs(cli.timeout.max(1));
    let kinds = probe::probe(&project.targets, &built.executables, &out_dir, timeout, events)?;
    let (benches, built) = probe::select(&project.targets, built.executables, &kinds, |n| events.note(n))?;
    let filter = cli.filter.as_deref().or(criterion.filter());
    if listing {
        listing::print(&benches, &listing::listed(&benches, &built, filter, timeout, &out_dir)?);
        return Ok(None);
    }
    let (targets, executables, partition) = share(cli, filter, &benches, built.clone(), &out_dir)?;
    Ok(Some(Setup {
        cli,
        events,
        criterion,
        opts,
        project,
        policy,
        exports,
        out_dir,
        baseline_dir,
        base,
        targets,
        executables,
        benches,
        built,
        partition,
        without_debuginfo,
    }))
}

impl Setup<'_> {
    /// What every pass needs from the run.
    pub fn context(&self) -> Context<'_> {
        Context {
            cli: self.cli,
            criterion: &self.criterion,
            events: self.events,
            out_dir: &self.out_dir,
            targets: &self.targets,
            executables: &self.executables,
            build: Build {
                opts: &self.opts,
                target_dir: &self.project.target_dir,
                without_debuginfo: &self.without_debuginfo,
            },
        }
    }

    /// The error for a run that measured nothing: which filter matched none of how many
    /// benchmarks, or that the targets define none. A shard whose share is empty measured
    /// nothing and is not an error.
    pub fn nothing_measured(&self) -> Result<()> {
        if self.partition.as_ref().is_some_and(|p| !p.listed.is_empty()) {
            return Ok(());
        }
        let timeout = std::time::Duration::from_secs(self.cli.timeout.max(1));
        let all = listing::listed(&self.benches, &self.built, None, timeout, &self.out_dir)?;
        let filter = self.cli.filter.as_deref().or(self.criterion.filter());
        Err(listing::nothing_measured(filter, all.iter().map(Vec::len).sum(), self.benches.len()).into())
    }
}

/// `--partition`: every target lists its benchmarks, and those of other shards are left out;
/// a target with none in this shard is not run at all.
fn share(
    cli: &Cli,
    filter: Option<&str>,
    targets: &[BenchTarget],
    executables: Vec<PathBuf>,
    out_dir: &Path,
) -> Result<(Vec<BenchTarget>, Vec<PathBuf>, Option<Partition>)> {
    let Some(spec) = cli.partition else { return Ok((targets.to_vec(), executables, None)) };
    let list_spec = RunSpec {
        pass: Mode::AllocsOnly,
        filter: filter.map(str::to_owned),
        criterion_args: Vec::new(),
        env: Vec::new(),
        counting_times: None,
        timeout: std::time::Duration::from_secs(cli.timeout.max(1)),
        verbose: false,
        wrapper: Vec::new(),
    };
    let share = partition::share(spec, targets, &executables, &list_spec, out_dir)?;
    let mut kept_targets = Vec::new();
    let mut kept = Vec::new();
    for ((target, exe), selection) in targets.iter().zip(executables).zip(share.filters) {
        if let Some(selection) = selection {
            kept_targets.push(BenchTarget { selection: Some(selection), ..target.clone() });
            kept.push(exe);
        }
    }
    Ok((kept_targets, kept, Some(share.partition)))
}

/// The policy: workspace and package metadata, then the command line.
fn policy_for(cli: &Cli, project: &Project) -> Result<Policy> {
    // One package's own settings apply when one package is measured; with several, the
    // workspace's apply to all.
    let package = match project.package_metadata.as_slice() {
        [(_, manifest, meta)] => Some((manifest, meta)),
        _ => None,
    };
    let mut policy =
        Policy::from_metadata(&project.workspace_metadata, package.map(|(_, meta)| meta)).map_err(|e| match &e {
            // Name the file to edit: the workspace's manifest, or the package's.
            PolicyError::Config { location, .. } => {
                let manifest = match package {
                    Some((manifest, _)) if location.contains("[package.") => manifest.clone(),
                    _ => project.workspace_root.join("Cargo.toml"),
                };
                anyhow::anyhow!("{}: {e}", manifest.display())
            }
            PolicyError::Cli { .. } => e.into(),
        })?;
    for spec in &cli.limits {
        policy.add_limit(spec)?;
    }
    if cli.fail_on_time {
        policy.set_fail_on_time(true);
    }
    Ok(policy)
}
