//! The mint API's `tagging` field: tags a presigned upload pins. A PUT URL carries them as a
//! signed `x-amz-tagging` query parameter (S3 reads a presigned URL's `x-amz-*` parameters as
//! headers, and a client cannot send another unsigned one); a multipart bundle stores them on
//! the upload it creates, so the completed object gets them.

use super::json_error::ApiError;
use super::presign::MintRequest;
use crate::auth::authz::require_allowed;
use crate::request_ctx::RequestCtx;
use serde_json::Value;
use sluice_s3::tagging::{parse_tagging_header, tagging_query, validate_tags, TagSet, TagTarget};

/// The tags `req.tagging` asks for: a JSON object `{"k": "v"}` (string values) or the query
/// form `"k=v&k2=v2"`; checked as AWS checks object tags. Only for PUT URLs (single or
/// multipart); `None` when the field is absent.
pub fn mint_tags(req: &MintRequest, method: &str) -> Result<Option<TagSet>, ApiError> {
    let Some(field) = &req.tagging else {
        return Ok(None);
    };
    if method != "PUT" {
        return Err(ApiError::bad_field("tagging", "only applies to PUT"));
    }
    let tags = match field {
        Value::String(query) => {
            parse_tagging_header(query).map_err(|e| ApiError::bad_field("tagging", e.message))?
        }
        Value::Object(map) => {
            let mut tags = TagSet::new();
            for (k, v) in map {
                let Value::String(v) = v else {
                    return Err(ApiError::bad_field(
                        "tagging",
                        format!("the value of tag {k:?} must be a string"),
                    ));
                };
                tags.push((k.clone(), v.clone()));
            }
            validate_tags(&tags, TagTarget::Object)
                .map_err(|e| ApiError::bad_field("tagging", e.message))?;
            tags
        }
        _ => {
            return Err(ApiError::bad_field(
                "tagging",
                "must be an object of string values or a query string (k=v&k2=v2)",
            ))
        }
    };
    Ok(Some(tags))
}

/// Minting URLs that tag an object needs `s3:PutObjectTagging` on it, as using them does.
pub async fn authorize_tags(
    ctx: &RequestCtx<'_>,
    req: &MintRequest,
    tags: Option<&TagSet>,
) -> Result<(), ApiError> {
    if tags.is_none_or(|t| t.is_empty()) {
        return Ok(());
    }
    require_allowed(
        ctx,
        "s3:PutObjectTagging",
        Some(&req.bucket),
        Some(&req.key),
    )
    .await
    .map_err(|_| {
        ApiError::forbidden(format!(
            "you may not s3:PutObjectTagging on {}/{}, so you may not mint a URL that tags it",
            req.bucket, req.key
        ))
    })
}

/// The signed query parameter of a PUT URL pinning `tags` (none for no tags).
pub fn tagging_param(tags: Option<&TagSet>) -> Option<(String, String)> {
    tags.filter(|t| !t.is_empty())
        .map(|t| ("x-amz-tagging".to_string(), tagging_query(t)))
}
