//! [`TieredBlobStore`]: small blobs inside the metadata database, the rest as files.
//!
//! A durable file costs two fsyncs of its own (the file, then its directory after the rename),
//! and the disk serialises them. A blob of at most `inline_max` bytes instead becomes a row of
//! the metadata database's `small_blobs` table: committing it stages the bytes, and the object
//! or part write that references it inserts the row in the same savepoint (see
//! `sqlite::staged_blobs`), so bytes and metadata commit together, group-committed with other
//! uploads': many small PUTs share one fsync.
//!
//! A writer keeps bytes in memory until they exceed `inline_max` (or the caller asks it to
//! [`BlobWriter::flush`]) and then continues as a file. Readers find a blob in either tier,
//! whatever `inline_max` is now, so changing it never strands data.

use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;

use crate::blob::{BlobReader, BlobStore, BlobWriter};
use crate::error::StoreError;
use crate::local_blob::LocalBlobStore;
use crate::model::BlobRef;
use crate::sqlite::SqliteMetaStore;

/// Default largest blob kept in the database (bytes).
pub const DEFAULT_INLINE_MAX: usize = 64 << 10;

/// Largest accepted `inline_max`: bigger rows would make the database's log the bulk store.
pub const INLINE_MAX_LIMIT: usize = 1 << 20;

/// Shards of the small-blob listing (one per first byte of the id).
const SMALL_SHARDS: usize = 256;

/// Blobs of at most `inline_max` bytes in SQLite, larger ones in [`LocalBlobStore`].
///
/// Only sound when `small` is the store that also writes the metadata referencing these blobs
/// (that write is what stores a small blob), as [`crate::open_embedded`] arranges.
#[derive(Clone)]
pub struct TieredBlobStore {
    small: SqliteMetaStore,
    files: LocalBlobStore,
    inline_max: usize,
}

impl TieredBlobStore {
    /// Blobs up to `inline_max` bytes (at most [`INLINE_MAX_LIMIT`]; 0 keeps every blob a
    /// file) go to `small`, the metadata database; the rest to `files`.
    pub fn new(small: SqliteMetaStore, files: LocalBlobStore, inline_max: usize) -> Self {
        TieredBlobStore {
            small,
            files,
            inline_max: inline_max.min(INLINE_MAX_LIMIT),
        }
    }

    /// The largest blob kept in the database.
    pub fn inline_max(&self) -> usize {
        self.inline_max
    }

    async fn open_small(&self, blob: &BlobRef) -> Result<Option<Box<dyn BlobReader>>, StoreError> {
        blob.validate()?;
        Ok(self
            .small
            .get_small_blob(blob)
            .await?
            .map(|data| Box::new(MemoryBlobReader { data }) as Box<dyn BlobReader>))
    }

    /// Opens `blob` from the tier tried first, then the other.
    async fn open_from(
        &self,
        blob: &BlobRef,
        small_first: bool,
    ) -> Result<Box<dyn BlobReader>, StoreError> {
        if small_first {
            if let Some(r) = self.open_small(blob).await? {
                return Ok(r);
            }
            return self.files.open(blob).await;
        }
        match self.files.open(blob).await {
            Err(StoreError::BlobMissing(id)) => match self.open_small(blob).await? {
                Some(r) => Ok(r),
                None => Err(StoreError::BlobMissing(id)),
            },
            other => other,
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[async_trait]
impl BlobStore for TieredBlobStore {
    async fn create(&self) -> Result<Box<dyn BlobWriter>, StoreError> {
        if self.inline_max == 0 {
            return self.files.create().await;
        }
        Ok(Box::new(TieredWriter {
            id: BlobRef::random(),
            memory: Vec::new(),
            file: None,
            store: self.clone(),
            written: 0,
        }))
    }

    async fn open(&self, blob: &BlobRef) -> Result<Box<dyn BlobReader>, StoreError> {
        self.open_from(blob, false).await
    }

    async fn open_sized(
        &self,
        blob: &BlobRef,
        size: u64,
    ) -> Result<Box<dyn BlobReader>, StoreError> {
        let small_first = self.inline_max > 0 && size <= self.inline_max as u64;
        self.open_from(blob, small_first).await
    }

    async fn delete(&self, blob: &BlobRef) -> Result<(), StoreError> {
        if !self.files.remove(blob).await? {
            self.small.delete_small_blob(blob).await?;
        }
        Ok(())
    }

    async fn delete_sized(&self, blob: &BlobRef, size: u64) -> Result<(), StoreError> {
        if self.inline_max > 0 && size <= self.inline_max as u64 {
            blob.validate()?;
            if self.small.delete_small_blob(blob).await? {
                return Ok(());
            }
        }
        self.delete(blob).await
    }

    async fn list_blobs_older_than(&self, cutoff: SystemTime) -> Result<Vec<BlobRef>, StoreError> {
        let mut out = self.files.list_blobs_older_than(cutoff).await?;
        let before = cutoff_ms(cutoff);
        for shard in 0..SMALL_SHARDS {
            out.extend(self.small.list_small_blobs(shard as u8, before).await?);
        }
        Ok(out)
    }

    fn listing_shards(&self) -> usize {
        self.files.listing_shards() + SMALL_SHARDS
    }

    async fn list_shard_older_than(
        &self,
        shard: usize,
        cutoff: SystemTime,
    ) -> Result<Vec<BlobRef>, StoreError> {
        let file_shards = self.files.listing_shards();
        if shard < file_shards {
            return self.files.list_shard_older_than(shard, cutoff).await;
        }
        match u8::try_from(shard - file_shards) {
            Ok(small) => self.small.list_small_blobs(small, cutoff_ms(cutoff)).await,
            Err(_) => Ok(Vec::new()),
        }
    }

    async fn clean_temp(&self) -> Result<usize, StoreError> {
        self.files.clean_temp().await
    }

    async fn check_writable(&self) -> Result<(), StoreError> {
        self.files.check_writable().await
    }
}

fn cutoff_ms(cutoff: SystemTime) -> i64 {
    cutoff
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A blob that stays in memory while it fits the database tier, then becomes a file.
struct TieredWriter {
    /// The id a small blob commits under (a file writer picks its own).
    id: BlobRef,
    memory: Vec<u8>,
    /// Set once the blob outgrew the database tier or was flushed.
    file: Option<Box<dyn BlobWriter>>,
    store: TieredBlobStore,
    written: u64,
}

impl TieredWriter {
    /// Moves the bytes held in memory into a new file blob and continues there.
    async fn become_file(&mut self) -> Result<&mut Box<dyn BlobWriter>, StoreError> {
        let mut file = self.store.files.create().await?;
        if !self.memory.is_empty() {
            file.write(&self.memory).await?;
            self.memory = Vec::new();
        }
        Ok(self.file.insert(file))
    }
}

#[async_trait]
impl BlobWriter for TieredWriter {
    async fn write(&mut self, data: &[u8]) -> Result<(), StoreError> {
        self.written += data.len() as u64;
        if let Some(file) = self.file.as_mut() {
            return file.write(data).await;
        }
        if self.memory.len() + data.len() <= self.store.inline_max {
            self.memory.extend_from_slice(data);
            return Ok(());
        }
        self.become_file().await?.write(data).await
    }

    async fn write_shared(&mut self, data: Bytes) -> Result<(), StoreError> {
        if self.file.is_none() && self.memory.len() + data.len() <= self.store.inline_max {
            return self.write(&data).await;
        }
        self.written += data.len() as u64;
        match self.file.as_mut() {
            Some(file) => file.write_shared(data).await,
            None => self.become_file().await?.write_shared(data).await,
        }
    }

    fn written(&self) -> u64 {
        self.written
    }

    fn buffered(&self) -> usize {
        self.memory.len() + self.file.as_ref().map_or(0, |f| f.buffered())
    }

    async fn flush(&mut self) -> Result<(), StoreError> {
        match self.file.as_mut() {
            Some(file) => file.flush().await,
            None if self.memory.is_empty() => Ok(()),
            None => self.become_file().await?.flush().await,
        }
    }

    async fn commit(self: Box<Self>) -> Result<BlobRef, StoreError> {
        let this = *self;
        match this.file {
            Some(file) => file.commit().await,
            None => {
                this.store
                    .small
                    .stage_small_blob(this.id, now_ms(), this.memory)
                    .await
            }
        }
    }

    async fn abort(self: Box<Self>) {
        if let Some(file) = self.file {
            file.abort().await;
        }
    }
}

/// A small blob read whole from the database.
struct MemoryBlobReader {
    data: Vec<u8>,
}

#[async_trait]
impl BlobReader for MemoryBlobReader {
    fn len(&self) -> u64 {
        self.data.len() as u64
    }

    async fn read_chunk(&self, offset: u64, max_len: usize) -> Result<Vec<u8>, StoreError> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.data.len());
        let end = start + max_len.min(self.data.len() - start);
        Ok(self.data[start..end].to_vec())
    }
}
