//! The admin REST API under `/_sluice/admin/v1/`: users, access keys, policies, notification
//! targets and upload check profiles.
//!
//! SigV4 header authentication only; the caller must be root or hold `sluice:Admin`
//! (checked by the normal authorization step, resource `arn:sluice:::admin`). JSON in and
//! out; errors are `{"error": {"code": ..., "message": ...}}` with the HTTP status.

pub mod checks;
mod events;
mod keys;
mod policies;
mod targets;
mod users;

use crate::body::body_in::BodyReader;
use crate::net::response::{self, ResponseBody};
use crate::request_ctx::RequestCtx;
use http::{Method, Response};
use serde_json::{json, Value};
use sluice_s3::{Endpoint, S3Error};
use sluice_sigv4::AuthKind;
use sluice_store::StoreError;

/// Path prefix (after `/_sluice/`) of the admin API.
pub const ADMIN_PREFIX: &str = "admin/v1/";

/// Largest JSON body accepted.
const MAX_BODY: usize = 64 * 1024;

/// Whether the endpoint is an admin API call (its errors are answered as JSON).
pub fn is_admin_endpoint(endpoint: &Endpoint) -> bool {
    matches!(endpoint, Endpoint::Service { path } if path.starts_with("admin/"))
}

/// The JSON error response for an admin call.
pub fn error_response(e: &S3Error) -> Response<ResponseBody> {
    response::json(
        e.status,
        &json!({"error": {"code": e.code, "message": e.message}}),
    )
}

/// Serves one admin call. `path` is the part after `/_sluice/`.
pub async fn handle(
    ctx: &RequestCtx<'_>,
    path: &str,
    body: &mut BodyReader,
) -> Result<Response<ResponseBody>, S3Error> {
    if !matches!(
        ctx.caller.auth.as_ref().map(|a| a.kind),
        Some(AuthKind::HeaderV4)
    ) {
        return Err(S3Error::new(
            "AccessDenied",
            403,
            "the admin API requires SigV4 header authentication",
        ));
    }
    let Some(rest) = path.strip_prefix(ADMIN_PREFIX) else {
        return Err(not_found(path));
    };
    let segments: Vec<String> = rest
        .split('/')
        .map(|s| String::from_utf8_lossy(&sluice_sigv4::percent_decode(s)).into_owned())
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = &ctx.parts.method;
    let result = match (method, segs.as_slice()) {
        (&Method::GET, ["users"]) => users::list(ctx).await,
        (&Method::POST, ["users"]) => users::create(ctx, &read_json(body).await?).await,
        (&Method::DELETE, ["users", name]) => users::delete(ctx, name).await,
        (&Method::GET, ["keys"]) => keys::list(ctx, ctx.query.get("user")).await,
        (&Method::POST, ["keys"]) => keys::create(ctx, &read_json(body).await?).await,
        (&Method::POST, ["keys", id, "enable"]) => keys::set_enabled(ctx, id, true).await,
        (&Method::POST, ["keys", id, "disable"]) => keys::set_enabled(ctx, id, false).await,
        (&Method::DELETE, ["keys", id]) => keys::delete(ctx, id).await,
        (&Method::GET, ["policies"]) => policies::list(ctx).await,
        (&Method::GET, ["policies", name]) => policies::show(ctx, name).await,
        (&Method::PUT, ["policies", name]) => {
            policies::put(ctx, name, &read_text(body).await?).await
        }
        (&Method::DELETE, ["policies", name]) => policies::delete(ctx, name).await,
        (&Method::POST, ["policies", name, "attach"]) => {
            policies::attach(ctx, name, &read_json(body).await?, true).await
        }
        (&Method::POST, ["policies", name, "detach"]) => {
            policies::attach(ctx, name, &read_json(body).await?, false).await
        }
        (&Method::GET, ["events", "dead"]) => events::list_dead(ctx).await,
        (&Method::POST, ["events", "dead", "replay"]) => events::replay_dead(ctx).await,
        (&Method::DELETE, ["events", "dead"]) => events::purge_dead(ctx).await,
        (&Method::GET, ["events", "backlog"]) => events::backlog(ctx).await,
        (&Method::GET, ["checks"]) => checks::list(ctx).await,
        (&Method::GET, ["checks", name]) => checks::show(ctx, name).await,
        (&Method::PUT, ["checks", name]) => checks::put(ctx, name, &read_json(body).await?).await,
        (&Method::DELETE, ["checks", name]) => checks::delete(ctx, name).await,
        (&Method::PUT, ["checks", name, "apply"]) => {
            checks::apply(ctx, name, &read_json(body).await?).await
        }
        (&Method::DELETE, ["checks", name, "apply"]) => checks::unapply(ctx, name).await,
        (&Method::GET, ["targets"]) => targets::list(ctx).await,
        (&Method::GET, ["targets", id]) => targets::show(ctx, id).await,
        (&Method::PUT, ["targets", id]) => targets::put(ctx, id, &read_json(body).await?).await,
        (&Method::DELETE, ["targets", id]) => targets::delete(ctx, id).await,
        _ => Err(not_found(path)),
    };
    if let Err(e) = &result {
        if e.status < 500 {
            tracing::info!(target: "sluice::audit", path, code = e.code, "admin call refused");
        }
    }
    result
}

fn not_found(path: &str) -> S3Error {
    S3Error::new(
        "NotFound",
        404,
        format!("no admin route for /_sluice/{path}"),
    )
}

async fn read_text(body: &mut BodyReader) -> Result<String, S3Error> {
    let bytes = body.read_to_end(MAX_BODY).await?;
    String::from_utf8(bytes).map_err(|_| S3Error::new("MalformedJSON", 400, "body is not UTF-8"))
}

async fn read_json(body: &mut BodyReader) -> Result<Value, S3Error> {
    let text = read_text(body).await?;
    serde_json::from_str(&text).map_err(|e| {
        S3Error::new(
            "MalformedJSON",
            400,
            format!(
                "malformed JSON at line {}, column {}: {}",
                e.line(),
                e.column(),
                e
            ),
        )
    })
}

/// A required string field of a JSON body.
fn field<'a>(v: &'a Value, name: &str) -> Result<&'a str, S3Error> {
    v.get(name).and_then(Value::as_str).ok_or_else(|| {
        S3Error::new(
            "InvalidRequest",
            400,
            format!("field `{name}` (a string) is required"),
        )
    })
}

/// User and policy names: 1 to 64 of `A-Z a-z 0-9 + = , . @ _ -` (as IAM allows).
fn check_name(kind: &str, name: &str) -> Result<(), S3Error> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(S3Error::new(
            "InvalidName",
            400,
            format!("{kind} name `{name}` must be 1-64 characters of A-Z a-z 0-9 + = , . @ _ -"),
        ))
    }
}

/// Maps store outcomes to admin errors.
fn store_error(e: StoreError, subject: &str) -> S3Error {
    match e {
        StoreError::NoSuchUser => {
            S3Error::new("NoSuchUser", 404, format!("no such user: {subject}"))
        }
        StoreError::UserExists => S3Error::new(
            "UserAlreadyExists",
            409,
            format!("user already exists: {subject}"),
        ),
        StoreError::NoSuchAccessKey => S3Error::new(
            "NoSuchAccessKey",
            404,
            format!("no such access key: {subject}"),
        ),
        StoreError::NoSuchPolicy => {
            S3Error::new("NoSuchPolicy", 404, format!("no such policy: {subject}"))
        }
        StoreError::NoSuchCheckProfile => S3Error::new(
            "NoSuchCheckProfile",
            404,
            format!("no such check profile: {subject}"),
        ),
        StoreError::NotAttached => S3Error::new(
            "PolicyNotAttached",
            404,
            format!("policy is not attached: {subject}"),
        ),
        other => {
            tracing::error!(error = %other, "admin store call failed");
            S3Error::internal_error()
        }
    }
}

fn iso(ms: i64) -> String {
    sluice_s3::xml::iso8601_millis(ms)
}
