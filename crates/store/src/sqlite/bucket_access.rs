//! Bucket policies and canned ACLs in SQLite (tables created by the identity migration).

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

use super::bucket_documents::BucketDocs;
use super::{buckets, SqliteMetaStore};
use crate::error::StoreError;
use crate::identity::BucketAccessStore;

#[async_trait]
impl BucketAccessStore for SqliteMetaStore {
    async fn bucket_policy(&self, bucket: &str) -> Result<Option<String>, StoreError> {
        self.bucket_doc(BucketDocs::Policies, bucket).await
    }

    async fn put_bucket_policy(&self, bucket: &str, document: &str) -> Result<(), StoreError> {
        self.put_bucket_doc(BucketDocs::Policies, bucket, document)
            .await
    }

    async fn delete_bucket_policy(&self, bucket: &str) -> Result<bool, StoreError> {
        self.delete_bucket_doc(BucketDocs::Policies, bucket).await
    }

    async fn bucket_acl(&self, bucket: &str) -> Result<Option<String>, StoreError> {
        let bucket = bucket.to_owned();
        self.read(move |c| {
            Ok(
                c.prepare_cached("SELECT acl FROM bucket_acls WHERE bucket = ?1")?
                    .query_row([&bucket], |r| r.get(0))
                    .optional()?,
            )
        })
        .await
    }

    async fn put_bucket_acl(&self, bucket: &str, acl: Option<&str>) -> Result<(), StoreError> {
        let (bucket, acl) = (bucket.to_owned(), acl.map(str::to_owned));
        self.write(move |c| {
            let tx = c.savepoint()?;
            if !buckets::exists(&tx, &bucket)? {
                return Err(StoreError::NoSuchBucket);
            }
            tx.prepare_cached("DELETE FROM bucket_acls WHERE bucket = ?1")?
                .execute([&bucket])?;
            if let Some(acl) = acl {
                tx.prepare_cached("INSERT INTO bucket_acls (bucket, acl) VALUES (?1, ?2)")?
                    .execute([&bucket, &acl])?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn object_acl(&self, bucket: &str, key: &str) -> Result<Option<String>, StoreError> {
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        self.read(move |c| {
            Ok(
                c.prepare_cached("SELECT acl FROM object_acls WHERE bucket = ?1 AND key = ?2")?
                    .query_row(params![bucket, key.as_bytes()], |r| r.get(0))
                    .optional()?,
            )
        })
        .await
    }

    async fn put_object_acl(
        &self,
        bucket: &str,
        key: &str,
        acl: Option<&str>,
    ) -> Result<(), StoreError> {
        let (bucket, key, acl) = (bucket.to_owned(), key.to_owned(), acl.map(str::to_owned));
        self.write(move |c| {
            let tx = c.savepoint()?;
            let exists = tx
                .prepare_cached("SELECT 1 FROM objects WHERE bucket = ?1 AND key = ?2")?
                .exists(params![bucket, key.as_bytes()])?;
            if !exists {
                return Err(StoreError::NoSuchKey);
            }
            tx.prepare_cached("DELETE FROM object_acls WHERE bucket = ?1 AND key = ?2")?
                .execute(params![bucket, key.as_bytes()])?;
            if let Some(acl) = acl {
                tx.prepare_cached(
                    "INSERT INTO object_acls (bucket, key, acl) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![bucket, key.as_bytes(), acl])?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }
}
