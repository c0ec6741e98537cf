//! The instruction probe: callgrind counts the instructions of each window, in the instruction
//! pass's process only (module `callgrind`, which talks to valgrind).

use allocbench_formats::record::{RecordLine, RecordSample};
use allocbench_formats::Mode;

use super::Probe;
use crate::callgrind;

/// Callgrind's collection, on inside the windows only; one dump per sample.
pub(crate) struct Instructions;

impl Probe for Instructions {
    type Window = ();

    fn start_mode(mode: Option<Mode>) {
        if mode == Some(Mode::Instructions) && !callgrind::enable() {
            eprintln!("allocbench: the instruction pass runs under valgrind's callgrind; this process does not, and counts no instructions");
        }
    }

    #[inline(always)]
    fn start() {
        callgrind::toggle_collect();
    }

    #[inline(always)]
    fn end(_: ()) {
        callgrind::toggle_collect();
    }

    /// Forgets what the warm-up's windows collected.
    fn discard() {
        callgrind::zero();
    }

    fn close(sample: &mut RecordSample) {
        sample.callgrind_part = callgrind::dump();
    }

    fn finish(line: &mut RecordLine) {
        line.pid = callgrind::active().then(std::process::id);
    }
}
