//! The POST policy document: `expiration` and `conditions`, evaluated against the form
//! fields as AWS does (the signature over it is checked by `sluice-sigv4`).

use serde_json::Value;
use sluice_s3::S3Error;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Form fields no condition has to cover.
const EXEMPT_FIELDS: [&str; 5] = [
    "x-amz-signature",
    "file",
    "policy",
    "awsaccesskeyid",
    "signature",
];

/// One condition of the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Condition {
    /// `["eq", "$field", "value"]` or `{"field": "value"}`.
    Eq { field: String, value: String },
    /// `["starts-with", "$field", "prefix"]` (empty prefix: any value).
    StartsWith { field: String, prefix: String },
    /// `["content-length-range", min, max]`.
    LengthRange { min: u64, max: u64 },
}

/// A parsed policy document.
#[derive(Debug, Clone)]
pub struct PostPolicy {
    expiration: OffsetDateTime,
    conditions: Vec<Condition>,
}

/// The byte range the file must fall in (`content-length-range`), if the policy sets one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LengthRange {
    /// Smallest size allowed.
    pub min: u64,
    /// Largest size allowed.
    pub max: u64,
}

fn bad(reason: &str) -> S3Error {
    S3Error::invalid_policy_document(reason)
}

fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn field_name(v: &Value) -> Result<String, S3Error> {
    let s = v
        .as_str()
        .ok_or_else(|| bad("Invalid Simple-Condition: value must be a string."))?;
    let name = s
        .strip_prefix('$')
        .ok_or_else(|| bad("Invalid Condition: field names must start with '$'."))?;
    Ok(name.to_ascii_lowercase())
}

/// An `expiration` in ISO 8601's extended format, as AWS requires:
/// `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)`, e.g. `2030-01-01T12:00:00.000Z`. RFC 3339
/// parsers also take a space (or any character) for the `T`, a lowercase `z` and second 60,
/// which are not ISO 8601.
fn parse_iso8601(text: &str) -> Option<OffsetDateTime> {
    let b = text.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let shape = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !shape || &text[17..19] == "60" {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    let zone_ok = rest == "Z"
        || (rest.len() == 6
            && matches!(rest.as_bytes()[0], b'+' | b'-')
            && rest.as_bytes()[1..3].iter().all(u8::is_ascii_digit)
            && rest.as_bytes()[3] == b':'
            && rest.as_bytes()[4..6].iter().all(u8::is_ascii_digit));
    if !zone_ok {
        return None;
    }
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

impl PostPolicy {
    /// Parses the decoded policy (JSON); 400 InvalidPolicyDocument when it is not one.
    pub fn parse(doc: &[u8]) -> Result<PostPolicy, S3Error> {
        let v: Value = serde_json::from_slice(doc).map_err(|_| bad("Invalid JSON."))?;
        let obj = v.as_object().ok_or_else(|| bad("Invalid JSON."))?;
        let exp = obj
            .get("expiration")
            .ok_or_else(|| bad("Policy missing expiration."))?
            .as_str()
            .ok_or_else(|| bad("Invalid 'expiration' value."))?;
        let expiration = parse_iso8601(exp)
            .ok_or_else(|| bad(&format!("Invalid 'expiration' value: '{exp}'")))?;
        let list = obj
            .get("conditions")
            .ok_or_else(|| bad("Policy missing conditions."))?
            .as_array()
            .ok_or_else(|| bad("Invalid 'conditions' value: must be a list."))?;
        let mut conditions = Vec::with_capacity(list.len());
        for c in list {
            conditions.push(Self::parse_condition(c)?);
        }
        Ok(PostPolicy {
            expiration,
            conditions,
        })
    }

    fn parse_condition(c: &Value) -> Result<Condition, S3Error> {
        if let Some(obj) = c.as_object() {
            let (k, v) = match (obj.len(), obj.iter().next()) {
                (1, Some(kv)) => kv,
                _ => return Err(bad("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")),
            };
            let value = v
                .as_str()
                .ok_or_else(|| bad("Invalid Simple-Condition: value must be a string."))?;
            return Ok(Condition::Eq {
                field: k.to_ascii_lowercase(),
                value: value.to_string(),
            });
        }
        let arr = c
            .as_array()
            .ok_or_else(|| bad("Invalid Condition: conditions must be lists or objects."))?;
        let op = arr
            .first()
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        if arr.len() != 3 {
            return Err(bad(&format!("wrong number of arguments (key: {op}).")));
        }
        match op.as_str() {
            "eq" | "starts-with" => {
                let field = field_name(&arr[1])?;
                let value = arr[2]
                    .as_str()
                    .ok_or_else(|| bad("Invalid Condition: value must be a string."))?
                    .to_string();
                Ok(if op == "eq" {
                    Condition::Eq { field, value }
                } else {
                    Condition::StartsWith {
                        field,
                        prefix: value,
                    }
                })
            }
            "content-length-range" => {
                let (min, max) = match (as_u64(&arr[1]), as_u64(&arr[2])) {
                    (Some(a), Some(b)) if a <= b => (a, b),
                    _ => return Err(bad("Invalid content-length-range: min and max must be non-negative integers, min <= max.")),
                };
                Ok(Condition::LengthRange { min, max })
            }
            other => Err(bad(&format!(
                "Invalid Condition: unknown operation '{other}'."
            ))),
        }
    }

    /// Checks expiration, every condition, and that every field is covered by one.
    /// `fields` are the form fields before the file (names as sent), `bucket` the bucket.
    pub fn check(
        &self,
        now: OffsetDateTime,
        bucket: &str,
        fields: &[(String, String)],
    ) -> Result<Option<LengthRange>, S3Error> {
        if now >= self.expiration {
            return Err(S3Error::post_policy_violation("Policy expired."));
        }
        let value_of = |name: &str| -> Option<&str> {
            if name == "bucket" {
                return Some(bucket);
            }
            fields
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let mut range = None;
        for c in &self.conditions {
            let ok = match c {
                Condition::Eq { field, value } => value_of(field) == Some(value.as_str()),
                Condition::StartsWith { field, prefix } => {
                    value_of(field).is_some_and(|v| v.starts_with(prefix.as_str()))
                }
                Condition::LengthRange { min, max } => {
                    range = Some(LengthRange {
                        min: *min,
                        max: *max,
                    });
                    true
                }
            };
            if !ok {
                return Err(S3Error::post_policy_violation(format!(
                    "Policy Condition failed: {}",
                    render(c)
                )));
            }
        }
        let extra: Vec<&str> = fields
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| {
                let lower = n.to_ascii_lowercase();
                !EXEMPT_FIELDS.contains(&lower.as_str())
                    && !lower.starts_with("x-ignore-")
                    && !self.conditions.iter().any(|c| match c {
                        Condition::Eq { field, .. } | Condition::StartsWith { field, .. } => {
                            *field == lower
                        }
                        Condition::LengthRange { .. } => false,
                    })
            })
            .collect();
        if !extra.is_empty() {
            return Err(S3Error::post_policy_violation(format!(
                "Extra input fields: {}",
                extra.join(", ")
            )));
        }
        Ok(range)
    }
}

/// A condition as AWS quotes it in "Policy Condition failed".
fn render(c: &Condition) -> String {
    let q = |s: &str| Value::String(s.to_string()).to_string();
    match c {
        Condition::Eq { field, value } => {
            format!("[\"eq\", {}, {}]", q(&format!("${field}")), q(value))
        }
        Condition::StartsWith { field, prefix } => {
            format!(
                "[\"starts-with\", {}, {}]",
                q(&format!("${field}")),
                q(prefix)
            )
        }
        Condition::LengthRange { min, max } => format!("[\"content-length-range\", {min}, {max}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn expiration_must_be_iso8601() {
        for good in [
            "2030-01-01T00:00:00Z",
            "2030-01-01T00:00:00.000Z",
            "2030-01-01T00:00:00.123456789Z",
            "2030-01-01T02:00:00+02:00",
        ] {
            assert!(parse_iso8601(good).is_some(), "{good}");
        }
        assert_eq!(
            parse_iso8601("2030-01-01T02:00:00+02:00"),
            parse_iso8601("2030-01-01T00:00:00Z")
        );
        for bad in [
            "2030-01-01 00:00:00Z",
            "2030-01-01x00:00:00Z",
            "2030-01-01t00:00:00Z",
            "2030-01-01T00:00:00z",
            "2030-01-01T00:00:00",
            "2030-01-01T00:00:60Z",
            "2030-01-01T00:00:00.Z",
            "2030-01-01",
            "2030-13-01T00:00:00Z",
            "Tue, 01 Jan 2030 00:00:00 GMT",
            "1893456000",
            "2030-01-01T00:00:00+0200",
        ] {
            assert!(parse_iso8601(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn conditions_and_coverage() {
        let doc = br#"{"expiration":"2030-01-01T00:00:00.000Z","conditions":[{"bucket":"b"},["starts-with","$key","up/"],["eq","$Content-Type","image/png"],["content-length-range",1,"10"],["starts-with","$x-amz-meta-tag",""]]}"#;
        let p = PostPolicy::parse(doc).unwrap();
        let now = OffsetDateTime::parse("2029-01-01T00:00:00Z", &Rfc3339).unwrap();
        let ok = f(&[
            ("key", "up/a"),
            ("content-type", "image/png"),
            ("x-amz-meta-tag", "anything"),
            ("policy", "p"),
            ("x-ignore-me", "1"),
        ]);
        assert_eq!(
            p.check(now, "b", &ok).unwrap(),
            Some(LengthRange { min: 1, max: 10 })
        );
        let e = p.check(now, "other", &ok).unwrap_err();
        assert_eq!(
            e.message,
            "Invalid according to Policy: Policy Condition failed: [\"eq\", \"$bucket\", \"b\"]"
        );
        let e = p
            .check(
                now,
                "b",
                &f(&[
                    ("key", "down/a"),
                    ("content-type", "image/png"),
                    ("x-amz-meta-tag", ""),
                ]),
            )
            .unwrap_err();
        assert_eq!(e.message, "Invalid according to Policy: Policy Condition failed: [\"starts-with\", \"$key\", \"up/\"]");
        let e = p
            .check(
                now,
                "b",
                &f(&[
                    ("key", "up/a"),
                    ("content-type", "image/png"),
                    ("x-amz-meta-tag", ""),
                    ("acl", "public-read"),
                ]),
            )
            .unwrap_err();
        assert_eq!(
            e.message,
            "Invalid according to Policy: Extra input fields: acl"
        );
        let later = OffsetDateTime::parse("2030-01-01T00:00:00Z", &Rfc3339).unwrap();
        assert_eq!(
            p.check(later, "b", &ok).unwrap_err().message,
            "Invalid according to Policy: Policy expired."
        );
        for bad_doc in [
            &b"nope"[..],
            br#"{"conditions":[]}"#,
            br#"{"expiration":"2030-01-01T00:00:00Z"}"#,
            br#"{"expiration":"x","conditions":[]}"#,
            br#"{"expiration":"2030-01-01T00:00:00Z","conditions":[["eq","key","v"]]}"#,
            br#"{"expiration":"2030-01-01T00:00:00Z","conditions":[["content-length-range",5,1]]}"#,
            br#"{"expiration":"2030-01-01T00:00:00Z","conditions":[["in","$key","v"]]}"#,
        ] {
            assert_eq!(
                PostPolicy::parse(bad_doc).unwrap_err().code,
                "InvalidPolicyDocument"
            );
        }
    }
}
