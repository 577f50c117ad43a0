//! Stage 5, admit the grant: a presigned URL minted with a use limit reserves one use of its grant, last of
//! all checks, so a request refused earlier spends nothing.

use crate::auth::grant_use::UseGuard;
use crate::auth::url_constraints::UrlConstraints;
use crate::pipeline::access_log::{presigned_failure, LogFields};
use crate::state::AppState;
use sluice_s3::{Endpoint, S3Error};
use std::net::SocketAddr;

/// Reserves the use the request spends of its URL's grant (none for parts, part listings and aborts of a
/// bundle, whose completion spends it; none for a retried completion). `None` when the URL has no grant.
pub(crate) async fn admit_grant(
    state: &AppState,
    constraints: &UrlConstraints,
    endpoint: &Endpoint,
    remote: SocketAddr,
    log: &mut LogFields,
) -> Result<Option<UseGuard>, S3Error> {
    let Some(id) = &constraints.grant else {
        return Ok(None);
    };
    if let Some(claimed) = constraints.grant_expires {
        check_grant_lifetime(state, id, claimed)
            .await
            .inspect_err(|e| log.presigned_outcome = Some(presigned_failure(e)))?;
    }
    let spends = !matches!(
        endpoint,
        Endpoint::UploadPart { .. }
            | Endpoint::UploadPartCopy { .. }
            | Endpoint::ListParts { .. }
            | Endpoint::AbortMultipartUpload { .. }
    );
    let admitted = if is_recent_completion(state, endpoint).await? {
        crate::auth::grant_use::admit_completion_retry(state, id, &log.access_key)
            .await
            .map(|()| None)
    } else {
        crate::auth::grant_use::admit(state, id, &log.access_key, remote.ip(), spends).await
    };
    admitted.inspect_err(|e| log.presigned_outcome = Some(presigned_failure(e)))
}

/// A URL living longer than 7 days may not outlive its grant (admission refuses unknown grants).
async fn check_grant_lifetime(
    state: &AppState,
    id: &str,
    claimed: time::OffsetDateTime,
) -> Result<(), S3Error> {
    let grant = state.access.get_grant(id).await.map_err(|e| {
        tracing::error!(error = %e, "grant store failed");
        S3Error::internal_error()
    })?;
    match grant {
        Some(g) => crate::auth::grant_expiry::check_within_grant(claimed, g.expiry_ms()),
        None => Ok(()),
    }
}

/// Whether `endpoint` completes an upload that already completed (to the same bucket and key) recently
/// enough to be answered again: a retried completion, which spends no grant use.
async fn is_recent_completion(state: &AppState, endpoint: &Endpoint) -> Result<bool, S3Error> {
    let Endpoint::CompleteMultipartUpload {
        bucket,
        key,
        upload_id,
    } = endpoint
    else {
        return Ok(false);
    };
    let record = state
        .meta
        .completed_upload(upload_id)
        .await
        .map_err(crate::ops::lookup::store_err)?;
    let cutoff = state.clock.now_ms() - crate::ops::multipart::complete::COMPLETED_RETENTION_MS;
    Ok(record.is_some_and(|r| &r.bucket == bucket && &r.key == key && r.completed_ms >= cutoff))
}
