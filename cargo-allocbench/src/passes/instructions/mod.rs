//! The instruction pass (`--instructions`): each target again, under valgrind's callgrind,
//! counting inside criterion's windows; per benchmark the instructions per iteration and the
//! functions that executed them, and in a full run a flame graph of them. Like the profiling
//! passes, a failure here costs its figures, never the others. Against a baseline: a differential
//! flame graph (which functions grew is the gate's: [`crate::gate::grown`]).
//!
//! How the bench process runs under callgrind and how its dumps are read is [`callgrind`].

pub mod callgrind;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use anyhow::{Context as _, Result};
use indicatif::ProgressBar;

use crate::artifacts;
use crate::cargo::discover::BenchTarget;
use crate::cli::Cli;
use crate::exec;
use crate::exec::run::{Failure, Mode, RunError, RunFiles, RunSpec};
use crate::folded;
use crate::gate::baseline::Baseline;
use crate::passes::linear::{self, Measured, Resampled};
use crate::passes::{records, warn_side_pass_failures, Context, Pass, TargetRun};
use crate::render::units::printable;
use crate::report::{Benchmark, Report};

/// Runs the instruction pass, attaching instruction figures (and their flame graphs) to
/// `benchmarks`.
///
/// Unlike the other passes ([`crate::passes::run`]), the bench targets run side by side, as many
/// at a time as the machine has cores: nearly all of a target's time under valgrind is
/// valgrind's own start and translation, paid once per process (docs/performance.md §15), and
/// an instruction count, unlike a time, does not change with what runs beside it. Reading what
/// each run left, and measuring again what criterion sampled flat, stay in order.
pub fn run(ctx: &Context, benchmarks: &mut [Benchmark]) -> Result<()> {
    let mut pass = Instructions { benchmarks };
    let mut jobs = Vec::new();
    for (target, exe) in ctx.targets.iter().zip(ctx.executables) {
        let files = pass.files(ctx, target);
        if let Some(spec) = pass.spec(ctx, target, &files)? {
            jobs.push((target, exe.as_path(), spec, files));
        }
    }
    let Some(first) = jobs.first() else { return Ok(()) };
    let place = if jobs.len() == 1 {
        format!("{}/{}", first.0.package, first.0.target)
    } else {
        format!("{} bench targets", jobs.len())
    };
    let bar = ctx.ui.bar(0, &pass.label(&place));
    // Criterion's output goes to the terminal with `--verbose`: one process at a time.
    let width = if first.2.verbose { 1 } else { std::thread::available_parallelism().map_or(1, |n| n.get()) };
    let finished: Vec<AtomicUsize> = jobs.iter().map(|_| AtomicUsize::new(0)).collect();
    let next = AtomicUsize::new(0);
    let outcomes: Mutex<Vec<Option<Outcome>>> = Mutex::new(jobs.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..width.min(jobs.len()) {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some((target, exe, spec, files)) = jobs.get(k) else { break };
                let outcome = exec::run::run(exe, target, spec, files, |done| {
                    finished[k].store(done, Ordering::Relaxed);
                    let all: usize = finished.iter().map(|f| f.load(Ordering::Relaxed)).sum();
                    bar.set_message(pass.progress(all));
                });
                outcomes.lock().unwrap_or_else(PoisonError::into_inner)[k] = Some(outcome);
            });
        }
    });
    let outcomes = outcomes.into_inner().unwrap_or_else(PoisonError::into_inner);
    let mut collected = Vec::with_capacity(jobs.len());
    for ((target, exe, spec, files), outcome) in jobs.into_iter().zip(outcomes) {
        let failures = outcome.unwrap_or(Err(RunError::Interrupted))?;
        let run = TargetRun { target, exe, spec, files, failures };
        let found = pass.collect(ctx, &run, &bar)?;
        collected.push((run, found));
    }
    // Warnings once the bar is gone, as the other passes give them.
    bar.finish_and_clear();
    for (run, found) in collected {
        pass.attach(ctx, &run, found)?;
    }
    Ok(())
}

/// How one bench target's process ended: the benchmarks it failed on, or why it could not run.
type Outcome = Result<Vec<Failure>, RunError>;

/// The instruction pass, attaching to the timing pass's benchmarks.
struct Instructions<'a> {
    benchmarks: &'a mut [Benchmark],
}

/// Where the bench process of the run of `files` writes callgrind's dumps: beside its records.
fn dumps(files: &RunFiles) -> PathBuf {
    files.records.with_file_name("callgrind")
}

/// The fast gate (`--allocs-only`) draws no flame graphs: no call chains, which cost a fifth of
/// the pass.
fn call_chains(cli: &Cli) -> bool {
    !cli.allocs_only
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
            wrapper: callgrind::wrapper(&dumps, call_chains(ctx.cli)),
            program: exe.and_then(|exe| callgrind::without_debug_info(exe, &dumps)),
            ..ctx.share_spec(Mode::Instructions, target)
        }))
    }

    fn collect(&mut self, _: &Context, run: &TargetRun, bar: &ProgressBar) -> Result<Self::Collected> {
        let recorded = Measured::read(&run.files)?;
        let again =
            linear::resample(run.exe, run.target, Mode::Instructions, &run.spec, &run.files, &recorded.flat(), |id| {
                bar.set_message(format!("`{}` again, with linear sampling", printable(id)))
            })?;
        Ok((recorded, again))
    }

    fn attach(&mut self, ctx: &Context, run: &TargetRun, (mut recorded, again): Self::Collected) -> Result<()> {
        for (id, failure) in &recorded.take_again(again) {
            ctx.ui.warn(&format!(
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
                Ok(Some(counted)) if !call_chains(ctx.cli) => b.instructions = Some(counted.figures),
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
                        Err(e) => ctx.ui.warn(&e.to_string()),
                    }
                    b.instructions = Some(counted.figures);
                    b.instructions_folded = counted.folded;
                }
                Ok(None) => {}
                Err(e) => ctx.ui.warn(&format!("instructions of `{}`: {e}", printable(&rec.id))),
            }
        }
        warn_side_pass_failures(ctx.ui, "instruction pass", "no instruction figures", run);
        Ok(())
    }
}

/// Against the baseline, where both runs have instruction stacks: a differential flame graph
/// beside the benchmark's. The functions that grew are the gate's to name ([`crate::gate::grown`]).
pub fn against_baseline(ctx: &Context, base: &Baseline, report: &mut Report) {
    let folders = artifacts::Folders::new(&report.benchmarks);
    for b in &mut report.benchmarks {
        let key = b.key();
        let Some(old) = base.benchmarks.iter().find(|o| o.is(&key) && !o.instructions_folded.is_empty()) else {
            continue;
        };
        if b.instructions_folded.is_empty() {
            continue;
        }
        let path = ctx.out_dir.join(folders.of(&key)).join("instructions-flamegraph-diff.svg");
        let title = format!("{}: instructions per iteration against baseline `{}`", folders.name(&key), base.name);
        match folded::draw_instructions_diff(&old.instructions_folded, &b.instructions_folded, &title, &path) {
            Ok(()) => b.artifacts.instructions_diff_flamegraph = Some(artifacts::relative(&path, ctx.out_dir)),
            Err(e) => ctx.ui.warn(&e.to_string()),
        }
    }
}
