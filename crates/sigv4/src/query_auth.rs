//! Verification of presigned SigV4 URLs (`X-Amz-Algorithm=AWS4-HMAC-SHA256&...`).

use std::borrow::Cow;

use time::Duration;

use crate::auth::{Flavor, QueryCache, V4Params, PRESIGNED_EXCLUDED};
use crate::canonical::{push_canonical_query, UNSIGNED_PAYLOAD};
use crate::error::AuthError;
use crate::payload::parse_content_sha256;
use crate::request::{parse_query, RequestView};
use crate::verify::{
    check_amz_headers_signed, check_scope, check_signed_present, check_v4_signature, V4Checked,
    VerifyContext,
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
    query_cache: Option<&QueryCache>,
    v4: &V4Params,
    secret: &str,
    ctx: &VerifyContext,
) -> Result<V4Checked, AuthError> {
    let flavor = Flavor::Query;
    let Some(query) = &v4.query else {
        return Err(AuthError::AuthorizationQueryParametersError(
            "Missing presigned URL parameters".to_owned(),
        ));
    };
    check_scope(&v4.credential, ctx, flavor)?;

    let request_time = query.amz_date;
    let expires_in = i64::try_from(query.expires_in).unwrap_or(i64::MAX);
    let signed_expiry = request_time
        .checked_add(Duration::seconds(expires_in))
        .ok_or_else(|| {
            AuthError::AuthorizationQueryParametersError("X-Amz-Expires is out of range".to_owned())
        })?;
    let expires_at = match ctx.grant_expiry {
        Some(later) if later > signed_expiry => later,
        _ => signed_expiry,
    };
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

    // The query as parse_auth analysed it, unless this request carries another one.
    let fresh;
    let (canonical_query, content_param): (Cow<str>, Option<Cow<str>>) = match query_cache {
        Some(cache) if cache.raw_query() == req.raw_query => (
            Cow::Borrowed(cache.canonical_query()),
            cache.content_sha256.as_deref().map(Cow::Borrowed),
        ),
        _ => {
            fresh = parse_query(req.raw_query);
            let mut canonical = String::with_capacity(req.raw_query.len());
            push_canonical_query(&mut canonical, &fresh, PRESIGNED_EXCLUDED);
            let content = fresh
                .iter()
                .find(|p| p.name == "X-Amz-Content-Sha256")
                .map(|p| p.value());
            (Cow::Owned(canonical), content)
        }
    };
    let payload_raw: Cow<str> = match content_param {
        Some(value) => value,
        None if v4
            .signed_headers
            .iter()
            .any(|n| n == "x-amz-content-sha256") =>
        {
            req.canonical_header_value_cow("x-amz-content-sha256")
                .unwrap_or_default()
        }
        None => Cow::Borrowed(UNSIGNED_PAYLOAD),
    };
    let content = parse_content_sha256(&payload_raw)?;

    let payload = check_v4_signature(
        req,
        v4,
        &query.amz_date_text,
        &canonical_query,
        &payload_raw,
        content,
        secret,
        ctx,
        flavor,
    )?;
    Ok(V4Checked {
        request_time,
        expires_at: Some(expires_at),
        security_token: query.security_token.clone(),
        payload,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration as StdDuration;

    use time::OffsetDateTime;

    use crate::{
        parse_auth, presign_v4, verify, AuthError, Credentials, PresignRequest, RequestView,
        SigningKeyCache, VerifyContext,
    };

    /// The query cache in `ParsedAuth` is an optimisation only: verifying without it,
    /// or against a request whose query differs from the parsed one, behaves as a
    /// fresh parse of the request's own query.
    #[test]
    fn query_cache_is_transparent() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let creds = Credentials {
            access_key_id: "AKID".into(),
            secret_access_key: "secret".into(),
            session_token: None,
        };
        let query = presign_v4(
            &creds,
            &PresignRequest {
                method: "GET",
                host: "h",
                raw_path: "/b/k",
                query: &[("x-id".to_owned(), "a b/c".to_owned())],
                headers: &[],
                region: "us-east-1",
                service: "s3",
                datetime: now,
                expires_in: 60,
            },
        );
        let headers = vec![("host".to_owned(), "h".to_owned())];
        let view = |q| RequestView {
            method: "GET",
            raw_path: "/b/k",
            raw_query: q,
            headers: &headers,
        };
        let cache = SigningKeyCache::new(4);
        let ctx = VerifyContext {
            now,
            region: "us-east-1",
            max_skew: StdDuration::from_secs(900),
            allow_v2: false,
            v2_virtual_host_bucket: None,
            key_cache: &cache,
            grant_expiry: None,
        };
        let req = view(&query);
        let auth = parse_auth(&req).unwrap().unwrap();
        assert!(auth.query_cache.is_some());
        let mut uncached = auth.clone();
        uncached.query_cache = None;
        assert_eq!(auth, uncached);
        assert_eq!(format!("{auth:?}"), format!("{uncached:?}"));

        let with = verify(&req, &auth, "secret", &ctx).unwrap();
        let without = verify(&req, &uncached, "secret", &ctx).unwrap();
        assert_eq!(format!("{with:?}"), format!("{without:?}"));

        // Another query than the parsed one: both paths see the request's own query.
        let tampered = format!("{query}&extra=1");
        let other = view(&tampered);
        let a = verify(&other, &auth, "secret", &ctx).unwrap_err();
        let b = verify(&other, &uncached, "secret", &ctx).unwrap_err();
        assert!(matches!(a, AuthError::SignatureDoesNotMatch(_)), "{a:?}");
        assert_eq!(a, b);
    }
}
