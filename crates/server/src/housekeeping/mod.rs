//! Background housekeeping: named periodic tasks, each one sweep, timed by the server clock.
//!
//! A task is the unit a multi-node deployment leases, so that one node at a time runs each sweep; today the
//! one node runs them all, once at start and then every [`INTERVAL`].

pub mod completed_uploads;
pub mod expired_grants;
pub mod orphan_blobs;
pub mod stale_uploads;

use crate::state::AppState;
use sluice_store::StoreError;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How often each task runs.
pub const INTERVAL: Duration = Duration::from_secs(3600);

/// The periodic tasks, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// [`stale_uploads`]: aborts multipart uploads older than the configured age.
    StaleUploads,
    /// [`completed_uploads`]: forgets old completed-upload records.
    CompletedUploads,
    /// [`expired_grants`]: releases lapsed reservations, deletes expired grants.
    ExpiredGrants,
    /// [`orphan_blobs`]: removes blobs nothing references (after the others, which free blobs).
    OrphanBlobs,
}

impl Task {
    /// Every task, in the order they run.
    pub const ALL: [Task; 4] = [
        Task::StaleUploads,
        Task::CompletedUploads,
        Task::ExpiredGrants,
        Task::OrphanBlobs,
    ];

    /// The task's name, as leased and logged.
    pub fn name(self) -> &'static str {
        match self {
            Task::StaleUploads => "stale-uploads",
            Task::CompletedUploads => "completed-uploads",
            Task::ExpiredGrants => "expired-grants",
            Task::OrphanBlobs => "orphan-blobs",
        }
    }

    /// Runs the task once; returns how many things it removed.
    pub async fn run(self, state: &AppState) -> Result<u64, StoreError> {
        let count = match self {
            Task::StaleUploads => stale_uploads::sweep(state).await? as u64,
            Task::CompletedUploads => completed_uploads::sweep(state).await?,
            Task::ExpiredGrants => expired_grants::sweep(state).await?,
            Task::OrphanBlobs => orphan_blobs::sweep(state).await? as u64,
        };
        Ok(count)
    }
}

/// Starts the housekeeping loop: every task now, then every [`INTERVAL`].
pub fn spawn(state: Arc<AppState>) {
    tokio::spawn(async move {
        loop {
            for task in Task::ALL {
                run_logged(&state, task).await;
            }
            tokio::time::sleep(INTERVAL).await;
        }
    });
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
    expired_grants::sweep(state).await?;
    let removed = orphan_blobs::sweep_older_than(state, orphan_cutoff).await?;
    Ok((aborted, removed))
}
