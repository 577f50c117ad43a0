//! The access-log line and request metrics of every request, and the facts the stages gather for them.

use crate::net::headers::header;
use http::request::Parts;
use http::Response;
use sluice_s3::{Endpoint, S3Error};
use std::net::SocketAddr;
use std::time::Instant;

/// Facts about a request gathered for its access-log line.
#[derive(Debug, Default)]
pub(crate) struct LogFields {
    pub(crate) operation: &'static str,
    pub(crate) bucket: String,
    pub(crate) key: String,
    pub(crate) auth: &'static str,
    pub(crate) access_key: String,
    /// Errors are answered as JSON (admin API) instead of S3 XML.
    pub(crate) json_errors: bool,
    /// For presigned requests: how authentication/authorization ended.
    pub(crate) presigned_outcome: Option<&'static str>,
}

/// The metric label for an auth type.
fn auth_label(auth: &str) -> &'static str {
    match auth {
        "REST-HEADER" => "header",
        "REST-QUERY-STRING" => "presigned",
        "POST" => "post",
        _ => "anonymous",
    }
}

/// The presigned-URL outcome an authentication error stands for.
pub(crate) fn presigned_failure(e: &S3Error) -> &'static str {
    match (e.code, e.message.as_str()) {
        ("AccessDenied", "Request has expired") => "expired",
        ("AccessDenied", "Request is not yet valid") => "not_yet_valid",
        ("SignatureDoesNotMatch", _) => "bad_signature",
        ("InvalidAccessKeyId", _) => "unknown_key",
        ("AuthorizationQueryParametersError", _) => "malformed",
        ("AccessDenied", crate::auth::grant_use::REVOKED) => "revoked",
        ("AccessDenied", crate::auth::grant_use::USED_UP) => "used_up",
        ("AccessDenied", m) if m.starts_with("This presigned URL") => "constraint",
        ("EntityTooLarge" | "EntityTooSmall", _) => "constraint",
        _ => "refused",
    }
}

impl LogFields {
    /// Names the operation, bucket and key of a routed request.
    pub(crate) fn set_endpoint(&mut self, endpoint: &Endpoint) {
        self.operation = endpoint.name();
        self.bucket = endpoint.bucket().unwrap_or_default().to_string();
        self.key = endpoint.key().unwrap_or_default().to_string();
    }
}

/// Records the request's metrics and writes its access-log line; returns the operation's metric label.
pub(crate) fn record<B>(
    log: &LogFields,
    parts: &Parts,
    resp: &Response<B>,
    request_id: &str,
    remote: SocketAddr,
    started: Instant,
) -> &'static str {
    let operation = if log.operation.is_empty() {
        "Unknown"
    } else {
        log.operation
    };
    let bytes_in: u64 = header(parts, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    crate::metrics::record_request(
        operation,
        auth_label(log.auth),
        resp.status().as_u16(),
        bytes_in,
        started.elapsed(),
    );
    if let Some(outcome) = log.presigned_outcome {
        crate::metrics::record_presigned(outcome);
    }
    crate::metrics::in_flight(-1.0);
    let bytes_out = resp
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("0")
        .to_string();
    tracing::info!(
        target: "sluice::access",
        request_id,
        remote = %remote,
        method = %parts.method,
        operation = log.operation,
        bucket = log.bucket,
        key = log.key,
        status = resp.status().as_u16(),
        bytes_in = header(parts, "content-length").unwrap_or("0"),
        bytes_out,
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        auth = log.auth,
        access_key = log.access_key,
    );
    operation
}

#[cfg(test)]
mod tests {
    use super::presigned_failure;
    use sluice_s3::S3Error;

    #[test]
    fn presigned_outcome_labels() {
        let denied = |m: &str| S3Error::new("AccessDenied", 403, m.to_string());
        assert_eq!(
            presigned_failure(&denied(crate::auth::grant_use::REVOKED)),
            "revoked"
        );
        assert_eq!(
            presigned_failure(&denied(crate::auth::grant_use::USED_UP)),
            "used_up"
        );
        assert_eq!(
            presigned_failure(&denied(
                "This presigned URL may not be used from your network address"
            )),
            "constraint"
        );
        assert_eq!(
            presigned_failure(&S3Error::entity_too_large(10)),
            "constraint"
        );
        assert_eq!(presigned_failure(&denied("Request has expired")), "expired");
        assert_eq!(presigned_failure(&denied("Access Denied")), "refused");
    }
}
