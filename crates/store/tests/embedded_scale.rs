//! Listing cost must not grow with the bucket: a delimiter listing over 150k keys must not
//! iterate the keys under each common prefix (that would take ~1 s in a debug build).

mod common;

use std::time::Instant;

use sluice_store::{ListQuery, SqliteMetaStore, META_FILE_NAME};

#[tokio::test]
async fn delimiter_listing_over_large_bucket_is_fast() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(META_FILE_NAME);
    drop(SqliteMetaStore::open(&path).unwrap());
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute(
            "INSERT INTO buckets (name, created_ms, owner) VALUES ('b', 0, 'o')",
            [],
        )
        .unwrap();
        let mut stmt = tx
            .prepare(
                "INSERT INTO objects VALUES ('b', ?1, 1, 'e', 0, '{}', '[]', '{}', \
                 '00000000000000000000000000000000', NULL, NULL)",
            )
            .unwrap();
        for p in 0..3 {
            for i in 0..50_000 {
                stmt.execute([format!("dir{p}/{i:08}").into_bytes()])
                    .unwrap();
            }
        }
        drop(stmt);
        tx.commit().unwrap();
    }
    let meta = SqliteMetaStore::open(&path).unwrap();
    let t = Instant::now();
    let q = ListQuery {
        prefix: "",
        delimiter: Some("/"),
        start_after: None,
        max_keys: 1000,
    };
    let page = sluice_store::MetaStore::list_objects(&meta, "b", &q)
        .await
        .unwrap();
    let delim = t.elapsed();
    assert_eq!(page.common_prefixes, ["dir0/", "dir1/", "dir2/"]);
    let t = Instant::now();
    let q = ListQuery {
        prefix: "dir1/",
        delimiter: None,
        start_after: Some("dir1/00025000"),
        max_keys: 1000,
    };
    let page = sluice_store::MetaStore::list_objects(&meta, "b", &q)
        .await
        .unwrap();
    let flat = t.elapsed();
    assert_eq!(page.objects.len(), 1000);
    assert!(page.is_truncated);
    eprintln!("delimiter page: {delim:?}, flat page of 1000: {flat:?}");
    assert!(delim.as_millis() < 250, "delimiter listing took {delim:?}");
    assert!(flat.as_millis() < 1000, "flat listing took {flat:?}");
}
