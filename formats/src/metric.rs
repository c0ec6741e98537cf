//! The metrics: one table, [`METRICS`], that says per figure everything that is said about it:
//! what `report.json` calls it (Go's pprof names), which column of the table and the README shows
//! it, its unit, its default limit, the rule that compares it with a baseline, its caveats, and
//! where its per-iteration value is read from.
//!
//! Everything that treats metrics one by one reads this table rather than a `match` of its own:
//! the regression policy (which metrics a limit can name, their default limits), the comparison
//! (which rule judges a figure, what a change of machine does to it), the report's accessors
//! ([`AllocFigures::get`], [`AllocSample::count`], [`SampleRange::get`], defined here because
//! they read the table) and the renderers (which columns there are, their titles and legends,
//! units, the measures and caveats of the exports). A new metric is a variant of [`Metric`], a
//! row here and a field of [`AllocFigures`] (or, for a count of a harness probe, `probe: true`
//! and nothing more: the record and the report hold it by metric; for a figure another pass
//! measures, a field of the report's benchmark that [`crate::report::Benchmark::figure`] reads);
//! with a [`Column`] it is in every table, page and export.
//!
//! ```
//! use allocbench_formats::limit::Limit;
//! use allocbench_formats::metric::{ComparisonRule, Metric, Unit};
//!
//! let info = Metric::InuseSpace.info();
//! let title = info.column.map(|c| c.title);
//! assert_eq!((info.key, title, info.unit), ("inuse_space", Some("retained/iter"), Unit::Bytes));
//! assert_eq!((info.default_limit, info.rule), (Limit::Exact, ComparisonRule::Exact));
//! assert!(info.gated_by_default());
//! assert_eq!(Metric::Instructions.info().default_limit, Limit::Relative(0.01));
//! assert_eq!(Metric::from_name("peak_space"), Some(Metric::PeakSpace));
//! ```

use serde::{Deserialize, Serialize};

use crate::figures::{AllocFigures, AllocSample, SampleRange, MARK_CUSTOM, MARK_VARIED};
use crate::limit::Limit;

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
    /// Threads started per iteration (the runtime signals, [`crate::signals`]).
    ThreadsStarted,
    /// Threads started and still running at the window's end, per iteration.
    ThreadsAlive,
    /// Voluntary context switches per iteration: a thread of the process blocked.
    VoluntarySwitches,
    /// Read-family system calls per iteration.
    ReadSyscalls,
    /// Write-family system calls per iteration.
    WriteSyscalls,
    /// Bytes read through them per iteration.
    ReadBytes,
    /// Bytes written through them per iteration.
    WriteBytes,
    /// Minor page faults per iteration: pages first touched.
    MinorFaults,
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
    /// The largest increase that passes where no setting names one: `0` (any increase fails),
    /// a relative limit, or `none` (reported, not gated). A metric judged by a
    /// [`ComparisonRule::Statistical`] rule has no limit of this kind; `none` says it is not
    /// gated by default (`fail-on-time` gates it).
    pub default_limit: Limit,
    /// How a run's figure is judged against the baseline's.
    pub rule: ComparisonRule,
    /// What a reader should know before trusting a figure or a comparison of it.
    pub caveats: Caveats,
    /// One line for people: what the figure is.
    pub description: &'static str,
    /// Where the figure is read from when it is an allocation figure; `None` for time, which
    /// comes from criterion's estimates, and for `instructions`, read from the benchmark's own
    /// field.
    pub alloc: Option<AllocFields>,
    /// Whether a probe of the harness measures the figure: the record and the report then hold
    /// it under this row's key, in their probes' holders ([`crate::record::ProbeCounts`],
    /// [`crate::report::ProbeFigures`]), read by metric without a field of its own.
    pub probe: bool,
}

/// How a metric's figure in a run is judged against the baseline's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ComparisonRule {
    /// A deterministic count of the code's own doing (the allocation figures): compared as an
    /// exact number against the limit, up to float noise ([`crate::limit::EPSILON`]: figures
    /// per iteration are ratios of integers). A figure the samples disagreed on (`≈`) is
    /// judged against the limit above the baseline's figure plus a tolerance from both sides'
    /// own samples, and rises only where a sample rose too; a fall below the baseline's figure
    /// less that tolerance is an improvement.
    Exact,
    /// A count that varies a little from run to run of the same binary (callgrind's
    /// instructions: the allocator's state, hash seeds, ASLR): compared as a number against
    /// the limit, and a relative limit is a band of noise both ways, so that a fall within it
    /// is not an improvement either.
    RelativeWithNoise,
    /// A measure of the machine's speed (time): a significance test on both sides' samples (an
    /// exact permutation test across `--runs`, else Welch's t-test on one run's samples) and an
    /// effect-size floor on the change of the mean. Reported, and gated only on request
    /// (`fail-on-time`).
    Statistical {
        /// The significance level: a change counts only when p is below it.
        alpha: f64,
        /// The default effect-size floor (`time-noise`): the smallest relative change of the
        /// mean that counts.
        noise: f64,
    },
}

impl ComparisonRule {
    /// Whether the figure is compared as a number against a limit, which a limit can name:
    /// every rule but [`ComparisonRule::Statistical`].
    pub const fn is_counted(self) -> bool {
        !matches!(self, ComparisonRule::Statistical { .. })
    }

    /// Whether a relative limit is also the noise below the baseline's figure, so that a fall
    /// within it is not an improvement.
    pub const fn symmetric_noise(self) -> bool {
        matches!(self, ComparisonRule::RelativeWithNoise)
    }
}

/// What a reader should know before trusting a figure or a comparison of it: the text the
/// exports show beside a figure that is not an exact per-iteration figure, and what a change of
/// machine does to a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caveats {
    /// Shown beside a figure the samples disagreed on (marked `≈`); none where a figure is
    /// never so marked.
    pub varied: Option<&'static str>,
    /// Shown beside a figure of an `iter_custom` routine (marked `~`); none where a figure is
    /// never so marked.
    pub custom: Option<&'static str>,
    /// What the figure may be compared across.
    pub compares: Compares,
}

impl Caveats {
    /// The caveat for a figure shown with `mark` ([`crate::report::Benchmark::mark`]); none
    /// for an unmarked figure.
    pub fn for_mark(&self, mark: &str) -> Option<&'static str> {
        match mark {
            MARK_VARIED => self.varied,
            MARK_CUSTOM => self.custom,
            _ => None,
        }
    }
}

/// What a metric's figures may be compared across: the environment a baseline records, and of
/// which a comparison warns when it changed. Ordered from the least bound to the most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Compares {
    /// Across toolchains, targets, profiles, allocators and CPUs: what the code asks of the
    /// allocator.
    AcrossBuilds,
    /// Only between runs of one build (toolchain, target, profile, allocator): the code
    /// executed is the compiler's.
    SameBuild,
    /// Only between runs of one build on one CPU model: time compares only on the same CPU.
    SameCpu,
}

/// Where an allocation metric's figures are read from, in each shape that holds them.
#[derive(Debug, Clone, Copy)]
pub struct AllocFields {
    /// The figure per iteration.
    pub figure: fn(&AllocFigures) -> f64,
    /// One sample's count over all its iterations; none for a figure a sample does not count
    /// (`peak_space`).
    pub sample: Option<fn(&AllocSample) -> f64>,
    /// The samples' `[low, high]` range per iteration; none where there is no range
    /// (`peak_space` comes from one sample).
    pub range: Option<fn(&SampleRange) -> [f64; 2]>,
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
    /// Whether this is an allocation metric: read from [`AllocFigures`].
    pub const fn is_allocation(&self) -> bool {
        self.alloc.is_some()
    }

    /// Whether this metric is compared as a number against a limit, which `limits` and
    /// `--limit` can name ([`ComparisonRule::is_counted`]).
    pub const fn is_counted(&self) -> bool {
        self.rule.is_counted()
    }

    /// Whether an increase fails the gate by default: its default limit is not `none`.
    pub const fn gated_by_default(&self) -> bool {
        self.default_limit.is_gated()
    }
}

/// The allocation figures' caveats: the samples' disagreement and `iter_custom`'s routine are a
/// benchmark's, shared by all its allocation figures; what the code asks of the allocator
/// compares across builds and machines.
const ALLOC_CAVEATS: Caveats = Caveats {
    varied: Some("figures varied between samples"),
    custom: Some("iter_custom: figures cover the whole routine"),
    compares: Compares::AcrossBuilds,
};

/// The caveats of the signals the process's own code decides (threads, system calls and their
/// bytes): counted by the kernel for every thread, exited ones included, exact where the code
/// does the same on every iteration. They depend on the standard library's and the C library's
/// way of doing a thing (`std::fs::read` asks the size first), so compare within one build.
const EXACT_SIGNAL: Caveats = Caveats {
    varied: Some("the signal varied between samples"),
    custom: Some("iter_custom: figures cover the whole routine"),
    compares: Compares::SameBuild,
};

/// The caveats of the signals the kernel and the allocator decide as much as the code
/// (voluntary switches: a lock's contention, the scheduler; minor faults: when the allocator
/// returns memory to the kernel and maps it again): reported, not gated by default.
const NOISY_SIGNAL: Caveats = Caveats {
    varied: Some("varies with the scheduler and the allocator's state; reported, not gated"),
    custom: Some("iter_custom: figures cover the whole routine"),
    compares: Compares::SameBuild,
};

/// A runtime signal's row ([`crate::signals`]): its column shows only when a benchmark measured
/// it non-zero; a count, compared as an exact number (against `limit`) or reported.
#[allow(clippy::too_many_arguments)]
const fn signal_row(
    metric: Metric,
    key: &'static str,
    title: &'static str,
    bencher: &'static str,
    unit_label: &'static str,
    limit: Limit,
    caveats: Caveats,
    description: &'static str,
) -> MetricInfo {
    MetricInfo {
        metric,
        key,
        column: Some(Column { title, always: false, legend: Some(description), bencher, unit_label }),
        unit: if matches!(metric, Metric::ReadBytes | Metric::WriteBytes) { Unit::Bytes } else { Unit::Count },
        default_limit: limit,
        rule: if matches!(metric, Metric::VoluntarySwitches | Metric::MinorFaults) {
            ComparisonRule::RelativeWithNoise
        } else {
            ComparisonRule::Exact
        },
        caveats,
        description,
        alloc: None,
        probe: true,
    }
}

/// An allocation figure that every shape holds in its field `$field`.
macro_rules! alloc_fields {
    ($field:ident) => {
        Some(AllocFields { figure: |a| a.$field, sample: Some(|s| s.$field as f64), range: Some(|r| r.$field) })
    };
}

/// The metric table, in the report's order (the order of `alloc`'s keys and of each
/// benchmark's `comparison` metrics), time last. Row `i` describes the metric whose
/// discriminant is `i`.
pub const METRICS: [MetricInfo; 18] = [
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
        default_limit: Limit::Exact,
        rule: ComparisonRule::Exact,
        caveats: ALLOC_CAVEATS,
        description: "blocks allocated per iteration",
        probe: false,
        alloc: alloc_fields!(alloc_objects),
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
        default_limit: Limit::Exact,
        rule: ComparisonRule::Exact,
        caveats: ALLOC_CAVEATS,
        description: "bytes allocated per iteration",
        probe: false,
        alloc: alloc_fields!(alloc_space),
    },
    MetricInfo {
        metric: Metric::FreeObjects,
        key: "free_objects",
        column: None,
        unit: Unit::Count,
        default_limit: Limit::None,
        rule: ComparisonRule::Exact,
        caveats: ALLOC_CAVEATS,
        description: "blocks freed per iteration",
        probe: false,
        alloc: alloc_fields!(free_objects),
    },
    MetricInfo {
        metric: Metric::FreeSpace,
        key: "free_space",
        column: None,
        unit: Unit::Bytes,
        default_limit: Limit::None,
        rule: ComparisonRule::Exact,
        caveats: ALLOC_CAVEATS,
        description: "bytes freed per iteration",
        probe: false,
        alloc: alloc_fields!(free_space),
    },
    MetricInfo {
        metric: Metric::InuseObjects,
        key: "inuse_objects",
        column: None,
        unit: Unit::Count,
        default_limit: Limit::None,
        rule: ComparisonRule::Exact,
        caveats: ALLOC_CAVEATS,
        description: "blocks allocated and not freed per iteration",
        probe: false,
        alloc: Some(AllocFields {
            figure: |a| a.inuse_objects,
            sample: Some(|s| s.alloc_objects as f64 - s.free_objects as f64),
            range: Some(|r| r.inuse_objects),
        }),
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
        default_limit: Limit::Exact,
        rule: ComparisonRule::Exact,
        caveats: ALLOC_CAVEATS,
        description: "bytes allocated and not freed per iteration",
        probe: false,
        alloc: Some(AllocFields {
            figure: |a| a.inuse_space,
            sample: Some(|s| s.alloc_space as f64 - s.free_space as f64),
            range: Some(|r| r.inuse_space),
        }),
    },
    MetricInfo {
        metric: Metric::Reallocs,
        key: "reallocs",
        column: None,
        unit: Unit::Count,
        default_limit: Limit::None,
        rule: ComparisonRule::Exact,
        caveats: ALLOC_CAVEATS,
        description: "reallocations per iteration",
        probe: false,
        alloc: alloc_fields!(reallocs),
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
        default_limit: Limit::None,
        rule: ComparisonRule::Exact,
        caveats: ALLOC_CAVEATS,
        description: "most bytes live at once above the level at the start",
        probe: false,
        alloc: Some(AllocFields { figure: |a| a.peak_space, sample: None, range: None }),
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
        // Relative, because callgrind's counts of one binary on one input still vary a little
        // with the allocator's state (glibc's `malloc` takes other paths as its free lists
        // change), with hash seeds and with ASLR. Measured in docs/performance.md (§8): the A/A
        // spread is far below 1 %, a 5 % change far above.
        default_limit: Limit::Relative(0.01),
        rule: ComparisonRule::RelativeWithNoise,
        caveats: Caveats {
            varied: Some("instruction counts varied between samples"),
            custom: None,
            compares: Compares::SameBuild,
        },
        description: "instructions executed per iteration (callgrind's Ir)",
        alloc: None,
        probe: false,
    },
    signal_row(
        Metric::ThreadsStarted,
        "threads_started",
        "threads/iter",
        "threads-started",
        "threads/iter",
        Limit::Exact,
        EXACT_SIGNAL,
        "threads started per iteration",
    ),
    signal_row(
        Metric::ThreadsAlive,
        "threads_alive",
        "alive/iter",
        "threads-alive",
        "threads/iter",
        Limit::Exact,
        EXACT_SIGNAL,
        "threads started and still running at the window's end, per iteration",
    ),
    signal_row(
        Metric::VoluntarySwitches,
        "voluntary_switches",
        "blocked/iter",
        "voluntary-switches",
        "switches/iter",
        Limit::None,
        NOISY_SIGNAL,
        "voluntary context switches per iteration (a thread blocked)",
    ),
    signal_row(
        Metric::ReadSyscalls,
        "read_syscalls",
        "reads/iter",
        "read-syscalls",
        "syscalls/iter",
        Limit::Exact,
        EXACT_SIGNAL,
        "read-family system calls per iteration",
    ),
    signal_row(
        Metric::WriteSyscalls,
        "write_syscalls",
        "writes/iter",
        "write-syscalls",
        "syscalls/iter",
        Limit::Exact,
        EXACT_SIGNAL,
        "write-family system calls per iteration",
    ),
    signal_row(
        Metric::ReadBytes,
        "read_bytes",
        "read B/iter",
        "read-bytes",
        "bytes/iter",
        Limit::None,
        EXACT_SIGNAL,
        "bytes returned by read-family system calls per iteration",
    ),
    signal_row(
        Metric::WriteBytes,
        "write_bytes",
        "written B/iter",
        "write-bytes",
        "bytes/iter",
        Limit::None,
        EXACT_SIGNAL,
        "bytes passed to write-family system calls per iteration",
    ),
    signal_row(
        Metric::MinorFaults,
        "minor_faults",
        "faults/iter",
        "minor-faults",
        "faults/iter",
        Limit::None,
        NOISY_SIGNAL,
        "minor page faults per iteration (pages first touched)",
    ),
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
        default_limit: Limit::None,
        // p < 0.05, and a 2 % floor on the change of the mean.
        rule: ComparisonRule::Statistical { alpha: 0.05, noise: 0.02 },
        caveats: Caveats { varied: None, custom: None, compares: Compares::SameCpu },
        description: "criterion's typical time per iteration",
        alloc: None,
        probe: false,
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

    /// The metrics compared as numbers against a limit, those a limit can name
    /// ([`MetricInfo::is_counted`]): the allocation metrics and `instructions`, which do not
    /// drift with the machine as time does.
    pub fn counted() -> impl Iterator<Item = Metric> {
        METRICS.iter().filter(|m| m.is_counted()).map(|m| m.metric)
    }
}

impl AllocFigures {
    /// The figures by metric, in the report's order (the allocation metrics of
    /// [`METRICS`]).
    pub fn metrics(&self) -> impl Iterator<Item = (Metric, f64)> + '_ {
        METRICS.iter().filter_map(move |m| m.alloc.map(|fields| (m.metric, (fields.figure)(self))))
    }

    /// The figure of one metric; `None` for a metric that is not an allocation figure
    /// ([`Metric::Time`], [`Metric::Instructions`]).
    pub fn get(&self, metric: Metric) -> Option<f64> {
        metric.info().alloc.map(|fields| (fields.figure)(self))
    }

    /// The `[low, high]` range of one metric's per-sample figures, when the figures are not
    /// exact and the samples gave more than one value for it: the spread the gate allows a
    /// `≈` figure. `None` for exact figures and for a metric every sample agreed on.
    pub fn spread(&self, metric: Metric) -> Option<[f64; 2]> {
        let [low, high] = self.sample_range?.get(metric)?;
        (high > low).then_some([low, high])
    }
}

impl AllocSample {
    /// The sample's count of `metric`, over all its iterations (`inuse_*` as allocated less
    /// freed); `None` for metrics a sample does not count (`peak_space`, time, instructions).
    pub fn count(&self, metric: Metric) -> Option<f64> {
        Some((metric.info().alloc?.sample?)(self))
    }
}

impl SampleRange {
    /// The range of one metric; `None` for metrics that have none (`peak_space`, time,
    /// instructions).
    pub fn get(&self, metric: Metric) -> Option<[f64; 2]> {
        Some((metric.info().alloc?.range?)(self))
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
        assert_eq!(
            columns,
            [
                "allocs/iter",
                "bytes/iter",
                "retained/iter",
                "peak",
                "instr/iter",
                "threads/iter",
                "alive/iter",
                "blocked/iter",
                "reads/iter",
                "writes/iter",
                "read B/iter",
                "written B/iter",
                "faults/iter",
                "time/iter"
            ]
        );
        let gated: Vec<&str> = METRICS.iter().filter(|m| m.gated_by_default()).map(|m| m.key).collect();
        assert_eq!(
            gated,
            [
                "alloc_objects",
                "alloc_space",
                "inuse_space",
                "instructions",
                "threads_started",
                "threads_alive",
                "read_syscalls",
                "write_syscalls"
            ]
        );
        assert_eq!(Metric::allocation().count(), 8);
        assert!(!Metric::Time.info().is_allocation());
        assert_eq!(Metric::counted().count(), 17);
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
        let read: Vec<f64> = METRICS.iter().filter_map(|m| m.alloc.map(|f| (f.figure)(&a))).collect();
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

    /// Today's defaults, rules and caveats, as the gate applied them before the table held them.
    #[test]
    fn every_metric_has_a_default_limit_a_rule_and_caveats() {
        let table: Vec<(&str, String, ComparisonRule, Compares)> =
            METRICS.iter().map(|m| (m.key, m.default_limit.to_string(), m.rule, m.caveats.compares)).collect();
        let alloc = |limit: &str| (limit.to_owned(), ComparisonRule::Exact, Compares::AcrossBuilds);
        let expected = [
            ("alloc_objects", alloc("0")),
            ("alloc_space", alloc("0")),
            ("free_objects", alloc("none")),
            ("free_space", alloc("none")),
            ("inuse_objects", alloc("none")),
            ("inuse_space", alloc("0")),
            ("reallocs", alloc("none")),
            ("peak_space", alloc("none")),
            ("instructions", ("1%".to_owned(), ComparisonRule::RelativeWithNoise, Compares::SameBuild)),
            ("threads_started", ("0".to_owned(), ComparisonRule::Exact, Compares::SameBuild)),
            ("threads_alive", ("0".to_owned(), ComparisonRule::Exact, Compares::SameBuild)),
            ("voluntary_switches", ("none".to_owned(), ComparisonRule::RelativeWithNoise, Compares::SameBuild)),
            ("read_syscalls", ("0".to_owned(), ComparisonRule::Exact, Compares::SameBuild)),
            ("write_syscalls", ("0".to_owned(), ComparisonRule::Exact, Compares::SameBuild)),
            ("read_bytes", ("none".to_owned(), ComparisonRule::Exact, Compares::SameBuild)),
            ("write_bytes", ("none".to_owned(), ComparisonRule::Exact, Compares::SameBuild)),
            ("minor_faults", ("none".to_owned(), ComparisonRule::RelativeWithNoise, Compares::SameBuild)),
            ("time", ("none".to_owned(), ComparisonRule::Statistical { alpha: 0.05, noise: 0.02 }, Compares::SameCpu)),
        ]
        .map(|(key, (limit, rule, compares))| (key, limit, rule, compares));
        assert_eq!(table, expected);
        for m in &METRICS {
            // A metric with a statistical rule has no threshold, and so no default gate.
            assert!(m.is_counted() || !m.gated_by_default(), "{m:?}");
            // Every figure that can be marked says why in the exports.
            assert_eq!(m.caveats.varied.is_some(), m.metric != Metric::Time, "{m:?}");
            assert_eq!(m.caveats.custom.is_some(), m.is_allocation() || m.probe, "{m:?}");
        }
    }

    #[test]
    fn caveats_follow_the_mark() {
        let alloc = Metric::AllocSpace.info().caveats;
        assert_eq!(alloc.for_mark("≈"), Some("figures varied between samples"));
        assert_eq!(alloc.for_mark("~"), Some("iter_custom: figures cover the whole routine"));
        assert_eq!(alloc.for_mark(""), None);
        let instructions = Metric::Instructions.info().caveats;
        assert_eq!(instructions.for_mark("≈"), Some("instruction counts varied between samples"));
        assert_eq!(instructions.for_mark("~"), None);
        assert_eq!(Metric::Time.info().caveats.for_mark("≈"), None);
    }

    #[test]
    fn figures_by_metric() {
        let a = AllocFigures { alloc_objects: 1.0, peak_space: 8.0, ..AllocFigures::default() };
        let metrics: Vec<(Metric, f64)> = a.metrics().collect();
        assert_eq!(metrics.len(), 8);
        assert_eq!(metrics[0], (Metric::AllocObjects, 1.0));
        assert_eq!(metrics[7], (Metric::PeakSpace, 8.0));
        assert_eq!((a.get(Metric::Time), a.get(Metric::Instructions)), (None, None));
    }

    /// A sample counts allocated less freed as in use, and nothing of the peak; the range is
    /// read from the metric's own field.
    #[test]
    fn samples_and_ranges_by_metric() {
        let s = AllocSample {
            iters: 10,
            alloc_objects: 7,
            alloc_space: 700,
            free_objects: 3,
            free_space: 100,
            reallocs: 2,
        };
        let counts: Vec<Option<f64>> = ALL_METRICS.iter().map(|&m| s.count(m)).collect();
        assert_eq!(
            counts,
            [
                [Some(7.0), Some(700.0), Some(3.0), Some(100.0), Some(4.0), Some(600.0), Some(2.0)].as_slice(),
                &[None; METRICS.len() - 7]
            ]
            .concat()
        );
        let r = SampleRange {
            alloc_objects: [1.0, 2.0],
            alloc_space: [3.0, 4.0],
            free_objects: [5.0, 6.0],
            free_space: [7.0, 8.0],
            inuse_objects: [9.0, 10.0],
            inuse_space: [11.0, 12.0],
            reallocs: [13.0, 14.0],
        };
        let ranges: Vec<Option<[f64; 2]>> = ALL_METRICS.iter().map(|&m| r.get(m)).collect();
        assert_eq!(
            ranges,
            [
                Some([1.0, 2.0]),
                Some([3.0, 4.0]),
                Some([5.0, 6.0]),
                Some([7.0, 8.0]),
                Some([9.0, 10.0]),
                Some([11.0, 12.0]),
                Some([13.0, 14.0]),
            ]
            .into_iter()
            .chain([None; METRICS.len() - 7])
            .collect::<Vec<_>>()
        );
        let figures = AllocFigures { exact: false, sample_range: Some(r), ..AllocFigures::default() };
        assert_eq!((figures.spread(Metric::InuseSpace), figures.spread(Metric::PeakSpace)), (Some([11.0, 12.0]), None));
    }
}
