//! Put/Get/DeleteBucketPolicy: a bucket's own policy, judged together with identity policies.

use crate::body::body_in::BodyReader;
use crate::net::response::{self, ResponseBody};
use crate::ops::lookup::{require_bucket, store_err};
use crate::request_ctx::RequestCtx;
use http::Response;
use sluice_iam::{Policy, PolicyKind, ResourceMatch};
use sluice_s3::S3Error;

/// Largest bucket policy AWS accepts (20 KB).
const MAX_POLICY_BYTES: usize = 20 * 1024;

/// `PUT /bucket?policy`: validates (syntax with position, principals, resources in this
/// bucket) and stores the document.
pub async fn put_bucket_policy(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    body: &mut BodyReader,
) -> Result<Response<ResponseBody>, S3Error> {
    require_bucket(ctx, bucket).await?;
    let bytes = body.read_to_end(MAX_POLICY_BYTES).await?;
    let text = String::from_utf8(bytes)
        .map_err(|_| S3Error::malformed_policy("Policies must be valid UTF-8"))?;
    let policy = Policy::parse(&text, PolicyKind::Bucket)
        .map_err(|e| S3Error::malformed_policy(e.to_string()))?;
    check_resources(&policy, bucket)?;
    ctx.state
        .access
        .put_bucket_policy(bucket, &text)
        .await
        .map_err(store_err)?;
    Ok(response::empty(204))
}

/// Every `Resource` must name this bucket or objects in it, as S3 requires.
fn check_resources(policy: &Policy, bucket: &str) -> Result<(), S3Error> {
    let own = format!("arn:aws:s3:::{bucket}");
    for st in &policy.statements {
        let patterns = match &st.resources {
            ResourceMatch::Resource(p) | ResourceMatch::NotResource(p) => p,
        };
        for p in patterns {
            let ok = p == &own
                || p.strip_prefix(own.as_str())
                    .is_some_and(|r| r.starts_with('/'));
            if !ok {
                return Err(S3Error::malformed_policy(format!(
                    "Policy has invalid resource: {p}"
                )));
            }
        }
    }
    Ok(())
}

/// `GET /bucket?policy`: the stored document, or NoSuchBucketPolicy.
pub async fn get_bucket_policy(
    ctx: &RequestCtx<'_>,
    bucket: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    require_bucket(ctx, bucket).await?;
    let doc = ctx
        .state
        .access
        .bucket_policy(bucket)
        .await
        .map_err(store_err)?
        .ok_or_else(|| S3Error::no_such_bucket_policy(bucket))?;
    let mut r = Response::new(response::full_body(doc));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    Ok(r)
}

/// `DELETE /bucket?policy`: 204 whether or not there was one.
pub async fn delete_bucket_policy(
    ctx: &RequestCtx<'_>,
    bucket: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    require_bucket(ctx, bucket).await?;
    ctx.state
        .access
        .delete_bucket_policy(bucket)
        .await
        .map_err(store_err)?;
    Ok(response::empty(204))
}
