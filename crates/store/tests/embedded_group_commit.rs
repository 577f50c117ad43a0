//! Concurrent metadata writes share commits (group commit): every acknowledged write is
//! durable and visible, and a failing write in a batch neither fails nor leaks into others.

mod common;

use common::{bucket, embedded_env as env, object};
use sluice_store::{ListQuery, MetaStore, SqliteMetaStore, StoreError, META_FILE_NAME};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_all_land_and_failures_stay_alone() {
    let env = env().await;
    let m = Arc::clone(&env.meta);
    m.create_bucket(&bucket("g")).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let m = Arc::clone(&m);
        tasks.push(tokio::spawn(async move {
            if i % 10 == 0 {
                // Fails inside the batch: the bucket exists.
                m.create_bucket(&bucket("g")).await.map(|_| None)
            } else if i % 10 == 5 {
                // Fails: no such bucket.
                m.put_object(&object("missing", &format!("k{i}"), 1)).await
            } else {
                m.put_object(&object("g", &format!("k{i:03}"), i)).await
            }
        }));
    }
    let mut ok = 0;
    for (i, t) in tasks.into_iter().enumerate() {
        let r = t.await.unwrap();
        match i % 10 {
            0 => assert!(matches!(r, Err(StoreError::BucketExists)), "{i}: {r:?}"),
            5 => assert!(r.is_err(), "{i}: {r:?}"),
            _ => {
                r.unwrap();
                ok += 1;
            }
        }
    }
    assert_eq!(ok, 160);
    // Every acknowledged write reads back, from a fresh connection to the same file too.
    for i in (0..200).filter(|i| i % 10 != 0 && i % 10 != 5) {
        let o = m
            .get_object("g", &format!("k{i:03}"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(o.size, i as u64);
    }
    assert!(m.get_object("missing", "k5").await.unwrap().is_none());
    let path = env.dir.path().join(META_FILE_NAME);
    let reopened = tokio::task::spawn_blocking(move || SqliteMetaStore::open(&path))
        .await
        .unwrap()
        .unwrap();
    let page = reopened
        .list_objects(
            "g",
            &ListQuery {
                prefix: "",
                delimiter: None,
                start_after: None,
                max_keys: 1000,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.objects.len(), 160);
}
