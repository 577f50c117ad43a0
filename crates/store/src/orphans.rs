//! Background removal of blobs no metadata references (left by crashes between the blob
//! commit and the metadata transaction, or by failed frees after a replace/delete).

use std::time::SystemTime;

use crate::blob::BlobStore;
use crate::error::StoreError;
use crate::meta::MetaStore;

/// Blobs checked per `blob_in_use` call.
const SWEEP_BATCH: usize = 512;

/// Deletes blobs last written before `cutoff` that no object or part references; returns how
/// many were deleted. `cutoff` must leave room for in-flight uploads (blob committed, metadata
/// not yet), e.g. `now - 1 hour`. Runs in the background; never at startup.
pub async fn sweep_orphans(
    meta: &dyn MetaStore,
    blobs: &dyn BlobStore,
    cutoff: SystemTime,
) -> Result<usize, StoreError> {
    let mut deleted = 0;
    for shard in 0..blobs.listing_shards() {
        let candidates = blobs.list_shard_older_than(shard, cutoff).await?;
        for batch in candidates.chunks(SWEEP_BATCH) {
            let in_use = meta.blob_in_use(batch).await?;
            for (blob, used) in batch.iter().zip(in_use) {
                if !used {
                    blobs.delete(blob).await?;
                    deleted += 1;
                }
            }
        }
    }
    if deleted > 0 {
        tracing::info!(deleted, "swept orphan blobs");
    }
    Ok(deleted)
}
