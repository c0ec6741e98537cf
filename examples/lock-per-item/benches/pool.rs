//! One batch of 1,000 items of 4 KiB, checked and counted by a pool of four workers.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lock_per_item::{Item, Pool};

fn run_batch(c: &mut Criterion) {
    let items = 1000;
    let batch: Vec<Item> = (0..items).map(|i| Item::new(vec![i as u8; 4096])).collect();
    let pool = Pool::new(4);

    let mut group = c.benchmark_group("pool");
    group.throughput(Throughput::Elements(items as u64));
    group.bench_with_input(BenchmarkId::new("batch", items), &batch, |b, batch| b.iter(|| pool.run(black_box(batch))));
    group.finish();
}

criterion_group!(benches, run_batch);
criterion_main!(benches);
