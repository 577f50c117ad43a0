//! Browser-based POST upload signatures (policy field), V4 and V2.

mod common;

use common::{Server, AKID, SECRET};
use sluice_sigv4::{parse_post_policy_auth, verify_post_policy, AuthError, SignatureVersion};
use time::macros::datetime;

/// AWS's "Example: Browser-Based Upload using HTTP POST (Using AWS Signature Version 4)".
const POLICY: &str = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9";
const SIGNATURE: &str = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e";

fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

fn example_fields() -> Vec<(String, String)> {
    fields(&[
        ("key", "user/user1/${filename}"),
        ("acl", "public-read"),
        (
            "X-Amz-Credential",
            "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request",
        ),
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Date", "20151229T000000Z"),
        ("Policy", POLICY),
        ("X-Amz-Signature", SIGNATURE),
    ])
}

#[test]
fn aws_documented_post_example() {
    let auth = parse_post_policy_auth(&example_fields()).unwrap().unwrap();
    assert_eq!(auth.access_key_id(), AKID);
    assert_eq!(auth.signature_version(), SignatureVersion::V4);
    // The policy's own expiration is the caller's business: any server time works here.
    let server = Server::new(datetime!(2030-01-01 0:00 UTC));
    let verified = verify_post_policy(&auth, SECRET, &server.ctx()).unwrap();
    assert_eq!(verified.request_time, Some(datetime!(2015-12-29 0:00 UTC)));
    let policy = String::from_utf8(verified.policy).unwrap();
    assert!(
        policy.starts_with("{ \"expiration\": \"2015-12-30T12:00:00.000Z\""),
        "{policy}"
    );

    assert_eq!(
        verify_post_policy(&auth, "wrong", &server.ctx())
            .unwrap_err()
            .code(),
        "SignatureDoesNotMatch"
    );
    let mut other_region = Server::new(datetime!(2030-01-01 0:00 UTC));
    other_region.region = "eu-west-1".into();
    assert_eq!(
        verify_post_policy(&auth, SECRET, &other_region.ctx())
            .unwrap_err()
            .code(),
        "InvalidArgument"
    );
}

#[test]
fn tampered_policy_is_rejected() {
    let mut f = example_fields();
    for (name, value) in f.iter_mut() {
        if name == "Policy" {
            value.replace_range(0..1, "f");
        }
    }
    let auth = parse_post_policy_auth(&f).unwrap().unwrap();
    let server = Server::new(datetime!(2015-12-29 0:00 UTC));
    let e = verify_post_policy(&auth, SECRET, &server.ctx()).unwrap_err();
    assert!(matches!(e, AuthError::SignatureDoesNotMatch(_)));
}

#[test]
fn missing_fields_and_anonymous() {
    assert_eq!(
        parse_post_policy_auth(&fields(&[("key", "a")])).unwrap(),
        None
    );
    for drop in [
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Signature",
        "Policy",
    ] {
        let f: Vec<_> = example_fields()
            .into_iter()
            .filter(|(n, _)| n != drop)
            .collect();
        let e = parse_post_policy_auth(&f).unwrap_err();
        assert_eq!(e.code(), "InvalidArgument", "{drop}");
        assert!(
            e.to_string()
                .contains(&format!("'{}'", drop.to_ascii_lowercase())),
            "{e}"
        );
    }
    let f: Vec<_> = example_fields()
        .into_iter()
        .filter(|(n, _)| n != "X-Amz-Algorithm")
        .collect();
    assert_eq!(
        parse_post_policy_auth(&f).unwrap_err().code(),
        "InvalidArgument"
    );
    let e = parse_post_policy_auth(&fields(&[("x-amz-algorithm", "AWS4-HMAC-SHA1")])).unwrap_err();
    assert_eq!(e.code(), "InvalidArgument");
}

#[test]
fn v2_post_policy() {
    use base64::Engine;
    use hmac::Mac;
    let policy = base64::engine::general_purpose::STANDARD
        .encode(br#"{"expiration":"2030-01-01T00:00:00Z","conditions":[]}"#);
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(policy.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let f = fields(&[
        ("AWSAccessKeyId", AKID),
        ("policy", &policy),
        ("signature", &signature),
    ]);
    let auth = parse_post_policy_auth(&f).unwrap().unwrap();
    assert_eq!(auth.signature_version(), SignatureVersion::V2);
    let mut server = Server::new(datetime!(2024-01-01 0:00 UTC));
    let verified = verify_post_policy(&auth, SECRET, &server.ctx()).unwrap();
    assert!(verified.policy.starts_with(b"{\"expiration\""));
    server.allow_v2 = false;
    assert_eq!(
        verify_post_policy(&auth, SECRET, &server.ctx()).unwrap_err(),
        AuthError::SignatureV2Disabled
    );
}
