//! Admin: upload check profiles — define (PUT), list, show, delete — and where they apply
//! (`PUT checks/NAME/apply` with `{"bucket", "prefix"?}`, `DELETE checks/NAME/apply?bucket=B&prefix=P`).
//! A hook defined without a secret gets a new one, shown in the answer (and never again).

use super::{field, iso, store_error};
use crate::checks::profile::{validate_name, CheckProfile};
use crate::net::response::{self, ResponseBody};
use crate::notify::webhook_signature::WebhookSecret;
use crate::request_ctx::RequestCtx;
use http::Response;
use serde_json::{json, Value};
use sluice_s3::S3Error;
use sluice_store::{CheckBinding, CheckProfileRecord};

fn invalid(message: impl Into<String>) -> S3Error {
    S3Error::new("InvalidCheckProfile", 400, message)
}

fn no_such_profile(name: &str) -> S3Error {
    S3Error::new(
        "NoSuchCheckProfile",
        404,
        format!("no such check profile: {name}"),
    )
}

/// The JSON form of a profile: name, document (a hook's secret left out), bindings.
fn describe(p: &CheckProfileRecord, bindings: &[CheckBinding]) -> Value {
    let mut profile: Value = serde_json::from_str(&p.document).unwrap_or(Value::Null);
    if let Some(hook) = profile.get_mut("hook").and_then(Value::as_object_mut) {
        hook.remove("secret");
    }
    let applied: Vec<Value> = bindings
        .iter()
        .filter(|b| b.profile == p.name)
        .map(|b| json!({"bucket": b.bucket, "prefix": b.prefix}))
        .collect();
    json!({
        "name": p.name,
        "profile": profile,
        "applied": applied,
        "updated": iso(p.updated_ms),
    })
}

/// Validates and stores a profile document, generating a hook secret when it has none.
/// Returns the record and the generated secret.
pub fn record_for(
    name: &str,
    body: &Value,
    now_ms: i64,
) -> Result<(CheckProfileRecord, Option<String>), S3Error> {
    validate_name(name).map_err(|e| S3Error::new("InvalidName", 400, e.to_string()))?;
    let mut profile = CheckProfile::parse(body).map_err(|e| invalid(e.to_string()))?;
    let mut generated = None;
    if let Some(hook) = profile.hook.as_mut() {
        if hook.secret.is_none() {
            let secret = WebhookSecret::generate();
            hook.secret = Some(secret.clone());
            generated = Some(secret);
        }
    }
    let record = CheckProfileRecord {
        name: name.to_string(),
        document: serde_json::to_string(&profile).map_err(|_| S3Error::internal_error())?,
        updated_ms: now_ms,
    };
    Ok((record, generated))
}

/// `PUT checks/NAME` with the profile document.
pub async fn put(
    ctx: &RequestCtx<'_>,
    name: &str,
    body: &Value,
) -> Result<Response<ResponseBody>, S3Error> {
    let (record, generated) = record_for(name, body, ctx.state.clock.now_ms())?;
    ctx.state
        .access
        .put_check_profile(&record)
        .await
        .map_err(|e| store_error(e, name))?;
    ctx.state.checks.forget();
    tracing::info!(target: "sluice::audit", profile = name, "check profile defined");
    let bindings = bindings(ctx).await?;
    let mut answer = describe(&record, &bindings);
    if let Some(secret) = generated {
        answer["hook_secret"] = json!(secret);
    }
    Ok(response::json(200, &answer))
}

async fn bindings(ctx: &RequestCtx<'_>) -> Result<Vec<CheckBinding>, S3Error> {
    ctx.state
        .access
        .list_check_bindings()
        .await
        .map_err(|e| store_error(e, ""))
}

/// `GET checks`.
pub async fn list(ctx: &RequestCtx<'_>) -> Result<Response<ResponseBody>, S3Error> {
    let profiles = ctx
        .state
        .access
        .list_check_profiles()
        .await
        .map_err(|e| store_error(e, ""))?;
    let bindings = bindings(ctx).await?;
    let items: Vec<Value> = profiles.iter().map(|p| describe(p, &bindings)).collect();
    Ok(response::json(200, &json!({ "profiles": items })))
}

/// `GET checks/NAME`.
pub async fn show(ctx: &RequestCtx<'_>, name: &str) -> Result<Response<ResponseBody>, S3Error> {
    let Some(p) = ctx
        .state
        .access
        .get_check_profile(name)
        .await
        .map_err(|e| store_error(e, name))?
    else {
        return Err(no_such_profile(name));
    };
    let bindings = bindings(ctx).await?;
    Ok(response::json(200, &describe(&p, &bindings)))
}

/// `DELETE checks/NAME` (its bindings go with it).
pub async fn delete(ctx: &RequestCtx<'_>, name: &str) -> Result<Response<ResponseBody>, S3Error> {
    if !ctx
        .state
        .access
        .delete_check_profile(name)
        .await
        .map_err(|e| store_error(e, name))?
    {
        return Err(no_such_profile(name));
    }
    ctx.state.checks.forget();
    tracing::info!(target: "sluice::audit", profile = name, "check profile deleted");
    Ok(response::json(200, &json!({ "deleted": name })))
}

/// `PUT checks/NAME/apply` with `{"bucket": B, "prefix": P?}`.
pub async fn apply(
    ctx: &RequestCtx<'_>,
    name: &str,
    body: &Value,
) -> Result<Response<ResponseBody>, S3Error> {
    let bucket = field(body, "bucket")?;
    let prefix = match body.get("prefix") {
        None | Some(Value::Null) => "",
        Some(Value::String(p)) => p.as_str(),
        Some(_) => {
            return Err(S3Error::new(
                "InvalidRequest",
                400,
                "field `prefix` must be a string",
            ))
        }
    };
    let binding = CheckBinding {
        bucket: bucket.to_string(),
        prefix: prefix.to_string(),
        profile: name.to_string(),
    };
    ctx.state
        .access
        .bind_check_profile(&binding)
        .await
        .map_err(|e| match e {
            sluice_store::StoreError::NoSuchBucket => S3Error::no_such_bucket(bucket),
            other => store_error(other, name),
        })?;
    ctx.state.checks.forget();
    tracing::info!(target: "sluice::audit", profile = name, bucket, prefix, "check profile applied");
    Ok(response::json(
        200,
        &json!({"profile": name, "bucket": bucket, "prefix": prefix}),
    ))
}

/// `DELETE checks/NAME/apply?bucket=B&prefix=P`.
pub async fn unapply(ctx: &RequestCtx<'_>, name: &str) -> Result<Response<ResponseBody>, S3Error> {
    let Some(bucket) = ctx.query.get("bucket") else {
        return Err(S3Error::new(
            "InvalidRequest",
            400,
            "query parameter `bucket` is required",
        ));
    };
    let prefix = ctx.query.get("prefix").unwrap_or("");
    let binding = CheckBinding {
        bucket: bucket.to_string(),
        prefix: prefix.to_string(),
        profile: name.to_string(),
    };
    let removed = ctx
        .state
        .access
        .unbind_check_profile(&binding)
        .await
        .map_err(|e| store_error(e, name))?;
    ctx.state.checks.forget();
    if !removed {
        return Err(S3Error::new(
            "NoSuchBinding",
            404,
            format!("check profile {name} is not applied to {bucket} prefix {prefix:?}"),
        ));
    }
    Ok(response::json(
        200,
        &json!({"profile": name, "bucket": bucket, "prefix": prefix, "removed": true}),
    ))
}
