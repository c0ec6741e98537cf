//! The Markdown summary, for a pull request comment or `$GITHUB_STEP_SUMMARY`
//! (`--format markdown`).
//!
//! Written for the reader of a pull request: a title with the verdict, the one-line summary,
//! the comparison's warnings, then what needs attention expanded (regressions with their
//! figures, failed benchmarks, time changes that are not gated, new and missing benchmarks),
//! then every benchmark folded in a `<details>` table. Without a comparison it is just the
//! table. What the run warned about while it measured follows, then the environment.
//!
//! It lays out the [`View`]: the figures, marks, changes and words are the view's; the sections,
//! the markup and the escaping ([`escape`], [`escape_keeping_code`]) are the summary's.

use std::fmt::Write as _;

use crate::render::view::{Cell, ComparedMetric, ComparisonView, View, DASH};
#[cfg(test)]
use crate::report::Report;
use crate::report::{Metric, Verdict};
use allocbench_formats::comparison::Status;

#[cfg(test)]
/// Renders `report` as GitHub-flavoured Markdown, ending with a newline.
pub fn render(report: &Report) -> String {
    lay_out(&View::new(report))
}

/// Lays out the view as GitHub-flavoured Markdown, ending with a newline.
pub fn lay_out(view: &View) -> String {
    let mut out = String::new();
    let icon = match view.verdict {
        Verdict::Pass => "✅",
        Verdict::Regressed => "❌",
        Verdict::Error => "⚠️",
    };
    let _ = writeln!(out, "## {icon} allocbench: {}\n", view.verdict.name());
    match &view.comparison {
        Some(comparison) => render_comparison(&mut out, view, comparison),
        None => render_plain(&mut out, view),
    }
    render_warnings(&mut out, view);
    render_environment(&mut out, view);
    out
}

fn render_plain(out: &mut String, view: &View) {
    let _ = write!(out, "{}.\n\n", view.measured);
    render_failed(out, view);
    figures_table(out, view);
}

fn render_comparison(out: &mut String, view: &View, comparison: &ComparisonView) {
    let _ = writeln!(out, "{}\n", escape_keeping_code(&comparison.summary));
    for warning in comparison.warnings {
        let _ = writeln!(out, "> ⚠️ {}\n", escape_keeping_code(warning));
    }

    let mut regressed = comparison.regressed().peekable();
    if regressed.peek().is_some() {
        out.push_str("### Regressions\n\n");
        for benchmark in regressed {
            let _ = writeln!(out, "#### {}\n", escape(&benchmark.name));
            out.push_str("| metric | base | new | change | limit | status |\n");
            out.push_str("| --- | ---: | ---: | ---: | ---: | --- |\n");
            for m in benchmark.metrics.iter().filter(|m| worth_showing(m)) {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    m.name(),
                    m.base_or_dash(),
                    m.new_or_dash(),
                    change_cell(m),
                    escape(m.limit),
                    emphasised(m.word(), m.fails()),
                );
            }
            out.push('\n');
            // Where the new work comes from, in the terminal's words.
            for g in &benchmark.grew {
                let _ = writeln!(out, "- {}", escape(&g.text));
            }
            // Where to look next: the files are in the run's output folder (the action uploads it).
            if let Some(files) = benchmark.files_line() {
                let _ = writeln!(out, "- {}", escape(&files));
            }
            if !benchmark.grew.is_empty() || !benchmark.files.is_empty() {
                out.push('\n');
            }
        }
    }

    render_failed(out, view);

    let slower: Vec<(&str, &ComparedMetric)> = comparison
        .benchmarks
        .iter()
        .filter(|b| b.status != Status::Regressed)
        .filter_map(|b| b.metric(Metric::Time).map(|m| (b.name.as_str(), m)))
        .filter(|(_, m)| m.status == Status::Regressed && !m.gated)
        .collect();
    if !slower.is_empty() {
        out.push_str("### Slower, not gated\n\n");
        out.push_str("Time is reported; it fails the gate only with `--fail-on-time`.\n\n");
        for (id, m) in slower {
            let _ = writeln!(
                out,
                "- {}: {} → {} ({}, {})",
                escape(id),
                m.base_or_dash(),
                m.new_or_dash(),
                escape(m.relative.as_deref().unwrap_or_default()),
                escape(m.p.as_deref().unwrap_or_default()),
            );
        }
        out.push('\n');
    }

    let name = escape_keeping_code(&format!("`{}`", comparison.baseline));
    // A benchmark that failed is listed under "Failed", not again as new or missing.
    let ids = |status: Status| -> Vec<String> {
        comparison
            .benchmarks
            .iter()
            .filter(|b| b.status == status && !view.failed_in_run(&b.comparison.key()))
            .map(|b| escape(&b.name))
            .collect()
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
        comparison.benchmarks.len().max(view.run().count())
    );
    figures_table(out, view);
    out.push_str("</details>\n\n");
}

/// In a regression's table: the metrics that moved or have a verdict, not the unchanged rest.
/// Time that the test did not call a change is left out, whatever its means say.
fn worth_showing(m: &ComparedMetric) -> bool {
    m.status != Status::Pass || (m.metric != Metric::Time && !m.unchanged)
}

fn render_failed(out: &mut String, view: &View) {
    let mut failed = view.failed_rows().peekable();
    if failed.peek().is_none() {
        return;
    }
    out.push_str("### Failed\n\n");
    for (row, _, error) in failed {
        let _ = writeln!(out, "- {}: {}", escape(&row.name), escape(error));
    }
    out.push('\n');
}

/// The table of figures, one row per benchmark; with a comparison, changes and statuses too,
/// and the missing benchmarks at the end.
fn figures_table(out: &mut String, view: &View) {
    let compared = view.comparison.is_some();
    out.push_str("| benchmark |");
    for column in &view.columns {
        let _ = write!(out, " {} |", column.title());
    }
    out.push_str(if compared { " status |\n| --- |" } else { "\n| --- |" });
    for _ in &view.columns {
        out.push_str(" ---: |");
    }
    out.push_str(if compared { " --- |\n" } else { "\n" });

    for row in &view.rows {
        let _ = write!(out, "| {} |", escape(&row.name));
        for cell in &row.cells {
            let _ = write!(out, " {} |", figure_cell(cell));
        }
        if compared {
            let _ = write!(out, " {} |", emphasised(row.status.word(), row.status.alarming()));
        }
        out.push('\n');
    }
    out.push('\n');
    if !view.footnotes.is_empty() {
        for note in &view.footnotes {
            let _ = writeln!(out, "{}  ", escape(note));
        }
        out.push('\n');
    }
    // The titles in report.json's words, which the regressions above use.
    let legends: Vec<String> = view.columns.iter().filter_map(|c| c.column.legend).map(escape).collect();
    if !legends.is_empty() {
        let _ = writeln!(out, "<sub>Per iteration of the benchmark's routine: {}</sub>\n", legends.join(" · "));
    }
}

/// A figure after its mark, with the change beside it when it moved: relative, or absolute
/// when the base is 0.
fn figure_cell(cell: &Cell) -> String {
    let mut text = match &cell.figure {
        Some(figure) => format!("{}{figure}", escape(cell.mark)),
        None => DASH.to_owned(),
    };
    if let Some(m) = cell.change.as_ref().filter(|m| m.moved && !m.unchanged) {
        let _ = write!(text, " ({})", escape(m.change()));
    }
    text
}

/// The run's warnings, as stderr printed them; nothing when there were none.
fn render_warnings(out: &mut String, view: &View) {
    if view.warnings.is_empty() {
        return;
    }
    out.push_str("### Warnings\n\n");
    for warning in view.warnings {
        let _ = writeln!(out, "- {}", escape_keeping_code(warning));
    }
    out.push('\n');
}

fn render_environment(out: &mut String, view: &View) {
    let parts: Vec<String> = view
        .environment
        .iter()
        .filter_map(|fact| {
            fact.cited_as.map(|word| match word {
                "" => escape(fact.value),
                word => format!("{word} {}", escape(fact.value)),
            })
        })
        .collect();
    if !parts.is_empty() {
        let _ = writeln!(out, "<sub>{}</sub>", parts.join(" · "));
    }
}

/// `+1 (+50.0%)` for counted figures; `+10.0% (p<0.001)` for time; escaped (`+<0.01%`).
fn change_cell(m: &ComparedMetric) -> String {
    escape(&unescaped_change_cell(m))
}

fn unescaped_change_cell(m: &ComparedMetric) -> String {
    let Some(absolute) = &m.absolute else {
        return DASH.to_string();
    };
    if m.metric == Metric::Time {
        let p = m.p.as_deref().map(|p| format!(" ({p})")).unwrap_or_default();
        return match &m.relative {
            Some(relative) => format!("{relative}{p}"),
            None => DASH.to_string(),
        };
    }
    if m.unchanged {
        return "0".to_string();
    }
    match &m.relative {
        Some(relative) => format!("{absolute} ({relative})"),
        None => absolute.clone(),
    }
}

/// A status word, in bold when it needs the reader's attention.
fn emphasised(word: &str, alarming: bool) -> String {
    if alarming {
        format!("**{word}**")
    } else {
        word.to_string()
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
            partition: None,
            warnings: Vec::new(),
            schema_version: 1,
            name: "main".into(),
            environment: environment(),
            benchmarks: vec![bench("crash/segv", 1.0, 8.0, 0.0, None).into()],
        };
        let mut crashed = bench("crash/segv", 0.0, 0.0, 0.0, None);
        crashed.alloc = None;
        crashed.error = Some("timed out after 60 s".into());
        report.benchmarks = vec![crashed];
        report.comparison = Some(compare(&base, &crate::render::fixtures::measured(&report), &Policy::default()));
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
