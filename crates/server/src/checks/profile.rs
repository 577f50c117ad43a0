//! A check profile: the named JSON document that says what an upload must be before it is
//! committed. Every section is optional:
//!
//! ```json
//! {"sniff": {"allow": ["image/png", "image/*"], "unknown": "refuse", "match_declared": true},
//!  "image": {"max_width": 8000, "max_height": 8000, "max_pixels": 40000000},
//!  "hook":  {"url": "http://127.0.0.1:8080/check", "secret": "whsec_...",
//!            "timeout_ms": 10000, "on_error": "refuse"}}
//! ```

use serde::{Deserialize, Serialize};

/// Longest profile name.
const MAX_NAME: usize = 64;

/// What is wrong with a profile document or name.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The document is not a profile (unknown field, wrong type).
    #[error("not a check profile: {0}")]
    Malformed(String),
    /// A field has a value outside what it accepts.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field, as `section.field`.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The name is not 1-64 of `A-Z a-z 0-9 . _ -`.
    #[error("check profile name `{0}` must be 1-64 characters of A-Z a-z 0-9 . _ -")]
    Name(String),
}

/// A check profile (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckProfile {
    /// Content sniffing rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sniff: Option<SniffRules>,
    /// Image dimension limits, read from the header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageLimits>,
    /// The blocking hook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook: Option<HookSettings>,
}

/// Whether content with no recognisable signature passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnknownVerdict {
    /// It passes (the other rules still apply to what is known).
    Allow,
    /// It is refused.
    Refuse,
}

/// Content sniffing rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SniffRules {
    /// Media types the sniffed type must match: exact (`image/png`), a whole top-level type
    /// (`image/*`) or anything (`*/*`). Absent: any type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow: Option<Vec<String>>,
    /// Content with no recognisable signature. Default: `refuse` when `allow` is set, else
    /// `allow`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown: Option<UnknownVerdict>,
    /// The sniffed type must equal the declared `Content-Type` (parameters and case aside).
    #[serde(default)]
    pub match_declared: bool,
    /// Refuse executables unless `allow` names their exact type. Default: whether `allow` is
    /// set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refuse_executables: Option<bool>,
    /// Refuse archives (zip, tar, gzip, 7z, rar, ...) unless `allow` names their exact type.
    /// Default: whether `allow` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refuse_archives: Option<bool>,
}

impl SniffRules {
    /// The verdict on unknown content, defaults applied.
    pub fn unknown_verdict(&self) -> UnknownVerdict {
        self.unknown.unwrap_or(if self.allow.is_some() {
            UnknownVerdict::Refuse
        } else {
            UnknownVerdict::Allow
        })
    }

    /// Whether executables are refused, defaults applied.
    pub fn refuses_executables(&self) -> bool {
        self.refuse_executables.unwrap_or(self.allow.is_some())
    }

    /// Whether archives are refused, defaults applied.
    pub fn refuses_archives(&self) -> bool {
        self.refuse_archives.unwrap_or(self.allow.is_some())
    }
}

/// Image dimension limits (checked for content sniffed as an image).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageLimits {
    /// Widest image, in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_width: Option<u64>,
    /// Tallest image, in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_height: Option<u64>,
    /// Most pixels (width times height).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pixels: Option<u64>,
}

/// What a hook's failure (timeout, connection error, bad answer) means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    /// The upload is refused (default).
    #[default]
    Refuse,
    /// The upload is accepted.
    Allow,
}

/// The blocking hook's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookSettings {
    /// Where the verdict is asked (`http` or `https`).
    pub url: String,
    /// Standard Webhooks secret (`whsec_` + base64) the request is signed with; generated when
    /// absent at definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// How long to wait for the verdict, in ms (default 10000, at most 120000).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// The verdict when the hook times out or fails.
    #[serde(default)]
    pub on_error: OnError,
}

fn default_timeout_ms() -> u64 {
    10_000
}

/// Longest hook timeout.
const MAX_TIMEOUT_MS: u64 = 120_000;

impl CheckProfile {
    /// Parses and validates a profile document.
    pub fn parse(json: &serde_json::Value) -> Result<CheckProfile, ProfileError> {
        let profile: CheckProfile = serde_json::from_value(json.clone())
            .map_err(|e| ProfileError::Malformed(e.to_string()))?;
        profile.validate()?;
        Ok(profile)
    }

    /// Checks every field's value.
    pub fn validate(&self) -> Result<(), ProfileError> {
        if let Some(sniff) = &self.sniff {
            if let Some(allow) = &sniff.allow {
                if allow.is_empty() {
                    return Err(invalid("sniff.allow", "an empty list allows nothing"));
                }
                for pattern in allow {
                    if !valid_pattern(pattern) {
                        return Err(invalid(
                            "sniff.allow",
                            format!("`{pattern}` is not a media type, `type/*` or `*/*`"),
                        ));
                    }
                }
            }
        }
        if let Some(image) = &self.image {
            for (field, v) in [
                ("image.max_width", image.max_width),
                ("image.max_height", image.max_height),
                ("image.max_pixels", image.max_pixels),
            ] {
                if v == Some(0) {
                    return Err(invalid(field, "must be at least 1"));
                }
            }
        }
        if let Some(hook) = &self.hook {
            let url = url::Url::parse(&hook.url)
                .map_err(|e| invalid("hook.url", format!("not a URL: {e}")))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(invalid("hook.url", "must be http or https"));
            }
            if let Some(secret) = &hook.secret {
                crate::notify::webhook_signature::WebhookSecret::parse(secret)
                    .map_err(|e| invalid("hook.secret", e.to_string()))?;
            }
            if hook.timeout_ms == 0 || hook.timeout_ms > MAX_TIMEOUT_MS {
                return Err(invalid(
                    "hook.timeout_ms",
                    format!("must be 1..={MAX_TIMEOUT_MS}"),
                ));
            }
        }
        Ok(())
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> ProfileError {
    ProfileError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// `type/subtype`, `type/*` or `*/*`, of token characters.
fn valid_pattern(p: &str) -> bool {
    let token = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
    };
    match p.split_once('/') {
        Some(("*", "*")) => true,
        Some((t, "*")) => token(t),
        Some((t, s)) => token(t) && token(s),
        None => false,
    }
}

/// Profile names: 1 to 64 of `A-Z a-z 0-9 . _ -`.
pub fn validate_name(name: &str) -> Result<(), ProfileError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ProfileError::Name(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_issue_example() {
        let p = CheckProfile::parse(&json!({
            "sniff": {"allow": ["image/png", "image/jpeg"], "unknown": "refuse", "match_declared": true},
            "image": {"max_width": 8000, "max_height": 8000, "max_pixels": 40000000},
            "hook": {"url": "http://127.0.0.1:8080/check", "timeout_ms": 10000, "on_error": "refuse"}
        }))
        .unwrap();
        assert_eq!(p.hook.unwrap().on_error, OnError::Refuse);
        assert!(p.sniff.unwrap().refuses_executables());
    }

    #[test]
    fn refuses_bad_documents() {
        for bad in [
            json!({"sniff": {"allow": []}}),
            json!({"sniff": {"allow": ["png"]}}),
            json!({"sniff": {"unknown": "maybe"}}),
            json!({"image": {"max_pixels": 0}}),
            json!({"hook": {"url": "ftp://x/"}}),
            json!({"hook": {"url": "http://x/", "timeout_ms": 0}}),
            json!({"scan": {}}),
        ] {
            assert!(CheckProfile::parse(&bad).is_err(), "{bad}");
        }
        assert!(validate_name("images-1.0_a").is_ok());
        assert!(validate_name("a/b").is_err());
        assert!(validate_name("").is_err());
    }
}
