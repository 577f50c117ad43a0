//! The contract for tus resumable uploads (`/_sluice/tus/`): the protocol state of an upload whose
//! bytes are the parts of an ordinary multipart upload.

use async_trait::async_trait;

use crate::error::StoreError;
use crate::multipart_model::UploadMeta;

/// The tus state of one upload. Its bytes are the parts of the multipart upload `upload_id`
/// (one part per PATCH, numbered in order), so the offset is the sum of their sizes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TusUpload {
    /// The multipart upload holding the bytes.
    pub upload_id: String,
    /// Hex SHA-256 of the capability token in the upload's URL (the token itself is not stored).
    pub token_hash: String,
    /// `Upload-Length`, or `None` while deferred (`Upload-Defer-Length: 1`).
    pub length: Option<u64>,
    /// When the upload expires unfinished (`Upload-Expires`), ms since the epoch.
    pub expires_ms: i64,
    /// The `Upload-Metadata` header as the client sent it.
    pub metadata: String,
    /// The signed `x-sluice-*` constraints of the creation URL, as a query string.
    pub constraints: String,
    /// The access key that signed the creation URL.
    pub access_key: String,
}

/// Stores the tus state of uploads.
///
/// # Contract
///
/// Each method is one transaction, durable when it returns `Ok`. `create_tus_upload` writes the
/// multipart upload and its tus state together (all or nothing; [`StoreError::NoSuchBucket`]
/// if the bucket is gone). The tus state lives exactly as long as its multipart upload: aborting
/// the upload ([`crate::MetaStore::abort_upload`]), deleting its bucket or completing it deletes
/// the state in the same transaction. `token_hash` is unique. Times are the caller's.
#[async_trait]
pub trait TusUploadStore: Send + Sync + 'static {
    /// Records a new multipart upload and its tus state in one transaction.
    async fn create_tus_upload(
        &self,
        upload: &UploadMeta,
        tus: &TusUpload,
    ) -> Result<(), StoreError>;
    /// The tus upload whose token hashes to `token_hash`, if it is open.
    async fn get_tus_upload(&self, token_hash: &str) -> Result<Option<TusUpload>, StoreError>;
    /// Sets a deferred length once: `Ok(true)` if it was deferred and is now `length`,
    /// `Ok(false)` if it was already set (unchanged); [`StoreError::NoSuchUpload`] if not open.
    async fn set_tus_length(&self, upload_id: &str, length: u64) -> Result<bool, StoreError>;
    /// Open tus uploads that expired before `before_ms`, oldest first, at most `max`.
    async fn expired_tus_uploads(
        &self,
        before_ms: i64,
        max: usize,
    ) -> Result<Vec<TusUpload>, StoreError>;
}
