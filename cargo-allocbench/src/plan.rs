//! The plan: what one run of `cargo allocbench` does, resolved once from the command line by
//! [`crate::cli`], the only module that knows clap. The pipeline ([`crate::app`]), the passes
//! and the reporter read this value and nothing else of the command line, as ripgrep's searcher
//! reads `HiArgs` and never the parser's `LowArgs`.
//!
//! A plan is data: it is serialized for `--baseline-rev`, whose other revision runs this same
//! binary on the plan with only what must differ changed ([`crate::exec::revision`]), so a new
//! flag reaches the other side by construction. The format is this build's own (the nested run
//! is the same executable), not a contract.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use allocbench_formats::partition::PartitionSpec;

use crate::cargo::discover::CargoOptions;
use crate::criterion_args::{CriterionArgError, CriterionArgs};
use crate::render::export::{ExportError, ExportFormat};

/// The CPU pass's sampling frequency when `--frequency` is not given: a prime near 1 kHz, more
/// than most kernels' timer ticks give, so the profiles get what the machine allows.
pub const DEFAULT_FREQUENCY: u32 = 997;

/// One run, resolved: what to measure, how each pass measures it, what to compare it with, what
/// to write, and how to judge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Which benchmarks: cargo's packages and targets, criterion's filter, the shard.
    pub selection: Selection,
    /// Each pass's own settings.
    pub passes: Passes,
    /// What the run is compared with, and what it saves.
    pub baselines: Baselines,
    /// What the gate adds to the `Cargo.toml` metadata's policy.
    pub policy: PolicyInputs,
    /// Where and how the results are written and shown.
    pub output: Output,
    /// `--timeout`: the longest a bench process may go without finishing a benchmark (1 s at
    /// least).
    pub timeout: Duration,
}

/// Which benchmarks the run measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// Cargo's options: manifest, packages, bench targets, features, profile, target, lock
    /// flags, target directory (absolute).
    pub cargo: CargoOptions,
    /// Criterion's filter, a regular expression over benchmark ids: the one given before `--`,
    /// or the one after it.
    pub filter: Option<String>,
    /// Criterion's own arguments (after `--`), sorted for the passes.
    pub criterion: CriterionArgs,
    /// `--partition`: the shard of the benchmarks this run measures.
    pub partition: Option<PartitionSpec>,
    /// `--list` (or criterion's `-- --list`): list the benchmarks, measure nothing.
    pub list: bool,
}

/// The passes and their settings, each pass's its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passes {
    /// The pass that makes the benchmarks: allocation figures, and time in a full run.
    pub timing: TimingPass,
    /// Instructions under valgrind's callgrind (`--instructions`).
    pub instructions: InstructionsPass,
    /// The CPU profiles and flame graphs.
    pub cpu: CpuPass,
    /// Which benchmarks the allocation-site pass covers (`--heap-profile`, resolved).
    pub heap: HeapProfile,
}

/// The timing pass's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimingPass {
    /// `--allocs-only`: allocation figures only, without criterion's timing analysis.
    pub allocs_only: bool,
    /// `--runs`: how many times the timing pass runs (1 to 10).
    pub runs: u32,
}

/// The instruction pass's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstructionsPass {
    /// `--instructions`.
    pub on: bool,
    /// Whether callgrind records call chains for the instruction flame graph: not in the fast
    /// gate (`--allocs-only`), where they would cost a fifth of the pass.
    pub call_chains: bool,
}

/// The CPU pass's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CpuPass {
    /// Whether it runs: in a full run, unless `--no-cpu-profile`.
    pub on: bool,
    /// `--cpu-complete`: keep samples whose leaf is in libc, libgcc, pthread or the vDSO.
    pub complete: bool,
    /// `--frequency` as given; `None` samples at [`DEFAULT_FREQUENCY`] and warns of no shortfall.
    pub frequency: Option<u32>,
    /// `--profile-time`: seconds of profiling per benchmark (1 at least).
    pub profile_time: u64,
}

impl CpuPass {
    /// The sampling frequency: `--frequency`, else [`DEFAULT_FREQUENCY`].
    pub fn sampling_frequency(&self) -> u32 {
        self.frequency.unwrap_or(DEFAULT_FREQUENCY)
    }
}

/// Which benchmarks the allocation-site pass covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HeapProfile {
    /// Every benchmark measured.
    All,
    /// Only benchmarks that regressed against the baseline.
    Regressed,
    /// No allocation-site pass.
    None,
}

/// Baselines: the one compared with, the one saved, and where they are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baselines {
    /// What the run is compared with.
    pub compare: BaselineSource,
    /// `--save-baseline NAME`.
    pub save: Option<String>,
    /// `--baseline-dir`, absolute; `None`: `<out-dir>/baselines`.
    pub dir: Option<PathBuf>,
}

/// What a run is compared with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BaselineSource {
    /// Nothing: the figures are reported, not judged.
    None,
    /// `--baseline NAME`: a baseline stored in the baseline folder.
    Stored(String),
    /// `--baseline-rev REV`: another git revision, measured by this run in a worktree.
    Revision(String),
}

/// The gate's settings from the command line, added to the `Cargo.toml` metadata's policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyInputs {
    /// `--limit` specs, in command-line order (`METRIC=LIMIT` or `PATTERN:METRIC=LIMIT`), parsed
    /// by [`crate::gate::policy::Policy::add_limit`] on top of the metadata's rules.
    pub limits: Vec<String>,
    /// `--fail-on-time`.
    pub fail_on_time: bool,
}

/// Where and how the results are written and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Output {
    /// `--out-dir`, absolute; `None`: `<target-dir>/allocbench`.
    pub out_dir: Option<PathBuf>,
    /// What stdout gets.
    pub format: Format,
    /// `--export FORMAT=FILE`, parsed.
    pub exports: Vec<(ExportFormat, PathBuf)>,
    /// `--color` (or `CARGO_TERM_COLOR`).
    pub color: ColorChoice,
    /// `--quiet`: no notes, no progress, no cargo status lines.
    pub quiet: bool,
    /// `--verbose`: the bench processes' output as they run.
    pub verbose: bool,
}

/// What stdout gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    /// A table for people (progress and notes on stderr).
    Table,
    /// `report.json`'s document.
    Json,
    /// The Markdown summary for pull requests.
    Markdown,
}

/// When to color what people read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to color output on a stream that is (or is not) a terminal.
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }
}

/// `cargo allocbench merge`, resolved: the shards' reports and where the merged one goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergePlan {
    /// The shards' `report.json` files.
    pub reports: Vec<PathBuf>,
    /// What stdout gets.
    pub format: Format,
    /// `--export FORMAT=FILE`, parsed.
    pub exports: Vec<(ExportFormat, PathBuf)>,
    /// Where the merged report goes, absolute.
    pub out_dir: PathBuf,
    /// `--color`.
    pub color: ColorChoice,
}

/// A command line that resolves into no plan.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// A criterion argument after `--` that cannot be passed on.
    #[error(transparent)]
    Criterion(#[from] CriterionArgError),
    /// An `--export` that names no format or file.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// An output folder with no absolute form.
    #[error(transparent)]
    OutDir(std::io::Error),
    /// The plan file the `--baseline-rev` run hands over cannot be read.
    #[error("cannot read the plan `{}`: {source}", path.display())]
    Read {
        /// The plan file.
        path: PathBuf,
        /// Why it cannot be read.
        source: std::io::Error,
    },
    /// The plan file is not this build's plan.
    #[error("`{}` is not a plan of this build of cargo-allocbench: {source}", path.display())]
    Decode {
        /// The plan file.
        path: PathBuf,
        /// Where its JSON differs from this build's plan.
        source: serde_json::Error,
    },
}

impl Plan {
    /// The plan written in `path` (by [`crate::exec::revision`], for the other revision's run).
    pub fn read(path: &std::path::Path) -> Result<Plan, PlanError> {
        let text = std::fs::read(path).map_err(|source| PlanError::Read { path: path.to_owned(), source })?;
        serde_json::from_slice(&text).map_err(|source| PlanError::Decode { path: path.to_owned(), source })
    }
}
