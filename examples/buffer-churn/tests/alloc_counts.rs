//! An independent count of what writing a frame allocates, from allocbench's counting allocator
//! (the dev-dependency, renamed `criterion`, installs it in this test binary too).
//!
//! One `#[test]` only: the allocator counts for the whole process, so a second test running on
//! another thread would show in the figures.

use std::io;

use buffer_churn::{FrameWriter, Level, Record};
use criterion::alloc::{self, Stats};

fn count(f: impl FnOnce()) -> Stats {
    let before = alloc::stats();
    f();
    alloc::stats().since(&before)
}

#[test]
fn a_frame_allocates_nothing_or_one_buffer() {
    assert!(alloc::is_counting(), "allocbench's allocator is not installed");
    let message = "disk almost full ".repeat(20);
    let record = Record {
        timestamp_ms: 1_700_000_000_000,
        level: Level::Warn,
        target: "storage",
        message: &message,
        fields: &[("volume", "/var/lib/db"), ("free_pct", "3")],
    };
    let mut writer = FrameWriter::new(io::sink());
    // The first frame grows the good version's buffer; from then on it is steady.
    writer.write_record(&record).unwrap();

    for _ in 0..3 {
        let frame = count(|| writer.write_record(&record).unwrap());
        println!("one frame of {} bytes: {frame:?}", record.frame_len());
        let expected = if cfg!(feature = "regress") {
            // One buffer of exactly the frame's length, and the previous frame's freed.
            let len = record.frame_len() as u64;
            Stats { alloc_objects: 1, alloc_space: len, free_objects: 1, free_space: len, reallocs: 0 }
        } else {
            Stats::ZERO
        };
        assert_eq!(frame, expected);
    }
}
