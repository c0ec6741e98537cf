//! An independent count of what a push allocates, from allocbench's counting allocator (the
//! dev-dependency, renamed `criterion`, installs it in this test binary too).
//!
//! One `#[test]` only: the allocator counts for the whole process, so a second test running on
//! another thread would show in the figures.

use std::hint::black_box;

use criterion::alloc::{self, Stats};
use json_fanout::{Frame, Hub, Kind, Notification};

fn count(f: impl FnOnce()) -> Stats {
    let before = alloc::stats();
    f();
    alloc::stats().since(&before)
}

#[test]
fn a_push_marshals_once_or_once_per_client() {
    assert!(alloc::is_counting(), "allocbench's allocator is not installed");
    let notification = Notification {
        id: 1,
        topic: "orders/7".to_owned(),
        kind: Kind::PaymentFailed,
        title: "Payment failed".to_owned(),
        body: "Your card was declined; update it to keep your order.".to_owned(),
        created_at: 1_700_000_000_000,
    };

    // One marshal into a frame, measured on its own.
    let marshal = count(|| {
        let frame = Frame::from(serde_json::to_string(black_box(&notification)).unwrap());
        drop(black_box(frame));
    });
    assert!(marshal.alloc_objects >= 2, "a JSON string and an Arc: {marshal:?}");

    for clients in [1u32, 16, 64] {
        let mut hub = Hub::with_clients(clients);
        let push = count(|| {
            hub.notify_clients(&notification).unwrap();
            black_box(hub.flush());
        });
        let marshals = if cfg!(feature = "regress") { u64::from(clients) } else { 1 };
        let expected = Stats {
            alloc_objects: marshals * marshal.alloc_objects,
            alloc_space: marshals * marshal.alloc_space,
            free_objects: marshals * marshal.free_objects,
            free_space: marshals * marshal.free_space,
            reallocs: marshals * marshal.reallocs,
        };
        assert_eq!(push, expected, "{clients} clients, {marshals} marshals");
        assert_eq!(push.inuse_space(), 0, "a push and flush keeps nothing");
    }
}
