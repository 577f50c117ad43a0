//! The contracts for event notification configuration: the targets events are delivered to,
//! and each bucket's `NotificationConfiguration` document.

use async_trait::async_trait;

use crate::error::StoreError;

/// A notification target (a destination events are delivered to).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetRecord {
    /// Unique id (the `ID` in its ARN).
    pub id: String,
    /// Its kind: `"webhook"` or `"nats"` (not interpreted by the store).
    pub kind: String,
    /// Its settings as JSON text (validated by the caller; opaque to the store).
    pub config: String,
    /// Creation time, ms since the epoch.
    pub created_ms: i64,
}

/// Stores the notification targets.
///
/// # Contract
///
/// Each method is one transaction, durable when it returns `Ok`, and idempotent: `put_target`
/// inserts or replaces the whole record, a retried delete answers `false`. Targets are listed
/// by id (byte order). Deleting a target leaves its undelivered outbox entries and dead letters
/// in place ([`crate::OutboxStore`]); bucket documents naming it are not checked.
#[async_trait]
pub trait NotifyTargetStore: Send + Sync + 'static {
    /// Inserts the target, or replaces the one with the same id.
    async fn put_target(&self, target: &TargetRecord) -> Result<(), StoreError>;
    /// The target with this id, if any.
    async fn get_target(&self, id: &str) -> Result<Option<TargetRecord>, StoreError>;
    /// All targets, by id.
    async fn list_targets(&self) -> Result<Vec<TargetRecord>, StoreError>;
    /// Deletes a target; returns whether there was one.
    async fn delete_target(&self, id: &str) -> Result<bool, StoreError>;
}

/// Stores each bucket's `NotificationConfiguration` document (S3 XML, validated by the caller).
///
/// # Contract
///
/// Each method is one transaction, durable when it returns `Ok`, and idempotent (a retried
/// delete answers `false`). A missing bucket reads `None`. The document is deleted with its
/// bucket, in [`crate::MetaStore::delete_bucket`]'s transaction; the bucket's outbox entries
/// are not ([`crate::OutboxStore`]).
#[async_trait]
pub trait BucketNotificationStore: Send + Sync + 'static {
    /// The bucket's notification document, if any.
    async fn bucket_notification(&self, bucket: &str) -> Result<Option<String>, StoreError>;
    /// Sets the bucket's notification document; [`StoreError::NoSuchBucket`].
    async fn put_bucket_notification(&self, bucket: &str, document: &str)
        -> Result<(), StoreError>;
    /// Removes the bucket's notification document; returns whether there was one (the bucket is
    /// not checked).
    async fn delete_bucket_notification(&self, bucket: &str) -> Result<bool, StoreError>;
}
