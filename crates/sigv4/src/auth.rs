//! Detecting which auth mechanism a request uses and parsing its parameters
//! (no secret, no clock: everything that can be checked from the request alone).

use std::borrow::Cow;
use std::fmt;

use time::OffsetDateTime;

use crate::canonical::{push_canonical_query_reordering, ALGORITHM, SCOPE_TERMINATOR};
use crate::datetime::{date_stamp_eq, parse_amz_date};
use crate::error::AuthError;
use crate::request::{parse_query, QueryParam, RequestView};

/// The only service this crate verifies.
pub(crate) const SERVICE: &str = "s3";

/// Longest accepted `X-Amz-Expires`, in seconds (one week).
pub const MAX_PRESIGN_EXPIRES: u64 = 604_800;

/// Where a request carries its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthKind {
    /// `Authorization: AWS4-HMAC-SHA256 ...`.
    HeaderV4,
    /// Presigned URL with `X-Amz-Algorithm=AWS4-HMAC-SHA256`.
    QueryV4,
    /// `Authorization: AWS AKID:signature` (legacy).
    HeaderV2,
    /// Presigned URL with `AWSAccessKeyId`, `Expires`, `Signature` (legacy).
    QueryV2,
}

impl AuthKind {
    /// The signature version of this mechanism.
    pub fn signature_version(self) -> SignatureVersion {
        match self {
            AuthKind::HeaderV4 | AuthKind::QueryV4 => SignatureVersion::V4,
            AuthKind::HeaderV2 | AuthKind::QueryV2 => SignatureVersion::V2,
        }
    }

    /// True for presigned (query-string) mechanisms.
    pub fn is_presigned(self) -> bool {
        matches!(self, AuthKind::QueryV4 | AuthKind::QueryV2)
    }
}

/// AWS signature version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureVersion {
    /// Legacy HMAC-SHA1 signatures.
    V2,
    /// `AWS4-HMAC-SHA256`.
    V4,
}

/// The parsed `Credential` of a SigV4 request: `AKID/yyyyMMdd/region/s3/aws4_request`.
///
/// Held as the one validated credential string (one allocation), read through
/// accessors.
#[derive(Clone, PartialEq, Eq)]
pub struct CredentialScope {
    /// `AKID/yyyyMMdd/region/service/aws4_request`, validated.
    text: String,
    /// Where the date starts in `text` (the key id ends one byte before).
    date_start: usize,
    /// Where the service starts in `text` (the region ends one byte before).
    service_start: usize,
    /// Where `/aws4_request` starts in `text` (the service ends there).
    terminal_start: usize,
}

impl CredentialScope {
    /// Access key id.
    pub fn access_key_id(&self) -> &str {
        self.text.get(..self.date_start - 1).unwrap_or_default()
    }

    /// Scope date, `yyyyMMdd`.
    pub fn date(&self) -> &str {
        self.text
            .get(self.date_start..self.date_start + 8)
            .unwrap_or_default()
    }

    /// Scope region.
    pub fn region(&self) -> &str {
        self.text
            .get(self.date_start + 9..self.service_start - 1)
            .unwrap_or_default()
    }

    /// Scope service (must be `s3` to verify).
    pub fn service(&self) -> &str {
        self.text
            .get(self.service_start..self.terminal_start)
            .unwrap_or_default()
    }

    /// `yyyyMMdd/region/service/aws4_request`.
    pub fn scope(&self) -> String {
        self.scope_str().to_owned()
    }

    /// The access key id, reusing the credential's allocation.
    pub(crate) fn into_access_key_id(self) -> String {
        // A prefix of `text`, so its length is a char boundary.
        let len = self.access_key_id().len();
        let mut text = self.text;
        text.truncate(len);
        text
    }

    /// [`scope`](Self::scope), borrowed.
    pub(crate) fn scope_str(&self) -> &str {
        self.text.get(self.date_start..).unwrap_or_default()
    }
}

impl fmt::Debug for CredentialScope {
    /// As `#[derive(Debug)]` printed the four fields this type used to have.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialScope")
            .field("access_key_id", &self.access_key_id())
            .field("date", &self.date())
            .field("region", &self.region())
            .field("service", &self.service())
            .finish()
    }
}

/// Presigned-URL specific SigV4 parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryV4Params {
    pub amz_date: OffsetDateTime,
    /// `X-Amz-Date` as sent (what the string to sign holds): `parse_amz_date` accepts
    /// only the one spelling of each time, so this is also its formatting.
    pub amz_date_text: [u8; 16],
    pub expires_in: u64,
    pub security_token: Option<String>,
}

/// SigV4 parameters common to header and query forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct V4Params {
    pub credential: CredentialScope,
    pub signed_headers: Vec<String>,
    pub signature: String,
    pub query: Option<QueryV4Params>,
}

/// SigV2 parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct V2Params {
    pub access_key_id: String,
    pub signature: String,
    /// `Expires` (epoch seconds) of a presigned V2 URL, parsed and as sent.
    pub expires: Option<(i64, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Params {
    V4(V4Params),
    V2(V2Params),
}

/// Parsed, unverified credentials of a request. `None` from [`parse_auth`] means anonymous.
#[derive(Clone)]
pub struct ParsedAuth {
    pub(crate) kind: AuthKind,
    pub(crate) params: Params,
    /// What verifying a presigned URL needs from its query, worked out during the one
    /// parse of it. Not part of the value: equality and `Debug` ignore it.
    pub(crate) query_cache: Option<QueryCache>,
}

/// The parts of a presigned URL's query that verification needs, valid only for a
/// request whose raw query equals [`raw_query`](Self::raw_query).
#[derive(Clone)]
pub(crate) struct QueryCache {
    /// The raw query these were computed from, then its canonical form without
    /// `X-Amz-Signature` (one allocation for both).
    text: String,
    /// Where the canonical query starts in `text`.
    split: usize,
    /// Decoded `X-Amz-Content-Sha256` query parameter, if present.
    pub content_sha256: Option<String>,
}

impl QueryCache {
    fn new(raw_query: &str, query: &mut [QueryParam], content_sha256: Option<String>) -> Self {
        let mut text = String::with_capacity(raw_query.len() * 2);
        text.push_str(raw_query);
        push_canonical_query_reordering(&mut text, raw_query, query, PRESIGNED_EXCLUDED);
        QueryCache {
            text,
            split: raw_query.len(),
            content_sha256,
        }
    }

    /// The raw query the cache was computed from.
    pub fn raw_query(&self) -> &str {
        self.text.get(..self.split).unwrap_or_default()
    }

    /// Its canonical query string (without `X-Amz-Signature`).
    pub fn canonical_query(&self) -> &str {
        self.text.get(self.split..).unwrap_or_default()
    }
}

impl PartialEq for ParsedAuth {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.params == other.params
    }
}

impl Eq for ParsedAuth {}

impl fmt::Debug for ParsedAuth {
    /// As `#[derive(Debug)]` would print it without the query cache.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedAuth")
            .field("kind", &self.kind)
            .field("access_key_id", &self.access_key_id())
            .field("params", &self.params)
            .finish()
    }
}

impl ParsedAuth {
    /// The access key id the request claims (look the secret up with it).
    pub fn access_key_id(&self) -> &str {
        match &self.params {
            Params::V4(v4) => v4.credential.access_key_id(),
            Params::V2(v2) => &v2.access_key_id,
        }
    }

    /// Where the signature was found.
    pub fn kind(&self) -> AuthKind {
        self.kind
    }

    /// V2 or V4.
    pub fn signature_version(&self) -> SignatureVersion {
        self.kind.signature_version()
    }

    /// The signature as sent (hex for V4, base64 for V2).
    pub fn signature(&self) -> &str {
        match &self.params {
            Params::V4(v4) => &v4.signature,
            Params::V2(v2) => &v2.signature,
        }
    }

    /// The credential scope (SigV4 only).
    pub fn credential(&self) -> Option<&CredentialScope> {
        match &self.params {
            Params::V4(v4) => Some(&v4.credential),
            Params::V2(_) => None,
        }
    }

    /// `SignedHeaders` as sent, lowercased (SigV4 only; empty for V2).
    pub fn signed_headers(&self) -> &[String] {
        match &self.params {
            Params::V4(v4) => &v4.signed_headers,
            Params::V2(_) => &[],
        }
    }
}

const ONLY_ONE: &str = "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified";
const QUERY_V4_REQUIRED: &str = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";
const QUERY_V2_REQUIRED: &str =
    "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters";
const HEADER_THREE_COMPONENTS: &str = "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.";
const V2_HEADER_INVALID: &str =
    "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature";

/// Detects the auth mechanism of a request and parses its parameters.
///
/// Returns `Ok(None)` for anonymous requests. Errors cover everything that can
/// be decided without the secret or the clock: two mechanisms at once, missing
/// or malformed parameters, wrong algorithm or service, bad `X-Amz-Expires`.
pub fn parse_auth(req: &RequestView) -> Result<Option<ParsedAuth>, AuthError> {
    let mut authorizations = req.header_values("authorization");
    let authorization = authorizations.next();
    let repeated_authorization = authorizations.next().is_some();
    let mut query = parse_query(req.raw_query);
    // One pass over the names for both mechanisms.
    let names = AuthParams::find(&query);
    let v4_query = names.v4[..3].iter().any(Option::is_some);
    let v2_query = names.v2;

    let mechanisms =
        usize::from(authorization.is_some()) + usize::from(v4_query) + usize::from(v2_query);
    if mechanisms > 1 || repeated_authorization {
        return Err(AuthError::InvalidArgument(ONLY_ONE.to_owned()));
    }
    if let Some(value) = authorization {
        return parse_authorization_header(value).map(Some);
    }
    if v4_query {
        return parse_query_v4(req.raw_query, &mut query, &names).map(Some);
    }
    if v2_query {
        return parse_query_v2(&query).map(Some);
    }
    Ok(None)
}

fn parse_authorization_header(value: &str) -> Result<ParsedAuth, AuthError> {
    let value = value.trim();
    if let Some(rest) = strip_scheme(value, ALGORITHM) {
        return parse_header_v4(rest);
    }
    if let Some(rest) = strip_scheme(value, "AWS") {
        let (access_key_id, signature) = rest
            .trim()
            .rsplit_once(':')
            .filter(|(ak, sig)| !ak.is_empty() && !sig.is_empty())
            .ok_or_else(|| AuthError::InvalidArgument(V2_HEADER_INVALID.to_owned()))?;
        return Ok(ParsedAuth {
            query_cache: None,
            kind: AuthKind::HeaderV2,
            params: Params::V2(V2Params {
                access_key_id: access_key_id.to_owned(),
                signature: signature.to_owned(),
                expires: None,
            }),
        });
    }
    Err(AuthError::InvalidArgument(
        "Unsupported Authorization Type".to_owned(),
    ))
}

/// Strips `scheme` followed by at least one space or tab.
fn strip_scheme<'v>(value: &'v str, scheme: &str) -> Option<&'v str> {
    let rest = value.strip_prefix(scheme)?;
    let trimmed = rest.trim_start_matches([' ', '\t']);
    (trimmed.len() < rest.len()).then_some(trimmed)
}

/// Flavour of a SigV4 parse error: header or query form word their errors differently.
#[derive(Clone, Copy)]
pub(crate) enum Flavor {
    Header,
    Query,
    /// Browser-based POST upload form fields.
    Post,
}

impl Flavor {
    /// An error about the credential (AWS prefixes these per form).
    pub(crate) fn credential_error(self, msg: &str) -> AuthError {
        match self {
            Flavor::Header => AuthError::AuthorizationHeaderMalformed(format!(
                "The authorization header is malformed; {msg}"
            )),
            Flavor::Query => AuthError::AuthorizationQueryParametersError(format!(
                "Error parsing the X-Amz-Credential parameter; {msg}"
            )),
            Flavor::Post => AuthError::InvalidArgument(format!(
                "Error parsing the X-Amz-Credential parameter; {msg}"
            )),
        }
    }

    /// A generic malformed-parameters error.
    pub(crate) fn error(self, msg: &str) -> AuthError {
        match self {
            Flavor::Header => AuthError::AuthorizationHeaderMalformed(format!(
                "The authorization header is malformed; {msg}"
            )),
            Flavor::Query => AuthError::AuthorizationQueryParametersError(msg.to_owned()),
            Flavor::Post => AuthError::InvalidArgument(msg.to_owned()),
        }
    }
}

fn parse_header_v4(rest: &str) -> Result<ParsedAuth, AuthError> {
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for component in rest.split(',') {
        let component = component.trim();
        if component.is_empty() {
            continue;
        }
        let (name, value) = component.split_once('=').ok_or_else(|| {
            AuthError::AuthorizationHeaderMalformed(format!(
                "The authorization header is malformed; the authorization component \"{component}\" is malformed."
            ))
        })?;
        let slot = match name.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => {
                return Err(AuthError::AuthorizationHeaderMalformed(format!(
                    "The authorization header is malformed; the authorization component \"{component}\" is malformed."
                )))
            }
        };
        if slot.replace(value.trim()).is_some() {
            return Err(AuthError::AuthorizationHeaderMalformed(
                HEADER_THREE_COMPONENTS.to_owned(),
            ));
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(AuthError::AuthorizationHeaderMalformed(
            HEADER_THREE_COMPONENTS.to_owned(),
        ));
    };
    let credential = parse_credential(credential, Flavor::Header)?;
    let signed_headers = parse_signed_headers(signed_headers, Flavor::Header)?;
    Ok(ParsedAuth {
        query_cache: None,
        kind: AuthKind::HeaderV4,
        params: Params::V4(V4Params {
            credential,
            signed_headers,
            signature: signature.to_owned(),
            query: None,
        }),
    })
}

/// Parses `AKID/yyyyMMdd/region/service/aws4_request` (the key id may hold `/`).
pub(crate) fn parse_credential(value: &str, flavor: Flavor) -> Result<CredentialScope, AuthError> {
    let malformed = || {
        flavor.credential_error(
            "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
        )
    };
    // `rsplitn(5, '/')` by hand: the last four `/` (ASCII, so the cuts are on char
    // boundaries); the key id keeps any further `/`.
    let mut rest = value;
    let mut fields = [""; 4];
    for field in fields.iter_mut() {
        let Some(slash) = memchr::memrchr(b'/', rest.as_bytes()) else {
            return Err(malformed());
        };
        *field = &rest[slash + 1..];
        rest = &rest[..slash];
    }
    let [terminal, service, region, date] = fields;
    let access_key_id = rest;
    if access_key_id.is_empty()
        || region.is_empty()
        || date.len() != 8
        || !date.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(malformed());
    }
    if terminal != SCOPE_TERMINATOR {
        return Err(flavor.credential_error(&format!(
            "incorrect terminal \"{terminal}\". This endpoint uses \"{SCOPE_TERMINATOR}\"."
        )));
    }
    // `value` is exactly `{access_key_id}/{date}/{region}/{service}/{terminal}`.
    let date_start = access_key_id.len() + 1;
    let service_start = date_start + date.len() + 1 + region.len() + 1;
    let terminal_start = service_start + service.len();
    Ok(CredentialScope {
        text: value.to_owned(),
        date_start,
        service_start,
        terminal_start,
    })
}

/// Parses `a;b;c` into lowercase names; `host` must be among them.
pub(crate) fn parse_signed_headers(value: &str, flavor: Flavor) -> Result<Vec<String>, AuthError> {
    let names: Vec<String> = value
        .split(';')
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    if names
        .iter()
        .any(|n| n.is_empty() || !n.bytes().all(is_token_byte))
    {
        return Err(flavor.error("the SignedHeaders component is malformed."));
    }
    if !names.iter().any(|n| n == "host") {
        return Err(flavor.error("the host header must be signed."));
    }
    Ok(names)
}

/// RFC 9110 token characters (header names).
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Query parameters left out of a presigned URL's canonical query.
pub(crate) const PRESIGNED_EXCLUDED: &[&str] = &["X-Amz-Signature"];

/// The SigV4 auth parameters, in the order their repetition is reported.
const QUERY_V4_PARAMS: [&str; 8] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
    "X-Amz-Security-Token",
    "X-Amz-Content-Sha256",
];

/// Where the auth parameters of a query are: one pass over its names.
struct AuthParams {
    /// Index in the query of the first of each of [`QUERY_V4_PARAMS`].
    v4: [Option<usize>; 8],
    /// Which of [`QUERY_V4_PARAMS`] occur more than once.
    v4_repeated: [bool; 8],
    /// Whether a SigV2 parameter (`AWSAccessKeyId`, `Signature`) occurs.
    v2: bool,
}

impl AuthParams {
    fn find(query: &[QueryParam]) -> Self {
        let mut found = AuthParams {
            v4: [None; 8],
            v4_repeated: [false; 8],
            v2: false,
        };
        for (index, param) in query.iter().enumerate() {
            // A `match` compiles to a length switch before any byte comparison.
            let slot = match param.name.as_ref() {
                "X-Amz-Algorithm" => 0,
                "X-Amz-Credential" => 1,
                "X-Amz-Signature" => 2,
                "X-Amz-Date" => 3,
                "X-Amz-SignedHeaders" => 4,
                "X-Amz-Expires" => 5,
                "X-Amz-Security-Token" => 6,
                "X-Amz-Content-Sha256" => 7,
                "AWSAccessKeyId" | "Signature" => {
                    found.v2 = true;
                    continue;
                }
                _ => continue,
            };
            debug_assert_eq!(QUERY_V4_PARAMS[slot], param.name);
            if found.v4[slot].is_some() {
                found.v4_repeated[slot] = true;
            } else {
                found.v4[slot] = Some(index);
            }
        }
        found
    }
}

fn parse_query_v4(
    raw_query: &str,
    query: &mut [QueryParam],
    names: &AuthParams,
) -> Result<ParsedAuth, AuthError> {
    let required = || AuthError::AuthorizationQueryParametersError(QUERY_V4_REQUIRED.to_owned());
    if let Some(i) = names.v4_repeated.iter().position(|&r| r) {
        return Err(AuthError::AuthorizationQueryParametersError(format!(
            "The {} parameter may only be specified once.",
            QUERY_V4_PARAMS[i]
        )));
    }
    let param = |slot: usize| names.v4[slot].and_then(|i| query.get(i));
    let value = |slot: usize| param(slot).map(QueryParam::value);
    // The credential (usually escaped, `%2F`) is decoded on the stack.
    let mut credential_buf = [0u8; 256];
    let (
        Some(algorithm),
        Some(credential),
        Some(signature),
        Some(date),
        Some(signed_headers),
        Some(expires),
    ) = (
        value(0),
        param(1).map(|p| p.value_in(&mut credential_buf)),
        value(2),
        value(3),
        value(4),
        value(5),
    )
    else {
        return Err(required());
    };
    let (security_token, content_sha256) = (value(6), value(7));
    if algorithm != ALGORITHM {
        return Err(AuthError::AuthorizationQueryParametersError(format!(
            "X-Amz-Algorithm only supports \"{ALGORITHM}\""
        )));
    }
    let credential = parse_credential(&credential, Flavor::Query)?;
    let date_error = || {
        AuthError::AuthorizationQueryParametersError(
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"".to_owned(),
        )
    };
    let amz_date = parse_amz_date(&date).ok_or_else(date_error)?;
    let amz_date_text = <[u8; 16]>::try_from(date.as_bytes()).map_err(|_| date_error())?;
    if !date_stamp_eq(amz_date, credential.date()) {
        return Err(Flavor::Query
            .credential_error("Invalid credential date. Date is not the same as X-Amz-Date."));
    }
    let expires_in = parse_expires(&expires)?;
    let signed_headers = parse_signed_headers(&signed_headers, Flavor::Query)?;
    Ok(ParsedAuth {
        query_cache: Some(QueryCache::new(
            raw_query,
            query,
            content_sha256.map(Cow::into_owned),
        )),
        kind: AuthKind::QueryV4,
        params: Params::V4(V4Params {
            credential,
            signed_headers,
            signature: signature.into_owned(),
            query: Some(QueryV4Params {
                amz_date,
                amz_date_text,
                expires_in,
                security_token: security_token.map(Cow::into_owned),
            }),
        }),
    })
}

/// Validates `X-Amz-Expires`: a decimal number of seconds in `1..=604800`.
fn parse_expires(value: &str) -> Result<u64, AuthError> {
    let err = |msg: &str| AuthError::AuthorizationQueryParametersError(msg.to_owned());
    let (negative, digits) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err("X-Amz-Expires should be a number"));
    }
    if negative {
        return Err(err("X-Amz-Expires must be non-negative"));
    }
    // Digits only, so the only possible parse failure is overflow: more than a week.
    let seconds = digits.parse::<u64>().unwrap_or(u64::MAX);
    if seconds == 0 {
        return Err(err("X-Amz-Expires must be greater than 0"));
    }
    if seconds > MAX_PRESIGN_EXPIRES {
        return Err(err(
            "X-Amz-Expires must be less than a week (in seconds) that is; 604800",
        ));
    }
    Ok(seconds)
}

fn parse_query_v2(query: &[QueryParam]) -> Result<ParsedAuth, AuthError> {
    let required = || AuthError::AccessDenied(QUERY_V2_REQUIRED.to_owned());
    let dup = |name: &str| {
        AuthError::AccessDenied(format!("The {name} parameter may only be specified once."))
    };
    let one = |name: &str| -> Result<Option<String>, AuthError> {
        let mut found = query.iter().filter(|p| p.name == name);
        let first = found.next().map(|p| p.value().into_owned());
        if found.next().is_some() {
            return Err(dup(name));
        }
        Ok(first)
    };
    let (Some(access_key_id), Some(signature), Some(expires)) =
        (one("AWSAccessKeyId")?, one("Signature")?, one("Expires")?)
    else {
        return Err(required());
    };
    if access_key_id.is_empty() || signature.is_empty() {
        return Err(required());
    }
    let expires_at = expires
        .parse::<i64>()
        .ok()
        .filter(|_| expires.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            AuthError::AccessDenied(format!(
                "Invalid date (should be seconds since epoch): {expires}"
            ))
        })?;
    Ok(ParsedAuth {
        query_cache: None,
        kind: AuthKind::QueryV2,
        params: Params::V2(V2Params {
            access_key_id,
            signature,
            expires: Some((expires_at, expires)),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_rules() {
        assert_eq!(parse_expires("1"), Ok(1));
        assert_eq!(parse_expires("604800"), Ok(604_800));
        for bad in [
            "0",
            "-1",
            "604801",
            "abc",
            "",
            "+5",
            "1.5",
            "99999999999999999999999",
        ] {
            let err = parse_expires(bad).unwrap_err();
            assert_eq!(err.code(), "AuthorizationQueryParametersError", "{bad}");
        }
        assert_eq!(
            parse_expires("-1").unwrap_err().to_string(),
            "X-Amz-Expires must be non-negative"
        );
        assert_eq!(
            parse_expires("604801").unwrap_err().to_string(),
            "X-Amz-Expires must be less than a week (in seconds) that is; 604800"
        );
    }

    #[test]
    fn credential_with_slash_in_key() {
        let c =
            parse_credential("AK/X/20130524/us-east-1/s3/aws4_request", Flavor::Header).unwrap();
        assert_eq!(c.access_key_id(), "AK/X");
        assert_eq!(
            (c.date(), c.region(), c.service()),
            ("20130524", "us-east-1", "s3")
        );
        assert_eq!(c.scope(), "20130524/us-east-1/s3/aws4_request");
    }

    #[test]
    fn credential_errors() {
        for bad in [
            "",
            "AK",
            "AK/20130524/us-east-1/s3",
            "/20130524/us-east-1/s3/aws4_request",
            "AK/2013052/us-east-1/s3/aws4_request",
            "AK/2013052x/us-east-1/s3/aws4_request",
            "AK/20130524//s3/aws4_request",
        ] {
            let e = parse_credential(bad, Flavor::Header).unwrap_err();
            assert!(
                e.to_string().contains("Credential is mal-formed"),
                "{bad}: {e}"
            );
        }
        let e =
            parse_credential("AK/20130524/us-east-1/s3/aws5_request", Flavor::Header).unwrap_err();
        assert!(e.to_string().contains("incorrect terminal"));
    }

    #[test]
    fn kinds() {
        assert_eq!(AuthKind::QueryV4.signature_version(), SignatureVersion::V4);
        assert_eq!(AuthKind::HeaderV2.signature_version(), SignatureVersion::V2);
        assert!(AuthKind::QueryV2.is_presigned());
        assert!(!AuthKind::HeaderV4.is_presigned());
    }
}
