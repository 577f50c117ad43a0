//! AWS request signatures for Sluice: SigV4 (header, presigned query, aws-chunked
//! bodies, POST policy) and legacy SigV2, for both verifying (server) and signing
//! (CLI, tests).
//!
//! The crate is sans-IO: it sees a [`RequestView`] and byte slices, never sockets,
//! buckets or storage. It never panics on request input.
//!
//! Server flow: [`parse_auth`] → look up the secret of
//! [`ParsedAuth::access_key_id`] → [`verify`] → honour [`VerifiedAuth::payload`]
//! ([`check_payload_sha256`] at body end, or stream the body through the
//! [`ChunkedDecoder`] and call [`ChunkedDecoder::finish`] before committing).
//!
//! S3 canonicalisation rules (they differ from other AWS services):
//! * the path is used as sent: no dot-segment removal or slash merging, and it is
//!   encoded once (escapes decoded, then every byte re-encoded with `/` kept);
//!   [`normalize_path`] exists only for general-service test vectors;
//! * in the query, `+` is a literal plus (canonical `%2B`), never a space, as the
//!   AWS SDKs encode a space as `%20`;
//! * presigned URLs sign `UNSIGNED-PAYLOAD` unless `X-Amz-Content-Sha256` (query
//!   parameter or signed header) gives a hash.
//!
//! Policy choices:
//! * a presigned URL whose `X-Amz-Date` is more than `max_skew` ahead of the server
//!   clock is refused with [`AuthError::NotYetValid`] (403 AccessDenied "Request is
//!   not yet valid", as S3 answers); within the skew it is accepted. It is valid
//!   through `X-Amz-Date + X-Amz-Expires` inclusive, then [`AuthError::Expired`].
//! * header auth: `x-amz-*` headers must all be signed except
//!   `x-amz-content-sha256` and `x-amz-date`, which the signature binds anyway
//!   (payload line of the canonical request, date of the string to sign).
//!   Presigned: all `x-amz-*` headers must be signed except header spellings of
//!   the auth parameters, which are ignored.
//! * auth parameters may not be repeated; repeated headers are joined with `,`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod auth;
mod canonical;
mod chunked;
mod chunked_signer;
mod crypto;
mod datetime;
mod diagnose;
mod encoding;
mod error;
mod header_auth;
mod payload;
mod post_policy;
mod post_presign;
mod presign;
mod query_auth;
mod request;
mod reserved_scan;
mod sign;
mod signing_key;
mod v2;
mod verify;

pub use auth::{
    parse_auth, AuthKind, CredentialScope, ParsedAuth, SignatureVersion, MAX_PRESIGN_EXPIRES,
};
pub use canonical::{
    canonical_headers_block, canonical_headers_from_pairs, canonical_query_from_pairs,
    canonical_query_string, canonical_request, canonical_uri, credential_scope, normalize_path,
    sign_string, string_to_sign, ALGORITHM, SCOPE_TERMINATOR, UNSIGNED_PAYLOAD,
};
pub use chunked::{ChunkSigningContext, ChunkedDecoder, MAX_LINE_LEN, MAX_TRAILER_LEN};
pub use chunked_signer::{
    frame_unsigned_chunk, frame_unsigned_final, signed_chunked_encoded_len, ChunkedSigner,
};
pub use datetime::{
    format_amz_date, format_date_stamp, format_http_date, parse_amz_date, parse_http_date,
};
pub use diagnose::{diagnose_presigned_mismatch, DiagnoseHints, MismatchCause};
pub use encoding::{encode_object_path, percent_decode, uri_encode, uri_encode_bytes};
pub use error::{AuthError, SignatureMismatch};
pub use payload::{
    check_payload_sha256, PayloadCheck, STREAMING_PAYLOAD, STREAMING_PAYLOAD_TRAILER,
    STREAMING_UNSIGNED_PAYLOAD_TRAILER,
};
pub use post_policy::{
    parse_post_policy_auth, sign_post_policy_v2, sign_post_policy_v4, verify_post_policy,
    PostPolicyAuth, VerifiedPostPolicy,
};
pub use post_presign::{presign_post_v4, PostPolicyRequest};
pub use presign::{presign_v4, presign_v4_with_payload_hash, PresignRequest};
pub use request::RequestView;
pub use sign::{
    seed_signature, sign_headers_v4, signature_parts, Credentials, SignatureParts, SigningRequest,
};
pub use signing_key::{derive_signing_key, SigningKeyCache};
pub use v2::{canonical_resource_v2, presign_v2, sign_v2_header, V2SigningRequest};
pub use verify::{verify, verify_owned, VerifiedAuth, VerifyContext};
