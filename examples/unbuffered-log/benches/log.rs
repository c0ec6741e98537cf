//! One batch of 100 log lines written and flushed to `/dev/null`.
//!
//! `/dev/null` is a real file descriptor: every `write` is a system call, as it would be to a
//! log file, without filling a disk while the benchmark runs.

use std::fs::File;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use unbuffered_log::{Level, Logger, Record};

fn log_batch(c: &mut Criterion) {
    let lines = 100;
    let batch: Vec<Record<'_>> = (0..lines)
        .map(|item| Record {
            timestamp_ms: 1_700_000_000_000 + item,
            level: Level::Info,
            target: "import::orders",
            item,
            message: "imported order from the partner feed",
        })
        .collect();
    let null = File::options().append(true).open("/dev/null").expect("open /dev/null");
    let mut logger = Logger::new(null);

    let mut group = c.benchmark_group("log");
    group.throughput(Throughput::Elements(lines));
    group.bench_with_input(BenchmarkId::new("lines", lines), &batch, |b, batch| {
        b.iter(|| logger.log_batch(black_box(batch)))
    });
    group.finish();
}

criterion_group!(benches, log_batch);
criterion_main!(benches);
