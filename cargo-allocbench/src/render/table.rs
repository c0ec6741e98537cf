//! The terminal table: one row per benchmark, figures per iteration.

use crate::gate::compare::{BenchmarkComparison, Comparison, Status};
use crate::render::markdown::format_metric;
use crate::render::units::{format_bytes, format_change, format_count, format_ns, printable};
use crate::report::{mark_footnotes, Benchmark, Report};

const HEADERS: [&str; 6] = ["benchmark", "time/iter", "allocs/iter", "bytes/iter", "retained/iter", "peak"];

/// Paints text for a terminal, or leaves it plain.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    pub fn red(&self, text: &str) -> String {
        self.paint("31", text)
    }

    pub fn green(&self, text: &str) -> String {
        self.paint("32", text)
    }

    pub fn yellow(&self, text: &str) -> String {
        self.paint("33", text)
    }

    pub fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }
}

/// The widest the id column gets: `report.json` keeps the whole id.
const ID_WIDTH: usize = 60;

/// An id for the table: printable, and cut to [`ID_WIDTH`] characters with `…`.
fn shown_id(id: &str) -> String {
    let id = printable(id);
    if id.chars().count() <= ID_WIDTH {
        return id;
    }
    let mut cut: String = id.chars().take(ID_WIDTH - 1).collect();
    cut.push('…');
    cut
}

/// The columns: [`HEADERS`], and instructions when the instruction pass ran.
fn headers(with_instructions: bool) -> Vec<&'static str> {
    let mut headers = HEADERS.to_vec();
    if with_instructions {
        headers.push("instr/iter");
    }
    headers
}

/// Instructions per iteration, `≈` when the samples disagreed, `-` when not counted.
fn instructions_cell(b: &Benchmark) -> String {
    match &b.instructions {
        Some(i) => format!("{}{}", if i.exact { "" } else { "≈" }, format_count(i.instructions)),
        None => "-".to_owned(),
    }
}

fn cells(b: &Benchmark, with_instructions: bool) -> Vec<String> {
    let mut row = alloc_cells(b);
    if with_instructions && b.error.is_none() {
        row.push(instructions_cell(b));
    }
    row
}

fn alloc_cells(b: &Benchmark) -> Vec<String> {
    let id = shown_id(&b.id);
    let time = b.time.map(|t| format_ns(t.typical_ns)).unwrap_or_else(|| "-".to_owned());
    match (&b.alloc, &b.error) {
        (_, Some(e)) => vec![id, format!("error: {}", printable(e))],
        (Some(a), None) => {
            let mark = a.mark();
            vec![
                id,
                time,
                format!("{mark}{}", format_count(a.alloc_objects)),
                format!("{mark}{}", format_bytes(a.alloc_space)),
                format!("{mark}{}", format_bytes(a.inuse_space)),
                format!("{mark}{}", format_bytes(a.peak_space)),
            ]
        }
        (None, None) => vec![id, time, "-".into(), "-".into(), "-".into(), "-".into()],
    }
}

/// Renders the table of `report`'s benchmarks.
pub fn render(report: &Report, style: Style) -> String {
    let with_instructions = report.benchmarks.iter().any(|b| b.instructions.is_some());
    let headers = headers(with_instructions);
    let rows: Vec<Vec<String>> = report.benchmarks.iter().map(|b| cells(b, with_instructions)).collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        if row.len() == headers.len() {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        } else {
            widths[0] = widths[0].max(row[0].chars().count());
        }
    }
    let line = |row: &[String]| -> String {
        let mut out = String::new();
        for (i, c) in row.iter().enumerate() {
            let pad = widths.get(i).copied().unwrap_or(0).saturating_sub(c.chars().count());
            if i == 0 {
                out.push_str(c);
                out.push_str(&" ".repeat(pad));
            } else if i < headers.len() && row.len() == headers.len() {
                out.push_str("  ");
                out.push_str(&" ".repeat(pad));
                out.push_str(c);
            } else {
                out.push_str("  ");
                out.push_str(c);
            }
        }
        out.trim_end().to_owned()
    };
    let titles: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    let mut out = style.bold(&line(&titles));
    out.push('\n');
    for (row, b) in rows.iter().zip(&report.benchmarks) {
        let text = line(row);
        out.push_str(&if b.error.is_some() { style.red(&text) } else { text });
        out.push('\n');
    }
    for note in mark_footnotes(&report.benchmarks) {
        out.push_str(&style.dim(&format!("{note}\n")));
    }
    out
}

/// The comparison with a baseline: regressions first, each metric that moved as base → new.
pub fn render_comparison(c: &Comparison, style: Style) -> String {
    let mut out = format!("\n{}\n", style.bold(&format!("against baseline `{}`", printable(&c.baseline))));
    let mut rows: Vec<&BenchmarkComparison> = c.benchmarks.iter().collect();
    rows.sort_by_key(|b| match b.status {
        Status::Regressed => 0,
        Status::Missing => 1,
        Status::New => 2,
        Status::Improved => 3,
        Status::Pass => 4,
    });
    for b in rows {
        let status = match b.status {
            Status::Regressed => style.red("regressed"),
            Status::Improved => style.green("improved"),
            Status::New | Status::Missing => style.yellow(b.status.name()),
            Status::Pass => style.dim("pass"),
        };
        out.push_str(&format!("{status:>9}  {}\n", printable(&b.id)));
        for m in &b.metrics {
            let moved = m.status == Status::Regressed || m.status == Status::Improved;
            if !moved {
                continue;
            }
            let (Some(base), Some(new)) = (m.base, m.new) else { continue };
            // From zero there is no relative change: say by how much.
            let change =
                m.change.map(format_change).unwrap_or_else(|| format!("+{}", format_metric(m.metric, new - base)));
            let gate = if m.gated { format!("limit {}", m.limit) } else { "not gated".to_owned() };
            let line = format!(
                "           {:<14} {} → {}  ({change}; {gate})",
                m.metric.name(),
                format_metric(m.metric, base),
                format_metric(m.metric, new)
            );
            out.push_str(&if m.status == Status::Regressed && m.gated { style.red(&line) } else { line });
            out.push('\n');
        }
        for g in &b.sites_grew {
            let caller = g.caller.as_deref().map(|c| format!(", called from {}", printable(c))).unwrap_or_default();
            out.push_str(&style.red(&format!(
                "           allocates more: {} ({}{caller}): {} → {} allocs, {} → {}\n",
                printable(&g.function),
                location(g.file.as_deref(), g.line),
                format_count(g.base_alloc_objects),
                format_count(g.new_alloc_objects),
                format_bytes(g.base_alloc_space),
                format_bytes(g.new_alloc_space),
            )));
        }
        for g in &b.instructions_grew {
            out.push_str(&style.red(&format!(
                "           executes more: {}: {} → {} instructions of its own\n",
                printable(&g.function),
                format_count(g.base),
                format_count(g.new),
            )));
        }
        for g in &b.cpu_grew {
            out.push_str(&format!(
                "           cpu share      {} → {}  {}\n",
                format_change(g.base_share).trim_start_matches('+'),
                format_change(g.new_share).trim_start_matches('+'),
                printable(&g.function)
            ));
        }
    }
    out
}

/// `file:line`, the file cut to its last two components.
fn location(file: Option<&str>, line: Option<u32>) -> String {
    let file = file.map(|f| {
        let parts: Vec<&str> = f.rsplit('/').take(2).collect();
        parts.into_iter().rev().collect::<Vec<_>>().join("/")
    });
    match (file, line) {
        (Some(f), Some(l)) => format!("{}:{l}", printable(&f)),
        (Some(f), None) => printable(&f),
        _ => "unknown location".to_owned(),
    }
}

/// The top `n` allocation sites of each benchmark that has them.
pub fn render_sites(report: &Report, n: usize, style: Style) -> String {
    let mut out = String::new();
    for b in report.benchmarks.iter().filter(|b| !b.sites.is_empty()) {
        if out.is_empty() {
            out.push_str(&format!("\n{}\n", style.bold("where the allocations come from (per iteration)")));
        }
        out.push_str(&format!("{}\n", printable(&b.id)));
        for s in b.sites.iter().take(n) {
            let caller = s.caller.as_deref().map(|c| format!(" ← {}", printable(c))).unwrap_or_default();
            out.push_str(&format!(
                "  {:>8} {:>10}  {}{caller}  {}\n",
                format_count(s.alloc_objects),
                format_bytes(s.alloc_space),
                printable(&s.function),
                style.dim(&location(s.file.as_deref(), s.line)),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::heap::profile::AllocSite;
    use crate::render::markdown::tests::{compared_report, plain_report};

    const PLAIN: Style = Style { color: false };

    #[test]
    fn table_without_a_baseline() {
        insta::assert_snapshot!(render(&plain_report(), PLAIN));
    }

    #[test]
    fn table_with_a_comparison() {
        let report = compared_report();
        let mut out = render(&report, PLAIN);
        out.push_str(&render_comparison(report.comparison.as_ref().unwrap(), PLAIN));
        insta::assert_snapshot!(out);
    }

    #[test]
    fn sites_are_listed_compactly() {
        let mut report = plain_report();
        report.benchmarks[0].sites = vec![AllocSite {
            function: "serde_json::ser::to_vec".into(),
            file: Some("/home/u/.cargo/registry/src/serde_json-1.0/src/ser.rs".into()),
            line: Some(2217),
            caller: Some("json_fanout::Hub::notify_clients".into()),
            alloc_objects: 16.0,
            alloc_space: 2048.0,
            inuse_objects: 0.0,
            inuse_space: 0.0,
        }];
        insta::assert_snapshot!(render_sites(&report, 3, PLAIN));
    }

    #[test]
    fn escape_sequences_in_ids_never_reach_the_terminal() {
        let mut report = plain_report();
        report.benchmarks[0].id = "evil\u{1b}[2J\u{7}".into();
        let out = render(&report, PLAIN);
        assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out}");
        assert!(out.contains("evil\\u{1b}[2J\\u{7}"));
    }

    #[test]
    fn long_ids_are_cut_in_the_table() {
        let mut report = plain_report();
        report.benchmarks[0].id = "x".repeat(300);
        let out = render(&report, PLAIN);
        assert!(out.lines().all(|l| l.chars().count() < 140), "{out}");
        assert!(out.contains(&format!("{}…", "x".repeat(59))));
    }
}
