//! An independent count of the `write` system calls a batch makes, N and 2N batches at a time:
//! from the kernel's own counters in `/proc/self/io` (`syscw`, `wchar`), and from `strace -c`
//! when strace is installed and allowed to trace.
//!
//! One counting `#[test]` only: the counters are the whole process's, so a second test running
//! on another thread would show in the figures. (`strace_child` is the program strace runs; it is
//! ignored in a normal run.)

use std::fs::File;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use unbuffered_log::{Level, Logger, Record};

const LINES: u64 = 100;

/// What one batch of [`LINES`] lines costs in `write` system calls.
const WRITES_PER_BATCH: u64 = if cfg!(feature = "regress") { LINES } else { 1 };

fn batch() -> Vec<Record<'static>> {
    (0..LINES)
        .map(|item| Record {
            timestamp_ms: 1_700_000_000_000 + item,
            level: Level::Info,
            target: "import::orders",
            item,
            message: "imported order from the partner feed",
        })
        .collect()
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("unbuffered-log-{}-{name}", std::process::id()))
}

/// `syscw` (write-family system calls) and `wchar` (bytes passed to them) of this process.
fn write_counters() -> (u64, u64) {
    let io = std::fs::read_to_string("/proc/self/io").expect("read /proc/self/io");
    let field = |name: &str| {
        io.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(": ")?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/self/io:\n{io}"))
    };
    (field("syscw"), field("wchar"))
}

fn run_batches(logger: &mut Logger, batch: &[Record<'_>], calls: u64) {
    for _ in 0..calls {
        logger.log_batch(batch).unwrap();
    }
}

#[test]
fn a_batch_is_one_write_or_one_per_line() {
    let batch = batch();
    let bytes_per_batch: u64 = batch.iter().map(|r| r.to_string().len() as u64 + 1).sum();
    let path = temp_path("proc-io");
    let mut logger = Logger::new(File::create(&path).unwrap());
    // The first batch grows the line buffer; from then on every batch is alike.
    run_batches(&mut logger, &batch, 1);

    for calls in [10, 20] {
        let (writes, bytes) = write_counters();
        run_batches(&mut logger, &batch, calls);
        let (writes_after, bytes_after) = write_counters();
        let (writes, bytes) = (writes_after - writes, bytes_after - bytes);
        println!("{calls} batches of {LINES} lines: {writes} write calls, {bytes} bytes");
        assert_eq!(writes, calls * WRITES_PER_BATCH, "write system calls for {calls} batches");
        // The same bytes either way: only how they are cut up differs.
        assert_eq!(bytes, calls * bytes_per_batch, "bytes written for {calls} batches");
    }
    drop(logger);
    std::fs::remove_file(&path).unwrap();

    strace_agrees();
}

/// The count of `write` calls by `strace -f -c`, for the test binary running [`strace_child`]
/// with N and 2N batches: the difference is N batches' writes, whatever libtest itself writes.
fn strace_agrees() {
    let n = 10;
    let (Some(once), Some(twice)) = (strace_writes(n), strace_writes(2 * n)) else {
        println!("strace is not installed or may not trace here: checked /proc/self/io only");
        return;
    };
    println!("strace -f -c -e trace=write: {once} writes for {n} batches, {twice} for {}", 2 * n);
    assert_eq!(twice - once, n * WRITES_PER_BATCH, "strace's count of {n} batches' writes");
}

fn strace_writes(calls: u64) -> Option<u64> {
    let summary = temp_path(&format!("strace-{calls}"));
    let exe = std::env::current_exe().unwrap();
    let status = Command::new("strace")
        .args(["-f", "-c", "-e", "trace=write", "-o"])
        .arg(&summary)
        .arg(exe)
        .args(["--exact", "strace_child", "--ignored", "--test-threads=1", "--quiet"])
        .env("UNBUFFERED_LOG_CALLS", calls.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    let text = std::fs::read_to_string(&summary).ok();
    let _ = std::fs::remove_file(&summary);
    if !status.success() {
        return None;
    }
    // The summary's row: `% time  seconds  usecs/call  calls  [errors]  syscall`.
    text?.lines().find_map(|line| {
        let columns: Vec<&str> = line.split_whitespace().collect();
        (columns.last() == Some(&"write")).then(|| columns[3].parse().ok())?
    })
}

/// The program `strace_agrees` traces: `UNBUFFERED_LOG_CALLS` batches to a temporary file.
#[test]
#[ignore = "run by a_batch_is_one_write_or_one_per_line under strace"]
fn strace_child() {
    let calls = std::env::var("UNBUFFERED_LOG_CALLS").map_or(1, |n| n.parse().unwrap());
    let path = temp_path(&format!("child-{calls}"));
    let mut logger = Logger::new(File::create(&path).unwrap());
    run_batches(&mut logger, &batch(), calls);
    drop(logger);
    std::fs::remove_file(&path).unwrap();
}
