//! GitHub Actions workflow commands: an `::error` annotation per regressed benchmark and a
//! `::warning` per failed one, printed on stderr when the run is inside Actions
//! (`GITHUB_ACTIONS=true`): the runner reads workflow commands on both streams, and stdout keeps
//! the format `--format` chose.
//!
//! GitHub shows at most ten annotations of each kind per step, so at most [`MAX_ANNOTATIONS`]
//! of each are written, then one line saying how many more there are; the job summary and
//! `report.json` list them all.
//!
//! A workflow command is a line of output, so every piece of text that comes from the user or a
//! bench process (benchmark ids, error messages) is escaped by GitHub's rules: in the message
//! `%`, `\r` and `\n` are percent-encoded ([`escape_workflow_data`]), in property values `:` and
//! `,` too ([`escape_workflow_property`]). A benchmark named `a\n::error::pwned` then stays one
//! line and one annotation.
//!
//! The figures and changes are the [`View`]'s, as the other renderers show them, and so is what
//! grew ([`crate::render::grew`]). An allocation site that grew and lies in the checked-out
//! repository (`GITHUB_WORKSPACE`) gives its regression's annotation `file=` and `line=`, so
//! that it shows on the pull request's diff, at the line that allocates more.

use std::path::Path;

use crate::render::view::{ComparedBenchmark, ComparedMetric, View};

/// Annotations of each kind written at most, as GitHub displays at most ten per step.
pub const MAX_ANNOTATIONS: usize = 10;

/// The workflow command lines for the view, without line endings: `::error` for each regressed
/// benchmark, `::warning` for each failed one, each kind capped at [`MAX_ANNOTATIONS`] plus one
/// line that counts the rest; empty when nothing regressed or failed. `workspace` is the
/// checked-out repository, which annotation paths are relative to.
pub fn lay_out(view: &View, workspace: Option<&Path>) -> Vec<String> {
    let mut lines = Vec::new();

    if let Some(comparison) = &view.comparison {
        let regressed: Vec<_> = comparison.regressed().collect();
        for b in regressed.iter().take(MAX_ANNOTATIONS) {
            let names: Vec<&str> = b.failing().map(|m| m.name()).collect();
            let details: Vec<String> = b.failing().map(describe).collect();
            let title = format!("allocbench: {} regressed ({})", b.name, names.join(", "));
            let mut message = format!(
                "Benchmark `{}` regressed against baseline `{}`: {}",
                b.name,
                comparison.baseline,
                details.join("; ")
            );
            for g in &b.grew {
                message.push('\n');
                message.push_str(&g.text);
            }
            if let Some(files) = b.files_line() {
                message.push('\n');
                message.push_str(&files);
            }
            let place = place_in(b, workspace)
                .map(|(file, line)| format!("file={},line={line},", escape_workflow_property(&file)))
                .unwrap_or_default();
            lines.push(format!(
                "::error {place}title={}::{}",
                escape_workflow_property(&title),
                escape_workflow_data(&message)
            ));
        }
        lines.extend(the_rest("error", "regressed", regressed.len()));
    }

    let failed: Vec<_> = view.failed_rows().collect();
    for (row, b, error) in failed.iter().take(MAX_ANNOTATIONS) {
        let title = format!("allocbench: {} failed", row.name);
        let message = format!("Benchmark `{}` ({}/{}) failed: {error}", b.id, b.package, b.target);
        lines.push(format!("::warning title={}::{}", escape_workflow_property(&title), escape_workflow_data(&message)));
    }
    lines.extend(the_rest("warning", "failed", failed.len()));
    lines
}

/// The first allocation site that grew in `b` and lies in `workspace`: its path relative to
/// `workspace` (GitHub's annotations take such a path) and its line.
fn place_in(b: &ComparedBenchmark, workspace: Option<&Path>) -> Option<(String, u32)> {
    let workspace = workspace?;
    b.grew.iter().find_map(|g| {
        let relative = Path::new(g.file.as_deref()?).strip_prefix(workspace).ok()?;
        Some((relative.to_str()?.to_owned(), g.line?))
    })
}

/// Past [`MAX_ANNOTATIONS`] of `count` benchmarks that `what` (regressed, failed): one `level`
/// line that counts the rest.
fn the_rest(level: &str, what: &str, count: usize) -> Option<String> {
    let more = count.checked_sub(MAX_ANNOTATIONS).filter(|&more| more > 0)?;
    let benchmarks = if more == 1 { "benchmark" } else { "benchmarks" };
    let message = format!("{more} more {benchmarks} {what}; the job summary and report.json list them all");
    Some(format!("::{level}::{}", escape_workflow_data(&message)))
}

/// `alloc_objects 100 → 101 (+1.0%, limit 0)`.
fn describe(m: &ComparedMetric) -> String {
    format!("{} {} → {} ({}, limit {})", m.name(), m.base_or_dash(), m.new_or_dash(), m.change(), m.limit)
}

/// Escapes the message of a workflow command (after the second `::`): `%` → `%25`,
/// `\r` → `%0D`, `\n` → `%0A`, so the text stays on its command's line.
pub fn escape_workflow_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a property value of a workflow command (`title=…`): as [`escape_workflow_data`],
/// and `:` → `%3A`, `,` → `%2C`, so the value can neither end the properties nor start another.
pub fn escape_workflow_property(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures::{compared_report, marked_report, plain_report};
    use crate::report::Report;
    use allocbench_formats::comparison::Status;

    #[test]
    fn escaping_follows_githubs_rules() {
        let id = "a\n::error::pwned%0A";
        assert_eq!(escape_workflow_data(id), "a%0A::error::pwned%250A");
        assert_eq!(escape_workflow_property(id), "a%0A%3A%3Aerror%3A%3Apwned%250A");
        assert_eq!(escape_workflow_data("x\r\ny"), "x%0D%0Ay");
        assert_eq!(escape_workflow_property("a,b:c"), "a%2Cb%3Ac");
        assert_eq!(escape_workflow_data("a,b:c"), "a,b:c");
    }

    #[test]
    fn a_regression_is_an_error_with_its_figures() {
        let lines = annotations(&compared_report());
        assert_eq!(
            lines,
            vec![
                "::error title=allocbench%3A fanout/clients/100 regressed (alloc_objects%2C alloc_space%2C inuse_space)::\
                 Benchmark `fanout/clients/100` regressed against baseline `main`: alloc_objects 100 → 101 (+1.0%25, \
                 limit 0); alloc_space 6.25 KiB → 6.31 KiB (+1.0%25, limit 0); inuse_space 0 B → 64 B (+64 B, limit 0)"
            ]
        );
    }

    /// What the run prints outside a checked-out repository: no annotation has a place.
    fn annotations(report: &Report) -> Vec<String> {
        lay_out(&View::new(report), None)
    }

    #[test]
    fn annotations_with_marks_and_time_gated() {
        insta::assert_snapshot!(annotations(&marked_report()).join("\n"));
    }

    #[test]
    fn a_site_that_grew_in_the_repository_places_the_annotation_on_its_line() {
        let report = marked_report();
        let view = View::new(&report);
        let placed = lay_out(&view, Some(Path::new("/src")));
        let varies = placed.iter().find(|l| l.contains("varies regressed")).unwrap();
        assert!(
            varies.starts_with("::error file=varies/src/lib.rs,line=12,title=allocbench%3A varies regressed"),
            "{varies}"
        );
        assert!(
            varies.contains("%0Aallocates more: varies::grow (src/lib.rs:12, called from varies::run)"),
            "{varies}"
        );
        // Outside the repository (a dependency's source), no place: GitHub could not show it.
        let elsewhere = lay_out(&view, Some(Path::new("/work")));
        assert!(elsewhere.iter().all(|l| !l.contains("file=")), "{elsewhere:?}");
    }

    #[test]
    fn a_failed_benchmark_is_a_warning() {
        let lines = annotations(&plain_report());
        assert_eq!(
            lines,
            vec![
                "::warning title=allocbench%3A crash/segv failed::Benchmark `crash/segv` (fixture/benches) failed: \
                 killed by signal 11 (SIGSEGV)%0Alast line of stderr: <boom>"
            ]
        );
    }

    #[test]
    fn an_id_cannot_inject_a_command() {
        let mut report = compared_report();
        let evil = "a\n::error::pwned%0A,title=x:y\r\n::warning::also";
        for b in &mut report.benchmarks {
            if b.id == "fanout/clients/100" {
                b.id = evil.into();
            }
        }
        report.benchmarks[1].error = Some("boom\n::error file=x::injected".into());
        for c in report.comparison.as_mut().unwrap().benchmarks.iter_mut() {
            if c.id == "fanout/clients/100" {
                c.id = evil.into();
            }
        }
        let lines = annotations(&report);
        assert_eq!(lines.len(), 2);
        for line in &lines {
            assert!(!line.contains(['\n', '\r']), "{line}");
            // One command per line: its own `::` prefix, and the properties end at the first `::`.
            let (command, _) = line[2..].split_once("::").unwrap();
            assert!(command == "error title=allocbench%3A a%0A%3A%3Aerror%3A%3Apwned%250A%2Ctitle=x%3Ay%0D%0A%3A%3Awarning%3A%3Aalso regressed (alloc_objects%2C alloc_space%2C inuse_space)"
                || command.starts_with("warning title=allocbench%3A json/encode failed"), "{command}");
        }
        assert!(lines[0].contains("Benchmark `a%0A::error::pwned%250A,title=x:y%0D%0A::warning::also` regressed"));
        assert!(lines[1].ends_with("failed: boom%0A::error file=x::injected"), "{}", lines[1]);
    }

    #[test]
    fn at_most_ten_errors_then_a_count() {
        let mut report = compared_report();
        let comparison = report.comparison.as_mut().unwrap();
        let regressed = comparison.benchmarks.iter().find(|b| b.status == Status::Regressed).unwrap().clone();
        comparison.benchmarks = (0..13)
            .map(|k| {
                let mut b = regressed.clone();
                b.id = format!("bench/{k}");
                b
            })
            .collect();
        let lines = annotations(&report);
        assert_eq!(lines.len(), 11);
        assert!(lines[..10].iter().all(|l| l.starts_with("::error title=allocbench%3A bench/")));
        assert!(lines[9].contains("bench/9 regressed"));
        assert_eq!(lines[10], "::error::3 more benchmarks regressed; the job summary and report.json list them all");

        comparison_with(&mut report, 11);
        assert_eq!(
            annotations(&report)[10],
            "::error::1 more benchmark regressed; the job summary and report.json list them all"
        );
        comparison_with(&mut report, 10);
        assert_eq!(annotations(&report).len(), 10);
    }

    fn comparison_with(report: &mut Report, n: usize) {
        let comparison = report.comparison.as_mut().unwrap();
        comparison.benchmarks.truncate(n);
    }

    #[test]
    fn nothing_to_say_on_a_pass() {
        let mut report = compared_report();
        report.comparison.as_mut().unwrap().benchmarks.retain(|b| b.status != Status::Regressed);
        assert!(annotations(&report).is_empty());
    }
}
