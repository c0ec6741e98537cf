//! The passes beside the timing pass, as plug-ins: one entry each in [`PLUGINS`], which the
//! pipeline iterates. An entry says what the pass is (its flag, the mode its bench processes run
//! in, the metrics it fills, the kinds of file it writes) and does its part in each phase:
//! measure, then, once the judge has compared the run with the baseline, follow up (the
//! allocation-site pass of the benchmarks that regressed), add what only a baseline makes
//! possible (a differential flame graph) and name what grew. What a pass finds after the judge
//! is returned, not written into the run ([`crate::follow_up`]). A new pass is one module and
//! one line in [`PLUGINS`]; nothing else names it.
//!
//! The timing pass is not an entry: it makes the benchmarks the others attach to, and
//! `--baseline-rev` interleaves its runs with the other revision's ([`crate::passes::timing`]).

use allocbench_formats::comparison::Comparison;
use allocbench_formats::measured::MeasuredBenchmark;
use allocbench_formats::metric::Metric;
use allocbench_formats::report::ArtifactKind;
use anyhow::Result;

use crate::exec::run::Mode;
use crate::follow_up::Additions;
use crate::gate::baseline::Baseline;
use crate::gate::policy::Policy;
use crate::passes::Context;

/// What the judge decided, for a pass that follows up on it.
#[derive(Clone, Copy)]
pub struct Judged<'a> {
    /// The baseline the run was compared with, if any.
    pub base: Option<&'a Baseline>,
    /// The comparison with it.
    pub comparison: Option<&'a Comparison>,
}

/// One pass beside the timing pass. Every method but the description has a default that does
/// nothing, so a pass implements only the phases it takes part in.
pub trait Plugin: Sync {
    /// Its name in notes, e.g. `CPU pass`.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "the registry's description of the pass, which the test of the registry reads")
    )]
    fn name(&self) -> &'static str;

    /// The command-line option that decides whether it runs.
    #[expect(dead_code, reason = "the registry's description of the pass (issue 22), which nothing reads yet")]
    fn flag(&self) -> &'static str;

    /// The mode its bench processes run in.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "the registry's description of the pass, which the test of the registry reads")
    )]
    fn mode(&self) -> Mode;

    /// The metrics it fills in.
    #[expect(dead_code, reason = "the registry's description of the pass (issue 22), which nothing reads yet")]
    fn metrics(&self) -> &'static [Metric] {
        &[]
    }

    /// The kinds of file it writes for a benchmark.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "the registry's description of the pass, which the test of the registry reads")
    )]
    fn artifacts(&self) -> &'static [ArtifactKind] {
        &[]
    }

    /// Whether this run's plan runs it.
    fn enabled(&self, ctx: &Context) -> bool;

    /// Measures, attaching what it finds to the timing pass's benchmarks.
    fn measure(&self, _ctx: &Context, _benchmarks: &mut [MeasuredBenchmark]) -> Result<()> {
        Ok(())
    }

    /// Runs after the judge, on what it decided, over the run as it was measured; returns what
    /// it found for each benchmark.
    fn follow_up(&self, _ctx: &Context, _benchmarks: &[MeasuredBenchmark], _judged: Judged) -> Result<Additions> {
        Ok(Additions::new())
    }

    /// What a baseline adds to what it found (a differential flame graph, written beside the
    /// benchmark's own files), by benchmark.
    fn against_baseline(&self, _ctx: &Context, _base: &Baseline, _benchmarks: &[MeasuredBenchmark]) -> Additions {
        Additions::new()
    }

    /// Names what grew in `comparison`, from what it found in the baseline and the run (with
    /// what the follow-up added). `comparison` is the follow-up's copy of the judge's
    /// ([`crate::follow_up::FollowUp::take_growth`]).
    fn grew(
        &self,
        _base: &Baseline,
        _benchmarks: &[MeasuredBenchmark],
        _comparison: &mut Comparison,
        _policy: &Policy,
    ) {
    }
}

/// Every pass beside the timing pass, in the order they run.
pub static PLUGINS: &[&dyn Plugin] =
    &[&crate::passes::instructions::PLUGIN, &crate::passes::cpu::PLUGIN, &crate::passes::heap::PLUGIN];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every mode a plug-in runs in is its own, and every artifact kind is written by one pass.
    #[test]
    fn plugins_divide_modes_and_artifacts() {
        let modes: Vec<Mode> = PLUGINS.iter().map(|p| p.mode()).collect();
        for (i, m) in modes.iter().enumerate() {
            assert!(!modes[i + 1..].contains(m), "{m:?} twice");
        }
        for kind in ArtifactKind::ALL {
            let writers: Vec<&str> =
                PLUGINS.iter().filter(|p| p.artifacts().contains(&kind)).map(|p| p.name()).collect();
            assert_eq!(writers.len(), 1, "{kind:?} is written by {writers:?}");
        }
    }
}
