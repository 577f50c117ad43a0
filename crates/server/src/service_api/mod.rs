//! Sluice's own REST API on the S3 port, under `/_sluice/` (no bucket name can contain `_`).
//! JSON in and out; callers authenticate with SigV4 header auth like any S3 call.

pub mod events;
pub mod grants;
pub mod health;
pub mod json_error;
pub mod presign;
pub mod presign_constraints;
pub mod presign_post;
pub mod presign_resume;
pub mod presign_tagging;
pub mod presign_tus;

use crate::body::body_in::BodyReader;
use crate::net::response::ResponseBody;
use crate::request_ctx::RequestCtx;
use http::Response;
use json_error::ApiError;

/// Runs the handler for `/_sluice/{path}`.
pub async fn dispatch(
    ctx: &RequestCtx<'_>,
    path: &str,
    body: &mut BodyReader,
) -> Response<ResponseBody> {
    let method = ctx.parts.method.as_str();
    let result = match (method, path) {
        ("POST", "v1/presign") => presign::mint(ctx, body).await,
        ("GET" | "HEAD", "health/live") => Ok(health::live()),
        ("GET" | "HEAD", "health/ready") => Ok(health::ready(ctx).await),
        ("GET", "metrics") => {
            let text = crate::metrics::render(ctx.state).await;
            let mut r = crate::net::response::text(200, text);
            crate::net::response::set_header(&mut r, "content-type", "text/plain; version=0.0.4");
            Ok(r)
        }
        (_, "v1/presign") => Err(ApiError::method_not_allowed(method)),
        ("GET", "v1/grants") => grants::list(ctx).await,
        ("GET", "v1/events") => events::list(ctx).await,
        (_, "v1/events") => Err(ApiError::method_not_allowed(method)),
        ("POST", "v1/grants/revoke") => grants::revoke_bulk(ctx, body).await,
        ("GET", p) if p.starts_with(crate::checks::pending::PATH_PREFIX) => Ok(
            crate::checks::pending::serve(ctx, &p[crate::checks::pending::PATH_PREFIX.len()..]),
        ),
        (_, p) if p.starts_with("v1/grants/") && p.len() > "v1/grants/".len() => {
            grants::handle(ctx, method, &p["v1/grants/".len()..]).await
        }
        _ => Err(ApiError::not_found(path)),
    };
    result.unwrap_or_else(|e| e.into_response())
}
