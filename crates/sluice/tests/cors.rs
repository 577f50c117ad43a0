//! Bucket CORS: Put/Get/DeleteBucketCors through the AWS SDK, AWS's validation, preflight
//! `OPTIONS` answered without authentication, and the CORS headers on real responses
//! (errors included), bucket rules against the server-wide default rule.

mod common;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{CorsConfiguration, CorsRule as SdkCorsRule};
use common::{http, xml_field, TestServer};
use sluice_s3::cors::CorsRule;
use time::OffsetDateTime;

const BUCKET: &str = "web";
const APP: &str = "https://app.example.com";

fn sdk_rule(origins: &[&str], methods: &[&str], headers: &[&str]) -> SdkCorsRule {
    let mut b = SdkCorsRule::builder()
        .set_allowed_origins(Some(origins.iter().map(|s| s.to_string()).collect()))
        .set_allowed_methods(Some(methods.iter().map(|s| s.to_string()).collect()))
        .expose_headers("ETag")
        .max_age_seconds(600);
    for h in headers {
        b = b.allowed_headers(*h);
    }
    b.build().unwrap()
}

async fn put_rules(ts: &TestServer, bucket: &str, rules: Vec<SdkCorsRule>) -> Result<(), String> {
    ts.sdk()
        .put_bucket_cors()
        .bucket(bucket)
        .cors_configuration(
            CorsConfiguration::builder()
                .set_cors_rules(Some(rules))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| format!("{}: {}", e.code().unwrap_or(""), e.message().unwrap_or("")))
}

async fn setup(ts: &TestServer) {
    ts.create_bucket(BUCKET).await;
    put_rules(
        ts,
        BUCKET,
        vec![
            sdk_rule(&[APP], &["PUT", "GET"], &["content-type", "x-amz-*"]),
            sdk_rule(&["https://*.partner.test"], &["GET"], &[]),
        ],
    )
    .await
    .unwrap();
}

async fn preflight(
    ts: &TestServer,
    path: &str,
    origin: Option<&str>,
    method: Option<&str>,
    headers: Option<&str>,
) -> reqwest::Response {
    let mut req = http().request(
        reqwest::Method::OPTIONS,
        format!("{}/{path}", ts.endpoint()),
    );
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    if let Some(m) = method {
        req = req.header("access-control-request-method", m);
    }
    if let Some(h) = headers {
        req = req.header("access-control-request-headers", h);
    }
    req.send().await.unwrap()
}

fn h<'a>(r: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

async fn error_code(r: reqwest::Response) -> (u16, String, String) {
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    (
        status,
        xml_field(&body, "Code").unwrap_or_default(),
        xml_field(&body, "Message")
            .unwrap_or_default()
            .replace("&apos;", "'"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_get_delete_bucket_cors_with_the_sdk() {
    let ts = TestServer::start().await;
    ts.sdk()
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let err = ts
        .sdk()
        .get_bucket_cors()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchCORSConfiguration"));
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 404);

    setup_rules_only(&ts).await;
    let got = ts
        .sdk()
        .get_bucket_cors()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let rules = got.cors_rules();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].allowed_origins(), [APP]);
    assert_eq!(rules[0].allowed_methods(), ["PUT", "GET"]);
    assert_eq!(rules[0].allowed_headers(), ["content-type", "x-amz-*"]);
    assert_eq!(rules[0].expose_headers(), ["ETag"]);
    assert_eq!(rules[0].max_age_seconds(), Some(600));
    assert_eq!(rules[1].allowed_origins(), ["https://*.partner.test"]);

    // Replaced as a whole.
    put_rules(&ts, BUCKET, vec![sdk_rule(&["*"], &["HEAD"], &[])])
        .await
        .unwrap();
    let got = ts
        .sdk()
        .get_bucket_cors()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    assert_eq!(got.cors_rules().len(), 1);

    ts.sdk()
        .delete_bucket_cors()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let err = ts
        .sdk()
        .get_bucket_cors()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchCORSConfiguration"));
    // Deleting again is fine.
    ts.sdk()
        .delete_bucket_cors()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();

    // Rules go with their bucket.
    setup_rules_only(&ts).await;
    ts.sdk()
        .delete_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    ts.sdk()
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let err = ts
        .sdk()
        .get_bucket_cors()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchCORSConfiguration"));

    let err = ts
        .sdk()
        .get_bucket_cors()
        .bucket("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchBucket"));
    let err = put_rules(&ts, "nope", vec![sdk_rule(&["*"], &["GET"], &[])])
        .await
        .unwrap_err();
    assert!(err.starts_with("NoSuchBucket"), "{err}");
    ts.stop().await;
}

async fn setup_rules_only(ts: &TestServer) {
    put_rules(
        ts,
        BUCKET,
        vec![
            sdk_rule(&[APP], &["PUT", "GET"], &["content-type", "x-amz-*"]),
            sdk_rule(&["https://*.partner.test"], &["GET"], &[]),
        ],
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_cors_configurations_are_refused_as_aws_does() {
    let ts = TestServer::start().await;
    ts.sdk()
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let cases: Vec<(Vec<SdkCorsRule>, &str)> = vec![
        (
            vec![sdk_rule(&["*"], &["PATCH"], &[])],
            "InvalidRequest: Found unsupported HTTP method in CORS config. Unsupported method is PATCH",
        ),
        (
            vec![sdk_rule(&["https://*.*.example.com"], &["GET"], &[])],
            "InvalidRequest: AllowedOrigin \"https://*.*.example.com\" can not have more than one wildcard.",
        ),
        (
            vec![sdk_rule(&["*"], &["GET"], &["x-*-*"])],
            "InvalidRequest: AllowedHeader \"x-*-*\" can not have more than one wildcard.",
        ),
        (
            vec![SdkCorsRule::builder()
                .allowed_origins("*")
                .allowed_methods("GET")
                .expose_headers("x-amz-*")
                .build()
                .unwrap()],
            "InvalidRequest: ExposeHeader \"x-amz-*\" contains wildcard. We currently do not support wildcard for ExposeHeader.",
        ),
        (
            (0..101).map(|_| sdk_rule(&["*"], &["GET"], &[])).collect(),
            "InvalidRequest: The number of CORS rules should not exceed allowed limit of 100 rules.",
        ),
        (
            vec![SdkCorsRule::builder()
                .id("x".repeat(256))
                .allowed_origins("*")
                .allowed_methods("GET")
                .build()
                .unwrap()],
            "InvalidArgument: ID length should not exceed allowed limit of 255",
        ),
    ];
    for (rules, expected) in cases {
        assert_eq!(put_rules(&ts, BUCKET, rules).await.unwrap_err(), expected);
    }
    // 100 rules are fine.
    put_rules(
        &ts,
        BUCKET,
        (0..100).map(|_| sdk_rule(&["*"], &["GET"], &[])).collect(),
    )
    .await
    .unwrap();

    // Malformed documents, sent through presigned PUT ?cors URLs.
    let malformed = [
        "<CORSConfiguration><CORSRule>",
        "<CORSConfiguration></CORSConfiguration>",
        "<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
        "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>",
        "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>soon</MaxAgeSeconds></CORSRule></CORSConfiguration>",
        "not xml",
    ];
    for doc in malformed {
        let url = cors_url(&ts, "PUT");
        let r = http().put(url).body(doc).send().await.unwrap();
        let (status, code, _) = error_code(r).await;
        assert_eq!((status, code.as_str()), (400, "MalformedXML"), "{doc}");
    }
    // The stored rules are untouched by the refused documents.
    let got = ts
        .sdk()
        .get_bucket_cors()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    assert_eq!(got.cors_rules().len(), 100);
    ts.stop().await;
}

fn cors_url(ts: &TestServer, method: &str) -> String {
    ts.presign_full(
        method,
        BUCKET,
        "",
        300,
        &[],
        &[("cors".into(), String::new())],
        OffsetDateTime::now_utc(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_configuration_needs_permission() {
    let ts = TestServer::start().await;
    ts.sdk()
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    // Anonymous: refused.
    let r = http()
        .get(format!("{}/{BUCKET}?cors", ts.endpoint()))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await.1, "AccessDenied");
    let r = http()
        .put(format!("{}/{BUCKET}?cors", ts.endpoint()))
        .body("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await.1, "AccessDenied");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preflight_is_answered_from_the_bucket_rules_without_authentication() {
    let ts = TestServer::start().await;
    setup(&ts).await;
    let obj = format!("{BUCKET}/photos/cat.png");

    let r = preflight(
        &ts,
        &obj,
        Some(APP),
        Some("PUT"),
        Some("Content-Type, X-Amz-Date"),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(h(&r, "access-control-allow-origin"), Some(APP));
    assert_eq!(h(&r, "access-control-allow-methods"), Some("PUT, GET"));
    assert_eq!(
        h(&r, "access-control-allow-headers"),
        Some("content-type, x-amz-date")
    );
    assert_eq!(h(&r, "access-control-expose-headers"), Some("ETag"));
    assert_eq!(h(&r, "access-control-max-age"), Some("600"));
    assert_eq!(h(&r, "access-control-allow-credentials"), Some("true"));
    assert_eq!(
        h(&r, "vary"),
        Some("Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
    );
    assert!(h(&r, "x-amz-request-id").is_some());

    // The bucket path too, and no requested headers.
    let r = preflight(&ts, BUCKET, Some(APP), Some("GET"), None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(h(&r, "access-control-allow-headers"), None);

    // Wildcard origin rule.
    let r = preflight(
        &ts,
        &obj,
        Some("https://shop.partner.test"),
        Some("GET"),
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        h(&r, "access-control-allow-origin"),
        Some("https://shop.partner.test")
    );
    assert_eq!(h(&r, "access-control-allow-methods"), Some("GET"));

    let not_allowed = "This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";
    let refusals = [
        (
            Some("https://evil.example.com"),
            Some("PUT"),
            None,
            "other origin",
        ),
        (
            Some("http://app.example.com"),
            Some("PUT"),
            None,
            "other scheme",
        ),
        (
            Some("https://partner.test"),
            Some("GET"),
            None,
            "wildcard needs a subdomain",
        ),
        (Some(APP), Some("DELETE"), None, "method not allowed"),
        (
            Some("https://shop.partner.test"),
            Some("PUT"),
            None,
            "method of the wildcard rule",
        ),
        (
            Some(APP),
            Some("PUT"),
            Some("content-type, authorization"),
            "one header not allowed",
        ),
    ];
    for (origin, method, headers, what) in refusals {
        let r = preflight(&ts, &obj, origin, method, headers).await;
        assert_eq!(h(&r, "access-control-allow-origin"), None, "{what}");
        assert_eq!(
            error_code(r).await,
            (403, "CORSResponse".into(), not_allowed.into()),
            "{what}"
        );
    }

    let r = preflight(&ts, &obj, None, Some("PUT"), None).await;
    assert_eq!(
        error_code(r).await,
        (
            400,
            "BadRequest".into(),
            "Insufficient information. Origin request header needed.".into()
        )
    );
    let r = preflight(&ts, &obj, Some(APP), None, None).await;
    assert_eq!(
        error_code(r).await,
        (
            400,
            "BadRequest".into(),
            "Invalid Access-Control-Request-Method: null".into()
        )
    );
    let r = preflight(&ts, &obj, Some(APP), Some("PATCH"), None).await;
    assert_eq!(error_code(r).await.0, 400);

    // A bucket without rules (and no server default).
    ts.sdk()
        .create_bucket()
        .bucket("plain")
        .send()
        .await
        .unwrap();
    let r = preflight(&ts, "plain/k", Some(APP), Some("PUT"), None).await;
    assert_eq!(
        error_code(r).await,
        (
            403,
            "CORSResponse".into(),
            "CORS is not enabled for this bucket.".into()
        )
    );
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_responses_carry_cors_headers_errors_included() {
    let ts = TestServer::start().await;
    setup(&ts).await;

    // A presigned PUT from the browser origin: ETag readable.
    let url = ts.presign("PUT", BUCKET, "up.txt", 300);
    let r = http()
        .put(&url)
        .header("origin", APP)
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(h(&r, "access-control-allow-origin"), Some(APP));
    assert_eq!(h(&r, "access-control-allow-methods"), Some("PUT, GET"));
    assert_eq!(h(&r, "access-control-expose-headers"), Some("ETag"));
    assert_eq!(h(&r, "access-control-allow-credentials"), Some("true"));
    assert_eq!(h(&r, "access-control-max-age"), None);
    assert!(h(&r, "vary").unwrap().starts_with("Origin"));
    assert!(h(&r, "etag").is_some());

    // 403 from a tampered presigned URL: still readable by the page.
    let tampered = url.replace("up.txt", "other.txt");
    let r = http()
        .put(&tampered)
        .header("origin", APP)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(h(&r, "access-control-allow-origin"), Some(APP));
    assert_eq!(error_code(r).await.1, "SignatureDoesNotMatch");

    // 404 from a presigned GET of a missing key.
    let url = ts.presign("GET", BUCKET, "missing.txt", 300);
    let r = http().get(&url).header("origin", APP).send().await.unwrap();
    assert_eq!(h(&r, "access-control-allow-origin"), Some(APP));
    assert_eq!(
        error_code(r).await,
        (
            404,
            "NoSuchKey".into(),
            "The specified key does not exist.".into()
        )
    );

    // 403 for an anonymous GET.
    let r = http()
        .get(format!("{}/{BUCKET}/up.txt", ts.endpoint()))
        .header("origin", APP)
        .send()
        .await
        .unwrap();
    assert_eq!(h(&r, "access-control-allow-origin"), Some(APP));
    assert_eq!(error_code(r).await.1, "AccessDenied");

    // Origin not allowed, or method not in the rule: no allow headers, but Vary.
    let url = ts.presign("GET", BUCKET, "up.txt", 300);
    let r = http()
        .get(&url)
        .header("origin", "https://evil.test")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(h(&r, "access-control-allow-origin"), None);
    assert!(h(&r, "vary").is_some());
    let url = ts.presign("DELETE", BUCKET, "up.txt", 300);
    let r = http()
        .delete(&url)
        .header("origin", APP)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(h(&r, "access-control-allow-origin"), None);

    // Wildcard rule for the partner subdomains (GET only).
    let url = ts.presign("GET", BUCKET, "missing.txt", 300);
    let r = http()
        .get(&url)
        .header("origin", "https://a.partner.test")
        .send()
        .await
        .unwrap();
    assert_eq!(
        h(&r, "access-control-allow-origin"),
        Some("https://a.partner.test")
    );

    // Without Origin: no CORS headers at all.
    let r = http().get(&url).send().await.unwrap();
    assert_eq!(h(&r, "access-control-allow-origin"), None);
    assert_eq!(h(&r, "vary"), None);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_origin_rule_answers_star_without_credentials() {
    let ts = TestServer::start().await;
    ts.sdk()
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    put_rules(&ts, BUCKET, vec![sdk_rule(&["*"], &["GET", "PUT"], &["*"])])
        .await
        .unwrap();
    let r = preflight(
        &ts,
        &format!("{BUCKET}/k"),
        Some("null"),
        Some("PUT"),
        Some("x-anything, content-md5"),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(h(&r, "access-control-allow-origin"), Some("*"));
    assert_eq!(h(&r, "access-control-allow-credentials"), None);
    let url = ts.presign("GET", BUCKET, "nothing", 300);
    let r = http()
        .get(&url)
        .header("origin", "https://whoever.test")
        .send()
        .await
        .unwrap();
    assert_eq!(h(&r, "access-control-allow-origin"), Some("*"));
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_default_rule_applies_until_a_bucket_has_its_own() {
    let ts = TestServer::start_with(|c| {
        c.cors_default = Some(CorsRule {
            id: None,
            allowed_origins: vec!["https://console.test".into()],
            allowed_methods: vec!["GET".into(), "PUT".into(), "POST".into()],
            allowed_headers: vec!["*".into()],
            expose_headers: vec!["ETag".into(), "x-amz-request-id".into()],
            max_age_seconds: Some(60),
        })
    })
    .await;
    ts.sdk()
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let obj = format!("{BUCKET}/k");

    let r = preflight(
        &ts,
        &obj,
        Some("https://console.test"),
        Some("PUT"),
        Some("content-type"),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        h(&r, "access-control-allow-origin"),
        Some("https://console.test")
    );
    assert_eq!(h(&r, "access-control-max-age"), Some("60"));
    let r = preflight(&ts, &obj, Some(APP), Some("PUT"), None).await;
    assert_eq!(error_code(r).await.1, "CORSResponse");
    // A bucket that does not exist, and the service API: the default rule.
    let r = preflight(
        &ts,
        "nobucket/k",
        Some("https://console.test"),
        Some("GET"),
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    let r = preflight(
        &ts,
        "_sluice/v1/presign",
        Some("https://console.test"),
        Some("POST"),
        Some("authorization"),
    )
    .await;
    assert_eq!(r.status(), 200);

    let url = ts.presign("PUT", BUCKET, "k", 300);
    let r = http()
        .put(&url)
        .header("origin", "https://console.test")
        .body("v")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        h(&r, "access-control-expose-headers"),
        Some("ETag, x-amz-request-id")
    );

    // The bucket's own rules win.
    setup_rules_only(&ts).await;
    let r = preflight(&ts, &obj, Some("https://console.test"), Some("PUT"), None).await;
    assert_eq!(error_code(r).await.1, "CORSResponse");
    let r = preflight(&ts, &obj, Some(APP), Some("PUT"), None).await;
    assert_eq!(r.status(), 200);
    let r = http()
        .put(&url)
        .header("origin", "https://console.test")
        .body("v")
        .send()
        .await
        .unwrap();
    assert_eq!(h(&r, "access-control-allow-origin"), None);
    ts.stop().await;
}
