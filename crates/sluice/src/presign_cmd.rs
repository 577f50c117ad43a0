//! `sluice presign`: mint a presigned URL offline with the `sigv4` crate.

use crate::aws_profile::{resolve, ClientOverrides};
use crate::cli::PresignArgs;
use crate::duration_arg::parse_expires_in;
use anyhow::{bail, Context, Result};
use sluice_sigv4::{encode_object_path, presign_v4, PresignRequest};
use time::OffsetDateTime;

/// Splits `s3://BUCKET/KEY`.
pub fn parse_target(target: &str) -> Result<(String, String)> {
    let Some(rest) = target.strip_prefix("s3://") else {
        bail!("target `{target}` must look like s3://BUCKET/KEY");
    };
    match rest.split_once('/') {
        Some((b, k)) if !b.is_empty() && !k.is_empty() => Ok((b.to_string(), k.to_string())),
        _ => bail!("target `{target}` must look like s3://BUCKET/KEY"),
    }
}

/// Builds the presigned URL for the arguments at time `now`.
pub fn presigned_url(args: &PresignArgs, now: OffsetDateTime) -> Result<String> {
    let method = args.method.to_ascii_uppercase();
    if !["PUT", "GET", "HEAD", "DELETE"].contains(&method.as_str()) {
        bail!("--method `{}`: use PUT, GET, HEAD or DELETE", args.method);
    }
    let expires_in = parse_expires_in(&args.expires_in)?;
    let (bucket, key) = parse_target(&args.target)?;
    let settings = resolve(&ClientOverrides {
        profile: args.profile.clone(),
        region: args.region.clone(),
        endpoint: args.endpoint.clone(),
    })?;
    let endpoint = url::Url::parse(&settings.endpoint)
        .with_context(|| format!("endpoint `{}` is not a URL", settings.endpoint))?;
    let host = match (endpoint.host_str(), endpoint.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => bail!("endpoint `{}` has no host", settings.endpoint),
    };
    let base = endpoint.path().trim_end_matches('/');
    let raw_path = format!("{base}{}", encode_object_path(&bucket, &key));
    let headers: Vec<(String, String)> = args
        .content_type
        .iter()
        .map(|t| ("content-type".to_string(), t.clone()))
        .collect();
    let query = presign_v4(
        &settings.credentials,
        &PresignRequest {
            method: &method,
            host: &host,
            raw_path: &raw_path,
            query: &[],
            headers: &headers,
            region: &settings.region,
            service: "s3",
            datetime: now,
            expires_in,
        },
    );
    Ok(format!("{}://{host}{raw_path}?{query}", endpoint.scheme()))
}

/// Runs the command: prints the URL.
pub fn run(args: PresignArgs) -> Result<()> {
    let url = presigned_url(&args, OffsetDateTime::now_utc())?;
    println!("{url}");
    Ok(())
}
