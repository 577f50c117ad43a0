//! Conditional request headers and byte ranges for reads.

use crate::net::headers::header;
use http::request::Parts;
use sluice_s3::S3Error;
use sluice_store::ObjectMeta;

/// Whether an `If-Match` / `If-None-Match` value matches an ETag (lists, `*`, weak tags,
/// quotes): the store's rule, which conditional writes use too.
pub use sluice_store::etag_matches;

/// What the conditional headers decide for a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadCondition {
    /// Serve the object.
    Proceed,
    /// 304 Not Modified.
    NotModified,
}

/// Evaluates If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since as S3 does.
pub fn evaluate_read_conditions(
    parts: &Parts,
    meta: &ObjectMeta,
    prefix: &str,
) -> Result<ReadCondition, S3Error> {
    let name = |n: &str| format!("{prefix}{n}");
    let last_modified_s = meta.last_modified_ms.div_euclid(1000);
    let if_match = header(parts, &name("if-match"));
    if let Some(v) = if_match {
        if !etag_matches(v, &meta.etag) {
            return Err(S3Error::precondition_failed("If-Match"));
        }
    } else if let Some(t) = header(parts, &name("if-unmodified-since")).and_then(parse_http_date) {
        if last_modified_s > t {
            return Err(S3Error::precondition_failed("If-Unmodified-Since"));
        }
    }
    let if_none_match = header(parts, &name("if-none-match"));
    if let Some(v) = if_none_match {
        if etag_matches(v, &meta.etag) {
            return not_modified(prefix, "If-None-Match");
        }
    } else if let Some(t) = header(parts, &name("if-modified-since")).and_then(parse_http_date) {
        if last_modified_s <= t {
            return not_modified(prefix, "If-Modified-Since");
        }
    }
    Ok(ReadCondition::Proceed)
}

/// For GET/HEAD a failed "none match" is a 304; for copy sources it is a 412.
fn not_modified(prefix: &str, condition: &str) -> Result<ReadCondition, S3Error> {
    if prefix.is_empty() {
        Ok(ReadCondition::NotModified)
    } else {
        Err(S3Error::precondition_failed(condition))
    }
}

fn parse_http_date(v: &str) -> Option<i64> {
    let t = httpdate::parse_http_date(v.trim()).ok()?;
    t.duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs() as i64)
}

/// An inclusive byte range within an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte.
    pub start: u64,
    /// Last byte (inclusive).
    pub end: u64,
}

impl ByteRange {
    /// Number of bytes in the range.
    pub fn len(&self) -> u64 {
        self.end - self.start + 1
    }
    /// Never true: a range holds at least one byte.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Parses a `Range` header against an object size. `Ok(None)` means "whole object"
/// (no header, a syntax S3 ignores, or several ranges); unsatisfiable ranges are 416.
pub fn parse_range(value: Option<&str>, size: u64) -> Result<Option<ByteRange>, S3Error> {
    let Some(value) = value else { return Ok(None) };
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    let range = if a.is_empty() {
        let Ok(n) = b.parse::<u64>() else {
            return Ok(None);
        };
        if n == 0 || size == 0 {
            return Err(S3Error::invalid_range(size));
        }
        ByteRange {
            start: size.saturating_sub(n),
            end: size - 1,
        }
    } else {
        let Ok(start) = a.parse::<u64>() else {
            return Ok(None);
        };
        let end = if b.is_empty() {
            u64::MAX
        } else {
            match b.parse::<u64>() {
                Ok(e) if e >= start => e,
                _ => return Ok(None),
            }
        };
        if start >= size {
            return Err(S3Error::invalid_range(size));
        }
        ByteRange {
            start,
            end: end.min(size - 1),
        }
    };
    Ok(Some(range))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range(None, 10).unwrap(), None);
        assert_eq!(
            parse_range(Some("bytes=0-4"), 10).unwrap(),
            Some(ByteRange { start: 0, end: 4 })
        );
        assert_eq!(
            parse_range(Some("bytes=5-"), 10).unwrap(),
            Some(ByteRange { start: 5, end: 9 })
        );
        assert_eq!(
            parse_range(Some("bytes=-3"), 10).unwrap(),
            Some(ByteRange { start: 7, end: 9 })
        );
        assert_eq!(
            parse_range(Some("bytes=-30"), 10).unwrap(),
            Some(ByteRange { start: 0, end: 9 })
        );
        assert_eq!(
            parse_range(Some("bytes=8-100"), 10).unwrap(),
            Some(ByteRange { start: 8, end: 9 })
        );
        assert_eq!(
            parse_range(Some("bytes=10-"), 10).unwrap_err().code,
            "InvalidRange"
        );
        assert_eq!(
            parse_range(Some("bytes=0-0"), 0).unwrap_err().code,
            "InvalidRange"
        );
        assert_eq!(parse_range(Some("bytes=5-2"), 10).unwrap(), None);
        assert_eq!(parse_range(Some("bytes=0-1,3-4"), 10).unwrap(), None);
        assert_eq!(parse_range(Some("items=0-1"), 10).unwrap(), None);
        assert_eq!(parse_range(Some("bytes=x-1"), 10).unwrap(), None);
    }

    #[test]
    fn etags() {
        assert!(etag_matches("\"abc\"", "abc"));
        assert!(etag_matches("abc", "abc"));
        assert!(etag_matches("\"x\", \"abc\"", "abc"));
        assert!(etag_matches("*", "abc"));
        assert!(etag_matches("W/\"abc\"", "abc"));
        assert!(!etag_matches("\"abd\"", "abc"));
    }
}
