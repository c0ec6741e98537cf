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

#![deny(missing_docs)]

pub mod baseline;
pub mod comparison;
pub mod counts;
pub mod env;
pub mod exit;
pub mod frames;
pub mod key;
pub mod metric;
pub mod mode;
pub mod partition;
pub mod probe;
pub mod record;
pub mod report;
pub mod title;

pub use crate::key::BenchmarkKey;
pub use crate::mode::Mode;
pub use crate::partition::fnv1a;
