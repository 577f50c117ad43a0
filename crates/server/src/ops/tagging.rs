//! Object and bucket tagging: Put/Get/DeleteObjectTagging, Put/Get/DeleteBucketTagging, and
//! the tags a new object carries (`x-amz-tagging` on PutObject, CreateMultipartUpload and
//! CopyObject with `x-amz-tagging-directive: REPLACE`; the POST form's `tagging` field).

use crate::auth::authz::{require_allowed_on_action, AuthzInput};
use crate::body::body_in::BodyReader;
use crate::net::headers::header;
use crate::net::response::{self, ResponseBody};
use crate::ops::get_object::load_object;
use crate::ops::lookup::{require_bucket, store_err};
use crate::request_ctx::RequestCtx;
use http::request::Parts;
use http::Response;
use sluice_s3::tagging::{parse_tagging_header, TagSet, TagTarget, TAGGING_HEADER};
use sluice_s3::xml::{parse_tagging, tagging_xml};
use sluice_s3::{Endpoint, S3Error};
use sluice_store::StoreError;

/// Largest tagging document accepted (10 tags of 128 + 256 characters fit many times over;
/// 50 bucket tags of 4-byte characters too).
const MAX_TAGGING_BYTES: usize = 256 * 1024;

/// The tags the request's `x-amz-tagging` header asks for (none without the header);
/// InvalidArgument / InvalidTag / BadRequest as AWS answers a bad one.
pub fn header_tags(parts: &Parts) -> Result<TagSet, S3Error> {
    match header(parts, TAGGING_HEADER) {
        None => Ok(TagSet::new()),
        Some(v) => parse_tagging_header(v),
    }
}

/// Before PutObject / CreateMultipartUpload: a request carrying tags also needs
/// `s3:PutObjectTagging` on the object, as AWS requires. (CopyObject decides in its handler,
/// the tagging directive says whether the header counts; the POST form in its own.)
pub async fn require_tagging_permission(input: &AuthzInput<'_>) -> Result<(), S3Error> {
    let Some(endpoint) = input.endpoint else {
        return Ok(());
    };
    if !matches!(
        endpoint,
        Endpoint::PutObject { .. } | Endpoint::CreateMultipartUpload { .. }
    ) {
        return Ok(());
    }
    if header_tags(input.parts)?.is_empty() {
        return Ok(());
    }
    require_allowed_on_action(input, "s3:PutObjectTagging").await
}

/// `PUT /bucket/key?tagging`: replaces the object's tags (200, empty body).
pub async fn put_object_tagging(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
    body: &mut BodyReader,
) -> Result<Response<ResponseBody>, S3Error> {
    let raw =
        crate::ops::body_check::read_verified_body(ctx.parts, body, MAX_TAGGING_BYTES).await?;
    let tags = parse_tagging(&raw, TagTarget::Object)?;
    // Authorized here, once the tags are known: `s3:RequestObjectTag/<key>` and
    // `s3:RequestObjectTagKeys` come from the body (the pipeline skips this endpoint).
    let endpoint = Endpoint::PutObjectTagging {
        bucket: bucket.to_string(),
        key: key.to_string(),
    };
    crate::auth::authz::require_endpoint_allowed_with_tags(ctx, &endpoint, &tags).await?;
    set_object_tags(ctx, bucket, key, &tags).await?;
    Ok(response::empty(200))
}

/// `GET /bucket/key?tagging`: the object's tags (an empty `TagSet` when it has none).
pub async fn get_object_tagging(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    let meta = load_object(ctx, bucket, key).await?;
    Ok(response::xml(tagging_xml(&meta.tags)))
}

/// `DELETE /bucket/key?tagging`: removes the object's tags (204).
pub async fn delete_object_tagging(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    set_object_tags(ctx, bucket, key, &[]).await?;
    Ok(response::empty(204))
}

async fn set_object_tags(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
    tags: &[(String, String)],
) -> Result<(), S3Error> {
    match ctx.state.access.put_object_tags(bucket, key, tags).await {
        Ok(()) => Ok(()),
        Err(StoreError::NoSuchKey) => {
            require_bucket(ctx, bucket).await?;
            Err(S3Error::no_such_key(key).with_resource(format!("/{bucket}/{key}")))
        }
        Err(e) => Err(store_err(e)),
    }
}

/// `PUT /bucket?tagging`: validates the tags as AWS does and stores them (204).
pub async fn put_bucket_tagging(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    body: &mut BodyReader,
) -> Result<Response<ResponseBody>, S3Error> {
    require_bucket(ctx, bucket).await?;
    let raw =
        crate::ops::body_check::read_verified_body(ctx.parts, body, MAX_TAGGING_BYTES).await?;
    let tags = parse_tagging(&raw, TagTarget::Bucket)?;
    ctx.state
        .access
        .put_bucket_tagging(bucket, &tagging_xml(&tags))
        .await
        .map_err(store_err)?;
    Ok(response::empty(204))
}

/// `GET /bucket?tagging`: the tags, or 404 NoSuchTagSet.
pub async fn get_bucket_tagging(
    ctx: &RequestCtx<'_>,
    bucket: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    require_bucket(ctx, bucket).await?;
    let doc = ctx
        .state
        .access
        .bucket_tagging(bucket)
        .await
        .map_err(store_err)?
        .ok_or_else(|| S3Error::no_such_tag_set(bucket))?;
    Ok(response::xml(doc))
}

/// `DELETE /bucket?tagging`: 204 whether or not there were tags.
pub async fn delete_bucket_tagging(
    ctx: &RequestCtx<'_>,
    bucket: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    require_bucket(ctx, bucket).await?;
    ctx.state
        .access
        .delete_bucket_tagging(bucket)
        .await
        .map_err(store_err)?;
    Ok(response::empty(204))
}
