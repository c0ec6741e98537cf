//! The instruction pass: valgrind's callgrind counts the instructions executed inside criterion's
//! measured windows only, and writes each sample's count to a file of its own.
//!
//! The harness talks to callgrind through valgrind's *client requests*: a sequence of
//! instructions that does nothing on a real CPU (four rotations of a register by 128 bits in all,
//! then an exchange of a register with itself) and that valgrind's translator recognises. The
//! sequence and the request numbers are valgrind's (`valgrind.h`, `callgrind.h`, valgrind 3.x);
//! they are written out here, as gungraun does, so that building a bench needs no valgrind
//! headers. Outside valgrind a request costs those five instructions, and the harness issues
//! them only in the instruction pass ([`enable`]).
//!
//! Callgrind runs with `--collect-atstart=no`. A window toggles collection on as its last step
//! in [`Counting::start`](crate::measurement::Counting) and off as its first in `end`, so that
//! neither the allocator's counters nor criterion's clock are counted; a new benchmark (criterion's
//! `zero()`) zeroes what the warm-up collected; closing a sample dumps its count
//! (`callgrind.out.<pid>.<part>`), and the record line says which part holds which sample.
//!
//! Only the first [`COUNTED_SAMPLES`] samples of a benchmark are counted: a slope needs two
//! iteration counts, and criterion insists on ten samples, whose 55 iterations (1 + 2 + … + 10)
//! run some fifty times slower under callgrind than natively. Each later sample runs an empty
//! loop in place of the benchmark's routine ([`sample`]), so criterion still gets its ten
//! samples, and dumps nothing (its record names no part).

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};

/// `VG_USERREQ_TOOL_BASE('C','T')`: callgrind's first request number.
const CALLGRIND_BASE: usize = ((b'C' as usize) << 24) | ((b'T' as usize) << 16);
/// `VG_USERREQ__ZERO_STATS`.
const ZERO_STATS: usize = CALLGRIND_BASE + 1;
/// `VG_USERREQ__TOGGLE_COLLECT`.
const TOGGLE_COLLECT: usize = CALLGRIND_BASE + 2;
/// `VG_USERREQ__DUMP_STATS_AT`: dump, with a description string.
const DUMP_STATS_AT: usize = CALLGRIND_BASE + 3;
/// `VG_USERREQ__RUNNING_ON_VALGRIND`, a core request: how deep under valgrind, 0 outside.
const RUNNING_ON_VALGRIND: usize = 0x1001;

/// Whether this process issues the requests: set once, before any benchmark, in the instruction
/// pass only.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Dumps made so far: callgrind numbers its dumps' parts from 1, in order.
static PARTS: AtomicU32 = AtomicU32::new(0);

/// Samples of a benchmark counted (and dumped): criterion's linear samples of 1, 2, 3 and 4
/// times its step give three consecutive slopes, whose median stands when the path through
/// `malloc` makes one of them differ, for 10 iterations of the routine instead of 55.
pub(crate) const COUNTED_SAMPLES: u32 = 4;

/// Samples dumped since criterion's last `zero()`, which it calls once before its warm-up and
/// once before its samples. `iter_batched` and its kin call it in every sample as well, so their
/// benchmarks are counted in all ten samples: the same figures, without the saving.
static DUMPED: AtomicU32 = AtomicU32::new(0);

/// Issues client request `request` with one argument and returns valgrind's answer, or
/// `default` outside valgrind.
#[inline(always)]
#[allow(unused_variables, unused_mut)]
fn client_request(default: usize, request: usize, arg: usize) -> usize {
    let args: [usize; 6] = [request, arg, 0, 0, 0, 0];
    let mut result = default;
    #[cfg(all(target_arch = "x86_64", any(target_os = "linux", target_os = "macos", target_os = "freebsd")))]
    // SAFETY: valgrind's amd64 client-request sequence. On a CPU it rotates `rdi` by 3 + 13 + 61
    // + 51 = 128 bits (unchanged) and exchanges `rbx` with itself (unchanged), touching only the
    // flags, which `asm!` assumes clobbered; `rdx` carries `default` in and valgrind's answer
    // out; `rax` points at `args`, which lives until the end of this function and which valgrind
    // only reads. No stack is used.
    unsafe {
        std::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            inout("rdx") result,
            in("rax") args.as_ptr(),
            options(nostack),
        );
    }
    #[cfg(all(target_arch = "aarch64", any(target_os = "linux", target_os = "macos", target_os = "freebsd")))]
    // SAFETY: valgrind's arm64 client-request sequence: `x3` carries `default` in and the answer
    // out, `x4` points at `args` (alive and only read); on a CPU the rotations of `x12` add up to
    // 128 bits and `orr x10, x10, x10` is a no-op, so nothing else changes.
    unsafe {
        std::arch::asm!(
            "ror x12, x12, #3",
            "ror x12, x12, #13",
            "ror x12, x12, #51",
            "ror x12, x12, #61",
            "orr x10, x10, x10",
            inout("x3") result,
            in("x4") args.as_ptr(),
            options(nostack),
        );
    }
    result
}

/// Turns the requests on for this process, when it runs under valgrind; says whether it does.
pub(crate) fn enable() -> bool {
    let on = client_request(0, RUNNING_ON_VALGRIND, 0) > 0;
    ACTIVE.store(on, Relaxed);
    on
}

/// Whether the requests are on.
#[inline(always)]
pub(crate) fn active() -> bool {
    ACTIVE.load(Relaxed)
}

/// A measured window opens (`true`) or closes: callgrind's collection flips.
#[inline(always)]
pub(crate) fn toggle_collect() {
    if active() {
        client_request(0, TOGGLE_COLLECT, 0);
    }
}

/// Forgets what was collected since the last dump: the warm-up's windows.
pub(crate) fn zero() {
    if active() {
        client_request(0, ZERO_STATS, 0);
        DUMPED.store(0, Relaxed);
    }
}

/// Whether the sample about to run is past the counted ones: its routine need not run.
fn uncounted() -> bool {
    active() && DUMPED.load(Relaxed) >= COUNTED_SAMPLES
}

/// Dumps what was collected since the last dump or zero, and returns the dump's part number;
/// `None` outside the instruction pass, and for a sample past the counted ones, whose count
/// (an empty loop's) is left for the next `zero()` to forget.
pub(crate) fn dump() -> Option<u32> {
    if !active() || uncounted() {
        return None;
    }
    client_request(0, DUMP_STATS_AT, c"allocbench sample".as_ptr() as usize);
    DUMPED.fetch_add(1, Relaxed);
    Some(PARTS.fetch_add(1, Relaxed) + 1)
}

/// Runs one call of a benchmark's closure through `routine`, or, for a sample past the counted
/// ones in the instruction pass, an empty `iter` loop in its place: criterion needs the sample
/// (ten at least), the instruction pass not its count. The warm-up's calls are never replaced
/// (no sample is dumped before it), so criterion's estimate of the routine's pace, and with it
/// the iteration counts of the counted samples, are what they would be.
#[inline(always)]
pub(crate) fn sample<'a, M: criterion::measurement::Measurement>(
    b: &mut criterion::Bencher<'a, M>,
    routine: impl FnOnce(&mut criterion::Bencher<'a, M>),
) {
    if uncounted() {
        b.iter(|| ());
    } else {
        routine(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_do_nothing_outside_valgrind() {
        // Under `cargo test` (not under valgrind) every request returns its default.
        assert_eq!(client_request(7, RUNNING_ON_VALGRIND, 0), 7);
        assert!(!enable());
        assert_eq!(dump(), None);
        toggle_collect();
        zero();
        // Every sample's routine runs: only the instruction pass replaces some.
        for _ in 0..2 * COUNTED_SAMPLES {
            assert!(!uncounted());
            assert_eq!(dump(), None);
        }
    }
}
