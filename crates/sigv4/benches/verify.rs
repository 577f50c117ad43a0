//! Time per presigned-URL verification (parse + verify with a cached signing key, as the
//! server calls them), per
//! header-auth verification, and per canonicalisation step.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use sluice_sigv4::{
    canonical_query_string, canonical_uri, parse_auth, presign_v4, sign_headers_v4, verify_owned,
    Credentials, PresignRequest, RequestView, SigningKeyCache, SigningRequest, VerifyContext,
    UNSIGNED_PAYLOAD,
};
use std::time::Duration;
use time::OffsetDateTime;

const HOST: &str = "127.0.0.1:9000";
const PATH: &str = "/photos/2026/11/holiday%20pictures/IMG_0042.jpg";

fn creds() -> Credentials {
    Credentials {
        access_key_id: "AKIDBENCHMARK0000001".into(),
        secret_access_key: "bench/secret+key/0123456789abcdefghijklmn".into(),
        session_token: None,
    }
}

fn bench(c: &mut Criterion) {
    let now = OffsetDateTime::from_unix_timestamp(1_795_000_000).expect("valid time");
    let cache = SigningKeyCache::new(64);
    let ctx = VerifyContext {
        now,
        region: "us-east-1",
        max_skew: Duration::from_secs(900),
        allow_v2: true,
        v2_virtual_host_bucket: None,
        key_cache: &cache,
        grant_expiry: None,
    };
    let creds = creds();
    let query = presign_v4(
        &creds,
        &PresignRequest {
            method: "PUT",
            host: HOST,
            raw_path: PATH,
            query: &[(
                "x-sluice-content-length-range".to_string(),
                "0,10485760".to_string(),
            )],
            headers: &[],
            region: "us-east-1",
            service: "s3",
            datetime: now,
            expires_in: 3600,
        },
    );
    let headers = vec![
        ("host".to_string(), HOST.to_string()),
        ("content-length".to_string(), "4096".to_string()),
        ("user-agent".to_string(), "curl/8.5.0".to_string()),
    ];
    let presigned = RequestView {
        method: "PUT",
        raw_path: PATH,
        raw_query: &query,
        headers: &headers,
    };
    c.bench_function("presigned_put_parse_and_verify_cached_key", |b| {
        b.iter(|| {
            let auth = parse_auth(black_box(&presigned))
                .expect("parses")
                .expect("signed");
            verify_owned(&presigned, auth, &creds.secret_access_key, &ctx).expect("valid")
        })
    });

    let mut header_req = vec![("host".to_string(), HOST.to_string())];
    let signed = sign_headers_v4(
        &creds,
        &SigningRequest {
            method: "GET",
            host: HOST,
            raw_path: PATH,
            raw_query: "",
            headers: &[],
            payload_hash: UNSIGNED_PAYLOAD,
            region: "us-east-1",
            service: "s3",
            datetime: now,
        },
    );
    header_req.extend(signed);
    let header_view = RequestView {
        method: "GET",
        raw_path: PATH,
        raw_query: "",
        headers: &header_req,
    };
    c.bench_function("header_get_parse_and_verify_cached_key", |b| {
        b.iter(|| {
            let auth = parse_auth(black_box(&header_view))
                .expect("parses")
                .expect("signed");
            verify_owned(&header_view, auth, &creds.secret_access_key, &ctx).expect("valid")
        })
    });

    c.bench_function("canonical_query_of_presigned_url", |b| {
        b.iter(|| canonical_query_string(black_box(&query), &["X-Amz-Signature"]))
    });
    c.bench_function("canonical_uri", |b| {
        b.iter(|| canonical_uri(black_box(PATH)))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
