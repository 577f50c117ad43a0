//! The embedded SQLite metadata backend.
//!
//! One writer connection owned by a writer thread (SQLite allows a single writer anyway), fed
//! by a group-commit queue and made durable by a syncer thread; a pool of read-only
//! connections, used on the blocking thread pool; WAL mode lets readers run concurrently with
//! the writer. No SQLite call runs on the async runtime.

mod bucket_access;
mod bucket_cache;
mod bucket_cors;
mod bucket_documents;
mod bucket_notifications;
mod buckets;
mod check_profiles;
mod checkpointer;
mod grants;
mod group_commit;
mod identity;
mod listing;
mod multipart;
mod objects;
mod outbox;
pub mod schema;
mod small_blobs;
mod staged_blobs;
mod tagging;
mod task_leases;
mod tus_uploads;
mod wal_sync;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags};

use crate::error::{blocking, StoreError};
use crate::meta::{BucketUsage, ListPage, ListQuery, MetaStore, WritePrecondition};
use crate::model::{BlobRef, BucketMeta, ObjectMeta};
use crate::multipart_model::{
    CompletedUpload, CompletedUploadRecord, PartRecord, UploadMeta, UploadPage,
};
use crate::outbox::OutboxEvent;

/// Idle reader connections kept for reuse; more may be open briefly under load. Opening one
/// parses the schema, so the pool must cover the reads a busy server runs at once (16
/// clients reading meant connections opened and closed on nearly every request at 4).
const MAX_IDLE_READERS: usize = 16;

/// Page cache of each reader connection, in KiB. Any commit empties a reader's cache, so under
/// writes a big one buys little; kept small so the pool stays small in memory.
const READER_CACHE_KIB: i64 = 512;

/// File name of the metadata database inside the data directory.
pub const META_FILE_NAME: &str = "meta.sqlite";

/// [`MetaStore`] backed by one SQLite file.
#[derive(Clone)]
pub struct SqliteMetaStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    queue: group_commit::WriteQueue,
    buckets: bucket_cache::BucketCache,
    staged: staged_blobs::StagedBlobs,
    _checkpointer: checkpointer::Checkpointer,
    readers: Mutex<Vec<Connection>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves the connection usable: any open transaction was
    // rolled back when its guard dropped.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SqliteMetaStore {
    /// Opens (creating if needed) the database at `path` and runs pending migrations.
    /// Blocking: call from `spawn_blocking` or at startup before serving.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut writer = Connection::open(path)?;
        schema::configure(&writer, false)?;
        schema::migrate(&mut writer)?;
        writer.pragma_update(
            None,
            "wal_autocheckpoint",
            checkpointer::WRITER_CHECKPOINT_PAGES,
        )?;
        let checkpointer = checkpointer::Checkpointer::start(path)?;
        Ok(SqliteMetaStore {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                queue: group_commit::WriteQueue::start(writer, path)?,
                buckets: bucket_cache::BucketCache::default(),
                staged: staged_blobs::StagedBlobs::default(),
                _checkpointer: checkpointer,
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The database file path.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` with the writer connection on the blocking pool; concurrent writes share one
    /// commit (see [`group_commit`]). `f` must use savepoints, not `BEGIN`, for atomicity.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        group_commit::write(&self.inner.queue, f).await
    }

    /// Like [`SqliteMetaStore::write`], answered before the commit's fsync (see
    /// [`group_commit::write_lazy`] for when that is allowed).
    async fn write_lazy<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        group_commit::write_lazy(&self.inner.queue, f).await
    }

    /// Stores a small blob's bytes in the database under `id` (or a fresh id, returned, in the
    /// unlikely case `id`'s slot is taken). Durable no later than the next durable commit on
    /// this database: the metadata commit that references the blob.
    pub(crate) async fn put_small_blob(
        &self,
        id: BlobRef,
        created_ms: i64,
        data: Vec<u8>,
    ) -> Result<BlobRef, StoreError> {
        self.write_lazy(move |c| small_blobs::insert(c, id, created_ms, &data))
            .await
    }

    /// Commits a small blob by staging it: the object or part write that references it inserts
    /// it in the same savepoint (see [`staged_blobs`]). When the stage is full it is inserted on
    /// its own, as [`SqliteMetaStore::put_small_blob`]. Returns the id to reference.
    pub(crate) async fn stage_small_blob(
        &self,
        id: BlobRef,
        created_ms: i64,
        data: Vec<u8>,
    ) -> Result<BlobRef, StoreError> {
        let staged = staged_blobs::Staged { created_ms, data };
        match self.inner.staged.stage(id.clone(), staged) {
            Ok(()) => Ok(id),
            Err(back) => self.put_small_blob(id, back.created_ms, back.data).await,
        }
    }

    /// The bytes of a small blob, `None` if the database does not hold it.
    pub(crate) async fn get_small_blob(&self, id: &BlobRef) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(data) = self.inner.staged.copy(id) {
            return Ok(Some(data));
        }
        let id = id.clone();
        self.read(move |c| small_blobs::get(c, &id)).await
    }

    /// Removes a small blob; says whether the database held it.
    pub(crate) async fn delete_small_blob(&self, id: &BlobRef) -> Result<bool, StoreError> {
        if self.inner.staged.take(id).is_some() {
            return Ok(true);
        }
        let id = id.clone();
        self.write_lazy(move |c| small_blobs::delete(c, &id)).await
    }

    /// The small blobs of listing shard `shard` (a 256th of the slot space), written before
    /// `before_ms`.
    pub(crate) async fn list_small_blobs(
        &self,
        shard: u8,
        before_ms: i64,
    ) -> Result<Vec<BlobRef>, StoreError> {
        self.read(move |c| small_blobs::list_shard_older_than(c, shard, before_ms))
            .await
    }

    /// Runs `f` with a pooled read-only connection on the blocking pool.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            let pooled = lock(&inner.readers).pop();
            let mut conn = match pooled {
                Some(c) => c,
                None => open_reader(&inner.path)?,
            };
            let result = f(&mut conn);
            // A connection left inside a transaction (only possible after a failed rollback)
            // is not returned to the pool.
            if conn.is_autocommit() {
                let mut idle = lock(&inner.readers);
                if idle.len() < MAX_IDLE_READERS {
                    idle.push(conn);
                }
            }
            result
        })
        .await
    }
}

/// Runs `write`, first inserting the staged bytes of `blob` it references, all in one
/// savepoint: the blob row exists exactly when the write succeeded.
fn with_staged_blob<T>(
    conn: &mut Connection,
    blob: &BlobRef,
    staged: Option<staged_blobs::Staged>,
    write: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let Some(staged) = staged else {
        return write(conn);
    };
    conn.execute_batch("SAVEPOINT staged_blob")?;
    let result = small_blobs::insert_exact(conn, blob, staged.created_ms, &staged.data)
        .and_then(|()| write(conn));
    let end = match &result {
        Ok(_) => conn.execute_batch("RELEASE staged_blob"),
        Err(_) => conn.execute_batch("ROLLBACK TO staged_blob; RELEASE staged_blob"),
    };
    match (result, end) {
        (Ok(v), Ok(())) => Ok(v),
        (Err(e), _) => Err(e),
        (Ok(_), Err(e)) => Err(e.into()),
    }
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    schema::configure(&conn, true)?;
    conn.pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
    Ok(conn)
}

#[async_trait]
impl MetaStore for SqliteMetaStore {
    async fn create_bucket(&self, b: &BucketMeta) -> Result<(), StoreError> {
        let b = b.clone();
        self.write(move |c| buckets::create(c, &b)).await
    }

    async fn get_bucket(&self, name: &str) -> Result<Option<BucketMeta>, StoreError> {
        let cache = &self.inner.buckets;
        if let Some(b) = cache.get(name) {
            return Ok(Some(b));
        }
        let generation = cache.generation();
        let owned = name.to_owned();
        let found = self.read(move |c| buckets::get(c, &owned)).await?;
        if let Some(b) = &found {
            cache.remember(generation, b);
        }
        Ok(found)
    }

    async fn list_buckets(&self) -> Result<Vec<BucketMeta>, StoreError> {
        self.read(|c| buckets::list(c)).await
    }

    async fn delete_bucket(&self, name: &str) -> Result<Vec<BlobRef>, StoreError> {
        let owned = name.to_owned();
        let result = self.write(move |c| buckets::delete(c, &owned)).await;
        // Even after a failure: the outcome of a failed commit is not certain.
        self.inner.buckets.forget(name);
        result
    }

    async fn put_object_with_events(
        &self,
        meta: &ObjectMeta,
        precondition: &WritePrecondition,
        events: &[OutboxEvent],
    ) -> Result<Option<ObjectMeta>, StoreError> {
        let mut meta = meta.clone();
        meta.user_metadata.sort();
        let precondition = precondition.clone();
        let events = events.to_vec();
        // The staged bytes and the events are inserted in the same savepoint as the row: a
        // failed precondition rolls all back, and the bytes, taken from the stage, are gone.
        let staged = self.inner.staged.take(&meta.blob);
        self.write(move |c| {
            with_staged_blob(c, &meta.blob, staged, |c| {
                objects::put(c, &meta, &precondition, &events)
            })
        })
        .await
    }

    async fn get_object(&self, bucket: &str, key: &str) -> Result<Option<ObjectMeta>, StoreError> {
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        self.read(move |c| objects::get(c, &bucket, &key)).await
    }

    async fn delete_object_with_events(
        &self,
        bucket: &str,
        key: &str,
        events: &[OutboxEvent],
    ) -> Result<Option<ObjectMeta>, StoreError> {
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        let events = events.to_vec();
        self.write(move |c| objects::delete(c, &bucket, &key, &events))
            .await
    }

    async fn list_objects(&self, bucket: &str, q: &ListQuery<'_>) -> Result<ListPage, StoreError> {
        let bucket = bucket.to_owned();
        let q = listing::OwnedQuery::from(q);
        self.read(move |c| listing::list(c, &bucket, &q)).await
    }

    async fn blob_in_use(&self, blobs: &[BlobRef]) -> Result<Vec<bool>, StoreError> {
        let blobs = blobs.to_vec();
        self.read(move |c| objects::blobs_in_use(c, &blobs)).await
    }

    async fn object_count(&self) -> Result<u64, StoreError> {
        self.read(|c| buckets::total_objects(c)).await
    }

    async fn bucket_usage(&self, name: &str) -> Result<Option<BucketUsage>, StoreError> {
        let name = name.to_owned();
        self.read(move |c| buckets::usage(c, &name)).await
    }

    async fn create_upload(&self, upload: &UploadMeta) -> Result<(), StoreError> {
        let mut upload = upload.clone();
        upload.user_metadata.sort();
        self.write(move |c| multipart::create(c, &upload)).await
    }

    async fn get_upload(&self, upload_id: &str) -> Result<Option<UploadMeta>, StoreError> {
        let id = upload_id.to_owned();
        self.read(move |c| multipart::get(c, &id)).await
    }

    async fn put_part(&self, part: &PartRecord) -> Result<Option<BlobRef>, StoreError> {
        let part = part.clone();
        let staged = self.inner.staged.take(&part.blob);
        self.write(move |c| {
            with_staged_blob(c, &part.blob, staged, |c| multipart::put_part(c, &part))
        })
        .await
    }

    async fn list_parts(
        &self,
        upload_id: &str,
        after_part: u32,
        max: usize,
    ) -> Result<Vec<PartRecord>, StoreError> {
        let id = upload_id.to_owned();
        self.read(move |c| multipart::list_parts(c, &id, after_part, max))
            .await
    }

    async fn upload_extent(&self, upload_id: &str) -> Result<(u64, u32), StoreError> {
        let id = upload_id.to_owned();
        self.read(move |c| {
            let (size, last): (i64, i64) = c
                .prepare_cached(
                    "SELECT COALESCE(SUM(size), 0), COALESCE(MAX(part_number), 0) \
                     FROM multipart_parts WHERE upload_id = ?1",
                )?
                .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok((
                u64::try_from(size).unwrap_or(0),
                u32::try_from(last).unwrap_or(0),
            ))
        })
        .await
    }

    async fn complete_upload_with_events(
        &self,
        upload_id: &str,
        object: &ObjectMeta,
        precondition: &WritePrecondition,
        events: &[OutboxEvent],
    ) -> Result<CompletedUpload, StoreError> {
        let id = upload_id.to_owned();
        let mut object = object.clone();
        object.user_metadata.sort();
        let precondition = precondition.clone();
        let events = events.to_vec();
        self.write(move |c| multipart::complete(c, &id, &object, &precondition, &events))
            .await
    }

    async fn completed_upload(
        &self,
        upload_id: &str,
    ) -> Result<Option<CompletedUploadRecord>, StoreError> {
        let id = upload_id.to_owned();
        self.read(move |c| multipart::completed(c, &id)).await
    }

    async fn prune_completed_uploads(&self, before_ms: i64) -> Result<u64, StoreError> {
        self.write(move |c| multipart::prune_completed(c, before_ms))
            .await
    }

    async fn abort_upload(&self, upload_id: &str) -> Result<Vec<BlobRef>, StoreError> {
        let id = upload_id.to_owned();
        self.write(move |c| multipart::abort(c, &id)).await
    }

    async fn list_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        key_marker: &str,
        upload_id_marker: &str,
        max: usize,
    ) -> Result<UploadPage, StoreError> {
        let (b, p, k, u) = (
            bucket.to_owned(),
            prefix.to_owned(),
            key_marker.to_owned(),
            upload_id_marker.to_owned(),
        );
        self.read(move |c| multipart::list_uploads(c, &b, &p, &k, &u, max))
            .await
    }

    async fn count_open_uploads(&self) -> Result<u64, StoreError> {
        self.read(|c| {
            let n: i64 = c.query_row("SELECT COUNT(*) FROM multipart_uploads", [], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    async fn stale_uploads(
        &self,
        before_ms: i64,
        max: usize,
    ) -> Result<Vec<UploadMeta>, StoreError> {
        self.read(move |c| multipart::stale(c, before_ms, max))
            .await
    }
}
