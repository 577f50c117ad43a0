//! Merging `sluice serve` settings: flag > environment > config file > default.

use crate::cli::ServeArgs;
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use sluice_server::ServerConfig;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The TOML configuration file (every key optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// See `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// See `--listen`.
    pub listen: Option<String>,
    /// See `--console-listen`.
    pub console_listen: Option<String>,
    /// See `--region`.
    pub region: Option<String>,
    /// See `--domain`.
    pub domain: Option<String>,
    /// See `--no-sigv2`.
    pub no_sigv2: Option<bool>,
    /// See `--root-access-key`.
    pub root_access_key: Option<String>,
    /// See `--root-secret-key`.
    pub root_secret_key: Option<String>,
    /// See `--shutdown-grace`.
    pub shutdown_grace: Option<u64>,
    /// See `--stale-upload-hours`.
    pub stale_upload_hours: Option<u64>,
    /// See `--log-format`.
    pub log_format: Option<String>,
    /// See `--max-connections`.
    pub max_connections: Option<usize>,
    /// See `--max-inflight-body-bytes`.
    pub max_inflight_body_bytes: Option<usize>,
    /// See `--inline-max-bytes`.
    pub inline_max_bytes: Option<usize>,
    /// See `--header-timeout`.
    pub header_timeout: Option<u64>,
    /// See `--body-timeout`.
    pub body_timeout: Option<u64>,
    /// The server-wide default CORS rule (`[cors]` table).
    pub cors: Option<crate::serve_cors::FileCors>,
    /// See `--tls-cert`.
    pub tls_cert: Option<PathBuf>,
    /// See `--tls-key`.
    pub tls_key: Option<PathBuf>,
    /// Upload notifications (`[notify]`, `[[notify.targets]]`).
    pub notify: Option<FileNotify>,
    /// Upload check profiles (`[[checks.profiles]]`).
    pub checks: Option<FileChecks>,
    /// See `--public-url`: one URL or a list.
    pub public_url: Option<OneOrMany>,
    /// See `--trust-forwarded`: one CIDR or a list.
    pub trust_forwarded: Option<OneOrMany>,
    /// See `--max-grant-days`.
    pub max_grant_days: Option<u32>,
}

/// A TOML value given as one string or a list of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// `key = "a"`.
    One(String),
    /// `key = ["a", "b"]`.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values, in order.
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// The `[checks]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileChecks {
    /// Profiles defined at startup (`[[checks.profiles]]`: `name` and the profile's optional
    /// `sniff`, `image` and `hook` tables, as in `docs/verified-uploads.md`).
    #[serde(default)]
    pub profiles: Vec<FileProfile>,
}

/// One `[[checks.profiles]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileProfile {
    /// The profile's name.
    pub name: String,
    /// Content sniffing rules.
    pub sniff: Option<sluice_server::checks::profile::SniffRules>,
    /// Image limits.
    pub image: Option<sluice_server::checks::profile::ImageLimits>,
    /// The blocking hook (its `secret` is required here).
    pub hook: Option<sluice_server::checks::profile::HookSettings>,
}

/// The `[notify]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileNotify {
    /// See `--notify-max-age`.
    pub max_age: Option<u64>,
    /// Targets defined at startup (`[[notify.targets]]`: `id`, `type` = "webhook" | "nats", and
    /// the type's settings: `url`, `secret`, `timeout_ms`, `headers` / `url`, `subject`).
    #[serde(default)]
    pub targets: Vec<FileTarget>,
}

/// One `[[notify.targets]]` entry.
#[derive(Debug, Deserialize)]
pub struct FileTarget {
    /// Target id (its ARN is `arn:sluice:sqs:REGION:ID:TYPE`).
    pub id: String,
    /// Type and settings.
    #[serde(flatten)]
    pub target: sluice_server::notify::targets::TargetConfig,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Everything `serve` needs: the server configuration and the binary's own settings.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    /// Server configuration.
    pub server: ServerConfig,
    /// Log format.
    pub log_format: LogFormat,
}

impl ServeSettings {
    /// The effective configuration as a TOML file that `--config` reads back: every setting as
    /// its key, unset optional ones and the root key pair as comment lines (the pair is never
    /// printed; give it again by flag, environment or by uncommenting the keys).
    pub fn to_toml(&self) -> String {
        let c = &self.server;
        let mut out = String::new();
        let mut line = |l: String| {
            out.push_str(&l);
            out.push('\n');
        };
        line(format!(
            "data_dir = {}",
            toml_str(&c.data_dir.display().to_string())
        ));
        line(format!("listen = {}", toml_str(&c.listen.to_string())));
        line(match &c.console_listen {
            Some(a) => format!("console_listen = {}", toml_str(&a.to_string())),
            None => "# console_listen: not set (web console off)".to_string(),
        });
        line(format!("region = {}", toml_str(&c.region)));
        line(match &c.domain {
            Some(d) => format!("domain = {}", toml_str(d)),
            None => "# domain: not set (path-style only)".to_string(),
        });
        line(format!("no_sigv2 = {}", !c.allow_sigv2));
        for (key, value) in [
            ("root_access_key", &c.root_access_key),
            ("root_secret_key", &c.root_secret_key),
        ] {
            line(match value {
                Some(_) => format!("# {key}: set (not printed)"),
                None => format!("# {key}: not set (generated on first start)"),
            });
        }
        line(format!("shutdown_grace = {}", c.shutdown_grace.as_secs()));
        line(format!(
            "stale_upload_hours = {}",
            c.stale_upload_age.as_secs() / 3600
        ));
        line(format!("max_connections = {}", c.max_connections));
        line(format!(
            "max_inflight_body_bytes = {}",
            c.max_inflight_body_bytes
        ));
        line(format!("inline_max_bytes = {}", c.inline_max_bytes));
        line(format!(
            "header_timeout = {}",
            c.header_read_timeout.as_secs()
        ));
        line(format!("body_timeout = {}", c.body_idle_timeout.as_secs()));
        match (&c.tls_cert, &c.tls_key) {
            (Some(cert), Some(key)) => {
                line(format!(
                    "tls_cert = {}",
                    toml_str(&cert.display().to_string())
                ));
                line(format!(
                    "tls_key = {}",
                    toml_str(&key.display().to_string())
                ));
            }
            _ => line("# tls_cert, tls_key: not set (plain HTTP)".to_string()),
        }
        let list = |items: Vec<String>| {
            let quoted: Vec<String> = items.iter().map(|s| toml_str(s)).collect();
            format!("[{}]", quoted.join(", "))
        };
        line(if c.public_urls.is_empty() {
            "# public_url: not set (URLs name the caller's Host)".to_string()
        } else {
            format!(
                "public_url = {}",
                list(c.public_urls.iter().map(|u| u.base()).collect())
            )
        });
        line(if c.trust_forwarded.is_empty() {
            "# trust_forwarded: not set (X-Forwarded-* ignored)".to_string()
        } else {
            format!(
                "trust_forwarded = {}",
                list(c.trust_forwarded.iter().map(|n| n.to_string()).collect())
            )
        });
        line(format!("max_grant_days = {}", c.max_grant_days));
        line(format!(
            "log_format = {}",
            toml_str(match self.log_format {
                LogFormat::Text => "text",
                LogFormat::Json => "json",
            })
        ));
        let mut notify = format!("\n[notify]\nmax_age = {}\n", c.notify_max_age.as_secs());
        for (id, t) in &c.notify_targets {
            // Secrets are not printed: the targets stay comments.
            notify += &format!(
                "# [[notify.targets]] id = {} type = {}\n",
                toml_str(id),
                toml_str(t.kind())
            );
        }
        for (name, _) in &c.check_profiles {
            // Hook secrets are not printed: the profiles stay comments.
            notify += &format!("# [[checks.profiles]] name = {}\n", toml_str(name));
        }
        out + &crate::serve_cors::cors_toml(c.cors_default.as_ref()) + &notify
    }
}

/// `s` as a TOML basic string, escaped as TOML (not Rust) wants.
pub fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Reads and parses a TOML config file.
pub fn read_file_config(path: &Path) -> Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
}

/// Builds the server configuration from flags/environment (clap) and the config file.
pub fn merge(args: ServeArgs) -> Result<ServeSettings> {
    let file = match &args.config {
        Some(p) => read_file_config(p)?,
        None => FileConfig::default(),
    };
    let mut cfg = ServerConfig::with_data_dir(
        args.data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./sluice-data")),
    );
    if let Some(l) = args.listen {
        cfg.listen = l;
    } else if let Some(l) = file.listen {
        cfg.listen = l.parse::<SocketAddr>().with_context(|| {
            format!("config key `listen`: `{l}` is not an address like 127.0.0.1:9000")
        })?;
    }
    if let Some(l) = args.console_listen {
        cfg.console_listen = Some(l);
    } else if let Some(l) = file.console_listen.filter(|l| !l.is_empty()) {
        cfg.console_listen = Some(l.parse::<SocketAddr>().with_context(|| {
            format!("config key `console_listen`: `{l}` is not an address like 127.0.0.1:9001")
        })?);
    }
    if let Some(r) = args.region.or(file.region) {
        if r.is_empty() || !r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            bail!("config key `region`: `{r}` is not a region name");
        }
        cfg.region = r;
    }
    cfg.domain = args.domain.or(file.domain).filter(|d| !d.is_empty());
    cfg.allow_sigv2 = !args.no_sigv2.or(file.no_sigv2).unwrap_or(false);
    cfg.root_access_key = args
        .root_access_key
        .or(file.root_access_key)
        .filter(|s| !s.is_empty());
    cfg.root_secret_key = args
        .root_secret_key
        .or(file.root_secret_key)
        .filter(|s| !s.is_empty());
    if let Some(g) = args.shutdown_grace.or(file.shutdown_grace) {
        cfg.shutdown_grace = Duration::from_secs(g);
    }
    if let Some(h) = args.stale_upload_hours.or(file.stale_upload_hours) {
        if h == 0 {
            bail!("config key `stale_upload_hours`: must be at least 1");
        }
        cfg.stale_upload_age = Duration::from_secs(h.saturating_mul(3600));
    }
    if let Some(n) = args.max_connections.or(file.max_connections) {
        if n == 0 {
            bail!("config key `max_connections`: must be at least 1");
        }
        cfg.max_connections = n;
    }
    if let Some(n) = args
        .max_inflight_body_bytes
        .or(file.max_inflight_body_bytes)
    {
        let min = sluice_server::body::body_budget::MIN_BODY_BUDGET;
        if n < min {
            bail!("config key `max_inflight_body_bytes`: must be at least {min}");
        }
        cfg.max_inflight_body_bytes = n;
    }
    if let Some(n) = args.inline_max_bytes.or(file.inline_max_bytes) {
        let max = sluice_store::INLINE_MAX_LIMIT;
        if n > max {
            bail!("config key `inline_max_bytes`: must be at most {max}");
        }
        cfg.inline_max_bytes = n;
    }
    if let Some(t) = args.header_timeout.or(file.header_timeout) {
        if t == 0 {
            bail!("config key `header_timeout`: must be at least 1 second");
        }
        cfg.header_read_timeout = Duration::from_secs(t);
    }
    if let Some(t) = args.body_timeout.or(file.body_timeout) {
        if t == 0 {
            bail!("config key `body_timeout`: must be at least 1 second");
        }
        cfg.body_idle_timeout = Duration::from_secs(t);
    }
    cfg.cors_default = crate::serve_cors::merge_cors(args.cors, file.cors)?;
    cfg.tls_cert = args.tls_cert.or(file.tls_cert);
    cfg.tls_key = args.tls_key.or(file.tls_key);
    if cfg.tls_cert.is_some() != cfg.tls_key.is_some() {
        bail!("TLS needs both `tls_cert` and `tls_key` (--tls-cert and --tls-key)");
    }
    let public = if args.public_url.is_empty() {
        file.public_url.map(OneOrMany::into_vec).unwrap_or_default()
    } else {
        args.public_url
    };
    for u in public.iter().filter(|u| !u.trim().is_empty()) {
        cfg.public_urls.push(
            sluice_server::net::public_url::PublicUrl::parse(u)
                .with_context(|| "config key `public_url` (--public-url)")?,
        );
    }
    let trusted = if args.trust_forwarded.is_empty() {
        file.trust_forwarded
            .map(OneOrMany::into_vec)
            .unwrap_or_default()
    } else {
        args.trust_forwarded
    };
    for n in trusted.iter().filter(|n| !n.trim().is_empty()) {
        match sluice_server::auth::url_constraints::Cidr::parse(n) {
            Some(net) => cfg.trust_forwarded.push(net),
            None => bail!(
                "config key `trust_forwarded` (--trust-forwarded): `{n}` is not an address or CIDR like 10.0.0.0/8"
            ),
        }
    }
    if let Some(d) = args.max_grant_days.or(file.max_grant_days) {
        if !(7..=366).contains(&d) {
            bail!("config key `max_grant_days`: must be between 7 and 366");
        }
        cfg.max_grant_days = d;
    }
    let notify = file.notify.unwrap_or_default();
    if let Some(secs) = args.notify_max_age.or(notify.max_age) {
        if secs == 0 {
            bail!("config key `notify.max_age`: must be at least 1 second");
        }
        cfg.notify_max_age = Duration::from_secs(secs);
    }
    for t in notify.targets {
        sluice_server::notify::targets::validate_id(&t.id)
            .with_context(|| format!("[[notify.targets]] id `{}`", t.id))?;
        t.target
            .validate()
            .with_context(|| format!("[[notify.targets]] `{}`", t.id))?;
        cfg.notify_targets.push((t.id, t.target));
    }
    for p in file.checks.unwrap_or_default().profiles {
        let profile = sluice_server::checks::profile::CheckProfile {
            sniff: p.sniff,
            image: p.image,
            hook: p.hook,
        };
        sluice_server::checks::configured::records(&[(p.name.clone(), profile.clone())], 0)
            .with_context(|| format!("[[checks.profiles]] `{}`", p.name))?;
        cfg.check_profiles.push((p.name, profile));
    }
    let log_format = match args.log_format.or(file.log_format).as_deref() {
        None | Some("text") => LogFormat::Text,
        Some("json") => LogFormat::Json,
        Some(other) => bail!("config key `log_format`: `{other}` is not text or json"),
    };
    Ok(ServeSettings {
        server: cfg,
        log_format,
    })
}
