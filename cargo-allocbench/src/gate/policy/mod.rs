//! The regression policy: which change of which figure fails the gate.
//!
//! Allocation figures are deterministic, so they get exact limits; time is noisy, so it gets a
//! statistical test and an effect-size floor and fails the gate only when asked to (the README's
//! "Baselines and the gate"). An allocation figure that cannot be exact (`≈`) keeps its limit,
//! applied above a tolerance from its samples' spread (`gate::compare`). A [`Policy`] is built from defaults, then the workspace's
//! and the package's `Cargo.toml` metadata, then `--limit` and `--fail-on-time` on the command
//! line, and answers one question per benchmark and metric: [`Policy::limit`].
//!
//! # Defaults
//!
//! Each metric's row of the metric table ([`crate::report::METRICS`]) gives its default limit
//! and its comparison rule; today: any increase of `alloc_objects`, `alloc_space` or
//! `inuse_space` per iteration fails (limit `0`). The other allocation metrics (`free_objects`,
//! `free_space`, `inuse_objects`, `reallocs`, `peak_space`) are reported with their change and
//! not gated (limit `none`). Time is compared with Welch's t-test (p < 0.05) and a floor of 2 %
//! on the change of the mean, reported, not gated. When `--instructions` counted them, an
//! increase of `instructions` beyond 1 % fails (limit `1%`).
//!
//! # Configuration
//!
//! In the workspace's `Cargo.toml` (`[workspace.metadata.allocbench]`) or a package's
//! (`[package.metadata.allocbench]`, which overrides the workspace's):
//!
//! ```toml
//! [workspace.metadata.allocbench]
//! fail-on-time = false        # gate on time too (same as --fail-on-time)
//! time-noise = "2%"           # the smallest change of mean time that counts
//!
//! [workspace.metadata.allocbench.limits]   # for every benchmark
//! alloc_space = "5%"          # relative: fails above base * 1.05
//! inuse_space = "+64"         # absolute: fails above base + 64 (bytes, or blocks for *_objects)
//! alloc_objects = "0"         # exact: any increase fails (the default)
//! peak_space = "10%"          # a metric that is not gated by default becomes gated
//! free_space = "none"         # not gated: reported only
//!
//! [[workspace.metadata.allocbench.overrides]]  # for benchmark ids matching a glob
//! benchmarks = "fanout/*"     # or a list: ["fanout/*", "parse/large"]
//! limits = { alloc_objects = "+1" }
//! time-noise = "5%"           # optional, as above
//! fail-on-time = true         # optional, as above
//! ```
//!
//! Metrics are named as in the report: `alloc_objects`, `alloc_space`, `free_objects`,
//! `free_space`, `inuse_objects`, `inuse_space`, `reallocs`, `peak_space`, `instructions`. A limit is the largest
//! increase allowed per iteration: `"5%"` relative to the baseline, `"+64"` absolute, `"0"`
//! exact, or `"none"` for no gate. A pattern is a glob over criterion's full benchmark id
//! (`group/function/parameter`); `*` matches any characters, `/` included.
//!
//! On the command line, `--limit METRIC=LIMIT` applies to every benchmark and
//! `--limit PATTERN:METRIC=LIMIT` to matching ones.
//!
//! # Precedence
//!
//! The last matching rule wins, in this order: defaults, the workspace's `limits`, the
//! package's `limits`, the workspace's `overrides` in file order, the package's `overrides` in
//! file order, then `--limit` and `--fail-on-time` in command-line order.
//!
//! Unknown keys and metric names are errors, not warnings: a typo must not silently turn a
//! gate off.
//!
//! The parts: [`Limit`] (one limit: parse, show, check; defined beside the metric table in
//! [`allocbench_formats::limit`]), `rules` (what applies to which benchmark, the defaults, and
//! `--limit`), `config` (reading `Cargo.toml`'s metadata).

mod config;
mod rules;

pub use allocbench_formats::limit::{Limit, EPSILON};

use self::rules::Rule;

/// A policy that cannot be built: one line that names the key or flag and the fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// A problem in `[workspace.metadata.allocbench]` or `[package.metadata.allocbench]`.
    /// `location` is the table and key in backticks.
    #[error("{location}: {reason}")]
    Config { location: String, reason: String },
    /// A problem in a `--limit` value.
    #[error("`--limit {spec}`: {reason}")]
    Cli { spec: String, reason: String },
}

/// The regression policy: limits per metric and benchmark, and how time is treated.
#[derive(Debug, Clone)]
pub struct Policy {
    rules: Vec<Rule>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::report::Metric;

    #[test]
    fn cli_limits_win_last() {
        let workspace = json!({ "allocbench": {
            "overrides": [{ "benchmarks": "fanout/*", "limits": { "alloc_objects": "+1" } }]
        } });
        let mut p = Policy::from_metadata(&workspace, None).unwrap();
        p.add_limit("alloc_objects=+2").unwrap();
        assert_eq!(p.limit("fanout/x", Metric::AllocObjects), Limit::Absolute(2.0));
        p.add_limit("fanout/*:alloc_objects=0").unwrap();
        assert_eq!(p.limit("fanout/x", Metric::AllocObjects), Limit::Exact);
        assert_eq!(p.limit("other", Metric::AllocObjects), Limit::Absolute(2.0));
        p.add_limit("a::b/*:reallocs=none").unwrap();
        assert_eq!(p.limit("a::b/c", Metric::Reallocs), Limit::None);
        p.set_fail_on_time(true);
        assert!(p.fail_on_time("anything"));
    }
}
