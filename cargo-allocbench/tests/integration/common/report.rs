//! What a run reports, read into the report's own types: `--format json`'s stdout and
//! `report.json`. The raw JSON is there too, for what only its shape can show (a field that is
//! absent, two documents that are the same).

use std::fs;
use std::path::Path;
use std::process::Output;

pub use allocbench_formats::baseline::BaselineDocument;
pub use allocbench_formats::comparison::{BenchmarkComparison, MetricComparison, Status};
pub use allocbench_formats::figures::AllocFigures;
pub use allocbench_formats::metric::Metric;
pub use allocbench_formats::report::{Benchmark, Report};
pub use allocbench_formats::verdict::Verdict;
use serde_json::Value;

/// The report printed by `--format json`.
pub fn report(out: &Output) -> Report {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not a report ({e}):\n{}", String::from_utf8_lossy(&out.stdout)))
}

/// The report printed by `--format json`, as JSON.
pub fn report_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", String::from_utf8_lossy(&out.stdout)))
}

/// `report.json` of a run whose `--out-dir` was `out`.
pub fn report_in(out: &Path) -> Report {
    report_at(&out.join("report.json"))
}

/// `report.json` of a run whose `--out-dir` was `out`, as JSON.
pub fn report_json_in(out: &Path) -> Value {
    let path = out.join("report.json");
    let bytes = fs::read(&path).unwrap_or_else(|e| panic!("cannot read `{}`: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("`{}` is not JSON: {e}", path.display()))
}

/// Baseline `name` of the folder `dir`, in the baseline document's type, to edit.
pub fn baseline_in(dir: &Path, name: &str) -> BaselineDocument {
    let path = dir.join(format!("{name}.json"));
    let bytes = fs::read(&path).unwrap_or_else(|e| panic!("cannot read `{}`: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("`{}` is not a baseline: {e}", path.display()))
}

/// Writes `document` into the folder `dir` as the baseline of its name.
pub fn write_baseline(dir: &Path, document: &BaselineDocument) {
    let path = dir.join(format!("{}.json", document.name));
    fs::write(&path, serde_json::to_vec_pretty(document).expect("a baseline serializes"))
        .unwrap_or_else(|e| panic!("cannot write `{}`: {e}", path.display()));
}

/// Writes `report` to `path`, as `report.json` holds it.
pub fn write_report(path: &Path, report: &Report) {
    fs::write(path, serde_json::to_vec_pretty(report).expect("a report serializes"))
        .unwrap_or_else(|e| panic!("cannot write `{}`: {e}", path.display()));
}

/// The report at `path`, a `report.json`.
pub fn report_at(path: &Path) -> Report {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("cannot read `{}`: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("`{}` is not a report: {e}", path.display()))
}

/// The benchmark `id` of a report.
pub fn bench<'a>(report: &'a Report, id: &str) -> &'a Benchmark {
    report
        .benchmarks
        .iter()
        .find(|b| b.id == id)
        .unwrap_or_else(|| panic!("no benchmark `{id}` in the report:\n{report:#?}"))
}

/// The allocation figures of benchmark `id`.
pub fn alloc(report: &Report, id: &str) -> AllocFigures {
    let b = bench(report, id);
    b.alloc.unwrap_or_else(|| panic!("`{id}` has no allocation figures: {b:#?}"))
}

/// The ids of the report's benchmarks, in order.
pub fn ids(report: &Report) -> Vec<String> {
    report.benchmarks.iter().map(|b| b.id.clone()).collect()
}

/// The comparison's benchmarks; the report must have a comparison.
pub fn comparisons(report: &Report) -> &[BenchmarkComparison] {
    &report.comparison.as_ref().unwrap_or_else(|| panic!("the report has no comparison:\n{report:#?}")).benchmarks
}

/// The comparison of benchmark `id` in a report.
pub fn compared<'a>(report: &'a Report, id: &str) -> &'a BenchmarkComparison {
    comparisons(report)
        .iter()
        .find(|b| b.id == id)
        .unwrap_or_else(|| panic!("no benchmark `{id}` in the comparison:\n{:#?}", report.comparison))
}

/// The comparison of one metric of one benchmark.
pub fn metric(benchmark: &BenchmarkComparison, metric: Metric) -> &MetricComparison {
    benchmark
        .metrics
        .iter()
        .find(|m| m.metric == metric)
        .unwrap_or_else(|| panic!("no metric `{}` in {benchmark:#?}", metric.name()))
}
