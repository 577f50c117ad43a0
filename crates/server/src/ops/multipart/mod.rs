//! Multipart uploads: each part is its own blob; Complete is one metadata transaction.

pub mod complete;
pub mod create;
pub mod list;
pub mod part;

use crate::ops::lookup::store_err;
use crate::request_ctx::RequestCtx;
use sluice_s3::S3Error;
use sluice_store::UploadMeta;

/// Smallest size of a part that is not the last one.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// Largest part.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// Highest part number.
pub const MAX_PART_NUMBER: u32 = 10_000;

/// Parses a part number (1..=10000).
pub fn parse_part_number(raw: &str) -> Result<u32, S3Error> {
    raw.parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_PART_NUMBER).contains(n))
        .ok_or_else(|| S3Error::invalid_part_number(raw))
}

/// Loads an open upload that belongs to `bucket`/`key`, else `NoSuchUpload`.
pub async fn load_upload(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<UploadMeta, S3Error> {
    match ctx
        .state
        .meta
        .get_upload(upload_id)
        .await
        .map_err(store_err)?
    {
        Some(u) if u.bucket == bucket && u.key == key => Ok(u),
        _ => Err(S3Error::no_such_upload(upload_id)),
    }
}

/// Frees blobs in the background of a request (best effort; the orphan sweep catches misses).
pub async fn free_blobs(ctx: &RequestCtx<'_>, blobs: &[sluice_store::BlobRef]) {
    for b in blobs {
        if let Err(e) = ctx.state.blobs.delete(b).await {
            tracing::warn!(error = %e, blob = b.as_str(), "could not free blob");
        }
    }
}
