//! `s3://BUCKET/KEY` targets on the command line.

use anyhow::{bail, Result};

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
