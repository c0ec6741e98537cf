//! `cargo allocbench`'s exit codes, one meaning each: a regression and a broken run never share
//! one, as ripgrep keeps "not found" apart from "error".

/// Nothing regressed.
pub const PASS: u8 = 0;

/// A gated figure regressed against the baseline.
pub const REGRESSED: u8 = 1;

/// The run itself failed: bad input, a build error, a benchmark that crashed or hung.
pub const FAILED: u8 = 2;
