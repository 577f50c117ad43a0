//! Authentication: which principal signed the request (header, presigned query, or nobody).
//!
//! User keys are looked up in the identity store on every request (one indexed read that
//! also returns the user's attached policies), so a key disabled, deleted or expired after a
//! URL was made fails that URL on its very next use. Disabled, deleted and expired keys all
//! answer `InvalidAccessKeyId`, as AWS does for an inactive key; the `sluice::audit` line of
//! the refusal names the real reason (`key disabled`, `key expired`, `unknown key`).

use crate::auth::auth_error::{auth_error_to_s3, invalid_access_key_id};
use crate::auth::mismatch_reason::explain_mismatch;
use crate::auth::public_hosts::verify_for_public_hosts;
use crate::state::AppState;
use sluice_iam::{Policy, PolicyKind, Principal};
use sluice_s3::S3Error;
use sluice_sigv4::{
    parse_auth, verify_owned, AuthError, AuthKind, PayloadCheck, RequestView, VerifiedAuth,
    VerifyContext,
};
use std::sync::Arc;

/// The authenticated caller of a request.
#[derive(Debug)]
pub struct Caller {
    /// Who signed (or anonymous).
    pub principal: Principal,
    /// Signature facts (absent for anonymous requests).
    pub auth: Option<VerifiedAuth>,
    /// Policies attached to the user, as they were when the request arrived (name, document).
    pub policies: Vec<(String, Arc<Policy>)>,
    /// The secret the signature was verified with (for APIs that sign on the caller's behalf).
    pub signing_secret: Option<SigningSecret>,
}

/// A secret access key that never shows in `Debug` output or logs.
#[derive(Clone)]
pub struct SigningSecret(String);

impl SigningSecret {
    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(..)")
    }
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

    /// The secret of the key that signed the request, if any.
    pub fn signing_secret(&self) -> Option<&str> {
        self.signing_secret.as_ref().map(SigningSecret::expose)
    }

    /// The access key id used, if any.
    pub fn access_key_id(&self) -> Option<&str> {
        self.auth.as_ref().map(|a| a.access_key_id.as_str())
    }
}

/// Whose secret verifies a signature.
struct KeyOwner {
    principal: Principal,
    secret: String,
    policies: Vec<(String, Arc<Policy>)>,
}

/// Finds the secret of an access key: root's, or an enabled, unexpired user key.
async fn key_owner(state: &AppState, access_key_id: &str) -> Result<KeyOwner, S3Error> {
    if access_key_id == state.root.access_key_id {
        return Ok(KeyOwner {
            principal: Principal::Root {
                access_key_id: access_key_id.to_string(),
            },
            secret: state.root.secret_access_key.clone(),
            policies: Vec::new(),
        });
    }
    let grant = state
        .access
        .key_grant(access_key_id)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "access key lookup failed");
            S3Error::internal_error()
        })?
        .ok_or_else(|| {
            refused_key(access_key_id, None, "unknown key");
            invalid_access_key_id(access_key_id)
        })?;
    let key = &grant.key;
    let expired = key.expires_ms.is_some_and(|t| t <= state.clock.now_ms());
    if !key.enabled || expired {
        // The client gets AWS's answer for an inactive key; the audit line says which.
        let reason = if !key.enabled {
            "key disabled"
        } else {
            "key expired"
        };
        refused_key(access_key_id, Some(&key.user), reason);
        return Err(invalid_access_key_id(access_key_id));
    }
    let secret = state
        .server_key
        .open(&key.secret_sealed, access_key_id)
        .map_err(|e| {
            tracing::error!(error = %e, access_key_id, "cannot open sealed secret");
            S3Error::internal_error()
        })?;
    let mut policies = Vec::with_capacity(grant.policies.len());
    for p in &grant.policies {
        match state.policy_cache.get(&p.document, PolicyKind::Identity) {
            Ok(parsed) => policies.push((p.name.clone(), parsed)),
            // Documents are validated before they are stored; one that no longer parses
            // (e.g. written by a newer build) grants nothing.
            Err(e) => tracing::warn!(policy = p.name, error = %e, "stored policy ignored"),
        }
    }
    Ok(KeyOwner {
        principal: Principal::User {
            name: key.user.clone(),
            access_key_id: access_key_id.to_string(),
        },
        secret,
        policies,
    })
}

/// The audit line of a request refused with `InvalidAccessKeyId`, with the real reason.
fn refused_key(access_key_id: &str, user: Option<&str>, reason: &str) {
    tracing::info!(
        target: "sluice::audit",
        access_key = access_key_id,
        user = user.unwrap_or_default(),
        reason,
        "access key refused (answered InvalidAccessKeyId)"
    );
}

/// The caller for a web-console session of `access_key_id`, re-read from the identity store
/// (so a disabled, deleted or expired key ends the session at once). The session's login
/// proved the secret; it stands in for a header signature made now.
pub async fn session_caller(state: &AppState, access_key_id: &str) -> Result<Caller, S3Error> {
    let owner = key_owner(state, access_key_id).await?;
    Ok(Caller {
        principal: owner.principal,
        auth: Some(VerifiedAuth {
            access_key_id: access_key_id.to_string(),
            kind: sluice_sigv4::AuthKind::HeaderV4,
            signature_version: sluice_sigv4::SignatureVersion::V4,
            request_time: state.clock.now(),
            expires_at: None,
            signed_headers: Vec::new(),
            security_token: None,
            payload: PayloadCheck::Unsigned,
        }),
        policies: owner.policies,
        signing_secret: Some(SigningSecret(owner.secret)),
    })
}

/// Whether `secret` is the secret of the enabled key `access_key_id` (constant-time compare).
/// Unknown, disabled and expired keys are simply `false`.
pub async fn secret_matches(state: &AppState, access_key_id: &str, secret: &str) -> bool {
    use sha2::Digest;
    use subtle::ConstantTimeEq;
    match key_owner(state, access_key_id).await {
        Ok(owner) => {
            let a = sha2::Sha256::digest(owner.secret.as_bytes());
            let b = sha2::Sha256::digest(secret.as_bytes());
            bool::from(a.ct_eq(&b))
        }
        Err(_) => false,
    }
}

/// Verifies the request's signature (if any) at the moment the request starts.
/// Returns the caller and how the body must be checked.
pub async fn authenticate(
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
                    policies: Vec::new(),
                    signing_secret: None,
                },
                PayloadCheck::Unsigned,
            ))
        }
        Some(p) => p,
    };
    let owner = key_owner(state, parsed.access_key_id()).await?;
    let ctx = VerifyContext {
        now: state.clock.now(),
        region: &state.config.region,
        max_skew: state.config.max_clock_skew,
        allow_v2: state.config.allow_sigv2,
        v2_virtual_host_bucket: virtual_host_bucket,
        key_cache: &state.key_cache,
        grant_expiry: crate::auth::grant_expiry::claimed_grant_expiry(state, view.raw_query),
    };
    let kind = parsed.kind();
    let result = match verify_owned(view, parsed, &owner.secret, &ctx) {
        // A signature made for a configured public host (`--public-url`) verifies too.
        Err(AuthError::SignatureDoesNotMatch(m)) => {
            verify_for_public_hosts(state, view, &owner.secret, &ctx)
                .ok_or(AuthError::SignatureDoesNotMatch(m))
        }
        other => other,
    };
    let mut verified = match result {
        Ok(v) => v,
        Err(e) => {
            let mut err = auth_error_to_s3(&e);
            if kind == AuthKind::QueryV4 && matches!(e, AuthError::SignatureDoesNotMatch(_)) {
                if let Some(reason) = explain_mismatch(state, view, &owner.secret, &ctx, &mut err) {
                    audit_mismatch(view, &owner.principal, &reason);
                }
            }
            return Err(err);
        }
    };
    let payload = std::mem::replace(&mut verified.payload, PayloadCheck::Unsigned);
    Ok((
        Caller {
            principal: owner.principal,
            auth: Some(verified),
            policies: owner.policies,
            signing_secret: Some(SigningSecret(owner.secret)),
        },
        payload,
    ))
}

/// The audit line of a presigned request refused with `SignatureDoesNotMatch`, with its likely
/// cause and the grant its URL names, if any (so a grant's refusals can be traced).
fn audit_mismatch(view: &RequestView<'_>, principal: &Principal, reason: &str) {
    let query = sluice_s3::QueryParams::parse(view.raw_query);
    let grant = query
        .pairs()
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(crate::auth::url_constraints::GRANT))
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    tracing::info!(
        target: "sluice::audit",
        grant,
        user = principal.display_name(),
        reason,
        "presigned request refused (answered SignatureDoesNotMatch)"
    );
}

/// Authenticates a browser POST form by its policy signature: the signing key must be root's
/// or an enabled, unexpired user key (read now, as for every request). Returns the caller
/// (judged as a header-signed request by that key) and the decoded policy to evaluate.
pub async fn authenticate_post_form(
    state: &AppState,
    auth: &sluice_sigv4::PostPolicyAuth,
) -> Result<(Caller, sluice_sigv4::VerifiedPostPolicy), S3Error> {
    let owner = key_owner(state, auth.access_key_id()).await?;
    let now = state.clock.now();
    let ctx = VerifyContext {
        now,
        region: &state.config.region,
        max_skew: state.config.max_clock_skew,
        allow_v2: state.config.allow_sigv2,
        v2_virtual_host_bucket: None,
        key_cache: &state.key_cache,
        grant_expiry: None,
    };
    let verified = sluice_sigv4::verify_post_policy(auth, &owner.secret, &ctx)
        .map_err(|e| auth_error_to_s3(&e))?;
    let kind = match verified.signature_version {
        sluice_sigv4::SignatureVersion::V4 => sluice_sigv4::AuthKind::HeaderV4,
        sluice_sigv4::SignatureVersion::V2 => sluice_sigv4::AuthKind::HeaderV2,
    };
    let caller = Caller {
        principal: owner.principal,
        auth: Some(VerifiedAuth {
            access_key_id: verified.access_key_id.clone(),
            kind,
            signature_version: verified.signature_version,
            request_time: verified.request_time.unwrap_or(now),
            expires_at: None,
            signed_headers: Vec::new(),
            security_token: verified.security_token.clone(),
            payload: PayloadCheck::Unsigned,
        }),
        policies: owner.policies,
        signing_secret: Some(SigningSecret(owner.secret)),
    };
    Ok((caller, verified))
}
