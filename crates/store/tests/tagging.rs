//! The tagging contract: object tag sets kept with the row, bucket tagging documents.

mod common;

use common::{bucket, env, object};
use sluice_store::{StoreError, UploadMeta};

fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn object_tags_are_kept_set_and_replaced_with_the_object() {
    let e = env().await;
    e.meta.create_bucket(&bucket("b")).await.unwrap();
    let mut obj = object("b", "k", 3);
    obj.tags = tags(&[("project", "x"), ("a", "1")]);
    e.meta.put_object(&obj).await.unwrap();
    let got = e.meta.get_object("b", "k").await.unwrap().unwrap();
    assert_eq!(got.tags, obj.tags, "tags kept in the order given");

    // Setting tags changes nothing else of the object.
    e.access
        .put_object_tags("b", "k", &tags(&[("z", "")]))
        .await
        .unwrap();
    let after = e.meta.get_object("b", "k").await.unwrap().unwrap();
    assert_eq!(after.tags, tags(&[("z", "")]));
    assert_eq!(
        (
            after.etag.as_str(),
            after.last_modified_ms,
            after.blob.clone()
        ),
        (got.etag.as_str(), got.last_modified_ms, got.blob.clone())
    );
    // Empty removes them.
    e.access.put_object_tags("b", "k", &[]).await.unwrap();
    assert!(e
        .meta
        .get_object("b", "k")
        .await
        .unwrap()
        .unwrap()
        .tags
        .is_empty());

    // A new write of the key carries its own tags (none here).
    e.access
        .put_object_tags("b", "k", &tags(&[("t", "v")]))
        .await
        .unwrap();
    e.meta.put_object(&object("b", "k", 4)).await.unwrap();
    assert!(e
        .meta
        .get_object("b", "k")
        .await
        .unwrap()
        .unwrap()
        .tags
        .is_empty());

    // Missing object.
    assert!(matches!(
        e.access
            .put_object_tags("b", "nope", &tags(&[("a", "b")]))
            .await,
        Err(StoreError::NoSuchKey)
    ));
}

#[tokio::test]
async fn listing_reads_tags() {
    let e = env().await;
    e.meta.create_bucket(&bucket("b")).await.unwrap();
    let mut obj = object("b", "k", 3);
    obj.tags = tags(&[("a", "b")]);
    e.meta.put_object(&obj).await.unwrap();
    let page = e
        .meta
        .list_objects(
            "b",
            &sluice_store::ListQuery {
                max_keys: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.objects[0].tags, obj.tags);
}

#[tokio::test]
async fn an_uploads_tags_reach_the_completed_object() {
    let e = env().await;
    e.meta.create_bucket(&bucket("b")).await.unwrap();
    let upload = UploadMeta {
        upload_id: "u1".into(),
        bucket: "b".into(),
        key: "k".into(),
        created_ms: 1,
        initiator: "root".into(),
        headers: Default::default(),
        user_metadata: Vec::new(),
        checksum_algorithm: None,
        checksum_type: None,
        acl: None,
        tags: tags(&[("upload", "yes")]),
    };
    e.meta.create_upload(&upload).await.unwrap();
    let got = e.meta.get_upload("u1").await.unwrap().unwrap();
    assert_eq!(got.tags, upload.tags);
}

#[tokio::test]
async fn bucket_tagging_documents() {
    let e = env().await;
    e.meta.create_bucket(&bucket("b")).await.unwrap();
    assert_eq!(e.access.bucket_tagging("b").await.unwrap(), None);
    assert!(matches!(
        e.access.put_bucket_tagging("nope", "<Tagging/>").await,
        Err(StoreError::NoSuchBucket)
    ));
    e.access
        .put_bucket_tagging("b", "<Tagging/>")
        .await
        .unwrap();
    e.access
        .put_bucket_tagging("b", "<Tagging>2</Tagging>")
        .await
        .unwrap();
    assert_eq!(
        e.access.bucket_tagging("b").await.unwrap().as_deref(),
        Some("<Tagging>2</Tagging>")
    );
    assert!(e.access.delete_bucket_tagging("b").await.unwrap());
    assert!(!e.access.delete_bucket_tagging("b").await.unwrap());
    // Deleted with its bucket.
    e.access
        .put_bucket_tagging("b", "<Tagging/>")
        .await
        .unwrap();
    e.meta.delete_bucket("b").await.unwrap();
    e.meta.create_bucket(&bucket("b")).await.unwrap();
    assert_eq!(e.access.bucket_tagging("b").await.unwrap(), None);
}
