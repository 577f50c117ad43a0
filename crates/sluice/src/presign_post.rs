//! `sluice presign --post`: an offline, signed browser form (`{url, fields}`) for a POST upload.

use crate::aws_profile::resolve;
use crate::cli::PresignArgs;
use crate::duration_arg::parse_expires_in;
use crate::s3_target::parse_target;
use crate::size_arg::parse_size;
use anyhow::{bail, Context, Result};
use sluice_sigv4::{presign_post_v4, PostPolicyRequest};
use time::OffsetDateTime;

/// Largest object one POST may carry (the default top of `--max-size`).
const MAX_POST_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// Builds the JSON `{"url": ..., "fields": {...}}` for the arguments at time `now`.
pub fn presigned_post(args: &PresignArgs, now: OffsetDateTime) -> Result<serde_json::Value> {
    if args.not_before.is_some() || !args.source_ip.is_empty() || args.max_uses.is_some() {
        bail!("--not-before, --source-ip and --max-uses do not apply to --post forms");
    }
    let expires_in = parse_expires_in(&args.expires_in)?;
    let (bucket, key) = parse_target(&args.target)?;
    if let Some(p) = &args.key_starts_with {
        if !key.starts_with(p.as_str()) {
            bail!("the key `{key}` does not start with --key-starts-with `{p}`");
        }
    }
    let min = args.min_size.as_deref().map(parse_size).transpose()?;
    let max = args.max_size.as_deref().map(parse_size).transpose()?;
    let range = match (min, max) {
        (None, None) => None,
        (min, max) => Some((min.unwrap_or(0), max.unwrap_or(MAX_POST_SIZE))),
    };
    if let Some((min, max)) = range {
        if min > max {
            bail!("--min-size ({min}) is larger than --max-size ({max})");
        }
    }
    let settings = resolve(&args.client)?;
    url::Url::parse(&settings.endpoint)
        .with_context(|| format!("endpoint `{}` is not a URL", settings.endpoint))?;
    let base = settings.endpoint.trim_end_matches('/');
    let url = format!("{base}/{bucket}");
    let fields = presign_post_v4(
        &settings.credentials,
        &PostPolicyRequest {
            bucket: &bucket,
            key: &key,
            key_starts_with: args.key_starts_with.as_deref(),
            content_type: args.content_type.as_deref(),
            content_length_range: range,
            extra_conditions: &[],
            extra_fields: &[],
            region: &settings.region,
            datetime: now,
            expires_in,
        },
    );
    let map: serde_json::Map<String, serde_json::Value> = fields
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    Ok(serde_json::json!({ "url": url, "fields": map }))
}
