//! Criterion's measurement module, plus [`Counting`]: the measurement that reads the counting
//! allocator at exactly the points where criterion starts and stops its timer.
//!
//! Criterion calls [`Measurement::start`] and [`Measurement::end`] around the region it times,
//! and [`Measurement::to_f64`] once per saved sample, in the order of `sample.json`. `Counting`
//! adds up the allocator's counts over each sample's windows and hands them to the record writer
//! when `to_f64` closes the sample. Timing is left to the wrapped measurement, so criterion
//! prints and saves exactly what it would without allocbench.

pub use criterion::measurement::*;

use crate::alloc::{self, Mark, Stats};
use crate::record;

/// A measurement that delegates timing to `M` (by default [`WallTime`]) and counts allocations in
/// the same window.
///
/// The front's [`Criterion`](crate::Criterion) uses it for every benchmark; users need not name
/// it. Its `Value` is `M`'s, so `iter_custom` closures return what they always returned.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counting<M = WallTime> {
    inner: M,
}

impl<M> Counting<M> {
    /// Counts allocations around `inner`'s measurement.
    pub fn new(inner: M) -> Self {
        Self { inner }
    }
}

/// What [`Counting::start`] hands to [`Counting::end`]: the allocator's state at the start.
pub struct Start<I> {
    stats: Stats,
    mark: Mark,
    inner: I,
}

impl<M: Measurement> Measurement for Counting<M> {
    type Intermediate = Start<M::Intermediate>;
    type Value = M::Value;

    #[inline]
    fn start(&self) -> Self::Intermediate {
        // Read the allocator first and start the clock last, so that neither measures the other.
        let stats = alloc::stats();
        let mark = alloc::mark();
        record::set_capture(true);
        let inner = self.inner.start();
        crate::callgrind::toggle_collect();
        Start { stats, mark, inner }
    }

    #[inline]
    fn end(&self, i: Self::Intermediate) -> Self::Value {
        crate::callgrind::toggle_collect();
        let value = self.inner.end(i.inner);
        record::set_capture(false);
        let counts = alloc::stats().since(&i.stats);
        record::add_window(counts, i.mark.peak().unwrap_or(0));
        value
    }

    fn add(&self, v1: &Self::Value, v2: &Self::Value) -> Self::Value {
        self.inner.add(v1, v2)
    }

    fn zero(&self) -> Self::Value {
        record::discard_open_sample();
        self.inner.zero()
    }

    fn to_f64(&self, value: &Self::Value) -> f64 {
        let time = self.inner.to_f64(value);
        record::close_sample(time);
        time
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        self.inner.formatter()
    }
}
