//! Blobs no metadata names (left by a crash between the blob write and the metadata commit, or by a
//! failed delete): removed once older than a safety margin.

use crate::state::AppState;
use sluice_store::StoreError;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Blobs younger than this are left alone: an upload in flight writes its blob before the metadata
/// that names it.
pub const MIN_ORPHAN_AGE: Duration = Duration::from_secs(60);

/// Removes orphan blobs older than [`MIN_ORPHAN_AGE`] by the server clock; returns how many.
pub async fn sweep(state: &AppState) -> Result<usize, StoreError> {
    sweep_older_than(state, cutoff(state)).await
}

/// Removes orphan blobs last written before `cutoff`; returns how many.
pub async fn sweep_older_than(state: &AppState, cutoff: SystemTime) -> Result<usize, StoreError> {
    sluice_store::sweep_orphans(&*state.meta, &*state.blobs, cutoff).await
}

/// The server clock's now less the margin, or the time this process started if that is later.
/// Blob ages are file times, written by the wall clock: a server clock set ahead of it (tests
/// shift it) never makes a blob in flight look old. A blob last written before this process
/// took the data dir's lock was written by an earlier process, which can no longer commit the
/// metadata that would name it: the first sweep after a crash removes what the crash left,
/// however recent. (This holds while one process owns the blob store; a blob store shared by
/// several nodes must keep to the margin alone.)
fn cutoff(state: &AppState) -> SystemTime {
    let ms = u64::try_from(state.clock.now_ms()).unwrap_or(0);
    let server_now = UNIX_EPOCH + Duration::from_millis(ms);
    let by_age = server_now.min(SystemTime::now()) - MIN_ORPHAN_AGE;
    by_age.max(state.started_at)
}
