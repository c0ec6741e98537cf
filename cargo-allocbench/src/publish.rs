//! What a finished report becomes, the same for a run and for `cargo allocbench merge`:
//! `report.json`, `report.html` and `summary.md` in the output folder, the exports, the job
//! summary and annotations under GitHub Actions, and stdout in the chosen format.
//!
//! A shard's report (`--partition`) writes its files but no job summary and no annotations: the
//! merge of all shards writes them once, so that a job matrix shows one summary and at most ten
//! annotations.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::atomic::write_atomic;
use crate::plan::Format;
use crate::render::export::{self, ExportFormat};
use crate::render::view::View;
use crate::render::{github, html, markdown, table};
use crate::report::Report;
use crate::ui::Style;

/// Where and how a report is published.
pub struct Outputs<'a> {
    pub out_dir: &'a Path,
    pub format: Format,
    pub exports: &'a [(ExportFormat, PathBuf)],
    pub style: Style,
}

/// Writes and prints `report`; returns the path of `report.json`.
pub fn publish(report: &Report, outputs: &Outputs) -> Result<PathBuf> {
    let report_path = outputs.out_dir.join("report.json");
    write_atomic(&report_path, &serde_json::to_vec_pretty(report)?)?;
    // Worked out once; every renderer lays out the same view.
    let view = View::new(report);
    write_atomic(&outputs.out_dir.join("report.html"), html::lay_out(&view).as_bytes())?;
    for (format, path) in outputs.exports {
        export::write(report, *format, path)?;
    }
    let markdown = markdown::lay_out(&view);
    // For a pull-request comment (the action's `comment` input), which posts it as a file.
    write_atomic(&outputs.out_dir.join("summary.md"), markdown.as_bytes())?;
    let shard = report.partition.is_some();
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty() && !shard) {
        append(Path::new(&summary), &markdown)?;
    }
    if in_github_actions() && !shard {
        // On stderr: the runner reads workflow commands there too, and stdout keeps its format.
        let workspace = std::env::var_os("GITHUB_WORKSPACE");
        for line in github::lay_out(&view, workspace.as_deref().map(Path::new)) {
            eprintln!("{line}");
        }
    }
    match outputs.format {
        Format::Table => {
            print!("{}", table::lay_out(&view, outputs.style));
            print!("{}", table::render_sites(report, 3, outputs.style));
            print!("{}", table::render_syscall_sites(report, 3, outputs.style));
            print!("{}", table::render_threads_left(report, outputs.style));
            if let Some(c) = &view.comparison {
                print!("{}", table::lay_out_comparison(c, outputs.style));
            }
        }
        Format::Json => println!("{}", serde_json::to_string_pretty(report)?),
        Format::Markdown => print!("{markdown}"),
    }
    Ok(report_path)
}

/// Running as a GitHub Actions step.
pub fn in_github_actions() -> bool {
    std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true")
}

/// Appends `text` to a file (`$GITHUB_STEP_SUMMARY`).
fn append(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open `{}` (GITHUB_STEP_SUMMARY)", path.display()))?;
    f.write_all(text.as_bytes()).with_context(|| format!("cannot write `{}`", path.display()))
}
