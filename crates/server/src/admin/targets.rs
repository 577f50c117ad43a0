//! Admin: notification targets — define (PUT), list, show, delete. A webhook defined without a
//! secret gets a new one, shown in the answer.

use super::{iso, store_error};
use crate::net::response::{self, ResponseBody};
use crate::notify::targets::{arn, validate_new_id, TargetConfig};
use crate::notify::webhook_signature::WebhookSecret;
use crate::request_ctx::RequestCtx;
use http::Response;
use serde_json::{json, Value};
use sluice_s3::S3Error;
use sluice_store::TargetRecord;

fn invalid(message: impl Into<String>) -> S3Error {
    S3Error::new("InvalidRequest", 400, message)
}

/// The JSON form of a target: id, ARN, type and its settings (a webhook's secret left out).
fn describe(region: &str, t: &TargetRecord) -> Value {
    let mut config: Value = serde_json::from_str(&t.config).unwrap_or(Value::Null);
    if let Some(o) = config.as_object_mut() {
        o.remove("secret");
        o.remove("type");
    }
    json!({
        "id": t.id,
        "arn": arn(region, &t.id, &t.kind),
        "type": t.kind,
        "config": config,
        "created": iso(t.created_ms),
    })
}

/// `PUT targets/ID` with `{"type": "webhook", "url", "secret"?, "timeout_ms"?, "headers"?}` or
/// `{"type": "nats", "url", "subject"}`.
pub async fn put(
    ctx: &RequestCtx<'_>,
    id: &str,
    body: &Value,
) -> Result<Response<ResponseBody>, S3Error> {
    validate_new_id(id).map_err(|e| invalid(e.to_string()))?;
    let mut body = body.clone();
    let mut generated = None;
    if body.get("type").and_then(Value::as_str) == Some("webhook") && body.get("secret").is_none() {
        let secret = WebhookSecret::generate();
        body["secret"] = json!(secret);
        generated = Some(secret);
    }
    let config: TargetConfig = serde_json::from_value(body)
        .map_err(|e| invalid(format!("not a target definition: {e}")))?;
    config.validate().map_err(|e| invalid(e.to_string()))?;
    let record = TargetRecord {
        id: id.to_string(),
        kind: config.kind().to_string(),
        config: serde_json::to_string(&config).map_err(|_| S3Error::internal_error())?,
        created_ms: ctx.state.clock.now_ms(),
    };
    ctx.state
        .access
        .put_target(&record)
        .await
        .map_err(|e| store_error(e, id))?;
    tracing::info!(target: "sluice::audit", target_id = id, kind = record.kind, "notification target defined");
    ctx.state.delivery_wake.events_committed();
    let mut answer = describe(&ctx.state.config.region, &record);
    if let Some(secret) = generated {
        answer["secret"] = json!(secret);
    }
    Ok(response::json(200, &answer))
}

/// `GET targets`.
pub async fn list(ctx: &RequestCtx<'_>) -> Result<Response<ResponseBody>, S3Error> {
    let targets = ctx
        .state
        .access
        .list_targets()
        .await
        .map_err(|e| store_error(e, ""))?;
    let region = &ctx.state.config.region;
    let mut items: Vec<Value> = targets.iter().map(|t| describe(region, t)).collect();
    use crate::notify::feed::{FEED_KIND, FEED_TARGET};
    items.push(json!({
        "id": FEED_TARGET,
        "arn": arn(region, FEED_TARGET, FEED_KIND),
        "type": FEED_KIND,
        "builtin": true,
    }));
    Ok(response::json(200, &json!({ "targets": items })))
}

/// `GET targets/ID`.
pub async fn show(ctx: &RequestCtx<'_>, id: &str) -> Result<Response<ResponseBody>, S3Error> {
    match ctx
        .state
        .access
        .get_target(id)
        .await
        .map_err(|e| store_error(e, id))?
    {
        Some(t) => Ok(response::json(200, &describe(&ctx.state.config.region, &t))),
        None => Err(no_such_target(id)),
    }
}

/// `DELETE targets/ID`.
pub async fn delete(ctx: &RequestCtx<'_>, id: &str) -> Result<Response<ResponseBody>, S3Error> {
    if !ctx
        .state
        .access
        .delete_target(id)
        .await
        .map_err(|e| store_error(e, id))?
    {
        return Err(no_such_target(id));
    }
    tracing::info!(target: "sluice::audit", target_id = id, "notification target deleted");
    Ok(response::json(200, &json!({ "deleted": id })))
}

fn no_such_target(id: &str) -> S3Error {
    S3Error::new(
        "NoSuchTarget",
        404,
        format!("no such notification target: {id}"),
    )
}
