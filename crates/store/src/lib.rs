//! sluice-store: metadata and blob storage for Sluice.
//!
//! - [`MetaStore`]: buckets and object rows, S3 listing; embedded backend [`SqliteMetaStore`].
//! - [`BlobStore`]: immutable byte blobs; embedded backend [`TieredBlobStore`] (small blobs in
//!   the metadata database, the rest as files in a [`LocalBlobStore`]).
//! - [`open_embedded`]: both backends on one data directory, ready to serve.
//! - [`IdentityStore`] / [`BucketAccessStore`]: users, keys, policies, bucket policies and
//!   canned ACLs, [`BucketCorsStore`]: bucket CORS rules; [`open`] opens them with the others, on one backend.
//! - [`TaggingStore`] (part of [`AccessStore`]): object tag sets and bucket tagging documents.
//! - [`CheckProfileStore`] (part of [`AccessStore`]): upload check profiles and the buckets and
//!   prefixes they apply to.
//! - [`DataDirLock`]: the `DATA/lock` flock that keeps a second process out of a data dir.
//! - [`TaskLeaseStore`] (part of every [`MetaStore`]): leases on named background tasks, so
//!   that nodes sharing one metadata store run each sweep one at a time.
//! - [`OutboxStore`] (part of every [`MetaStore`]): event notifications committed with the
//!   object writes that cause them ([`MetaStore::put_object_with_events`]), read and settled by
//!   a delivery worker, with dead letters. [`NotifyTargetStore`] (the targets) and
//!   [`BucketNotificationStore`] (each bucket's `NotificationConfiguration`) are part of
//!   [`AccessStore`].
//! - [`TusUploadStore`] (part of every [`MetaStore`]): the tus protocol state of resumable
//!   uploads, whose bytes are the parts of a multipart upload.
//! - [`sweep_orphans`]: background garbage collection of unreferenced blobs.
//! - [`fault`]: wrappers that fail chosen operations on command (tests only).
//!
//! Crash-safety invariant: bytes are written to `tmp/`, fsynced and renamed into `blobs/`
//! before the metadata transaction that references them commits. A crash therefore leaves
//! the old object or the new one; leftovers are temp files (removed at startup) or orphan
//! blobs (removed by the sweep). This crate knows nothing about HTTP.
//!
//! Each trait's `# Contract` section says what any backend must guarantee (durability,
//! atomicity, cascades, retry safety, order, time, errors); the embedded backend is the
//! reference, and `tests/` checks any backend through `tests/common/backend.rs`
//! (`SLUICE_TEST_STORE`).

mod blob;
mod bucket_cors;
mod checks;
mod dir_lock;
mod error;
pub mod fault;
mod grants;
mod identity;
mod local_blob;
mod meta;
mod model;
mod multipart_model;
mod notify;
mod orphans;
mod outbox;
mod sqlite;
mod tagging;
mod task_lease;
mod tiered_blob;
mod tus;

use std::path::Path;
use std::sync::Arc;

pub use blob::{BlobReader, BlobStore, BlobWriter};
pub use bucket_cors::BucketCorsStore;
pub use checks::{CheckBinding, CheckProfileRecord, CheckProfileStore};
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
pub use notify::{BucketNotificationStore, NotifyTargetStore, TargetRecord};
pub use orphans::sweep_orphans;
pub use outbox::{DeadLetter, OutboxEntry, OutboxEvent, OutboxStore};
pub use sqlite::schema::SCHEMA_VERSION;
pub use sqlite::{SqliteMetaStore, META_FILE_NAME};
pub use tagging::TaggingStore;
pub use task_lease::TaskLeaseStore;
pub use tiered_blob::{TieredBlobStore, DEFAULT_INLINE_MAX, INLINE_MAX_LIMIT};
pub use tus::{TusUpload, TusUploadStore};

/// Where the stores live and how they are opened. One backend today (embedded: SQLite metadata
/// and local files in one data dir); the next backends add variants.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum StoreConfig {
    /// `meta.sqlite` and the blob directories in `data_dir` (created if needed). Blobs up to
    /// `inline_max` bytes (0: none; at most [`INLINE_MAX_LIMIT`]) are rows of the database.
    Embedded {
        /// The data dir.
        data_dir: std::path::PathBuf,
        /// Largest blob kept inside the metadata database.
        inline_max: usize,
    },
}

impl StoreConfig {
    /// The embedded backend on `data_dir`, with the default inline limit.
    pub fn embedded(data_dir: &Path) -> StoreConfig {
        StoreConfig::Embedded {
            data_dir: data_dir.to_path_buf(),
            inline_max: DEFAULT_INLINE_MAX,
        }
    }
}

/// The opened stores. They share one backend: for the embedded one, a single SQLite connection
/// set (one writer thread, one syncer, one checkpointer per process).
#[derive(Clone)]
pub struct Stores {
    /// Buckets, objects, multipart uploads, task leases, the event outbox.
    pub meta: Arc<dyn MetaStore>,
    /// Object bytes.
    pub blobs: Arc<dyn BlobStore>,
    /// Users, keys, policies, ACLs, CORS, grants, notification targets and documents.
    pub access: Arc<dyn AccessStore>,
}

/// Opens the stores `config` names, applying pending schema migrations. It leaves temp files as
/// they are: a server calls [`BlobStore::clean_temp`] at startup, under the data dir's
/// [`DataDirLock`] (emptying `tmp/` under another live process would delete its uploads), and
/// `sluice check` counts them. Cost does not grow with the number of objects; the orphan sweep is
/// left to the caller's background task.
pub async fn open(config: &StoreConfig) -> Result<Stores, StoreError> {
    match config {
        StoreConfig::Embedded {
            data_dir,
            inline_max,
        } => {
            let dir = data_dir.clone();
            let (meta, files) = error::blocking(move || {
                std::fs::create_dir_all(&dir)?;
                let meta = SqliteMetaStore::open(&dir.join(META_FILE_NAME))?;
                let files = LocalBlobStore::open(&dir)?;
                Ok((meta, files))
            })
            .await?;
            let blobs = TieredBlobStore::new(meta.clone(), files, *inline_max);
            Ok(Stores {
                meta: Arc::new(meta.clone()),
                blobs: Arc::new(blobs),
                access: Arc::new(meta),
            })
        }
    }
}

/// [`open`] of the embedded backend on `data_dir` with temp files emptied (for tests and tools
/// that own the dir): the metadata and blob stores.
pub async fn open_embedded(
    data_dir: &Path,
) -> Result<(Arc<dyn MetaStore>, Arc<dyn BlobStore>), StoreError> {
    open_embedded_with(data_dir, DEFAULT_INLINE_MAX).await
}

/// [`open_embedded`] keeping blobs up to `inline_max` bytes in the metadata database.
pub async fn open_embedded_with(
    data_dir: &Path,
    inline_max: usize,
) -> Result<(Arc<dyn MetaStore>, Arc<dyn BlobStore>), StoreError> {
    let stores = open(&StoreConfig::Embedded {
        data_dir: data_dir.to_path_buf(),
        inline_max,
    })
    .await?;
    stores.blobs.clean_temp().await?;
    Ok((stores.meta, stores.blobs))
}
