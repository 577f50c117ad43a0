//! Single-request uploads: a header-signed PUT, or a PUT to a presigned URL.

use super::file_parts::read_part;
use super::retry::{retryable_status, with_retries};
use super::Options;
use crate::progress::byte_bar;
use crate::s3_client::{describe_error, S3Client, UNSIGNED};
use anyhow::{anyhow, Context, Result};
use futures_util::StreamExt;
use std::path::Path;
use std::sync::Arc;

fn etag_of(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Header-signed PUT of a whole (small) file with Content-MD5; retried.
pub async fn put_signed(
    client: &S3Client,
    path: &Path,
    size: u64,
    bucket: &str,
    key: &str,
    opts: &Options,
) -> Result<String> {
    let file =
        Arc::new(std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?);
    let part = read_part(file, path, 0, size, true).await?;
    let md5_b64 = part
        .md5
        .as_ref()
        .map(|(_, b64)| b64.clone())
        .unwrap_or_default();
    let bar = byte_bar(size, opts.quiet);
    let object_path = client.object_path(bucket, key);
    let etag = with_retries(opts.retries, |_| {
        let body = part.bytes.clone();
        let mut headers = vec![
            ("content-md5".to_string(), md5_b64.clone()),
            ("content-length".to_string(), size.to_string()),
        ];
        if let Some(t) = &opts.content_type {
            headers.push(("content-type".to_string(), t.clone()));
        }
        let object_path = object_path.clone();
        async move {
            let resp = client
                .send("PUT", &object_path, &[], &headers, body.into(), UNSIGNED)
                .await?;
            let status = resp.status().as_u16();
            if resp.status().is_success() {
                return Ok(Ok(etag_of(&resp)));
            }
            let err = anyhow!(
                "PUT {bucket}/{key}: {}",
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
    bar.finish_and_clear();
    Ok(etag)
}

/// A streaming body over a file, updating a progress bar.
pub fn file_body(path: &Path, bar: indicatif::ProgressBar) -> Result<reqwest::Body> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let file = tokio::fs::File::from_std(file);
    let stream = futures_util::stream::unfold((file, bar), |(mut file, bar)| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 1 << 20];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                bar.inc(n as u64);
                Some((
                    Ok::<_, std::io::Error>(bytes::Bytes::from(buf)),
                    (file, bar),
                ))
            }
            Err(e) => Some((Err(e), (file, bar))),
        }
    });
    Ok(reqwest::Body::wrap_stream(stream.boxed()))
}

/// The content type a URL pins with its signed `x-sluice-content-type` parameter.
pub fn pinned_content_type(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == sluice_server::auth::url_constraints::CONTENT_TYPE)
        .map(|(_, v)| v.into_owned())
}

/// PUT of a file to a presigned URL (no credentials), streamed. Without `--content-type`, the
/// type the URL pins (`x-sluice-content-type`) is sent.
pub async fn put_to_url(path: &Path, size: u64, url: &str, opts: &Options) -> Result<String> {
    let http = reqwest::Client::builder().build()?;
    let content_type = opts
        .content_type
        .clone()
        .or_else(|| pinned_content_type(url));
    let etag = with_retries(opts.retries, |_| {
        let http = http.clone();
        let content_type = content_type.clone();
        async move {
            let bar = byte_bar(size, opts.quiet);
            let mut req = http
                .put(url)
                .header("content-length", size)
                .body(file_body(path, bar.clone())?);
            if let Some(t) = &content_type {
                req = req.header("content-type", t);
            }
            let resp = req
                .send()
                .await
                .map_err(|e| anyhow!("PUT to the presigned URL failed: {e}"))?;
            bar.finish_and_clear();
            let status = resp.status().as_u16();
            if resp.status().is_success() {
                return Ok(Ok(etag_of(&resp)));
            }
            let err = anyhow!(
                "PUT to the presigned URL: {}",
                describe_error(status, &resp.text().await.unwrap_or_default())
            );
            if status >= 500 {
                Err(err)
            } else {
                Ok(Err(err))
            }
        }
    })
    .await?;
    Ok(etag)
}
