//! Share links in the console (`/share`: make one) and the public upload page they open
//! (`/s/{token}`), where anyone can drop a file that uploads through presigned URLs.

use super::acting::{check_csrf, page_acting, s3_authority};
use super::form::{read_body, Form};
use super::html::{csrf_field, esc, human_size, layout};
use super::presign_page::{parse_size, EXPIRY_CHOICES};
use super::reply::Page;
use super::share_link::{ShareError, ShareLink, UnverifiedToken, SHARE_GRANT_METHOD};
use super::upload_api::{drop_zone, mint_upload};
use super::{ConsoleRequest, ConsoleState};
use crate::auth::authn::{session_caller, Caller};
use crate::auth::authz::require_allowed;
use crate::request_ctx::RequestCtx;
use hyper::body::Incoming;
use serde::Deserialize;
use sluice_s3::bucket_name::is_routable_bucket_name;
use sluice_s3::route::MAX_KEY_BYTES;
use sluice_s3::QueryParams;
use sluice_sigv4::Credentials;
use sluice_store::{GrantRecord, Reservation};

/// Default largest upload of a new share link.
const DEFAULT_MAX_SIZE: &str = "100MiB";

/// `GET /share?bucket=&prefix=`
pub async fn form(console: &ConsoleState, req: &ConsoleRequest) -> Page {
    let me = match page_acting(console, req).await {
        Ok(a) => a,
        Err(p) => return p,
    };
    let body = share_form(
        &csrf_field(&me.session),
        req.query_param("bucket"),
        req.query_param("prefix"),
        "",
    );
    Page::ok(layout("Share an upload link", Some(&me.session), &body))
}

fn share_form(csrf: &str, bucket: &str, prefix: &str, result: &str) -> String {
    let expiry: String = EXPIRY_CHOICES
        .iter()
        .map(|(s, l)| {
            format!(
                r#"<option value="{s}"{}>{l}</option>"#,
                if *s == 86_400 { " selected" } else { "" }
            )
        })
        .collect();
    format!(
        r#"{result}<p>Anyone holding the link can upload files under the prefix until it expires, without an account.</p>
<form method="post" action="/share" class="card grid" id="share-form">{csrf}
<label>Bucket <input name="bucket" id="share-bucket" value="{}" required></label>
<label class="wide">Key prefix <input name="prefix" id="share-prefix" value="{}" placeholder="inbox/"></label>
<label>Expires in <select name="expires_in" id="share-expires">{expiry}</select></label>
<label>Max file size <input name="max_size" id="share-max-size" value="{DEFAULT_MAX_SIZE}"></label>
<label>Max uploads <input name="max_uses" id="share-max-uses" placeholder="unlimited" inputmode="numeric"></label>
<button type="submit">Create link</button></form>"#,
        esc(bucket),
        esc(prefix)
    )
}

/// `POST /share`: signs a share link with the logged-in key's secret.
pub async fn create(console: &ConsoleState, req: &ConsoleRequest, body: Incoming) -> Page {
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
    let bucket = form.get("bucket").trim();
    let prefix = form.get("prefix");
    let csrf = csrf_field(&me.session);
    let fail = |msg: &str| Page::Html {
        status: 400,
        html: layout(
            "Share an upload link",
            Some(&me.session),
            &share_form(
                &csrf,
                bucket,
                prefix,
                &format!(r#"<p class="error" id="error">{}</p>"#, esc(msg)),
            ),
        ),
        cookies: Vec::new(),
    };
    if !is_routable_bucket_name(bucket) {
        return fail("That is not a valid bucket name.");
    }
    if prefix.len() > MAX_KEY_BYTES / 2 {
        return fail("The prefix is too long.");
    }
    let Some(max_size) = parse_size(form.get("max_size")).filter(|n| *n > 0) else {
        return fail("Max file size must be a byte count such as 10MiB.");
    };
    let max_uses = match form.non_empty("max_uses") {
        None => None,
        Some(n) => match n.parse::<u64>() {
            Ok(n) if n > 0 => Some(n),
            _ => return fail("Max uploads must be a whole number of at least 1."),
        },
    };
    let expires_in: i64 = match form.get("expires_in").parse::<u64>() {
        Ok(s) if EXPIRY_CHOICES.iter().any(|(c, _)| *c == s) => s as i64,
        _ => return fail("Choose an expiry from the list."),
    };
    let ctx = me.ctx(console, req);
    match console.app.meta.get_bucket(bucket).await {
        Ok(Some(_)) => {}
        Ok(None) => return fail("That bucket does not exist."),
        Err(e) => {
            tracing::error!(error = %e, "console store access failed");
            return Page::error(500, "Server error", "The store could not be read.");
        }
    }
    if require_allowed(&ctx, "s3:PutObject", Some(bucket), Some(prefix))
        .await
        .is_err()
    {
        return fail("Your key may not upload under that prefix.");
    }
    let Some(Credentials {
        secret_access_key, ..
    }) = me.credentials()
    else {
        return Page::error(401, "Session ended", "Log in again.");
    };
    let link = ShareLink {
        access_key_id: me.session.access_key_id.clone(),
        bucket: bucket.to_string(),
        prefix: prefix.to_string(),
        expires_at: console.app.clock.now().unix_timestamp() + expires_in,
        max_size,
        max_uses,
        nonce: super::session::random_token()[..16].to_string(),
    };
    let token = link.sign(&secret_access_key);
    if link.max_uses.is_some() {
        // The grant that counts the link's uses exists from the start (the grants page lists it).
        let grant_id = match UnverifiedToken::parse(&token) {
            Ok(t) => t.grant_id(),
            Err(_) => return Page::error(500, "Server error", "The link could not be made."),
        };
        if let Err(e) = ensure_share_grant(console, &link, &grant_id).await {
            tracing::error!(error = %e, "console store access failed");
            return Page::error(500, "Server error", "The store could not be written.");
        }
    }
    let host = req
        .parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let url = format!("http://{host}/s/{token}");
    let result = format!(
        r#"<section class="card result" id="share-result"><h2>Upload link for {}/{}</h2>
<textarea id="share-url" readonly rows="3">{}</textarea>
<button type="button" class="copy" data-copy="share-url">Copy</button><span class="copied" hidden>Copied</span>
<p>Files up to {}{}.</p></section>"#,
        esc(bucket),
        esc(prefix),
        esc(&url),
        human_size(max_size),
        max_uses
            .map(|n| format!(", at most {n} upload(s)"))
            .unwrap_or_default()
    );
    Page::ok(layout(
        "Share an upload link",
        Some(&me.session),
        &share_form(&csrf, bucket, prefix, &result),
    ))
}

/// The token of `/s/{token}` or `/s/{token}/upload-url`.
fn token_of(path: &str) -> &str {
    let rest = path.strip_prefix("/s/").unwrap_or("");
    rest.strip_suffix("/upload-url").unwrap_or(rest)
}

/// Creates the grant behind a share link with a use limit, unless it exists.
async fn ensure_share_grant(
    console: &ConsoleState,
    link: &ShareLink,
    grant_id: &str,
) -> Result<(), sluice_store::StoreError> {
    let grant = GrantRecord {
        id: grant_id.to_string(),
        access_key_id: link.access_key_id.clone(),
        bucket: link.bucket.clone(),
        key: link.prefix.clone(),
        method: SHARE_GRANT_METHOD.to_string(),
        max_uses: link.max_uses.unwrap_or(u64::MAX).min(i64::MAX as u64),
        uses: 0,
        in_flight: 0,
        created_ms: console.app.clock.now_ms(),
        revoked_ms: None,
        expires_ms: Some(link.expires_at.saturating_mul(1000)),
        notify_target: None,
        notify_payload: None,
    };
    console.app.access.ensure_grant(&grant).await.map(|_| ())
}

/// Verifies a token as its creator's key now stands; returns the link, the creator and the
/// id of the grant that counts the link's uses.
async fn open_link(
    console: &ConsoleState,
    token: &str,
) -> Result<(ShareLink, Caller, String), ShareError> {
    let claimed = UnverifiedToken::parse(token)?;
    let grant_id = claimed.grant_id();
    let caller = session_caller(&console.app, &claimed.link.access_key_id)
        .await
        .map_err(|_| ShareError::Invalid)?;
    let secret = caller.signing_secret().ok_or(ShareError::Invalid)?;
    let link = claimed.verify(secret, console.app.clock.now().unix_timestamp())?;
    Ok((link, caller, grant_id))
}

fn refused(e: &ShareError) -> u16 {
    match e {
        ShareError::Invalid => 403,
        ShareError::Expired | ShareError::UsedUp | ShareError::Revoked => 410,
    }
}

/// Reserves one use of a limited link's grant (created here if the link predates it), in one
/// store transaction: concurrent requests cannot overspend, and the count survives restarts.
async fn reserve_share_use(
    console: &ConsoleState,
    req: &ConsoleRequest,
    link: &ShareLink,
    grant_id: &str,
) -> Result<crate::auth::grant_use::UseGuard, Page> {
    let store_failed = |e: sluice_store::StoreError| {
        tracing::error!(error = %e, "share link grant store failed");
        Page::json_error(500, "the server could not count this upload")
    };
    ensure_share_grant(console, link, grant_id)
        .await
        .map_err(store_failed)?;
    let refusal = match crate::auth::grant_use::try_reserve(&console.app, grant_id, req.remote.ip())
        .await
        .map_err(store_failed)?
    {
        Ok(guard) => return Ok(guard),
        Err(Reservation::Revoked) => ShareError::Revoked,
        Err(Reservation::Unknown) => ShareError::Invalid,
        Err(_) => ShareError::UsedUp,
    };
    Err(Page::json_error(refused(&refusal), refusal.to_string()))
}

/// `GET /s/{token}`: the public drop page.
pub async fn public_page(console: &ConsoleState, req: &ConsoleRequest) -> Page {
    let token = token_of(&req.path);
    let (link, _, _) = match open_link(console, token).await {
        Ok(l) => l,
        Err(e) => return Page::error(refused(&e), "Upload link refused", &e.to_string()),
    };
    let body = format!(
        r#"<p>Drop a file to upload it to <strong>{}/{}</strong> (up to {}).</p>{}"#,
        esc(&link.bucket),
        esc(&link.prefix),
        human_size(link.max_size),
        drop_zone(&format!("/s/{token}/upload-url"))
    );
    Page::ok(layout("Upload a file", None, &body))
}

/// The public page's request: the dropped file's name and size.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareUploadRequest {
    filename: String,
    size: u64,
}

/// The last path component of a browser-supplied file name, without control characters.
pub fn clean_file_name(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim();
    (!clean.is_empty() && clean != "." && clean != ".." && clean.len() <= 255)
        .then(|| clean.to_string())
}

/// `POST /s/{token}/upload-url` (JSON `{"filename", "size"}`): presigned URLs for one file.
pub async fn public_upload_url(
    console: &ConsoleState,
    req: &ConsoleRequest,
    body: Incoming,
) -> Page {
    let (link, caller, grant_id) = match open_link(console, token_of(&req.path)).await {
        Ok(l) => l,
        Err(e) => return Page::json_error(refused(&e), e.to_string()),
    };
    let Ok(raw) = read_body(body).await else {
        return Page::json_error(413, "request body too large");
    };
    let request: ShareUploadRequest = match serde_json::from_slice(&raw) {
        Ok(r) => r,
        Err(e) => return Page::json_error(400, format!("request body: {e}")),
    };
    if request.size > link.max_size {
        return Page::json_error(
            413,
            format!(
                "the file is larger than this link allows ({})",
                human_size(link.max_size)
            ),
        );
    }
    let Some(name) = clean_file_name(&request.filename) else {
        return Page::json_error(400, "the file name is empty or not usable");
    };
    let key = format!("{}{}", link.prefix, name);
    // A use is spent when URLs are handed out: reserved now, counted once they are minted
    // (released if minting fails).
    let guard = match link.max_uses {
        None => None,
        Some(_) => match reserve_share_use(console, req, &link, &grant_id).await {
            Ok(g) => Some(g),
            Err(page) => return page,
        },
    };
    let Some(secret) = caller.signing_secret().map(str::to_string) else {
        if let Some(g) = guard {
            g.finish(0, 403).await;
        }
        return Page::json_error(403, ShareError::Invalid.to_string());
    };
    let creds = Credentials {
        access_key_id: link.access_key_id.clone(),
        secret_access_key: secret,
        session_token: None,
    };
    let query = QueryParams::parse("");
    let ctx = RequestCtx {
        state: &console.app,
        parts: &req.parts,
        query: &query,
        caller: &caller,
        remote: req.remote,
    };
    let minted = mint_upload(
        &ctx,
        creds,
        &s3_authority(console, req),
        &link.bucket,
        &key,
        request.size,
    )
    .await;
    let status = minted.as_ref().map_or_else(|e| e.status, |_| 200);
    if let Some(g) = guard {
        g.finish(request.size, status).await;
    }
    match minted {
        Ok(value) => Page::Json { status: 200, value },
        Err(e) => Page::json_error(e.status, e.message),
    }
}

#[cfg(test)]
mod tests {
    use super::clean_file_name;

    #[test]
    fn cleans_file_names() {
        assert_eq!(clean_file_name("C:\\x\\a.txt").as_deref(), Some("a.txt"));
        assert_eq!(
            clean_file_name("../../etc/passwd").as_deref(),
            Some("passwd")
        );
        assert_eq!(clean_file_name("a\u{0}b").as_deref(), Some("ab"));
        assert_eq!(clean_file_name(".."), None);
        assert_eq!(clean_file_name("dir/"), None);
    }
}
