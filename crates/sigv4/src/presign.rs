//! Presigned SigV4 URLs (query-string authentication).

use time::OffsetDateTime;

use crate::canonical::{canonical_query_from_pairs, canonical_uri, ALGORITHM, UNSIGNED_PAYLOAD};
use crate::datetime::format_amz_date;
use crate::sign::{signature_parts, Credentials};

/// A request to presign.
#[derive(Debug, Clone, Copy)]
pub struct PresignRequest<'a> {
    /// HTTP method the URL is valid for.
    pub method: &'a str,
    /// `host[:port]` exactly as the client will send it in `Host`.
    pub host: &'a str,
    /// Path as it will be sent (already encoded).
    pub raw_path: &'a str,
    /// Extra query parameters, unencoded (they are encoded here).
    pub query: &'a [(String, String)],
    /// Extra signed headers besides `host`; the client must send them verbatim.
    pub headers: &'a [(String, String)],
    /// Region of the credential scope.
    pub region: &'a str,
    /// Service of the credential scope (`s3`).
    pub service: &'a str,
    /// Signing time (`X-Amz-Date`).
    pub datetime: OffsetDateTime,
    /// Validity in seconds (`X-Amz-Expires`, 1..=604800).
    pub expires_in: u64,
}

/// Presigns a request with `UNSIGNED-PAYLOAD`. Returns the complete encoded query
/// string (extra parameters, `X-Amz-*` parameters, `X-Amz-Security-Token` with a
/// session token, and `X-Amz-Signature` last).
pub fn presign_v4(creds: &Credentials, req: &PresignRequest) -> String {
    presign_v4_with_payload_hash(creds, req, UNSIGNED_PAYLOAD)
}

/// Like [`presign_v4`] with an explicit payload-hash line in the canonical request
/// (non-S3 services sign the body hash; S3 uses `UNSIGNED-PAYLOAD`).
pub fn presign_v4_with_payload_hash(
    creds: &Credentials,
    req: &PresignRequest,
    payload_hash: &str,
) -> String {
    let mut headers: Vec<(String, String)> = vec![("host".to_owned(), req.host.to_owned())];
    headers.extend(
        req.headers
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("host"))
            .cloned(),
    );
    let (_, names) = crate::canonical::canonical_headers_from_pairs(&headers);
    let date = crate::datetime::format_date_stamp(req.datetime);
    let scope = crate::canonical::credential_scope(&date, req.region, req.service);
    let mut params: Vec<(String, String)> = req.query.to_vec();
    params.push(("X-Amz-Algorithm".to_owned(), ALGORITHM.to_owned()));
    params.push((
        "X-Amz-Credential".to_owned(),
        format!("{}/{scope}", creds.access_key_id),
    ));
    params.push(("X-Amz-Date".to_owned(), format_amz_date(req.datetime)));
    params.push(("X-Amz-Expires".to_owned(), req.expires_in.to_string()));
    params.push(("X-Amz-SignedHeaders".to_owned(), names.join(";")));
    if let Some(token) = &creds.session_token {
        params.push(("X-Amz-Security-Token".to_owned(), token.clone()));
    }
    let canonical_query = canonical_query_from_pairs(&params);
    let parts = signature_parts(
        &creds.secret_access_key,
        req.method,
        &canonical_uri(req.raw_path),
        &canonical_query,
        &headers,
        payload_hash,
        (req.region, req.service, req.datetime),
    );
    format!("{canonical_query}&X-Amz-Signature={}", parts.signature)
}
