//! S3 operations driven by the official AWS SDK for Rust against a real server.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, Delete, ObjectIdentifier};
use common::TestServer;

fn md5_hex(b: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(b))
}

fn code<E: aws_sdk_s3::error::ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bucket_lifecycle() {
    let ts = TestServer::start().await;
    let s3 = ts.sdk();
    s3.create_bucket().bucket("alpha").send().await.unwrap();
    let err = s3.create_bucket().bucket("alpha").send().await.unwrap_err();
    assert_eq!(code(&err.into_service_error()), "BucketAlreadyOwnedByYou");
    let err = s3
        .create_bucket()
        .bucket("Bad_Name")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "InvalidBucketName");
    s3.create_bucket().bucket("beta").send().await.unwrap();
    let list = s3.list_buckets().send().await.unwrap();
    let names: Vec<_> = list.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["alpha", "beta"]);
    s3.head_bucket().bucket("alpha").send().await.unwrap();
    assert!(s3.head_bucket().bucket("nope").send().await.is_err());
    let loc = s3
        .get_bucket_location()
        .bucket("alpha")
        .send()
        .await
        .unwrap();
    assert!(
        loc.location_constraint().is_none()
            || loc.location_constraint().unwrap().as_str().is_empty()
    );
    s3.put_object()
        .bucket("alpha")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let err = s3.delete_bucket().bucket("alpha").send().await.unwrap_err();
    assert_eq!(code(&err.into_service_error()), "BucketNotEmpty");
    s3.delete_object()
        .bucket("alpha")
        .key("k")
        .send()
        .await
        .unwrap();
    s3.delete_bucket().bucket("alpha").send().await.unwrap();
    let err = s3.delete_bucket().bucket("alpha").send().await.unwrap_err();
    assert_eq!(code(&err.into_service_error()), "NoSuchBucket");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_get_head_with_metadata_ranges_and_conditions() {
    let ts = TestServer::start().await;
    let s3 = ts.sdk();
    s3.create_bucket().bucket("objs").send().await.unwrap();
    let body: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let put = s3
        .put_object()
        .bucket("objs")
        .key("dir/file.bin")
        .content_type("application/x-test")
        .cache_control("max-age=60")
        .metadata("colour", "blue")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    let etag = put.e_tag().unwrap().to_string();
    assert_eq!(etag, format!("\"{}\"", md5_hex(&body)));

    let got = s3
        .get_object()
        .bucket("objs")
        .key("dir/file.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("application/x-test"));
    assert_eq!(got.cache_control(), Some("max-age=60"));
    assert_eq!(
        got.metadata().unwrap().get("colour").map(String::as_str),
        Some("blue")
    );
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    let bytes = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(&bytes[..], &body[..]);

    let head = s3
        .head_object()
        .bucket("objs")
        .key("dir/file.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(100_000));

    let ranged = s3
        .get_object()
        .bucket("objs")
        .key("dir/file.bin")
        .range("bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.content_range(), Some("bytes 10-19/100000"));
    let bytes = ranged.body.collect().await.unwrap().into_bytes();
    assert_eq!(&bytes[..], &body[10..20]);
    let suffix = s3
        .get_object()
        .bucket("objs")
        .key("dir/file.bin")
        .range("bytes=-5")
        .send()
        .await
        .unwrap();
    assert_eq!(
        &suffix.body.collect().await.unwrap().into_bytes()[..],
        &body[body.len() - 5..]
    );
    let err = s3
        .get_object()
        .bucket("objs")
        .key("dir/file.bin")
        .range("bytes=200000-")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "InvalidRange");

    let err = s3
        .get_object()
        .bucket("objs")
        .key("dir/file.bin")
        .if_match("\"nope\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 412);
    let err = s3
        .get_object()
        .bucket("objs")
        .key("dir/file.bin")
        .if_none_match(&etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 304);
    s3.get_object()
        .bucket("objs")
        .key("dir/file.bin")
        .if_match(&etag)
        .send()
        .await
        .unwrap();

    let overridden = s3
        .get_object()
        .bucket("objs")
        .key("dir/file.bin")
        .response_content_type("text/plain")
        .response_content_disposition("attachment; filename=\"x.txt\"")
        .send()
        .await
        .unwrap();
    assert_eq!(overridden.content_type(), Some("text/plain"));
    assert_eq!(
        overridden.content_disposition(),
        Some("attachment; filename=\"x.txt\"")
    );

    let err = s3
        .get_object()
        .bucket("objs")
        .key("missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "NoSuchKey");
    let err = s3
        .get_object()
        .bucket("nobucket")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "NoSuchBucket");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checksums_every_algorithm_round_trip() {
    let ts = TestServer::start().await;
    let s3 = ts.sdk();
    s3.create_bucket().bucket("sums").send().await.unwrap();
    for alg in [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32C,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ] {
        let key = format!("k-{}", alg.as_str());
        s3.put_object()
            .bucket("sums")
            .key(&key)
            .checksum_algorithm(alg.clone())
            .body(ByteStream::from_static(b"hello world"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{alg:?}: {e:?}"));
        let got = s3
            .get_object()
            .bucket("sums")
            .key(&key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        let value = match alg {
            ChecksumAlgorithm::Crc32 => got.checksum_crc32().map(str::to_string),
            ChecksumAlgorithm::Crc32C => got.checksum_crc32_c().map(str::to_string),
            ChecksumAlgorithm::Crc64Nvme => got.checksum_crc64_nvme().map(str::to_string),
            ChecksumAlgorithm::Sha1 => got.checksum_sha1().map(str::to_string),
            _ => got.checksum_sha256().map(str::to_string),
        };
        assert!(value.is_some(), "{alg:?} checksum returned");
        let body = got.body.collect().await.unwrap().into_bytes();
        assert_eq!(&body[..], b"hello world");
    }
    // A wrong checksum header is refused and nothing is stored.
    let err = s3
        .put_object()
        .bucket("sums")
        .key("bad")
        .checksum_crc32("AAAAAA==")
        .body(ByteStream::from_static(b"hello world"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "BadDigest");
    assert!(s3
        .head_object()
        .bucket("sums")
        .key("bad")
        .send()
        .await
        .is_err());
    // Content-MD5 checked too.
    let err = s3
        .put_object()
        .bucket("sums")
        .key("bad")
        .content_md5("1B2M2Y8AsgTpgAmY7PhCfg==")
        .body(ByteStream::from_static(b"not empty"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "BadDigest");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_v1_v2_versions_with_delimiters_and_pages() {
    let ts = TestServer::start().await;
    let s3 = ts.sdk();
    s3.create_bucket().bucket("list").send().await.unwrap();
    let keys = ["a/1", "a/2", "a/b/3", "b", "c d", "c+e", "ü/x"];
    for k in keys {
        s3.put_object()
            .bucket("list")
            .key(k)
            .body(ByteStream::from_static(b"1"))
            .send()
            .await
            .unwrap();
    }
    let v2 = s3
        .list_objects_v2()
        .bucket("list")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let objs: Vec<_> = v2.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<_> = v2
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(objs, ["b", "c d", "c+e"]);
    assert_eq!(prefixes, ["a/", "ü/"]);
    assert_eq!(v2.key_count(), Some(5));

    let v2 = s3
        .list_objects_v2()
        .bucket("list")
        .prefix("a/")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let objs: Vec<_> = v2.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(objs, ["a/1", "a/2"]);
    assert_eq!(v2.common_prefixes()[0].prefix(), Some("a/b/"));

    // Pagination with continuation tokens reaches every key exactly once.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = s3.list_objects_v2().bucket("list").max_keys(2);
        if let Some(t) = &token {
            req = req.continuation_token(t);
        }
        let page = req.send().await.unwrap();
        seen.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string)),
        );
        if page.is_truncated() != Some(true) {
            break;
        }
        token = page.next_continuation_token().map(str::to_string);
    }
    assert_eq!(seen, keys);

    let after = s3
        .list_objects_v2()
        .bucket("list")
        .start_after("b")
        .send()
        .await
        .unwrap();
    assert_eq!(after.contents()[0].key(), Some("c d"));

    // v1 with marker and url encoding (the SDK decodes it back).
    let v1 = s3
        .list_objects()
        .bucket("list")
        .marker("a/b/3")
        .max_keys(2)
        .send()
        .await
        .unwrap();
    let objs: Vec<_> = v1.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(objs, ["b", "c d"]);
    assert_eq!(v1.is_truncated(), Some(true));
    let enc = s3
        .list_objects_v2()
        .bucket("list")
        .encoding_type(aws_sdk_s3::types::EncodingType::Url)
        .send()
        .await
        .unwrap();
    assert!(enc
        .contents()
        .iter()
        .any(|o| o.key() == Some("c d") || o.key() == Some("c%20d")));

    let versions = s3
        .list_object_versions()
        .bucket("list")
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), keys.len());
    assert!(versions
        .versions()
        .iter()
        .all(|v| v.version_id() == Some("null") && v.is_latest() == Some(true)));
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_and_delete_objects() {
    let ts = TestServer::start().await;
    let s3 = ts.sdk();
    s3.create_bucket().bucket("src").send().await.unwrap();
    s3.create_bucket().bucket("dst").send().await.unwrap();
    s3.put_object()
        .bucket("src")
        .key("a b+c")
        .content_type("text/plain")
        .metadata("m", "1")
        .body(ByteStream::from_static(b"copy me"))
        .send()
        .await
        .unwrap();
    let copied = s3
        .copy_object()
        .bucket("dst")
        .key("copy")
        .copy_source("src/a%20b%2Bc")
        .send()
        .await
        .unwrap();
    assert!(copied.copy_object_result().unwrap().e_tag().is_some());
    let got = s3
        .get_object()
        .bucket("dst")
        .key("copy")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("text/plain"));
    assert_eq!(
        got.metadata().unwrap().get("m").map(String::as_str),
        Some("1")
    );
    assert_eq!(
        &got.body.collect().await.unwrap().into_bytes()[..],
        b"copy me"
    );

    s3.copy_object()
        .bucket("dst")
        .key("replaced")
        .copy_source("src/a%20b%2Bc")
        .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
        .content_type("application/json")
        .send()
        .await
        .unwrap();
    let head = s3
        .head_object()
        .bucket("dst")
        .key("replaced")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("application/json"));
    assert!(head.metadata().map(|m| m.is_empty()).unwrap_or(true));

    let err = s3
        .copy_object()
        .bucket("dst")
        .key("copy")
        .copy_source("dst/copy")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "InvalidRequest");
    let err = s3
        .copy_object()
        .bucket("dst")
        .key("x")
        .copy_source("src/missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "NoSuchKey");

    let del = s3
        .delete_objects()
        .bucket("dst")
        .delete(
            Delete::builder()
                .objects(ObjectIdentifier::builder().key("copy").build().unwrap())
                .objects(ObjectIdentifier::builder().key("replaced").build().unwrap())
                .objects(
                    ObjectIdentifier::builder()
                        .key("never-existed")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(del.deleted().len(), 3);
    let left = s3.list_objects_v2().bucket("dst").send().await.unwrap();
    assert_eq!(left.key_count(), Some(0));
    ts.stop().await;
}
