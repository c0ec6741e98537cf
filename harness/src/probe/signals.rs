//! The runtime-signal probe (issue 23): threads started and left alive, voluntary context
//! switches, read- and write-family system calls and their bytes, and minor page faults, over
//! each window ([`allocbench_formats::signals`]). Linux with glibc only; elsewhere the module is
//! empty and the list holds a probe that measures nothing.
//!
//! At a window's start and end it reads, without allocating: `/proc/self/io` (`syscr`, `syscw`,
//! `rchar`, `wchar`, the whole process's, exited threads included), through a file descriptor
//! opened once per process and read with `pread` into a buffer on the stack;
//! `getrusage(RUSAGE_SELF)` (`ru_nvcsw`, `ru_minflt`, exited threads included); and its own
//! counts of threads started and exited (below).
//!
//! # The probe's own reads
//!
//! The kernel counts a read in `syscr` and `rchar` after the read returns: a read of
//! `/proc/self/io` never sees itself. The end's read sees the start's (1 system call, and the
//! bytes it returned). So a window's figures less exactly 1 read call and the bytes the start's
//! read returned are the routine's own; the unit tests check it on an empty window and on one of
//! `n` reads of known size.
//!
//! # Threads started and alive: `pthread_create`, interposed
//!
//! The kernel keeps no count of threads started. The harness defines `pthread_create` itself:
//! in an executable, a definition of the executable's wins over glibc's for the calls the
//! executable makes (the standard library, linked in statically, starts its threads with it),
//! so each call counts one and forwards to glibc's, found with `dlsym(RTLD_NEXT, ...)`. This
//! is the one `unsafe` beside the allocator's: foreign calls (`pread`, `getrusage`, `dlsym`,
//! the pthread key's) and the forwarding, each with its `// SAFETY:`. glibc's `dlsym` may
//! allocate, so the forwarding address is looked up once when the process starts, outside every
//! window.
//!
//! Threads alive are the threads started less those exited, both counted here. The interposer
//! starts the thread in a trampoline of its own, which sets a pthread key whose destructor
//! counts the exit: glibc runs key destructors in the exiting thread whether its start routine
//! returned or it called `pthread_exit` (or was cancelled: both unwind to the same place), after
//! Rust's thread-local destructors and before the thread's end wakes `pthread_join`. So a
//! thread joined inside a window has always counted its exit by the window's end. (The thread
//! count of `/proc/self/stat`, read before, did not: a thread just joined could still be listed
//! by the kernel, and `threads_alive` of a benchmark that joins every thread was seen at
//! 0.000099 per iteration.)
//!
//! Where glibc's `pthread_create` is not found at run time (a static executable: there is no
//! next object to find it in), the interposer cannot start threads, and aborts with a message
//! saying so rather than fail the program's thread start with an error it would not expect. A
//! static build (`-C target-feature=+crt-static`) does not get here: the interposer is compiled
//! only for dynamically linked executables, and a static build measures no thread counts (both
//! stay 0) and lists no thread left running.
//!
//! # Threads left running, by name
//!
//! After each benchmark, the record names the threads it left running: those the interposer
//! started since the previous benchmark's end and whose key destructor has not run, from the
//! interposer's registry of threads by id (`threads`' module doc), so that the list is exactly
//! what `threads_alive` counts. Each is named from `/proc/self/task/<tid>/` (`comm`, the state
//! in `stat`, `wchan`), reading the files of those threads only. (A diff of `/proc/self/task`
//! between benchmarks, used before, also named threads the interposer never started, and could
//! name a thread joined a moment before: the kernel lists it until it has reaped it, after
//! `pthread_join` returned.)
//!
//! Under Miri the probe compiles to nothing, as on other platforms: Miri has its own
//! `pthread_create` and refuses a program that defines one, and it has no `/proc`.

#[cfg(all(target_os = "linux", target_env = "gnu", not(miri), not(target_feature = "crt-static")))]
mod threads;

/// A static executable has no interposer (the module doc): no thread is counted, none listed.
#[cfg(all(target_os = "linux", target_env = "gnu", not(miri), target_feature = "crt-static"))]
mod threads {
    /// Nothing to prepare.
    pub(crate) fn prepare() {}

    /// No registry to fill.
    pub(crate) fn register() {}

    /// No thread is listed as left running: none is counted alive either (a list of
    /// `/proc/self/task` would name threads the figures beside it never counted).
    pub(crate) fn left_since_last() -> Vec<u64> {
        Vec::new()
    }

    /// Threads started, and alive: not counted, 0.
    #[inline(always)]
    pub(crate) fn now() -> (u64, u64) {
        (0, 0)
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu", not(miri)))]
use allocbench_formats::metric::Metric;
#[cfg(all(target_os = "linux", target_env = "gnu", not(miri)))]
use allocbench_formats::record::RecordLine;
#[cfg(all(target_os = "linux", target_env = "gnu", not(miri)))]
use allocbench_formats::Mode;

use super::Probe;

/// The signals of the open sample's windows.
pub(crate) struct Signals;

#[cfg(all(target_os = "linux", target_env = "gnu", not(miri)))]
pub(crate) use linux::Start;

/// Nothing to start where nothing is measured.
#[cfg(not(all(target_os = "linux", target_env = "gnu", not(miri))))]
pub(crate) type Start = ();

#[cfg(not(all(target_os = "linux", target_env = "gnu", not(miri))))]
impl Probe for Signals {
    type Window = ();

    #[inline(always)]
    fn start() {}

    #[inline(always)]
    fn end(_: ()) {}
}

#[cfg(all(target_os = "linux", target_env = "gnu", not(miri)))]
impl Probe for Signals {
    type Window = Start;
    const WHOLE_ROUTINE: bool = true;

    fn start_mode(_mode: Option<Mode>) {
        linux::open();
    }

    #[inline(always)]
    fn start() -> Start {
        linux::start()
    }

    #[inline(always)]
    fn end(start: Start) {
        linux::end(start);
    }

    fn discard() {
        linux::discard();
    }

    /// The metric of each count, in the order of
    /// [`Signals::into_array`](allocbench_formats::signals::Signals::into_array).
    const KEYS: &'static [Metric] = &[
        Metric::ThreadsStarted,
        Metric::ThreadsAlive,
        Metric::VoluntarySwitches,
        Metric::ReadSyscalls,
        Metric::WriteSyscalls,
        Metric::ReadBytes,
        Metric::WriteBytes,
        Metric::MinorFaults,
    ];

    fn counts(counts: &mut [u64]) -> bool {
        linux::close().map(|signals| counts.copy_from_slice(&signals.into_array())).is_some()
    }

    /// Names the threads started while the benchmark ran and alive now (allocates: outside
    /// every window).
    fn finish(line: &mut RecordLine) {
        line.threads_left = linux::threads_left();
    }
}

// Each count of `Signals<u64>` has its metric in `KEYS`, in order: a count added to one and not
// the other fails to build rather than hand out counts under the wrong metrics.
#[cfg(all(target_os = "linux", target_env = "gnu", not(miri)))]
const _: () =
    assert!(std::mem::size_of::<allocbench_formats::signals::Signals<u64>>() == 8 * <Signals as Probe>::KEYS.len());

#[cfg(all(target_os = "linux", target_env = "gnu", not(miri)))]
mod linux {
    use std::cell::Cell;
    use std::ffi::{c_int, c_void};
    use std::os::fd::IntoRawFd;
    use std::sync::atomic::{AtomicI32, Ordering::Relaxed};

    use allocbench_formats::signals::Signals;

    use super::threads;

    /// `/proc/self/io`, opened once; -1 when the probe is off or it cannot be opened.
    static IO: AtomicI32 = AtomicI32::new(-1);

    thread_local! {
        // `const`, `Copy`, no destructor: the window hooks touch it without allocating.
        static OPEN: Cell<Signals<u64>> = const { Cell::new(Signals::ZERO) };
    }

    /// The readings at a window's start, and the bytes its own reads returned.
    #[derive(Clone, Copy)]
    pub(crate) struct Start {
        at: Signals<u64>,
        own_bytes: u64,
        on: bool,
    }

    /// Opens `/proc/self/io`, unless [`allocbench_formats::env::SIGNALS`] is `0`, and looks up
    /// glibc's `pthread_create`: at the process's start, outside every window.
    pub(super) fn open() {
        threads::prepare();
        if std::env::var_os(allocbench_formats::env::SIGNALS).is_some_and(|v| v == "0") {
            return;
        }
        let io = std::fs::File::open("/proc/self/io").map_or(-1, |f| f.into_raw_fd());
        if io >= 0 {
            IO.store(io, Relaxed);
            // `threads_left` runs after each benchmark: the registry's entries are freed.
            threads::register();
        }
    }

    /// Reads `fd` from offset 0 into `buf`; the bytes read, 0 on an error.
    #[inline(always)]
    fn pread(fd: c_int, buf: &mut [u8]) -> usize {
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the call's duration; a bad
        // `fd` makes the call fail, nothing else.
        let n = unsafe { libc::pread(fd, buf.as_mut_ptr().cast::<c_void>(), buf.len(), 0) };
        usize::try_from(n).unwrap_or(0)
    }

    /// The number after `key` (`rchar: `) on a line of `text`; 0 when absent.
    fn field(text: &[u8], key: &[u8]) -> u64 {
        let Some(at) = text.windows(key.len()).position(|w| w == key) else { return 0 };
        digits(&text[at + key.len()..])
    }

    /// The decimal number at the start of `text` (after spaces).
    fn digits(text: &[u8]) -> u64 {
        text.iter()
            .skip_while(|b| **b == b' ')
            .take_while(|b| b.is_ascii_digit())
            .fold(0u64, |n, b| n.wrapping_mul(10).wrapping_add(u64::from(b - b'0')))
    }

    /// Every signal now, and the bytes the reads returned.
    #[inline(always)]
    fn read(io: c_int) -> (Signals<u64>, u64) {
        let mut buf = [0u8; 512];
        let n_io = pread(io, &mut buf);
        let text = &buf[..n_io];
        let (syscr, syscw, rchar, wchar) =
            (field(text, b"syscr: "), field(text, b"syscw: "), field(text, b"rchar: "), field(text, b"wchar: "));
        let (started, alive) = threads::now();
        // SAFETY: `rusage` is plain data, valid all zero; `getrusage` writes it whole.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: a valid pointer to a `rusage` for the call's duration.
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
        let signals = Signals {
            threads_started: started,
            threads_alive: alive,
            voluntary_switches: usage.ru_nvcsw as u64,
            read_syscalls: syscr,
            write_syscalls: syscw,
            read_bytes: rchar,
            write_bytes: wchar,
            minor_faults: usage.ru_minflt as u64,
        };
        (signals, n_io as u64)
    }

    #[inline(always)]
    pub(super) fn start() -> Start {
        let io = IO.load(Relaxed);
        if io < 0 {
            return Start { at: Signals::ZERO, own_bytes: 0, on: false };
        }
        let (at, own_bytes) = read(io);
        Start { at, own_bytes, on: true }
    }

    /// The window's signals: the end's reading less the start's, less the start's own read
    /// (the module doc's "The probe's own reads").
    #[inline(always)]
    pub(super) fn window(start: &Start, end: &Signals<u64>) -> Signals<u64> {
        let mut d = end.since(&start.at);
        d.read_syscalls = d.read_syscalls.wrapping_sub(1);
        d.read_bytes = d.read_bytes.wrapping_sub(start.own_bytes);
        d
    }

    #[inline(always)]
    pub(super) fn end(start: Start) {
        if !start.on {
            return;
        }
        let (now, _) = read(IO.load(Relaxed));
        let d = window(&start, &now);
        let _ = OPEN.try_with(|open| open.set(open.get().plus(&d)));
    }

    pub(super) fn discard() {
        let _ = OPEN.try_with(|open| open.set(Signals::ZERO));
    }

    pub(super) fn close() -> Option<Signals<u64>> {
        let open = OPEN.try_with(|open| open.replace(Signals::ZERO)).unwrap_or(Signals::ZERO);
        (IO.load(Relaxed) >= 0).then_some(open)
    }

    /// The threads the harness's `pthread_create` started since the previous call (the
    /// previous benchmark's end) that have not ended: those the benchmark that just finished
    /// left running, from the interposer's own registry (`threads`' module doc), named from
    /// `/proc/self/task/<tid>/`. `None` when there are none, or when the probe is off.
    ///
    /// A thread is listed exactly when `threads_alive` counts it (started, its key's destructor
    /// not run): not a thread already joined that the kernel still lists in `/proc/self/task`,
    /// nor a thread the interposer did not start. A static executable has no interposer and
    /// lists none, as it counts none.
    pub(super) fn threads_left() -> Option<allocbench_formats::signals::ThreadsLeft> {
        use allocbench_formats::signals::{ThreadLeft, ThreadsLeft, MAX_THREADS_NAMED};
        if IO.load(Relaxed) < 0 {
            return None;
        }
        let left = threads::left_since_last();
        if left.is_empty() {
            return None;
        }
        let read = |tid: u64, file: &str| {
            if tid == 0 {
                return String::new(); // started, not yet running: nothing to read
            }
            std::fs::read_to_string(format!("/proc/self/task/{tid}/{file}")).unwrap_or_default().trim().to_owned()
        };
        let threads = left
            .iter()
            .take(MAX_THREADS_NAMED)
            .map(|&tid| {
                let stat = read(tid, "stat");
                let state = stat.rsplit_once(") ").and_then(|(_, rest)| rest.split(' ').next()).unwrap_or("");
                let wchan = read(tid, "wchan");
                ThreadLeft {
                    name: read(tid, "comm"),
                    state: state.to_owned(),
                    wchan: if wchan == "0" { String::new() } else { wchan },
                    spawned_at: spawned_at(tid),
                }
            })
            .collect();
        Some(ThreadsLeft { count: left.len() as u64, threads })
    }

    /// The stack that started thread `tid`, in the allocation-site pass (whose `pthread_create`
    /// captures it); empty elsewhere.
    fn spawned_at(tid: u64) -> Vec<allocbench_formats::record::FrameRecord> {
        #[cfg(all(feature = "heap-profile", not(target_feature = "crt-static")))]
        return crate::heap::threads::spawn_stack(tid);
        #[cfg(not(all(feature = "heap-profile", not(target_feature = "crt-static"))))]
        {
            let _ = tid;
            Vec::new()
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn io_fields() {
            assert_eq!(field(b"rchar: 12\nwchar: 34\nsyscr: 5\n", b"wchar: "), 34);
        }

        /// The probe's own reads cancel exactly: an empty window counts nothing read, and a
        /// window of `n` reads of a file of known size counts `n` calls and `n` times its size.
        /// The count the test compares with is its own (`n`, the file's length), sharing nothing
        /// with the probe's parsing.
        #[test]
        fn own_reads_cancel_and_reads_count_exactly() {
            open();
            assert!(IO.load(Relaxed) >= 0, "/proc/self/io is readable");
            let dir = std::env::temp_dir().join(format!("allocbench-signals-{}", std::process::id()));
            std::fs::write(&dir, [7u8; 100]).unwrap();
            let file = std::fs::File::open(&dir).unwrap();
            use std::os::unix::fs::FileExt;
            let mut buf = [0u8; 100];
            for n in [0u64, 3, 6] {
                // Other test threads may read or write in between (libtest prints each result
                // as it ends): retry until a window is quiet on both sides.
                let got = (0..50)
                    .map(|_| {
                        let s = start();
                        for _ in 0..n {
                            assert_eq!(file.read_at(&mut buf, 0).unwrap(), 100);
                        }
                        let (now, _) = read(IO.load(Relaxed));
                        window(&s, &now)
                    })
                    .find(|d| d.read_syscalls == n && d.write_syscalls == 0)
                    .expect("a quiet window");
                assert_eq!((got.read_syscalls, got.read_bytes), (n, 100 * n), "n = {n}");
                assert_eq!(got.write_syscalls, 0);
            }
            std::fs::remove_file(&dir).unwrap();
        }

        /// What a window's start and end cost (docs/performance.md §17): run with
        /// `cargo test -p allocbench --lib --release -- --ignored --nocapture cost_of_a_window`.
        #[test]
        #[ignore = "a measurement, not a check"]
        fn cost_of_a_window() {
            open();
            let n = 100_000;
            let t = std::time::Instant::now();
            for _ in 0..n {
                let s = start();
                std::hint::black_box(&s);
                end(s);
            }
            let ns = t.elapsed().as_nanos() as f64 / f64::from(n);
            println!("one window's start and end: {ns:.0} ns");
            let each = |what: &str, f: &dyn Fn()| {
                let t = std::time::Instant::now();
                for _ in 0..n {
                    f();
                }
                println!("{what}: {:.0} ns", t.elapsed().as_nanos() as f64 / f64::from(n));
            };
            let mut buf = [0u8; 1024];
            let buf = std::cell::RefCell::new(&mut buf);
            each("pread /proc/self/io", &|| {
                pread(IO.load(Relaxed), &mut buf.borrow_mut()[..]);
            });
            each("the thread counts", &|| {
                std::hint::black_box(threads::now());
            });
            each("getrusage", &|| {
                // SAFETY: as in `read`.
                let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
                // SAFETY: as in `read`.
                unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
            });
        }

        /// A static executable starts threads (glibc's own `pthread_create`), and counts none
        /// and lists none left running, though one is.
        #[test]
        #[cfg(target_feature = "crt-static")]
        fn a_static_executable_starts_threads_and_counts_none() {
            open();
            let ran = std::thread::spawn(|| 7).join().unwrap();
            assert_eq!((ran, threads::now()), (7, (0, 0)));
            let (hold, go) = std::sync::mpsc::channel::<()>();
            let parked = std::thread::spawn(move || go.recv());
            assert_eq!(threads_left(), None);
            drop(hold);
            let _ = parked.join().unwrap();
        }

        /// A thread started through std counts one in `threads_started`.
        #[test]
        #[cfg(not(target_feature = "crt-static"))]
        fn std_threads_go_through_the_interposed_pthread_create() {
            open();
            let (before, _) = threads::now();
            std::thread::spawn(|| {}).join().unwrap();
            assert!(threads::now().0 > before, "std::thread::spawn called our pthread_create");
        }
    }
}
