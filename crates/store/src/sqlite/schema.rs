//! Connection settings and versioned schema migrations (tracked in `PRAGMA user_version`).

use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use crate::error::StoreError;

/// How long a connection waits for a lock before failing with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Migration `i` brings the schema from version `i` to `i + 1`. Append only; never edit.
const MIGRATIONS: &[&str] = &[
    // 1: buckets, objects (key stored as BLOB so ordering is byte-wise), part blob index.
    r#"
    CREATE TABLE buckets (
        name         TEXT    NOT NULL PRIMARY KEY,
        created_ms   INTEGER NOT NULL,
        owner        TEXT    NOT NULL,
        object_count INTEGER NOT NULL DEFAULT 0,
        bytes_used   INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE objects (
        bucket           TEXT    NOT NULL REFERENCES buckets(name),
        key              BLOB    NOT NULL,
        size             INTEGER NOT NULL,
        etag             TEXT    NOT NULL,
        last_modified_ms INTEGER NOT NULL,
        headers          TEXT    NOT NULL,
        user_metadata    TEXT    NOT NULL,
        checksums        TEXT    NOT NULL,
        blob             TEXT    NOT NULL,
        parts            TEXT,
        PRIMARY KEY (bucket, key)
    ) WITHOUT ROWID;
    CREATE INDEX objects_by_blob ON objects(blob);
    CREATE TABLE object_part_blobs (
        bucket TEXT NOT NULL,
        key    BLOB NOT NULL,
        blob   TEXT NOT NULL,
        PRIMARY KEY (bucket, key, blob),
        FOREIGN KEY (bucket, key) REFERENCES objects(bucket, key) ON DELETE CASCADE
    ) WITHOUT ROWID;
    CREATE INDEX object_part_blobs_by_blob ON object_part_blobs(blob);
    "#,
    // 2: multipart uploads and their parts.
    r#"
    CREATE TABLE multipart_uploads (
        upload_id          TEXT    NOT NULL PRIMARY KEY,
        bucket             TEXT    NOT NULL REFERENCES buckets(name),
        key                BLOB    NOT NULL,
        created_ms         INTEGER NOT NULL,
        initiator          TEXT    NOT NULL,
        headers            TEXT    NOT NULL,
        user_metadata      TEXT    NOT NULL,
        checksum_algorithm TEXT,
        checksum_type      TEXT
    );
    CREATE INDEX multipart_uploads_by_key ON multipart_uploads(bucket, key, upload_id);
    CREATE INDEX multipart_uploads_by_age ON multipart_uploads(created_ms);
    CREATE TABLE multipart_parts (
        upload_id        TEXT    NOT NULL REFERENCES multipart_uploads(upload_id) ON DELETE CASCADE,
        part_number      INTEGER NOT NULL,
        size             INTEGER NOT NULL,
        etag             TEXT    NOT NULL,
        blob             TEXT    NOT NULL,
        checksums        TEXT    NOT NULL,
        last_modified_ms INTEGER NOT NULL,
        PRIMARY KEY (upload_id, part_number)
    ) WITHOUT ROWID;
    CREATE INDEX multipart_parts_by_blob ON multipart_parts(blob);
    "#,
    // 3: users, access keys, policies, bucket policies, canned ACLs (sqlite/identity.rs).
    super::identity::MIGRATION,
    // 4: grants (use-limited presigned URLs) and their audit trail (sqlite/grants.rs).
    super::grants::MIGRATION,
    // 5: grant expiry (sqlite/grants.rs).
    super::grants::EXPIRY_MIGRATION,
    // 6: bucket CORS configurations (sqlite/bucket_cors.rs).
    super::bucket_cors::MIGRATION,
    // 7: small blobs stored inline in this database (sqlite/small_blobs.rs).
    super::small_blobs::MIGRATION,
    // 8: completed multipart uploads, kept for retried completions (sqlite/multipart.rs).
    super::multipart::COMPLETED_MIGRATION,
    // 9: the canned ACL of an upload's object (sqlite/multipart.rs).
    super::multipart::UPLOAD_ACL_MIGRATION,
    // 10: grant reservations with an owner and a deadline, replacing `in_flight` (sqlite/grants.rs).
    super::grants::RESERVATIONS_MIGRATION,
    // 11: leases on named background tasks (sqlite/task_leases.rs).
    super::task_leases::MIGRATION,
    // 12: the event outbox, dead letters, per-bucket event sequences, notification targets and
    // bucket notification documents (sqlite/outbox.rs).
    super::outbox::MIGRATION,
    // 13: which expired grants have had their `sluice:Grant:ExpiredUnused` event (sqlite/grants.rs).
    super::grants::EXPIRY_EVENT_MIGRATION,
    // 14: the receipt (notification target and payload) of a grant's URLs (sqlite/grants.rs).
    super::grants::RECEIPT_MIGRATION,
    // 15: upload check profiles and their bucket/prefix bindings (sqlite/check_profiles.rs).
    super::check_profiles::MIGRATION,
    // 16: object tags (objects.tags, multipart_uploads.tags) and bucket tagging documents
    // (sqlite/tagging.rs).
    super::tagging::MIGRATION,
    // 17: the tus state of resumable uploads, deleted with their multipart upload (sqlite/tus_uploads.rs).
    super::tus_uploads::MIGRATION,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Applies the pragmas every connection needs.
pub(crate) fn configure(conn: &Connection, read_only: bool) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Corrupt(format!(
            "could not enable WAL journal mode (got {mode})"
        )));
    }
    conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
    if read_only {
        conn.execute_batch("PRAGMA query_only=ON;")?;
    }
    Ok(())
}

/// Brings the schema up to [`SCHEMA_VERSION`], one transaction per migration.
/// Refuses a database written by a newer build.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::Corrupt(format!(
                "database schema version {current} is newer than supported {SCHEMA_VERSION}"
            )));
        }
        let Some(sql) = MIGRATIONS.get(current as usize) else {
            return Ok(());
        };
        tracing::info!(
            from = current,
            to = current + 1,
            "migrating metadata schema"
        );
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", current + 1)?;
        tx.commit()?;
    }
}
