//! The transactional outbox of event notifications: events committed with the object write
//! that causes them ([`crate::MetaStore::put_object_with_events`] and its siblings), read and
//! settled by a delivery worker through [`OutboxStore`].

use async_trait::async_trait;

use crate::error::StoreError;

/// One event to commit with an object write, for one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEvent {
    /// The notification target it goes to (a [`crate::TargetRecord`] id; not checked).
    pub target: String,
    /// The bucket the event is about.
    pub bucket: String,
    /// The object key the event is about.
    pub key: String,
    /// The event name, e.g. `s3:ObjectCreated:Put`.
    pub event_name: String,
    /// The event record (JSON text built by the server) without its `sequencer`, which the
    /// store assigns; opaque to the store.
    pub body: String,
    /// When the event happened, ms since the epoch.
    pub created_ms: i64,
}

/// An undelivered event as the outbox holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The row id: commit order within the outbox, never reused.
    pub id: i64,
    /// The target it goes to.
    pub target: String,
    /// The bucket the event is about.
    pub bucket: String,
    /// The object key the event is about.
    pub key: String,
    /// The event name.
    pub event_name: String,
    /// The event record as committed (without `sequencer`).
    pub body: String,
    /// The write's value of its bucket's sequence: 16 lowercase hex digits, zero-padded, so
    /// that string order is numeric order.
    pub sequencer: String,
    /// When the event happened, ms since the epoch.
    pub created_ms: i64,
    /// Failed delivery attempts so far.
    pub attempts: u32,
    /// Not to be attempted before this time (ms since the epoch).
    pub next_attempt_ms: i64,
    /// The last delivery error, if an attempt failed.
    pub last_error: Option<String>,
}

/// An event given up on: the outbox entry as it was when it was moved, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    /// The entry (its `id` is the outbox id it had).
    pub entry: OutboxEntry,
    /// When it was moved to the dead letters, ms since the epoch.
    pub dead_ms: i64,
}

/// Formats a bucket sequence value as an [`OutboxEntry::sequencer`].
pub(crate) fn sequencer_string(value: i64) -> String {
    format!("{:016x}", value as u64)
}

/// Delivery of the outbox: read undelivered events per target, settle each one.
///
/// # Contract
///
/// - **Committed with the write.** An event exists exactly when the object write that carried
///   it committed: [`crate::MetaStore::put_object_with_events`],
///   [`crate::MetaStore::complete_upload_with_events`] and
///   [`crate::MetaStore::delete_object_with_events`] insert their events in their own
///   transaction, so a write that fails leaves none, and one that returned `Ok` has its events
///   durable. Each of those writes that carries events takes the next value of its bucket's
///   sequence (a counter per bucket, incremented in the write's transaction, starting at 1,
///   never reset, even when the bucket is deleted and created again); all its events share
///   it. Of writes to one bucket, a later commit has a greater sequencer, with no gaps.
/// - **Order.** Entries of a target in commit order (`id`, increasing, never reused); dead
///   letters by the `id` they had. Targets by name.
/// - **At least once.** Nothing here removes an event except [`OutboxStore::outbox_delivered`],
///   [`OutboxStore::outbox_dead_letter`] (which keeps it as a dead letter) and
///   [`OutboxStore::purge_dead_letters`]. A write with events retried after it committed
///   commits its events again (a duplicate, with a new sequencer); a retried
///   `delete_object_with_events` finds no object and commits none.
/// - **Atomic, durable, idempotent.** Each method is one transaction, durable when it returns
///   `Ok`. Settling an id that is gone changes nothing and answers `false`, so every call may be
///   retried. The rows of a deleted bucket or target stay until delivered or dead.
/// - **Time.** Every time is a caller's value; the store reads no clock. `next_attempt_ms` is
///   recorded, not enforced: [`OutboxStore::outbox_next`] returns entries whatever it says.
#[async_trait]
pub trait OutboxStore: Send + Sync + 'static {
    /// Commits events that no object write carries (an upload refused after its body started,
    /// a grant that expired unused) in one transaction of their own, with the next value of
    /// `bucket`'s sequence, as a write with events takes it. No events: nothing is written.
    /// Not retry-safe: a retry after a commit commits them again.
    async fn outbox_append(&self, bucket: &str, events: &[OutboxEvent]) -> Result<(), StoreError>;

    /// Up to `limit` undelivered entries of `target`, in commit order.
    async fn outbox_next(&self, target: &str, limit: usize)
        -> Result<Vec<OutboxEntry>, StoreError>;

    /// Removes a delivered entry; false if it was gone already.
    async fn outbox_delivered(&self, id: i64) -> Result<bool, StoreError>;

    /// Removes delivered entries in one transaction; returns how many were still there.
    async fn outbox_delivered_all(&self, ids: &[i64]) -> Result<u64, StoreError>;

    /// Records a failed attempt: `attempts` + 1, the error, and the time of the next attempt.
    /// False (nothing changed) if the entry is gone.
    async fn outbox_retry_later(
        &self,
        id: i64,
        next_attempt_ms: i64,
        error: &str,
    ) -> Result<bool, StoreError>;

    /// Moves the entry to the dead letters in one transaction, with `error` as its last error,
    /// the failed attempt that gave up counted in its `attempts`, and `now_ms` as its `dead_ms`.
    /// False (nothing changed) if it is gone.
    async fn outbox_dead_letter(
        &self,
        id: i64,
        now_ms: i64,
        error: &str,
    ) -> Result<bool, StoreError>;

    /// Up to `limit` dead letters of `target` (all targets if `None`), oldest first.
    async fn dead_letters(
        &self,
        target: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, StoreError>;

    /// Moves the dead letters of `target` (all if `None`) back to the outbox, in one
    /// transaction: after every entry already there, in their relative order, with their
    /// sequencer, body and `created_ms`, `attempts` 0, no last error and `next_attempt_ms` =
    /// `now_ms`. They get new ids. Returns how many moved.
    async fn replay_dead_letters(
        &self,
        target: Option<&str>,
        now_ms: i64,
    ) -> Result<u64, StoreError>;

    /// Deletes the dead letters of `target` (all if `None`); returns how many.
    async fn purge_dead_letters(&self, target: Option<&str>) -> Result<u64, StoreError>;

    /// The number of undelivered entries of `target` and the oldest one's `created_ms`, read
    /// in one snapshot.
    async fn outbox_backlog(&self, target: &str) -> Result<(u64, Option<i64>), StoreError>;

    /// The number of undelivered entries of `target` (cheaper than [`OutboxStore::outbox_backlog`]:
    /// no entry is read).
    async fn outbox_count(&self, target: &str) -> Result<u64, StoreError>;

    /// The targets that have undelivered entries, by name.
    async fn outbox_targets(&self) -> Result<Vec<String>, StoreError>;

    /// Up to `limit` entries of `target` whose id is greater than `after_id`, in id order: a
    /// cursor read for targets that are read rather than delivered to (the pull feed). An
    /// entry committed later has a greater id than every entry committed before it, so a
    /// reader that resumes after the last id it saw misses none still there.
    async fn outbox_after(
        &self,
        target: &str,
        after_id: i64,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError>;

    /// The greatest id any outbox entry has been given (0 if none ever was), whether or not
    /// that entry is still there: a cursor for "from now on".
    async fn outbox_last_id(&self) -> Result<i64, StoreError>;

    /// Removes up to `limit` entries of `target` created before `created_before_ms`, oldest
    /// first, in one transaction; returns how many.
    async fn outbox_prune(
        &self,
        target: &str,
        created_before_ms: i64,
        limit: usize,
    ) -> Result<u64, StoreError>;
}
