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
use indicatif::ProgressBar;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
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
///
/// The stages, in order: plan the parts, create or resume the upload, upload the parts
/// concurrently with progress (leaving the upload open on failure), complete it.
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
    let parts = plan_parts(size, opts.part_size)?;
    let (upload_id, existing, integrity) = open_upload(client, &path, resume, opts).await?;
    if resume.is_some() {
        report_resume(file_path, &parts, &existing, &upload_id).await?;
    }
    let file = Arc::new(
        std::fs::File::open(file_path)
            .with_context(|| format!("opening {}", file_path.display()))?,
    );
    let job = Arc::new(PartJob {
        client: client.clone(),
        file,
        file_path: file_path.to_path_buf(),
        path: path.clone(),
        upload_id: upload_id.clone(),
        existing,
        integrity,
        retries: opts.retries,
        trailer: !opts.checksum_header,
        pool: BufferPool::default(),
        bar: byte_bar(size, opts.quiet),
    });
    let done = upload_parts(job, parts, opts.concurrency).await?;
    complete(client, &path, &upload_id, integrity, done).await
}

/// Stage 1: splits `size` into parts of `part_size`, refusing more than S3's 10000.
fn plan_parts(size: u64, part_size: u64) -> Result<Vec<(u32, u64, u64)>> {
    let parts = split(size, part_size);
    if parts.len() > 10_000 {
        bail!(
            "{} parts of {} bytes exceed S3's 10000-part limit; raise --part-size",
            parts.len(),
            part_size
        );
    }
    Ok(parts)
}

/// Stage 2: resumes upload `resume` (listing its parts) or creates a new CRC32C upload.
async fn open_upload(
    client: &S3Client,
    path: &str,
    resume: Option<&str>,
    opts: &Options,
) -> Result<(String, HashMap<u32, ExistingPart>, Integrity)> {
    Ok(match resume {
        Some(id) => {
            let (existing, integrity) =
                existing_parts(client, path, id).await.context("resuming")?;
            (id.to_string(), existing, integrity)
        }
        None => (
            create(client, path, opts).await?,
            HashMap::new(),
            Integrity::Crc32c,
        ),
    })
}

/// Stage 2 (resume): tells how many planned parts the server already holds intact.
async fn report_resume(
    file_path: &Path,
    parts: &[(u32, u64, u64)],
    existing: &HashMap<u32, ExistingPart>,
    upload_id: &str,
) -> Result<()> {
    let mut kept = 0;
    for (n, offset, len) in parts {
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
    Ok(())
}

/// Everything the part tasks of one upload share.
struct PartJob {
    client: S3Client,
    file: Arc<std::fs::File>,
    file_path: PathBuf,
    /// Object path.
    path: String,
    upload_id: String,
    /// Parts already on the server.
    existing: HashMap<u32, ExistingPart>,
    integrity: Integrity,
    /// Retries per part after the first attempt.
    retries: u32,
    /// Send the CRC32C in an aws-chunked trailer (not a header).
    trailer: bool,
    pool: BufferPool,
    bar: ProgressBar,
}

/// A part uploaded (or kept): number, ETag without quotes, base64 CRC32C.
type DonePart = (u32, String, String);

/// Stage 3: uploads every part, `concurrency` at once; on failure, leaves the upload open.
async fn upload_parts(
    job: Arc<PartJob>,
    parts: Vec<(u32, u64, u64)>,
    concurrency: usize,
) -> Result<Vec<DonePart>> {
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    for (n, offset, len) in parts {
        let (job, permits) = (Arc::clone(&job), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await?;
            job.upload_part(n, offset, len).await
        });
    }
    let mut done: Vec<DonePart> = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined
            .map_err(|e| anyhow!("part task failed: {e}"))
            .and_then(|r| r)
        {
            Ok(p) => done.push(p),
            Err(e) => {
                tasks.abort_all();
                job.bar.abandon();
                let upload_id = &job.upload_id;
                return Err(e.context(format!(
                    "upload {upload_id} left open; run again with --resume {upload_id} to upload only the missing parts"
                )));
            }
        }
    }
    job.bar.finish_and_clear();
    done.sort();
    Ok(done)
}

/// One attempt's request for a part: body, headers, `x-amz-content-sha256`, trailer CRC32C.
struct PartRequest {
    body: reqwest::Body,
    headers: Vec<(String, String)>,
    payload_hash: &'static str,
    /// The CRC32C of an aws-chunked body, set once it has been sent.
    sent_crc: Option<Arc<OnceLock<String>>>,
}

/// What the server answered to a part: ETag, echoed CRC32C, CRC32C of the trailer sent.
type PartAnswer = (String, Option<String>, Option<String>);

impl PartJob {
    /// Stage 3 (one part): keeps it if the server holds it, else sends and checks it.
    async fn upload_part(&self, n: u32, offset: u64, len: u64) -> Result<DonePart> {
        let existing = self.existing.get(&n);
        let digests = self.digest_first(existing, offset, len).await?;
        if let (Some(p), Some(d)) = (existing, &digests) {
            if p.holds(d) {
                self.bar.inc(len);
                return Ok((n, p.etag.clone(), d.crc32c_b64.clone()));
            }
        }
        let md5 = digests
            .as_ref()
            .and_then(|d| d.md5.clone())
            .filter(|_| self.integrity == Integrity::Md5);
        let (etag, echoed, sent_crc) = with_retries(self.retries, |_| {
            let request = self.part_request(offset, len, md5.as_ref(), digests.as_ref());
            self.put_part(n, request)
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
        self.bar.inc(len);
        Ok((n, etag, crc))
    }

    /// The part's digests, taken before sending only when the part needs them (see below).
    async fn digest_first(
        &self,
        existing: Option<&ExistingPart>,
        offset: u64,
        len: u64,
    ) -> Result<Option<PartDigests>> {
        // A part on the server is compared by its digests, an upload without a checksum
        // algorithm sends Content-MD5, and a checksum header comes before the body: all
        // take a pass over the part first.
        if existing.is_some() || self.integrity == Integrity::Md5 || !self.trailer {
            let with_md5 =
                self.integrity == Integrity::Md5 || existing.is_some_and(|p| p.needs_md5());
            let file = Arc::clone(&self.file);
            Ok(Some(
                digest_part(file, &self.file_path, offset, len, with_md5).await?,
            ))
        } else {
            Ok(None)
        }
    }

    /// The request of one attempt: a digest in a header, or aws-chunked with a CRC32C trailer.
    fn part_request(
        &self,
        offset: u64,
        len: u64,
        md5: Option<&(String, String)>,
        digests: Option<&PartDigests>,
    ) -> PartRequest {
        // CRC32C uploads send the part aws-chunked with the checksum in a trailer,
        // taken as the part is read for sending (one read of the file).
        let header_digest = match (md5, digests) {
            (Some((_, b64)), _) => Some(("content-md5", b64.clone())),
            (None, Some(d)) if !self.trailer => {
                Some(("x-amz-checksum-crc32c", d.crc32c_b64.clone()))
            }
            _ => None,
        };
        let (file, pool) = (Arc::clone(&self.file), self.pool.clone());
        match header_digest {
            Some((name, value)) => PartRequest {
                body: part_body(file, offset, len, pool),
                headers: vec![
                    (name.to_string(), value),
                    ("content-length".to_string(), len.to_string()),
                ],
                payload_hash: UNSIGNED,
                sent_crc: None,
            },
            None => {
                let sent = checksummed_part_body(file, offset, len, pool);
                PartRequest {
                    body: sent.body,
                    headers: vec![
                        ("content-encoding".to_string(), "aws-chunked".to_string()),
                        ("x-amz-decoded-content-length".to_string(), len.to_string()),
                        ("x-amz-trailer".to_string(), CRC32C_TRAILER.to_string()),
                        ("content-length".to_string(), sent.encoded_len.to_string()),
                    ],
                    payload_hash: STREAMING_UNSIGNED_TRAILER,
                    sent_crc: Some(sent.crc32c_b64),
                }
            }
        }
    }

    /// Sends one attempt; `Err` to retry, `Ok(Err)` for a final failure (see `with_retries`).
    async fn put_part(&self, n: u32, request: PartRequest) -> Result<Result<PartAnswer>> {
        let number = n.to_string();
        let resp = self
            .client
            .send(
                "PUT",
                &self.path,
                &[("partNumber", &number), ("uploadId", &self.upload_id)],
                &request.headers,
                request.body,
                request.payload_hash,
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
            let sent_crc = request.sent_crc.and_then(|c| c.get().cloned());
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
}

/// Stage 4: completes the upload with its parts in order; returns the object's ETag.
async fn complete(
    client: &S3Client,
    path: &str,
    upload_id: &str,
    integrity: Integrity,
    done: Vec<DonePart>,
) -> Result<String> {
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
            path,
            &[("uploadId", upload_id)],
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
