//! The signal that wakes delivery workers when a write committed events.

use tokio::sync::Notify;

/// Wakes the delivery workers when a write committed events.
#[derive(Default)]
pub struct DeliveryWake(Notify);

impl DeliveryWake {
    /// Events were committed: workers look now instead of at their next poll.
    pub fn events_committed(&self) {
        self.0.notify_waiters();
    }

    /// Resolves at the next [`DeliveryWake::events_committed`].
    pub fn notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.0.notified()
    }
}
