//! Command-line interface definition.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Sluice: a self-hosted S3-compatible object store built around presigned uploads.
#[derive(Debug, Parser)]
#[command(name = "sluice", version, about, long_about = None)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Sluice commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the S3 server.
    ///
    /// Example: sluice serve --data-dir ./sluice-data --listen 127.0.0.1:9000
    Serve(ServeArgs),
    /// Print a presigned URL for an object, offline (no call to the server).
    ///
    /// Example: sluice presign --method PUT --expires-in 10m --endpoint http://127.0.0.1:9000 s3://photos/cat.png
    Presign(PresignArgs),
}

/// `sluice serve` flags. Each also reads `SLUICE_*` and the TOML file given by `--config`.
#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// TOML configuration file.
    #[arg(long, env = "SLUICE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory for metadata and object bytes [default: ./sluice-data].
    #[arg(long, env = "SLUICE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:9000].
    #[arg(long, env = "SLUICE_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Region the server answers for [default: us-east-1].
    #[arg(long, env = "SLUICE_REGION")]
    pub region: Option<String>,
    /// Domain enabling virtual-host-style buckets (BUCKET.DOMAIN).
    #[arg(long, env = "SLUICE_DOMAIN")]
    pub domain: Option<String>,
    /// Refuse legacy SigV2 signatures.
    #[arg(long, env = "SLUICE_NO_SIGV2", num_args = 0..=1, default_missing_value = "true")]
    pub no_sigv2: Option<bool>,
    /// Root access key id (else generated on first start and stored in the data dir).
    #[arg(long, env = "SLUICE_ROOT_ACCESS_KEY", hide_env_values = true)]
    pub root_access_key: Option<String>,
    /// Root secret key.
    #[arg(long, env = "SLUICE_ROOT_SECRET_KEY", hide_env_values = true)]
    pub root_secret_key: Option<String>,
    /// Seconds to wait for in-flight requests at shutdown [default: 30].
    #[arg(long, env = "SLUICE_SHUTDOWN_GRACE")]
    pub shutdown_grace: Option<u64>,
    /// Hours after which an unfinished multipart upload is aborted and its parts freed [default: 168].
    #[arg(long, env = "SLUICE_STALE_UPLOAD_HOURS")]
    pub stale_upload_hours: Option<u64>,
}

/// `sluice presign` arguments.
#[derive(Debug, Args)]
pub struct PresignArgs {
    /// HTTP method the URL allows: PUT, GET, HEAD or DELETE.
    #[arg(long, default_value = "PUT")]
    pub method: String,
    /// How long the URL stays valid: seconds or 90s, 5m, 1h, 7d (at most 7d).
    #[arg(long, default_value = "300")]
    pub expires_in: String,
    /// Content-Type the upload must send (signed into the URL).
    #[arg(long)]
    pub content_type: Option<String>,
    /// Server URL [default: AWS_ENDPOINT_URL, else http://127.0.0.1:9000].
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Region [default: AWS_REGION / AWS_DEFAULT_REGION / profile, else us-east-1].
    #[arg(long)]
    pub region: Option<String>,
    /// Profile in ~/.aws/credentials and ~/.aws/config [default: AWS_PROFILE or "default"].
    #[arg(long)]
    pub profile: Option<String>,
    /// The object, as s3://BUCKET/KEY.
    pub target: String,
}
