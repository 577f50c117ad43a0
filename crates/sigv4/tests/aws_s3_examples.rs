//! The worked examples of AWS's S3 SigV4 documentation ("Signature Calculations for
//! the Authorization Header", "Authenticating Requests: Using Query Parameters",
//! "Transferring Payload in Multiple Chunks", "Including Trailing Headers"),
//! verified end to end and re-signed with the signing API.

mod common;

use common::{OwnedRequest, Server, AKID, EMPTY_SHA256, SECRET};
use sluice_sigv4::{
    check_payload_sha256, presign_v4, sign_headers_v4, AuthKind, ChunkedSigner, Credentials,
    PayloadCheck, PresignRequest, SignatureVersion, SigningRequest,
};
use time::macros::datetime;

const EXAMPLE_TIME: time::OffsetDateTime = datetime!(2013-05-24 0:00 UTC);

fn creds() -> Credentials {
    Credentials {
        access_key_id: AKID.to_owned(),
        secret_access_key: SECRET.to_owned(),
        session_token: None,
    }
}

fn authorization(signed_headers: &str, signature: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={AKID}/20130524/us-east-1/s3/aws4_request,SignedHeaders={signed_headers},Signature={signature}"
    )
}

/// Verifies an example request, then re-signs it and compares the signature.
fn check_header_example(
    method: &str,
    path: &str,
    query: &str,
    extra: &[(&str, &str)],
    payload_hash: &str,
    signed_headers: &str,
    signature: &str,
) -> sluice_sigv4::VerifiedAuth {
    let mut headers = vec![
        ("host", "examplebucket.s3.amazonaws.com"),
        ("x-amz-date", "20130524T000000Z"),
        ("x-amz-content-sha256", payload_hash),
    ];
    headers.extend_from_slice(extra);
    let auth = authorization(signed_headers, signature);
    headers.push(("authorization", &auth));
    let req = OwnedRequest::new(method, path, query, &headers);
    let verified = Server::new(EXAMPLE_TIME).check(&req, SECRET).unwrap();
    assert_eq!(verified.kind, AuthKind::HeaderV4);
    assert_eq!(verified.signature_version, SignatureVersion::V4);
    assert_eq!(verified.access_key_id, AKID);
    assert_eq!(verified.request_time, EXAMPLE_TIME);
    assert_eq!(verified.signed_headers.join(";"), signed_headers);

    let extra_owned: Vec<(String, String)> = extra
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    let added = sign_headers_v4(
        &creds(),
        &SigningRequest {
            method,
            host: "examplebucket.s3.amazonaws.com",
            raw_path: path,
            raw_query: query,
            headers: &extra_owned,
            payload_hash,
            region: "us-east-1",
            service: "s3",
            datetime: EXAMPLE_TIME,
        },
    );
    let resigned = &added.iter().find(|(n, _)| n == "authorization").unwrap().1;
    assert!(
        resigned.ends_with(&format!(
            "SignedHeaders={signed_headers}, Signature={signature}"
        )),
        "{resigned}"
    );
    verified
}

#[test]
fn get_object_example() {
    let verified = check_header_example(
        "GET",
        "/test.txt",
        "",
        &[("range", "bytes=0-9")],
        EMPTY_SHA256,
        "host;range;x-amz-content-sha256;x-amz-date",
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    );
    match verified.payload {
        PayloadCheck::Sha256(hash) => assert_eq!(hex::encode(hash), EMPTY_SHA256),
        other => panic!("{other:?}"),
    }
}

#[test]
fn put_object_example() {
    let body = b"Welcome to Amazon S3.";
    let hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
    let verified = check_header_example(
        "PUT",
        "/test%24file.text",
        "",
        &[
            ("date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ],
        hash,
        "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
    );
    let PayloadCheck::Sha256(expected) = verified.payload else {
        panic!("expected a sha256 payload check")
    };
    let computed: [u8; 32] = {
        use sha2::Digest;
        sha2::Sha256::digest(body).into()
    };
    check_payload_sha256(&expected, &computed).unwrap();
    let err = check_payload_sha256(&expected, &[0u8; 32]).unwrap_err();
    assert_eq!(err.code(), "XAmzContentSHA256Mismatch");
}

#[test]
fn get_bucket_lifecycle_example() {
    check_header_example(
        "GET",
        "/",
        "lifecycle",
        &[],
        EMPTY_SHA256,
        "host;x-amz-content-sha256;x-amz-date",
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
    );
}

#[test]
fn list_objects_example() {
    check_header_example(
        "GET",
        "/",
        "max-keys=2&prefix=J",
        &[],
        EMPTY_SHA256,
        "host;x-amz-content-sha256;x-amz-date",
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
    );
}

#[test]
fn presigned_url_example() {
    let query = presign_v4(
        &creds(),
        &PresignRequest {
            method: "GET",
            host: "examplebucket.s3.amazonaws.com",
            raw_path: "/test.txt",
            query: &[],
            headers: &[],
            region: "us-east-1",
            service: "s3",
            datetime: EXAMPLE_TIME,
            expires_in: 86_400,
        },
    );
    assert_eq!(
        query,
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    );
    let req = OwnedRequest::new(
        "GET",
        "/test.txt",
        &query,
        &[("host", "examplebucket.s3.amazonaws.com")],
    );
    // valid during the whole day after X-Amz-Date
    for now in [
        EXAMPLE_TIME,
        datetime!(2013-05-24 12:00 UTC),
        datetime!(2013-05-25 0:00 UTC),
    ] {
        let verified = Server::new(now).check(&req, SECRET).unwrap();
        assert_eq!(verified.kind, AuthKind::QueryV4);
        assert_eq!(verified.expires_at, Some(datetime!(2013-05-25 0:00 UTC)));
        assert!(matches!(verified.payload, PayloadCheck::Unsigned));
    }
    let err = Server::new(datetime!(2013-05-25 0:00:01 UTC))
        .check(&req, SECRET)
        .unwrap_err();
    assert_eq!(
        (err.code(), err.to_string().as_str()),
        ("AccessDenied", "Request has expired")
    );
}

const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
const CHUNK_SIGNATURES: [&str; 3] = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
];

fn chunked_example_request(
    content_sha256: &str,
    signed_headers: &str,
    seed: &str,
    extra: &[(&str, &str)],
) -> OwnedRequest {
    let auth = authorization(signed_headers, seed);
    let mut headers = vec![
        ("host", "s3.amazonaws.com"),
        ("x-amz-date", "20130524T000000Z"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("x-amz-content-sha256", content_sha256),
        ("content-encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
        ("authorization", &auth),
    ];
    headers.extend_from_slice(extra);
    OwnedRequest::new("PUT", "/examplebucket/chunkObject.txt", "", &headers)
}

fn example_body_with_known_signatures() -> Vec<u8> {
    let mut body = Vec::new();
    for (size, sig) in [
        (65_536usize, CHUNK_SIGNATURES[0]),
        (1024, CHUNK_SIGNATURES[1]),
    ] {
        body.extend_from_slice(format!("{size:x};chunk-signature={sig}\r\n").as_bytes());
        body.extend(std::iter::repeat_n(b'a', size));
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("0;chunk-signature={}\r\n\r\n", CHUNK_SIGNATURES[2]).as_bytes());
    body
}

#[test]
fn chunked_upload_example() {
    let req = chunked_example_request(
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
        SEED,
        &[("content-length", "66824")],
    );
    let verified = Server::new(EXAMPLE_TIME).check(&req, SECRET).unwrap();
    let PayloadCheck::Chunked(mut decoder) = verified.payload else {
        panic!("expected a chunked payload")
    };
    assert!(decoder.is_signed());
    assert_eq!(decoder.expected_decoded_length(), Some(66_560));

    let body = example_body_with_known_signatures();
    assert_eq!(body.len(), 66_824, "Content-Length of the example");
    let mut out = Vec::new();
    for piece in body.chunks(7_777) {
        decoder.feed(piece, &mut out).unwrap();
    }
    assert!(decoder.is_complete());
    assert_eq!(decoder.finish().unwrap(), Vec::<(String, String)>::new());
    assert_eq!(out.len(), 66_560);
    assert!(out.iter().all(|&b| b == b'a'));

    // The signer reproduces the example's chunk signatures and body.
    let mut signer = ChunkedSigner::new(SECRET, EXAMPLE_TIME, "us-east-1", "s3", SEED);
    let mut signed_body = signer.frame_chunk(&vec![b'a'; 65_536]);
    signed_body.extend(signer.frame_chunk(&vec![b'a'; 1024]));
    signed_body.extend(signer.frame_final());
    assert_eq!(signed_body, body);
    assert_eq!(
        sluice_sigv4::signed_chunked_encoded_len(66_560, 65_536),
        66_824
    );
}

#[test]
fn chunked_upload_example_wrong_chunk_signature() {
    let req = chunked_example_request(
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
        SEED,
        &[("content-length", "66824")],
    );
    let verified = Server::new(EXAMPLE_TIME).check(&req, SECRET).unwrap();
    let PayloadCheck::Chunked(mut decoder) = verified.payload else {
        panic!("expected a chunked payload")
    };
    let mut body = example_body_with_known_signatures();
    // swap the order of the first two bytes of data in the second chunk ('a','a' -> 'b')
    let second_chunk_data = body.len() - 1024 - 2 - 86;
    body[second_chunk_data] = b'b';
    let mut out = Vec::new();
    let err = decoder.feed(&body, &mut out).unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    match err {
        sluice_sigv4::AuthError::SignatureDoesNotMatch(m) => {
            assert!(m
                .string_to_sign
                .starts_with("AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n"));
            assert_eq!(m.signature_provided, CHUNK_SIGNATURES[1]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn chunked_upload_with_trailer_example() {
    // AWS "Including Trailing Headers" example (PUT with x-amz-checksum-crc32c trailer).
    let seed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
    let req = chunked_example_request(
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
        seed,
        &[("x-amz-trailer", "x-amz-checksum-crc32c")],
    );
    let verified = Server::new(EXAMPLE_TIME).check(&req, SECRET).unwrap();
    let PayloadCheck::Chunked(mut decoder) = verified.payload else {
        panic!("expected a chunked payload")
    };
    let trailers = vec![("x-amz-checksum-crc32c".to_owned(), "sOO8/Q==".to_owned())];
    let mut signer = ChunkedSigner::new(SECRET, EXAMPLE_TIME, "us-east-1", "s3", seed);
    let mut body = signer.frame_chunk(&vec![b'a'; 65_536]);
    body.extend(signer.frame_chunk(&vec![b'a'; 1024]));
    body.extend(signer.frame_final_with_trailers(&trailers));
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n"));
    assert!(text.contains(
        "400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n"
    ));
    assert!(text.ends_with(
        "0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n\
         x-amz-checksum-crc32c:sOO8/Q==\r\n\
         x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n"
    ));
    let mut out = Vec::new();
    decoder.feed(&body, &mut out).unwrap();
    assert_eq!(decoder.finish().unwrap(), trailers);
    assert_eq!(out.len(), 66_560);
}
