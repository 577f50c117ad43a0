//! Verification of presigned SigV4 URLs (`X-Amz-Algorithm=AWS4-HMAC-SHA256&...`).

use time::Duration;

use crate::auth::{Flavor, ParsedAuth, V4Params, SERVICE};
use crate::canonical::{
    canonical_headers_block, canonical_query_string, canonical_request, canonical_uri, sign_string,
    string_to_sign, UNSIGNED_PAYLOAD,
};
use crate::chunked::ChunkSigningContext;
use crate::datetime::format_amz_date;
use crate::error::AuthError;
use crate::payload::parse_content_sha256;
use crate::request::{parse_query, RequestView};
use crate::verify::{
    check_amz_headers_signed, check_scope, check_signature, check_signed_present, payload_check,
    VerifiedAuth, VerifyContext,
};

/// Header spellings of the auth query parameters: such headers are ignored (the
/// query values are authoritative), so they need not be signed.
const AUTH_PARAM_HEADERS: &[&str] = &[
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-signature",
    "x-amz-date",
    "x-amz-expires",
    "x-amz-signedheaders",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

pub(crate) fn verify_query_v4(
    req: &RequestView,
    auth: &ParsedAuth,
    v4: &V4Params,
    secret: &str,
    ctx: &VerifyContext,
) -> Result<VerifiedAuth, AuthError> {
    let flavor = Flavor::Query;
    let Some(query) = &v4.query else {
        return Err(AuthError::AuthorizationQueryParametersError(
            "Missing presigned URL parameters".to_owned(),
        ));
    };
    check_scope(&v4.credential, ctx, flavor)?;

    let request_time = query.amz_date;
    let expires_in = i64::try_from(query.expires_in).unwrap_or(i64::MAX);
    let expires_at = request_time
        .checked_add(Duration::seconds(expires_in))
        .ok_or_else(|| {
            AuthError::AuthorizationQueryParametersError("X-Amz-Expires is out of range".to_owned())
        })?;
    let skew = Duration::try_from(ctx.max_skew).unwrap_or(Duration::MAX);
    let not_before = ctx.now.checked_add(skew);
    if not_before.is_some_and(|limit| request_time > limit) {
        return Err(AuthError::NotYetValid {
            request_time,
            expires_at,
            server_time: ctx.now,
        });
    }
    if ctx.now > expires_at {
        return Err(AuthError::Expired {
            expires_in: Some(query.expires_in),
            expires_at,
            server_time: ctx.now,
        });
    }

    check_signed_present(req, &v4.signed_headers, flavor)?;
    check_amz_headers_signed(req, &v4.signed_headers, AUTH_PARAM_HEADERS)?;

    let params = parse_query(req.raw_query);
    let payload_raw = match params.iter().find(|p| p.name == "X-Amz-Content-Sha256") {
        Some(param) => param.value.clone(),
        None if v4
            .signed_headers
            .iter()
            .any(|n| n == "x-amz-content-sha256") =>
        {
            req.canonical_header_value("x-amz-content-sha256")
                .unwrap_or_default()
        }
        None => UNSIGNED_PAYLOAD.to_owned(),
    };
    let content = parse_content_sha256(&payload_raw)?;

    let headers_block = canonical_headers_block(req, &v4.signed_headers).map_err(|missing| {
        flavor.error(&format!(
            "the signed header '{missing}' is not present in the request."
        ))
    })?;
    let canonical = canonical_request(
        req.method,
        &canonical_uri(req.raw_path),
        &canonical_query_string(req.raw_query, &["X-Amz-Signature"]),
        &headers_block,
        &v4.signed_headers.join(";"),
        &payload_raw,
    );
    let amz_date = format_amz_date(request_time);
    let scope = v4.credential.scope();
    let sts = string_to_sign(&amz_date, &scope, &canonical);
    let signing_key =
        ctx.key_cache
            .signing_key(secret, &v4.credential.date, &v4.credential.region, SERVICE);
    let expected = sign_string(&signing_key, &sts);
    check_signature(
        &expected,
        &v4.signature,
        &auth.access_key_id,
        sts,
        canonical,
    )?;

    let payload = payload_check(content, req, || ChunkSigningContext {
        access_key_id: auth.access_key_id.clone(),
        signing_key,
        amz_date,
        scope,
        seed_signature: v4.signature.clone(),
    })?;
    Ok(VerifiedAuth {
        access_key_id: auth.access_key_id.clone(),
        kind: auth.kind,
        signature_version: auth.signature_version(),
        request_time,
        expires_at: Some(expires_at),
        signed_headers: v4.signed_headers.clone(),
        security_token: query.security_token.clone(),
        payload,
    })
}
