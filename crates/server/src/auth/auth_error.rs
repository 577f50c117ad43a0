//! Turning signature failures into S3 error responses with AWS's extra elements.

use sluice_s3::xml::iso8601_millis;
use sluice_s3::S3Error;
use sluice_sigv4::AuthError;
use time::OffsetDateTime;

fn iso(t: OffsetDateTime) -> String {
    iso8601_millis((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Converts an authentication error into the S3 error AWS would answer.
pub fn auth_error_to_s3(err: &AuthError) -> S3Error {
    let base = S3Error::new(err.code(), err.http_status(), err.to_string());
    match err {
        AuthError::Expired {
            expires_in,
            expires_at,
            server_time,
        } => {
            let mut e = base;
            if let Some(secs) = expires_in {
                e = e.with_detail("X-Amz-Expires", secs.to_string());
            }
            e.with_detail("Expires", iso(*expires_at))
                .with_detail("ServerTime", iso(*server_time))
        }
        AuthError::NotYetValid {
            request_time,
            server_time,
            ..
        } => base
            .with_detail("X-Amz-Date", iso(*request_time))
            .with_detail("ServerTime", iso(*server_time)),
        AuthError::RequestTimeTooSkewed {
            request_time,
            server_time,
            max_skew_ms,
        } => base
            .with_detail("RequestTime", iso(*request_time))
            .with_detail("ServerTime", iso(*server_time))
            .with_detail("MaxAllowedSkewMilliseconds", max_skew_ms.to_string()),
        AuthError::HeadersNotSigned(names) => {
            base.with_detail("HeadersNotSigned", names.join(", "))
        }
        AuthError::SignatureDoesNotMatch(m) => {
            let mut e = base
                .with_detail("AWSAccessKeyId", m.access_key_id.clone())
                .with_detail("StringToSign", m.string_to_sign.clone())
                .with_detail("SignatureProvided", m.signature_provided.clone())
                .with_detail("StringToSignBytes", m.string_to_sign_bytes.clone());
            if !m.canonical_request.is_empty() {
                e = e
                    .with_detail("CanonicalRequest", m.canonical_request.clone())
                    .with_detail("CanonicalRequestBytes", m.canonical_request_bytes.clone());
            }
            e
        }
        AuthError::XAmzContentSha256Mismatch {
            client_computed,
            s3_computed,
        } => base
            .with_detail("ClientComputedContentSHA256", client_computed.clone())
            .with_detail("S3ComputedContentSHA256", s3_computed.clone()),
        _ => base,
    }
}

/// `InvalidAccessKeyId`: the key is unknown.
pub fn invalid_access_key_id(access_key_id: &str) -> S3Error {
    S3Error::new(
        "InvalidAccessKeyId",
        403,
        "The AWS Access Key Id you provided does not exist in our records.",
    )
    .with_detail("AWSAccessKeyId", access_key_id)
}
