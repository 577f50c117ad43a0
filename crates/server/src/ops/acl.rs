//! Canned ACLs: `x-amz-acl` on CreateBucket/PutObject/CopyObject, Get/Put Bucket/Object ACL.

use crate::auth::authz::{require_allowed_on_action, AuthzInput};
use crate::body::body_in::BodyReader;
use crate::net::headers::header;
use crate::net::response::{self, ResponseBody};
use crate::ops::lookup::{require_bucket, store_err};
use crate::request_ctx::RequestCtx;
use http::request::Parts;
use http::Response;
use sluice_iam::CannedAcl;
use sluice_s3::xml::access_control_policy_xml;
use sluice_s3::{Endpoint, S3Error};
use sluice_store::StoreError;

/// Canned ACLs that grant only the bucket owner, who is always root in Sluice: kept as private.
const OWNER_ONLY: [&str; 3] = [
    "bucket-owner-read",
    "bucket-owner-full-control",
    "aws-exec-read",
];

/// The canned ACL a request asks for, if any (`InvalidArgument` for unknown values).
pub fn canned_acl_header(parts: &Parts) -> Result<Option<CannedAcl>, S3Error> {
    match header(parts, "x-amz-acl") {
        None => Ok(None),
        Some(v) if OWNER_ONLY.contains(&v.trim()) => Ok(Some(CannedAcl::Private)),
        Some(v) => CannedAcl::parse(v)
            .map(Some)
            .ok_or_else(|| S3Error::invalid_canned_acl(v)),
    }
}

/// Before CreateBucket/PutObject/CopyObject: the ACL to apply afterwards, checked against the
/// caller's `s3:PutBucketAcl` / `s3:PutObjectAcl` permission when it is not `private`.
pub async fn requested_acl(input: &AuthzInput<'_>) -> Result<Option<CannedAcl>, S3Error> {
    let acl_action = match input.endpoint.unwrap_or(&Endpoint::ListBuckets) {
        Endpoint::CreateBucket { .. } => "s3:PutBucketAcl",
        Endpoint::PutObject { .. }
        | Endpoint::CopyObject { .. }
        | Endpoint::CreateMultipartUpload { .. } => "s3:PutObjectAcl",
        _ => return Ok(None),
    };
    let acl = canned_acl_header(input.parts)?;
    if acl.is_some_and(|a| a != CannedAcl::Private) {
        require_allowed_on_action(input, acl_action).await?;
    }
    Ok(acl)
}

/// After a successful CreateBucket/PutObject/CopyObject: stores the requested ACL. (The ACL of a
/// CreateMultipartUpload is kept with the upload and stored when it completes.)
pub async fn apply_requested_acl(
    ctx: &RequestCtx<'_>,
    endpoint: &Endpoint,
    acl: Option<CannedAcl>,
) -> Result<(), S3Error> {
    let Some(acl) = acl.filter(|a| *a != CannedAcl::Private) else {
        return Ok(());
    };
    let access = &ctx.state.access;
    let result = match endpoint {
        Endpoint::CreateBucket { bucket } => {
            access.put_bucket_acl(bucket, Some(acl.as_str())).await
        }
        Endpoint::PutObject { bucket, key } | Endpoint::CopyObject { bucket, key } => {
            access.put_object_acl(bucket, key, Some(acl.as_str())).await
        }
        _ => Ok(()),
    };
    result.map_err(store_err)
}

/// The AccessControlPolicy answer for a stored canned ACL (none stored: private).
fn acl_answer(ctx: &RequestCtx<'_>, stored: Option<String>) -> Response<ResponseBody> {
    let canned = stored
        .and_then(|s| CannedAcl::parse(&s))
        .unwrap_or(CannedAcl::Private);
    let (id, name) = ctx.state.owner();
    response::xml(access_control_policy_xml(&id, &name, canned.as_str()))
}

/// `GET /bucket?acl`.
pub async fn get_bucket_acl(
    ctx: &RequestCtx<'_>,
    bucket: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    require_bucket(ctx, bucket).await?;
    let stored = ctx
        .state
        .access
        .bucket_acl(bucket)
        .await
        .map_err(store_err)?;
    Ok(acl_answer(ctx, stored))
}

/// `GET /bucket/key?acl`.
pub async fn get_object_acl(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    require_bucket(ctx, bucket).await?;
    if ctx
        .state
        .meta
        .get_object(bucket, key)
        .await
        .map_err(store_err)?
        .is_none()
    {
        return Err(S3Error::no_such_key(key));
    }
    let stored = ctx
        .state
        .access
        .object_acl(bucket, key)
        .await
        .map_err(store_err)?;
    Ok(acl_answer(ctx, stored))
}

/// The canned ACL of a PutBucketAcl / PutObjectAcl: only the `x-amz-acl` form is supported.
async fn put_acl_value(ctx: &RequestCtx<'_>, body: &mut BodyReader) -> Result<CannedAcl, S3Error> {
    let acl = canned_acl_header(ctx.parts)?;
    let body = body.read_to_end(64 * 1024).await?;
    match acl {
        Some(a) if body.is_empty() => Ok(a),
        Some(_) => Err(S3Error::new(
            "UnexpectedContent",
            400,
            "This request does not support content when x-amz-acl is given",
        )),
        None => Err(S3Error::new(
            "NotImplemented",
            501,
            "Only canned ACLs (the x-amz-acl header) are supported",
        )),
    }
}

/// `PUT /bucket?acl` with `x-amz-acl`.
pub async fn put_bucket_acl(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    body: &mut BodyReader,
) -> Result<Response<ResponseBody>, S3Error> {
    require_bucket(ctx, bucket).await?;
    let acl = put_acl_value(ctx, body).await?;
    let stored = (acl != CannedAcl::Private).then_some(acl.as_str());
    ctx.state
        .access
        .put_bucket_acl(bucket, stored)
        .await
        .map_err(store_err)?;
    Ok(response::empty(200))
}

/// `PUT /bucket/key?acl` with `x-amz-acl`.
pub async fn put_object_acl(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
    body: &mut BodyReader,
) -> Result<Response<ResponseBody>, S3Error> {
    require_bucket(ctx, bucket).await?;
    let acl = put_acl_value(ctx, body).await?;
    let stored = (acl != CannedAcl::Private).then_some(acl.as_str());
    match ctx.state.access.put_object_acl(bucket, key, stored).await {
        Ok(()) => Ok(response::empty(200)),
        Err(StoreError::NoSuchKey) => Err(S3Error::no_such_key(key)),
        Err(e) => Err(store_err(e)),
    }
}
