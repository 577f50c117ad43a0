//! Verification entry point and the checks shared by all mechanisms.

use time::OffsetDateTime;

use crate::auth::{
    AuthKind, CredentialScope, Flavor, Params, ParsedAuth, QueryCache, SignatureVersion, V4Params,
    SERVICE,
};
use crate::canonical::{push_canonical_headers, push_canonical_uri, ALGORITHM};
use crate::chunked::{ChunkSigningContext, ChunkedDecoder};
use hmac::Mac;

use crate::crypto::{ct_eq, hex32, sha256};
use crate::datetime::{amz_date_bytes, format_amz_date};
use crate::error::AuthError;
use crate::payload::{ContentSha256, PayloadCheck};
use crate::request::RequestView;
use crate::signing_key::SigningKeyCache;

/// Server-side inputs to verification.
#[derive(Debug, Clone, Copy)]
pub struct VerifyContext<'a> {
    /// Time the request started (from the server's clock handle).
    pub now: OffsetDateTime,
    /// Server region; the credential scope region must equal it.
    pub region: &'a str,
    /// Allowed clock skew (AWS: 15 minutes).
    pub max_skew: std::time::Duration,
    /// Whether legacy SigV2 is accepted.
    pub allow_v2: bool,
    /// Bucket addressed by virtual-host style, for the SigV2 canonical resource.
    pub v2_virtual_host_bucket: Option<&'a str>,
    /// Cache of derived signing keys.
    pub key_cache: &'a SigningKeyCache,
    /// For a presigned URL backed by a server-side grant: the later end of validity the URL
    /// claims in a signed query parameter (Sluice's `x-sluice-grant-expires`), used instead of
    /// `X-Amz-Date + X-Amz-Expires` when later. The server reads it from the query before the
    /// signature is checked; the signature covers every query parameter, so a forged value fails
    /// it. `None` everywhere else.
    pub grant_expiry: Option<OffsetDateTime>,
}

/// A successfully authenticated request.
#[derive(Debug)]
pub struct VerifiedAuth {
    /// Access key that signed the request.
    pub access_key_id: String,
    /// Mechanism used.
    pub kind: AuthKind,
    /// V2 or V4.
    pub signature_version: SignatureVersion,
    /// `X-Amz-Date` / `Date` of the request (for a SigV2 presigned URL: `ctx.now`).
    pub request_time: OffsetDateTime,
    /// End of validity of a presigned request.
    pub expires_at: Option<OffsetDateTime>,
    /// Headers covered by the signature (lowercase).
    pub signed_headers: Vec<String>,
    /// `x-amz-security-token` / `X-Amz-Security-Token`, if sent.
    pub security_token: Option<String>,
    /// What remains to check on the body.
    pub payload: PayloadCheck,
}

/// Verifies a parsed request against the secret of its access key.
///
/// The server looks the key up with [`ParsedAuth::access_key_id`] first (an
/// unknown key is its business). On success the caller must still honour
/// [`VerifiedAuth::payload`]. [`verify_owned`] does the same without copying what
/// the result takes from `auth`.
pub fn verify(
    req: &RequestView,
    auth: &ParsedAuth,
    secret_access_key: &str,
    ctx: &VerifyContext,
) -> Result<VerifiedAuth, AuthError> {
    match &auth.params {
        Params::V4(v4) => {
            let checked = verify_v4(
                req,
                auth.kind,
                auth.query_cache.as_ref(),
                v4,
                secret_access_key,
                ctx,
            )?;
            Ok(checked.into_verified(
                auth.kind,
                v4.credential.access_key_id().to_owned(),
                v4.signed_headers.clone(),
            ))
        }
        Params::V2(v2) => crate::v2::verify_v2(req, auth.kind, v2, secret_access_key, ctx),
    }
}

/// [`verify`], consuming the parse: the access key id and the signed-header list
/// move into the result instead of being copied.
pub fn verify_owned(
    req: &RequestView,
    auth: ParsedAuth,
    secret_access_key: &str,
    ctx: &VerifyContext,
) -> Result<VerifiedAuth, AuthError> {
    let ParsedAuth {
        kind,
        params,
        query_cache,
    } = auth;
    match params {
        Params::V4(v4) => {
            let checked = verify_v4(req, kind, query_cache.as_ref(), &v4, secret_access_key, ctx)?;
            Ok(checked.into_verified(kind, v4.credential.into_access_key_id(), v4.signed_headers))
        }
        Params::V2(v2) => crate::v2::verify_v2(req, kind, &v2, secret_access_key, ctx),
    }
}

fn verify_v4(
    req: &RequestView,
    kind: AuthKind,
    query_cache: Option<&QueryCache>,
    v4: &V4Params,
    secret: &str,
    ctx: &VerifyContext,
) -> Result<V4Checked, AuthError> {
    match kind {
        AuthKind::QueryV4 => crate::query_auth::verify_query_v4(req, query_cache, v4, secret, ctx),
        _ => crate::header_auth::verify_header_v4(req, v4, secret, ctx),
    }
}

/// What the SigV4 checks establish about a request; the key id and the signed
/// headers come from its parse.
pub(crate) struct V4Checked {
    pub request_time: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub security_token: Option<String>,
    pub payload: PayloadCheck,
}

impl V4Checked {
    fn into_verified(
        self,
        kind: AuthKind,
        access_key_id: String,
        signed_headers: Vec<String>,
    ) -> VerifiedAuth {
        VerifiedAuth {
            access_key_id,
            kind,
            signature_version: SignatureVersion::V4,
            request_time: self.request_time,
            expires_at: self.expires_at,
            signed_headers,
            security_token: self.security_token,
            payload: self.payload,
        }
    }
}

/// The credential scope must name the server's region and the `s3` service.
pub(crate) fn check_scope(
    credential: &CredentialScope,
    ctx: &VerifyContext,
    flavor: Flavor,
) -> Result<(), AuthError> {
    if credential.service() != SERVICE {
        return Err(flavor.credential_error(&format!(
            "incorrect service \"{}\". This endpoint belongs to \"{SERVICE}\".",
            credential.service()
        )));
    }
    if credential.region() != ctx.region {
        return Err(flavor.credential_error(&format!(
            "the region '{}' is wrong; expecting '{}'",
            credential.region(),
            ctx.region
        )));
    }
    Ok(())
}

/// `RequestTimeTooSkewed` when the request time is further than `max_skew` from now.
pub(crate) fn check_skew(
    request_time: OffsetDateTime,
    ctx: &VerifyContext,
) -> Result<(), AuthError> {
    if (ctx.now - request_time).unsigned_abs() > ctx.max_skew {
        return Err(AuthError::RequestTimeTooSkewed {
            request_time,
            server_time: ctx.now,
            max_skew_ms: u64::try_from(ctx.max_skew.as_millis()).unwrap_or(u64::MAX),
        });
    }
    Ok(())
}

/// Every signed header must be present in the request.
pub(crate) fn check_signed_present(
    req: &RequestView,
    signed: &[String],
    flavor: Flavor,
) -> Result<(), AuthError> {
    // A signed header the request lacks canonicalises as empty and so fails the signature
    // check, as AWS answers (SignatureDoesNotMatch shows the canonical request). Only `host`,
    // without which nothing can be verified, is a malformed request.
    match signed
        .iter()
        .find(|name| *name == "host" && req.header_count(name) == 0)
    {
        Some(missing) => Err(flavor.error(&format!(
            "the signed header '{missing}' is not present in the request."
        ))),
        None => Ok(()),
    }
}

/// `lower == name.to_ascii_lowercase()`, without allocating.
fn eq_lowercased(lower: &str, name: &str) -> bool {
    lower.len() == name.len()
        && lower
            .bytes()
            .zip(name.bytes())
            .all(|(l, n)| l == n.to_ascii_lowercase())
}

/// `HeadersNotSigned` when `x-amz-*` headers are present but neither signed nor exempt.
pub(crate) fn check_amz_headers_signed(
    req: &RequestView,
    signed: &[String],
    exempt: &[&str],
) -> Result<(), AuthError> {
    let mut unsigned: Vec<String> = Vec::new();
    for (name, _) in req.headers {
        let is_amz = name
            .as_bytes()
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"x-amz-"));
        if is_amz
            && !signed.iter().any(|s| eq_lowercased(s, name))
            && !exempt.iter().any(|s| eq_lowercased(s, name))
            && !unsigned.iter().any(|s| eq_lowercased(s, name))
        {
            unsigned.push(name.to_ascii_lowercase());
        }
    }
    if unsigned.is_empty() {
        Ok(())
    } else {
        Err(AuthError::HeadersNotSigned(unsigned))
    }
}

/// Turns the parsed content hash into the body check, wiring up the chunk decoder.
pub(crate) fn payload_check(
    content: ContentSha256,
    req: &RequestView,
    chunk_context: impl FnOnce() -> ChunkSigningContext,
) -> Result<PayloadCheck, AuthError> {
    Ok(match content {
        ContentSha256::Unsigned => PayloadCheck::Unsigned,
        ContentSha256::Sha256(hash) => PayloadCheck::Sha256(hash),
        ContentSha256::Streaming { signed, trailer } => {
            let decoder = if signed {
                ChunkedDecoder::signed(chunk_context(), trailer)
            } else {
                ChunkedDecoder::unsigned_with_trailer()
            };
            match req.canonical_header_value("x-amz-decoded-content-length") {
                Some(value) => {
                    let len = value
                        .parse::<u64>()
                        .ok()
                        .filter(|_| value.bytes().all(|b| b.is_ascii_digit()))
                        .ok_or_else(|| {
                            AuthError::InvalidArgument(
                                "x-amz-decoded-content-length must be a non-negative integer"
                                    .to_owned(),
                            )
                        })?;
                    PayloadCheck::Chunked(Box::new(decoder.with_decoded_length(len)))
                }
                None => PayloadCheck::Chunked(Box::new(decoder)),
            }
        }
    })
}

/// `t` as `yyyyMMddTHHmmssZ`, for the string to sign.
pub(crate) enum AmzDate {
    /// The usual four-digit year, formatted on the stack.
    Short([u8; 16]),
    /// Any other year.
    Long(String),
}

impl AmzDate {
    pub(crate) fn of(t: OffsetDateTime) -> Self {
        match amz_date_bytes(t) {
            Some(bytes) => AmzDate::Short(bytes),
            None => AmzDate::Long(format_amz_date(t)),
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            AmzDate::Short(bytes) => bytes,
            AmzDate::Long(text) => text.as_bytes(),
        }
    }
}

/// The signature half shared by header and query authentication: canonical request,
/// string to sign, constant-time comparison, then the body check (with the chunk
/// signing context for aws-chunked bodies). `date` is the request time as the string to
/// sign holds it (`yyyyMMddTHHmmssZ`). `canonical_query` is the request's
/// canonical query string (without the signature for presigned URLs). A signed `host` header missing from the
/// request is a `flavor` error.
#[allow(clippy::too_many_arguments)]
pub(crate) fn check_v4_signature(
    req: &RequestView,
    v4: &V4Params,
    date: &[u8],
    canonical_query: &str,
    payload_raw: &str,
    content: ContentSha256,
    secret: &str,
    ctx: &VerifyContext,
    flavor: Flavor,
) -> Result<PayloadCheck, AuthError> {
    // The canonical request, written once into a buffer sized for the usual case.
    let headers_len: usize = req.headers.iter().map(|(n, v)| n.len() + v.len() + 2).sum();
    let signed_len: usize = v4.signed_headers.iter().map(|n| n.len() + 1).sum();
    let mut canonical = String::with_capacity(
        req.method.len()
            + req.raw_path.len()
            + req.raw_query.len()
            + headers_len
            + signed_len
            + payload_raw.len()
            + 8,
    );
    canonical.push_str(req.method);
    canonical.push('\n');
    push_canonical_uri(&mut canonical, req.raw_path);
    canonical.push('\n');
    canonical.push_str(canonical_query);
    canonical.push('\n');
    push_canonical_headers(&mut canonical, req, &v4.signed_headers).map_err(|missing| {
        flavor.error(&format!(
            "the signed header '{missing}' is not present in the request."
        ))
    })?;
    canonical.push('\n');
    for (i, name) in v4.signed_headers.iter().enumerate() {
        if i > 0 {
            canonical.push(';');
        }
        canonical.push_str(name);
    }
    canonical.push('\n');
    canonical.push_str(payload_raw);

    // The string to sign goes straight into the MAC; it is written out only for the
    // mismatch report.
    let credential = &v4.credential;
    let canonical_hash = hex32(&sha256(canonical.as_bytes()));
    let sts_parts: [&[u8]; 7] = [
        ALGORITHM.as_bytes(),
        b"\n",
        date,
        b"\n",
        credential.scope_str().as_bytes(),
        b"\n",
        &canonical_hash,
    ];
    let (signing_key, mut mac) =
        ctx.key_cache
            .signing_key_mac(secret, credential.date(), credential.region(), SERVICE);
    for part in sts_parts {
        mac.update(part);
    }
    let expected = hex32(&mac.finalize().into_bytes().into());
    if !ct_eq(&expected, v4.signature.as_bytes()) {
        return Err(AuthError::mismatch(
            credential.access_key_id(),
            String::from_utf8_lossy(&sts_parts.concat()).into_owned(),
            canonical,
            &v4.signature,
        ));
    }
    payload_check(content, req, || ChunkSigningContext {
        access_key_id: credential.access_key_id().to_owned(),
        signing_key,
        amz_date: String::from_utf8_lossy(date).into_owned(),
        scope: credential.scope(),
        seed_signature: v4.signature.clone(),
    })
}
