//! `sluice grants list|show|revoke`: the grant records of constrained presigned URLs, through
//! the service API (`/_sluice/v1/grants`), signed with the caller's AWS-style credentials.

use crate::aws_profile::resolve;
use crate::s3_client::{check, S3Client};
use anyhow::Result;
use clap::{Args, Subcommand};
use sha2::{Digest, Sha256};

/// `sluice grants` arguments.
#[derive(Debug, Args)]
pub struct GrantsArgs {
    /// Endpoint, region and profile.
    #[command(flatten)]
    pub client: crate::aws_profile::ClientOverrides,
    /// What to do.
    #[command(subcommand)]
    pub command: GrantsCommand,
}

/// Grant subcommands.
#[derive(Debug, Subcommand)]
pub enum GrantsCommand {
    /// List live grants you may see (yours; all for root and admins).
    ///
    /// Example: sluice grants list --bucket photos --prefix alice/
    List {
        /// Only grants for this bucket.
        #[arg(long)]
        bucket: Option<String>,
        /// Only grants whose key starts with this (needs --bucket).
        #[arg(long)]
        prefix: Option<String>,
    },
    /// Show one grant with its use count and audit trail.
    ///
    /// Example: sluice grants show GRANT_ID
    Show {
        /// Grant id.
        id: String,
    },
    /// Revoke one grant: its URL stops working at once.
    ///
    /// Example: sluice grants revoke GRANT_ID
    Revoke {
        /// Grant id.
        id: String,
    },
}

/// Runs the command; prints the server's JSON answer.
pub async fn run(args: GrantsArgs) -> Result<()> {
    let client = S3Client::new(resolve(&args.client)?)?;
    let empty = hex::encode(Sha256::digest(b""));
    let (method, route, query): (&str, String, Vec<(&str, String)>) = match &args.command {
        GrantsCommand::List { bucket, prefix } => {
            let mut q = Vec::new();
            if let Some(b) = bucket {
                q.push(("bucket", b.clone()));
            }
            if let Some(p) = prefix {
                q.push(("prefix", p.clone()));
            }
            ("GET", "v1/grants".to_string(), q)
        }
        GrantsCommand::Show { id } => (
            "GET",
            format!("v1/grants/{}", sluice_sigv4::uri_encode(id, true)),
            Vec::new(),
        ),
        GrantsCommand::Revoke { id } => (
            "DELETE",
            format!("v1/grants/{}", sluice_sigv4::uri_encode(id, true)),
            Vec::new(),
        ),
    };
    let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let resp = client
        .send(
            method,
            &client.service_path(&route),
            &query,
            &[],
            reqwest::Body::from(""),
            &empty,
        )
        .await?;
    let resp = check(resp, "grants").await?;
    let text = resp.text().await?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) => println!("{}", serde_json::to_string_pretty(&v)?),
        Err(_) if text.is_empty() => println!("{{\"revoked\": true}}"),
        Err(_) => println!("{text}"),
    }
    Ok(())
}
