//! `sluice upload`: header-authenticated uploads (single PUT or parallel multipart with
//! retries and resume), uploads to one presigned URL, and uploads of a minted bundle.

mod bundle;
mod file_parts;
mod multipart;
mod retry;
mod single;

use crate::aws_profile::resolve;
use crate::cli::UploadArgs;
use crate::s3_client::S3Client;
use crate::s3_target::parse_target;
use crate::size_arg::parse_size;
use anyhow::{bail, Context, Result};

/// Runs the command; prints the final ETag on stdout.
pub async fn run(args: UploadArgs) -> Result<()> {
    let meta = std::fs::metadata(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    if !meta.is_file() {
        bail!("{} is not a regular file", args.file.display());
    }
    let size = meta.len();
    let opts = Options {
        content_type: args.content_type.clone(),
        part_size: parse_size(&args.part_size).context("--part-size")?,
        concurrency: args.concurrency.max(1),
        retries: args.retries,
        checksum_header: args.checksum_header,
        quiet: args.quiet,
    };
    if opts.part_size < 5 << 20 {
        bail!("--part-size must be at least 5MiB (S3's minimum for all but the last part)");
    }
    let etag = match (&args.url, &args.bundle, &args.target) {
        (Some(url), None, None) => single::put_to_url(&args.file, size, url, &opts).await?,
        (None, Some(bundle), None) => {
            bundle::upload_bundle(&args.file, size, bundle, &opts).await?
        }
        (None, None, Some(target)) => {
            let (bucket, key) = parse_target(target)?;
            let client = S3Client::new(resolve(&args.client)?)?;
            let threshold = parse_size(&args.threshold).context("--threshold")?;
            if size <= threshold && args.resume.is_none() {
                single::put_signed(&client, &args.file, size, &bucket, &key, &opts).await?
            } else {
                multipart::upload(
                    &client,
                    &args.file,
                    size,
                    &bucket,
                    &key,
                    args.resume.as_deref(),
                    &opts,
                )
                .await?
            }
        }
        (None, None, None) => {
            bail!("give s3://BUCKET/KEY, --url PRESIGNED_URL or --bundle FILE.json")
        }
        _ => bail!("give only one of s3://BUCKET/KEY, --url and --bundle"),
    };
    println!("{etag}");
    Ok(())
}

/// Settings shared by every upload mode.
#[derive(Debug, Clone)]
pub struct Options {
    /// Content-Type to send.
    pub content_type: Option<String>,
    /// Part size for multipart uploads.
    pub part_size: u64,
    /// Parts uploaded at once.
    pub concurrency: usize,
    /// Retries per request after the first attempt.
    pub retries: u32,
    /// Multipart: CRC32C in a header after a pass over the part, not in a trailer.
    pub checksum_header: bool,
    /// No progress bar.
    pub quiet: bool,
}
