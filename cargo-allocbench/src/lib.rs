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

// The library is the binary's and its tests': what the binary and the integration tests use is
// public, every other module is the crate's own. Its docs are read with
// `--document-private-items`, where a public item's link to a crate-private one resolves.
#![allow(rustdoc::private_intra_doc_links)]

pub mod app;
pub(crate) mod artifacts;
pub(crate) mod atomic;
pub mod cargo;
pub mod cli;
pub(crate) mod criterion_args;
pub(crate) mod environment;
pub(crate) mod events;
pub mod exec;
pub(crate) mod folded;
pub mod gate;
pub(crate) mod measurements;
pub mod passes;
pub mod plan;
pub(crate) mod publish;
pub(crate) mod render;
pub mod report;
pub(crate) mod reporter;
pub(crate) mod ui;
