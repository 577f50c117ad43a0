//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::time::Duration;

use sluice_sigv4::{
    parse_auth, verify, verify_owned, AuthError, RequestView, SigningKeyCache, VerifiedAuth,
    VerifyContext,
};
use time::OffsetDateTime;

/// AWS documentation example credentials (S3 examples).
pub const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// An owned request that can lend a [`RequestView`].
#[derive(Debug, Clone)]
pub struct OwnedRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
}

impl OwnedRequest {
    pub fn new(method: &str, path: &str, query: &str, headers: &[(&str, &str)]) -> Self {
        OwnedRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    pub fn view(&self) -> RequestView<'_> {
        RequestView {
            method: &self.method,
            raw_path: &self.path,
            raw_query: &self.query,
            headers: &self.headers,
        }
    }

    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| n != name);
        self.headers.push((name.to_owned(), value.to_owned()));
    }
}

/// Verification settings used by the tests.
pub struct Server {
    pub now: OffsetDateTime,
    pub region: String,
    pub allow_v2: bool,
    pub vhost_bucket: Option<String>,
    pub cache: SigningKeyCache,
}

impl Server {
    pub fn new(now: OffsetDateTime) -> Self {
        Server {
            now,
            region: "us-east-1".to_owned(),
            allow_v2: true,
            vhost_bucket: None,
            cache: SigningKeyCache::new(16),
        }
    }

    pub fn ctx(&self) -> VerifyContext<'_> {
        VerifyContext {
            now: self.now,
            region: &self.region,
            max_skew: Duration::from_secs(15 * 60),
            allow_v2: self.allow_v2,
            v2_virtual_host_bucket: self.vhost_bucket.as_deref(),
            key_cache: &self.cache,
            grant_expiry: None,
        }
    }

    /// parse_auth + verify with `secret`; anonymous requests are an error here.
    /// Also checks that `verify_owned` (what the server calls) answers the same.
    pub fn check(&self, req: &OwnedRequest, secret: &str) -> Result<VerifiedAuth, AuthError> {
        let view = req.view();
        let auth = parse_auth(&view)?.ok_or_else(|| AuthError::AccessDenied("anonymous".into()))?;
        let borrowed = verify(&view, &auth, secret, &self.ctx());
        let owned = verify_owned(&view, auth, secret, &self.ctx());
        match (&borrowed, &owned) {
            (Ok(b), Ok(o)) => assert_eq!(format!("{b:?}"), format!("{o:?}")),
            (Err(b), Err(o)) => assert_eq!(b, o),
            _ => panic!("verify and verify_owned disagree: {borrowed:?} / {owned:?}"),
        }
        owned
    }
}

/// Splits a raw query into (name, value) pairs without decoding.
pub fn raw_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let (n, v) = s.split_once('=').unwrap_or((s, ""));
            (n.to_owned(), v.to_owned())
        })
        .collect()
}

/// Joins raw pairs back into a query.
pub fn join_pairs(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}
