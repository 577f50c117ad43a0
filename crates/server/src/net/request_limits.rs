//! Size limits on a request's head, checked before anything else reads it.
//!
//! hyper already bounds the number of header lines (431 beyond `MAX_HEADERS`) and the raw
//! head it buffers; these are S3's own, smaller limits, answered with S3 error XML.

use sluice_s3::S3Error;

/// Largest header section S3 accepts: names, values, `": "` and line ends (8 KiB).
pub const MAX_HEADER_SECTION: usize = 8 * 1024;

/// Largest request target (path and query). A 1,024-byte key percent-encoded in full is
/// 3 KiB; a presigned query with a session token and Sluice's constraints stays well under.
pub const MAX_URI: usize = 16 * 1024;

/// Refuses a request whose target or header section is over the limits.
pub fn check_request_head(parts: &http::request::Parts) -> Result<(), S3Error> {
    let uri_len = parts.uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    if uri_len > MAX_URI {
        return Err(S3Error::request_uri_too_long(MAX_URI));
    }
    let header_bytes: usize = parts
        .headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if header_bytes > MAX_HEADER_SECTION {
        return Err(S3Error::request_header_section_too_large(
            MAX_HEADER_SECTION,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str, headers: &[(&str, String)]) -> http::request::Parts {
        let mut b = http::Request::builder().uri(uri);
        for (k, v) in headers {
            b = b.header(*k, v.as_str());
        }
        b.body(()).map(|r| r.into_parts().0).expect("request")
    }

    #[test]
    fn limits_are_inclusive() {
        let path = format!("/b/{}", "k".repeat(MAX_URI - 3));
        assert!(check_request_head(&parts(&path, &[])).is_ok());
        let e = check_request_head(&parts(&format!("{path}x"), &[])).expect_err("too long");
        assert_eq!((e.code, e.status), ("RequestURITooLong", 414));

        // One header whose line is exactly the limit: name + ": " + value + CRLF.
        let value = "v".repeat(MAX_HEADER_SECTION - "x-amz-meta-a".len() - 4);
        assert!(check_request_head(&parts("/b/k", &[("x-amz-meta-a", value.clone())])).is_ok());
        let e = check_request_head(&parts("/b/k", &[("x-amz-meta-a", value + "v")]))
            .expect_err("too large");
        assert_eq!((e.code, e.status), ("RequestHeaderSectionTooLarge", 400));
    }
}
