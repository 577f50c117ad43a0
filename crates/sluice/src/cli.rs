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
    /// Upload a file: header-signed (multipart above a threshold, parts in parallel, retries,
    /// resume), to one presigned URL (--url), or with a minted multipart bundle (--bundle).
    ///
    /// Examples:
    ///   sluice upload big.iso s3://isos/big.iso
    ///   sluice upload big.iso s3://isos/big.iso --resume UPLOAD_ID
    ///   sluice upload cat.png --url "$PRESIGNED_PUT_URL" --content-type image/png
    ///   sluice upload movie.mp4 --bundle bundle.json
    Upload(UploadArgs),
    /// Verify every object's bytes against its stored size, ETag and checksum, offline, and
    /// report orphan blobs and leftover temp files (`--repair` removes those). Exit status 0
    /// only when all is well. A plain check may run beside a live server (its uploads in
    /// progress then show as temp files or orphans); `--repair` refuses while a server runs.
    ///
    /// Example: sluice check --data-dir /var/lib/sluice --repair
    Check {
        /// The data directory to check.
        #[arg(long, default_value = "./sluice-data")]
        data_dir: PathBuf,
        /// Remove orphan blobs and temp files (takes the data dir's lock: not while a server runs).
        #[arg(long)]
        repair: bool,
    },
    /// Print a shell completion script.
    ///
    /// Example: sluice completions bash > /etc/bash_completion.d/sluice
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Manage users, access keys and policies through the admin API (root or sluice:Admin).
    ///
    /// Example: sluice admin user create alice
    Admin(crate::admin_cli::AdminArgs),
    /// See and revoke the grant records of constrained presigned URLs (max_uses, revocation).
    ///
    /// Example: sluice grants list --bucket photos
    Grants(crate::grants_cmd::GrantsArgs),
    /// Upload notifications: the dead-letter table (list, replay, purge) and the backlog.
    ///
    /// Example: sluice events dead list --target orders
    Events(crate::events_cmd::EventsArgs),
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
    /// Address of the web console (off unless given), e.g. 127.0.0.1:9001.
    #[arg(long, env = "SLUICE_CONSOLE_LISTEN")]
    pub console_listen: Option<SocketAddr>,
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
    /// Most client connections served at once [default: 4096].
    #[arg(long, env = "SLUICE_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Most request-body bytes held in memory at once over all uploads; beyond it uploads
    /// wait (back-pressure) [default: 268435456 = 256 MiB; at least 4194304].
    #[arg(long, env = "SLUICE_MAX_INFLIGHT_BODY_BYTES", value_name = "BYTES")]
    pub max_inflight_body_bytes: Option<usize>,
    /// Objects and parts up to this size are stored inside the metadata database instead of
    /// as files (one shared fsync for many small uploads); 0 stores every object as a file
    /// [default: 65536 = 64 KiB; at most 1048576].
    #[arg(long, env = "SLUICE_INLINE_MAX_BYTES", value_name = "BYTES")]
    pub inline_max_bytes: Option<usize>,
    /// Seconds a client has to send a complete request header block [default: 30].
    #[arg(long, env = "SLUICE_HEADER_TIMEOUT")]
    pub header_timeout: Option<u64>,
    /// Seconds a request body may stall before the request fails with RequestTimeout [default: 60].
    #[arg(long, env = "SLUICE_BODY_TIMEOUT")]
    pub body_timeout: Option<u64>,
    /// Seconds an upload notification is retried before it moves to the dead-letter table
    /// [default: 86400 = 24 h].
    #[arg(long, env = "SLUICE_NOTIFY_MAX_AGE", value_name = "SECONDS")]
    pub notify_max_age: Option<u64>,
    /// PEM certificate chain: serve HTTPS (needs --tls-key) [default: plain HTTP].
    #[arg(long, env = "SLUICE_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "SLUICE_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<std::path::PathBuf>,
    /// Log format: text or json [default: text].
    #[arg(long, env = "SLUICE_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Public URL of the S3 endpoint as clients reach it, e.g. https://uploads.example.com
    /// (repeatable, or comma-separated: aliases). The mint API, POST forms and the console sign
    /// for the first; a signature made for any of them verifies [default: the caller's Host].
    #[arg(
        long = "public-url",
        env = "SLUICE_PUBLIC_URL",
        value_name = "URL",
        value_delimiter = ','
    )]
    pub public_url: Vec<String>,
    /// Proxy addresses (CIDRs, repeatable or comma-separated) whose X-Forwarded-Host and
    /// X-Forwarded-Proto are honoured [default: none, the headers are ignored].
    #[arg(
        long,
        env = "SLUICE_TRUST_FORWARDED",
        value_name = "CIDR",
        value_delimiter = ','
    )]
    pub trust_forwarded: Vec<String>,
    /// Longest validity, in days, of URLs minted with a grant (max_uses) through the mint API;
    /// other URLs keep SigV4's 7 days [default: 30].
    #[arg(long, env = "SLUICE_MAX_GRANT_DAYS", value_name = "DAYS")]
    pub max_grant_days: Option<u32>,
    /// Print the effective configuration (secrets masked) and exit.
    #[arg(long)]
    pub print_config: bool,
    /// The server-wide default CORS rule.
    #[command(flatten)]
    pub cors: crate::serve_cors::CorsArgs,
}

/// `sluice presign` arguments.
#[derive(Debug, Args)]
pub struct PresignArgs {
    /// HTTP method the URL allows: PUT, GET, HEAD or DELETE.
    #[arg(long, default_value = "PUT")]
    pub method: String,
    /// How long the URL stays valid: seconds or 90s, 5m, 1h, 7d (at most 7d; with --max-uses up to
    /// the server's max_grant_days, default 30d).
    #[arg(long, default_value = "300")]
    pub expires_in: String,
    /// Content-Type the upload must send (signed into the URL).
    #[arg(long)]
    pub content_type: Option<String>,
    /// Endpoint, region and profile.
    #[command(flatten)]
    pub client: crate::aws_profile::ClientOverrides,
    /// Presign a whole multipart upload: creates the upload on the server and prints a JSON
    /// bundle {upload_id, parts:[{part_number,url}], complete_url, abort_url, expires_at}.
    #[arg(long)]
    pub multipart: bool,
    /// Resume the open multipart upload UPLOAD_ID: a fresh bundle (JSON) with URLs for the parts
    /// not yet uploaded (of --multipart --parts/--size when given, else the gaps and the next
    /// part), complete and abort, minted by the server's mint API.
    #[arg(long, value_name = "UPLOAD_ID")]
    pub resume: Option<String>,
    /// With --multipart: number of parts.
    #[arg(long, requires = "multipart")]
    pub parts: Option<u32>,
    /// With --multipart: total size in bytes (parts carry offset and size).
    #[arg(long, requires = "multipart")]
    pub size: Option<String>,
    /// With --multipart --size: part size [default: 8MiB].
    #[arg(long, requires = "size")]
    pub part_size: Option<String>,
    /// Largest body the URL accepts (signed x-sluice-content-length-range; per part with
    /// --multipart). Bytes or 10MiB, 1GB...
    #[arg(long)]
    pub max_size: Option<String>,
    /// Smallest body the URL accepts (signed x-sluice-content-length-range).
    #[arg(long)]
    pub min_size: Option<String>,
    /// The URL is refused before this RFC 3339 time (signed x-sluice-not-before).
    #[arg(long)]
    pub not_before: Option<String>,
    /// Only clients in this CIDR may use the URL (signed x-sluice-source-ip); repeatable.
    #[arg(long)]
    pub source_ip: Vec<String>,
    /// Writes through the URL report to this notification target (signed x-sluice-notify),
    /// whatever the bucket's notification configuration.
    #[arg(long, conflicts_with = "post")]
    pub notify: Option<String>,
    /// With --notify: a string (at most 1 KiB) the event carries as `sluice.payload`, to tie the
    /// upload to the app's own record (signed x-sluice-payload).
    #[arg(long, requires = "notify")]
    pub payload: Option<String>,
    /// Uploads through the URL must pass this check profile, in addition to the bucket's
    /// (signed x-sluice-checks; see `sluice admin checks`).
    #[arg(long, conflicts_with = "post")]
    pub checks: Option<String>,
    /// The URL succeeds at most N times: registers a grant through the server's mint API
    /// (not offline; the grant id is printed on stderr, or in the JSON with --output json).
    #[arg(long, conflicts_with = "multipart")]
    pub max_uses: Option<u64>,
    /// What goes to stdout: `url`, the URL alone (the default for a single URL, with or
    /// without --max-uses), or `json`, an object {url, method, headers, expires_at[, id]}.
    /// --multipart and --post print JSON (a bundle, a form): they take only `json`.
    #[arg(long, value_enum)]
    pub output: Option<PresignOutput>,
    /// Sign a browser POST form instead of a URL: prints JSON {url, fields} (the key may hold
    /// ${filename}; --max-size/--min-size become content-length-range). Offline.
    #[arg(long, conflicts_with_all = ["multipart", "max_uses"])]
    pub post: bool,
    /// With --post: the form may use any key starting with this prefix (starts-with condition).
    #[arg(long, requires = "post")]
    pub key_starts_with: Option<String>,
    /// Mint a tus creation URL (the server's mint API, `"method": "TUS"`) to hand to a tus client
    /// (tus-js-client, Uppy's @uppy/tus, tuspy): one POST creating a resumable upload of the key
    /// (which may hold ${filename}); --max-size/--min-size bound its Upload-Length, --max-uses
    /// counts creations.
    #[arg(long, conflicts_with_all = ["multipart", "post", "resume"])]
    pub tus: bool,
    /// The object, as s3://BUCKET/KEY.
    pub target: String,
}

/// `sluice presign --output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PresignOutput {
    /// The URL alone, on one line.
    Url,
    /// A JSON object.
    Json,
}

/// `sluice upload` arguments.
#[derive(Debug, Args)]
pub struct UploadArgs {
    /// The file to upload.
    pub file: PathBuf,
    /// Destination s3://BUCKET/KEY (header-signed upload with AWS-style credentials).
    pub target: Option<String>,
    /// Upload to this presigned PUT URL instead (no credentials needed).
    #[arg(long)]
    pub url: Option<String>,
    /// Upload with this minted multipart bundle (JSON) instead.
    #[arg(long)]
    pub bundle: Option<PathBuf>,
    /// Endpoint, region and profile.
    #[command(flatten)]
    pub client: crate::aws_profile::ClientOverrides,
    /// Content-Type of the object.
    #[arg(long)]
    pub content_type: Option<String>,
    /// Files above this size go up in parts.
    #[arg(long, default_value = "16MiB")]
    pub threshold: String,
    /// Part size for multipart uploads (at least 5MiB).
    #[arg(long, default_value = "8MiB")]
    pub part_size: String,
    /// Parts uploaded in parallel.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Retries per failed request.
    #[arg(long, default_value_t = 3)]
    pub retries: u32,
    /// Resume this open multipart upload: parts already there with the same size and checksum
    /// (CRC32C, or MD5 for uploads created without a checksum algorithm) are skipped.
    /// Upload ids may start with `-`.
    #[arg(long, allow_hyphen_values = true)]
    pub resume: Option<String>,
    /// Send each part's CRC32C as an `x-amz-checksum-crc32c` header, taken in a pass over the
    /// part before it is sent, instead of in an aws-chunked trailer: for S3-compatible servers
    /// without `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    #[arg(long)]
    pub checksum_header: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}
