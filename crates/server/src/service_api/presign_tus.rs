//! `"method": "TUS"` in the mint API: a presigned tus creation URL
//! (`POST /_sluice/tus/{bucket}/{key}`) to hand to a tus client (tus-js-client, Uppy's
//! `@uppy/tus`, tuspy). It carries every constraint a PUT URL carries, checked against the
//! creation (`content_length_range` against `Upload-Length` and the bytes received,
//! `content_type` against the metadata's `filetype`); with `max_uses`, each creation spends one
//! use. The key may hold `${filename}`, filled from the metadata's `filename`.

use super::json_error::ApiError;
use super::presign::MintRequest;
use super::presign::{create_grant, Expiry, Limits, Signer};
use crate::auth::url_constraints::{GRANT, GRANT_EXPIRES};
use crate::request_ctx::RequestCtx;
use serde_json::{json, Value};

/// The `method` recorded for the grant of a tus creation URL.
pub const TUS_GRANT_METHOD: &str = "TUS";

/// Signs the creation URL (after the grant, when `max_uses` asks for one); the mint API's answer.
pub(super) async fn mint_tus(
    ctx: &RequestCtx<'_>,
    signer: &Signer<'_>,
    req: &MintRequest,
    limits: &Limits,
    expiry: &Expiry,
) -> Result<Value, ApiError> {
    let constraints = &limits.constraints;
    let mut query = constraints.query(constraints.size, req.content_type.as_deref());
    let grant_id = create_grant(ctx, signer, req, TUS_GRANT_METHOD, limits, expiry).await?;
    if let Some(id) = &grant_id {
        query.push((GRANT.to_string(), id.clone()));
        if expiry.long {
            query.push((GRANT_EXPIRES.to_string(), expiry.at.clone()));
        }
    }
    let mut out = json!({
        "url": signer.url("POST", &query, &[]),
        "method": "TUS",
        "bucket": req.bucket,
        "key": req.key,
        "headers": {},
        "expires_at": expiry.at,
    });
    if let Some(id) = grant_id {
        out["id"] = json!(id);
    }
    Ok(out)
}
