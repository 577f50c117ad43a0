//! Admin: named identity policies — create/replace, show, list, delete, attach, detach.

use super::{check_name, field, iso, store_error};
use crate::net::response::{self, ResponseBody};
use crate::request_ctx::RequestCtx;
use http::Response;
use serde_json::{json, Value};
use sluice_iam::{Policy, PolicyError, PolicyKind};
use sluice_s3::S3Error;
use sluice_store::PolicyRecord;

/// The admin error for a refused policy document.
pub fn policy_error(e: &PolicyError) -> S3Error {
    let code = match e {
        PolicyError::Syntax { .. } => "MalformedPolicy",
        _ => "InvalidPolicy",
    };
    S3Error::new(code, 400, e.to_string())
}

/// `PUT policies/NAME` with the policy document as body (validated before storing).
pub async fn put(
    ctx: &RequestCtx<'_>,
    name: &str,
    document: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    check_name("policy", name)?;
    Policy::parse(document, PolicyKind::Identity).map_err(|e| policy_error(&e))?;
    let record = PolicyRecord {
        name: name.to_string(),
        document: document.to_string(),
        updated_ms: ctx.state.clock.now_ms(),
    };
    ctx.state
        .access
        .put_policy(&record)
        .await
        .map_err(|e| store_error(e, name))?;
    tracing::info!(target: "sluice::audit", policy = name, "policy stored");
    Ok(response::json(
        200,
        &json!({"name": name, "updated_at": iso(record.updated_ms)}),
    ))
}

/// `GET policies/NAME`: the document and the users it is attached to.
pub async fn show(ctx: &RequestCtx<'_>, name: &str) -> Result<Response<ResponseBody>, S3Error> {
    let (p, users) = ctx
        .state
        .access
        .get_policy(name)
        .await
        .map_err(|e| store_error(e, name))?
        .ok_or_else(|| store_error(sluice_store::StoreError::NoSuchPolicy, name))?;
    let document: Value = serde_json::from_str(&p.document).unwrap_or(Value::String(p.document));
    Ok(response::json(
        200,
        &json!({"name": p.name, "updated_at": iso(p.updated_ms), "users": users, "document": document}),
    ))
}

/// `GET policies`.
pub async fn list(ctx: &RequestCtx<'_>) -> Result<Response<ResponseBody>, S3Error> {
    let all = ctx
        .state
        .access
        .list_policies()
        .await
        .map_err(|e| store_error(e, ""))?;
    let items: Vec<Value> = all
        .iter()
        .map(|p| json!({"name": p.name, "updated_at": iso(p.updated_ms)}))
        .collect();
    Ok(response::json(200, &json!({ "policies": items })))
}

/// `DELETE policies/NAME` (detached from everyone).
pub async fn delete(ctx: &RequestCtx<'_>, name: &str) -> Result<Response<ResponseBody>, S3Error> {
    ctx.state
        .access
        .delete_policy(name)
        .await
        .map_err(|e| store_error(e, name))?;
    tracing::info!(target: "sluice::audit", policy = name, "policy deleted");
    Ok(response::json(200, &json!({"deleted": name})))
}

/// `POST policies/NAME/attach|detach` `{"user": ...}`.
pub async fn attach(
    ctx: &RequestCtx<'_>,
    name: &str,
    body: &Value,
    attach: bool,
) -> Result<Response<ResponseBody>, S3Error> {
    let user = field(body, "user")?;
    let access = &ctx.state.access;
    let result = if attach {
        access.attach_policy(name, user).await
    } else {
        access.detach_policy(name, user).await
    };
    result.map_err(|e| match e {
        sluice_store::StoreError::NoSuchUser => store_error(e, user),
        sluice_store::StoreError::NotAttached => store_error(e, &format!("{name} to {user}")),
        other => store_error(other, name),
    })?;
    tracing::info!(target: "sluice::audit", policy = name, user, attach, "policy attachment changed");
    Ok(response::json(
        200,
        &json!({"policy": name, "user": user, "attached": attach}),
    ))
}
