//! Stage 6, dispatch: the S3 operation ([`crate::ops::dispatch`]), the admin API ([`crate::admin`]) or the
//! `/_sluice/` JSON API ([`crate::service_api`]); then the canned ACL the request asked for.

use crate::body::body_in::BodyReader;
use crate::net::response::ResponseBody;
use crate::request_ctx::RequestCtx;
use http::Response;
use sluice_iam::CannedAcl;
use sluice_s3::{Endpoint, S3Error};

/// Runs the endpoint's handler and, once it succeeded, applies the `x-amz-acl` the request carried.
pub(crate) async fn dispatch(
    ctx: &RequestCtx<'_>,
    endpoint: &Endpoint,
    body: &mut BodyReader,
    canned_acl: Option<CannedAcl>,
) -> Result<Response<ResponseBody>, S3Error> {
    let resp = match endpoint {
        Endpoint::Service { path } if path.starts_with("admin/") => {
            crate::admin::handle(ctx, path, body).await?
        }
        Endpoint::Service { path } => crate::service_api::dispatch(ctx, path, body).await,
        Endpoint::TusCreate { bucket, key } => {
            crate::tus::create::create(ctx, bucket, key, body).await?
        }
        _ => crate::ops::dispatch(ctx, endpoint, body).await?,
    };
    crate::ops::acl::apply_requested_acl(ctx, endpoint, canned_acl).await?;
    Ok(resp)
}
