//! The drag-and-drop upload page and its JSON endpoint: the browser asks for a presigned PUT
//! URL (or, above [`MULTIPART_THRESHOLD`], a presigned multipart bundle) and uploads the bytes
//! straight to the S3 listener with XMLHttpRequest.

use super::acting::{acting, s3_authority, NotLoggedIn};
use super::form::read_body;
use super::html::{esc, layout};
use super::reply::Page;
use super::session::tokens_equal;
use super::{ConsoleRequest, ConsoleState};
use crate::request_ctx::RequestCtx;
use crate::service_api::json_error::ApiError;
use crate::service_api::presign::{mint_urls, MintRequest, MultipartSpec};
use hyper::body::Incoming;
use serde::Deserialize;
use serde_json::{json, Value};
use sluice_sigv4::Credentials;

/// Files larger than this are uploaded as a presigned multipart upload.
pub const MULTIPART_THRESHOLD: u64 = 16 * 1024 * 1024;
/// Part size of browser multipart uploads.
pub const PART_SIZE: u64 = 8 * 1024 * 1024;
/// Validity of the URLs handed to the browser.
const UPLOAD_URL_EXPIRES: u64 = 3600;

/// The browser's request for upload URLs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadUrlRequest {
    bucket: String,
    key: String,
    size: u64,
}

/// Mints the URLs for uploading `size` bytes to `bucket/key`: one PUT URL signed for exactly
/// that size, or a multipart bundle of [`PART_SIZE`] parts whose completed upload must be
/// exactly that size.
/// The answer carries `"kind": "put"` or `"kind": "multipart"`.
pub async fn mint_upload(
    ctx: &RequestCtx<'_>,
    creds: Credentials,
    s3_host: &str,
    bucket: &str,
    key: &str,
    size: u64,
) -> Result<Value, ApiError> {
    let multipart = size > MULTIPART_THRESHOLD;
    let request = MintRequest {
        method: "PUT".into(),
        bucket: bucket.to_string(),
        key: key.to_string(),
        expires_in: Some(UPLOAD_URL_EXPIRES),
        content_type: None,
        multipart: multipart.then_some(MultipartSpec {
            parts: None,
            size: Some(size),
            part_size: Some(PART_SIZE),
            upload_id: None,
        }),
        // For a bundle this bounds every part and the completed upload as a whole.
        content_length_range: Some(json!([size, size])),
        not_before: None,
        source_ip: None,
        max_uses: None,
        conditions: None,
        key_starts_with: None,
        notify: None,
        checks: None,
        tagging: None,
    };
    let mut out = mint_urls(ctx, creds, s3_host, &request).await?;
    out["kind"] = json!(if multipart { "multipart" } else { "put" });
    Ok(out)
}

/// `GET /upload?bucket=&prefix=`: the drag-and-drop page.
pub async fn page(console: &ConsoleState, req: &ConsoleRequest) -> Page {
    let me = match super::acting::page_acting(console, req).await {
        Ok(a) => a,
        Err(p) => return p,
    };
    let body = format!(
        r#"<form class="card grid" id="upload-target" autocomplete="off">
<label>Bucket <input id="upload-bucket" value="{}" required></label>
<label class="wide">Key prefix (folder) <input id="upload-prefix" value="{}" placeholder="photos/"></label></form>
{}"#,
        esc(req.query_param("bucket")),
        esc(req.query_param("prefix")),
        drop_zone("/api/upload-url")
    );
    Page::ok(layout("Upload", Some(&me.session), &body))
}

/// The drop zone, progress bar and status line, wired by `upload.js` to `endpoint`.
pub fn drop_zone(endpoint: &str) -> String {
    format!(
        r#"<div id="dropzone" class="dropzone" data-endpoint="{}" tabindex="0">
<p>Drop a file here, or <label class="pick">choose one<input type="file" id="file-input"></label></p></div>
<div class="progress-row"><progress id="progress" max="100" value="0"></progress><span id="percent">0%</span></div>
<p id="upload-status" class="status" role="status"></p>
<script src="/assets/upload.js" defer></script>"#,
        esc(endpoint)
    )
}

/// `POST /api/upload-url` (JSON; the session's CSRF token in `X-CSRF-Token`).
pub async fn upload_url(console: &ConsoleState, req: &ConsoleRequest, body: Incoming) -> Page {
    let me = match acting(console, req).await {
        Ok(a) => a,
        Err(NotLoggedIn::NoSession) => return Page::json_error(401, "not logged in"),
        Err(NotLoggedIn::KeyGone) => {
            return Page::json_error(401, "the session's access key is no longer valid")
        }
    };
    let token = req
        .parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !tokens_equal(token, &me.session.csrf) {
        return Page::json_error(403, "missing or wrong X-CSRF-Token");
    }
    let Ok(raw) = read_body(body).await else {
        return Page::json_error(413, "request body too large");
    };
    let request: UploadUrlRequest = match serde_json::from_slice(&raw) {
        Ok(r) => r,
        Err(e) => return Page::json_error(400, format!("request body: {e}")),
    };
    let Some(creds) = me.credentials() else {
        return Page::json_error(401, "log in again");
    };
    let ctx = me.ctx(console, req);
    match mint_upload(
        &ctx,
        creds,
        &s3_authority(console, req),
        &request.bucket,
        &request.key,
        request.size,
    )
    .await
    {
        Ok(value) => Page::Json { status: 200, value },
        Err(e) => Page::json_error(e.status, e.message),
    }
}
