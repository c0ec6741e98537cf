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

use std::path::PathBuf;

use anyhow::Result;

use crate::artifacts;
use crate::cargo::build;
use crate::cargo::discover::BenchTarget;
use crate::exec::run::{self, CountingTimes, Mode, RunFiles, RunSpec};
use crate::gate::baseline::Baseline;
use crate::gate::compare;
use crate::passes::linear::{self, Measured, Resampled};
use crate::passes::{records, warn_side_pass_failures, Context, Pass, TargetRun};
use crate::plan::HeapProfile;
use crate::render::units::printable;
use allocbench_formats::comparison::Comparison;
use allocbench_formats::measured::MeasuredBenchmark;
use allocbench_formats::report::ArtifactKind;

use crate::follow_up::Additions;
use crate::gate::grown;
use crate::gate::policy::Policy;
use crate::passes::plugin::{Judged, Plugin};

/// The allocation-site pass as a plug-in ([`crate::passes::plugin`]): it follows up on the
/// judge, so that `--heap-profile regressed` knows what regressed.
pub struct SitesPass;

/// Its entry in [`crate::passes::plugin::PLUGINS`].
pub static PLUGIN: SitesPass = SitesPass;

impl Plugin for SitesPass {
    fn name(&self) -> &'static str {
        "allocation-site pass"
    }

    fn flag(&self) -> &'static str {
        "--heap-profile"
    }

    fn mode(&self) -> Mode {
        Mode::Heap
    }

    fn artifacts(&self) -> &'static [ArtifactKind] {
        &[ArtifactKind::AllocFlamegraph, ArtifactKind::HeapProfile, ArtifactKind::HeapBaseProfile]
    }

    fn enabled(&self, ctx: &Context) -> bool {
        ctx.plan.passes.heap != HeapProfile::None
    }

    fn follow_up(&self, ctx: &Context, benchmarks: &[MeasuredBenchmark], judged: Judged) -> Result<Additions> {
        run(ctx, benchmarks, judged.comparison, judged.base)
    }

    fn grew(&self, base: &Baseline, benchmarks: &[MeasuredBenchmark], comparison: &mut Comparison, policy: &Policy) {
        grown::sites_grew(base, benchmarks, comparison, policy);
    }
}

/// Runs the allocation-site pass over `benchmarks`, and returns their sites and heap profiles
/// (against `base`, with the baseline's stacks beside them). With `--heap-profile regressed`,
/// it runs for the benchmarks that `comparison` found regressed: the judge's follow-up.
pub fn run(
    ctx: &Context,
    benchmarks: &[MeasuredBenchmark],
    comparison: Option<&Comparison>,
    base: Option<&Baseline>,
) -> Result<Additions> {
    let selected = selected(ctx.plan.passes.heap, benchmarks, comparison);
    if selected.is_empty() {
        return Ok(Additions::new());
    }
    let executables = executables(ctx);
    let ctx = Context { executables: &executables, ..*ctx };
    let mut heap = Heap {
        benchmarks,
        comparison,
        base,
        selected,
        ids: 0,
        direct: Vec::new(),
        unnamed: Vec::new(),
        found: Additions::new(),
    };
    crate::passes::run(&ctx, &mut heap)?;
    if let Some((id, share)) = heap.unnamed.first() {
        let others = match heap.unnamed.len() - 1 {
            0 => String::new(),
            1 => " and of 1 other benchmark".to_owned(),
            n => format!(" and of {n} other benchmarks"),
        };
        ctx.events.warn(&format!(
            "allocation sites: {:.0} % of the bytes of `{}`{others} come from code inlined into criterion's loop, which has no name of its own without debug info; set `[profile.bench] debug = \"{}\"`",
            share * 100.0,
            printable(id),
            build::SITES_DEBUGINFO
        ));
    }
    Ok(heap.found)
}

/// The executables the pass runs: the run's own, or, when the bench profile has no debug info,
/// the same targets built again with it for the packages of the workspace. Without it a frame
/// is named by the symbol table: code inlined into criterion's loop (a closure, a small
/// function) has no name of its own, and its allocations would belong to no site.
fn executables(ctx: &Context) -> Vec<PathBuf> {
    let packages = ctx.build.without_debuginfo;
    if packages.is_empty() {
        return ctx.executables.to_vec();
    }
    let names: Vec<String> = packages.iter().map(|p| format!("`{p}`")).collect();
    ctx.events.note(&format!(
        "allocation sites: the bench profile has no debug info to name inlined functions; building {} again with `debug = \"{debug}\"` for this pass only (the figures come from the build as it is); `[profile.bench] debug = \"{debug}\"` saves that build",
        names.join(", "),
        debug = build::SITES_DEBUGINFO
    ));
    match build::build_with(ctx.build.opts, ctx.targets, ctx.build.target_dir, false, packages) {
        Ok(built) => built.executables,
        Err(e) => {
            ctx.events.warn(&format!("allocation sites: {e}; the pass runs the build as it is"));
            ctx.executables.to_vec()
        }
    }
}

/// The allocation-site pass, over the run as it was measured.
struct Heap<'a> {
    benchmarks: &'a [MeasuredBenchmark],
    comparison: Option<&'a Comparison>,
    base: Option<&'a Baseline>,
    /// The benchmarks to run, by package, target and id.
    selected: Vec<(String, String, String)>,
    /// How many of them the target being run has, for its progress.
    ids: usize,
    /// The target's benchmarks measured straight away with linear sampling, each with its time
    /// per iteration (ns): see [`sampled_flat_before`].
    direct: Vec<(String, f64)>,
    /// Benchmarks with bytes that no site of their own names (inlined into criterion's loop),
    /// with their share of the benchmark's bytes.
    unnamed: Vec<(String, f64)>,
    /// What it found, by benchmark.
    found: Additions,
}

/// Gives each thread the figures' run left running the stack that started it, from this pass's
/// run of the same benchmark (whose `pthread_create` captured it): the thread of that run with the
/// same name, else the one at the same place (both lists are oldest first). The two runs are two
/// processes, and may be two executables (this pass's may be built again with debug info): an
/// unnamed thread carries its executable's name, which then differs.
fn name_spawn_stacks(
    left: &allocbench_formats::signals::ThreadsLeft,
    here: &allocbench_formats::signals::ThreadsLeft,
) -> allocbench_formats::signals::ThreadsLeft {
    let mut left = left.clone();
    for (i, thread) in left.threads.iter_mut().enumerate().filter(|(_, t)| t.spawned_at.is_empty()) {
        let same_name = here.threads.iter().find(|h| h.name == thread.name && !h.spawned_at.is_empty());
        if let Some(same) = same_name.or_else(|| here.threads.get(i)) {
            thread.spawned_at.clone_from(&same.spawned_at);
        }
    }
    left
}

/// A criterion filter that selects no benchmark (criterion's ids are never empty).
const NO_BENCHMARK: &str = "^$";

/// Of `ids`, those criterion samples flat at the counting passes' times, by what the timing pass
/// of this run saw, with their time per iteration (ns). They are measured straight away with
/// linear sampling (`linear::resample`): in the first run with every other benchmark criterion
/// would sample them flat, and the stacks of two of those samples would be captured for nothing
/// (a routine of 300,000 allocations took a second per captured iteration).
fn sampled_flat_before(ctx: &Context, target: &BenchTarget, ids: &[&str]) -> Vec<(String, f64)> {
    let timing = if ctx.plan.passes.timing.allocs_only { Mode::AllocsOnly } else { Mode::Full };
    let Ok(measured) = Measured::read(&RunFiles::new(ctx.out_dir, timing, target)) else { return Vec::new() };
    measured
        .paces()
        .into_iter()
        .filter(|(id, ns, flat)| {
            // `--allocs-only` ran them with the times this pass runs them with; a full run, with
            // the user's: there, criterion's rule says.
            ids.contains(&id.as_str())
                && if timing == Mode::AllocsOnly { *flat } else { linear::sampled_flat(*ns, CountingTimes::SHORTEST) }
        })
        .map(|(id, ns, _)| (id, ns))
        .collect()
}

/// The benchmarks `--heap-profile` selects, by package, target and id: all, or the regressed
/// ones, of those with allocation figures that are not approximate (`iter_custom`'s).
fn selected(
    which: HeapProfile,
    benchmarks: &[MeasuredBenchmark],
    comparison: Option<&Comparison>,
) -> Vec<(String, String, String)> {
    let regressed = |b: &MeasuredBenchmark| {
        comparison.and_then(|c| c.benchmark(&b.key())).is_some_and(|c| c.status == compare::Status::Regressed)
    };
    benchmarks
        .iter()
        .filter(|b| b.alloc.is_some() && !b.alloc.is_some_and(|a| a.approximate))
        .filter(|b| match which {
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
        self.direct = sampled_flat_before(ctx, target, &ids);
        let first: Vec<&str> = ids.into_iter().filter(|id| !self.direct.iter().any(|(d, _)| d == id)).collect();
        // Criterion filters on the full id: a duplicate's title (`ID #2`) is matched by its id.
        let full_id = |id: &str| run::without_counter(id).to_owned();
        let filter = if first.is_empty() {
            NO_BENCHMARK.to_owned()
        } else {
            format!("^(?:{})$", first.iter().map(|id| regex::escape(&full_id(id))).collect::<Vec<_>>().join("|"))
        };
        Ok(Some(RunSpec { filter: Some(filter), ..ctx.spec(Mode::Heap) }))
    }

    fn collect(&mut self, ctx: &Context, run: &TargetRun) -> Result<Self::Collected> {
        // Sites follow the benchmark's figures: from samples of two iteration counts or more.
        let recorded = Measured::read(&run.files)?;
        let mut flat = recorded.flat();
        flat.extend(self.direct.iter().cloned());
        let again =
            linear::resample(run.exe, run.target, Mode::Heap, &run.spec, &run.files, &flat, ctx.events, |id| {
                format!("`{}` with linear sampling", printable(id))
            })?;
        Ok((recorded, again))
    }

    fn attach(&mut self, ctx: &Context, run: &TargetRun, (mut recorded, again): Self::Collected) -> Result<()> {
        for (id, failure) in &recorded.take_again(again) {
            ctx.events.warn(&format!(
                "allocation sites of `{}`: sampled flat, and measuring it again failed ({}); no sites",
                printable(id),
                printable(&failure.reason)
            ));
        }
        let target = run.target;
        let folders = artifacts::Folders::new(self.benchmarks);
        for rec in recorded.records {
            let Some(joined) = recorded.criterion.get(&rec.id).and_then(|c| records::join(&rec, c)) else { continue };
            let Some(b) = self
                .benchmarks
                .iter()
                .find(|b| b.id == rec.id && b.package == target.package && b.target == target.target)
            else {
                continue;
            };
            let stacks = profile::stacks(&rec.sites, &joined, b.alloc.as_ref());
            let key = b.key();
            let found = self.found.entry(key.clone()).or_default();
            let old = self.base.and_then(|base| base.benchmarks.iter().find(|o| o.is(&key)));
            let base_stacks = old.map(|o| o.kept.heap_stacks.as_slice()).filter(|s| !s.is_empty());
            match profile::write(&folders.name(&key), &folders.of(&key), &stacks, base_stacks, ctx.out_dir) {
                Ok(a) => {
                    found.artifacts.heap_profile = Some(a.heap_profile);
                    found.artifacts.heap_base_profile = a.heap_base_profile;
                    found.artifacts.alloc_flamegraph = a.alloc_flamegraph;
                }
                Err(e) => ctx.events.warn(&e.to_string()),
            }
            let sites = profile::sites(&stacks, &target.package);
            found.syscall_sites = Some(profile::syscall_sites(&rec.syscall_sites, &joined, &target.package));
            if let (Some(here), Some(left)) =
                (&rec.threads_left, b.probes.as_ref().and_then(|p| p.left_running.as_ref()))
            {
                found.left_running = Some(name_spawn_stacks(left, here));
            }
            let unnamed: f64 = stacks.iter().filter(|s| profile::inlined_into_harness(s)).map(|s| s.alloc_space).sum();
            let total: f64 = stacks.iter().map(|s| s.alloc_space).sum();
            if unnamed > 0.0 && total > 0.0 {
                self.unnamed.push((b.id.clone(), unnamed / total));
            }
            found.sites = Some((sites, stacks));
            // Which sites grew is the gate's to name once every site is known (`gate::grown`); that
            // a baseline without sites leaves none to name is said here, among the pass's own lines.
            let regressed =
                self.comparison.and_then(|c| c.benchmark(&key)).is_some_and(|c| c.status == compare::Status::Regressed);
            if regressed && old.is_some_and(|o| o.sites.is_empty()) {
                ctx.events.note(&format!(
                    "`{}`: the baseline has no allocation sites to compare with; save it with `--heap-profile all` to see which sites grew",
                    printable(&b.id)
                ));
            }
        }
        warn_side_pass_failures(ctx.events, "allocation-site pass", "no sites", run);
        Ok(())
    }
}
