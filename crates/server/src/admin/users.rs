//! Admin: create, delete and list users.

use super::{check_name, field, iso, store_error};
use crate::net::response::{self, ResponseBody};
use crate::request_ctx::RequestCtx;
use http::Response;
use serde_json::{json, Value};
use sluice_s3::S3Error;
use sluice_store::UserRecord;

/// `POST users` `{"name": ...}`.
pub async fn create(ctx: &RequestCtx<'_>, body: &Value) -> Result<Response<ResponseBody>, S3Error> {
    let name = field(body, "name")?;
    check_name("user", name)?;
    let user = UserRecord {
        name: name.to_string(),
        created_ms: ctx.state.clock.now_ms(),
    };
    ctx.state
        .access
        .create_user(&user)
        .await
        .map_err(|e| store_error(e, name))?;
    tracing::info!(target: "sluice::audit", user = name, "user created");
    Ok(response::json(201, &user_json(&user)))
}

/// `DELETE users/NAME` (its keys and attachments go with it).
pub async fn delete(ctx: &RequestCtx<'_>, name: &str) -> Result<Response<ResponseBody>, S3Error> {
    ctx.state
        .access
        .delete_user(name)
        .await
        .map_err(|e| store_error(e, name))?;
    tracing::info!(target: "sluice::audit", user = name, "user deleted");
    Ok(response::json(200, &json!({"deleted": name})))
}

/// `GET users`.
pub async fn list(ctx: &RequestCtx<'_>) -> Result<Response<ResponseBody>, S3Error> {
    let users = ctx
        .state
        .access
        .list_users()
        .await
        .map_err(|e| store_error(e, ""))?;
    let items: Vec<Value> = users.iter().map(user_json).collect();
    Ok(response::json(200, &json!({ "users": items })))
}

fn user_json(u: &UserRecord) -> Value {
    json!({"name": u.name, "created_at": iso(u.created_ms)})
}
