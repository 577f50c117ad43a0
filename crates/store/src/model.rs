//! Plain data types shared by the metadata and blob stores.

use std::fmt;

use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::error::StoreError;

/// A bucket row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketMeta {
    /// Bucket name (already validated by the caller).
    pub name: String,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_ms: i64,
    /// Identity that owns the bucket.
    pub owner: String,
}

/// Additional checksums of an object or part, base64 values exactly as S3 returns them.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Checksums {
    /// CRC-32 (IEEE).
    pub crc32: Option<String>,
    /// CRC-32C (Castagnoli).
    pub crc32c: Option<String>,
    /// CRC-64/NVME.
    pub crc64nvme: Option<String>,
    /// SHA-1.
    pub sha1: Option<String>,
    /// SHA-256.
    pub sha256: Option<String>,
}

/// Standard HTTP headers stored with an object and replayed on GET/HEAD.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct StandardHeaders {
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Content-Encoding`.
    pub content_encoding: Option<String>,
    /// `Content-Disposition`.
    pub content_disposition: Option<String>,
    /// `Content-Language`.
    pub content_language: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `Expires`, verbatim.
    pub expires: Option<String>,
}

/// Opaque identifier of a blob: 32 lowercase hex characters (128 random bits).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BlobRef(pub String);

impl BlobRef {
    /// A fresh random id.
    pub fn random() -> Self {
        let mut bytes = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut bytes);
        BlobRef(hex::encode(bytes))
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when the id has the shape produced by [`BlobRef::random`]; only such ids map to paths.
    pub fn is_well_formed(&self) -> bool {
        is_blob_id(&self.0)
    }

    /// Returns `Err(StoreError::InvalidBlobRef)` unless [`BlobRef::is_well_formed`].
    pub fn validate(&self) -> Result<(), StoreError> {
        if self.is_well_formed() {
            Ok(())
        } else {
            Err(StoreError::InvalidBlobRef(self.0.clone()))
        }
    }
}

impl fmt::Display for BlobRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// True for exactly 32 lowercase hex characters.
pub(crate) fn is_blob_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// One part of a multipart object's manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartInfo {
    /// Part number, 1..=10000.
    pub part_number: u32,
    /// Part size in bytes.
    pub size: u64,
    /// Part ETag without quotes (hex MD5).
    pub etag: String,
    /// Where the part's bytes are.
    pub blob: BlobRef,
    /// Checksums of the part.
    pub checksums: Checksums,
}

/// An object row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Bucket name.
    pub bucket: String,
    /// Object key (any UTF-8).
    pub key: String,
    /// Total size in bytes.
    pub size: u64,
    /// ETag without quotes: hex MD5, or `"hex-N"` for multipart.
    pub etag: String,
    /// Last modification, milliseconds since the Unix epoch.
    pub last_modified_ms: i64,
    /// Standard headers.
    pub headers: StandardHeaders,
    /// `x-amz-meta-*` names, lowercase, without the prefix; stored sorted by name.
    pub user_metadata: Vec<(String, String)>,
    /// Whole-object checksums.
    pub checksums: Checksums,
    /// Where the bytes are (for multipart objects, see `parts`).
    pub blob: BlobRef,
    /// Multipart manifest, if the object was assembled from parts.
    pub parts: Option<Vec<PartInfo>>,
    /// Object tags (S3 tagging), key/value pairs in the order they were given; empty when none.
    pub tags: Vec<(String, String)>,
}

impl ObjectMeta {
    /// Every blob this object references: its own blob and each part's blob.
    pub fn blobs(&self) -> Vec<BlobRef> {
        let mut out = vec![self.blob.clone()];
        if let Some(parts) = &self.parts {
            out.extend(parts.iter().map(|p| p.blob.clone()));
        }
        out
    }
}
