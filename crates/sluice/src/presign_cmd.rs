//! `sluice presign`: mint a presigned URL offline with the `sigv4` crate.

use crate::aws_profile::resolve;
use crate::cli::{PresignArgs, PresignOutput};
use crate::constraint_args::Constraints;
use crate::duration_arg::parse_expires_in;
use crate::s3_target::parse_target;
use anyhow::{bail, Context, Result};
use sluice_sigv4::{encode_object_path, presign_v4, PresignRequest};
use time::OffsetDateTime;

/// Builds the presigned URL for the arguments at time `now`; returns it with the method it
/// was signed for.
pub fn presigned_url(args: &PresignArgs, now: OffsetDateTime) -> Result<(String, String)> {
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
    Ok((
        format!("{}://{host}{raw_path}?{query}", endpoint.scheme()),
        method,
    ))
}

/// Runs the command. A single URL (offline, or with `--max-uses` from the mint API) is printed
/// alone unless `--output json`; `--multipart` (the bundle) and `--post` (the form) print JSON.
pub fn run(args: PresignArgs) -> Result<()> {
    let structured = if args.multipart || args.resume.is_some() {
        Some("--multipart and --resume print a bundle with one URL per part")
    } else if args.post || args.method.eq_ignore_ascii_case("POST") {
        Some("--post prints a form (a URL and its fields)")
    } else {
        None
    };
    if let (Some(why), Some(PresignOutput::Url)) = (structured, args.output) {
        bail!("--output url: {why}; use --output json");
    }
    let json_out = structured.is_some() || args.output == Some(PresignOutput::Json);
    if args.post || args.method.eq_ignore_ascii_case("POST") {
        let form = crate::presign_post::presigned_post(&args, OffsetDateTime::now_utc())?;
        println!("{}", serde_json::to_string_pretty(&form)?);
        return Ok(());
    }
    if args.tus || args.multipart || args.max_uses.is_some() || args.resume.is_some() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let minted = rt.block_on(mint_via_api(&args))?;
        if json_out {
            println!("{}", serde_json::to_string_pretty(&minted)?);
            return Ok(());
        }
        let Some(url) = minted["url"].as_str() else {
            bail!("the mint API answered without a URL: {minted}");
        };
        if let Some(id) = minted["id"].as_str() {
            eprintln!("grant id: {id}");
        }
        println!("{url}");
        return Ok(());
    }
    let now = OffsetDateTime::now_utc();
    let (url, method) = presigned_url(&args, now)?;
    if json_out {
        let secs = i64::try_from(parse_expires_in(&args.expires_in)?)?;
        let expires_at = OffsetDateTime::from_unix_timestamp(now.unix_timestamp() + secs)?
            .format(&time::format_description::well_known::Rfc3339)?;
        let headers: serde_json::Map<String, serde_json::Value> = args
            .content_type
            .iter()
            .map(|t| ("content-type".to_string(), serde_json::json!(t)))
            .collect();
        let out = serde_json::json!({
            "url": url, "method": method, "headers": headers, "expires_at": expires_at,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("{url}");
    }
    Ok(())
}

/// Asks the server's mint API for a whole multipart upload (the upload must be created there),
/// a tus creation URL (`--tus`) or, with `--max-uses`, for a use-limited URL (the grant is
/// recorded there).
async fn mint_via_api(args: &PresignArgs) -> Result<serde_json::Value> {
    use crate::s3_client::{check, S3Client};
    use sha2::{Digest, Sha256};
    let method = if args.tus {
        "TUS".to_string()
    } else {
        args.method.to_ascii_uppercase()
    };
    let expires_in = if args.max_uses.is_some() {
        crate::duration_arg::parse_expires_in_up_to(
            &args.expires_in,
            crate::duration_arg::MAX_GRANT_SECONDS,
        )?
    } else {
        parse_expires_in(&args.expires_in)?
    };
    let (bucket, key) = parse_target(&args.target)?;
    let mut body = serde_json::json!({
        "method": method, "bucket": bucket, "key": key, "expires_in": expires_in,
    });
    if let Some(n) = args.max_uses {
        body["max_uses"] = serde_json::json!(n);
    }
    if args.multipart || args.resume.is_some() {
        if method != "PUT" {
            bail!("--multipart and --resume presign uploads: use --method PUT");
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
    let mut spec = match (args.parts, &args.size) {
        (Some(n), None) => serde_json::json!({ "parts": n }),
        (None, Some(size)) => {
            let mut m = serde_json::json!({ "size": crate::size_arg::parse_size(size)? });
            if let Some(ps) = &args.part_size {
                m["part_size"] = serde_json::json!(crate::size_arg::parse_size(ps)?);
            }
            m
        }
        (None, None) if args.resume.is_some() => serde_json::json!({}),
        _ => bail!("--multipart needs exactly one of --parts N or --size BYTES"),
    };
    if let Some(id) = &args.resume {
        spec["upload_id"] = serde_json::json!(id);
    }
    Ok(spec)
}
