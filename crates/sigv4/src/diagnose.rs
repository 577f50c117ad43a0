//! Why a presigned SigV4 URL's signature does not match the request: the failure path only.
//!
//! A signature is an HMAC, so the server cannot see which part of the request differs from what
//! was signed. It can try the likely mistakes and check each one against the signature: another
//! method, another host, the path with its spaces or escapes written the other way, a signed
//! header left out. When one verifies, that is the cause. Otherwise the signed headers the request
//! lacks or sends are the likely cause (the most common report: a Content-Type other than the
//! signed one), and failing that the URL was made for another host, path or query.
//!
//! Nothing here reveals more than the URL holder has: the causes name the URL's own method,
//! signed header names and the hosts the caller lists in [`DiagnoseHints`], never a secret or a
//! computed signature. Each candidate costs one canonical request and one HMAC.

use std::fmt;

use crate::auth::{parse_auth, AuthKind};
use crate::request::RequestView;
use crate::verify::{verify, VerifyContext};

/// Methods a presigned URL is commonly made for.
const METHODS: [&str; 5] = ["PUT", "GET", "HEAD", "DELETE", "POST"];

/// Most host candidates tried (each is one HMAC).
const MAX_HOSTS: usize = 16;

/// What the server knows that the request does not show.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiagnoseHints<'a> {
    /// Other `host[:port]` values the URL may have been signed for (the server's public hosts,
    /// other spellings of the request's own host). At most 16 are tried.
    pub hosts: &'a [String],
}

/// A likely reason a presigned URL's signature does not match the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MismatchCause {
    /// The signature verifies with another method.
    Method {
        /// The method the URL was signed for.
        signed: String,
        /// The request's method.
        actual: String,
    },
    /// The signature verifies with another `Host`.
    Host {
        /// The host the URL was signed for.
        signed: String,
        /// The request's `Host`.
        actual: String,
    },
    /// The signature verifies with the path written another way (spaces, escapes).
    Path {
        /// The path the URL was signed for.
        signed: String,
        /// The request's path.
        actual: String,
    },
    /// A signed header (lowercase name) is absent from the request.
    HeaderMissing(String),
    /// A signed header (lowercase name) the request sends with a value other than the signed one.
    /// Verified when the signature matches without it; otherwise the likeliest cause.
    HeaderDiffers(String),
    /// None of the above: the URL was made for another host, path or query, or with another key.
    Other,
}

impl fmt::Display for MismatchCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MismatchCause::Method { signed, actual } => {
                write!(
                    f,
                    "The URL was signed for {signed} but the request is {actual}"
                )
            }
            MismatchCause::Host { signed, actual } => write!(
                f,
                "The URL was signed for host {signed} but the request's Host is {actual}"
            ),
            MismatchCause::Path { signed, actual } => write!(
                f,
                "The URL was signed for path {signed} but the request's path is {actual}"
            ),
            MismatchCause::HeaderMissing(name) => write!(
                f,
                "{} is signed into this URL and the request does not send it",
                display_header(name)
            ),
            MismatchCause::HeaderDiffers(name) => write!(
                f,
                "{} is signed into this URL and the request's value differs",
                display_header(name)
            ),
            MismatchCause::Other => f.write_str(
                "The URL was signed for another host, path or query string than this request's, \
                 or with another secret key",
            ),
        }
    }
}

/// `content-type` as people write it (`Content-Type`); `x-amz-*` names stay lowercase.
fn display_header(name: &str) -> String {
    if name.starts_with("x-amz-") {
        return name.to_owned();
    }
    match name {
        "content-md5" => "Content-MD5".to_owned(),
        _ => name
            .split('-')
            .map(|part| {
                let mut chars = part.chars();
                match chars.next() {
                    Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                    None => String::new(),
                }
            })
            .collect::<Vec<_>>()
            .join("-"),
    }
}

/// Finds why a presigned SigV4 request failed its signature check, for the error message.
///
/// Call it only after [`verify`] answered `SignatureDoesNotMatch`. `None` when the request is
/// not a SigV4 presigned URL or now verifies (nothing to explain).
pub fn diagnose_presigned_mismatch(
    req: &RequestView,
    secret: &str,
    ctx: &VerifyContext,
    hints: &DiagnoseHints,
) -> Option<MismatchCause> {
    let auth = parse_auth(req).ok().flatten()?;
    if auth.kind() != AuthKind::QueryV4 {
        return None;
    }
    let verifies = |view: &RequestView| verify(view, &auth, secret, ctx).is_ok();
    if verifies(req) {
        return None;
    }
    let actual_method = req.method.to_ascii_uppercase();
    for method in METHODS.into_iter().filter(|m| *m != actual_method) {
        if verifies(&RequestView { method, ..*req }) {
            return Some(MismatchCause::Method {
                signed: method.to_owned(),
                actual: req.method.to_owned(),
            });
        }
    }
    let actual_host = req.canonical_header_value("host").unwrap_or_default();
    for host in hints
        .hosts
        .iter()
        .filter(|h| !h.eq_ignore_ascii_case(&actual_host))
        .take(MAX_HOSTS)
    {
        let headers = with_header(req.headers, "host", Some(host));
        if verifies(&RequestView {
            headers: &headers,
            ..*req
        }) {
            return Some(MismatchCause::Host {
                signed: host.clone(),
                actual: actual_host,
            });
        }
    }
    for path in path_variants(req.raw_path) {
        if verifies(&RequestView {
            raw_path: &path,
            ..*req
        }) {
            return Some(MismatchCause::Path {
                signed: path,
                actual: req.raw_path.to_owned(),
            });
        }
    }
    let signed: Vec<&String> = auth
        .signed_headers()
        .iter()
        .filter(|n| n.as_str() != "host")
        .collect();
    // A signed header sent but signed empty: the signature verifies without it.
    for name in &signed {
        if req.header_count(name) > 0 {
            let headers = with_header(req.headers, name, None);
            if verifies(&RequestView {
                headers: &headers,
                ..*req
            }) {
                return Some(MismatchCause::HeaderDiffers((*name).clone()));
            }
        }
    }
    if let Some(name) = signed.iter().find(|n| req.header_count(n) == 0) {
        return Some(MismatchCause::HeaderMissing((*name).clone()));
    }
    // The signature cannot tell which value differs: Content-Type is the usual one.
    let sent = signed
        .iter()
        .find(|n| n.as_str() == "content-type")
        .or_else(|| signed.first());
    Some(match sent {
        Some(name) => MismatchCause::HeaderDiffers((*name).clone()),
        None => MismatchCause::Other,
    })
}

/// `headers` with every `name` header removed, and `value` added under it when given.
fn with_header(
    headers: &[(String, String)],
    name: &str,
    value: Option<&str>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case(name))
        .cloned()
        .collect();
    if let Some(v) = value {
        out.push((name.to_owned(), v.to_owned()));
    }
    out
}

/// The path as a careless client may have written it where the signer did not, or the reverse:
/// spaces as `+` or `%20`, escapes doubled (`%2520`) or not.
fn path_variants(raw_path: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if raw_path.contains('+') {
        out.push(raw_path.replace('+', "%20"));
    }
    if raw_path.contains("%20") {
        out.push(raw_path.replace("%20", "+"));
    }
    if raw_path.contains("%25") {
        out.push(raw_path.replace("%25", "%"));
    }
    if raw_path.contains('%') {
        out.push(raw_path.replace('%', "%25"));
    }
    out.retain(|p| p != raw_path);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_are_shown_as_people_write_them() {
        assert_eq!(display_header("content-type"), "Content-Type");
        assert_eq!(display_header("content-md5"), "Content-MD5");
        assert_eq!(display_header("x-amz-meta-a"), "x-amz-meta-a");
        assert_eq!(display_header("cache-control"), "Cache-Control");
    }

    #[test]
    fn path_variants_swap_spaces_and_escapes() {
        assert_eq!(path_variants("/b/a+b"), vec!["/b/a%20b".to_owned()]);
        assert_eq!(
            path_variants("/b/a%20b"),
            vec!["/b/a+b".to_owned(), "/b/a%2520b".to_owned()]
        );
        assert!(path_variants("/b/plain").is_empty());
    }
}
