//! Acting as the logged-in key: the session guard, the CSRF check, and the request context
//! through which console actions reach the same authorization and minting code as the S3 API.

use super::reply::Page;
use super::session::{cookie, tokens_equal, Session, SESSION_COOKIE};
use super::{ConsoleRequest, ConsoleState};
use crate::auth::authn::{session_caller, Caller};
use crate::request_ctx::RequestCtx;
use sluice_s3::QueryParams;
use sluice_sigv4::Credentials;

/// A logged-in request: the session and the caller it acts as.
pub struct Acting {
    /// The session.
    pub session: Session,
    /// The caller, re-read from the identity store for this request.
    pub caller: Caller,
    query: QueryParams,
}

impl Acting {
    /// The request context for authorization and handlers shared with the S3 API.
    pub fn ctx<'a>(&'a self, console: &'a ConsoleState, req: &'a ConsoleRequest) -> RequestCtx<'a> {
        RequestCtx {
            state: &console.app,
            parts: &req.parts,
            query: &self.query,
            caller: &self.caller,
            remote: req.remote,
        }
    }

    /// The logged-in key's credentials, for signing URLs.
    pub fn credentials(&self) -> Option<Credentials> {
        Some(Credentials {
            access_key_id: self.session.access_key_id.clone(),
            secret_access_key: self.caller.signing_secret()?.to_string(),
            session_token: None,
        })
    }
}

/// Why a request is not a usable logged-in request.
pub enum NotLoggedIn {
    /// No cookie, or an unknown or expired session.
    NoSession,
    /// The session's key was disabled, deleted or expired (the session is ended).
    KeyGone,
}

/// The logged-in session and its caller.
pub async fn acting(console: &ConsoleState, req: &ConsoleRequest) -> Result<Acting, NotLoggedIn> {
    let now = console.app.clock.now_ms();
    let session = cookie(&req.parts, SESSION_COOKIE)
        .and_then(|id| console.sessions.get(id, now))
        .ok_or(NotLoggedIn::NoSession)?;
    match session_caller(&console.app, &session.access_key_id).await {
        Ok(caller) => Ok(Acting {
            session,
            caller,
            query: QueryParams::parse(""),
        }),
        Err(_) => {
            console.sessions.remove(&session.id);
            Err(NotLoggedIn::KeyGone)
        }
    }
}

/// Like [`acting`] for HTML pages: not logged in redirects to the login page.
pub async fn page_acting(console: &ConsoleState, req: &ConsoleRequest) -> Result<Acting, Page> {
    acting(console, req).await.map_err(|e| match e {
        NotLoggedIn::NoSession => Page::redirect("/login"),
        NotLoggedIn::KeyGone => Page::error(
            401,
            "Session ended",
            "The access key of this session is no longer valid. Log in again.",
        ),
    })
}

/// Fails with a 403 page unless `token` is the session's CSRF token.
pub fn check_csrf(acting: &Acting, token: &str) -> Result<(), Page> {
    if tokens_equal(token, &acting.session.csrf) {
        Ok(())
    } else {
        Err(Page::error(
            403,
            "Request refused",
            "The form's CSRF token is missing or wrong. Reload the page and try again.",
        ))
    }
}

/// `host:port` of the S3 listener as the browser must reach it: its bound address, or, when
/// it listens on every interface, the host the browser used for the console with the S3 port.
pub fn s3_authority(console: &ConsoleState, req: &ConsoleRequest) -> String {
    if let Some(public) = console.app.config.public_urls.first() {
        return public.host.clone();
    }
    let addr = console.s3_addr;
    if !addr.ip().is_unspecified() {
        return addr.to_string();
    }
    let host = req
        .parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let name = match host.strip_prefix('[') {
        Some(rest) => format!("[{}]", rest.split(']').next().unwrap_or("")),
        None => host.split(':').next().unwrap_or(host).to_string(),
    };
    let safe = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b));
    if safe && !name.is_empty() {
        format!("{name}:{}", addr.port())
    } else {
        format!("127.0.0.1:{}", addr.port())
    }
}
