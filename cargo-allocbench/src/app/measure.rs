//! The measuring phase: the baseline to compare with (a named one, or another revision measured
//! now), the timing pass over `--runs` runs, and every plug-in pass that measures
//! ([`crate::passes::plugin::PLUGINS`]). Its product is the run's [`Measurements`].

use std::path::PathBuf;

use anyhow::Result;

use crate::app::prepare::Setup;
use crate::environment;
use crate::exec::revision;
use crate::gate::baseline::{self, Baseline};
use crate::measurements::Measurements;
use crate::passes::plugin::PLUGINS;
use crate::passes::timing::{self, Timing};
use crate::plan::BaselineSource;

/// Measures the run, and the baseline when it is another revision (`--baseline-rev`): its first
/// run before ours, and with `--runs` its later runs each before one of ours, so that a machine
/// whose speed drifts slows both sides alike. Returns the measurements and the baseline.
pub fn measure(setup: &mut Setup) -> Result<(Measurements, Option<Baseline>)> {
    let plan = setup.plan;
    let other = match &plan.baselines.compare {
        BaselineSource::Revision(rev) => Some(OtherRevision::new(setup, rev)?),
        BaselineSource::None | BaselineSource::Stored(_) => None,
    };
    let mut base = match &other {
        Some(other) => Some(other.measure(setup, 1)?),
        None => setup.base.take(),
    };
    let ctx = setup.context();
    let mut timing = Timing::new(&plan.passes.timing);
    for run in 1..=plan.passes.timing.runs {
        if let (Some(other), Some(base), true) = (&other, base.as_mut(), run > 1) {
            let later = other.measure(setup, run)?;
            timing::add_run(setup.events, &mut base.benchmarks, &later.benchmarks, run);
        }
        timing.measure(&ctx, run)?;
    }
    let (mut benchmarks, allocators) = timing.finish();
    if benchmarks.is_empty() {
        setup.nothing_measured()?;
    }
    for plugin in PLUGINS.iter().filter(|p| p.enabled(&ctx)) {
        plugin.measure(&ctx, &mut benchmarks)?;
    }
    let environment = environment::capture(
        &setup.project.workspace_root,
        &allocators,
        plan.selection.cargo.profile_name(),
        plan.selection.cargo.target.as_deref(),
    );
    Ok((Measurements { environment, benchmarks, partition: setup.partition.clone() }, base))
}

/// `--baseline-rev`: the other revision, measured in a worktree of its own.
struct OtherRevision {
    rev: String,
    manifest: PathBuf,
    /// Where its runs save their baselines.
    dir: PathBuf,
}

impl OtherRevision {
    fn new(setup: &Setup, rev: &str) -> Result<OtherRevision> {
        let manifest = locate_manifest(setup.plan.selection.cargo.manifest_path.as_deref())?;
        Ok(OtherRevision { rev: rev.to_owned(), manifest, dir: setup.out_dir.join("baseline-rev").join("baselines") })
    }

    /// Its run `run`: everything the plan asks for in the first, the time in later ones.
    fn measure(&self, setup: &Setup, run: u32) -> Result<Baseline> {
        let name = if run == 1 { "baseline-rev" } else { "baseline-rev-run" };
        let target_dir = &setup.project.target_dir;
        revision::measure(
            setup.plan,
            &self.rev,
            &self.manifest,
            target_dir,
            &setup.out_dir,
            &self.dir,
            name,
            run,
            setup.events,
        )?;
        let mut measured = baseline::load(&self.dir, name)?;
        measured.name = self.rev.clone();
        Ok(measured)
    }
}

/// The manifest cargo would use: `--manifest-path`, or the one `cargo locate-project` finds.
fn locate_manifest(manifest_path: Option<&std::path::Path>) -> Result<PathBuf> {
    if let Some(m) = manifest_path {
        return Ok(std::path::absolute(m)?);
    }
    let out = std::process::Command::new(crate::cargo::build::cargo())
        .args(["locate-project", "--message-format", "plain"])
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run `cargo locate-project`: {e}"))?;
    anyhow::ensure!(out.status.success(), "`cargo locate-project` found no Cargo.toml here; pass --manifest-path");
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}
