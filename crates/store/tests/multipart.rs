//! Multipart upload rows: parts, replacement, completion in one transaction, abort, listing.

mod common;

use common::{bucket, env, object};
use sluice_store::{
    BlobRef, Checksums, PartInfo, PartRecord, StandardHeaders, StoreError, UploadMeta,
};

fn upload(id: &str, bucket: &str, key: &str, created_ms: i64) -> UploadMeta {
    UploadMeta {
        upload_id: id.into(),
        bucket: bucket.into(),
        key: key.into(),
        created_ms,
        initiator: "root".into(),
        headers: StandardHeaders::default(),
        user_metadata: vec![("b".into(), "2".into()), ("a".into(), "1".into())],
        checksum_algorithm: Some("CRC32".into()),
        checksum_type: None,
        acl: None,
        tags: Vec::new(),
    }
}

fn part(id: &str, n: u32) -> PartRecord {
    PartRecord {
        upload_id: id.into(),
        part_number: n,
        size: 5 << 20,
        etag: format!("etag{n}"),
        blob: BlobRef::random(),
        checksums: Checksums::default(),
        last_modified_ms: 1,
    }
}

#[tokio::test]
async fn parts_replace_complete_and_free() {
    let env = env().await;
    let m = &env.meta;
    m.create_bucket(&bucket("mp")).await.unwrap();
    assert!(matches!(
        m.create_upload(&upload("u1", "nobucket", "k", 1)).await,
        Err(StoreError::NoSuchBucket)
    ));
    m.create_upload(&upload("u1", "mp", "k", 1)).await.unwrap();
    let got = m.get_upload("u1").await.unwrap().unwrap();
    assert_eq!(got.user_metadata[0].0, "a", "metadata sorted");
    let p1 = part("u1", 1);
    let p2 = part("u1", 2);
    let p3 = part("u1", 3);
    assert_eq!(m.put_part(&p1).await.unwrap(), None);
    assert_eq!(m.put_part(&p2).await.unwrap(), None);
    assert_eq!(m.put_part(&p3).await.unwrap(), None);
    // Re-uploading part 2 replaces it and hands back the old blob.
    let p2b = part("u1", 2);
    assert_eq!(m.put_part(&p2b).await.unwrap(), Some(p2.blob.clone()));
    assert!(matches!(
        m.put_part(&part("nope", 1)).await,
        Err(StoreError::NoSuchUpload)
    ));
    let listed = m.list_parts("u1", 0, 10).await.unwrap();
    assert_eq!(
        listed.iter().map(|p| p.part_number).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(listed[1].blob, p2b.blob);
    assert_eq!(m.list_parts("u1", 1, 1).await.unwrap()[0].part_number, 2);
    // The extent: total size and highest part number, the replaced part counted once.
    let total: u64 = listed.iter().map(|p| p.size).sum();
    assert_eq!(m.upload_extent("u1").await.unwrap(), (total, 3));
    assert_eq!(m.upload_extent("nope").await.unwrap(), (0, 0));
    // Part blobs of open uploads are in use (the orphan sweep must keep them).
    assert_eq!(
        m.blob_in_use(&[p1.blob.clone(), p2.blob.clone()])
            .await
            .unwrap(),
        [true, false]
    );

    // A manifest naming a blob that is no longer the part's fails without changes.
    let mut obj = object("mp", "k", 10 << 20);
    obj.parts = Some(vec![
        PartInfo {
            part_number: 1,
            size: 5 << 20,
            etag: "etag1".into(),
            blob: p1.blob.clone(),
            checksums: Checksums::default(),
        },
        PartInfo {
            part_number: 2,
            size: 5 << 20,
            etag: "etag2".into(),
            blob: p2.blob.clone(),
            checksums: Checksums::default(),
        },
    ]);
    obj.blob = p1.blob.clone();
    assert!(matches!(
        m.complete_upload("u1", &obj).await,
        Err(StoreError::PartChanged(2))
    ));
    assert!(m.get_upload("u1").await.unwrap().is_some());

    // Complete with parts 1 and 2 (current): part 3's blob comes back as unused.
    obj.parts.as_mut().unwrap()[1].blob = p2b.blob.clone();
    let done = m.complete_upload("u1", &obj).await.unwrap();
    assert_eq!(done.replaced, None);
    assert_eq!(done.unused_part_blobs, vec![p3.blob.clone()]);
    assert!(m.get_upload("u1").await.unwrap().is_none());
    assert!(m.list_parts("u1", 0, 10).await.unwrap().is_empty());
    let stored = m.get_object("mp", "k").await.unwrap().unwrap();
    assert_eq!(stored.parts.as_ref().unwrap().len(), 2);
    assert_eq!(
        m.blob_in_use(&[p2b.blob.clone(), p3.blob.clone()])
            .await
            .unwrap(),
        [true, false]
    );
    assert!(matches!(
        m.complete_upload("u1", &obj).await,
        Err(StoreError::NoSuchUpload)
    ));

    // The completion is remembered (same transaction) for retried completions, until pruned.
    let record = m.completed_upload("u1").await.unwrap().unwrap();
    assert_eq!((record.bucket.as_str(), record.key.as_str()), ("mp", "k"));
    assert_eq!(
        record.parts,
        vec![(1, "etag1".to_string()), (2, "etag2".to_string())]
    );
    assert_eq!(record.etag, obj.etag);
    assert_eq!(record.checksums, obj.checksums);
    assert_eq!(record.checksum_type, None);
    assert_eq!(record.completed_ms, obj.last_modified_ms);
    assert_eq!(m.completed_upload("u2").await.unwrap(), None);
    assert_eq!(
        m.prune_completed_uploads(obj.last_modified_ms)
            .await
            .unwrap(),
        0
    );
    assert!(m.completed_upload("u1").await.unwrap().is_some());
    assert_eq!(
        m.prune_completed_uploads(obj.last_modified_ms + 1)
            .await
            .unwrap(),
        1
    );
    assert_eq!(m.completed_upload("u1").await.unwrap(), None);
}

#[tokio::test]
async fn abort_listing_and_stale() {
    let env = env().await;
    let m = &env.meta;
    m.create_bucket(&bucket("mp")).await.unwrap();
    for (id, key, t) in [
        ("u3", "b/x", 30),
        ("u1", "a", 10),
        ("u2", "a", 20),
        ("u4", "c", 40),
    ] {
        m.create_upload(&upload(id, "mp", key, t)).await.unwrap();
    }
    let p = part("u1", 1);
    m.put_part(&p).await.unwrap();
    let page = m.list_uploads("mp", "", "", "", 10).await.unwrap();
    let ids: Vec<_> = page.uploads.iter().map(|u| u.upload_id.as_str()).collect();
    assert_eq!(ids, ["u1", "u2", "u3", "u4"]);
    let page = m.list_uploads("mp", "", "", "", 2).await.unwrap();
    assert!(page.is_truncated);
    let page = m.list_uploads("mp", "", "a", "u1", 10).await.unwrap();
    assert_eq!(page.uploads[0].upload_id, "u2");
    let page = m.list_uploads("mp", "", "a", "", 10).await.unwrap();
    assert_eq!(
        page.uploads[0].upload_id, "u3",
        "key-marker alone skips that key"
    );
    let page = m.list_uploads("mp", "b/", "", "", 10).await.unwrap();
    assert_eq!(page.uploads.len(), 1);
    let stale = m.stale_uploads(25, 10).await.unwrap();
    assert_eq!(
        stale
            .iter()
            .map(|u| u.upload_id.as_str())
            .collect::<Vec<_>>(),
        ["u1", "u2"]
    );
    assert_eq!(m.abort_upload("u1").await.unwrap(), vec![p.blob]);
    assert!(matches!(
        m.abort_upload("u1").await,
        Err(StoreError::NoSuchUpload)
    ));
    for id in ["u2", "u3", "u4"] {
        m.abort_upload(id).await.unwrap();
    }
    m.delete_bucket("mp").await.unwrap();
}

/// S3 deletes a bucket with uploads in progress (it holds no objects) and the uploads with it;
/// the store hands back their part blobs. A bucket with an object is still not empty.
#[tokio::test]
async fn delete_bucket_takes_its_uploads_along() {
    let env = env().await;
    let m = &env.meta;
    m.create_bucket(&bucket("mp")).await.unwrap();
    m.create_bucket(&bucket("other")).await.unwrap();
    m.create_upload(&upload("u1", "mp", "k", 1)).await.unwrap();
    m.create_upload(&upload("u2", "mp", "k2", 2)).await.unwrap();
    m.create_upload(&upload("u3", "other", "k", 3))
        .await
        .unwrap();
    let (p1, p2, p3) = (part("u1", 1), part("u1", 2), part("u2", 1));
    let kept = part("u3", 1);
    for p in [&p1, &p2, &p3, &kept] {
        m.put_part(p).await.unwrap();
    }
    let mut freed = m.delete_bucket("mp").await.unwrap();
    freed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut want = vec![p1.blob, p2.blob, p3.blob];
    want.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(freed, want);
    assert!(m.get_bucket("mp").await.unwrap().is_none());
    assert!(m.get_upload("u1").await.unwrap().is_none());
    assert!(m.get_upload("u2").await.unwrap().is_none());
    assert_eq!(m.list_parts("u1", 0, 10).await.unwrap(), vec![]);
    // The other bucket's upload is untouched.
    assert_eq!(m.list_parts("u3", 0, 10).await.unwrap(), vec![kept]);

    // Objects still make a bucket not empty, and nothing is deleted then.
    m.create_bucket(&bucket("full")).await.unwrap();
    m.create_upload(&upload("u4", "full", "k", 4))
        .await
        .unwrap();
    m.put_object(&object("full", "o", 1)).await.unwrap();
    assert!(matches!(
        m.delete_bucket("full").await,
        Err(StoreError::BucketNotEmpty)
    ));
    assert!(m.get_upload("u4").await.unwrap().is_some());
}
