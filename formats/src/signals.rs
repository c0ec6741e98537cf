//! The runtime signals: what the process did beside allocating, over a window, per sample and per
//! iteration (issue 23): threads started and left alive, voluntary context switches, read- and
//! write-family system calls and their bytes, and minor page faults.
//!
//! [`Signals<T>`] is the harness's probe's reading of the eight counts, and its window deltas
//! (`Signals<u64>`, wrapping: `threads_alive` is a difference that may fall). The probe hands
//! them out keyed by metric: the record and the report hold them as every probe's figures,
//! [`crate::record::ProbeCounts`] and [`crate::report::ProbeFigures`], and the metric table's
//! rows say how each is shown and judged. [`ThreadsLeft`] is their "where": the threads a
//! benchmark left running. Linux only: elsewhere the harness measures none of them and the
//! record and report hold none.
//!
//! ```
//! use allocbench_formats::signals::Signals;
//!
//! let before = Signals { write_syscalls: 4, threads_alive: 3, ..Signals::ZERO };
//! let after = Signals { write_syscalls: 9, threads_alive: 2, ..Signals::ZERO };
//! let window = after.since(&before);
//! assert_eq!(window.write_syscalls, 5);
//! assert_eq!(window.threads_alive as i64, -1, "a difference, read as signed");
//! ```

use serde::{Deserialize, Serialize};

/// The eight counts, each a `T`, in the order of the report's keys.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signals<T> {
    /// Threads started (`pthread_create` calls that succeeded).
    pub threads_started: T,
    /// Threads alive at the end less at the start: those started and still running.
    pub threads_alive: T,
    /// Voluntary context switches of every thread of the process (`ru_nvcsw`): it blocked.
    pub voluntary_switches: T,
    /// Read-family system calls (`/proc/self/io`'s `syscr`).
    pub read_syscalls: T,
    /// Write-family system calls (`syscw`).
    pub write_syscalls: T,
    /// Bytes returned by them (`rchar`).
    pub read_bytes: T,
    /// Bytes passed to them (`wchar`).
    pub write_bytes: T,
    /// Minor page faults (`ru_minflt`): pages first touched.
    pub minor_faults: T,
}

impl<T> Signals<T> {
    /// `f` of each count, in field order.
    #[inline]
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Signals<U> {
        Signals {
            threads_started: f(self.threads_started),
            threads_alive: f(self.threads_alive),
            voluntary_switches: f(self.voluntary_switches),
            read_syscalls: f(self.read_syscalls),
            write_syscalls: f(self.write_syscalls),
            read_bytes: f(self.read_bytes),
            write_bytes: f(self.write_bytes),
            minor_faults: f(self.minor_faults),
        }
    }

    /// Each count paired with `other`'s.
    #[inline]
    pub fn zip<U>(self, other: Signals<U>) -> Signals<(T, U)> {
        Signals {
            threads_started: (self.threads_started, other.threads_started),
            threads_alive: (self.threads_alive, other.threads_alive),
            voluntary_switches: (self.voluntary_switches, other.voluntary_switches),
            read_syscalls: (self.read_syscalls, other.read_syscalls),
            write_syscalls: (self.write_syscalls, other.write_syscalls),
            read_bytes: (self.read_bytes, other.read_bytes),
            write_bytes: (self.write_bytes, other.write_bytes),
            minor_faults: (self.minor_faults, other.minor_faults),
        }
    }

    /// The counts as an array, in field order.
    pub fn into_array(self) -> [T; 8] {
        [
            self.threads_started,
            self.threads_alive,
            self.voluntary_switches,
            self.read_syscalls,
            self.write_syscalls,
            self.read_bytes,
            self.write_bytes,
            self.minor_faults,
        ]
    }

    /// The counts of an array in field order ([`Signals::into_array`]).
    pub fn from_array(
        [threads_started, threads_alive, voluntary_switches, read_syscalls, write_syscalls, read_bytes, write_bytes, minor_faults]: [T; 8],
    ) -> Self {
        Signals {
            threads_started,
            threads_alive,
            voluntary_switches,
            read_syscalls,
            write_syscalls,
            read_bytes,
            write_bytes,
            minor_faults,
        }
    }
}

impl Signals<u64> {
    /// All counts zero.
    pub const ZERO: Signals<u64> = Signals {
        threads_started: 0,
        threads_alive: 0,
        voluntary_switches: 0,
        read_syscalls: 0,
        write_syscalls: 0,
        read_bytes: 0,
        write_bytes: 0,
        minor_faults: 0,
    };

    /// The counts of `self` and `other` together (wrapping).
    #[inline]
    pub fn plus(&self, other: &Signals<u64>) -> Signals<u64> {
        self.zip(*other).map(|(a, b)| a.wrapping_add(b))
    }

    /// The counts from `earlier` to `self` (wrapping: `threads_alive` may fall).
    #[inline]
    pub fn since(&self, earlier: &Signals<u64>) -> Signals<u64> {
        self.zip(*earlier).map(|(a, b)| a.wrapping_sub(b))
    }
}

/// A thread a benchmark left running: started while the benchmark ran and alive when it
/// finished, as `/proc/self/task/<tid>/` names it (the nearest thing to a goroutine dump).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ThreadLeft {
    /// Its name (`comm`): the name given to `std::thread::Builder::name`, else the process's.
    pub name: String,
    /// Its state (`stat` field 3): `S` sleeping, `R` running, `D` in uninterruptible wait.
    pub state: String,
    /// The kernel function it waits in (`wchan`), e.g. `futex_wait_queue`; empty when running
    /// or hidden.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub wchan: String,
    /// The stack that started it, leaf first, from its first frame of the program's own (std's
    /// thread start cut away): in the allocation-site pass's run only, where the harness's
    /// `pthread_create` captures it; empty elsewhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spawned_at: Vec<crate::frames::FrameRecord>,
}

/// The threads a benchmark left running, as its record line holds them: the first few, and how
/// many there were.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ThreadsLeft {
    /// How many threads started while the benchmark ran were alive when it finished.
    pub count: u64,
    /// The first of them ([`MAX_THREADS_NAMED`] at most), oldest first.
    pub threads: Vec<ThreadLeft>,
}

/// How many threads left running a record and a report name; the count says how many there were.
pub const MAX_THREADS_NAMED: usize = 8;

/// A family of system calls whose callers the allocation-site pass names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyscallFamily {
    /// `read`, `readv`, `pread64` (`read_syscalls`, `read_bytes`).
    Read,
    /// `write`, `writev`, `pwrite64` (`write_syscalls`, `write_bytes`).
    Write,
}

impl SyscallFamily {
    /// Both, in the order they are listed.
    pub const ALL: [SyscallFamily; 2] = [SyscallFamily::Read, SyscallFamily::Write];

    /// How the family is named in a sentence: `read`, `write`.
    pub fn name(self) -> &'static str {
        match self {
            SyscallFamily::Read => "read",
            SyscallFamily::Write => "write",
        }
    }
}

/// The code that makes system calls of one family, per iteration (the allocation-site pass,
/// whose interposers of libc's `read` and `write` families capture the calling stack inside the
/// benchmark's routine): named like an allocation site, by its first frame outside the standard
/// library.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SyscallSite {
    /// Which calls.
    pub family: SyscallFamily,
    /// The function that makes them, demangled.
    pub function: String,
    /// Its source file, when debug info says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The line of the call, when debug info says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// When `function` is not the benchmarked package's own: its nearest caller that is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    /// System calls per iteration.
    pub calls: f64,
    /// Bytes they read or wrote per iteration (what the calls returned).
    pub bytes: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_keep_field_order_and_serde_names() {
        let s = Signals::from_array([1u64, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!((s.threads_alive, s.minor_faults), (2, 8));
        assert_eq!(s.into_array(), [1, 2, 3, 4, 5, 6, 7, 8]);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(
            json,
            r#"{"threads_started":1,"threads_alive":2,"voluntary_switches":3,"read_syscalls":4,"write_syscalls":5,"read_bytes":6,"write_bytes":7,"minor_faults":8}"#
        );
        assert_eq!(Signals::ZERO.plus(&s).since(&s), Signals::ZERO);
    }
}
