//! The metrics: one table, [`METRICS`], that says per figure what `report.json` calls it (Go's
//! pprof names), which column of the table and the README shows it, its unit, whether the gate
//! fails on it by default, and where its per-iteration value is read from.
//!
//! Everything that treats metrics one by one reads this table rather than a `match` of its own:
//! the regression policy (which metrics a limit can name, which are gated by default), the
//! comparison (which figures are compared as exact numbers), the report's accessors
//! ([`AllocFigures::get`]) and the renderers (which columns there are, their titles and legends,
//! units, the measures of the exports). A new metric is a variant of [`Metric`], a row here and
//! a field of [`AllocFigures`] (or, for a figure another pass measures, a field of the report's
//! benchmark that [`crate::report::Benchmark::figure`] reads); with a [`Column`] it is in every
//! table, page and export.
//!
//! ```
//! use allocbench_formats::metric::{Metric, Unit};
//!
//! let info = Metric::InuseSpace.info();
//! let title = info.column.map(|c| c.title);
//! assert_eq!((info.key, title, info.unit), ("inuse_space", Some("retained/iter"), Unit::Bytes));
//! assert!(info.gated_by_default);
//! assert_eq!(Metric::from_name("peak_space"), Some(Metric::PeakSpace));
//! ```

use serde::{Deserialize, Serialize};

use crate::report::AllocFigures;

/// A figure the report carries and a baseline compares, per iteration of a benchmark.
///
/// Serialized by its report key (`alloc_objects`, ..., `time`), as `comparison` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// pprof's `alloc_objects`: blocks allocated per iteration.
    AllocObjects,
    /// pprof's `alloc_space`: bytes allocated per iteration.
    AllocSpace,
    /// Blocks freed per iteration.
    FreeObjects,
    /// Bytes freed per iteration.
    FreeSpace,
    /// pprof's `inuse_objects`: blocks allocated and not freed per iteration.
    InuseObjects,
    /// pprof's `inuse_space`: bytes allocated and not freed per iteration.
    InuseSpace,
    /// Reallocations per iteration (also counted as a free and an allocation).
    Reallocs,
    /// The most bytes live at once during one iteration, above the level at its start.
    PeakSpace,
    /// Instructions executed per iteration, as valgrind's callgrind counts them (`Ir`).
    Instructions,
    /// Criterion's typical time per iteration.
    Time,
}

/// What a metric's values count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Blocks or events: `alloc_objects`, `reallocs`, `instructions`.
    Count,
    /// Bytes: `alloc_space`, `peak_space`.
    Bytes,
    /// Nanoseconds: time.
    Nanoseconds,
}

/// One row of the metric table: everything that is said about a metric in one place.
#[derive(Debug, Clone, Copy)]
pub struct MetricInfo {
    /// The metric this row describes.
    pub metric: Metric,
    /// Its name in `report.json` (the key in `alloc`, the value of `comparison`'s `metric`), in
    /// `limits` and in `--limit`: pprof's name where pprof has one.
    pub key: &'static str,
    /// How it is shown as a column of the terminal table, the Markdown summary, `report.html`
    /// and the README, and exported to history services; none when the metric is only in
    /// `report.json` and the comparison.
    pub column: Option<Column>,
    /// What its values count.
    pub unit: Unit,
    /// Whether any increase fails the gate by default (limit `0`); the others are reported and
    /// not gated (limit `none`) unless a limit is set. Time is never gated by default.
    pub gated_by_default: bool,
    /// One line for people: what the figure is.
    pub description: &'static str,
    /// Reads the figure from a benchmark's [`AllocFigures`]. Set for the allocation metrics,
    /// which are deterministic, compared as exact numbers and limited by a threshold (`5%`,
    /// `+64`); `None` for time, which comes from criterion's estimates and is compared with a
    /// statistical test, and for `instructions`, read from the benchmark's own field and compared
    /// against a relative limit.
    pub alloc: Option<fn(&AllocFigures) -> f64>,
}

/// A metric as a column of the tables and a measure of the exports: what a reader or a history
/// service is shown of it, beyond its key and unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The column's title (`time/iter`, `allocs/iter`, `bytes/iter`, `retained/iter`, `peak`,
    /// `instr/iter`), short enough for a terminal.
    pub title: &'static str,
    /// Whether the column stands when no benchmark has the figure: time and the allocation
    /// figures always (a dash then says what was not measured, as under `--allocs-only`); a
    /// figure that only a pass run on request measures only when it ran, so that a run without
    /// that pass reads as it did before the pass existed.
    pub always: bool,
    /// What `report.html`'s footer says the title stands for (`allocs = alloc_objects`); none
    /// where the title says it (time).
    pub legend: Option<&'static str>,
    /// The measure in Bencher Metric Format: Bencher's own `latency` for time, else a custom
    /// measure Bencher creates on first use (`alloc-space`).
    pub bencher: &'static str,
    /// The unit github-action-benchmark shows beside the value (`ns/iter`, `bytes/iter`).
    pub unit_label: &'static str,
}

impl MetricInfo {
    /// Whether this is an allocation metric: read from [`AllocFigures`], compared as an exact
    /// number, and nameable in `limits` and `--limit`.
    pub const fn is_allocation(&self) -> bool {
        self.alloc.is_some()
    }
}

/// The metric table, in the report's order (the order of `alloc`'s keys and of each
/// benchmark's `comparison` metrics), time last. Row `i` describes the metric whose
/// discriminant is `i`.
pub const METRICS: [MetricInfo; 10] = [
    MetricInfo {
        metric: Metric::AllocObjects,
        key: "alloc_objects",
        column: Some(Column {
            title: "allocs/iter",
            always: true,
            legend: Some("allocs = alloc_objects"),
            bencher: "alloc-objects",
            unit_label: "allocs/iter",
        }),
        unit: Unit::Count,
        gated_by_default: true,
        description: "blocks allocated per iteration",
        alloc: Some(|a| a.alloc_objects),
    },
    MetricInfo {
        metric: Metric::AllocSpace,
        key: "alloc_space",
        column: Some(Column {
            title: "bytes/iter",
            always: true,
            legend: Some("bytes = alloc_space"),
            bencher: "alloc-space",
            unit_label: "bytes/iter",
        }),
        unit: Unit::Bytes,
        gated_by_default: true,
        description: "bytes allocated per iteration",
        alloc: Some(|a| a.alloc_space),
    },
    MetricInfo {
        metric: Metric::FreeObjects,
        key: "free_objects",
        column: None,
        unit: Unit::Count,
        gated_by_default: false,
        description: "blocks freed per iteration",
        alloc: Some(|a| a.free_objects),
    },
    MetricInfo {
        metric: Metric::FreeSpace,
        key: "free_space",
        column: None,
        unit: Unit::Bytes,
        gated_by_default: false,
        description: "bytes freed per iteration",
        alloc: Some(|a| a.free_space),
    },
    MetricInfo {
        metric: Metric::InuseObjects,
        key: "inuse_objects",
        column: None,
        unit: Unit::Count,
        gated_by_default: false,
        description: "blocks allocated and not freed per iteration",
        alloc: Some(|a| a.inuse_objects),
    },
    MetricInfo {
        metric: Metric::InuseSpace,
        key: "inuse_space",
        column: Some(Column {
            title: "retained/iter",
            always: true,
            legend: Some("retained = inuse_space (allocated and not freed)"),
            bencher: "inuse-space",
            unit_label: "bytes/iter",
        }),
        unit: Unit::Bytes,
        gated_by_default: true,
        description: "bytes allocated and not freed per iteration",
        alloc: Some(|a| a.inuse_space),
    },
    MetricInfo {
        metric: Metric::Reallocs,
        key: "reallocs",
        column: None,
        unit: Unit::Count,
        gated_by_default: false,
        description: "reallocations per iteration",
        alloc: Some(|a| a.reallocs),
    },
    MetricInfo {
        metric: Metric::PeakSpace,
        key: "peak_space",
        column: Some(Column {
            title: "peak",
            always: true,
            legend: Some("peak = peak_space"),
            bencher: "peak-space",
            unit_label: "bytes",
        }),
        unit: Unit::Bytes,
        gated_by_default: false,
        description: "most bytes live at once above the level at the start",
        alloc: Some(|a| a.peak_space),
    },
    MetricInfo {
        metric: Metric::Instructions,
        key: "instructions",
        column: Some(Column {
            title: "instr/iter",
            always: false,
            legend: Some(
                "instr = instructions, counted by valgrind's callgrind; ≈ when the samples gave different counts",
            ),
            bencher: "instructions",
            unit_label: "instructions/iter",
        }),
        unit: Unit::Count,
        gated_by_default: true,
        description: "instructions executed per iteration (callgrind's Ir)",
        alloc: None,
    },
    MetricInfo {
        metric: Metric::Time,
        key: "time",
        column: Some(Column {
            title: "time/iter",
            always: true,
            legend: None,
            bencher: "latency",
            unit_label: "ns/iter",
        }),
        unit: Unit::Nanoseconds,
        gated_by_default: false,
        description: "criterion's typical time per iteration",
        alloc: None,
    },
];

/// Every metric, in the table's order: the allocation metrics in the report's order, time last.
pub const ALL_METRICS: [Metric; METRICS.len()] = {
    let mut all = [Metric::Time; METRICS.len()];
    let mut i = 0;
    while i < METRICS.len() {
        all[i] = METRICS[i].metric;
        i += 1;
    }
    all
};

impl Metric {
    /// This metric's row of [`METRICS`].
    pub const fn info(self) -> &'static MetricInfo {
        &METRICS[self as usize]
    }

    /// The name in `report.json`, `limits` and `--limit` (pprof's name where it has one).
    pub const fn name(self) -> &'static str {
        self.info().key
    }

    /// The metric named `name` in `report.json`; `None` for an unknown name.
    pub fn from_name(name: &str) -> Option<Metric> {
        METRICS.iter().find(|m| m.key == name).map(|m| m.metric)
    }

    /// The allocation metrics, in the report's order.
    pub fn allocation() -> impl Iterator<Item = Metric> {
        METRICS.iter().filter(|m| m.is_allocation()).map(|m| m.metric)
    }

    /// The metrics compared as numbers against a limit, those a limit can name: the
    /// allocation metrics and `instructions`, which do not drift with the machine as time does.
    pub fn counted() -> impl Iterator<Item = Metric> {
        METRICS.iter().filter(|m| m.metric != Metric::Time).map(|m| m.metric)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_in_discriminant_order() {
        for (i, row) in METRICS.iter().enumerate() {
            assert_eq!(row.metric as usize, i, "{row:?}");
        }
    }

    #[test]
    fn keys_are_the_serde_names() {
        for metric in ALL_METRICS {
            assert_eq!(serde_json::to_value(metric).unwrap(), metric.name());
            assert_eq!(Metric::from_name(metric.name()), Some(metric));
        }
        assert_eq!(Metric::from_name("alloc-space"), None);
    }

    #[test]
    fn the_readme_columns_and_the_default_gate() {
        let columns: Vec<&str> = METRICS.iter().filter_map(|m| m.column).map(|c| c.title).collect();
        assert_eq!(columns, ["allocs/iter", "bytes/iter", "retained/iter", "peak", "instr/iter", "time/iter"]);
        let gated: Vec<&str> = METRICS.iter().filter(|m| m.gated_by_default).map(|m| m.key).collect();
        assert_eq!(gated, ["alloc_objects", "alloc_space", "inuse_space", "instructions"]);
        assert_eq!(Metric::allocation().count(), 8);
        assert!(!Metric::Time.info().is_allocation());
        assert_eq!(Metric::counted().count(), 9);
    }

    #[test]
    fn accessors_read_their_own_field() {
        let a = AllocFigures {
            alloc_objects: 1.0,
            alloc_space: 2.0,
            free_objects: 3.0,
            free_space: 4.0,
            inuse_objects: 5.0,
            inuse_space: 6.0,
            reallocs: 7.0,
            peak_space: 8.0,
            ..AllocFigures::default()
        };
        let read: Vec<f64> = METRICS.iter().filter_map(|m| m.alloc.map(|f| f(&a))).collect();
        assert_eq!(read, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
        // The same names as the keys of `alloc` in report.json.
        let json = serde_json::to_value(a).unwrap();
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        let mut expected: Vec<&str> = Metric::allocation().map(Metric::name).collect();
        expected.push("exact");
        let mut sorted_keys = keys.clone();
        sorted_keys.sort_unstable();
        expected.sort_unstable();
        assert_eq!(sorted_keys, expected);
    }
}
