//! Notification targets: where events go. A target is stored as a `TargetRecord` whose `config` is
//! the JSON form of [`TargetConfig`]; its ARN is `arn:sluice:sqs:REGION:ID:webhook` (or `:nats`).

use super::webhook_signature::WebhookSecret;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Default time a webhook has to answer.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;

/// A target's settings, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum TargetConfig {
    /// HTTP POST of each event, signed per Standard Webhooks.
    Webhook(WebhookTarget),
    /// A NATS subject.
    Nats(NatsTarget),
}

/// An HTTP endpoint that receives events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookTarget {
    /// `http://` or `https://` URL the events are POSTed to.
    pub url: String,
    /// The `whsec_...` signing secret.
    pub secret: String,
    /// How long the endpoint has to answer, ms.
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
    /// Extra headers sent with every delivery.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// What happens when undelivered events pile up.
    #[serde(flatten)]
    pub backlog: BacklogPolicy,
}

/// What a target does when its undelivered events pass `backlog_max`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BacklogPolicy {
    /// Undelivered events beyond which the policy applies (none: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backlog_max: Option<u64>,
    /// `alert` (default: writes go on; a warning is logged and the backlog metrics show it) or
    /// `block` (writes that would emit to the target answer 503 SlowDown until it drains).
    #[serde(default, skip_serializing_if = "OnBacklog::is_alert")]
    pub on_backlog: OnBacklog,
}

/// The choice of [`BacklogPolicy::on_backlog`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnBacklog {
    /// Keep accepting writes; log and show it.
    #[default]
    Alert,
    /// Refuse writes that would emit to the target.
    Block,
}

impl OnBacklog {
    fn is_alert(&self) -> bool {
        *self == OnBacklog::Alert
    }
}

/// A NATS server and subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NatsTarget {
    /// `nats://HOST:PORT`.
    pub url: String,
    /// The subject events are published on.
    pub subject: String,
    /// What happens when undelivered events pile up.
    #[serde(flatten)]
    pub backlog: BacklogPolicy,
}

fn default_timeout() -> u64 {
    DEFAULT_TIMEOUT_MS
}

/// Why a target definition is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    /// Ids name the target in ARNs and URLs.
    #[error("a target id is 1 to 64 characters of letters, digits, '-' and '_'")]
    BadId,
    /// Not an http(s) / nats URL.
    #[error("{0}")]
    BadUrl(String),
    /// The webhook secret is malformed.
    #[error(transparent)]
    Secret(#[from] super::webhook_signature::SecretError),
    /// A NATS subject is dot-separated tokens without spaces or wildcards.
    #[error("a NATS subject is dot-separated tokens, without spaces or wildcards")]
    BadSubject,
    /// `feed` is the built-in pull feed.
    #[error("`feed` is the built-in pull feed; choose another id")]
    Reserved,
    /// Timeouts are 1 ms to 5 minutes.
    #[error("timeout_ms must be between 1 and 300000")]
    BadTimeout,
}

impl TargetConfig {
    /// The kind's name, as in the ARN: `webhook` or `nats`.
    pub fn kind(&self) -> &'static str {
        match self {
            TargetConfig::Webhook(_) => "webhook",
            TargetConfig::Nats(_) => "nats",
        }
    }

    /// The target's backlog policy.
    pub fn backlog(&self) -> &BacklogPolicy {
        match self {
            TargetConfig::Webhook(w) => &w.backlog,
            TargetConfig::Nats(n) => &n.backlog,
        }
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<(), TargetError> {
        match self {
            TargetConfig::Webhook(w) => {
                let url = url::Url::parse(&w.url)
                    .map_err(|e| TargetError::BadUrl(format!("webhook url: {e}")))?;
                if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                    return Err(TargetError::BadUrl(
                        "a webhook url is http:// or https:// with a host".into(),
                    ));
                }
                WebhookSecret::parse(&w.secret)?;
                if !(1..=300_000).contains(&w.timeout_ms) {
                    return Err(TargetError::BadTimeout);
                }
                Ok(())
            }
            TargetConfig::Nats(n) => {
                let url = url::Url::parse(&n.url)
                    .map_err(|e| TargetError::BadUrl(format!("nats url: {e}")))?;
                if url.scheme() != "nats" || url.host_str().is_none() {
                    return Err(TargetError::BadUrl("a nats url is nats://HOST:PORT".into()));
                }
                let ok = !n.subject.is_empty()
                    && n.subject.split('.').all(|t| {
                        !t.is_empty() && !t.contains(['*', '>']) && !t.contains(char::is_whitespace)
                    });
                if !ok {
                    return Err(TargetError::BadSubject);
                }
                Ok(())
            }
        }
    }
}

/// Checks the id of a target being defined: [`validate_id`], and not the built-in feed's.
pub fn validate_new_id(id: &str) -> Result<(), TargetError> {
    validate_id(id)?;
    if super::feed::is_feed(id) {
        return Err(TargetError::Reserved);
    }
    Ok(())
}

/// Checks a target id.
pub fn validate_id(id: &str) -> Result<(), TargetError> {
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(TargetError::BadId)
    }
}

/// The target's ARN: `arn:sluice:sqs:REGION:ID:KIND`.
pub fn arn(region: &str, id: &str, kind: &str) -> String {
    format!("arn:sluice:sqs:{region}:{id}:{kind}")
}

/// The target id an ARN names (`None` when it is not a Sluice target ARN of this region).
pub fn id_from_arn<'a>(region: &str, arn: &'a str) -> Option<&'a str> {
    let rest = arn.strip_prefix("arn:sluice:sqs:")?;
    let rest = rest.strip_prefix(region)?.strip_prefix(':')?;
    let (id, kind) = rest.split_once(':')?;
    let known = match kind {
        "webhook" | "nats" => true,
        super::feed::FEED_KIND => super::feed::is_feed(id),
        _ => false,
    };
    known.then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_round_trip() {
        let a = arn("us-east-1", "orders", "webhook");
        assert_eq!(a, "arn:sluice:sqs:us-east-1:orders:webhook");
        assert_eq!(id_from_arn("us-east-1", &a), Some("orders"));
        assert_eq!(id_from_arn("eu-west-1", &a), None);
        assert_eq!(
            id_from_arn("us-east-1", "arn:aws:sqs:us-east-1:1234:q"),
            None
        );
        assert_eq!(
            id_from_arn("us-east-1", "arn:sluice:sqs:us-east-1:x:kafka"),
            None
        );
        assert_eq!(
            id_from_arn("us-east-1", "arn:sluice:sqs:us-east-1:feed:pull"),
            Some("feed")
        );
        assert_eq!(
            id_from_arn("us-east-1", "arn:sluice:sqs:us-east-1:orders:pull"),
            None
        );
        assert_eq!(validate_new_id("feed"), Err(TargetError::Reserved));
        assert_eq!(validate_new_id("feeds"), Ok(()));
    }

    #[test]
    fn validates_settings() {
        let good = TargetConfig::Webhook(WebhookTarget {
            url: "http://127.0.0.1:8080/hook".into(),
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
            timeout_ms: 1000,
            headers: Default::default(),
            backlog: Default::default(),
        });
        assert_eq!(good.validate(), Ok(()));
        let mut bad = good.clone();
        if let TargetConfig::Webhook(w) = &mut bad {
            w.url = "ftp://x/".into();
        }
        assert!(matches!(bad.validate(), Err(TargetError::BadUrl(_))));
        let nats = TargetConfig::Nats(NatsTarget {
            url: "nats://127.0.0.1:4222".into(),
            subject: "uploads.done".into(),
            backlog: Default::default(),
        });
        assert_eq!(nats.validate(), Ok(()));
        for subject in ["", "a..b", "a.*", "a b", "a.>"] {
            let n = TargetConfig::Nats(NatsTarget {
                url: "nats://127.0.0.1:4222".into(),
                subject: subject.into(),
                backlog: Default::default(),
            });
            assert_eq!(n.validate(), Err(TargetError::BadSubject), "{subject}");
        }
        assert_eq!(validate_id("orders_1-a"), Ok(()));
        assert_eq!(validate_id(""), Err(TargetError::BadId));
        assert_eq!(validate_id("a/b"), Err(TargetError::BadId));
    }

    #[test]
    fn json_form_is_tagged_by_type() {
        let t: TargetConfig = serde_json::from_str(
            r#"{"type":"webhook","url":"http://h/","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}"#,
        )
        .unwrap();
        assert_eq!(t.kind(), "webhook");
        let TargetConfig::Webhook(w) = t else {
            panic!()
        };
        assert_eq!(w.timeout_ms, DEFAULT_TIMEOUT_MS);
    }
}
