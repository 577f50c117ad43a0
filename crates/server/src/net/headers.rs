//! Reading S3 request headers and writing object headers on responses.

use crate::net::response::{set_header, ResponseBody};
use http::request::Parts;
use http::Response;
use sluice_s3::xml::http_date;
use sluice_s3::S3Error;
use sluice_store::{ObjectMeta, StandardHeaders};

/// Largest total size of user metadata (names + values), as AWS enforces.
pub const MAX_USER_METADATA_BYTES: usize = 2048;

/// A header value as text, if present and valid visible ASCII/UTF-8.
pub fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// A header's value as sent; a header sent more than once has its values joined with `,`
/// (as S3 combines repeated headers). Values that are not UTF-8 are read lossily.
pub fn header_as_sent(parts: &Parts, name: &str) -> Option<String> {
    let mut values = parts.headers.get_all(name).iter();
    let first = values.next()?;
    let mut out = String::from_utf8_lossy(first.as_bytes()).into_owned();
    for v in values {
        out.push(',');
        out.push_str(&String::from_utf8_lossy(v.as_bytes()));
    }
    Some(out)
}

/// The standard headers a PUT stores with the object, values as sent.
pub fn standard_headers(parts: &Parts) -> StandardHeaders {
    let get = |n: &str| header_as_sent(parts, n);
    StandardHeaders {
        content_type: get("content-type"),
        content_encoding: get("content-encoding").and_then(strip_aws_chunked),
        content_disposition: get("content-disposition"),
        content_language: get("content-language"),
        cache_control: get("cache-control"),
        expires: get("expires"),
    }
}

/// `aws-chunked` is transport framing, not a stored content encoding: its token is removed and
/// the rest of the value is kept as sent (`deflate, gzip` stays `deflate, gzip`).
fn strip_aws_chunked(value: String) -> Option<String> {
    let is_framing = |t: &str| t.trim().eq_ignore_ascii_case("aws-chunked");
    if value.trim().is_empty() {
        return None;
    }
    if !value.split(',').any(is_framing) {
        return Some(value);
    }
    let kept: Vec<&str> = value
        .split(',')
        .filter(|t| !is_framing(t) && !t.trim().is_empty())
        .collect();
    let joined = kept.join(",");
    let trimmed = joined.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// `x-amz-meta-*` headers (names lowercased, prefix removed, sorted), size-checked.
pub fn user_metadata(parts: &Parts) -> Result<Vec<(String, String)>, S3Error> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut total = 0usize;
    for (name, value) in parts.headers.iter() {
        if let Some(short) = name.as_str().strip_prefix("x-amz-meta-") {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            total += short.len() + value.len();
            match out.iter_mut().find(|(k, _)| k == short) {
                Some((_, v)) => {
                    v.push(',');
                    v.push_str(&value);
                }
                None => out.push((short.to_string(), value)),
            }
        }
    }
    if total > MAX_USER_METADATA_BYTES {
        return Err(S3Error::metadata_too_large(MAX_USER_METADATA_BYTES));
    }
    out.sort();
    Ok(out)
}

/// Writes an object's stored headers (ETag, Last-Modified, type, metadata) on a response.
pub fn write_object_headers(resp: &mut Response<ResponseBody>, meta: &ObjectMeta) {
    set_header(resp, "etag", &format!("\"{}\"", meta.etag));
    set_header(resp, "last-modified", &http_date(meta.last_modified_ms));
    set_header(resp, "accept-ranges", "bytes");
    let h = &meta.headers;
    set_header(
        resp,
        "content-type",
        h.content_type.as_deref().unwrap_or("binary/octet-stream"),
    );
    for (name, value) in [
        ("content-encoding", &h.content_encoding),
        ("content-disposition", &h.content_disposition),
        ("content-language", &h.content_language),
        ("cache-control", &h.cache_control),
        ("expires", &h.expires),
    ] {
        if let Some(v) = value {
            set_header(resp, name, v);
        }
    }
    for (k, v) in &meta.user_metadata {
        set_header(resp, &format!("x-amz-meta-{k}"), v);
    }
    if !meta.tags.is_empty() {
        set_header(resp, "x-amz-tagging-count", &meta.tags.len().to_string());
    }
    if let Some(parts) = &meta.parts {
        set_header(resp, "x-amz-mp-parts-count", &parts.len().to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::strip_aws_chunked;

    #[test]
    fn keeps_content_encoding_as_sent() {
        let s = |v: &str| strip_aws_chunked(v.to_string());
        assert_eq!(s("deflate, gzip").as_deref(), Some("deflate, gzip"));
        assert_eq!(s("gzip").as_deref(), Some("gzip"));
        assert_eq!(s("aws-chunked"), None);
        assert_eq!(
            s("aws-chunked, deflate, gzip").as_deref(),
            Some("deflate, gzip")
        );
        assert_eq!(s("gzip,aws-chunked").as_deref(), Some("gzip"));
        assert_eq!(s("AWS-Chunked ,br").as_deref(), Some("br"));
    }
}
