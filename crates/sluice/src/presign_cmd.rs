//! `sluice presign`: mint a presigned URL offline with the `sigv4` crate.

use crate::aws_profile::resolve;
use crate::cli::PresignArgs;
use crate::constraint_args::Constraints;
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
    let constraints = Constraints::from_args(args)?.query(args.content_type.as_deref());
    let settings = resolve(&args.client)?;
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
            query: &constraints,
            headers: &headers,
            region: &settings.region,
            service: "s3",
            datetime: now,
            expires_in,
        },
    );
    Ok(format!("{}://{host}{raw_path}?{query}", endpoint.scheme()))
}

/// Runs the command: prints the URL (or, with `--multipart`, the JSON bundle; with `--post`,
/// the form).
pub fn run(args: PresignArgs) -> Result<()> {
    if args.post || args.method.eq_ignore_ascii_case("POST") {
        let form = crate::presign_post::presigned_post(&args, OffsetDateTime::now_utc())?;
        println!("{}", serde_json::to_string_pretty(&form)?);
        return Ok(());
    }
    if args.multipart || args.max_uses.is_some() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let minted = rt.block_on(mint_via_api(&args))?;
        println!("{}", serde_json::to_string_pretty(&minted)?);
        return Ok(());
    }
    let url = presigned_url(&args, OffsetDateTime::now_utc())?;
    println!("{url}");
    Ok(())
}

/// Asks the server's mint API for a whole multipart upload (the upload must be created there)
/// or, with `--max-uses`, for a use-limited URL (the grant is recorded there).
async fn mint_via_api(args: &PresignArgs) -> Result<serde_json::Value> {
    use crate::s3_client::{check, S3Client};
    use sha2::{Digest, Sha256};
    let method = args.method.to_ascii_uppercase();
    let expires_in = parse_expires_in(&args.expires_in)?;
    let (bucket, key) = parse_target(&args.target)?;
    let mut body = serde_json::json!({
        "method": method, "bucket": bucket, "key": key, "expires_in": expires_in,
    });
    if let Some(n) = args.max_uses {
        body["max_uses"] = serde_json::json!(n);
    }
    if args.multipart {
        if method != "PUT" {
            bail!("--multipart presigns uploads: use --method PUT");
        }
        body["multipart"] = multipart_spec(args)?;
    }
    if let Some(t) = &args.content_type {
        body["content_type"] = serde_json::json!(t);
    }
    Constraints::from_args(args)?.add_to_mint(&mut body);
    let client = S3Client::new(resolve(&args.client)?)?;
    let bytes = serde_json::to_vec(&body)?;
    let hash = hex::encode(Sha256::digest(&bytes));
    let headers = vec![("content-type".to_string(), "application/json".to_string())];
    let resp = client
        .send(
            "POST",
            &client.service_path("v1/presign"),
            &[],
            &headers,
            bytes.into(),
            &hash,
        )
        .await?;
    let resp = check(resp, "minting through the server's presign API").await?;
    let text = resp.text().await?;
    Ok(serde_json::from_str(&text)?)
}

/// The `multipart` field of the mint request.
fn multipart_spec(args: &PresignArgs) -> Result<serde_json::Value> {
    Ok(match (args.parts, &args.size) {
        (Some(n), None) => serde_json::json!({ "parts": n }),
        (None, Some(size)) => {
            let mut m = serde_json::json!({ "size": crate::size_arg::parse_size(size)? });
            if let Some(ps) = &args.part_size {
                m["part_size"] = serde_json::json!(crate::size_arg::parse_size(ps)?);
            }
            m
        }
        _ => bail!("--multipart needs exactly one of --parts N or --size BYTES"),
    })
}
