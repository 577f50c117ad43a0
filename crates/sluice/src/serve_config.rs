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
}

/// Reads and parses a TOML config file.
pub fn read_file_config(path: &Path) -> Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
}

/// Builds the server configuration from flags/environment (clap) and the config file.
pub fn merge(args: ServeArgs) -> Result<ServerConfig> {
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
    Ok(cfg)
}
