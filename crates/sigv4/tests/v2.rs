//! Legacy SigV2: header and presigned forms, verification and signing.

mod common;

use common::{OwnedRequest, Server, AKID, SECRET};
use sluice_sigv4::{
    format_http_date, presign_v2, sign_v2_header, AuthError, AuthKind, Credentials, PayloadCheck,
    SignatureVersion, V2SigningRequest,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2024-02-29 12:00 UTC);

fn creds() -> Credentials {
    Credentials {
        access_key_id: AKID.to_owned(),
        secret_access_key: SECRET.to_owned(),
        session_token: None,
    }
}

fn header_signed(method: &str, path: &str, query: &str, headers: &[(&str, &str)]) -> OwnedRequest {
    let mut req = OwnedRequest::new(method, path, query, headers);
    let auth = sign_v2_header(
        &creds(),
        &V2SigningRequest {
            method,
            raw_path: path,
            raw_query: query,
            headers: &req.headers,
        },
    );
    req.headers.push(("authorization".into(), auth));
    req
}

#[test]
fn aws_documented_put_example_verifies() {
    // "Example Object PUT" of AWS's SigV2 documentation.
    let req = OwnedRequest::new(
        "PUT",
        "/photos/puppy.jpg",
        "",
        &[
            ("host", "awsexamplebucket1.s3.us-west-1.amazonaws.com"),
            ("date", "Tue, 27 Mar 2007 21:15:45 +0000"),
            ("content-type", "image/jpeg"),
            ("content-length", "94328"),
            (
                "authorization",
                "AWS AKIAIOSFODNN7EXAMPLE:iqRzw+ileNPu1fhspnRs8nOjjIA=",
            ),
        ],
    );
    let mut server = Server::new(datetime!(2007-03-27 21:15:45 UTC));
    server.vhost_bucket = Some("awsexamplebucket1".into());
    let verified = server.check(&req, SECRET).unwrap();
    assert_eq!(verified.kind, AuthKind::HeaderV2);
    assert_eq!(verified.signature_version, SignatureVersion::V2);
    assert_eq!(verified.signed_headers, vec!["content-type", "date"]);
    assert!(matches!(verified.payload, PayloadCheck::Unsigned));
    // path-style would be a different canonical resource
    server.vhost_bucket = None;
    assert_eq!(
        server.check(&req, SECRET).unwrap_err().code(),
        "SignatureDoesNotMatch"
    );
}

#[test]
fn header_round_trip_with_amz_headers_and_subresources() {
    let date = format_http_date(T0);
    let req = header_signed(
        "PUT",
        "/bucket/a%20b",
        "acl&prefix=x",
        &[
            ("host", "localhost"),
            ("date", &date),
            ("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="),
            ("x-amz-meta-b", " two "),
            ("X-Amz-Meta-A", "one"),
            ("x-amz-meta-b", "three"),
        ],
    );
    let verified = Server::new(T0).check(&req, SECRET).unwrap();
    assert_eq!(verified.request_time, T0);
    assert_eq!(
        verified.signed_headers,
        vec!["content-md5", "date", "x-amz-meta-a", "x-amz-meta-b"]
    );

    // every signed element matters; non-sub-resource query parameters do not
    let mut tampered = Vec::new();
    let mut r = req.clone();
    r.method = "POST".into();
    tampered.push(r);
    let mut r = req.clone();
    r.path = "/bucket/a%20c".into();
    tampered.push(r);
    let mut r = req.clone();
    r.query = "prefix=x".into();
    tampered.push(r);
    let mut r = req.clone();
    r.set_header("content-md5", "x");
    tampered.push(r);
    let mut r = req.clone();
    r.headers.push(("x-amz-meta-c".into(), "new".into()));
    tampered.push(r);
    let mut r = req.clone();
    r.set_header("content-type", "text/plain");
    tampered.push(r);
    for r in tampered {
        assert_eq!(
            Server::new(T0).check(&r, SECRET).unwrap_err().code(),
            "SignatureDoesNotMatch",
            "{r:?}"
        );
    }
    let mut r = req.clone();
    r.query = "acl&prefix=y".into();
    assert!(Server::new(T0).check(&r, SECRET).is_ok());
    assert_eq!(
        Server::new(T0).check(&req, "wrong").unwrap_err().code(),
        "SignatureDoesNotMatch"
    );
}

#[test]
fn header_x_amz_date_overrides_date() {
    let req = header_signed(
        "GET",
        "/bucket/key",
        "",
        &[
            ("host", "localhost"),
            ("date", "garbage"),
            ("x-amz-date", &format_http_date(T0)),
        ],
    );
    let verified = Server::new(T0).check(&req, SECRET).unwrap();
    assert_eq!(verified.request_time, T0);
    let e = Server::new(T0 + Duration::minutes(16))
        .check(&req, SECRET)
        .unwrap_err();
    assert_eq!(e.code(), "RequestTimeTooSkewed");
    let no_date = header_signed("GET", "/bucket/key", "", &[("host", "localhost")]);
    assert_eq!(
        Server::new(T0).check(&no_date, SECRET).unwrap_err(),
        AuthError::MissingDate
    );
}

#[test]
fn presigned_round_trip_and_expiry() {
    let expires = (T0 + Duration::hours(1)).unix_timestamp();
    let headers: Vec<(String, String)> = vec![("host".into(), "localhost".into())];
    let query = presign_v2(
        &creds(),
        &V2SigningRequest {
            method: "GET",
            raw_path: "/bucket/k%2Bey",
            raw_query: "versionId=3",
            headers: &headers,
        },
        expires,
    );
    assert!(query.starts_with(&format!(
        "AWSAccessKeyId={AKID}&Expires={expires}&Signature="
    )));
    let req = OwnedRequest::new(
        "GET",
        "/bucket/k%2Bey",
        &format!("versionId=3&{query}"),
        &[("host", "localhost")],
    );
    let verified = Server::new(T0).check(&req, SECRET).unwrap();
    assert_eq!(verified.kind, AuthKind::QueryV2);
    assert_eq!(verified.request_time, T0);
    assert_eq!(verified.expires_at, Some(T0 + Duration::hours(1)));

    let e = Server::new(T0 + Duration::hours(1) + Duration::seconds(1))
        .check(&req, SECRET)
        .unwrap_err();
    assert_eq!(e.to_string(), "Request has expired");
    assert!(matches!(
        e,
        AuthError::Expired {
            expires_in: None,
            ..
        }
    ));

    let other_version = OwnedRequest::new(
        "GET",
        "/bucket/k%2Bey",
        &format!("versionId=4&{query}"),
        &[("host", "localhost")],
    );
    assert_eq!(
        Server::new(T0)
            .check(&other_version, SECRET)
            .unwrap_err()
            .code(),
        "SignatureDoesNotMatch"
    );
}

#[test]
fn presigned_missing_params() {
    for query in [
        "AWSAccessKeyId=a&Signature=b",
        "Signature=b&Expires=1",
        "AWSAccessKeyId=a&Expires=1",
    ] {
        let req = OwnedRequest::new("GET", "/b/k", query, &[("host", "localhost")]);
        let e = Server::new(T0).check(&req, SECRET).unwrap_err();
        assert_eq!(
            (e.code(), e.to_string().as_str()),
            ("AccessDenied", "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"),
            "{query}"
        );
    }
    let req = OwnedRequest::new(
        "GET",
        "/b/k",
        "AWSAccessKeyId=a&Signature=b&Expires=soon",
        &[("host", "localhost")],
    );
    assert_eq!(
        Server::new(T0).check(&req, SECRET).unwrap_err().code(),
        "AccessDenied"
    );
}

#[test]
fn malformed_v2_header() {
    for value in ["AWS ", "AWS nocolon", "AWS :sig", "AWS ak:"] {
        let req = OwnedRequest::new(
            "GET",
            "/",
            "",
            &[("host", "localhost"), ("authorization", value)],
        );
        let e = Server::new(T0).check(&req, SECRET).unwrap_err();
        assert_eq!(e.code(), "InvalidArgument", "{value}");
    }
}
