//! Bucket rows and their usage counters.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::StoreError;
use crate::meta::BucketUsage;
use crate::model::{BlobRef, BucketMeta};

pub(super) fn create(conn: &mut Connection, b: &BucketMeta) -> Result<(), StoreError> {
    let inserted = conn.execute(
        "INSERT OR IGNORE INTO buckets (name, created_ms, owner) VALUES (?1, ?2, ?3)",
        params![b.name, b.created_ms, b.owner],
    )?;
    if inserted == 0 {
        return Err(StoreError::BucketExists);
    }
    Ok(())
}

pub(super) fn get(conn: &Connection, name: &str) -> Result<Option<BucketMeta>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT name, created_ms, owner FROM buckets WHERE name = ?1")?;
    Ok(stmt.query_row([name], row_to_bucket).optional()?)
}

pub(super) fn list(conn: &Connection) -> Result<Vec<BucketMeta>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT name, created_ms, owner FROM buckets ORDER BY name")?;
    let rows = stmt.query_map([], row_to_bucket)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Deletes a bucket that holds no objects, with its multipart uploads in progress (as S3 does);
/// returns the blobs of those uploads' parts for the caller to free.
pub(super) fn delete(conn: &mut Connection, name: &str) -> Result<Vec<BlobRef>, StoreError> {
    let tx = conn.savepoint()?;
    if !exists(&tx, name)? {
        return Err(StoreError::NoSuchBucket);
    }
    let has_objects = tx
        .prepare_cached("SELECT 1 FROM objects WHERE bucket = ?1 LIMIT 1")?
        .exists([name])?;
    if has_objects {
        return Err(StoreError::BucketNotEmpty);
    }
    let part_blobs = tx
        .prepare_cached(
            "SELECT p.blob FROM multipart_parts p JOIN multipart_uploads u \
             ON p.upload_id = u.upload_id WHERE u.bucket = ?1",
        )?
        .query_map([name], |r| r.get::<_, String>(0).map(BlobRef))?
        .collect::<Result<Vec<_>, _>>()?;
    // Parts go with their uploads (ON DELETE CASCADE).
    tx.execute("DELETE FROM multipart_uploads WHERE bucket = ?1", [name])?;
    tx.execute("DELETE FROM completed_uploads WHERE bucket = ?1", [name])?;
    tx.execute("DELETE FROM buckets WHERE name = ?1", [name])?;
    tx.commit()?;
    Ok(part_blobs)
}

pub(super) fn exists(conn: &Connection, name: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM buckets WHERE name = ?1")?
        .exists([name])?)
}

/// Adjusts the usage counters of `name` by the given deltas.
pub(super) fn add_usage(
    conn: &Connection,
    name: &str,
    objects: i64,
    bytes: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE buckets SET object_count = object_count + ?2, bytes_used = bytes_used + ?3 \
         WHERE name = ?1",
    )?
    .execute(params![name, objects, bytes])?;
    Ok(())
}

pub(super) fn usage(conn: &Connection, name: &str) -> Result<Option<BucketUsage>, StoreError> {
    let row = conn
        .prepare_cached("SELECT object_count, bytes_used FROM buckets WHERE name = ?1")?
        .query_row([name], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
        .optional()?;
    Ok(row.map(|(objects, bytes)| BucketUsage {
        objects: u64::try_from(objects).unwrap_or(0),
        bytes: u64::try_from(bytes).unwrap_or(0),
    }))
}

pub(super) fn total_objects(conn: &Connection) -> Result<u64, StoreError> {
    let n: i64 = conn.query_row(
        "SELECT COALESCE(SUM(object_count), 0) FROM buckets",
        [],
        |r| r.get(0),
    )?;
    Ok(u64::try_from(n).unwrap_or(0))
}

fn row_to_bucket(r: &rusqlite::Row<'_>) -> rusqlite::Result<BucketMeta> {
    Ok(BucketMeta {
        name: r.get(0)?,
        created_ms: r.get(1)?,
        owner: r.get(2)?,
    })
}
