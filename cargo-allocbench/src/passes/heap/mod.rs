//! The allocation-site pass, over the benchmarks `--heap-profile` selects: per benchmark the
//! allocating stacks, the sites that allocate most, `heap.pb.gz` and `alloc-flamegraph.svg`,
//! and, against a baseline, its stacks in `heap-base.pb.gz`. It runs after the comparison, which
//! decides what `--heap-profile regressed` selects; which sites grew in a benchmark that
//! regressed is the gate's to name, from the sites found here ([`crate::gate::grown`]). Like the
//! CPU pass, a failure here costs the sites, never the figures.
//!
//! How stacks and sites come from the records, and how the profiles are written, is
//! [`profile`].

pub mod profile;

use anyhow::Result;
use indicatif::ProgressBar;

use crate::artifacts;
use crate::cargo::discover::BenchTarget;
use crate::cli::{Cli, HeapProfile};
use crate::exec::run::{self, Mode, RunFiles, RunSpec};
use crate::gate::baseline::Baseline;
use crate::gate::compare;
use crate::passes::linear::{self, Measured, Resampled};
use crate::passes::{records, warn_side_pass_failures, Context, Pass, TargetRun};
use crate::render::units::printable;
use crate::report::{Benchmark, Report};

/// Runs the allocation-site pass, attaching sites and heap profiles to the benchmarks of `report`
/// (against `base`, with the baseline's stacks beside them).
pub fn run(ctx: &Context, report: &mut Report, base: Option<&Baseline>) -> Result<()> {
    let selected = selected(ctx.cli, report);
    crate::passes::run(ctx, &mut Heap { report, base, selected, ids: 0 })
}

/// The allocation-site pass, attaching to the compared report.
struct Heap<'a> {
    report: &'a mut Report,
    base: Option<&'a Baseline>,
    /// The benchmarks to run, by package, target and id.
    selected: Vec<(String, String, String)>,
    /// How many of them the target being run has, for its progress bar.
    ids: usize,
}

/// The benchmarks `--heap-profile` selects, by package, target and id: all, or the regressed
/// ones, of those with allocation figures that are not approximate (`iter_custom`'s).
fn selected(cli: &Cli, report: &Report) -> Vec<(String, String, String)> {
    let regressed = |b: &Benchmark| {
        report
            .comparison
            .as_ref()
            .and_then(|c| c.benchmark(&b.key()))
            .is_some_and(|c| c.status == compare::Status::Regressed)
    };
    report
        .benchmarks
        .iter()
        .filter(|b| b.alloc.is_some() && !b.alloc.is_some_and(|a| a.approximate))
        .filter(|b| match cli.heap_profile() {
            HeapProfile::All => true,
            HeapProfile::Regressed => regressed(b),
            HeapProfile::None => false,
        })
        .map(|b| (b.package.clone(), b.target.clone(), b.id.clone()))
        .collect()
}

impl Pass for Heap<'_> {
    /// The run's records, and the benchmarks criterion sampled flat, measured again.
    type Collected = (Measured, Resampled);

    fn mode(&self) -> Mode {
        Mode::Heap
    }

    fn label(&self, place: &str) -> String {
        format!("allocation sites {place}")
    }

    fn progress(&self, done: usize) -> String {
        format!("{done} of {}", crate::render::units::count_of(self.ids, "benchmark"))
    }

    fn spec(&mut self, ctx: &Context, target: &BenchTarget, _: &RunFiles) -> Result<Option<RunSpec>> {
        let ids: Vec<&str> = self
            .selected
            .iter()
            .filter(|(p, t, _)| p == &target.package && t == &target.target)
            .map(|(_, _, id)| id.as_str())
            .collect();
        if ids.is_empty() {
            return Ok(None);
        }
        self.ids = ids.len();
        // Criterion filters on the full id: a duplicate's title (`ID #2`) is matched by its id.
        let full_id = |id: &str| run::without_counter(id).to_owned();
        let filter =
            format!("^(?:{})$", ids.iter().map(|id| regex::escape(&full_id(id))).collect::<Vec<_>>().join("|"));
        Ok(Some(RunSpec { filter: Some(filter), ..ctx.spec(Mode::Heap) }))
    }

    fn collect(&mut self, _: &Context, run: &TargetRun, bar: &ProgressBar) -> Result<Self::Collected> {
        // Sites follow the benchmark's figures: from samples of two iteration counts or more.
        let recorded = Measured::read(&run.files)?;
        let again = linear::resample(run.exe, run.target, Mode::Heap, &run.spec, &run.files, &recorded.flat(), |id| {
            bar.set_message(format!("`{}` again, with linear sampling", printable(id)))
        })?;
        Ok((recorded, again))
    }

    fn attach(&mut self, ctx: &Context, run: &TargetRun, (mut recorded, again): Self::Collected) -> Result<()> {
        for (id, failure) in &recorded.take_again(again) {
            ctx.ui.warn(&format!(
                "allocation sites of `{}`: sampled flat, and measuring it again failed ({}); no sites",
                printable(id),
                printable(&failure.reason)
            ));
        }
        let target = run.target;
        let folders = artifacts::Folders::new(&self.report.benchmarks);
        for rec in recorded.records {
            let Some(joined) = recorded.criterion.get(&rec.id).and_then(|c| records::join(&rec, c)) else { continue };
            let Some(b) = self
                .report
                .benchmarks
                .iter_mut()
                .find(|b| b.id == rec.id && b.package == target.package && b.target == target.target)
            else {
                continue;
            };
            let stacks = profile::stacks(&rec.sites, &joined, b.alloc.as_ref());
            let key = b.key();
            let old = self.base.and_then(|base| base.benchmarks.iter().find(|o| o.is(&key)));
            let base_stacks = old.map(|o| o.heap_stacks.as_slice()).filter(|s| !s.is_empty());
            match profile::write(&folders.name(&key), &folders.of(&key), &stacks, base_stacks, ctx.out_dir) {
                Ok(a) => {
                    b.artifacts.heap_profile = Some(a.heap_profile);
                    b.artifacts.heap_base_profile = a.heap_base_profile;
                    b.artifacts.alloc_flamegraph = a.alloc_flamegraph;
                }
                Err(e) => ctx.ui.warn(&e.to_string()),
            }
            b.sites = profile::sites(&stacks, &target.package);
            b.heap_stacks = stacks;
            // Which sites grew is the gate's to name once every site is known (`gate::grown`); that
            // a baseline without sites leaves none to name is said here, among the pass's own lines.
            let regressed = self
                .report
                .comparison
                .as_ref()
                .and_then(|c| c.benchmark(&key))
                .is_some_and(|c| c.status == compare::Status::Regressed);
            if regressed && old.is_some_and(|o| o.sites.is_empty()) {
                ctx.ui.note(&format!(
                    "`{}`: the baseline has no allocation sites to compare with; save it with `--heap-profile all` to see which sites grew",
                    printable(&b.id)
                ));
            }
        }
        warn_side_pass_failures(ctx.ui, "allocation-site pass", "no sites", run);
        Ok(())
    }
}
