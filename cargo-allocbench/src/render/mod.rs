//! What people and other tools read: the terminal table ([`table`]), the Markdown summary
//! ([`markdown`]), `report.html` ([`html`]), GitHub Actions annotations ([`github`]) and exports
//! for history services ([`export`]).
//!
//! One [`view`] is worked out from the report, from the metric table and the comparison, and each
//! renderer lays it out for its medium; numbers are formatted for people in one place
//! ([`units`]), and what grew against the baseline is worded in one place ([`grew`]).

pub mod export;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod github;
pub mod grew;
pub mod html;
pub mod markdown;
pub mod table;
pub mod units;
pub mod view;
