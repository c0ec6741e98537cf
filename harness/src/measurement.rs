//! Criterion's measurement module, plus [`Counting`]: the measurement that reads the counting
//! allocator at exactly the points where criterion starts and stops its timer.
//!
//! Criterion calls [`Measurement::start`] and [`Measurement::end`] around the region it times,
//! and [`Measurement::to_f64`] once per saved sample, in the order of `sample.json`. `Counting`
//! runs the probes' window hooks there (module `probe`: the allocator's counts and peak, and each
//! pass's own), and has the record writer close the sample when `to_f64` is called. Timing is
//! left to the wrapped measurement, so criterion prints and saves exactly what it would without
//! allocbench.

pub use criterion::measurement::*;

use crate::probe::{AroundClock, Probes, WithinClock};
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

/// What [`Counting::start`] hands to [`Counting::end`]: the probes' state at the start, and the
/// clock's.
pub struct Start<I> {
    around: <AroundClock as Probes>::Window,
    inner: I,
    within: <WithinClock as Probes>::Window,
}

impl<M: Measurement> Measurement for Counting<M> {
    type Intermediate = Start<M::Intermediate>;
    type Value = M::Value;

    #[inline]
    fn start(&self) -> Self::Intermediate {
        // The allocator is read before the clock starts, and callgrind collects after it starts,
        // so that neither measures the other.
        let around = AroundClock::start();
        let inner = self.inner.start();
        let within = WithinClock::start();
        Start { around, inner, within }
    }

    #[inline]
    fn end(&self, i: Self::Intermediate) -> Self::Value {
        WithinClock::end(i.within);
        let value = self.inner.end(i.inner);
        AroundClock::end(i.around);
        record::add_window();
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
