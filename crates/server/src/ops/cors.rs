//! Put/Get/DeleteBucketCors: a bucket's CORS rules (see `crate::net::cors` for how they apply).

use crate::body::body_in::BodyReader;
use crate::net::response::{self, ResponseBody};
use crate::ops::lookup::{require_bucket, store_err};
use crate::request_ctx::RequestCtx;
use http::Response;
use sluice_s3::xml::{cors_configuration_xml, parse_cors_configuration};
use sluice_s3::S3Error;

/// Largest CORS configuration AWS accepts (64 KB).
const MAX_CORS_BYTES: usize = 64 * 1024;

/// `PUT /bucket?cors`: validates the rules as AWS does and stores them (normalised).
pub async fn put_bucket_cors(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    body: &mut BodyReader,
) -> Result<Response<ResponseBody>, S3Error> {
    require_bucket(ctx, bucket).await?;
    let raw = crate::ops::body_check::read_verified_body(ctx.parts, body, MAX_CORS_BYTES).await?;
    let rules = parse_cors_configuration(&raw)?;
    ctx.state
        .access
        .put_bucket_cors(bucket, &cors_configuration_xml(&rules))
        .await
        .map_err(store_err)?;
    Ok(response::empty(200))
}

/// `GET /bucket?cors`: the rules, or 404 NoSuchCORSConfiguration.
pub async fn get_bucket_cors(
    ctx: &RequestCtx<'_>,
    bucket: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    require_bucket(ctx, bucket).await?;
    let doc = ctx
        .state
        .access
        .bucket_cors(bucket)
        .await
        .map_err(store_err)?
        .ok_or_else(|| S3Error::no_such_cors_configuration(bucket))?;
    Ok(response::xml(doc))
}

/// `DELETE /bucket?cors`: 204 whether or not there were rules.
pub async fn delete_bucket_cors(
    ctx: &RequestCtx<'_>,
    bucket: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    require_bucket(ctx, bucket).await?;
    ctx.state
        .access
        .delete_bucket_cors(bucket)
        .await
        .map_err(store_err)?;
    Ok(response::empty(204))
}
