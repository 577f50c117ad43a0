//! Bucket CORS documents in SQLite (one row per bucket, dropped with the bucket).

use async_trait::async_trait;

use super::bucket_documents::BucketDocs;
use super::SqliteMetaStore;
use crate::bucket_cors::BucketCorsStore;
use crate::error::StoreError;

/// The bucket CORS migration (one step of `schema::MIGRATIONS`).
pub(crate) const MIGRATION: &str = r#"
    CREATE TABLE bucket_cors (
        bucket   TEXT NOT NULL PRIMARY KEY REFERENCES buckets(name) ON DELETE CASCADE,
        document TEXT NOT NULL
    );
"#;

#[async_trait]
impl BucketCorsStore for SqliteMetaStore {
    async fn bucket_cors(&self, bucket: &str) -> Result<Option<String>, StoreError> {
        self.bucket_doc(BucketDocs::Cors, bucket).await
    }

    async fn put_bucket_cors(&self, bucket: &str, document: &str) -> Result<(), StoreError> {
        self.put_bucket_doc(BucketDocs::Cors, bucket, document)
            .await
    }

    async fn delete_bucket_cors(&self, bucket: &str) -> Result<bool, StoreError> {
        self.delete_bucket_doc(BucketDocs::Cors, bucket).await
    }
}
