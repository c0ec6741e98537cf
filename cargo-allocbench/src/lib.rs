//! `cargo allocbench`: runs a crate's criterion benchmarks under allocbench's counting allocator,
//! reports allocation and time figures per benchmark, and compares them with a stored baseline.
//!
//! Data flows one way: bench binary → records → this crate → report and verdict. The modules
//! follow that flow: [`discover`] and [`build`] find and build the bench targets, [`run`] starts
//! them, [`records`] reads what they wrote, [`figures`] turns samples into per-iteration figures,
//! [`report`] holds the result, and [`baseline`], [`policy`] and [`compare`] decide.

pub mod app;
pub mod artifacts;
pub mod baseline;
pub mod build;
pub mod cli;
pub mod compare;
pub mod cpu;
pub mod discover;
pub mod environment;
pub mod export;
pub mod figures;
pub mod github;
pub mod heap;
pub mod html;
pub mod linear;
pub mod log;
pub mod markdown;
pub mod policy;
pub mod pprof_names;
pub mod process;
pub mod records;
pub mod report;
pub mod revision;
pub mod run;
pub mod stats;
pub mod table;
pub mod units;
