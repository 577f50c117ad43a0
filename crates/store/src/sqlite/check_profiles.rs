//! Check profiles and their bucket bindings in SQLite (`check_profiles`, `check_bindings`).

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, Row};

use super::SqliteMetaStore;
use crate::checks::{CheckBinding, CheckProfileRecord, CheckProfileStore};
use crate::error::StoreError;

/// The check profiles migration (one step of `schema::MIGRATIONS`): profiles, and bindings
/// dropped with their profile or their bucket.
pub(crate) const MIGRATION: &str = r#"
    CREATE TABLE check_profiles (
        name       TEXT    NOT NULL PRIMARY KEY,
        document   TEXT    NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE check_bindings (
        bucket  TEXT NOT NULL REFERENCES buckets(name) ON DELETE CASCADE,
        prefix  BLOB NOT NULL,
        profile TEXT NOT NULL REFERENCES check_profiles(name) ON DELETE CASCADE,
        PRIMARY KEY (bucket, prefix, profile)
    ) WITHOUT ROWID;
    CREATE INDEX check_bindings_by_profile ON check_bindings(profile);
"#;

fn row_to_profile(r: &Row<'_>) -> rusqlite::Result<CheckProfileRecord> {
    Ok(CheckProfileRecord {
        name: r.get(0)?,
        document: r.get(1)?,
        updated_ms: r.get(2)?,
    })
}

#[async_trait]
impl CheckProfileStore for SqliteMetaStore {
    async fn put_check_profile(&self, profile: &CheckProfileRecord) -> Result<(), StoreError> {
        let p = profile.clone();
        self.write(move |c| {
            c.prepare_cached(
                "INSERT INTO check_profiles (name, document, updated_ms) VALUES (?1, ?2, ?3) \
                 ON CONFLICT(name) DO UPDATE SET document = ?2, updated_ms = ?3",
            )?
            .execute(params![p.name, p.document, p.updated_ms])?;
            Ok(())
        })
        .await
    }

    async fn get_check_profile(
        &self,
        name: &str,
    ) -> Result<Option<CheckProfileRecord>, StoreError> {
        let name = name.to_owned();
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT name, document, updated_ms FROM check_profiles WHERE name = ?1",
            )?
            .query_row([&name], row_to_profile)
            .optional()?)
        })
        .await
    }

    async fn list_check_profiles(&self) -> Result<Vec<CheckProfileRecord>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT name, document, updated_ms FROM check_profiles ORDER BY name",
            )?;
            let rows = stmt.query_map([], row_to_profile)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn delete_check_profile(&self, name: &str) -> Result<bool, StoreError> {
        let name = name.to_owned();
        self.write(move |c| {
            c.prepare_cached("DELETE FROM check_bindings WHERE profile = ?1")?
                .execute([&name])?;
            let n = c
                .prepare_cached("DELETE FROM check_profiles WHERE name = ?1")?
                .execute([&name])?;
            Ok(n > 0)
        })
        .await
    }

    async fn bind_check_profile(&self, binding: &CheckBinding) -> Result<(), StoreError> {
        let b = binding.clone();
        self.write(move |c| {
            let profile: Option<i64> = c
                .prepare_cached("SELECT 1 FROM check_profiles WHERE name = ?1")?
                .query_row([&b.profile], |r| r.get(0))
                .optional()?;
            if profile.is_none() {
                return Err(StoreError::NoSuchCheckProfile);
            }
            let bucket: Option<i64> = c
                .prepare_cached("SELECT 1 FROM buckets WHERE name = ?1")?
                .query_row([&b.bucket], |r| r.get(0))
                .optional()?;
            if bucket.is_none() {
                return Err(StoreError::NoSuchBucket);
            }
            c.prepare_cached(
                "INSERT OR IGNORE INTO check_bindings (bucket, prefix, profile) \
                 VALUES (?1, ?2, ?3)",
            )?
            .execute(params![b.bucket, b.prefix.as_bytes(), b.profile])?;
            Ok(())
        })
        .await
    }

    async fn unbind_check_profile(&self, binding: &CheckBinding) -> Result<bool, StoreError> {
        let b = binding.clone();
        self.write(move |c| {
            let n = c
                .prepare_cached(
                    "DELETE FROM check_bindings WHERE bucket = ?1 AND prefix = ?2 AND profile = ?3",
                )?
                .execute(params![b.bucket, b.prefix.as_bytes(), b.profile])?;
            Ok(n > 0)
        })
        .await
    }

    async fn list_check_bindings(&self) -> Result<Vec<CheckBinding>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT bucket, prefix, profile FROM check_bindings ORDER BY bucket, prefix, profile",
            )?;
            let rows = stmt.query_map([], |r| {
                let prefix: Vec<u8> = r.get(1)?;
                Ok(CheckBinding {
                    bucket: r.get(0)?,
                    prefix: String::from_utf8_lossy(&prefix).into_owned(),
                    profile: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}
