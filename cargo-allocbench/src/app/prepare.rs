//! Before anything is measured: discover the bench targets, check everything the user can get
//! wrong (the policy, valgrind, the baseline's name and folder; the plan checked the rest) before
//! the build, which may take minutes; build; ask each bench executable whether it is an allocbench
//! bench ([`probe`]); and take this shard's share of the benchmarks (`--partition`).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::cargo::build;
use crate::cargo::discover::{self, BenchTarget, Project};
use crate::events::Sink;
use crate::exec::probe;
use crate::exec::run::{Mode, RunSpec};
use crate::exec::{listing, partition};
use crate::gate::baseline::{self, Baseline};
use crate::gate::policy::{Policy, PolicyError};
use crate::passes::{Build, Context};
use crate::plan::{BaselineSource, Plan};
use allocbench_formats::partition::Partition;

/// Everything the measuring phase needs, found and checked.
pub struct Setup<'a> {
    pub plan: &'a Plan,
    /// Where the engine's events go (the binary's reporter).
    pub events: &'a dyn Sink,
    pub project: Project,
    pub policy: Policy,
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

/// Prepares the run; `None` when the plan asks for the benchmarks' list, which is then printed.
pub fn prepare<'a>(plan: &'a Plan, events: &'a dyn Sink) -> Result<Option<Setup<'a>>> {
    let listing = plan.selection.list;
    let left_out = plan.selection.criterion.left_out_when_counting();
    if plan.passes.timing.allocs_only && !left_out.is_empty() && !listing {
        events.note(&format!(
            "note: `{}` after `--` set criterion's timing, which --allocs-only does not measure: left out (its counting pass samples as it needs)",
            left_out.join("`, `")
        ));
    }
    let opts = &plan.selection.cargo;
    let project = discover::discover(opts)?;
    for s in &project.skipped {
        events.warn(&format!(
            "skipping bench target `{}/{}`: it does not use allocbench (in [dev-dependencies] write `{}`)",
            s.package,
            s.target,
            crate::cargo::dependency::line()
        ));
    }

    // Everything the user can get wrong is checked before the build, which may take minutes.
    let policy = policy_for(plan, &project)?;
    if plan.passes.instructions.on {
        crate::passes::instructions::callgrind::check_valgrind()?;
    }
    let out_dir = match &plan.output.out_dir {
        Some(d) => d.clone(),
        None => project.target_dir.join("allocbench"),
    };
    let baseline_dir = match &plan.baselines.dir {
        Some(d) => d.clone(),
        None => out_dir.join("baselines"),
    };
    if let Some(name) = &plan.baselines.save {
        baseline::validate_name(name)?;
        // Found now, not after minutes of measuring.
        std::fs::create_dir_all(&baseline_dir).map_err(|error| baseline::BaselineError::Unwritable {
            name: name.clone(),
            action: "cannot create folder",
            path: baseline_dir.clone(),
            error,
        })?;
    }
    let base = match &plan.baselines.compare {
        BaselineSource::Stored(name) => Some(baseline::load(&baseline_dir, name)?),
        BaselineSource::None | BaselineSource::Revision(_) => None,
    };
    std::fs::create_dir_all(&out_dir).with_context(|| format!("cannot create `{}`", out_dir.display()))?;

    let built = build::build_with(opts, &project.targets, &project.target_dir, plan.output.quiet, &[])?;
    let without_debuginfo = built.without_debuginfo;
    // Autobenches' helper modules and other harnesses' targets are left out before anything runs.
    let timeout = plan.timeout;
    let kinds = probe::probe(&project.targets, &built.executables, &out_dir, timeout, events)?;
    let (benches, built) = probe::select(&project.targets, built.executables, &kinds, |n| events.note(n))?;
    let filter = plan.selection.filter.as_deref();
    if listing {
        listing::print(&benches, &listing::listed(&benches, &built, filter, timeout, &out_dir)?);
        return Ok(None);
    }
    let (targets, executables, partition) = share(plan, filter, &benches, built.clone(), &out_dir)?;
    Ok(Some(Setup {
        plan,
        events,
        project,
        policy,
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
            plan: self.plan,
            events: self.events,
            out_dir: &self.out_dir,
            targets: &self.targets,
            executables: &self.executables,
            build: Build {
                opts: &self.plan.selection.cargo,
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
        let all = listing::listed(&self.benches, &self.built, None, self.plan.timeout, &self.out_dir)?;
        let filter = self.plan.selection.filter.as_deref();
        Err(listing::nothing_measured(filter, all.iter().map(Vec::len).sum(), self.benches.len()).into())
    }
}

/// `--partition`: every target lists its benchmarks, and those of other shards are left out;
/// a target with none in this shard is not run at all.
fn share(
    plan: &Plan,
    filter: Option<&str>,
    targets: &[BenchTarget],
    executables: Vec<PathBuf>,
    out_dir: &Path,
) -> Result<(Vec<BenchTarget>, Vec<PathBuf>, Option<Partition>)> {
    let Some(spec) = plan.selection.partition else { return Ok((targets.to_vec(), executables, None)) };
    let list_spec = RunSpec {
        pass: Mode::AllocsOnly,
        filter: filter.map(str::to_owned),
        criterion_args: Vec::new(),
        env: Vec::new(),
        counting_times: None,
        timeout: plan.timeout,
        verbose: false,
        wrapper: Vec::new(),
        program: None,
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
fn policy_for(plan: &Plan, project: &Project) -> Result<Policy> {
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
    for spec in &plan.policy.limits {
        policy.add_limit(spec)?;
    }
    if plan.policy.fail_on_time {
        policy.set_fail_on_time(true);
    }
    Ok(policy)
}
