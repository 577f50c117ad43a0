//! Multipart upload records: an open upload and the parts uploaded so far.

use crate::model::{BlobRef, Checksums, ObjectMeta, StandardHeaders};

/// An open multipart upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadMeta {
    /// Opaque upload id.
    pub upload_id: String,
    /// Bucket name.
    pub bucket: String,
    /// Object key the upload will create.
    pub key: String,
    /// When the upload was created, ms since the epoch.
    pub created_ms: i64,
    /// Identity that created it.
    pub initiator: String,
    /// Standard headers for the final object.
    pub headers: StandardHeaders,
    /// User metadata for the final object (sorted by name).
    pub user_metadata: Vec<(String, String)>,
    /// Checksum algorithm declared at creation (`CRC32`, ...), if any.
    pub checksum_algorithm: Option<String>,
    /// Checksum type declared at creation (`COMPOSITE` or `FULL_OBJECT`), if any.
    pub checksum_type: Option<String>,
    /// Canned ACL (`x-amz-acl` at creation) the completed object gets, when not private.
    pub acl: Option<String>,
    /// Tags (`x-amz-tagging` at creation) the completed object gets.
    pub tags: Vec<(String, String)>,
}

/// One uploaded part of an open upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartRecord {
    /// Upload the part belongs to.
    pub upload_id: String,
    /// Part number, 1..=10000.
    pub part_number: u32,
    /// Size in bytes.
    pub size: u64,
    /// ETag without quotes (hex MD5 of the part).
    pub etag: String,
    /// Where the part's bytes are.
    pub blob: BlobRef,
    /// Checksums of the part.
    pub checksums: Checksums,
    /// When the part was uploaded, ms since the epoch.
    pub last_modified_ms: i64,
}

/// What completing an upload did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletedUpload {
    /// The object the new one replaced (its blobs are the caller's to free).
    pub replaced: Option<ObjectMeta>,
    /// Blobs of uploaded parts that the final object does not use (the caller frees them).
    pub unused_part_blobs: Vec<BlobRef>,
}

/// What a completed upload is remembered by, so that a retried CompleteMultipartUpload (its
/// first answer lost) gets the same answer. Written in the completion's transaction; pruned by
/// housekeeping once older than any URL of the upload can live.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CompletedUploadRecord {
    /// The upload id.
    pub upload_id: String,
    /// Bucket name.
    pub bucket: String,
    /// Object key.
    pub key: String,
    /// When the upload completed, ms since the epoch.
    pub completed_ms: i64,
    /// The part list the completion used: (part number, ETag without quotes), in order.
    pub parts: Vec<(u32, String)>,
    /// The object's ETag without quotes.
    pub etag: String,
    /// The object's checksums.
    pub checksums: Checksums,
    /// Checksum type declared at creation (`COMPOSITE` or `FULL_OBJECT`), if any.
    pub checksum_type: Option<String>,
}

/// A page of open uploads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UploadPage {
    /// Uploads ordered by key (bytes), then upload id.
    pub uploads: Vec<UploadMeta>,
    /// Whether more uploads follow.
    pub is_truncated: bool,
}
