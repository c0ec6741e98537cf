//! Criterion's `--list` over the selected bench targets: what `cargo allocbench --list` prints,
//! and the count behind the error of a run that measured nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use allocbench_formats::Mode;

use crate::cargo::discover::BenchTarget;
use crate::exec::run::{self, RunError, RunFiles, RunSpec};
use crate::render::units::count_of;

/// Each target's benchmark ids that `filter` selects, from criterion's `--list`, in target order.
pub fn listed(
    targets: &[BenchTarget],
    executables: &[PathBuf],
    filter: Option<&str>,
    timeout: Duration,
    out_dir: &Path,
) -> Result<Vec<Vec<String>>, RunError> {
    let spec = RunSpec {
        pass: Mode::AllocsOnly,
        filter: filter.map(str::to_owned),
        criterion_args: Vec::new(),
        env: Vec::new(),
        counting_times: None,
        timeout,
        verbose: false,
        wrapper: Vec::new(),
        program: None,
    };
    let mut out = Vec::new();
    for (target, exe) in targets.iter().zip(executables) {
        let files = RunFiles::new(out_dir, Mode::AllocsOnly, target);
        if let Some(folder) = files.log.parent() {
            std::fs::create_dir_all(folder).map_err(|source| RunError::Io { path: folder.to_owned(), source })?;
        }
        out.push(run::list(exe, target, &spec, &files)?);
    }
    Ok(out)
}

/// `cargo allocbench --list`: criterion's `ID: benchmark` lines on stdout, each target's under
/// its name on stderr, as `cargo bench -- --list` prints them under cargo's `Running` lines.
pub fn print(targets: &[BenchTarget], lists: &[Vec<String>]) {
    for (target, ids) in targets.iter().zip(lists) {
        eprintln!("{}/{}:", target.package, target.target);
        for id in ids {
            println!("{id}: benchmark");
        }
    }
}

/// A run that measured no benchmark, and nothing failed: a filter that matches nothing, or bench
/// targets that hold none. Never a pass: the gate would pass what it never saw.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NothingMeasured {
    #[error("no benchmark matches the filter `{filter}`: the selected bench targets hold {all} (`cargo allocbench --list` lists them); nothing was written")]
    FilterMatchesNone { filter: String, all: String },
    #[error("the selected bench targets ({targets}) hold no benchmark: does each `main` run `criterion_main!` over groups that define some? Nothing was written")]
    NoBenchmarks { targets: usize },
}

/// Why a run with `filter` measured nothing, given how many benchmarks the targets hold.
pub fn nothing_measured(filter: Option<&str>, all: usize, targets: usize) -> NothingMeasured {
    match filter {
        Some(filter) if all > 0 => {
            NothingMeasured::FilterMatchesNone { filter: filter.to_owned(), all: count_of(all, "benchmark") }
        }
        _ => NothingMeasured::NoBenchmarks { targets },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_count_as_people_do() {
        assert_eq!(
            nothing_measured(Some("typo"), 1, 1).to_string(),
            "no benchmark matches the filter `typo`: the selected bench targets hold 1 benchmark (`cargo allocbench --list` lists them); nothing was written"
        );
        assert!(nothing_measured(Some("typo"), 7, 2).to_string().contains("hold 7 benchmarks"));
        assert_eq!(nothing_measured(None, 0, 2), NothingMeasured::NoBenchmarks { targets: 2 });
        assert_eq!(nothing_measured(Some("x"), 0, 1), NothingMeasured::NoBenchmarks { targets: 1 });
    }
}
