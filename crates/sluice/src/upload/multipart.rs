//! Header-signed multipart upload: parallel parts with CRC32C checksums, retries, resume,
//! complete.
//!
//! Uploads this client creates declare `x-amz-checksum-algorithm: CRC32C`: every part is sent
//! `aws-chunked` with its `x-amz-checksum-crc32c` in a trailer (checked by the server, echoed
//! back and checked here), and the object gets a composite checksum. CRC32C costs a fraction
//! of MD5 on the client's CPU, and a trailer lets it be taken as the part is read for sending.
//! An upload being resumed that was created without that algorithm keeps Content-MD5 parts.

use super::file_parts::{
    checksummed_part_body, digest_part, part_body, split, BufferPool, PartDigests, CRC32C_TRAILER,
};
use super::retry::{retryable_status, with_retries};
use super::Options;
use crate::progress::byte_bar;
use crate::s3_client::{check, describe_error, xml_text, S3Client, UNSIGNED};
use anyhow::{anyhow, bail, Context, Result};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// `x-amz-content-sha256` of a part sent aws-chunked with an unsigned checksum trailer.
const STREAMING_UNSIGNED_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

/// The checksum algorithm this client declares for the uploads it creates.
const ALGORITHM: &str = "CRC32C";

/// A part already on the server.
struct ExistingPart {
    /// ETag without quotes.
    etag: String,
    size: u64,
    /// Its `ChecksumCRC32C`, when the server lists one.
    crc32c: Option<String>,
}

/// How the parts of one upload are protected.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Integrity {
    /// `x-amz-checksum-crc32c` on each part and in the completion.
    Crc32c,
    /// Content-MD5 on each part (an upload created without a checksum algorithm).
    Md5,
}

/// Parts already on the server, and whether the upload declared CRC32C.
async fn existing_parts(
    client: &S3Client,
    path: &str,
    upload_id: &str,
) -> Result<(HashMap<u32, ExistingPart>, Integrity)> {
    let mut out = HashMap::new();
    let mut integrity = Integrity::Md5;
    let mut marker = "0".to_string();
    loop {
        let resp = client
            .send(
                "GET",
                path,
                &[("uploadId", upload_id), ("part-number-marker", &marker)],
                &[],
                reqwest::Body::from(""),
                UNSIGNED,
            )
            .await?;
        let text = check(resp, "ListParts").await?.text().await?;
        let head = text.split("<Part>").next().unwrap_or_default();
        if xml_text(head, "ChecksumAlgorithm").is_some_and(|a| a.eq_ignore_ascii_case(ALGORITHM)) {
            integrity = Integrity::Crc32c;
        }
        for part in text.split("<Part>").skip(1) {
            let n = xml_text(part, "PartNumber").and_then(|v| v.parse().ok());
            let etag = xml_text(part, "ETag").map(|e| e.trim_matches('"').to_string());
            let size = xml_text(part, "Size").and_then(|v| v.parse().ok());
            if let (Some(n), Some(etag), Some(size)) = (n, etag, size) {
                let crc32c = xml_text(part, "ChecksumCRC32C");
                out.insert(n, ExistingPart { etag, size, crc32c });
            }
        }
        match (
            xml_text(&text, "IsTruncated").as_deref(),
            xml_text(&text, "NextPartNumberMarker"),
        ) {
            (Some("true"), Some(next)) => marker = next,
            _ => return Ok((out, integrity)),
        }
    }
}

impl ExistingPart {
    /// Whether comparing this part takes the local MD5 (the server lists no CRC32C for it).
    fn needs_md5(&self) -> bool {
        self.crc32c.is_none()
    }

    /// Whether this server-side part holds exactly the bytes `digests` describe (taken with
    /// the MD5 when [`needs_md5`](Self::needs_md5)).
    fn holds(&self, digests: &PartDigests) -> bool {
        self.size == digests.len
            && match &self.crc32c {
                Some(crc) => *crc == digests.crc32c_b64,
                None => digests
                    .md5
                    .as_ref()
                    .is_some_and(|(hex, _)| *hex == self.etag),
            }
    }
}

async fn create(client: &S3Client, path: &str, opts: &Options) -> Result<String> {
    let mut headers = Vec::new();
    if let Some(t) = &opts.content_type {
        headers.push(("content-type".to_string(), t.clone()));
    }
    headers.push((
        "x-amz-checksum-algorithm".to_string(),
        ALGORITHM.to_string(),
    ));
    let empty = hex::encode(Sha256::digest(b""));
    let resp = client
        .send(
            "POST",
            path,
            &[("uploads", "")],
            &headers,
            reqwest::Body::from(""),
            &empty,
        )
        .await?;
    let text = check(resp, "CreateMultipartUpload").await?.text().await?;
    xml_text(&text, "UploadId")
        .ok_or_else(|| anyhow!("CreateMultipartUpload answered without an UploadId"))
}

/// Uploads a file in parts; resumes `resume` (an upload id) when given, skipping parts whose
/// size and MD5 already match. On failure the upload is left open so it can be resumed.
pub async fn upload(
    client: &S3Client,
    file_path: &Path,
    size: u64,
    bucket: &str,
    key: &str,
    resume: Option<&str>,
    opts: &Options,
) -> Result<String> {
    let path = client.object_path(bucket, key);
    let parts = split(size, opts.part_size);
    if parts.len() > 10_000 {
        bail!(
            "{} parts of {} bytes exceed S3's 10000-part limit; raise --part-size",
            parts.len(),
            opts.part_size
        );
    }
    let (upload_id, existing, integrity) = match resume {
        Some(id) => {
            let (existing, integrity) = existing_parts(client, &path, id)
                .await
                .context("resuming")?;
            (id.to_string(), existing, integrity)
        }
        None => (
            create(client, &path, opts).await?,
            HashMap::new(),
            Integrity::Crc32c,
        ),
    };
    if resume.is_some() {
        let mut kept = 0;
        for (n, offset, len) in &parts {
            if let Some(p) = existing.get(n).filter(|p| p.size == *len) {
                let f = Arc::new(std::fs::File::open(file_path)?);
                let digests = digest_part(f, file_path, *offset, *len, p.needs_md5()).await?;
                if p.holds(&digests) {
                    kept += 1;
                }
            }
        }
        eprintln!(
            "resuming upload {upload_id}: {kept} of {} parts already uploaded",
            parts.len()
        );
    }
    let file = Arc::new(
        std::fs::File::open(file_path)
            .with_context(|| format!("opening {}", file_path.display()))?,
    );
    let bar = byte_bar(size, opts.quiet);
    let permits = Arc::new(Semaphore::new(opts.concurrency));
    let existing = Arc::new(existing);
    let pool = BufferPool::default();
    let mut tasks = tokio::task::JoinSet::new();
    for (n, offset, len) in parts {
        let (client, file, bar, permits, existing, pool) = (
            client.clone(),
            file.clone(),
            bar.clone(),
            permits.clone(),
            existing.clone(),
            pool.clone(),
        );
        let (path, upload_id, file_path, retries, trailer) = (
            path.clone(),
            upload_id.clone(),
            file_path.to_path_buf(),
            opts.retries,
            !opts.checksum_header,
        );
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await?;
            let existing = existing.get(&n);
            // A part on the server is compared by its digests, an upload without a checksum
            // algorithm sends Content-MD5, and a checksum header comes before the body: all
            // take a pass over the part first.
            let digests = if existing.is_some() || integrity == Integrity::Md5 || !trailer {
                let with_md5 =
                    integrity == Integrity::Md5 || existing.is_some_and(|p| p.needs_md5());
                Some(digest_part(Arc::clone(&file), &file_path, offset, len, with_md5).await?)
            } else {
                None
            };
            if let (Some(p), Some(d)) = (existing, &digests) {
                if p.holds(d) {
                    bar.inc(len);
                    return Ok::<_, anyhow::Error>((n, p.etag.clone(), d.crc32c_b64.clone()));
                }
            }
            let number = n.to_string();
            let md5 = digests
                .as_ref()
                .and_then(|d| d.md5.clone())
                .filter(|_| integrity == Integrity::Md5);
            let (etag, echoed, sent_crc) = with_retries(retries, |_| {
                // CRC32C uploads send the part aws-chunked with the checksum in a trailer,
                // taken as the part is read for sending (one read of the file).
                let header_digest = match (&md5, &digests) {
                    (Some((_, b64)), _) => Some(("content-md5", b64.clone())),
                    (None, Some(d)) if !trailer => {
                        Some(("x-amz-checksum-crc32c", d.crc32c_b64.clone()))
                    }
                    _ => None,
                };
                let (body, headers, payload_hash, sent_crc) = match header_digest {
                    Some((name, value)) => (
                        part_body(Arc::clone(&file), offset, len, pool.clone()),
                        vec![
                            (name.to_string(), value),
                            ("content-length".to_string(), len.to_string()),
                        ],
                        UNSIGNED,
                        None,
                    ),
                    None => {
                        let sent =
                            checksummed_part_body(Arc::clone(&file), offset, len, pool.clone());
                        (
                            sent.body,
                            vec![
                                ("content-encoding".to_string(), "aws-chunked".to_string()),
                                ("x-amz-decoded-content-length".to_string(), len.to_string()),
                                ("x-amz-trailer".to_string(), CRC32C_TRAILER.to_string()),
                                ("content-length".to_string(), sent.encoded_len.to_string()),
                            ],
                            STREAMING_UNSIGNED_TRAILER,
                            Some(sent.crc32c_b64),
                        )
                    }
                };
                let (client, path, upload_id, number) = (
                    client.clone(),
                    path.clone(),
                    upload_id.clone(),
                    number.clone(),
                );
                async move {
                    let resp = client
                        .send(
                            "PUT",
                            &path,
                            &[("partNumber", &number), ("uploadId", &upload_id)],
                            &headers,
                            body,
                            payload_hash,
                        )
                        .await?;
                    let status = resp.status().as_u16();
                    if resp.status().is_success() {
                        let header = |name: &str| {
                            resp.headers()
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .map(|v| v.trim_matches('"').to_string())
                        };
                        let etag = header("etag").unwrap_or_default();
                        let sent_crc = sent_crc.and_then(|c| c.get().cloned());
                        return Ok(Ok((etag, header("x-amz-checksum-crc32c"), sent_crc)));
                    }
                    let err = anyhow!(
                        "part {number}: {}",
                        describe_error(status, &resp.text().await.unwrap_or_default())
                    );
                    if retryable_status(status) {
                        Err(err)
                    } else {
                        Ok(Err(err))
                    }
                }
            })
            .await?;
            let crc = match (sent_crc, &digests) {
                (Some(crc), _) => crc,
                (None, Some(d)) => d.crc32c_b64.clone(),
                _ => bail!("part {n}: the server answered before the whole part was sent"),
            };
            match (&md5, echoed) {
                (Some((md5_hex, _)), _) if etag != *md5_hex => {
                    bail!("part {n}: server ETag {etag} does not match the local MD5 {md5_hex}")
                }
                (None, Some(echoed)) if echoed != crc => {
                    bail!("part {n}: server CRC32C {echoed} does not match the local CRC32C {crc}")
                }
                _ => {}
            }
            bar.inc(len);
            Ok((n, etag, crc))
        });
    }
    let mut done: Vec<(u32, String, String)> = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined
            .map_err(|e| anyhow!("part task failed: {e}"))
            .and_then(|r| r)
        {
            Ok(p) => done.push(p),
            Err(e) => {
                tasks.abort_all();
                bar.abandon();
                return Err(e.context(format!(
                    "upload {upload_id} left open; run again with --resume {upload_id} to upload only the missing parts"
                )));
            }
        }
    }
    bar.finish_and_clear();
    done.sort();
    let mut xml = String::from("<CompleteMultipartUpload>");
    for (n, etag, crc) in &done {
        xml.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>\"{etag}\"</ETag>"
        ));
        if integrity == Integrity::Crc32c {
            xml.push_str(&format!("<ChecksumCRC32C>{crc}</ChecksumCRC32C>"));
        }
        xml.push_str("</Part>");
    }
    xml.push_str("</CompleteMultipartUpload>");
    let hash = hex::encode(Sha256::digest(xml.as_bytes()));
    let resp = client
        .send(
            "POST",
            &path,
            &[("uploadId", &upload_id)],
            &[],
            reqwest::Body::from(xml),
            &hash,
        )
        .await?;
    let text = check(resp, "CompleteMultipartUpload").await?.text().await?;
    if text.contains("<Error>") {
        bail!("CompleteMultipartUpload: {}", describe_error(200, &text));
    }
    xml_text(&text, "ETag")
        .ok_or_else(|| anyhow!("CompleteMultipartUpload answered without an ETag"))
}
