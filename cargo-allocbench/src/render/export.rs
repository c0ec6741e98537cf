//! Exports for benchmark history services: `--export bmf=FILE` and
//! `--export github-action-benchmark=FILE`.
//!
//! - **Bencher Metric Format** (<https://bencher.dev/docs/reference/bencher-metric-format/>):
//!   `{ "<benchmark id>": { "<measure>": { "value", "lower_value"?, "upper_value"? } } }`.
//!   Time goes to Bencher's built-in `latency` measure (nanoseconds, criterion's confidence
//!   interval as bounds); allocation figures per iteration go to the custom measures
//!   `alloc-objects`, `alloc-space`, `inuse-space` and `peak-space`, which Bencher creates on
//!   first use (create them beforehand with units `allocations` and `bytes` for labelled plots).
//!   Instructions per iteration, when the instruction pass ran (`--instructions`), go to the
//!   measure `instructions`; a benchmark without them has no such measure.
//! - **github-action-benchmark**'s `customSmallerIsBetter`: an array of
//!   `{ "name", "unit", "value", "range"?, "extra"? }`, one entry per benchmark and metric,
//!   named `<id> (<metric>)`; `<id> (instructions)` only for a benchmark with instructions.
//!
//! The exported metrics are those with a column in the metric table, in the columns' order
//! ([`ColumnView::all`]), each under the Bencher measure and the unit its
//! [`Column`](allocbench_formats::metric::Column) gives it, with the caveat its row gives for the
//! figure's mark (github-action-benchmark's `extra`:
//! [`Caveats`](allocbench_formats::metric::Caveats)), and criterion's confidence interval where
//! its rule is statistical (time).
//! A benchmark is named by its id, or `package/target: id` where two bench targets of the run
//! have a benchmark of that id, as the tables name it. Benchmarks that failed (no figures) are left out; the gate, not the history service, reports
//! them. Files are written atomically.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use allocbench_formats::key::{shared_ids, BenchmarkKey};
use serde::Serialize;
use serde_json::Value;

use allocbench_formats::metric::ComparisonRule;

use crate::render::view::ColumnView;
use crate::report::{Benchmark, Report};

/// A format `--export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum ExportFormat {
    /// Bencher Metric Format (`bmf`).
    Bmf,
    /// github-action-benchmark's `customSmallerIsBetter` (`github-action-benchmark`).
    GithubActionBenchmark,
}

impl ExportFormat {
    /// The name used on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            ExportFormat::Bmf => "bmf",
            ExportFormat::GithubActionBenchmark => "github-action-benchmark",
        }
    }

    const ALL: [ExportFormat; 2] = [ExportFormat::Bmf, ExportFormat::GithubActionBenchmark];
}

/// An export that cannot be parsed or written; one line naming the flag or file and the fix.
/// [`ExportError::Io`] carries the I/O error's text in its message, not as a `source()`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    #[error("`--export {spec}`: {reason}")]
    Spec { spec: String, reason: String },
    #[error("{action} `{}`: {error}", path.display())]
    Io { action: &'static str, path: PathBuf, error: io::Error },
}

/// Parses `bmf=FILE` or `github-action-benchmark=FILE`.
pub fn parse_export_spec(spec: &str) -> Result<(ExportFormat, PathBuf), ExportError> {
    let error = |reason: String| ExportError::Spec { spec: spec.to_string(), reason };
    let names = || ExportFormat::ALL.map(ExportFormat::name).join(", ");
    let Some((format, file)) = spec.split_once('=') else {
        return Err(error(format!(
            "expected FORMAT=FILE with FORMAT one of {}, e.g. `--export bmf=target/bmf.json`",
            names()
        )));
    };
    let format = ExportFormat::ALL
        .into_iter()
        .find(|f| f.name() == format)
        .ok_or_else(|| error(format!("unknown format `{format}`; expected one of {}", names())))?;
    if file.is_empty() {
        return Err(error(format!(
            "missing FILE after `=`; e.g. `--export {}=target/{}.json`",
            format.name(),
            format.name()
        )));
    }
    Ok((format, PathBuf::from(file)))
}

#[derive(Serialize)]
struct BmfMetric {
    value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    lower_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upper_value: Option<f64>,
}

/// The figures exported for a benchmark that was measured: those of every column of the
/// tables ([`ColumnView::all`]), in the columns' order, that it has and that are finite.
fn exported(b: &Benchmark) -> impl Iterator<Item = (ColumnView, f64)> + '_ {
    ColumnView::all().filter_map(|c| b.figure(c.metric).filter(|v| v.is_finite()).map(|v| (c, v)))
}

/// The interval around a figure, as `(low, high)`: criterion's confidence interval for a figure
/// judged by a statistical test (time, whose estimates criterion gives); none for the counted
/// figures, which are exact or say by their caveat that they are not.
fn interval(b: &Benchmark, c: &ColumnView) -> Option<(f64, f64)> {
    match c.metric.info().rule {
        ComparisonRule::Statistical { .. } => b.time.map(|t| (t.ci_low_ns, t.ci_high_ns)),
        ComparisonRule::Exact | ComparisonRule::RelativeWithNoise => None,
    }
}

/// The report in Bencher Metric Format.
pub fn bmf(report: &Report) -> Value {
    let keys: Vec<BenchmarkKey> = report.benchmarks.iter().map(|b| b.key()).collect();
    let shared = shared_ids(&keys);
    let mut benchmarks: BTreeMap<String, BTreeMap<&str, BmfMetric>> = BTreeMap::new();
    for b in report.benchmarks.iter().filter(|b| b.error.is_none()) {
        let mut measures = BTreeMap::new();
        for (c, value) in exported(b) {
            // Criterion's confidence interval bounds the time; the counted figures are exact.
            let bound = |v: f64| v.is_finite().then_some(v);
            let (lower_value, upper_value) = match interval(b, &c) {
                Some((low, high)) => (bound(low), bound(high)),
                None => (None, None),
            };
            measures.insert(c.column.bencher, BmfMetric { value, lower_value, upper_value });
        }
        if !measures.is_empty() {
            benchmarks.insert(b.key().shown(&shared), measures);
        }
    }
    serde_json::to_value(benchmarks).unwrap_or(Value::Null)
}

#[derive(Serialize)]
struct GabEntry {
    name: String,
    unit: &'static str,
    value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    range: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extra: Option<String>,
}

/// The report as github-action-benchmark's `customSmallerIsBetter` input.
pub fn github_action_benchmark(report: &Report) -> Value {
    let keys: Vec<BenchmarkKey> = report.benchmarks.iter().map(|b| b.key()).collect();
    let shared = shared_ids(&keys);
    let mut entries = Vec::new();
    for b in report.benchmarks.iter().filter(|b| b.error.is_none()) {
        for (c, value) in exported(b) {
            let range = interval(b, &c).and_then(|(low, high)| {
                let half_width = (high - low) / 2.0;
                half_width.is_finite().then(|| format!("± {}", trim_decimals(half_width)))
            });
            entries.push(GabEntry {
                name: format!("{} ({})", b.key().shown(&shared), c.metric.name()),
                unit: c.column.unit_label,
                value,
                range,
                extra: c.metric.info().caveats.for_mark(b.mark(c.metric)).map(str::to_owned),
            });
        }
    }
    serde_json::to_value(entries).unwrap_or(Value::Null)
}

/// `124.000` as `124`, `0.0390` as `0.039`: three decimals at most, no trailing zeros.
fn trim_decimals(v: f64) -> String {
    let text = format!("{v:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Writes `report` in `format` to `path`, atomically, creating its folder if needed.
pub fn write(report: &Report, format: ExportFormat, path: &Path) -> Result<(), ExportError> {
    let value = match format {
        ExportFormat::Bmf => bmf(report),
        ExportFormat::GithubActionBenchmark => github_action_benchmark(report),
    };
    let mut json = serde_json::to_vec_pretty(&value).map_err(|e| ExportError::Io {
        action: "cannot serialize export",
        path: path.to_path_buf(),
        error: io::Error::other(e),
    })?;
    json.push(b'\n');
    crate::atomic::write_atomic(path, &json).map_err(|e| ExportError::Io {
        action: e.action,
        path: e.path,
        error: e.error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures::{compared_report, marked_report, plain_instructions_report, plain_report};

    #[test]
    fn bmf_snapshot() {
        insta::assert_snapshot!(serde_json::to_string_pretty(&bmf(&compared_report())).unwrap());
    }

    #[test]
    fn github_action_benchmark_snapshot() {
        insta::assert_snapshot!(serde_json::to_string_pretty(&github_action_benchmark(&compared_report())).unwrap());
    }

    #[test]
    fn bmf_with_instructions() {
        insta::assert_snapshot!(serde_json::to_string_pretty(&bmf(&plain_instructions_report())).unwrap());
    }

    #[test]
    fn github_action_benchmark_with_instructions() {
        insta::assert_snapshot!(
            serde_json::to_string_pretty(&github_action_benchmark(&plain_instructions_report())).unwrap()
        );
    }

    #[test]
    fn exports_with_marks() {
        let report = marked_report();
        insta::assert_snapshot!(format!(
            "{}\n{}",
            serde_json::to_string_pretty(&bmf(&report)).unwrap(),
            serde_json::to_string_pretty(&github_action_benchmark(&report)).unwrap()
        ));
    }

    #[test]
    fn instructions_only_where_counted() {
        let report = plain_instructions_report();
        let value = bmf(&report);
        assert_eq!(value["fanout/clients/100"]["instructions"], serde_json::json!({ "value": 10500.0 }));
        assert_eq!(value["json/encode"]["instructions"]["value"], 2004.5);
        assert!(value["parse/tiny"].get("instructions").is_none(), "{value}");
        assert!(value["parse/tiny"].get("alloc-space").is_some(), "{value}");
        assert!(value.get("crash/segv").is_none(), "{value}");
        let entries = github_action_benchmark(&report);
        let named: Vec<&Value> = entries
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["name"].as_str().unwrap().ends_with(" (instructions)"))
            .collect();
        assert_eq!(named.len(), 2, "{entries}");
        assert_eq!(named[0]["name"], "fanout/clients/100 (instructions)");
        assert_eq!(named[0]["unit"], "instructions/iter");
        assert!(named[0].get("extra").is_none(), "{entries}");
        assert_eq!(named[1]["extra"], "instruction counts varied between samples");
        // Without instructions, nothing of them.
        let plain = serde_json::to_string(&bmf(&plain_report())).unwrap()
            + &serde_json::to_string(&github_action_benchmark(&plain_report())).unwrap();
        assert!(!plain.contains("instructions"), "{plain}");
    }

    #[test]
    fn failed_benchmarks_are_left_out() {
        let report = plain_report();
        assert!(bmf(&report).get("crash/segv").is_none());
        assert!(bmf(&report).get("json/encode").is_some());
        let names: Vec<String> = github_action_benchmark(&report)
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect();
        assert!(names.iter().all(|n| !n.starts_with("crash/segv")), "{names:?}");
        assert!(names.contains(&"json/encode (alloc_space)".to_string()));
    }

    #[test]
    fn specs() {
        assert_eq!(
            parse_export_spec("bmf=target/bmf.json").unwrap(),
            (ExportFormat::Bmf, PathBuf::from("target/bmf.json"))
        );
        assert_eq!(
            parse_export_spec("github-action-benchmark=out=1.json").unwrap(),
            (ExportFormat::GithubActionBenchmark, PathBuf::from("out=1.json"))
        );
        let message = |spec: &str| parse_export_spec(spec).unwrap_err().to_string();
        assert_eq!(
            message("bmf"),
            "`--export bmf`: expected FORMAT=FILE with FORMAT one of bmf, github-action-benchmark, e.g. `--export bmf=target/bmf.json`"
        );
        assert_eq!(
            message("csv=x.csv"),
            "`--export csv=x.csv`: unknown format `csv`; expected one of bmf, github-action-benchmark"
        );
        assert_eq!(message("bmf="), "`--export bmf=`: missing FILE after `=`; e.g. `--export bmf=target/bmf.json`");
    }

    #[test]
    fn write_is_atomic_and_readable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out/bmf.json");
        write(&compared_report(), ExportFormat::Bmf, &path).unwrap();
        let expected = serde_json::to_string_pretty(&bmf(&compared_report())).unwrap() + "\n";
        assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
        let names: Vec<_> =
            std::fs::read_dir(dir.path().join("out")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("bmf.json")]);

        // A file where the folder should be: a clear error naming it.
        let blocked = dir.path().join("out/bmf.json/x.json");
        let error = write(&compared_report(), ExportFormat::Bmf, &blocked).unwrap_err().to_string();
        assert!(error.starts_with(&format!("cannot create folder `{}`: ", path.display())), "{error}");
    }
}
