//! Uploading a file with a minted multipart bundle (the JSON from `POST /_sluice/v1/presign`
//! or `sluice presign --multipart`): each part to its URL, then the complete URL.

use super::file_parts::read_part;
use super::retry::{retryable_status, with_retries};
use super::Options;
use crate::progress::byte_bar;
use crate::s3_client::{describe_error, xml_text};
use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The parts of a bundle this command reads.
#[derive(Debug, Deserialize)]
pub struct Bundle {
    /// Parts with their URLs (and byte ranges when the bundle was minted for a size).
    pub parts: Vec<BundlePart>,
    /// URL completing the upload.
    pub complete_url: String,
    /// URL aborting the upload.
    pub abort_url: Option<String>,
}

/// One part of a bundle.
#[derive(Debug, Deserialize)]
pub struct BundlePart {
    /// Part number.
    pub part_number: u32,
    /// Presigned PUT URL.
    pub url: String,
    /// Offset in the file.
    pub offset: Option<u64>,
    /// Size of the part.
    pub size: Option<u64>,
}

/// Byte ranges for the parts: the bundle's own, or the file split evenly.
fn ranges(bundle: &Bundle, size: u64) -> Result<Vec<(u64, u64)>> {
    let n = bundle.parts.len() as u64;
    if n == 0 {
        bail!("the bundle has no parts");
    }
    if bundle
        .parts
        .iter()
        .all(|p| p.offset.is_some() && p.size.is_some())
    {
        let r: Vec<(u64, u64)> = bundle
            .parts
            .iter()
            .map(|p| (p.offset.unwrap_or(0), p.size.unwrap_or(0)))
            .collect();
        let covered: u64 = r.iter().map(|(_, l)| l).sum();
        if covered != size {
            bail!("the bundle was minted for {covered} bytes but the file has {size}");
        }
        return Ok(r);
    }
    let per = size.div_ceil(n);
    Ok((0..n)
        .map(|i| (i * per, per.min(size.saturating_sub(i * per))))
        .collect())
}

/// Uploads every part, then completes; returns the final ETag.
pub async fn upload_bundle(
    file_path: &Path,
    size: u64,
    bundle_path: &Path,
    opts: &Options,
) -> Result<String> {
    let text = std::fs::read_to_string(bundle_path)
        .with_context(|| format!("reading {}", bundle_path.display()))?;
    let bundle: Bundle = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a multipart bundle", bundle_path.display()))?;
    let http = reqwest::Client::builder().build()?;
    let ranges = match ranges(&bundle, size) {
        Ok(r) => r,
        // Nothing was sent and this upload can never complete with this file: abort it rather
        // than leave it open (with its bundle) on the server.
        Err(e) => {
            let aborted = match &bundle.abort_url {
                Some(url) => abort(&http, url).await,
                None => Err(anyhow!("the bundle has no abort_url")),
            };
            return Err(match aborted {
                Ok(()) => anyhow!("{e:#}; no part was sent and the upload was aborted"),
                Err(abort_err) => anyhow!(
                    "{e:#}; no part was sent, but aborting the upload failed: {abort_err:#}"
                ),
            });
        }
    };
    let file = Arc::new(
        std::fs::File::open(file_path)
            .with_context(|| format!("opening {}", file_path.display()))?,
    );
    let bar = byte_bar(size, opts.quiet);
    let permits = Arc::new(Semaphore::new(opts.concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    for (part, (offset, len)) in bundle.parts.iter().zip(ranges) {
        let (http, file, bar, permits) = (http.clone(), file.clone(), bar.clone(), permits.clone());
        let (url, n, file_path, retries) = (
            part.url.clone(),
            part.part_number,
            file_path.to_path_buf(),
            opts.retries,
        );
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await?;
            let data = read_part(file, &file_path, offset, len, false).await?;
            let etag = with_retries(retries, |_| {
                let (http, url, body) = (http.clone(), url.clone(), data.bytes.clone());
                async move {
                    let resp = http
                        .put(&url)
                        .header("content-length", len)
                        .body(body)
                        .send()
                        .await?;
                    let status = resp.status().as_u16();
                    if resp.status().is_success() {
                        let etag = resp
                            .headers()
                            .get("etag")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default();
                        return Ok(Ok(etag.trim_matches('"').to_string()));
                    }
                    let err = anyhow!(
                        "part {n}: {}",
                        describe_error(status, &resp.text().await.unwrap_or_default())
                    );
                    if retryable_status(status) && status != 400 {
                        Err(err)
                    } else {
                        Ok(Err(err))
                    }
                }
            })
            .await?;
            bar.inc(len);
            Ok::<_, anyhow::Error>((n, etag))
        });
    }
    let mut done = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        done.push(joined.map_err(|e| anyhow!("part task failed: {e}"))??);
    }
    bar.finish_and_clear();
    done.sort();
    let mut xml = String::from("<CompleteMultipartUpload>");
    for (n, etag) in &done {
        xml.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>\"{etag}\"</ETag></Part>"
        ));
    }
    xml.push_str("</CompleteMultipartUpload>");
    let resp = http.post(&bundle.complete_url).body(xml).send().await?;
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    if status != 200 || text.contains("<Error>") {
        bail!("completing the upload: {}", describe_error(status, &text));
    }
    xml_text(&text, "ETag").ok_or_else(|| anyhow!("the complete URL answered without an ETag"))
}

/// Aborts the bundle's upload with its abort URL.
async fn abort(http: &reqwest::Client, url: &str) -> Result<()> {
    let resp = http.delete(url).send().await?;
    let status = resp.status().as_u16();
    if resp.status().is_success() {
        return Ok(());
    }
    bail!(
        "{}",
        describe_error(status, &resp.text().await.unwrap_or_default())
    )
}
