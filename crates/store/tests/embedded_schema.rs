//! Embedded backend: the SQLite file itself (schema version, WAL mode, migrations, query plans).

mod common;

use common::{bucket, object};
use sluice_store::{SqliteMetaStore, StoreError, META_FILE_NAME, SCHEMA_VERSION};

#[tokio::test]
async fn persists_across_reopen_and_migrations_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let obj = object("b", "persist/me", 42);
    {
        let (meta, _blobs) = sluice_store::open_embedded(dir.path()).await.unwrap();
        meta.create_bucket(&bucket("b")).await.unwrap();
        meta.put_object(&obj).await.unwrap();
    }
    let (meta, _blobs) = sluice_store::open_embedded(dir.path()).await.unwrap();
    assert_eq!(meta.get_bucket("b").await.unwrap(), Some(bucket("b")));
    assert_eq!(meta.get_object("b", "persist/me").await.unwrap(), Some(obj));
    assert_eq!(meta.object_count().await.unwrap(), 1);

    let conn = rusqlite::Connection::open(dir.path().join(META_FILE_NAME)).unwrap();
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn refuses_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(META_FILE_NAME);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    assert!(matches!(
        SqliteMetaStore::open(&path),
        Err(StoreError::Corrupt(_))
    ));
}

/// The listing query must walk the primary key index, not sort the bucket.
#[test]
fn listing_query_uses_primary_key_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(META_FILE_NAME);
    SqliteMetaStore::open(&path).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mut stmt = conn
        .prepare(
            "EXPLAIN QUERY PLAN SELECT * FROM objects \
             WHERE bucket = ?1 AND key >= ?2 AND key < ?3 ORDER BY key",
        )
        .unwrap();
    let plan: Vec<String> = stmt
        .query_map(
            rusqlite::params!["b", b"a".as_slice(), b"b".as_slice()],
            |r| r.get::<_, String>(3),
        )
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let plan = plan.join("\n");
    assert!(plan.contains("PRIMARY KEY"), "plan: {plan}");
    assert!(!plan.contains("TEMP B-TREE"), "plan sorts: {plan}");
}

/// A database at schema 11 (before the outbox) opens, migrates to 12 and keeps its data.
#[tokio::test]
async fn migrates_a_v11_database_to_the_outbox_schema() {
    use sluice_store::{OutboxEvent, WritePrecondition};

    let dir = tempfile::tempdir().unwrap();
    let obj = object("b", "old", 7);
    {
        let (meta, _blobs) = sluice_store::open_embedded(dir.path()).await.unwrap();
        meta.create_bucket(&bucket("b")).await.unwrap();
        meta.put_object(&obj).await.unwrap();
    }
    // Back to version 11: without migration 12's tables.
    {
        let conn = rusqlite::Connection::open(dir.path().join(META_FILE_NAME)).unwrap();
        conn.execute_batch(
            "DROP TABLE bucket_sequences; DROP TABLE outbox; DROP TABLE dead_letters; \
             DROP TABLE notify_targets; DROP TABLE bucket_notifications; \
             ALTER TABLE grants DROP COLUMN expiry_notified; \
             ALTER TABLE grants DROP COLUMN notify_target; \
             ALTER TABLE grants DROP COLUMN notify_payload; \
             DROP TABLE tus_uploads; DROP TABLE check_bindings; DROP TABLE check_profiles; \
             ALTER TABLE objects DROP COLUMN tags; \
             ALTER TABLE multipart_uploads DROP COLUMN tags; DROP TABLE bucket_tagging; \
             PRAGMA user_version = 11;",
        )
        .unwrap();
    }
    let (meta, _blobs) = sluice_store::open_embedded(dir.path()).await.unwrap();
    let conn = rusqlite::Connection::open(dir.path().join(META_FILE_NAME)).unwrap();
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!((version, SCHEMA_VERSION), (17, 17));
    assert_eq!(meta.get_object("b", "old").await.unwrap(), Some(obj));
    let event = OutboxEvent {
        target: "t".into(),
        bucket: "b".into(),
        key: "new".into(),
        event_name: "s3:ObjectCreated:Put".into(),
        body: "{}".into(),
        created_ms: 1,
    };
    meta.put_object_with_events(&object("b", "new", 1), &WritePrecondition::NONE, &[event])
        .await
        .unwrap();
    let got = meta.outbox_next("t", 10).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].sequencer, "0000000000000001");
}

/// Migration 13: grants that exist when it runs count as reported, so an upgraded server sends no
/// burst of `sluice:Grant:ExpiredUnused` events for old grants; grants made after it are reported.
#[tokio::test]
async fn migration_13_reports_only_grants_made_after_it() {
    let grant = |id: &str| sluice_store::GrantRecord {
        id: id.into(),
        access_key_id: "AK".into(),
        bucket: "b".into(),
        key: "k".into(),
        method: "PUT".into(),
        max_uses: 1,
        uses: 0,
        in_flight: 0,
        created_ms: 0,
        revoked_ms: None,
        expires_ms: Some(10),
        notify_target: None,
        notify_payload: None,
    };
    let dir = tempfile::tempdir().unwrap();
    {
        let stores = sluice_store::open(&sluice_store::StoreConfig::embedded(dir.path()))
            .await
            .unwrap();
        stores.access.ensure_grant(&grant("old")).await.unwrap();
    }
    {
        let conn = rusqlite::Connection::open(dir.path().join(META_FILE_NAME)).unwrap();
        conn.execute_batch(
            "ALTER TABLE grants DROP COLUMN expiry_notified; \
             ALTER TABLE grants DROP COLUMN notify_target; \
             ALTER TABLE grants DROP COLUMN notify_payload; \
             DROP TABLE tus_uploads; DROP TABLE check_bindings; DROP TABLE check_profiles; \
             ALTER TABLE objects DROP COLUMN tags; \
             ALTER TABLE multipart_uploads DROP COLUMN tags; DROP TABLE bucket_tagging; PRAGMA user_version = 12;",
        )
        .unwrap();
    }
    let stores = sluice_store::open(&sluice_store::StoreConfig::embedded(dir.path()))
        .await
        .unwrap();
    stores.access.ensure_grant(&grant("new")).await.unwrap();
    let due = stores.access.expired_unused_grants(100, 10).await.unwrap();
    let ids: Vec<&str> = due.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(ids, ["new"]);
}

/// Migration 14: a grant keeps its URLs' receipt; grants from before it have none.
#[tokio::test]
async fn migration_14_keeps_a_grants_receipt() {
    let grant = |id: &str, target: Option<&str>| sluice_store::GrantRecord {
        id: id.into(),
        access_key_id: "AK".into(),
        bucket: "b".into(),
        key: "k".into(),
        method: "PUT".into(),
        max_uses: 1,
        uses: 0,
        in_flight: 0,
        created_ms: 0,
        revoked_ms: None,
        expires_ms: Some(10),
        notify_target: target.map(str::to_string),
        notify_payload: target.map(|_| "payload \u{e9}".to_string()),
    };
    let dir = tempfile::tempdir().unwrap();
    {
        let stores = sluice_store::open(&sluice_store::StoreConfig::embedded(dir.path()))
            .await
            .unwrap();
        stores
            .access
            .ensure_grant(&grant("old", None))
            .await
            .unwrap();
    }
    {
        let conn = rusqlite::Connection::open(dir.path().join(META_FILE_NAME)).unwrap();
        conn.execute_batch(
            "ALTER TABLE grants DROP COLUMN notify_target; \
             ALTER TABLE grants DROP COLUMN notify_payload; \
             DROP TABLE tus_uploads; DROP TABLE check_bindings; DROP TABLE check_profiles; \
             ALTER TABLE objects DROP COLUMN tags; \
             ALTER TABLE multipart_uploads DROP COLUMN tags; DROP TABLE bucket_tagging; PRAGMA user_version = 13;",
        )
        .unwrap();
    }
    let stores = sluice_store::open(&sluice_store::StoreConfig::embedded(dir.path()))
        .await
        .unwrap();
    let old = stores.access.get_grant("old").await.unwrap().unwrap();
    assert_eq!((old.notify_target, old.notify_payload), (None, None));
    let new = grant("new", Some("orders"));
    stores.access.ensure_grant(&new).await.unwrap();
    let got = stores.access.get_grant("new").await.unwrap().unwrap();
    assert_eq!(got.notify_target.as_deref(), Some("orders"));
    assert_eq!(got.notify_payload.as_deref(), Some("payload \u{e9}"));
}
