//! Server configuration (already merged from flags, environment and config file by the binary).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Everything `sluice serve` needs to run.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Directory holding metadata and object bytes.
    pub data_dir: PathBuf,
    /// Address to listen on for the S3 API.
    pub listen: SocketAddr,
    /// Region this server answers for (credential scopes must name it).
    pub region: String,
    /// Domain enabling virtual-host style buckets (`bucket.DOMAIN`).
    pub domain: Option<String>,
    /// Root access key id; generated and stored in the data dir when absent.
    pub root_access_key: Option<String>,
    /// Root secret key; generated and stored in the data dir when absent.
    pub root_secret_key: Option<String>,
    /// Whether SigV2 (legacy) signatures are accepted.
    pub allow_sigv2: bool,
    /// Largest allowed clock difference for header-signed requests.
    pub max_clock_skew: Duration,
    /// How long shutdown waits for in-flight requests.
    pub shutdown_grace: Duration,
    /// Multipart uploads older than this are aborted by the background sweep.
    pub stale_upload_age: Duration,
    /// Most client connections served at once; further clients wait in the listen backlog.
    pub max_connections: usize,
    /// A connection must deliver a request's complete header block within this time
    /// (slow-header / slowloris protection); else it is closed.
    pub header_read_timeout: Duration,
    /// A request body that delivers no bytes for this long fails with `RequestTimeout`.
    pub body_idle_timeout: Duration,
    /// Most request-body bytes held in memory at once, over all uploads; beyond it, uploads
    /// stop reading their sockets until bytes reach storage (back-pressure).
    pub max_inflight_body_bytes: usize,
    /// Blobs (whole objects or parts) up to this many bytes are stored in the metadata
    /// database rather than as files; 0 keeps every blob a file.
    pub inline_max_bytes: usize,
    /// Address of the web console listener; `None` leaves the console off.
    pub console_listen: Option<SocketAddr>,
    /// The server-wide CORS rule for buckets without their own `CORSConfiguration`
    /// (and for the service API); `None`: no CORS unless a bucket has rules.
    pub cors_default: Option<sluice_s3::cors::CorsRule>,
    /// PEM certificate chain for TLS; with `tls_key`, the S3 port speaks HTTPS only.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key matching `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// This server's name as the owner of grant reservations (default: the host name). With a
    /// fresh id per process start it lets a restarted server reclaim at once the uses its
    /// previous run reserved (see `grant_use.rs`); servers sharing a store need distinct ids.
    pub node_id: String,
    /// Shortest time a grant reservation holds its use without being renewed (the lease is
    /// the larger of this and twice `body_idle_timeout`; see `grant_use.rs`). Default 10 minutes.
    pub grant_reservation_lease: Duration,
    /// How long an event is retried before it moves to the dead-letter table. Default 24 hours.
    pub notify_max_age: Duration,
    /// Notification targets defined in the configuration file: (id, settings), written to the
    /// store at startup (the admin API defines more).
    pub notify_targets: Vec<(String, crate::notify::targets::TargetConfig)>,
    /// Upload check profiles defined in the configuration file: (name, profile), written to the
    /// store at startup (the admin API defines more and applies them to buckets).
    pub check_profiles: Vec<(String, crate::checks::profile::CheckProfile)>,
    /// Public URLs of the S3 endpoint (`--public-url`, repeatable): minted URLs name the first,
    /// and a signature made for any of their hosts verifies. Empty: URLs name the caller's Host.
    pub public_urls: Vec<crate::net::public_url::PublicUrl>,
    /// Proxy addresses whose `X-Forwarded-Host` / `X-Forwarded-Proto` are honoured
    /// (`--trust-forwarded`). Empty: the headers are ignored.
    pub trust_forwarded: Vec<crate::auth::url_constraints::Cidr>,
    /// Longest validity, in days, of URLs minted with a grant (`max_uses`) through the mint API
    /// (`--max-grant-days`, default 30); other URLs keep SigV4's 7 days.
    pub max_grant_days: u32,
}

impl ServerConfig {
    /// A configuration with the documented defaults for a data dir.
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        ServerConfig {
            data_dir: data_dir.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 9000)),
            region: "us-east-1".into(),
            domain: None,
            root_access_key: None,
            root_secret_key: None,
            allow_sigv2: true,
            max_clock_skew: Duration::from_secs(15 * 60),
            shutdown_grace: Duration::from_secs(30),
            stale_upload_age: Duration::from_secs(7 * 24 * 3600),
            max_connections: 4096,
            header_read_timeout: Duration::from_secs(30),
            body_idle_timeout: Duration::from_secs(60),
            max_inflight_body_bytes: 256 << 20,
            inline_max_bytes: sluice_store::DEFAULT_INLINE_MAX,
            console_listen: None,
            cors_default: None,
            tls_cert: None,
            tls_key: None,
            node_id: default_node_id(),
            grant_reservation_lease: Duration::from_secs(600),
            notify_max_age: Duration::from_secs(24 * 3600),
            notify_targets: Vec::new(),
            check_profiles: Vec::new(),
            public_urls: Vec::new(),
            trust_forwarded: Vec::new(),
            max_grant_days: 30,
        }
    }

    /// `host[:port]` of every public URL, in configuration order.
    pub fn public_hosts(&self) -> Vec<String> {
        self.public_urls.iter().map(|u| u.host.clone()).collect()
    }
}

/// The host name (Linux: `/proc/sys/kernel/hostname`, else `$HOSTNAME`), or `"sluice"`.
pub fn default_node_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "sluice".to_string())
}
