//! Signing requests with SigV4 `Authorization` headers (CLI, tests, server-minted requests).

use std::fmt;

use time::OffsetDateTime;

use crate::canonical::{
    canonical_headers_from_pairs, canonical_query_string, canonical_request, canonical_uri,
    credential_scope, sign_string, string_to_sign, ALGORITHM,
};
use crate::datetime::{format_amz_date, format_date_stamp};
use crate::signing_key::derive_signing_key;

/// An access key pair, with the session token of temporary credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Session token (`x-amz-security-token`), if any.
    pub session_token: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// A request to sign with an `Authorization` header.
#[derive(Debug, Clone, Copy)]
pub struct SigningRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// `host[:port]` exactly as sent in `Host`.
    pub host: &'a str,
    /// Path as sent (already encoded, e.g. from [`encode_object_path`](crate::encode_object_path)).
    pub raw_path: &'a str,
    /// Query as sent (already encoded), without `?`; may be empty.
    pub raw_query: &'a str,
    /// Extra headers to sign besides `host`, `x-amz-date`, `x-amz-content-sha256`
    /// and `x-amz-security-token` (which are added).
    pub headers: &'a [(String, String)],
    /// `x-amz-content-sha256` value: hex SHA-256 of the body, `UNSIGNED-PAYLOAD` or a `STREAMING-*` value.
    pub payload_hash: &'a str,
    /// Region of the credential scope.
    pub region: &'a str,
    /// Service of the credential scope (`s3`).
    pub service: &'a str,
    /// Signing time.
    pub datetime: OffsetDateTime,
}

/// Every intermediate of a SigV4 signature, for tests and debugging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureParts {
    /// The canonical request.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
    /// `SignedHeaders` (`;`-separated, sorted).
    pub signed_headers: String,
    /// Credential scope.
    pub scope: String,
    /// Hex signature.
    pub signature: String,
}

/// Names set by the signer itself; copies in `SigningRequest::headers` are dropped.
const SIGNER_HEADERS: &[&str] = &[
    "host",
    "x-amz-date",
    "x-amz-content-sha256",
    "x-amz-security-token",
    "authorization",
];

/// Computes the SigV4 signature of already-canonical URI and query parts over the
/// given headers (all of which are signed).
pub fn signature_parts(
    secret_access_key: &str,
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    headers: &[(String, String)],
    payload_hash: &str,
    scope: (&str, &str, OffsetDateTime),
) -> SignatureParts {
    let (region, service, datetime) = scope;
    let (block, names) = canonical_headers_from_pairs(headers);
    let signed_headers = names.join(";");
    let canonical = canonical_request(
        method,
        canonical_uri,
        canonical_query,
        &block,
        &signed_headers,
        payload_hash,
    );
    let date = format_date_stamp(datetime);
    let scope = credential_scope(&date, region, service);
    let sts = string_to_sign(&format_amz_date(datetime), &scope, &canonical);
    let key = derive_signing_key(secret_access_key, &date, region, service);
    SignatureParts {
        signature: sign_string(&key, &sts),
        canonical_request: canonical,
        string_to_sign: sts,
        signed_headers,
        scope,
    }
}

/// Signs a request for header authentication and returns the headers to add:
/// `authorization`, `x-amz-date`, `x-amz-content-sha256` and, with a session
/// token, `x-amz-security-token`. The request must also carry `host: req.host`
/// and every header of `req.headers`.
pub fn sign_headers_v4(creds: &Credentials, req: &SigningRequest) -> Vec<(String, String)> {
    let amz_date = format_amz_date(req.datetime);
    let mut added = vec![
        ("x-amz-date".to_owned(), amz_date),
        (
            "x-amz-content-sha256".to_owned(),
            req.payload_hash.to_owned(),
        ),
    ];
    if let Some(token) = &creds.session_token {
        added.push(("x-amz-security-token".to_owned(), token.clone()));
    }
    let mut signed: Vec<(String, String)> = vec![("host".to_owned(), req.host.to_owned())];
    signed.extend(
        req.headers
            .iter()
            .filter(|(n, _)| !SIGNER_HEADERS.contains(&n.to_ascii_lowercase().as_str()))
            .cloned(),
    );
    signed.extend(added.iter().cloned());
    let parts = signature_parts(
        &creds.secret_access_key,
        req.method,
        &canonical_uri(req.raw_path),
        &canonical_query_string(req.raw_query, &[]),
        &signed,
        req.payload_hash,
        (req.region, req.service, req.datetime),
    );
    let authorization = format!(
        "{ALGORITHM} Credential={}/{}, SignedHeaders={}, Signature={}",
        creds.access_key_id, parts.scope, parts.signed_headers, parts.signature
    );
    let mut out = vec![("authorization".to_owned(), authorization)];
    out.extend(added);
    out
}

/// Extracts `Signature=` from an `Authorization: AWS4-HMAC-SHA256 ...` value
/// among headers (the seed signature of an aws-chunked upload).
pub fn seed_signature(headers: &[(String, String)]) -> Option<String> {
    let (_, value) = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))?;
    value
        .split(',')
        .filter_map(|part| part.trim().strip_prefix("Signature="))
        .map(|sig| sig.trim().to_owned())
        .next()
}
