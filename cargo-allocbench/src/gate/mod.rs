//! The gate: stored baselines ([`baseline`]), the regression policy ([`policy`]), the comparison
//! of a run with a baseline ([`compare`]), what grew behind a regression ([`grown`]) and the
//! statistical tests behind time ([`stats`]).

pub mod baseline;
pub mod compare;
pub mod grown;
pub mod judge;
pub mod merge;
pub mod policy;
pub mod stats;
