//! Admin: access keys — create (secret shown once), enable, disable, delete, list.

use super::{field, iso, store_error};
use crate::auth::root_credentials::generate;
use crate::net::response::{self, ResponseBody};
use crate::request_ctx::RequestCtx;
use http::Response;
use serde_json::{json, Value};
use sluice_s3::S3Error;
use sluice_store::AccessKeyRecord;

/// Longest key lifetime accepted (ten years), to keep expiry arithmetic far from overflow.
const MAX_EXPIRES_IN_SECS: u64 = 10 * 366 * 24 * 3600;

/// `POST keys` `{"user": ..., "expires_in_seconds": N?}`.
pub async fn create(ctx: &RequestCtx<'_>, body: &Value) -> Result<Response<ResponseBody>, S3Error> {
    let user = field(body, "user")?;
    let now = ctx.state.clock.now_ms();
    let expires_ms = match body.get("expires_in_seconds") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(secs) if secs > 0 && secs <= MAX_EXPIRES_IN_SECS => {
                Some(now + (secs as i64) * 1000)
            }
            _ => {
                return Err(S3Error::new(
                    "InvalidRequest",
                    400,
                    "expires_in_seconds must be a whole number of seconds from 1 to ten years",
                ))
            }
        },
    };
    let pair = generate();
    let record = AccessKeyRecord {
        access_key_id: pair.access_key_id.clone(),
        user: user.to_string(),
        secret_sealed: ctx
            .state
            .server_key
            .seal(&pair.secret_access_key, &pair.access_key_id),
        enabled: true,
        created_ms: now,
        expires_ms,
    };
    ctx.state
        .access
        .create_access_key(&record)
        .await
        .map_err(|e| store_error(e, user))?;
    tracing::info!(target: "sluice::audit", user, access_key = pair.access_key_id, "access key created");
    Ok(response::json(
        201,
        &json!({
            "access_key_id": pair.access_key_id,
            "secret_access_key": pair.secret_access_key,
            "user": user,
            "expires_at": expires_ms.map(iso),
        }),
    ))
}

/// `POST keys/ID/enable` and `POST keys/ID/disable`.
pub async fn set_enabled(
    ctx: &RequestCtx<'_>,
    id: &str,
    enabled: bool,
) -> Result<Response<ResponseBody>, S3Error> {
    ctx.state
        .access
        .set_access_key_enabled(id, enabled)
        .await
        .map_err(|e| store_error(e, id))?;
    tracing::info!(target: "sluice::audit", access_key = id, enabled, "access key changed");
    Ok(response::json(
        200,
        &json!({"access_key_id": id, "enabled": enabled}),
    ))
}

/// `DELETE keys/ID`.
pub async fn delete(ctx: &RequestCtx<'_>, id: &str) -> Result<Response<ResponseBody>, S3Error> {
    ctx.state
        .access
        .delete_access_key(id)
        .await
        .map_err(|e| store_error(e, id))?;
    tracing::info!(target: "sluice::audit", access_key = id, "access key deleted");
    Ok(response::json(200, &json!({"deleted": id})))
}

/// `GET keys[?user=NAME]` (secrets are never listed).
pub async fn list(
    ctx: &RequestCtx<'_>,
    user: Option<&str>,
) -> Result<Response<ResponseBody>, S3Error> {
    let keys = ctx
        .state
        .access
        .list_access_keys(user)
        .await
        .map_err(|e| store_error(e, user.unwrap_or_default()))?;
    let now = ctx.state.clock.now_ms();
    let items: Vec<Value> = keys
        .iter()
        .map(|k| {
            let expired = k.expires_ms.is_some_and(|t| t <= now);
            // Requests with a disabled or expired key answer InvalidAccessKeyId, as AWS does;
            // `status` says which it is.
            let status = match (k.enabled, expired) {
                (false, _) => "disabled",
                (true, true) => "expired",
                (true, false) => "active",
            };
            json!({
                "access_key_id": k.access_key_id,
                "user": k.user,
                "status": status,
                "enabled": k.enabled,
                "created_at": iso(k.created_ms),
                "expires_at": k.expires_ms.map(iso),
                "expired": expired,
            })
        })
        .collect();
    Ok(response::json(200, &json!({ "keys": items })))
}
