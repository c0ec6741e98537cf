//! Cargo's side: which packages and bench targets to measure (`cargo metadata`, with cargo's
//! selection flags), and one `cargo bench --no-run` whose artifact messages name the executables;
//! the `[dev-dependencies]` line that makes a bench target measurable ([`dependency`]).

pub mod build;
pub mod dependency;
pub mod discover;
