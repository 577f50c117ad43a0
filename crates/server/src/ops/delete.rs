//! DeleteObject and DeleteObjects.

use crate::auth::authz::require_allowed;
use crate::body::body_in::BodyReader;
use crate::net::headers::header;
use crate::net::response::{self, ResponseBody};
use crate::ops::lookup::{require_bucket, store_err};
use crate::ops::put_object::free_object_blobs;
use crate::request_ctx::RequestCtx;
use http::Response;
use sluice_s3::xml::{parse_delete_request, DeleteError, DeleteResult};
use sluice_s3::S3Error;

/// Largest DeleteObjects body accepted (1000 keys of 1024 bytes and their XML).
const MAX_DELETE_BODY: usize = 2 * 1024 * 1024;

/// `DELETE /bucket/key`: 204 whether or not the key existed, as S3 answers.
pub async fn delete_object(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    if let Some(v) = ctx.query.get("versionId") {
        if v != "null" {
            return Err(S3Error::invalid_argument_named(
                "Invalid version id specified",
                "versionId",
                v,
            ));
        }
    }
    match remove(ctx, bucket, key).await? {
        Some(old) => free_object_blobs(ctx, &old).await,
        None => {
            require_bucket(ctx, bucket).await?;
        }
    }
    Ok(response::empty(204))
}

/// Deletes one object row, emitting `s3:ObjectRemoved:Delete` (stored only if a row went).
async fn remove(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
) -> Result<Option<sluice_store::ObjectMeta>, S3Error> {
    let written = crate::notify::emit::Written::removed(bucket, key);
    let events = crate::notify::emit::events_for(ctx, &written).await?;
    let old = ctx
        .state
        .meta
        .delete_object_with_events(bucket, key, &events)
        .await
        .map_err(store_err)?;
    if old.is_some() {
        crate::notify::emit::committed(ctx, &events);
    }
    Ok(old)
}

/// `POST /bucket?delete`
pub async fn delete_objects(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    body: &mut BodyReader,
) -> Result<Response<ResponseBody>, S3Error> {
    let has_integrity = header(ctx.parts, "content-md5").is_some()
        || ctx
            .parts
            .headers
            .keys()
            .any(|k| k.as_str().starts_with("x-amz-checksum-"))
        || header(ctx.parts, "x-amz-sdk-checksum-algorithm").is_some();
    if !has_integrity {
        return Err(S3Error::invalid_request(
            "Missing required header for this request: Content-MD5",
        ));
    }
    let raw = crate::ops::body_check::read_verified_body(ctx.parts, body, MAX_DELETE_BODY).await?;
    let request = parse_delete_request(&raw)?;
    require_bucket(ctx, bucket).await?;
    let mut result = DeleteResult {
        quiet: request.quiet,
        ..Default::default()
    };
    for obj in request.objects {
        if obj.version_id.as_deref().is_some_and(|v| v != "null") {
            result.errors.push(DeleteError {
                key: obj.key,
                code: "NoSuchVersion".into(),
                message: "The specified version does not exist.".into(),
            });
            continue;
        }
        // DeleteObjects is authorized key by key, as s3:DeleteObject on each object.
        if let Err(denied) =
            require_allowed(ctx, "s3:DeleteObject", Some(bucket), Some(&obj.key)).await
        {
            result.errors.push(DeleteError {
                key: obj.key,
                code: denied.code.to_string(),
                message: denied.message,
            });
            continue;
        }
        match remove(ctx, bucket, &obj.key).await {
            Ok(old) => {
                if let Some(old) = old {
                    free_object_blobs(ctx, &old).await;
                }
                result.deleted.push(obj.key);
            }
            Err(err) => {
                result.errors.push(DeleteError {
                    key: obj.key,
                    code: err.code.to_string(),
                    message: err.message,
                });
            }
        }
    }
    Ok(response::xml(result.to_xml()))
}
