//! Signatures made for a public host: a URL signed for `uploads.example.com` still verifies when a
//! proxy forwards it with Host `sluice:9000`. The host is part of what was signed, so this only
//! widens the names the server answers to, to the ones its operator configured (`--public-url`).

use crate::state::AppState;
use sluice_sigv4::{parse_auth, verify_owned, RequestView, VerifiedAuth, VerifyContext};

/// Verifies the request as if its `Host` were each configured public host in turn (other than
/// the one it carries); the first that verifies wins. `None` when none does (or none is set).
pub fn verify_for_public_hosts(
    state: &AppState,
    view: &RequestView<'_>,
    secret: &str,
    ctx: &VerifyContext<'_>,
) -> Option<VerifiedAuth> {
    let actual = view.header_values("host").next().unwrap_or_default();
    for url in &state.config.public_urls {
        if url.host.eq_ignore_ascii_case(actual) {
            continue;
        }
        let headers = with_host(view.headers, &url.host);
        let alt = RequestView {
            headers: &headers,
            ..*view
        };
        let Ok(Some(parsed)) = parse_auth(&alt) else {
            return None;
        };
        if let Ok(verified) = verify_owned(&alt, parsed, secret, ctx) {
            return Some(verified);
        }
    }
    None
}

/// `headers` with `Host` set to `host`.
pub fn with_host(headers: &[(String, String)], host: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("host"))
        .cloned()
        .collect();
    out.push(("host".to_string(), host.to_string()));
    out
}
