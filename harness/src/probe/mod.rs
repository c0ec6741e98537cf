//! The probes: what the harness measures in criterion's windows beside its clock, as a closed list
//! that the record loop ([`crate::record`]) and the measurement ([`crate::measurement::Counting`])
//! iterate without naming any probe.
//!
//! A probe is a type implementing [`Probe`]: hooks for the start of the process (switched on by
//! the mode of the pass it serves), the start and end of a window, each call of the benchmark's
//! routine, criterion's start of a sample (discard), its close (the probe writes its part of the
//! [`RecordSample`]) and the end of the benchmark (its part of the [`RecordLine`]). The lists
//! [`AroundClock`] and [`WithinClock`] hold every probe, in the order of their windows' nesting.
//! Adding a probe is a module in this folder and one entry in one list.
//!
//! A probe whose figures are plain counts per sample declares the metrics it fills,
//! [`Probe::KEYS`], and hands its sample's counts out in that order, [`Probe::counts`]: the list
//! writes them into the sample's [`ProbeCounts`] by metric, and the subcommand, the report and
//! every renderer take them from there through the metric table. Such a probe adds no field to
//! the record or the report: its metrics' rows say how each is shown and judged.
//!
//! # How this follows divan
//!
//! divan's `Counter` (`src/counter/mod.rs`) is a closed extension point: a sealed trait, a fixed
//! set of known kinds (`KnownCounterKind::ALL`), and collections indexed by kind
//! (`CounterCollection`), so its bench loop handles every counter without naming one and a new
//! counter is a type and an entry in the kinds' list. Ours is closed the same way, by visibility
//! (the trait is the crate's own), and the list is a type, a nested tuple `(A, (B, ()))`, not an
//! array of values: each probe keeps the state of its window in its own type
//! ([`Probe::Window`]), the list's hooks are monomorphized and inlined, and a window's hooks cost
//! what the probes' own code costs, without a loop, a `match` or an indirect call.

mod allocations;
mod instructions;
mod signals;
mod sites;

use allocbench_formats::metric::Metric;
use allocbench_formats::record::{ProbeCounts, RecordLine, RecordSample};
use allocbench_formats::Mode;

/// The probes whose window hooks run outside criterion's clock, outermost first: their start
/// runs before the clock starts and their end after it stops, so the clock measures none of them.
/// The signals are innermost, so that what the other probes do (the sites' stacks) is outside
/// their windows.
pub(crate) type AroundClock = (allocations::Allocations, (sites::Sites, (signals::Signals, ())));

/// The probes whose window hooks run inside criterion's clock, outermost first: what they count
/// must not include the clock's own work (callgrind's collection flips after the clock starts and
/// before it stops).
pub(crate) type WithinClock = (instructions::Instructions, ());

/// Every probe: both lists, for the hooks outside the windows.
pub(crate) type All = Both<AroundClock, WithinClock>;

/// One probe. Every hook but the window's has a default that does nothing.
pub(crate) trait Probe {
    /// What the start of a window hands to its end.
    type Window: Copy;

    /// The probe counts a call of the routine in which criterion measured no window (its
    /// `iter_custom`, which times itself) as one window.
    const WHOLE_ROUTINE: bool = false;

    /// The process starts, for `cargo allocbench`'s pass `mode` (`None` under `cargo bench`),
    /// before any benchmark: a probe switches itself on for its pass.
    fn start_mode(_mode: Option<Mode>) {}

    /// A measured window starts. Never allocates.
    fn start() -> Self::Window;

    /// The window that `window` started ends: the probe adds it to the open sample. Never
    /// allocates.
    fn end(window: Self::Window);

    /// Runs one call of the benchmark's routine.
    #[inline(always)]
    fn routine(f: impl FnOnce()) {
        f()
    }

    /// Criterion starts a sample (or its warm-up, or a benchmark): forget the open sample.
    fn discard() {}

    /// The metrics whose counts per sample this probe measures, in the order of
    /// [`Probe::counts`]; none for a probe that writes its own part of the sample.
    const KEYS: &'static [Metric] = &[];

    /// Criterion saved a sample: the probe's counts of it, one per [`Probe::KEYS`] in order, and
    /// it starts a new one. `false` when it measured nothing (off, or not on this platform): the
    /// sample then holds none of its metrics.
    fn counts(_counts: &mut [u64]) -> bool {
        false
    }

    /// Criterion saved a sample: the probe writes its part of it and starts a new one.
    fn close(_sample: &mut RecordSample) {}

    /// The benchmark finished: the probe writes its part of the line, and resets what it keeps
    /// per benchmark.
    fn finish(_line: &mut RecordLine) {}
}

/// The most counts one probe hands out ([`Probe::KEYS`]).
const MAX_KEYS: usize = 16;

/// Writes probe `P`'s counts of the closing sample into `probes`, keyed by its metrics.
#[inline]
fn write_counts<P: Probe>(probes: &mut ProbeCounts<u64>) {
    const { assert!(P::KEYS.len() <= MAX_KEYS, "a probe hands out at most MAX_KEYS counts") };
    if P::KEYS.is_empty() {
        return;
    }
    let mut counts = [0u64; MAX_KEYS];
    if P::counts(&mut counts[..P::KEYS.len()]) {
        for (&metric, &count) in P::KEYS.iter().zip(&counts) {
            probes.set(metric, count);
        }
    }
}

/// A list of probes: `()`, or a probe followed by a list. The hooks run in list order, the end
/// of a window in reverse, so windows nest.
pub(crate) trait Probes {
    /// Every probe's [`Probe::Window`].
    type Window: Copy;
    /// The windows of the probes that count a routine whole ([`Probe::WHOLE_ROUTINE`]).
    type Routine: Copy;
    /// See [`Probe::start_mode`].
    fn start_mode(mode: Option<Mode>);
    /// See [`Probe::start`].
    fn start() -> Self::Window;
    /// See [`Probe::end`].
    fn end(window: Self::Window);
    /// Starts a window around a call of the routine, for the probes that count one whole.
    fn routine_start() -> Self::Routine;
    /// Ends what [`Probes::routine_start`] started: the routine had no window of criterion's.
    fn routine_end(routine: Self::Routine);
    /// See [`Probe::routine`]: the first probe's wraps the others'.
    fn routine(f: impl FnOnce());
    /// See [`Probe::discard`].
    fn discard();
    /// See [`Probe::close`].
    fn close(sample: &mut RecordSample);
    /// See [`Probe::finish`].
    fn finish(line: &mut RecordLine);
}

impl Probes for () {
    type Window = ();
    type Routine = ();
    #[inline(always)]
    fn start_mode(_: Option<Mode>) {}
    #[inline(always)]
    fn start() {}
    #[inline(always)]
    fn end(_: ()) {}
    #[inline(always)]
    fn routine_start() {}
    #[inline(always)]
    fn routine_end(_: ()) {}
    #[inline(always)]
    fn routine(f: impl FnOnce()) {
        f()
    }
    #[inline(always)]
    fn discard() {}
    #[inline(always)]
    fn close(_: &mut RecordSample) {}
    #[inline(always)]
    fn finish(_: &mut RecordLine) {}
}

impl<P: Probe, Rest: Probes> Probes for (P, Rest) {
    type Window = (P::Window, Rest::Window);
    type Routine = (Option<P::Window>, Rest::Routine);

    fn start_mode(mode: Option<Mode>) {
        P::start_mode(mode);
        Rest::start_mode(mode);
    }

    #[inline(always)]
    fn start() -> Self::Window {
        let first = P::start();
        (first, Rest::start())
    }

    #[inline(always)]
    fn end((first, rest): Self::Window) {
        Rest::end(rest);
        P::end(first);
    }

    #[inline(always)]
    fn routine_start() -> Self::Routine {
        let first = if P::WHOLE_ROUTINE { Some(P::start()) } else { None };
        (first, Rest::routine_start())
    }

    #[inline(always)]
    fn routine_end((first, rest): Self::Routine) {
        Rest::routine_end(rest);
        if let Some(window) = first {
            P::end(window);
        }
    }

    #[inline(always)]
    fn routine(f: impl FnOnce()) {
        P::routine(|| Rest::routine(f))
    }

    fn discard() {
        P::discard();
        Rest::discard();
    }

    fn close(sample: &mut RecordSample) {
        P::close(sample);
        write_counts::<P>(&mut sample.probes);
        Rest::close(sample);
    }

    fn finish(line: &mut RecordLine) {
        P::finish(line);
        Rest::finish(line);
    }
}

/// Two lists as one: `Outer`'s windows around `Inner`'s.
pub(crate) struct Both<Outer, Inner>(std::marker::PhantomData<(Outer, Inner)>);

impl<Outer: Probes, Inner: Probes> Probes for Both<Outer, Inner> {
    type Window = (Outer::Window, Inner::Window);
    type Routine = (Outer::Routine, Inner::Routine);

    fn start_mode(mode: Option<Mode>) {
        Outer::start_mode(mode);
        Inner::start_mode(mode);
    }

    #[inline(always)]
    fn start() -> Self::Window {
        let outer = Outer::start();
        (outer, Inner::start())
    }

    #[inline(always)]
    fn end((outer, inner): Self::Window) {
        Inner::end(inner);
        Outer::end(outer);
    }

    #[inline(always)]
    fn routine_start() -> Self::Routine {
        let outer = Outer::routine_start();
        (outer, Inner::routine_start())
    }

    #[inline(always)]
    fn routine_end((outer, inner): Self::Routine) {
        Inner::routine_end(inner);
        Outer::routine_end(outer);
    }

    #[inline(always)]
    fn routine(f: impl FnOnce()) {
        Outer::routine(|| Inner::routine(f))
    }

    fn discard() {
        Outer::discard();
        Inner::discard();
    }

    fn close(sample: &mut RecordSample) {
        Outer::close(sample);
        Inner::close(sample);
    }

    fn finish(line: &mut RecordLine) {
        Outer::finish(line);
        Inner::finish(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    thread_local! {
        static CALLS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    }

    fn call(what: String) {
        CALLS.with(|c| c.borrow_mut().push(what));
    }

    /// A probe that notes each hook's call; `WHOLE` says whether it counts a routine whole.
    struct Note<const ID: u8, const WHOLE: bool>;

    impl<const ID: u8, const WHOLE: bool> Probe for Note<ID, WHOLE> {
        type Window = u8;
        const WHOLE_ROUTINE: bool = WHOLE;

        fn start() -> u8 {
            call(format!("start {ID}"));
            ID
        }

        fn end(window: u8) {
            assert_eq!(window, ID, "each probe gets its own window back");
            call(format!("end {ID}"));
        }

        fn routine(f: impl FnOnce()) {
            call(format!("routine {ID}"));
            f();
        }

        fn close(sample: &mut RecordSample) {
            sample.windows += 1;
            call(format!("close {ID}"));
        }
    }

    type Outer = (Note<1, true>, (Note<2, false>, ()));
    type Inner = (Note<3, true>, ());

    fn calls() -> Vec<String> {
        CALLS.with(|c| c.take())
    }

    #[test]
    fn windows_nest_and_every_probe_is_called() {
        let window = <Both<Outer, Inner>>::start();
        <Both<Outer, Inner>>::end(window);
        assert_eq!(calls(), ["start 1", "start 2", "start 3", "end 3", "end 2", "end 1"]);

        let whole = <Both<Outer, Inner>>::routine_start();
        <Both<Outer, Inner>>::routine(|| call("the routine".into()));
        <Both<Outer, Inner>>::routine_end(whole);
        let expected = ["start 1", "start 3", "routine 1", "routine 2", "routine 3", "the routine", "end 3", "end 1"];
        assert_eq!(calls(), expected, "only the probes that count a routine whole get its window");

        let mut sample = RecordSample {
            time: 0.0,
            windows: 0,
            custom: false,
            counts: allocbench_formats::counts::Counts::ZERO,
            peak_space: 0,
            callgrind_part: None,
            sites: false,
            probes: ProbeCounts::NONE,
        };
        <Both<Outer, Inner>>::close(&mut sample);
        assert_eq!(sample.windows, 3);
        assert_eq!(calls(), ["close 1", "close 2", "close 3"]);
    }
}
