//! `cargo allocbench`: runs a crate's criterion benchmarks under allocbench's counting allocator,
//! reports allocation and time figures per benchmark, and compares them with a stored baseline.
//!
//! Data flows one way: bench binary → records → this crate → report and verdict, and the folders
//! follow it. [`cargo`] finds and builds the bench targets; [`exec`] runs bench processes (and
//! another revision of the repository); [`passes`] are what each process is run for and what
//! comes out of it (allocation figures and time, CPU profiles, allocation sites), their stacks
//! drawn as flame graphs by [`folded`]; [`report`] holds the result; [`gate`] compares it with a
//! baseline and decides; [`render`] lays it out for people and other tools, [`publish`] writes
//! and prints it (every file whole or not at all, [`atomic`]). The engine says how the run goes
//! as [`events`]; the binary's [`reporter`] draws them through [`ui`] (notes, warnings, progress)
//! and keeps the warnings for the report. [`app`] is the pipeline from start to verdict; it reads
//! the [`plan`], into which [`cli`], the only module that knows clap, resolves the command line.

// The library is the binary's and its integration tests'. Every module is the crate's own; what
// they use is re-exported below, by name, and documented (`missing_docs`). Its docs are read with
// `--document-private-items`, where a public item's link to a crate-private one resolves.
#![allow(rustdoc::private_intra_doc_links)]
#![deny(missing_docs)]

pub(crate) mod app;
pub(crate) mod artifacts;
pub(crate) mod atomic;
pub(crate) mod cargo;
pub(crate) mod cli;
pub(crate) mod criterion_args;
pub(crate) mod environment;
pub(crate) mod events;
pub(crate) mod exec;
pub(crate) mod folded;
pub(crate) mod follow_up;
pub(crate) mod gate;
pub(crate) mod measurements;
pub(crate) mod passes;
pub(crate) mod plan;
pub(crate) mod publish;
pub(crate) mod render;
pub(crate) mod report;
pub(crate) mod reporter;
pub(crate) mod ui;

// What the binary runs: the command line, resolved into a plan and run to a verdict (or merged),
// and the bench processes the run started, stopped when a signal ends it.
pub use app::{merge, run};
pub use cli::{Cli, Command, MergeArgs};
pub use exec::process::{interrupt, interrupted, release_locks};
pub use plan::{MergePlan, Plan, PlanError};

/// Stored baselines, read as a comparison reads them: what `--save-baseline NAME` wrote into the
/// baseline folder, checked (version, shape) and placed, with errors that name the file and the
/// fix. The document itself is [`allocbench_formats::baseline::BaselineDocument`].
pub mod baseline {
    pub use crate::gate::baseline::{list, load, parse, Baseline, BaselineError};
}

/// The bench targets of a workspace, found with cargo's own selection rules and built as a run
/// builds them, for a test that runs a bench binary itself.
pub mod targets {
    pub use crate::cargo::build::{build, cargo, BuildError};
    pub use crate::cargo::discover::{discover, BenchTarget, CargoOptions, DiscoverError, Project, Skipped};
}

/// What a bench process recorded, read back: the harness's record lines, one [`records::Recorded`]
/// per benchmark, with errors for a file this version cannot read.
pub mod records {
    pub use crate::passes::records::{read_records, Recorded, RecordsError};
}
