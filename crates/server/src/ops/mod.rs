//! S3 operation handlers, one module per operation group, and the dispatch table for S3 endpoints (the
//! pipeline routes the admin and `/_sluice/` JSON APIs itself).

pub mod acl;
pub mod attributes;
pub mod body_check;
pub mod bucket_policy;
pub mod buckets;
pub mod conditions;
pub mod continuation_token;
pub mod copy_object;
pub mod cors;
pub mod delete;
pub mod get_object;
pub mod list;
pub mod lookup;
pub mod multipart;
pub mod notification;
pub mod put_object;
pub mod tagging;

use crate::body::body_in::BodyReader;
use crate::net::response::ResponseBody;
use crate::request_ctx::RequestCtx;
use http::Response;
use list::ListApi;
use sluice_s3::{Endpoint, S3Error};

/// Runs the handler for an S3 endpoint.
pub async fn dispatch(
    ctx: &RequestCtx<'_>,
    endpoint: &Endpoint,
    body: &mut BodyReader,
) -> Result<Response<ResponseBody>, S3Error> {
    sluice_s3::unsupported_headers::refuse_unsupported_headers(
        endpoint,
        ctx.parts
            .headers
            .iter()
            .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?))),
    )?;
    match endpoint {
        Endpoint::ListBuckets => buckets::list_buckets(ctx).await,
        Endpoint::CreateBucket { bucket } => buckets::create_bucket(ctx, bucket, body).await,
        Endpoint::HeadBucket { bucket } => buckets::head_bucket(ctx, bucket).await,
        Endpoint::DeleteBucket { bucket } => buckets::delete_bucket(ctx, bucket).await,
        Endpoint::GetBucketLocation { bucket } => buckets::get_bucket_location(ctx, bucket).await,
        Endpoint::GetBucketVersioning { bucket } => {
            buckets::get_bucket_versioning(ctx, bucket).await
        }
        Endpoint::ListObjects { bucket } => list::list_objects(ctx, bucket, ListApi::V1).await,
        Endpoint::ListObjectsV2 { bucket } => list::list_objects(ctx, bucket, ListApi::V2).await,
        Endpoint::ListObjectVersions { bucket } => {
            list::list_objects(ctx, bucket, ListApi::Versions).await
        }
        Endpoint::DeleteObjects { bucket } => delete::delete_objects(ctx, bucket, body).await,
        Endpoint::PutObject { bucket, key } => put_object::put_object(ctx, bucket, key, body).await,
        Endpoint::CopyObject { bucket, key } => copy_object::copy_object(ctx, bucket, key).await,
        Endpoint::GetObject { bucket, key } => {
            get_object::get_object(ctx, bucket, key, false).await
        }
        Endpoint::HeadObject { bucket, key } => {
            get_object::get_object(ctx, bucket, key, true).await
        }
        Endpoint::DeleteObject { bucket, key } => delete::delete_object(ctx, bucket, key).await,
        Endpoint::ListMultipartUploads { bucket } => {
            multipart::list::list_multipart_uploads(ctx, bucket).await
        }
        Endpoint::CreateMultipartUpload { bucket, key } => {
            multipart::create::create_multipart_upload(ctx, bucket, key).await
        }
        Endpoint::UploadPart {
            bucket,
            key,
            part_number,
            upload_id,
        } => multipart::part::upload_part(ctx, bucket, key, part_number, upload_id, body).await,
        Endpoint::UploadPartCopy {
            bucket,
            key,
            part_number,
            upload_id,
        } => multipart::part::upload_part_copy(ctx, bucket, key, part_number, upload_id).await,
        Endpoint::CompleteMultipartUpload {
            bucket,
            key,
            upload_id,
        } => {
            multipart::complete::complete_multipart_upload(ctx, bucket, key, upload_id, body).await
        }
        Endpoint::AbortMultipartUpload {
            bucket,
            key,
            upload_id,
        } => multipart::create::abort_multipart_upload(ctx, bucket, key, upload_id).await,
        Endpoint::ListParts {
            bucket,
            key,
            upload_id,
        } => multipart::list::list_parts(ctx, bucket, key, upload_id).await,
        Endpoint::Unsupported { .. } => Err(S3Error::not_implemented()),
        Endpoint::PutBucketPolicy { bucket } => {
            bucket_policy::put_bucket_policy(ctx, bucket, body).await
        }
        Endpoint::GetBucketPolicy { bucket } => bucket_policy::get_bucket_policy(ctx, bucket).await,
        Endpoint::DeleteBucketPolicy { bucket } => {
            bucket_policy::delete_bucket_policy(ctx, bucket).await
        }
        Endpoint::GetBucketAcl { bucket } => acl::get_bucket_acl(ctx, bucket).await,
        Endpoint::PutBucketAcl { bucket } => acl::put_bucket_acl(ctx, bucket, body).await,
        Endpoint::GetObjectAcl { bucket, key } => acl::get_object_acl(ctx, bucket, key).await,
        Endpoint::PutObjectAcl { bucket, key } => acl::put_object_acl(ctx, bucket, key, body).await,
        // Answered by `post_form::post_object` before authentication (the form carries it).
        Endpoint::PostObject { .. } => Err(S3Error::not_implemented()),
        Endpoint::PutBucketCors { bucket } => cors::put_bucket_cors(ctx, bucket, body).await,
        Endpoint::GetBucketCors { bucket } => cors::get_bucket_cors(ctx, bucket).await,
        Endpoint::DeleteBucketCors { bucket } => cors::delete_bucket_cors(ctx, bucket).await,
        // Issue 22: the protocol side lives in sluice-s3 (`xml::parse_notification_configuration`).
        Endpoint::GetBucketNotificationConfiguration { bucket } => {
            notification::get_bucket_notification(ctx, bucket).await
        }
        Endpoint::PutBucketNotificationConfiguration { bucket } => {
            notification::put_bucket_notification(ctx, bucket, body).await
        }
        Endpoint::GetObjectAttributes { bucket, key } => {
            attributes::get_object_attributes(ctx, bucket, key).await
        }
        Endpoint::PutObjectTagging { bucket, key } => {
            tagging::put_object_tagging(ctx, bucket, key, body).await
        }
        Endpoint::GetObjectTagging { bucket, key } => {
            tagging::get_object_tagging(ctx, bucket, key).await
        }
        Endpoint::DeleteObjectTagging { bucket, key } => {
            tagging::delete_object_tagging(ctx, bucket, key).await
        }
        Endpoint::PutBucketTagging { bucket } => {
            tagging::put_bucket_tagging(ctx, bucket, body).await
        }
        Endpoint::GetBucketTagging { bucket } => tagging::get_bucket_tagging(ctx, bucket).await,
        Endpoint::DeleteBucketTagging { bucket } => {
            tagging::delete_bucket_tagging(ctx, bucket).await
        }
        Endpoint::CorsPreflight { bucket, .. } => {
            crate::net::cors::preflight(ctx.state, ctx.parts, Some(bucket)).await
        }
        // Routed to the admin and `/_sluice/` JSON APIs by the pipeline, never here.
        Endpoint::Service { .. } | Endpoint::TusCreate { .. } | Endpoint::TusUpload { .. } => {
            Err(S3Error::not_implemented())
        }
    }
}
