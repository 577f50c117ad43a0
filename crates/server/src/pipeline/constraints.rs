//! Stage 3, URL constraints: the signed `x-sluice-*` conditions of a presigned URL (content type, size,
//! network, grant), checked before authorization; the body size range is enforced later, while it streams.

use crate::auth::url_constraints::{
    check_content_type, RequestFacts, UrlConstraints, CONTENT_TYPE,
};
use crate::net::headers::header;
use crate::state::AppState;
use http::request::Parts;
use sluice_s3::{QueryParams, S3Error};
use sluice_sigv4::{AuthKind, PayloadCheck};
use std::net::SocketAddr;

/// What the URL constraints are judged against besides the connection.
pub(crate) struct Facts {
    /// The Content-Type the upload declares (the header; a tus creation's metadata `filetype`).
    pub(crate) content_type: Option<String>,
    /// The payload length declared up front, if any.
    pub(crate) declared_len: Option<u64>,
}

/// Checks the signed `x-sluice-*` constraints of a presigned URL; returns them (the body size
/// range is still to be enforced while the body streams, the grant's use to be reserved).
pub(crate) fn check_url_constraints(
    state: &AppState,
    query: &QueryParams,
    kind: AuthKind,
    remote: SocketAddr,
    facts: &Facts,
) -> Result<UrlConstraints, S3Error> {
    let constraints = UrlConstraints::from_query(query)?;
    if kind == AuthKind::QueryV2 && constraints != UrlConstraints::default() {
        // SigV2 does not sign arbitrary query parameters: such a constraint could be stripped.
        return Err(S3Error::new(
            "AuthorizationQueryParametersError",
            400,
            "x-sluice-* constraints require a SigV4 presigned URL",
        ));
    }
    constraints.check(&RequestFacts {
        now: state.clock.now(),
        remote: remote.ip(),
        content_type: facts.content_type.as_deref(),
        declared_len: facts.declared_len,
    })?;
    Ok(constraints)
}

/// A presigned URL's `x-sluice-content-type` against the request's `Content-Type`, for a URL
/// whose signature failed: a wrong type then gets its own message rather than
/// `SignatureDoesNotMatch` (the mint API signs the header too, so a wrong type fails the
/// signature). A URL whose signature verifies meets the same check among its constraints.
pub(crate) fn check_wanted_content_type(parts: &Parts, query: &QueryParams) -> Result<(), S3Error> {
    match query
        .pairs()
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(CONTENT_TYPE))
    {
        Some((_, want)) => check_content_type(want, header(parts, "content-type")),
        None => Ok(()),
    }
}

/// The payload length the client announced: `x-amz-decoded-content-length` for aws-chunked
/// bodies, `Content-Length` otherwise (None for HTTP chunked transfer without a length).
pub(crate) fn declared_payload_length(
    parts: &Parts,
    payload: &PayloadCheck,
) -> Result<Option<u64>, S3Error> {
    let parse =
        |name: &str| -> Result<Option<u64>, S3Error> {
            match header(parts, name) {
                None => Ok(None),
                Some(v) => v.trim().parse::<u64>().map(Some).map_err(|_| {
                    S3Error::invalid_argument_named("Invalid value for header", name, v)
                }),
            }
        };
    if matches!(payload, PayloadCheck::Chunked(_)) {
        match parse("x-amz-decoded-content-length")? {
            Some(n) => Ok(Some(n)),
            None => Err(S3Error::missing_content_length()),
        }
    } else {
        parse("content-length")
    }
}
