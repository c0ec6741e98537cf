//! The involuntary-switch probe: how often the kernel preempted a thread of the process over a
//! window (`getrusage(RUSAGE_SELF)`'s `ru_nivcsw`, every thread's, exited ones included): code
//! that runs longer than its time slice on a busy machine, or a thread that wakes another on the
//! same CPU. A count the scheduler decides as much as the code, so its metric row reports it and
//! gates nothing by default ([`allocbench_formats::metric::Metric::InvoluntarySwitches`]).
//!
//! It hands its count out by metric ([`Probe::KEYS`]), so that the record, the subcommand's
//! figures, the report and every renderer take it without a field of its own. Linux only, off
//! with the other runtime signals ([`allocbench_formats::env::SIGNALS`] `=0`); elsewhere, and
//! under Miri (no `getrusage`), the probe measures nothing.

use super::Probe;

/// The involuntary context switches of the open sample's windows.
pub(crate) struct InvoluntarySwitches;

#[cfg(not(all(target_os = "linux", not(miri))))]
impl Probe for InvoluntarySwitches {
    type Window = ();

    #[inline(always)]
    fn start() {}

    #[inline(always)]
    fn end(_: ()) {}
}

#[cfg(all(target_os = "linux", not(miri)))]
impl Probe for InvoluntarySwitches {
    /// The reading at the window's start; `None` when the probe is off.
    type Window = Option<u64>;
    const WHOLE_ROUTINE: bool = true;
    const KEYS: &'static [allocbench_formats::metric::Metric] =
        &[allocbench_formats::metric::Metric::InvoluntarySwitches];

    fn start_mode(_mode: Option<allocbench_formats::Mode>) {
        let off = std::env::var_os(allocbench_formats::env::SIGNALS).is_some_and(|v| v == "0");
        linux::ON.store(!off, std::sync::atomic::Ordering::Relaxed);
    }

    #[inline(always)]
    fn start() -> Option<u64> {
        linux::ON.load(std::sync::atomic::Ordering::Relaxed).then(linux::now)
    }

    #[inline(always)]
    fn end(start: Option<u64>) {
        if let Some(at) = start {
            let window = linux::now().wrapping_sub(at);
            let _ = linux::OPEN.try_with(|open| open.set(open.get().wrapping_add(window)));
        }
    }

    fn discard() {
        let _ = linux::OPEN.try_with(|open| open.set(0));
    }

    fn counts(counts: &mut [u64]) -> bool {
        let open = linux::OPEN.try_with(|open| open.replace(0)).unwrap_or(0);
        counts[0] = open;
        linux::ON.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(all(target_os = "linux", not(miri)))]
mod linux {
    use std::cell::Cell;
    use std::sync::atomic::AtomicBool;

    /// Whether the probe measures (switched on when the process starts, unless turned off).
    pub(super) static ON: AtomicBool = AtomicBool::new(false);

    thread_local! {
        // `const`, `Copy`, no destructor: the window hooks touch it without allocating.
        pub(super) static OPEN: Cell<u64> = const { Cell::new(0) };
    }

    /// The process's involuntary context switches so far (0 if `getrusage` fails, which it does
    /// not for `RUSAGE_SELF` and a valid pointer).
    #[inline(always)]
    pub(super) fn now() -> u64 {
        // SAFETY: `rusage` is a C struct of integers, for which all zeroes is a valid value.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `usage` is a valid, writable `rusage` for the call's duration; `getrusage`
        // only writes it and does not allocate.
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
            return 0;
        }
        usage.ru_nivcsw as u64
    }
}

#[cfg(all(test, target_os = "linux", not(miri)))]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

    use allocbench_formats::counts::Counts;
    use allocbench_formats::metric::Metric;
    use allocbench_formats::record::{ProbeCounts, RecordSample};

    use super::super::Probes;
    use super::*;

    /// `nonvoluntary_ctxt_switches` of a `status` file, parsed here: the test's own reading,
    /// sharing no code with the probe's `getrusage`.
    fn status_switches(path: &std::path::Path) -> Option<u64> {
        let text = std::fs::read_to_string(path).ok()?;
        let line = text.lines().find(|l| l.starts_with("nonvoluntary_ctxt_switches:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// The probe's count of a window, written into a sample through the probe list, lies between
    /// two counts the test takes itself: at least this thread's own preemptions inside the window,
    /// read from `/proc/thread-self/status` (independent of `getrusage`), and at most the
    /// process's across a wider window around the probe's, read with the same `getrusage` (the
    /// same counter: this bound checks the window's plumbing, not the kernel's count; a sum over
    /// `/proc/self/task/*/status` misses threads of other tests that start and end meanwhile).
    /// Busy threads, twice as many as the CPUs, make the kernel preempt this one.
    #[test]
    fn counts_the_preemptions_of_its_window() {
        <(InvoluntarySwitches, ()) as Probes>::start_mode(None);
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
            for _ in 0..2 * cpus {
                scope.spawn(|| {
                    while !stop.load(Relaxed) {
                        std::hint::spin_loop();
                    }
                });
            }
            let mine = || status_switches(std::path::Path::new("/proc/thread-self/status")).unwrap();
            let before = linux::now();
            let window = <(InvoluntarySwitches, ()) as Probes>::start();
            let mine_at_start = mine();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while mine() < mine_at_start + 3 && std::time::Instant::now() < deadline {
                std::hint::spin_loop();
            }
            let own = mine() - mine_at_start;
            <(InvoluntarySwitches, ()) as Probes>::end(window);
            let after = linux::now();
            stop.store(true, Relaxed);

            let mut sample = RecordSample {
                time: 0.0,
                windows: 1,
                custom: false,
                counts: Counts::ZERO,
                peak_space: 0,
                callgrind_part: None,
                sites: false,
                probes: ProbeCounts::NONE,
            };
            <(InvoluntarySwitches, ()) as Probes>::close(&mut sample);
            let got = sample.probes.get(Metric::InvoluntarySwitches).expect("the probe wrote its metric");
            assert!(own >= 3, "this thread was preempted 3 times within 30 s ({own})");
            assert!(got >= own, "the probe counted {got}, this thread alone {own}");
            assert!(got <= after - before, "the probe counted {got}, the process {} around it", after - before);
            assert_eq!(sample.probes.iter().count(), 1, "no other metric");
        });
    }
}
