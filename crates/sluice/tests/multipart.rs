//! Multipart uploads: through the AWS SDK and entirely through presigned URLs.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use common::{http, xml_field, TestServer};
use md5::{Digest, Md5};
use std::time::Duration;

const MIB: usize = 1024 * 1024;

fn body(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn md5_raw(b: &[u8]) -> Vec<u8> {
    Md5::digest(b).to_vec()
}

fn multipart_etag(parts: &[&[u8]]) -> String {
    let mut concat = Vec::new();
    for p in parts {
        concat.extend(md5_raw(p));
    }
    format!("\"{}-{}\"", hex::encode(Md5::digest(&concat)), parts.len())
}

fn code<E: aws_sdk_s3::error::ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_multipart_with_checksums_parts_and_listing() {
    let ts = TestServer::start().await;
    let s3 = ts.sdk();
    s3.create_bucket().bucket("mpu").send().await.unwrap();
    let parts = [body(5 * MIB, 1), body(5 * MIB, 2), body(MIB + 17, 3)];
    let created = s3
        .create_multipart_upload()
        .bucket("mpu")
        .key("big/object.bin")
        .content_type("application/x-big")
        .metadata("origin", "sdk")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .send()
        .await
        .unwrap();
    let upload_id = created.upload_id().unwrap().to_string();
    let listed = s3
        .list_multipart_uploads()
        .bucket("mpu")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.uploads().len(), 1);
    assert_eq!(listed.uploads()[0].upload_id(), Some(upload_id.as_str()));

    let mut completed = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let n = i as i32 + 1;
        let out = s3
            .upload_part()
            .bucket("mpu")
            .key("big/object.bin")
            .upload_id(&upload_id)
            .part_number(n)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from(p.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(
            out.e_tag().unwrap(),
            format!("\"{}\"", hex::encode(md5_raw(p)))
        );
        completed.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(out.e_tag().unwrap())
                .set_checksum_crc32(out.checksum_crc32().map(str::to_string))
                .build(),
        );
    }
    let lp = s3
        .list_parts()
        .bucket("mpu")
        .key("big/object.bin")
        .upload_id(&upload_id)
        .max_parts(2)
        .send()
        .await
        .unwrap();
    assert_eq!(lp.parts().len(), 2);
    assert_eq!(lp.is_truncated(), Some(true));
    let lp2 = s3
        .list_parts()
        .bucket("mpu")
        .key("big/object.bin")
        .upload_id(&upload_id)
        .part_number_marker(lp.next_part_number_marker().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(lp2.parts()[0].part_number(), Some(3));

    let done = s3
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big/object.bin")
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let refs: Vec<&[u8]> = parts.iter().map(|p| p.as_slice()).collect();
    assert_eq!(done.e_tag().unwrap(), multipart_etag(&refs));
    assert!(done.checksum_crc32().unwrap().ends_with("-3"));

    let got = s3
        .get_object()
        .bucket("mpu")
        .key("big/object.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("application/x-big"));
    assert_eq!(
        got.metadata().unwrap().get("origin").map(String::as_str),
        Some("sdk")
    );
    assert_eq!(got.content_length(), Some((11 * MIB + 17) as i64));
    let bytes = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(
        bytes,
        [parts[0].clone(), parts[1].clone(), parts[2].clone()].concat()
    );

    let p2 = s3
        .get_object()
        .bucket("mpu")
        .key("big/object.bin")
        .part_number(2)
        .send()
        .await
        .unwrap();
    assert_eq!(p2.parts_count(), Some(3));
    assert_eq!(p2.content_length(), Some(5 * MIB as i64));
    assert_eq!(p2.body.collect().await.unwrap().into_bytes(), parts[1]);
    // A range across the part boundary.
    let r = s3
        .get_object()
        .bucket("mpu")
        .key("big/object.bin")
        .range(format!("bytes={}-{}", 5 * MIB - 3, 5 * MIB + 2))
        .send()
        .await
        .unwrap();
    let got = r.body.collect().await.unwrap().into_bytes();
    assert_eq!(&got[..3], &parts[0][5 * MIB - 3..]);
    assert_eq!(&got[3..], &parts[1][..3]);
    assert!(s3
        .list_multipart_uploads()
        .bucket("mpu")
        .send()
        .await
        .unwrap()
        .uploads()
        .is_empty());

    // Copying a multipart object, and UploadPartCopy with a range.
    s3.copy_object()
        .bucket("mpu")
        .key("copy")
        .copy_source("mpu/big/object.bin")
        .send()
        .await
        .unwrap();
    let c = s3
        .get_object()
        .bucket("mpu")
        .key("copy")
        .send()
        .await
        .unwrap();
    assert_eq!(c.content_length(), Some((11 * MIB + 17) as i64));
    let up2 = s3
        .create_multipart_upload()
        .bucket("mpu")
        .key("ranged")
        .send()
        .await
        .unwrap();
    let id2 = up2.upload_id().unwrap();
    let pc = s3
        .upload_part_copy()
        .bucket("mpu")
        .key("ranged")
        .upload_id(id2)
        .part_number(1)
        .copy_source("mpu/big/object.bin")
        .copy_source_range(format!("bytes={}-{}", 5 * MIB, 5 * MIB + 99))
        .send()
        .await
        .unwrap();
    let etag = pc.copy_part_result().unwrap().e_tag().unwrap().to_string();
    s3.complete_multipart_upload()
        .bucket("mpu")
        .key("ranged")
        .upload_id(id2)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(CompletedPart::builder().part_number(1).e_tag(etag).build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let g = s3
        .get_object()
        .bucket("mpu")
        .key("ranged")
        .send()
        .await
        .unwrap();
    assert_eq!(
        g.body.collect().await.unwrap().into_bytes(),
        parts[1][..100]
    );
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_errors_and_part_replacement() {
    let ts = TestServer::start().await;
    let s3 = ts.sdk();
    s3.create_bucket().bucket("mperr").send().await.unwrap();
    let up = s3
        .create_multipart_upload()
        .bucket("mperr")
        .key("k")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_string();
    let put = |n: i32, data: Vec<u8>| {
        let s3 = s3.clone();
        let id = id.clone();
        async move {
            s3.upload_part()
                .bucket("mperr")
                .key("k")
                .upload_id(id)
                .part_number(n)
                .body(ByteStream::from(data))
                .send()
                .await
        }
    };
    let small = put(1, body(MIB, 1)).await.unwrap();
    let last = put(2, body(100, 2)).await.unwrap();
    let complete = |parts: Vec<(i32, String)>| {
        let s3 = s3.clone();
        let id = id.clone();
        async move {
            let parts = parts
                .into_iter()
                .map(|(n, e)| CompletedPart::builder().part_number(n).e_tag(e).build())
                .collect();
            s3.complete_multipart_upload()
                .bucket("mperr")
                .key("k")
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
    let e1 = small.e_tag().unwrap().to_string();
    let e2 = last.e_tag().unwrap().to_string();
    let err = complete(vec![(1, e1.clone()), (2, e2.clone())])
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&err), "EntityTooSmall");
    let err = complete(vec![(2, e2.clone()), (1, e1.clone())])
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&err), "InvalidPartOrder");
    let err = complete(vec![(1, "\"0123\"".into())])
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&err), "InvalidPart");
    let err = complete(vec![(3, e1.clone())])
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&err), "InvalidPart");
    for bad in [0, 10_001] {
        let err = put(bad, b"x".to_vec())
            .await
            .unwrap_err()
            .into_service_error();
        assert_eq!(code(&err), "InvalidArgument", "part {bad}");
    }
    // Re-uploading part 1 at full size replaces it; the old ETag no longer completes.
    let big = body(5 * MIB, 9);
    let replaced = put(1, big.clone()).await.unwrap();
    let err = complete(vec![(1, e1.clone()), (2, e2.clone())])
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&err), "InvalidPart");
    let done = complete(vec![
        (1, replaced.e_tag().unwrap().to_string()),
        (2, e2.clone()),
    ])
    .await
    .unwrap();
    assert_eq!(
        done.e_tag().unwrap(),
        multipart_etag(&[&big, &body(100, 2)])
    );
    // The upload is gone: NoSuchUpload for every step.
    let err = complete(vec![(1, e1.clone())])
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&err), "NoSuchUpload");
    let err = put(3, b"x".to_vec())
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&err), "NoSuchUpload");
    let err = s3
        .abort_multipart_upload()
        .bucket("mperr")
        .key("k")
        .upload_id(&id)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&err), "NoSuchUpload");
    let err = s3
        .list_parts()
        .bucket("mperr")
        .key("k")
        .upload_id("bogus")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&err), "NoSuchUpload");
    // An upload id used with another key is not found either.
    let up = s3
        .create_multipart_upload()
        .bucket("mperr")
        .key("a")
        .send()
        .await
        .unwrap();
    let err = s3
        .upload_part()
        .bucket("mperr")
        .key("b")
        .upload_id(up.upload_id().unwrap())
        .part_number(1)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&err), "NoSuchUpload");
    // Abort frees everything (a bucket with uploads in progress is deletable:
    // outside_clients.rs, delete_bucket_with_uploads_in_progress).
    s3.delete_object()
        .bucket("mperr")
        .key("k")
        .send()
        .await
        .unwrap();
    s3.abort_multipart_upload()
        .bucket("mperr")
        .key("a")
        .upload_id(up.upload_id().unwrap())
        .send()
        .await
        .unwrap();
    s3.delete_bucket().bucket("mperr").send().await.unwrap();
    ts.stop().await;
}

fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_presigned_multipart_upload() {
    let ts = TestServer::start().await;
    ts.sdk().create_bucket().bucket("pmu").send().await.unwrap();
    let now = time::OffsetDateTime::now_utc();
    let c = http();
    // Create through a presigned POST ?uploads.
    let create = ts.presign_full(
        "POST",
        "pmu",
        "movie.mp4",
        600,
        &[],
        &q(&[("uploads", "")]),
        now,
    );
    let r = c.post(&create).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let upload_id = xml_field(&r.text().await.unwrap(), "UploadId").unwrap();
    let parts = [body(5 * MIB, 4), body(5 * MIB, 5), body(3, 6)];
    let mut etags = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let n = (i + 1).to_string();
        let url = ts.presign_full(
            "PUT",
            "pmu",
            "movie.mp4",
            600,
            &[],
            &q(&[("partNumber", &n), ("uploadId", &upload_id)]),
            now,
        );
        let r = c.put(&url).body(p.clone()).send().await.unwrap();
        assert_eq!(r.status(), 200, "part {n}");
        etags.push(r.headers()["etag"].to_str().unwrap().to_string());
    }
    // ListParts through a presigned GET.
    let list = ts.presign_full(
        "GET",
        "pmu",
        "movie.mp4",
        600,
        &[],
        &q(&[("uploadId", &upload_id)]),
        now,
    );
    let listing = c.get(&list).send().await.unwrap().text().await.unwrap();
    assert_eq!(listing.matches("<Part>").count(), 3);
    // A part URL cannot be replayed for another part number or another upload.
    let url = ts.presign_full(
        "PUT",
        "pmu",
        "movie.mp4",
        600,
        &[],
        &q(&[("partNumber", "1"), ("uploadId", &upload_id)]),
        now,
    );
    let tampered = url.replace("partNumber=1", "partNumber=2");
    assert_eq!(
        c.put(&tampered).body("evil").send().await.unwrap().status(),
        403
    );
    // Complete through a presigned POST with the XML body.
    let mut xml = String::from("<CompleteMultipartUpload>");
    for (i, e) in etags.iter().enumerate() {
        xml.push_str(&format!(
            "<Part><PartNumber>{}</PartNumber><ETag>{e}</ETag></Part>",
            i + 1
        ));
    }
    xml.push_str("</CompleteMultipartUpload>");
    let complete = ts.presign_full(
        "POST",
        "pmu",
        "movie.mp4",
        600,
        &[],
        &q(&[("uploadId", &upload_id)]),
        now,
    );
    let r = c.post(&complete).body(xml).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let refs: Vec<&[u8]> = parts.iter().map(|p| p.as_slice()).collect();
    assert_eq!(
        xml_field(&text, "ETag").unwrap().replace("&quot;", "\""),
        multipart_etag(&refs)
    );
    let get = ts.presign("GET", "pmu", "movie.mp4", 600);
    let bytes = c.get(&get).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(
        bytes.to_vec(),
        [parts[0].clone(), parts[1].clone(), parts[2].clone()].concat()
    );

    // Abort through a presigned DELETE.
    let r = c
        .post(ts.presign_full(
            "POST",
            "pmu",
            "other",
            600,
            &[],
            &q(&[("uploads", "")]),
            now,
        ))
        .send()
        .await
        .unwrap();
    let id2 = xml_field(&r.text().await.unwrap(), "UploadId").unwrap();
    let abort = ts.presign_full(
        "DELETE",
        "pmu",
        "other",
        600,
        &[],
        &q(&[("uploadId", &id2)]),
        now,
    );
    assert_eq!(c.delete(&abort).send().await.unwrap().status(), 204);
    assert_eq!(c.delete(&abort).send().await.unwrap().status(), 404);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn part_started_before_expiry_finishes_and_later_part_is_refused() {
    let ts = TestServer::start().await;
    let s3 = ts.sdk();
    s3.create_bucket().bucket("slowmp").send().await.unwrap();
    let up = s3
        .create_multipart_upload()
        .bucket("slowmp")
        .key("k")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_string();
    let now = time::OffsetDateTime::now_utc();
    let part1 = ts.presign_full(
        "PUT",
        "slowmp",
        "k",
        60,
        &[],
        &q(&[("partNumber", "1"), ("uploadId", &id)]),
        now,
    );
    let part2 = ts.presign_full(
        "PUT",
        "slowmp",
        "k",
        60,
        &[],
        &q(&[("partNumber", "2"), ("uploadId", &id)]),
        now,
    );
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let slow = tokio::spawn({
        let part1 = part1.clone();
        async move {
            http()
                .put(&part1)
                .header("content-length", (5 * MIB).to_string())
                .body(reqwest::Body::wrap_stream(stream))
                .send()
                .await
        }
    });
    tx.send(Ok(vec![7u8; MIB])).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    ts.clock().advance_ms(120_000);
    for _ in 0..4 {
        tx.send(Ok(vec![7u8; MIB])).await.unwrap();
    }
    drop(tx);
    let r = slow.await.unwrap().unwrap();
    assert_eq!(r.status(), 200, "part that started in time completes");
    let r = http().put(&part2).body(vec![8u8; 10]).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let text = r.text().await.unwrap();
    assert_eq!(
        xml_field(&text, "Message").as_deref(),
        Some("Request has expired")
    );
    let parts = s3
        .list_parts()
        .bucket("slowmp")
        .key("k")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(parts.parts().len(), 1);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_uploads_are_swept_and_their_bytes_freed() {
    let ts = TestServer::start().await;
    let s3 = ts.sdk();
    s3.create_bucket().bucket("stale").send().await.unwrap();
    let up = s3
        .create_multipart_upload()
        .bucket("stale")
        .key("k")
        .send()
        .await
        .unwrap();
    s3.upload_part()
        .bucket("stale")
        .key("k")
        .upload_id(up.upload_id().unwrap())
        .part_number(1)
        .body(ByteStream::from(body(1000, 1)))
        .send()
        .await
        .unwrap();
    let blob_files = || common::stored_blobs(ts.dir.path());
    assert_eq!(blob_files(), 1);
    let server = ts.server.as_ref().unwrap();
    assert_eq!(
        server
            .run_housekeeping(std::time::SystemTime::now() - Duration::from_secs(3600))
            .await
            .unwrap(),
        (0, 0)
    );
    ts.clock().advance_ms(8 * 24 * 3600 * 1000);
    let (aborted, _) = server
        .run_housekeeping(std::time::SystemTime::now() - Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(aborted, 1);
    assert_eq!(blob_files(), 0);
    ts.clock().advance_ms(-8 * 24 * 3600 * 1000);
    assert!(s3
        .list_multipart_uploads()
        .bucket("stale")
        .send()
        .await
        .unwrap()
        .uploads()
        .is_empty());
    ts.stop().await;
}
