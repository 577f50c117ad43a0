//! tus upload state: created with its multipart upload, found by token hash, a deferred length set
//! once, expiry listing, and gone with the upload (abort, bucket deletion).

mod common;

use common::{bucket, env};
use sluice_store::{
    BlobRef, Checksums, PartRecord, StandardHeaders, StoreError, TusUpload, UploadMeta,
};

fn upload(id: &str) -> UploadMeta {
    UploadMeta {
        upload_id: id.into(),
        bucket: "b".into(),
        key: format!("k/{id}"),
        created_ms: 1,
        initiator: "AK".into(),
        headers: StandardHeaders::default(),
        user_metadata: Vec::new(),
        checksum_algorithm: None,
        checksum_type: None,
        acl: None,
        tags: Vec::new(),
    }
}

fn tus(id: &str, length: Option<u64>, expires_ms: i64) -> TusUpload {
    TusUpload {
        upload_id: id.into(),
        token_hash: format!("hash-{id}"),
        length,
        expires_ms,
        metadata: "filename dGVzdA==".into(),
        constraints: "x-sluice-grant=g1".into(),
        access_key: "AK".into(),
    }
}

#[tokio::test]
async fn created_with_its_upload_and_found_by_token_hash() {
    let env = env().await;
    let m = &env.meta;
    m.create_bucket(&bucket("b")).await.unwrap();
    m.create_tus_upload(&upload("u1"), &tus("u1", Some(10), 100))
        .await
        .unwrap();
    assert_eq!(
        m.get_tus_upload("hash-u1").await.unwrap(),
        Some(tus("u1", Some(10), 100))
    );
    assert_eq!(m.get_upload("u1").await.unwrap().unwrap().key, "k/u1");
    assert_eq!(m.get_tus_upload("hash-other").await.unwrap(), None);
    // A bucket that is gone: nothing is written.
    let mut other = upload("u2");
    other.bucket = "nope".into();
    assert!(matches!(
        m.create_tus_upload(&other, &tus("u2", None, 100)).await,
        Err(StoreError::NoSuchBucket)
    ));
    assert_eq!(m.get_tus_upload("hash-u2").await.unwrap(), None);
    // The token hash is unique: the second upload is not recorded either.
    let mut dup = tus("u3", None, 100);
    dup.token_hash = "hash-u1".into();
    assert!(m.create_tus_upload(&upload("u3"), &dup).await.is_err());
    assert_eq!(m.get_upload("u3").await.unwrap(), None);
}

#[tokio::test]
async fn deferred_length_is_set_once() {
    let env = env().await;
    let m = &env.meta;
    m.create_bucket(&bucket("b")).await.unwrap();
    m.create_tus_upload(&upload("u1"), &tus("u1", None, 100))
        .await
        .unwrap();
    assert!(m.set_tus_length("u1", 42).await.unwrap());
    assert!(!m.set_tus_length("u1", 43).await.unwrap());
    assert_eq!(
        m.get_tus_upload("hash-u1").await.unwrap().unwrap().length,
        Some(42)
    );
    assert!(matches!(
        m.set_tus_length("nope", 1).await,
        Err(StoreError::NoSuchUpload)
    ));
}

#[tokio::test]
async fn expired_listed_oldest_first_and_gone_with_the_upload() {
    let env = env().await;
    let m = &env.meta;
    m.create_bucket(&bucket("b")).await.unwrap();
    for (id, exp) in [("u1", 300), ("u2", 100), ("u3", 900)] {
        m.create_tus_upload(&upload(id), &tus(id, Some(5), exp))
            .await
            .unwrap();
    }
    let ids = |v: Vec<TusUpload>| v.into_iter().map(|t| t.upload_id).collect::<Vec<_>>();
    assert_eq!(
        ids(m.expired_tus_uploads(500, 10).await.unwrap()),
        ["u2", "u1"]
    );
    assert_eq!(ids(m.expired_tus_uploads(500, 1).await.unwrap()), ["u2"]);
    m.put_part(&PartRecord {
        upload_id: "u2".into(),
        part_number: 1,
        size: 5,
        etag: "e".into(),
        blob: BlobRef::random(),
        checksums: Checksums::default(),
        last_modified_ms: 1,
    })
    .await
    .unwrap();
    assert_eq!(m.abort_upload("u2").await.unwrap().len(), 1);
    assert_eq!(m.get_tus_upload("hash-u2").await.unwrap(), None);
    assert_eq!(ids(m.expired_tus_uploads(500, 10).await.unwrap()), ["u1"]);
}
