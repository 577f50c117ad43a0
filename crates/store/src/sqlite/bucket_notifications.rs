//! Bucket notification documents in SQLite (one row per bucket, dropped with the bucket; the
//! table is created by the outbox migration, `sqlite/outbox.rs`).

use async_trait::async_trait;

use super::bucket_documents::BucketDocs;
use super::SqliteMetaStore;
use crate::error::StoreError;
use crate::notify::BucketNotificationStore;

#[async_trait]
impl BucketNotificationStore for SqliteMetaStore {
    async fn bucket_notification(&self, bucket: &str) -> Result<Option<String>, StoreError> {
        self.bucket_doc(BucketDocs::Notifications, bucket).await
    }

    async fn put_bucket_notification(
        &self,
        bucket: &str,
        document: &str,
    ) -> Result<(), StoreError> {
        self.put_bucket_doc(BucketDocs::Notifications, bucket, document)
            .await
    }

    async fn delete_bucket_notification(&self, bucket: &str) -> Result<bool, StoreError> {
        self.delete_bucket_doc(BucketDocs::Notifications, bucket)
            .await
    }
}
