//! Conditional writes: `put_object_if` / `complete_upload_if` decide their precondition inside
//! the write's own transaction, so concurrent conditional writes of one key cannot both pass.
//! On the backend under test (`common::backend`).

mod common;

use std::sync::Arc;

use common::{bucket, env, object};
use sluice_store::{
    BlobRef, Checksums, PartInfo, PartRecord, StandardHeaders, StoreError, UploadMeta,
    WritePrecondition,
};

fn if_none_match() -> WritePrecondition {
    WritePrecondition {
        if_none_match: true,
        if_match: None,
    }
}

fn if_match(etag: &str) -> WritePrecondition {
    WritePrecondition {
        if_none_match: false,
        if_match: Some(format!("\"{etag}\"")),
    }
}

fn failed(r: &Result<impl std::fmt::Debug, StoreError>, which: &str) -> bool {
    matches!(r, Err(StoreError::PreconditionFailed { condition }) if *condition == which)
}

#[tokio::test]
async fn preconditions_decide_against_the_stored_row() {
    let env = env().await;
    let m = &env.meta;
    m.create_bucket(&bucket("b")).await.unwrap();

    // If-Match without an object: NoSuchKey (S3's 404), nothing written.
    let first = object("b", "k", 1);
    let r = m.put_object_if(&first, &if_match(&first.etag)).await;
    assert!(matches!(r, Err(StoreError::NoSuchKey)), "{r:?}");
    assert_eq!(m.get_object("b", "k").await.unwrap(), None);

    // If-None-Match: * without an object: written.
    assert_eq!(
        m.put_object_if(&first, &if_none_match()).await.unwrap(),
        None
    );
    // With one: refused, the row unchanged, the usage unchanged.
    let mut second = object("b", "k", 2);
    second.etag = "0123456789abcdef0123456789abcdef".into();
    let r = m.put_object_if(&second, &if_none_match()).await;
    assert!(failed(&r, "If-None-Match"), "{r:?}");
    assert_eq!(
        m.get_object("b", "k").await.unwrap().unwrap().blob,
        first.blob
    );
    assert_eq!(m.bucket_usage("b").await.unwrap().unwrap().bytes, 1);

    // If-Match with another ETag: refused; with the stored one (quoted, in a list): replaced.
    let r = m.put_object_if(&second, &if_match("ffff")).await;
    assert!(failed(&r, "If-Match"), "{r:?}");
    let listed = WritePrecondition {
        if_none_match: false,
        if_match: Some(format!("\"nope\", \"{}\"", first.etag)),
    };
    let replaced = m.put_object_if(&second, &listed).await.unwrap().unwrap();
    assert_eq!(replaced.blob, first.blob);
    assert_eq!(m.bucket_usage("b").await.unwrap().unwrap().bytes, 2);

    // NoSuchBucket still comes first.
    let r = m
        .put_object_if(&object("gone", "k", 1), &if_none_match())
        .await;
    assert!(matches!(r, Err(StoreError::NoSuchBucket)), "{r:?}");
}

/// Twenty writers that each require the key to be absent (or to hold one ETag), sent at once:
/// the writer thread runs them in one group commit, each in its own savepoint, and exactly one
/// passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_conditional_puts_of_one_key_let_exactly_one_through() {
    let env = env().await;
    let m = &env.meta;
    m.create_bucket(&bucket("b")).await.unwrap();
    for round in 0..5 {
        let key = format!("k{round}");
        let mut tasks = Vec::new();
        for i in 0..20u64 {
            let m = Arc::clone(m);
            let mut obj = object("b", &key, i + 1);
            obj.etag = format!("{i:032x}");
            tasks.push(tokio::spawn(async move {
                let r = m.put_object_if(&obj, &if_none_match()).await;
                (obj, r)
            }));
        }
        let mut winners = Vec::new();
        for t in tasks {
            let (obj, r) = t.await.unwrap();
            match r {
                Ok(replaced) => {
                    assert_eq!(replaced, None);
                    winners.push(obj);
                }
                Err(e) => assert!(
                    matches!(e, StoreError::PreconditionFailed { condition } if condition == "If-None-Match"),
                    "{e:?}"
                ),
            }
        }
        assert_eq!(
            winners.len(),
            1,
            "round {round}: exactly one If-None-Match write"
        );
        let stored = m.get_object("b", &key).await.unwrap().unwrap();
        assert_eq!(stored.blob, winners[0].blob);

        // The same race for If-Match with the ETag now stored.
        let current = stored.etag.clone();
        let mut tasks = Vec::new();
        for i in 0..20u64 {
            let m = Arc::clone(m);
            let mut obj = object("b", &key, 100 + i);
            obj.etag = format!("{:032x}", 1000 + i);
            let cond = if_match(&current);
            tasks.push(tokio::spawn(async move {
                let r = m.put_object_if(&obj, &cond).await;
                (obj, r)
            }));
        }
        let mut winners = Vec::new();
        for t in tasks {
            let (obj, r) = t.await.unwrap();
            match r {
                Ok(_) => winners.push(obj),
                Err(e) => assert!(
                    matches!(e, StoreError::PreconditionFailed { condition } if condition == "If-Match"),
                    "{e:?}"
                ),
            }
        }
        assert_eq!(
            winners.len(),
            1,
            "round {round}: exactly one If-Match write"
        );
        let stored = m.get_object("b", &key).await.unwrap().unwrap();
        assert_eq!(stored.blob, winners[0].blob);
    }
    assert_eq!(m.bucket_usage("b").await.unwrap().unwrap().objects, 5);
}

fn upload(id: &str, key: &str) -> UploadMeta {
    UploadMeta {
        upload_id: id.into(),
        bucket: "mp".into(),
        key: key.into(),
        created_ms: 1,
        initiator: "root".into(),
        headers: StandardHeaders::default(),
        user_metadata: vec![],
        checksum_algorithm: None,
        checksum_type: None,
        acl: None,
        tags: Vec::new(),
    }
}

fn part(id: &str) -> PartRecord {
    PartRecord {
        upload_id: id.into(),
        part_number: 1,
        size: 5 << 20,
        etag: format!("etag-{id}"),
        blob: BlobRef::random(),
        checksums: Checksums::default(),
        last_modified_ms: 1,
    }
}

fn completed_object(key: &str, p: &PartRecord) -> sluice_store::ObjectMeta {
    let mut obj = object("mp", key, p.size);
    obj.etag = format!("{}-1", p.etag);
    obj.blob = p.blob.clone();
    obj.parts = Some(vec![PartInfo {
        part_number: 1,
        size: p.size,
        etag: p.etag.clone(),
        blob: p.blob.clone(),
        checksums: Checksums::default(),
    }]);
    obj
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_completion_precondition_changes_nothing_and_one_racer_wins() {
    let env = env().await;
    let m = &env.meta;
    m.create_bucket(&bucket("mp")).await.unwrap();

    // The key holds an object: the completion is refused and the upload stays open.
    m.put_object(&object("mp", "taken", 1)).await.unwrap();
    m.create_upload(&upload("u0", "taken")).await.unwrap();
    let p = part("u0");
    m.put_part(&p).await.unwrap();
    let obj = completed_object("taken", &p);
    let r = m.complete_upload_if("u0", &obj, &if_none_match()).await;
    assert!(failed(&r, "If-None-Match"), "{r:?}");
    assert!(m.get_upload("u0").await.unwrap().is_some(), "still open");
    assert_eq!(m.list_parts("u0", 0, 10).await.unwrap(), vec![p.clone()]);
    assert!(m.completed_upload("u0").await.unwrap().is_none());
    assert_eq!(m.get_object("mp", "taken").await.unwrap().unwrap().size, 1);
    // If-Match without an object: NoSuchKey, likewise nothing changes.
    m.create_upload(&upload("u1", "free")).await.unwrap();
    let p1 = part("u1");
    m.put_part(&p1).await.unwrap();
    let r = m
        .complete_upload_if("u1", &completed_object("free", &p1), &if_match("x"))
        .await;
    assert!(matches!(r, Err(StoreError::NoSuchKey)), "{r:?}");
    assert!(m.get_upload("u1").await.unwrap().is_some());

    // Ten uploads of one key completed at once, each with If-None-Match: *: one wins.
    for round in 0..3 {
        let key = format!("race{round}");
        let mut tasks = Vec::new();
        for i in 0..10 {
            let id = format!("r{round}-{i}");
            m.create_upload(&upload(&id, &key)).await.unwrap();
            let p = part(&id);
            m.put_part(&p).await.unwrap();
            let obj = completed_object(&key, &p);
            let m = Arc::clone(m);
            tasks.push(tokio::spawn(async move {
                let r = m.complete_upload_if(&id, &obj, &if_none_match()).await;
                (id, obj, r)
            }));
        }
        let mut winners = Vec::new();
        for t in tasks {
            let (id, obj, r) = t.await.unwrap();
            match r {
                Ok(done) => {
                    assert!(done.replaced.is_none());
                    winners.push(obj);
                    assert!(m.get_upload(&id).await.unwrap().is_none());
                }
                Err(e) => {
                    assert!(matches!(e, StoreError::PreconditionFailed { .. }), "{e:?}");
                    assert!(m.get_upload(&id).await.unwrap().is_some());
                    m.abort_upload(&id).await.unwrap();
                }
            }
        }
        assert_eq!(winners.len(), 1, "round {round}");
        let stored = m.get_object("mp", &key).await.unwrap().unwrap();
        assert_eq!(stored.etag, winners[0].etag);
    }
}
