//! The passes a bench process is run for, and what each gives the report.
//!
//! A pass is one [`Pass`]: what to run for a bench target ([`Pass::spec`]), how to read what
//! the run left ([`Pass::collect`]), and what it attaches to the report's benchmarks
//! ([`Pass::attach`]); [`run`] takes it over every target in order, one process each, and says
//! how it goes as [`Event`]s (the engine never writes to the terminal: [`crate::events`]).
//! Each pass is one module: the timing pass (a full run with criterion's timing, or
//! `--allocs-only`) makes the benchmarks, with their allocation figures and time
//! ([`timing`]); the CPU pass adds flame graphs and profiles ([`cpu`]); the instruction pass,
//! under valgrind's callgrind, instructions per iteration ([`instructions`]); the
//! allocation-site pass the sites and heap profiles ([`heap`]). What a pass adds when compared
//! with a baseline (differential flame graphs, the baseline's heap profile) is its module's
//! `against_baseline`, or part of its `attach` when the pass runs after the comparison; which
//! functions or sites grew is the gate's to name, from what the passes found
//! ([`crate::gate::grown`]).
//!
//! What the passes share: the harness's record lines ([`records`]), the figures per iteration
//! ([`figures`], with [`linear`] for benchmarks criterion sampled flat), and pprof's names
//! ([`pprof_names`]), so that `go tool pprof` reads the profiles whole.

pub mod cpu;
pub mod figures;
pub mod heap;
pub mod instructions;
pub mod linear;
pub mod plugin;
pub mod pprof_names;
pub mod records;
pub mod timing;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cargo::discover::{BenchTarget, CargoOptions};
use crate::events::{Event, Sink};
use crate::exec::run::{Failure, Mode, RunFiles, RunSpec};
use crate::plan::Plan;
use crate::render::units::printable;
use anyhow::Result;

/// What every pass needs from the run, so that none takes it piece by piece.
pub struct Context<'a> {
    /// The plan: the filter, criterion's arguments, the timeout, and each pass's own settings.
    pub plan: &'a Plan,
    /// Where the passes say how they go, and what they lost: never the terminal itself.
    pub events: &'a dyn Sink,
    /// Where the runs' files and the benchmarks' artifacts go.
    pub out_dir: &'a Path,
    pub targets: &'a [BenchTarget],
    /// The built bench executables, one per target, in the same order.
    pub executables: &'a [PathBuf],
    /// How they were built, for a pass that builds them again.
    pub build: Build<'a>,
}

/// How the bench executables were built.
#[derive(Clone, Copy)]
pub struct Build<'a> {
    /// Cargo's options: the packages, features and profile.
    pub opts: &'a CargoOptions,
    /// The target directory they were built in.
    pub target_dir: &'a Path,
    /// The local packages built without the debug info that names inlined functions
    /// ([`crate::cargo::build::Built::without_debuginfo`]).
    pub without_debuginfo: &'a [String],
}

impl Context<'_> {
    /// Criterion's filter: the one before `--`, or the one after it.
    pub fn filter(&self) -> Option<String> {
        self.plan.selection.filter.clone()
    }

    /// The longest time a bench process may go without finishing a benchmark (`--timeout`).
    pub fn timeout(&self) -> Duration {
        self.plan.timeout
    }

    /// A run in `mode` with the command line's filter, timeout and verbosity and nothing else;
    /// a pass adds its own arguments to it.
    pub fn spec(&self, mode: Mode) -> RunSpec {
        RunSpec {
            pass: mode,
            filter: self.filter(),
            criterion_args: Vec::new(),
            env: Vec::new(),
            counting_times: None,
            timeout: self.timeout(),
            verbose: self.plan.output.verbose,
            wrapper: Vec::new(),
            program: None,
        }
    }

    /// [`Context::spec`] over `target`'s share of the filter (`--partition`): for a pass that
    /// runs whatever the filter selects, not one that picks benchmarks by id itself.
    pub fn share_spec(&self, mode: Mode, target: &BenchTarget) -> RunSpec {
        self.spec(mode).for_target(target)
    }
}

/// One target's run of a pass: what ran, where it wrote, and where it failed.
pub struct TargetRun<'a> {
    pub target: &'a BenchTarget,
    pub exe: &'a Path,
    pub spec: RunSpec,
    pub files: RunFiles,
    /// The benchmarks the process failed on (or the process itself, before any benchmark).
    pub failures: Vec<Failure>,
}

/// One pass over the bench targets. [`run`] calls, per target: [`Pass::files`],
/// [`Pass::spec`], the bench process, [`Pass::collect`] while the target's progress still
/// shows ([`Event::PassStarted`] to [`Event::PassFinished`]), then [`Pass::attach`].
pub trait Pass {
    /// What [`Pass::collect`] hands to [`Pass::attach`]: what one target's run found.
    type Collected;

    /// The mode its bench processes run in.
    fn mode(&self) -> Mode;

    /// The title of the target's progress ([`Event::PassStarted`]), given the target's place
    /// (`package/target (k/n)`).
    fn label(&self, place: &str) -> String;

    /// What the target's progress says once the process has finished `done` benchmarks.
    fn progress(&self, done: usize) -> String;

    /// Where `target`'s run writes.
    fn files(&self, ctx: &Context, target: &BenchTarget) -> RunFiles {
        RunFiles::new(ctx.out_dir, self.mode(), target)
    }

    /// What to run for `target`; `None` leaves the target out.
    fn spec(&mut self, ctx: &Context, target: &BenchTarget, files: &RunFiles) -> Result<Option<RunSpec>>;

    /// Reads what the run left, measuring again what needs it; the target's progress still
    /// shows, for that ([`Event::Progress`]).
    fn collect(&mut self, ctx: &Context, run: &TargetRun) -> Result<Self::Collected>;

    /// Attaches what the run found to the report's benchmarks, and says what was lost.
    fn attach(&mut self, ctx: &Context, run: &TargetRun, found: Self::Collected) -> Result<()>;
}

/// Runs `pass` over every bench target, in order.
pub fn run<P: Pass>(ctx: &Context, pass: &mut P) -> Result<()> {
    for (k, (target, exe)) in ctx.targets.iter().zip(ctx.executables).enumerate() {
        let files = pass.files(ctx, target);
        let Some(spec) = pass.spec(ctx, target, &files)? else { continue };
        let place = format!("{}/{} ({}/{})", target.package, target.target, k + 1, ctx.targets.len());
        ctx.events.emit(Event::PassStarted { title: pass.label(&place) });
        // Finished on failure too, so that no spinner is left over the error.
        let ran = (|| {
            let failures = crate::exec::run::run(exe, target, &spec, &files, ctx.events, |done| {
                ctx.events.emit(Event::Progress(pass.progress(done)))
            })?;
            let run = TargetRun { target, exe, spec, files, failures };
            let found = pass.collect(ctx, &run)?;
            anyhow::Ok((run, found))
        })();
        ctx.events.emit(Event::PassFinished);
        let (run, found) = ran?;
        pass.attach(ctx, &run, found)?;
    }
    Ok(())
}

/// A profiling pass's failures cost what it adds, never the figures: say so, per benchmark.
pub fn warn_side_pass_failures(events: &dyn Sink, pass: &str, lost: &str, run: &TargetRun) {
    for f in &run.failures {
        events.warn(&format!(
            "{pass} of `{}/{}` failed at `{}`: {}; the figures stand, that benchmark has {lost} (log: {})",
            run.target.package,
            run.target.target,
            printable(f.title.as_deref().unwrap_or("(before any benchmark)")),
            printable(&f.reason),
            run.files.log.display()
        ));
    }
}
