//! Legacy Signature Version 2 (HMAC-SHA1): header `AWS AKID:sig` and presigned
//! `AWSAccessKeyId`/`Expires`/`Signature` URLs. Verification and signing.

use base64::Engine;
use time::OffsetDateTime;

use crate::auth::{AuthKind, V2Params};
use crate::crypto::{ct_eq, hmac_sha1};
use crate::datetime::parse_http_date;
use crate::encoding::uri_encode;
use crate::error::AuthError;
use crate::payload::PayloadCheck;
use crate::request::{parse_query, RequestView};
use crate::sign::Credentials;
use crate::verify::{check_skew, VerifiedAuth, VerifyContext};

/// Query parameters that are part of the SigV2 canonical resource (sorted).
const SUB_RESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "delete",
    "encryption",
    "inventory",
    "legal-hold",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "retention",
    "select",
    "select-type",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// SigV2 canonical resource: `/bucket` prefix when virtual-hosted, the path as
/// sent, then the sub-resources sorted by name (`?acl`, `?versionId=x`, decoded values).
/// A path-style request to a bucket itself (`/bucket`) signs `/bucket/`, as AWS and its SDKs
/// (botocore, the Java SDK) do: the bucket, a slash, then the (empty) key.
pub fn canonical_resource_v2(
    raw_path: &str,
    raw_query: &str,
    virtual_host_bucket: Option<&str>,
) -> String {
    let bucket_level = virtual_host_bucket.is_none()
        && raw_path.len() > 1
        && raw_path.starts_with('/')
        && !raw_path[1..].contains('/');
    let mut out = resource_as_sent(raw_path, raw_query, virtual_host_bucket);
    if bucket_level {
        let at = out.find('?').unwrap_or(out.len());
        out.insert(at, '/');
    }
    out
}

/// The canonical resource with the path exactly as sent (`/bucket` without the slash that
/// [`canonical_resource_v2`] adds), which some older clients sign.
fn resource_as_sent(raw_path: &str, raw_query: &str, virtual_host_bucket: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(bucket) = virtual_host_bucket {
        out.push('/');
        out.push_str(bucket);
    }
    out.push_str(if raw_path.is_empty() { "/" } else { raw_path });
    let mut subs: Vec<(String, Option<String>)> = parse_query(raw_query)
        .into_iter()
        .filter(|p| SUB_RESOURCES.contains(&p.name.as_ref()))
        .map(|p| {
            let value = p.has_equals.then(|| p.value().into_owned());
            (p.name.into_owned(), value)
        })
        .collect();
    subs.sort_by(|a, b| a.0.cmp(&b.0));
    for (i, (name, value)) in subs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(name);
        if let Some(value) = value {
            out.push('=');
            out.push_str(value);
        }
    }
    out
}

/// Trimmed values of a header joined with `,` (empty when absent).
fn header_value(req: &RequestView, name: &str) -> String {
    req.header_values(name)
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(",")
}

/// The `x-amz-*` header names of a request, lowercase, sorted, unique.
fn amz_header_names(req: &RequestView) -> Vec<String> {
    let mut names: Vec<String> = req
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| n.starts_with("x-amz-"))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// SigV2 string to sign; `date_line` is the `Date` header, `""` when `x-amz-date`
/// is present, or `Expires` for presigned URLs.
pub(crate) fn string_to_sign_v2(req: &RequestView, date_line: &str, resource: &str) -> String {
    let mut sts = format!(
        "{}\n{}\n{}\n{}\n",
        req.method,
        header_value(req, "content-md5"),
        header_value(req, "content-type"),
        date_line
    );
    for name in amz_header_names(req) {
        sts.push_str(&name);
        sts.push(':');
        sts.push_str(&header_value(req, &name));
        sts.push('\n');
    }
    sts.push_str(resource);
    sts
}

fn signature_v2(secret: &str, string_to_sign: &str) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(hmac_sha1(secret.as_bytes(), string_to_sign.as_bytes()))
}

pub(crate) fn verify_v2(
    req: &RequestView,
    kind: AuthKind,
    v2: &V2Params,
    secret: &str,
    ctx: &VerifyContext,
) -> Result<VerifiedAuth, AuthError> {
    if !ctx.allow_v2 {
        return Err(AuthError::SignatureV2Disabled);
    }
    let (request_time, expires_at, date_line) = match &v2.expires {
        Some((expires, raw)) => {
            let expires_at = OffsetDateTime::from_unix_timestamp(*expires).map_err(|_| {
                AuthError::AccessDenied(format!(
                    "Invalid date (should be seconds since epoch): {raw}"
                ))
            })?;
            if ctx.now > expires_at {
                return Err(AuthError::Expired {
                    expires_in: None,
                    expires_at,
                    server_time: ctx.now,
                });
            }
            (ctx.now, Some(expires_at), raw.clone())
        }
        None => {
            let (time, line) = if req.header_count("x-amz-date") > 0 {
                (
                    parse_http_date(&header_value(req, "x-amz-date")),
                    String::new(),
                )
            } else {
                let date = header_value(req, "date");
                (parse_http_date(&date), date)
            };
            let time = time.ok_or(AuthError::MissingDate)?;
            check_skew(time, ctx)?;
            (time, None, line)
        }
    };
    let resource = canonical_resource_v2(req.raw_path, req.raw_query, ctx.v2_virtual_host_bucket);
    let sts = string_to_sign_v2(req, &date_line, &resource);
    let expected = signature_v2(secret, &sts);
    let matches = ct_eq(expected.as_bytes(), v2.signature.as_bytes()) || {
        let as_sent = resource_as_sent(req.raw_path, req.raw_query, ctx.v2_virtual_host_bucket);
        as_sent != resource && {
            let alt = signature_v2(secret, &string_to_sign_v2(req, &date_line, &as_sent));
            ct_eq(alt.as_bytes(), v2.signature.as_bytes())
        }
    };
    if !matches {
        return Err(AuthError::mismatch(
            &v2.access_key_id,
            sts,
            String::new(),
            &v2.signature,
        ));
    }
    let mut signed_headers: Vec<String> = ["content-md5", "content-type", "date"]
        .into_iter()
        .filter(|n| req.header_count(n) > 0)
        .map(str::to_owned)
        .collect();
    signed_headers.extend(amz_header_names(req));
    let token = header_value(req, "x-amz-security-token");
    Ok(VerifiedAuth {
        access_key_id: v2.access_key_id.clone(),
        kind,
        signature_version: kind.signature_version(),
        request_time,
        expires_at,
        signed_headers,
        security_token: (!token.is_empty()).then_some(token),
        payload: PayloadCheck::Unsigned,
    })
}

/// A request to sign with SigV2.
#[derive(Debug, Clone, Copy)]
pub struct V2SigningRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Canonical resource path as sent, path-style (`/bucket/key`, encoded).
    pub raw_path: &'a str,
    /// Raw query (sub-resources are picked from it), may be empty.
    pub raw_query: &'a str,
    /// Headers to send: `content-md5`, `content-type`, `date` and `x-amz-*` are signed.
    pub headers: &'a [(String, String)],
}

/// Signs a request with SigV2 and returns the `Authorization` value `AWS AKID:sig`.
/// The `date` (or `x-amz-date`) header must be among `req.headers`.
pub fn sign_v2_header(creds: &Credentials, req: &V2SigningRequest) -> String {
    let view = RequestView {
        method: req.method,
        raw_path: req.raw_path,
        raw_query: req.raw_query,
        headers: req.headers,
    };
    let date_line = if view.header_count("x-amz-date") > 0 {
        String::new()
    } else {
        header_value(&view, "date")
    };
    let sts = string_to_sign_v2(
        &view,
        &date_line,
        &canonical_resource_v2(req.raw_path, req.raw_query, None),
    );
    format!(
        "AWS {}:{}",
        creds.access_key_id,
        signature_v2(&creds.secret_access_key, &sts)
    )
}

/// Presigns a request with SigV2, valid until `expires` (epoch seconds). Returns
/// `AWSAccessKeyId=..&Expires=..&Signature=..` (encoded) to append to the query.
pub fn presign_v2(creds: &Credentials, req: &V2SigningRequest, expires: i64) -> String {
    let view = RequestView {
        method: req.method,
        raw_path: req.raw_path,
        raw_query: req.raw_query,
        headers: req.headers,
    };
    let expires = expires.to_string();
    let sts = string_to_sign_v2(
        &view,
        &expires,
        &canonical_resource_v2(req.raw_path, req.raw_query, None),
    );
    let signature = signature_v2(&creds.secret_access_key, &sts);
    format!(
        "AWSAccessKeyId={}&Expires={}&Signature={}",
        uri_encode(&creds.access_key_id, true),
        expires,
        uri_encode(&signature, true)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_resource() {
        assert_eq!(canonical_resource_v2("/", "", Some("b")), "/b/");
        assert_eq!(canonical_resource_v2("/k", "acl", Some("b")), "/b/k?acl");
        assert_eq!(
            canonical_resource_v2(
                "/b/k%20x",
                "versionId=1&prefix=a&acl&response-content-type=a%2Fb",
                None
            ),
            "/b/k%20x?acl&response-content-type=a/b&versionId=1"
        );
        assert_eq!(canonical_resource_v2("", "", None), "/");
        // A bucket addressed path-style signs as `/bucket/`, sub-resources after the slash.
        assert_eq!(canonical_resource_v2("/b", "", None), "/b/");
        assert_eq!(canonical_resource_v2("/b/", "", None), "/b/");
        assert_eq!(canonical_resource_v2("/b", "acl&prefix=x", None), "/b/?acl");
        assert_eq!(canonical_resource_v2("/b", "uploads", None), "/b/?uploads");
        assert_eq!(canonical_resource_v2("/", "", Some("b")), "/b/");
        assert_eq!(canonical_resource_v2("/", "", None), "/");
    }

    #[test]
    fn aws_documented_v2_example() {
        // "Example Object GET" of AWS's REST authentication (SigV2) documentation.
        let headers = vec![
            (
                "host".to_owned(),
                "awsexamplebucket1.us-west-1.s3.amazonaws.com".to_owned(),
            ),
            (
                "date".to_owned(),
                "Tue, 27 Mar 2007 19:36:42 +0000".to_owned(),
            ),
        ];
        let creds = Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
            session_token: None,
        };
        let req = V2SigningRequest {
            method: "GET",
            raw_path: "/awsexamplebucket1/photos/puppy.jpg",
            raw_query: "",
            headers: &headers,
        };
        assert_eq!(
            sign_v2_header(&creds, &req),
            "AWS AKIAIOSFODNN7EXAMPLE:qgk2+6Sv9/oM7G3qLEjTH1a1l1g="
        );
    }
}
