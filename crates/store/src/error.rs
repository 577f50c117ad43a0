//! The one error type every store operation returns.

/// Errors from metadata and blob storage.
///
/// The first variants are the domain outcomes the server maps to S3 error codes; the rest are
/// infrastructure failures (surfaced as `InternalError`).
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
    /// File system failure.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// SQLite failure.
    #[error("sqlite error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Stored data that cannot be decoded (bad JSON, non-UTF-8 key, unknown schema version...).
    #[error("corrupt store: {0}")]
    Corrupt(String),
    /// A blocking task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(String),
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
