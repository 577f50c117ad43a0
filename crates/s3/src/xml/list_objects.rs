//! `ListBucketResult` (v1 and v2) and `ListVersionsResult`.

use super::timefmt::iso8601_millis;
use crate::xml_writer::XmlWriter;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Bytes kept as they are by `encoding-type=url` (unreserved characters and `/`).
const URL_ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// One object in a listing.
#[derive(Debug, Clone)]
pub struct ObjectEntry {
    /// Object key.
    pub key: String,
    /// Last-modified, ms since the epoch.
    pub last_modified_ms: i64,
    /// ETag without quotes.
    pub etag: String,
    /// Size in bytes.
    pub size: u64,
    /// Checksum algorithm the object was stored with, e.g. `CRC32`.
    pub checksum_algorithm: Option<&'static str>,
}

/// Which listing document to write, with its style-specific fields.
#[derive(Debug, Clone)]
pub enum ListStyle {
    /// ListObjects (v1).
    V1 {
        /// The `marker` the client sent.
        marker: String,
        /// `NextMarker`, written only when a delimiter was given and the page is truncated.
        next_marker: Option<String>,
    },
    /// ListObjectsV2.
    V2 {
        /// The continuation token the client sent.
        continuation_token: Option<String>,
        /// The token for the next page.
        next_continuation_token: Option<String>,
        /// The `start-after` the client sent.
        start_after: Option<String>,
        /// Whether to include `<Owner>`.
        fetch_owner: bool,
    },
    /// ListObjectVersions on an unversioned bucket.
    Versions {
        /// The `key-marker` the client sent.
        key_marker: String,
        /// The `version-id-marker` the client sent.
        version_id_marker: String,
        /// `NextKeyMarker` when truncated.
        next_key_marker: Option<String>,
    },
}

/// A page of a listing, ready to render.
#[derive(Debug, Clone)]
pub struct ListObjectsPage {
    /// Bucket name.
    pub bucket: String,
    /// The prefix the client asked for.
    pub prefix: String,
    /// The delimiter the client asked for.
    pub delimiter: Option<String>,
    /// The max-keys in force.
    pub max_keys: usize,
    /// Whether more entries follow.
    pub is_truncated: bool,
    /// Whether `encoding-type=url` was asked.
    pub url_encode: bool,
    /// Objects on this page.
    pub objects: Vec<ObjectEntry>,
    /// Common prefixes on this page.
    pub common_prefixes: Vec<String>,
    /// Owner (id, display name) written where the style asks for it.
    pub owner: (String, String),
    /// Document style.
    pub style: ListStyle,
}

/// A key-like value as `encoding-type=url` writes it (when `url_encode`), else unchanged.
pub(crate) fn url_encoded(s: &str, url_encode: bool) -> String {
    if url_encode {
        utf8_percent_encode(s, URL_ENCODE_SET).to_string()
    } else {
        s.to_string()
    }
}

impl ListObjectsPage {
    fn enc(&self, s: &str) -> String {
        url_encoded(s, self.url_encode)
    }

    /// Renders the document.
    pub fn to_xml(&self) -> String {
        let root = match self.style {
            ListStyle::Versions { .. } => "ListVersionsResult",
            _ => "ListBucketResult",
        };
        let mut w = XmlWriter::new();
        w.open_root(root);
        w.element("Name", &self.bucket);
        w.element("Prefix", &self.enc(&self.prefix));
        match &self.style {
            ListStyle::V1 {
                marker,
                next_marker,
            } => {
                w.element("Marker", &self.enc(marker));
                if let Some(n) = next_marker {
                    w.element("NextMarker", &self.enc(n));
                }
            }
            ListStyle::Versions {
                key_marker,
                version_id_marker,
                next_key_marker,
            } => {
                w.element("KeyMarker", &self.enc(key_marker));
                w.element("VersionIdMarker", version_id_marker);
                if let Some(n) = next_key_marker {
                    w.element("NextKeyMarker", &self.enc(n));
                    w.element("NextVersionIdMarker", "null");
                }
            }
            ListStyle::V2 { .. } => {}
        }
        w.element("MaxKeys", &self.max_keys.to_string());
        if let Some(d) = &self.delimiter {
            w.element("Delimiter", &self.enc(d));
        }
        w.element(
            "IsTruncated",
            if self.is_truncated { "true" } else { "false" },
        );
        if self.url_encode {
            w.element("EncodingType", "url");
        }
        let mut with_owner = true;
        if let ListStyle::V2 {
            continuation_token,
            next_continuation_token,
            start_after,
            fetch_owner,
        } = &self.style
        {
            with_owner = *fetch_owner;
            w.element(
                "KeyCount",
                &(self.objects.len() + self.common_prefixes.len()).to_string(),
            );
            w.optional("ContinuationToken", continuation_token.as_deref());
            w.optional("NextContinuationToken", next_continuation_token.as_deref());
            if let Some(s) = start_after {
                w.element("StartAfter", &self.enc(s));
            }
        }
        let versions = matches!(self.style, ListStyle::Versions { .. });
        for o in &self.objects {
            w.open(if versions { "Version" } else { "Contents" });
            w.element("Key", &self.enc(&o.key));
            if versions {
                w.element("VersionId", "null");
                w.element("IsLatest", "true");
            }
            w.element("LastModified", &iso8601_millis(o.last_modified_ms));
            w.element("ETag", &format!("\"{}\"", o.etag));
            if let Some(alg) = o.checksum_algorithm {
                w.element("ChecksumAlgorithm", alg);
            }
            w.element("Size", &o.size.to_string());
            if with_owner {
                w.open("Owner");
                w.element("ID", &self.owner.0);
                w.element("DisplayName", &self.owner.1);
                w.close("Owner");
            }
            w.element("StorageClass", "STANDARD");
            w.close(if versions { "Version" } else { "Contents" });
        }
        for p in &self.common_prefixes {
            w.open("CommonPrefixes");
            w.element("Prefix", &self.enc(p));
            w.close("CommonPrefixes");
        }
        w.close(root);
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_with_url_encoding() {
        let page = ListObjectsPage {
            bucket: "b".into(),
            prefix: "a b/".into(),
            delimiter: Some("/".into()),
            max_keys: 1000,
            is_truncated: false,
            url_encode: true,
            objects: vec![ObjectEntry {
                key: "a b/ü+&".into(),
                last_modified_ms: 0,
                etag: "abc".into(),
                size: 3,
                checksum_algorithm: None,
            }],
            common_prefixes: vec!["a b/c/".into()],
            owner: ("id".into(), "name".into()),
            style: ListStyle::V2 {
                continuation_token: None,
                next_continuation_token: None,
                start_after: None,
                fetch_owner: false,
            },
        };
        let xml = page.to_xml();
        assert!(xml.contains("<Key>a%20b/%C3%BC%2B%26</Key>"), "{xml}");
        assert!(xml.contains("<KeyCount>2</KeyCount>"));
        assert!(xml.contains("<Prefix>a%20b/c/</Prefix>"));
        assert!(!xml.contains("<Owner>"));
        assert!(xml.contains("<ETag>&quot;abc&quot;</ETag>"));
    }
}
