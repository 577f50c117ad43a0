//! The blob store contract: immutable byte blobs written once through a temp file.

use std::time::SystemTime;

use async_trait::async_trait;
use bytes::Bytes;

use crate::error::StoreError;
use crate::model::BlobRef;

/// Storage for object and part bytes. Blobs are immutable once committed.
///
/// # Contract
///
/// - **Ids.** A blob is named by a [`BlobRef`] the store picks at [`BlobStore::create`]
///   (32 lowercase hex characters, never reused); any other id is
///   [`StoreError::InvalidBlobRef`].
/// - **Visibility and durability.** Bytes are invisible until [`BlobWriter::commit`] returns;
///   what commit guarantees is written there. A blob is never changed after that, only deleted.
/// - **References.** The blob store knows nothing of metadata: a committed blob no row
///   references is an orphan. Callers free blobs that writes return as replaced, and
///   [`crate::sweep_orphans`] deletes orphans older than a cutoff that leaves room for uploads
///   in flight (blob committed, metadata not yet written).
/// - **Retries.** `open`, `delete`, the listings, `check_writable` and `clean_temp` are
///   idempotent. `commit` is not retried: after an error the blob is not committed and its
///   bytes are gone; start over with a new writer.
/// - **Time.** Listings compare a blob's write time (the embedded backend: file modification
///   time, or the small-blob row's creation time, both from the system clock) with the
///   caller's `cutoff`.
/// - **Errors.** [`StoreError::BlobMissing`] for a blob not committed or deleted;
///   [`StoreError::Io`] (or `Backend` for the database tier) for failures, where
///   [`StoreError::is_storage_full`] tells a full device.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Starts a new blob (embedded: a temp file under `tmp/`, or memory while it fits the
    /// small-blob tier).
    async fn create(&self) -> Result<Box<dyn BlobWriter>, StoreError>;

    /// Opens a committed blob; [`StoreError::BlobMissing`] if it does not exist. A reader
    /// opened before the blob is deleted may go on reading it (embedded: it does).
    async fn open(&self, blob: &BlobRef) -> Result<Box<dyn BlobReader>, StoreError>;

    /// Opens a committed blob the caller knows to be `size` bytes long (from its metadata), so
    /// a backend with several tiers can look in the likely one first.
    async fn open_sized(
        &self,
        blob: &BlobRef,
        size: u64,
    ) -> Result<Box<dyn BlobReader>, StoreError> {
        let _ = size;
        self.open(blob).await
    }

    /// Deletes a committed blob; a missing blob is not an error. Not necessarily durable when
    /// it returns (embedded: a small blob's row is deleted with the next durable commit): a
    /// deletion lost to a crash leaves an orphan for the sweep.
    async fn delete(&self, blob: &BlobRef) -> Result<(), StoreError>;

    /// Deletes a committed blob the caller knows to be `size` bytes long, looking in the
    /// likely tier first; a missing blob is not an error.
    async fn delete_sized(&self, blob: &BlobRef, size: u64) -> Result<(), StoreError> {
        let _ = size;
        self.delete(blob).await
    }

    /// Committed blobs last written before `cutoff` (candidates for the orphan sweep), in no
    /// particular order; never a blob still being written.
    async fn list_blobs_older_than(&self, cutoff: SystemTime) -> Result<Vec<BlobRef>, StoreError>;

    /// How many shards [`BlobStore::list_shard_older_than`] splits that listing into. The
    /// orphan sweep walks one shard at a time, so its memory stays bounded on big stores.
    fn listing_shards(&self) -> usize {
        1
    }

    /// The committed blobs of shard `shard` (below [`BlobStore::listing_shards`]) last written
    /// before `cutoff`.
    async fn list_shard_older_than(
        &self,
        shard: usize,
        cutoff: SystemTime,
    ) -> Result<Vec<BlobRef>, StoreError> {
        if shard == 0 {
            self.list_blobs_older_than(cutoff).await
        } else {
            Ok(Vec::new())
        }
    }

    /// Removes every leftover temp file (startup); returns how many entries were removed.
    /// Destroys blobs being written: call it only when no writer of this store can be active
    /// (at startup, under the data dir's lock).
    async fn clean_temp(&self) -> Result<usize, StoreError>;

    /// Whether the store accepts new blobs now (the readiness probe): the embedded backend writes
    /// and removes a small file where uploads are staged. Changes nothing visible; may be retried.
    async fn check_writable(&self) -> Result<(), StoreError>;
}

/// An in-progress blob. Dropping it without [`BlobWriter::commit`] or [`BlobWriter::abort`]
/// removes the temp file (best effort, synchronously).
#[async_trait]
pub trait BlobWriter: Send {
    /// Appends bytes. Memory stays bounded (one internal buffer) whatever the blob size.
    async fn write(&mut self, data: &[u8]) -> Result<(), StoreError>;

    /// Appends bytes the caller shares with others (say, a hasher): a writer may keep a
    /// reference until they are written instead of copying them. The default copies.
    async fn write_shared(&mut self, data: Bytes) -> Result<(), StoreError> {
        self.write(&data).await
    }

    /// Bytes written so far.
    fn written(&self) -> u64;

    /// Bytes accepted by [`BlobWriter::write`] that are still held in this process's memory
    /// (not yet handed to the operating system).
    fn buffered(&self) -> usize {
        0
    }

    /// Hands every buffered byte to the operating system now and frees the buffer, so an
    /// idle upload holds no memory. Not a durability point: only `commit` is.
    async fn flush(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Makes the blob durable (a file: fsync, rename into place, fsync the directory), or, for
    /// a backend that stores small blobs with their metadata, ready to be stored by the
    /// metadata write that references it. Returns the blob id; only after this returns may
    /// metadata reference it.
    ///
    /// A small blob (embedded: at most `inline_max` bytes, never flushed) is only staged in
    /// this process's memory: it is readable at once but **durable only through the metadata
    /// write that names it** ([`crate::MetaStore::put_object_if`] or
    /// [`crate::MetaStore::put_part`] on the same backend), which stores it in its own
    /// transaction. If that write fails or never comes, the blob is not stored (as if swept);
    /// a crash before it loses it. When the stage is full the blob is written to the database
    /// on its own instead, durable with the next durable commit. After an error nothing is
    /// committed and the temp state is gone.
    async fn commit(self: Box<Self>) -> Result<BlobRef, StoreError>;

    /// Discards the blob and removes the temp file. Infallible, best effort (a leftover temp
    /// file goes at the next [`BlobStore::clean_temp`]).
    async fn abort(self: Box<Self>);
}

/// A committed blob opened for reading. Reads are positional, so one reader can serve
/// several ranges; memory per call is bounded by the requested length.
#[async_trait]
pub trait BlobReader: Send + Sync {
    /// Size in bytes.
    fn len(&self) -> u64;

    /// True for a zero-length blob.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads up to `max_len` bytes at `offset` into a new buffer; shorter only at end of
    /// blob, empty at or past the end. Stream a range by calling this with 256 KiB..1 MiB
    /// chunks; the returned `Vec` converts to `bytes::Bytes` without copying.
    async fn read_chunk(&self, offset: u64, max_len: usize) -> Result<Vec<u8>, StoreError>;

    /// Reads into `buf` at `offset`; returns the bytes read (fewer only at end of blob).
    async fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, StoreError> {
        let chunk = self.read_chunk(offset, buf.len()).await?;
        let n = chunk.len().min(buf.len());
        buf[..n].copy_from_slice(&chunk[..n]);
        Ok(n)
    }
}
