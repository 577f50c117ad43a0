//! The one error type of the crate, carrying AWS's code, HTTP status and message.

use time::OffsetDateTime;

/// Details AWS echoes back in a `SignatureDoesNotMatch` error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureMismatch {
    /// Access key the request claimed.
    pub access_key_id: String,
    /// The string to sign the server computed.
    pub string_to_sign: String,
    /// `string_to_sign` as space-separated hex bytes (`StringToSignBytes`).
    pub string_to_sign_bytes: String,
    /// The canonical request the server computed (empty for SigV2 and chunk signatures).
    pub canonical_request: String,
    /// `canonical_request` as space-separated hex bytes (`CanonicalRequestBytes`).
    pub canonical_request_bytes: String,
    /// The signature the client sent.
    pub signature_provided: String,
}

impl SignatureMismatch {
    pub(crate) fn new(
        access_key_id: &str,
        string_to_sign: String,
        canonical_request: String,
        signature_provided: &str,
    ) -> Self {
        SignatureMismatch {
            access_key_id: access_key_id.to_owned(),
            string_to_sign_bytes: crate::crypto::spaced_hex(string_to_sign.as_bytes()),
            string_to_sign,
            canonical_request_bytes: crate::crypto::spaced_hex(canonical_request.as_bytes()),
            canonical_request,
            signature_provided: signature_provided.to_owned(),
        }
    }
}

/// Every way authentication can fail. `Display` gives AWS's message text,
/// [`AuthError::code`] the S3 error code and [`AuthError::http_status`] the status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// 400 `InvalidArgument` (e.g. two auth mechanisms, bad `x-amz-content-sha256`).
    #[error("{0}")]
    InvalidArgument(String),
    /// 400 `InvalidRequest` (e.g. missing `x-amz-content-sha256`).
    #[error("{0}")]
    InvalidRequest(String),
    /// 400 `AuthorizationHeaderMalformed`.
    #[error("{0}")]
    AuthorizationHeaderMalformed(String),
    /// 400 `AuthorizationQueryParametersError`.
    #[error("{0}")]
    AuthorizationQueryParametersError(String),
    /// 403 `AccessDenied` with a specific message (e.g. SigV2 query parameters missing).
    #[error("{0}")]
    AccessDenied(String),
    /// 403 `AccessDenied`: neither `x-amz-date` nor `Date` holds a valid date.
    #[error("AWS authentication requires a valid Date or x-amz-date header")]
    MissingDate,
    /// 403 `RequestTimeTooSkewed`.
    #[error("The difference between the request time and the current time is too large.")]
    RequestTimeTooSkewed {
        /// Time claimed by the request.
        request_time: OffsetDateTime,
        /// Server time when the request started.
        server_time: OffsetDateTime,
        /// Allowed skew in milliseconds (`MaxAllowedSkewMilliseconds`).
        max_skew_ms: u64,
    },
    /// 403 `AccessDenied` "Request has expired" (presigned URLs).
    #[error("Request has expired")]
    Expired {
        /// `X-Amz-Expires` in seconds (None for SigV2, which carries an absolute time).
        expires_in: Option<u64>,
        /// When the grant ended.
        expires_at: OffsetDateTime,
        /// Server time when the request started.
        server_time: OffsetDateTime,
    },
    /// 403 `AccessDenied` "Request is not yet valid": `X-Amz-Date` lies further in
    /// the future than the allowed clock skew.
    #[error("Request is not yet valid")]
    NotYetValid {
        /// `X-Amz-Date` of the presigned request.
        request_time: OffsetDateTime,
        /// When the grant would end.
        expires_at: OffsetDateTime,
        /// Server time when the request started.
        server_time: OffsetDateTime,
    },
    /// 403 `AccessDenied`: `x-amz-*` headers present but not signed (`HeadersNotSigned`).
    #[error("There were headers present in the request which were not signed")]
    HeadersNotSigned(Vec<String>),
    /// 403 `SignatureDoesNotMatch` (request, chunk or trailer signature).
    #[error("The request signature we calculated does not match the signature you provided. Check your key and signing method.")]
    SignatureDoesNotMatch(Box<SignatureMismatch>),
    /// 403 `AccessDenied`: a SigV2 request reached a server that disallows SigV2.
    #[error("Signature Version 2 is not allowed on this server; please use AWS4-HMAC-SHA256.")]
    SignatureV2Disabled,
    /// 400 `XAmzContentSHA256Mismatch`.
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    XAmzContentSha256Mismatch {
        /// Hex hash the client declared.
        client_computed: String,
        /// Hex hash of the body actually received.
        s3_computed: String,
    },
    /// 400 `IncompleteBody`: the body ended before the aws-chunked stream did, or the
    /// decoded length differs from `x-amz-decoded-content-length`.
    #[error("{0}")]
    IncompleteBody(String),
    /// 400 `InvalidPolicyDocument`: a POST policy that is not valid base64.
    #[error("{0}")]
    InvalidPolicyDocument(String),
    /// 400 `InvalidRequest`: the aws-chunked framing is malformed.
    #[error("{0}")]
    MalformedChunkedEncoding(String),
}

impl AuthError {
    /// The S3 error code (`<Code>` of the error document).
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::InvalidArgument(_) => "InvalidArgument",
            AuthError::InvalidRequest(_) | AuthError::MalformedChunkedEncoding(_) => {
                "InvalidRequest"
            }
            AuthError::AuthorizationHeaderMalformed(_) => "AuthorizationHeaderMalformed",
            AuthError::AuthorizationQueryParametersError(_) => "AuthorizationQueryParametersError",
            AuthError::AccessDenied(_)
            | AuthError::MissingDate
            | AuthError::Expired { .. }
            | AuthError::NotYetValid { .. }
            | AuthError::HeadersNotSigned(_)
            | AuthError::SignatureV2Disabled => "AccessDenied",
            AuthError::RequestTimeTooSkewed { .. } => "RequestTimeTooSkewed",
            AuthError::SignatureDoesNotMatch(_) => "SignatureDoesNotMatch",
            AuthError::XAmzContentSha256Mismatch { .. } => "XAmzContentSHA256Mismatch",
            AuthError::IncompleteBody(_) => "IncompleteBody",
            AuthError::InvalidPolicyDocument(_) => "InvalidPolicyDocument",
        }
    }

    /// The HTTP status AWS answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            AuthError::InvalidArgument(_)
            | AuthError::InvalidRequest(_)
            | AuthError::MalformedChunkedEncoding(_)
            | AuthError::AuthorizationHeaderMalformed(_)
            | AuthError::AuthorizationQueryParametersError(_)
            | AuthError::XAmzContentSha256Mismatch { .. }
            | AuthError::IncompleteBody(_)
            | AuthError::InvalidPolicyDocument(_) => 400,
            AuthError::AccessDenied(_)
            | AuthError::MissingDate
            | AuthError::RequestTimeTooSkewed { .. }
            | AuthError::Expired { .. }
            | AuthError::NotYetValid { .. }
            | AuthError::HeadersNotSigned(_)
            | AuthError::SignatureDoesNotMatch(_)
            | AuthError::SignatureV2Disabled => 403,
        }
    }

    pub(crate) fn mismatch(
        access_key_id: &str,
        string_to_sign: String,
        canonical_request: String,
        signature_provided: &str,
    ) -> Self {
        AuthError::SignatureDoesNotMatch(Box::new(SignatureMismatch::new(
            access_key_id,
            string_to_sign,
            canonical_request,
            signature_provided,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses() {
        let e = AuthError::HeadersNotSigned(vec!["x-amz-acl".into()]);
        assert_eq!((e.code(), e.http_status()), ("AccessDenied", 403));
        assert_eq!(
            e.to_string(),
            "There were headers present in the request which were not signed"
        );
        let e = AuthError::XAmzContentSha256Mismatch {
            client_computed: String::new(),
            s3_computed: String::new(),
        };
        assert_eq!(
            (e.code(), e.http_status()),
            ("XAmzContentSHA256Mismatch", 400)
        );
        let e = AuthError::mismatch("AK", "AB".into(), String::new(), "sig");
        match e {
            AuthError::SignatureDoesNotMatch(m) => assert_eq!(m.string_to_sign_bytes, "41 42"),
            other => panic!("{other:?}"),
        }
    }
}
