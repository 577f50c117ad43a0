//! Property tests: what the signing API produces, the verifier accepts; and any
//! single change to a signed element makes verification fail.

mod common;

use common::{join_pairs, raw_pairs, OwnedRequest, Server};
use proptest::prelude::*;
use sluice_sigv4::{
    encode_object_path, format_amz_date, presign_v4, sign_headers_v4, AuthKind, Credentials,
    PresignRequest, SigningRequest, UNSIGNED_PAYLOAD,
};
use time::{Duration, OffsetDateTime};

const HOST: &str = "sluice.example:9000";
const REGION: &str = "us-east-1";

fn key_strategy() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        Just("a".to_owned()),
        Just(" ".to_owned()),
        Just("+".to_owned()),
        Just("=".to_owned()),
        Just("&".to_owned()),
        Just("%2F".to_owned()),
        Just("%".to_owned()),
        Just("//".to_owned()),
        Just("/".to_owned()),
        Just(".".to_owned()),
        Just("..".to_owned()),
        Just("?".to_owned()),
        Just("#".to_owned()),
        Just("é".to_owned()),
        Just("日本".to_owned()),
        Just("🦀".to_owned()),
        "[a-zA-Z0-9._~-]{1,6}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(fragment, 1..10).prop_map(|parts| parts.concat())
}

fn method_strategy() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["GET", "PUT", "HEAD", "DELETE", "POST"]).prop_map(str::to_owned)
}

fn headers_strategy() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        "x-amz-meta-[a-z]{1,8}",
        Just("content-type".to_owned()),
        Just("x-amz-acl".to_owned()),
        Just("content-md5".to_owned()),
    ];
    prop::collection::vec((name, "[ -~]{0,16}[!-~]"), 0..4)
}

fn query_strategy() -> impl Strategy<Value = Vec<(String, String)>> {
    let text = prop_oneof!["[ -~]{0,8}", "\\PC{0,4}"];
    prop::collection::vec(("p[a-zA-Z0-9 +=&%/é-]{0,6}", text), 0..4)
}

fn time_strategy() -> impl Strategy<Value = OffsetDateTime> {
    (1_000_000_000i64..2_000_000_000).prop_map(|t| OffsetDateTime::from_unix_timestamp(t).unwrap())
}

fn creds(secret: &str) -> Credentials {
    Credentials {
        access_key_id: "AKIDSLUICE".to_owned(),
        secret_access_key: secret.to_owned(),
        session_token: None,
    }
}

/// Appends a character that survives canonicalisation (no trailing space).
fn tweak(value: &str) -> String {
    format!("{value}z")
}

/// Flips the first hex digit of a signature.
fn flip_hex(sig: &str) -> String {
    let mut chars: Vec<char> = sig.chars().collect();
    if let Some(c) = chars.first_mut() {
        *c = if *c == '0' { '1' } else { '0' };
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn presigned_round_trip_and_tamper(
        key in key_strategy(),
        method in method_strategy(),
        headers in headers_strategy(),
        query in query_strategy(),
        datetime in time_strategy(),
        expires_in in 1u64..=604_800,
        elapsed_fraction in 0.0f64..=1.0,
        token in prop::option::of("[A-Za-z0-9+/=]{1,20}"),
        secret in "[ -~]{1,40}",
    ) {
        let mut credentials = creds(&secret);
        credentials.session_token = token.clone();
        let path = encode_object_path("bucket", &key);
        let signed_query = presign_v4(&credentials, &PresignRequest {
            method: &method, host: HOST, raw_path: &path, query: &query, headers: &headers,
            region: REGION, service: "s3", datetime, expires_in,
        });
        let mut req_headers = vec![("host".to_owned(), HOST.to_owned())];
        req_headers.extend(headers.iter().cloned());
        let req = OwnedRequest { method: method.clone(), path: path.clone(), query: signed_query.clone(), headers: req_headers };
        let elapsed = (expires_in as f64 * elapsed_fraction) as i64;
        let server = Server::new(datetime + Duration::seconds(elapsed));

        let verified = server.check(&req, &secret).unwrap();
        prop_assert_eq!(verified.kind, AuthKind::QueryV4);
        prop_assert_eq!(verified.request_time, datetime);
        prop_assert_eq!(verified.expires_at, Some(datetime + Duration::seconds(expires_in as i64)));
        prop_assert_eq!(verified.security_token, token);

        // wrong secret
        let wrong_secret = format!("{secret}x");
        prop_assert!(server.check(&req, &wrong_secret).is_err());
        // method
        let mut bad = req.clone();
        bad.method = if method == "GET" { "PUT".into() } else { "GET".into() };
        prop_assert!(server.check(&bad, &secret).is_err());
        // path
        let mut bad = req.clone();
        bad.path = encode_object_path("bucket", &format!("{key}x"));
        prop_assert!(server.check(&bad, &secret).is_err());
        let mut bad = req.clone();
        bad.path = encode_object_path("bucket2", &key);
        prop_assert!(server.check(&bad, &secret).is_err());
        // each query parameter: changed value, removed
        let pairs = raw_pairs(&signed_query);
        for i in 0..pairs.len() {
            let mut changed = pairs.clone();
            changed[i].1 = if changed[i].0 == "X-Amz-Signature" { flip_hex(&changed[i].1) } else { tweak(&changed[i].1) };
            let mut bad = req.clone();
            bad.query = join_pairs(&changed);
            prop_assert!(server.check(&bad, &secret).is_err(), "changed param {}", pairs[i].0);
            let mut removed = pairs.clone();
            removed.remove(i);
            let mut bad = req.clone();
            bad.query = join_pairs(&removed);
            prop_assert!(server.check(&bad, &secret).is_err(), "removed param {}", pairs[i].0);
        }
        // an added parameter
        let mut bad = req.clone();
        bad.query = format!("{signed_query}&extra=1");
        prop_assert!(server.check(&bad, &secret).is_err());
        // each signed header value, and each signed header removed
        for i in 0..req.headers.len() {
            let mut bad = req.clone();
            bad.headers[i].1 = tweak(&bad.headers[i].1);
            prop_assert!(server.check(&bad, &secret).is_err(), "changed header {}", req.headers[i].0);
            let mut bad = req.clone();
            let name = bad.headers[i].0.clone();
            bad.headers.retain(|(n, _)| *n != name);
            prop_assert!(server.check(&bad, &secret).is_err(), "removed header {}", name);
        }
        // an unsigned x-amz header
        let mut bad = req.clone();
        bad.headers.push(("x-amz-unsigned-extra".into(), "1".into()));
        prop_assert_eq!(server.check(&bad, &secret).unwrap_err().code(), "AccessDenied");
        // date moved by one second, keeping the format
        let moved = format_amz_date(datetime + Duration::seconds(1));
        let mut changed = pairs.clone();
        for pair in changed.iter_mut().filter(|p| p.0 == "X-Amz-Date") { pair.1 = moved.clone(); }
        let mut bad = req.clone();
        bad.query = join_pairs(&changed);
        prop_assert!(server.check(&bad, &secret).is_err());
        // expiry changed to another valid value
        let mut changed = pairs.clone();
        for pair in changed.iter_mut().filter(|p| p.0 == "X-Amz-Expires") {
            pair.1 = if expires_in == 604_800 { "1".into() } else { (expires_in + 1).to_string() };
        }
        let mut bad = req.clone();
        bad.query = join_pairs(&changed);
        prop_assert!(server.check(&bad, &secret).is_err());
        // expired one second after the end
        let late = Server::new(datetime + Duration::seconds(expires_in as i64 + 1));
        prop_assert_eq!(late.check(&req, &secret).unwrap_err().to_string(), "Request has expired");
    }

    #[test]
    fn header_auth_round_trip_and_tamper(
        key in key_strategy(),
        method in method_strategy(),
        headers in headers_strategy(),
        query in query_strategy(),
        datetime in time_strategy(),
        skew in -900i64..=900,
        payload in prop_oneof![Just(UNSIGNED_PAYLOAD.to_owned()), "[0-9a-f]{64}"],
        token in prop::option::of("[A-Za-z0-9+/=]{1,20}"),
        secret in "[ -~]{1,40}",
    ) {
        let mut credentials = creds(&secret);
        credentials.session_token = token.clone();
        let path = encode_object_path("bucket", &key);
        let raw_query = query.iter()
            .map(|(n, v)| format!("{}={}", sluice_sigv4::uri_encode(n, true), sluice_sigv4::uri_encode(v, true)))
            .collect::<Vec<_>>().join("&");
        let added = sign_headers_v4(&credentials, &SigningRequest {
            method: &method, host: HOST, raw_path: &path, raw_query: &raw_query, headers: &headers,
            payload_hash: &payload, region: REGION, service: "s3", datetime,
        });
        let mut req_headers = vec![("host".to_owned(), HOST.to_owned())];
        req_headers.extend(headers.iter().cloned());
        req_headers.extend(added.iter().cloned());
        let req = OwnedRequest { method: method.clone(), path: path.clone(), query: raw_query.clone(), headers: req_headers };
        let server = Server::new(datetime + Duration::seconds(skew));

        let verified = server.check(&req, &secret).unwrap();
        prop_assert_eq!(verified.kind, AuthKind::HeaderV4);
        prop_assert_eq!(verified.request_time, datetime);
        prop_assert_eq!(verified.security_token, token);
        prop_assert!(verified.expires_at.is_none());

        let wrong_secret = format!("{secret}x");
        prop_assert!(server.check(&req, &wrong_secret).is_err());
        let mut bad = req.clone();
        bad.method = if method == "GET" { "PUT".into() } else { "GET".into() };
        prop_assert!(server.check(&bad, &secret).is_err());
        let mut bad = req.clone();
        bad.path = encode_object_path("bucket", &format!("{key}x"));
        prop_assert!(server.check(&bad, &secret).is_err());
        let pairs = raw_pairs(&raw_query);
        for i in 0..pairs.len() {
            let mut changed = pairs.clone();
            changed[i].1 = tweak(&changed[i].1);
            let mut bad = req.clone();
            bad.query = join_pairs(&changed);
            prop_assert!(server.check(&bad, &secret).is_err());
            let mut removed = pairs.clone();
            removed.remove(i);
            let mut bad = req.clone();
            bad.query = join_pairs(&removed);
            prop_assert!(server.check(&bad, &secret).is_err());
        }
        let mut bad = req.clone();
        bad.query = if raw_query.is_empty() { "extra=1".into() } else { format!("{raw_query}&extra=1") };
        prop_assert!(server.check(&bad, &secret).is_err());
        for i in 0..req.headers.len() {
            let name = req.headers[i].0.clone();
            let mut bad = req.clone();
            if name == "authorization" {
                let value = &bad.headers[i].1;
                let cut = value.len() - 64;
                bad.headers[i].1 = format!("{}{}", &value[..cut], flip_hex(&value[cut..]));
            } else {
                bad.headers[i].1 = tweak(&bad.headers[i].1);
            }
            prop_assert!(server.check(&bad, &secret).is_err(), "changed header {}", name);
            let mut bad = req.clone();
            bad.headers.retain(|(n, _)| *n != name);
            prop_assert!(server.check(&bad, &secret).is_err(), "removed header {}", name);
        }
        let mut bad = req.clone();
        bad.headers.push(("x-amz-unsigned-extra".into(), "1".into()));
        prop_assert_eq!(server.check(&bad, &secret).unwrap_err().code(), "AccessDenied");
        let mut bad = req.clone();
        bad.set_header("x-amz-date", &format_amz_date(datetime + Duration::seconds(1)));
        prop_assert!(server.check(&bad, &secret).is_err());
        // outside the allowed skew
        let far = Server::new(datetime + Duration::seconds(901));
        prop_assert_eq!(far.check(&req, &secret).unwrap_err().code(), "RequestTimeTooSkewed");
    }
}
