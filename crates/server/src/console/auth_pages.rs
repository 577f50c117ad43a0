//! Logging in (access key + secret) and out.

use super::acting::{acting, check_csrf};
use super::form::Form;
use super::html::{esc, layout};
use super::reply::Page;
use super::session::{
    cookie, random_token, set_cookie, tokens_equal, LOGIN_COOKIE, SESSION_COOKIE, SESSION_TTL_MS,
};
use super::{ConsoleRequest, ConsoleState};
use crate::auth::authn::secret_matches;
use hyper::body::Incoming;

/// `GET /login`: the form. Its CSRF token is double-submitted: a cookie and a hidden field.
pub fn login_form(_console: &ConsoleState, req: &ConsoleRequest, error: Option<&str>) -> Page {
    let existing = cookie(&req.parts, LOGIN_COOKIE)
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()));
    let token = existing.map_or_else(random_token, str::to_string);
    let err = error
        .map(|e| format!(r#"<p class="error" id="error">{}</p>"#, esc(e)))
        .unwrap_or_default();
    let body = format!(
        r#"{err}<form method="post" action="/login" class="card narrow" id="login-form">
<input type="hidden" name="csrf" value="{}">
<label>Access key id <input name="access_key_id" id="access_key_id" autocomplete="username" required></label>
<label>Secret access key <input name="secret_access_key" id="secret_access_key" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button></form>"#,
        esc(&token)
    );
    Page::Html {
        status: if error.is_some() { 401 } else { 200 },
        html: layout("Log in", None, &body),
        cookies: vec![set_cookie(LOGIN_COOKIE, &token, None)],
    }
}

/// `POST /login`
pub async fn login(console: &ConsoleState, req: &ConsoleRequest, body: Incoming) -> Page {
    let Ok(form) = Form::read(body).await else {
        return Page::error(400, "Bad request", "The form could not be read.");
    };
    let expected = cookie(&req.parts, LOGIN_COOKIE).unwrap_or("");
    if expected.is_empty() || !tokens_equal(form.get("csrf"), expected) {
        return Page::error(
            403,
            "Request refused",
            "The login form's CSRF token is missing or wrong. Reload the login page and try again.",
        );
    }
    let key = form.get("access_key_id").trim();
    let secret = form.get("secret_access_key");
    if key.is_empty() || !secret_matches(&console.app, key, secret).await {
        tracing::info!(target: "sluice::audit", access_key = key, "console login refused");
        return login_form(console, req, Some("Wrong access key id or secret."));
    }
    let session = console.sessions.create(key, console.app.clock.now_ms());
    tracing::info!(access_key = key, "console login");
    Page::Redirect {
        location: "/".into(),
        cookies: vec![
            set_cookie(SESSION_COOKIE, &session.id, Some(SESSION_TTL_MS / 1000)),
            set_cookie(LOGIN_COOKIE, "", Some(0)),
        ],
    }
}

/// `POST /logout` (CSRF-checked).
pub async fn logout(console: &ConsoleState, req: &ConsoleRequest, body: Incoming) -> Page {
    let Ok(me) = acting(console, req).await else {
        return Page::redirect("/login");
    };
    let Ok(form) = Form::read(body).await else {
        return Page::error(400, "Bad request", "The form could not be read.");
    };
    if let Err(refused) = check_csrf(&me, form.get("csrf")) {
        return refused;
    }
    console.sessions.remove(&me.session.id);
    Page::Redirect {
        location: "/login".into(),
        cookies: vec![set_cookie(SESSION_COOKIE, "", Some(0))],
    }
}
