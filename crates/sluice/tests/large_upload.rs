//! A 1 GiB presigned upload streamed through the real binary: memory stays flat.

mod common;

use common::process::ServerProcess;
use md5::{Digest, Md5};
use std::time::Instant;

const GIB: u64 = 1024 * 1024 * 1024;
const CHUNK: usize = 1024 * 1024;

/// Chunk `i` of the test body: a fixed pseudo-random block stamped with its index, so a
/// misplaced or repeated chunk changes the MD5.
fn pattern_chunk(base: &bytes::Bytes, i: u64) -> bytes::Bytes {
    let mut v = bytes::BytesMut::from(&base[..]);
    v[..8].copy_from_slice(&i.to_be_bytes());
    v.freeze()
}

fn base_block() -> bytes::Bytes {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut v = Vec::with_capacity(CHUNK);
    while v.len() < CHUNK {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    bytes::Bytes::from(v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_gib_presigned_put_and_get_with_flat_memory() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap().to_string();
    let server = ServerProcess::start(
        &["--data-dir", &data_dir, "--listen", "127.0.0.1:0"],
        &[
            ("SLUICE_ROOT_ACCESS_KEY", common::ACCESS_KEY),
            ("SLUICE_ROOT_SECRET_KEY", common::SECRET_KEY),
            ("RUST_LOG", "warn"),
        ],
    );
    let ts_endpoint = format!("http://{}", server.addr);
    let idle_rss = server.rss_kib();

    // Bucket via the SDK, upload via a presigned URL and plain HTTP.
    let sdk = {
        use aws_sdk_s3::config::{BehaviorVersion, Region};
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(common::REGION))
            .endpoint_url(&ts_endpoint)
            .force_path_style(true)
            .credentials_provider(aws_credential_types::Credentials::new(
                common::ACCESS_KEY,
                common::SECRET_KEY,
                None,
                None,
                "t",
            ))
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    };
    sdk.create_bucket().bucket("big").send().await.unwrap();
    let url = {
        let path = sluice_sigv4::encode_object_path("big", "one-gib.bin");
        let host = server.addr.to_string();
        let q = sluice_sigv4::presign_v4(
            &common::creds(),
            &sluice_sigv4::PresignRequest {
                method: "PUT",
                host: &host,
                raw_path: &path,
                query: &[],
                headers: &[],
                region: common::REGION,
                service: "s3",
                datetime: time::OffsetDateTime::now_utc(),
                expires_in: 3600,
            },
        );
        format!("http://{host}{path}?{q}")
    };
    let chunks = GIB / CHUNK as u64;
    let base = base_block();
    let mut expected = Md5::new();
    for i in 0..chunks {
        expected.update(pattern_chunk(&base, i));
    }
    let stream = futures_util::stream::iter(
        (0..chunks).map(move |i| Ok::<_, std::io::Error>(pattern_chunk(&base, i))),
    );
    let expected = hex::encode(expected.finalize());
    let started = Instant::now();
    let resp = reqwest::Client::new()
        .put(&url)
        .header("content-length", GIB.to_string())
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    let put_secs = started.elapsed().as_secs_f64();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    assert_eq!(
        resp.headers()["etag"].to_str().unwrap(),
        format!("\"{expected}\"")
    );
    let after_put_peak = server.peak_rss_kib();

    let started = Instant::now();
    let mut got = sdk
        .get_object()
        .bucket("big")
        .key("one-gib.bin")
        .send()
        .await
        .unwrap();
    let mut md5 = Md5::new();
    let mut total = 0u64;
    while let Some(bytes) = got.body.try_next().await.unwrap() {
        total += bytes.len() as u64;
        md5.update(&bytes);
    }
    let get_secs = started.elapsed().as_secs_f64();
    assert_eq!(total, GIB);
    assert_eq!(hex::encode(md5.finalize()), expected);
    let peak = server.peak_rss_kib();
    println!(
        "1 GiB presigned PUT: {:.1} s ({:.0} MB/s); GET: {:.1} s ({:.0} MB/s); server RSS idle {} KiB, peak after PUT {} KiB, peak after GET {} KiB",
        put_secs,
        GIB as f64 / put_secs / 1e6,
        get_secs,
        GIB as f64 / get_secs / 1e6,
        idle_rss,
        after_put_peak,
        peak
    );
    // Flat memory: the server never holds more than a few buffers of the body.
    assert!(
        peak < 128 * 1024,
        "server peak RSS {peak} KiB is not flat for a 1 GiB object"
    );
    assert_eq!(server.terminate(), Some(0));
}
