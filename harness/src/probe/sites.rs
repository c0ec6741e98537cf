//! The allocation-site probe (module `heap`, feature `heap-profile`): the stacks of the
//! allocations made in the windows of a benchmark's first samples, in the allocation-site pass's
//! process only. Without the feature it does nothing.

#[cfg(feature = "heap-profile")]
use allocbench_formats::record::{RecordLine, RecordSample};
#[cfg(feature = "heap-profile")]
use allocbench_formats::Mode;

use super::Probe;

/// The allocation-site pass's stacks.
pub(crate) struct Sites;

#[cfg(feature = "heap-profile")]
impl Probe for Sites {
    type Window = ();

    fn start_mode(mode: Option<Mode>) {
        // The interposers of libc's `read` and `write` families forward in every pass.
        crate::heap::prepare_syscalls();
        if mode == Some(Mode::Heap) {
            crate::heap::enable();
        }
    }

    #[inline(always)]
    fn start() {
        crate::heap::set_capture(true);
    }

    #[inline(always)]
    fn end(_: ()) {
        crate::heap::set_capture(false);
    }

    #[inline(always)]
    fn routine(f: impl FnOnce()) {
        crate::heap::in_routine(f)
    }

    fn discard() {
        crate::heap::discard_open_sample();
    }

    fn close(sample: &mut RecordSample) {
        sample.sites = crate::heap::close_sample();
    }

    fn finish(line: &mut RecordLine) {
        // Always, also for a benchmark without samples: it resets the pass for the next one.
        line.syscall_sites = crate::heap::take_syscall_sites();
        line.sites = crate::heap::take_sites();
    }
}

#[cfg(not(feature = "heap-profile"))]
impl Probe for Sites {
    type Window = ();

    #[inline(always)]
    fn start() {}

    #[inline(always)]
    fn end(_: ()) {}
}
