//! The instruction pass (`--instructions`): each target again, under valgrind's callgrind,
//! counting inside criterion's windows; per benchmark the instructions per iteration and the
//! functions that executed them, and in a full run a flame graph of them. Like the profiling
//! passes, a failure here costs its figures, never the others. Against a baseline: a differential
//! flame graph (which functions grew is the gate's: [`crate::gate::grown`]).
//!
//! How the bench process runs under callgrind and how its dumps are read is [`callgrind`].

pub mod callgrind;

use std::path::PathBuf;

use anyhow::{Context as _, Result};

use crate::artifacts;
use crate::cargo::discover::BenchTarget;
use crate::exec::run::{Mode, RunFiles, RunSpec};
use crate::folded;
use crate::gate::baseline::Baseline;
use crate::passes::linear::{self, Measured, Resampled};
use crate::passes::{records, warn_side_pass_failures, Context, Pass, TargetRun};
use crate::render::units::printable;
use allocbench_formats::comparison::Comparison;
use allocbench_formats::measured::MeasuredBenchmark;
use allocbench_formats::metric::Metric;
use allocbench_formats::report::ArtifactKind;

use crate::follow_up::Additions;
use crate::gate::grown;
use crate::gate::policy::Policy;
use crate::passes::plugin::Plugin;

/// The instruction pass as a plug-in ([`crate::passes::plugin`]).
pub struct InstructionsPass;

/// Its entry in [`crate::passes::plugin::PLUGINS`].
pub static PLUGIN: InstructionsPass = InstructionsPass;

impl Plugin for InstructionsPass {
    fn name(&self) -> &'static str {
        "instruction pass"
    }

    fn flag(&self) -> &'static str {
        "--instructions"
    }

    fn mode(&self) -> Mode {
        Mode::Instructions
    }

    fn metrics(&self) -> &'static [Metric] {
        &[Metric::Instructions]
    }

    fn artifacts(&self) -> &'static [ArtifactKind] {
        &[ArtifactKind::InstructionsFlamegraph, ArtifactKind::InstructionsDiffFlamegraph]
    }

    fn enabled(&self, ctx: &Context) -> bool {
        ctx.plan.passes.instructions.on
    }

    fn measure(&self, ctx: &Context, benchmarks: &mut [MeasuredBenchmark]) -> Result<()> {
        run(ctx, benchmarks)
    }

    fn against_baseline(&self, ctx: &Context, base: &Baseline, benchmarks: &[MeasuredBenchmark]) -> Additions {
        against_baseline(ctx, base, benchmarks)
    }

    fn grew(&self, base: &Baseline, benchmarks: &[MeasuredBenchmark], comparison: &mut Comparison, policy: &Policy) {
        grown::instructions_grew(Metric::Instructions, base, benchmarks, comparison, policy);
    }
}

/// Runs the instruction pass, attaching instruction figures (and their flame graphs) to
/// `benchmarks`.
pub fn run(ctx: &Context, benchmarks: &mut [MeasuredBenchmark]) -> Result<()> {
    crate::passes::run(ctx, &mut Instructions { benchmarks })
}

/// The instruction pass, attaching to the timing pass's benchmarks.
struct Instructions<'a> {
    benchmarks: &'a mut [MeasuredBenchmark],
}

/// Where the bench process of the run of `files` writes callgrind's dumps: beside its records.
fn dumps(files: &RunFiles) -> PathBuf {
    files.records.with_file_name("callgrind")
}

impl Pass for Instructions<'_> {
    /// The run's records, and the benchmarks criterion sampled flat, counted again.
    type Collected = (Measured, Resampled);

    fn mode(&self) -> Mode {
        Mode::Instructions
    }

    fn label(&self, place: &str) -> String {
        format!("instructions {place}")
    }

    fn progress(&self, done: usize) -> String {
        format!("{done} benchmarks counted")
    }

    fn spec(&mut self, ctx: &Context, target: &BenchTarget, files: &RunFiles) -> Result<Option<RunSpec>> {
        let exe = ctx.targets.iter().position(|t| std::ptr::eq(t, target)).and_then(|k| ctx.executables.get(k));
        let dumps = dumps(files);
        if dumps.exists() {
            std::fs::remove_dir_all(&dumps).with_context(|| format!("cannot empty `{}`", dumps.display()))?;
        }
        std::fs::create_dir_all(&dumps).with_context(|| format!("cannot create `{}`", dumps.display()))?;
        Ok(Some(RunSpec {
            // The pass's own settings decide the sampling; the user's criterion arguments are for
            // the timing run, and criterion rejects a setting given twice.
            criterion_args: Vec::new(),
            // Under valgrind a benchmark takes some fifty times as long.
            timeout: ctx.timeout() * callgrind::SLOWDOWN,
            wrapper: callgrind::wrapper(&dumps, ctx.plan.passes.instructions.call_chains),
            program: exe.and_then(|exe| callgrind::without_debug_info(exe, &dumps)),
            ..ctx.share_spec(Mode::Instructions, target)
        }))
    }

    fn collect(&mut self, ctx: &Context, run: &TargetRun) -> Result<Self::Collected> {
        let recorded = Measured::read(&run.files)?;
        let again = linear::resample(
            run.exe,
            run.target,
            Mode::Instructions,
            &run.spec,
            &run.files,
            &recorded.flat(),
            ctx.events,
            |id| format!("`{}` again, with linear sampling", printable(id)),
        )?;
        Ok((recorded, again))
    }

    fn attach(&mut self, ctx: &Context, run: &TargetRun, (mut recorded, again): Self::Collected) -> Result<()> {
        for (id, failure) in &recorded.take_again(again) {
            ctx.events.warn(&format!(
                "instructions of `{}`: sampled flat, and counting it again failed ({}); no instruction figures",
                printable(id),
                printable(&failure.reason)
            ));
        }
        let (target, dumps) = (run.target, dumps(&run.files));
        let folders = artifacts::Folders::new(self.benchmarks);
        for rec in &recorded.records {
            let Some(joined) = recorded.criterion.get(&rec.id).and_then(|c| records::join(rec, c)) else { continue };
            // `iter_custom` times itself: criterion opens no window, so nothing was counted.
            if joined.samples.iter().any(|s| s.custom) {
                continue;
            }
            let Some(b) = self
                .benchmarks
                .iter_mut()
                .find(|b| b.id == rec.id && b.package == target.package && b.target == target.target)
            else {
                continue;
            };
            // Runs of a benchmark measured again dump into the same folder, under their own pid.
            match callgrind::measure(rec, &joined, &dumps) {
                Ok(Some(counted)) if !ctx.plan.passes.instructions.call_chains => {
                    b.instructions = Some(counted.figures)
                }
                Ok(Some(counted)) => {
                    let key = b.key();
                    let folder = ctx.out_dir.join(folders.of(&key));
                    std::fs::create_dir_all(&folder)
                        .with_context(|| format!("cannot create `{}`", folder.display()))?;
                    let path = folder.join("instructions-flamegraph.svg");
                    let title = format!("{}: instructions per iteration", folders.name(&key));
                    let subtitle = "callgrind's Ir inside criterion's timed windows, by call chain";
                    match folded::draw(&folded::parse(&counted.folded), &title, subtitle, "instructions", &path) {
                        Ok(()) => b.artifacts.instructions_flamegraph = Some(artifacts::relative(&path, ctx.out_dir)),
                        Err(e) => ctx.events.warn(&e.to_string()),
                    }
                    b.instructions = Some(counted.figures);
                    b.kept.instructions_folded = counted.folded;
                }
                Ok(None) => {}
                Err(e) => ctx.events.warn(&format!("instructions of `{}`: {e}", printable(&rec.id))),
            }
        }
        warn_side_pass_failures(ctx.events, "instruction pass", "no instruction figures", run);
        Ok(())
    }
}

/// Against the baseline, where both runs have instruction stacks: a differential flame graph
/// beside the benchmark's. The functions that grew are the gate's to name ([`crate::gate::grown`]).
pub fn against_baseline(ctx: &Context, base: &Baseline, benchmarks: &[MeasuredBenchmark]) -> Additions {
    let folders = artifacts::Folders::new(benchmarks);
    let mut added = Additions::new();
    for b in benchmarks {
        let key = b.key();
        let Some(old) = base.benchmarks.iter().find(|o| o.is(&key) && !o.kept.instructions_folded.is_empty()) else {
            continue;
        };
        if b.kept.instructions_folded.is_empty() {
            continue;
        }
        let path = ctx.out_dir.join(folders.of(&key)).join("instructions-flamegraph-diff.svg");
        let title = format!("{}: instructions per iteration against baseline `{}`", folders.name(&key), base.name);
        match folded::draw_instructions_diff(&old.kept.instructions_folded, &b.kept.instructions_folded, &title, &path)
        {
            Ok(()) => {
                added.entry(key).or_default().artifacts.instructions_diff_flamegraph =
                    Some(artifacts::relative(&path, ctx.out_dir));
            }
            Err(e) => ctx.events.warn(&e.to_string()),
        }
    }
    added
}
