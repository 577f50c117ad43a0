//! Health checks for load balancers and orchestrators (no authentication, no secrets).

use crate::net::response::{self, ResponseBody};
use crate::request_ctx::RequestCtx;
use http::Response;
use serde_json::json;

/// `GET /_sluice/health/live`: the process is up and serving.
pub fn live() -> Response<ResponseBody> {
    response::json(200, &json!({ "status": "ok" }))
}

/// `GET /_sluice/health/ready`: the metadata store answers and the data dir is writable.
pub async fn ready(ctx: &RequestCtx<'_>) -> Response<ResponseBody> {
    let metadata = ctx.state.meta.object_count().await.is_ok();
    let data_dir = ctx.state.blobs.check_writable().await.is_ok();
    let word = |ok: bool| if ok { "ok" } else { "failing" };
    let status = if metadata && data_dir { 200 } else { 503 };
    response::json(
        status,
        &json!({
            "status": if status == 200 { "ok" } else { "unavailable" },
            "checks": { "metadata": word(metadata), "data_dir": word(data_dir) },
        }),
    )
}
