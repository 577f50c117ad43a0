//! Stage 2, authenticate: who signed the request (SigV4 / SigV2, header or presigned, or anonymous), and the
//! signed query parameters a presigned URL turns into headers.

use crate::auth::authn::{authenticate, Caller};
use crate::body::body_in::read_small_body;
use crate::net::headers::header;
use crate::pipeline::access_log::{presigned_failure, LogFields};
use crate::pipeline::constraints::check_wanted_content_type;
use crate::state::AppState;
use bytes::Bytes;
use http::request::Parts;
use hyper::body::Incoming;
use sluice_s3::{Endpoint, QueryParams, Routed, S3Error};
use sluice_sigv4::{AuthKind, PayloadCheck, RequestView};

/// An authenticated request.
pub(crate) struct Authenticated {
    /// Who signed it.
    pub caller: Caller,
    /// How its payload is to be checked.
    pub payload: PayloadCheck,
    /// The kind of presigned URL, for presigned requests.
    pub presign_kind: Option<AuthKind>,
    /// A `/_sluice/` body read whole to hash it, to be handed to the handler.
    pub prefetched: Option<Bytes>,
}

/// Checks the request's signature; for a presigned URL, promotes its signed `x-amz-*` query parameters to
/// headers afterwards.
pub(crate) async fn authenticate_request(
    state: &AppState,
    parts: &mut Parts,
    unread: &mut Option<Incoming>,
    query: &QueryParams,
    routed: &Routed,
    log: &mut LogFields,
    remote: std::net::SocketAddr,
) -> Result<Authenticated, S3Error> {
    let raw_path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let mut headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    // Behind a trusted proxy (`--trust-forwarded`) the request is judged for the host it forwarded.
    if let Some(host) =
        crate::net::public_url::trusted_forwarded_host(&state.config, parts, remote.ip())
    {
        headers = crate::auth::public_hosts::with_host(&headers, &host);
    }
    let prefetched = match unread.as_mut() {
        Some(incoming) if needs_body_hash(&routed.endpoint, parts) => {
            let body =
                read_small_body(incoming, MAX_HASHED_BODY, state.config.body_idle_timeout).await?;
            // The payload hash the signer put in its canonical request, as AWS's JSON services
            // take it: the body's SHA-256 (not a signed header; the signature covers it anyway).
            headers.push((
                "x-amz-content-sha256".to_string(),
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body)),
            ));
            Some(body)
        }
        _ => None,
    };
    let view = RequestView {
        method: parts.method.as_str(),
        raw_path: &raw_path,
        raw_query: &raw_query,
        headers: &headers,
    };
    let (caller, payload) = authenticate(state, &view, routed.virtual_host_bucket.as_deref())
        .await
        .map_err(|e| {
            if !is_presigned(query) {
                return e;
            }
            // A wrong Content-Type fails a URL that signs the header: the URL's
            // x-sluice-content-type says which type it wants.
            let e = match check_wanted_content_type(parts, query) {
                Err(wanted) if e.code == "SignatureDoesNotMatch" => wanted,
                _ => e,
            };
            log.presigned_outcome = Some(presigned_failure(&e));
            e
        })?;
    log.auth = caller.auth_type();
    log.access_key = caller.access_key_id().unwrap_or_default().to_string();
    let presign_kind = caller
        .auth
        .as_ref()
        .map(|a| a.kind)
        .filter(|k| k.is_presigned());
    if presign_kind.is_some() {
        promote_signed_query_headers(parts, query);
    }
    Ok(Authenticated {
        caller,
        payload,
        presign_kind,
        prefetched,
    })
}

/// Whether the query carries a presigned URL's signature (SigV4 or SigV2), valid or not.
pub(crate) fn is_presigned(query: &QueryParams) -> bool {
    query.has("X-Amz-Signature") || query.has("X-Amz-Algorithm") || query.has("AWSAccessKeyId")
}

/// Largest body of a `/_sluice/` request signed without `x-amz-content-sha256`, read whole to hash it.
const MAX_HASHED_BODY: usize = 1 << 20;

/// A `/_sluice/` call signed with SigV4 header auth but without `x-amz-content-sha256`, as generic
/// SigV4 signers (botocore's `SigV4Auth`, `aws4`, Go's `v4.Signer`) send it: the server hashes the body.
fn needs_body_hash(endpoint: &Endpoint, parts: &Parts) -> bool {
    matches!(endpoint, Endpoint::Service { .. })
        && !parts.headers.contains_key("x-amz-content-sha256")
        && header(parts, "authorization").is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256 "))
}

/// Query parameters of a presigned URL that name `x-amz-*` headers (`x-amz-acl`,
/// `x-amz-meta-*`, ...) were covered by the signature; S3 treats them as headers.
///
/// Checksum parameters (`x-amz-checksum-*`, `x-amz-sdk-checksum-algorithm`) are the exception:
/// S3 ignores them in a presigned query (its presigned URLs do not support flexible checksums).
/// Today's SDKs put them there by default: the AWS SDK for JavaScript v3 presigns `PutObject`
/// with `x-amz-checksum-crc32=AAAAAA%3D%3D` (the CRC32 of the empty body it had at signing time)
/// and `x-amz-sdk-checksum-algorithm=CRC32`; honouring them would refuse every real upload.
fn promote_signed_query_headers(parts: &mut Parts, query: &QueryParams) {
    const AUTH_PARAMS: [&str; 7] = [
        "x-amz-algorithm",
        "x-amz-credential",
        "x-amz-date",
        "x-amz-expires",
        "x-amz-signedheaders",
        "x-amz-signature",
        "x-amz-security-token",
    ];
    for (name, value) in query.pairs() {
        let lower = name.to_ascii_lowercase();
        if !lower.starts_with("x-amz-")
            || AUTH_PARAMS.contains(&lower.as_str())
            || lower.starts_with("x-amz-checksum-")
            || lower == "x-amz-sdk-checksum-algorithm"
        {
            continue;
        }
        if let (Ok(n), Ok(v)) = (
            http::header::HeaderName::from_bytes(lower.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            parts.headers.entry(n).or_insert(v);
        }
    }
}
