//! S3 tagging in SQLite: object tags in `objects.tags` (and `multipart_uploads.tags` until the
//! upload completes), bucket tagging documents in `bucket_tagging`.

use async_trait::async_trait;
use rusqlite::params;

use super::bucket_documents::BucketDocs;
use super::SqliteMetaStore;
use crate::error::StoreError;
use crate::tagging::TaggingStore;

/// Migration 16 (one step of `schema::MIGRATIONS`): object and upload tags, bucket tagging.
pub(crate) const MIGRATION: &str = r#"
    ALTER TABLE objects ADD COLUMN tags TEXT;
    ALTER TABLE multipart_uploads ADD COLUMN tags TEXT;
    CREATE TABLE bucket_tagging (
        bucket   TEXT NOT NULL PRIMARY KEY REFERENCES buckets(name) ON DELETE CASCADE,
        document TEXT NOT NULL
    );
"#;

#[async_trait]
impl TaggingStore for SqliteMetaStore {
    async fn put_object_tags(
        &self,
        bucket: &str,
        key: &str,
        tags: &[(String, String)],
    ) -> Result<(), StoreError> {
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        let tags = super::objects::tags_json(tags)?;
        self.write(move |c| {
            let n = c
                .prepare_cached("UPDATE objects SET tags = ?3 WHERE bucket = ?1 AND key = ?2")?
                .execute(params![bucket, key.as_bytes(), tags])?;
            if n == 0 {
                return Err(StoreError::NoSuchKey);
            }
            Ok(())
        })
        .await
    }

    async fn bucket_tagging(&self, bucket: &str) -> Result<Option<String>, StoreError> {
        self.bucket_doc(BucketDocs::Tagging, bucket).await
    }

    async fn put_bucket_tagging(&self, bucket: &str, document: &str) -> Result<(), StoreError> {
        self.put_bucket_doc(BucketDocs::Tagging, bucket, document)
            .await
    }

    async fn delete_bucket_tagging(&self, bucket: &str) -> Result<bool, StoreError> {
        self.delete_bucket_doc(BucketDocs::Tagging, bucket).await
    }
}
