//! The metadata store contract: buckets, objects and listing.

use async_trait::async_trait;

use crate::error::StoreError;
use crate::model::{BlobRef, BucketMeta, ObjectMeta};
use crate::multipart_model::{
    CompletedUpload, CompletedUploadRecord, PartRecord, UploadMeta, UploadPage,
};
use crate::outbox::{OutboxEvent, OutboxStore};
use crate::task_lease::TaskLeaseStore;

/// One page request of an S3 ListObjects / ListObjectsV2 call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListQuery<'a> {
    /// Only keys starting with this prefix ("" for all).
    pub prefix: &'a str,
    /// Roll keys containing this string (after the prefix) up into common prefixes.
    /// `Some("")` behaves like `None`.
    pub delimiter: Option<&'a str>,
    /// Exclusive lower bound (V1 marker, V2 start-after or decoded continuation token).
    /// If it falls inside a common prefix, that prefix is not returned again.
    pub start_after: Option<&'a str>,
    /// Maximum number of entries (objects plus common prefixes) in the page.
    pub max_keys: usize,
}

/// One page of listing results.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListPage {
    /// Objects in UTF-8 binary key order.
    pub objects: Vec<ObjectMeta>,
    /// Common prefixes in binary order (each counted once toward `max_keys`).
    pub common_prefixes: Vec<String>,
    /// True only if more entries remain after this page.
    pub is_truncated: bool,
    /// When truncated: the last key or common prefix returned (the greater of the two),
    /// to pass as the next `start_after`. `None` when not truncated.
    pub next_marker: Option<String>,
}

/// Metadata storage: buckets, object rows, multipart uploads. Implementations never block the
/// async runtime.
///
/// # Contract
///
/// - **Atomic.** Each method is one transaction: it happens whole or not at all. Concurrent
///   calls may share a commit (the embedded backend group-commits them); a call that fails
///   inside it is undone alone, a commit that fails fails every call it carried.
/// - **Durable.** A write that returns `Ok` is durable (embedded: its log is fsynced before the
///   answer). A write that returns an error changed nothing, except that after
///   [`StoreError::Uncertain`] (it may be applied and visible; making it durable failed) or
///   [`StoreError::Task`] (the backend's worker failed) the outcome is unknown.
/// - **Visible.** A read started after a write returned sees it; it may also see a write that
///   committed and has not answered yet. Listings and reads of several rows read one snapshot.
/// - **Retries.** Reads may be retried. Writes may be retried after an error, with these
///   answers when the first attempt did commit: `delete_object` gives `None`, `abort_upload`
///   and `complete_upload` [`StoreError::NoSuchUpload`] (recognise a completed upload with
///   [`MetaStore::completed_upload`]), `delete_bucket` [`StoreError::NoSuchBucket`],
///   `create_bucket` [`StoreError::BucketExists`], `create_upload` a `Backend` error (the id
///   exists). `put_object` and `put_part` end in the same state, but name the first attempt's
///   own row or blob as replaced: **never free a replaced blob that the retried write names**.
///   Conditional writes ([`WritePrecondition`]) are not retry-safe: a retry sees its own
///   first attempt.
///   The `*_with_events` writes answer as their plain forms; a retried
///   `put_object_with_events` whose first attempt committed commits its events again
///   (duplicates, with the next sequencer: delivery is at least once), a retried completion
///   or delete stores none.
/// - **Blobs.** The store never deletes blob bytes. A write that drops references returns the
///   blobs (replaced object, replaced part, aborted or unused parts, a deleted bucket's parts)
///   for the caller to free after it returned; [`MetaStore::blob_in_use`] tells the orphan
///   sweep what is still referenced. Small blobs staged by the embedded blob store are stored
///   by `put_object_if` / `put_part`, in their transaction (see [`crate::BlobWriter::commit`]).
/// - **Cascades.** `delete_bucket` refuses a bucket with objects; with the bucket go, in its
///   transaction, its open multipart uploads and their parts, its completed-upload records, its
///   bucket policy, canned ACL, CORS document, notification document and tagging document. Replacing or deleting
///   an object deletes its object ACL. Grants naming the bucket or key are not touched (they
///   lapse at their expiry); nor are the bucket's outbox entries, dead letters and event
///   sequence (the entries are still delivered; a bucket created again with the name continues
///   the sequence).
/// - **Events.** `put_object_with_events`, `complete_upload_with_events` and
///   `delete_object_with_events` insert their [`OutboxEvent`]s in the write's own transaction
///   (see [`OutboxStore`]): a write that fails leaves no event, one that returned `Ok` has its
///   events durable. The writes without events are these with none.
/// - **Order.** Buckets by name; objects and common prefixes in UTF-8 byte order of the key;
///   parts by number; uploads by key bytes, then upload id; stale uploads oldest first.
/// - **Time.** Every time is a caller's value (ms since the Unix epoch, in the rows or as a
///   parameter); the store reads no clock.
/// - **Errors.** Domain outcomes are their own [`StoreError`] variants, documented per method;
///   [`StoreError::Backend`] is a failure of the backend itself (`storage_full` when it ran
///   out of space; nothing was written), [`StoreError::Corrupt`] stored data it cannot decode.
#[async_trait]
pub trait MetaStore:
    TaskLeaseStore + OutboxStore + crate::tus::TusUploadStore + Send + Sync + 'static
{
    /// Creates a bucket; [`StoreError::BucketExists`] if the name is taken.
    async fn create_bucket(&self, b: &BucketMeta) -> Result<(), StoreError>;

    /// Looks a bucket up by name (`None` if absent).
    async fn get_bucket(&self, name: &str) -> Result<Option<BucketMeta>, StoreError>;

    /// All buckets, sorted by name.
    async fn list_buckets(&self) -> Result<Vec<BucketMeta>, StoreError>;

    /// Deletes a bucket that holds no objects ([`StoreError::NoSuchBucket`],
    /// [`StoreError::BucketNotEmpty`]). Its multipart uploads in progress are deleted with it,
    /// as S3 does; the blobs of their parts are returned for the caller to free. Everything
    /// else attached to the bucket goes in the same transaction (see the trait's cascades).
    async fn delete_bucket(&self, name: &str) -> Result<Vec<BlobRef>, StoreError>;

    /// Inserts or replaces an object in one transaction and returns the replaced row, whose
    /// blobs the caller must free (those the new row does not name). The bucket's usage
    /// counters change in the same transaction; the replaced object's ACL is deleted.
    /// [`StoreError::NoSuchBucket`] if the bucket is gone.
    /// `user_metadata` is stored sorted by name. Unconditional: [`MetaStore::put_object_if`]
    /// with [`WritePrecondition::NONE`].
    async fn put_object(&self, meta: &ObjectMeta) -> Result<Option<ObjectMeta>, StoreError> {
        self.put_object_if(meta, &WritePrecondition::NONE).await
    }

    /// [`MetaStore::put_object`] that happens only if `precondition` holds for the object now
    /// stored under `meta`'s bucket and key (S3 conditional writes, `If-None-Match: *` /
    /// `If-Match`).
    ///
    /// The precondition is evaluated **atomically with the write**: inside the same
    /// transaction (savepoint) that replaces the row, on the writer connection, so no other
    /// write to the key can come between the check and the write. Of any number of
    /// concurrent writes that each require the key to be absent (or to hold ETag `E`), at
    /// most one succeeds. A check made before calling this (to refuse early, before a body is
    /// streamed) is only an optimisation; this one decides.
    ///
    /// When it does not hold nothing is written ([`WritePrecondition::check`]):
    /// [`StoreError::PreconditionFailed`] (`If-None-Match: *` and the key holds an object, or
    /// `If-Match` and the object's ETag differs) or [`StoreError::NoSuchKey`] (`If-Match` and
    /// no object). A small blob staged for this write (see `TieredBlobStore`) is not stored
    /// either; a blob file stays for the caller to free, as after any failed write.
    /// [`MetaStore::put_object_with_events`] with no events.
    async fn put_object_if(
        &self,
        meta: &ObjectMeta,
        precondition: &WritePrecondition,
    ) -> Result<Option<ObjectMeta>, StoreError> {
        self.put_object_with_events(meta, precondition, &[]).await
    }

    /// [`MetaStore::put_object_if`] that also commits `events` to the outbox, **in the same
    /// transaction** as the row: when the write fails (precondition, missing bucket, any
    /// error) no event is stored; when it returns `Ok` the events are durable. With at least
    /// one event the write takes the next value of the bucket's sequence (`meta.bucket`'s, in
    /// the same transaction), which every one of its events keeps as its sequencer; with none
    /// it takes no value. The events' own `bucket` and `key` are stored as given.
    async fn put_object_with_events(
        &self,
        meta: &ObjectMeta,
        precondition: &WritePrecondition,
        events: &[OutboxEvent],
    ) -> Result<Option<ObjectMeta>, StoreError>;

    /// Reads one object row.
    async fn get_object(&self, bucket: &str, key: &str) -> Result<Option<ObjectMeta>, StoreError>;

    /// Deletes one object row, with its ACL and usage, and returns it (`None` if absent; the
    /// bucket is not checked). Idempotent; the caller frees the returned row's blobs.
    /// [`MetaStore::delete_object_with_events`] with no events.
    async fn delete_object(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<ObjectMeta>, StoreError> {
        self.delete_object_with_events(bucket, key, &[]).await
    }

    /// [`MetaStore::delete_object`] that also commits `events` to the outbox in the same
    /// transaction, **only if an object was deleted** (the answer is `Some`): deleting an
    /// absent key, or a retry of a delete that committed, stores no event. Events stored take
    /// the bucket's next sequence value, shared by all of them, as in
    /// [`MetaStore::put_object_with_events`].
    async fn delete_object_with_events(
        &self,
        bucket: &str,
        key: &str,
        events: &[OutboxEvent],
    ) -> Result<Option<ObjectMeta>, StoreError>;

    /// One page of S3 ListObjects semantics; costs O(page), not O(bucket).
    /// [`StoreError::NoSuchBucket`] if the bucket does not exist. A page is one snapshot;
    /// successive pages are not: a key written between two calls is listed if it sorts after
    /// the marker, and no key is listed twice.
    async fn list_objects(&self, bucket: &str, q: &ListQuery<'_>) -> Result<ListPage, StoreError>;

    /// For each blob, whether any object (its `blob` or a part of its manifest) or any part of
    /// an open upload references it (same order as input), read in one snapshot. A blob
    /// committed but not yet referenced reads `false`: the orphan sweep's age cutoff covers it.
    async fn blob_in_use(&self, blobs: &[BlobRef]) -> Result<Vec<bool>, StoreError>;

    /// Total number of objects in all buckets (O(number of buckets)).
    async fn object_count(&self) -> Result<u64, StoreError>;

    /// Object count and total bytes of one bucket, `None` if it does not exist.
    async fn bucket_usage(&self, name: &str) -> Result<Option<BucketUsage>, StoreError>;

    /// Records a new multipart upload ([`StoreError::NoSuchBucket`] if the bucket is gone). Its
    /// id must be new (a `Backend` error otherwise).
    async fn create_upload(&self, upload: &UploadMeta) -> Result<(), StoreError>;

    /// Looks an open upload up by id.
    async fn get_upload(&self, upload_id: &str) -> Result<Option<UploadMeta>, StoreError>;

    /// Records an uploaded part, replacing an earlier one with the same number; returns the
    /// replaced part's blob for the caller to free. [`StoreError::NoSuchUpload`] if not open
    /// (then a small blob staged for the part is not stored).
    async fn put_part(&self, part: &PartRecord) -> Result<Option<BlobRef>, StoreError>;

    /// Parts with numbers above `after_part`, in order, at most `max` (empty for an unknown
    /// upload).
    async fn list_parts(
        &self,
        upload_id: &str,
        after_part: u32,
        max: usize,
    ) -> Result<Vec<PartRecord>, StoreError>;

    /// The total size and the highest part number of an upload's parts, read in one snapshot
    /// (`(0, 0)` when it has none or is unknown). What a resumable upload's offset is; a backend
    /// should answer it without reading every part's record.
    async fn upload_extent(&self, upload_id: &str) -> Result<(u64, u32), StoreError> {
        let parts = self.list_parts(upload_id, 0, usize::MAX).await?;
        Ok((
            parts.iter().map(|p| p.size).sum(),
            parts.iter().map(|p| p.part_number).max().unwrap_or(0),
        ))
    }

    /// Completes an upload: in one transaction the upload and its parts disappear, the
    /// object (whose `parts` manifest names the parts used) is written and a
    /// [`CompletedUploadRecord`] of the completion is kept. [`StoreError::NoSuchUpload`] if the
    /// upload is not open or `object` names another bucket or key; [`StoreError::PartChanged`]
    /// if a manifest entry's blob is not the part's current blob. Returns the replaced object
    /// and the parts the manifest does not use, for the caller to free. Unconditional:
    /// [`MetaStore::complete_upload_if`] with [`WritePrecondition::NONE`].
    async fn complete_upload(
        &self,
        upload_id: &str,
        object: &ObjectMeta,
    ) -> Result<CompletedUpload, StoreError> {
        self.complete_upload_if(upload_id, object, &WritePrecondition::NONE)
            .await
    }

    /// [`MetaStore::complete_upload`] that happens only if `precondition` holds for the object
    /// now stored under `object`'s bucket and key (S3 conditional writes on
    /// CompleteMultipartUpload).
    ///
    /// The precondition is evaluated **atomically with the completion**, inside its one
    /// transaction, after the upload and its parts are found as expected
    /// ([`StoreError::NoSuchUpload`] and [`StoreError::PartChanged`] come first): of
    /// concurrent completions to one key that each require it to be absent, at most one
    /// succeeds. When it does not hold ([`StoreError::PreconditionFailed`], or
    /// [`StoreError::NoSuchKey`] for `If-Match` without an object) nothing changes: the
    /// upload stays open with its parts, no object is written, nothing is recorded.
    /// [`MetaStore::complete_upload_with_events`] with no events.
    async fn complete_upload_if(
        &self,
        upload_id: &str,
        object: &ObjectMeta,
        precondition: &WritePrecondition,
    ) -> Result<CompletedUpload, StoreError> {
        self.complete_upload_with_events(upload_id, object, precondition, &[])
            .await
    }

    /// [`MetaStore::complete_upload_if`] that also commits `events` to the outbox in the same
    /// transaction: when the completion fails ([`StoreError::NoSuchUpload`],
    /// [`StoreError::PartChanged`], a precondition, any error) no event is stored; when it
    /// returns `Ok` the events are durable, with the bucket's next sequence value shared by
    /// all of them, as in [`MetaStore::put_object_with_events`].
    async fn complete_upload_with_events(
        &self,
        upload_id: &str,
        object: &ObjectMeta,
        precondition: &WritePrecondition,
        events: &[OutboxEvent],
    ) -> Result<CompletedUpload, StoreError>;

    /// The record of a completed upload, if it completed and was not pruned since.
    async fn completed_upload(
        &self,
        upload_id: &str,
    ) -> Result<Option<CompletedUploadRecord>, StoreError>;

    /// Forgets completed uploads that completed before `before_ms`; returns how many.
    /// Idempotent.
    async fn prune_completed_uploads(&self, before_ms: i64) -> Result<u64, StoreError>;

    /// Aborts an upload, deleting it with its parts; returns their blobs for the caller to free.
    /// [`StoreError::NoSuchUpload`] if it is not open.
    async fn abort_upload(&self, upload_id: &str) -> Result<Vec<BlobRef>, StoreError>;

    /// Open uploads of a bucket under `prefix` after the markers, at most `max` (S3
    /// ListMultipartUploads order: key bytes, then upload id). An empty `upload_id_marker`
    /// with a `key_marker` skips every upload of that key.
    async fn list_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        key_marker: &str,
        upload_id_marker: &str,
        max: usize,
    ) -> Result<UploadPage, StoreError>;

    /// Number of open multipart uploads (all buckets).
    async fn count_open_uploads(&self) -> Result<u64, StoreError>;

    /// Uploads created before `before_ms` (oldest first, at most `max`), for the stale sweep,
    /// which aborts them.
    async fn stale_uploads(
        &self,
        before_ms: i64,
        max: usize,
    ) -> Result<Vec<UploadMeta>, StoreError>;
}

/// Counters maintained transactionally with every put and delete.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BucketUsage {
    /// Number of objects.
    pub objects: u64,
    /// Sum of object sizes in bytes.
    pub bytes: u64,
}

/// The condition a conditional write ([`MetaStore::put_object_if`],
/// [`MetaStore::complete_upload_if`]) puts on the object currently stored under its key:
/// S3's `If-None-Match: *` and `If-Match: "<etag>"` on PutObject and CompleteMultipartUpload.
/// Both may be given; each must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WritePrecondition {
    /// `If-None-Match: *`: the key must hold no object.
    pub if_none_match: bool,
    /// `If-Match`: the key must hold an object whose ETag matches this header value (one or
    /// more comma-separated entity tags, quoted or not, weak or not, or `*`; see
    /// [`etag_matches`]).
    pub if_match: Option<String>,
}

impl WritePrecondition {
    /// No condition: the write replaces whatever is there.
    pub const NONE: WritePrecondition = WritePrecondition {
        if_none_match: false,
        if_match: None,
    };

    /// True when there is nothing to check.
    pub fn is_none(&self) -> bool {
        !self.if_none_match && self.if_match.is_none()
    }

    /// Decides the precondition against `current`, the object stored under the key (`None`
    /// when there is none). In S3's order: `If-None-Match: *` with an object is
    /// [`StoreError::PreconditionFailed`] naming `If-None-Match`; `If-Match` without an object
    /// is [`StoreError::NoSuchKey`] (S3 answers 404 NoSuchKey), with an object whose ETag does
    /// not match it is [`StoreError::PreconditionFailed`] naming `If-Match`.
    pub fn check(&self, current: Option<&ObjectMeta>) -> Result<(), StoreError> {
        if self.if_none_match && current.is_some() {
            return Err(StoreError::PreconditionFailed {
                condition: "If-None-Match",
            });
        }
        if let Some(want) = &self.if_match {
            match current {
                None => return Err(StoreError::NoSuchKey),
                Some(m) if !etag_matches(want, &m.etag) => {
                    return Err(StoreError::PreconditionFailed {
                        condition: "If-Match",
                    })
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

/// Whether an `If-Match` / `If-None-Match` header value matches an ETag (stored without
/// quotes): a comma-separated list of entity tags, each quoted or not, weak (`W/`) or not, or
/// `*`, which matches any.
pub fn etag_matches(header_value: &str, etag: &str) -> bool {
    header_value.split(',').any(|candidate| {
        let c = candidate.trim();
        let c = c.strip_prefix("W/").unwrap_or(c);
        c == "*" || c.trim_matches('"') == etag
    })
}
