//! Authorization: every request passes [`require_endpoint_allowed`] before its handler runs;
//! handlers that touch a further resource (CopyObject's source, ...) ask [`require_allowed`].
//!
//! Root is always allowed. Everyone else is judged by AWS's logic over the user's attached
//! policies (read when the request arrived), the bucket's policy and canned ACLs, with the
//! condition context of [`crate::auth::condition_context`]. Every deny writes one audit line
//! (tracing target `sluice::audit`).

use crate::auth::authn::Caller;
use crate::auth::condition_context;
use crate::request_ctx::RequestCtx;
use crate::state::AppState;
use http::request::Parts;
use sluice_iam::{
    authorize, bucket_acl_allows, object_acl_allows, resource_arn, AccessRequest, CannedAcl,
    Decision, NamedPolicy, Policy, PolicyKind, PolicySet, Principal, Reason,
};
use sluice_s3::{Endpoint, QueryParams, S3Error};
use std::net::SocketAddr;
use std::sync::Arc;

/// Resource name of the admin API in policies.
pub const ADMIN_RESOURCE: &str = "arn:sluice:::admin";

/// Everything about the request that authorization looks at.
#[derive(Clone, Copy)]
pub struct AuthzInput<'a> {
    /// Shared state.
    pub state: &'a AppState,
    /// The authenticated caller.
    pub caller: &'a Caller,
    /// The routed operation (`None` when a handler checks a further resource).
    pub endpoint: Option<&'a Endpoint>,
    /// Decoded query.
    pub query: &'a QueryParams,
    /// Request head.
    pub parts: &'a Parts,
    /// Client address.
    pub remote: SocketAddr,
}

/// The resource ARN an endpoint acts on.
pub fn endpoint_resource(endpoint: &Endpoint) -> String {
    match endpoint {
        Endpoint::Service { .. } => ADMIN_RESOURCE.to_string(),
        _ => resource_arn(endpoint.bucket(), endpoint.key()),
    }
}

/// Fails with 403 AccessDenied unless the caller may perform `input.endpoint`'s action.
pub async fn require_endpoint_allowed(input: &AuthzInput<'_>) -> Result<(), S3Error> {
    let Some(endpoint) = input.endpoint else {
        return Err(S3Error::access_denied());
    };
    match endpoint {
        // Judged per key in the handler (s3:DeleteObject on each object), as S3 does.
        Endpoint::DeleteObjects { .. } => return Ok(()),
        // Sluice's own service APIs other than admin authorize each call themselves.
        Endpoint::Service { path } if !path.starts_with("admin/") => return Ok(()),
        // Judged in the handler once the body's tags are known (`s3:RequestObjectTag/<k>`):
        // see [`require_endpoint_allowed_with_tags`].
        Endpoint::PutObjectTagging { .. } => return Ok(()),
        _ => {}
    }
    let header_tags = header_tags(endpoint, input.parts);
    let target = Target {
        action: endpoint.action(),
        bucket: endpoint.bucket(),
        key: endpoint.key(),
        resource: endpoint_resource(endpoint),
        bucket_scoped: !matches!(
            endpoint,
            Endpoint::CreateBucket { .. } | Endpoint::Service { .. }
        ),
        request_tags: header_tags.as_deref(),
    };
    check(input, &target).await
}

/// [`require_endpoint_allowed`] for PutObjectTagging, with the tags of its body as the
/// request's tags (`s3:RequestObjectTag/<key>`, `s3:RequestObjectTagKeys`).
pub async fn require_endpoint_allowed_with_tags(
    ctx: &RequestCtx<'_>,
    endpoint: &Endpoint,
    tags: &[(String, String)],
) -> Result<(), S3Error> {
    let input = AuthzInput {
        state: ctx.state,
        caller: ctx.caller,
        endpoint: Some(endpoint),
        query: ctx.query,
        parts: ctx.parts,
        remote: ctx.remote,
    };
    let target = Target {
        action: endpoint.action(),
        bucket: endpoint.bucket(),
        key: endpoint.key(),
        resource: endpoint_resource(endpoint),
        bucket_scoped: true,
        request_tags: Some(tags),
    };
    check(&input, &target).await
}

/// Fails with 403 AccessDenied unless the caller may perform `action` on the bucket or
/// object, judged like the request itself (identity policies, bucket policy, ACLs,
/// conditions). For handlers that touch a further resource, e.g. CopyObject's source.
pub async fn require_allowed(
    ctx: &RequestCtx<'_>,
    action: &str,
    bucket: Option<&str>,
    key: Option<&str>,
) -> Result<(), S3Error> {
    let input = AuthzInput {
        state: ctx.state,
        caller: ctx.caller,
        endpoint: None,
        query: ctx.query,
        parts: ctx.parts,
        remote: ctx.remote,
    };
    let target = Target {
        action,
        bucket,
        key,
        resource: resource_arn(bucket, key),
        bucket_scoped: bucket.is_some(),
        request_tags: None,
    };
    check(&input, &target).await
}

/// Fails with 403 AccessDenied unless the caller is root or may `sluice:Admin`.
pub async fn require_admin(ctx: &RequestCtx<'_>) -> Result<(), S3Error> {
    let input = AuthzInput {
        state: ctx.state,
        caller: ctx.caller,
        endpoint: None,
        query: ctx.query,
        parts: ctx.parts,
        remote: ctx.remote,
    };
    let target = Target {
        action: "sluice:Admin",
        bucket: None,
        key: None,
        resource: ADMIN_RESOURCE.to_string(),
        bucket_scoped: false,
        request_tags: None,
    };
    check(&input, &target).await
}

/// Like [`require_endpoint_allowed`] for a further action on the endpoint's own resource
/// (e.g. `s3:PutObjectAcl` when PutObject carries `x-amz-acl`).
pub async fn require_allowed_on_action(
    input: &AuthzInput<'_>,
    action: &str,
) -> Result<(), S3Error> {
    let Some(endpoint) = input.endpoint else {
        return Err(S3Error::access_denied());
    };
    let header_tags = header_tags(endpoint, input.parts);
    let target = Target {
        action,
        bucket: endpoint.bucket(),
        key: endpoint.key(),
        resource: endpoint_resource(endpoint),
        bucket_scoped: !matches!(endpoint, Endpoint::CreateBucket { .. }),
        request_tags: header_tags.as_deref(),
    };
    check(input, &target).await
}

/// The tags a new object's `x-amz-tagging` gives it, for the tag condition keys (a bad header
/// is refused by the handler). CopyObject's count whatever its directive: a policy on them
/// judges what the request asks for.
fn header_tags(endpoint: &Endpoint, parts: &Parts) -> Option<Vec<(String, String)>> {
    match endpoint {
        Endpoint::PutObject { .. }
        | Endpoint::CreateMultipartUpload { .. }
        | Endpoint::CopyObject { .. } => crate::ops::tagging::header_tags(parts).ok(),
        _ => None,
    }
}

/// What is being accessed.
struct Target<'a> {
    action: &'a str,
    bucket: Option<&'a str>,
    key: Option<&'a str>,
    resource: String,
    /// Whether the bucket's policy and ACL apply (not for CreateBucket or the admin API).
    bucket_scoped: bool,
    /// The tags the request gives the object, if it gives any (`s3:RequestObjectTag/<k>`).
    request_tags: Option<&'a [(String, String)]>,
}

/// Actions whose policies may test the object's current tags (`s3:ExistingObjectTag/<k>`), as
/// AWS lists them.
const EXISTING_TAG_ACTIONS: [&str; 6] = [
    "s3:GetObject",
    "s3:GetObjectAcl",
    "s3:PutObjectAcl",
    "s3:GetObjectTagging",
    "s3:PutObjectTagging",
    "s3:DeleteObjectTagging",
];

/// Whether the caller may perform `action` on the bucket or object, judged as
/// [`require_allowed`] judges it, without an audit line for a deny: for filtering what a caller
/// is shown (the events feed), not for refusing a request.
pub async fn is_allowed(
    ctx: &RequestCtx<'_>,
    action: &str,
    bucket: &str,
    key: &str,
) -> Result<bool, S3Error> {
    let input = AuthzInput {
        state: ctx.state,
        caller: ctx.caller,
        endpoint: None,
        query: ctx.query,
        parts: ctx.parts,
        remote: ctx.remote,
    };
    let target = Target {
        action,
        bucket: Some(bucket),
        key: Some(key),
        resource: resource_arn(Some(bucket), Some(key)),
        bucket_scoped: true,
        request_tags: None,
    };
    Ok(judge(&input, &target).await?.is_ok())
}

async fn check(input: &AuthzInput<'_>, target: &Target<'_>) -> Result<(), S3Error> {
    let Err(why) = judge(input, target).await? else {
        return Ok(());
    };
    let caller = input.caller;
    tracing::info!(
        target: "sluice::audit",
        principal = caller.principal.display_name(),
        access_key = caller.access_key_id().unwrap_or_default(),
        action = target.action,
        resource = target.resource,
        auth = caller.auth_type(),
        reason = why,
        "access denied"
    );
    Err(S3Error::access_denied())
}

/// The decision: `Ok(Ok(()))` allowed, `Ok(Err(why))` denied.
async fn judge(input: &AuthzInput<'_>, target: &Target<'_>) -> Result<Result<(), String>, S3Error> {
    let caller = input.caller;
    if matches!(caller.principal, Principal::Root { .. }) {
        return Ok(Ok(()));
    }
    let endpoint = input.endpoint;
    let action = target.action;
    let resource = &target.resource;
    let (bucket_policy, acl_allows) = if target.bucket_scoped {
        (
            load_bucket_policy(input.state, target.bucket).await?,
            acl_allows(input, target).await?,
        )
    } else {
        (None, false)
    };
    let identity: Vec<NamedPolicy<'_>> = caller
        .policies
        .iter()
        .map(|(name, policy)| NamedPolicy {
            name,
            policy: policy.as_ref(),
        })
        .collect();
    let existing_tags = match (target.bucket, target.key) {
        (Some(bucket), Some(key)) if EXISTING_TAG_ACTIONS.contains(&action) => input
            .state
            .meta
            .get_object(bucket, key)
            .await
            .map_err(internal)?
            .map(|m| m.tags),
        _ => None,
    };
    let context = condition_context::build(
        input.state,
        caller,
        endpoint,
        input.query,
        input.parts,
        input.remote,
        &condition_context::TagFacts {
            request: target.request_tags,
            existing: existing_tags.as_deref(),
        },
    );
    let evaluation = authorize(
        &AccessRequest {
            principal: &caller.principal,
            action,
            resource,
            context: &context,
        },
        &PolicySet {
            identity: &identity,
            bucket: bucket_policy.as_deref(),
            acl_allows,
        },
    );
    if evaluation.decision == Decision::Allow {
        return Ok(Ok(()));
    }
    Ok(Err(match &evaluation.reason {
        Reason::ExplicitDeny { policy, statement } => {
            format!("explicit deny by policy {policy} statement {statement}")
        }
        _ => "no allow".to_string(),
    }))
}

async fn load_bucket_policy(
    state: &AppState,
    bucket: Option<&str>,
) -> Result<Option<Arc<Policy>>, S3Error> {
    let Some(bucket) = bucket else {
        return Ok(None);
    };
    let doc = state.access.bucket_policy(bucket).await.map_err(internal)?;
    Ok(
        doc.and_then(|d| match state.policy_cache.get(&d, PolicyKind::Bucket) {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::warn!(bucket, error = %e, "stored bucket policy ignored");
                None
            }
        }),
    )
}

/// Whether a canned ACL on the object or bucket grants the action.
async fn acl_allows(input: &AuthzInput<'_>, target: &Target<'_>) -> Result<bool, S3Error> {
    let authenticated = input.caller.auth.is_some();
    let access = &input.state.access;
    let action = target.action;
    match (target.bucket, target.key) {
        (Some(bucket), Some(key)) if action == "s3:GetObject" => {
            let acl = access.object_acl(bucket, key).await.map_err(internal)?;
            Ok(acl
                .and_then(|a| CannedAcl::parse(&a))
                .is_some_and(|a| object_acl_allows(a, authenticated, action)))
        }
        (Some(bucket), _)
            if [
                "s3:ListBucket",
                "s3:ListBucketVersions",
                "s3:ListBucketMultipartUploads",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
            ]
            .contains(&action) =>
        {
            let acl = access.bucket_acl(bucket).await.map_err(internal)?;
            Ok(acl
                .and_then(|a| CannedAcl::parse(&a))
                .is_some_and(|a| bucket_acl_allows(a, authenticated, action)))
        }
        _ => Ok(false),
    }
}

fn internal(e: sluice_store::StoreError) -> S3Error {
    tracing::error!(error = %e, "access store failed");
    S3Error::internal_error()
}
