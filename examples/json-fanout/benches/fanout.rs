//! One push of a notification to every client of a hub, then the flush of their outboxes.
//!
//! Each iteration queues one frame per client and flushes them all, so nothing is kept from one
//! iteration to the next.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use json_fanout::{Hub, Kind, Notification};

fn push(c: &mut Criterion) {
    let notification = Notification {
        id: 90_211,
        topic: "orders/1042".to_owned(),
        kind: Kind::OrderShipped,
        title: "Your order is on its way".to_owned(),
        body: "Parcel 3 of 3 left the warehouse in Rotterdam and should arrive on Thursday.".to_owned(),
        created_at: 1_700_000_000_000,
    };

    let mut group = c.benchmark_group("fanout");
    for clients in [16, 64] {
        let mut hub = Hub::with_clients(clients);
        group.throughput(Throughput::Elements(u64::from(clients)));
        group.bench_with_input(BenchmarkId::new("push", clients), &notification, |b, n| {
            b.iter(|| {
                hub.notify_clients(black_box(n)).expect("a notification always serializes");
                hub.flush()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, push);
criterion_main!(benches);
