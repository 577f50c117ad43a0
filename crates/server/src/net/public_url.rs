//! The public address of the S3 endpoint: what minted URLs name, whatever Host the caller used.
//!
//! A backend usually reaches Sluice by an internal name (`http://sluice:9000`) while browsers need
//! the public one (`https://uploads.example.com`). With `--public-url` the mint API, the POST form
//! minting and the console sign for the first public URL; without it, for the
//! `X-Forwarded-Host` / `X-Forwarded-Proto` a trusted proxy (`--trust-forwarded`) sent, else for
//! the request's own Host. Verification accepts a signature made for any public host (see
//! [`crate::auth::authn`]).

use crate::config::ServerConfig;
use http::request::Parts;
use std::net::IpAddr;

/// A configured public URL: scheme and `host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    /// `http` or `https`.
    pub scheme: String,
    /// `host[:port]` as clients send it in `Host` (the port only when not the scheme's default).
    pub host: String,
}

/// Why a `--public-url` value is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PublicUrlError {
    /// Not `http://HOST[:PORT]` or `https://HOST[:PORT]`.
    #[error("`{0}` is not a URL like https://uploads.example.com (http or https, a host, an optional port, no path)")]
    Malformed(String),
}

impl PublicUrl {
    /// Parses `http(s)://host[:port][/]`; a default port (80 for http, 443 for https) is dropped,
    /// as clients leave it out of `Host`.
    pub fn parse(text: &str) -> Result<PublicUrl, PublicUrlError> {
        let bad = || PublicUrlError::Malformed(text.to_string());
        let (scheme, rest) = text.trim().split_once("://").ok_or_else(bad)?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => "80",
            "https" => "443",
            _ => return Err(bad()),
        };
        let host = rest.strip_suffix('/').unwrap_or(rest).to_ascii_lowercase();
        let valid = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
        if !valid {
            return Err(bad());
        }
        let host = match host.rsplit_once(':') {
            Some((name, port)) if port == default_port && !name.is_empty() => name.to_string(),
            _ => host,
        };
        Ok(PublicUrl { scheme, host })
    }

    /// `scheme://host`.
    pub fn base(&self) -> String {
        format!("{}://{}", self.scheme, self.host)
    }
}

/// Whether `remote` is a proxy whose `X-Forwarded-Host/Proto` the server honours.
pub fn is_trusted_proxy(config: &ServerConfig, remote: IpAddr) -> bool {
    config
        .trust_forwarded
        .iter()
        .any(|net| net.contains(remote))
}

/// The scheme and `host[:port]` URLs minted for this request must name: the first public URL,
/// else a trusted proxy's forwarded host, else the request's Host.
pub fn minting_base(config: &ServerConfig, parts: &Parts, remote: IpAddr) -> PublicUrl {
    if let Some(first) = config.public_urls.first() {
        return first.clone();
    }
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or(v).trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let own_scheme = crate::net::tls::s3_scheme(config).to_string();
    if is_trusted_proxy(config, remote) {
        if let Some(host) = header("x-forwarded-host") {
            let scheme = header("x-forwarded-proto")
                .map(|p| p.to_ascii_lowercase())
                .filter(|p| p == "http" || p == "https")
                .unwrap_or(own_scheme);
            return PublicUrl { scheme, host };
        }
    }
    PublicUrl {
        scheme: own_scheme,
        host: header("host").unwrap_or_else(|| "localhost".to_string()),
    }
}

/// The scheme of the public URL whose host is `host`, else the listener's own.
pub fn scheme_for_host(config: &ServerConfig, host: &str) -> &'static str {
    match config
        .public_urls
        .iter()
        .find(|u| u.host.eq_ignore_ascii_case(host))
    {
        Some(u) if u.scheme == "https" => "https",
        Some(_) => "http",
        None => crate::net::tls::s3_scheme(config),
    }
}

/// The scheme of URLs minted for `host` in answer to this request: a public URL's, else the
/// `X-Forwarded-Proto` of a trusted proxy that forwarded that host, else the listener's own.
pub fn scheme_for(
    config: &ServerConfig,
    parts: &Parts,
    remote: IpAddr,
    host: &str,
) -> &'static str {
    if config.public_urls.is_empty() && is_trusted_proxy(config, remote) {
        let forwarded = minting_base(config, parts, remote);
        if forwarded.host == host {
            return if forwarded.scheme == "https" {
                "https"
            } else {
                "http"
            };
        }
    }
    scheme_for_host(config, host)
}

/// Whether `remote` may set the host this request is judged for; then the `X-Forwarded-Host`.
pub fn trusted_forwarded_host(
    config: &ServerConfig,
    parts: &Parts,
    remote: IpAddr,
) -> Option<String> {
    if !is_trusted_proxy(config, remote) {
        return None;
    }
    parts
        .headers
        .get("x-forwarded-host")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').next().unwrap_or(v).trim().to_string())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_parse() {
        let u = PublicUrl::parse("https://Uploads.Example.com/").unwrap();
        assert_eq!(
            (u.scheme.as_str(), u.host.as_str()),
            ("https", "uploads.example.com")
        );
        assert_eq!(
            PublicUrl::parse("https://u.example:443").unwrap().host,
            "u.example"
        );
        assert_eq!(
            PublicUrl::parse("http://u.example:8080").unwrap().host,
            "u.example:8080"
        );
        assert_eq!(
            PublicUrl::parse("http://[::1]:9000").unwrap().host,
            "[::1]:9000"
        );
        for bad in [
            "uploads.example.com",
            "ftp://x",
            "https://",
            "https://x/path",
            "https://a b",
        ] {
            assert!(PublicUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
