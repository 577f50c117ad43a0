//! `POST /_sluice/tus/{bucket}/{key}`: the tus `creation` extension (with `creation-with-upload`
//! and `creation-defer-length`). The pipeline has already authenticated the request, checked the
//! URL's constraints (content type against the metadata's `filetype`), authorized a PutObject of
//! the key and reserved the grant's use.

use super::protocol::{self, too_large, MetadataPair};
use super::write::{append, AppendLimits};
use super::{DEFAULT_EXPIRY_MS, OFFSET_OCTET_STREAM, TUS_MAX_SIZE, UPLOAD_PATH};
use crate::auth::url_constraints::{entity_too_small, UrlConstraints, PREFIX};
use crate::body::body_in::BodyReader;
use crate::net::headers::{header, MAX_USER_METADATA_BYTES};
use crate::net::response::{self, set_header, ResponseBody};
use crate::ops::lookup::{require_bucket, store_err};
use crate::request_ctx::RequestCtx;
use http::request::Parts;
use http::Response;
use sluice_s3::route::MAX_KEY_BYTES;
use sluice_s3::{Endpoint, S3Error};
use sluice_store::{StandardHeaders, StoreError, TusUpload, UploadMeta};

/// The placeholder a creation URL's key may hold, filled with the metadata's `filename`.
pub const FILENAME_PLACEHOLDER: &str = "${filename}";

/// A creation whose key holds `${filename}`: the key with the metadata's filename in its place
/// (before authorization judges it). 400 when the metadata names no filename.
pub fn fill_filename(endpoint: Endpoint, parts: &Parts) -> Result<Endpoint, S3Error> {
    let Endpoint::TusCreate { bucket, key } = endpoint else {
        return Ok(endpoint);
    };
    if !key.contains(FILENAME_PLACEHOLDER) {
        return Ok(Endpoint::TusCreate { bucket, key });
    }
    let pairs = protocol::request_metadata(parts)?;
    let name = protocol::metadata_filename(&pairs).ok_or_else(|| {
        S3Error::invalid_argument(
            "This upload URL's key needs a filename in Upload-Metadata (${filename})",
        )
    })?;
    let key = key.replace(FILENAME_PLACEHOLDER, name);
    if key.len() > MAX_KEY_BYTES {
        return Err(S3Error::key_too_long());
    }
    Ok(Endpoint::TusCreate { bucket, key })
}

/// The Content-Type a creation's URL constraint is judged against: the metadata's `filetype`.
pub fn declared_content_type(parts: &Parts) -> Option<String> {
    let pairs = protocol::request_metadata(parts).ok()?;
    protocol::metadata_content_type(&pairs).map(str::to_string)
}

/// The largest upload the URL allows, and its smallest.
pub fn size_bounds(constraints: &UrlConstraints) -> (u64, u64) {
    match constraints.size {
        Some(r) => (r.min, r.max.min(TUS_MAX_SIZE)),
        None => (0, TUS_MAX_SIZE),
    }
}

/// `Upload-Length` (or `Upload-Defer-Length: 1`): `None` when deferred.
fn declared_length(parts: &Parts) -> Result<Option<u64>, S3Error> {
    let length = protocol::number(parts, "upload-length")?;
    let defer = header(parts, "upload-defer-length");
    match (length, defer) {
        (Some(_), Some(_)) => Err(S3Error::invalid_argument(
            "Send Upload-Length or Upload-Defer-Length, not both",
        )),
        (Some(n), None) => Ok(Some(n)),
        (None, Some(v)) if v.trim() == "1" => Ok(None),
        (None, Some(v)) => Err(protocol::bad_header("Upload-Defer-Length", v, "must be 1")),
        (None, None) => Err(S3Error::invalid_argument(
            "A tus creation needs Upload-Length or Upload-Defer-Length: 1",
        )),
    }
}

/// The signed `x-sluice-*` parameters of the creation URL, as a query string (empty for a
/// request that is not presigned).
fn signed_constraints(ctx: &RequestCtx<'_>) -> String {
    let presigned = ctx
        .caller
        .auth
        .as_ref()
        .is_some_and(|a| a.kind.is_presigned());
    if !presigned {
        return String::new();
    }
    ctx.query
        .pairs()
        .iter()
        .filter(|(n, _)| n.to_ascii_lowercase().starts_with(PREFIX))
        .map(|(n, v)| {
            format!(
                "{}={}",
                sluice_sigv4::uri_encode(&n.to_ascii_lowercase(), true),
                sluice_sigv4::uri_encode(v, true)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// When the upload expires unfinished: with its URL (a grant's longer expiry when it has one),
/// or [`DEFAULT_EXPIRY_MS`] after now for a header-signed creation.
fn expiry_ms(ctx: &RequestCtx<'_>, constraints: &UrlConstraints) -> i64 {
    let ms = |t: time::OffsetDateTime| (t.unix_timestamp_nanos() / 1_000_000) as i64;
    if let Some(t) = constraints.grant_expires {
        return ms(t);
    }
    match ctx.caller.auth.as_ref().and_then(|a| a.expires_at) {
        Some(t) => ms(t),
        None => ctx.state.clock.now_ms().saturating_add(DEFAULT_EXPIRY_MS),
    }
}

/// The object headers and user metadata the upload's object gets from `Upload-Metadata`.
fn object_fields(
    pairs: &[MetadataPair],
) -> Result<(StandardHeaders, Vec<(String, String)>), S3Error> {
    let user = protocol::user_metadata(pairs);
    let total: usize = user.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > MAX_USER_METADATA_BYTES {
        return Err(S3Error::metadata_too_large(MAX_USER_METADATA_BYTES));
    }
    let headers = StandardHeaders {
        content_type: protocol::metadata_content_type(pairs).map(str::to_string),
        ..Default::default()
    };
    Ok((headers, user))
}

/// `POST /_sluice/tus/{bucket}/{key}`: records the upload, takes the body if it carries one
/// (`creation-with-upload`), answers `201` with the upload's capability URL in `Location`.
pub async fn create(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
    body: &mut BodyReader,
) -> Result<Response<ResponseBody>, S3Error> {
    let parts = ctx.parts;
    protocol::require_resumable(parts)?;
    let pairs = protocol::request_metadata(parts)?;
    let length = declared_length(parts)?;
    let constraints = if signed_constraints(ctx).is_empty() {
        UrlConstraints::default()
    } else {
        UrlConstraints::from_query(ctx.query)?
    };
    let (min, max_total) = size_bounds(&constraints);
    if let Some(n) = length {
        if n > max_total {
            return Err(too_large(max_total));
        }
        if n < min {
            return Err(entity_too_small(min));
        }
    }
    require_bucket(ctx, bucket).await?;
    let (headers, user_metadata) = object_fields(&pairs)?;
    crate::checks::run::refuse_early(ctx, bucket, key, headers.content_type.as_deref()).await?;
    let token = super::token::new_token();
    let upload = UploadMeta {
        upload_id: crate::ops::multipart::create::new_upload_id(),
        bucket: bucket.to_string(),
        key: key.to_string(),
        created_ms: ctx.state.clock.now_ms(),
        initiator: ctx
            .caller
            .access_key_id()
            .unwrap_or("anonymous")
            .to_string(),
        headers,
        user_metadata,
        checksum_algorithm: None,
        checksum_type: None,
        acl: None,
        tags: Vec::new(),
    };
    let tus = TusUpload {
        upload_id: upload.upload_id.clone(),
        token_hash: super::token::token_hash(&token),
        length,
        expires_ms: expiry_ms(ctx, &constraints),
        metadata: header(parts, "upload-metadata").unwrap_or("").to_string(),
        constraints: signed_constraints(ctx),
        access_key: ctx.caller.access_key_id().unwrap_or("").to_string(),
    };
    ctx.state
        .meta
        .create_tus_upload(&upload, &tus)
        .await
        .map_err(|e| match e {
            StoreError::NoSuchBucket => S3Error::no_such_bucket(bucket),
            other => store_err(other),
        })?;
    let offset = upload_with_creation(ctx, &upload, &tus, body, max_total).await?;
    let base = crate::net::public_url::minting_base(&ctx.state.config, parts, ctx.remote.ip());
    let mut resp = response::empty(201);
    set_header(
        &mut resp,
        "location",
        &format!("{}{UPLOAD_PATH}{token}", base.base()),
    );
    set_header(
        &mut resp,
        "upload-expires",
        &protocol::expires_header(tus.expires_ms),
    );
    if let Some(offset) = offset {
        set_header(&mut resp, "upload-offset", &offset.to_string());
    }
    protocol::set_resumable(&mut resp);
    Ok(resp)
}

/// `creation-with-upload`: a body sent with the creation is the first PATCH. An empty upload
/// (`Upload-Length: 0`) is complete at once. Returns the offset reached when a body was sent.
async fn upload_with_creation(
    ctx: &RequestCtx<'_>,
    upload: &UploadMeta,
    tus: &TusUpload,
    body: &mut BodyReader,
    max_total: u64,
) -> Result<Option<u64>, S3Error> {
    let with_body = header(ctx.parts, "content-type")
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(OFFSET_OCTET_STREAM));
    let mut offset = None;
    if with_body {
        let limits = AppendLimits {
            max: tus.length.unwrap_or(max_total),
            max_total: tus.length.unwrap_or(max_total),
            checksum: protocol::upload_checksum(ctx.parts)?,
        };
        offset = Some(append(ctx.state, &upload.upload_id, 1, body, &limits).await?);
    }
    if tus.length.is_some() && tus.length == Some(offset.unwrap_or(0)) {
        super::complete::finish(ctx.state, ctx.parts, ctx.remote, upload, tus, ctx.caller).await?;
    }
    Ok(offset)
}
