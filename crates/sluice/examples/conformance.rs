//! The Rust row of the client conformance matrix (`tests/conformance/run.sh`): the official AWS SDK
//! for Rust against a running Sluice, with its presigned URLs used through plain HTTP (reqwest).
//!
//! Reads `SLUICE_ENDPOINT`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `CONF_BUCKET`; prints one
//! `RESULT<TAB>cell<TAB>PASS|FAIL<TAB>detail` line per capability.

use anyhow::{anyhow, ensure, Result};
use aws_credential_types::Credentials;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};
use aws_sdk_s3::Client;
use std::future::Future;
use std::time::Duration;

const MIB: usize = 1024 * 1024;
const PART: usize = 5 * MIB;

struct Ctx {
    s3: Client,
    bucket: String,
    http: reqwest::Client,
}

fn data(n: usize, seed: &str) -> Vec<u8> {
    // xorshift from an FNV hash of the seed: deterministic test bytes
    let mut x = seed.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    }) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn same(got: &[u8], want: &[u8], what: &str) -> Result<()> {
    ensure!(
        got == want,
        "{what}: got {} bytes, want {}",
        got.len(),
        want.len()
    );
    Ok(())
}

async fn cell(name: &str, fut: impl Future<Output = Result<String>>) {
    match fut.await {
        Ok(detail) => println!("RESULT\t{name}\tPASS\t{detail}"),
        Err(e) => {
            eprintln!("{name}: {e:?}");
            let msg: String = format!("{e:#}")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            println!(
                "RESULT\t{name}\tFAIL\t{}",
                msg.chars().take(300).collect::<String>()
            );
        }
    }
}

impl Ctx {
    async fn get(&self, key: &str) -> Result<(Vec<u8>, Option<String>)> {
        let r = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await?;
        let ct = r.content_type().map(str::to_owned);
        Ok((r.body.collect().await?.into_bytes().to_vec(), ct))
    }

    async fn put(&self, key: &str, body: Vec<u8>) -> Result<()> {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(body))
            .send()
            .await?;
        Ok(())
    }

    /// Sends a presigned request with plain HTTP: its URL, the headers it was signed with, a body.
    async fn send(
        &self,
        p: &PresignedRequest,
        body: Vec<u8>,
        override_ct: Option<&str>,
    ) -> Result<reqwest::Response> {
        let method = reqwest::Method::from_bytes(p.method().as_bytes())?;
        let mut req = self.http.request(method, p.uri());
        for (k, v) in p.headers() {
            let v = if k.eq_ignore_ascii_case("content-type") {
                override_ct.unwrap_or(v)
            } else {
                v
            };
            req = req.header(k, v);
        }
        Ok(req.body(body).send().await?)
    }

    async fn ok(&self, p: &PresignedRequest, body: Vec<u8>) -> Result<reqwest::Response> {
        let r = self.send(p, body, None).await?;
        let status = r.status();
        if !status.is_success() {
            return Err(anyhow!("{} -> {status}: {}", p.method(), r.text().await?));
        }
        Ok(r)
    }
}

fn presigning() -> PresigningConfig {
    PresigningConfig::expires_in(Duration::from_secs(600)).expect("10 minutes is a valid expiry")
}

async fn presign_put(c: &Ctx) -> Result<String> {
    let key = "rs/presigned put ü+&=@,;~(x).txt";
    let body = data(1000, key);
    let p =
        c.s3.put_object()
            .bucket(&c.bucket)
            .key(key)
            .content_type("text/plain")
            .presigned(presigning())
            .await?;
    ensure!(
        p.uri().contains("X-Amz-SignedHeaders=content-type%3Bhost"),
        "content-type not signed: {}",
        p.uri()
    );
    let bad = c
        .send(&p, body.clone(), Some("application/octet-stream"))
        .await?;
    ensure!(
        bad.status() == 403,
        "PUT with another Content-Type than signed -> {}",
        bad.status()
    );
    c.ok(&p, body.clone()).await?;
    let (got, ct) = c.get(key).await?;
    same(&got, &body, "read back")?;
    ensure!(ct.as_deref() == Some("text/plain"), "content-type {ct:?}");
    Ok(if p.uri().contains("x-id=") {
        "x-id in URL".into()
    } else {
        String::new()
    })
}

async fn presign_get(c: &Ctx) -> Result<String> {
    let key = "rs/presigned-get.bin";
    let body = data(777, key);
    c.put(key, body.clone()).await?;
    let p =
        c.s3.get_object()
            .bucket(&c.bucket)
            .key(key)
            .presigned(presigning())
            .await?;
    same(
        &c.ok(&p, Vec::new()).await?.bytes().await?,
        &body,
        "presigned GET body",
    )?;
    Ok(String::new())
}

async fn presign_multipart(c: &Ctx) -> Result<String> {
    let key = "rs/presigned-mpu.bin";
    let parts = [data(PART, "rs1"), data(MIB + 3, "rs2")];
    let id =
        c.s3.create_multipart_upload()
            .bucket(&c.bucket)
            .key(key)
            .send()
            .await?;
    let id = id
        .upload_id()
        .ok_or_else(|| anyhow!("no UploadId"))?
        .to_owned();
    let mut xml = String::from("<CompleteMultipartUpload>");
    for (i, p) in parts.iter().enumerate() {
        let n = i as i32 + 1;
        let url =
            c.s3.upload_part()
                .bucket(&c.bucket)
                .key(key)
                .upload_id(&id)
                .part_number(n)
                .presigned(presigning())
                .await?;
        let r = c.ok(&url, p.clone()).await?;
        let etag = r
            .headers()
            .get("etag")
            .ok_or_else(|| anyhow!("no ETag"))?
            .to_str()?;
        xml += &format!("<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>");
    }
    xml += "</CompleteMultipartUpload>";
    // The Rust SDK cannot presign CompleteMultipartUpload: the project's own signer does (sluice-sigv4).
    let answer = c
        .http
        .post(presign_complete(c, key, &id)?)
        .body(xml)
        .send()
        .await?;
    let status = answer.status();
    let answer = answer.text().await?;
    ensure!(
        status.is_success(),
        "presigned Complete -> {status}: {answer}"
    );
    ensure!(
        answer.contains("CompleteMultipartUploadResult"),
        "complete answered {answer}"
    );
    same(&c.get(key).await?.0, &parts.concat(), "assembled object")?;
    Ok(
        "UploadPart presigned by the SDK; Complete by sluice-sigv4 (the SDK cannot presign it)"
            .into(),
    )
}

fn presign_complete(c: &Ctx, key: &str, upload_id: &str) -> Result<String> {
    let endpoint = std::env::var("SLUICE_ENDPOINT")?;
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let path = sluice_sigv4::encode_object_path(&c.bucket, key);
    let creds = sluice_sigv4::Credentials {
        access_key_id: std::env::var("AWS_ACCESS_KEY_ID")?,
        secret_access_key: std::env::var("AWS_SECRET_ACCESS_KEY")?,
        session_token: None,
    };
    let query = sluice_sigv4::presign_v4(
        &creds,
        &sluice_sigv4::PresignRequest {
            method: "POST",
            host,
            raw_path: &path,
            query: &[("uploadId".to_string(), upload_id.to_string())],
            headers: &[],
            region: "us-east-1",
            service: "s3",
            datetime: time::OffsetDateTime::now_utc(),
            expires_in: 600,
        },
    );
    Ok(format!("http://{host}{path}?{query}"))
}

async fn put_stream(c: &Ctx) -> Result<String> {
    let body = data(300_000, "stream");
    let path = std::env::temp_dir().join(format!("sluice-conformance-{}.bin", std::process::id()));
    std::fs::write(&path, &body)?;
    let stream = ByteStream::read_from()
        .path(&path)
        .buffer_size(64 * 1024)
        .build()
        .await?;
    let sent =
        c.s3.put_object()
            .bucket(&c.bucket)
            .key("rs/stream.bin")
            .body(stream)
            .send()
            .await;
    std::fs::remove_file(&path)?;
    sent?;
    same(&c.get("rs/stream.bin").await?.0, &body, "streamed upload")?;
    Ok("ByteStream from a file (aws-chunked, CRC32 trailer)".into())
}

async fn multipart(c: &Ctx) -> Result<String> {
    let key = "rs/mpu.bin";
    let body = data(2 * PART + MIB, "mpu");
    let id =
        c.s3.create_multipart_upload()
            .bucket(&c.bucket)
            .key(key)
            .send()
            .await?;
    let id = id
        .upload_id()
        .ok_or_else(|| anyhow!("no UploadId"))?
        .to_owned();
    let mut done = Vec::new();
    for (i, chunk) in body.chunks(PART).enumerate() {
        let n = i as i32 + 1;
        let r =
            c.s3.upload_part()
                .bucket(&c.bucket)
                .key(key)
                .upload_id(&id)
                .part_number(n)
                .body(ByteStream::from(chunk.to_vec()))
                .send()
                .await?;
        done.push(
            CompletedPart::builder()
                .part_number(n)
                .set_e_tag(r.e_tag().map(str::to_owned))
                .build(),
        );
    }
    c.s3.complete_multipart_upload()
        .bucket(&c.bucket)
        .key(key)
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(done))
                .build(),
        )
        .send()
        .await?;
    same(&c.get(key).await?.0, &body, "multipart object")?;
    Ok("CreateMultipartUpload, UploadPart x3, Complete".into())
}

async fn get_range(c: &Ctx) -> Result<String> {
    let body = data(5000, "range");
    c.put("rs/range.bin", body.clone()).await?;
    let r =
        c.s3.get_object()
            .bucket(&c.bucket)
            .key("rs/range.bin")
            .range("bytes=100-1099")
            .send()
            .await?;
    ensure!(
        r.content_range() == Some("bytes 100-1099/5000"),
        "Content-Range {:?}",
        r.content_range()
    );
    same(
        &r.body.collect().await?.into_bytes(),
        &body[100..1100],
        "range",
    )?;
    Ok(String::new())
}

async fn head(c: &Ctx) -> Result<String> {
    c.s3.put_object()
        .bucket(&c.bucket)
        .key("rs/head.txt")
        .content_type("text/x-test")
        .metadata("k", "v")
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await?;
    let h =
        c.s3.head_object()
            .bucket(&c.bucket)
            .key("rs/head.txt")
            .send()
            .await?;
    ensure!(
        h.content_length() == Some(5)
            && h.content_type() == Some("text/x-test")
            && h.metadata().and_then(|m| m.get("k")).map(String::as_str) == Some("v"),
        "{h:?}"
    );
    let missing =
        c.s3.head_object()
            .bucket(&c.bucket)
            .key("rs/missing")
            .send()
            .await;
    ensure!(
        missing
            .as_ref()
            .err()
            .and_then(|e| e.as_service_error())
            .is_some_and(|e| e.is_not_found()),
        "HEAD missing key: {missing:?}"
    );
    Ok(String::new())
}

async fn list_v2(c: &Ctx) -> Result<String> {
    let keys: Vec<String> = (0..7).map(|i| format!("rs/list/{i:02}")).collect();
    for k in &keys {
        c.put(k, b"x".to_vec()).await?;
    }
    let mut pages =
        c.s3.list_objects_v2()
            .bucket(&c.bucket)
            .prefix("rs/list/")
            .max_keys(3)
            .into_paginator()
            .send();
    let (mut seen, mut n) = (Vec::new(), 0);
    while let Some(page) = pages.next().await {
        n += 1;
        seen.extend(
            page?
                .contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
    }
    ensure!(seen == keys && n == 3, "pages={n} keys={seen:?}");
    Ok("3 pages of 3".into())
}

async fn copy(c: &Ctx) -> Result<String> {
    c.put("rs/src.txt", b"copy me".to_vec()).await?;
    c.s3.copy_object()
        .bucket(&c.bucket)
        .key("rs/dst.txt")
        .copy_source(format!("{}/rs/src.txt", c.bucket))
        .send()
        .await?;
    same(&c.get("rs/dst.txt").await?.0, b"copy me", "copy")?;
    Ok(String::new())
}

async fn delete(c: &Ctx) -> Result<String> {
    c.put("rs/del.txt", b"x".to_vec()).await?;
    c.s3.delete_object()
        .bucket(&c.bucket)
        .key("rs/del.txt")
        .send()
        .await?;
    let l =
        c.s3.list_objects_v2()
            .bucket(&c.bucket)
            .prefix("rs/del.txt")
            .send()
            .await?;
    ensure!(l.key_count() == Some(0), "still listed after delete");
    Ok(String::new())
}

async fn multi_delete(c: &Ctx) -> Result<String> {
    let mut ids = Vec::new();
    for i in 0..4 {
        let k = format!("rs/md/{i}");
        c.put(&k, b"x".to_vec()).await?;
        ids.push(ObjectIdentifier::builder().key(k).build()?);
    }
    let r =
        c.s3.delete_objects()
            .bucket(&c.bucket)
            .delete(Delete::builder().set_objects(Some(ids)).build()?)
            .send()
            .await?;
    ensure!(r.deleted().len() == 4 && r.errors().is_empty(), "{r:?}");
    let l =
        c.s3.list_objects_v2()
            .bucket(&c.bucket)
            .prefix("rs/md/")
            .send()
            .await?;
    ensure!(l.key_count() == Some(0), "objects left after DeleteObjects");
    Ok(String::new())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let env = |k: &str| std::env::var(k).map_err(|_| anyhow!("{k} is not set"));
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(env("SLUICE_ENDPOINT")?)
        .force_path_style(true)
        .credentials_provider(Credentials::new(
            env("AWS_ACCESS_KEY_ID")?,
            env("AWS_SECRET_ACCESS_KEY")?,
            None,
            None,
            "conformance",
        ))
        .build();
    let c = Ctx {
        s3: Client::from_conf(conf),
        bucket: env("CONF_BUCKET")?,
        http: reqwest::Client::new(),
    };
    if let Err(e) = c.s3.create_bucket().bucket(&c.bucket).send().await {
        eprintln!("create bucket: {e:?}");
    }
    cell("presign_put", presign_put(&c)).await;
    cell("presign_get", presign_get(&c)).await;
    cell("presign_mpu", presign_multipart(&c)).await;
    cell("put", async {
        c.put("rs/small.txt", b"small".to_vec()).await?;
        same(&c.get("rs/small.txt").await?.0, b"small", "small put")?;
        Ok(String::new())
    })
    .await;
    cell("put_stream", put_stream(&c)).await;
    cell("multipart", multipart(&c)).await;
    cell("get_range", get_range(&c)).await;
    cell("head", head(&c)).await;
    cell("list_v2", list_v2(&c)).await;
    cell("copy", copy(&c)).await;
    cell("delete", delete(&c)).await;
    cell("multi_delete", multi_delete(&c)).await;
    Ok(())
}
