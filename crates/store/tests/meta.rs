//! Bucket and object rows, on the backend under test (`common::backend`).

mod common;

use common::{bucket, env, object};
use sluice_store::{BlobRef, BucketUsage, Checksums, PartInfo, StoreError};

#[tokio::test]
async fn bucket_lifecycle() {
    let env = env().await;
    let m = &env.meta;
    assert!(m.list_buckets().await.unwrap().is_empty());
    m.create_bucket(&bucket("zeta")).await.unwrap();
    m.create_bucket(&bucket("alpha")).await.unwrap();
    assert!(matches!(
        m.create_bucket(&bucket("alpha")).await,
        Err(StoreError::BucketExists)
    ));
    let names: Vec<_> = m
        .list_buckets()
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, ["alpha", "zeta"]);
    assert_eq!(m.get_bucket("alpha").await.unwrap(), Some(bucket("alpha")));
    assert_eq!(m.get_bucket("nope").await.unwrap(), None);

    m.put_object(&object("alpha", "k", 3)).await.unwrap();
    assert!(matches!(
        m.delete_bucket("alpha").await,
        Err(StoreError::BucketNotEmpty)
    ));
    m.delete_object("alpha", "k").await.unwrap();
    m.delete_bucket("alpha").await.unwrap();
    assert!(matches!(
        m.delete_bucket("alpha").await,
        Err(StoreError::NoSuchBucket)
    ));
    assert_eq!(m.get_bucket("alpha").await.unwrap(), None);
    // The name can be reused.
    m.create_bucket(&bucket("alpha")).await.unwrap();
}

#[tokio::test]
async fn put_get_replace_delete() {
    let env = env().await;
    let m = &env.meta;
    m.create_bucket(&bucket("b")).await.unwrap();

    let mut first = object("b", "dir/ключ 🚀", 10);
    first.user_metadata = vec![("zz".into(), "1".into()), ("aa".into(), "2".into())];
    assert_eq!(m.put_object(&first).await.unwrap(), None);

    let got = m.get_object("b", "dir/ключ 🚀").await.unwrap().unwrap();
    let mut expected = first.clone();
    expected.user_metadata.sort();
    assert_eq!(got, expected, "round trip, user metadata sorted");

    let second = object("b", "dir/ключ 🚀", 20);
    let replaced = m.put_object(&second).await.unwrap();
    assert_eq!(replaced, Some(expected), "replace returns the old row");
    assert_eq!(
        m.get_object("b", "dir/ключ 🚀").await.unwrap(),
        Some(second.clone())
    );
    assert_eq!(
        m.bucket_usage("b").await.unwrap(),
        Some(BucketUsage {
            objects: 1,
            bytes: 20
        })
    );

    assert_eq!(
        m.delete_object("b", "dir/ключ 🚀").await.unwrap(),
        Some(second)
    );
    assert_eq!(m.delete_object("b", "dir/ключ 🚀").await.unwrap(), None);
    assert_eq!(m.get_object("b", "dir/ключ 🚀").await.unwrap(), None);
    assert_eq!(
        m.bucket_usage("b").await.unwrap(),
        Some(BucketUsage {
            objects: 0,
            bytes: 0
        })
    );
    assert_eq!(m.bucket_usage("none").await.unwrap(), None);
}

#[tokio::test]
async fn put_into_missing_bucket_fails() {
    let env = env().await;
    assert!(matches!(
        env.meta.put_object(&object("ghost", "k", 1)).await,
        Err(StoreError::NoSuchBucket)
    ));
    assert!(matches!(
        env.meta
            .list_objects(
                "ghost",
                &sluice_store::ListQuery {
                    max_keys: 10,
                    ..Default::default()
                }
            )
            .await,
        Err(StoreError::NoSuchBucket)
    ));
}

#[tokio::test]
async fn same_key_in_two_buckets_is_independent() {
    let env = env().await;
    let m = &env.meta;
    m.create_bucket(&bucket("a")).await.unwrap();
    m.create_bucket(&bucket("b")).await.unwrap();
    m.put_object(&object("a", "k", 1)).await.unwrap();
    m.put_object(&object("b", "k", 2)).await.unwrap();
    assert_eq!(m.get_object("a", "k").await.unwrap().unwrap().size, 1);
    assert_eq!(m.get_object("b", "k").await.unwrap().unwrap().size, 2);
    assert_eq!(m.object_count().await.unwrap(), 2);
}

#[tokio::test]
async fn blob_in_use_covers_objects_and_parts() {
    let env = env().await;
    let m = &env.meta;
    m.create_bucket(&bucket("b")).await.unwrap();
    let part = |n: u32| PartInfo {
        part_number: n,
        size: 5,
        etag: format!("etag{n}"),
        blob: BlobRef::random(),
        checksums: Checksums::default(),
    };
    let mut multi = object("b", "multi", 10);
    multi.etag = "abc-2".into();
    multi.parts = Some(vec![part(1), part(2)]);
    let single = object("b", "single", 1);
    m.put_object(&multi).await.unwrap();
    m.put_object(&single).await.unwrap();
    assert_eq!(
        m.get_object("b", "multi").await.unwrap(),
        Some(multi.clone())
    );

    let parts = multi.parts.clone().unwrap();
    let unknown = BlobRef::random();
    let query = [
        single.blob.clone(),
        parts[0].blob.clone(),
        unknown.clone(),
        parts[1].blob.clone(),
        multi.blob.clone(),
    ];
    assert_eq!(
        m.blob_in_use(&query).await.unwrap(),
        [true, true, false, true, true]
    );

    // Replacing the multipart object with a plain one releases its part blobs.
    let replaced = m
        .put_object(&object("b", "multi", 3))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(replaced.blobs().len(), 3);
    assert_eq!(
        m.blob_in_use(&[parts[0].blob.clone(), parts[1].blob.clone()])
            .await
            .unwrap(),
        [false, false]
    );
    assert!(m.blob_in_use(&[]).await.unwrap().is_empty());
}

#[tokio::test]
async fn concurrent_puts_and_reads() {
    let env = env().await;
    env.meta.create_bucket(&bucket("b")).await.unwrap();
    let mut tasks = Vec::new();
    for t in 0..8 {
        let meta = env.meta.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..25 {
                let key = format!("t{t}/k{i}");
                meta.put_object(&object("b", &key, 1)).await.unwrap();
                assert!(meta.get_object("b", &key).await.unwrap().is_some());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(env.meta.object_count().await.unwrap(), 200);
}
