//! A presigned URL's 403 says why (issue 27): the five most common mistakes each get their own
//! message, with code `SignatureDoesNotMatch` and AWS's elements kept, and nothing secret in it.

mod common;

use common::{creds, http, xml_field, TestServer, REGION, SECRET_KEY};
use sluice_sigv4::{encode_object_path, presign_v4, PresignRequest};
use time::OffsetDateTime;

/// A URL to `ts` for `path`, signed for `host` (the test server's own unless given).
fn signed_url(
    ts: &TestServer,
    method: &str,
    host: &str,
    path: &str,
    headers: &[(String, String)],
    query: &[(String, String)],
    region: &str,
) -> String {
    let q = presign_v4(
        &creds(),
        &PresignRequest {
            method,
            host,
            raw_path: path,
            query,
            headers,
            region,
            service: "s3",
            datetime: OffsetDateTime::now_utc(),
            expires_in: 600,
        },
    );
    format!("http://{}{path}?{q}", ts.addr)
}

fn ct(value: &str) -> Vec<(String, String)> {
    vec![("content-type".to_string(), value.to_string())]
}

/// Status, code and message of an error answer; the body is checked for leaks on the way.
async fn refusal(resp: reqwest::Response) -> (u16, String, String) {
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap();
    assert!(!body.contains(SECRET_KEY), "the secret leaked: {body}");
    (
        status,
        xml_field(&body, "Code").unwrap_or_default(),
        unescape(&xml_field(&body, "Message").unwrap_or_default()),
    )
}

/// XML text as written.
fn unescape(text: &str) -> String {
    text.replace("&apos;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

async fn setup() -> TestServer {
    let ts = TestServer::start().await;
    ts.create_bucket("diag").await;
    ts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_method_is_named() {
    let ts = setup().await;
    let path = encode_object_path("diag", "k");
    let url = signed_url(&ts, "PUT", &ts.host(), &path, &[], &[], REGION);
    let c = http();
    assert_eq!(c.put(&url).body("v").send().await.unwrap().status(), 200);
    let resp = c.get(&url).send().await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap();
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        xml_field(&body, "Code").as_deref(),
        Some("SignatureDoesNotMatch")
    );
    assert_eq!(
        xml_field(&body, "Message").as_deref(),
        Some("The URL was signed for PUT but the request is GET")
    );
    // AWS's elements stay.
    assert!(xml_field(&body, "StringToSign")
        .unwrap()
        .starts_with("AWS4-HMAC-SHA256\n"));
    assert!(xml_field(&body, "CanonicalRequest")
        .unwrap()
        .starts_with("GET\n"));
    assert!(xml_field(&body, "SignatureProvided").is_some());
    // No signature the server computed: neither the one a GET would need nor the PUT's own
    // beyond what the URL already carries.
    let get_url = signed_url(&ts, "GET", &ts.host(), &path, &[], &[], REGION);
    let get_sig = get_url.rsplit("X-Amz-Signature=").next().unwrap();
    assert!(!body.contains(get_sig), "{body}");
    assert!(!body.contains(SECRET_KEY));

    let get = signed_url(&ts, "GET", &ts.host(), &path, &[], &[], REGION);
    let (status, code, message) = refusal(c.delete(&get).send().await.unwrap()).await;
    assert_eq!((status, code.as_str()), (403, "SignatureDoesNotMatch"));
    assert_eq!(
        message,
        "The URL was signed for GET but the request is DELETE"
    );
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_content_type_is_named() {
    let ts = setup().await;
    let path = encode_object_path("diag", "img");
    let c = http();
    // Signed as an SDK does it (the header only).
    let url = signed_url(&ts, "PUT", &ts.host(), &path, &ct("image/png"), &[], REGION);
    let (status, code, message) = refusal(
        c.put(&url)
            .header("content-type", "text/plain")
            .body("x")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code.as_str()), (403, "SignatureDoesNotMatch"));
    assert_eq!(
        message,
        "Content-Type is signed into this URL and the request's value differs"
    );
    let ok = c.put(&url).header("content-type", "image/png").body("x");
    assert_eq!(ok.send().await.unwrap().status(), 200);

    // Signed as the mint API does it (the header and the constraint): the constraint is
    // checked first and names the type.
    let query = vec![("x-sluice-content-type".to_string(), "image/png".to_string())];
    let url = signed_url(
        &ts,
        "PUT",
        &ts.host(),
        &path,
        &ct("image/png"),
        &query,
        REGION,
    );
    let (status, code, message) = refusal(
        c.put(&url)
            .header("content-type", "text/plain")
            .body("x")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert_eq!(
        message,
        "This presigned URL requires Content-Type: image/png (the request sends text/plain)"
    );
    let (_, _, message) = refusal(c.put(&url).body("x").send().await.unwrap()).await;
    assert_eq!(
        message,
        "This presigned URL requires Content-Type: image/png (the request sends none)"
    );
    let ok = c.put(&url).header("content-type", "image/png").body("x");
    assert_eq!(ok.send().await.unwrap().status(), 200);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_signed_header_is_named() {
    let ts = setup().await;
    let path = encode_object_path("diag", "m");
    let c = http();
    let url = signed_url(&ts, "PUT", &ts.host(), &path, &ct("image/png"), &[], REGION);
    let (status, code, message) = refusal(c.put(&url).body("x").send().await.unwrap()).await;
    assert_eq!((status, code.as_str()), (403, "SignatureDoesNotMatch"));
    assert_eq!(
        message,
        "Content-Type is signed into this URL and the request does not send it"
    );
    // A header the SDK signed instead of hoisting it into the query.
    let meta = vec![("x-amz-meta-owner".to_string(), "ann".to_string())];
    let url = signed_url(&ts, "PUT", &ts.host(), &path, &meta, &[], REGION);
    let (status, code, message) = refusal(c.put(&url).body("x").send().await.unwrap()).await;
    assert_eq!((status, code.as_str()), (403, "SignatureDoesNotMatch"));
    assert_eq!(
        message,
        "x-amz-meta-owner is signed into this URL and the request does not send it"
    );
    let ok = c.put(&url).header("x-amz-meta-owner", "ann").body("x");
    assert_eq!(ok.send().await.unwrap().status(), 200);
    // Sent but signed empty: verified against the signature.
    let empty = vec![("x-amz-meta-owner".to_string(), String::new())];
    let url = signed_url(&ts, "PUT", &ts.host(), &path, &empty, &[], REGION);
    let (_, code, message) = refusal(
        c.put(&url)
            .header("x-amz-meta-owner", "bob")
            .body("x")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(code, "SignatureDoesNotMatch");
    assert_eq!(
        message,
        "x-amz-meta-owner is signed into this URL and the request's value differs"
    );
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_region_is_named() {
    let ts = setup().await;
    let path = encode_object_path("diag", "r");
    let url = signed_url(&ts, "PUT", &ts.host(), &path, &[], &[], "eu-west-1");
    let (status, code, message) = refusal(http().put(&url).body("x").send().await.unwrap()).await;
    // AWS's own answer (SDKs read the expected region from it).
    assert_eq!(
        (status, code.as_str()),
        (400, "AuthorizationQueryParametersError")
    );
    assert_eq!(
        message,
        "Error parsing the X-Amz-Credential parameter; the region 'eu-west-1' is wrong; expecting 'us-east-1'"
    );
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_host_or_path_is_named() {
    let ts = setup().await;
    let c = http();
    let path = encode_object_path("diag", "h");
    // Signed for `localhost`, sent to `127.0.0.1`.
    let host = format!("localhost:{}", ts.addr.port());
    let url = signed_url(&ts, "PUT", &host, &path, &[], &[], REGION);
    let (status, code, message) = refusal(c.put(&url).body("x").send().await.unwrap()).await;
    assert_eq!((status, code.as_str()), (403, "SignatureDoesNotMatch"));
    assert_eq!(
        message,
        format!(
            "The URL was signed for host {host} but the request's Host is {}",
            ts.host()
        )
    );
    // A key with a space: signed as `%20`, sent as `+`.
    let signed_path = encode_object_path("diag", "my file.txt");
    assert_eq!(signed_path, "/diag/my%20file.txt");
    let url = signed_url(&ts, "PUT", &ts.host(), &signed_path, &[], &[], REGION).replacen(
        "/diag/my%20file.txt",
        "/diag/my+file.txt",
        1,
    );
    let (status, code, message) = refusal(c.put(&url).body("x").send().await.unwrap()).await;
    assert_eq!((status, code.as_str()), (403, "SignatureDoesNotMatch"));
    assert_eq!(
        message,
        "The URL was signed for path /diag/my%20file.txt but the request's path is /diag/my+file.txt"
    );
    // Another host or path altogether.
    for url in [
        signed_url(&ts, "PUT", "uploads.example.com", &path, &[], &[], REGION),
        signed_url(&ts, "PUT", &ts.host(), &path, &[], &[], REGION).replacen(
            "/diag/h",
            "/diag/other",
            1,
        ),
        {
            let u = signed_url(&ts, "PUT", &ts.host(), &path, &[], &[], REGION);
            let (head, _) = u.rsplit_once("X-Amz-Signature=").unwrap();
            format!("{head}X-Amz-Signature={}", "0".repeat(64))
        },
    ] {
        let (status, code, message) = refusal(c.put(&url).body("x").send().await.unwrap()).await;
        assert_eq!((status, code.as_str()), (403, "SignatureDoesNotMatch"));
        assert_eq!(
            message,
            "The URL was signed for another host, path or query string than this request's, or with another secret key"
        );
    }
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_requests_still_work_and_header_auth_keeps_aws_message() {
    let ts = setup().await;
    let c = http();
    let path = encode_object_path("diag", "ok");
    let url = signed_url(
        &ts,
        "PUT",
        &ts.host(),
        &path,
        &ct("text/plain"),
        &[],
        REGION,
    );
    let r = c.put(&url).header("content-type", "text/plain").body("hi");
    assert_eq!(r.send().await.unwrap().status(), 200);
    let get = signed_url(&ts, "GET", &ts.host(), &path, &[], &[], REGION);
    assert_eq!(
        c.get(&get).send().await.unwrap().text().await.unwrap(),
        "hi"
    );
    // A wrong secret is not explained as something else.
    let bad = common::sdk_at(ts.addr, common::ACCESS_KEY, "not-the-secret");
    let err = bad
        .get_object()
        .bucket("diag")
        .key("ok")
        .send()
        .await
        .unwrap_err();
    let text = format!("{:?}", err.into_service_error());
    assert!(
        text.contains("The request signature we calculated does not match"),
        "{text}"
    );
    ts.stop().await;
}

/// A URL whose signature holds but whose `x-sluice-content-type` refuses the request still
/// reports `sluice:Upload:Rejected` to its receipt target: the wanted type's message replaces a
/// signature mismatch only, it does not skip the signature.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_type_on_a_url_whose_signature_holds_is_still_an_upload_rejection() {
    let ts = setup().await;
    let path = encode_object_path("diag", "typed");
    let query = vec![
        ("x-sluice-content-type".to_string(), "image/png".to_string()),
        ("x-sluice-notify".to_string(), "feed".to_string()),
    ];
    // The constraint without the signed header: the signature verifies.
    let url = signed_url(&ts, "PUT", &ts.host(), &path, &[], &query, REGION);
    let (status, code, message) = refusal(
        http()
            .put(&url)
            .header("content-type", "text/plain")
            .body("x")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert_eq!(
        message,
        "This presigned URL requires Content-Type: image/png (the request sends text/plain)"
    );
    let (status, feed) = common::service_api::api(&ts, "GET", "/_sluice/v1/events?after=0").await;
    assert_eq!(status, 200, "{feed}");
    let names: Vec<&str> = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["eventName"].as_str())
        .collect();
    assert_eq!(names, vec!["sluice:Upload:Rejected"], "{feed}");
    ts.stop().await;
}
