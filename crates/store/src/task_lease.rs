//! Leases on named background tasks, so that of several nodes sharing one metadata store only
//! one runs a given periodic task (an orphan sweep, the stale-upload sweep) at a time.

use std::time::Duration;

use async_trait::async_trait;

use crate::error::StoreError;

/// Who may run a named periodic task now.
///
/// # Contract
///
/// - A lease names a task (`task`), its holder (`owner`, an opaque string: one node, or one
///   run of a node's process) and an expiry. It is held from its acquisition until that expiry
///   (exclusive) or until its holder releases it.
/// - Time comes from the caller (`now_ms`, ms since the epoch); the store never reads a clock.
///   Leases are only as exclusive as the callers' clocks agree: nodes whose clocks differ by more
///   than a lease's ttl can both believe they hold it. A holder should renew well before expiry
///   and stop the task if a renewal is refused.
/// - Each call is atomic: of concurrent acquisitions of a free task, exactly one succeeds.
/// - An acquisition, renewal or release is durable once it returns `Ok`.
/// - Both calls are idempotent and safe to retry after an error: a retried acquisition by the
///   same owner is a renewal; a retried release finds nothing to release.
/// - A lease is not a lock on any data: the task must still make each of its writes safe to run
///   twice (a lease can lapse mid-run while another node takes it over).
#[async_trait]
pub trait TaskLeaseStore: Send + Sync + 'static {
    /// Acquires the lease on `task` for `owner` until `now_ms + ttl`, and returns true, if the
    /// task is free, its lease lapsed (expiry at or before `now_ms`) or `owner` already holds it
    /// (a renewal: the expiry moves to `now_ms + ttl`, even if that is earlier than before).
    /// Returns false, changing nothing, while another owner holds it.
    async fn try_lease_task(
        &self,
        task: &str,
        owner: &str,
        ttl: Duration,
        now_ms: i64,
    ) -> Result<bool, StoreError>;

    /// Releases `owner`'s lease on `task` so another owner may take it at once; returns whether
    /// it held one (a lapsed lease not yet taken over included). Releasing a lease held by
    /// another owner, or none, changes nothing and returns false.
    async fn release_task(&self, task: &str, owner: &str) -> Result<bool, StoreError>;
}
