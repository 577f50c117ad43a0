//! Authentication: which principal signed the request (header, presigned query, or nobody).

use crate::auth_error::{auth_error_to_s3, invalid_access_key_id};
use crate::state::AppState;
use sluice_iam::Principal;
use sluice_s3::S3Error;
use sluice_sigv4::{parse_auth, verify, PayloadCheck, RequestView, VerifiedAuth, VerifyContext};

/// The authenticated caller of a request.
#[derive(Debug)]
pub struct Caller {
    /// Who signed (or anonymous).
    pub principal: Principal,
    /// Signature facts (absent for anonymous requests).
    pub auth: Option<VerifiedAuth>,
}

impl Caller {
    /// The auth type as AWS names it in `s3:authType`: REST-HEADER, REST-QUERY-STRING or none.
    pub fn auth_type(&self) -> &'static str {
        match self.auth.as_ref().map(|a| &a.kind) {
            Some(sluice_sigv4::AuthKind::HeaderV4) | Some(sluice_sigv4::AuthKind::HeaderV2) => {
                "REST-HEADER"
            }
            Some(_) => "REST-QUERY-STRING",
            None => "anonymous",
        }
    }

    /// The access key id used, if any.
    pub fn access_key_id(&self) -> Option<&str> {
        self.auth.as_ref().map(|a| a.access_key_id.as_str())
    }
}

/// Verifies the request's signature (if any) at the moment the request starts.
/// Returns the caller and how the body must be checked.
pub fn authenticate(
    state: &AppState,
    view: &RequestView<'_>,
    virtual_host_bucket: Option<&str>,
) -> Result<(Caller, PayloadCheck), S3Error> {
    let parsed = match parse_auth(view).map_err(|e| auth_error_to_s3(&e))? {
        None => {
            return Ok((
                Caller {
                    principal: Principal::Anonymous,
                    auth: None,
                },
                PayloadCheck::Unsigned,
            ))
        }
        Some(p) => p,
    };
    let access_key_id = parsed.access_key_id().to_string();
    let secret = state
        .secret_for(&access_key_id)
        .ok_or_else(|| invalid_access_key_id(&access_key_id))?;
    let ctx = VerifyContext {
        now: state.clock.now(),
        region: &state.config.region,
        max_skew: state.config.max_clock_skew,
        allow_v2: state.config.allow_sigv2,
        v2_virtual_host_bucket: virtual_host_bucket,
        key_cache: &state.key_cache,
    };
    let mut verified = verify(view, &parsed, secret, &ctx).map_err(|e| auth_error_to_s3(&e))?;
    let payload = std::mem::replace(&mut verified.payload, PayloadCheck::Unsigned);
    Ok((
        Caller {
            principal: Principal::Root { access_key_id },
            auth: Some(verified),
        },
        payload,
    ))
}
