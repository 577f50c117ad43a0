//! Continuation tokens of listings (objects, buckets): opaque to clients, made and read only here.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as TOKEN_B64;
use base64::Engine;
use sluice_s3::S3Error;

/// Encodes a continuation token (opaque to clients).
pub fn encode_token(last: &str) -> String {
    TOKEN_B64.encode(last.as_bytes())
}

/// Decodes a continuation token made by [`encode_token`]; a token it did not make is InvalidArgument.
pub fn decode_token(token: &str) -> Result<String, S3Error> {
    TOKEN_B64
        .decode(token.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            S3Error::invalid_argument_named(
                "The continuation token provided is incorrect",
                "continuation-token",
                token,
            )
        })
}
