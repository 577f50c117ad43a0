//! The presign form: method, bucket, key, expiry and the signed constraints of a URL, minted
//! by the same code as `POST /_sluice/v1/presign`, signed with the logged-in key's secret.

use super::acting::{check_csrf, page_acting, s3_authority, Acting};
use super::form::Form;
use super::html::{csrf_field, esc, layout};
use super::reply::Page;
use super::{ConsoleRequest, ConsoleState};
use crate::service_api::presign::{mint_urls, MintRequest};
use hyper::body::Incoming;
use serde_json::{json, Value};

/// Expiry choices offered (seconds, label).
pub const EXPIRY_CHOICES: [(u64, &str); 6] = [
    (300, "5 minutes"),
    (3600, "1 hour"),
    (6 * 3600, "6 hours"),
    (86_400, "1 day"),
    (3 * 86_400, "3 days"),
    (604_800, "7 days"),
];

/// Largest single PUT, the default upper bound when only a minimum size is given.
const MAX_PUT: u64 = 5 * 1024 * 1024 * 1024;

/// Parses `1048576`, `10MiB`, `10 MB`, `2G`... into bytes.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// Values of the form, kept to re-fill it.
#[derive(Default)]
struct Fields<'a> {
    method: &'a str,
    bucket: &'a str,
    key: &'a str,
    expires_in: u64,
    content_type: &'a str,
    min_size: &'a str,
    max_size: &'a str,
    not_before: &'a str,
    source_ip: &'a str,
    max_uses: &'a str,
}

fn render(me: &Acting, f: &Fields<'_>, result: &str) -> String {
    let method_opt = |m: &str| {
        format!(
            r#"<option value="{m}"{}>{m}</option>"#,
            if f.method == m { " selected" } else { "" }
        )
    };
    let expiry: String = EXPIRY_CHOICES
        .iter()
        .map(|(secs, label)| {
            format!(
                r#"<option value="{secs}"{}>{label}</option>"#,
                if *secs == f.expires_in {
                    " selected"
                } else {
                    ""
                }
            )
        })
        .collect();
    format!(
        r#"{result}<form method="post" action="/presign" class="card grid" id="presign-form">{}
<label>Method <select name="method" id="method">{}{}</select></label>
<label>Bucket <input name="bucket" id="bucket" value="{}" required></label>
<label class="wide">Key <input name="key" id="key" value="{}" required></label>
<label>Expires in <select name="expires_in" id="expires_in">{expiry}</select></label>
<label>Content-Type (PUT) <input name="content_type" id="content_type" value="{}" placeholder="any"></label>
<label>Min size (PUT) <input name="min_size" id="min_size" value="{}" placeholder="e.g. 1"></label>
<label>Max size (PUT) <input name="max_size" id="max_size" value="{}" placeholder="e.g. 10MiB"></label>
<label>Not before (RFC 3339) <input name="not_before" id="not_before" value="{}" placeholder="2026-12-01T09:00:00Z"></label>
<label>Source IP CIDRs <input name="source_ip" id="source_ip" value="{}" placeholder="203.0.113.0/24, ::1"></label>
<label>Max uses <input name="max_uses" id="max_uses" value="{}" placeholder="unlimited" inputmode="numeric"></label>
<button type="submit">Presign</button></form>"#,
        csrf_field(&me.session),
        method_opt("PUT"),
        method_opt("GET"),
        esc(f.bucket),
        esc(f.key),
        esc(f.content_type),
        esc(f.min_size),
        esc(f.max_size),
        esc(f.not_before),
        esc(f.source_ip),
        esc(f.max_uses),
    )
}

/// `GET /presign?method=&bucket=&key=`
pub async fn form(console: &ConsoleState, req: &ConsoleRequest) -> Page {
    let me = match page_acting(console, req).await {
        Ok(a) => a,
        Err(p) => return p,
    };
    let method = if req.query_param("method") == "GET" {
        "GET"
    } else {
        "PUT"
    };
    let fields = Fields {
        method,
        bucket: req.query_param("bucket"),
        key: req.query_param("key"),
        expires_in: 3600,
        ..Default::default()
    };
    Page::ok(layout(
        "Presign a URL",
        Some(&me.session),
        &render(&me, &fields, ""),
    ))
}

/// Builds the mint request from the form; `Err` is a message for the user.
fn mint_request(f: &Fields<'_>) -> Result<MintRequest, String> {
    let size = |name: &str, v: &str| -> Result<Option<u64>, String> {
        if v.trim().is_empty() {
            return Ok(None);
        }
        parse_size(v)
            .map(Some)
            .ok_or_else(|| format!("{name} must be a byte count such as 1048576 or 10MiB"))
    };
    let min = size("Min size", f.min_size)?;
    let max = size("Max size", f.max_size)?;
    let range = match (min, max) {
        (None, None) => None,
        (min, max) => Some(json!([min.unwrap_or(0), max.unwrap_or(MAX_PUT)])),
    };
    let ips: Vec<&str> = f
        .source_ip
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let max_uses = match f.max_uses.trim() {
        "" => None,
        n => Some(
            n.parse::<u64>()
                .map(Value::from)
                .map_err(|_| "Max uses must be a whole number".to_string())?,
        ),
    };
    Ok(MintRequest {
        method: f.method.to_string(),
        bucket: f.bucket.trim().to_string(),
        key: f.key.to_string(),
        expires_in: Some(f.expires_in),
        content_type: Some(f.content_type.trim().to_string()).filter(|t| !t.is_empty()),
        multipart: None,
        content_length_range: range,
        not_before: Some(f.not_before.trim())
            .filter(|t| !t.is_empty())
            .map(Value::from),
        source_ip: (!ips.is_empty()).then(|| json!(ips)),
        max_uses,
        conditions: None,
        key_starts_with: None,
        notify: None,
        checks: None,
        tagging: None,
    })
}

/// `POST /presign`: mints the URL and shows it with a copy button.
pub async fn mint(console: &ConsoleState, req: &ConsoleRequest, body: Incoming) -> Page {
    let me = match page_acting(console, req).await {
        Ok(a) => a,
        Err(p) => return p,
    };
    let Ok(form) = Form::read(body).await else {
        return Page::error(400, "Bad request", "The form could not be read.");
    };
    if let Err(p) = check_csrf(&me, form.get("csrf")) {
        return p;
    }
    let fields = Fields {
        method: if form.get("method") == "GET" {
            "GET"
        } else {
            "PUT"
        },
        bucket: form.get("bucket"),
        key: form.get("key"),
        expires_in: form.get("expires_in").parse().unwrap_or(3600),
        content_type: form.get("content_type"),
        min_size: form.get("min_size"),
        max_size: form.get("max_size"),
        not_before: form.get("not_before"),
        source_ip: form.get("source_ip"),
        max_uses: form.get("max_uses"),
    };
    let show = |status: u16, result: String| Page::Html {
        status,
        html: layout(
            "Presign a URL",
            Some(&me.session),
            &render(&me, &fields, &result),
        ),
        cookies: Vec::new(),
    };
    let request = match mint_request(&fields) {
        Ok(r) => r,
        Err(msg) => {
            return show(
                400,
                format!(r#"<p class="error" id="error">{}</p>"#, esc(&msg)),
            )
        }
    };
    let Some(creds) = me.credentials() else {
        return Page::error(401, "Session ended", "Log in again.");
    };
    let ctx = me.ctx(console, req);
    match mint_urls(&ctx, creds, &s3_authority(console, req), &request).await {
        Ok(out) => {
            let url = out["url"].as_str().unwrap_or_default();
            let grant = out["id"]
                .as_str()
                .map(|id| {
                    format!(
                        r#"<p>Grant <code id="grant-id">{}</code> counts its uses; revoke it on the <a href="/grants">grants page</a>.</p>"#,
                        esc(id)
                    )
                })
                .unwrap_or_default();
            let ct = request
                .content_type
                .as_deref()
                .map(|t| {
                    format!(
                        "<p>Send <code>Content-Type: {}</code> with the upload.</p>",
                        esc(t)
                    )
                })
                .unwrap_or_default();
            show(
                200,
                format!(
                    r#"<section class="card result" id="presign-result"><h2>{} URL, expires {}</h2>
<textarea id="presigned-url" readonly rows="4">{}</textarea>
<button type="button" class="copy" data-copy="presigned-url">Copy</button><span class="copied" hidden>Copied</span>{ct}{grant}</section>"#,
                    esc(&request.method),
                    esc(out["expires_at"].as_str().unwrap_or_default()),
                    esc(url)
                ),
            )
        }
        Err(e) => {
            let field = e
                .field
                .as_deref()
                .map(|f| format!(" ({})", esc(f)))
                .unwrap_or_default();
            show(
                e.status,
                format!(
                    r#"<p class="error" id="error">{}{field}</p>"#,
                    esc(&e.message)
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn parses_sizes() {
        assert_eq!(parse_size("10"), Some(10));
        assert_eq!(parse_size("10MiB"), Some(10 << 20));
        assert_eq!(parse_size(" 2 k "), Some(2048));
        assert_eq!(parse_size("1G"), Some(1 << 30));
        assert_eq!(parse_size("x"), None);
        assert_eq!(parse_size("5 parsecs"), None);
        assert_eq!(parse_size("99999999999999999999G"), None);
    }
}
