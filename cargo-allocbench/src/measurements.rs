//! The measuring phase's product: every benchmark as the passes measured it, with where and in
//! which shard. The judge compares it with a baseline, a baseline stores it whole with what the
//! follow-up added ([`Measurements::followed_up`]), and the report is assembled from it and the
//! later phases' products once, as its projection ([`Measurements::report`]).

use allocbench_formats::comparison::Comparison;
use allocbench_formats::measured::MeasuredBenchmark;
use allocbench_formats::partition::Partition;

use crate::follow_up::FollowUp;
use crate::report::{Environment, Report, Verdict, SCHEMA_VERSION};

/// What one run measured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measurements {
    /// Where and with what the figures were measured.
    pub environment: Environment,
    /// Every benchmark of the run, in the order they ran.
    pub benchmarks: Vec<MeasuredBenchmark>,
    /// The shard this run measured (`--partition`); `None` when it measured every benchmark.
    pub partition: Option<Partition>,
}

impl Measurements {
    /// Whether a benchmark failed (crashed, timed out) before it was measured.
    pub fn failed(&self) -> bool {
        self.benchmarks.iter().any(|b| b.error.is_some())
    }

    /// The run with what the follow-up added to its benchmarks: what a baseline stores.
    pub fn followed_up(&self, follow_up: &FollowUp) -> Measurements {
        Measurements {
            environment: self.environment.clone(),
            benchmarks: follow_up.apply(&self.benchmarks),
            partition: self.partition.clone(),
        }
    }

    /// `report.json`'s document, assembled once: the benchmarks as the report shows them with
    /// what the follow-up added, the judge's comparison with what the follow-up found grew, the
    /// judge's verdict and the run's warnings.
    pub fn report(
        &self,
        follow_up: &FollowUp,
        comparison: Option<Comparison>,
        verdict: Verdict,
        warnings: Vec<String>,
    ) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            environment: self.environment.clone(),
            benchmarks: follow_up.apply(&self.benchmarks).into_iter().map(|m| m.benchmark).collect(),
            comparison: comparison.map(|c| follow_up.name_growth(c)),
            verdict,
            partition: self.partition.clone(),
            warnings,
        }
    }
}
