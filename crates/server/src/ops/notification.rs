//! Put/GetBucketNotificationConfiguration: which events of a bucket go to which notification
//! targets (see `crate::notify`). Destinations are Sluice target ARNs,
//! `arn:sluice:sqs:REGION:ID:webhook` (or `:nats`), naming targets that exist.

use crate::body::body_in::BodyReader;
use crate::net::response::{self, ResponseBody};
use crate::notify::targets::id_from_arn;
use crate::ops::lookup::{require_bucket, store_err};
use crate::request_ctx::RequestCtx;
use http::Response;
use sluice_s3::xml::{notification_configuration_xml, parse_notification_configuration};
use sluice_s3::S3Error;

/// Largest configuration document accepted.
const MAX_NOTIFICATION_BYTES: usize = 256 * 1024;

/// `PUT /bucket?notification`: validates the configuration as AWS does (every destination must
/// exist) and stores it; an empty configuration turns notifications off.
pub async fn put_bucket_notification(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    body: &mut BodyReader,
) -> Result<Response<ResponseBody>, S3Error> {
    require_bucket(ctx, bucket).await?;
    let raw =
        crate::ops::body_check::read_verified_body(ctx.parts, body, MAX_NOTIFICATION_BYTES).await?;
    let config = parse_notification_configuration(&raw)?;
    let region = &ctx.state.config.region;
    let mut missing = Vec::new();
    for arn in config.destination_arns() {
        let exists = match id_from_arn(region, arn) {
            Some(id) if crate::notify::feed::is_feed(id) => true,
            Some(id) => ctx
                .state
                .access
                .get_target(id)
                .await
                .map_err(store_err)?
                .is_some(),
            None => false,
        };
        if !exists {
            missing.push(arn);
        }
    }
    if !missing.is_empty() {
        return Err(S3Error::unable_to_validate_destinations(
            missing
                .into_iter()
                .map(|arn| (arn, "The destination queue does not exist")),
        ));
    }
    let access = &ctx.state.access;
    ctx.state.notify_configs.forget(bucket);
    if config.is_empty() {
        access
            .delete_bucket_notification(bucket)
            .await
            .map_err(store_err)?;
    } else {
        access
            .put_bucket_notification(bucket, &notification_configuration_xml(&config))
            .await
            .map_err(store_err)?;
    }
    // Again after the write: a write in between may have read the old document.
    ctx.state.notify_configs.forget(bucket);
    Ok(response::empty(200))
}

/// `GET /bucket?notification`: the configuration (empty when none was set).
pub async fn get_bucket_notification(
    ctx: &RequestCtx<'_>,
    bucket: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    require_bucket(ctx, bucket).await?;
    let doc = ctx
        .state
        .access
        .bucket_notification(bucket)
        .await
        .map_err(store_err)?;
    Ok(response::xml(doc.unwrap_or_else(|| {
        notification_configuration_xml(&Default::default())
    })))
}
