//! The constraint fields of a mint request (`content_length_range`, `not_before`,
//! `source_ip`), validated and turned into signed `x-sluice-*` query parameters.

use super::json_error::ApiError;
use crate::auth::url_constraints::{
    parse_cidrs, SizeRange, CHECKS, CONTENT_LENGTH_RANGE, CONTENT_TYPE, MAX_PAYLOAD, NOTIFY,
    NOT_BEFORE, PAYLOAD, SOURCE_IP,
};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Validated constraints for the URLs of one mint request.
#[derive(Debug, Clone, Default)]
pub struct MintConstraints {
    /// Body size range (PUT only).
    pub size: Option<SizeRange>,
    /// Start of validity, as given (RFC 3339).
    pub not_before: Option<String>,
    /// Client networks, comma-joined.
    pub source_ip: Option<String>,
    /// Notification target of the URLs' receipt.
    pub notify: Option<String>,
    /// Client payload of the receipt.
    pub payload: Option<String>,
    /// Check profile uploads through the URLs must pass.
    pub checks: Option<String>,
}

/// The raw JSON fields.
#[derive(Debug, Clone, Copy)]
pub struct ConstraintFields<'a> {
    /// `content_length_range`: `[min, max]`.
    pub content_length_range: Option<&'a Value>,
    /// `not_before`: RFC 3339 string.
    pub not_before: Option<&'a Value>,
    /// `source_ip`: list of CIDR strings.
    pub source_ip: Option<&'a Value>,
    /// `notify`: `{"target": ID, "payload": STR?}`.
    pub notify: Option<&'a Value>,
    /// `checks`: a check profile name.
    pub checks: Option<&'a Value>,
}

fn size_range(v: &Value) -> Result<SizeRange, ApiError> {
    const FIELD: &str = "content_length_range";
    let bad = || ApiError::bad_field(FIELD, "must be [min, max] byte counts with min <= max");
    let arr = v.as_array().filter(|a| a.len() == 2).ok_or_else(bad)?;
    let min = arr[0].as_u64().ok_or_else(bad)?;
    let max = arr[1].as_u64().ok_or_else(bad)?;
    if min > max {
        return Err(bad());
    }
    Ok(SizeRange { min, max })
}

/// `{"target": ID, "payload": STR?}`: a target id and a payload of at most 1 KiB.
fn notify_field(v: &Value) -> Result<(String, Option<String>), ApiError> {
    let bad = |why: &str| ApiError::bad_field("notify", why);
    let obj = v
        .as_object()
        .ok_or_else(|| bad("must be {\"target\": ID, \"payload\": \"...\"}"))?;
    if let Some(k) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "target" | "payload"))
    {
        return Err(bad(&format!(
            "has an unknown field `{k}` (target, payload)"
        )));
    }
    let target = obj
        .get("target")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("needs `target`, a notification target id"))?;
    crate::notify::targets::validate_id(target).map_err(|e| bad(&e.to_string()))?;
    let payload = match obj.get("payload") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) if p.len() <= MAX_PAYLOAD => Some(p.clone()),
        Some(Value::String(_)) => return Err(bad("payload is longer than 1024 bytes")),
        Some(_) => return Err(bad("payload must be a string")),
    };
    Ok((target.to_string(), payload))
}

impl MintConstraints {
    /// Validates the fields. `method` is the (upper-case) method minted for; `now` and
    /// `expires_in` bound `not_before` (a URL that could never be used is refused).
    pub fn parse(
        f: ConstraintFields<'_>,
        method: &str,
        now: OffsetDateTime,
        expires_in: u64,
    ) -> Result<MintConstraints, ApiError> {
        let mut c = MintConstraints::default();
        if let Some(v) = f.content_length_range {
            if method != "PUT" && method != "TUS" {
                return Err(ApiError::bad_field(
                    "content_length_range",
                    "only applies to PUT and TUS",
                ));
            }
            c.size = Some(size_range(v)?);
        }
        if let Some(v) = f.not_before {
            let s = v.as_str().ok_or_else(|| {
                ApiError::bad_field("not_before", "must be an RFC 3339 timestamp string")
            })?;
            let t = OffsetDateTime::parse(s, &Rfc3339)
                .map_err(|_| ApiError::bad_field("not_before", "must be an RFC 3339 timestamp"))?;
            if t >= now + time::Duration::seconds(expires_in as i64) {
                return Err(ApiError::bad_field(
                    "not_before",
                    "is at or after the URL's expiry; the URL could never be used",
                ));
            }
            c.not_before = Some(s.to_string());
        }
        if let Some(v) = f.source_ip {
            let bad = || {
                ApiError::bad_field(
                    "source_ip",
                    "must be a non-empty list of CIDRs such as \"203.0.113.0/24\"",
                )
            };
            let list: Vec<&str> = v
                .as_array()
                .ok_or_else(bad)?
                .iter()
                .map(|e| e.as_str().ok_or_else(bad))
                .collect::<Result<_, _>>()?;
            let joined = list.join(",");
            if list.iter().any(|s| s.contains(',')) || parse_cidrs(&joined).is_none() {
                return Err(bad());
            }
            c.source_ip = Some(joined);
        }
        if let Some(v) = f.notify {
            let (target, payload) = notify_field(v)?;
            c.notify = Some(target);
            c.payload = payload;
        }
        if let Some(v) = f.checks {
            let name = v
                .as_str()
                .ok_or_else(|| ApiError::bad_field("checks", "must be a check profile name"))?;
            crate::checks::profile::validate_name(name)
                .map_err(|e| ApiError::bad_field("checks", e.to_string()))?;
            c.checks = Some(name.to_string());
        }
        Ok(c)
    }

    /// Query parameters for a URL. `size` selects whether the size range applies (PUT
    /// object and part URLs); `content_type` pins the request's Content-Type.
    pub fn query(
        &self,
        size: Option<SizeRange>,
        content_type: Option<&str>,
    ) -> Vec<(String, String)> {
        let mut q = Vec::new();
        if let Some(r) = size {
            q.push((
                CONTENT_LENGTH_RANGE.to_string(),
                format!("{},{}", r.min, r.max),
            ));
        }
        if let Some(t) = content_type {
            q.push((CONTENT_TYPE.to_string(), t.to_string()));
        }
        if let Some(t) = &self.not_before {
            q.push((NOT_BEFORE.to_string(), t.clone()));
        }
        if let Some(s) = &self.source_ip {
            q.push((SOURCE_IP.to_string(), s.clone()));
        }
        if let Some(t) = &self.notify {
            q.push((NOTIFY.to_string(), t.clone()));
        }
        if let Some(p) = &self.payload {
            q.push((PAYLOAD.to_string(), p.clone()));
        }
        if let Some(c) = &self.checks {
            q.push((CHECKS.to_string(), c.clone()));
        }
        q
    }

    /// The size range for each part URL of a multipart bundle: the maximum applies to every
    /// part; the minimum is not enforced per part (the last part is naturally short).
    pub fn part_size(&self) -> Option<SizeRange> {
        self.size.map(|r| SizeRange { min: 0, max: r.max })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(
        clr: Option<Value>,
        nb: Option<Value>,
        ip: Option<Value>,
    ) -> Result<MintConstraints, ApiError> {
        MintConstraints::parse(
            ConstraintFields {
                content_length_range: clr.as_ref(),
                not_before: nb.as_ref(),
                source_ip: ip.as_ref(),
                notify: None,
                checks: None,
            },
            "PUT",
            OffsetDateTime::UNIX_EPOCH,
            3600,
        )
    }

    #[test]
    fn validates_each_field() {
        let ok = parse(
            Some(json!([1, 10])),
            Some(json!("1970-01-01T00:30:00Z")),
            Some(json!(["10.0.0.0/8", "::1"])),
        )
        .unwrap();
        assert_eq!(ok.source_ip.as_deref(), Some("10.0.0.0/8,::1"));
        for (clr, nb, ip, field) in [
            (Some(json!([10, 1])), None, None, "content_length_range"),
            (Some(json!("1,10")), None, None, "content_length_range"),
            (None, Some(json!("soon")), None, "not_before"),
            (
                None,
                Some(json!("1970-01-01T02:00:00Z")),
                None,
                "not_before",
            ),
            (None, None, Some(json!([])), "source_ip"),
            (None, None, Some(json!(["10.0.0.0/8,1.2.3.4"])), "source_ip"),
            (None, None, Some(json!("10.0.0.0/8")), "source_ip"),
        ] {
            let e = parse(clr, nb, ip).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field));
        }
    }
}
