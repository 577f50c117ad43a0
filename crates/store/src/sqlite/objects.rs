//! Object rows: encode/decode, put (insert or replace), get, delete, blob references.

use rusqlite::{params, Connection, Row};

use super::{buckets, outbox};
use crate::error::StoreError;
use crate::meta::WritePrecondition;
use crate::model::{BlobRef, ObjectMeta};
use crate::outbox::OutboxEvent;

/// Column list every object SELECT uses, in the order [`row_to_object`] decodes.
pub(super) const OBJECT_COLUMNS: &str = "bucket, key, size, etag, last_modified_ms, headers, \
                                         user_metadata, checksums, blob, parts, tags";

/// Decodes a row selected with [`OBJECT_COLUMNS`].
pub(super) fn row_to_object(r: &Row<'_>) -> Result<ObjectMeta, StoreError> {
    let key: Vec<u8> = r.get(1)?;
    let key = String::from_utf8(key)
        .map_err(|e| StoreError::Corrupt(format!("object key is not UTF-8: {e}")))?;
    let size: i64 = r.get(2)?;
    let size = u64::try_from(size)
        .map_err(|_| StoreError::Corrupt(format!("negative size {size} for key {key:?}")))?;
    let parts: Option<String> = r.get(9)?;
    let tags: Option<String> = r.get(10)?;
    Ok(ObjectMeta {
        bucket: r.get(0)?,
        size,
        etag: r.get(3)?,
        last_modified_ms: r.get(4)?,
        headers: from_json(&r.get::<_, String>(5)?, "headers")?,
        user_metadata: from_json(&r.get::<_, String>(6)?, "user_metadata")?,
        checksums: from_json(&r.get::<_, String>(7)?, "checksums")?,
        blob: BlobRef(r.get(8)?),
        parts: parts.map(|p| from_json(&p, "parts")).transpose()?,
        tags: tags_from_column(tags)?,
        key,
    })
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("bad {what} JSON: {e}")))
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(format!("cannot encode JSON: {e}")))
}

/// Tags as stored: `NULL` when there are none, a JSON array of pairs otherwise.
pub(super) fn tags_json(tags: &[(String, String)]) -> Result<Option<String>, StoreError> {
    if tags.is_empty() {
        Ok(None)
    } else {
        to_json(&tags).map(Some)
    }
}

/// Decodes a `tags` column written by [`tags_json`].
pub(super) fn tags_from_column(
    column: Option<String>,
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(column
        .map(|t| from_json(&t, "tags"))
        .transpose()?
        .unwrap_or_default())
}

fn size_as_i64(size: u64) -> Result<i64, StoreError> {
    i64::try_from(size).map_err(|_| StoreError::InvalidArgument(format!("size {size} too large")))
}

pub(super) fn get(
    conn: &Connection,
    bucket: &str,
    key: &str,
) -> Result<Option<ObjectMeta>, StoreError> {
    let sql = format!("SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ?1 AND key = ?2");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![bucket, key.as_bytes()])?;
    match rows.next()? {
        Some(row) => Ok(Some(row_to_object(row)?)),
        None => Ok(None),
    }
}

/// Insert or replace in one savepoint, if `precondition` holds (checked inside it), with
/// `events` inserted in the same savepoint.
pub(super) fn put(
    conn: &mut Connection,
    m: &ObjectMeta,
    precondition: &WritePrecondition,
    events: &[OutboxEvent],
) -> Result<Option<ObjectMeta>, StoreError> {
    let tx = conn.savepoint()?;
    let old = put_in_tx(&tx, m, precondition)?;
    outbox::insert_events(&tx, &m.bucket, events)?;
    tx.commit()?;
    Ok(old)
}

/// Insert or replace inside the caller's transaction; returns the replaced row. The
/// precondition is decided here, on the writer connection inside the caller's transaction,
/// against the row this write replaces: nothing can change that row in between. On failure
/// nothing has been written (the caller rolls its savepoint back anyway).
pub(super) fn put_in_tx(
    tx: &Connection,
    m: &ObjectMeta,
    precondition: &WritePrecondition,
) -> Result<Option<ObjectMeta>, StoreError> {
    let size = size_as_i64(m.size)?;
    let headers = to_json(&m.headers)?;
    let user_metadata = to_json(&m.user_metadata)?;
    let checksums = to_json(&m.checksums)?;
    let parts = m.parts.as_ref().map(to_json).transpose()?;
    let tags = tags_json(&m.tags)?;
    if !buckets::exists(tx, &m.bucket)? {
        return Err(StoreError::NoSuchBucket);
    }
    if !precondition.is_none() {
        precondition.check(get(tx, &m.bucket, &m.key)?.as_ref())?;
    }
    let old = remove_row(tx, &m.bucket, &m.key)?;
    tx.prepare_cached(
        "INSERT INTO objects (bucket, key, size, etag, last_modified_ms, headers, \
         user_metadata, checksums, blob, parts, tags) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        m.bucket,
        m.key.as_bytes(),
        size,
        m.etag,
        m.last_modified_ms,
        headers,
        user_metadata,
        checksums,
        m.blob.0,
        parts,
        tags,
    ])?;
    if let Some(parts) = &m.parts {
        let mut stmt = tx.prepare_cached(
            "INSERT OR IGNORE INTO object_part_blobs (bucket, key, blob) VALUES (?1, ?2, ?3)",
        )?;
        for p in parts {
            stmt.execute(params![m.bucket, m.key.as_bytes(), p.blob.0])?;
        }
    }
    buckets::add_usage(tx, &m.bucket, 1, size)?;
    Ok(old)
}

pub(super) fn delete(
    conn: &mut Connection,
    bucket: &str,
    key: &str,
    events: &[OutboxEvent],
) -> Result<Option<ObjectMeta>, StoreError> {
    let tx = conn.savepoint()?;
    let old = remove_row(&tx, bucket, key)?;
    // Events only for a delete that removed something (a retried delete adds none).
    if old.is_some() {
        outbox::insert_events(&tx, bucket, events)?;
    }
    tx.commit()?;
    Ok(old)
}

/// Deletes a row (cascading to its part blob index) and its usage; returns what was there.
fn remove_row(
    conn: &Connection,
    bucket: &str,
    key: &str,
) -> Result<Option<ObjectMeta>, StoreError> {
    let Some(old) = get(conn, bucket, key)? else {
        return Ok(None);
    };
    conn.prepare_cached("DELETE FROM objects WHERE bucket = ?1 AND key = ?2")?
        .execute(params![bucket, key.as_bytes()])?;
    buckets::add_usage(conn, bucket, -1, -size_as_i64(old.size)?)?;
    Ok(Some(old))
}

/// Index lookups per blob, all inside one read transaction.
pub(super) fn blobs_in_use(
    conn: &mut Connection,
    blobs: &[BlobRef],
) -> Result<Vec<bool>, StoreError> {
    let tx = conn.transaction()?;
    let mut out = Vec::with_capacity(blobs.len());
    {
        let mut stmt = tx.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM objects WHERE blob = ?1) \
             OR EXISTS (SELECT 1 FROM object_part_blobs WHERE blob = ?1) \
             OR EXISTS (SELECT 1 FROM multipart_parts WHERE blob = ?1)",
        )?;
        for b in blobs {
            let used: bool = stmt.query_row([&b.0], |r| r.get(0))?;
            out.push(used);
        }
    }
    tx.commit()?;
    Ok(out)
}
