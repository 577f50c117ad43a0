//! Refusals of presigned (query) SigV4 requests: every malformed, stale or
//! unsigned request gets the AWS error code and message the server will render.

mod common;

use common::{join_pairs, raw_pairs, OwnedRequest, Server, AKID, EMPTY_SHA256, SECRET};
use sluice_sigv4::{parse_auth, presign_v4, AuthError, Credentials, PresignRequest};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2024-02-29 12:00 UTC);
const HOST: &str = "localhost:9000";

fn creds() -> Credentials {
    Credentials {
        access_key_id: AKID.to_owned(),
        secret_access_key: SECRET.to_owned(),
        session_token: None,
    }
}

fn presigned_with(
    headers: &[(String, String)],
    region: &str,
    service: &str,
    expires_in: u64,
) -> OwnedRequest {
    let query = presign_v4(
        &creds(),
        &PresignRequest {
            method: "GET",
            host: HOST,
            raw_path: "/bucket/key",
            query: &[],
            headers,
            region,
            service,
            datetime: T0,
            expires_in,
        },
    );
    let mut req = OwnedRequest::new("GET", "/bucket/key", &query, &[("host", HOST)]);
    req.headers.extend(headers.iter().cloned());
    req
}

fn presigned() -> OwnedRequest {
    presigned_with(&[], "us-east-1", "s3", 3600)
}

fn with_param(req: &OwnedRequest, name: &str, value: Option<&str>) -> OwnedRequest {
    let mut pairs = raw_pairs(&req.query);
    pairs.retain(|(n, _)| n != name);
    if let Some(value) = value {
        pairs.push((name.to_owned(), value.to_owned()));
    }
    OwnedRequest {
        query: join_pairs(&pairs),
        ..req.clone()
    }
}

fn err(req: &OwnedRequest, now: OffsetDateTime) -> AuthError {
    Server::new(now).check(req, SECRET).unwrap_err()
}

fn assert_err(e: &AuthError, code: &str, status: u16, message: &str) {
    assert_eq!(
        (e.code(), e.http_status(), e.to_string().as_str()),
        (code, status, message),
        "{e:?}"
    );
}

const QUERY_REQUIRED: &str = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";

#[test]
fn anonymous_is_none() {
    let req = OwnedRequest::new(
        "GET",
        "/bucket/key",
        "prefix=a&X-Amz-Date=x",
        &[("host", HOST)],
    );
    assert_eq!(parse_auth(&req.view()).unwrap(), None);
}
#[test]
fn presigned_expired() {
    let req = presigned_with(&[], "us-east-1", "s3", 60);
    assert!(Server::new(T0 + Duration::seconds(60))
        .check(&req, SECRET)
        .is_ok());
    let e = err(&req, T0 + Duration::seconds(61));
    assert_err(&e, "AccessDenied", 403, "Request has expired");
    assert_eq!(
        e,
        AuthError::Expired {
            expires_in: Some(60),
            expires_at: T0 + Duration::seconds(60),
            server_time: T0 + Duration::seconds(61),
        }
    );
}
#[test]
fn presigned_not_yet_valid() {
    let req = presigned();
    // within the allowed skew: accepted
    assert!(Server::new(T0 - Duration::minutes(15))
        .check(&req, SECRET)
        .is_ok());
    let e = err(&req, T0 - Duration::minutes(15) - Duration::seconds(1));
    assert_err(&e, "AccessDenied", 403, "Request is not yet valid");
    assert!(matches!(e, AuthError::NotYetValid { request_time, .. } if request_time == T0));
}
#[test]
fn presigned_bad_expires() {
    let req = presigned();
    for (value, message) in [
        ("0", "X-Amz-Expires must be greater than 0"),
        ("-1", "X-Amz-Expires must be non-negative"),
        (
            "604801",
            "X-Amz-Expires must be less than a week (in seconds) that is; 604800",
        ),
        ("abc", "X-Amz-Expires should be a number"),
        ("", "X-Amz-Expires should be a number"),
    ] {
        let e = err(&with_param(&req, "X-Amz-Expires", Some(value)), T0);
        assert_err(&e, "AuthorizationQueryParametersError", 400, message);
    }
    // the longest allowed expiry parses (then fails only on the signature)
    let e = err(&with_param(&req, "X-Amz-Expires", Some("604800")), T0);
    assert_eq!(e.code(), "SignatureDoesNotMatch");
}
#[test]
fn presigned_missing_each_param() {
    let req = presigned();
    for name in [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-Date",
        "X-Amz-SignedHeaders",
        "X-Amz-Expires",
    ] {
        let e = err(&with_param(&req, name, None), T0);
        assert_err(&e, "AuthorizationQueryParametersError", 400, QUERY_REQUIRED);
    }
}
#[test]
fn presigned_duplicate_param() {
    let req = presigned();
    let dup = OwnedRequest {
        query: format!("{}&X-Amz-Date=20240229T120000Z", req.query),
        ..req
    };
    assert_eq!(err(&dup, T0).code(), "AuthorizationQueryParametersError");
}
#[test]
fn presigned_wrong_region_service_algorithm() {
    let e = err(&presigned_with(&[], "eu-west-1", "s3", 3600), T0);
    assert_err(
        &e,
        "AuthorizationQueryParametersError",
        400,
        "Error parsing the X-Amz-Credential parameter; the region 'eu-west-1' is wrong; expecting 'us-east-1'",
    );
    let e = err(&presigned_with(&[], "us-east-1", "iam", 3600), T0);
    assert_err(
        &e,
        "AuthorizationQueryParametersError",
        400,
        "Error parsing the X-Amz-Credential parameter; incorrect service \"iam\". This endpoint belongs to \"s3\".",
    );
    let e = err(
        &with_param(&presigned(), "X-Amz-Algorithm", Some("AWS4-HMAC-SHA1")),
        T0,
    );
    assert_err(
        &e,
        "AuthorizationQueryParametersError",
        400,
        "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"",
    );
}
#[test]
fn presigned_malformed_credential_and_date() {
    let req = presigned();
    for credential in [
        "AKID",
        "AKID%2F20240229%2Fus-east-1%2Fs3",
        "%2F20240229%2Fus-east-1%2Fs3%2Faws4_request",
    ] {
        let e = err(&with_param(&req, "X-Amz-Credential", Some(credential)), T0);
        assert_eq!(
            e.code(),
            "AuthorizationQueryParametersError",
            "{credential}"
        );
        assert!(e.to_string().contains("Credential is mal-formed"), "{e}");
    }
    let e = err(
        &with_param(
            &req,
            "X-Amz-Credential",
            Some("AKID%2F20240228%2Fus-east-1%2Fs3%2Faws4_request"),
        ),
        T0,
    );
    assert!(e.to_string().contains("Invalid credential date"), "{e}");
    let e = err(
        &with_param(&req, "X-Amz-Date", Some("2024-02-29T12:00:00Z")),
        T0,
    );
    assert_eq!(e.code(), "AuthorizationQueryParametersError");
}
#[test]
fn presigned_unsigned_amz_header() {
    let mut req = presigned();
    req.headers.push(("x-amz-acl".into(), "public-read".into()));
    req.headers.push(("x-amz-meta-a".into(), "1".into()));
    let e = err(&req, T0);
    assert_err(
        &e,
        "AccessDenied",
        403,
        "There were headers present in the request which were not signed",
    );
    assert_eq!(
        e,
        AuthError::HeadersNotSigned(vec!["x-amz-acl".into(), "x-amz-meta-a".into()])
    );
    // header spellings of auth parameters are ignored, as are non-amz headers
    let mut req = presigned();
    req.headers.push(("x-amz-date".into(), "whatever".into()));
    req.headers.push(("user-agent".into(), "curl".into()));
    assert!(Server::new(T0).check(&req, SECRET).is_ok());
}
#[test]
fn presigned_signed_header_missing() {
    let headers = vec![("content-type".to_owned(), "text/plain".to_owned())];
    let mut req = presigned_with(&headers, "us-east-1", "s3", 3600);
    assert!(Server::new(T0).check(&req, SECRET).is_ok());
    req.headers.retain(|(n, _)| n != "content-type");
    let e = err(&req, T0);
    // As AWS answers: the missing header canonicalises as empty, so the signature fails.
    assert_eq!((e.code(), e.http_status()), ("SignatureDoesNotMatch", 403));
    match &e {
        sluice_sigv4::AuthError::SignatureDoesNotMatch(m) => {
            assert!(
                m.canonical_request.contains("\ncontent-type:\n"),
                "{}",
                m.canonical_request
            )
        }
        other => panic!("{other:?}"),
    }
    // host must be signed
    let e = err(
        &with_param(&presigned(), "X-Amz-SignedHeaders", Some("content-type")),
        T0,
    );
    assert_eq!(e.code(), "AuthorizationQueryParametersError");
}
#[test]
fn presigned_content_sha256_param() {
    let req = presigned();
    let hashed = with_param(&req, "X-Amz-Content-Sha256", Some(EMPTY_SHA256));
    // not part of the original signature
    assert_eq!(err(&hashed, T0).code(), "SignatureDoesNotMatch");
    let bogus = with_param(&req, "X-Amz-Content-Sha256", Some("nope"));
    assert_eq!(err(&bogus, T0).code(), "InvalidArgument");
}
#[test]
fn signature_mismatch_details() {
    let req = presigned();
    let bad = with_param(&req, "X-Amz-Signature", Some(&"0".repeat(64)));
    match err(&bad, T0) {
        AuthError::SignatureDoesNotMatch(details) => {
            assert_eq!(details.access_key_id, AKID);
            assert_eq!(details.signature_provided, "0".repeat(64));
            assert!(details
                .canonical_request
                .starts_with("GET\n/bucket/key\nX-Amz-Algorithm=AWS4-HMAC-SHA256&"));
            assert!(details
                .canonical_request
                .ends_with("\nhost:localhost:9000\n\nhost\nUNSIGNED-PAYLOAD"));
            assert!(details.string_to_sign.starts_with(
                "AWS4-HMAC-SHA256\n20240229T120000Z\n20240229/us-east-1/s3/aws4_request\n"
            ));
            assert!(details.string_to_sign_bytes.starts_with("41 57 53 34 2d"));
            assert!(details.canonical_request_bytes.starts_with("47 45 54 0a"));
        }
        other => panic!("{other:?}"),
    }
    // signature of another length is a mismatch too, not a panic
    assert_eq!(
        err(&with_param(&req, "X-Amz-Signature", Some("abc")), T0).code(),
        "SignatureDoesNotMatch"
    );
}
