//! S3 behaviours found different from AWS by outside clients (issue 20), each checked with the
//! client that found it.

mod common;
mod iam_support;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use common::TestServer;

fn code<E: aws_sdk_s3::error::ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_string()
}

/// Keys of the bucket, all pages.
async fn all_keys(s3: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    let out = s3
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .expect("list");
    out.contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect()
}

/// PUTs a one-byte object through a presigned URL (the SDK refuses whitespace-only keys).
async fn put_raw(ts: &TestServer, bucket: &str, key: &str) {
    let r = common::http()
        .put(ts.presign("PUT", bucket, key, 300))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "put {key:?}");
}

/// Item 4: the `<Key>` of a DeleteObjects body is taken exactly as sent, whitespace included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_objects_takes_keys_with_whitespace_exactly() {
    let ts = TestServer::start_with_bucket("wsp").await;
    let s3 = ts.sdk();
    let keys = [
        " ",
        "  ",
        "\t",
        "\n",
        "a\nb",
        "_ ",
        " _",
        " lead",
        "trail ",
        " both ",
        "%",
        "<",
        "&",
        "a%20b&c<d>",
        "\r\n",
    ];
    for quiet in [true, false] {
        for k in keys {
            put_raw(&ts, "wsp", k).await;
        }
        let mut listed = all_keys(&s3, "wsp").await;
        listed.sort();
        let mut want: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        want.sort();
        assert_eq!(listed, want);
        let ids: Vec<ObjectIdentifier> = keys
            .iter()
            .map(|k| ObjectIdentifier::builder().key(*k).build().unwrap())
            .collect();
        let out = s3
            .delete_objects()
            .bucket("wsp")
            .delete(
                Delete::builder()
                    .set_objects(Some(ids))
                    .quiet(quiet)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        assert!(out.errors().is_empty(), "{:?}", out.errors());
        if !quiet {
            let mut deleted: Vec<String> = out
                .deleted()
                .iter()
                .filter_map(|d| d.key().map(str::to_string))
                .collect();
            deleted.sort();
            assert_eq!(deleted, want);
        }
        assert_eq!(
            all_keys(&s3, "wsp").await,
            Vec::<String>::new(),
            "quiet={quiet}"
        );
    }
}

/// Item 4: a whitespace key that cannot be deleted is answered as an `<Error>` naming the key
/// exactly as sent, in quiet mode too (quiet mode leaves out only the `<Deleted>` entries), and
/// the object stays; the other keys of the same request are deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_objects_reports_whitespace_keys_it_cannot_delete() {
    let ts = TestServer::start_with_bucket("wsd").await;
    let kept = [" kept ", "\t", "a\nb "];
    let gone = [" gone", "gone\n", "  "];
    for k in kept.iter().chain(&gone) {
        put_raw(&ts, "wsd", k).await;
    }
    // alice may delete in the bucket, except exactly the `kept` keys (whitespace included:
    // `kept` without its spaces, or with other whitespace, is another key).
    let deny: Vec<String> = kept
        .iter()
        .map(|k| format!("arn:aws:s3:::wsd/{k}"))
        .collect();
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::wsd/*"},
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": deny},
    ]});
    let alice = iam_support::new_user(&ts, "alice", None).await;
    iam_support::grant(&ts, "alice", "all-but-kept", &policy.to_string()).await;
    let s3 = ts.sdk_with(&alice.access_key_id, &alice.secret_access_key);
    for quiet in [true, false] {
        let ids: Vec<ObjectIdentifier> = kept
            .iter()
            .chain(&gone)
            .map(|k| ObjectIdentifier::builder().key(*k).build().unwrap())
            .collect();
        let out = s3
            .delete_objects()
            .bucket("wsd")
            .delete(
                Delete::builder()
                    .set_objects(Some(ids))
                    .quiet(quiet)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let errors: Vec<(&str, &str)> = out
            .errors()
            .iter()
            .map(|e| (e.key().unwrap_or("<none>"), e.code().unwrap_or("<none>")))
            .collect();
        assert_eq!(
            errors,
            kept.iter()
                .map(|k| (*k, "AccessDenied"))
                .collect::<Vec<_>>(),
            "quiet={quiet}"
        );
        let deleted: Vec<&str> = out.deleted().iter().filter_map(|d| d.key()).collect();
        if quiet {
            assert!(deleted.is_empty(), "{deleted:?}");
        } else {
            // The second round deletes the already deleted `gone` keys again: success, as S3.
            assert_eq!(deleted, gone);
        }
        let mut left = all_keys(&ts.sdk(), "wsd").await;
        left.sort();
        let mut want: Vec<String> = kept.iter().map(|k| k.to_string()).collect();
        want.sort();
        assert_eq!(left, want, "quiet={quiet}");
    }
}

/// Item 4: character references for a newline in either form (`&#10;`, `&#xA;`) decode.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_objects_decodes_newline_references() {
    let ts = TestServer::start_with_bucket("nls").await;
    let s3 = ts.sdk();
    for k in ["a\nb", "\n"] {
        put_raw(&ts, "nls", k).await;
    }
    let body =
        "<Delete><Object><Key>a&#10;b</Key></Object><Object><Key>&#xA;</Key></Object></Delete>";
    let md5 = {
        use base64::Engine;
        use md5::Digest;
        base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body.as_bytes()))
    };
    // The SDK writes its own body; this one is sent raw through a presigned `POST ?delete`.
    let url = ts.presign_full(
        "POST",
        "nls",
        "",
        300,
        &[],
        &[("delete".to_string(), String::new())],
        time::OffsetDateTime::now_utc(),
    );
    let r = common::http()
        .post(url)
        .header("content-md5", md5)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    assert_eq!(all_keys(&s3, "nls").await, Vec::<String>::new());
}

/// Item 5: DeleteBucket with multipart uploads in progress deletes the bucket (it holds no
/// objects) and the uploads with it, freeing their parts' blobs. A bucket with an object is
/// still not empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_bucket_with_uploads_in_progress() {
    let ts = TestServer::start_with_bucket("mpdel").await;
    let s3 = ts.sdk();
    for (key, size) in [("big", 200 * 1024), ("small", 10)] {
        let up = s3
            .create_multipart_upload()
            .bucket("mpdel")
            .key(key)
            .send()
            .await
            .unwrap();
        s3.upload_part()
            .bucket("mpdel")
            .key(key)
            .upload_id(up.upload_id().unwrap())
            .part_number(1)
            .body(ByteStream::from(vec![7u8; size]))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(common::stored_blobs(ts.dir.path()), 2);
    s3.delete_bucket().bucket("mpdel").send().await.unwrap();
    assert_eq!(common::stored_blobs(ts.dir.path()), 0, "part blobs freed");
    let err = s3
        .list_multipart_uploads()
        .bucket("mpdel")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "NoSuchBucket");
    // A bucket of the same name starts without the old uploads.
    s3.create_bucket().bucket("mpdel").send().await.unwrap();
    let listed = s3
        .list_multipart_uploads()
        .bucket("mpdel")
        .send()
        .await
        .unwrap();
    assert!(listed.uploads().is_empty());

    // With an object (and an upload) the bucket is not empty, and the upload stays.
    let up = s3
        .create_multipart_upload()
        .bucket("mpdel")
        .key("u")
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket("mpdel")
        .key("o")
        .body(ByteStream::from_static(b"o"))
        .send()
        .await
        .unwrap();
    let err = s3.delete_bucket().bucket("mpdel").send().await.unwrap_err();
    assert_eq!(code(&err.into_service_error()), "BucketNotEmpty");
    let listed = s3
        .list_multipart_uploads()
        .bucket("mpdel")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.uploads()[0].upload_id(), up.upload_id());
}

/// Item 6: a retried CompleteMultipartUpload (the first answer lost) of an upload that has just
/// completed answers 200 with the same ETag, location and checksum, also after a restart; a
/// different part list, another key, or a record older than 7 days answers NoSuchUpload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_multipart_upload_retry_answers_the_same() {
    use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
    let mut ts = TestServer::start_with_bucket("retry").await;
    let s3 = ts.sdk();
    let up = s3
        .create_multipart_upload()
        .bucket("retry")
        .key("obj")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_string();
    let mut parts = Vec::new();
    for (n, body) in [(1, vec![1u8; 5 << 20]), (2, vec![2u8; 1000])] {
        let p = s3
            .upload_part()
            .bucket("retry")
            .key("obj")
            .upload_id(&id)
            .part_number(n)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from(body))
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(p.e_tag().unwrap())
                .checksum_crc32(p.checksum_crc32().unwrap())
                .build(),
        );
    }
    let complete = |s3: aws_sdk_s3::Client, key: &'static str, parts: Vec<CompletedPart>| {
        let id = id.clone();
        async move {
            s3.complete_multipart_upload()
                .bucket("retry")
                .key(key)
                .upload_id(id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build(),
                )
                .send()
                .await
        }
    };
    let first = complete(s3.clone(), "obj", parts.clone()).await.unwrap();
    assert!(first.e_tag().unwrap().ends_with("-2\""));
    let again = complete(s3.clone(), "obj", parts.clone()).await.unwrap();
    assert_eq!(again.e_tag(), first.e_tag());
    assert_eq!(again.location(), first.location());
    assert_eq!(again.bucket(), Some("retry"));
    assert_eq!(again.key(), Some("obj"));
    assert_eq!(again.checksum_crc32(), first.checksum_crc32());
    assert!(first.checksum_crc32().is_some());

    // The record is in the metadata store: it survives a restart.
    ts.restart(|_| {}).await;
    let s3 = ts.sdk();
    let again = complete(s3.clone(), "obj", parts.clone()).await.unwrap();
    assert_eq!(again.e_tag(), first.e_tag());

    // A different part list, or another key, is not a retry.
    let err = complete(s3.clone(), "obj", parts[..1].to_vec())
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "NoSuchUpload");
    let mut swapped = parts.clone();
    swapped[1] = CompletedPart::builder()
        .part_number(2)
        .e_tag("\"00000000000000000000000000000000\"")
        .build();
    let err = complete(s3.clone(), "obj", swapped).await.unwrap_err();
    assert_eq!(code(&err.into_service_error()), "NoSuchUpload");
    let err = complete(s3.clone(), "other", parts.clone())
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "NoSuchUpload");

    // Kept 7 days (as long as a presigned URL lives), then housekeeping forgets it.
    let server = ts.server.as_ref().unwrap();
    ts.clock().advance_ms(6 * 24 * 3600 * 1000);
    server
        .run_housekeeping(std::time::SystemTime::now() - std::time::Duration::from_secs(3600))
        .await
        .unwrap();
    ts.clock().advance_ms(-6 * 24 * 3600 * 1000);
    complete(s3.clone(), "obj", parts.clone()).await.unwrap();
    ts.clock().advance_ms(7 * 24 * 3600 * 1000 + 60_000);
    server
        .run_housekeeping(std::time::SystemTime::now() - std::time::Duration::from_secs(3600))
        .await
        .unwrap();
    ts.clock().advance_ms(-(7 * 24 * 3600 * 1000 + 60_000));
    let err = complete(s3.clone(), "obj", parts.clone())
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "NoSuchUpload");
    let conn = rusqlite::Connection::open(ts.dir.path().join("meta.sqlite")).unwrap();
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM completed_uploads", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 0, "pruned from the store");
}

/// Signs a request with header auth; returns all headers to send (besides host).
fn signed_headers(
    ts: &TestServer,
    method: &str,
    path: &str,
    query: &str,
    extra: &[(String, String)],
    payload_hash: &str,
) -> Vec<(String, String)> {
    let host = ts.host();
    let mut headers = extra.to_vec();
    headers.extend(sluice_sigv4::sign_headers_v4(
        &common::creds(),
        &sluice_sigv4::SigningRequest {
            method,
            host: &host,
            raw_path: path,
            raw_query: query,
            headers: extra,
            payload_hash,
            region: common::REGION,
            service: "s3",
            datetime: time::OffsetDateTime::now_utc(),
        },
    ));
    headers
}

fn refs(h: &[(String, String)]) -> Vec<(&str, &str)> {
    h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// (algorithm name as AWS spells it, header, digest length).
const CHECKSUM_ALGORITHMS: [(&str, &str, usize); 5] = [
    ("CRC32", "x-amz-checksum-crc32", 4),
    ("CRC32C", "x-amz-checksum-crc32c", 4),
    ("CRC64NVME", "x-amz-checksum-crc64nvme", 8),
    ("SHA1", "x-amz-checksum-sha1", 20),
    ("SHA256", "x-amz-checksum-sha256", 32),
];

/// Item 8: a well-formed but wrong `x-amz-checksum-*` value (header or trailer, PutObject or
/// UploadPart, small or large body) answers 400 BadDigest with AWS's message naming the
/// algorithm, and nothing is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_checksum_value_is_bad_digest() {
    use base64::Engine;
    let ts = TestServer::start_with_bucket("sums").await;
    let s3 = ts.sdk();
    let up = s3
        .create_multipart_upload()
        .bucket("sums")
        .key("mp")
        .send()
        .await
        .unwrap();
    let upload_id = up.upload_id().unwrap().to_string();
    for (name, header, len) in CHECKSUM_ALGORITHMS {
        let wrong = base64::engine::general_purpose::STANDARD.encode(vec![0u8; len]);
        let want_message =
            format!("The {name} you specified did not match the calculated checksum.");
        for size in [11usize, 300 * 1024] {
            let payload = vec![b'p'; size];
            for part in [false, true] {
                let (path, query) = if part {
                    (
                        "/sums/mp".to_string(),
                        format!("partNumber=1&uploadId={upload_id}"),
                    )
                } else {
                    (format!("/sums/{name}-{size}"), String::new())
                };
                let target = if query.is_empty() {
                    path.clone()
                } else {
                    format!("{path}?{query}")
                };
                // The value in a header.
                let extra = vec![(header.to_string(), wrong.clone())];
                let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&payload));
                let h = signed_headers(&ts, "PUT", &path, &query, &extra, &hash);
                let r = common::raw_request(ts.addr, "PUT", &target, &refs(&h), &payload).await;
                let what = format!("{name} header, {size} bytes, part={part}");
                assert_eq!(r.status, 400, "{what}: {}", r.text());
                assert_eq!(
                    common::xml_field(&r.text(), "Code").as_deref(),
                    Some("BadDigest"),
                    "{what}"
                );
                assert_eq!(
                    common::xml_field(&r.text(), "Message"),
                    Some(want_message.clone()),
                    "{what}"
                );

                // The value in a trailer (unsigned aws-chunked, as current SDKs send).
                let extra = vec![
                    ("content-encoding".to_string(), "aws-chunked".to_string()),
                    ("x-amz-decoded-content-length".to_string(), size.to_string()),
                    ("x-amz-trailer".to_string(), header.to_string()),
                ];
                let h = signed_headers(
                    &ts,
                    "PUT",
                    &path,
                    &query,
                    &extra,
                    "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                );
                let mut body = Vec::new();
                for c in payload.chunks(64 * 1024) {
                    body.extend(sluice_sigv4::frame_unsigned_chunk(c));
                }
                body.extend(sluice_sigv4::frame_unsigned_final(&[(
                    header.to_string(),
                    wrong.clone(),
                )]));
                let r = common::raw_request(ts.addr, "PUT", &target, &refs(&h), &body).await;
                let what = format!("{name} trailer, {size} bytes, part={part}");
                assert_eq!(r.status, 400, "{what}: {}", r.text());
                assert_eq!(
                    common::xml_field(&r.text(), "Code").as_deref(),
                    Some("BadDigest"),
                    "{what}"
                );
                assert_eq!(
                    common::xml_field(&r.text(), "Message"),
                    Some(want_message.clone()),
                    "{what}"
                );
            }
        }
        // Through the SDK too: PutObject with the wrong value set.
        let put = s3
            .put_object()
            .bucket("sums")
            .key("sdk")
            .body(ByteStream::from_static(b"hello world"));
        let put = match name {
            "CRC32" => put.checksum_crc32(&wrong),
            "CRC32C" => put.checksum_crc32_c(&wrong),
            "CRC64NVME" => put.checksum_crc64_nvme(&wrong),
            "SHA1" => put.checksum_sha1(&wrong),
            _ => put.checksum_sha256(&wrong),
        };
        let err = put.send().await.unwrap_err().into_service_error();
        assert_eq!(code(&err), "BadDigest", "{name} via the SDK");
        assert_eq!(
            aws_sdk_s3::error::ProvideErrorMetadata::message(&err),
            Some(want_message.as_str())
        );
    }
    // A value header for another algorithm than x-amz-sdk-checksum-algorithm names: BadDigest,
    // as AWS documents, even when the value itself is right.
    {
        use base64::Engine;
        let payload = b"hello world";
        let sha = base64::engine::general_purpose::STANDARD
            .encode(<sha2::Sha256 as sha2::Digest>::digest(payload));
        let extra = vec![
            ("x-amz-checksum-sha256".to_string(), sha),
            (
                "x-amz-sdk-checksum-algorithm".to_string(),
                "CRC64NVME".to_string(),
            ),
        ];
        let h = signed_headers(&ts, "PUT", "/sums/mixed", "", &extra, "UNSIGNED-PAYLOAD");
        let r = common::raw_request(ts.addr, "PUT", "/sums/mixed", &refs(&h), payload).await;
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(
            common::xml_field(&r.text(), "Code").as_deref(),
            Some("BadDigest")
        );
        assert_eq!(
            common::xml_field(&r.text(), "Message").as_deref(),
            Some("The SHA256 you specified did not match the calculated checksum.")
        );
    }
    assert_eq!(all_keys(&s3, "sums").await, Vec::<String>::new());
    let parts = s3
        .list_parts()
        .bucket("sums")
        .key("mp")
        .upload_id(&upload_id)
        .send()
        .await
        .unwrap();
    assert!(parts.parts().is_empty());
}

/// A SigV4-signed POST form for `key` whose policy's `expiration` is the text given.
fn form_with_expiration(expiration: &str, key: &str) -> common::post_form::Form {
    use base64::Engine;
    let now = time::OffsetDateTime::now_utc();
    let amz_date = sluice_sigv4::format_amz_date(now);
    let date = sluice_sigv4::format_date_stamp(now);
    let credential = format!(
        "{}/{date}/{}/s3/aws4_request",
        common::ACCESS_KEY,
        common::REGION
    );
    let policy = serde_json::json!({"expiration": expiration, "conditions": [
        {"bucket": common::post_form::BUCKET},
        ["eq", "$key", key],
        {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
        {"x-amz-credential": credential},
        {"x-amz-date": amz_date},
    ]});
    let policy = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
    let signature =
        sluice_sigv4::sign_post_policy_v4(common::SECRET_KEY, &policy, &date, common::REGION);
    common::post_form::Form::default()
        .field("key", key)
        .field("x-amz-algorithm", "AWS4-HMAC-SHA256")
        .field("x-amz-credential", &credential)
        .field("x-amz-date", &amz_date)
        .field("policy", &policy)
        .field("x-amz-signature", &signature)
        .file("f.txt", b"form body")
}

/// Item 9: a POST policy whose `expiration` is not ISO 8601 answers 400 InvalidPolicyDocument
/// and stores nothing; the ISO 8601 forms AWS's clients write are accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_policy_expiration_must_be_iso8601() {
    use common::post_form::{error_of, object, post};
    let ts = common::post_form::start().await;
    let year = time::OffsetDateTime::now_utc().year() + 1;
    for bad in [
        format!("{year}-01-01 00:00:00Z"),
        format!("{year}-01-01x00:00:00Z"),
        format!("{year}-01-01T00:00:00z"),
        format!("{year}-01-01T00:00:00"),
        format!("{year}-01-01"),
        format!("Fri, 01 Jan {year} 00:00:00 GMT"),
        "4102444800".to_string(),
    ] {
        let form = form_with_expiration(&bad, "k");
        let (status, code, message) = error_of(post(&ts, &form).await).await;
        assert_eq!(
            (status, code.as_str(), message.as_str()),
            (
                400,
                "InvalidPolicyDocument",
                format!("Invalid Policy: Invalid 'expiration' value: '{bad}'").as_str()
            ),
            "{bad}"
        );
        assert!(object(&ts, "k").await.is_none());
    }
    for good in [
        format!("{year}-01-01T00:00:00Z"),
        format!("{year}-01-01T00:00:00.000Z"),
        format!("{year}-01-01T02:00:00+02:00"),
    ] {
        let form = form_with_expiration(&good, "k");
        let r = post(&ts, &form).await;
        assert_eq!(r.status(), 204, "{good}: {}", r.text().await.unwrap());
    }
}

/// Item 10: an anonymous POST form (no signature fields at all) is judged as an anonymous
/// PutObject: accepted when the bucket's ACL (public-read-write) or its policy lets anonymous
/// users write, refused otherwise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_post_form_follows_acl_and_policy() {
    use common::post_form::{error_of, object, post, Form, BUCKET};
    let ts = common::post_form::start().await;
    let form = |key: &str| Form::default().field("key", key).file("a.txt", b"anon");
    assert_eq!(
        error_of(post(&ts, &form("a")).await).await.1,
        "AccessDenied"
    );
    // Anonymous PutObject and the anonymous form agree under each bucket setting.
    let anon_put = |key: &'static str| {
        let url = format!("{}/{BUCKET}/{key}", ts.endpoint());
        async move {
            common::http()
                .put(url)
                .body("anon")
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(anon_put("a").await, 403);

    // Canned ACL public-read-write.
    ts.sdk()
        .put_bucket_acl()
        .bucket(BUCKET)
        .acl(aws_sdk_s3::types::BucketCannedAcl::PublicReadWrite)
        .send()
        .await
        .unwrap();
    assert_eq!(anon_put("by-put").await, 200);
    let r = post(&ts, &form("by-acl")).await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    assert_eq!(object(&ts, "by-acl").await.unwrap().0, b"anon");
    // A policy field without any signature field is still anonymous.
    let r = post(&ts, &form("with-policy").field("policy", "e30=")).await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());

    // Back to private: refused again.
    ts.sdk()
        .put_bucket_acl()
        .bucket(BUCKET)
        .acl(aws_sdk_s3::types::BucketCannedAcl::Private)
        .send()
        .await
        .unwrap();
    assert_eq!(anon_put("b").await, 403);
    assert_eq!(
        error_of(post(&ts, &form("b")).await).await.1,
        "AccessDenied"
    );

    // A bucket policy allowing anonymous s3:PutObject under a prefix.
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::{BUCKET}/drop/*"}}]}}"#
    );
    ts.sdk()
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(policy)
        .send()
        .await
        .unwrap();
    assert_eq!(anon_put("drop/put").await, 200);
    let r = post(&ts, &form("drop/form")).await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    assert_eq!(anon_put("elsewhere").await, 403);
    assert_eq!(
        error_of(post(&ts, &form("elsewhere")).await).await.1,
        "AccessDenied"
    );
}

/// GETs `bucket` with `query` (raw values, signed) and returns the XML answer.
async fn list_raw(ts: &TestServer, bucket: &str, query: &[(&str, &str)]) -> String {
    let query: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let url = ts.presign_full(
        "GET",
        bucket,
        "",
        300,
        &[],
        &query,
        time::OffsetDateTime::now_utc(),
    );
    let r = common::http().get(url).send().await.unwrap();
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

/// Item 11: with `encoding-type=url`, every key-like element of a listing is URL-encoded like
/// the keys (Prefix, Delimiter, Marker, NextMarker, StartAfter, KeyMarker, NextKeyMarker,
/// CommonPrefixes), in ListObjects v1 and v2, ListObjectVersions and ListMultipartUploads, so
/// a client that decodes them gets back what it sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_url_encode_prefix_delimiter_and_markers() {
    use common::xml_field;
    let ts = TestServer::start_with_bucket("enc").await;
    let s3 = ts.sdk();
    for k in ["\na", "\nb\nc", "\nz", "%x"] {
        s3.put_object()
            .bucket("enc")
            .key(k)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
        s3.create_multipart_upload()
            .bucket("enc")
            .key(k)
            .send()
            .await
            .unwrap();
    }
    let field = |body: &str, name: &str| {
        xml_field(body, name).unwrap_or_else(|| panic!("{name} in {body}"))
    };
    let common = |body: &str| -> Vec<String> {
        body.split("<CommonPrefixes><Prefix>")
            .skip(1)
            .filter_map(|s| s.split_once("</Prefix>").map(|(p, _)| p.to_string()))
            .collect()
    };

    // v1: Prefix, Delimiter, Marker, NextMarker, Key, CommonPrefixes.
    let body = list_raw(
        &ts,
        "enc",
        &[
            ("prefix", "\n"),
            ("delimiter", "\n"),
            ("marker", "\n"),
            ("max-keys", "2"),
            ("encoding-type", "url"),
        ],
    )
    .await;
    assert_eq!(field(&body, "Prefix"), "%0A");
    assert_eq!(field(&body, "Delimiter"), "%0A");
    assert_eq!(field(&body, "Marker"), "%0A");
    assert_eq!(field(&body, "Key"), "%0Aa");
    assert_eq!(common(&body), ["%0Ab%0A"]);
    assert_eq!(field(&body, "NextMarker"), "%0Ab%0A");
    assert_eq!(field(&body, "EncodingType"), "url");

    // v2: StartAfter too.
    let body = list_raw(
        &ts,
        "enc",
        &[
            ("list-type", "2"),
            ("prefix", "\n"),
            ("delimiter", "\n"),
            ("start-after", "\n"),
            ("encoding-type", "url"),
        ],
    )
    .await;
    assert_eq!(field(&body, "Prefix"), "%0A");
    assert_eq!(field(&body, "Delimiter"), "%0A");
    assert_eq!(field(&body, "StartAfter"), "%0A");
    assert_eq!(common(&body), ["%0Ab%0A"]);

    // Versions: KeyMarker, NextKeyMarker.
    let body = list_raw(
        &ts,
        "enc",
        &[
            ("versions", ""),
            ("prefix", "\n"),
            ("key-marker", "\n"),
            ("max-keys", "1"),
            ("encoding-type", "url"),
        ],
    )
    .await;
    assert_eq!(field(&body, "Prefix"), "%0A");
    assert_eq!(field(&body, "KeyMarker"), "%0A");
    assert_eq!(field(&body, "Key"), "%0Aa");
    assert_eq!(field(&body, "NextKeyMarker"), "%0Aa");

    // Multipart uploads: Prefix, Delimiter, KeyMarker, NextKeyMarker, Key, CommonPrefixes.
    let body = list_raw(
        &ts,
        "enc",
        &[
            ("uploads", ""),
            ("prefix", "\n"),
            ("delimiter", "\n"),
            ("key-marker", "\n"),
            ("max-uploads", "2"),
            ("encoding-type", "url"),
        ],
    )
    .await;
    assert_eq!(field(&body, "Prefix"), "%0A");
    assert_eq!(field(&body, "Delimiter"), "%0A");
    assert_eq!(field(&body, "KeyMarker"), "%0A");
    assert_eq!(field(&body, "Key"), "%0Aa");
    assert_eq!(common(&body), ["%0Ab%0A"]);
    assert_eq!(field(&body, "NextKeyMarker"), "%0Ab%0Ac");
    assert_eq!(field(&body, "EncodingType"), "url");
    let body = list_raw(
        &ts,
        "enc",
        &[("uploads", ""), ("prefix", "%"), ("encoding-type", "url")],
    )
    .await;
    assert_eq!(field(&body, "Prefix"), "%25");
    assert_eq!(field(&body, "Key"), "%25x");
    // Without encoding-type the values are written as they are (XML-escaped).
    let body = list_raw(&ts, "enc", &[("uploads", ""), ("prefix", "%")]).await;
    assert_eq!(field(&body, "Key"), "%x");
    assert!(!body.contains("EncodingType"));
    // An unknown encoding is refused, as for ListObjects.
    let url = ts.presign_full(
        "GET",
        "enc",
        "",
        300,
        &[],
        &[
            ("uploads".into(), String::new()),
            ("encoding-type".into(), "base64".into()),
        ],
        time::OffsetDateTime::now_utc(),
    );
    let r = common::http().get(url).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        xml_field(&r.text().await.unwrap(), "Code").as_deref(),
        Some("InvalidArgument")
    );
}

/// Sends `headers` (plus a second `x-amz-meta-twice: 2`) with header authentication.
async fn send_with_headers(
    ts: &TestServer,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> common::RawResponse {
    let signed: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| {
            let v = if *k == "x-amz-meta-twice" {
                format!("{v},2")
            } else {
                v.to_string()
            };
            (k.to_string(), v)
        })
        .collect();
    let mut all = signed_headers(ts, method, path, query, &signed, "UNSIGNED-PAYLOAD");
    for (k, v) in all.iter_mut() {
        if let Some((_, sent)) = headers.iter().find(|(n, _)| n == k) {
            *v = sent.to_string();
        }
    }
    all.push(("x-amz-meta-twice".into(), "2".into()));
    let target = if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    };
    common::raw_request(ts.addr, method, &target, &refs(&all), body).await
}

/// Item 13: stored headers keep the value as sent (`deflate, gzip` is not rewritten to
/// `deflate,gzip`), for every stored header and `x-amz-meta-*`; a header sent twice is
/// joined with `,` as S3 does. PutObject and CreateMultipartUpload alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_headers_keep_values_as_sent() {
    let ts = TestServer::start_with_bucket("hdr").await;
    let sent: [(&str, &str); 8] = [
        ("content-encoding", "deflate, gzip"),
        ("content-type", "text/plain;  charset=utf-8"),
        ("cache-control", "no-cache, max-age=0"),
        ("content-disposition", "attachment;  filename=\"a  b.txt\""),
        ("content-language", "en-US, de"),
        ("expires", "Thu, 01 Dec 2094 16:00:00 GMT"),
        ("x-amz-meta-spaced", "a  b ,c"),
        ("x-amz-meta-twice", "1"),
    ];
    let want: Vec<(&str, String)> = sent
        .iter()
        .map(|(k, v)| (*k, v.to_string()))
        .map(|(k, v)| {
            if k == "x-amz-meta-twice" {
                (k, "1,2".to_string())
            } else {
                (k, v)
            }
        })
        .collect();
    let check = |r: &reqwest::Response, what: &str| {
        for (k, v) in &want {
            assert_eq!(
                r.headers().get(*k).and_then(|h| h.to_str().ok()),
                Some(v.as_str()),
                "{what}: {k}"
            );
        }
        // Repeated on the request, joined once on the response.
        assert_eq!(r.headers().get_all("x-amz-meta-twice").iter().count(), 1);
    };

    // PutObject, header-signed; the repeated header is signed as its joined value.
    let r = send_with_headers(&ts, "PUT", "/hdr/put", "", &sent, b"data").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = common::http()
        .get(ts.presign("GET", "hdr", "put", 300))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    check(&r, "GET after PUT");
    let head = ts
        .sdk()
        .head_object()
        .bucket("hdr")
        .key("put")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_encoding(), Some("deflate, gzip"));
    assert_eq!(head.cache_control(), Some("no-cache, max-age=0"));

    // A header sent twice is joined with a comma.
    let r = common::http()
        .put(ts.presign("PUT", "hdr", "twice", 300))
        .header("cache-control", "no-cache")
        .header("cache-control", "max-age=0")
        .header("content-language", "en")
        .header("content-language", "de")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = common::http()
        .get(ts.presign("GET", "hdr", "twice", 300))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers().get("cache-control").unwrap(),
        "no-cache,max-age=0"
    );
    assert_eq!(r.headers().get("content-language").unwrap(), "en,de");

    // aws-chunked is framing: removed, the rest as sent.
    let head = ts
        .sdk()
        .put_object()
        .bucket("hdr")
        .key("chunked")
        .content_encoding("deflate, gzip")
        .checksum_algorithm(aws_sdk_s3::types::ChecksumAlgorithm::Crc32)
        .body(ByteStream::from_static(b"streamed with a trailer"))
        .send()
        .await;
    head.unwrap();
    let head = ts
        .sdk()
        .head_object()
        .bucket("hdr")
        .key("chunked")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_encoding(), Some("deflate, gzip"));

    // CreateMultipartUpload stores them the same way.
    let r = send_with_headers(&ts, "POST", "/hdr/mp", "uploads=", &sent, b"").await;
    let body = r.text();
    let upload_id = common::xml_field(&body, "UploadId").unwrap_or_else(|| panic!("{body}"));
    let s3 = ts.sdk();
    let part = s3
        .upload_part()
        .bucket("hdr")
        .key("mp")
        .upload_id(&upload_id)
        .part_number(1)
        .body(ByteStream::from_static(b"part"))
        .send()
        .await
        .unwrap();
    s3.complete_multipart_upload()
        .bucket("hdr")
        .key("mp")
        .upload_id(&upload_id)
        .multipart_upload(
            aws_sdk_s3::types::CompletedMultipartUpload::builder()
                .parts(
                    aws_sdk_s3::types::CompletedPart::builder()
                        .part_number(1)
                        .e_tag(part.e_tag().unwrap())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let r = common::http()
        .get(ts.presign("GET", "hdr", "mp", 300))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    check(&r, "GET after multipart");
}
