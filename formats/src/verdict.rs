//! The outcome of a run, as `report.json`'s `verdict` and the exit code's source: its own module
//! because both the report and the comparison decide it, and neither should import the other to
//! name it.
//!
//! ```
//! use allocbench_formats::verdict::Verdict;
//!
//! assert_eq!(serde_json::to_value(Verdict::Regressed).unwrap(), "regressed");
//! assert_eq!(Verdict::Regressed.name(), "regressed");
//! ```

use serde::{Deserialize, Serialize};

/// The outcome of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Nothing regressed (or there was nothing to compare with).
    Pass,
    /// A figure exceeded its limit.
    Regressed,
    /// The run itself failed: a benchmark crashed, hung or could not be measured.
    Error,
}

impl Verdict {
    /// The name in `report.json` and in the headings of the reports: `pass`, `regressed`,
    /// `error`.
    pub const fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Regressed => "regressed",
            Verdict::Error => "error",
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_names_are_the_serde_names() {
        for verdict in [Verdict::Pass, Verdict::Regressed, Verdict::Error] {
            assert_eq!(serde_json::to_value(verdict).unwrap(), verdict.name());
        }
    }
}
