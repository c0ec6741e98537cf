//! Parsing one access-log line, and summarising a chunk of 64 lines.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use regex_hotpath::{parse_line, summarize};

/// `n` access-log lines with a deterministic mix of paths, statuses, sizes and latencies.
fn access_log(n: usize) -> String {
    const PATHS: [&str; 4] = ["/orders/1042?expand=items", "/orders", "/health", "/cart/items"];
    const STATUSES: [u16; 5] = [200, 200, 304, 404, 502];
    (0..n)
        .map(|i| {
            format!(
                "203.0.113.{} - - [10/Oct/2024:13:55:{:02} +0000] \"GET {} HTTP/1.1\" {} {} \
                 \"https://shop.example/\" \"Mozilla/5.0 (X11; Linux x86_64)\" 0.{:03}\n",
                i % 250,
                i % 60,
                PATHS[i % PATHS.len()],
                STATUSES[i % STATUSES.len()],
                (i * 7919) % 40_000,
                (i * 37) % 1000,
            )
        })
        .collect()
}

fn logscan(c: &mut Criterion) {
    let mut group = c.benchmark_group("logscan");

    let line = access_log(1);
    let line = line.trim_end();
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse_line", |b| b.iter(|| parse_line(black_box(line))));

    let lines = 64;
    let log = access_log(lines);
    group.throughput(Throughput::Elements(lines as u64));
    group.bench_with_input(BenchmarkId::new("summarize", lines), &log, |b, log| b.iter(|| summarize(black_box(log))));

    group.finish();
}

criterion_group!(benches, logscan);
criterion_main!(benches);
