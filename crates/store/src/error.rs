//! The one error type every store operation returns.

/// Errors from metadata and blob storage.
///
/// The first variants are the domain outcomes the server maps to S3 error codes; the rest are
/// infrastructure failures (surfaced as `InternalError`).
///
/// # Contract
///
/// A backend returns a domain variant exactly where a trait method's documentation names it,
/// and then has changed nothing. The not-found kinds are distinct and must not be mixed up:
/// [`NoSuchBucket`](StoreError::NoSuchBucket), [`NoSuchKey`](StoreError::NoSuchKey),
/// [`NoSuchUpload`](StoreError::NoSuchUpload), [`BlobMissing`](StoreError::BlobMissing),
/// [`NoSuchUser`](StoreError::NoSuchUser), [`NoSuchAccessKey`](StoreError::NoSuchAccessKey),
/// [`NoSuchPolicy`](StoreError::NoSuchPolicy),
/// [`NoSuchCheckProfile`](StoreError::NoSuchCheckProfile). Failures of the backend itself map to
/// [`Backend`](StoreError::Backend) (metadata driver errors, including constraint violations
/// such as an id that exists) or [`Io`](StoreError::Io) (files), with running out of space
/// recognisable through [`StoreError::is_storage_full`]; a failed write left nothing behind
/// unless the error is [`Uncertain`](StoreError::Uncertain).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named bucket does not exist.
    #[error("the specified bucket does not exist")]
    NoSuchBucket,
    /// A bucket with this name already exists.
    #[error("the requested bucket name is not available")]
    BucketExists,
    /// The bucket still holds objects (later also open multipart uploads).
    #[error("the bucket you tried to delete is not empty")]
    BucketNotEmpty,
    /// The multipart upload does not exist (never created, completed or aborted).
    #[error("the specified upload does not exist")]
    NoSuchUpload,
    /// A part named in a completion was re-uploaded while the completion ran.
    #[error("part {0} changed during completion")]
    PartChanged(u32),
    /// The blob an object points at is not on disk; carries the blob id.
    #[error("blob {0} is missing")]
    BlobMissing(String),
    /// A blob id that is not 32 lowercase hex characters.
    #[error("invalid blob id {0:?}")]
    InvalidBlobRef(String),
    /// A value the caller passed cannot be stored (e.g. a size above `i64::MAX`).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A write whose outcome is unknown: it may be applied and visible, but making it durable
    /// failed (an fsync error). Callers must not undo side effects on the assumption that
    /// it was not applied.
    #[error("write outcome uncertain: {0}")]
    Uncertain(String),
    /// File system failure.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The metadata backend failed: its driver's error as text, and whether the failure was
    /// running out of space (the backend's own "disk full"). Not a domain outcome: answered as
    /// `InternalError` (or 507-style "storage full" handling where `storage_full`).
    #[error("metadata backend error: {message}")]
    Backend {
        /// The backend's error message.
        message: String,
        /// Whether the backend ran out of space.
        storage_full: bool,
    },
    /// Stored data that cannot be decoded (bad JSON, non-UTF-8 key, unknown schema version...).
    #[error("corrupt store: {0}")]
    Corrupt(String),
    /// A blocking task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(String),
    /// The named user does not exist.
    #[error("the user does not exist")]
    NoSuchUser,
    /// A user with this name already exists.
    #[error("a user with this name already exists")]
    UserExists,
    /// The access key does not exist.
    #[error("the access key does not exist")]
    NoSuchAccessKey,
    /// The named policy does not exist.
    #[error("the policy does not exist")]
    NoSuchPolicy,
    /// The policy is not attached to the user.
    #[error("the policy is not attached to the user")]
    NotAttached,
    /// The object does not exist.
    #[error("the object does not exist")]
    NoSuchKey,
    /// The check profile does not exist.
    #[error("the check profile does not exist")]
    NoSuchCheckProfile,
    /// A conditional write's precondition did not hold when the write ran; nothing was
    /// written. `condition` names the header that failed (`If-None-Match` or `If-Match`).
    #[error("at least one of the pre-conditions you specified did not hold ({condition})")]
    PreconditionFailed {
        /// The failing condition's header name.
        condition: &'static str,
    },
}

impl StoreError {
    /// True when the device or database is out of space (`ENOSPC`, SQLite `SQLITE_FULL`).
    pub fn is_storage_full(&self) -> bool {
        match self {
            StoreError::Io(e) => {
                e.kind() == std::io::ErrorKind::StorageFull || e.raw_os_error() == Some(28)
            }
            StoreError::Backend { storage_full, .. } => *storage_full,
            _ => false,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        let storage_full = matches!(
            &e,
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DiskFull
        );
        StoreError::Backend {
            message: e.to_string(),
            storage_full,
        }
    }
}

impl From<tokio::task::JoinError> for StoreError {
    fn from(e: tokio::task::JoinError) -> Self {
        StoreError::Task(e.to_string())
    }
}

/// Runs `f` on the blocking thread pool and flattens the join error into [`StoreError::Task`].
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, StoreError>
where
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f).await?
}
