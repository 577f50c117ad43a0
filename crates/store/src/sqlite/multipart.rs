//! Multipart uploads and parts: create, record parts, list, complete (one transaction), abort.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{buckets, objects, outbox};
use crate::error::StoreError;
use crate::meta::WritePrecondition;
use crate::model::{BlobRef, ObjectMeta};
use crate::multipart_model::{
    CompletedUpload, CompletedUploadRecord, PartRecord, UploadMeta, UploadPage,
};
use crate::outbox::OutboxEvent;

/// Schema migration 8: completed uploads, remembered for retried completions. One row per
/// upload id; `record` is the [`CompletedUploadRecord`] as JSON.
pub(super) const COMPLETED_MIGRATION: &str = r#"
    CREATE TABLE completed_uploads (
        upload_id    TEXT    NOT NULL PRIMARY KEY,
        bucket       TEXT    NOT NULL,
        completed_ms INTEGER NOT NULL,
        record       TEXT    NOT NULL
    );
    CREATE INDEX completed_uploads_by_age ON completed_uploads(completed_ms);
    CREATE INDEX completed_uploads_by_bucket ON completed_uploads(bucket);
"#;

/// Schema migration 9: the canned ACL an upload's object gets when it completes.
pub(super) const UPLOAD_ACL_MIGRATION: &str = "ALTER TABLE multipart_uploads ADD COLUMN acl TEXT;";

const UPLOAD_COLUMNS: &str = "upload_id, bucket, key, created_ms, initiator, headers, \
                              user_metadata, checksum_algorithm, checksum_type, acl, tags";
const PART_COLUMNS: &str = "upload_id, part_number, size, etag, blob, checksums, last_modified_ms";

fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(format!("cannot encode JSON: {e}")))
}

fn unjson<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("bad {what} JSON: {e}")))
}

fn row_to_upload(r: &Row<'_>) -> Result<UploadMeta, StoreError> {
    let key: Vec<u8> = r.get(2)?;
    Ok(UploadMeta {
        upload_id: r.get(0)?,
        bucket: r.get(1)?,
        key: String::from_utf8(key).map_err(|e| StoreError::Corrupt(format!("upload key: {e}")))?,
        created_ms: r.get(3)?,
        initiator: r.get(4)?,
        headers: unjson(&r.get::<_, String>(5)?, "headers")?,
        user_metadata: unjson(&r.get::<_, String>(6)?, "user_metadata")?,
        checksum_algorithm: r.get(7)?,
        checksum_type: r.get(8)?,
        acl: r.get(9)?,
        tags: super::objects::tags_from_column(r.get(10)?)?,
    })
}

fn row_to_part(r: &Row<'_>) -> Result<PartRecord, StoreError> {
    let size: i64 = r.get(2)?;
    Ok(PartRecord {
        upload_id: r.get(0)?,
        part_number: r.get(1)?,
        size: u64::try_from(size).map_err(|_| StoreError::Corrupt(format!("part size {size}")))?,
        etag: r.get(3)?,
        blob: BlobRef(r.get(4)?),
        checksums: unjson(&r.get::<_, String>(5)?, "checksums")?,
        last_modified_ms: r.get(6)?,
    })
}

pub(super) fn create(conn: &mut Connection, u: &UploadMeta) -> Result<(), StoreError> {
    let tx = conn.savepoint()?;
    if !buckets::exists(&tx, &u.bucket)? {
        return Err(StoreError::NoSuchBucket);
    }
    tx.prepare_cached(&format!(
        "INSERT INTO multipart_uploads ({UPLOAD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    ))?
    .execute(params![
        u.upload_id,
        u.bucket,
        u.key.as_bytes(),
        u.created_ms,
        u.initiator,
        json(&u.headers)?,
        json(&u.user_metadata)?,
        u.checksum_algorithm,
        u.checksum_type,
        u.acl,
        super::objects::tags_json(&u.tags)?,
    ])?;
    tx.commit()?;
    Ok(())
}

pub(super) fn get(conn: &Connection, upload_id: &str) -> Result<Option<UploadMeta>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {UPLOAD_COLUMNS} FROM multipart_uploads WHERE upload_id = ?1"
    ))?;
    let mut rows = stmt.query([upload_id])?;
    match rows.next()? {
        Some(r) => Ok(Some(row_to_upload(r)?)),
        None => Ok(None),
    }
}

fn upload_exists(conn: &Connection, upload_id: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM multipart_uploads WHERE upload_id = ?1")?
        .exists([upload_id])?)
}

/// Records a part (replacing an earlier upload of the same number); returns the replaced blob.
pub(super) fn put_part(
    conn: &mut Connection,
    p: &PartRecord,
) -> Result<Option<BlobRef>, StoreError> {
    let size =
        i64::try_from(p.size).map_err(|_| StoreError::InvalidArgument("part too large".into()))?;
    let tx = conn.savepoint()?;
    if !upload_exists(&tx, &p.upload_id)? {
        return Err(StoreError::NoSuchUpload);
    }
    let old: Option<String> = tx
        .prepare_cached(
            "SELECT blob FROM multipart_parts WHERE upload_id = ?1 AND part_number = ?2",
        )?
        .query_row(params![p.upload_id, p.part_number], |r| r.get(0))
        .optional()?;
    tx.prepare_cached(&format!(
        "INSERT OR REPLACE INTO multipart_parts ({PART_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    ))?
    .execute(params![
        p.upload_id,
        p.part_number,
        size,
        p.etag,
        p.blob.0,
        json(&p.checksums)?,
        p.last_modified_ms,
    ])?;
    tx.commit()?;
    Ok(old.map(BlobRef).filter(|b| *b != p.blob))
}

/// Parts after `after_part`, at most `max` (+1 to tell truncation).
pub(super) fn list_parts(
    conn: &Connection,
    upload_id: &str,
    after_part: u32,
    max: usize,
) -> Result<Vec<PartRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {PART_COLUMNS} FROM multipart_parts WHERE upload_id = ?1 AND part_number > ?2 \
         ORDER BY part_number LIMIT ?3"
    ))?;
    let limit = i64::try_from(max).unwrap_or(i64::MAX);
    let mut rows = stmt.query(params![upload_id, after_part, limit])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(row_to_part(r)?);
    }
    Ok(out)
}

/// Replaces the upload by the object in one transaction. Every part of the manifest must still
/// be the current row for its number with the same blob (a part re-uploaded meanwhile fails
/// the completion with [`StoreError::PartChanged`] rather than losing bytes).
pub(super) fn complete(
    conn: &mut Connection,
    upload_id: &str,
    object: &ObjectMeta,
    precondition: &WritePrecondition,
    events: &[OutboxEvent],
) -> Result<CompletedUpload, StoreError> {
    let tx = conn.savepoint()?;
    let Some(upload) = get(&tx, upload_id)? else {
        return Err(StoreError::NoSuchUpload);
    };
    if upload.bucket != object.bucket || upload.key != object.key {
        return Err(StoreError::NoSuchUpload);
    }
    let parts = list_parts(&tx, upload_id, 0, usize::MAX)?;
    let manifest = object.parts.as_deref().unwrap_or_default();
    for m in manifest {
        let current = parts.iter().find(|p| p.part_number == m.part_number);
        if current.map(|p| &p.blob) != Some(&m.blob) {
            return Err(StoreError::PartChanged(m.part_number));
        }
    }
    let unused: Vec<BlobRef> = parts
        .iter()
        .filter(|p| !manifest.iter().any(|m| m.blob == p.blob))
        .map(|p| p.blob.clone())
        .collect();
    tx.prepare_cached("DELETE FROM multipart_uploads WHERE upload_id = ?1")?
        .execute([upload_id])?;
    // A failed precondition returns before the commit: the savepoint rolls back, the upload
    // and its parts stay as they were.
    let replaced = objects::put_in_tx(&tx, object, precondition)?;
    outbox::insert_events(&tx, &object.bucket, events)?;
    let record = CompletedUploadRecord {
        upload_id: upload_id.to_string(),
        bucket: object.bucket.clone(),
        key: object.key.clone(),
        completed_ms: object.last_modified_ms,
        parts: manifest
            .iter()
            .map(|m| (m.part_number, m.etag.clone()))
            .collect(),
        etag: object.etag.clone(),
        checksums: object.checksums.clone(),
        checksum_type: upload.checksum_type.clone(),
    };
    tx.prepare_cached(
        "INSERT OR REPLACE INTO completed_uploads (upload_id, bucket, completed_ms, record) \
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        upload_id,
        record.bucket,
        record.completed_ms,
        json(&record)?
    ])?;
    tx.commit()?;
    Ok(CompletedUpload {
        replaced,
        unused_part_blobs: unused,
    })
}

/// The record of a completed upload.
pub(super) fn completed(
    conn: &Connection,
    upload_id: &str,
) -> Result<Option<CompletedUploadRecord>, StoreError> {
    let text: Option<String> = conn
        .prepare_cached("SELECT record FROM completed_uploads WHERE upload_id = ?1")?
        .query_row([upload_id], |r| r.get(0))
        .optional()?;
    text.map(|t| unjson(&t, "completed upload")).transpose()
}

/// Forgets completed uploads older than `before_ms`.
pub(super) fn prune_completed(conn: &mut Connection, before_ms: i64) -> Result<u64, StoreError> {
    let n = conn
        .prepare_cached("DELETE FROM completed_uploads WHERE completed_ms < ?1")?
        .execute([before_ms])?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Deletes the upload and its parts; returns the part blobs to free.
pub(super) fn abort(conn: &mut Connection, upload_id: &str) -> Result<Vec<BlobRef>, StoreError> {
    let tx = conn.savepoint()?;
    if !upload_exists(&tx, upload_id)? {
        return Err(StoreError::NoSuchUpload);
    }
    let blobs = list_parts(&tx, upload_id, 0, usize::MAX)?
        .into_iter()
        .map(|p| p.blob)
        .collect();
    tx.prepare_cached("DELETE FROM multipart_uploads WHERE upload_id = ?1")?
        .execute([upload_id])?;
    tx.commit()?;
    Ok(blobs)
}

/// Open uploads of a bucket under `prefix`, after (`key_marker`, `upload_id_marker`).
pub(super) fn list_uploads(
    conn: &Connection,
    bucket: &str,
    prefix: &str,
    key_marker: &str,
    upload_id_marker: &str,
    max: usize,
) -> Result<UploadPage, StoreError> {
    // Keys are compared as bytes; `>= prefix` and the prefix check in Rust bound the scan.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {UPLOAD_COLUMNS} FROM multipart_uploads \
         WHERE bucket = ?1 AND key >= ?2 AND (key > ?3 OR (key = ?3 AND upload_id > ?4)) \
         ORDER BY key, upload_id"
    ))?;
    let lower = if prefix.as_bytes() > key_marker.as_bytes() {
        prefix
    } else {
        key_marker
    };
    let marker_id = if upload_id_marker.is_empty() && !key_marker.is_empty() {
        // Without an upload-id marker, everything at key_marker itself is skipped.
        "\u{10FFFF}"
    } else {
        upload_id_marker
    };
    let mut rows = stmt.query(params![
        bucket,
        lower.as_bytes(),
        key_marker.as_bytes(),
        marker_id
    ])?;
    let mut page = UploadPage::default();
    while let Some(r) = rows.next()? {
        let u = row_to_upload(r)?;
        if !u.key.starts_with(prefix) {
            break;
        }
        if page.uploads.len() == max {
            page.is_truncated = true;
            break;
        }
        page.uploads.push(u);
    }
    Ok(page)
}

/// Uploads created before `before_ms`, at most `max` (for the stale-upload sweep).
pub(super) fn stale(
    conn: &Connection,
    before_ms: i64,
    max: usize,
) -> Result<Vec<UploadMeta>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {UPLOAD_COLUMNS} FROM multipart_uploads WHERE created_ms < ?1 ORDER BY created_ms LIMIT ?2"
    ))?;
    let mut rows = stmt.query(params![before_ms, i64::try_from(max).unwrap_or(i64::MAX)])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(row_to_upload(r)?);
    }
    Ok(out)
}
