//! Helpers for POST form tests: a multipart form builder and SigV4-signed policies.

use super::{http, xml_field, TestServer, ACCESS_KEY, REGION, SECRET_KEY};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use md5::{Digest, Md5};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

pub const BUCKET: &str = "forms";
pub const BOUNDARY: &str = "----sluiceFormBoundary7MA4YWxkTrZu0gW";

/// A form: fields before the file, the file, fields after it.
#[derive(Clone, Default)]
pub struct Form {
    pub fields: Vec<(String, String)>,
    pub file: Option<(String, Vec<u8>)>,
    pub after: Vec<(String, String)>,
}

impl Form {
    pub fn field(mut self, name: &str, value: &str) -> Self {
        self.fields.retain(|(n, _)| n != name);
        self.fields.push((name.into(), value.into()));
        self
    }
    pub fn without(mut self, name: &str) -> Self {
        self.fields.retain(|(n, _)| n != name);
        self
    }
    pub fn file(mut self, filename: &str, data: &[u8]) -> Self {
        self.file = Some((filename.into(), data.to_vec()));
        self
    }
    pub fn body(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let text = |out: &mut Vec<u8>, (n, v): &(String, String)| {
            out.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{n}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            )
        };
        for f in &self.fields {
            text(&mut out, f);
        }
        if let Some((name, data)) = &self.file {
            out.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .as_bytes(),
            );
            out.extend_from_slice(data);
            out.extend_from_slice(b"\r\n");
        }
        for f in &self.after {
            text(&mut out, f);
        }
        out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        out
    }
}

pub fn iso(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

/// A SigV4-signed form for `conditions` (plus the auth fields' own conditions), with
/// `fields` as form fields. The policy expires in an hour unless `expiration` is given.
pub fn signed_form(
    conditions: Vec<Value>,
    fields: &[(&str, &str)],
    expiration: Option<OffsetDateTime>,
) -> Form {
    let now = OffsetDateTime::now_utc();
    let amz_date = sluice_sigv4::format_amz_date(now);
    let date = sluice_sigv4::format_date_stamp(now);
    let credential = format!("{ACCESS_KEY}/{date}/{REGION}/s3/aws4_request");
    let mut all = conditions;
    all.push(json!({"x-amz-algorithm": "AWS4-HMAC-SHA256"}));
    all.push(json!({"x-amz-credential": credential}));
    all.push(json!({"x-amz-date": amz_date}));
    let exp = expiration.unwrap_or(now + Duration::hours(1));
    let policy = B64.encode(json!({"expiration": iso(exp), "conditions": all}).to_string());
    let signature = sluice_sigv4::sign_post_policy_v4(SECRET_KEY, &policy, &date, REGION);
    let mut form = Form::default();
    for (n, v) in fields {
        form = form.field(n, v);
    }
    form.field("x-amz-algorithm", "AWS4-HMAC-SHA256")
        .field("x-amz-credential", &credential)
        .field("x-amz-date", &amz_date)
        .field("policy", &policy)
        .field("x-amz-signature", &signature)
}

/// A form allowing `key` exactly, in this bucket.
pub fn simple_form(key: &str) -> Form {
    signed_form(
        vec![json!({"bucket": BUCKET}), json!(["eq", "$key", key])],
        &[("key", key)],
        None,
    )
}

pub async fn post(ts: &TestServer, form: &Form) -> reqwest::Response {
    http()
        .post(format!("{}/{BUCKET}", ts.endpoint()))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(form.body())
        .send()
        .await
        .unwrap()
}

pub async fn error_of(r: reqwest::Response) -> (u16, String, String) {
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    (
        status,
        xml_field(&body, "Code").unwrap_or_default(),
        xml_field(&body, "Message")
            .unwrap_or_default()
            .replace("&quot;", "\"")
            .replace("&apos;", "'"),
    )
}

pub async fn object(ts: &TestServer, key: &str) -> Option<(Vec<u8>, reqwest::header::HeaderMap)> {
    let r = http()
        .get(ts.presign("GET", BUCKET, key, 300))
        .send()
        .await
        .unwrap();
    if r.status() == 404 {
        return None;
    }
    assert_eq!(r.status(), 200);
    let headers = r.headers().clone();
    Some((r.bytes().await.unwrap().to_vec(), headers))
}

pub async fn start() -> TestServer {
    TestServer::start_with_bucket(BUCKET).await
}

pub fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}
