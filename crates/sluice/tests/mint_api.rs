//! The REST mint API `POST /_sluice/v1/presign`: single URLs and whole multipart bundles.

mod common;

use common::{creds, http, xml_field, TestServer, REGION};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sluice_sigv4::{sign_headers_v4, SigningRequest};

async fn call(ts: &TestServer, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let bytes = serde_json::to_vec(body).unwrap();
    let hash = hex::encode(Sha256::digest(&bytes));
    let host = ts.host();
    let extra = vec![("content-type".to_string(), "application/json".to_string())];
    let signed = sign_headers_v4(
        &creds(),
        &SigningRequest {
            method,
            host: &host,
            raw_path: path,
            raw_query: "",
            headers: &extra,
            payload_hash: &hash,
            region: REGION,
            service: "s3",
            datetime: time::OffsetDateTime::now_utc(),
        },
    );
    let mut req = http()
        .request(method.parse().unwrap(), format!("{}{path}", ts.endpoint()))
        .body(bytes);
    for (k, v) in extra.iter().chain(signed.iter()) {
        req = req.header(k, v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn mint(ts: &TestServer, body: Value) -> (u16, Value) {
    call(ts, "POST", "/_sluice/v1/presign", &body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_put_and_get_urls() {
    let ts = TestServer::start().await;
    ts.sdk()
        .create_bucket()
        .bucket("mint")
        .send()
        .await
        .unwrap();
    let (status, out) = mint(&ts, json!({"method":"PUT","bucket":"mint","key":"photos/a b.png","expires_in":600,"content_type":"image/png"})).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["method"], "PUT");
    assert_eq!(out["headers"]["content-type"], "image/png");
    let expires_at = time::OffsetDateTime::parse(
        out["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let delta = (expires_at - time::OffsetDateTime::now_utc()).whole_seconds();
    assert!((590..=601).contains(&delta), "{delta}");
    let url = out["url"].as_str().unwrap();
    assert!(url.contains("X-Amz-Expires=600"));
    let c = http();
    assert_eq!(
        c.put(url)
            .header("content-type", "text/html")
            .body("x")
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        c.put(url)
            .header("content-type", "image/png")
            .body("png")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let (status, out) = mint(
        &ts,
        json!({"method":"get","bucket":"mint","key":"photos/a b.png"}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        out["url"].as_str().unwrap().contains("X-Amz-Expires=3600"),
        "default expiry"
    );
    assert_eq!(
        c.get(out["url"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "png"
    );
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_multipart_bundle() {
    let ts = TestServer::start().await;
    ts.sdk()
        .create_bucket()
        .bucket("bundle")
        .send()
        .await
        .unwrap();
    let size: u64 = 11 * 1024 * 1024 + 5;
    let (status, out) = mint(&ts, json!({"method":"PUT","bucket":"bundle","key":"v.mp4","expires_in":900,"content_type":"video/mp4","multipart":{"size":size,"part_size":5*1024*1024}})).await;
    assert_eq!(status, 200, "{out}");
    let parts = out["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[2]["offset"], 10 * 1024 * 1024);
    assert_eq!(parts[2]["size"], 1024 * 1024 + 5);
    let data: Vec<u8> = (0..size).map(|i| (i % 253) as u8).collect();
    let c = http();
    let mut xml = String::from("<CompleteMultipartUpload>");
    for p in parts {
        let (off, len) = (
            p["offset"].as_u64().unwrap() as usize,
            p["size"].as_u64().unwrap() as usize,
        );
        let r = c
            .put(p["url"].as_str().unwrap())
            .body(data[off..off + len].to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let etag = r.headers()["etag"].to_str().unwrap().to_string();
        xml.push_str(&format!(
            "<Part><PartNumber>{}</PartNumber><ETag>{etag}</ETag></Part>",
            p["part_number"]
        ));
    }
    xml.push_str("</CompleteMultipartUpload>");
    let listing = c
        .get(out["list_parts_url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(listing.matches("<Part>").count(), 3);
    let r = c
        .post(out["complete_url"].as_str().unwrap())
        .body(xml)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(xml_field(&r.text().await.unwrap(), "ETag")
        .unwrap()
        .ends_with("-3&quot;"));
    let got = ts
        .sdk()
        .get_object()
        .bucket("bundle")
        .key("v.mp4")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("video/mp4"));
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().to_vec(),
        data
    );

    // parts: N form, then abort.
    let (status, out) = mint(
        &ts,
        json!({"method":"PUT","bucket":"bundle","key":"x","multipart":{"parts":2}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(out["parts"].as_array().unwrap().len(), 2);
    assert!(out["parts"][0].get("offset").is_none());
    let uploads = ts
        .sdk()
        .list_multipart_uploads()
        .bucket("bundle")
        .send()
        .await
        .unwrap();
    assert_eq!(uploads.uploads().len(), 1);
    assert_eq!(
        c.delete(out["abort_url"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clear_json_errors() {
    let ts = TestServer::start().await;
    ts.sdk()
        .create_bucket()
        .bucket("errs")
        .send()
        .await
        .unwrap();
    let cases = [
        (
            json!({"method":"PATCH","bucket":"errs","key":"k"}),
            400,
            Some("method"),
        ),
        (
            json!({"method":"PUT","bucket":"errs","key":"k","expires_in":0}),
            400,
            Some("expires_in"),
        ),
        (
            json!({"method":"PUT","bucket":"errs","key":"k","expires_in":604801}),
            400,
            Some("expires_in"),
        ),
        (
            json!({"method":"PUT","bucket":"errs","key":""}),
            400,
            Some("key"),
        ),
        (
            json!({"method":"PUT","bucket":"a/b","key":"k"}),
            400,
            Some("bucket"),
        ),
        (
            json!({"method":"GET","bucket":"errs","key":"k","content_type":"x/y"}),
            400,
            Some("content_type"),
        ),
        (
            json!({"method":"PUT","bucket":"errs","key":"k","multipart":{"parts":0}}),
            400,
            Some("multipart.parts"),
        ),
        (
            json!({"method":"PUT","bucket":"errs","key":"k","multipart":{"size":100,"part_size":10}}),
            400,
            Some("multipart.part_size"),
        ),
        (
            json!({"method":"PUT","bucket":"errs","key":"k","surprise":1}),
            400,
            None,
        ),
        (json!({"bucket":"errs","key":"k"}), 400, None),
        (
            json!({"method":"PUT","bucket":"nobucket","key":"k"}),
            404,
            None,
        ),
    ];
    for (body, want, field) in cases {
        let (status, out) = mint(&ts, body.clone()).await;
        assert_eq!(status, want, "{body} -> {out}");
        assert!(
            out["error"].is_string() && out["message"].is_string(),
            "{out}"
        );
        if let Some(f) = field {
            assert_eq!(out["field"], f, "{body}");
            assert!(out["message"].as_str().unwrap().starts_with(f));
        }
    }
    let (status, out) = call(
        &ts,
        "POST",
        "/_sluice/v1/presign",
        &Value::String("not an object".into()),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(out["error"], "MalformedJSON");
    let (status, _) = call(&ts, "GET", "/_sluice/v1/presign", &json!({})).await;
    assert_eq!(status, 405);
    let (status, _) = call(&ts, "POST", "/_sluice/v1/nothing", &json!({})).await;
    assert_eq!(status, 404);
    // Anonymous callers and holders of a presigned URL cannot mint.
    let r = http()
        .post(format!("{}/_sluice/v1/presign", ts.endpoint()))
        .body(r#"{"method":"PUT","bucket":"errs","key":"k"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let v: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["error"], "AccessDenied");
    let presigned = ts.presign_full(
        "POST",
        "_sluice",
        "v1/presign",
        600,
        &[],
        &[],
        time::OffsetDateTime::now_utc(),
    );
    let r = http()
        .post(&presigned)
        .body(r#"{"method":"PUT","bucket":"errs","key":"k"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    ts.stop().await;
}
