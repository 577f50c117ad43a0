//! `x-amz-content-sha256` values and the payload check handed to the server.

use crate::chunked::ChunkedDecoder;
use crate::error::AuthError;

/// Value announcing a signed aws-chunked body.
pub const STREAMING_PAYLOAD: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// Value announcing a signed aws-chunked body with a signed trailer.
pub const STREAMING_PAYLOAD_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
/// Value announcing an unsigned aws-chunked body with an unsigned trailer.
pub const STREAMING_UNSIGNED_PAYLOAD_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

const INVALID_VALUE: &str = "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.";

/// What the server must do with the request body once authentication passed.
///
/// Small (the decoder of the rare aws-chunked case is boxed), so that it and
/// [`VerifiedAuth`](crate::VerifiedAuth) are cheap to return.
#[derive(Debug)]
pub enum PayloadCheck {
    /// Nothing: `UNSIGNED-PAYLOAD`, presigned without a content hash, or SigV2.
    Unsigned,
    /// Hash the body with SHA-256 and call [`check_payload_sha256`] at the end.
    Sha256([u8; 32]),
    /// The body is aws-chunked: pass it through this decoder.
    Chunked(Box<ChunkedDecoder>),
}

/// Compares the declared and computed body hashes in constant time.
pub fn check_payload_sha256(expected: &[u8; 32], computed: &[u8; 32]) -> Result<(), AuthError> {
    if crate::crypto::ct_eq(expected, computed) {
        Ok(())
    } else {
        Err(AuthError::XAmzContentSha256Mismatch {
            client_computed: hex::encode(expected),
            s3_computed: hex::encode(computed),
        })
    }
}

/// A parsed `x-amz-content-sha256` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContentSha256 {
    Unsigned,
    Sha256([u8; 32]),
    Streaming { signed: bool, trailer: bool },
}

/// Parses an `x-amz-content-sha256` value.
pub(crate) fn parse_content_sha256(value: &str) -> Result<ContentSha256, AuthError> {
    match value {
        crate::canonical::UNSIGNED_PAYLOAD => Ok(ContentSha256::Unsigned),
        STREAMING_PAYLOAD => Ok(ContentSha256::Streaming {
            signed: true,
            trailer: false,
        }),
        STREAMING_PAYLOAD_TRAILER => Ok(ContentSha256::Streaming {
            signed: true,
            trailer: true,
        }),
        STREAMING_UNSIGNED_PAYLOAD_TRAILER => Ok(ContentSha256::Streaming {
            signed: false,
            trailer: true,
        }),
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
        | "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER" => Err(AuthError::InvalidArgument(
            "SigV4a (AWS4-ECDSA-P256-SHA256) is not supported by this server.".to_owned(),
        )),
        _ => {
            let mut hash = [0u8; 32];
            if value.len() == 64 && hex::decode_to_slice(value, &mut hash).is_ok() {
                Ok(ContentSha256::Sha256(hash))
            } else {
                Err(AuthError::InvalidArgument(INVALID_VALUE.to_owned()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(
            parse_content_sha256("UNSIGNED-PAYLOAD"),
            Ok(ContentSha256::Unsigned)
        );
        assert_eq!(
            parse_content_sha256(STREAMING_UNSIGNED_PAYLOAD_TRAILER),
            Ok(ContentSha256::Streaming {
                signed: false,
                trailer: true
            })
        );
        assert!(matches!(
            parse_content_sha256(crate::crypto::EMPTY_SHA256_HEX),
            Ok(ContentSha256::Sha256(_))
        ));
        for bad in [
            "",
            "unsigned-payload",
            "abc",
            &"g".repeat(64),
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
        ] {
            assert_eq!(
                parse_content_sha256(bad).unwrap_err().code(),
                "InvalidArgument"
            );
        }
    }

    #[test]
    fn payload_hash_check() {
        let a = [1u8; 32];
        assert!(check_payload_sha256(&a, &a).is_ok());
        let err = check_payload_sha256(&a, &[2u8; 32]).unwrap_err();
        assert_eq!(err.code(), "XAmzContentSHA256Mismatch");
    }
}
