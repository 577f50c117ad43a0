//! The blocking hook: an HTTP POST asking an outside service for the verdict on an upload,
//! signed like webhook deliveries (Standard Webhooks headers).
//!
//! The hook answers `{"allow": true}`, `{"allow": false, "message": "..."}`, optionally with
//! `"metadata": {"name": "value"}` stored as `x-amz-meta-*` on the accepted object. A timeout,
//! a connection failure, a non-2xx status or an answer that is not such a document is an error,
//! judged by the profile's `on_error`.

use super::profile::HookSettings;
use crate::notify::webhook_signature::WebhookSecret;
use std::sync::OnceLock;
use std::time::Duration;

/// Largest hook answer read.
const MAX_ANSWER: usize = 64 * 1024;
/// Longest message taken from a hook.
const MAX_MESSAGE: usize = 1024;

/// What the hook decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookVerdict {
    /// Commit, adding this user metadata (names without the `x-amz-meta-` prefix).
    Allow(Vec<(String, String)>),
    /// Refuse, with the hook's message.
    Refuse(String),
}

/// Why the hook gave no verdict.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// No answer in time.
    #[error("the hook did not answer within {0} ms")]
    Timeout(u64),
    /// The request failed.
    #[error("the hook could not be reached: {0}")]
    Unreachable(String),
    /// The hook answered with a status other than 2xx.
    #[error("the hook answered {0}")]
    Status(u16),
    /// The answer is not a verdict document.
    #[error("the hook's answer is not a verdict: {0}")]
    BadAnswer(String),
    /// The profile's secret is unusable.
    #[error("the hook's secret is unusable")]
    Secret,
}

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default()
    })
}

/// POSTs `body` to the hook and reads its verdict. `id` is the request's `webhook-id`.
pub async fn ask(
    settings: &HookSettings,
    id: &str,
    body: &serde_json::Value,
) -> Result<HookVerdict, HookError> {
    let message = body.to_string();
    let timeout = Duration::from_millis(settings.timeout_ms);
    let mut req = client()
        .post(&settings.url)
        .timeout(timeout)
        .header("content-type", "application/json");
    if let Some(secret) = &settings.secret {
        let secret = WebhookSecret::parse(secret).map_err(|_| HookError::Secret)?;
        let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
        req = req
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                secret.sign(id, timestamp, message.as_bytes()),
            );
    }
    let exchange = async {
        let resp = req.body(message).send().await?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        Ok::<_, reqwest::Error>((status, bytes))
    };
    let (status, bytes) = match tokio::time::timeout(timeout, exchange).await {
        Err(_) => return Err(HookError::Timeout(settings.timeout_ms)),
        Ok(Err(e)) if e.is_timeout() => return Err(HookError::Timeout(settings.timeout_ms)),
        Ok(Err(e)) => return Err(HookError::Unreachable(e.to_string())),
        Ok(Ok(r)) => r,
    };
    if !status.is_success() {
        return Err(HookError::Status(status.as_u16()));
    }
    if bytes.len() > MAX_ANSWER {
        return Err(HookError::BadAnswer("longer than 64 KiB".into()));
    }
    parse_verdict(&bytes)
}

/// Reads a verdict document.
pub fn parse_verdict(bytes: &[u8]) -> Result<HookVerdict, HookError> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| HookError::BadAnswer(e.to_string()))?;
    let allow = v
        .get("allow")
        .and_then(serde_json::Value::as_bool)
        .ok_or_else(|| HookError::BadAnswer("`allow` (true or false) is required".into()))?;
    if !allow {
        let mut message = v
            .get("message")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("refused by the hook")
            .to_string();
        if message.len() > MAX_MESSAGE {
            let mut end = MAX_MESSAGE;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
        }
        return Ok(HookVerdict::Refuse(message));
    }
    let mut metadata = Vec::new();
    if let Some(m) = v.get("metadata") {
        let m = m
            .as_object()
            .ok_or_else(|| HookError::BadAnswer("`metadata` must be an object".into()))?;
        for (name, value) in m {
            let value = value.as_str().ok_or_else(|| {
                HookError::BadAnswer(format!("metadata `{name}` must be a string"))
            })?;
            let valid_name = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            let valid_value = value
                .bytes()
                .all(|b| (0x20..0x7f).contains(&b) || b == b'\t');
            if !valid_name || !valid_value {
                return Err(HookError::BadAnswer(format!(
                    "metadata `{name}` is not a valid header name and value"
                )));
            }
            metadata.push((name.to_ascii_lowercase(), value.to_string()));
        }
    }
    Ok(HookVerdict::Allow(metadata))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        assert_eq!(
            parse_verdict(br#"{"allow":true}"#).unwrap(),
            HookVerdict::Allow(vec![])
        );
        assert_eq!(
            parse_verdict(br#"{"allow":false,"message":"virus"}"#).unwrap(),
            HookVerdict::Refuse("virus".into())
        );
        assert_eq!(
            parse_verdict(br#"{"allow":true,"metadata":{"Scanned":"yes"}}"#).unwrap(),
            HookVerdict::Allow(vec![("scanned".into(), "yes".into())])
        );
        assert!(parse_verdict(b"{}").is_err());
        assert!(parse_verdict(br#"{"allow":true,"metadata":{"a b":"c"}}"#).is_err());
    }
}
