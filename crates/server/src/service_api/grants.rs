//! Grants behind use-limited presigned URLs: created by the mint API (`"max_uses"`), read with
//! `GET /_sluice/v1/grants/{id}`, listed with `GET /_sluice/v1/grants?bucket=&prefix=`, revoked
//! with `DELETE /_sluice/v1/grants/{id}` or in bulk with `POST /_sluice/v1/grants/revoke`.
//! Only the signer of the grant's URLs, root, or a holder of `sluice:Admin` may see or revoke a grant.

use super::json_error::ApiError;
use crate::auth::authz::require_admin;
use crate::body::body_in::BodyReader;
use crate::net::response::{self, ResponseBody};
use crate::request_ctx::RequestCtx;
use http::Response;
use rand::RngCore;
use serde::Deserialize;
use serde_json::{json, Value};
use sluice_iam::Principal;
use sluice_store::{GrantFilter, GrantRecord, StoreError};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Largest `max_uses` accepted.
pub const MAX_USES: u64 = 1_000_000;

fn internal(e: StoreError) -> ApiError {
    tracing::error!(error = %e, "grant store failed");
    ApiError::from(sluice_s3::S3Error::internal_error())
}

/// Validates the mint field `max_uses`.
pub fn parse_max_uses(v: &Value) -> Result<u64, ApiError> {
    v.as_u64()
        .filter(|n| (1..=MAX_USES).contains(n))
        .ok_or_else(|| {
            ApiError::bad_field(
                "max_uses",
                format!("must be an integer from 1 to {MAX_USES}"),
            )
        })
}

/// What a new grant is for.
pub struct NewGrant<'a> {
    /// The key that signs its URLs.
    pub access_key_id: &'a str,
    /// Bucket of the URLs.
    pub bucket: &'a str,
    /// Key of the URLs.
    pub key: &'a str,
    /// Method of the URLs.
    pub method: &'a str,
    /// Successful uses allowed.
    pub max_uses: u64,
    /// When the URLs expire, ms since the epoch.
    pub expires_ms: i64,
    /// The URLs' receipt target and payload (`x-sluice-notify`, `x-sluice-payload`).
    pub notify: Option<&'a str>,
    /// The receipt's payload.
    pub payload: Option<&'a str>,
}

/// Stores a new grant; returns its id.
pub async fn create(ctx: &RequestCtx<'_>, new: NewGrant<'_>) -> Result<String, ApiError> {
    let NewGrant {
        access_key_id,
        bucket,
        key,
        method,
        max_uses,
        expires_ms,
        notify,
        payload,
    } = new;
    let mut raw = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut raw);
    let id = hex::encode(raw);
    let grant = GrantRecord {
        id: id.clone(),
        access_key_id: access_key_id.to_string(),
        bucket: bucket.to_string(),
        key: key.to_string(),
        method: method.to_string(),
        max_uses,
        uses: 0,
        in_flight: 0,
        created_ms: ctx.state.clock.now_ms(),
        revoked_ms: None,
        expires_ms: Some(expires_ms),
        notify_target: notify.map(str::to_string),
        notify_payload: payload.map(str::to_string),
    };
    ctx.state
        .access
        .create_grant(&grant)
        .await
        .map_err(internal)?;
    Ok(id)
}

fn rfc3339(ms: i64) -> Value {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .map_or(Value::Null, Value::String)
}

fn grant_json(g: &GrantRecord) -> Value {
    json!({
        "id": g.id, "access_key_id": g.access_key_id, "bucket": g.bucket, "key": g.key,
        "method": g.method, "max_uses": g.max_uses, "uses": g.uses,
        "in_flight": g.in_flight, "created_at": rfc3339(g.created_ms),
        "revoked_at": g.revoked_ms.map_or(Value::Null, rfc3339),
        "expires_at": rfc3339(g.expiry_ms()),
    })
}

/// Whether the caller is root or holds `sluice:Admin` (sees and revokes every grant).
async fn is_privileged(ctx: &RequestCtx<'_>) -> bool {
    matches!(ctx.caller.principal, Principal::Root { .. })
        || (ctx.caller.auth.is_some() && require_admin(ctx).await.is_ok())
}

/// The grants matching `filter` that the caller may see (root and admins: all; anyone else:
/// those of the key they signed with). Shared with the web console.
pub async fn list_visible(
    ctx: &RequestCtx<'_>,
    filter: GrantFilter,
) -> Result<Vec<GrantRecord>, ApiError> {
    let filter = scoped_filter(ctx, filter).await?;
    ctx.state
        .access
        .list_grants(&filter)
        .await
        .map_err(internal)
}

/// Revokes grant `id` if the caller may see it (404 `NoSuchGrant` otherwise).
pub async fn revoke_one(ctx: &RequestCtx<'_>, id: &str) -> Result<(), ApiError> {
    visible_grant(ctx, id).await?;
    let now = ctx.state.clock.now_ms();
    ctx.state
        .access
        .revoke_grant(id, now)
        .await
        .map_err(internal)?;
    Ok(())
}

/// Root and admins see every grant; anyone else only those of the key they signed with.
async fn scoped_filter(ctx: &RequestCtx<'_>, mut f: GrantFilter) -> Result<GrantFilter, ApiError> {
    if is_privileged(ctx).await {
        return Ok(f);
    }
    let own = ctx
        .caller
        .access_key_id()
        .ok_or_else(|| ApiError::forbidden("the grants API needs a signed request"))?;
    match &f.access_key_id {
        Some(k) if k != own => Err(ApiError::forbidden(
            "only root may see or revoke grants of another access key",
        )),
        _ => {
            f.access_key_id = Some(own.to_string());
            Ok(f)
        }
    }
}

/// `GET /_sluice/v1/grants?bucket=&prefix=&access_key_id=&include_expired=true`: live grants
/// (expired ones only with `include_expired=true`, until the sweep deletes them).
pub async fn list(ctx: &RequestCtx<'_>) -> Result<Response<ResponseBody>, ApiError> {
    let q = |n: &str| {
        ctx.query
            .get(n)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let filter = GrantFilter {
        access_key_id: q("access_key_id"),
        bucket: q("bucket"),
        prefix: q("prefix"),
        created_before_ms: None,
    };
    let grants = list_visible(ctx, filter).await?;
    let now = ctx.state.clock.now_ms();
    let include_expired = ctx.query.get("include_expired") == Some("true");
    let list: Vec<Value> = grants
        .iter()
        .filter(|g| include_expired || g.expiry_ms() >= now)
        .map(grant_json)
        .collect();
    Ok(response::json(200, &json!({ "grants": list })))
}

/// The bulk revocation request: every given criterion must hold, at least one is required.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeRequest {
    access_key_id: Option<String>,
    bucket: Option<String>,
    prefix: Option<String>,
    issued_before: Option<String>,
}

/// `POST /_sluice/v1/grants/revoke`
pub async fn revoke_bulk(
    ctx: &RequestCtx<'_>,
    body: &mut BodyReader,
) -> Result<Response<ResponseBody>, ApiError> {
    let raw = body.read_to_end(64 * 1024).await?;
    let req: RevokeRequest = serde_json::from_slice(&raw)
        .map_err(|e| ApiError::bad_json(format!("request body: {e}")))?;
    let created_before_ms = match &req.issued_before {
        None => None,
        Some(t) => Some(
            OffsetDateTime::parse(t, &Rfc3339)
                .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
                .map_err(|_| {
                    ApiError::bad_field("issued_before", "must be an RFC 3339 timestamp")
                })?,
        ),
    };
    if req.access_key_id.is_none()
        && req.bucket.is_none()
        && req.prefix.is_none()
        && created_before_ms.is_none()
    {
        return Err(ApiError::bad_json(
            "give at least one of access_key_id, bucket, prefix, issued_before",
        ));
    }
    let filter = scoped_filter(
        ctx,
        GrantFilter {
            access_key_id: req.access_key_id,
            bucket: req.bucket,
            prefix: req.prefix,
            created_before_ms,
        },
    )
    .await?;
    let now = ctx.state.clock.now_ms();
    let n = ctx
        .state
        .access
        .revoke_grants(&filter, now)
        .await
        .map_err(internal)?;
    Ok(response::json(200, &json!({ "revoked": n })))
}

/// The grant, if the caller may see it (404 otherwise, so ids of others do not leak).
async fn visible_grant(ctx: &RequestCtx<'_>, id: &str) -> Result<GrantRecord, ApiError> {
    let not_found = || ApiError {
        status: 404,
        code: "NoSuchGrant",
        message: format!("no grant {id}"),
        field: None,
    };
    let grant = ctx
        .state
        .access
        .get_grant(id)
        .await
        .map_err(internal)?
        .ok_or_else(not_found)?;
    if ctx.caller.access_key_id() == Some(grant.access_key_id.as_str()) || is_privileged(ctx).await
    {
        Ok(grant)
    } else {
        Err(not_found())
    }
}

/// `GET|DELETE /_sluice/v1/grants/{id}`
pub async fn handle(
    ctx: &RequestCtx<'_>,
    method: &str,
    id: &str,
) -> Result<Response<ResponseBody>, ApiError> {
    if ctx.caller.auth.is_none() {
        return Err(ApiError::forbidden("the grants API needs a signed request"));
    }
    match method {
        "GET" => {
            let g = visible_grant(ctx, id).await?;
            let uses = ctx.state.access.grant_uses(id).await.map_err(internal)?;
            let trail: Vec<Value> = uses
                .iter()
                .map(|u| {
                    json!({"at": rfc3339(u.at_ms), "source_ip": u.source_ip, "bytes": u.bytes,
                           "status": u.status, "counted": u.counted})
                })
                .collect();
            let mut out = grant_json(&g);
            out["audit"] = Value::Array(trail);
            Ok(response::json(200, &out))
        }
        "DELETE" => {
            revoke_one(ctx, id).await?;
            Ok(response::json(200, &json!({"id": id, "revoked": true})))
        }
        _ => Err(ApiError::method_not_allowed(method)),
    }
}
