//! Bucket policies and canned ACLs: what they open to anonymous and other users, and what
//! they refuse.

mod common;
mod iam_support;

use aws_sdk_s3::types::{BucketCannedAcl, ObjectCannedAcl};
use common::TestServer;
use iam_support::*;

const BUCKET: &str = "media";

async fn put_root(ts: &TestServer, key: &str, body: &str) {
    put_as_root(ts, BUCKET, &[key], body).await;
}

fn anon_url(ts: &TestServer, key: &str) -> String {
    format!("{}/{BUCKET}/{key}", ts.endpoint())
}

fn sdk_code<E: aws_sdk_s3::error::ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_policy_opens_a_prefix_to_anonymous_get() {
    let ts = TestServer::start().await;
    root_bucket(&ts, BUCKET).await;
    put_root(&ts, "public/a.txt", "open").await;
    put_root(&ts, "private/b.txt", "closed").await;
    assert_eq!(
        get_url(&anon_url(&ts, "public/a.txt")).await.0,
        403,
        "private by default"
    );

    let err = ts
        .sdk()
        .get_bucket_policy()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_err();
    assert_eq!(sdk_error_code(&err), "NoSuchBucketPolicy");

    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"PublicPrefix","Effect":"Allow",
        "Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::media/public/*"}]}"#;
    ts.sdk()
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(policy)
        .send()
        .await
        .unwrap();
    let got = ts
        .sdk()
        .get_bucket_policy()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    assert_eq!(got.policy(), Some(policy));

    assert_eq!(
        get_url(&anon_url(&ts, "public/a.txt")).await,
        (200, "open".into())
    );
    assert_eq!(get_url(&anon_url(&ts, "private/b.txt")).await.0, 403);
    assert_eq!(
        put_url(&anon_url(&ts, "public/new.txt"), "x").await,
        (403, "AccessDenied".into())
    );
    let list = reqwest::get(format!("{}/{BUCKET}", ts.endpoint()))
        .await
        .unwrap();
    assert_eq!(list.status().as_u16(), 403);

    ts.sdk()
        .delete_bucket_policy()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    assert_eq!(get_url(&anon_url(&ts, "public/a.txt")).await.0, 403);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bucket_policies_name_users_and_deny_over_identity_allows() {
    let ts = TestServer::start().await;
    root_bucket(&ts, BUCKET).await;
    let bob = new_user(&ts, "bob", None).await;
    let carol = new_user(&ts, "carol", None).await;
    grant(
        &ts,
        "carol",
        "all-s3",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
    )
    .await;
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/bob"]},"Action":"s3:PutObject","Resource":"arn:aws:s3:::media/inbox/*"},
        {"Sid":"NoDeletes","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::media/*"}]}"#;
    ts.sdk()
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(policy)
        .send()
        .await
        .unwrap();

    // bob has no identity policy; the bucket policy lets him upload into inbox/ only.
    let url = presign_as(&ts, &bob, "PUT", BUCKET, "inbox/1.txt", 600);
    assert_eq!(put_url(&url, "1").await.0, 200);
    let url = presign_as(&ts, &bob, "PUT", BUCKET, "other/1.txt", 600);
    assert_eq!(put_url(&url, "1").await.0, 403);
    // carol may do anything by identity policy, except what the bucket policy denies.
    let sdk = ts.sdk_with(&carol.access_key_id, &carol.secret_access_key);
    let err = sdk
        .delete_object()
        .bucket(BUCKET)
        .key("inbox/1.txt")
        .send()
        .await
        .unwrap_err();
    assert_eq!(sdk_error_code(&err), "AccessDenied");
    sdk.get_object()
        .bucket(BUCKET)
        .key("inbox/1.txt")
        .send()
        .await
        .unwrap();
    // Root is never judged by policies.
    ts.sdk()
        .delete_object()
        .bucket(BUCKET)
        .key("inbox/1.txt")
        .send()
        .await
        .unwrap();

    // Refused documents: syntax (with position), foreign resources, missing principal.
    for (doc, want) in [
        ("{\"Statement\": [\n oops ]}", "line 2, column 2"),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}}"#,
            "invalid resource",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::media/*"}}"#,
            "missing Principal",
        ),
    ] {
        let err = ts
            .sdk()
            .put_bucket_policy()
            .bucket(BUCKET)
            .policy(doc)
            .send()
            .await
            .unwrap_err();
        let se = err.as_service_error().unwrap();
        assert_eq!(sdk_code(se), "MalformedPolicy");
        assert!(
            aws_sdk_s3::error::ProvideErrorMetadata::message(se)
                .unwrap_or_default()
                .contains(want),
            "{doc}"
        );
    }
    // Only permitted callers may read or change a bucket policy.
    let bob_sdk = ts.sdk_with(&bob.access_key_id, &bob.secret_access_key);
    assert!(bob_sdk
        .get_bucket_policy()
        .bucket(BUCKET)
        .send()
        .await
        .is_err());
    assert!(bob_sdk
        .delete_bucket_policy()
        .bucket(BUCKET)
        .send()
        .await
        .is_err());
    let err = ts
        .sdk()
        .get_bucket_policy()
        .bucket("missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(sdk_error_code(&err), "NoSuchBucket");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_read_acl_opens_one_object() {
    let ts = TestServer::start().await;
    root_bucket(&ts, BUCKET).await;
    ts.sdk()
        .put_object()
        .bucket(BUCKET)
        .key("shared.txt")
        .acl(ObjectCannedAcl::PublicRead)
        .body(b"hello".to_vec().into())
        .send()
        .await
        .unwrap();
    put_root(&ts, "secret.txt", "no").await;
    assert_eq!(
        get_url(&anon_url(&ts, "shared.txt")).await,
        (200, "hello".into())
    );
    assert_eq!(get_url(&anon_url(&ts, "secret.txt")).await.0, 403);
    assert_eq!(
        put_url(&anon_url(&ts, "shared.txt"), "x").await.0,
        403,
        "read only"
    );

    let acl = ts
        .sdk()
        .get_object_acl()
        .bucket(BUCKET)
        .key("shared.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(acl.grants().len(), 2);
    let uris: Vec<_> = acl
        .grants()
        .iter()
        .filter_map(|g| g.grantee().and_then(|g| g.uri()))
        .collect();
    assert_eq!(uris, ["http://acs.amazonaws.com/groups/global/AllUsers"]);
    let private = ts
        .sdk()
        .get_object_acl()
        .bucket(BUCKET)
        .key("secret.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(private.grants().len(), 1);

    ts.sdk()
        .put_object_acl()
        .bucket(BUCKET)
        .key("shared.txt")
        .acl(ObjectCannedAcl::Private)
        .send()
        .await
        .unwrap();
    assert_eq!(get_url(&anon_url(&ts, "shared.txt")).await.0, 403);
    ts.sdk()
        .put_object_acl()
        .bucket(BUCKET)
        .key("secret.txt")
        .acl(ObjectCannedAcl::PublicRead)
        .send()
        .await
        .unwrap();
    assert_eq!(get_url(&anon_url(&ts, "secret.txt")).await.0, 200);
    // Overwriting the object without an ACL makes it private again.
    put_root(&ts, "secret.txt", "new").await;
    assert_eq!(get_url(&anon_url(&ts, "secret.txt")).await.0, 403);
    let err = ts
        .sdk()
        .put_object_acl()
        .bucket(BUCKET)
        .key("nope.txt")
        .acl(ObjectCannedAcl::PublicRead)
        .send()
        .await
        .unwrap_err();
    assert_eq!(sdk_error_code(&err), "NoSuchKey");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acl_variants_permissions_and_bucket_acls() {
    let ts = TestServer::start().await;
    ts.sdk()
        .create_bucket()
        .bucket(BUCKET)
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .unwrap();
    let acl = ts
        .sdk()
        .get_bucket_acl()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    assert_eq!(acl.grants().len(), 2);
    // A public-read bucket lists for anyone, but its objects stay private.
    put_root(&ts, "a.txt", "a").await;
    let list = reqwest::get(format!("{}/{BUCKET}?list-type=2", ts.endpoint()))
        .await
        .unwrap();
    assert_eq!(list.status().as_u16(), 200);
    assert_eq!(get_url(&anon_url(&ts, "a.txt")).await.0, 403);
    ts.sdk()
        .put_bucket_acl()
        .bucket(BUCKET)
        .acl(BucketCannedAcl::Private)
        .send()
        .await
        .unwrap();
    let list = reqwest::get(format!("{}/{BUCKET}", ts.endpoint()))
        .await
        .unwrap();
    assert_eq!(list.status().as_u16(), 403);

    // authenticated-read: any signed-in user, not anonymous.
    let dave = new_user(&ts, "dave", None).await;
    ts.sdk()
        .put_object()
        .bucket(BUCKET)
        .key("members.txt")
        .acl(ObjectCannedAcl::AuthenticatedRead)
        .body(b"m".to_vec().into())
        .send()
        .await
        .unwrap();
    assert_eq!(get_url(&anon_url(&ts, "members.txt")).await.0, 403);
    let url = presign_as(&ts, &dave, "GET", BUCKET, "members.txt", 600);
    assert_eq!(get_url(&url).await, (200, "m".into()));

    // Setting a non-private ACL needs s3:PutObjectAcl besides s3:PutObject.
    grant(
        &ts,
        "dave",
        "put-only",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}}"#,
    )
    .await;
    let sdk = ts.sdk_with(&dave.access_key_id, &dave.secret_access_key);
    let err = sdk
        .put_object()
        .bucket(BUCKET)
        .key("d.txt")
        .acl(ObjectCannedAcl::PublicRead)
        .body(b"d".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(sdk_error_code(&err), "AccessDenied");
    sdk.put_object()
        .bucket(BUCKET)
        .key("d.txt")
        .body(b"d".to_vec().into())
        .send()
        .await
        .unwrap();
    // Unknown canned ACL values are refused.
    let r = reqwest::Client::new()
        .put(ts.presign_full(
            "PUT",
            BUCKET,
            "x.txt",
            600,
            &[("x-amz-acl".into(), "world-writable".into())],
            &[],
            time::OffsetDateTime::now_utc(),
        ))
        .header("x-amz-acl", "world-writable")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.text().await.unwrap().contains("InvalidArgument"));
    ts.stop().await;
}

/// `aws s3 cp --acl public-read` of a large file: the ACL comes with CreateMultipartUpload and
/// applies to the object the upload completes (it was silently dropped before).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_upload_created_with_an_acl_gives_it_to_its_object() {
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
    let ts = TestServer::start().await;
    root_bucket(&ts, BUCKET).await;
    let s3 = ts.sdk();
    for (key, acl) in [
        ("public-mpu.bin", Some(ObjectCannedAcl::PublicRead)),
        ("private-mpu.bin", None),
    ] {
        let mut create = s3.create_multipart_upload().bucket(BUCKET).key(key);
        if let Some(acl) = acl.clone() {
            create = create.acl(acl);
        }
        let up = create.send().await.unwrap();
        let id = up.upload_id().unwrap();
        let part = s3
            .upload_part()
            .bucket(BUCKET)
            .key(key)
            .upload_id(id)
            .part_number(1)
            .body(b"multipart body".to_vec().into())
            .send()
            .await
            .unwrap();
        // Nothing is readable before the completion.
        assert_eq!(get_url(&anon_url(&ts, key)).await.0, 403);
        s3.complete_multipart_upload()
            .bucket(BUCKET)
            .key(key)
            .upload_id(id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .parts(
                        CompletedPart::builder()
                            .part_number(1)
                            .e_tag(part.e_tag().unwrap())
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let expected = if acl.is_some() {
            (200, "multipart body".to_string())
        } else {
            (403, String::new())
        };
        let got = get_url(&anon_url(&ts, key)).await;
        assert_eq!(got.0, expected.0, "{key}");
        if acl.is_some() {
            assert_eq!(got, expected);
            let grants = s3
                .get_object_acl()
                .bucket(BUCKET)
                .key(key)
                .send()
                .await
                .unwrap();
            assert_eq!(grants.grants().len(), 2, "{key}");
        }
    }
    ts.stop().await;
}
