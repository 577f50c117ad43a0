//! Multipart uploads left open longer than the configured age: aborted, their parts freed.

use crate::state::AppState;
use sluice_store::StoreError;

/// Aborts uploads older than the configured age and frees their parts; returns how many.
pub async fn sweep(state: &AppState) -> Result<usize, StoreError> {
    let age_ms = i64::try_from(state.config.stale_upload_age.as_millis()).unwrap_or(i64::MAX);
    let before = state.clock.now_ms().saturating_sub(age_ms);
    let mut aborted = 0;
    loop {
        let stale = state.meta.stale_uploads(before, 100).await?;
        if stale.is_empty() {
            return Ok(aborted);
        }
        for upload in stale {
            match state.meta.abort_upload(&upload.upload_id).await {
                Ok(blobs) => {
                    for b in blobs {
                        let _ = state.blobs.delete(&b).await;
                    }
                    aborted += 1;
                }
                Err(StoreError::NoSuchUpload) => {}
                Err(e) => return Err(e),
            }
        }
    }
}
