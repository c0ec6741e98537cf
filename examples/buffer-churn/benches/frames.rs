//! One log record written as a frame, for a short record and for one with a long message.
//!
//! The connection is `io::sink()`, so the benchmark measures the encoding and its buffer, not a
//! socket.

use std::hint::black_box;
use std::io;

use buffer_churn::{FrameWriter, Level, Record};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn write_record(c: &mut Criterion) {
    let backtrace = "   at checkout::payment::charge (src/payment.rs:214)\n".repeat(40);
    let records = [
        (
            "short",
            Record {
                timestamp_ms: 1_700_000_000_000,
                level: Level::Info,
                target: "checkout::payment",
                message: "payment captured",
                fields: &[("order", "1042"), ("amount_cents", "2599"), ("ms", "87")],
            },
        ),
        (
            "long",
            Record {
                timestamp_ms: 1_700_000_000_000,
                level: Level::Error,
                target: "checkout::payment",
                message: &backtrace,
                fields: &[("order", "1042"), ("error", "card_declined")],
            },
        ),
    ];

    let mut group = c.benchmark_group("frames");
    for (name, record) in &records {
        let mut writer = FrameWriter::new(io::sink());
        group.throughput(Throughput::Bytes(record.frame_len() as u64));
        group.bench_with_input(BenchmarkId::new("write", name), record, |b, record| {
            b.iter(|| writer.write_record(black_box(record)))
        });
    }
    group.finish();
}

criterion_group!(benches, write_record);
criterion_main!(benches);
