//! Small blobs kept inside the metadata database (see `crate::tiered_blob`).
//!
//! A row per blob: its id, when it was written and its bytes. Living in the same SQLite file
//! (and so the same write-ahead log) as the object rows is what makes this safe without an
//! fsync of its own: the metadata commit that references a blob is fsynced, and the log is
//! replayed in order, so that commit cannot survive a crash the blob's insert did not.
//!
//! Rows are keyed by a *slot*, the id's first 16 hex digits as a 63-bit number, which is the
//! table's rowid: no separate index to update on every insert and delete. The full id is
//! stored and compared too; an insert whose slot is taken picks a new id.

use rusqlite::{params, Connection, ErrorCode, OptionalExtension};

use crate::error::StoreError;
use crate::model::BlobRef;

/// Schema migration 7: the small-blob table.
pub(super) const MIGRATION: &str = r#"
    CREATE TABLE small_blobs (
        slot       INTEGER PRIMARY KEY,
        id         TEXT    NOT NULL,
        created_ms INTEGER NOT NULL,
        data       BLOB    NOT NULL
    );
"#;

/// Slots per listing shard: 256 shards cover the 63-bit slot space.
const SHARD_SPAN: i64 = 1 << 55;

/// The rowid of blob `id` (an id already validated as 32 hex digits).
fn slot(id: &BlobRef) -> Result<i64, StoreError> {
    let head = id.as_str().get(..16).unwrap_or_default();
    let n = u64::from_str_radix(head, 16).map_err(|_| StoreError::InvalidBlobRef(id.0.clone()))?;
    Ok((n >> 1) as i64)
}

/// Stores `data` under exactly `id` (already named by the row being written with it); a taken
/// slot is an error (odds about 2^-63 per pair of blobs).
pub(super) fn insert_exact(
    conn: &Connection,
    id: &BlobRef,
    created_ms: i64,
    data: &[u8],
) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO small_blobs (slot, id, created_ms, data) VALUES (?1, ?2, ?3, ?4)",
    )?;
    stmt.execute(params![slot(id)?, id.as_str(), created_ms, data])?;
    Ok(())
}

/// Stores `data` under `id`, or under a fresh id if `id`'s slot is taken; returns the id used.
pub(super) fn insert(
    conn: &Connection,
    id: BlobRef,
    created_ms: i64,
    data: &[u8],
) -> Result<BlobRef, StoreError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO small_blobs (slot, id, created_ms, data) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut id = id;
    loop {
        match stmt.execute(params![slot(&id)?, id.as_str(), created_ms, data]) {
            Ok(_) => return Ok(id),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == ErrorCode::ConstraintViolation =>
            {
                id = BlobRef::random();
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// The bytes of blob `id`, if it is stored here.
pub(super) fn get(conn: &Connection, id: &BlobRef) -> Result<Option<Vec<u8>>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT data FROM small_blobs WHERE slot = ?1 AND id = ?2")?;
    Ok(stmt
        .query_row(params![slot(id)?, id.as_str()], |r| r.get::<_, Vec<u8>>(0))
        .optional()?)
}

/// Removes blob `id`; says whether it was here.
pub(super) fn delete(conn: &Connection, id: &BlobRef) -> Result<bool, StoreError> {
    let mut stmt = conn.prepare_cached("DELETE FROM small_blobs WHERE slot = ?1 AND id = ?2")?;
    Ok(stmt.execute(params![slot(id)?, id.as_str()])? > 0)
}

/// The blobs of listing shard `shard` (0..=255) written before `before_ms`.
pub(super) fn list_shard_older_than(
    conn: &Connection,
    shard: u8,
    before_ms: i64,
) -> Result<Vec<BlobRef>, StoreError> {
    let lo = i64::from(shard) * SHARD_SPAN;
    let hi = lo.saturating_add(SHARD_SPAN - 1);
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM small_blobs WHERE slot BETWEEN ?1 AND ?2 AND created_ms < ?3",
    )?;
    let rows = stmt.query_map(params![lo, hi, before_ms], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for id in rows {
        out.push(BlobRef(id?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATION).unwrap();
        conn
    }

    #[test]
    fn an_insert_whose_slot_is_taken_gets_a_fresh_id() {
        let conn = table();
        let first = BlobRef("0123456789abcdef0000000000000000".into());
        let twin = BlobRef("0123456789abcdef1111111111111111".into());
        assert_eq!(slot(&first).unwrap(), slot(&twin).unwrap());
        assert_eq!(insert(&conn, first.clone(), 1, b"one").unwrap(), first);
        let stored = insert(&conn, twin.clone(), 1, b"two").unwrap();
        assert_ne!(stored, twin);
        assert_eq!(get(&conn, &first).unwrap().unwrap(), b"one");
        assert_eq!(get(&conn, &stored).unwrap().unwrap(), b"two");
        // The twin's id was never stored: same slot, other id, not found, not deletable.
        assert_eq!(get(&conn, &twin).unwrap(), None);
        assert!(!delete(&conn, &twin).unwrap());
        assert!(delete(&conn, &first).unwrap());
    }

    #[test]
    fn shards_partition_the_slots() {
        let conn = table();
        let ids: Vec<BlobRef> = (0..200).map(|_| BlobRef::random()).collect();
        for id in &ids {
            insert(&conn, id.clone(), 5, b"x").unwrap();
        }
        let mut listed: Vec<BlobRef> = (0..=255u8)
            .flat_map(|s| list_shard_older_than(&conn, s, 6).unwrap())
            .collect();
        listed.sort();
        let mut want = ids.clone();
        want.sort();
        assert_eq!(listed, want);
        let none: usize = (0..=255u8)
            .map(|s| list_shard_older_than(&conn, s, 5).unwrap().len())
            .sum();
        assert_eq!(none, 0, "only rows written before the cutoff");
        let max = BlobRef("ffffffffffffffffffffffffffffffff".into());
        insert(&conn, max.clone(), 1, b"edge").unwrap();
        assert!(list_shard_older_than(&conn, 255, 6).unwrap().contains(&max));
    }
}
