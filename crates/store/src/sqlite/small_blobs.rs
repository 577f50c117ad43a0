//! Small blobs kept inside the metadata database (see `crate::tiered_blob`).
//!
//! A row per blob: its id, when it was written and its bytes. Living in the same SQLite file
//! (and so the same write-ahead log) as the object rows is what makes this safe without an
//! fsync of its own: the metadata commit that references a blob is fsynced, and the log is
//! replayed in order, so that commit cannot survive a crash the blob's insert did not.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::StoreError;
use crate::model::BlobRef;

/// Schema migration 7: the small-blob table.
pub(super) const MIGRATION: &str = r#"
    CREATE TABLE small_blobs (
        id         TEXT    NOT NULL PRIMARY KEY,
        created_ms INTEGER NOT NULL,
        data       BLOB    NOT NULL
    );
"#;

/// Stores a blob's bytes under `id`.
pub(super) fn insert(
    conn: &Connection,
    id: &BlobRef,
    created_ms: i64,
    data: &[u8],
) -> Result<(), StoreError> {
    let mut stmt =
        conn.prepare_cached("INSERT INTO small_blobs (id, created_ms, data) VALUES (?1, ?2, ?3)")?;
    stmt.execute(params![id.as_str(), created_ms, data])?;
    Ok(())
}

/// The bytes of blob `id`, if it is stored here.
pub(super) fn get(conn: &Connection, id: &BlobRef) -> Result<Option<Vec<u8>>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT data FROM small_blobs WHERE id = ?1")?;
    Ok(stmt
        .query_row([id.as_str()], |r| r.get::<_, Vec<u8>>(0))
        .optional()?)
}

/// Removes blob `id`; says whether it was here.
pub(super) fn delete(conn: &Connection, id: &BlobRef) -> Result<bool, StoreError> {
    let mut stmt = conn.prepare_cached("DELETE FROM small_blobs WHERE id = ?1")?;
    Ok(stmt.execute([id.as_str()])? > 0)
}

/// Ids starting with the two hex digits of `shard` (0..=255) written before `before_ms`.
pub(super) fn list_shard_older_than(
    conn: &Connection,
    shard: u8,
    before_ms: i64,
) -> Result<Vec<BlobRef>, StoreError> {
    let lo = format!("{shard:02x}");
    // Ids are lowercase hex, so every id of the shard sorts below "<lo>g".
    let hi = format!("{lo}g");
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM small_blobs WHERE id >= ?1 AND id < ?2 AND created_ms < ?3",
    )?;
    let rows = stmt.query_map(params![lo, hi, before_ms], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for id in rows {
        out.push(BlobRef(id?));
    }
    Ok(out)
}
