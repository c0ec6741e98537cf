//! A notification service that pushes one payload to many clients.
//!
//! # The problem
//!
//! A [`Hub`] holds the clients connected to a topic. When something happens, the service builds
//! one [`Notification`] and pushes it to every client: each client has an outbox of [`Frame`]s
//! that its writer task drains to the socket ([`Hub::flush`]). Every client receives the same
//! JSON text.
//!
//! # The good version
//!
//! [`Hub::notify_clients`] marshals the notification once with `serde_json::to_string` and turns
//! it into a reference-counted [`Frame`] (`Arc<str>`); each outbox gets a clone of the handle,
//! which copies no bytes and allocates nothing. A push costs one marshal (the JSON `String` and
//! the `Arc` it moves into) whatever the number of clients.
//!
//! # The regression (`--features regress`)
//!
//! The marshal moves inside the loop over clients: `serde_json::to_string` runs once per client
//! and every client gets a frame of its own. The clients receive the same bytes as before, but
//! a push to 64 clients now allocates 64 times what it did. In a heap profile, `alloc_objects`
//! and `alloc_space` grow with the number of clients, and the allocation sites are
//! `serde_json::to_string` called from `notify_clients`. Nothing is kept: once the outboxes are
//! flushed, `inuse_space` is 0 in both versions.

use std::sync::Arc;

use serde::Serialize;

/// One marshalled notification, as queued for a client: the JSON text of a WebSocket text
/// frame. Cloning it clones a reference count, not the text.
pub type Frame = Arc<str>;

/// How many frames an outbox holds before it has to grow.
pub const OUTBOX_CAPACITY: usize = 16;

/// What happened, as the service tells its clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    /// Unique per notification; clients use it to drop duplicates.
    pub id: u64,
    /// The topic the clients subscribed to.
    pub topic: String,
    /// What kind of event this is.
    pub kind: Kind,
    /// A one-line summary, shown as the notification's title.
    pub title: String,
    /// The longer text.
    pub body: String,
    /// When the event happened, in milliseconds since the Unix epoch.
    pub created_at: u64,
}

/// The kinds of event a client can be notified of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An order left the warehouse.
    OrderShipped,
    /// An order reached its customer.
    OrderDelivered,
    /// A payment failed and needs the customer's attention.
    PaymentFailed,
}

/// One connected client.
#[derive(Debug)]
pub struct Client {
    id: u32,
    outbox: Vec<Frame>,
}

impl Client {
    /// The client's connection id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The frames queued for this client and not yet flushed, oldest first.
    pub fn outbox(&self) -> &[Frame] {
        &self.outbox
    }
}

/// The clients subscribed to one topic.
#[derive(Debug)]
pub struct Hub {
    clients: Vec<Client>,
}

impl Hub {
    /// A hub with `n` connected clients, ids `0..n`, each with an empty outbox of
    /// [`OUTBOX_CAPACITY`] frames.
    pub fn with_clients(n: u32) -> Hub {
        let clients = (0..n).map(|id| Client { id, outbox: Vec::with_capacity(OUTBOX_CAPACITY) }).collect();
        Hub { clients }
    }

    /// The connected clients.
    pub fn clients(&self) -> &[Client] {
        &self.clients
    }

    /// Queues `notification`, as JSON, in the outbox of every client.
    ///
    /// Kept out of line so that profiles attribute the marshalling to this function.
    #[inline(never)]
    pub fn notify_clients(&mut self, notification: &Notification) -> serde_json::Result<()> {
        #[cfg(not(feature = "regress"))]
        {
            // Marshal once; every outbox shares the same bytes.
            let frame = Frame::from(serde_json::to_string(notification)?);
            for client in &mut self.clients {
                client.outbox.push(Frame::clone(&frame));
            }
        }
        #[cfg(feature = "regress")]
        for client in &mut self.clients {
            // Regression: the same notification is marshalled again for every client.
            let frame = Frame::from(serde_json::to_string(notification)?);
            client.outbox.push(frame);
        }
        Ok(())
    }

    /// Hands every queued frame to its client's connection, as the writer tasks do, and returns
    /// the bytes handed over. A frame is freed when the last outbox that shared it lets go.
    pub fn flush(&mut self) -> usize {
        self.clients.iter_mut().flat_map(|client| client.outbox.drain(..)).map(|frame| frame.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    //! The same assertions hold with and without `regress`: only the cost differs.
    use super::*;

    fn shipped() -> Notification {
        Notification {
            id: 7,
            topic: "orders/1042".to_owned(),
            kind: Kind::OrderShipped,
            title: "Your order is on its way".to_owned(),
            body: "Parcel 3 of 3 left the warehouse.".to_owned(),
            created_at: 1_700_000_000_000,
        }
    }

    const SHIPPED_JSON: &str = r#"{"id":7,"topic":"orders/1042","kind":"order_shipped","title":"Your order is on its way","body":"Parcel 3 of 3 left the warehouse.","created_at":1700000000000}"#;

    #[test]
    fn every_client_receives_the_notification_as_json() {
        let mut hub = Hub::with_clients(5);
        hub.notify_clients(&shipped()).unwrap();
        for client in hub.clients() {
            let texts: Vec<&str> = client.outbox().iter().map(|f| &**f).collect();
            assert_eq!(texts, [SHIPPED_JSON], "client {}", client.id());
        }
    }

    #[test]
    fn frames_queue_in_order_until_flushed() {
        let mut hub = Hub::with_clients(3);
        let mut second = shipped();
        second.id = 8;
        second.kind = Kind::OrderDelivered;
        hub.notify_clients(&shipped()).unwrap();
        hub.notify_clients(&second).unwrap();
        for client in hub.clients() {
            let ids: Vec<bool> = client.outbox().iter().map(|f| f.contains(r#""kind":"order_delivered""#)).collect();
            assert_eq!(ids, [false, true]);
        }
        let expected = 3 * (SHIPPED_JSON.len() + serde_json::to_string(&second).unwrap().len());
        assert_eq!(hub.flush(), expected);
        assert!(hub.clients().iter().all(|c| c.outbox().is_empty()));
        assert_eq!(hub.flush(), 0);
    }

    #[test]
    fn a_hub_without_clients_sends_nothing() {
        let mut hub = Hub::with_clients(0);
        hub.notify_clients(&shipped()).unwrap();
        assert_eq!(hub.flush(), 0);
    }
}
