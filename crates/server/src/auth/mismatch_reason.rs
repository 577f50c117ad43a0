//! A presigned URL's 403 that says why: on the failure path only, the likely mistakes are
//! tried against the signature (see [`sluice_sigv4::diagnose_presigned_mismatch`]) and the one
//! that matches becomes the `SignatureDoesNotMatch` message. The code and AWS's elements
//! (`StringToSign`, `CanonicalRequest`, ...) stay as AWS sends them.

use crate::state::AppState;
use sluice_s3::S3Error;
use sluice_sigv4::{diagnose_presigned_mismatch, DiagnoseHints, RequestView, VerifyContext};

/// Replaces the message of a presigned request's `SignatureDoesNotMatch` with its likely cause.
/// Returns the cause, for the audit trail.
pub fn explain_mismatch(
    state: &AppState,
    view: &RequestView<'_>,
    secret: &str,
    ctx: &VerifyContext<'_>,
    err: &mut S3Error,
) -> Option<String> {
    let hosts = candidate_hosts(state, view);
    let cause = diagnose_presigned_mismatch(view, secret, ctx, &DiagnoseHints { hosts: &hosts })?;
    let reason = cause.to_string();
    err.message.clone_from(&reason);
    Some(reason)
}

/// Hosts the URL may have been signed for: the configured public hosts, the forwarded host, and
/// the loopback spellings of the request's own (`localhost`, `127.0.0.1`, `[::1]`, with its port).
fn candidate_hosts(state: &AppState, view: &RequestView<'_>) -> Vec<String> {
    let mut hosts: Vec<String> = state.config.public_hosts();
    if let Some(forwarded) = view.header_values("x-forwarded-host").next() {
        hosts.push(forwarded.trim().to_string());
    }
    if let Some(host) = view.header_values("host").next() {
        let port = host_port(host);
        for name in ["localhost", "127.0.0.1", "[::1]"] {
            hosts.push(match port {
                Some(p) => format!("{name}:{p}"),
                None => name.to_string(),
            });
        }
        if port.is_some() {
            if let Some((name, _)) = host.rsplit_once(':') {
                hosts.push(name.to_string());
            }
        }
    }
    let mut seen = Vec::with_capacity(hosts.len());
    for h in hosts {
        if !h.is_empty() && !seen.contains(&h) {
            seen.push(h);
        }
    }
    seen
}

/// The port of `host[:port]` (IPv6 literals in brackets).
fn host_port(host: &str) -> Option<&str> {
    let (_, port) = host.rsplit_once(':')?;
    (!port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && !host.ends_with(']'))
        .then_some(port)
}

#[cfg(test)]
mod tests {
    use super::host_port;

    #[test]
    fn ports_of_hosts() {
        assert_eq!(host_port("127.0.0.1:9000"), Some("9000"));
        assert_eq!(host_port("[::1]:80"), Some("80"));
        assert_eq!(host_port("[::1]"), None);
        assert_eq!(host_port("example.com"), None);
    }
}
