//! `HEAD`, `PATCH` and `DELETE` on an upload's capability URL (`/_sluice/tus/u/{token}`): the
//! token is the only credential; an unknown (or tampered) one is 404.

use super::create::size_bounds;
use super::protocol::{self, expired, no_such_upload, offset_mismatch, too_large};
use super::write::{append, progress, AppendLimits};
use super::OFFSET_OCTET_STREAM;
use crate::auth::authn::Caller;
use crate::auth::authz::require_allowed;
use crate::auth::url_constraints::{entity_too_small, UrlConstraints};
use crate::body::body_in::BodyReader;
use crate::net::headers::header;
use crate::net::response::{self, set_header, ResponseBody};
use crate::ops::lookup::store_err;
use crate::pipeline::access_log::LogFields;
use crate::request_ctx::RequestCtx;
use crate::state::AppState;
use http::request::Parts;
use http::Response;
use hyper::body::Incoming;
use sluice_s3::{QueryParams, S3Error};
use sluice_sigv4::PayloadCheck;
use sluice_store::{StoreError, TusUpload, UploadMeta};
use std::net::SocketAddr;

/// Most bytes of a refused PATCH body read and discarded, so the client reads the error.
const MAX_DRAIN: u64 = 8 << 20;

/// An open upload found by its token, with the caller it acts as.
struct Found {
    tus: TusUpload,
    upload: UploadMeta,
    caller: Caller,
}

/// The request on an upload URL.
pub struct UploadRequest<'a> {
    /// Shared state.
    pub state: &'a AppState,
    /// Method, URI and headers.
    pub parts: &'a Parts,
    /// The capability token from the path.
    pub token: &'a str,
    /// The client's address.
    pub remote: SocketAddr,
}

/// Serves `HEAD`, `PATCH` or `DELETE` on an upload URL.
pub(crate) async fn serve(
    req: UploadRequest<'_>,
    unread: &mut Option<Incoming>,
    log: &mut LogFields,
) -> Result<Response<ResponseBody>, S3Error> {
    protocol::require_resumable(req.parts)?;
    let found = lookup(req.state, req.token).await?;
    log.bucket = found.upload.bucket.clone();
    log.key = found.upload.key.clone();
    log.access_key = found.tus.access_key.clone();
    if req.state.clock.now_ms() >= found.tus.expires_ms {
        return Err(expired());
    }
    still_allowed(&req, &found).await?;
    let mut resp = match req.parts.method {
        http::Method::HEAD => head(&req, &found).await?,
        http::Method::PATCH => patch(&req, &found, unread).await?,
        http::Method::DELETE => terminate(&req, &found).await?,
        ref m => {
            return Err(S3Error::new(
                "MethodNotAllowed",
                405,
                format!("{m} is not allowed on a tus upload (HEAD, PATCH, DELETE)"),
            ))
        }
    };
    protocol::set_resumable(&mut resp);
    Ok(resp)
}

/// The upload the token names, if open (404 otherwise, without telling why).
async fn lookup(state: &AppState, token: &str) -> Result<Found, S3Error> {
    if !super::token::well_formed(token) {
        return Err(no_such_upload());
    }
    let hash = super::token::token_hash(token);
    let tus = state
        .meta
        .get_tus_upload(&hash)
        .await
        .map_err(store_err)?
        .ok_or_else(no_such_upload)?;
    let upload = state
        .meta
        .get_upload(&tus.upload_id)
        .await
        .map_err(store_err)?
        .ok_or_else(no_such_upload)?;
    let caller = super::complete::signer(state, &tus).await?;
    Ok(Found {
        tus,
        upload,
        caller,
    })
}

/// Permissions are read when a request arrives: the signer may still PutObject the key, and the
/// creation URL's grant is not revoked (403 otherwise).
async fn still_allowed(req: &UploadRequest<'_>, found: &Found) -> Result<(), S3Error> {
    let query = QueryParams::parse("");
    let ctx = RequestCtx {
        state: req.state,
        parts: req.parts,
        query: &query,
        caller: &found.caller,
        remote: req.remote,
    };
    let (bucket, key) = (&found.upload.bucket, &found.upload.key);
    require_allowed(&ctx, "s3:PutObject", Some(bucket), Some(key)).await?;
    let Some(grant) = constraints(&found.tus)?.grant else {
        return Ok(());
    };
    match req
        .state
        .access
        .get_grant(&grant)
        .await
        .map_err(store_err)?
    {
        Some(g) if g.revoked_ms.is_none() => Ok(()),
        _ => Err(S3Error::new(
            "AccessDenied",
            403,
            "This upload's grant was revoked",
        )),
    }
}

/// The URL constraints the creation URL carried.
fn constraints(tus: &TusUpload) -> Result<UrlConstraints, S3Error> {
    UrlConstraints::from_query(&QueryParams::parse(&tus.constraints))
}

/// `HEAD`: the durable offset. An upload whose every byte is durable but that is not yet
/// committed (a crash between the two) is committed now.
async fn head(req: &UploadRequest<'_>, found: &Found) -> Result<Response<ResponseBody>, S3Error> {
    let at = progress(req.state, &found.upload.upload_id).await?;
    if found.tus.length == Some(at.offset) {
        if let Some(_lock) = req.state.tus_locks.try_lock(&found.upload.upload_id) {
            let f = found;
            super::complete::finish(
                req.state, req.parts, req.remote, &f.upload, &f.tus, &f.caller,
            )
            .await?;
        }
    }
    let mut resp = response::empty(200);
    set_header(&mut resp, "upload-offset", &at.offset.to_string());
    match found.tus.length {
        Some(n) => set_header(&mut resp, "upload-length", &n.to_string()),
        None => set_header(&mut resp, "upload-defer-length", "1"),
    }
    if !found.tus.metadata.is_empty() {
        set_header(&mut resp, "upload-metadata", &found.tus.metadata);
    }
    set_header(
        &mut resp,
        "upload-expires",
        &protocol::expires_header(found.tus.expires_ms),
    );
    set_header(&mut resp, "cache-control", "no-store");
    Ok(resp)
}

/// `DELETE` (`termination`): the upload and its bytes are gone.
async fn terminate(
    req: &UploadRequest<'_>,
    found: &Found,
) -> Result<Response<ResponseBody>, S3Error> {
    let _lock = lock(req.state, &found.upload.upload_id)?;
    match req.state.meta.abort_upload(&found.upload.upload_id).await {
        Ok(blobs) => {
            for b in blobs {
                let _ = req.state.blobs.delete(&b).await;
            }
            Ok(response::empty(204))
        }
        Err(StoreError::NoSuchUpload) => Err(no_such_upload()),
        Err(e) => Err(store_err(e)),
    }
}

/// One writer per upload: 423 while another request writes it.
fn lock(state: &AppState, upload_id: &str) -> Result<super::upload_locks::UploadLock, S3Error> {
    state.tus_locks.try_lock(upload_id).ok_or_else(|| {
        S3Error::new(
            "UploadLocked",
            423,
            "Another request is writing this upload; retry after it ends",
        )
    })
}

/// `PATCH`: appends the body at `Upload-Offset`; commits the object when the last byte arrived.
async fn patch(
    req: &UploadRequest<'_>,
    found: &Found,
    unread: &mut Option<Incoming>,
) -> Result<Response<ResponseBody>, S3Error> {
    let parts = req.parts;
    let is_stream = header(parts, "content-type")
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(OFFSET_OCTET_STREAM));
    if !is_stream {
        return Err(protocol::wrong_content_type());
    }
    let sent = protocol::number(parts, "upload-offset")?
        .ok_or_else(|| S3Error::invalid_argument("A tus PATCH needs Upload-Offset"))?;
    let checksum = protocol::upload_checksum(parts)?;
    let declared = protocol::number(parts, "content-length")?;
    let id = &found.upload.upload_id;
    let _lock = lock(req.state, id)?;
    let at = progress(req.state, id).await?;
    if sent != at.offset {
        return Err(offset_mismatch(sent, at.offset));
    }
    let length = settle_length(req, found, at.offset).await?;
    let (_, max_total) = size_bounds(&constraints(&found.tus)?);
    let total = length.unwrap_or(max_total);
    let left = total.saturating_sub(at.offset);
    if declared.is_some_and(|n| n > left) {
        return Err(too_large(total));
    }
    let incoming = unread.take().ok_or_else(S3Error::internal_error)?;
    let mut body = BodyReader::new(incoming, PayloadCheck::Unsigned, declared)
        .with_idle_timeout(req.state.config.body_idle_timeout)
        .with_budget(&req.state.body_budget);
    let limits = AppendLimits {
        max: left,
        max_total: total,
        checksum,
    };
    let appended = append(req.state, id, at.parts + 1, &mut body, &limits).await;
    let appended = match appended {
        Ok(n) => n,
        Err(e) => {
            body.drain_after_error(MAX_DRAIN, false).await;
            return Err(e);
        }
    };
    let offset = at.offset + appended;
    let mut resp = response::empty(204);
    if length == Some(offset) {
        let etag = super::complete::finish(
            req.state,
            parts,
            req.remote,
            &found.upload,
            &found.tus,
            &found.caller,
        )
        .await?;
        set_header(&mut resp, "etag", &format!("\"{etag}\""));
    }
    set_header(&mut resp, "upload-offset", &offset.to_string());
    set_header(
        &mut resp,
        "upload-expires",
        &protocol::expires_header(found.tus.expires_ms),
    );
    Ok(resp)
}

/// The upload's length: as created, or set now by the PATCH's `Upload-Length` when it was
/// deferred (at least the bytes received, within the URL's size range).
async fn settle_length(
    req: &UploadRequest<'_>,
    found: &Found,
    offset: u64,
) -> Result<Option<u64>, S3Error> {
    let sent = protocol::number(req.parts, "upload-length")?;
    match (found.tus.length, sent) {
        (known, None) => Ok(known),
        (Some(known), Some(n)) if known == n => Ok(Some(known)),
        (Some(_), Some(n)) => Err(protocol::bad_header(
            "Upload-Length",
            &n.to_string(),
            "the upload's length is already set",
        )),
        (None, Some(n)) => {
            let (min, max_total) = size_bounds(&constraints(&found.tus)?);
            if n > max_total {
                return Err(too_large(max_total));
            }
            if n < min {
                return Err(entity_too_small(min));
            }
            if n < offset {
                return Err(protocol::bad_header(
                    "Upload-Length",
                    &n.to_string(),
                    "smaller than the bytes already received",
                ));
            }
            req.state
                .meta
                .set_tus_length(&found.upload.upload_id, n)
                .await
                .map_err(store_err)?;
            Ok(Some(n))
        }
    }
}
