//! `report.html`: the report as one self-contained page, written beside `report.json`.
//!
//! The page holds the verdict, a table of every benchmark with its figures per iteration (and,
//! with a baseline, base → new and the change of each figure that moved, with the status of each
//! benchmark: regressions first and highlighted, then failed benchmarks, then the rest in the
//! run's order, then those only the baseline has), links to each benchmark's flame graphs and
//! profiles, and the environment. When the instruction pass ran (`--instructions`) the table has
//! an `instr/iter` column too, each benchmark lists the functions that execute the most
//! instructions of their own, and a regressed one the functions that execute more than in the
//! baseline; without it the page is as it was before the pass existed.
//!
//! It loads nothing: the CSS is inline, there is no script, no font and no image, and a
//! Content-Security-Policy of `default-src 'none'` makes a browser refuse anything else. Links to
//! artifacts are relative to the output folder, where the page is written, so the folder can be
//! moved or uploaded as a CI artifact whole. Every piece of text from the user or a bench
//! process (ids, errors, function names, the environment) goes through [`escape_html`].
//!
//! The page lays out the [`View`]: the columns, figures, changes and words are the view's; the
//! order of the rows (regressions first), the links and the markup are the page's.

use std::fmt::Write as _;

use crate::render::units::format_count;
use crate::render::view::{Cell, ColumnView, ComparedBenchmark, ComparedMetric, Row, RowStatus, View, DASH};
#[cfg(test)]
use crate::report::Report;
use allocbench_formats::comparison::Status;

/// Functions by self instructions, shown per benchmark; `report.json` has all.
const TOP_INSTRUCTIONS_SHOWN: usize = 3;

const STYLE: &str = r#"
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --line: #d1d9e0;
  --head: #f6f8fa; --bad: #cf222e; --bad-bg: #ffebe9; --warn: #9a6700; --warn-bg: #fff8c5;
  --good: #1a7f37; --good-bg: #dafbe1; --link: #0969da; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --line: #3d444d; --head: #151b23;
    --bad: #ff7b72; --bad-bg: #2d1417; --warn: #d29922; --warn-bg: #2b2111; --good: #3fb950;
    --good-bg: #12261e; --link: #4493f8; }
}
* { box-sizing: border-box; }
body { margin: 0 auto; padding: 24px; max-width: 1400px; color: var(--fg); background: var(--bg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 22px; margin: 0 0 8px; display: flex; align-items: center; gap: 10px; }
h2 { font-size: 16px; margin: 28px 0 8px; }
code, .id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
a { color: var(--link); }
.badge { font-size: 13px; font-weight: 600; padding: 2px 10px; border-radius: 12px; color: #fff; }
.badge.pass { background: var(--good); } .badge.regressed { background: var(--bad); }
.badge.error { background: var(--warn); }
.summary { margin: 4px 0; }
.warnings { margin: 8px 0; padding: 8px 12px; border-left: 4px solid var(--warn); background: var(--warn-bg); }
.warnings p { margin: 2px 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 10px; vertical-align: top; text-align: left; }
th { background: var(--head); position: sticky; top: 0; font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.regressed td { background: var(--bad-bg); }
tr.regressed td:first-child { border-left: 4px solid var(--bad); }
tr.failed td { background: var(--warn-bg); }
tr.failed td:first-child { border-left: 4px solid var(--warn); }
td.bench { min-width: 20em; }
.id { font-weight: 600; overflow-wrap: anywhere; }
.where, .delta, .note, .base { color: var(--muted); font-size: 12px; }
.delta.up { color: var(--bad); font-weight: 600; } .delta.down { color: var(--good); }
.delta.slower { color: var(--warn); }
td.moved .value { font-weight: 600; }
ul.why { margin: 4px 0 0; padding-left: 18px; font-size: 12px; }
ul.grew { margin: 4px 0 0; padding-left: 18px; font-size: 12px; overflow-wrap: anywhere; }
ul.grew li.fails { color: var(--bad); } ul.grew li.note { color: var(--muted); }
.failure { color: var(--warn); font-size: 12px; overflow-wrap: anywhere; }
.status { font-weight: 600; white-space: nowrap; }
.status.regressed { color: var(--bad); } .status.improved { color: var(--good); }
.status.failed { color: var(--warn); } .status.new, .status.missing, .status.pass { color: var(--muted); }
td.links { min-width: 9em; max-width: 18em; }
.links a { display: block; white-space: nowrap; }
td code { overflow-wrap: anywhere; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 0; }
dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
footer { margin-top: 28px; color: var(--muted); font-size: 12px; }
"#;

#[cfg(test)]
/// Renders `report` as a self-contained HTML page.
pub fn render(report: &Report) -> String {
    lay_out(&View::new(report))
}

/// Lays out the view as a self-contained HTML page.
pub fn lay_out(view: &View) -> String {
    let mut out = String::with_capacity(8192);
    let word = view.verdict.name();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>allocbench: {word}</title>");
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");

    let _ = writeln!(out, "<h1>allocbench <span class=\"badge {word}\">{word}</span></h1>");
    render_summary(&mut out, view);
    out.push_str("<h2>Benchmarks</h2>\n");
    render_table(&mut out, view);
    render_warnings(&mut out, view);
    render_environment(&mut out, view);
    out.push_str(&footer(&view.columns));
    out.push_str("</body>\n</html>\n");
    out
}

/// The footer: what the figures are and what the columns' titles stand for, from the metric
/// table's legends; those of the columns that always stand in one sentence, each of the others
/// in its own, after them, when it stands.
fn footer(columns: &[ColumnView]) -> String {
    let always: Vec<&str> = columns.iter().filter(|c| c.column.always).filter_map(|c| c.column.legend).collect();
    let mut out = format!("<footer>Figures are per iteration of the benchmark's routine. {}.", always.join(", "));
    for legend in columns.iter().filter(|c| !c.column.always).filter_map(|c| c.column.legend) {
        let _ = write!(out, " {legend}.");
    }
    out.push_str(" Links are relative to this page's folder.</footer>\n");
    out
}

fn render_summary(out: &mut String, view: &View) {
    let _ = writeln!(out, "<p class=\"summary\">{}.</p>", escape_html(&view.measured));
    let Some(comparison) = &view.comparison else { return };
    let _ = writeln!(out, "<p class=\"summary\">{}.</p>", escape_with_code(&comparison.summary));
    if !comparison.warnings.is_empty() {
        out.push_str("<div class=\"warnings\">\n");
        for w in comparison.warnings {
            let _ = writeln!(out, "<p>{}</p>", escape_with_code(w));
        }
        out.push_str("</div>\n");
    }
}

/// What the run warned about while it measured; nothing when there was nothing.
fn render_warnings(out: &mut String, view: &View) {
    if view.warnings.is_empty() {
        return;
    }
    out.push_str("<h2>Warnings</h2>\n<div class=\"warnings\">\n");
    for w in view.warnings {
        let _ = writeln!(out, "<p>{}</p>", escape_with_code(w));
    }
    out.push_str("</div>\n");
}

/// Regressions first, then failed benchmarks, then the rest; missing ones last.
fn rank(row: &Row) -> u8 {
    match (row.benchmark, row.status) {
        (_, RowStatus::Failed) => 1,
        (_, RowStatus::Compared(Status::Regressed)) => 0,
        (None, _) => 3,
        _ => 2,
    }
}

fn render_table(out: &mut String, view: &View) {
    let mut rows: Vec<&Row> = view.rows.iter().collect();
    rows.sort_by_key(|r| rank(r));

    if rows.is_empty() {
        out.push_str("<p>No benchmark was measured.</p>\n");
        return;
    }
    out.push_str("<table>\n<thead><tr><th>benchmark</th><th>status</th>");
    for column in &view.columns {
        let _ = write!(out, "<th class=\"num\" title=\"{}\">{}</th>", escape_html(&column.help()), column.title());
    }
    out.push_str("<th>artifacts</th></tr></thead>\n<tbody>\n");
    for row in rows {
        render_row(out, row, view.compared(row));
    }
    out.push_str("</tbody>\n</table>\n");
    for note in &view.footnotes {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape_html(note));
    }
}

fn render_row(out: &mut String, row: &Row, compared: Option<&ComparedBenchmark>) {
    let status = row.status.word();
    // A row with no status against a baseline gets no class of its own.
    let class = match row.status {
        RowStatus::Measured => "",
        _ => status,
    };
    if class.is_empty() {
        out.push_str("<tr>");
    } else {
        let _ = write!(out, "<tr class=\"{class}\">");
    }

    // The benchmark: id, where it comes from, why it regressed or failed.
    let _ = write!(out, "<td class=\"bench\"><div class=\"id\">{}</div>", escape_html(&row.name));
    if let Some(b) = row.benchmark {
        let _ = write!(out, "<div class=\"where\">{} · {}</div>", escape_html(&b.package), escape_html(&b.target));
    }
    if let Some(error) = row.error() {
        let lines: Vec<String> = error.lines().map(escape_with_code).collect();
        let _ = write!(out, "<div class=\"failure\">{}</div>", lines.join("<br>"));
    }
    if let Some(c) = compared.filter(|c| c.status == Status::Regressed) {
        out.push_str("<ul class=\"why\">");
        for m in c.failing() {
            let _ = write!(
                out,
                "<li>{}: {} → {} ({}), limit {}</li>",
                m.name(),
                m.base_or_dash(),
                m.new_or_dash(),
                change_text(m),
                escape_html(m.limit)
            );
        }
        out.push_str("</ul>");
    }
    // What grew, in the terminal's words: sites, functions, CPU shares, whichever passes ran.
    if let Some(c) = compared.filter(|c| !c.grew.is_empty()) {
        out.push_str("<ul class=\"grew\">");
        for g in &c.grew {
            let class = if g.kind.explains_a_failure() { "fails" } else { "note" };
            let _ = write!(out, "<li class=\"{class}\">{}</li>", escape_html(&g.text));
        }
        out.push_str("</ul>");
    }
    out.push_str("</td>");

    let _ = write!(out, "<td><span class=\"status {class}\">{status}</span></td>");

    for cell in &row.cells {
        render_cell(out, cell);
    }

    out.push_str("<td class=\"links\">");
    if let Some(b) = row.benchmark {
        for (kind, path) in b.artifacts.each() {
            let (label, help) = (kind.label(), escape_html(kind.help()));
            match href(path) {
                Some(href) => {
                    let _ = write!(out, "<a href=\"{href}\" title=\"{help}\">{label}</a> ");
                }
                None => {
                    let _ = write!(out, "<span class=\"note\">{label}: {}</span> ", escape_html(path));
                }
            }
        }
        if let Some(top) = b.cpu.as_ref().and_then(|cpu| cpu.top.first()) {
            let _ = write!(
                out,
                "<div class=\"note\">hottest: <code>{}</code> {:.1}% of {} samples</div>",
                escape_html(&top.function),
                top.self_fraction * 100.0,
                b.cpu.as_ref().map_or(0, |cpu| cpu.samples)
            );
        }
        if let Some(i) = b.instructions.as_ref().filter(|i| !i.functions.is_empty()) {
            out.push_str("<div class=\"note\">most instructions of its own:</div><ul class=\"why\">");
            for f in i.functions.iter().take(TOP_INSTRUCTIONS_SHOWN) {
                let _ = write!(
                    out,
                    "<li><code>{}</code> {}</li>",
                    escape_html(&f.function),
                    format_count(f.self_instructions)
                );
            }
            out.push_str("</ul>");
        }
    }
    out.push_str("</td></tr>\n");
}

/// One figure after its mark (`~`, `≈`, explained below the table): the new value; with a
/// comparison where it moved, the base → new and the change.
fn render_cell(out: &mut String, cell: &Cell) {
    let value = cell.marked_or(DASH);
    let Some(m) = cell.change.as_ref().filter(|m| m.moved) else {
        let _ = write!(out, "<td class=\"num\"><span class=\"value\">{value}</span></td>");
        return;
    };
    let direction = match (m.status, m.gated) {
        (Status::Regressed, true) => "up",
        (Status::Regressed, false) => "slower", // not gated: amber, whatever the metric
        (Status::Improved, _) => "down",
        _ => "same",
    };
    let title = format!("{}: {} → {}, limit {}", m.name(), m.base_or_dash(), m.new_or_dash(), m.limit);
    let _ = write!(
        out,
        "<td class=\"num moved\" title=\"{}\"><span class=\"base\">{}</span> → <span class=\"value\">{value}</span><br><span class=\"delta {direction}\">{}</span></td>",
        escape_html(&title),
        m.base_or_dash(),
        change_text(m),
    );
}

/// `+1.0%`, or the absolute difference when the base is 0; with the p-value for time.
fn change_text(m: &ComparedMetric) -> String {
    match &m.p {
        Some(p) => format!("{}, {}", escape_html(m.change()), escape_html(p)),
        None => escape_html(m.change()),
    }
}

fn render_environment(out: &mut String, view: &View) {
    out.push_str("<h2>Environment</h2>\n<dl>\n");
    for fact in view.environment.iter().filter(|f| !f.value.is_empty()) {
        let _ = writeln!(out, "<dt>{}</dt><dd><code>{}</code></dd>", fact.label, escape_html(fact.value));
    }
    if let Some(c) = &view.comparison {
        let _ = writeln!(out, "<dt>baseline</dt><dd><code>{}</code></dd>", escape_html(c.baseline));
    }
    out.push_str("</dl>\n");
}

/// A relative path from the report as a link target: every byte outside `A-Z a-z 0-9 - . _ ~ /`
/// percent-encoded, so that no `:` can start a scheme (`javascript:`) and no `#` or `?` cuts
/// the path. Absolute paths (`/…`, `\…`, which could name another host as `//host`) are not
/// linked.
fn href(path: &str) -> Option<String> {
    if path.is_empty() || path.starts_with(['/', '\\']) {
        return None;
    }
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    Some(out)
}

/// Escapes text for HTML content and quoted attribute values: `& < > " '` become entities;
/// control characters and the invisible bidirectional overrides (which can make text read
/// differently from what it is) are shown escaped, as `\u{1b}`, `\n`, `\u{202e}`.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() || is_bidi_control(c) => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// Escapes prose that holds `code spans` of our own making, as [`escape_html`] does, showing the
/// spans as `<code>`. With unbalanced backticks the backticks are kept as text.
fn escape_with_code(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len() % 2 == 0 {
        return escape_html(text);
    }
    let mut out = String::with_capacity(text.len());
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 0 {
            out.push_str(&escape_html(part));
        } else {
            let _ = write!(out, "<code>{}</code>", escape_html(part));
        }
    }
    out
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures::{
        empty_report, instructions_report, marked_report, plain_report, report_with_artifacts,
    };

    #[test]
    fn html_with_a_comparison() {
        insta::assert_snapshot!(render(&report_with_artifacts()));
    }

    #[test]
    fn html_with_instructions() {
        insta::assert_snapshot!(render(&instructions_report()));
    }

    #[test]
    fn html_with_marks_and_time_gated() {
        insta::assert_snapshot!(render(&marked_report()));
    }

    #[test]
    fn html_without_a_comparison() {
        insta::assert_snapshot!(render(&plain_report()));
    }

    #[test]
    fn html_of_an_empty_run() {
        insta::assert_snapshot!(render(&empty_report()));
    }

    #[test]
    fn instructions_are_shown_only_when_counted() {
        for report in [report_with_artifacts(), plain_report()] {
            let page = render(&report);
            // No column, no legend (the warnings may speak of instructions).
            assert!(!page.contains("instr/iter") && !page.contains("instr ="), "{page}");
        }
        let page = render(&instructions_report());
        let count = |needle: &str| page.matches(needle).count();
        // One heading, then a cell per row: five benchmarks and the missing one, six figures each.
        assert_eq!(count(">instr/iter</th>"), 1, "{page}");
        assert_eq!(count("<tr"), 7, "{page}");
        assert_eq!(count("<td class=\"num"), 6 * 6, "{page}");
        assert!(page.contains("<th class=\"num\" title=\"peak_space: most bytes live at once above the level at the start\">peak</th><th class=\"num\" title=\"instructions: instructions executed per iteration (callgrind&#39;s Ir)\">instr/iter</th><th>artifacts</th>"), "{page}");
        assert!(page.contains(" instr = instructions, counted by valgrind"), "{page}");
    }

    #[test]
    fn regressed_instructions_show_base_new_and_the_functions() {
        let page = render(&instructions_report());
        // Why it regressed, as a count, not bytes or time.
        assert!(page.contains("<li>instructions: 10000 → 10500 (+5.0%), limit 1%</li>"), "{page}");
        // The cell: base → new and the change.
        assert!(page.contains("<span class=\"base\">10000</span> → <span class=\"value\">10500</span><br><span class=\"delta up\">+5.0%</span>"), "{page}");
        // Samples that disagreed: marked.
        assert!(page.contains("<span class=\"value\">≈2004.5</span>"), "{page}");
        // Counted in this run only: no base.
        assert!(page.contains("<td class=\"num\"><span class=\"value\">900</span></td>"), "{page}");
        // The functions that grew, escaped, most growth first; the baseline's unchanged one not.
        let grew = "<ul class=\"grew\"><li class=\"fails\">executes more: core::ptr::drop_in_place&lt;alloc::vec::Vec&lt;u8&gt;&gt;: 0 → 1460 instructions of its own</li><li class=\"fails\">executes more: &lt;&amp;mut T as Trait&gt;::f: 5500 → 6000 instructions of its own</li><li class=\"fails\">executes more: alloc::vec::Vec&lt;T,A&gt;::push: 0 → 40 instructions of its own</li></ul>";
        assert!(page.contains(grew), "{page}");
        assert_eq!(page.matches("<ul class=\"grew\">").count(), 1, "{page}");
        // The top functions by self instructions, a few, escaped.
        assert!(page.contains("<div class=\"note\">most instructions of its own:</div><ul class=\"why\"><li><code>&lt;&amp;mut T as Trait&gt;::f</code> 6000</li><li><code>fanout::send</code> 3000</li><li><code>core::ptr::drop_in_place&lt;alloc::vec::Vec&lt;u8&gt;&gt;</code> 1460</li></ul>"), "{page}");
        assert!(!page.contains("alloc::vec::Vec<"), "{page}");
        assert!(!page.contains("<&mut"), "{page}");
    }

    #[test]
    fn regressions_come_first_and_missing_last() {
        let page = render(&report_with_artifacts());
        let at = |needle: &str| page.find(needle).unwrap_or_else(|| panic!("{needle} not in page"));
        assert!(at("<tr class=\"regressed\">") < at(">json/encode<"));
        assert!(at(">fanout/clients/100<") < at(">json/encode<"));
        assert!(at(">json/encode<") < at(">old/removed<"));
        assert!(page.contains("<li>alloc_objects: 100 → 101 (+1.0%), limit 0</li>"), "{page}");
    }

    #[test]
    fn a_failed_benchmark_shows_its_error() {
        let page = render(&plain_report());
        assert!(page.contains("<tr class=\"failed\">"));
        assert!(page.contains("killed by signal 11 (SIGSEGV)<br>last line of stderr: &lt;boom&gt;"), "{page}");
        assert!(page.contains("<span class=\"badge error\">error</span>"));
    }

    /// A badge keeps its white text: no rule for a verdict's word alone (`.error { color: … }`)
    /// comes after `.badge`'s and paints the text in the badge's own colour.
    #[test]
    fn no_rule_repaints_a_badges_text() {
        let page = render(&plain_report());
        let css = &page[page.find("<style>").unwrap()..page.find("</style>").unwrap()];
        use crate::report::Verdict;
        for word in [Verdict::Pass, Verdict::Regressed, Verdict::Error].map(|v| v.name()) {
            let alone = format!(".{word} {{");
            let rule = css.lines().find(|l| l.starts_with(&alone) || l.contains(&format!("}} {alone}")));
            assert!(rule.is_none_or(|r| !r.contains("color")), "{word}: {rule:?}");
        }
    }

    #[test]
    fn a_malicious_id_is_escaped() {
        let evil = "<script>alert(\"x\")</script>&'\u{1b}[31m\u{202e}\n<img src=x onerror=alert(1)>";
        let mut report = plain_report();
        report.benchmarks[0].id = evil.to_string();
        report.benchmarks[0].package = "<b>pkg</b>".into();
        report.benchmarks[0].artifacts.flamegraph = Some("javascript:alert(1)\"><script>".into());
        report.benchmarks[0].artifacts.cpu_profile = Some("//evil.example/x".into());
        report.environment.rustc = "</code><script>".into();
        let page = render(&report);
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("<b>pkg"), "{page}");
        assert!(!page.contains('\u{1b}') && !page.contains('\u{202e}'));
        assert!(page.contains(
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;\\u{1b}[31m\\u{202e}\\n&lt;img src=x onerror=alert(1)&gt;"
        ));
        // The scheme's colon is encoded: a relative path, not a `javascript:` URL.
        assert!(page.contains("href=\"javascript%3Aalert%281%29%22%3E%3Cscript%3E\""), "{page}");
        assert!(!page.contains("href=\"//"), "{page}");
        assert_eq!(escape_html("a&b<c>\"'"), "a&amp;b&lt;c&gt;&quot;&#39;");
        assert_eq!(escape_html("fanout/clients/100 ünï"), "fanout/clients/100 ünï");
    }

    #[test]
    fn the_page_loads_nothing_from_the_network() {
        for report in [report_with_artifacts(), plain_report()] {
            let page = render(&report);
            let lower = page.to_ascii_lowercase();
            for needle in ["http://", "https://", "//", "<script", "<link", "<img", "@import", "url(", "<iframe"] {
                // `//` may appear only in the CSP-free prose; there is none, so any is a URL.
                assert!(!lower.contains(needle), "`{needle}` in the page");
            }
            assert!(page.contains("content=\"default-src 'none'; style-src 'unsafe-inline'\""));
        }
    }

    #[test]
    fn code_spans_in_prose() {
        assert_eq!(escape_with_code("against `ma<in>` & more"), "against <code>ma&lt;in&gt;</code> &amp; more");
        assert_eq!(escape_with_code("odd ` <tick>"), "odd ` &lt;tick&gt;");
    }

    /// Every kind of file a benchmark can have is linked, with how to open it.
    #[test]
    fn every_artifact_kind_is_linked() {
        use allocbench_formats::report::{ArtifactKind, Artifacts};
        let mut report = plain_report();
        let path = |name: &str| Some(format!("b/{name}"));
        report.benchmarks[0].artifacts = Artifacts {
            flamegraph: path("flamegraph.svg"),
            cpu_profile: path("cpu.pb.gz"),
            heap_profile: path("heap.pb.gz"),
            alloc_flamegraph: path("alloc-flamegraph.svg"),
            cpu_diff_flamegraph: path("flamegraph-diff.svg"),
            instructions_flamegraph: path("instructions-flamegraph.svg"),
            instructions_diff_flamegraph: path("instructions-flamegraph-diff.svg"),
            heap_base_profile: path("heap-base.pb.gz"),
        };
        assert_eq!(report.benchmarks[0].artifacts.each().count(), ArtifactKind::ALL.len());
        let page = render(&report);
        for kind in ArtifactKind::ALL {
            assert!(page.contains(&format!(">{}</a>", kind.label())), "{kind:?}");
        }
        assert!(page.contains("go tool pprof -http=: -diff_base heap-base.pb.gz heap.pb.gz"), "{page}");
    }

    #[test]
    fn links_are_relative_and_percent_encoded() {
        assert_eq!(href("benchmarks/a-01/flamegraph.svg").as_deref(), Some("benchmarks/a-01/flamegraph.svg"));
        assert_eq!(href("benchmarks/a b#c?.svg").as_deref(), Some("benchmarks/a%20b%23c%3F.svg"));
        assert_eq!(href("/etc/passwd"), None);
        assert_eq!(href("//host/x"), None);
        assert_eq!(href("\\\\host\\x"), None);
        assert_eq!(href(""), None);
    }
}
