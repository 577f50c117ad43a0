//! Signing browser POST forms: the policy document and the form fields a page sends.

use base64::Engine;
use time::OffsetDateTime;

use crate::canonical::ALGORITHM;
use crate::datetime::{format_amz_date, format_date_stamp};
use crate::post_policy::sign_post_policy_v4;
use crate::sign::Credentials;

/// What a POST form may upload.
#[derive(Debug, Clone)]
pub struct PostPolicyRequest<'a> {
    /// Bucket (an `{"bucket": ...}` condition).
    pub bucket: &'a str,
    /// The `key` field; may contain `${filename}`.
    pub key: &'a str,
    /// When set, the key condition is `["starts-with", "$key", prefix]` instead of an exact match.
    pub key_starts_with: Option<&'a str>,
    /// The `Content-Type` field, matched exactly.
    pub content_type: Option<&'a str>,
    /// `["content-length-range", min, max]`.
    pub content_length_range: Option<(u64, u64)>,
    /// Further conditions, each a JSON value as text (object or array), added as given.
    pub extra_conditions: &'a [String],
    /// Further fields the form sends, each covered by an `eq` condition.
    pub extra_fields: &'a [(String, String)],
    /// Region of the credential scope.
    pub region: &'a str,
    /// Signing time (`x-amz-date`).
    pub datetime: OffsetDateTime,
    /// Seconds until the policy's `expiration`.
    pub expires_in: u64,
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Builds and signs (SigV4) the policy; returns the form fields in the order a form should
/// send them (all before the `file` part).
pub fn presign_post_v4(creds: &Credentials, req: &PostPolicyRequest<'_>) -> Vec<(String, String)> {
    let amz_date = format_amz_date(req.datetime);
    let date = format_date_stamp(req.datetime);
    let credential = format!(
        "{}/{date}/{}/s3/aws4_request",
        creds.access_key_id, req.region
    );
    let expiration = req.datetime + time::Duration::seconds(req.expires_in as i64);
    let expiration = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000Z",
        expiration.year(),
        u8::from(expiration.month()),
        expiration.day(),
        expiration.hour(),
        expiration.minute(),
        expiration.second()
    );
    let mut fields: Vec<(String, String)> = vec![("key".into(), req.key.into())];
    let mut conditions = vec![format!("{{\"bucket\":{}}}", json_string(req.bucket))];
    match req.key_starts_with {
        Some(p) => conditions.push(format!("[\"starts-with\",\"$key\",{}]", json_string(p))),
        None => conditions.push(format!("[\"eq\",\"$key\",{}]", json_string(req.key))),
    }
    if let Some(ct) = req.content_type {
        fields.push(("Content-Type".into(), ct.into()));
        conditions.push(format!("[\"eq\",\"$Content-Type\",{}]", json_string(ct)));
    }
    for (n, v) in req.extra_fields {
        fields.push((n.clone(), v.clone()));
        conditions.push(format!(
            "[\"eq\",{},{}]",
            json_string(&format!("${n}")),
            json_string(v)
        ));
    }
    if let Some((min, max)) = req.content_length_range {
        conditions.push(format!("[\"content-length-range\",{min},{max}]"));
    }
    conditions.extend(req.extra_conditions.iter().cloned());
    let mut auth = vec![
        ("x-amz-algorithm".to_string(), ALGORITHM.to_string()),
        ("x-amz-credential".to_string(), credential),
        ("x-amz-date".to_string(), amz_date),
    ];
    if let Some(t) = &creds.session_token {
        auth.push(("x-amz-security-token".to_string(), t.clone()));
    }
    for (n, v) in &auth {
        conditions.push(format!("{{{}:{}}}", json_string(n), json_string(v)));
    }
    let policy_json = format!(
        "{{\"expiration\":{},\"conditions\":[{}]}}",
        json_string(&expiration),
        conditions.join(",")
    );
    let policy = base64::engine::general_purpose::STANDARD.encode(policy_json);
    let signature = sign_post_policy_v4(&creds.secret_access_key, &policy, &date, req.region);
    fields.extend(auth);
    fields.push(("policy".into(), policy));
    fields.push(("x-amz-signature".into(), signature));
    fields
}
