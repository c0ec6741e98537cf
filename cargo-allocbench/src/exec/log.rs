//! Reading a bench process's output log: which benchmark criterion said it started, the last
//! lines, a panic's message. One pass of bounded memory, whatever a benchmark printed: a
//! benchmark may flood its output, print megabytes without a newline, or print bytes that are
//! not UTF-8.
//!
//! Which benchmark a process was in when it ended comes from the harness itself
//! ([`allocbench_formats::env::STARTED`]); criterion's `Benchmarking ID` lines are read only for
//! a bench binary whose allocbench predates that. Criterion prints an id as it is, so an id that
//! holds a newline spans lines there, and only its last line's text is found.

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// What a bench process's log says, read in one pass of bounded memory whatever its size.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LogScan {
    /// The title of the last benchmark criterion said it started.
    pub last_started: Option<String>,
    /// The last lines, each cut to [`LINE_LIMIT`] bytes.
    pub tail: Vec<String>,
    /// The message of the last panic (the line after `panicked at`), cut likewise.
    pub panic: Option<String>,
}

/// The longest line kept from a log, in bytes: a benchmark that prints megabytes without a
/// newline must not make an error message of megabytes.
pub const LINE_LIMIT: usize = 240;

/// How many bytes of the end of a long line are kept, to find criterion's progress line in.
const KEPT_END: usize = 1024;

/// The title in what follows `Benchmarking ` in criterion's progress lines: `TITLE`,
/// `TITLE: Warming up for 3 s`, `TITLE: Collecting ...`, `TITLE: Analyzing`, ... A title may
/// hold `: ` itself, so a suffix is cut at its last occurrence, or only at the end of the line.
fn title_in(progress: &str) -> &str {
    for end in [": Analyzing", ": Complete (Analysis Disabled)"] {
        if let Some(title) = progress.strip_suffix(end) {
            return title;
        }
    }
    for suffix in [": Warming up for ", ": Collecting ", ": Profiling for "] {
        if let Some(at) = progress.rfind(suffix) {
            return &progress[..at];
        }
    }
    progress
}

/// Reads the log from byte `from`: the last benchmark started, the last `lines` lines and the
/// last panic message. Criterion writes `Benchmarking TITLE` on stderr, which shares the log
/// with the benchmark's stdout: text printed without a newline puts it mid-line, so it is
/// looked for anywhere in a line. Bytes that are not UTF-8 are replaced.
pub fn scan_log(log: &Path, from: u64, lines: usize) -> LogScan {
    let mut scan = LogScan::default();
    let Ok(mut file) = fs::File::open(log) else { return scan };
    if file.seek(SeekFrom::Start(from)).is_err() {
        return scan;
    }
    let mut tail: std::collections::VecDeque<String> = std::collections::VecDeque::new();
    let mut after_panic = false;
    let mut line: Vec<u8> = Vec::new();
    let mut cut = false;
    let mut chunk = vec![0u8; 64 * 1024];
    let mut finish_line = |line: &[u8], cut: bool| {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches('\r');
        // A cut line is searched only in its end, which is whole.
        let end = if cut { String::from_utf8_lossy(&line[LINE_LIMIT..]) } else { text.into() };
        if let Some(at) = end.rfind("Benchmarking ") {
            let rest = end[at + "Benchmarking ".len()..].trim_end_matches('\r');
            let title = title_in(rest);
            if !title.is_empty() {
                scan.last_started = Some(title.to_owned());
            }
        }
        let kept = shorten(text, cut);
        if after_panic && !text.trim().is_empty() {
            scan.panic = Some(kept.clone());
            after_panic = false;
        }
        if text.contains(" panicked at ") {
            after_panic = true;
        }
        if !text.trim().is_empty() {
            tail.push_back(kept);
            if tail.len() > lines {
                tail.pop_front();
            }
        }
    };
    loop {
        let n = match file.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for part in chunk[..n].split_inclusive(|&b| b == b'\n') {
            let (body, ends) = match part.split_last() {
                Some((b'\n', body)) => (body, true),
                _ => (part, false),
            };
            // A long line keeps its start, for the message, and its last kilobyte, where
            // criterion's progress line would be glued on; the middle is dropped.
            line.extend_from_slice(body);
            if line.len() > LINE_LIMIT + 2 * KEPT_END {
                let keep_from = line.len() - KEPT_END;
                line.drain(LINE_LIMIT..keep_from);
                cut = true;
            }
            if ends {
                finish_line(&line, cut);
                line.clear();
                cut = false;
            }
        }
    }
    if !line.is_empty() {
        finish_line(&line, cut);
    }
    scan.tail = tail.into();
    scan
}

/// A log line for a message: at most [`LINE_LIMIT`] bytes, cut at a character boundary.
fn shorten(text: &str, cut: bool) -> String {
    if text.len() <= LINE_LIMIT && !cut {
        return text.to_owned();
    }
    let mut end = LINE_LIMIT.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn log_of(text: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("output.log");
        fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn the_log_scan_finds_the_title_mid_line_and_keeps_lines_short() {
        let mut log = Vec::new();
        log.extend_from_slice(b"Benchmarking a: b\nBenchmarking a: b: Warming up for 1.0000 ms\n");
        // Megabytes without a newline, bytes that are not UTF-8, then criterion's line glued on.
        log.extend(std::iter::repeat_n(b'x', 3 << 20));
        log.extend_from_slice(b"\xff\xfe");
        log.extend_from_slice(b"Benchmarking g/f: x: Collecting 10 samples in estimated 1 s\n");
        log.extend_from_slice(
            b"thread 'main' panicked at src/lib.rs:1:2:\nboom: it broke\nnote: run with RUST_BACKTRACE=1\n",
        );
        let (_dir, path) = log_of(&log);
        let scan = scan_log(&path, 0, 3);
        assert_eq!(scan.last_started.as_deref(), Some("g/f: x"));
        assert_eq!(title_in("a: Warming up for: Warming up for 1.0000 ms"), "a: Warming up for");
        assert_eq!(title_in("a: Collecting: Collecting 10 samples in estimated 1 s (55 iterations)"), "a: Collecting");
        assert_eq!(title_in("a: Analyzing: Analyzing"), "a: Analyzing");
        assert_eq!(title_in("a: b"), "a: b");
        assert_eq!(scan.panic.as_deref(), Some("boom: it broke"));
        assert_eq!(scan.tail.len(), 3);
        assert!(scan.tail.iter().all(|l| l.len() <= LINE_LIMIT + 3), "{:?}", scan.tail);
        // From an offset: only what came after.
        let scan = scan_log(&path, (log.len() - 20) as u64, 3);
        assert_eq!(scan.last_started, None);
        assert_eq!(scan_log(Path::new("/nonexistent/output.log"), 0, 3), LogScan::default());
    }
}
