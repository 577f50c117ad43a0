//! tus upload state in SQLite (`tus_uploads`, one row per open multipart upload it extends).

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, Row};

use super::SqliteMetaStore;
use crate::error::StoreError;
use crate::multipart_model::UploadMeta;
use crate::tus::{TusUpload, TusUploadStore};

/// The tus uploads migration (one step of `schema::MIGRATIONS`): rows deleted with their
/// multipart upload (abort, completion, bucket deletion).
pub(crate) const MIGRATION: &str = r#"
    CREATE TABLE tus_uploads (
        upload_id   TEXT    NOT NULL PRIMARY KEY
                    REFERENCES multipart_uploads(upload_id) ON DELETE CASCADE,
        token_hash  TEXT    NOT NULL UNIQUE,
        length      INTEGER,
        expires_ms  INTEGER NOT NULL,
        metadata    TEXT    NOT NULL,
        constraints TEXT    NOT NULL,
        access_key  TEXT    NOT NULL
    );
    CREATE INDEX tus_uploads_by_expiry ON tus_uploads(expires_ms);
"#;

const COLUMNS: &str =
    "upload_id, token_hash, length, expires_ms, metadata, constraints, access_key";

fn row_to_tus(r: &Row<'_>) -> rusqlite::Result<TusUpload> {
    let length: Option<i64> = r.get(2)?;
    Ok(TusUpload {
        upload_id: r.get(0)?,
        token_hash: r.get(1)?,
        length: length.map(|n| n.max(0) as u64),
        expires_ms: r.get(3)?,
        metadata: r.get(4)?,
        constraints: r.get(5)?,
        access_key: r.get(6)?,
    })
}

fn as_i64(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Corrupt(format!("length {n} out of range")))
}

/// Inserts the multipart upload and its tus row.
fn insert(
    c: &mut rusqlite::Connection,
    upload: &UploadMeta,
    t: &TusUpload,
    length: Option<i64>,
) -> Result<(), StoreError> {
    super::multipart::create(c, upload)?;
    c.prepare_cached(&format!(
        "INSERT INTO tus_uploads ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    ))?
    .execute(params![
        t.upload_id,
        t.token_hash,
        length,
        t.expires_ms,
        t.metadata,
        t.constraints,
        t.access_key,
    ])?;
    Ok(())
}

#[async_trait]
impl TusUploadStore for SqliteMetaStore {
    async fn create_tus_upload(
        &self,
        upload: &UploadMeta,
        tus: &TusUpload,
    ) -> Result<(), StoreError> {
        let mut upload = upload.clone();
        upload.user_metadata.sort();
        let t = tus.clone();
        let length = t.length.map(as_i64).transpose()?;
        self.write(move |c| {
            // Both rows or neither: a savepoint of our own (a write alone runs without one).
            c.execute_batch("SAVEPOINT tus_create")?;
            let wrote = insert(c, &upload, &t, length);
            let end = match wrote {
                Ok(()) => "RELEASE tus_create",
                Err(_) => "ROLLBACK TO tus_create; RELEASE tus_create",
            };
            c.execute_batch(end)?;
            wrote
        })
        .await
    }

    async fn get_tus_upload(&self, token_hash: &str) -> Result<Option<TusUpload>, StoreError> {
        let h = token_hash.to_owned();
        self.read(move |c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM tus_uploads WHERE token_hash = ?1"
            ))?
            .query_row([&h], row_to_tus)
            .optional()?)
        })
        .await
    }

    async fn set_tus_length(&self, upload_id: &str, length: u64) -> Result<bool, StoreError> {
        let id = upload_id.to_owned();
        let length = as_i64(length)?;
        self.write(move |c| {
            let current: Option<Option<i64>> = c
                .prepare_cached("SELECT length FROM tus_uploads WHERE upload_id = ?1")?
                .query_row([&id], |r| r.get(0))
                .optional()?;
            match current {
                None => Err(StoreError::NoSuchUpload),
                Some(Some(_)) => Ok(false),
                Some(None) => {
                    c.prepare_cached("UPDATE tus_uploads SET length = ?2 WHERE upload_id = ?1")?
                        .execute(params![id, length])?;
                    Ok(true)
                }
            }
        })
        .await
    }

    async fn expired_tus_uploads(
        &self,
        before_ms: i64,
        max: usize,
    ) -> Result<Vec<TusUpload>, StoreError> {
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM tus_uploads WHERE expires_ms < ?1 \
                 ORDER BY expires_ms LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![before_ms, max], row_to_tus)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}
