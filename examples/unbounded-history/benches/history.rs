//! One request handled and recorded by a server whose history is already full.
//!
//! The history is filled to its limit before measuring, so every measured request is one the
//! server handles in its steady state, weeks after it started.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use unbounded_history::Server;

const REQUEST: &str = "GET /orders/1042?expand=items HTTP/1.1\r\n\
    Host: shop.example\r\n\
    User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n\
    Accept: application/json\r\n\
    Accept-Language: en-GB,en;q=0.5\r\n\
    Accept-Encoding: gzip, deflate, br\r\n\
    Cookie: session=8f14e45fceea167a5a36dedd4bea2543\r\n\
    Connection: keep-alive\r\n\
    \r\n";

fn handle(c: &mut Criterion) {
    let limit = 1024;
    let mut server = Server::new(limit);
    for _ in 0..limit {
        server.handle(REQUEST);
    }

    let mut group = c.benchmark_group("history");
    group.bench_with_input(BenchmarkId::new("handle", limit), REQUEST, |b, request| {
        b.iter(|| server.handle(black_box(request)))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // Shorter than criterion's default: with `regress`, every iteration keeps its request, so a
    // long run would make the process grow by gigabytes. Command-line options still win.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    targets = handle
}
criterion_main!(benches);
