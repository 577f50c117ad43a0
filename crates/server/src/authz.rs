//! Authorization: every operation asks [`require_allowed`] before it touches anything.

use crate::authn::Caller;
use sluice_iam::{authorize, AccessRequest, Decision};
use sluice_s3::S3Error;

/// Fails with 403 AccessDenied unless the caller may perform `action` on the resource.
pub fn require_allowed(
    caller: &Caller,
    action: &str,
    bucket: Option<&str>,
    key: Option<&str>,
) -> Result<(), S3Error> {
    let request = AccessRequest {
        principal: &caller.principal,
        action,
        bucket,
        key,
    };
    match authorize(&request) {
        Decision::Allow => Ok(()),
        Decision::Deny => Err(S3Error::access_denied()),
    }
}
