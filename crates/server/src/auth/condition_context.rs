//! The condition keys of a request, computed by the server from the verified request and
//! the connection — never copied from headers a client could set freely.

use crate::auth::authn::Caller;
use crate::net::headers::header;
use crate::state::AppState;
use http::request::Parts;
use sluice_iam::{keys, ConditionContext, Principal};
use sluice_s3::xml::iso8601_millis;
use sluice_s3::{Endpoint, QueryParams};
use sluice_sigv4::{AuthKind, SignatureVersion};
use std::net::SocketAddr;

/// The tags a request's condition keys describe.
#[derive(Clone, Copy, Debug, Default)]
pub struct TagFacts<'a> {
    /// Tags the request gives the object (`x-amz-tagging`, PutObjectTagging's body):
    /// `s3:RequestObjectTag/<key>` and `s3:RequestObjectTagKeys`.
    pub request: Option<&'a [(String, String)]>,
    /// Tags of the object as stored: `s3:ExistingObjectTag/<key>`.
    pub existing: Option<&'a [(String, String)]>,
}

/// Builds the condition context for `caller` doing `endpoint` (list keys only for listings,
/// tag keys from `tags`).
pub fn build(
    state: &AppState,
    caller: &Caller,
    endpoint: Option<&Endpoint>,
    query: &QueryParams,
    parts: &Parts,
    remote: SocketAddr,
    tags: &TagFacts<'_>,
) -> ConditionContext {
    let now_ms = state.clock.now_ms();
    let mut ctx = ConditionContext::new();
    ctx.set(keys::SOURCE_IP, remote.ip().to_canonical().to_string())
        .set(keys::CURRENT_TIME, iso8601_millis(now_ms))
        .set(keys::EPOCH_TIME, (now_ms.div_euclid(1000)).to_string())
        .set(
            keys::SECURE_TRANSPORT,
            if crate::net::tls::is_over_tls(parts) {
                "true"
            } else {
                "false"
            },
        );
    if let Principal::User { name, .. } = &caller.principal {
        ctx.set(keys::USERNAME, name.as_str());
    }
    if let Some(auth) = &caller.auth {
        ctx.set(keys::AUTH_TYPE, caller.auth_type());
        let signed_ms = (auth.request_time.unix_timestamp_nanos() / 1_000_000) as i64;
        ctx.set(keys::SIGNATURE_AGE, (now_ms - signed_ms).max(0).to_string());
        ctx.set(
            keys::SIGNATURE_VERSION,
            match auth.signature_version {
                SignatureVersion::V4 => "AWS4-HMAC-SHA256",
                SignatureVersion::V2 => "AWS",
            },
        );
        // The payload hash only counts when the signature covered it.
        if auth
            .signed_headers
            .iter()
            .any(|h| h == "x-amz-content-sha256")
        {
            if let Some(v) = header(parts, "x-amz-content-sha256") {
                ctx.set(keys::CONTENT_SHA256, v);
            }
        } else if auth.kind == AuthKind::QueryV4 {
            ctx.set(keys::CONTENT_SHA256, "UNSIGNED-PAYLOAD");
        }
    }
    if matches!(
        endpoint,
        Some(
            Endpoint::ListObjects { .. }
                | Endpoint::ListObjectsV2 { .. }
                | Endpoint::ListObjectVersions { .. }
        )
    ) {
        for (param, key) in [
            ("prefix", keys::PREFIX),
            ("delimiter", keys::DELIMITER),
            ("max-keys", keys::MAX_KEYS),
        ] {
            if let Some(v) = query.get(param) {
                ctx.set(key, v);
            }
        }
    }
    if let Some(request) = tags.request {
        for (k, v) in request {
            ctx.set(
                &format!("{}{k}", keys::REQUEST_OBJECT_TAG_PREFIX),
                v.as_str(),
            );
        }
        ctx.set_many(
            keys::REQUEST_OBJECT_TAG_KEYS,
            request.iter().map(|(k, _)| k.clone()).collect(),
        );
    }
    for (k, v) in tags.existing.unwrap_or_default() {
        ctx.set(
            &format!("{}{k}", keys::EXISTING_OBJECT_TAG_PREFIX),
            v.as_str(),
        );
    }
    ctx
}
