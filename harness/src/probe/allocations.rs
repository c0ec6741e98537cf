//! The allocation probe: the counting allocator's five counts and its peak, over each window.

use std::cell::Cell;

use allocbench_formats::record::{RecordLine, RecordSample};

use super::Probe;
use crate::alloc::{self, Mark, Stats};

/// The allocator's counts and peak; also counts a routine without windows whole (`iter_custom`).
pub(crate) struct Allocations;

/// The allocator's state at the start of a window.
#[derive(Clone, Copy)]
pub(crate) struct Start {
    stats: Stats,
    mark: Mark,
}

/// What the windows of the open sample counted.
#[derive(Clone, Copy)]
struct Open {
    counts: Stats,
    /// The highest peak of any one window.
    peak: u64,
}

const EMPTY: Open = Open { counts: Stats::ZERO, peak: 0 };

thread_local! {
    // `const`, `Copy`, no destructor: the window hooks touch it without allocating.
    static OPEN: Cell<Open> = const { Cell::new(EMPTY) };
}

impl Probe for Allocations {
    type Window = Start;
    const WHOLE_ROUTINE: bool = true;

    #[inline(always)]
    fn start() -> Start {
        let stats = alloc::stats();
        Start { stats, mark: alloc::mark() }
    }

    #[inline(always)]
    fn end(start: Start) {
        let counts = alloc::stats().since(&start.stats);
        let peak = start.mark.peak().unwrap_or(0);
        let _ = OPEN.try_with(|open| {
            let o = open.get();
            open.set(Open { counts: o.counts.plus(&counts), peak: o.peak.max(peak) });
        });
    }

    fn discard() {
        let _ = OPEN.try_with(|open| open.set(EMPTY));
    }

    fn close(sample: &mut RecordSample) {
        let o = OPEN.try_with(|open| open.replace(EMPTY)).unwrap_or(EMPTY);
        sample.counts = o.counts;
        sample.peak_space = o.peak;
    }

    fn finish(line: &mut RecordLine) {
        line.counting = alloc::is_counting();
        line.allocator = alloc::inner_allocator().map(str::to_owned);
    }
}
