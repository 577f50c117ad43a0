//! Background housekeeping: named periodic tasks, each one sweep, timed by the server clock.
//!
//! Every [`INTERVAL`] (and once at start) a node runs each task whose lease it can take from the store
//! (`TaskLeaseStore`). The lease is held for [`LEASE`], a little less than the interval, and not released after
//! the run: nodes sharing one metadata store run each sweep about once an interval between them, one at a time.
//! The lease owner is the node id, so a restarted node takes its own leases back at once.

pub mod completed_uploads;
pub mod expired_grants;
pub mod expired_tus_uploads;
pub mod grant_expiry_events;
pub mod orphan_blobs;
pub mod stale_uploads;

use crate::state::AppState;
use sluice_store::StoreError;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How often each task runs.
pub const INTERVAL: Duration = Duration::from_secs(3600);

/// How long a node holds a task it took: shorter than [`INTERVAL`], so that the next round finds it free.
pub const LEASE: Duration = Duration::from_secs(3300);

/// The periodic tasks, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// [`stale_uploads`]: aborts multipart uploads older than the configured age.
    StaleUploads,
    /// [`completed_uploads`]: forgets old completed-upload records.
    CompletedUploads,
    /// [`grant_expiry_events`]: reports grants that expired unused (before they are deleted).
    GrantExpiryEvents,
    /// [`expired_grants`]: releases lapsed reservations, deletes expired grants.
    ExpiredGrants,
    /// [`expired_tus_uploads`]: aborts tus uploads past their `Upload-Expires`.
    TusUploads,
    /// [`orphan_blobs`]: removes blobs nothing references (after the others, which free blobs).
    OrphanBlobs,
    /// [`crate::notify::feed::prune`]: drops pull-feed events older than `notify_max_age`.
    EventFeed,
}

impl Task {
    /// Every task, in the order they run.
    pub const ALL: [Task; 7] = [
        Task::StaleUploads,
        Task::CompletedUploads,
        Task::GrantExpiryEvents,
        Task::ExpiredGrants,
        Task::TusUploads,
        Task::OrphanBlobs,
        Task::EventFeed,
    ];

    /// The task's name, as leased and logged.
    pub fn name(self) -> &'static str {
        match self {
            Task::StaleUploads => "stale-uploads",
            Task::CompletedUploads => "completed-uploads",
            Task::GrantExpiryEvents => "grant-expiry-events",
            Task::ExpiredGrants => "expired-grants",
            Task::TusUploads => "tus-uploads",
            Task::OrphanBlobs => "orphan-blobs",
            Task::EventFeed => "event-feed",
        }
    }

    /// Runs the task once; returns how many things it removed.
    pub async fn run(self, state: &AppState) -> Result<u64, StoreError> {
        let count = match self {
            Task::StaleUploads => stale_uploads::sweep(state).await? as u64,
            Task::CompletedUploads => completed_uploads::sweep(state).await?,
            Task::GrantExpiryEvents => grant_expiry_events::sweep(state).await?,
            Task::ExpiredGrants => expired_grants::sweep(state).await?,
            Task::TusUploads => expired_tus_uploads::sweep(state).await?,
            Task::OrphanBlobs => orphan_blobs::sweep(state).await? as u64,
            Task::EventFeed => crate::notify::feed::prune(state).await?,
        };
        Ok(count)
    }
}

/// Starts the housekeeping loop: a round now, then every [`INTERVAL`].
pub fn spawn(state: Arc<AppState>) {
    tokio::spawn(async move {
        loop {
            run_round(&state).await;
            tokio::time::sleep(INTERVAL).await;
        }
    });
}

/// One round: each task whose lease this node takes runs; returns the tasks that ran.
pub async fn run_round(state: &AppState) -> Vec<Task> {
    let mut ran = Vec::new();
    for task in Task::ALL {
        let owner = &state.config.node_id;
        match state
            .meta
            .try_lease_task(task.name(), owner, LEASE, state.clock.now_ms())
            .await
        {
            Ok(true) => {
                run_logged(state, task).await;
                ran.push(task);
            }
            Ok(false) => tracing::debug!(task = task.name(), "leased by another node"),
            Err(e) => tracing::warn!(task = task.name(), error = %e, "housekeeping lease failed"),
        }
    }
    ran
}

/// Runs one task, logging what it removed or why it failed (the next round retries).
async fn run_logged(state: &AppState, task: Task) {
    match task.run(state).await {
        Ok(0) => {}
        Ok(removed) => tracing::info!(task = task.name(), removed, "housekeeping"),
        Err(e) => tracing::warn!(task = task.name(), error = %e, "housekeeping task failed"),
    }
}

/// Runs every task now, the orphan sweep with `orphan_cutoff` instead of its margin; returns (uploads
/// aborted, blobs removed). For tests and operators' tools.
pub async fn run_now(
    state: &AppState,
    orphan_cutoff: SystemTime,
) -> Result<(usize, usize), StoreError> {
    let aborted = stale_uploads::sweep(state).await?;
    completed_uploads::sweep(state).await?;
    grant_expiry_events::sweep(state).await?;
    expired_grants::sweep(state).await?;
    expired_tus_uploads::sweep(state).await?;
    let removed = orphan_blobs::sweep_older_than(state, orphan_cutoff).await?;
    Ok((aborted, removed))
}
