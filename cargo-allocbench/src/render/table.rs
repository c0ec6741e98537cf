//! The terminal table: one row per benchmark, figures per iteration, and the comparison with a
//! baseline below it. It lays out the [`View`]: what is in a cell is the view's, the widths,
//! the `-` for a missing figure, the cut ids and the colors are the table's.

use crate::render::grew::location;
use crate::render::units::{format_bytes, format_count, printable};
use crate::render::view::{ComparedBenchmark, ComparisonView, Row, View};
use crate::report::Report;
use crate::ui::Style;
#[cfg(test)]
use allocbench_formats::comparison::Comparison;
use allocbench_formats::comparison::Status;
use allocbench_formats::key::{shared_ids, BenchmarkKey};

/// The widest the id column gets: `report.json` keeps the whole id.
const ID_WIDTH: usize = 60;

/// An id for the table: printable (a newline shows as `\n`, a tab as `\t`, so the id keeps to
/// one row), and over [`ID_WIDTH`] characters cut in the middle with `…`. The middle, because
/// ids share their start (a long group name) and differ at their end (function, parameter).
fn shown_id(id: &str) -> String {
    let id = printable(id);
    let n = id.chars().count();
    if n <= ID_WIDTH {
        return id;
    }
    let tail = ID_WIDTH / 2;
    let head = ID_WIDTH - tail - 1;
    let mut cut: String = id.chars().take(head).collect();
    cut.push('…');
    cut.extend(id.chars().skip(n - tail));
    cut
}

/// The rows' ids as the table shows them: cut by [`shown_id`], unless two cut ids would read the
/// same; those rows show their whole id, so that no two rows look alike.
fn shown_ids(rows: &[&Row]) -> Vec<String> {
    let cut: Vec<String> = rows.iter().map(|r| shown_id(&r.name)).collect();
    rows.iter()
        .zip(&cut)
        .map(|(r, c)| {
            let alike = cut.iter().zip(rows).any(|(other, o)| other == c && o.name != r.name);
            if alike {
                printable(&r.name)
            } else {
                c.clone()
            }
        })
        .collect()
}

/// A row's cells: the id as shown and a figure per column, or the id and the error of a failed
/// benchmark, which takes the rest of the line.
fn cells(row: &Row, id: String) -> Vec<String> {
    match row.error() {
        Some(e) => vec![id, format!("error: {}", printable(e))],
        None => std::iter::once(id).chain(row.cells.iter().map(|c| c.marked_or("-"))).collect(),
    }
}

#[cfg(test)]
/// Renders the table of `report`'s benchmarks.
pub fn render(report: &Report, style: Style) -> String {
    lay_out(&View::new(report), style)
}

/// Lays out the table of the view's benchmarks (those of the run).
pub fn lay_out(view: &View, style: Style) -> String {
    let headers: Vec<&str> = std::iter::once("benchmark").chain(view.columns.iter().map(|c| c.title())).collect();
    let run: Vec<&Row> = view.run().collect();
    let rows: Vec<Vec<String>> = run.iter().zip(shown_ids(&run)).map(|(r, id)| cells(r, id)).collect();
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
    for (cells, row) in rows.iter().zip(&run) {
        let text = line(cells);
        out.push_str(&if row.error().is_some() { style.red(&text) } else { text });
        out.push('\n');
    }
    for note in &view.footnotes {
        out.push_str(&style.dim(&format!("{note}\n")));
    }
    out
}

#[cfg(test)]
/// The comparison with a baseline: regressions first, each metric that moved as base → new.
pub fn render_comparison(c: &Comparison, style: Style) -> String {
    lay_out_comparison(&ComparisonView::new(c), style)
}

/// Lays out the comparison of the view: regressions first, each metric that moved as
/// base → new.
pub fn lay_out_comparison(c: &ComparisonView, style: Style) -> String {
    let mut out = format!("\n{}\n", style.bold(&format!("against baseline `{}`", printable(c.baseline))));
    let mut rows: Vec<&ComparedBenchmark> = c.benchmarks.iter().collect();
    rows.sort_by_key(|b| match b.status {
        Status::Regressed => 0,
        Status::Missing => 1,
        Status::New => 2,
        Status::Improved => 3,
        Status::Pass => 4,
    });
    for b in rows {
        // Padded before it is painted: the escape codes take no room on screen.
        let word = format!("{:>9}", b.status.name());
        let status = match b.status {
            Status::Regressed => style.red(&word),
            Status::Improved => style.green(&word),
            Status::New | Status::Missing => style.yellow(&word),
            Status::Pass => style.dim(&word),
        };
        out.push_str(&format!("{status}  {}\n", printable(&b.name)));
        for m in &b.metrics {
            let decided = m.status == Status::Regressed || m.status == Status::Improved;
            if !decided {
                continue;
            }
            let (Some(base), Some(new), Some(_)) = (&m.base, &m.new, &m.absolute) else { continue };
            // From zero there is no relative change: the difference says by how much, signed.
            let change = m.change();
            let gate = if m.gated { format!("limit {}", m.limit) } else { "not gated".to_owned() };
            let line = format!("           {:<14} {base} → {new}  ({change}; {gate})", m.name());
            out.push_str(&if m.fails() { style.red(&line) } else { line });
            out.push('\n');
        }
        for g in &b.grew {
            let line = format!("           {}\n", g.text);
            out.push_str(&if g.kind.explains_a_failure() { style.red(&line) } else { line });
        }
        if let (Status::Regressed, Some(files)) = (b.status, b.files_line()) {
            out.push_str(&style.dim(&format!("           {}", printable(&files))));
            out.push('\n');
        }
    }
    out
}

/// The top `n` allocation sites of each benchmark that has them.
pub fn render_sites(report: &Report, n: usize, style: Style) -> String {
    let keys: Vec<BenchmarkKey> = report.benchmarks.iter().map(|b| b.key()).collect();
    let shared = shared_ids(&keys);
    let mut out = String::new();
    for b in report.benchmarks.iter().filter(|b| !b.sites.is_empty()) {
        if out.is_empty() {
            out.push_str(&format!("\n{}\n", style.bold("where the allocations come from (per iteration)")));
        }
        out.push_str(&format!("{}\n", printable(&b.key().shown(&shared))));
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

/// The top `n` sites of each family of system calls of each benchmark that has them (the
/// allocation-site pass's interposers of libc's `read` and `write` families).
pub fn render_syscall_sites(report: &Report, n: usize, style: Style) -> String {
    use allocbench_formats::signals::SyscallFamily;
    let keys: Vec<BenchmarkKey> = report.benchmarks.iter().map(|b| b.key()).collect();
    let shared = shared_ids(&keys);
    let mut out = String::new();
    for b in report.benchmarks.iter().filter(|b| !b.syscall_sites.is_empty()) {
        if out.is_empty() {
            out.push_str(&format!("\n{}\n", style.bold("where the system calls come from (per iteration)")));
        }
        out.push_str(&format!("{}\n", printable(&b.key().shown(&shared))));
        for family in SyscallFamily::ALL {
            for s in b.syscall_sites.iter().filter(|s| s.family == family).take(n) {
                let caller = s.caller.as_deref().map(|c| format!(" ← {}", printable(c))).unwrap_or_default();
                out.push_str(&format!(
                    "  {:>8} {:<5} {:>10}  {}{caller}  {}\n",
                    format_count(s.calls),
                    family.name(),
                    format_bytes(s.bytes),
                    printable(&s.function),
                    style.dim(&location(s.file.as_deref(), s.line)),
                ));
            }
        }
    }
    out
}

/// The threads each benchmark left running, as the runtime signals' probe named them at its end
/// (`report.json`'s `signals.left_running`): how many, and each named one with its state, the
/// kernel function it waits in and, after the allocation-site pass, where it was started.
pub fn render_threads_left(report: &Report, style: Style) -> String {
    let keys: Vec<BenchmarkKey> = report.benchmarks.iter().map(|b| b.key()).collect();
    let shared = shared_ids(&keys);
    let mut out = String::new();
    for b in &report.benchmarks {
        let Some(left) = b.probes.as_ref().and_then(|s| s.left_running.as_ref()) else { continue };
        if out.is_empty() {
            out.push_str(&format!("\n{}\n", style.bold("threads left running (at the benchmark's end)")));
        }
        out.push_str(&format!("{}: {}\n", printable(&b.key().shown(&shared)), format_count(left.count as f64)));
        for t in &left.threads {
            let how =
                [printable(&t.state), printable(&t.wchan)].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>();
            let at = t
                .spawned_at
                .first()
                .map(|f| {
                    format!(
                        "  started in {}  {}",
                        printable(&f.function),
                        style.dim(&location(f.file.as_deref(), f.line))
                    )
                })
                .unwrap_or_default();
            out.push_str(&format!("  {} ({}){at}\n", printable(&t.name), how.join(", ")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::heap::profile::AllocSite;
    use crate::render::fixtures::{compared_report, empty_report, marked_report, plain_report};

    const PLAIN: Style = Style { color: false };

    /// Each family's sites under their benchmark, with calls, bytes and place; nothing without.
    #[test]
    fn syscall_sites_are_listed_per_benchmark() {
        use allocbench_formats::signals::{SyscallFamily, SyscallSite};
        let mut report = plain_report();
        assert_eq!(render_syscall_sites(&report, 3, PLAIN), "");
        let b = &mut report.benchmarks[0];
        let id = b.id.clone();
        b.syscall_sites = vec![
            SyscallSite {
                family: SyscallFamily::Read,
                function: "app::load".into(),
                file: Some("/r/app/src/lib.rs".into()),
                line: Some(7),
                caller: None,
                calls: 2.0,
                bytes: 100.0,
            },
            SyscallSite {
                family: SyscallFamily::Write,
                function: "std::io::stdio::_print".into(),
                file: None,
                line: None,
                caller: Some("app::report".into()),
                calls: 100.0,
                bytes: 7890.0,
            },
        ];
        let out = render_syscall_sites(&report, 3, PLAIN);
        assert_eq!(
            out,
            format!(
                "\nwhere the system calls come from (per iteration)\n{id}\n         2 read       100 B  app::load  src/lib.rs:7\n       100 write   7.71 KiB  std::io::stdio::_print ← app::report  unknown location\n"
            )
        );
    }

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

    /// The table and the comparison as one string, as `cargo allocbench` prints them.
    fn table_and_comparison(report: &Report, style: Style) -> String {
        let mut out = render(report, style);
        if let Some(c) = &report.comparison {
            out.push_str(&render_comparison(c, style));
        }
        out
    }

    #[test]
    fn table_with_marks_and_instructions() {
        insta::assert_snapshot!(table_and_comparison(&marked_report(), PLAIN));
    }

    #[test]
    fn table_in_color() {
        let color = Style { color: true };
        let out = table_and_comparison(&compared_report(), color)
            + &table_and_comparison(&marked_report(), color)
            + &table_and_comparison(&plain_report(), color);
        insta::assert_snapshot!(out);
    }

    #[test]
    fn table_of_an_empty_run() {
        insta::assert_snapshot!(render(&empty_report(), PLAIN));
    }

    #[test]
    fn threads_left_running_are_listed_with_where_they_started() {
        use allocbench_formats::record::FrameRecord;
        use allocbench_formats::report::ProbeFigures;
        use allocbench_formats::signals::{ThreadLeft, ThreadsLeft};
        let mut report = plain_report();
        let thread = |spawned_at: Vec<FrameRecord>| ThreadLeft {
            name: "connection".into(),
            state: "S".into(),
            wchan: "futex_do_wait".into(),
            spawned_at,
        };
        let at = FrameRecord {
            function: "srv::Connection::open".into(),
            file: Some("/r/src/lib.rs".into()),
            line: Some(128),
        };
        report.benchmarks[0].probes = Some(ProbeFigures {
            left_running: Some(ThreadsLeft { count: 58, threads: vec![thread(vec![at]), thread(Vec::new())] }),
            ..ProbeFigures::default()
        });
        let id = printable(&report.benchmarks[0].id);
        assert_eq!(
            render_threads_left(&report, PLAIN),
            format!(
                "\nthreads left running (at the benchmark's end)\n{id}: 58\n  connection (S, futex_do_wait)  started in srv::Connection::open  src/lib.rs:128\n  connection (S, futex_do_wait)\n"
            )
        );
        assert_eq!(render_threads_left(&plain_report(), PLAIN), "", "none left, nothing said");
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
        report.benchmarks[0].id = format!("{}/end", "x".repeat(300));
        let out = render(&report, PLAIN);
        assert!(out.lines().all(|l| l.chars().count() < 140), "{out}");
        assert!(out.contains(&format!("{}…{}/end ", "x".repeat(29), "x".repeat(26))), "{out}");
    }

    #[test]
    fn ids_with_newlines_keep_to_one_row_and_rows_never_look_alike() {
        let mut report = plain_report();
        let group = format!("multi\nline\t✓ {}", "q".repeat(80));
        report.benchmarks[0].id = format!("{group}/small");
        report.benchmarks[1].id = format!("{group}/large");
        let (p, q) = ("p".repeat(40), "q".repeat(40));
        report.benchmarks[2].id = format!("{p}/a/{q}");
        report.benchmarks[3].id = format!("{p}/b/{q}");
        let out = render(&report, PLAIN);
        assert_eq!(out.lines().count(), render(&plain_report(), PLAIN).lines().count(), "{out}");
        let shown: Vec<&str> = out.lines().skip(1).map(|l| l.split("  ").next().unwrap()).collect();
        assert!(shown[0].starts_with("multi\\nline\\t✓ q") && shown[0].ends_with("q/small"), "{out}");
        assert!(shown[1].ends_with("q/large") && shown[0].chars().count() == 60, "{out}");
        // Cut, these two would both read `ppp…qqq`: they are shown whole.
        assert_eq!(shown[2], report.benchmarks[2].id);
        assert_eq!(shown[3], report.benchmarks[3].id);
    }
}
