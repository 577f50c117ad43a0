//! tus uploads past their `Upload-Expires` while unfinished: aborted, their bytes freed.

use crate::state::AppState;
use sluice_store::StoreError;

/// Aborts the tus uploads that expired unfinished (their multipart upload and parts, and with
/// it their tus state) and frees their bytes; returns how many.
pub async fn sweep(state: &AppState) -> Result<u64, StoreError> {
    let now = state.clock.now_ms();
    let mut aborted = 0;
    loop {
        let expired = state.meta.expired_tus_uploads(now, 100).await?;
        if expired.is_empty() {
            return Ok(aborted);
        }
        for upload in expired {
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
