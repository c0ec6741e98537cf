//! The report: what one run of `cargo allocbench` measured, in the schema of `report.json`
//! (version 1). The document types are defined in [`allocbench_formats::report`] (the allocation
//! figures in [`allocbench_formats::figures`], the verdict in [`allocbench_formats::verdict`]) and
//! the metric table in [`allocbench_formats::metric`]; they are re-exported here under their old
//! paths.
//! What is left here reads reports for the renderers.

pub use allocbench_formats::figures::{AllocFigures, AllocSample, Inexact, SampleRange};
pub use allocbench_formats::metric::{Metric, Unit, ALL_METRICS, METRICS};
pub use allocbench_formats::report::{Benchmark, Environment, Report, TimeFigures, SCHEMA_VERSION};
pub use allocbench_formats::verdict::Verdict;

/// The footnotes for the marks of [`AllocFigures::mark`] that `benchmarks` show, in a fixed order.
pub fn mark_footnotes(benchmarks: &[Benchmark]) -> Vec<String> {
    let figures = || benchmarks.iter().filter_map(|b| b.alloc);
    let mut notes = Vec::new();
    for reason in [Inexact::SamplesDisagree, Inexact::FlatSampling] {
        if figures().any(|a| !a.approximate && !a.exact && a.inexact.unwrap_or(Inexact::SamplesDisagree) == reason) {
            notes.push(format!("≈ {}", reason.explanation()));
        }
    }
    if figures().any(|a| a.approximate) {
        notes.push("~ iter_custom: figures cover the whole routine, not criterion's timed window".to_owned());
    }
    notes
}
