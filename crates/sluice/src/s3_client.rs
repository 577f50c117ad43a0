//! A small SigV4 header-signing HTTP client for the CLI (uploads, bundles, service API).

use crate::aws_profile::ClientSettings;
use anyhow::{anyhow, bail, Context, Result};
use sluice_sigv4::{encode_object_path, sign_headers_v4, uri_encode, SigningRequest};

/// A signed-request client bound to one endpoint.
#[derive(Clone)]
pub struct S3Client {
    http: reqwest::Client,
    settings: ClientSettings,
    scheme: String,
    host: String,
    base_path: String,
}

/// `UNSIGNED-PAYLOAD`: bodies are protected by Content-MD5 instead of a SHA-256 pre-pass.
pub const UNSIGNED: &str = "UNSIGNED-PAYLOAD";

impl S3Client {
    /// A client for the resolved settings.
    pub fn new(settings: ClientSettings) -> Result<Self> {
        let url = url::Url::parse(&settings.endpoint)
            .with_context(|| format!("endpoint `{}` is not a URL", settings.endpoint))?;
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => bail!("endpoint `{}` has no host", settings.endpoint),
        };
        Ok(S3Client {
            http: reqwest::Client::builder().build()?,
            scheme: url.scheme().to_string(),
            base_path: url.path().trim_end_matches('/').to_string(),
            host,
            settings,
        })
    }

    /// The encoded path of an object.
    pub fn object_path(&self, bucket: &str, key: &str) -> String {
        format!("{}{}", self.base_path, encode_object_path(bucket, key))
    }

    /// The encoded path of a service API route (`/_sluice/...`).
    pub fn service_path(&self, route: &str) -> String {
        format!("{}/_sluice/{route}", self.base_path)
    }

    /// Sends a header-signed request. `payload_hash` is the hex SHA-256 of the body or
    /// [`UNSIGNED`].
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        headers: &[(String, String)],
        body: reqwest::Body,
        payload_hash: &str,
    ) -> Result<reqwest::Response> {
        let raw_query = query
            .iter()
            .map(|(k, v)| format!("{}={}", uri_encode(k, true), uri_encode(v, true)))
            .collect::<Vec<_>>()
            .join("&");
        let signed = sign_headers_v4(
            &self.settings.credentials,
            &SigningRequest {
                method,
                host: &self.host,
                raw_path: path,
                raw_query: &raw_query,
                headers,
                payload_hash,
                region: &self.settings.region,
                service: "s3",
                datetime: time::OffsetDateTime::now_utc(),
            },
        );
        let url = if raw_query.is_empty() {
            format!("{}://{}{path}", self.scheme, self.host)
        } else {
            format!("{}://{}{path}?{raw_query}", self.scheme, self.host)
        };
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut req = self.http.request(method, url).body(body);
        for (k, v) in headers.iter().chain(signed.iter()) {
            req = req.header(k, v);
        }
        req.send()
            .await
            .map_err(|e| anyhow!("request to {} failed: {e}", self.settings.endpoint))
    }
}

/// Turns a non-success response into an error naming the S3 code and message.
pub async fn check(resp: reqwest::Response, what: &str) -> Result<reqwest::Response> {
    if resp.status().is_success() {
        return Ok(resp);
    }
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    Err(anyhow!("{what}: {}", describe_error(status, &text)))
}

/// `HTTP 403 AccessDenied: Access Denied` from an S3 XML or a JSON error body.
pub fn describe_error(status: u16, body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        if let (Some(c), Some(m)) = (v["error"].as_str(), v["message"].as_str()) {
            return format!("HTTP {status} {c}: {m}");
        }
    }
    match (xml_text(body, "Code"), xml_text(body, "Message")) {
        (Some(c), Some(m)) => format!("HTTP {status} {c}: {m}"),
        (Some(c), None) => format!("HTTP {status} {c}"),
        _ => format!("HTTP {status}"),
    }
}

/// The text of the first `<name>` element (entities decoded).
pub fn xml_text(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{name}>"))? + start;
    quick_xml::escape::unescape(&body[start..end])
        .ok()
        .map(|s| s.into_owned())
}
