//! One document per bucket in a `(bucket PRIMARY KEY, document)` table: bucket policies and
//! bucket CORS, notification and tagging configurations share this code.

use rusqlite::OptionalExtension;

use super::{buckets, SqliteMetaStore};
use crate::error::StoreError;

/// A per-bucket document table.
#[derive(Clone, Copy, Debug)]
pub(super) enum BucketDocs {
    /// `bucket_policies` (identity migration).
    Policies,
    /// `bucket_cors` (CORS migration).
    Cors,
    /// `bucket_notifications` (outbox migration).
    Notifications,
    /// `bucket_tagging` (tagging migration).
    Tagging,
}

impl BucketDocs {
    fn select_sql(self) -> &'static str {
        match self {
            BucketDocs::Policies => "SELECT document FROM bucket_policies WHERE bucket = ?1",
            BucketDocs::Cors => "SELECT document FROM bucket_cors WHERE bucket = ?1",
            BucketDocs::Notifications => {
                "SELECT document FROM bucket_notifications WHERE bucket = ?1"
            }
            BucketDocs::Tagging => "SELECT document FROM bucket_tagging WHERE bucket = ?1",
        }
    }

    fn upsert_sql(self) -> &'static str {
        match self {
            BucketDocs::Policies => {
                "INSERT INTO bucket_policies (bucket, document) VALUES (?1, ?2) \
                 ON CONFLICT(bucket) DO UPDATE SET document = excluded.document"
            }
            BucketDocs::Cors => {
                "INSERT INTO bucket_cors (bucket, document) VALUES (?1, ?2) \
                 ON CONFLICT(bucket) DO UPDATE SET document = excluded.document"
            }
            BucketDocs::Notifications => {
                "INSERT INTO bucket_notifications (bucket, document) VALUES (?1, ?2) \
                 ON CONFLICT(bucket) DO UPDATE SET document = excluded.document"
            }
            BucketDocs::Tagging => {
                "INSERT INTO bucket_tagging (bucket, document) VALUES (?1, ?2) \
                 ON CONFLICT(bucket) DO UPDATE SET document = excluded.document"
            }
        }
    }

    fn delete_sql(self) -> &'static str {
        match self {
            BucketDocs::Policies => "DELETE FROM bucket_policies WHERE bucket = ?1",
            BucketDocs::Cors => "DELETE FROM bucket_cors WHERE bucket = ?1",
            BucketDocs::Notifications => "DELETE FROM bucket_notifications WHERE bucket = ?1",
            BucketDocs::Tagging => "DELETE FROM bucket_tagging WHERE bucket = ?1",
        }
    }
}

impl SqliteMetaStore {
    /// The bucket's document, if it has one.
    pub(super) async fn bucket_doc(
        &self,
        table: BucketDocs,
        bucket: &str,
    ) -> Result<Option<String>, StoreError> {
        let bucket = bucket.to_owned();
        self.read(move |c| {
            Ok(c.prepare_cached(table.select_sql())?
                .query_row([&bucket], |r| r.get(0))
                .optional()?)
        })
        .await
    }

    /// Sets the bucket's document; `NoSuchBucket` if the bucket does not exist.
    pub(super) async fn put_bucket_doc(
        &self,
        table: BucketDocs,
        bucket: &str,
        document: &str,
    ) -> Result<(), StoreError> {
        let (bucket, document) = (bucket.to_owned(), document.to_owned());
        self.write(move |c| {
            let tx = c.savepoint()?;
            if !buckets::exists(&tx, &bucket)? {
                return Err(StoreError::NoSuchBucket);
            }
            tx.prepare_cached(table.upsert_sql())?
                .execute([&bucket, &document])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// Removes the bucket's document; whether there was one.
    pub(super) async fn delete_bucket_doc(
        &self,
        table: BucketDocs,
        bucket: &str,
    ) -> Result<bool, StoreError> {
        let bucket = bucket.to_owned();
        self.write(move |c| {
            let n = c.prepare_cached(table.delete_sql())?.execute([&bucket])?;
            Ok(n > 0)
        })
        .await
    }
}
