//! tus 1.0.0 resumable uploads (`/_sluice/tus/`) over raw HTTP: discovery, creation through a
//! minted `"method": "TUS"` URL, PATCH offsets and content types, checksums, every URL
//! constraint, the capability Location, resume after a restart and after a cut connection,
//! termination and the expiry sweep.

mod common;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use common::service_api::mint;
use common::{http, TestServer};
use md5::{Digest as _, Md5};
use serde_json::{json, Value};

const TUS: (&str, &str) = ("tus-resumable", "1.0.0");
const STREAM: (&str, &str) = ("content-type", "application/offset+octet-stream");

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

fn meta(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k} {}", B64.encode(v)))
        .collect::<Vec<_>>()
        .join(",")
}

/// Mints a TUS creation URL; panics unless 200.
async fn mint_tus(ts: &TestServer, mut body: Value) -> String {
    body["method"] = json!("TUS");
    let (status, out) = mint(ts, body).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["method"], "TUS");
    out["url"].as_str().unwrap().to_string()
}

struct Resp {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Resp {
    fn h(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn send(method: &str, url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Resp {
    let mut req = http().request(method.parse().unwrap(), url).body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().await.unwrap_or_default();
    Resp {
        status,
        headers,
        body,
    }
}

/// POST creation with `Upload-Length` and metadata; returns the Location.
async fn create(url: &str, length: u64, metadata: &str) -> String {
    let len = length.to_string();
    let r = send(
        "POST",
        url,
        &[TUS, ("upload-length", &len), ("upload-metadata", metadata)],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.h("upload-expires").is_some());
    r.h("location").unwrap().to_string()
}

async fn patch(location: &str, offset: u64, bytes: &[u8], extra: &[(&str, &str)]) -> Resp {
    let off = offset.to_string();
    let mut headers = vec![TUS, STREAM, ("upload-offset", off.as_str())];
    headers.extend_from_slice(extra);
    send("PATCH", location, &headers, bytes.to_vec()).await
}

async fn head(location: &str) -> Resp {
    send("HEAD", location, &[TUS], Vec::new()).await
}

async fn get_object(ts: &TestServer, bucket: &str, key: &str) -> (Vec<u8>, String, String) {
    let out = ts
        .sdk()
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {key}: {e:?}"));
    let etag = out.e_tag().unwrap().to_string();
    let ct = out.content_type().unwrap_or_default().to_string();
    let body = out.body.collect().await.unwrap().into_bytes().to_vec();
    (body, etag, ct)
}

fn md5_etag(bytes: &[u8]) -> String {
    format!("\"{}\"", hex::encode(Md5::digest(bytes)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_discovers_the_protocol_and_answers_preflights() {
    let ts = TestServer::start().await;
    let r = send(
        "OPTIONS",
        &format!("{}/_sluice/tus/", ts.endpoint()),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.h("tus-version"), Some("1.0.0"));
    assert_eq!(r.h("tus-resumable"), Some("1.0.0"));
    let ext = r.h("tus-extension").unwrap();
    for e in [
        "creation",
        "creation-with-upload",
        "creation-defer-length",
        "termination",
        "expiration",
        "checksum",
    ] {
        assert!(ext.split(',').any(|x| x == e), "{ext}");
    }
    assert_eq!(r.h("tus-max-size"), Some("5497558138880"));
    assert_eq!(r.h("tus-checksum-algorithm"), Some("sha1,md5,crc32"));
    // A browser's preflight of a PATCH with tus headers.
    let r = send(
        "OPTIONS",
        &format!("{}/_sluice/tus/u/abc", ts.endpoint()),
        &[
            ("origin", "https://app.example"),
            ("access-control-request-method", "PATCH"),
            (
                "access-control-request-headers",
                "tus-resumable,upload-offset,content-type",
            ),
        ],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.h("access-control-allow-origin"), Some("*"));
    assert!(r
        .h("access-control-allow-methods")
        .unwrap()
        .contains("PATCH"));
    assert!(r
        .h("access-control-allow-headers")
        .unwrap()
        .contains("upload-offset"));
    assert!(r
        .h("access-control-expose-headers")
        .unwrap()
        .contains("Upload-Offset"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_through_a_minted_url_lands_as_a_put_would() {
    let ts = TestServer::start_with_bucket("tus").await;
    let url = mint_tus(
        &ts,
        json!({"bucket":"tus","key":"in/a.bin","expires_in":600}),
    )
    .await;
    assert!(url.contains("/_sluice/tus/tus/in/a.bin?"), "{url}");
    let body = data(3 * 1024 * 1024 + 17);
    let md = meta(&[
        ("filename", "a.bin"),
        ("filetype", "application/x-thing"),
        ("owner", "ann"),
    ]);
    // No other credentials: the creation URL alone.
    let cors = send(
        "POST",
        &url,
        &[
            TUS,
            ("upload-length", "1"),
            ("origin", "https://app.example"),
        ],
        Vec::new(),
    )
    .await;
    assert_eq!(cors.status, 201, "{}", cors.body);
    assert!(cors
        .h("access-control-expose-headers")
        .unwrap()
        .contains("Location"));
    let loc = create(&url, body.len() as u64, &md).await;
    assert!(loc.contains("/_sluice/tus/u/"), "{loc}");

    let r = head(&loc).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.h("upload-offset"), Some("0"));
    assert_eq!(r.h("upload-length"), Some(body.len().to_string().as_str()));
    assert_eq!(r.h("cache-control"), Some("no-store"));
    assert_eq!(r.h("upload-metadata"), Some(md.as_str()));

    let first = 1024 * 1024;
    let r = patch(&loc, 0, &body[..first], &[]).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(r.h("upload-offset"), Some(first.to_string().as_str()));
    // A wrong offset: 409, nothing appended.
    let r = patch(&loc, 5, &body[5..10], &[]).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("<Code>OffsetMismatch</Code>"), "{}", r.body);
    // A wrong content type: 415.
    let off = first.to_string();
    let r = send(
        "PATCH",
        &loc,
        &[
            TUS,
            ("content-type", "application/octet-stream"),
            ("upload-offset", &off),
        ],
        body[first..].to_vec(),
    )
    .await;
    assert_eq!(r.status, 415);
    // Without Tus-Resumable: 412, with the version supported.
    let r = send(
        "PATCH",
        &loc,
        &[STREAM, ("upload-offset", &off)],
        body[first..].to_vec(),
    )
    .await;
    assert_eq!(r.status, 412);
    assert_eq!(r.h("tus-version"), Some("1.0.0"));
    let r = send("HEAD", &loc, &[("tus-resumable", "0.2.2")], Vec::new()).await;
    assert_eq!(r.status, 412);
    assert_eq!(head(&loc).await.h("upload-offset"), Some(off.as_str()));

    let r = patch(&loc, first as u64, &body[first..], &[]).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(r.h("upload-offset"), Some(body.len().to_string().as_str()));
    assert_eq!(r.h("etag"), Some(md5_etag(&body).as_str()));

    let (got, etag, ct) = get_object(&ts, "tus", "in/a.bin").await;
    assert!(got == body, "bytes differ");
    assert_eq!(etag, md5_etag(&body));
    assert_eq!(ct, "application/x-thing");
    let h = ts
        .sdk()
        .head_object()
        .bucket("tus")
        .key("in/a.bin")
        .send()
        .await
        .unwrap();
    let m = h.metadata().unwrap();
    assert_eq!(m.get("filename").map(String::as_str), Some("a.bin"));
    assert_eq!(m.get("owner").map(String::as_str), Some("ann"));
    // The finished upload is gone; its URL answers 404.
    assert_eq!(head(&loc).await.status, 404);
    // No multipart upload is left behind.
    let uploads = ts
        .sdk()
        .list_multipart_uploads()
        .bucket("tus")
        .send()
        .await
        .unwrap();
    assert_eq!(
        uploads.uploads().len(),
        1,
        "the 1-byte upload is still open"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creation_with_upload_defer_length_and_filename_key() {
    let ts = TestServer::start_with_bucket("tus").await;
    let url = mint_tus(&ts, json!({"bucket":"tus","key":"drop/${filename}"})).await;
    let body = data(300_000);
    let md = meta(&[("filename", "report.pdf"), ("filetype", "application/pdf")]);
    // creation-with-upload: the whole body in the POST.
    let len = body.len().to_string();
    let r = send(
        "POST",
        &url,
        &[
            TUS,
            STREAM,
            ("upload-length", &len),
            ("upload-metadata", &md),
        ],
        body.clone(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.h("upload-offset"), Some(len.as_str()));
    let (got, etag, ct) = get_object(&ts, "tus", "drop/report.pdf").await;
    assert!(got == body);
    assert_eq!(etag, md5_etag(&body));
    assert_eq!(ct, "application/pdf");

    // creation-defer-length: the length comes with a later PATCH.
    let md = meta(&[("filename", "later.bin")]);
    let r = send(
        "POST",
        &url,
        &[TUS, ("upload-defer-length", "1"), ("upload-metadata", &md)],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let loc = r.h("location").unwrap().to_string();
    let r = head(&loc).await;
    assert_eq!(r.h("upload-defer-length"), Some("1"));
    assert_eq!(patch(&loc, 0, &body[..1000], &[]).await.status, 204);
    let r = patch(&loc, 1000, &body[1000..], &[("upload-length", &len)]).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let (got, _, _) = get_object(&ts, "tus", "drop/later.bin").await;
    assert!(got == body);

    // `${filename}` without a filename: refused, and a page on another origin reads why.
    let r = send(
        "POST",
        &url,
        &[
            TUS,
            ("upload-length", "5"),
            ("origin", "https://app.example"),
        ],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body.contains("<Code>InvalidArgument</Code>"),
        "{}",
        r.body
    );
    assert_eq!(r.h("access-control-allow-origin"), Some("*"));
    assert_eq!(r.h("tus-resumable"), Some("1.0.0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checksums_are_verified_and_a_mismatch_is_discarded() {
    let ts = TestServer::start_with_bucket("tus").await;
    let url = mint_tus(&ts, json!({"bucket":"tus","key":"sum.bin"})).await;
    let body = data(90_000);
    let loc = create(&url, body.len() as u64, "").await;
    let (a, b, c) = (&body[..30_000], &body[30_000..60_000], &body[60_000..]);
    let sha1 = |d: &[u8]| {
        use sha1::Digest as _;
        format!("sha1 {}", B64.encode(sha1::Sha1::digest(d)))
    };
    let r = patch(&loc, 0, a, &[("upload-checksum", &sha1(b))]).await;
    assert_eq!(r.status, 460, "{}", r.body);
    assert!(r.body.contains("ChecksumMismatch"));
    assert_eq!(head(&loc).await.h("upload-offset"), Some("0"));
    assert_eq!(
        patch(&loc, 0, a, &[("upload-checksum", &sha1(a))])
            .await
            .status,
        204
    );
    let md5 = format!("md5 {}", B64.encode(Md5::digest(b)));
    assert_eq!(
        patch(&loc, 30_000, b, &[("upload-checksum", &md5)])
            .await
            .status,
        204
    );
    let crc = format!("crc32 {}", B64.encode(crc32(c).to_be_bytes()));
    let bad = format!("crc32 {}", B64.encode((crc32(c) ^ 1).to_be_bytes()));
    assert_eq!(
        patch(&loc, 60_000, c, &[("upload-checksum", &bad)])
            .await
            .status,
        460
    );
    let r = patch(&loc, 60_000, c, &[("upload-checksum", "sha256 AAAA")]).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        patch(&loc, 60_000, c, &[("upload-checksum", &crc)])
            .await
            .status,
        204
    );
    let (got, etag, _) = get_object(&ts, "tus", "sum.bin").await;
    assert!(got == body);
    assert_eq!(etag, md5_etag(&body));
}

fn crc32(d: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in d {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_url_constraint_holds() {
    let ts = TestServer::start_with_bucket("tus").await;
    let url = mint_tus(
        &ts,
        json!({"bucket":"tus","key":"c.bin","content_length_range":[10, 1000],"content_type":"image/png","max_uses":2}),
    )
    .await;
    let png = meta(&[("filetype", "image/png")]);
    // Too large an Upload-Length: refused at creation, no use spent.
    let r = send(
        "POST",
        &url,
        &[TUS, ("upload-length", "1001"), ("upload-metadata", &png)],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(r.body.contains("EntityTooLarge"));
    let r = send(
        "POST",
        &url,
        &[TUS, ("upload-length", "9"), ("upload-metadata", &png)],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    // The wrong type: refused.
    let gif = meta(&[("filetype", "image/gif")]);
    let r = send(
        "POST",
        &url,
        &[TUS, ("upload-length", "100"), ("upload-metadata", &gif)],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    // More bytes than declared: refused, nothing kept.
    let loc = create(&url, 100, &png).await;
    let r = patch(&loc, 0, &data(150), &[]).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(head(&loc).await.h("upload-offset"), Some("0"));
    // A deferred length beyond the range.
    let r = send(
        "POST",
        &url,
        &[TUS, ("upload-defer-length", "1"), ("upload-metadata", &png)],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let deferred = r.h("location").unwrap().to_string();
    let r = patch(&deferred, 0, &data(20), &[("upload-length", "5000")]).await;
    assert_eq!(r.status, 413, "{}", r.body);
    let r = patch(&deferred, 0, &data(1001), &[]).await;
    assert_eq!(r.status, 413, "{}", r.body);
    // Two uses, both spent by creations: the third is refused.
    let r = send(
        "POST",
        &url,
        &[TUS, ("upload-length", "100"), ("upload-metadata", &png)],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("AccessDenied"), "{}", r.body);
    // The upload URLs still work: PATCH the first to the end.
    assert_eq!(patch(&loc, 0, &data(100), &[]).await.status, 204);
    let (got, _, ct) = get_object(&ts, "tus", "c.bin").await;
    assert!(got == data(100));
    assert_eq!(ct, "image/png");

    // A tampered creation URL (key changed) fails its signature.
    let url2 = mint_tus(&ts, json!({"bucket":"tus","key":"d.bin"})).await;
    let r = send(
        "POST",
        &url2.replace("d.bin", "e.bin"),
        &[TUS, ("upload-length", "1")],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    // A tampered upload URL: 404, whatever the method.
    let loc = create(&url2, 10, "").await;
    let mut chars: Vec<char> = loc.chars().collect();
    let last = chars.len() - 1;
    chars[last] = if chars[last] == '0' { '1' } else { '0' };
    let tampered: String = chars.into_iter().collect();
    assert_eq!(head(&tampered).await.status, 404);
    assert_eq!(patch(&tampered, 0, b"0123456789", &[]).await.status, 404);
    assert_eq!(head(&format!("{loc}x")).await.status, 404);

    // An expired URL: refused; and its unfinished upload expires with it.
    let short = mint_tus(&ts, json!({"bucket":"tus","key":"f.bin","expires_in":60})).await;
    let loc = create(&short, 10, "").await;
    ts.clock().advance_ms(120_000);
    let r = send("POST", &short, &[TUS, ("upload-length", "1")], Vec::new()).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(head(&loc).await.status, 410);
    let server = ts.server.as_ref().unwrap();
    assert!(server.housekeeping_round().await.contains(&"tus-uploads"));
    ts.clock().advance_ms(-120_000);
    assert_eq!(head(&loc).await.status, 404, "swept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn termination_frees_the_upload() {
    let ts = TestServer::start_with_bucket("tus").await;
    let url = mint_tus(&ts, json!({"bucket":"tus","key":"t.bin"})).await;
    let loc = create(&url, 100_000, "").await;
    assert_eq!(patch(&loc, 0, &data(70_000), &[]).await.status, 204);
    assert_eq!(send("DELETE", &loc, &[TUS], Vec::new()).await.status, 204);
    assert_eq!(head(&loc).await.status, 404);
    assert_eq!(patch(&loc, 70_000, &data(10), &[]).await.status, 404);
    let uploads = ts
        .sdk()
        .list_multipart_uploads()
        .bucket("tus")
        .send()
        .await
        .unwrap();
    assert!(uploads.uploads().is_empty());
}

/// The host of `url` replaced by the server's current one (a restart binds a new port).
fn rehost(url: &str, ts: &TestServer) -> String {
    let path = &url[url.find("/_sluice/").unwrap()..];
    format!("{}{path}", ts.endpoint())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumes_after_a_restart_and_after_a_cut_connection() {
    let mut ts = TestServer::start_with_bucket("tus").await;
    let url = mint_tus(&ts, json!({"bucket":"tus","key":"r.bin"})).await;
    let body = data(6 * 1024 * 1024);
    let loc = create(&url, body.len() as u64, "").await;
    assert_eq!(patch(&loc, 0, &body[..2_000_000], &[]).await.status, 204);

    // A PATCH cut off mid-way keeps what arrived.
    {
        use tokio::io::AsyncWriteExt;
        let target = &loc[loc.find("/_sluice/").unwrap()..];
        let mut s = tokio::net::TcpStream::connect(ts.addr).await.unwrap();
        let head = format!(
            "PATCH {target} HTTP/1.1\r\nhost: {}\r\ntus-resumable: 1.0.0\r\ncontent-type: application/offset+octet-stream\r\nupload-offset: 2000000\r\ncontent-length: {}\r\n\r\n",
            ts.addr,
            body.len() - 2_000_000
        );
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(&body[2_000_000..3_000_000]).await.unwrap();
        s.flush().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        drop(s);
    }
    let mut offset = 0;
    for _ in 0..50 {
        let r = head(&loc).await;
        offset = r.h("upload-offset").unwrap().parse::<usize>().unwrap();
        if offset > 2_000_000 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(offset > 2_000_000 && offset <= 3_000_000, "offset {offset}");

    // A restart: the reported offset is durable, the Location still works (on the new port).
    ts.restart(|_| {}).await;
    let loc = rehost(&loc, &ts);
    let r = head(&loc).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.h("upload-offset"), Some(offset.to_string().as_str()));
    let r = patch(&loc, offset as u64, &body[offset..], &[]).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let (got, etag, _) = get_object(&ts, "tus", "r.bin").await;
    assert!(got == body, "bytes differ");
    assert_eq!(etag, md5_etag(&body));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_presign_tus_mints_a_creation_url() {
    let ts = TestServer::start_with_bucket("tus").await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args([
            "presign",
            "--tus",
            "--max-size",
            "10",
            "--max-uses",
            "1",
            "s3://tus/cli.bin",
        ])
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env("HOME", "/nonexistent-home")
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY)
        .env("AWS_REGION", common::REGION)
        .env("AWS_ENDPOINT_URL", ts.endpoint())
        .output()
        .expect("run sluice presign");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(url.contains("/_sluice/tus/tus/cli.bin?"), "{url}");
    assert!(err.contains("grant id: "), "{err}");
    let r = send("POST", &url, &[TUS, ("upload-length", "11")], Vec::new()).await;
    assert_eq!(r.status, 413, "--max-size bounds Upload-Length: {}", r.body);
    let loc = create(&url, 4, "").await;
    assert_eq!(patch(&loc, 0, b"abcd", &[]).await.status, 204);
    let r = send("POST", &url, &[TUS, ("upload-length", "4")], Vec::new()).await;
    assert_eq!(r.status, 403, "the one creation is spent: {}", r.body);
    assert_eq!(get_object(&ts, "tus", "cli.bin").await.0, b"abcd");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_fire_and_a_revoked_grant_stops_the_upload() {
    use common::service_api::api;
    let ts = TestServer::start_with_bucket("tus").await;
    let (status, out) = mint(
        &ts,
        json!({"method":"TUS","bucket":"tus","key":"receipt.bin","max_uses":2,
               "notify":{"target":"feed","payload":"order-1"}}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    let url = out["url"].as_str().unwrap();
    let grant = out["id"].as_str().unwrap().to_string();
    let loc = create(url, 5, "").await;
    assert_eq!(patch(&loc, 0, b"hello", &[]).await.status, 204);
    let (status, events) = api(&ts, "GET", "/_sluice/v1/events?bucket=tus").await;
    assert_eq!(status, 200, "{events}");
    let text = events.to_string();
    assert!(text.contains("ObjectCreated:Put"), "{text}");
    assert!(text.contains("order-1"), "the URL's payload: {text}");
    assert!(text.contains(&grant), "the grant id: {text}");

    // The second upload of the grant: revoked half-way, its URL stops working.
    let loc = create(url, 10, "").await;
    assert_eq!(patch(&loc, 0, b"01234", &[]).await.status, 204);
    let (status, _) = api(&ts, "DELETE", &format!("/_sluice/v1/grants/{grant}")).await;
    assert!(status == 200 || status == 204, "{status}");
    let r = patch(&loc, 5, b"56789", &[]).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(head(&loc).await.status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_urls_check_profile_runs_before_the_commit() {
    use common::checks::{admin, elf, png};
    let ts = TestServer::start_with_bucket("tus").await;
    let doc = json!({"sniff": {"allow": ["image/png"]}});
    let (status, answer) = admin(&ts, "PUT", "checks/pngs", &doc).await;
    assert_eq!(status, 200, "{answer}");
    let url = mint_tus(&ts, json!({"bucket":"tus","key":"pic.png","checks":"pngs"})).await;
    assert!(url.contains("x-sluice-checks=pngs"), "{url}");
    let bad = elf();
    let loc = create(&url, bad.len() as u64, "").await;
    let r = patch(&loc, 0, &bad, &[]).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("<Code>UploadRejected</Code>"), "{}", r.body);
    assert_eq!(head(&loc).await.status, 404, "the refused upload is gone");
    let missing = ts
        .sdk()
        .head_object()
        .bucket("tus")
        .key("pic.png")
        .send()
        .await;
    assert!(missing.is_err(), "nothing committed");
    let good = png(2, 2);
    let loc = create(&url, good.len() as u64, "").await;
    assert_eq!(patch(&loc, 0, &good, &[]).await.status, 204);
    assert!(get_object(&ts, "tus", "pic.png").await.0 == good);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_upload_is_committed_at_creation() {
    let ts = TestServer::start_with_bucket("tus").await;
    let url = mint_tus(&ts, json!({"bucket":"tus","key":"empty.txt"})).await;
    let md = meta(&[("filetype", "text/plain")]);
    let loc = create(&url, 0, &md).await;
    let (got, etag, ct) = get_object(&ts, "tus", "empty.txt").await;
    assert!(got.is_empty());
    assert_eq!(etag, md5_etag(b""));
    assert_eq!(ct, "text/plain");
    assert_eq!(head(&loc).await.status, 404);
}
