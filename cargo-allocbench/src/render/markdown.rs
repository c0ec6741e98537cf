//! The Markdown summary, for a pull request comment or `$GITHUB_STEP_SUMMARY`
//! (`--format markdown`).
//!
//! Written for the reader of a pull request: a title with the verdict, the one-line summary,
//! warnings, then what needs attention expanded (regressions with their figures, failed
//! benchmarks, time changes that are not gated, new and missing benchmarks), then every
//! benchmark folded in a `<details>` table. Without a comparison it is just the table.
//!
//! Numbers are formatted as everywhere else, by [`crate::render::units`].

use std::fmt::Write as _;

use crate::gate::compare::{BenchmarkComparison, Comparison, MetricComparison, Status};
use crate::render::units::{format_change, format_metric};
use crate::report::{mark_footnotes, Benchmark, Metric, Report, Verdict};

/// Renders `report` as GitHub-flavoured Markdown, ending with a newline.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let (icon, word) = match report.verdict {
        Verdict::Pass => ("✅", "pass"),
        Verdict::Regressed => ("❌", "regressed"),
        Verdict::Error => ("⚠️", "error"),
    };
    let _ = writeln!(out, "## {icon} allocbench: {word}\n");
    match &report.comparison {
        Some(comparison) => render_comparison(&mut out, report, comparison),
        None => render_plain(&mut out, report),
    }
    render_environment(&mut out, report);
    out
}

fn render_plain(out: &mut String, report: &Report) {
    let failed = report.benchmarks.iter().filter(|b| b.error.is_some()).count();
    let measured = report.benchmarks.len() - failed;
    let _ = write!(out, "{measured} {} measured", plural(measured, "benchmark", "benchmarks"));
    if failed > 0 {
        let _ = write!(out, ", {failed} failed");
    }
    out.push_str(".\n\n");
    render_failed(out, report);
    figures_table(out, report, None);
}

fn render_comparison(out: &mut String, report: &Report, comparison: &Comparison) {
    let _ = writeln!(out, "{}\n", escape_keeping_code(&comparison.summary_line()));
    for warning in &comparison.warnings {
        let _ = writeln!(out, "> ⚠️ {}\n", escape_keeping_code(warning));
    }

    let regressed: Vec<&BenchmarkComparison> =
        comparison.benchmarks.iter().filter(|b| b.status == Status::Regressed).collect();
    if !regressed.is_empty() {
        out.push_str("### Regressions\n\n");
        for benchmark in regressed {
            let _ = writeln!(out, "#### {}\n", escape(&benchmark.id));
            out.push_str("| metric | base | new | change | limit | status |\n");
            out.push_str("| --- | ---: | ---: | ---: | ---: | --- |\n");
            for m in benchmark.metrics.iter().filter(|m| worth_showing(m)) {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    m.metric.name(),
                    cell(m.metric, m.base),
                    cell(m.metric, m.new),
                    change_cell(m),
                    escape(&m.limit),
                    metric_status_cell(m),
                );
            }
            out.push('\n');
        }
    }

    render_failed(out, report);

    let slower: Vec<(&str, &MetricComparison)> = comparison
        .benchmarks
        .iter()
        .filter(|b| b.status != Status::Regressed)
        .filter_map(|b| b.metric(Metric::Time).map(|m| (b.id.as_str(), m)))
        .filter(|(_, m)| m.status == Status::Regressed && !m.gated)
        .collect();
    if !slower.is_empty() {
        out.push_str("### Slower, not gated\n\n");
        out.push_str("Time is reported; it fails the gate only with `--fail-on-time`.\n\n");
        for (id, m) in slower {
            let change = m.change.map(format_change).unwrap_or_default();
            let p = m.p_value.map(format_p).unwrap_or_default();
            let _ = writeln!(
                out,
                "- {}: {} → {} ({change}, {p})",
                escape(id),
                cell(Metric::Time, m.base),
                cell(Metric::Time, m.new),
            );
        }
        out.push('\n');
    }

    let name = escape_keeping_code(&format!("`{}`", comparison.baseline));
    // A benchmark that failed is listed under "Failed", not again as new or missing.
    let failed = |id: &str| report.benchmarks.iter().any(|b| b.id == id && b.error.is_some());
    let ids = |status: Status| -> Vec<String> {
        comparison.benchmarks.iter().filter(|b| b.status == status && !failed(&b.id)).map(|b| escape(&b.id)).collect()
    };
    let (new, missing) = (ids(Status::New), ids(Status::Missing));
    if !new.is_empty() {
        let _ = writeln!(out, "**New** (not in baseline {name}): {}\n", new.join(", "));
    }
    if !missing.is_empty() {
        let _ = writeln!(out, "**Missing** (in baseline {name}, not in this run): {}\n", missing.join(", "));
    }

    let _ = writeln!(
        out,
        "<details>\n<summary>All benchmarks ({})</summary>\n",
        comparison.benchmarks.len().max(report.benchmarks.len())
    );
    figures_table(out, report, Some(comparison));
    out.push_str("</details>\n\n");
}

/// In a regression's table: the metrics that moved or have a verdict, not the unchanged rest.
fn worth_showing(m: &MetricComparison) -> bool {
    match m.metric {
        Metric::Time => m.status != Status::Pass,
        _ => m.status != Status::Pass || m.change != Some(0.0),
    }
}

fn render_failed(out: &mut String, report: &Report) {
    let failed: Vec<&Benchmark> = report.benchmarks.iter().filter(|b| b.error.is_some()).collect();
    if failed.is_empty() {
        return;
    }
    out.push_str("### Failed\n\n");
    for b in failed {
        let _ = writeln!(out, "- {}: {}", escape(&b.id), escape(b.error.as_deref().unwrap_or_default()));
    }
    out.push('\n');
}

/// The table of figures, one row per benchmark; with a comparison, changes and statuses too,
/// and the missing benchmarks at the end.
fn figures_table(out: &mut String, report: &Report, comparison: Option<&Comparison>) {
    let mut columns: Vec<(Metric, &str)> = vec![
        (Metric::Time, "time/iter"),
        (Metric::AllocObjects, "allocs/iter"),
        (Metric::AllocSpace, "bytes/iter"),
        (Metric::InuseSpace, "retained/iter"),
        (Metric::PeakSpace, "peak"),
    ];
    if report.benchmarks.iter().any(|b| b.instructions.is_some()) {
        columns.push((Metric::Instructions, "instr/iter"));
    }
    let columns = columns;
    out.push_str("| benchmark |");
    for &(_, title) in &columns {
        let _ = write!(out, " {title} |");
    }
    out.push_str(if comparison.is_some() { " status |\n| --- |" } else { "\n| --- |" });
    for _ in &columns {
        out.push_str(" ---: |");
    }
    out.push_str(if comparison.is_some() { " --- |\n" } else { "\n" });

    for b in &report.benchmarks {
        let compared = comparison.and_then(|c| c.get(&b.id));
        let _ = write!(out, "| {} |", escape(&b.id));
        for &(metric, _) in &columns {
            let value = b.figure(metric);
            let mut text = cell(metric, value);
            match (metric, value) {
                (Metric::Time, _) | (_, None) => {}
                (Metric::Instructions, Some(_)) => {
                    if b.instructions.as_ref().is_some_and(|i| !i.exact) {
                        text.insert(0, '≈');
                    }
                }
                _ => {
                    if let Some(a) = b.alloc {
                        text.insert_str(0, &escape(a.mark()));
                    }
                }
            }
            if let Some(change) = compared.and_then(|c| c.metric(metric)).and_then(short_change) {
                let _ = write!(text, " ({change})");
            }
            let _ = write!(out, " {text} |");
        }
        if comparison.is_some() {
            let status = match (&b.error, compared) {
                (Some(_), _) => "**failed**".to_string(),
                (None, Some(c)) => status_cell(c.status, true),
                (None, None) => String::new(),
            };
            let _ = write!(out, " {status} |");
        }
        out.push('\n');
    }
    if let Some(comparison) = comparison {
        for missing in comparison.benchmarks.iter().filter(|c| !report.benchmarks.iter().any(|b| b.id == c.id)) {
            let _ = write!(out, "| {} |", escape(&missing.id));
            for _ in &columns {
                out.push_str(" — |");
            }
            let _ = writeln!(out, " {} |", status_cell(missing.status, true));
        }
    }
    out.push('\n');
    let notes = mark_footnotes(&report.benchmarks);
    if !notes.is_empty() {
        for note in notes {
            let _ = writeln!(out, "{}  ", escape(&note));
        }
        out.push('\n');
    }
}

fn render_environment(out: &mut String, report: &Report) {
    let e = &report.environment;
    let mut parts: Vec<String> =
        [&e.rustc, &e.target].into_iter().filter(|s| !s.is_empty()).map(|s| escape(s)).collect();
    if !e.profile.is_empty() {
        parts.push(format!("profile {}", escape(&e.profile)));
    }
    if !e.allocator.is_empty() {
        parts.push(format!("allocator {}", escape(&e.allocator)));
    }
    if let Some(commit) = &e.git_commit {
        parts.push(format!("commit {}", escape(commit)));
    }
    if !parts.is_empty() {
        let _ = writeln!(out, "<sub>{}</sub>", parts.join(" · "));
    }
}

/// The change shown beside a figure in the table of all benchmarks: relative, or absolute when
/// the base is 0; for time only a change the test found significant beyond the noise floor.
fn short_change(m: &MetricComparison) -> Option<String> {
    if m.metric == Metric::Time && !matches!(m.status, Status::Regressed | Status::Improved) {
        return None;
    }
    match (m.base, m.new, m.change) {
        (_, _, Some(change)) if change != 0.0 => Some(format_change(change)),
        (Some(base), Some(new), None) => {
            let sign = if new < base { "-" } else { "+" };
            Some(format!("{sign}{}", format_metric(m.metric, (new - base).abs())))
        }
        _ => None,
    }
}

fn cell(metric: Metric, value: Option<f64>) -> String {
    value.map(|v| format_metric(metric, v)).unwrap_or_else(|| "—".to_string())
}

/// `+1 (+50.0%)` for allocation figures; `+10.0% (p<0.001)` for time.
fn change_cell(m: &MetricComparison) -> String {
    let (Some(base), Some(new)) = (m.base, m.new) else {
        return "—".to_string();
    };
    if m.metric == Metric::Time {
        let p = m.p_value.map(format_p).map(|p| format!(" ({p})")).unwrap_or_default();
        return match m.change {
            Some(change) => format!("{}{p}", format_change(change)),
            None => "—".to_string(),
        };
    }
    let delta = new - base;
    if m.change == Some(0.0) {
        return "0".to_string();
    }
    let sign = if delta < 0.0 { "-" } else { "+" };
    let absolute = format!("{sign}{}", format_metric(m.metric, delta.abs()));
    match m.change {
        Some(change) => format!("{absolute} ({})", format_change(change)),
        None => absolute,
    }
}

fn status_cell(status: Status, gated: bool) -> String {
    match (status, gated) {
        (Status::Regressed, true) => "**regressed**".to_string(),
        (Status::Regressed, false) => "higher (not gated)".to_string(),
        (status, _) => status.name().to_string(),
    }
}

/// A metric's status: a rise that decides nothing says which way it moved.
fn metric_status_cell(m: &MetricComparison) -> String {
    match (m.status, m.gated, m.metric) {
        (Status::Regressed, false, Metric::Time) => "slower (not gated)".to_string(),
        _ => status_cell(m.status, m.gated),
    }
}

fn format_p(p: f64) -> String {
    if p < 0.001 {
        "p<0.001".to_string()
    } else {
        format!("p={p:.3}")
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// Escapes text for Markdown prose and table cells: HTML is neutralised, Markdown punctuation
/// (including `|`, which would end a cell, and `$`, which starts math on GitHub) is
/// backslash-escaped, and line breaks become spaces.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '$' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes prose that holds `code spans` of our own making: the text outside backticks is
/// escaped as by [`escape`], the spans are kept (line breaks aside). With unbalanced backticks
/// everything is escaped.
pub fn escape_keeping_code(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len() % 2 == 0 {
        return escape(text);
    }
    let mut out = String::with_capacity(text.len());
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 0 {
            out.push_str(&escape(part));
        } else {
            out.push('`');
            out.push_str(&part.replace(['\n', '\r'], " "));
            out.push('`');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::baseline::Baseline;
    use crate::gate::compare::compare;
    use crate::gate::policy::Policy;
    use crate::render::fixtures::{bench, compared_report, empty_report, environment, marked_report, plain_report};

    #[test]
    fn markdown_with_marks_and_instructions() {
        insta::assert_snapshot!(render(&marked_report()));
    }

    #[test]
    fn markdown_of_an_empty_run() {
        insta::assert_snapshot!(render(&empty_report()));
    }

    #[test]
    fn markdown_with_a_comparison() {
        insta::assert_snapshot!(render(&compared_report()));
    }

    #[test]
    fn markdown_without_a_comparison() {
        insta::assert_snapshot!(render(&plain_report()));
    }

    #[test]
    fn a_failed_benchmark_is_listed_once_under_failed() {
        let mut report = compared_report();
        let base = Baseline {
            schema_version: 1,
            name: "main".into(),
            environment: environment(),
            benchmarks: vec![bench("crash/segv", 1.0, 8.0, 0.0, None)],
        };
        let mut crashed = bench("crash/segv", 0.0, 0.0, 0.0, None);
        crashed.alloc = None;
        crashed.error = Some("timed out after 60 s".into());
        report.benchmarks = vec![crashed];
        report.comparison = Some(compare(&base, &report, &Policy::default()));
        report.verdict = Verdict::Error;
        let text = render(&report);
        assert!(text.starts_with("## ⚠️ allocbench: error\n"), "{text}");
        assert!(text.contains("### Failed\n\n- crash/segv: timed out after 60 s\n"), "{text}");
        assert!(!text.contains("**Missing**"), "{text}");
        assert!(text.contains("| crash/segv | — | — | — | — | — | **failed** |"), "{text}");
    }

    #[test]
    fn escaping() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("`x`"), "\\`x\\`");
        assert_eq!(escape("<script>&"), "&lt;script&gt;&amp;");
        assert_eq!(escape("a_b*c[d]"), "a\\_b\\*c\\[d\\]");
        assert_eq!(escape("$x$ \\ line\nbreak"), "\\$x\\$ \\\\ line break");
        assert_eq!(escape("fanout/clients/100"), "fanout/clients/100");
        assert_eq!(escape_keeping_code("2 new against `ma|in` <b>"), "2 new against `ma|in` &lt;b&gt;");
        assert_eq!(escape_keeping_code("odd ` tick_"), "odd \\` tick\\_");
    }
}
