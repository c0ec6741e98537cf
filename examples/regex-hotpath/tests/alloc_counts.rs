//! An independent count of what parsing a line allocates, from allocbench's counting allocator
//! (the dev-dependency, renamed `criterion`, installs it in this test binary too).
//!
//! One `#[test]` only: the allocator counts for the whole process, so a second test running on
//! another thread would show in the figures.

use criterion::alloc::{self, Stats};
use regex_hotpath::{parse_line, summarize};

fn count<R>(f: impl FnOnce() -> R) -> Stats {
    let before = alloc::stats();
    drop(f());
    alloc::stats().since(&before)
}

#[test]
fn a_compiled_regex_is_reused_or_rebuilt_per_line() {
    assert!(alloc::is_counting(), "allocbench's allocator is not installed");
    let line =
        r#"203.0.113.9 - - [10/Oct/2024:13:55:36 +0000] "GET /orders/1042 HTTP/1.1" 200 2326 "-" "curl/8.4.0" 0.087"#;
    // The first call compiles the regex in both versions; the good one keeps it.
    let first = count(|| parse_line(line));
    let again = count(|| parse_line(line));
    println!("first line: {first:?}\nnext line: {again:?}");

    // The match alone allocates the capture positions, and frees them.
    assert_eq!(again.alloc_objects, again.free_objects);
    assert_eq!(again.inuse_space(), 0, "a parsed line keeps nothing");
    if cfg!(feature = "regress") {
        // Every call builds and drops the whole regex again: the first call's cost, every time.
        assert_eq!(again, first);
        assert!(again.alloc_objects > 10, "{again:?}");
    } else {
        assert_eq!(again.alloc_objects, 1, "only the capture positions: {again:?}");
        assert!(first.alloc_objects > 10 * again.alloc_objects);
    }

    // A chunk of lines costs one line's allocations per line.
    let log = format!("{line}\n").repeat(16);
    let chunk = count(|| summarize(&log));
    assert_eq!(chunk.alloc_objects, 16 * again.alloc_objects);
    assert_eq!(chunk.alloc_space, 16 * again.alloc_space);
}
