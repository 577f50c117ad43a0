//! A small SigV4-signing HTTP client for the admin API.

use crate::aws_profile::ClientSettings;
use anyhow::{anyhow, bail, Context, Result};
use sha2::{Digest, Sha256};
use sluice_sigv4::{sign_headers_v4, uri_encode, SigningRequest};
use time::OffsetDateTime;

/// Path prefix of the admin API, from the server root.
pub const ADMIN_BASE: &str = "/_sluice/admin/v1";

/// Talks to one server as one identity.
pub struct AdminClient {
    settings: ClientSettings,
    base: url::Url,
    http: reqwest::Client,
}

impl AdminClient {
    /// A client for the resolved endpoint and credentials.
    pub fn new(settings: ClientSettings) -> Result<Self> {
        let base = url::Url::parse(&settings.endpoint)
            .with_context(|| format!("endpoint `{}` is not a URL", settings.endpoint))?;
        if base.host_str().is_none() {
            bail!("endpoint `{}` has no host", settings.endpoint);
        }
        Ok(AdminClient {
            settings,
            base,
            http: reqwest::Client::new(),
        })
    }

    /// Sends `method` to the admin path built from `segments` (each percent-encoded), with an
    /// optional query and body, and returns the JSON answer or the server's error message.
    pub async fn call(
        &self,
        method: &str,
        segments: &[&str],
        query: Option<(&str, &str)>,
        body: Option<Vec<u8>>,
    ) -> Result<serde_json::Value> {
        let mut path = ADMIN_BASE.to_string();
        for s in segments {
            path.push('/');
            path.push_str(&uri_encode(s, true));
        }
        let query: Vec<(&str, &str)> = query.into_iter().collect();
        self.call_path(method, &path, &query, body).await
    }

    /// Sends `method` to `path` (already percent-encoded, from the server's root, e.g.
    /// `/_sluice/v1/events`) with query pairs (sorted here, as SigV4 signs them) and an optional
    /// body; returns the JSON answer or the server's error message.
    pub async fn call_path(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Result<serde_json::Value> {
        let prefix = self.base.path().trim_end_matches('/');
        let raw_path = format!("{prefix}{path}");
        let mut pairs: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (uri_encode(k, true), uri_encode(v, true)))
            .collect();
        pairs.sort();
        let raw_query = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let host = match (self.base.host_str(), self.base.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => bail!("endpoint has no host"),
        };
        let body = body.unwrap_or_default();
        let payload_hash = hex::encode(Sha256::digest(&body));
        let content_type = vec![("content-type".to_string(), "application/json".to_string())];
        let signed = sign_headers_v4(
            &self.settings.credentials,
            &SigningRequest {
                method,
                host: &host,
                raw_path: &raw_path,
                raw_query: &raw_query,
                headers: &content_type,
                payload_hash: &payload_hash,
                region: &self.settings.region,
                service: "s3",
                datetime: OffsetDateTime::now_utc(),
            },
        );
        let mut url = format!("{}://{host}{raw_path}", self.base.scheme());
        if !raw_query.is_empty() {
            url.push('?');
            url.push_str(&raw_query);
        }
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut req = self
            .http
            .request(method, &url)
            .header("content-type", "application/json")
            .body(body);
        for (k, v) in signed {
            req = req.header(k, v);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("cannot reach {}", self.settings.endpoint))?;
        let status = resp.status();
        let text = resp.text().await.context("reading the answer")?;
        let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|_| {
            // Errors raised before the admin API (e.g. a bad signature) may come as S3 XML.
            serde_json::json!({"error": {"code": xml_field(&text, "Code"), "message": xml_field(&text, "Message")}})
        });
        if !status.is_success() {
            // The admin API nests `{"error": {"code", "message"}}`; the service API answers
            // `{"error": CODE, "message"}`.
            let (code, message) = match &value["error"] {
                serde_json::Value::String(code) => (code.as_str(), &value["message"]),
                err => (err["code"].as_str().unwrap_or("Error"), &err["message"]),
            };
            let message = message.as_str().unwrap_or("");
            return Err(anyhow!("{code} ({}): {message}", status.as_u16()));
        }
        Ok(value)
    }
}

fn xml_field(body: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    body.find(&open)
        .and_then(|s| {
            let start = s + open.len();
            body[start..]
                .find(&close)
                .map(|e| body[start..start + e].to_string())
        })
        .unwrap_or_default()
}
