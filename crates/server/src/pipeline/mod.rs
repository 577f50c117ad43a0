//! The one path every request walks, in named stages:
//!
//! 1. **route** ([`sluice_s3::route`]): method, host, path and query to an [`Endpoint`]; CORS preflights and
//!    POST form uploads leave the walk here (neither is signed in headers).
//! 2. **authenticate** ([`authenticate`]): the signature, header or presigned, V4 or V2, or anonymous.
//! 3. **URL constraints** ([`constraints`]): the signed `x-sluice-*` conditions of a presigned URL.
//! 4. **authorize** ([`crate::auth::authz`]): IAM policies, bucket policies and ACLs, judged now.
//! 5. **admit the grant** ([`grant_admission`]): one use of a limited URL's grant, reserved last.
//! 6. **dispatch** ([`dispatch`]): the S3 operation, the admin API or the `/_sluice/` JSON API.
//! 7. **respond** ([`handle_request`]): errors as S3 XML (JSON for the admin API), CORS and id headers,
//!    metrics and the access-log line ([`access_log`]).
//!
//! A request refused before its handler took the body has the body drained, so the client reads the error.

pub mod access_log;
pub mod authenticate;
pub mod constraints;
pub mod dispatch;
pub mod grant_admission;

use crate::auth::authz::{require_endpoint_allowed, AuthzInput};
use crate::body::body_in::BodyReader;
use crate::net::headers::header;
use crate::net::request_id::new_request_id;
use crate::net::response::{self, set_header, ResponseBody};
use crate::request_ctx::RequestCtx;
use crate::state::AppState;
use access_log::LogFields;
use http::request::Parts;
use http::{Request, Response};
use http_body_util::BodyExt;
use hyper::body::{Body as _, Incoming};
use sluice_s3::{route, Endpoint, QueryParams, RouteInput, Routed, S3Error};
use std::net::SocketAddr;
use std::time::Instant;

/// Most raw body bytes read and discarded after a refused request, so the client sees the
/// error instead of a connection reset; larger leftovers close the connection.
const MAX_DRAIN_AFTER_ERROR: u64 = 8 << 20;

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
    parts
        .extensions
        .insert(crate::net::request_id::RequestId(request_id.clone()));
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
    if crate::tus::is_tus_operation(log.operation) {
        crate::tus::cors::add_headers(&parts, &mut resp);
        crate::tus::protocol::set_resumable(&mut resp);
    } else {
        crate::net::cors::add_response_headers(state, &parts, &log.bucket, &mut resp).await;
    }
    set_header(&mut resp, "x-amz-request-id", &request_id);
    set_header(&mut resp, "x-amz-id-2", &request_id);
    set_header(&mut resp, "server", "Sluice");
    let operation = access_log::record(&log, &parts, &resp, &request_id, remote, started);
    resp.map(|body| {
        crate::body::metered_body::MeteredBody::new(body, operation, started).boxed_unsync()
    })
}

/// Serves one request; a request refused before its handler took the body (bad signature,
/// expired URL, URL constraints, denied) has the body drained here so the client reads the
/// error.
async fn serve(
    state: &AppState,
    parts: &mut Parts,
    body: Incoming,
    log: &mut LogFields,
    remote: SocketAddr,
) -> Result<Response<ResponseBody>, S3Error> {
    let mut unread = Some(body);
    let result = serve_request(state, parts, &mut unread, log, remote).await;
    let refused = result.is_err();
    if let (true, Some(mut body)) = (refused, unread) {
        if !body.is_end_stream() && !expects_continue(parts) {
            crate::body::body_in::discard_body(&mut body, MAX_DRAIN_AFTER_ERROR).await;
        }
    }
    result
}

/// [`serve`], stage by stage, with the body left in `unread` until a handler takes it.
async fn serve_request(
    state: &AppState,
    parts: &mut Parts,
    unread: &mut Option<Incoming>,
    log: &mut LogFields,
    remote: SocketAddr,
) -> Result<Response<ResponseBody>, S3Error> {
    crate::net::request_limits::check_request_head(parts)?;
    let query = QueryParams::parse(parts.uri.query().unwrap_or(""));

    // 1. Route.
    let routed = route_request(state, parts, &query);
    let tus_path = routed
        .as_ref()
        .is_ok_and(|r| crate::tus::is_tus_endpoint(&r.endpoint));
    if parts.method == http::Method::OPTIONS && tus_path {
        // tus discovery (and a browser's preflight): the same answer for every tus path.
        log.operation = crate::tus::TUS_OPTIONS;
        return Ok(crate::tus::cors::options(parts));
    }
    if parts.method == http::Method::OPTIONS {
        // CORS preflight: answered from the rules, without authentication.
        let bucket = routed.as_ref().ok().and_then(|r| r.endpoint.bucket());
        log.operation = "PreflightRequest";
        log.bucket = bucket.unwrap_or_default().to_string();
        return crate::net::cors::preflight(state, parts, bucket).await;
    }
    let mut routed = routed?;
    log.set_endpoint(&routed.endpoint);
    if matches!(routed.endpoint, Endpoint::TusCreate { .. }) {
        // A creation URL for `${filename}`: the key the upload will have, before it is judged.
        let endpoint = std::mem::replace(&mut routed.endpoint, Endpoint::ListBuckets);
        routed.endpoint = crate::tus::create::fill_filename(endpoint, parts)?;
    }
    let endpoint = &routed.endpoint;
    log.set_endpoint(endpoint);
    if let Endpoint::PostObject { bucket } = endpoint {
        return post_form_upload(state, parts, unread, bucket, remote, log).await;
    }
    if let Endpoint::TusUpload { token } = endpoint {
        // The token in the path is the credential: no signature to check.
        log.auth = "tus";
        let req = crate::tus::upload::UploadRequest {
            state,
            parts,
            token,
            remote,
        };
        return crate::tus::upload::serve(req, unread, log).await;
    }
    log.json_errors = crate::admin::is_admin_endpoint(endpoint);

    // 2. Authenticate.
    let authed =
        authenticate::authenticate_request(state, parts, unread, &query, &routed, log, remote)
            .await?;
    let parts = &*parts;
    let authenticate::Authenticated {
        caller,
        payload,
        presign_kind,
        prefetched,
    } = authed;
    let presigned = Presigned { kind: presign_kind };
    let result = serve_authenticated(
        Authed {
            state,
            parts,
            query: &query,
            endpoint,
            caller: &caller,
            remote,
        },
        unread,
        payload,
        prefetched,
        presigned,
        log,
    )
    .await;
    // A presigned upload refused, or any upload refused by its checks: `sluice:Upload:Rejected`.
    let rejected =
        |e: &S3Error| presign_kind.is_some() || e.code == crate::notify::emit::CHECKS_REJECTED;
    if let Some(e) = result.as_ref().err().filter(|e| rejected(e)) {
        let ctx = RequestCtx {
            state,
            parts,
            query: &query,
            caller: &caller,
            remote,
        };
        crate::notify::emit::upload_rejected(&ctx, endpoint, e).await;
    }
    result
}

/// An authenticated request: what stages 3 to 7 read.
struct Authed<'a> {
    state: &'a AppState,
    parts: &'a Parts,
    query: &'a QueryParams,
    endpoint: &'a Endpoint,
    caller: &'a crate::auth::authn::Caller,
    remote: SocketAddr,
}

/// How the request was presigned, if it was.
struct Presigned {
    kind: Option<sluice_sigv4::AuthKind>,
}

/// Stages 3 to 7 of an authenticated request.
async fn serve_authenticated(
    a: Authed<'_>,
    unread: &mut Option<Incoming>,
    payload: sluice_sigv4::PayloadCheck,
    prefetched: Option<bytes::Bytes>,
    presigned_by: Presigned,
    log: &mut LogFields,
) -> Result<Response<ResponseBody>, S3Error> {
    let Authed {
        state,
        parts,
        query,
        endpoint,
        caller,
        remote,
    } = a;
    let declared_len = constraints::declared_payload_length(parts, &payload)?;
    // A tus creation's body is not the object: its URL's content type is judged against the
    // metadata's `filetype`, its size range by the handler against `Upload-Length`.
    let tus_creation = matches!(endpoint, Endpoint::TusCreate { .. });
    let facts = if tus_creation {
        constraints::Facts {
            content_type: crate::tus::create::declared_content_type(parts),
            declared_len: None,
        }
    } else {
        constraints::Facts {
            content_type: crate::net::headers::header(parts, "content-type").map(str::to_string),
            declared_len,
        }
    };

    // 3. URL constraints.
    let constraints = match presigned_by.kind {
        Some(kind) => constraints::check_url_constraints(state, query, kind, remote, &facts)
            .inspect_err(|e| log.presigned_outcome = Some(access_log::presigned_failure(e)))?,
        None => Default::default(),
    };

    // 4. Authorize.
    let authz = AuthzInput {
        state,
        caller,
        endpoint: Some(endpoint),
        query,
        parts,
        remote,
    };
    let presigned = authenticate::is_presigned(query);
    require_endpoint_allowed(&authz).await.inspect_err(|_| {
        if presigned {
            log.presigned_outcome = Some("denied");
        }
    })?;
    if presigned {
        log.presigned_outcome = Some("accepted");
    }
    let canned_acl = crate::ops::acl::requested_acl(&authz).await?;
    crate::ops::tagging::require_tagging_permission(&authz).await?;

    // 5. Admit the grant.
    let grant_use =
        grant_admission::admit_grant(state, &constraints, endpoint, remote, log).await?;

    // 6. Dispatch.
    let body = unread.take().ok_or_else(S3Error::internal_error)?;
    let mut body = BodyReader::new(body, payload, declared_len)
        .with_idle_timeout(state.config.body_idle_timeout)
        .with_budget(&state.body_budget);
    if let Some(range) = constraints.size.filter(|_| !tus_creation) {
        body.limit_size(range);
    }
    if let Some(prefetched) = prefetched {
        body = body.with_prefetched(prefetched);
    }
    let ctx = RequestCtx {
        state,
        parts,
        query,
        caller,
        remote,
    };
    let result = dispatch::dispatch(&ctx, endpoint, &mut body, canned_acl).await;

    // 7. Respond: a refused body is drained, the grant's use settled by the outcome.
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

/// Stage 1: the endpoint the request names.
fn route_request(state: &AppState, parts: &Parts, query: &QueryParams) -> Result<Routed, S3Error> {
    route(&RouteInput {
        method: parts.method.as_str(),
        host: header(parts, "host"),
        raw_path: parts.uri.path(),
        query,
        has_copy_source: parts.headers.contains_key("x-amz-copy-source"),
        domain: state.config.domain.as_deref(),
    })
}

/// A browser form upload: the form itself carries the signature and policy.
async fn post_form_upload(
    state: &AppState,
    parts: &Parts,
    unread: &mut Option<Incoming>,
    bucket: &str,
    remote: SocketAddr,
    log: &mut LogFields,
) -> Result<Response<ResponseBody>, S3Error> {
    log.auth = "POST";
    let mut outcome = crate::post_form::PostOutcome::default();
    let body = unread.take().ok_or_else(S3Error::internal_error)?;
    let result =
        crate::post_form::post_object(state, parts, body, bucket, remote, &mut outcome).await;
    log.key = outcome.key;
    log.access_key = outcome.access_key;
    result
}

/// Whether the client waits for `100 Continue` before sending the body.
fn expects_continue(parts: &Parts) -> bool {
    parts
        .headers
        .get(http::header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"))
}
