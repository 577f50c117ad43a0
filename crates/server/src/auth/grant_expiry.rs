//! Grant URLs valid longer than SigV4's 7 days: a URL minted with a grant (`max_uses`) may carry
//! `x-sluice-grant-expires=RFC3339`, signed like every query parameter; verification then uses it
//! instead of `X-Amz-Date + X-Amz-Expires`. Offline-minted URLs have no grant and keep the 7 days.
//!
//! Before the signature is checked the value is only a claim: it is honoured with an
//! `x-sluice-grant` parameter only, and at most `max_grant_days` ahead. After the signature,
//! grant admission refuses a URL claiming more than its grant's expiry (which the mint API set),
//! and revocation or a disabled key still kill the URL at its next request.

use crate::auth::url_constraints::{GRANT, GRANT_EXPIRES};
use crate::state::AppState;
use sluice_s3::{QueryParams, S3Error};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The end of validity a presigned URL's query claims for its grant, if it may claim one.
pub fn claimed_grant_expiry(state: &AppState, raw_query: &str) -> Option<OffsetDateTime> {
    if !contains_ignore_case(raw_query, GRANT_EXPIRES) {
        return None;
    }
    let query = QueryParams::parse(raw_query);
    let value = |name: &str| {
        query
            .pairs()
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    value(GRANT)?;
    let claimed = OffsetDateTime::parse(&value(GRANT_EXPIRES)?, &Rfc3339).ok()?;
    let limit = state.clock.now() + max_grant_lifetime(state);
    (claimed <= limit).then_some(claimed)
}

/// The longest life of a grant URL: `max_grant_days`.
pub fn max_grant_lifetime(state: &AppState) -> time::Duration {
    time::Duration::days(i64::from(state.config.max_grant_days))
}

/// Refuses a URL that claims to live longer than its grant (403 AccessDenied).
pub fn check_within_grant(claimed: OffsetDateTime, grant_expires_ms: i64) -> Result<(), S3Error> {
    let claimed_ms = i64::try_from(claimed.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
    if claimed_ms > grant_expires_ms {
        return Err(S3Error::new(
            "AccessDenied",
            403,
            "This presigned URL claims to outlive its grant",
        ));
    }
    Ok(())
}

fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}
