//! A batch job's logger: one line per item processed, written to a log file.
//!
//! # The problem
//!
//! A [`Logger`] formats each [`Record`] as a text line and writes it to a file. A batch of work
//! logs one line per item, then [`Logger::log_batch`] flushes once, so that the batch's lines are
//! in the file when the call returns. Each line is formatted into a reused buffer first and
//! handed over with a single `write_all`: a line is never split between two writes, so two
//! processes appending to the same file (`O_APPEND`) cannot interleave halves of lines.
//!
//! # The good version
//!
//! The file sits behind a [`BufWriter`] big enough for a batch: the lines collect in its buffer
//! and the flush at the end of the batch writes them with one `write` system call. 100 lines, one
//! system call.
//!
//! # The regression (`--features regress`)
//!
//! The `BufWriter` is gone and the lines go straight to the [`File`]: every `write_all` is a
//! `write` system call, 100 per batch of 100 lines. The bytes in the file are the same, and so
//! are the allocations (none, once the line buffer has grown): a heap profile sees nothing, and
//! neither does an instruction count, which stops at the kernel's door. What moves is the number
//! of write system calls per call, from 1 to 100, and the time, each call paying for a trip
//! into the kernel per line.

use std::fmt;
use std::fs::File;
#[cfg(not(feature = "regress"))]
use std::io::BufWriter;
use std::io::{self, Write};

/// How severe a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Something failed.
    Error,
    /// Something looks wrong.
    Warn,
    /// Normal operation.
    Info,
    /// Detail for debugging.
    Debug,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
        })
    }
}

/// One log record, borrowed from whoever logged it.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// When it was logged, in milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// How severe it is.
    pub level: Level,
    /// The module that logged it, such as `import::orders`.
    pub target: &'a str,
    /// The item the record is about.
    pub item: u64,
    /// The message.
    pub message: &'a str,
}

impl fmt::Display for Record<'_> {
    /// The record's line, without its newline: `1700000000000 INFO import::orders item=17 imported`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Record { timestamp_ms, level, target, item, message } = self;
        write!(f, "{timestamp_ms} {level} {target} item={item} {message}")
    }
}

/// Room for a batch of lines: the good version's flush at the end of a batch is its only write
/// as long as a batch's lines fit.
#[cfg(not(feature = "regress"))]
const BUFFER_CAPACITY: usize = 64 * 1024;

/// Writes records to a file as text lines.
#[derive(Debug)]
pub struct Logger {
    #[cfg(not(feature = "regress"))]
    out: BufWriter<File>,
    // Regression: no buffer between the lines and the file.
    #[cfg(feature = "regress")]
    out: File,
    line: Vec<u8>,
}

impl Logger {
    /// A logger that appends to `file`.
    pub fn new(file: File) -> Self {
        #[cfg(not(feature = "regress"))]
        let out = BufWriter::with_capacity(BUFFER_CAPACITY, file);
        #[cfg(feature = "regress")]
        let out = file;
        Logger { out, line: Vec::new() }
    }

    /// Writes `record` as one line. It may stay in the logger's buffer until [`flush`](Self::flush).
    pub fn log(&mut self, record: &Record<'_>) -> io::Result<()> {
        self.line.clear();
        writeln!(self.line, "{record}")?;
        // One `write_all` per line, whole: see the crate's documentation.
        self.out.write_all(&self.line)
    }

    /// Writes `records`, one line each, and flushes: when it returns, the lines are in the file.
    ///
    /// Kept out of line so that profiles attribute the writes to this function.
    #[inline(never)]
    pub fn log_batch(&mut self, records: &[Record<'_>]) -> io::Result<()> {
        for record in records {
            self.log(record)?;
        }
        self.flush()
    }

    /// Writes whatever is buffered to the file.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    //! The same assertions hold with and without `regress`: only the number of writes differs.
    use super::*;
    use std::io::{Read, Seek, SeekFrom};

    fn temp_file(name: &str) -> (std::path::PathBuf, File) {
        let path = std::env::temp_dir().join(format!("unbuffered-log-{}-{name}", std::process::id()));
        let file = File::options().create(true).truncate(true).read(true).write(true).open(&path).unwrap();
        (path, file)
    }

    #[test]
    fn a_batch_is_in_the_file_when_the_call_returns() {
        let (path, file) = temp_file("batch");
        let mut reader = file.try_clone().unwrap();
        let mut logger = Logger::new(file);
        let record = Record {
            timestamp_ms: 1_700_000_000_000,
            level: Level::Info,
            target: "import::orders",
            item: 0,
            message: "imported",
        };
        let batch: Vec<Record<'_>> = (1..=3).map(|item| Record { item, ..record }).collect();
        logger.log_batch(&batch).unwrap();
        logger.log_batch(&[Record { level: Level::Warn, item: 4, message: "no customer", ..record }]).unwrap();

        let mut text = String::new();
        reader.seek(SeekFrom::Start(0)).unwrap();
        reader.read_to_string(&mut text).unwrap();
        std::fs::remove_file(path).unwrap();
        assert_eq!(
            text,
            "1700000000000 INFO import::orders item=1 imported\n\
             1700000000000 INFO import::orders item=2 imported\n\
             1700000000000 INFO import::orders item=3 imported\n\
             1700000000000 WARN import::orders item=4 no customer\n"
        );
    }

    #[test]
    fn levels_have_their_names() {
        let names = [Level::Error, Level::Warn, Level::Info, Level::Debug].map(|l| l.to_string());
        assert_eq!(names, ["ERROR", "WARN", "INFO", "DEBUG"]);
    }
}
