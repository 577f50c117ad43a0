//! sluice-store: metadata and blob storage for Sluice.
//!
//! - [`MetaStore`]: buckets and object rows, S3 listing; embedded backend [`SqliteMetaStore`].
//! - [`BlobStore`]: immutable byte blobs; embedded backend [`TieredBlobStore`] (small blobs in
//!   the metadata database, the rest as files in a [`LocalBlobStore`]).
//! - [`open_embedded`]: both backends on one data directory, ready to serve.
//! - [`IdentityStore`] / [`BucketAccessStore`]: users, keys, policies, bucket policies and
//!   canned ACLs, [`BucketCorsStore`]: bucket CORS rules; [`open_embedded_access`] opens them on the same data directory.
//! - [`DataDirLock`]: the `DATA/lock` flock that keeps a second process out of a data dir.
//! - [`sweep_orphans`]: background garbage collection of unreferenced blobs.
//! - [`fault`]: wrappers that fail chosen operations on command (tests only).
//!
//! Crash-safety invariant: bytes are written to `tmp/`, fsynced and renamed into `blobs/`
//! before the metadata transaction that references them commits. A crash therefore leaves
//! the old object or the new one; leftovers are temp files (removed at startup) or orphan
//! blobs (removed by the sweep). This crate knows nothing about HTTP.

mod blob;
mod bucket_cors;
mod dir_lock;
mod error;
pub mod fault;
mod grants;
mod identity;
mod local_blob;
mod meta;
mod model;
mod multipart_model;
mod orphans;
mod sqlite;
mod tiered_blob;

use std::path::Path;
use std::sync::Arc;

pub use blob::{BlobReader, BlobStore, BlobWriter};
pub use bucket_cors::BucketCorsStore;
pub use dir_lock::{DataDirLock, DataDirLockError, LOCK_FILE_NAME};
pub use error::StoreError;
pub use grants::{
    GrantFilter, GrantRecord, GrantStore, GrantUse, Reservation, ReservationId, ReservationOwner,
};
pub use identity::{
    AccessKeyRecord, AccessStore, BucketAccessStore, IdentityStore, KeyGrant, PolicyRecord,
    UserRecord,
};
pub use local_blob::{LocalBlobStore, BLOBS_DIR, TMP_DIR};
pub use meta::{etag_matches, BucketUsage, ListPage, ListQuery, MetaStore, WritePrecondition};
pub use model::{BlobRef, BucketMeta, Checksums, ObjectMeta, PartInfo, StandardHeaders};
pub use multipart_model::{
    CompletedUpload, CompletedUploadRecord, PartRecord, UploadMeta, UploadPage,
};
pub use orphans::sweep_orphans;
pub use sqlite::schema::SCHEMA_VERSION;
pub use sqlite::{SqliteMetaStore, META_FILE_NAME};
pub use tiered_blob::{TieredBlobStore, DEFAULT_INLINE_MAX, INLINE_MAX_LIMIT};

/// Opens the embedded backends on `data_dir` (created if needed): `meta.sqlite` with pending
/// migrations applied, and the blob directories with `tmp/` emptied; blobs up to
/// [`DEFAULT_INLINE_MAX`] bytes live in the database. Cost does not grow with the number of
/// objects; the orphan sweep is left to the caller's background task. Hold the dir's
/// [`DataDirLock`] first: emptying `tmp/` under another live process deletes its uploads.
pub async fn open_embedded(
    data_dir: &Path,
) -> Result<(Arc<dyn MetaStore>, Arc<dyn BlobStore>), StoreError> {
    open_embedded_with(data_dir, DEFAULT_INLINE_MAX).await
}

/// [`open_embedded`] keeping blobs up to `inline_max` bytes in the metadata database (0: none;
/// at most [`INLINE_MAX_LIMIT`]).
pub async fn open_embedded_with(
    data_dir: &Path,
    inline_max: usize,
) -> Result<(Arc<dyn MetaStore>, Arc<dyn BlobStore>), StoreError> {
    let dir = data_dir.to_path_buf();
    let (meta, files) = error::blocking(move || {
        std::fs::create_dir_all(&dir)?;
        let meta = SqliteMetaStore::open(&dir.join(META_FILE_NAME))?;
        let files = LocalBlobStore::open(&dir)?;
        Ok((meta, files))
    })
    .await?;
    let blobs = TieredBlobStore::new(meta.clone(), files, inline_max);
    blobs.clean_temp().await?;
    Ok((Arc::new(meta), Arc::new(blobs)))
}

/// Opens the identity-and-access tables of the embedded metadata database on `data_dir`
/// (same file as [`open_embedded`], pending migrations applied). Call after `open_embedded`.
pub async fn open_embedded_access(data_dir: &Path) -> Result<Arc<dyn AccessStore>, StoreError> {
    let path = data_dir.join(META_FILE_NAME);
    let store = error::blocking(move || SqliteMetaStore::open(&path)).await?;
    Ok(Arc::new(store))
}
