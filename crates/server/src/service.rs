//! The one path every request walks: route, authenticate, authorize, handle, respond, log.

use crate::authn::authenticate;
use crate::authz::{require_endpoint_allowed, AuthzInput};
use crate::body_in::{read_small_body, BodyReader};
use crate::headers::header;
use crate::ops::{dispatch, RequestCtx};
use crate::request_id::new_request_id;
use crate::response::{self, set_header, ResponseBody};
use crate::state::AppState;
use crate::url_constraints::{RequestFacts, UrlConstraints};
use http::{Request, Response};
use http_body_util::BodyExt;
use hyper::body::{Body as _, Incoming};
use sluice_s3::Endpoint;
use sluice_s3::{route, QueryParams, RouteInput, S3Error};
use sluice_sigv4::{AuthKind, PayloadCheck, RequestView};
use std::net::SocketAddr;
use std::time::Instant;

/// Most raw body bytes read and discarded after a refused request, so the client sees the
/// error instead of a connection reset; larger leftovers close the connection.
const MAX_DRAIN_AFTER_ERROR: u64 = 8 << 20;

/// Facts about a request gathered for its access-log line.
#[derive(Debug, Default)]
struct LogFields {
    operation: &'static str,
    bucket: String,
    key: String,
    auth: &'static str,
    access_key: String,
    /// Errors are answered as JSON (admin API) instead of S3 XML.
    json_errors: bool,
    /// For presigned requests: how authentication/authorization ended.
    presigned_outcome: Option<&'static str>,
}

/// The metric label for an auth type.
fn auth_label(auth: &str) -> &'static str {
    match auth {
        "REST-HEADER" => "header",
        "REST-QUERY-STRING" => "presigned",
        "POST" => "post",
        _ => "anonymous",
    }
}

/// The presigned-URL outcome an authentication error stands for.
fn presigned_failure(e: &S3Error) -> &'static str {
    match (e.code, e.message.as_str()) {
        ("AccessDenied", "Request has expired") => "expired",
        ("AccessDenied", "Request is not yet valid") => "not_yet_valid",
        ("SignatureDoesNotMatch", _) => "bad_signature",
        ("InvalidAccessKeyId", _) => "unknown_key",
        ("AuthorizationQueryParametersError", _) => "malformed",
        ("AccessDenied", crate::grant_use::REVOKED) => "revoked",
        ("AccessDenied", crate::grant_use::USED_UP) => "used_up",
        ("AccessDenied", m) if m.starts_with("This presigned URL") => "constraint",
        ("EntityTooLarge" | "EntityTooSmall", _) => "constraint",
        _ => "refused",
    }
}

/// Handles one HTTP request end to end. Never fails: errors become S3 error responses.
pub async fn handle_request(
    state: &AppState,
    req: Request<Incoming>,
    remote: SocketAddr,
) -> Response<ResponseBody> {
    let started = Instant::now();
    crate::metrics::in_flight(1.0);
    let request_id = new_request_id();
    let (mut parts, body) = req.into_parts();
    let is_head = parts.method == http::Method::HEAD;
    let mut log = LogFields::default();
    let mut resp = match serve(state, &mut parts, body, &mut log, remote).await {
        Ok(r) => r,
        Err(e) => {
            if e.status >= 500 {
                tracing::error!(request_id, code = e.code, message = %e.message, "request failed");
            }
            if log.json_errors {
                crate::admin::error_response(&e)
            } else {
                response::error(&e, &request_id, is_head)
            }
        }
    };
    crate::cors::add_response_headers(state, &parts, &log.bucket, &mut resp).await;
    set_header(&mut resp, "x-amz-request-id", &request_id);
    set_header(&mut resp, "x-amz-id-2", &request_id);
    set_header(&mut resp, "server", "Sluice");
    let operation = if log.operation.is_empty() {
        "Unknown"
    } else {
        log.operation
    };
    let bytes_in: u64 = header(&parts, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    crate::metrics::record_request(
        operation,
        auth_label(log.auth),
        resp.status().as_u16(),
        bytes_in,
        started.elapsed(),
    );
    if let Some(outcome) = log.presigned_outcome {
        crate::metrics::record_presigned(outcome);
    }
    crate::metrics::in_flight(-1.0);
    let bytes_out = resp
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("0")
        .to_string();
    tracing::info!(
        target: "sluice::access",
        request_id,
        remote = %remote,
        method = %parts.method,
        operation = log.operation,
        bucket = log.bucket,
        key = log.key,
        status = resp.status().as_u16(),
        bytes_in = header(&parts, "content-length").unwrap_or("0"),
        bytes_out,
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        auth = log.auth,
        access_key = log.access_key,
    );
    resp.map(|body| crate::metered_body::MeteredBody::new(body, operation, started).boxed_unsync())
}

/// Serves one request; a request refused before its handler took the body (bad signature,
/// expired URL, URL constraints, denied) has the body drained here so the client reads the
/// error.
async fn serve(
    state: &AppState,
    parts: &mut http::request::Parts,
    body: Incoming,
    log: &mut LogFields,
    remote: SocketAddr,
) -> Result<Response<ResponseBody>, S3Error> {
    let mut unread = Some(body);
    let result = serve_request(state, parts, &mut unread, log, remote).await;
    let refused = result.is_err();
    if let (true, Some(mut body)) = (refused, unread) {
        if !body.is_end_stream() && !expects_continue(parts) {
            crate::body_in::discard_body(&mut body, MAX_DRAIN_AFTER_ERROR).await;
        }
    }
    result
}

/// [`serve`], with the body left in `unread` until a handler takes it.
async fn serve_request(
    state: &AppState,
    parts: &mut http::request::Parts,
    unread: &mut Option<Incoming>,
    log: &mut LogFields,
    remote: SocketAddr,
) -> Result<Response<ResponseBody>, S3Error> {
    crate::request_limits::check_request_head(parts)?;
    let uri = parts.uri.clone();
    let raw_path = uri.path();
    let raw_query = uri.query().unwrap_or("");
    let query = QueryParams::parse(raw_query);
    let routed = route(&RouteInput {
        method: parts.method.as_str(),
        host: header(parts, "host"),
        raw_path,
        query: &query,
        has_copy_source: parts.headers.contains_key("x-amz-copy-source"),
        domain: state.config.domain.as_deref(),
    });
    if parts.method == http::Method::OPTIONS {
        // CORS preflight: answered from the rules, without authentication.
        let bucket = routed.as_ref().ok().and_then(|r| r.endpoint.bucket());
        log.operation = "PreflightRequest";
        log.bucket = bucket.unwrap_or_default().to_string();
        return crate::cors::preflight(state, parts, bucket).await;
    }
    let routed = routed?;
    let endpoint = &routed.endpoint;
    log.operation = endpoint.name();
    log.bucket = endpoint.bucket().unwrap_or_default().to_string();
    log.key = endpoint.key().unwrap_or_default().to_string();
    if let sluice_s3::Endpoint::PostObject { bucket } = endpoint {
        // Browser form upload: the form itself carries the signature and policy.
        log.auth = "POST";
        let mut outcome = crate::post_form::PostOutcome::default();
        let body = unread.take().ok_or_else(S3Error::internal_error)?;
        let result =
            crate::post_form::post_object(state, parts, body, bucket, remote, &mut outcome).await;
        log.key = outcome.key;
        log.access_key = outcome.access_key;
        return result;
    }
    log.json_errors = crate::admin::is_admin_endpoint(endpoint);

    let mut headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let prefetched = match unread.as_mut() {
        Some(incoming) if needs_body_hash(endpoint, parts) => {
            let body =
                read_small_body(incoming, MAX_HASHED_BODY, state.config.body_idle_timeout).await?;
            // The payload hash the signer put in its canonical request, as AWS's JSON services
            // take it: the body's SHA-256 (not a signed header; the signature covers it anyway).
            headers.push((
                "x-amz-content-sha256".to_string(),
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body)),
            ));
            Some(body)
        }
        _ => None,
    };
    let view = RequestView {
        method: parts.method.as_str(),
        raw_path,
        raw_query,
        headers: &headers,
    };
    let presigned =
        query.has("X-Amz-Signature") || query.has("X-Amz-Algorithm") || query.has("AWSAccessKeyId");
    let (caller, payload) = authenticate(state, &view, routed.virtual_host_bucket.as_deref())
        .await
        .inspect_err(|e| {
            if presigned {
                log.presigned_outcome = Some(presigned_failure(e));
            }
        })?;
    log.auth = caller.auth_type();
    log.access_key = caller.access_key_id().unwrap_or_default().to_string();

    let presign_kind = caller
        .auth
        .as_ref()
        .map(|a| a.kind)
        .filter(|k| k.is_presigned());
    if presign_kind.is_some() {
        promote_signed_query_headers(parts, &query);
    }
    let parts = &*parts;
    let declared_len = declared_payload_length(parts, &payload)?;
    let constraints = match presign_kind {
        Some(kind) => check_url_constraints(state, parts, &query, kind, remote, declared_len)
            .inspect_err(|e| log.presigned_outcome = Some(presigned_failure(e)))?,
        None => UrlConstraints::default(),
    };
    let authz = AuthzInput {
        state,
        caller: &caller,
        endpoint: Some(endpoint),
        query: &query,
        parts,
        remote,
    };
    require_endpoint_allowed(&authz).await.inspect_err(|_| {
        if presigned {
            log.presigned_outcome = Some("denied");
        }
    })?;
    if presigned {
        log.presigned_outcome = Some("accepted");
    }
    let canned_acl = crate::ops::acl::requested_acl(&authz).await?;

    // Reserved last, so a request refused by any check above spends nothing (and, like
    // them, has its unread body drained by `serve`).
    let grant_use = match &constraints.grant {
        Some(id) => {
            let spends = !matches!(
                endpoint,
                Endpoint::UploadPart { .. }
                    | Endpoint::UploadPartCopy { .. }
                    | Endpoint::ListParts { .. }
                    | Endpoint::AbortMultipartUpload { .. }
            );
            let admitted = if is_recent_completion(state, endpoint).await? {
                crate::grant_use::admit_completion_retry(state, id, &log.access_key)
                    .await
                    .map(|()| None)
            } else {
                crate::grant_use::admit(state, id, &log.access_key, remote.ip(), spends).await
            };
            match admitted {
                Ok(g) => g,
                Err(e) => {
                    log.presigned_outcome = Some(presigned_failure(&e));
                    return Err(e);
                }
            }
        }
        None => None,
    };
    let body = unread.take().ok_or_else(S3Error::internal_error)?;
    let mut body = BodyReader::new(body, payload, declared_len)
        .with_idle_timeout(state.config.body_idle_timeout)
        .with_budget(&state.body_budget);
    if let Some(range) = constraints.size {
        body.limit_size(range);
    }
    if let Some(prefetched) = prefetched {
        body = body.with_prefetched(prefetched);
    }
    let ctx = RequestCtx {
        state,
        parts,
        query: &query,
        caller: &caller,
        remote,
    };
    let result: Result<Response<ResponseBody>, S3Error> = async {
        let resp = dispatch(&ctx, endpoint, &mut body).await?;
        crate::ops::acl::apply_requested_acl(&ctx, endpoint, canned_acl).await?;
        Ok(resp)
    }
    .await;
    if result.is_err() {
        body.drain_after_error(MAX_DRAIN_AFTER_ERROR, expects_continue(parts))
            .await;
    }
    if let Some(g) = grant_use {
        let status = match &result {
            Ok(r) => r.status().as_u16(),
            Err(e) => e.status,
        };
        g.finish(body.received(), status).await;
    }
    result
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
        .map_err(crate::ops::buckets::store_err)?;
    let cutoff = state.clock.now_ms() - crate::ops::multipart::complete::COMPLETED_RETENTION_MS;
    Ok(record.is_some_and(|r| &r.bucket == bucket && &r.key == key && r.completed_ms >= cutoff))
}

/// Largest body of a `/_sluice/` request signed without `x-amz-content-sha256`, read whole to hash it.
const MAX_HASHED_BODY: usize = 1 << 20;

/// A `/_sluice/` call signed with SigV4 header auth but without `x-amz-content-sha256`, as generic
/// SigV4 signers (botocore's `SigV4Auth`, `aws4`, Go's `v4.Signer`) send it: the server hashes the body.
fn needs_body_hash(endpoint: &Endpoint, parts: &http::request::Parts) -> bool {
    matches!(endpoint, Endpoint::Service { .. })
        && !parts.headers.contains_key("x-amz-content-sha256")
        && header(parts, "authorization").is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256 "))
}

/// Whether the client waits for `100 Continue` before sending the body.
fn expects_continue(parts: &http::request::Parts) -> bool {
    parts
        .headers
        .get(http::header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"))
}

/// Checks the signed `x-sluice-*` constraints of a presigned URL; returns them (the body size
/// range is still to be enforced while the body streams, the grant's use to be reserved).
fn check_url_constraints(
    state: &AppState,
    parts: &http::request::Parts,
    query: &QueryParams,
    kind: AuthKind,
    remote: SocketAddr,
    declared_len: Option<u64>,
) -> Result<UrlConstraints, S3Error> {
    let constraints = UrlConstraints::from_query(query)?;
    if kind == AuthKind::QueryV2 && constraints != UrlConstraints::default() {
        // SigV2 does not sign arbitrary query parameters: such a constraint could be stripped.
        return Err(S3Error::new(
            "AuthorizationQueryParametersError",
            400,
            "x-sluice-* constraints require a SigV4 presigned URL",
        ));
    }
    constraints.check(&RequestFacts {
        now: state.clock.now(),
        remote: remote.ip(),
        content_type: header(parts, "content-type"),
        declared_len,
    })?;
    Ok(constraints)
}

/// The payload length the client announced: `x-amz-decoded-content-length` for aws-chunked
/// bodies, `Content-Length` otherwise (None for HTTP chunked transfer without a length).
fn declared_payload_length(
    parts: &http::request::Parts,
    payload: &PayloadCheck,
) -> Result<Option<u64>, S3Error> {
    let parse =
        |name: &str| -> Result<Option<u64>, S3Error> {
            match header(parts, name) {
                None => Ok(None),
                Some(v) => v.trim().parse::<u64>().map(Some).map_err(|_| {
                    S3Error::invalid_argument_named("Invalid value for header", name, v)
                }),
            }
        };
    if matches!(payload, PayloadCheck::Chunked(_)) {
        match parse("x-amz-decoded-content-length")? {
            Some(n) => Ok(Some(n)),
            None => Err(S3Error::missing_content_length()),
        }
    } else {
        parse("content-length")
    }
}

/// Query parameters of a presigned URL that name `x-amz-*` headers (`x-amz-acl`,
/// `x-amz-meta-*`, ...) were covered by the signature; S3 treats them as headers.
///
/// Checksum parameters (`x-amz-checksum-*`, `x-amz-sdk-checksum-algorithm`) are the exception:
/// S3 ignores them in a presigned query (its presigned URLs do not support flexible checksums).
/// Today's SDKs put them there by default: the AWS SDK for JavaScript v3 presigns `PutObject`
/// with `x-amz-checksum-crc32=AAAAAA%3D%3D` (the CRC32 of the empty body it had at signing time)
/// and `x-amz-sdk-checksum-algorithm=CRC32`; honouring them would refuse every real upload.
fn promote_signed_query_headers(parts: &mut http::request::Parts, query: &QueryParams) {
    const AUTH_PARAMS: [&str; 7] = [
        "x-amz-algorithm",
        "x-amz-credential",
        "x-amz-date",
        "x-amz-expires",
        "x-amz-signedheaders",
        "x-amz-signature",
        "x-amz-security-token",
    ];
    for (name, value) in query.pairs() {
        let lower = name.to_ascii_lowercase();
        if !lower.starts_with("x-amz-")
            || AUTH_PARAMS.contains(&lower.as_str())
            || lower.starts_with("x-amz-checksum-")
            || lower == "x-amz-sdk-checksum-algorithm"
        {
            continue;
        }
        if let (Ok(n), Ok(v)) = (
            http::header::HeaderName::from_bytes(lower.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            parts.headers.entry(n).or_insert(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::presigned_failure;
    use sluice_s3::S3Error;

    #[test]
    fn presigned_outcome_labels() {
        let denied = |m: &str| S3Error::new("AccessDenied", 403, m.to_string());
        assert_eq!(
            presigned_failure(&denied(crate::grant_use::REVOKED)),
            "revoked"
        );
        assert_eq!(
            presigned_failure(&denied(crate::grant_use::USED_UP)),
            "used_up"
        );
        assert_eq!(
            presigned_failure(&denied(
                "This presigned URL may not be used from your network address"
            )),
            "constraint"
        );
        assert_eq!(
            presigned_failure(&S3Error::entity_too_large(10)),
            "constraint"
        );
        assert_eq!(presigned_failure(&denied("Request has expired")), "expired");
        assert_eq!(presigned_failure(&denied("Access Denied")), "refused");
    }
}
