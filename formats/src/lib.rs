//! # allocbench-formats
//!
//! Everything the two halves of allocbench exchange, defined once: the bench binary (crate
//! `allocbench`, the harness) writes records that `cargo allocbench` reads, in a mode the
//! subcommand names through environment variables, and both cut the same benchmarking frames from
//! the stacks they see. Kept small and stable, as nextest keeps `nextest-metadata`: a change here
//! is a change of protocol, and [`record::RECORD_VERSION`] says so.
//!
//! ```
//! use allocbench_formats::{env, Mode};
//!
//! // The subcommand starts a bench process for a pass ...
//! let value = Mode::AllocsOnly.as_str();
//! // ... and the harness reads it back.
//! assert_eq!(Mode::from_env_value(value), Some(Mode::AllocsOnly));
//! assert_eq!(env::MODE, "ALLOCBENCH_MODE");
//! ```
//!
//! # Layers
//!
//! The modules form layers, and a module imports (`use crate::...`, or a path in code) only
//! from the layers below its own, so that the imports have no cycle; doc links may point
//! anywhere. `tests/layers.rs` reads the sources and fails on an import that breaks this.
//!
//! 0. [`frames`], importing no other module: the frames of a stack, which the record's sites and
//!    the signals' threads left running both hold.
//! 1. Leaves, importing no module but [`frames`]: [`env`](mod@env), [`exit`], [`key`], [`mode`],
//!    [`probe`], [`counts`], [`signals`] (frames), [`title`], [`limit`], [`figures`], [`verdict`].
//! 2. [`partition`] (key, title); [`metric`] (figures, limit): the metric table, which also
//!    reads the figures by metric.
//! 3. [`record`] (counts, frames, metric, signals): the probes' counts are keyed by metric;
//!    [`comparison`] (key, metric, signals, verdict).
//! 4. [`report`] (comparison, figures, key, metric, partition, record, signals, verdict).
//! 5. [`measured`] (report).
//! 6. [`baseline`] (measured, partition, report).

#![deny(missing_docs)]

pub mod baseline;
pub mod comparison;
pub mod counts;
pub mod env;
pub mod exit;
pub mod figures;
pub mod frames;
pub mod key;
pub mod limit;
pub mod measured;
pub mod metric;
pub mod mode;
pub mod partition;
pub mod probe;
pub mod record;
pub mod report;
pub mod signals;
pub mod title;
pub mod verdict;

pub use crate::key::BenchmarkKey;
pub use crate::mode::Mode;
pub use crate::partition::fnv1a;
