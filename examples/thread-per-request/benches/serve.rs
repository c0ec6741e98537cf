//! One request served on a connection, and a thread, of its own.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use thread_per_request::Server;

fn serve(c: &mut Criterion) {
    let server = Server::new();
    let mut group = c.benchmark_group("serve");
    group.bench_function("request", |b| b.iter(|| server.handle(black_box("GET /orders/1042 HTTP/1.1"))));
    group.finish();
    thread_per_request::close_kept_alive();
}

criterion_group! {
    name = benches;
    // Shorter than criterion's default: with `regress` every iteration leaves a thread running
    // (at most `MAX_KEPT_ALIVE`), and a short run keeps each sample's iterations below that
    // bound. Command-line options still win.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    targets = serve
}
criterion_main!(benches);
