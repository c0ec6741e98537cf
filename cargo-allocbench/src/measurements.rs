//! The measuring phase's product: every benchmark as the passes measured it, with where and in
//! which shard. The judge compares it with a baseline, a baseline stores it whole, and the report
//! is assembled from it once, as its projection ([`Measurements::report`]).

use allocbench_formats::comparison::Comparison;
use allocbench_formats::measured::MeasuredBenchmark;
use allocbench_formats::partition::Partition;

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

    /// `report.json`'s document: the benchmarks as the report shows them, with the judge's
    /// comparison and verdict and the run's warnings.
    pub fn report(&self, comparison: Option<Comparison>, verdict: Verdict, warnings: Vec<String>) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            environment: self.environment.clone(),
            benchmarks: self.benchmarks.iter().map(|m| m.benchmark.clone()).collect(),
            comparison,
            verdict,
            partition: self.partition.clone(),
            warnings,
        }
    }
}
