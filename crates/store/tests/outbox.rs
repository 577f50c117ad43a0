//! The transactional outbox (`MetaStore::*_with_events`, `OutboxStore`, reached through
//! `Stores::meta`), notification targets and bucket notification documents (`Stores::access`),
//! on the backend under test (`common::backend`).

mod common;

use std::collections::BTreeSet;

use common::{bucket, env, object};
use sluice_store::{
    BlobRef, Checksums, OutboxEntry, OutboxEvent, PartInfo, PartRecord, StandardHeaders,
    StoreError, TargetRecord, UploadMeta, WritePrecondition,
};

const T0: i64 = 1_700_000_000_000;

fn event(target: &str, bucket: &str, key: &str, name: &str) -> OutboxEvent {
    OutboxEvent {
        target: target.into(),
        bucket: bucket.into(),
        key: key.into(),
        event_name: name.into(),
        body: format!(r#"{{"eventName":"{name}","key":"{key}"}}"#),
        created_ms: T0,
    }
}

fn put_event(target: &str, bucket: &str, key: &str) -> OutboxEvent {
    event(target, bucket, key, "s3:ObjectCreated:Put")
}

fn keys(entries: &[OutboxEntry]) -> Vec<&str> {
    entries.iter().map(|e| e.key.as_str()).collect()
}

fn upload(id: &str, bucket: &str, key: &str) -> UploadMeta {
    UploadMeta {
        upload_id: id.into(),
        bucket: bucket.into(),
        key: key.into(),
        created_ms: T0,
        initiator: "root".into(),
        headers: StandardHeaders::default(),
        user_metadata: vec![],
        checksum_algorithm: None,
        checksum_type: None,
        acl: None,
        tags: Vec::new(),
    }
}

/// Opens upload `id` on `bucket`/`key` with one part; returns the object completing it.
async fn open_upload(
    m: &dyn sluice_store::MetaStore,
    id: &str,
    bucket: &str,
    key: &str,
) -> sluice_store::ObjectMeta {
    m.create_upload(&upload(id, bucket, key)).await.unwrap();
    let part = PartRecord {
        upload_id: id.into(),
        part_number: 1,
        size: 5,
        etag: "etag1".into(),
        blob: BlobRef::random(),
        checksums: Checksums::default(),
        last_modified_ms: T0,
    };
    m.put_part(&part).await.unwrap();
    let mut obj = object(bucket, key, 5);
    obj.parts = Some(vec![PartInfo {
        part_number: 1,
        size: 5,
        etag: "etag1".into(),
        blob: part.blob,
        checksums: Checksums::default(),
    }]);
    obj
}

#[tokio::test]
async fn a_put_commits_its_events_with_the_object() {
    let env = env().await;
    let m = &env.meta;
    m.create_bucket(&bucket("b")).await.unwrap();
    let events = [put_event("hook", "b", "k"), put_event("nats", "b", "k")];
    let obj = object("b", "k", 3);
    assert_eq!(
        m.put_object_with_events(&obj, &WritePrecondition::NONE, &events)
            .await
            .unwrap(),
        None
    );
    assert_eq!(m.get_object("b", "k").await.unwrap(), Some(obj));
    let hook = m.outbox_next("hook", 10).await.unwrap();
    assert_eq!(hook.len(), 1);
    let e = &hook[0];
    assert_eq!(
        (
            e.target.as_str(),
            e.bucket.as_str(),
            e.key.as_str(),
            e.event_name.as_str()
        ),
        ("hook", "b", "k", "s3:ObjectCreated:Put")
    );
    assert_eq!(e.body, events[0].body);
    assert_eq!(e.created_ms, T0);
    assert_eq!(e.attempts, 0);
    assert_eq!(e.next_attempt_ms, T0);
    assert_eq!(e.last_error, None);
    assert_eq!(e.sequencer, "0000000000000001");
    let nats = m.outbox_next("nats", 10).await.unwrap();
    assert_eq!(nats.len(), 1);
    assert_eq!(nats[0].sequencer, e.sequencer, "one write, one sequencer");
    assert!(m.outbox_next("other", 10).await.unwrap().is_empty());
    assert_eq!(m.outbox_targets().await.unwrap(), ["hook", "nats"]);
}

#[tokio::test]
async fn writes_without_events_add_none_and_take_no_sequence_value() {
    let env = env().await;
    let m = &env.meta;
    m.create_bucket(&bucket("b")).await.unwrap();
    m.put_object(&object("b", "plain", 1)).await.unwrap();
    m.delete_object("b", "plain").await.unwrap();
    assert!(m.outbox_targets().await.unwrap().is_empty());
    m.put_object_with_events(
        &object("b", "k", 1),
        &WritePrecondition::NONE,
        &[put_event("t", "b", "k")],
    )
    .await
    .unwrap();
    assert_eq!(
        m.outbox_next("t", 10).await.unwrap()[0].sequencer,
        "0000000000000001"
    );
}

#[tokio::test]
async fn a_failed_put_commits_no_event() {
    let env = env().await;
    let m = &env.meta;
    m.create_bucket(&bucket("b")).await.unwrap();
    // No such bucket.
    let r = m
        .put_object_with_events(
            &object("gone", "k", 1),
            &WritePrecondition::NONE,
            &[put_event("t", "gone", "k")],
        )
        .await;
    assert!(matches!(r, Err(StoreError::NoSuchBucket)), "{r:?}");
    // Precondition failed: If-None-Match on an existing key.
    m.put_object(&object("b", "k", 1)).await.unwrap();
    let if_none = WritePrecondition {
        if_none_match: true,
        if_match: None,
    };
    let r = m
        .put_object_with_events(&object("b", "k", 2), &if_none, &[put_event("t", "b", "k")])
        .await;
    assert!(
        matches!(r, Err(StoreError::PreconditionFailed { .. })),
        "{r:?}"
    );
    // If-Match on an absent key.
    let if_match = WritePrecondition {
        if_none_match: false,
        if_match: Some("*".into()),
    };
    let r = m
        .put_object_with_events(
            &object("b", "absent", 2),
            &if_match,
            &[put_event("t", "b", "absent")],
        )
        .await;
    assert!(matches!(r, Err(StoreError::NoSuchKey)), "{r:?}");
    assert!(m.outbox_next("t", 10).await.unwrap().is_empty());
    assert_eq!(m.outbox_backlog("t").await.unwrap(), (0, None));
    // The failed writes took no sequence value.
    m.put_object_with_events(
        &object("b", "k", 3),
        &WritePrecondition::NONE,
        &[put_event("t", "b", "k")],
    )
    .await
    .unwrap();
    assert_eq!(
        m.outbox_next("t", 10).await.unwrap()[0].sequencer,
        "0000000000000001"
    );
}

#[tokio::test]
async fn a_completion_commits_its_events_and_a_failed_one_none() {
    let env = env().await;
    let m = &env.meta;
    m.create_bucket(&bucket("b")).await.unwrap();
    let done = event("t", "b", "k", "s3:ObjectCreated:CompleteMultipartUpload");
    // No such upload.
    let r = m
        .complete_upload_with_events(
            "nope",
            &object("b", "k", 5),
            &WritePrecondition::NONE,
            std::slice::from_ref(&done),
        )
        .await;
    assert!(matches!(r, Err(StoreError::NoSuchUpload)), "{r:?}");
    // Precondition failed: the upload stays open and no event is stored.
    let obj = open_upload(m.as_ref(), "u1", "b", "k").await;
    m.put_object(&object("b", "k", 1)).await.unwrap();
    let if_none = WritePrecondition {
        if_none_match: true,
        if_match: None,
    };
    let r = m
        .complete_upload_with_events("u1", &obj, &if_none, std::slice::from_ref(&done))
        .await;
    assert!(
        matches!(r, Err(StoreError::PreconditionFailed { .. })),
        "{r:?}"
    );
    assert!(m.get_upload("u1").await.unwrap().is_some());
    assert!(m.outbox_next("t", 10).await.unwrap().is_empty());
    // Success: the event is there with the object.
    m.complete_upload_with_events(
        "u1",
        &obj,
        &WritePrecondition::NONE,
        std::slice::from_ref(&done),
    )
    .await
    .unwrap();
    assert_eq!(m.get_object("b", "k").await.unwrap(), Some(obj));
    let got = m.outbox_next("t", 10).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].event_name,
        "s3:ObjectCreated:CompleteMultipartUpload"
    );
    assert_eq!(got[0].sequencer, "0000000000000001");
    // A retried completion finds no upload and adds nothing.
    let r = m
        .complete_upload_with_events(
            "u1",
            &object("b", "k", 5),
            &WritePrecondition::NONE,
            std::slice::from_ref(&done),
        )
        .await;
    assert!(matches!(r, Err(StoreError::NoSuchUpload)), "{r:?}");
    assert_eq!(m.outbox_backlog("t").await.unwrap(), (1, Some(T0)));
}

#[tokio::test]
async fn a_delete_commits_its_events_only_when_it_deleted_an_object() {
    let env = env().await;
    let m = &env.meta;
    m.create_bucket(&bucket("b")).await.unwrap();
    let removed = event("t", "b", "k", "s3:ObjectRemoved:Delete");
    // Nothing to delete: no event.
    assert_eq!(
        m.delete_object_with_events("b", "k", std::slice::from_ref(&removed))
            .await
            .unwrap(),
        None
    );
    assert!(m.outbox_next("t", 10).await.unwrap().is_empty());
    let obj = object("b", "k", 4);
    m.put_object(&obj).await.unwrap();
    assert_eq!(
        m.delete_object_with_events("b", "k", std::slice::from_ref(&removed))
            .await
            .unwrap(),
        Some(obj)
    );
    assert_eq!(m.get_object("b", "k").await.unwrap(), None);
    let got = m.outbox_next("t", 10).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].event_name, "s3:ObjectRemoved:Delete");
    // A retry deletes nothing and adds nothing.
    assert_eq!(
        m.delete_object_with_events("b", "k", std::slice::from_ref(&removed))
            .await
            .unwrap(),
        None
    );
    assert_eq!(m.outbox_next("t", 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_sequencer_increases_per_bucket_and_in_commit_order() {
    let env = env().await;
    let m = &env.meta;
    m.create_bucket(&bucket("a")).await.unwrap();
    m.create_bucket(&bucket("b")).await.unwrap();
    let writes = [("a", "1"), ("a", "2"), ("b", "1"), ("a", "3"), ("b", "2")];
    for (b, k) in writes {
        m.put_object_with_events(
            &object(b, k, 1),
            &WritePrecondition::NONE,
            &[put_event("t", b, k)],
        )
        .await
        .unwrap();
    }
    // A delete and a completion take the next values too.
    m.delete_object_with_events("a", "1", &[event("t", "a", "1", "s3:ObjectRemoved:Delete")])
        .await
        .unwrap();
    let obj = open_upload(m.as_ref(), "u", "b", "mp").await;
    m.complete_upload_with_events(
        "u",
        &obj,
        &WritePrecondition::NONE,
        &[event(
            "t",
            "b",
            "mp",
            "s3:ObjectCreated:CompleteMultipartUpload",
        )],
    )
    .await
    .unwrap();
    let got = m.outbox_next("t", 100).await.unwrap();
    let seen: Vec<(&str, &str, &str)> = got
        .iter()
        .map(|e| (e.bucket.as_str(), e.key.as_str(), e.sequencer.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("a", "1", "0000000000000001"),
            ("a", "2", "0000000000000002"),
            ("b", "1", "0000000000000001"),
            ("a", "3", "0000000000000003"),
            ("b", "2", "0000000000000002"),
            ("a", "1", "0000000000000004"),
            ("b", "mp", "0000000000000003"),
        ]
    );
    assert!(got.windows(2).all(|w| w[0].id < w[1].id), "commit order");
    // `limit` pages from the head.
    assert_eq!(keys(&m.outbox_next("t", 2).await.unwrap()), ["1", "2"]);
}

#[tokio::test]
async fn the_sequence_outlives_its_bucket_and_its_events_stay() {
    let env = env().await;
    let m = &env.meta;
    m.create_bucket(&bucket("b")).await.unwrap();
    m.put_object_with_events(
        &object("b", "k", 1),
        &WritePrecondition::NONE,
        &[put_event("t", "b", "k")],
    )
    .await
    .unwrap();
    m.delete_object_with_events("b", "k", &[event("t", "b", "k", "s3:ObjectRemoved:Delete")])
        .await
        .unwrap();
    m.delete_bucket("b").await.unwrap();
    assert_eq!(m.outbox_backlog("t").await.unwrap().0, 2);
    m.create_bucket(&bucket("b")).await.unwrap();
    m.put_object_with_events(
        &object("b", "k", 1),
        &WritePrecondition::NONE,
        &[put_event("t", "b", "k")],
    )
    .await
    .unwrap();
    let seqs: Vec<String> = m
        .outbox_next("t", 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.sequencer)
        .collect();
    assert_eq!(
        seqs,
        ["0000000000000001", "0000000000000002", "0000000000000003"]
    );
}

#[tokio::test]
async fn concurrent_puts_take_distinct_sequencers_without_gaps() {
    let env = env().await;
    m_create(&env).await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let m = env.meta.clone();
        tasks.push(tokio::spawn(async move {
            let key = format!("k{i:02}");
            m.put_object_with_events(
                &object("b", &key, 1),
                &WritePrecondition::NONE,
                &[put_event("t1", "b", &key), put_event("t2", "b", &key)],
            )
            .await
            .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let one = env.meta.outbox_next("t1", 100).await.unwrap();
    let two = env.meta.outbox_next("t2", 100).await.unwrap();
    assert_eq!((one.len(), two.len()), (16, 16));
    let seqs: BTreeSet<String> = one.iter().map(|e| e.sequencer.clone()).collect();
    let want: BTreeSet<String> = (1..=16u64).map(|n| format!("{n:016x}")).collect();
    assert_eq!(seqs, want, "16 distinct sequencers, no gaps");
    // Commit order is sequencer order, and both events of a write share it.
    assert!(one.windows(2).all(|w| w[0].sequencer < w[1].sequencer));
    for e in &one {
        let twin = two.iter().find(|t| t.key == e.key).unwrap();
        assert_eq!(twin.sequencer, e.sequencer);
    }
}

async fn m_create(env: &common::Env) {
    env.meta.create_bucket(&bucket("b")).await.unwrap();
}

/// Puts `keys` into bucket `b` with one event each for `target`.
async fn put_with_events(env: &common::Env, target: &str, keys: &[&str]) {
    for k in keys {
        env.meta
            .put_object_with_events(
                &object("b", k, 1),
                &WritePrecondition::NONE,
                &[put_event(target, "b", k)],
            )
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn delivered_retry_and_backlog() {
    let env = env().await;
    m_create(&env).await;
    let m = &env.meta;
    put_with_events(&env, "t", &["a", "b", "c"]).await;
    let mut late = put_event("t", "b", "d");
    late.created_ms = T0 + 5;
    m.put_object_with_events(&object("b", "d", 1), &WritePrecondition::NONE, &[late])
        .await
        .unwrap();
    assert_eq!(m.outbox_backlog("t").await.unwrap(), (4, Some(T0)));
    assert_eq!(m.outbox_count("t").await.unwrap(), 4);
    assert_eq!(m.outbox_count("other").await.unwrap(), 0);
    let head = m.outbox_next("t", 10).await.unwrap();
    assert_eq!(keys(&head), ["a", "b", "c", "d"]);

    // Retry: attempts counted, error and next attempt recorded, position kept.
    assert!(m
        .outbox_retry_later(head[0].id, T0 + 1_000, "HTTP 500")
        .await
        .unwrap());
    assert!(m
        .outbox_retry_later(head[0].id, T0 + 3_000, "timeout")
        .await
        .unwrap());
    let again = m.outbox_next("t", 10).await.unwrap();
    assert_eq!(keys(&again), ["a", "b", "c", "d"]);
    assert_eq!(again[0].attempts, 2);
    assert_eq!(again[0].next_attempt_ms, T0 + 3_000);
    assert_eq!(again[0].last_error.as_deref(), Some("timeout"));
    assert_eq!(again[1].attempts, 0);

    // Delivered: gone, idempotent.
    assert!(m.outbox_delivered(head[0].id).await.unwrap());
    assert!(!m.outbox_delivered(head[0].id).await.unwrap());
    assert!(!m.outbox_retry_later(head[0].id, T0, "late").await.unwrap());
    assert_eq!(
        keys(&m.outbox_next("t", 10).await.unwrap()),
        ["b", "c", "d"]
    );
    for e in &head[1..3] {
        assert!(m.outbox_delivered(e.id).await.unwrap());
    }
    assert_eq!(m.outbox_backlog("t").await.unwrap(), (1, Some(T0 + 5)));
    assert!(m.outbox_delivered(head[3].id).await.unwrap());
    assert_eq!(m.outbox_backlog("t").await.unwrap(), (0, None));
    assert!(m.outbox_targets().await.unwrap().is_empty());
    // Ids are not reused once delivered.
    put_with_events(&env, "t", &["e"]).await;
    assert!(m.outbox_next("t", 1).await.unwrap()[0].id > head[3].id);
}

#[tokio::test]
async fn cursor_reads_last_id_and_pruning() {
    let env = env().await;
    m_create(&env).await;
    let m = &env.meta;
    assert_eq!(m.outbox_last_id().await.unwrap(), 0);
    assert!(m.outbox_after("feed", 0, 10).await.unwrap().is_empty());
    put_with_events(&env, "feed", &["a", "b"]).await;
    put_with_events(&env, "other", &["x"]).await;
    let mut late = put_event("feed", "b", "c");
    late.created_ms = T0 + 10;
    m.put_object_with_events(&object("b", "c", 1), &WritePrecondition::NONE, &[late])
        .await
        .unwrap();

    // Only the target's entries, after the cursor, in id order, up to the limit.
    let all = m.outbox_after("feed", 0, 10).await.unwrap();
    assert_eq!(keys(&all), ["a", "b", "c"]);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(
        keys(&m.outbox_after("feed", 0, 2).await.unwrap()),
        ["a", "b"]
    );
    assert_eq!(
        keys(&m.outbox_after("feed", all[0].id, 10).await.unwrap()),
        ["b", "c"]
    );
    assert!(m
        .outbox_after("feed", all[2].id, 10)
        .await
        .unwrap()
        .is_empty());
    let last = m.outbox_last_id().await.unwrap();
    assert_eq!(last, all[2].id);
    // Reading does not settle anything.
    assert_eq!(m.outbox_backlog("feed").await.unwrap().0, 3);

    // Pruning: only the target's entries created before the time, oldest first, limited.
    assert_eq!(m.outbox_prune("feed", T0 + 10, 1).await.unwrap(), 1);
    assert_eq!(
        keys(&m.outbox_after("feed", 0, 10).await.unwrap()),
        ["b", "c"]
    );
    assert_eq!(m.outbox_prune("feed", T0 + 10, 10).await.unwrap(), 1);
    assert_eq!(keys(&m.outbox_after("feed", 0, 10).await.unwrap()), ["c"]);
    assert_eq!(m.outbox_prune("feed", T0 + 10, 10).await.unwrap(), 0);
    assert_eq!(keys(&m.outbox_next("other", 10).await.unwrap()), ["x"]);

    // The last id outlives the entries that had it.
    assert_eq!(m.outbox_prune("feed", T0 + 11, 10).await.unwrap(), 1);
    let x = m.outbox_next("other", 1).await.unwrap();
    assert!(m.outbox_delivered(x[0].id).await.unwrap());
    assert_eq!(m.outbox_last_id().await.unwrap(), last);
    put_with_events(&env, "feed", &["d"]).await;
    let d = m.outbox_after("feed", last, 10).await.unwrap();
    assert_eq!(keys(&d), ["d"]);
    assert!(d[0].id > last);
}

#[tokio::test]
async fn dead_letters_replay_and_purge() {
    let env = env().await;
    m_create(&env).await;
    let m = &env.meta;
    put_with_events(&env, "t", &["a", "b", "c"]).await;
    put_with_events(&env, "u", &["x"]).await;
    let head = m.outbox_next("t", 10).await.unwrap();
    m.outbox_retry_later(head[0].id, T0 + 10, "HTTP 500")
        .await
        .unwrap();
    // a and c die (c first); b stays.
    assert!(m
        .outbox_dead_letter(head[2].id, T0 + 200, "gave up c")
        .await
        .unwrap());
    assert!(m
        .outbox_dead_letter(head[0].id, T0 + 300, "gave up a")
        .await
        .unwrap());
    assert!(!m
        .outbox_dead_letter(head[0].id, T0 + 301, "again")
        .await
        .unwrap());
    assert_eq!(keys(&m.outbox_next("t", 10).await.unwrap()), ["b"]);
    let dead = m.dead_letters(Some("t"), 10).await.unwrap();
    assert_eq!(
        dead.iter()
            .map(|d| (d.entry.key.as_str(), d.dead_ms))
            .collect::<Vec<_>>(),
        [("a", T0 + 300), ("c", T0 + 200)],
        "oldest (commit order) first"
    );
    assert_eq!(dead[0].entry.id, head[0].id);
    assert_eq!(dead[0].entry.attempts, 2, "the attempt that gave up counts");
    assert_eq!(dead[0].entry.last_error.as_deref(), Some("gave up a"));
    assert_eq!(dead[0].entry.sequencer, head[0].sequencer);
    assert_eq!(m.dead_letters(Some("t"), 1).await.unwrap().len(), 1);
    assert!(m.dead_letters(Some("u"), 10).await.unwrap().is_empty());

    // A dead letter of another target; `None` lists all.
    let x = m.outbox_next("u", 1).await.unwrap().remove(0);
    m.outbox_dead_letter(x.id, T0 + 400, "gave up x")
        .await
        .unwrap();
    assert_eq!(m.dead_letters(None, 10).await.unwrap().len(), 3);

    // Replay t: after what is already there (b), in their order, same sequencer, reset.
    put_with_events(&env, "t", &["d"]).await;
    assert_eq!(m.replay_dead_letters(Some("t"), T0 + 500).await.unwrap(), 2);
    let after = m.outbox_next("t", 10).await.unwrap();
    assert_eq!(keys(&after), ["b", "d", "a", "c"]);
    assert_eq!(after[2].sequencer, head[0].sequencer);
    assert_eq!(after[3].sequencer, head[2].sequencer);
    assert_eq!(after[2].body, head[0].body);
    assert_eq!(after[2].created_ms, head[0].created_ms);
    assert_eq!(
        (
            after[2].attempts,
            after[2].next_attempt_ms,
            &after[2].last_error
        ),
        (0, T0 + 500, &None)
    );
    assert!(after[2].id > after[1].id, "new ids after the others");
    assert!(m.dead_letters(Some("t"), 10).await.unwrap().is_empty());
    assert_eq!(m.dead_letters(None, 10).await.unwrap().len(), 1);
    assert_eq!(m.outbox_backlog("t").await.unwrap().0, 4);

    // Purge.
    assert_eq!(m.purge_dead_letters(Some("t")).await.unwrap(), 0);
    m.outbox_dead_letter(after[0].id, T0 + 600, "b")
        .await
        .unwrap();
    assert_eq!(m.purge_dead_letters(Some("u")).await.unwrap(), 1);
    assert_eq!(
        keys(
            &m.dead_letters(None, 10)
                .await
                .unwrap()
                .into_iter()
                .map(|d| d.entry)
                .collect::<Vec<_>>()
        ),
        ["b"]
    );
    assert_eq!(m.purge_dead_letters(None).await.unwrap(), 1);
    assert!(m.dead_letters(None, 10).await.unwrap().is_empty());
    assert_eq!(m.replay_dead_letters(None, T0).await.unwrap(), 0);
}

fn target(id: &str, kind: &str) -> TargetRecord {
    TargetRecord {
        id: id.into(),
        kind: kind.into(),
        config: format!(r#"{{"url":"http://127.0.0.1/{id}"}}"#),
        created_ms: T0,
    }
}

#[tokio::test]
async fn notification_targets_crud() {
    let env = env().await;
    let a = &env.access;
    assert!(a.list_targets().await.unwrap().is_empty());
    assert_eq!(a.get_target("hook").await.unwrap(), None);
    a.put_target(&target("hook", "webhook")).await.unwrap();
    a.put_target(&target("bus", "nats")).await.unwrap();
    assert_eq!(
        a.get_target("hook").await.unwrap(),
        Some(target("hook", "webhook"))
    );
    assert_eq!(
        a.list_targets()
            .await
            .unwrap()
            .iter()
            .map(|t| t.id.as_str())
            .collect::<Vec<_>>(),
        ["bus", "hook"]
    );
    // Replace.
    let mut changed = target("hook", "webhook");
    changed.config = r#"{"url":"http://example/new"}"#.into();
    changed.created_ms = T0 + 1;
    a.put_target(&changed).await.unwrap();
    assert_eq!(a.get_target("hook").await.unwrap(), Some(changed));
    assert_eq!(a.list_targets().await.unwrap().len(), 2);
    // Delete, idempotent.
    assert!(a.delete_target("hook").await.unwrap());
    assert!(!a.delete_target("hook").await.unwrap());
    assert_eq!(a.get_target("hook").await.unwrap(), None);
    assert_eq!(a.list_targets().await.unwrap(), [target("bus", "nats")]);
}

#[tokio::test]
async fn deleting_a_target_keeps_its_events() {
    let env = env().await;
    m_create(&env).await;
    env.access
        .put_target(&target("t", "webhook"))
        .await
        .unwrap();
    put_with_events(&env, "t", &["a"]).await;
    assert!(env.access.delete_target("t").await.unwrap());
    assert_eq!(env.meta.outbox_backlog("t").await.unwrap().0, 1);
}

const DOC: &str = "<NotificationConfiguration><QueueConfiguration><Queue>arn:sluice:sqs:us-east-1:hook:webhook</Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration></NotificationConfiguration>";

#[tokio::test]
async fn bucket_notification_document_crud_and_cascade() {
    let env = env().await;
    let a = &env.access;
    assert!(matches!(
        a.put_bucket_notification("b", DOC).await,
        Err(StoreError::NoSuchBucket)
    ));
    assert_eq!(a.bucket_notification("b").await.unwrap(), None);
    m_create(&env).await;
    assert_eq!(a.bucket_notification("b").await.unwrap(), None);
    a.put_bucket_notification("b", DOC).await.unwrap();
    assert_eq!(
        a.bucket_notification("b").await.unwrap().as_deref(),
        Some(DOC)
    );
    a.put_bucket_notification("b", "<NotificationConfiguration/>")
        .await
        .unwrap();
    assert_eq!(
        a.bucket_notification("b").await.unwrap().as_deref(),
        Some("<NotificationConfiguration/>")
    );
    assert!(a.delete_bucket_notification("b").await.unwrap());
    assert!(!a.delete_bucket_notification("b").await.unwrap());
    assert_eq!(a.bucket_notification("b").await.unwrap(), None);

    // It goes with its bucket; a bucket created again with the name has none. The bucket's
    // outbox entries stay.
    a.put_bucket_notification("b", DOC).await.unwrap();
    a.put_bucket_cors("b", "<CORSConfiguration/>")
        .await
        .unwrap();
    put_with_events(&env, "t", &["k"]).await;
    env.meta
        .delete_object_with_events("b", "k", &[event("t", "b", "k", "s3:ObjectRemoved:Delete")])
        .await
        .unwrap();
    env.meta.delete_bucket("b").await.unwrap();
    assert_eq!(a.bucket_notification("b").await.unwrap(), None);
    m_create(&env).await;
    assert_eq!(a.bucket_notification("b").await.unwrap(), None);
    assert_eq!(a.bucket_cors("b").await.unwrap(), None);
    assert_eq!(env.meta.outbox_backlog("t").await.unwrap().0, 2);
}

#[tokio::test]
async fn events_survive_a_reopen() {
    let env = env().await;
    m_create(&env).await;
    put_with_events(&env, "t", &["a", "b"]).await;
    env.access
        .put_target(&target("t", "webhook"))
        .await
        .unwrap();
    env.access.put_bucket_notification("b", DOC).await.unwrap();
    let before = env.meta.outbox_next("t", 10).await.unwrap();
    let common::Env {
        dir,
        meta,
        blobs,
        access,
    } = env;
    drop((meta, blobs, access));
    let stores = common::backend::open(dir.path()).await;
    assert_eq!(stores.meta.outbox_next("t", 10).await.unwrap(), before);
    assert_eq!(stores.access.list_targets().await.unwrap().len(), 1);
    assert!(stores
        .access
        .bucket_notification("b")
        .await
        .unwrap()
        .is_some());
    // The sequence continues.
    stores
        .meta
        .put_object_with_events(
            &object("b", "c", 1),
            &WritePrecondition::NONE,
            &[put_event("t", "b", "c")],
        )
        .await
        .unwrap();
    assert_eq!(
        stores.meta.outbox_next("t", 10).await.unwrap()[2].sequencer,
        "0000000000000003"
    );
}

/// `FaultyMetaStore`: a failed commit of a write with events stores neither; the writes
/// without events go through the same path (and fail the same way); the outbox passes through.
#[tokio::test]
async fn a_faulted_write_commits_no_event() {
    use sluice_store::fault::{FaultKind, FaultOp, FaultPlan, FaultyMetaStore};
    use sluice_store::{MetaStore, OutboxStore};

    let env = env().await;
    m_create(&env).await;
    let plan = FaultPlan::new();
    let faulty = FaultyMetaStore::new(env.meta.clone(), plan.clone());
    plan.fail_next(FaultOp::MetaCommit, 2, FaultKind::Io);
    assert!(faulty
        .put_object_with_events(
            &object("b", "k", 1),
            &WritePrecondition::NONE,
            &[put_event("t", "b", "k")],
        )
        .await
        .is_err());
    assert!(faulty.put_object(&object("b", "k", 1)).await.is_err());
    assert_eq!(plan.injected(), 2);
    assert_eq!(faulty.get_object("b", "k").await.unwrap(), None);
    assert!(faulty.outbox_next("t", 10).await.unwrap().is_empty());
    faulty
        .put_object_with_events(
            &object("b", "k", 1),
            &WritePrecondition::NONE,
            &[put_event("t", "b", "k")],
        )
        .await
        .unwrap();
    let got = faulty.outbox_next("t", 10).await.unwrap();
    assert_eq!(got.len(), 1);
    assert!(faulty.outbox_delivered(got[0].id).await.unwrap());
    assert_eq!(faulty.outbox_backlog("t").await.unwrap(), (0, None));
}

#[tokio::test]
async fn appended_events_take_the_next_sequence_value_of_their_bucket() {
    let env = env().await;
    m_create(&env).await;
    let m = &env.meta;
    put_with_events(&env, "t", &["k1"]).await;
    m.outbox_append("b", &[]).await.unwrap();
    m.outbox_append(
        "b",
        &[
            event("t", "b", "refused", "sluice:Upload:Rejected"),
            event("u", "b", "refused", "sluice:Upload:Rejected"),
        ],
    )
    .await
    .unwrap();
    put_with_events(&env, "t", &["k2"]).await;
    let t = m.outbox_next("t", 10).await.unwrap();
    assert_eq!(keys(&t), ["k1", "refused", "k2"]);
    let seqs: Vec<&str> = t.iter().map(|e| e.sequencer.as_str()).collect();
    assert!(seqs[0] < seqs[1] && seqs[1] < seqs[2], "{seqs:?}");
    let u = m.outbox_next("u", 10).await.unwrap();
    assert_eq!(u.len(), 1);
    assert_eq!(u[0].sequencer, t[1].sequencer, "one append, one sequencer");
    assert_eq!(u[0].event_name, "sluice:Upload:Rejected");
}

fn grant(id: &str, method: &str, uses: u64, expires_ms: i64) -> sluice_store::GrantRecord {
    sluice_store::GrantRecord {
        id: id.into(),
        access_key_id: "AK".into(),
        bucket: "b".into(),
        key: format!("k-{id}"),
        method: method.into(),
        max_uses: 3,
        uses,
        in_flight: 0,
        created_ms: T0 - 1000,
        revoked_ms: None,
        expires_ms: Some(expires_ms),
        notify_target: None,
        notify_payload: None,
    }
}

#[tokio::test]
async fn an_expired_unused_grant_is_recorded_once_with_its_events() {
    let env = env().await;
    m_create(&env).await;
    let a = &env.access;
    for g in [
        grant("unused", "PUT", 0, T0),
        grant("later", "PUT", 0, T0 + 10),
        grant("used", "PUT", 1, T0),
        grant("share", "SHARE", 0, T0),
        grant("live", "PUT", 0, T0 + 1_000_000),
    ] {
        a.ensure_grant(&g).await.unwrap();
    }
    a.ensure_grant(&grant("revoked", "PUT", 0, T0))
        .await
        .unwrap();
    a.revoke_grants(
        &sluice_store::GrantFilter {
            access_key_id: None,
            bucket: Some("b".into()),
            prefix: Some("k-revoked".into()),
            created_before_ms: None,
        },
        T0 - 1,
    )
    .await
    .unwrap();
    let due = a.expired_unused_grants(T0 + 10, 10).await.unwrap();
    let ids: Vec<&str> = due.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(
        ids,
        ["unused", "later"],
        "earliest expiry first; used, share, live, revoked left out"
    );
    assert_eq!(a.expired_unused_grants(T0 + 10, 1).await.unwrap().len(), 1);

    let ev = event("t", "b", "k-unused", "sluice:Grant:ExpiredUnused");
    assert!(a
        .record_grant_expired("unused", std::slice::from_ref(&ev))
        .await
        .unwrap());
    assert!(
        !a.record_grant_expired("unused", &[ev]).await.unwrap(),
        "exactly once"
    );
    assert!(a.record_grant_expired("later", &[]).await.unwrap());
    assert!(!a.record_grant_expired("gone", &[]).await.unwrap());
    let out = env.meta.outbox_next("t", 10).await.unwrap();
    assert_eq!(keys(&out), ["k-unused"]);
    assert!(a
        .expired_unused_grants(T0 + 10, 10)
        .await
        .unwrap()
        .is_empty());
}
