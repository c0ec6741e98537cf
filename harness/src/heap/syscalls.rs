//! Where the system calls come from: the harness's own `read`, `readv`, `pread64`, `write`,
//! `writev` and `pwrite64`, which forward to glibc's and, in the allocation-site pass only,
//! count each call inside the benchmark's routine on the stack that made it (issue 23's "where"
//! for `read_syscalls` and `write_syscalls`).
//!
//! As with `pthread_create` (the runtime signals' module doc), a function the executable defines
//! wins over glibc's for the calls the executable makes: the standard library's `File`, `Stdout`
//! and sockets, the `libc` crate's calls, criterion's and the harness's own output all come
//! here. Each forwards to glibc's function, looked up with `dlsym(RTLD_NEXT, ...)` once when the
//! process starts (`prepare`, from the site probe's start, in every pass: `dlsym` may allocate,
//! which must not happen inside a window). Outside the allocation-site pass a call costs the load
//! of the forwarding address and one flag more than glibc's own. glibc's own calls inside libc
//! (its `printf`, its `fread`) use its internal names and never come here.
//!
//! In the pass, a call is counted when a window of a captured sample is open and the calling
//! thread is inside the benchmark's routine (the harness's wrapper around its closure): the
//! harness's own I/O (its record line, its reads of `/proc` with `pread`, which is not
//! interposed, the stack capture's and the symbolisation's reads, which run marked busy) is
//! never counted. It counts the call and the bytes the call returned (nothing for an error), as
//! the kernel's `syscr`/`syscw` and `rchar`/`wchar` count them.
//!
//! Not seen here: system calls made without libc's functions (`syscall(2)`, or rustix's
//! `linux_raw` backend, which issues them itself), calls on threads the routine started (only
//! the routine's own thread is inside the routine), the other members of the families the
//! kernel counts (`preadv`, `sendfile`, `splice`, ...), and a static executable (no next object
//! to forward to: the module is not compiled there, and the pass names no system calls).

use std::ffi::{c_int, c_void, CStr};
use std::sync::atomic::AtomicUsize;

use super::*;

/// Where a family's counts go in a stack's `[read calls, read bytes, write calls, write bytes]`.
const READ: usize = 0;
const WRITE: usize = 2;

/// glibc's functions, once looked up; 0 before.
static REAL_READ: AtomicUsize = AtomicUsize::new(0);
static REAL_READV: AtomicUsize = AtomicUsize::new(0);
static REAL_PREAD64: AtomicUsize = AtomicUsize::new(0);
static REAL_WRITE: AtomicUsize = AtomicUsize::new(0);
static REAL_WRITEV: AtomicUsize = AtomicUsize::new(0);
static REAL_PWRITE64: AtomicUsize = AtomicUsize::new(0);

/// Looks up glibc's functions: at the process's start, outside every window.
pub(crate) fn prepare() {
    for (slot, name) in [
        (&REAL_READ, c"read"),
        (&REAL_READV, c"readv"),
        (&REAL_PREAD64, c"pread64"),
        (&REAL_WRITE, c"write"),
        (&REAL_WRITEV, c"writev"),
        (&REAL_PWRITE64, c"pwrite64"),
    ] {
        real(slot, name);
    }
}

/// The address of glibc's `name`, looked up on first use; aborts when there is none.
#[inline(always)]
fn real(slot: &AtomicUsize, name: &CStr) -> usize {
    let f = slot.load(Relaxed);
    if f != 0 {
        return f;
    }
    look_up(slot, name)
}

#[cold]
#[inline(never)]
fn look_up(slot: &AtomicUsize, name: &CStr) -> usize {
    // SAFETY: a NUL-terminated name; `RTLD_NEXT` from the executable names the objects loaded
    // after it, of which glibc defines the function.
    let f = unsafe { libc::dlsym(libc::RTLD_NEXT, name.as_ptr()) } as usize;
    if f == 0 {
        // Failing the call (an error the program does not expect) would lose its output or its
        // input silently; the call needs glibc's function, which is not there.
        abort_with(name);
    }
    slot.store(f, Relaxed);
    f
}

/// Writes a one-line message naming `name` to standard error, with the raw system call (the
/// interposed `write` has nothing to forward to), and aborts.
fn abort_with(name: &CStr) -> ! {
    let parts: [&[u8]; 3] = [
        b"allocbench: glibc's ",
        name.to_bytes(),
        b" not found (dlsym(RTLD_NEXT) returned null); the harness's system-call counting needs a dynamically linked executable\n",
    ];
    for part in parts {
        // SAFETY: `part` is valid for reads of its length; nothing here allocates.
        unsafe { libc::syscall(libc::SYS_write, 2, part.as_ptr(), part.len()) };
    }
    // SAFETY: ends the process.
    unsafe { libc::abort() }
}

/// A call of the family at `family` returned `result`: in a captured window of the
/// allocation-site pass, on the routine's thread, it counts on the calling stack.
#[cold]
#[inline(never)]
fn on_call(family: usize, result: isize) {
    if !CAPTURE.load(Relaxed) || !in_routine_now() {
        return;
    }
    // The caller reads `errno` after a failed call: keep it across the capture.
    // SAFETY: glibc's thread-local `errno`, valid on this thread.
    let errno = unsafe { *libc::__errno_location() };
    let bytes = u64::try_from(result).unwrap_or(0);
    busy(|| {
        let mut frames = [0usize; DEPTH];
        let depth = capture(&mut frames);
        locked(|s| {
            let id = intern(s, &frames[..depth]);
            let c = s.syscalls_open.entry(id).or_default();
            c[family] += 1;
            c[family + 1] += bytes;
        });
    });
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = errno };
}

/// Counts the call when the pass is on; one load of a flag elsewhere.
#[inline(always)]
fn counted(family: usize, result: isize) -> isize {
    if ACTIVE.load(Relaxed) {
        on_call(family, result);
    }
    result
}

type Read = unsafe extern "C" fn(c_int, *mut c_void, libc::size_t) -> libc::ssize_t;
type Vectored = unsafe extern "C" fn(c_int, *const libc::iovec, c_int) -> libc::ssize_t;
type ReadAt = unsafe extern "C" fn(c_int, *mut c_void, libc::size_t, libc::off64_t) -> libc::ssize_t;
type Write = unsafe extern "C" fn(c_int, *const c_void, libc::size_t) -> libc::ssize_t;
type WriteAt = unsafe extern "C" fn(c_int, *const c_void, libc::size_t, libc::off64_t) -> libc::ssize_t;

/// glibc's `read`, counted.
///
/// # Safety
///
/// As glibc's `read`, to which it forwards its arguments.
#[no_mangle]
pub unsafe extern "C" fn read(fd: c_int, buf: *mut c_void, count: libc::size_t) -> libc::ssize_t {
    // SAFETY: the address `dlsym` gave for `read`, whose type is `Read`.
    let real = unsafe { std::mem::transmute::<usize, Read>(real(&REAL_READ, c"read")) };
    // SAFETY: the caller's arguments, as glibc's `read` takes them.
    counted(READ, unsafe { real(fd, buf, count) })
}

/// glibc's `readv`, counted.
///
/// # Safety
///
/// As glibc's `readv`, to which it forwards its arguments.
#[no_mangle]
pub unsafe extern "C" fn readv(fd: c_int, iov: *const libc::iovec, iovcnt: c_int) -> libc::ssize_t {
    // SAFETY: the address `dlsym` gave for `readv`, whose type is `Vectored`.
    let real = unsafe { std::mem::transmute::<usize, Vectored>(real(&REAL_READV, c"readv")) };
    // SAFETY: the caller's arguments, as glibc's `readv` takes them.
    counted(READ, unsafe { real(fd, iov, iovcnt) })
}

/// glibc's `pread64`, counted (the standard library's `FileExt::read_at`). The harness reads
/// `/proc/self/io` with `pread`, a name of its own that is not interposed.
///
/// # Safety
///
/// As glibc's `pread64`, to which it forwards its arguments.
#[no_mangle]
pub unsafe extern "C" fn pread64(
    fd: c_int,
    buf: *mut c_void,
    count: libc::size_t,
    offset: libc::off64_t,
) -> libc::ssize_t {
    // SAFETY: the address `dlsym` gave for `pread64`, whose type is `ReadAt`.
    let real = unsafe { std::mem::transmute::<usize, ReadAt>(real(&REAL_PREAD64, c"pread64")) };
    // SAFETY: the caller's arguments, as glibc's `pread64` takes them.
    counted(READ, unsafe { real(fd, buf, count, offset) })
}

/// glibc's `write`, counted.
///
/// # Safety
///
/// As glibc's `write`, to which it forwards its arguments.
#[no_mangle]
pub unsafe extern "C" fn write(fd: c_int, buf: *const c_void, count: libc::size_t) -> libc::ssize_t {
    // SAFETY: the address `dlsym` gave for `write`, whose type is `Write`.
    let real = unsafe { std::mem::transmute::<usize, Write>(real(&REAL_WRITE, c"write")) };
    // SAFETY: the caller's arguments, as glibc's `write` takes them.
    counted(WRITE, unsafe { real(fd, buf, count) })
}

/// glibc's `writev`, counted (the standard library's vectored writes, `Stderr`'s among them).
///
/// # Safety
///
/// As glibc's `writev`, to which it forwards its arguments.
#[no_mangle]
pub unsafe extern "C" fn writev(fd: c_int, iov: *const libc::iovec, iovcnt: c_int) -> libc::ssize_t {
    // SAFETY: the address `dlsym` gave for `writev`, whose type is `Vectored`.
    let real = unsafe { std::mem::transmute::<usize, Vectored>(real(&REAL_WRITEV, c"writev")) };
    // SAFETY: the caller's arguments, as glibc's `writev` takes them.
    counted(WRITE, unsafe { real(fd, iov, iovcnt) })
}

/// glibc's `pwrite64`, counted (the standard library's `FileExt::write_at`).
///
/// # Safety
///
/// As glibc's `pwrite64`, to which it forwards its arguments.
#[no_mangle]
pub unsafe extern "C" fn pwrite64(
    fd: c_int,
    buf: *const c_void,
    count: libc::size_t,
    offset: libc::off64_t,
) -> libc::ssize_t {
    // SAFETY: the address `dlsym` gave for `pwrite64`, whose type is `WriteAt`.
    let real = unsafe { std::mem::transmute::<usize, WriteAt>(real(&REAL_PWRITE64, c"pwrite64")) };
    // SAFETY: the caller's arguments, as glibc's `pwrite64` takes them.
    counted(WRITE, unsafe { real(fd, buf, count, offset) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls through the interposers reach glibc's and return what it returns (the test's own
    /// file, read and written at known offsets), and a failed call keeps its `errno`.
    #[test]
    fn the_interposers_forward_to_glibc() {
        prepare();
        let path = std::env::temp_dir().join(format!("allocbench-syscalls-{}", std::process::id()));
        let file = std::fs::File::options().create(true).truncate(true).read(true).write(true).open(&path).unwrap();
        use std::io::{Read as _, Seek as _, Write as _};
        use std::os::unix::fs::FileExt;
        let mut f = &file;
        f.write_all(b"hello").unwrap();
        file.write_at(b"J", 0).unwrap();
        let mut back = String::new();
        f.rewind().unwrap();
        f.read_to_string(&mut back).unwrap();
        let mut at = [0u8; 2];
        file.read_exact_at(&mut at, 3).unwrap();
        assert_eq!((back.as_str(), &at), ("Jello", b"lo"));
        std::fs::remove_file(&path).unwrap();
        // SAFETY: a descriptor that is not open: the call fails with EBADF, touching no memory.
        let r = unsafe { write(-1, std::ptr::null(), 0) };
        assert_eq!((r, std::io::Error::last_os_error().raw_os_error()), (-1, Some(libc::EBADF)));
    }

    /// What the interposer adds to a write outside the pass: run with
    /// `cargo test -p allocbench --lib --release -- --ignored --nocapture cost_of_an_interposed_write`.
    /// Both loops write 8 bytes to `/dev/null`: through the interposer, and through glibc's
    /// `write` called directly by its looked-up address.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn cost_of_an_interposed_write() {
        prepare();
        let null = std::fs::File::options().write(true).open("/dev/null").unwrap();
        use std::os::fd::AsRawFd;
        let fd = null.as_raw_fd();
        let buf = [b'x'; 8];
        // SAFETY: the address `dlsym` gave for `write`.
        let glibc = unsafe { std::mem::transmute::<usize, Write>(real(&REAL_WRITE, c"write")) };
        let n = 2_000_000;
        let time = |f: &dyn Fn()| {
            let t = std::time::Instant::now();
            for _ in 0..n {
                f();
            }
            t.elapsed().as_nanos() as f64 / f64::from(n)
        };
        // Interleaved rounds, the ratios' median: the machine's load moves both alike.
        let mut ratios = Vec::new();
        for round in 0..9 {
            // SAFETY: `buf` is valid for reads of its length; `fd` is open.
            let direct = time(&|| assert_eq!(unsafe { glibc(fd, buf.as_ptr().cast(), 8) }, 8));
            // SAFETY: as above.
            let interposed = time(&|| assert_eq!(unsafe { write(fd, buf.as_ptr().cast(), 8) }, 8));
            println!(
                "round {round}: glibc's write {direct:.1} ns, through the interposer {interposed:.1} ns, ratio {:.3}",
                interposed / direct
            );
            ratios.push(interposed / direct);
        }
        ratios.sort_by(f64::total_cmp);
        println!("median ratio {:.3}", ratios[ratios.len() / 2]);
    }
}
