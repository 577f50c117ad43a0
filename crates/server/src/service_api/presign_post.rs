//! `POST /_sluice/v1/presign` with `"method": "POST"`: a signed browser form `{url, fields}`
//! for a POST upload, signed with the caller's own key.

use super::json_error::ApiError;
use super::presign::MintRequest;
use crate::auth::authz::require_allowed;
use crate::ops::lookup::require_bucket;
use crate::post_form::policy::PostPolicy;
use crate::request_ctx::RequestCtx;
use base64::Engine;
use serde_json::{json, Value};
use sluice_sigv4::{presign_post_v4, Credentials, PostPolicyRequest};
use time::format_description::well_known::Rfc3339;

/// Largest object one POST may carry.
const MAX_POST_SIZE: u64 = 5 * 1024 * 1024 * 1024;

fn parse_range(v: &Value) -> Result<(u64, u64), ApiError> {
    let bad = || {
        ApiError::bad_field(
            "content_length_range",
            "must be [min, max] bytes with min <= max",
        )
    };
    let arr = v.as_array().filter(|a| a.len() == 2).ok_or_else(bad)?;
    match (arr[0].as_u64(), arr[1].as_u64()) {
        (Some(min), Some(max)) if min <= max && max <= MAX_POST_SIZE => Ok((min, max)),
        _ => Err(bad()),
    }
}

/// Mints the form (bucket, key and expiry already validated by the caller).
pub async fn mint_post(
    ctx: &RequestCtx<'_>,
    req: &MintRequest,
    creds: Credentials,
    host: &str,
    expires_in: u64,
) -> Result<Value, ApiError> {
    if req.multipart.is_some()
        || req.max_uses.is_some()
        || req.not_before.is_some()
        || req.source_ip.is_some()
        || req.notify.is_some()
        || req.checks.is_some()
    {
        return Err(ApiError::bad_field(
            "method",
            "POST forms take content_type, content_length_range, key_starts_with and conditions only",
        ));
    }
    if let Some(p) = &req.key_starts_with {
        if !req.key.starts_with(p.as_str()) {
            return Err(ApiError::bad_field(
                "key_starts_with",
                "the key must start with it",
            ));
        }
    }
    let range = req
        .content_length_range
        .as_ref()
        .map(parse_range)
        .transpose()?;
    let conditions: Vec<String> = match &req.conditions {
        None => Vec::new(),
        Some(list) => list
            .iter()
            .map(|c| {
                if c.is_object() || c.is_array() {
                    Ok(c.to_string())
                } else {
                    Err(ApiError::bad_field(
                        "conditions",
                        "each condition is an object or a list",
                    ))
                }
            })
            .collect::<Result<_, _>>()?,
    };
    require_allowed(ctx, "s3:PutObject", Some(&req.bucket), Some(&req.key))
        .await
        .map_err(|_| {
            ApiError::forbidden(format!(
                "you may not s3:PutObject on {}/{}, so you may not mint a form for it",
                req.bucket, req.key
            ))
        })?;
    require_bucket(ctx, &req.bucket).await?;
    let now = ctx.state.clock.now();
    let fields = presign_post_v4(
        &creds,
        &PostPolicyRequest {
            bucket: &req.bucket,
            key: &req.key,
            key_starts_with: req.key_starts_with.as_deref(),
            content_type: req.content_type.as_deref(),
            content_length_range: range,
            extra_conditions: &conditions,
            extra_fields: &[],
            region: &ctx.state.config.region,
            datetime: now,
            expires_in,
        },
    );
    // The conditions given must make a policy the server accepts.
    if let Some((_, policy)) = fields.iter().find(|(n, _)| n == "policy") {
        let doc = base64::engine::general_purpose::STANDARD
            .decode(policy)
            .unwrap_or_default();
        PostPolicy::parse(&doc).map_err(|e| ApiError::bad_field("conditions", e.message))?;
    }
    let expires_at = (now + time::Duration::seconds(expires_in as i64))
        .format(&Rfc3339)
        .unwrap_or_default();
    let map: serde_json::Map<String, Value> =
        fields.into_iter().map(|(k, v)| (k, json!(v))).collect();
    Ok(json!({
        "url": format!(
            "{}://{host}/{}",
            crate::net::public_url::scheme_for(
                &ctx.state.config,
                ctx.parts,
                ctx.remote.ip(),
                host
            ),
            req.bucket
        ),
        "method": "POST",
        "fields": map,
        "expires_at": expires_at,
    }))
}
