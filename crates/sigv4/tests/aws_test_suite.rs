//! The AWS SigV4 test suite (awslabs/aws-c-auth `tests/aws-signing-test-suite/v4`,
//! Apache-2.0, copied under `tests/data/`). For every case we rebuild the canonical
//! request, string to sign and signature, in header and presigned-query form, both
//! from the unsigned request (signing side) and from the signed request (the
//! verifier's canonicalisation path), and compare them byte for byte.
//!
//! `*-normalized` cases use the general-service path normalisation, applied here
//! with [`normalize_path`]; S3 itself never normalises (the `-unnormalized` cases).

use std::path::{Path, PathBuf};

use serde_json::Value;
use sluice_sigv4::{
    canonical_headers_block, canonical_query_string, canonical_request, canonical_uri,
    normalize_path, parse_auth, percent_decode, presign_v4_with_payload_hash, signature_parts,
    AuthKind, Credentials, PresignRequest, RequestView,
};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/aws-signing-test-suite/v4")
}

/// A raw HTTP request as written in the suite's `*.txt` files.
struct RawRequest {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawRequest {
    fn parse(text: &str) -> RawRequest {
        let (head, body) = match text.split_once("\n\n") {
            Some((head, body)) => (head, body.as_bytes().to_vec()),
            None => (text.trim_end_matches('\n'), Vec::new()),
        };
        let mut lines = head.split('\n');
        let request_line = lines.next().unwrap();
        let (method, rest) = request_line.split_once(' ').unwrap();
        let (target, _version) = rest.rsplit_once(' ').unwrap();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in lines {
            if line.starts_with(' ') || line.starts_with('\t') {
                // obsolete line folding: a continuation of the previous value
                let last = headers.last_mut().unwrap();
                last.1.push(' ');
                last.1.push_str(line);
                continue;
            }
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.to_ascii_lowercase(), value.to_owned()));
        }
        RawRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body,
        }
    }

    fn view(&self) -> RequestView<'_> {
        RequestView {
            method: &self.method,
            raw_path: &self.path,
            raw_query: &self.query,
            headers: &self.headers,
        }
    }
}

struct Case {
    name: String,
    dir: PathBuf,
    access_key_id: String,
    secret: String,
    token: Option<String>,
    omit_token: bool,
    expires_in: u64,
    normalize: bool,
    region: String,
    service: String,
    sign_body: bool,
    timestamp: OffsetDateTime,
}

impl Case {
    fn load(dir: &Path) -> Case {
        let ctx: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("context.json")).unwrap())
                .unwrap();
        let creds = &ctx["credentials"];
        Case {
            name: dir.file_name().unwrap().to_string_lossy().into_owned(),
            dir: dir.to_owned(),
            access_key_id: creds["access_key_id"].as_str().unwrap().to_owned(),
            secret: creds["secret_access_key"].as_str().unwrap().to_owned(),
            token: creds["token"].as_str().map(str::to_owned),
            omit_token: ctx["omit_session_token"].as_bool().unwrap_or(false),
            expires_in: ctx["expiration_in_seconds"].as_u64().unwrap(),
            normalize: ctx["normalize"].as_bool().unwrap(),
            region: ctx["region"].as_str().unwrap().to_owned(),
            service: ctx["service"].as_str().unwrap().to_owned(),
            sign_body: ctx["sign_body"].as_bool().unwrap(),
            timestamp: OffsetDateTime::parse(ctx["timestamp"].as_str().unwrap(), &Rfc3339).unwrap(),
        }
    }

    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap()
    }

    fn expected(&self, name: &str) -> String {
        self.file(name).trim_end_matches('\n').to_owned()
    }

    fn request(&self, name: &str) -> RawRequest {
        RawRequest::parse(&self.file(name))
    }

    fn uri(&self, path: &str) -> String {
        if self.normalize {
            canonical_uri(&normalize_path(path))
        } else {
            canonical_uri(path)
        }
    }

    /// Token that takes part in the signature (a token added after signing does not).
    fn signed_token(&self) -> Option<&str> {
        self.token.as_deref().filter(|_| !self.omit_token)
    }
}

fn cases() -> Vec<Case> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(suite_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 38, "test suite data missing: {}", dirs.len());
    dirs.iter().map(|d| Case::load(d)).collect()
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

#[test]
fn header_form_from_unsigned_request() {
    for case in cases() {
        let req = case.request("request.txt");
        let payload_hash = sha256_hex(&req.body);
        let mut headers = req.headers.clone();
        headers.push((
            "x-amz-date".into(),
            sluice_sigv4::format_amz_date(case.timestamp),
        ));
        if let Some(token) = case.signed_token() {
            headers.push(("x-amz-security-token".into(), token.to_owned()));
        }
        if case.sign_body {
            headers.push(("x-amz-content-sha256".into(), payload_hash.clone()));
        }
        let parts = signature_parts(
            &case.secret,
            &req.method,
            &case.uri(&req.path),
            &canonical_query_string(&req.query, &[]),
            &headers,
            &payload_hash,
            (&case.region, &case.service, case.timestamp),
        );
        assert_eq!(
            parts.canonical_request,
            case.expected("header-canonical-request.txt"),
            "{}",
            case.name
        );
        assert_eq!(
            parts.string_to_sign,
            case.expected("header-string-to-sign.txt"),
            "{}",
            case.name
        );
        assert_eq!(
            parts.signature,
            case.expected("header-signature.txt"),
            "{}",
            case.name
        );

        let signed = case.request("header-signed-request.txt");
        let authorization = &signed
            .headers
            .iter()
            .find(|(n, _)| n == "authorization")
            .unwrap()
            .1;
        assert_eq!(
            authorization,
            &format!(
                "AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={}",
                case.access_key_id, parts.scope, parts.signed_headers, parts.signature
            ),
            "{}",
            case.name
        );
    }
}

#[test]
fn header_form_from_signed_request() {
    for case in cases() {
        let signed = case.request("header-signed-request.txt");
        let view = signed.view();
        let auth = parse_auth(&view).unwrap().unwrap();
        assert_eq!(auth.kind(), AuthKind::HeaderV4, "{}", case.name);
        assert_eq!(auth.access_key_id(), case.access_key_id);
        assert_eq!(auth.signature(), case.expected("header-signature.txt"));
        let credential = auth.credential().unwrap();
        assert_eq!(
            (credential.region(), credential.service()),
            (case.region.as_str(), case.service.as_str())
        );

        let block = canonical_headers_block(&view, auth.signed_headers()).unwrap();
        let canonical = canonical_request(
            &signed.method,
            &case.uri(&signed.path),
            &canonical_query_string(&signed.query, &[]),
            &block,
            &auth.signed_headers().join(";"),
            &sha256_hex(&signed.body),
        );
        assert_eq!(
            canonical,
            case.expected("header-canonical-request.txt"),
            "{}",
            case.name
        );
    }
}

#[test]
fn query_form_from_unsigned_request() {
    for case in cases() {
        let req = case.request("request.txt");
        let creds = Credentials {
            access_key_id: case.access_key_id.clone(),
            secret_access_key: case.secret.clone(),
            session_token: case.signed_token().map(str::to_owned),
        };
        let query: Vec<(String, String)> = req
            .query
            .split('&')
            .filter(|s| !s.is_empty())
            .map(|pair| {
                let (n, v) = pair.split_once('=').unwrap_or((pair, ""));
                (
                    String::from_utf8(percent_decode(n)).unwrap(),
                    String::from_utf8(percent_decode(v)).unwrap(),
                )
            })
            .collect();
        let host = req
            .headers
            .iter()
            .find(|(n, _)| n == "host")
            .unwrap()
            .1
            .clone();
        let extra: Vec<(String, String)> = req
            .headers
            .iter()
            .filter(|(n, _)| n != "host")
            .cloned()
            .collect();
        let path = if case.normalize {
            normalize_path(&req.path)
        } else {
            req.path.clone()
        };
        let presigned = presign_v4_with_payload_hash(
            &creds,
            &PresignRequest {
                method: &req.method,
                host: &host,
                raw_path: &path,
                query: &query,
                headers: &extra,
                region: &case.region,
                service: &case.service,
                datetime: case.timestamp,
                expires_in: case.expires_in,
            },
            &sha256_hex(&req.body),
        );
        let (canonical_query, signature) = presigned.rsplit_once("&X-Amz-Signature=").unwrap();
        let expected_canonical = case.expected("query-canonical-request.txt");
        assert_eq!(
            canonical_query,
            expected_canonical.split('\n').nth(2).unwrap(),
            "{}",
            case.name
        );
        assert_eq!(
            signature,
            case.expected("query-signature.txt"),
            "{}",
            case.name
        );
    }
}

#[test]
fn query_form_from_signed_request() {
    for case in cases() {
        let signed = case.request("query-signed-request.txt");
        let view = signed.view();
        let auth = parse_auth(&view).unwrap().unwrap();
        assert_eq!(auth.kind(), AuthKind::QueryV4, "{}", case.name);
        assert_eq!(auth.access_key_id(), case.access_key_id);
        assert_eq!(auth.signature(), case.expected("query-signature.txt"));

        let mut query = canonical_query_string(&signed.query, &["X-Amz-Signature"]);
        if case.omit_token {
            // The token was appended after signing: it is not part of the signature.
            assert!(query.contains("X-Amz-Security-Token="), "{}", case.name);
            query =
                canonical_query_string(&signed.query, &["X-Amz-Signature", "X-Amz-Security-Token"]);
        }
        let block = canonical_headers_block(&view, auth.signed_headers()).unwrap();
        let canonical = canonical_request(
            &signed.method,
            &case.uri(&signed.path),
            &query,
            &block,
            &auth.signed_headers().join(";"),
            &sha256_hex(&signed.body),
        );
        assert_eq!(
            canonical,
            case.expected("query-canonical-request.txt"),
            "{}",
            case.name
        );
        let sts = sluice_sigv4::string_to_sign(
            &sluice_sigv4::format_amz_date(case.timestamp),
            &auth.credential().unwrap().scope(),
            &canonical,
        );
        assert_eq!(
            sts,
            case.expected("query-string-to-sign.txt"),
            "{}",
            case.name
        );
        let key = sluice_sigv4::derive_signing_key(
            &case.secret,
            auth.credential().unwrap().date(),
            &case.region,
            &case.service,
        );
        assert_eq!(
            sluice_sigv4::sign_string(&key, &sts),
            auth.signature(),
            "{}",
            case.name
        );
    }
}
