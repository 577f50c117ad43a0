//! Requests that ask for S3 features Sluice lacks (object lock, SSE-C, SSE-KMS, storage classes other than
//! STANDARD, website redirects, ACL grants) are refused with AWS's error, never stored as if the
//! feature applied. Driven with the AWS SDK, which sends each setting as AWS documents it.

mod common;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{
    ObjectLockLegalHoldStatus, ObjectLockMode, ServerSideEncryption, StorageClass,
};
use base64::Engine;
use common::TestServer;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A customer key and its MD5, as SSE-C wants them.
fn sse_c_key() -> (String, String) {
    use md5::Digest;
    let key = [7u8; 32];
    (B64.encode(key), B64.encode(md5::Md5::digest(key)))
}

fn retain_until() -> DateTime {
    DateTime::from_secs(time::OffsetDateTime::now_utc().unix_timestamp() + 86_400)
}

async fn assert_absent(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) {
    let err = s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect_err("nothing may be stored");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_object_with_unsupported_settings_is_refused_and_stores_nothing() {
    let ts = TestServer::start_with_bucket("lacks").await;
    let s3 = ts.sdk();
    let (key, key_md5) = sse_c_key();
    let put = || {
        s3.put_object()
            .bucket("lacks")
            .key("evidence")
            .body(ByteStream::from_static(b"bytes"))
    };
    let cases: Vec<(&str, _, &str, u16)> = vec![
        (
            "object lock COMPLIANCE",
            put()
                .object_lock_mode(ObjectLockMode::Compliance)
                .object_lock_retain_until_date(retain_until()),
            "InvalidRequest",
            400,
        ),
        (
            "object lock GOVERNANCE",
            put()
                .object_lock_mode(ObjectLockMode::Governance)
                .object_lock_retain_until_date(retain_until()),
            "InvalidRequest",
            400,
        ),
        (
            "legal hold",
            put().object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On),
            "InvalidRequest",
            400,
        ),
        (
            "SSE-KMS",
            put().server_side_encryption(ServerSideEncryption::AwsKms),
            "NotImplemented",
            501,
        ),
        (
            "SSE-KMS key id",
            put()
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id("arn:aws:kms:us-east-1:1:key/x"),
            "NotImplemented",
            501,
        ),
        (
            "DSSE-KMS",
            put().server_side_encryption(ServerSideEncryption::AwsKmsDsse),
            "NotImplemented",
            501,
        ),
        (
            "SSE-C",
            put()
                .sse_customer_algorithm("AES256")
                .sse_customer_key(&key)
                .sse_customer_key_md5(&key_md5),
            "NotImplemented",
            501,
        ),
        (
            "GLACIER",
            put().storage_class(StorageClass::Glacier),
            "NotImplemented",
            501,
        ),
        (
            "REDUCED_REDUNDANCY",
            put().storage_class(StorageClass::ReducedRedundancy),
            "NotImplemented",
            501,
        ),
        (
            "unknown storage class",
            put().storage_class(StorageClass::from("COLD_STORAGE")),
            "InvalidStorageClass",
            400,
        ),
        (
            "website redirect",
            put().website_redirect_location("/elsewhere"),
            "NotImplemented",
            501,
        ),
        (
            "grant",
            put().grant_read("uri=\"http://acs.amazonaws.com/groups/global/AllUsers\""),
            "NotImplemented",
            501,
        ),
    ];
    for (what, req, code, status) in cases {
        let err = req.send().await.expect_err(what);
        let http_status = err.raw_response().map(|r| r.status().as_u16());
        let err = err.into_service_error();
        assert_eq!(err.code(), Some(code), "{what}: {err:?}");
        assert_eq!(http_status, Some(status), "{what}");
        assert_absent(&s3, "lacks", "evidence").await;
    }

    // What Sluice does store as asked still works: STANDARD and SSE-S3 (AES256).
    put()
        .storage_class(StorageClass::Standard)
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .unwrap();
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_bucket_with_object_lock_is_refused() {
    let ts = TestServer::start().await;
    let s3 = ts.sdk();
    let err = s3
        .create_bucket()
        .bucket("locked")
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(501));
    assert_eq!(err.into_service_error().code(), Some("NotImplemented"));
    assert!(s3.head_bucket().bucket("locked").send().await.is_err());
    // Asking for no lock is fine.
    s3.create_bucket()
        .bucket("unlocked")
        .object_lock_enabled_for_bucket(false)
        .send()
        .await
        .unwrap();
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_copy_and_reads_with_unsupported_settings_are_refused() {
    let ts = TestServer::start_with_bucket("lacks").await;
    let s3 = ts.sdk();
    let (key, key_md5) = sse_c_key();
    let err = s3
        .create_multipart_upload()
        .bucket("lacks")
        .key("mpu")
        .object_lock_mode(ObjectLockMode::Compliance)
        .object_lock_retain_until_date(retain_until())
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("InvalidRequest"));
    let err = s3
        .create_multipart_upload()
        .bucket("lacks")
        .key("mpu")
        .storage_class(StorageClass::DeepArchive)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("NotImplemented"));
    let uploads = s3
        .list_multipart_uploads()
        .bucket("lacks")
        .send()
        .await
        .unwrap();
    assert!(uploads.uploads().is_empty(), "no upload may be left open");

    // An upload created plainly refuses SSE-C parts.
    let up = s3
        .create_multipart_upload()
        .bucket("lacks")
        .key("mpu")
        .send()
        .await
        .unwrap();
    let err = s3
        .upload_part()
        .bucket("lacks")
        .key("mpu")
        .upload_id(up.upload_id().unwrap())
        .part_number(1)
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&key_md5)
        .body(ByteStream::from_static(b"part"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("NotImplemented"));

    // CopyObject asking for a lock or a storage class stores nothing.
    s3.put_object()
        .bucket("lacks")
        .key("src")
        .body(ByteStream::from_static(b"source"))
        .send()
        .await
        .unwrap();
    let err = s3
        .copy_object()
        .bucket("lacks")
        .key("copy")
        .copy_source("lacks/src")
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("InvalidRequest"));
    let err = s3
        .copy_object()
        .bucket("lacks")
        .key("copy")
        .copy_source("lacks/src")
        .storage_class(StorageClass::StandardIa)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("NotImplemented"));
    assert_absent(&s3, "lacks", "copy").await;

    // Reading with a customer key: the object was not written with one.
    let err = s3
        .get_object()
        .bucket("lacks")
        .key("src")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&key_md5)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("InvalidRequest"));
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presigned_put_with_signed_storage_class_is_refused() {
    let ts = TestServer::start_with_bucket("lacks").await;
    let url = ts.presign_full(
        "PUT",
        "lacks",
        "via-url",
        300,
        &[],
        &[("x-amz-storage-class".to_string(), "GLACIER".to_string())],
        time::OffsetDateTime::now_utc(),
    );
    let resp = common::http().put(&url).body("bytes").send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 501);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("<Header>x-amz-storage-class</Header>"));
    assert_absent(&ts.sdk(), "lacks", "via-url").await;
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_calls_for_missing_features_answer_not_implemented() {
    use aws_sdk_s3::types::{
        BucketLifecycleConfiguration, Destination, ExpirationStatus, LifecycleExpiration,
        LifecycleRule, LifecycleRuleFilter, ObjectLockConfiguration, ObjectLockEnabled,
        ObjectLockLegalHold, ObjectLockRetention, ObjectLockRetentionMode, Payer,
        ReplicationConfiguration, ReplicationRule, ReplicationRuleStatus,
        RequestPaymentConfiguration, ServerSideEncryptionByDefault,
        ServerSideEncryptionConfiguration, ServerSideEncryptionRule, WebsiteConfiguration,
    };
    let ts = TestServer::start_with_bucket("lacks").await;
    let s3 = ts.sdk();
    s3.put_object()
        .bucket("lacks")
        .key("obj")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let mut codes: Vec<(&str, Option<String>, Option<u16>)> = Vec::new();
    macro_rules! sweep {
        ($what:expr, $call:expr) => {{
            let err = $call.send().await.expect_err($what);
            let status = err.raw_response().map(|r| r.status().as_u16());
            let code = err.into_service_error().code().map(str::to_string);
            codes.push(($what, code, status));
        }};
    }
    sweep!(
        "PutBucketWebsite",
        s3.put_bucket_website()
            .bucket("lacks")
            .website_configuration(
                WebsiteConfiguration::builder()
                    .index_document(
                        aws_sdk_s3::types::IndexDocument::builder()
                            .suffix("index.html")
                            .build()
                            .unwrap()
                    )
                    .build()
            )
    );
    sweep!(
        "PutBucketReplication",
        s3.put_bucket_replication()
            .bucket("lacks")
            .replication_configuration(
                ReplicationConfiguration::builder()
                    .role("arn:aws:iam::1:role/r")
                    .rules(
                        ReplicationRule::builder()
                            .status(ReplicationRuleStatus::Enabled)
                            .destination(
                                Destination::builder()
                                    .bucket("arn:aws:s3:::elsewhere")
                                    .build()
                                    .unwrap()
                            )
                            .build()
                            .unwrap()
                    )
                    .build()
                    .unwrap()
            )
    );
    sweep!(
        "PutBucketRequestPayment",
        s3.put_bucket_request_payment()
            .bucket("lacks")
            .request_payment_configuration(
                RequestPaymentConfiguration::builder()
                    .payer(Payer::Requester)
                    .build()
                    .unwrap()
            )
    );
    sweep!(
        "PutObjectLockConfiguration",
        s3.put_object_lock_configuration()
            .bucket("lacks")
            .object_lock_configuration(
                ObjectLockConfiguration::builder()
                    .object_lock_enabled(ObjectLockEnabled::Enabled)
                    .build()
            )
    );
    sweep!(
        "PutObjectRetention",
        s3.put_object_retention()
            .bucket("lacks")
            .key("obj")
            .retention(
                ObjectLockRetention::builder()
                    .mode(ObjectLockRetentionMode::Compliance)
                    .retain_until_date(retain_until())
                    .build()
            )
    );
    sweep!(
        "PutObjectLegalHold",
        s3.put_object_legal_hold()
            .bucket("lacks")
            .key("obj")
            .legal_hold(
                ObjectLockLegalHold::builder()
                    .status(ObjectLockLegalHoldStatus::On)
                    .build()
            )
    );
    sweep!(
        "PutBucketLifecycleConfiguration",
        s3.put_bucket_lifecycle_configuration()
            .bucket("lacks")
            .lifecycle_configuration(
                BucketLifecycleConfiguration::builder()
                    .rules(
                        LifecycleRule::builder()
                            .id("expire")
                            .status(ExpirationStatus::Enabled)
                            .filter(LifecycleRuleFilter::builder().prefix("tmp/").build())
                            .expiration(LifecycleExpiration::builder().days(1).build())
                            .build()
                            .unwrap()
                    )
                    .build()
                    .unwrap()
            )
    );
    sweep!(
        "PutBucketEncryption",
        s3.put_bucket_encryption()
            .bucket("lacks")
            .server_side_encryption_configuration(
                ServerSideEncryptionConfiguration::builder()
                    .rules(
                        ServerSideEncryptionRule::builder()
                            .apply_server_side_encryption_by_default(
                                ServerSideEncryptionByDefault::builder()
                                    .sse_algorithm(ServerSideEncryption::AwsKms)
                                    .build()
                                    .unwrap()
                            )
                            .build()
                    )
                    .build()
                    .unwrap()
            )
    );
    for (what, code, status) in codes {
        assert_eq!(code.as_deref(), Some("NotImplemented"), "{what}");
        assert_eq!(status, Some(501), "{what}");
    }
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_form_fields_asking_for_missing_features_are_refused() {
    use common::post_form::{error_of, object, post, signed_form, start, BUCKET};
    use serde_json::{json, Map, Value};
    let ts = start().await;
    let cases = [
        ("x-amz-storage-class", "GLACIER", "NotImplemented", 501),
        ("x-amz-storage-class", "NOPE", "InvalidStorageClass", 400),
        (
            "x-amz-server-side-encryption",
            "aws:kms",
            "NotImplemented",
            501,
        ),
        (
            "x-amz-website-redirect-location",
            "/x",
            "NotImplemented",
            501,
        ),
        (
            "x-amz-object-lock-mode",
            "COMPLIANCE",
            "InvalidRequest",
            400,
        ),
    ];
    let form_with = |field: &str, value: &str| {
        let mut cond = Map::new();
        cond.insert(field.to_string(), Value::from(value));
        signed_form(
            vec![
                json!({"bucket": BUCKET}),
                json!(["eq", "$key", "form-key"]),
                Value::Object(cond),
            ],
            &[("key", "form-key"), (field, value)],
            None,
        )
        .file("a.txt", b"form bytes")
    };
    for (field, value, code, status) in cases {
        let (got_status, got_code, message) =
            error_of(post(&ts, &form_with(field, value)).await).await;
        assert_eq!(
            (got_status, got_code.as_str()),
            (status, code),
            "{field}: {message}"
        );
        assert!(object(&ts, "form-key").await.is_none(), "{field}: stored");
    }
    let ok = post(&ts, &form_with("x-amz-storage-class", "STANDARD")).await;
    assert!(ok.status().is_success(), "STANDARD: {}", ok.status());
    assert!(object(&ts, "form-key").await.is_some());
    ts.stop().await;
}
