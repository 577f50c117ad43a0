//! CORS for browsers: preflight `OPTIONS` answered without authentication, and the
//! `Access-Control-*` headers added to every other response (errors included) in one place.
//!
//! The rules are the bucket's `CORSConfiguration` when it has one, else the server-wide
//! default rule from the configuration (if any).

use crate::net::headers::header;
use crate::net::response::{self, set_header, ResponseBody};
use crate::state::AppState;
use http::request::Parts;
use http::Response;
use sluice_s3::cors::{find_cors_rule, parse_request_headers, CorsRequest, CorsRule, CORS_METHODS};
use sluice_s3::xml::parse_cors_configuration;
use sluice_s3::S3Error;
use std::net::SocketAddr;

/// What caches must key CORS answers on.
const VARY: &str = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

/// The rules that apply to `bucket` (None: a request not addressed to a bucket).
async fn rules_for(state: &AppState, bucket: Option<&str>) -> Option<Vec<CorsRule>> {
    if let Some(bucket) = bucket.filter(|b| !b.is_empty()) {
        match state.access.bucket_cors(bucket).await {
            Ok(Some(doc)) => match parse_cors_configuration(doc.as_bytes()) {
                Ok(rules) => return Some(rules),
                Err(e) => {
                    tracing::error!(bucket, error = %e, "stored CORS configuration unreadable")
                }
            },
            Ok(None) => {}
            Err(e) => tracing::error!(bucket, error = %e, "reading CORS configuration failed"),
        }
    }
    state.config.cors_default.clone().map(|r| vec![r])
}

/// Answers a preflight `OPTIONS` request from the rules of `bucket`.
pub async fn preflight(
    state: &AppState,
    parts: &Parts,
    bucket: Option<&str>,
) -> Result<Response<ResponseBody>, S3Error> {
    let origin = header(parts, "origin").ok_or_else(S3Error::cors_missing_origin)?;
    let method = header(parts, "access-control-request-method")
        .ok_or_else(|| S3Error::cors_invalid_request_method("null"))?;
    if !CORS_METHODS.contains(&method) {
        return Err(S3Error::cors_invalid_request_method(method));
    }
    let requested =
        parse_request_headers(header(parts, "access-control-request-headers").unwrap_or(""));
    let rules = rules_for(state, bucket)
        .await
        .ok_or_else(S3Error::cors_not_enabled)?;
    let req = CorsRequest {
        origin,
        method,
        request_headers: &requested,
    };
    let rule = find_cors_rule(&rules, &req).ok_or_else(S3Error::cors_not_allowed)?;
    let mut resp = response::empty(200);
    set_allow_headers(&mut resp, rule, origin);
    if !requested.is_empty() {
        set_header(
            &mut resp,
            "access-control-allow-headers",
            &requested.join(", "),
        );
    }
    if let Some(age) = rule.max_age_seconds {
        set_header(&mut resp, "access-control-max-age", &age.to_string());
    }
    Ok(resp)
}

/// Adds the CORS headers to the response of a real (non-preflight) request that carries an
/// `Origin` matching a rule of `bucket` for its method. Called for every response.
pub async fn add_response_headers(
    state: &AppState,
    parts: &Parts,
    bucket: &str,
    resp: &mut Response<ResponseBody>,
) {
    if parts.method == http::Method::OPTIONS {
        return;
    }
    let Some(origin) = header(parts, "origin") else {
        return;
    };
    let Some(rules) = rules_for(state, Some(bucket)).await else {
        return;
    };
    set_header(resp, "vary", VARY);
    let req = CorsRequest {
        origin,
        method: parts.method.as_str(),
        request_headers: &[],
    };
    if let Some(rule) = find_cors_rule(&rules, &req) {
        set_allow_headers(resp, rule, origin);
    }
}

/// The headers preflight and real answers share.
fn set_allow_headers(resp: &mut Response<ResponseBody>, rule: &CorsRule, origin: &str) {
    if rule.allows_any_origin() {
        set_header(resp, "access-control-allow-origin", "*");
    } else {
        set_header(resp, "access-control-allow-origin", origin);
        set_header(resp, "access-control-allow-credentials", "true");
    }
    set_header(
        resp,
        "access-control-allow-methods",
        &rule.allowed_methods.join(", "),
    );
    if !rule.expose_headers.is_empty() {
        set_header(
            resp,
            "access-control-expose-headers",
            &rule.expose_headers.join(", "),
        );
    }
    set_header(resp, "vary", VARY);
}

/// With the web console on `console`: the warning to print at startup when no CORS rule (the
/// server-wide default or any bucket's) lets a page on the console's origin `PUT` to the S3
/// listener, so the console's uploads would fail; `None` when one does.
pub async fn console_upload_warning(state: &AppState, console: SocketAddr) -> Option<String> {
    let port = console.port();
    // A console on an unspecified address is reached by some host name; the loopback names
    // are the ones that can be checked.
    let (shown, origins) = if console.ip().is_unspecified() {
        (
            format!("http://HOST:{port}"),
            vec![
                format!("http://localhost:{port}"),
                format!("http://127.0.0.1:{port}"),
                format!("http://[::1]:{port}"),
            ],
        )
    } else {
        let origin = format!("http://{console}");
        (origin.clone(), vec![origin])
    };
    let allows = |rule: &CorsRule| {
        origins.iter().any(|origin| {
            rule.allows(&CorsRequest {
                origin,
                method: "PUT",
                request_headers: &[],
            })
        })
    };
    if state.config.cors_default.as_ref().is_some_and(allows) {
        return None;
    }
    let buckets = match state.meta.list_buckets().await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "cannot list buckets to check the console's CORS");
            Vec::new()
        }
    };
    for bucket in buckets {
        if let Ok(Some(doc)) = state.access.bucket_cors(&bucket.name).await {
            if let Ok(rules) = parse_cors_configuration(doc.as_bytes()) {
                if rules.iter().any(allows) {
                    return None;
                }
            }
        }
    }
    Some(format!(
        "no CORS rule allows the web console's origin {shown}: uploads from the console will fail until --cors-allow-origin {shown} or a bucket CORS rule allows it"
    ))
}
