//! What people and other tools read: the terminal table ([`table`]), the Markdown summary
//! ([`markdown`]), `report.html` ([`html`]), GitHub Actions annotations ([`github`]), exports
//! for history services ([`export`]), and numbers for people ([`units`]).

pub mod export;
#[cfg(test)]
mod fixtures;
pub mod github;
pub mod html;
pub mod markdown;
pub mod table;
pub mod units;
