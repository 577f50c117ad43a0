//! What a console handler answers, and the security headers every console response carries.

use super::{html, ConsoleRequest, ConsoleState};
use crate::net::response::{self, ResponseBody};
use http::Response;
use serde_json::Value;

/// A console answer.
#[derive(Debug)]
pub enum Page {
    /// An HTML page.
    Html {
        /// HTTP status.
        status: u16,
        /// The whole document.
        html: String,
        /// `Set-Cookie` values.
        cookies: Vec<String>,
    },
    /// A 303 redirect.
    Redirect {
        /// Target (a console path).
        location: String,
        /// `Set-Cookie` values.
        cookies: Vec<String>,
    },
    /// A JSON document (the upload endpoints).
    Json {
        /// HTTP status.
        status: u16,
        /// The document.
        value: Value,
    },
    /// An embedded asset.
    Asset {
        /// Content-Type.
        content_type: &'static str,
        /// Bytes.
        body: &'static str,
    },
}

impl Page {
    /// An HTML page with status 200.
    pub fn ok(html: String) -> Page {
        Page::Html {
            status: 200,
            html,
            cookies: Vec::new(),
        }
    }

    /// A plain error page.
    pub fn error(status: u16, title: &str, message: &str) -> Page {
        Page::Html {
            status,
            html: html::error_page(title, message),
            cookies: Vec::new(),
        }
    }

    /// A redirect to a console path.
    pub fn redirect(location: impl Into<String>) -> Page {
        Page::Redirect {
            location: location.into(),
            cookies: Vec::new(),
        }
    }

    /// A JSON error `{"error": message}`.
    pub fn json_error(status: u16, message: impl Into<String>) -> Page {
        Page::Json {
            status,
            value: serde_json::json!({ "error": message.into() }),
        }
    }

    /// The HTTP response, with the console's security headers.
    pub fn into_response(
        self,
        console: &ConsoleState,
        req: &ConsoleRequest,
    ) -> Response<ResponseBody> {
        let mut r = match self {
            Page::Html {
                status,
                html,
                cookies,
            } => {
                let mut r = response::text(status, html);
                response::set_header(&mut r, "content-type", "text/html; charset=utf-8");
                add_cookies(&mut r, &cookies);
                r
            }
            Page::Redirect { location, cookies } => {
                let mut r = response::empty(303);
                response::set_header(&mut r, "location", &location);
                add_cookies(&mut r, &cookies);
                r
            }
            Page::Json { status, value } => response::json(status, &value),
            Page::Asset { content_type, body } => {
                let mut r = response::text(200, body.to_string());
                response::set_header(&mut r, "content-type", content_type);
                r
            }
        };
        let authority = super::acting::s3_authority(console, req);
        let csp = format!(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self' {}://{}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            crate::net::public_url::scheme_for_host(&console.app.config, &authority),
            authority
        );
        for (name, value) in [
            ("content-security-policy", csp.as_str()),
            ("x-frame-options", "DENY"),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),
            ("cache-control", "no-store"),
        ] {
            response::set_header(&mut r, name, value);
        }
        r
    }
}

fn add_cookies(r: &mut Response<ResponseBody>, cookies: &[String]) {
    for c in cookies {
        if let Ok(v) = http::HeaderValue::from_str(c) {
            r.headers_mut().append(http::header::SET_COOKIE, v);
        }
    }
}
