//! The view: what every renderer shows, worked out once from a [`Report`] and its comparison.
//!
//! The terminal table, the Markdown summary, `report.html` and the GitHub annotations show the
//! same things: the columns, each benchmark's figures (or a dash) with their marks, what moved
//! against the baseline and by how much, the status words, the footnotes and the environment.
//! Worked out once, they cannot disagree from one renderer to the next, and a renderer is left
//! with its own concerns: order, widths, escaping, color, markup. The columns come from the
//! metric table ([`crate::report::METRICS`]), so that a metric with a [`Column`] there is in
//! every table and page without a line here or in a renderer.
//!
//! Text in the view is plain and unescaped: each renderer escapes it for its medium.

use std::collections::BTreeSet;

use allocbench_formats::comparison::{BenchmarkComparison, Comparison, MetricComparison, Status};
use allocbench_formats::key::{shared_ids, BenchmarkKey};
use allocbench_formats::metric::Column;
use allocbench_formats::report::ArtifactKind;

use crate::render::grew::{grew, Grew};
use crate::render::units::{count_of, format_change, format_metric};
use crate::report::{mark_footnotes, Benchmark, Metric, Report, Verdict, ALL_METRICS};

/// What the Markdown summary, the page and the annotations show for a figure there is not; the
/// terminal table, which is read in monospace, prints `-`.
pub const DASH: &str = "—";

/// Everything a renderer shows of one report.
#[derive(Debug)]
pub struct View<'a> {
    /// The outcome of the run.
    pub verdict: Verdict,
    /// `4 benchmarks measured, 1 failed`, without a full stop.
    pub measured: String,
    /// The comparison with the baseline, when there is one.
    pub comparison: Option<ComparisonView<'a>>,
    /// The columns of the figures, in the order they stand.
    pub columns: Vec<ColumnView>,
    /// One row per benchmark of the run, in the run's order, then one per benchmark only the
    /// baseline has.
    pub rows: Vec<Row<'a>>,
    /// What the marks (`≈`, `~`) before the figures mean, for the marks the run shows.
    pub footnotes: Vec<String>,
    /// What the run was measured with, as far as it is known.
    pub environment: Vec<Fact<'a>>,
    /// What the run warned about while it measured (the report's `warnings`); the comparison's
    /// own are [`ComparisonView::warnings`].
    pub warnings: &'a [String],
}

impl<'a> View<'a> {
    /// The view of `report`.
    pub fn new(report: &'a Report) -> View<'a> {
        let mut comparison = report.comparison.as_ref().map(ComparisonView::new);
        if let Some(c) = comparison.as_mut() {
            for b in &report.benchmarks {
                if let Some(compared) = c.benchmarks.iter_mut().find(|c| c.comparison.is(&b.key())) {
                    compared.files = b.artifacts.each().collect();
                }
            }
        }
        // A column that does not always stand (a pass run on request, a runtime signal) shows
        // when a benchmark has its figure and it is not zero: eight columns of zeros for the
        // signals of code that starts no thread and makes no system call say nothing.
        let columns: Vec<ColumnView> = ColumnView::all()
            .filter(|c| {
                c.column.always || report.benchmarks.iter().any(|b| b.figure(c.metric).is_some_and(|v| v != 0.0))
            })
            .collect();
        // Each row of the run with the comparison of its benchmark (package, target and id);
        // then the comparisons of benchmarks the run does not have, each its own row. An id that
        // names several of the rows is shown with its package and target in each.
        let keys: Vec<BenchmarkKey> = report
            .benchmarks
            .iter()
            .map(Benchmark::key)
            .chain(report.comparison.iter().flat_map(|c| c.benchmarks.iter().map(BenchmarkComparison::key)))
            .collect();
        let shared = shared_ids(&keys);
        let at = |key: &BenchmarkKey| {
            comparison.as_ref().and_then(|c| c.benchmarks.iter().position(|b| b.comparison.is(key)))
        };
        let mut rows: Vec<Row<'a>> = report
            .benchmarks
            .iter()
            .map(|b| {
                let key = b.key();
                Row::new(key.shown(&shared), Some(b), comparison.as_ref(), at(&key), &columns)
            })
            .collect();
        if let Some(c) = &comparison {
            let in_run = |key: &BenchmarkKey| report.benchmarks.iter().any(|b| b.is(key));
            for (i, compared) in c.benchmarks.iter().enumerate().filter(|(_, b)| !in_run(&b.comparison.key())) {
                rows.push(Row::new(compared.name.clone(), None, Some(c), Some(i), &columns));
            }
        }
        View {
            verdict: report.verdict,
            measured: measured(&report.benchmarks),
            comparison,
            columns,
            rows,
            footnotes: mark_footnotes(&report.benchmarks),
            environment: Fact::all(report),
            warnings: &report.warnings,
        }
    }

    /// The rows of the run's benchmarks, in the run's order: those the terminal table lists.
    pub fn run(&self) -> impl Iterator<Item = &Row<'a>> {
        self.rows.iter().filter(|r| r.benchmark.is_some())
    }

    /// The run's benchmarks that failed, in the run's order, with their errors.
    pub fn failed(&self) -> impl Iterator<Item = (&'a Benchmark, &'a str)> + '_ {
        self.rows.iter().filter_map(|r| r.benchmark.and_then(|b| b.error.as_deref().map(|e| (b, e))))
    }

    /// Whether benchmark `key` is in the run and failed there: listed as failed, not again as
    /// new or missing.
    pub fn failed_in_run(&self, key: &BenchmarkKey) -> bool {
        self.failed().any(|(b, _)| b.is(key))
    }

    /// The run's benchmarks that failed, in the run's order, each with its row (for its name,
    /// [`Row::name`]) and its error.
    pub fn failed_rows(&self) -> impl Iterator<Item = (&Row<'a>, &'a Benchmark, &'a str)> + '_ {
        self.rows.iter().filter_map(|r| r.benchmark.and_then(|b| b.error.as_deref().map(|e| (r, b, e))))
    }

    /// The comparison of a row's benchmark with the baseline, when there is one.
    pub fn compared(&self, row: &Row) -> Option<&ComparedBenchmark<'a>> {
        row.compared.and_then(|i| self.comparison.as_ref().map(|c| &c.benchmarks[i]))
    }
}

/// `4 benchmarks measured, 1 failed`: what the run measured, whatever the baseline says.
fn measured(benchmarks: &[Benchmark]) -> String {
    let failed = benchmarks.iter().filter(|b| b.error.is_some()).count();
    let measured = benchmarks.len() - failed;
    let mut line = format!("{} measured", count_of(measured, "benchmark"));
    if failed > 0 {
        line.push_str(&format!(", {failed} failed"));
    }
    line
}

/// A column of figures: a metric of the table that has a [`Column`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColumnView {
    /// The metric the column shows.
    pub metric: Metric,
    /// How the metric table shows it.
    pub column: Column,
}

impl ColumnView {
    /// Every metric with a column, in the order the columns stand: time first, as criterion
    /// prints it, then the metric table's order. Which of them a report shows is the view's to
    /// decide ([`Column::always`]); the exports take them all.
    pub fn all() -> impl Iterator<Item = ColumnView> {
        let columns = |time: bool| {
            ALL_METRICS
                .into_iter()
                .filter(move |&m| (m == Metric::Time) == time)
                .filter_map(|metric| metric.info().column.map(|column| ColumnView { metric, column }))
        };
        columns(true).chain(columns(false))
    }

    /// The column's title: `allocs/iter`.
    pub fn title(&self) -> &'static str {
        self.column.title
    }

    /// What the column holds, for a tooltip: the report's key and the metric's description
    /// (`alloc_objects: blocks allocated per iteration`), the description alone where the
    /// title is the key per iteration (`time/iter`).
    pub fn help(&self) -> String {
        let info = self.metric.info();
        if self.column.title.strip_suffix("/iter") == Some(info.key) {
            info.description.to_owned()
        } else {
            format!("{}: {}", info.key, info.description)
        }
    }
}

/// A row of the figures: a benchmark of the run, or one only the baseline has.
#[derive(Debug)]
pub struct Row<'a> {
    /// How the row names its benchmark: the id, or `package/target: id` where another row has
    /// the same id ([`BenchmarkKey::shown`]). Plain text; each renderer makes it printable.
    pub name: String,
    /// The run's benchmark; `None` when only the baseline has it.
    pub benchmark: Option<&'a Benchmark>,
    /// Where its comparison is among the comparison's benchmarks ([`View::compared`]).
    compared: Option<usize>,
    /// Its status, as the figures' tables word it.
    pub status: RowStatus,
    /// One cell per column of the view, in the columns' order.
    pub cells: Vec<Cell<'a>>,
}

impl<'a> Row<'a> {
    fn new(
        name: String,
        benchmark: Option<&'a Benchmark>,
        comparison: Option<&ComparisonView<'a>>,
        compared: Option<usize>,
        columns: &[ColumnView],
    ) -> Row<'a> {
        let against = compared.and_then(|i| comparison.map(|c| &c.benchmarks[i]));
        let status = match (benchmark.and_then(|b| b.error.as_ref()), against) {
            (Some(_), _) => RowStatus::Failed,
            (None, Some(c)) => RowStatus::Compared(c.status),
            (None, None) if comparison.is_some() => RowStatus::Unmatched,
            (None, None) => RowStatus::Measured,
        };
        let cells = columns
            .iter()
            .map(|c| Cell {
                figure: benchmark.and_then(|b| b.figure(c.metric)).map(|v| format_metric(c.metric, v)),
                mark: benchmark.map_or("", |b| b.mark(c.metric)),
                change: against.and_then(|a| a.metric(c.metric)).cloned(),
            })
            .collect();
        Row { name, benchmark, compared, status, cells }
    }

    /// Why the benchmark has no figures, when it failed.
    pub fn error(&self) -> Option<&'a str> {
        self.benchmark.and_then(|b| b.error.as_deref())
    }
}

/// A benchmark's status in the tables of figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowStatus {
    /// It failed in this run: it has no figures, whatever the comparison says.
    Failed,
    /// Its status against the baseline.
    Compared(Status),
    /// Measured, with no baseline to compare with.
    Measured,
    /// There is a baseline, and the comparison does not name it.
    Unmatched,
}

impl RowStatus {
    /// The word for it: `failed`, `regressed`, ..., `measured`; empty when there is nothing to
    /// say.
    pub fn word(self) -> &'static str {
        match self {
            RowStatus::Failed => "failed",
            RowStatus::Compared(status) => status.name(),
            RowStatus::Measured => "measured",
            RowStatus::Unmatched => "",
        }
    }

    /// Whether it needs the reader's attention (it failed or regressed): the word is then
    /// emphasised.
    pub fn alarming(self) -> bool {
        matches!(self, RowStatus::Failed | RowStatus::Compared(Status::Regressed))
    }
}

/// One figure of one benchmark.
#[derive(Debug, Clone)]
pub struct Cell<'a> {
    /// The figure in its unit; `None` when the benchmark has none (not measured, failed, or
    /// only in the baseline).
    pub figure: Option<String>,
    /// The mark before the figure ([`Benchmark::mark`]): `~`, `≈`, or nothing.
    pub mark: &'static str,
    /// The metric against the baseline, when it was compared.
    pub change: Option<ComparedMetric<'a>>,
}

impl Cell<'_> {
    /// The figure after its mark, or `dash`.
    pub fn marked_or(&self, dash: &str) -> String {
        match &self.figure {
            Some(figure) => format!("{}{figure}", self.mark),
            None => dash.to_owned(),
        }
    }
}

/// The comparison with a baseline, in words.
#[derive(Debug)]
pub struct ComparisonView<'a> {
    /// The baseline's name.
    pub baseline: &'a str,
    /// `1 regressed, 1 improved, 2 passed, 1 new, 1 missing against baseline `main``.
    pub summary: String,
    /// What the reader should know before trusting the figures, one line each.
    pub warnings: &'a [String],
    /// Every benchmark compared, in the comparison's order: the run's, then the baseline's only.
    pub benchmarks: Vec<ComparedBenchmark<'a>>,
}

impl<'a> ComparisonView<'a> {
    /// The view of `comparison`.
    pub fn new(comparison: &'a Comparison) -> ComparisonView<'a> {
        let keys: Vec<BenchmarkKey> = comparison.benchmarks.iter().map(BenchmarkComparison::key).collect();
        let shared = shared_ids(&keys);
        ComparisonView {
            baseline: &comparison.baseline,
            summary: comparison.summary_line(),
            warnings: &comparison.warnings,
            benchmarks: comparison.benchmarks.iter().map(|b| ComparedBenchmark::new(b, &shared)).collect(),
        }
    }

    #[cfg(test)]
    /// The benchmark `id`, as [`Comparison::get`] finds it.
    pub fn get(&self, id: &str) -> Option<&ComparedBenchmark<'a>> {
        self.benchmarks.iter().find(|b| b.comparison.id == id)
    }

    /// The regressed benchmarks, in the comparison's order.
    pub fn regressed(&self) -> impl Iterator<Item = &ComparedBenchmark<'a>> {
        self.benchmarks.iter().filter(|b| b.status == Status::Regressed)
    }
}

/// One benchmark against its baseline.
#[derive(Debug)]
pub struct ComparedBenchmark<'a> {
    /// How the comparison names it: the id, or `package/target: id` where the comparison has
    /// another benchmark of the same id, as [`Row::name`].
    pub name: String,
    /// Its status against the baseline.
    pub status: Status,
    /// Every metric compared, in the comparison's order (time last).
    pub metrics: Vec<ComparedMetric<'a>>,
    /// The comparison itself.
    pub comparison: &'a BenchmarkComparison,
    /// What grew (allocation sites, functions, CPU shares), in the words every renderer prints.
    pub grew: Vec<Grew>,
    /// The files the run wrote for it, every kind there is ([`ArtifactKind::ALL`]), in the
    /// page's order; empty when the run does not have it.
    pub files: Vec<(ArtifactKind, &'a str)>,
}

impl<'a> ComparedBenchmark<'a> {
    fn new(comparison: &'a BenchmarkComparison, shared: &BTreeSet<&str>) -> ComparedBenchmark<'a> {
        ComparedBenchmark {
            name: comparison.key().shown(shared),
            status: comparison.status,
            metrics: comparison.metrics.iter().map(ComparedMetric::new).collect(),
            comparison,
            grew: grew(comparison),
            files: Vec::new(),
        }
    }

    /// `files: flame graph benchmarks/a/flamegraph.svg, CPU diff ...`: where to look next, in
    /// one line; `None` without files.
    pub fn files_line(&self) -> Option<String> {
        let files: Vec<String> = self.files.iter().map(|(kind, path)| format!("{} {path}", kind.label())).collect();
        (!files.is_empty()).then(|| format!("files: {}", files.join(", ")))
    }

    /// The comparison of one metric.
    pub fn metric(&self, metric: Metric) -> Option<&ComparedMetric<'a>> {
        self.metrics.iter().find(|m| m.metric == metric)
    }

    /// The metrics that fail the gate: those that say why the benchmark regressed.
    pub fn failing(&self) -> impl Iterator<Item = &ComparedMetric<'a>> {
        self.metrics.iter().filter(|m| m.fails())
    }
}

/// One metric of one benchmark against its baseline, in words.
#[derive(Debug, Clone)]
pub struct ComparedMetric<'a> {
    /// The metric compared.
    pub metric: Metric,
    /// The baseline's figure in its unit (for time, the mean of the samples).
    pub base: Option<String>,
    /// This run's figure, as `base`.
    pub new: Option<String>,
    /// The relative change, `+1.0%`; `None` when there is none (a side is missing, the base is
    /// 0, time was not compared).
    pub relative: Option<String>,
    /// The difference, signed and in the metric's unit, `+64 B`; `None` unless both sides have
    /// the figure.
    pub absolute: Option<String>,
    /// The time test's p-value, `p<0.001` or `p=0.012`; only for time.
    pub p: Option<String>,
    /// The figures are the same (a relative change of exactly 0).
    pub unchanged: bool,
    /// The figure changed enough to show base and change beside it: any counted figure that
    /// differs, time only when the test found a change.
    pub moved: bool,
    /// The outcome for this metric.
    pub status: Status,
    /// Whether this metric can fail the gate.
    pub gated: bool,
    /// The limit in its human form: `0`, `5%`, `none`, `p<0.05 & >2% (one run's samples)`.
    pub limit: &'a str,
}

impl<'a> ComparedMetric<'a> {
    fn new(m: &'a MetricComparison) -> ComparedMetric<'a> {
        let absolute = match (m.base, m.new) {
            (Some(base), Some(new)) => {
                let sign = if new < base { "-" } else { "+" };
                Some(format!("{sign}{}", format_metric(m.metric, (new - base).abs())))
            }
            _ => None,
        };
        let both = m.base.is_some() && m.new.is_some();
        let tested = m.metric == Metric::Time;
        let decided = matches!(m.status, Status::Regressed | Status::Improved);
        ComparedMetric {
            metric: m.metric,
            base: m.base.map(|v| format_metric(m.metric, v)),
            new: m.new.map(|v| format_metric(m.metric, v)),
            relative: m.change.map(format_change),
            absolute,
            p: m.p_value.filter(|_| tested).map(format_p),
            unchanged: m.change == Some(0.0),
            moved: both && if tested { decided } else { m.change != Some(0.0) },
            status: m.status,
            gated: m.gated,
            limit: &m.limit,
        }
    }

    /// The name in `report.json`: `alloc_objects`.
    pub fn name(&self) -> &'static str {
        self.metric.name()
    }

    /// The baseline's figure, or [`DASH`].
    pub fn base_or_dash(&self) -> &str {
        self.base.as_deref().unwrap_or(DASH)
    }

    /// This run's figure, or [`DASH`].
    pub fn new_or_dash(&self) -> &str {
        self.new.as_deref().unwrap_or(DASH)
    }

    /// The change as one figure: relative, or the difference when there is no relative change
    /// (from 0), or [`DASH`].
    pub fn change(&self) -> &str {
        self.relative.as_deref().or(self.absolute.as_deref()).unwrap_or(DASH)
    }

    /// Whether this metric fails the gate: it regressed and is gated.
    pub fn fails(&self) -> bool {
        self.status == Status::Regressed && self.gated
    }

    /// The word for its outcome: `regressed` when it fails the gate; a rise that decides
    /// nothing says which way it moved (`higher (not gated)`, `slower (not gated)` for time);
    /// else the status's name.
    pub fn word(&self) -> &'static str {
        match (self.status, self.gated) {
            (Status::Regressed, false) if self.metric == Metric::Time => "slower (not gated)",
            (Status::Regressed, false) => "higher (not gated)",
            (status, _) => status.name(),
        }
    }
}

/// `p<0.001`, or the p-value to three decimals.
fn format_p(p: f64) -> String {
    if p < 0.001 {
        "p<0.001".to_string()
    } else {
        format!("p={p:.3}")
    }
}

/// One thing known of the environment the run was measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fact<'a> {
    /// Its name on the page: `rustc`, `git commit`, `CPU`.
    pub label: &'static str,
    /// Its value; empty only for an optional fact that is there and empty.
    pub value: &'a str,
    /// How the summary's one-line footer cites it: the word before the value (`commit`), empty
    /// where the value names itself (`rustc 1.95.0`); `None` for facts only the page lists.
    pub cited_as: Option<&'static str>,
}

impl<'a> Fact<'a> {
    /// The facts `report` knows, in the order they are listed: the text fields that are not
    /// empty, the optional ones that are there.
    fn all(report: &'a Report) -> Vec<Fact<'a>> {
        let e = &report.environment;
        let text = |value: &'a String| Some(value.as_str()).filter(|v| !v.is_empty());
        [
            ("rustc", text(&e.rustc), Some("")),
            ("target", text(&e.target), Some("")),
            ("profile", text(&e.profile), Some("profile")),
            ("allocator", text(&e.allocator), Some("allocator")),
            ("git commit", e.git_commit.as_deref(), Some("commit")),
            ("CPU", text(&e.cpu), None),
            ("created", text(&e.created), None),
            ("Cargo.lock hash", e.cargo_lock_hash.as_deref(), None),
        ]
        .into_iter()
        .filter_map(|(label, value, cited_as)| value.map(|value| Fact { label, value, cited_as }))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures::{
        compared_report, instructions_report, marked_report, plain_report, two_packages_report,
    };
    use crate::ui::Style;

    #[test]
    fn columns_come_from_the_metric_table() {
        let titles: Vec<&str> = ColumnView::all().map(|c| c.title()).collect();
        assert_eq!(titles[..6], ["time/iter", "allocs/iter", "bytes/iter", "retained/iter", "peak", "instr/iter"]);
        let probes = allocbench_formats::metric::METRICS.iter().filter(|m| m.probe).count();
        assert_eq!(titles.len(), 6 + probes, "and a column for each metric a probe of the harness counts");
        // A column that is not always there stands when a benchmark has the figure.
        let shown = |report: &Report| View::new(report).columns.iter().map(|c| c.title()).collect::<Vec<_>>();
        assert_eq!(shown(&plain_report()), titles[..5]);
        assert_eq!(shown(&instructions_report()), titles[..6]);
        let helps: Vec<String> = ColumnView::all().map(|c| c.help()).collect();
        assert_eq!(helps[0], "criterion's typical time per iteration");
        assert_eq!(helps[3], "inuse_space: bytes allocated and not freed per iteration");
    }

    /// A runtime signal reaches the table, the Markdown summary, the page and both exports
    /// through its metric row alone: its column shows when a benchmark measured it non-zero,
    /// with its mark; zero signals add no column.
    #[test]
    fn signals_reach_every_renderer_when_not_zero() {
        use allocbench_formats::{metric::METRICS, report::ProbeFigures};
        let mut report = plain_report();
        let mut measured = ProbeFigures { varied: vec!["threads_alive".into()], ..ProbeFigures::default() };
        for m in METRICS.iter().filter(|m| m.probe) {
            measured.per_iteration.set(m.metric, 0.0);
        }
        let zeros = measured.per_iteration;
        measured.per_iteration.set(Metric::WriteSyscalls, 100.0);
        measured.per_iteration.set(Metric::ThreadsAlive, 1.0);
        report.benchmarks[0].probes = Some(measured);
        report.benchmarks[1].probes = Some(ProbeFigures { per_iteration: zeros, ..ProbeFigures::default() });
        let view = View::new(&report);
        let titles: Vec<&str> = view.columns.iter().map(|c| c.title()).collect();
        assert_eq!(titles[5..], ["alive/iter", "writes/iter"]);
        let alive = view.columns.iter().position(|c| c.metric == Metric::ThreadsAlive).unwrap();
        assert_eq!(view.rows[0].cells[alive].mark, "≈");
        let table = crate::render::table::render(&report, Style { color: false });
        let markdown = crate::render::markdown::render(&report);
        let html = crate::render::html::render(&report);
        for out in [&table, &markdown, &html] {
            assert!(out.contains("writes/iter") && out.contains("alive/iter"), "{out}");
            assert!(!out.contains("faults/iter"), "{out}");
        }
        let bmf = crate::render::export::bmf(&report).to_string();
        assert!(bmf.contains("write-syscalls") && bmf.contains("threads-alive"), "{bmf}");
        let gab = crate::render::export::github_action_benchmark(&report).to_string();
        assert!(gab.contains("writes/iter") || gab.contains("write_syscalls"), "{gab}");
    }

    #[test]
    fn cells_hold_figure_mark_and_change() {
        let report = marked_report();
        let view = View::new(&report);
        let row = |id: &str| view.rows.iter().find(|r| r.name == id).unwrap();
        let cell = |id: &str, metric: Metric| {
            row(id).cells[view.columns.iter().position(|c| c.metric == metric).unwrap()].clone()
        };
        let custom = cell("iter/custom", Metric::AllocSpace);
        assert_eq!((custom.figure.as_deref(), custom.mark, custom.marked_or("-")), (Some("64 B"), "~", "~64 B".into()));
        let retained = cell("flat/sampling", Metric::InuseSpace).change.unwrap();
        assert_eq!((retained.relative, retained.absolute.as_deref()), (None, Some("-64 B")));
        assert!(retained.moved && !retained.unchanged);
        let time = cell("iter/custom", Metric::Time).change.unwrap();
        assert_eq!((time.change(), time.p.as_deref(), time.word()), ("+20.0%", Some("p<0.001"), "regressed"));
        assert!(time.fails());
        assert_eq!(cell("crash/later", Metric::Time).marked_or(DASH), DASH);
        assert_eq!(row("crash/later").status, RowStatus::Failed);
        assert_eq!(row("gone").status, RowStatus::Compared(Status::Missing));
        assert!(row("gone").benchmark.is_none());
        let key = |id: &str| row(id).benchmark.map_or_else(|| BenchmarkKey::new("", "", id), Benchmark::key);
        assert!(view.failed_in_run(&key("crash/later")) && !view.failed_in_run(&key("gone")));
    }

    #[test]
    fn words() {
        let report = compared_report();
        let view = View::new(&report);
        let fanout = view.comparison.as_ref().unwrap().get("fanout/clients/100").unwrap();
        let words: Vec<(&str, &str)> = fanout.metrics.iter().map(|m| (m.name(), m.word())).collect();
        assert_eq!(words[0], ("alloc_objects", "regressed"));
        assert_eq!(words[2], ("free_objects", "higher (not gated)"));
        let failing: Vec<&str> = fanout.failing().map(|m| m.name()).collect();
        assert_eq!(failing, ["alloc_objects", "alloc_space", "inuse_space"]);
        let tiny = view.comparison.as_ref().unwrap().get("parse/tiny").unwrap();
        assert_eq!(tiny.metric(Metric::Time).unwrap().word(), "slower (not gated)");
        assert_eq!(View::new(&plain_report()).rows[0].status.word(), "measured");
        assert_eq!(View::new(&plain_report()).measured, "4 benchmarks measured, 1 failed");
    }

    #[test]
    fn the_environment_lists_what_is_known() {
        let mut report = plain_report();
        report.environment.cpu = String::new();
        report.environment.git_commit = None;
        report.environment.cargo_lock_hash = Some("00ff".into());
        let facts: Vec<(&str, &str)> = View::new(&report).environment.iter().map(|f| (f.label, f.value)).collect();
        assert_eq!(
            facts,
            [
                ("rustc", "rustc 1.95.0"),
                ("target", "x86_64-unknown-linux-gnu"),
                ("profile", "bench"),
                ("allocator", "System"),
                ("created", "2026-01-01T00:00:00Z"),
                ("Cargo.lock hash", "00ff"),
            ]
        );
    }

    /// An id two packages have is named `package/target: id` in every renderer, each with its
    /// own figures and status; an id of one benchmark by itself.
    #[test]
    fn an_id_of_two_packages_is_named_with_its_package_everywhere() {
        let report = two_packages_report();
        let view = View::new(&report);
        let rows: Vec<(&str, RowStatus, String)> =
            view.rows.iter().map(|r| (r.name.as_str(), r.status, r.cells[1].marked_or("-"))).collect();
        assert_eq!(
            rows,
            [
                ("json/parsing: parse", RowStatus::Compared(Status::Pass), "2".to_owned()),
                ("serialize", RowStatus::Compared(Status::Pass), "3".to_owned()),
                ("toml/parsing: parse", RowStatus::Compared(Status::Regressed), "2".to_owned()),
            ]
        );
        let compared: Vec<&str> = view.comparison.as_ref().unwrap().regressed().map(|b| b.name.as_str()).collect();
        assert_eq!(compared, ["toml/parsing: parse"]);

        let table = crate::render::table::lay_out(&view, Style { color: false });
        assert!(table.lines().any(|l| l.starts_with("toml/parsing: parse ")), "{table}");
        assert!(table.lines().any(|l| l.starts_with("serialize ")), "{table}");
        let c = crate::render::table::lay_out_comparison(view.comparison.as_ref().unwrap(), Style { color: false });
        assert!(c.contains("regressed  toml/parsing: parse\n") && c.contains("pass  json/parsing: parse\n"), "{c}");
        let summary = crate::render::markdown::lay_out(&view);
        assert!(summary.contains("#### toml/parsing: parse\n"), "{summary}");
        assert!(summary.contains("| json/parsing: parse | "), "{summary}");
        let page = crate::render::html::lay_out(&view);
        assert!(page.contains("<div class=\"id\">toml/parsing: parse</div>"), "{page}");
        let annotations = crate::render::github::lay_out(&view, None);
        assert_eq!(annotations.len(), 1, "{annotations:?}");
        assert!(annotations[0].contains("::Benchmark `toml/parsing: parse` regressed"), "{annotations:?}");
        let bmf = crate::render::export::bmf(&report);
        let names: Vec<&String> = bmf.as_object().unwrap().keys().collect();
        assert_eq!(names, ["json/parsing: parse", "serialize", "toml/parsing: parse"]);
    }
}
