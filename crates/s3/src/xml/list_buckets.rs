//! `ListAllMyBucketsResult`.

use super::timefmt::iso8601_millis;
use crate::xml_writer::XmlWriter;

/// One bucket in a ListBuckets answer.
#[derive(Debug, Clone)]
pub struct BucketEntry {
    /// Bucket name.
    pub name: String,
    /// Creation time, ms since the epoch.
    pub created_ms: i64,
    /// The region the bucket lives in (`BucketRegion`).
    pub region: String,
}

/// The ListBuckets answer.
#[derive(Debug, Clone)]
pub struct ListAllMyBucketsResult {
    /// Owner id (the caller's canonical id).
    pub owner_id: String,
    /// Owner display name.
    pub owner_name: String,
    /// Buckets, sorted by name.
    pub buckets: Vec<BucketEntry>,
    /// Token for the next page, when this page is not the last.
    pub continuation_token: Option<String>,
    /// The `prefix` the request gave, echoed.
    pub prefix: Option<String>,
}

impl ListAllMyBucketsResult {
    /// Renders the document.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open_root("ListAllMyBucketsResult");
        w.open("Owner");
        w.element("ID", &self.owner_id);
        w.element("DisplayName", &self.owner_name);
        w.close("Owner");
        w.open("Buckets");
        for b in &self.buckets {
            w.open("Bucket");
            w.element("Name", &b.name);
            w.element("CreationDate", &iso8601_millis(b.created_ms));
            w.element("BucketRegion", &b.region);
            w.close("Bucket");
        }
        w.close("Buckets");
        if let Some(token) = &self.continuation_token {
            w.element("ContinuationToken", token);
        }
        if let Some(prefix) = &self.prefix {
            w.element("Prefix", prefix);
        }
        w.close("ListAllMyBucketsResult");
        w.finish()
    }
}
