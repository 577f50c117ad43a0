//! Grants past their retention: lapsed reservations released, expired grants deleted.

use crate::state::AppState;
use sluice_store::StoreError;

/// How long a grant (and its audit trail) is kept after its URLs expired.
pub const GRANT_RETENTION_MS: i64 = 24 * 3600 * 1000;

/// Releases grant reservations past their deadline (their requests died with a process), then
/// deletes grants whose URLs expired more than [`GRANT_RETENTION_MS`] ago and hold no
/// reservation; returns how many grants it deleted.
pub async fn sweep(state: &AppState) -> Result<u64, StoreError> {
    let now = state.clock.now_ms();
    let released = state.access.reclaim_lapsed_reservations(now).await?;
    if released > 0 {
        tracing::info!(released, "lapsed grant reservations released");
    }
    state
        .access
        .delete_expired_grants(now.saturating_sub(GRANT_RETENTION_MS))
        .await
}
