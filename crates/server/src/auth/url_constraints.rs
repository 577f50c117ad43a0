//! Constraints carried by a presigned URL in signed `x-sluice-*` query parameters.
//!
//! Every query parameter of a SigV4 presigned URL except `X-Amz-Signature` is covered by the
//! signature, so a constraint cannot be edited or removed without the URL answering
//! `SignatureDoesNotMatch`. The server checks them after authentication, for presigned
//! requests only:
//!
//! * `x-sluice-content-length-range=MIN,MAX`: the request body must be MIN..=MAX bytes
//!   (checked against `Content-Length` up front and against the bytes actually received).
//! * `x-sluice-content-type=T`: the request's `Content-Type` must be exactly T.
//! * `x-sluice-not-before=RFC3339`: the URL is refused before that instant.
//! * `x-sluice-source-ip=CIDR[,CIDR...]`: the client address must be in one of the ranges.
//! * `x-sluice-upload-size-range=MIN,MAX`: on the URLs of a presigned multipart upload, the
//!   whole object must be MIN..=MAX bytes: a part that would take the upload past MAX is
//!   refused, and CompleteMultipartUpload refuses a total outside the range.
//! * `x-sluice-grant=ID`: each use spends one of the grant's uses (see [`crate::auth::grant_use`]).
//! * `x-sluice-notify=TARGET`: a write through the URL emits its event to that notification target,
//!   whatever the bucket's configuration; `x-sluice-payload=STR` (at most 1 KiB) travels in the event.
//! * `x-sluice-checks=PROFILE`: an upload through the URL must pass that check profile, in
//!   addition to the bucket's (see [`crate::checks`]).
//!
//! An unknown `x-sluice-*` parameter is refused, so a URL minted for a newer server never
//! silently loses a restriction on an older one.

use sluice_s3::{QueryParams, S3Error};
use std::net::IpAddr;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Prefix of every constraint parameter (compared case-insensitively).
pub const PREFIX: &str = "x-sluice-";
/// Body size range parameter.
pub const CONTENT_LENGTH_RANGE: &str = "x-sluice-content-length-range";
/// Exact Content-Type parameter.
pub const CONTENT_TYPE: &str = "x-sluice-content-type";
/// Start-of-validity parameter.
pub const NOT_BEFORE: &str = "x-sluice-not-before";
/// Client address ranges parameter.
pub const SOURCE_IP: &str = "x-sluice-source-ip";
/// Whole-upload size range parameter (multipart bundles).
pub const UPLOAD_SIZE_RANGE: &str = "x-sluice-upload-size-range";
/// Grant id parameter (a server-side use limit, see [`crate::auth::grant_use`]).
pub const GRANT: &str = "x-sluice-grant";
/// The end of validity of a grant URL valid longer than SigV4's 7 days (RFC 3339): honoured with
/// `x-sluice-grant` only, while the grant lives (see `docs/presigned-urls.md`).
pub const GRANT_EXPIRES: &str = "x-sluice-grant-expires";
/// Notification target of a per-URL receipt.
pub const NOTIFY: &str = "x-sluice-notify";
/// Check profile every upload through the URL must pass (in addition to the bucket's).
pub const CHECKS: &str = "x-sluice-checks";
/// The client payload a receipt carries.
pub const PAYLOAD: &str = "x-sluice-payload";
/// Longest client payload, in bytes.
pub const MAX_PAYLOAD: usize = 1024;

/// An inclusive range of body sizes in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeRange {
    /// Smallest accepted body.
    pub min: u64,
    /// Largest accepted body.
    pub max: u64,
}

impl SizeRange {
    /// Refuses a size outside the range (400 EntityTooLarge / EntityTooSmall).
    pub fn check(&self, size: u64) -> Result<(), S3Error> {
        self.check_declared(Some(size))
    }

    /// Refuses a declared body length outside the range before any byte is read.
    pub fn check_declared(&self, declared: Option<u64>) -> Result<(), S3Error> {
        match declared {
            Some(n) if n > self.max => Err(S3Error::entity_too_large(self.max)),
            Some(n) if n < self.min => Err(entity_too_small(self.min)),
            _ => Ok(()),
        }
    }
}

/// 400 EntityTooSmall for a body under a URL's minimum size.
pub fn entity_too_small(min: u64) -> S3Error {
    S3Error::new(
        "EntityTooSmall",
        400,
        "Your proposed upload is smaller than the minimum allowed size",
    )
    .with_detail("MinSizeAllowed", min.to_string())
}

/// An IPv4 or IPv6 network in CIDR notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n`, `x::y/n`, or a bare address (a single host).
    pub fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (s.parse::<IpAddr>().ok()?, None),
        };
        let bits = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(bits);
        (prefix <= bits).then_some(Cidr { addr, prefix })
    }

    /// Whether `ip` is inside this network (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u32::from(net).into(), self.prefix, 32)
                    == masked(u32::from(ip).into(), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), self.prefix, 128)
                    == masked(u128::from(ip), self.prefix, 128)
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

fn masked(v: u128, prefix: u8, bits: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        v >> (bits - prefix)
    }
}

/// The constraints a presigned URL carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlConstraints {
    /// Accepted body sizes.
    pub size: Option<SizeRange>,
    /// Accepted sizes of the whole multipart upload.
    pub upload_size: Option<SizeRange>,
    /// Required Content-Type.
    pub content_type: Option<String>,
    /// Start of validity.
    pub not_before: Option<OffsetDateTime>,
    /// Accepted client networks.
    pub source_ip: Option<Vec<Cidr>>,
    /// Grant whose uses this URL spends.
    pub grant: Option<String>,
    /// The longer validity the URL claims with its grant (`x-sluice-grant-expires`).
    pub grant_expires: Option<OffsetDateTime>,
    /// Notification target every write through the URL reports to.
    pub notify: Option<String>,
    /// Client payload carried in that report.
    pub payload: Option<String>,
    /// Check profile uploads through the URL must pass.
    pub checks: Option<String>,
}

/// The facts about a request the constraints are checked against.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    /// Server time now.
    pub now: OffsetDateTime,
    /// The client's address.
    pub remote: IpAddr,
    /// The request's Content-Type header.
    pub content_type: Option<&'a str>,
    /// The body length the client declared.
    pub declared_len: Option<u64>,
}

fn malformed(param: &str, value: &str, expected: &str) -> S3Error {
    S3Error::new(
        "AuthorizationQueryParametersError",
        400,
        format!("Invalid value for {param}: {value:?} (expected {expected})"),
    )
}

fn denied(message: impl Into<String>) -> S3Error {
    S3Error::new("AccessDenied", 403, message)
}

/// Parses `MIN,MAX` (decimal byte counts, MIN <= MAX).
pub fn parse_size_range(value: &str) -> Option<SizeRange> {
    let (min, max) = value.split_once(',')?;
    let min = min.trim().parse::<u64>().ok()?;
    let max = max.trim().parse::<u64>().ok()?;
    (min <= max).then_some(SizeRange { min, max })
}

/// Parses a comma-separated CIDR list (at least one entry).
pub fn parse_cidrs(value: &str) -> Option<Vec<Cidr>> {
    let list: Option<Vec<Cidr>> = value.split(',').map(Cidr::parse).collect();
    list.filter(|l| !l.is_empty())
}

impl UrlConstraints {
    /// Reads the `x-sluice-*` parameters of a query. Malformed or unknown ones are refused
    /// with 400 `AuthorizationQueryParametersError`.
    pub fn from_query(query: &QueryParams) -> Result<UrlConstraints, S3Error> {
        let mut c = UrlConstraints::default();
        for (name, value) in query.pairs() {
            let lower = name.to_ascii_lowercase();
            if !lower.starts_with(PREFIX) {
                continue;
            }
            match lower.as_str() {
                CONTENT_LENGTH_RANGE => {
                    c.size = Some(
                        parse_size_range(value)
                            .ok_or_else(|| malformed(name, value, "MIN,MAX byte counts"))?,
                    );
                }
                UPLOAD_SIZE_RANGE => {
                    c.upload_size = Some(
                        parse_size_range(value)
                            .ok_or_else(|| malformed(name, value, "MIN,MAX byte counts"))?,
                    );
                }
                CONTENT_TYPE => c.content_type = Some(value.clone()),
                GRANT => c.grant = Some(value.clone()),
                GRANT_EXPIRES => {
                    c.grant_expires = Some(
                        OffsetDateTime::parse(value, &Rfc3339)
                            .map_err(|_| malformed(name, value, "an RFC 3339 timestamp"))?,
                    );
                }
                NOTIFY => {
                    crate::notify::targets::validate_id(value)
                        .map_err(|_| malformed(name, value, "a notification target id"))?;
                    c.notify = Some(value.clone());
                }
                CHECKS => {
                    crate::checks::profile::validate_name(value)
                        .map_err(|_| malformed(name, value, "a check profile name"))?;
                    c.checks = Some(value.clone());
                }
                PAYLOAD => {
                    if value.len() > MAX_PAYLOAD {
                        return Err(malformed(name, value, "at most 1024 bytes"));
                    }
                    c.payload = Some(value.clone());
                }
                NOT_BEFORE => {
                    c.not_before = Some(
                        OffsetDateTime::parse(value, &Rfc3339)
                            .map_err(|_| malformed(name, value, "an RFC 3339 timestamp"))?,
                    );
                }
                SOURCE_IP => {
                    c.source_ip =
                        Some(parse_cidrs(value).ok_or_else(|| {
                            malformed(name, value, "a comma-separated CIDR list")
                        })?);
                }
                _ => {
                    return Err(S3Error::new(
                        "AuthorizationQueryParametersError",
                        400,
                        format!("Unsupported presigned URL constraint {name}"),
                    ))
                }
            }
        }
        if c.grant_expires.is_some() && c.grant.is_none() {
            return Err(S3Error::new(
                "AuthorizationQueryParametersError",
                400,
                format!(
                    "{GRANT_EXPIRES} needs {GRANT}: only a grant's URL may live longer than 7 days"
                ),
            ));
        }
        Ok(c)
    }

    /// Checks everything knowable before the body is read. The size range must also be
    /// enforced while the body streams (see [`crate::body::body_in::BodyReader::limit_size`]).
    pub fn check(&self, facts: &RequestFacts<'_>) -> Result<(), S3Error> {
        if let Some(nb) = self.not_before {
            if facts.now < nb {
                return Err(denied("Request is not yet valid"));
            }
        }
        if let Some(nets) = &self.source_ip {
            if !nets.iter().any(|n| n.contains(facts.remote)) {
                return Err(denied(
                    "This presigned URL may not be used from your network address",
                ));
            }
        }
        if let Some(want) = &self.content_type {
            check_content_type(want, facts.content_type)?;
        }
        if let Some(range) = &self.size {
            range.check_declared(facts.declared_len)?;
        }
        Ok(())
    }
}

/// Refuses a request whose `Content-Type` is not exactly `want` (403 AccessDenied naming both).
pub fn check_content_type(want: &str, actual: Option<&str>) -> Result<(), S3Error> {
    match actual {
        Some(a) if a == want => Ok(()),
        Some(a) => Err(denied(format!(
            "This presigned URL requires Content-Type: {want} (the request sends {a})"
        ))),
        None => Err(denied(format!(
            "This presigned URL requires Content-Type: {want} (the request sends none)"
        ))),
    }
}

/// The whole-upload size range a multipart request's signed query carries, if any.
pub fn upload_size_range(query: &QueryParams) -> Result<Option<SizeRange>, S3Error> {
    match query
        .pairs()
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(UPLOAD_SIZE_RANGE))
    {
        None => Ok(None),
        Some((name, value)) => parse_size_range(value)
            .map(Some)
            .ok_or_else(|| malformed(name, value, "MIN,MAX byte counts")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_matching() {
        let net = Cidr::parse("127.0.0.0/8").unwrap();
        assert!(net.contains("127.1.2.3".parse().unwrap()));
        assert!(net.contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!net.contains("10.0.0.1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(Cidr::parse("::1").unwrap().contains("::1".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("nonsense").is_none());
    }

    #[test]
    fn size_range_parsing() {
        assert_eq!(
            parse_size_range("1,10"),
            Some(SizeRange { min: 1, max: 10 })
        );
        assert!(parse_size_range("10,1").is_none());
        assert!(parse_size_range("10").is_none());
    }

    #[test]
    fn unknown_param_refused() {
        let q = QueryParams::parse("x-sluice-bogus=1");
        assert!(UrlConstraints::from_query(&q).is_err());
    }
}
