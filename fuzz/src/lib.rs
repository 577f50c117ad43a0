//! Shared helpers of the Sluice fuzz targets: the fixed key, clock and verification
//! context the signed seeds were made with, and the small text formats the targets
//! read their input in.

use std::time::Duration;

use sluice_sigv4::{RequestView, SigningKeyCache, VerifyContext};
use time::macros::datetime;
use time::OffsetDateTime;

/// The POST policy document parser of the server, compiled here from its source so the
/// fuzz build does not need the server crate (tokio, hyper, SQLite, rustls).
#[path = "../../crates/server/src/post_form/policy.rs"]
pub mod post_form_policy;

/// Access key id of the seeds (AWS documentation example).
pub const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
/// Secret of [`AKID`].
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// Server region.
pub const REGION: &str = "us-east-1";
/// Server clock: the signing time of every signed seed.
pub const NOW: OffsetDateTime = datetime!(2024-02-29 12:00 UTC);
/// Seed signature of the signed aws-chunked seeds.
pub const CHUNK_SEED_SIGNATURE: &str =
    "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";

/// A verification context at [`NOW`] in [`REGION`], SigV2 allowed.
pub fn verify_context(cache: &SigningKeyCache) -> VerifyContext<'_> {
    VerifyContext {
        now: NOW,
        region: REGION,
        max_skew: Duration::from_secs(15 * 60),
        allow_v2: true,
        v2_virtual_host_bucket: None,
        key_cache: cache,
        grant_expiry: None,
    }
}

/// A request read from HTTP/1.1 text: `METHOD PATH[?QUERY] [VERSION]`, then
/// `Name: value` lines (names lowercased, as the server sees them), then an empty
/// line and the body. Lines may end with LF or CRLF; header lines without `:` are
/// skipped.
#[derive(Debug, Clone, Default)]
pub struct OwnedRequest {
    /// HTTP method.
    pub method: String,
    /// Raw path.
    pub path: String,
    /// Raw query, without `?`.
    pub query: String,
    /// Headers, lowercase names.
    pub headers: Vec<(String, String)>,
    /// Bytes after the empty line.
    pub body: Vec<u8>,
}

impl OwnedRequest {
    /// Parses the text format above (never fails: missing parts are empty).
    pub fn parse(data: &[u8]) -> OwnedRequest {
        let (head, body) = match find(data, b"\n\r\n")
            .map(|i| (i, 3))
            .into_iter()
            .chain(find(data, b"\n\n").map(|i| (i, 2)))
            .min_by_key(|(i, _)| *i)
        {
            Some((i, skip)) => (&data[..=i], &data[i + skip..]),
            None => (data, &[][..]),
        };
        let head = String::from_utf8_lossy(head);
        let mut lines = head.lines();
        let mut req = OwnedRequest {
            body: body.to_vec(),
            ..OwnedRequest::default()
        };
        let request_line = lines.next().unwrap_or_default();
        let mut parts = request_line.splitn(3, ' ');
        req.method = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().unwrap_or_default();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        req.path = path.to_owned();
        req.query = query.to_owned();
        for line in lines {
            if let Some((name, value)) = line.split_once(':') {
                req.headers
                    .push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        req
    }

    /// The view verification works on.
    pub fn view(&self) -> RequestView<'_> {
        RequestView {
            method: &self.method,
            raw_path: &self.path,
            raw_query: &self.query,
            headers: &self.headers,
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Form fields from text: one `name:value` per line (lines without `:` skipped).
pub fn parse_fields(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
}
