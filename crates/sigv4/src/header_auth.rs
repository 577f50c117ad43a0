//! Verification of `Authorization: AWS4-HMAC-SHA256 ...` requests.

use time::OffsetDateTime;

use crate::auth::{Flavor, V4Params};
use crate::canonical::canonical_query_string;
use crate::datetime::{date_stamp_eq, parse_amz_date, parse_http_date};
use crate::error::AuthError;
use crate::payload::parse_content_sha256;
use crate::request::RequestView;
use crate::verify::{
    check_amz_headers_signed, check_scope, check_signed_present, check_skew, check_v4_signature,
    AmzDate, V4Checked, VerifyContext,
};

/// `x-amz-*` headers that may stay out of `SignedHeaders` with header auth: both
/// are bound by the signature anyway (the content hash is the canonical request's
/// last line, the date is in the string to sign).
const EXEMPT_UNSIGNED: &[&str] = &["x-amz-content-sha256", "x-amz-date"];

const MISSING_CONTENT_SHA256: &str =
    "Missing required header for this request: x-amz-content-sha256";

/// The request time: `x-amz-date` (ISO 8601 basic) or else `Date` (HTTP date).
pub(crate) fn header_request_time(req: &RequestView) -> Result<OffsetDateTime, AuthError> {
    if let Some(value) = req.canonical_header_value_cow("x-amz-date") {
        return parse_amz_date(&value).ok_or(AuthError::MissingDate);
    }
    if let Some(value) = req.canonical_header_value_cow("date") {
        return parse_http_date(&value).ok_or(AuthError::MissingDate);
    }
    Err(AuthError::MissingDate)
}

pub(crate) fn verify_header_v4(
    req: &RequestView,
    v4: &V4Params,
    secret: &str,
    ctx: &VerifyContext,
) -> Result<V4Checked, AuthError> {
    let flavor = Flavor::Header;
    check_scope(&v4.credential, ctx, flavor)?;
    let request_time = header_request_time(req)?;
    if !date_stamp_eq(request_time, v4.credential.date()) {
        return Err(
            flavor.credential_error("Invalid credential date. Date is not the same as X-Amz-Date.")
        );
    }
    check_skew(request_time, ctx)?;

    let content_raw = req
        .canonical_header_value_cow("x-amz-content-sha256")
        .ok_or_else(|| AuthError::InvalidRequest(MISSING_CONTENT_SHA256.to_owned()))?;
    let content = parse_content_sha256(&content_raw)?;

    check_signed_present(req, &v4.signed_headers, flavor)?;
    check_amz_headers_signed(req, &v4.signed_headers, EXEMPT_UNSIGNED)?;

    let payload = check_v4_signature(
        req,
        v4,
        AmzDate::of(request_time).as_bytes(),
        &canonical_query_string(req.raw_query, &[]),
        &content_raw,
        content,
        secret,
        ctx,
        flavor,
    )?;
    Ok(V4Checked {
        request_time,
        expires_at: None,
        security_token: req.canonical_header_value("x-amz-security-token"),
        payload,
    })
}
