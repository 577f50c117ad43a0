//! Bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, location, versioning.

use crate::body::body_in::BodyReader;
use crate::net::response::{self, ResponseBody};
use crate::ops::continuation_token::{decode_token, encode_token};
use crate::ops::lookup::{require_bucket, store_err};
use crate::request_ctx::RequestCtx;
use http::Response;
use sluice_s3::bucket_name::is_valid_bucket_name;
use sluice_s3::xml::{
    location_constraint_xml, parse_create_bucket_configuration, versioning_configuration_xml,
    BucketEntry, ListAllMyBucketsResult,
};
use sluice_s3::S3Error;
use sluice_store::{BucketMeta, StoreError};

/// Largest CreateBucket body accepted.
const MAX_CREATE_BUCKET_BODY: usize = 64 * 1024;

/// Most buckets one ListBuckets page holds (AWS's default and maximum page size).
const MAX_BUCKETS_LIMIT: usize = 10_000;

/// `GET /`: every bucket, or one page of them when `max-buckets`, `prefix`, `continuation-token` or
/// `bucket-region` is given (the 2024 paginated ListBuckets: 10,000 per page unless `max-buckets` says less).
pub async fn list_buckets(ctx: &RequestCtx<'_>) -> Result<Response<ResponseBody>, S3Error> {
    let q = ctx.query;
    let max_buckets = match q.get("max-buckets") {
        None => MAX_BUCKETS_LIMIT,
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_BUCKETS_LIMIT).contains(&n) => n,
            _ => {
                return Err(S3Error::invalid_argument_named(
                    "Argument max-buckets must be an integer between 1 and 10000",
                    "max-buckets",
                    v,
                ))
            }
        },
    };
    let prefix = q.get("prefix").map(str::to_string);
    let after = match q.get("continuation-token") {
        None => None,
        Some(token) => Some(decode_token(token)?),
    };
    let region = &ctx.state.config.region;
    let other_region = q.get("bucket-region").is_some_and(|r| r != region);
    let buckets = ctx.state.meta.list_buckets().await.map_err(store_err)?;
    let mut matching = buckets.into_iter().filter(|b| {
        !other_region
            && prefix.as_deref().is_none_or(|p| b.name.starts_with(p))
            && after.as_deref().is_none_or(|a| b.name.as_str() > a)
    });
    let page: Vec<BucketEntry> = matching
        .by_ref()
        .take(max_buckets)
        .map(|b| BucketEntry {
            name: b.name,
            created_ms: b.created_ms,
            region: region.clone(),
        })
        .collect();
    let continuation_token = match (matching.next(), page.last()) {
        (Some(_), Some(last)) => Some(encode_token(&last.name)),
        _ => None,
    };
    let (owner_id, owner_name) = ctx.state.owner();
    let doc = ListAllMyBucketsResult {
        owner_id,
        owner_name,
        buckets: page,
        continuation_token,
        prefix,
    };
    Ok(response::xml(doc.to_xml()))
}

/// `PUT /bucket`
pub async fn create_bucket(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    body: &mut BodyReader,
) -> Result<Response<ResponseBody>, S3Error> {
    if !is_valid_bucket_name(bucket) {
        return Err(S3Error::invalid_bucket_name(bucket));
    }
    let raw = body.read_to_end(MAX_CREATE_BUCKET_BODY).await?;
    if let Some(location) = parse_create_bucket_configuration(&raw)? {
        if location != ctx.state.config.region {
            return Err(S3Error::illegal_location_constraint(
                &location,
                &ctx.state.config.region,
            ));
        }
    }
    let meta = BucketMeta {
        name: bucket.to_string(),
        created_ms: ctx.state.clock.now_ms(),
        owner: ctx.state.owner().0,
    };
    match ctx.state.meta.create_bucket(&meta).await {
        Ok(()) => {
            let mut r = response::empty(200);
            response::set_header(&mut r, "location", &format!("/{bucket}"));
            Ok(r)
        }
        Err(StoreError::BucketExists) => Err(S3Error::bucket_already_owned_by_you(bucket)),
        Err(e) => Err(store_err(e)),
    }
}

/// `HEAD /bucket`
pub async fn head_bucket(
    ctx: &RequestCtx<'_>,
    bucket: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    require_bucket(ctx, bucket).await?;
    let mut r = response::empty(200);
    response::set_header(&mut r, "x-amz-bucket-region", &ctx.state.config.region);
    Ok(r)
}

/// `DELETE /bucket`
pub async fn delete_bucket(
    ctx: &RequestCtx<'_>,
    bucket: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    match ctx.state.meta.delete_bucket(bucket).await {
        Ok(part_blobs) => {
            ctx.state.notify_configs.forget(bucket);
            crate::ops::multipart::free_blobs(ctx, &part_blobs).await;
            Ok(response::empty(204))
        }
        Err(StoreError::NoSuchBucket) => Err(S3Error::no_such_bucket(bucket)),
        Err(StoreError::BucketNotEmpty) => Err(S3Error::bucket_not_empty(bucket)),
        Err(e) => Err(store_err(e)),
    }
}

/// `GET /bucket?location`
pub async fn get_bucket_location(
    ctx: &RequestCtx<'_>,
    bucket: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    require_bucket(ctx, bucket).await?;
    Ok(response::xml(location_constraint_xml(
        &ctx.state.config.region,
    )))
}

/// `GET /bucket?versioning`: Sluice buckets are never versioned.
pub async fn get_bucket_versioning(
    ctx: &RequestCtx<'_>,
    bucket: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    require_bucket(ctx, bucket).await?;
    Ok(response::xml(versioning_configuration_xml()))
}
