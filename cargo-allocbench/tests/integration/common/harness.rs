//! The binary's harness: each test is a libtest-mimic trial, which gives the names, filtering,
//! `--list`, the thread pool and the closing line of libtest. What libtest-mimic does not do is
//! capture output, so this module does it as libtest does: what a test prints with [`note!`]
//! (the stderr of every command it runs, timings) and where it panics are kept, and shown only
//! when it fails, unless `--nocapture` is given.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};

use libtest_mimic::{Failed, Trial};

thread_local! {
    /// What the test running on this thread printed; `None` outside a test, or with `--nocapture`.
    static CAPTURED: RefCell<Option<String>> = const { RefCell::new(None) };
}

static NOCAPTURE: AtomicBool = AtomicBool::new(false);

/// A trial named after the test function, `module::function` as libtest names it.
macro_rules! trial {
    ($test:ident) => {
        trial!($test, $test)
    };
    ($test:ident, $run:expr) => {
        $crate::common::harness::trial($crate::common::harness::name(module_path!(), stringify!($test)), $run)
    };
}

/// Prints a line into the running test's captured output (stderr with `--nocapture`).
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::common::harness::note(format_args!($($arg)*))
    };
}

/// `module::function`: `module_path!()` without the crate's name.
pub fn name(module_path: &str, test: &str) -> String {
    let module = module_path.split_once("::").map_or("", |(_, m)| m);
    if module.is_empty() {
        test.to_owned()
    } else {
        format!("{module}::{test}")
    }
}

/// Shows everything a test prints as it comes (`--nocapture`).
pub fn set_nocapture(on: bool) {
    NOCAPTURE.store(on, Ordering::SeqCst);
}

/// Keeps a panic's message and place in the running test's captured output, where libtest's own
/// capture would put them; the default hook prints them outside a test, or with `--nocapture`.
pub fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let kept = CAPTURED.with(|c| {
            let Ok(mut c) = c.try_borrow_mut() else { return false };
            let Some(log) = c.as_mut() else { return false };
            let thread = std::thread::current();
            let _ = writeln!(log, "\nthread '{}' {info}", thread.name().unwrap_or("<unnamed>"));
            let backtrace = std::backtrace::Backtrace::capture();
            if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
                let _ = writeln!(log, "stack backtrace:\n{backtrace}");
            }
            true
        });
        if !kept {
            default(info);
        }
    }));
}

/// See [`note!`].
pub fn note(args: std::fmt::Arguments<'_>) {
    let kept = CAPTURED.with(|c| match c.borrow_mut().as_mut() {
        Some(log) => {
            let _ = writeln!(log, "{args}");
            true
        }
        None => false,
    });
    if !kept {
        eprintln!("{args}");
    }
}

/// A test: `run` passes unless it panics; what it printed is the failure's message.
pub fn trial(name: String, run: impl FnOnce() + Send + 'static) -> Trial {
    Trial::test(name, move || {
        let capture = !NOCAPTURE.load(Ordering::SeqCst);
        CAPTURED.with(|c| *c.borrow_mut() = capture.then(String::new));
        let result = catch_unwind(AssertUnwindSafe(run));
        let log = CAPTURED.with(|c| c.borrow_mut().take()).unwrap_or_default();
        match result {
            Ok(()) => Ok(()),
            Err(_) if log.is_empty() => Err(Failed::from("the test panicked (its message is above: --nocapture)")),
            Err(_) => Err(Failed::from(log.trim_end())),
        }
    })
}
