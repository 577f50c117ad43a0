//! Signatures of browser-based POST uploads (`multipart/form-data` with a policy).
//!
//! SigV4: `x-amz-signature = hex(HMAC(signing_key, policy))` where `policy` is the
//! base64 field as sent. SigV2: `signature = base64(HMAC-SHA1(secret, policy))`.
//! This module checks the signature only; evaluating the decoded policy document
//! (expiration, conditions) is the caller's job.

use base64::Engine;
use time::OffsetDateTime;

use crate::auth::{parse_credential, CredentialScope, Flavor, SignatureVersion};
use crate::canonical::{sign_string, ALGORITHM};
use crate::crypto::{ct_eq, hmac_sha1};
use crate::datetime::{format_date_stamp, parse_amz_date};
use crate::error::AuthError;
use crate::verify::{check_scope, VerifyContext};

/// Parsed, unverified signature fields of a POST upload form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostPolicyAuth {
    access_key_id: String,
    version: SignatureVersion,
    credential: Option<CredentialScope>,
    request_time: Option<OffsetDateTime>,
    policy: String,
    signature: String,
    security_token: Option<String>,
}

impl PostPolicyAuth {
    /// The access key id the form claims.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// V2 (`AWSAccessKeyId`/`signature`) or V4 (`x-amz-*` fields).
    pub fn signature_version(&self) -> SignatureVersion {
        self.version
    }
}

/// A POST form whose policy signature is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPostPolicy {
    /// Access key that signed the policy.
    pub access_key_id: String,
    /// V2 or V4.
    pub signature_version: SignatureVersion,
    /// `x-amz-date` of a V4 form.
    pub request_time: Option<OffsetDateTime>,
    /// `x-amz-security-token` field, if sent.
    pub security_token: Option<String>,
    /// The decoded policy document (JSON) to evaluate.
    pub policy: Vec<u8>,
}

fn field<'f>(fields: &'f [(String, String)], name: &str) -> Option<&'f str> {
    fields
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn missing(name: &str) -> AuthError {
    AuthError::InvalidArgument(format!(
        "Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields."
    ))
}

/// Reads the signature fields of a POST form (field names case-insensitive).
/// `Ok(None)` means an anonymous upload (no policy signature fields at all).
pub fn parse_post_policy_auth(
    fields: &[(String, String)],
) -> Result<Option<PostPolicyAuth>, AuthError> {
    let policy = field(fields, "policy");
    let security_token = field(fields, "x-amz-security-token").map(str::to_owned);
    if let Some(algorithm) = field(fields, "x-amz-algorithm") {
        if algorithm != ALGORITHM {
            return Err(AuthError::InvalidArgument(format!(
                "X-Amz-Algorithm only supports \"{ALGORITHM}\""
            )));
        }
        let credential =
            field(fields, "x-amz-credential").ok_or_else(|| missing("x-amz-credential"))?;
        let date = field(fields, "x-amz-date").ok_or_else(|| missing("x-amz-date"))?;
        let signature =
            field(fields, "x-amz-signature").ok_or_else(|| missing("x-amz-signature"))?;
        let policy = policy.ok_or_else(|| missing("policy"))?;
        let credential = parse_credential(credential, Flavor::Post)?;
        let request_time = parse_amz_date(date).ok_or_else(|| {
            AuthError::InvalidArgument(
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"".to_owned(),
            )
        })?;
        if format_date_stamp(request_time) != credential.date() {
            return Err(Flavor::Post
                .credential_error("Invalid credential date. Date is not the same as X-Amz-Date."));
        }
        return Ok(Some(PostPolicyAuth {
            access_key_id: credential.access_key_id().to_owned(),
            version: SignatureVersion::V4,
            credential: Some(credential),
            request_time: Some(request_time),
            policy: policy.to_owned(),
            signature: signature.to_owned(),
            security_token,
        }));
    }
    if let Some(access_key_id) = field(fields, "AWSAccessKeyId") {
        let signature = field(fields, "signature").ok_or_else(|| missing("signature"))?;
        let policy = policy.ok_or_else(|| missing("policy"))?;
        return Ok(Some(PostPolicyAuth {
            access_key_id: access_key_id.to_owned(),
            version: SignatureVersion::V2,
            credential: None,
            request_time: None,
            policy: policy.to_owned(),
            signature: signature.to_owned(),
            security_token,
        }));
    }
    if field(fields, "x-amz-signature").is_some() || field(fields, "x-amz-credential").is_some() {
        return Err(missing("x-amz-algorithm"));
    }
    if field(fields, "signature").is_some() {
        return Err(missing("AWSAccessKeyId"));
    }
    Ok(None)
}

/// Verifies the policy signature of a POST form and returns the decoded policy.
pub fn verify_post_policy(
    auth: &PostPolicyAuth,
    secret_access_key: &str,
    ctx: &VerifyContext,
) -> Result<VerifiedPostPolicy, AuthError> {
    let expected = match &auth.credential {
        Some(credential) => {
            check_scope(credential, ctx, Flavor::Post)?;
            let key = ctx.key_cache.signing_key(
                secret_access_key,
                credential.date(),
                credential.region(),
                credential.service(),
            );
            sign_string(&key, &auth.policy)
        }
        None => {
            if !ctx.allow_v2 {
                return Err(AuthError::SignatureV2Disabled);
            }
            base64::engine::general_purpose::STANDARD.encode(hmac_sha1(
                secret_access_key.as_bytes(),
                auth.policy.as_bytes(),
            ))
        }
    };
    if !ct_eq(expected.as_bytes(), auth.signature.as_bytes()) {
        return Err(AuthError::mismatch(
            &auth.access_key_id,
            auth.policy.clone(),
            String::new(),
            &auth.signature,
        ));
    }
    let policy = base64::engine::general_purpose::STANDARD
        .decode(auth.policy.trim())
        .map_err(|_| {
            AuthError::InvalidPolicyDocument("Invalid Policy: Invalid Base64 encoding.".to_owned())
        })?;
    Ok(VerifiedPostPolicy {
        access_key_id: auth.access_key_id.clone(),
        signature_version: auth.version,
        request_time: auth.request_time,
        security_token: auth.security_token.clone(),
        policy,
    })
}

/// The SigV4 `x-amz-signature` of a POST policy (the base64 `policy` field as sent), for
/// the credential scope `date_stamp/region/s3/aws4_request`.
pub fn sign_post_policy_v4(
    secret_access_key: &str,
    policy_b64: &str,
    date_stamp: &str,
    region: &str,
) -> String {
    let key = crate::signing_key::derive_signing_key(secret_access_key, date_stamp, region, "s3");
    sign_string(&key, policy_b64)
}

/// The SigV2 `signature` of a POST policy: base64(HMAC-SHA1(secret, policy)).
pub fn sign_post_policy_v2(secret_access_key: &str, policy_b64: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(hmac_sha1(
        secret_access_key.as_bytes(),
        policy_b64.as_bytes(),
    ))
}
