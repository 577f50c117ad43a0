//! Multipart upload documents: initiate, complete (request and result), list parts, list uploads.

use super::timefmt::iso8601_millis;
use crate::error::S3Error;
use crate::xml_writer::XmlWriter;

/// `InitiateMultipartUploadResult`.
pub fn initiate_result_xml(bucket: &str, key: &str, upload_id: &str) -> String {
    let mut w = XmlWriter::new();
    w.open_root("InitiateMultipartUploadResult");
    w.element("Bucket", bucket);
    w.element("Key", key);
    w.element("UploadId", upload_id);
    w.close("InitiateMultipartUploadResult");
    w.finish()
}

/// `CompleteMultipartUploadResult`.
#[derive(Debug, Clone)]
pub struct CompleteResult {
    /// URL of the object.
    pub location: String,
    /// Bucket.
    pub bucket: String,
    /// Key.
    pub key: String,
    /// ETag without quotes (`hex-N`).
    pub etag: String,
    /// Final checksum (element name, value) and its type, if any.
    pub checksum: Option<(&'static str, String, &'static str)>,
}

impl CompleteResult {
    /// Renders the document.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open_root("CompleteMultipartUploadResult");
        w.element("Location", &self.location);
        w.element("Bucket", &self.bucket);
        w.element("Key", &self.key);
        w.element("ETag", &format!("\"{}\"", self.etag));
        if let Some((name, value, kind)) = &self.checksum {
            w.element(name, value);
            w.element("ChecksumType", kind);
        }
        w.close("CompleteMultipartUploadResult");
        w.finish()
    }
}

/// One `<Part>` of a CompleteMultipartUpload request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    /// Part number.
    pub part_number: u32,
    /// ETag as the client sent it (quotes allowed).
    pub etag: String,
    /// CRC32 of the part, if sent.
    pub checksum_crc32: Option<String>,
    /// CRC32C of the part, if sent.
    pub checksum_crc32c: Option<String>,
    /// CRC64NVME of the part, if sent.
    pub checksum_crc64nvme: Option<String>,
    /// SHA1 of the part, if sent.
    pub checksum_sha1: Option<String>,
    /// SHA256 of the part, if sent.
    pub checksum_sha256: Option<String>,
}

/// Parses a CompleteMultipartUpload body (at least one part).
pub fn parse_complete_request(body: &[u8]) -> Result<Vec<CompletedPart>, S3Error> {
    let doc = super::from_body(body, "CompleteMultipartUpload")?;
    let parts = doc
        .all("Part")
        .map(|p| {
            let opt = |name: &str| p.text_of(name).map(str::to_string);
            Ok(CompletedPart {
                part_number: p
                    .text_of("PartNumber")
                    .and_then(|n| n.trim().parse::<u32>().ok())
                    .ok_or_else(S3Error::malformed_xml)?,
                etag: p
                    .text_of("ETag")
                    .ok_or_else(S3Error::malformed_xml)?
                    .to_string(),
                checksum_crc32: opt("ChecksumCRC32"),
                checksum_crc32c: opt("ChecksumCRC32C"),
                checksum_crc64nvme: opt("ChecksumCRC64NVME"),
                checksum_sha1: opt("ChecksumSHA1"),
                checksum_sha256: opt("ChecksumSHA256"),
            })
        })
        .collect::<Result<Vec<_>, S3Error>>()?;
    if parts.is_empty() {
        return Err(S3Error::malformed_xml());
    }
    Ok(parts)
}

/// One part in a ListParts answer.
#[derive(Debug, Clone)]
pub struct PartEntry {
    /// Part number.
    pub part_number: u32,
    /// Upload time, ms since the epoch.
    pub last_modified_ms: i64,
    /// ETag without quotes.
    pub etag: String,
    /// Size.
    pub size: u64,
    /// Checksum (element name, value), if stored.
    pub checksum: Option<(&'static str, String)>,
}

/// `ListPartsResult`.
#[derive(Debug, Clone)]
pub struct ListPartsResult {
    /// Bucket.
    pub bucket: String,
    /// Key.
    pub key: String,
    /// Upload id.
    pub upload_id: String,
    /// Owner/initiator (id, display name).
    pub owner: (String, String),
    /// The marker the client sent.
    pub part_number_marker: u32,
    /// Next marker when truncated.
    pub next_part_number_marker: Option<u32>,
    /// Max parts in force.
    pub max_parts: usize,
    /// More parts follow.
    pub is_truncated: bool,
    /// The upload's checksum algorithm.
    pub checksum_algorithm: Option<String>,
    /// Parts.
    pub parts: Vec<PartEntry>,
}

impl ListPartsResult {
    /// Renders the document.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open_root("ListPartsResult");
        w.element("Bucket", &self.bucket);
        w.element("Key", &self.key);
        w.element("UploadId", &self.upload_id);
        for who in ["Initiator", "Owner"] {
            w.open(who);
            w.element("ID", &self.owner.0);
            w.element("DisplayName", &self.owner.1);
            w.close(who);
        }
        w.element("StorageClass", "STANDARD");
        w.element("PartNumberMarker", &self.part_number_marker.to_string());
        if let Some(n) = self.next_part_number_marker {
            w.element("NextPartNumberMarker", &n.to_string());
        }
        w.element("MaxParts", &self.max_parts.to_string());
        w.element(
            "IsTruncated",
            if self.is_truncated { "true" } else { "false" },
        );
        w.optional("ChecksumAlgorithm", self.checksum_algorithm.as_deref());
        for p in &self.parts {
            w.open("Part");
            w.element("PartNumber", &p.part_number.to_string());
            w.element("LastModified", &iso8601_millis(p.last_modified_ms));
            w.element("ETag", &format!("\"{}\"", p.etag));
            w.element("Size", &p.size.to_string());
            if let Some((name, value)) = &p.checksum {
                w.element(name, value);
            }
            w.close("Part");
        }
        w.close("ListPartsResult");
        w.finish()
    }
}

/// One upload in a ListMultipartUploads answer.
#[derive(Debug, Clone)]
pub struct UploadEntry {
    /// Key.
    pub key: String,
    /// Upload id.
    pub upload_id: String,
    /// Creation time, ms since the epoch.
    pub initiated_ms: i64,
    /// Checksum algorithm, if declared.
    pub checksum_algorithm: Option<String>,
}

/// `ListMultipartUploadsResult`.
#[derive(Debug, Clone)]
pub struct ListUploadsResult {
    /// Bucket.
    pub bucket: String,
    /// Markers the client sent.
    pub key_marker: String,
    /// Upload-id marker the client sent.
    pub upload_id_marker: String,
    /// Next markers when truncated.
    pub next_markers: Option<(String, String)>,
    /// Prefix.
    pub prefix: String,
    /// Delimiter.
    pub delimiter: Option<String>,
    /// Max uploads in force.
    pub max_uploads: usize,
    /// More follow.
    pub is_truncated: bool,
    /// Owner/initiator (id, display name).
    pub owner: (String, String),
    /// Uploads.
    pub uploads: Vec<UploadEntry>,
    /// Common prefixes.
    pub common_prefixes: Vec<String>,
    /// Whether `encoding-type=url` was asked: `KeyMarker`, `NextKeyMarker`, `Prefix`,
    /// `Delimiter`, `Key` and the common prefixes are then URL-encoded, as AWS does.
    pub url_encode: bool,
}

impl ListUploadsResult {
    /// Renders the document.
    pub fn to_xml(&self) -> String {
        let enc = |s: &str| super::list_objects::url_encoded(s, self.url_encode);
        let mut w = XmlWriter::new();
        w.open_root("ListMultipartUploadsResult");
        w.element("Bucket", &self.bucket);
        w.element("KeyMarker", &enc(&self.key_marker));
        w.element("UploadIdMarker", &self.upload_id_marker);
        if let Some((k, u)) = &self.next_markers {
            w.element("NextKeyMarker", &enc(k));
            w.element("NextUploadIdMarker", u);
        }
        w.element("Prefix", &enc(&self.prefix));
        if let Some(d) = &self.delimiter {
            w.element("Delimiter", &enc(d));
        }
        w.element("MaxUploads", &self.max_uploads.to_string());
        w.element(
            "IsTruncated",
            if self.is_truncated { "true" } else { "false" },
        );
        if self.url_encode {
            w.element("EncodingType", "url");
        }
        for u in &self.uploads {
            w.open("Upload");
            w.element("Key", &enc(&u.key));
            w.element("UploadId", &u.upload_id);
            for who in ["Initiator", "Owner"] {
                w.open(who);
                w.element("ID", &self.owner.0);
                w.element("DisplayName", &self.owner.1);
                w.close(who);
            }
            w.element("StorageClass", "STANDARD");
            w.element("Initiated", &iso8601_millis(u.initiated_ms));
            w.optional("ChecksumAlgorithm", u.checksum_algorithm.as_deref());
            w.close("Upload");
        }
        for p in &self.common_prefixes {
            w.open("CommonPrefixes");
            w.element("Prefix", &enc(p));
            w.close("CommonPrefixes");
        }
        w.close("ListMultipartUploadsResult");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_complete_bodies() {
        let body = br#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>"a"</ETag><PartNumber>1</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part><Part><PartNumber>2</PartNumber><ETag>b</ETag></Part></CompleteMultipartUpload>"#;
        let parts = parse_complete_request(body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].etag, "\"a\"");
        assert_eq!(parts[0].checksum_crc32.as_deref(), Some("AAAAAA=="));
        assert_eq!(parts[1].part_number, 2);
        assert!(
            parse_complete_request(b"<CompleteMultipartUpload></CompleteMultipartUpload>").is_err()
        );
        assert!(parse_complete_request(b"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>").is_err());
    }

    #[test]
    fn renders_initiate() {
        let x = initiate_result_xml("b", "k&", "u");
        assert!(x.contains("<Key>k&amp;</Key><UploadId>u</UploadId>"));
    }
}
