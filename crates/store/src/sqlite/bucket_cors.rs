//! Bucket CORS documents in SQLite (one row per bucket, dropped with the bucket).

use async_trait::async_trait;
use rusqlite::{OptionalExtension, TransactionBehavior};

use super::{buckets, SqliteMetaStore};
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
        let bucket = bucket.to_owned();
        self.read(move |c| {
            Ok(
                c.prepare_cached("SELECT document FROM bucket_cors WHERE bucket = ?1")?
                    .query_row([&bucket], |r| r.get(0))
                    .optional()?,
            )
        })
        .await
    }

    async fn put_bucket_cors(&self, bucket: &str, document: &str) -> Result<(), StoreError> {
        let (bucket, document) = (bucket.to_owned(), document.to_owned());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if !buckets::exists(&tx, &bucket)? {
                return Err(StoreError::NoSuchBucket);
            }
            tx.prepare_cached(
                "INSERT INTO bucket_cors (bucket, document) VALUES (?1, ?2) \
                 ON CONFLICT(bucket) DO UPDATE SET document = excluded.document",
            )?
            .execute([&bucket, &document])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn delete_bucket_cors(&self, bucket: &str) -> Result<bool, StoreError> {
        let bucket = bucket.to_owned();
        self.write(move |c| {
            let n = c
                .prepare_cached("DELETE FROM bucket_cors WHERE bucket = ?1")?
                .execute([&bucket])?;
            Ok(n > 0)
        })
        .await
    }
}
