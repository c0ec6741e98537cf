//! The timing pass: each target under allocbench's counting allocator, with criterion's timing
//! in a full run and without it under `--allocs-only` (then one of the counting passes). It makes the report's benchmarks, with
//! their allocation figures and time; the other passes attach to them. With `--runs`, later runs
//! add their times only.

use std::collections::BTreeSet;

use anyhow::Result;

use crate::cargo::discover::BenchTarget;
use crate::events::Sink;
use crate::exec::run::{Failure, Mode, RunFiles, RunSpec};
use crate::passes::linear::{self, Measured};
use crate::passes::records::{self, Recorded};
use crate::passes::{figures, Context, Pass, TargetRun};
use crate::plan::TimingPass;
use crate::render::units::{format_bytes, format_count, printable};
use allocbench_formats::measured::MeasuredBenchmark;

use crate::report::Benchmark;

/// The timing pass, over as many runs as `--runs` asks.
pub struct Timing {
    mode: Mode,
    /// `--runs`, for the progress title.
    runs: u32,
    /// The run being measured, from 1.
    run: u32,
    /// The benchmarks of the run being measured.
    measured: Vec<MeasuredBenchmark>,
    /// Run 1's benchmarks, with the later runs' times.
    benchmarks: Vec<MeasuredBenchmark>,
    /// The allocators the bench targets count under, for the report's environment.
    allocators: BTreeSet<String>,
}

impl Timing {
    pub fn new(settings: &TimingPass) -> Timing {
        Timing {
            mode: if settings.allocs_only { Mode::AllocsOnly } else { Mode::Full },
            runs: settings.runs,
            run: 0,
            measured: Vec::new(),
            benchmarks: Vec::new(),
            allocators: BTreeSet::new(),
        }
    }

    /// Measures every target for run `run` (from 1) of `--runs`.
    pub fn measure(&mut self, ctx: &Context, run: u32) -> Result<()> {
        self.run = run;
        crate::passes::run(ctx, self)?;
        let measured = std::mem::take(&mut self.measured);
        if run == 1 {
            self.benchmarks = measured;
        } else {
            add_run(ctx.events, &mut self.benchmarks, &measured, run);
        }
        Ok(())
    }

    /// The benchmarks, and the allocators they counted under.
    pub fn finish(self) -> (Vec<MeasuredBenchmark>, BTreeSet<String>) {
        (self.benchmarks, self.allocators)
    }
}

impl Pass for Timing {
    type Collected = Vec<MeasuredBenchmark>;

    fn mode(&self) -> Mode {
        self.mode
    }

    fn label(&self, place: &str) -> String {
        if self.runs > 1 {
            format!("{place}, run {} of {}", self.run, self.runs)
        } else {
            place.to_owned()
        }
    }

    fn progress(&self, done: usize) -> String {
        format!("{} measured", crate::render::units::count_of(done, "benchmark"))
    }

    fn files(&self, ctx: &Context, target: &BenchTarget) -> RunFiles {
        RunFiles::nth(ctx.out_dir, self.mode, target, self.run)
    }

    fn spec(&mut self, ctx: &Context, target: &BenchTarget, _: &RunFiles) -> Result<Option<RunSpec>> {
        let criterion_args = ctx.plan.selection.criterion.for_timing_pass(self.mode.counts_only());
        Ok(Some(RunSpec { criterion_args, ..ctx.share_spec(self.mode, target) }))
    }

    fn collect(&mut self, ctx: &Context, run: &TargetRun) -> Result<Vec<MeasuredBenchmark>> {
        let recorded = Measured::read(&run.files)?;
        self.allocators.extend(recorded.records.iter().filter_map(|r| r.allocator.clone()));
        let mut found = benchmarks_of(run.target, &recorded, &run.failures, self.mode);
        if self.run == 1 {
            // Later runs (`--runs`) add their times only: their figures need no second look.
            let again = linear::resample(
                run.exe,
                run.target,
                Mode::AllocsOnly,
                &run.spec,
                &run.files,
                &recorded.flat(),
                ctx.events,
                |id| format!("`{}` again, with linear sampling", printable(id)),
            )?;
            take_linear_figures(ctx.events, &mut found, &again);
        }
        Ok(found)
    }

    fn attach(&mut self, _: &Context, _: &TargetRun, found: Vec<MeasuredBenchmark>) -> Result<()> {
        self.measured.extend(found);
        Ok(())
    }
}

/// Adds a later run's typical times (`--runs`) to the first run's benchmarks. Allocation figures
/// are the first run's; a later run that disagrees on an exact figure is worth a warning, since
/// the code then does not allocate deterministically.
pub fn add_run(events: &dyn Sink, first: &mut [MeasuredBenchmark], later: &[MeasuredBenchmark], run: u32) {
    for b in first.iter_mut() {
        let key = b.key();
        let Some(l) = later.iter().find(|l| l.is(&key)) else {
            continue;
        };
        if let (None, Some(error)) = (&b.error, &l.error) {
            events.warn(&format!("`{}`: run {run} failed ({error}); its time is left out", printable(&b.id)));
        }
        let (Some(t1), Some(t)) = (b.time, l.time) else { continue };
        if b.time_runs_ns.is_empty() {
            b.time_runs_ns.push(t1.typical_ns);
        }
        b.time_runs_ns.push(t.typical_ns);
        if let (Some(a1), Some(a)) = (b.alloc, l.alloc) {
            let same =
                (a1.alloc_objects, a1.alloc_space, a1.inuse_space) == (a.alloc_objects, a.alloc_space, a.inuse_space);
            if a1.exact && a.exact && !same {
                events.warn(&format!(
                    "`{}`: run {run} gave alloc_objects {}, alloc_space {}, inuse_space {} per iteration, run 1 {}, {}, {}: the figures are run 1's",
                    printable(&b.id),
                    format_count(a.alloc_objects),
                    format_bytes(a.alloc_space),
                    format_bytes(a.inuse_space),
                    format_count(a1.alloc_objects),
                    format_bytes(a1.alloc_space),
                    format_bytes(a1.inuse_space)
                ));
            }
        }
    }
}

/// The allocation figures of the benchmarks measured again with linear sampling, in place of
/// those of their flat samples; a benchmark that could not be measured again keeps its figures,
/// marked `≈` (flat sampling), and a warning says why.
fn take_linear_figures(events: &dyn Sink, benchmarks: &mut [MeasuredBenchmark], again: &linear::Resampled) {
    for b in benchmarks.iter_mut() {
        if let Some((rec, crit)) = again.measured.get(&b.id) {
            if let Some(joined) = records::join(rec, crit) {
                if let Some(alloc) = figures::per_iteration_figures(&joined.samples) {
                    b.alloc_samples = figures::kept_samples(&joined.samples, Some(&alloc));
                    b.alloc = Some(alloc);
                    b.probes = figures::probe_figures(&joined.samples, &joined.records);
                    // The threads the run measured again left running (the first run's were
                    // dropped with its figures).
                    if let Some(probes) = b.probes.as_mut() {
                        probes.left_running.clone_from(&rec.threads_left);
                    }
                }
            }
        }
    }
    for (id, failure) in &again.failures {
        events.warn(&format!(
            "`{}` was sampled flat and could not be measured again with linear sampling ({}): its allocation figures are a sample's counts divided by its iterations, marked ≈",
            printable(id),
            printable(&failure.reason)
        ));
    }
}

/// The benchmarks of one target's run: those it recorded, and the one it failed on, if any.
fn benchmarks_of(
    target: &BenchTarget,
    recorded: &Measured,
    failures: &[Failure],
    mode: Mode,
) -> Vec<MeasuredBenchmark> {
    let mut out = Vec::new();
    for rec in &recorded.records {
        let mut b = benchmark(target, rec, recorded.criterion.get(&rec.id));
        if mode == Mode::AllocsOnly {
            // Criterion's estimates from a 10 ms run are not a measurement of time.
            b.time = None;
            b.kept.time_samples_ns.clear();
        }
        out.push(b);
    }
    for f in failures {
        let id = f.title.clone().unwrap_or_else(|| format!("{}/{} (bench target)", target.package, target.target));
        out.push(MeasuredBenchmark::new(Benchmark {
            error: Some(f.reason.clone()),
            ..Benchmark::new(id, &target.package, &target.target)
        }));
    }
    out
}

fn benchmark(target: &BenchTarget, rec: &Recorded, crit: Option<&records::CriterionBenchmark>) -> MeasuredBenchmark {
    let mut b = MeasuredBenchmark::new(Benchmark::new(&rec.id, &target.package, &target.target));
    if !rec.counting {
        b.error = Some(format!(
            "bench target `{}` counts no allocations: its #[global_allocator] is not allocbench's; wrap it: `static A: allocbench::Alloc<YourAlloc> = allocbench::Alloc::new(YourAlloc);`",
            target.target
        ));
        return b;
    }
    let Some(crit) = crit else {
        b.error = Some("criterion saved no samples for this id (is the id unique?)".to_owned());
        return b;
    };
    match records::join(rec, crit) {
        Some(joined) => {
            b.alloc = figures::per_iteration_figures(&joined.samples);
            b.alloc_samples = figures::kept_samples(&joined.samples, b.alloc.as_ref());
            b.probes = figures::probe_figures(&joined.samples, &joined.records);
            if let Some(probes) = b.probes.as_mut() {
                probes.left_running.clone_from(&rec.threads_left);
            }
            b.time = crit.time;
            b.kept.time_samples_ns = joined.time_samples_ns;
        }
        None => b.error = Some("the harness's samples do not match criterion's sample.json".to_owned()),
    }
    b
}
