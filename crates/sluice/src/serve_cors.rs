//! The server-wide default CORS rule of `sluice serve`: flags, environment and the `[cors]`
//! table of the config file (flag > environment > file), merged into one `CorsRule`.

use anyhow::{bail, Result};
use clap::Args;
use serde::Deserialize;
use sluice_s3::cors::{CorsRule, CORS_METHODS};

/// CORS flags of `sluice serve`.
#[derive(Debug, Clone, Default, Args)]
pub struct CorsArgs {
    /// Origin browsers may call from when a bucket has no CORS rules of its own (repeatable;
    /// one `*` wildcard allowed, `*` alone for any). Enables the server-wide default rule.
    #[arg(
        long = "cors-allow-origin",
        value_name = "ORIGIN",
        env = "SLUICE_CORS_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,
    /// Methods of the default rule [default: GET,PUT,POST,DELETE,HEAD].
    #[arg(
        long = "cors-allow-method",
        value_name = "METHOD",
        env = "SLUICE_CORS_ALLOWED_METHODS",
        value_delimiter = ','
    )]
    pub allowed_methods: Vec<String>,
    /// Request headers the default rule allows [default: *].
    #[arg(
        long = "cors-allow-header",
        value_name = "HEADER",
        env = "SLUICE_CORS_ALLOWED_HEADERS",
        value_delimiter = ','
    )]
    pub allowed_headers: Vec<String>,
    /// Response headers browsers may read [default: ETag].
    #[arg(
        long = "cors-expose-header",
        value_name = "HEADER",
        env = "SLUICE_CORS_EXPOSE_HEADERS",
        value_delimiter = ','
    )]
    pub expose_headers: Vec<String>,
    /// Seconds browsers may cache a preflight answer [default: not sent].
    #[arg(
        long = "cors-max-age",
        value_name = "SECONDS",
        env = "SLUICE_CORS_MAX_AGE_SECONDS"
    )]
    pub max_age_seconds: Option<u32>,
}

/// The `[cors]` table of the config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileCors {
    /// See `--cors-allow-origin`.
    pub allowed_origins: Option<Vec<String>>,
    /// See `--cors-allow-method`.
    pub allowed_methods: Option<Vec<String>>,
    /// See `--cors-allow-header`.
    pub allowed_headers: Option<Vec<String>>,
    /// See `--cors-expose-header`.
    pub expose_headers: Option<Vec<String>>,
    /// See `--cors-max-age`.
    pub max_age_seconds: Option<u32>,
}

/// Merges flags/environment over the file; `None` when no origin is configured.
pub fn merge_cors(args: CorsArgs, file: Option<FileCors>) -> Result<Option<CorsRule>> {
    let file = file.unwrap_or_default();
    let pick = |flag: Vec<String>, file: Option<Vec<String>>, default: &[&str]| -> Vec<String> {
        let v = if flag.is_empty() {
            file.unwrap_or_default()
        } else {
            flag
        };
        let v: Vec<String> = v
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if v.is_empty() {
            default.iter().map(|s| s.to_string()).collect()
        } else {
            v
        }
    };
    let rule = CorsRule {
        id: Some("server-default".into()),
        allowed_origins: pick(args.allowed_origins, file.allowed_origins, &[]),
        allowed_methods: pick(args.allowed_methods, file.allowed_methods, &CORS_METHODS)
            .into_iter()
            .map(|m| m.to_ascii_uppercase())
            .collect(),
        allowed_headers: pick(args.allowed_headers, file.allowed_headers, &["*"]),
        expose_headers: pick(args.expose_headers, file.expose_headers, &["ETag"]),
        max_age_seconds: args.max_age_seconds.or(file.max_age_seconds),
    };
    if rule.allowed_origins.is_empty() {
        return Ok(None);
    }
    for m in &rule.allowed_methods {
        if !CORS_METHODS.contains(&m.as_str()) {
            bail!("config key `cors.allowed_methods`: `{m}` is not one of GET, PUT, POST, DELETE, HEAD");
        }
    }
    for o in rule.allowed_origins.iter().chain(&rule.allowed_headers) {
        if o.matches('*').count() > 1 {
            bail!("config key `cors`: `{o}` has more than one `*` wildcard");
        }
    }
    if let Some(h) = rule.expose_headers.iter().find(|h| h.contains('*')) {
        bail!("config key `cors.expose_headers`: `{h}` must not contain a wildcard");
    }
    Ok(Some(rule))
}

/// The `[cors]` table for `--print-config`.
pub fn cors_toml(rule: Option<&CorsRule>) -> String {
    let Some(r) = rule else {
        return "# [cors]: not set (only buckets with their own CORS rules answer browsers)\n"
            .into();
    };
    let list = |v: &[String]| {
        let items: Vec<String> = v
            .iter()
            .map(|s| toml::Value::String(s.to_string()).to_string())
            .collect();
        format!("[{}]", items.join(", "))
    };
    let mut out = format!(
        "[cors]\nallowed_origins = {}\nallowed_methods = {}\nallowed_headers = {}\nexpose_headers = {}\n",
        list(&r.allowed_origins),
        list(&r.allowed_methods),
        list(&r.allowed_headers),
        list(&r.expose_headers)
    );
    if let Some(age) = r.max_age_seconds {
        out.push_str(&format!("max_age_seconds = {age}\n"));
    }
    out
}
