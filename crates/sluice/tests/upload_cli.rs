//! `sluice upload` and `sluice presign --multipart` against a real server.

mod common;

use common::TestServer;
use std::process::Command;

const MIB: usize = 1024 * 1024;

fn sluice(args: &[&str], ts: &TestServer) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.args(args)
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY)
        .env("AWS_ENDPOINT_URL", ts.endpoint())
        .env("AWS_REGION", common::REGION)
        .env_remove("AWS_PROFILE")
        .env("HOME", "/nonexistent-home");
    cmd.output().expect("run sluice")
}

/// `sluice upload FILE TARGET --part-size 5MiB --resume ID`.
fn resume(ts: &TestServer, file: &std::path::Path, target: &str, id: &str) -> std::process::Output {
    let file = file.to_str().unwrap();
    sluice(
        &[
            "upload",
            file,
            target,
            "--part-size",
            "5MiB",
            "--resume",
            id,
        ],
        ts,
    )
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .trim()
        .to_string()
}

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| ((i * 7) as u8) ^ seed).collect()
}

async fn read(ts: &TestServer, bucket: &str, key: &str) -> Vec<u8> {
    let got = ts
        .sdk()
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    got.body.collect().await.unwrap().into_bytes().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_single_and_multipart() {
    let ts = TestServer::start().await;
    ts.sdk().create_bucket().bucket("upl").send().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.txt");
    std::fs::write(&small, b"small file").unwrap();
    let etag = ok(&sluice(
        &[
            "upload",
            small.to_str().unwrap(),
            "s3://upl/small.txt",
            "--content-type",
            "text/plain",
        ],
        &ts,
    ));
    use md5::Digest;
    assert_eq!(
        etag,
        format!("\"{}\"", hex::encode(md5::Md5::digest(b"small file")))
    );
    let head = ts
        .sdk()
        .head_object()
        .bucket("upl")
        .key("small.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("text/plain"));
    assert_eq!(head.e_tag(), Some(etag.as_str()));

    let big = dir.path().join("big.bin");
    let bytes = data(12 * MIB + 3, 9);
    std::fs::write(&big, &bytes).unwrap();
    let etag = ok(&sluice(
        &[
            "upload",
            big.to_str().unwrap(),
            "s3://upl/dir/big.bin",
            "--threshold",
            "1MiB",
            "--part-size",
            "5MiB",
            "--concurrency",
            "3",
        ],
        &ts,
    ));
    assert!(etag.ends_with("-3\""), "{etag}");
    assert_eq!(read(&ts, "upl", "dir/big.bin").await, bytes);
    // The parts went up with CRC32C checksums: the object has the composite one.
    let head = ts
        .sdk()
        .head_object()
        .bucket("upl")
        .key("dir/big.bin")
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    let crc = head.checksum_crc32_c().expect("composite CRC32C");
    assert!(crc.ends_with("-3"), "{crc}");
    ts.stop().await;
}

/// A part whose write fails on the server (500) is sent again, body and checksum (trailer or
/// header) rebuilt, and the object ends up whole with the composite checksum of the right parts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_part_is_sent_again_with_its_checksum() {
    use sluice_store::fault::{FaultKind, FaultOp};
    let (ts, plan) = TestServer::start_faulty().await;
    ts.sdk()
        .create_bucket()
        .bucket("retry")
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f.bin");
    let bytes = data(12 * MIB + 5, 3);
    std::fs::write(&file, &bytes).unwrap();
    // Composite: the CRC32C of the parts' CRC32Cs, then the part count.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let raw: Vec<u8> = bytes
        .chunks(5 * MIB)
        .flat_map(|part| b64.decode(crc32c_b64(part)).unwrap())
        .collect();
    let composite = format!("{}-3", crc32c_b64(&raw));
    // Checksums in trailers (the default), then in headers (`--checksum-header`); each time
    // the first blob write fails, so one of the parts gets a 500 mid-body.
    for (round, extra) in [None, Some("--checksum-header")].into_iter().enumerate() {
        plan.fail_next(FaultOp::BlobWrite, 1, FaultKind::Io);
        let key = format!("f{round}.bin");
        let target = format!("s3://retry/{key}");
        let mut args = vec![
            "upload",
            file.to_str().unwrap(),
            &target,
            "--threshold",
            "1MiB",
            "--part-size",
            "5MiB",
        ];
        args.extend(extra);
        let etag = ok(&sluice(&args, &ts));
        assert_eq!(plan.injected(), round as u64 + 1);
        assert!(etag.ends_with("-3\""), "{etag}");
        assert!(read(&ts, "retry", &key).await == bytes);
        let head = ts
            .sdk()
            .head_object()
            .bucket("retry")
            .key(&key)
            .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        assert_eq!(
            head.checksum_crc32_c(),
            Some(composite.as_str()),
            "{extra:?}"
        );
    }
    ts.stop().await;
}

/// Base64 CRC32C, as `x-amz-checksum-crc32c` carries it (computed here independently of the CLI).
fn crc32c_b64(bytes: &[u8]) -> String {
    use base64::Engine;
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    base64::engine::general_purpose::STANDARD.encode((!crc).to_be_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_of_a_crc32c_upload_keeps_parts_by_checksum() {
    use aws_sdk_s3::primitives::ByteStream;
    use aws_sdk_s3::types::ChecksumAlgorithm;
    let ts = TestServer::start().await;
    let s3 = ts.sdk();
    s3.create_bucket().bucket("crc").send().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.bin");
    let bytes = data(11 * MIB, 7);
    std::fs::write(&file, &bytes).unwrap();
    // An earlier run (declaring CRC32C, as `sluice upload` does) got parts 1 and 3 up; part 3
    // holds other bytes of the same size.
    let up = s3
        .create_multipart_upload()
        .bucket("crc")
        .key("c.bin")
        .checksum_algorithm(ChecksumAlgorithm::Crc32C)
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_string();
    for (n, body) in [(1, bytes[..5 * MIB].to_vec()), (3, vec![1u8; MIB])] {
        s3.upload_part()
            .bucket("crc")
            .key("c.bin")
            .upload_id(&id)
            .part_number(n)
            .checksum_crc32_c(crc32c_b64(&body))
            .body(ByteStream::from(body))
            .send()
            .await
            .unwrap();
    }
    let out = resume(&ts, &file, "s3://crc/c.bin", &id);
    let etag = ok(&out);
    assert!(etag.ends_with("-3\""), "{etag}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 of 3 parts already uploaded"), "{err}");
    assert_eq!(read(&ts, "crc", "c.bin").await, bytes);
    let head = s3
        .head_object()
        .bucket("crc")
        .key("c.bin")
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert!(head.checksum_crc32_c().is_some_and(|c| c.ends_with("-3")));
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_to_presigned_url_and_with_a_bundle() {
    let ts = TestServer::start().await;
    ts.sdk()
        .create_bucket()
        .bucket("urls")
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f.bin");
    let bytes = data(11 * MIB + 1, 3);
    std::fs::write(&file, &bytes).unwrap();

    let url = ok(&sluice(
        &[
            "presign",
            "--method",
            "PUT",
            "--content-type",
            "video/mp4",
            "s3://urls/one.bin",
        ],
        &ts,
    ));
    // Without --content-type, the type the URL pins (x-sluice-content-type) is sent.
    let etag = ok(&sluice(
        &["upload", file.to_str().unwrap(), "--url", &url],
        &ts,
    ));
    assert!(etag.starts_with('"'));
    assert_eq!(read(&ts, "urls", "one.bin").await, bytes);
    let head = ts
        .sdk()
        .head_object()
        .bucket("urls")
        .key("one.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("video/mp4"));
    // Another type than the signed one: the URL refuses the upload and the CLI says why.
    let out = sluice(
        &[
            "upload",
            file.to_str().unwrap(),
            "--url",
            &url,
            "--content-type",
            "video/webm",
        ],
        &ts,
    );
    assert!(!out.status.success());
    // The URL's x-sluice-content-type is checked before its signature (issue 27).
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("This presigned URL requires Content-Type: video/mp4"),
        "{err}"
    );

    for (name, extra) in [
        ("sized", vec!["--size", "11534337", "--part-size", "5MiB"]),
        ("counted", vec!["--parts", "2"]),
    ] {
        let mut args = vec![
            "presign",
            "--multipart",
            "--expires-in",
            "10m",
            "--output",
            "json",
        ];
        args.extend(extra);
        let target = format!("s3://urls/{name}.bin");
        args.push(&target);
        let bundle = ok(&sluice(&args, &ts));
        let v: serde_json::Value = serde_json::from_str(&bundle).unwrap();
        assert!(v["upload_id"].is_string(), "{bundle}");
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(&path, &bundle).unwrap();
        let etag = ok(&sluice(
            &[
                "upload",
                file.to_str().unwrap(),
                "--bundle",
                path.to_str().unwrap(),
            ],
            &ts,
        ));
        let n = v["parts"].as_array().unwrap().len();
        assert!(etag.ends_with(&format!("-{n}\"")), "{etag}");
        assert_eq!(read(&ts, "urls", &format!("{name}.bin")).await, bytes);
    }
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_for_another_size_is_refused_and_its_upload_aborted() {
    let ts = TestServer::start().await;
    ts.create_bucket("sized").await;
    let dir = tempfile::tempdir().unwrap();
    let bundle = ok(&sluice(
        &[
            "presign",
            "--multipart",
            "--size",
            "11534337",
            "--part-size",
            "5MiB",
            "--output",
            "json",
            "s3://sized/b.bin",
        ],
        &ts,
    ));
    let path = dir.path().join("bundle.json");
    std::fs::write(&path, &bundle).unwrap();
    let open = |ts: &TestServer| {
        let s3 = ts.sdk();
        async move {
            let list = s3
                .list_multipart_uploads()
                .bucket("sized")
                .send()
                .await
                .unwrap();
            list.uploads().len()
        }
    };
    assert_eq!(open(&ts).await, 1, "the mint API created the upload");
    let file = dir.path().join("short.bin");
    std::fs::write(&file, data(11 * MIB, 1)).unwrap();
    let out = sluice(
        &[
            "upload",
            file.to_str().unwrap(),
            "--bundle",
            path.to_str().unwrap(),
        ],
        &ts,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    println!("{err}");
    assert!(!out.status.success());
    assert!(
        err.contains(&format!(
            "the bundle was minted for 11534337 bytes but the file has {}",
            11 * MIB
        )) && err.contains("the upload was aborted"),
        "{err}"
    );
    assert_eq!(open(&ts).await, 0, "the upload it cannot finish is aborted");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_uploads_only_missing_or_damaged_parts() {
    use aws_sdk_s3::primitives::ByteStream;
    let ts = TestServer::start().await;
    let s3 = ts.sdk();
    s3.create_bucket().bucket("res").send().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.bin");
    let bytes = data(12 * MIB, 5);
    std::fs::write(&file, &bytes).unwrap();
    // An earlier run got part 1 up intact and part 2 damaged, then failed.
    let up = s3
        .create_multipart_upload()
        .bucket("res")
        .key("r.bin")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_string();
    s3.upload_part()
        .bucket("res")
        .key("r.bin")
        .upload_id(&id)
        .part_number(1)
        .body(ByteStream::from(bytes[..5 * MIB].to_vec()))
        .send()
        .await
        .unwrap();
    s3.upload_part()
        .bucket("res")
        .key("r.bin")
        .upload_id(&id)
        .part_number(2)
        .body(ByteStream::from(vec![0u8; 5 * MIB]))
        .send()
        .await
        .unwrap();
    let out = resume(&ts, &file, "s3://res/r.bin", &id);
    let etag = ok(&out);
    assert!(etag.ends_with("-3\""), "{etag}");
    assert_eq!(read(&ts, "res", "r.bin").await, bytes);
    // Part 1 was kept; the damaged part 2 and the missing part 3 were sent.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 of 3 parts already uploaded"), "{err}");

    let out = sluice(
        &[
            "upload",
            file.to_str().unwrap(),
            "s3://res/x.bin",
            "--resume",
            // Ids may start with `-` (other servers' ids): taken as the value, not an option.
            "-bogus-upload",
        ],
        &ts,
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("NoSuchUpload"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = sluice(&["upload", "/nonexistent/file", "s3://res/x"], &ts);
    assert!(!out.status.success());
    ts.stop().await;
}
