//! `sluice check`: offline verification of bytes against metadata, orphans and temp files.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use common::TestServer;
use std::process::Command;

fn check(dir: &std::path::Path, repair: bool) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.args(["check", "--data-dir", dir.to_str().unwrap()]);
    if repair {
        cmd.arg("--repair");
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn blob_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            blob_files(&e.path(), out);
        } else {
            out.push(e.path());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_finds_damage_orphans_and_temp_files() {
    let ts = TestServer::start().await;
    let s3 = ts.sdk();
    s3.create_bucket().bucket("chk").send().await.unwrap();
    s3.put_object()
        .bucket("chk")
        .key("single")
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .body(ByteStream::from(vec![7u8; 100_000]))
        .send()
        .await
        .unwrap();
    let up = s3
        .create_multipart_upload()
        .bucket("chk")
        .key("multi")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let mut parts = Vec::new();
    for (n, fill) in [(1, 1u8), (2, 2u8)] {
        let size = if n == 1 { 5 * 1024 * 1024 } else { 1000 };
        let p = s3
            .upload_part()
            .bucket("chk")
            .key("multi")
            .upload_id(id)
            .part_number(n)
            .body(ByteStream::from(vec![fill; size]))
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(p.e_tag().unwrap())
                .build(),
        );
    }
    s3.complete_multipart_upload()
        .bucket("chk")
        .key("multi")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut ts = ts;
    ts.server.take().unwrap().shutdown().await;
    let dir = ts.dir.path().to_path_buf();

    let (ok, out) = check(&dir, false);
    assert!(ok, "{out}");
    assert!(
        out.contains("checked 2 objects") && out.contains("0 damaged"),
        "{out}"
    );

    // A crash leftover: a temp file and an unreferenced blob.
    std::fs::write(dir.join("tmp").join("leftover"), b"partial").unwrap();
    let orphan_dir = dir.join("blobs").join("ab");
    std::fs::create_dir_all(&orphan_dir).unwrap();
    std::fs::write(
        orphan_dir.join("abcd0000000000000000000000000000"),
        b"orphan",
    )
    .unwrap();
    let (ok, out) = check(&dir, false);
    assert!(!ok, "{out}");
    assert!(
        out.contains("ORPHAN blob abcd0000000000000000000000000000")
            && out.contains("temp files left: 1"),
        "{out}"
    );
    let (ok, out) = check(&dir, true);
    assert!(ok, "repair fixes orphans and temp files: {out}");
    let (ok, _) = check(&dir, false);
    assert!(ok);

    // Flip one byte of one blob: the object it belongs to is reported damaged.
    let mut files = Vec::new();
    blob_files(&dir.join("blobs"), &mut files);
    let victim = files
        .iter()
        .find(|p| std::fs::metadata(p).unwrap().len() == 100_000)
        .unwrap()
        .clone();
    let mut bytes = std::fs::read(&victim).unwrap();
    bytes[500] ^= 0xFF;
    std::fs::write(&victim, bytes).unwrap();
    let (ok, out) = check(&dir, false);
    assert!(!ok);
    assert!(out.contains("DAMAGED chk/single"), "{out}");
    assert!(!out.contains("DAMAGED chk/multi"), "{out}");
    let (ok, out) = check(&dir.join("nothing-here"), false);
    assert!(!ok && out.contains("no Sluice metadata"), "{out}");
}
