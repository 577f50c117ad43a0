//! Records of completed multipart uploads, kept to answer retried completions, pruned when no URL can
//! retry them any more.

use crate::state::AppState;
use sluice_store::StoreError;

/// Forgets completed multipart uploads older than any of their URLs can live (a retried
/// completion of one of them answers NoSuchUpload from then on); returns how many.
pub async fn sweep(state: &AppState) -> Result<u64, StoreError> {
    let before = state
        .clock
        .now_ms()
        .saturating_sub(crate::ops::multipart::complete::COMPLETED_RETENTION_MS);
    state.meta.prune_completed_uploads(before).await
}
