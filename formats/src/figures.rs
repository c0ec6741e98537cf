//! The allocation figures of one benchmark, named as Go's pprof names them: per iteration
//! ([`AllocFigures`]), per sample ([`AllocSample`]) and the samples' spread ([`SampleRange`]).
//! Plain data at the bottom of the crate: the metric table ([`crate::metric`]) reads these by
//! metric (`AllocFigures::get`, `AllocSample::count`, `SampleRange::get` are defined there), and
//! the report ([`crate::report`]) holds them.
//!
//! ```
//! use allocbench_formats::figures::AllocFigures;
//! use allocbench_formats::metric::Metric;
//!
//! let figures = AllocFigures { alloc_objects: 2.0, alloc_space: 64.0, exact: true, ..AllocFigures::default() };
//! assert_eq!(figures.get(Metric::AllocSpace), Some(64.0));
//! assert_eq!(figures.get(Metric::Time), None);
//! assert_eq!((figures.mark(), AllocFigures { exact: false, ..figures }.mark()), ("", "≈"));
//! ```

use serde::{Deserialize, Serialize};

/// The mark before a figure whose samples disagreed: an estimate, not an exact per-iteration
/// figure ([`AllocFigures::mark`]).
pub const MARK_VARIED: &str = "≈";

/// The mark before the figures of an `iter_custom` routine, which cover the whole routine, not
/// criterion's timed window ([`AllocFigures::mark`]).
pub const MARK_CUSTOM: &str = "~";

/// Allocation figures per iteration, named as Go's pprof names them.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct AllocFigures {
    /// Blocks allocated per iteration; a realloc counts as one block freed and one allocated.
    pub alloc_objects: f64,
    /// Bytes allocated per iteration.
    pub alloc_space: f64,
    /// Blocks freed per iteration.
    pub free_objects: f64,
    /// Bytes freed per iteration.
    pub free_space: f64,
    /// `alloc_objects - free_objects`: blocks allocated and not freed per iteration (pprof's
    /// `inuse_objects`).
    pub inuse_objects: f64,
    /// `alloc_space - free_space`: bytes allocated and not freed per iteration (pprof's
    /// `inuse_space`).
    pub inuse_space: f64,
    /// Reallocations per iteration.
    pub reallocs: f64,
    /// The most bytes live at once during one iteration, above the level at its start.
    pub peak_space: f64,
    /// Every sample gave the same per-iteration figures.
    pub exact: bool,
    /// Why `exact` is false: absent when it is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inexact: Option<Inexact>,
    /// The benchmark used `iter_custom`: the figures cover its whole routine, not a timed window.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub approximate: bool,
    /// For figures that are not exact: per metric, the smallest and the largest figure one
    /// sample gave on its own (its counts over its iterations, less the work every sample
    /// repeats once). The gate takes its tolerance for `≈` figures from it. Absent when the
    /// figures are exact, and in reports written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_range: Option<SampleRange>,
}

/// One sample of a benchmark whose allocation figures are not exact: its iterations and what
/// the allocator counted over them.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct AllocSample {
    /// Iterations of the sample.
    pub iters: u64,
    /// Blocks allocated.
    pub alloc_objects: u64,
    /// Bytes allocated.
    pub alloc_space: u64,
    /// Blocks freed.
    pub free_objects: u64,
    /// Bytes freed.
    pub free_space: u64,
    /// Reallocations.
    pub reallocs: u64,
}

/// The smallest and the largest per-iteration figure any one sample gave, per metric, as
/// `[low, high]`: how far the samples of a benchmark whose figures are not exact disagree.
/// `peak_space` comes from one sample and has no range.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct SampleRange {
    /// Blocks allocated per iteration.
    pub alloc_objects: [f64; 2],
    /// Bytes allocated per iteration.
    pub alloc_space: [f64; 2],
    /// Blocks freed per iteration.
    pub free_objects: [f64; 2],
    /// Bytes freed per iteration.
    pub free_space: [f64; 2],
    /// Blocks allocated and not freed per iteration.
    pub inuse_objects: [f64; 2],
    /// Bytes allocated and not freed per iteration.
    pub inuse_space: [f64; 2],
    /// Reallocations per iteration.
    pub reallocs: [f64; 2],
}

impl AllocFigures {
    /// The mark shown before the figures in the table and the Markdown summary: `~` for
    /// `iter_custom`, `≈` for figures that are not exact, nothing for exact ones.
    pub fn mark(&self) -> &'static str {
        if self.approximate {
            MARK_CUSTOM
        } else if self.exact {
            ""
        } else {
            MARK_VARIED
        }
    }
}

/// Why a benchmark's allocation figures are not exact per-iteration figures.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Inexact {
    /// The samples gave different per-iteration figures: the code does not allocate the same on
    /// every iteration.
    SamplesDisagree,
    /// Every sample ran the same number of iterations (criterion's flat sampling), so what a
    /// sample does once cannot be told from what each iteration does; the figures are a
    /// sample's counts divided by its iterations.
    FlatSampling,
}

impl Inexact {
    /// One line for people: the `≈` footnote of the table and the Markdown summary.
    pub fn explanation(self) -> &'static str {
        match self {
            Inexact::SamplesDisagree => "samples disagreed: the code allocates differently from one iteration to the next",
            Inexact::FlatSampling => {
                "flat sampling: every sample ran the same number of iterations, so one-off work is counted as per-iteration work"
            }
        }
    }
}
