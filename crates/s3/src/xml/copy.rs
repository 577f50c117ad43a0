//! `CopyObjectResult`.

use super::timefmt::iso8601_millis;
use crate::xml_writer::XmlWriter;

/// The body of a CopyObject (or UploadPartCopy, as `CopyPartResult`) answer.
#[derive(Debug, Clone)]
pub struct CopyObjectResult {
    /// ETag without quotes.
    pub etag: String,
    /// Last-modified time of the new object, ms since the epoch.
    pub last_modified_ms: i64,
    /// Checksums to echo: (element name such as `ChecksumCRC32`, base64 value).
    pub checksums: Vec<(&'static str, String)>,
}

impl CopyObjectResult {
    /// Renders the document with the given root (`CopyObjectResult` or `CopyPartResult`).
    pub fn to_xml(&self, root: &str) -> String {
        let mut w = XmlWriter::new();
        w.open_root(root);
        w.element("LastModified", &iso8601_millis(self.last_modified_ms));
        w.element("ETag", &format!("\"{}\"", self.etag));
        for (name, value) in &self.checksums {
            w.element(name, value);
        }
        w.close(root);
        w.finish()
    }
}
