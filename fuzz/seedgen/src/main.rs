//! Writes the signed seeds of the fuzz corpora (see Cargo.toml).

use std::fs;
use std::path::Path;

use sluice_sigv4::{
    frame_unsigned_chunk, frame_unsigned_final, presign_v2, presign_v4, seed_signature,
    sign_headers_v4, sign_post_policy_v2, sign_post_policy_v4, sign_v2_header, ChunkedSigner,
    Credentials, PresignRequest, SigningRequest, V2SigningRequest, UNSIGNED_PAYLOAD,
};
use time::macros::datetime;
use time::OffsetDateTime;

// Keep in sync with fuzz/src/lib.rs.
const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const REGION: &str = "us-east-1";
const NOW: OffsetDateTime = datetime!(2024-02-29 12:00 UTC);
const CHUNK_SEED_SIGNATURE: &str =
    "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
const HOST: &str = "localhost:9000";

fn creds(token: Option<&str>) -> Credentials {
    Credentials {
        access_key_id: AKID.to_owned(),
        secret_access_key: SECRET.to_owned(),
        session_token: token.map(str::to_owned),
    }
}

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let d = dir.join(target);
    fs::create_dir_all(&d).unwrap();
    fs::write(d.join(name), bytes).unwrap();
}

fn request_text(method: &str, path: &str, query: &str, headers: &[(String, String)]) -> Vec<u8> {
    let target = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    let mut out = format!("{method} {target} HTTP/1.1\r\nhost: {HOST}\r\n");
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

fn header_signed(
    method: &str,
    path: &str,
    query: &str,
    extra: &[(String, String)],
    payload: &str,
    token: Option<&str>,
) -> Vec<(String, String)> {
    let mut headers = extra.to_vec();
    headers.extend(sign_headers_v4(
        &creds(token),
        &SigningRequest {
            method,
            host: HOST,
            raw_path: path,
            raw_query: query,
            headers: extra,
            payload_hash: payload,
            region: REGION,
            service: "s3",
            datetime: NOW,
        },
    ));
    headers
}

fn h(n: &str, v: &str) -> (String, String) {
    (n.to_owned(), v.to_owned())
}

fn main() {
    let dir = std::env::args().nth(1).expect("corpus dir");
    let dir = Path::new(&dir);

    // --- sigv4_header_auth ---
    let t = "sigv4_header_auth";
    let hs = header_signed("GET", "/bucket/key", "", &[], UNSIGNED_PAYLOAD, None);
    write(
        dir,
        t,
        "get-unsigned",
        &request_text("GET", "/bucket/key", "", &hs),
    );
    let extra = [h("content-type", "image/png"), h("x-amz-meta-a", "b  c")];
    let hs = header_signed(
        "PUT",
        "/bucket/a%20b/%C3%A9",
        "uploadId=x&partNumber=1",
        &extra,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        Some("token=="),
    );
    write(
        dir,
        t,
        "put-part-token",
        &request_text(
            "PUT",
            "/bucket/a%20b/%C3%A9",
            "uploadId=x&partNumber=1",
            &hs,
        ),
    );
    for (name, payload, trailer) in [
        (
            "put-chunked-signed",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            false,
        ),
        (
            "put-chunked-signed-trailer",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            true,
        ),
    ] {
        let mut extra = vec![h("x-amz-decoded-content-length", "11")];
        if trailer {
            extra.push(h("x-amz-trailer", "x-amz-checksum-crc32"));
        }
        let hs = header_signed("PUT", "/bucket/key", "", &extra, payload, None);
        let seed = seed_signature(&hs).unwrap();
        let mut signer = ChunkedSigner::new(SECRET, NOW, REGION, "s3", &seed);
        let mut body = request_text("PUT", "/bucket/key", "", &hs);
        body.extend(signer.frame_chunk(b"hello "));
        body.extend(signer.frame_chunk(b"world"));
        if trailer {
            body.extend(signer.frame_final_with_trailers(&[h("x-amz-checksum-crc32", "DUoRhQ==")]));
        } else {
            body.extend(signer.frame_final());
        }
        write(dir, t, name, &body);
    }
    let extra = [
        h("x-amz-decoded-content-length", "5"),
        h("x-amz-trailer", "x-amz-checksum-crc32"),
    ];
    let hs = header_signed(
        "PUT",
        "/bucket/key",
        "",
        &extra,
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        None,
    );
    let mut body = request_text("PUT", "/bucket/key", "", &hs);
    body.extend(frame_unsigned_chunk(b"hello"));
    body.extend(frame_unsigned_final(&[h(
        "x-amz-checksum-crc32",
        "NhCmhg==",
    )]));
    write(dir, t, "put-chunked-unsigned-trailer", &body);
    let v2_headers = [
        h("date", "Thu, 29 Feb 2024 12:00:00 GMT"),
        h("content-type", "text/plain"),
    ];
    let auth = sign_v2_header(
        &creds(None),
        &V2SigningRequest {
            method: "PUT",
            raw_path: "/bucket/key",
            raw_query: "acl",
            headers: &v2_headers,
        },
    );
    let mut hs = v2_headers.to_vec();
    hs.push(h("authorization", &auth));
    write(
        dir,
        t,
        "put-v2",
        &request_text("PUT", "/bucket/key", "acl", &hs),
    );

    // --- sigv4_query_auth ---
    let t = "sigv4_query_auth";
    let presign =
        |method: &str, query: &[(String, String)], headers: &[(String, String)], token| {
            presign_v4(
                &creds(token),
                &PresignRequest {
                    method,
                    host: HOST,
                    raw_path: "/bucket/key",
                    query,
                    headers,
                    region: REGION,
                    service: "s3",
                    datetime: NOW,
                    expires_in: 3600,
                },
            )
        };
    write(
        dir,
        t,
        "presigned-get",
        presign("GET", &[], &[], None).as_bytes(),
    );
    write(
        dir,
        t,
        "presigned-get-params-token",
        presign(
            "GET",
            &[
                h("response-content-type", "text/plain; a=b"),
                h("x-sluice-max-size", "10"),
            ],
            &[],
            Some("tok/en+=="),
        )
        .as_bytes(),
    );
    write(
        dir,
        t,
        "presigned-get-signed-header",
        presign("GET", &[], &[h("content-type", "image/png")], None).as_bytes(),
    );
    write(
        dir,
        t,
        "presigned-v2",
        presign_v2(
            &creds(None),
            &V2SigningRequest {
                method: "GET",
                raw_path: "/bucket/key",
                raw_query: "",
                headers: &[],
            },
            NOW.unix_timestamp() + 600,
        )
        .as_bytes(),
    );

    // --- chunked_decoder --- (flags, 2 split points, [declared length], body)
    let t = "chunked_decoder";
    let mut signer = ChunkedSigner::new(SECRET, NOW, REGION, "s3", CHUNK_SEED_SIGNATURE);
    let mut body = vec![1 | 4, 2, 3, 90, 0, 11];
    body.extend(signer.frame_chunk(b"hello "));
    body.extend(signer.frame_chunk(b"world"));
    body.extend(signer.frame_final());
    write(dir, t, "signed", &body);
    let mut signer = ChunkedSigner::new(SECRET, NOW, REGION, "s3", CHUNK_SEED_SIGNATURE);
    let mut body = vec![1 | 2, 2, 1, 200];
    body.extend(signer.frame_chunk(b"hello"));
    body.extend(signer.frame_final_with_trailers(&[
        h("x-amz-checksum-crc32", "NhCmhg=="),
        h(
            "x-amz-checksum-sha256",
            "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=",
        ),
    ]));
    write(dir, t, "signed-trailer", &body);
    let mut body = vec![4, 1, 4, 0, 8];
    body.extend(frame_unsigned_chunk(b"hello"));
    body.extend(frame_unsigned_chunk(b" ok"));
    body.extend(frame_unsigned_final(&[h(
        "x-amz-checksum-crc32",
        "AAAAAA==",
    )]));
    write(dir, t, "unsigned-trailer", &body);
    let mut body = vec![0, 0];
    body.extend(frame_unsigned_chunk(b"x"));
    body.extend(frame_unsigned_final(&[]));
    write(dir, t, "unsigned-no-trailer", &body);

    // --- post_policy --- (fields as name:value lines)
    let t = "post_policy";
    let policy_json = r#"{"expiration":"2024-03-01T00:00:00Z","conditions":[{"bucket":"bucket"},["starts-with","$key","uploads/"],["eq","$Content-Type","image/png"],["content-length-range",1,1048576],{"x-amz-algorithm":"AWS4-HMAC-SHA256"},{"x-amz-credential":"AKIAIOSFODNN7EXAMPLE/20240229/us-east-1/s3/aws4_request"},{"x-amz-date":"20240229T120000Z"}]}"#;
    let policy = base64_encode(policy_json.as_bytes());
    let v4 = format!(
        "key:uploads/cat.png\nContent-Type:image/png\nx-amz-algorithm:AWS4-HMAC-SHA256\nx-amz-credential:{AKID}/20240229/{REGION}/s3/aws4_request\nx-amz-date:20240229T120000Z\npolicy:{policy}\nx-amz-signature:{}\n",
        sign_post_policy_v4(SECRET, &policy, "20240229", REGION)
    );
    write(dir, t, "v4", v4.as_bytes());
    write(dir, t, "v4-resign", format!("!{v4}").as_bytes());
    let v2 = format!(
        "key:uploads/cat.png\nContent-Type:image/png\nAWSAccessKeyId:{AKID}\npolicy:{policy}\nsignature:{}\n",
        sign_post_policy_v2(SECRET, &policy)
    );
    write(dir, t, "v2", v2.as_bytes());
    write(dir, t, "document", policy_json.as_bytes());
}

fn base64_encode(input: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(TABLE[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
