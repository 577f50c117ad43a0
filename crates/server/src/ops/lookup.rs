//! What every handler shares: the bucket it names, looked up, and store failures as S3 errors.

use crate::request_ctx::RequestCtx;
use sluice_s3::S3Error;
use sluice_store::{BucketMeta, StoreError};

/// Fails with `NoSuchBucket` unless the bucket exists.
pub async fn require_bucket(ctx: &RequestCtx<'_>, bucket: &str) -> Result<BucketMeta, S3Error> {
    ctx.state
        .meta
        .get_bucket(bucket)
        .await
        .map_err(store_err)?
        .ok_or_else(|| S3Error::no_such_bucket(bucket))
}

/// Maps a store failure to an S3 error, logging the cause (never shown to clients).
pub fn store_err(e: StoreError) -> S3Error {
    match e {
        StoreError::NoSuchBucket => {
            S3Error::new("NoSuchBucket", 404, "The specified bucket does not exist")
        }
        StoreError::BucketNotEmpty => S3Error::new(
            "BucketNotEmpty",
            409,
            "The bucket you tried to delete is not empty",
        ),
        full if full.is_storage_full() => {
            // AWS has no "disk full" error; 503 SlowDown makes every SDK back off and retry.
            tracing::error!(error = %full, "storage full");
            S3Error::slow_down()
        }
        other => {
            tracing::error!(error = %other, "storage failure");
            S3Error::internal_error()
        }
    }
}
