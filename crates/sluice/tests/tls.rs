//! TLS on the S3 port: presigned PUT/GET and multipart over HTTPS with a certificate made at
//! test time (openssl CLI), `aws:SecureTransport` in bucket policies, https URLs in responses,
//! and no plain-HTTP fallback on a TLS port.

mod common;

use common::{xml_field, TestServer};
use std::path::Path;
use std::process::Command;

/// A throwaway CA and a leaf for 127.0.0.1 / localhost: (ca.pem, cert.pem, key.pem) in `dir`.
fn make_certs(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl must be installed for the TLS tests");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut a = vec!["req", "-x509"];
    a.extend(ec);
    a.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=sluice test CA",
    ]);
    run(&a);
    let mut a = vec!["req"];
    a.extend(ec);
    a.extend([
        "-keyout",
        "key.pem",
        "-out",
        "leaf.csr",
        "-subj",
        "/CN=localhost",
    ]);
    run(&a);
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "cert.pem",
        "-days",
        "1",
        "-extfile",
        "leaf.ext",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    )
}

fn https_client(ca: &Path) -> reqwest::Client {
    let pem = std::fs::read(ca).unwrap();
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .build()
        .unwrap()
}

fn https(url: String) -> String {
    url.replacen("http://", "https://", 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presigned_uploads_and_secure_transport_over_tls() {
    let certs = tempfile::tempdir().unwrap();
    let (ca, cert, key) = make_certs(certs.path());
    // One data dir served over plain HTTP, then HTTPS, then plain HTTP again (one server at a
    // time holds a data dir), so one bucket policy meets both transports.
    let mut plain = TestServer::start().await;
    plain
        .sdk()
        .create_bucket()
        .bucket("tlsb")
        .send()
        .await
        .unwrap();
    // A bucket policy that allows anonymous reads but denies anything not over TLS.
    let policy = r#"{"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::tlsb/*"},
      {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::tlsb","arn:aws:s3:::tlsb/*"],
       "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
    plain
        .sdk()
        .put_bucket_policy()
        .bucket("tlsb")
        .policy(policy)
        .send()
        .await
        .unwrap();
    if let Some(server) = plain.server.take() {
        server.shutdown().await;
    }
    let data = plain.dir.path().to_path_buf();
    let tls = TestServer::start_with(move |c| {
        c.data_dir = data;
        c.tls_cert = Some(cert);
        c.tls_key = Some(key);
    })
    .await;
    let c = https_client(&ca);

    // Presigned PUT and GET over HTTPS.
    let put = https(tls.presign("PUT", "tlsb", "doc.txt", 300));
    let r = c.put(&put).body("over tls").send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let get = https(tls.presign("GET", "tlsb", "doc.txt", 300));
    assert_eq!(
        c.get(&get).send().await.unwrap().text().await.unwrap(),
        "over tls"
    );

    // Multipart over HTTPS; the completion's Location is an https URL.
    let at = time::OffsetDateTime::now_utc();
    let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let create =
        https(tls.presign_full("POST", "tlsb", "mp", 300, &[], &q(&[("uploads", "")]), at));
    let text = c.post(&create).send().await.unwrap().text().await.unwrap();
    let id = xml_field(&text, "UploadId").expect(&text);
    let part = https(tls.presign_full(
        "PUT",
        "tlsb",
        "mp",
        300,
        &[],
        &q(&[("partNumber", "1"), ("uploadId", &id)]),
        at,
    ));
    let r = c.put(&part).body("part one").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let complete =
        https(tls.presign_full("POST", "tlsb", "mp", 300, &[], &q(&[("uploadId", &id)]), at));
    let doc = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
    );
    let text = c
        .post(&complete)
        .body(doc)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let location = xml_field(&text, "Location").expect(&text);
    assert!(location.starts_with("https://"), "{location}");

    // The policy lets anonymous readers in over TLS only.
    let r = c
        .get(format!("https://{}/tlsb/doc.txt", tls.host()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "over tls");

    // No plain-HTTP fallback on the TLS port, and an untrusting client refuses the server.
    let raw = common::http()
        .get(format!("http://{}/tlsb/doc.txt", tls.host()))
        .send()
        .await;
    assert!(raw.is_err() || raw.unwrap().status() != 200);
    assert!(
        common::http().get(&get).send().await.is_err(),
        "unknown CA must be refused"
    );
    tls.stop().await;
    plain.restart(|_| {}).await;
    let r = common::http()
        .get(format!("{}/tlsb/doc.txt", plain.endpoint()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        xml_field(&r.text().await.unwrap(), "Code").as_deref(),
        Some("AccessDenied")
    );
    plain.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tls_files_refuse_to_start() {
    let certs = tempfile::tempdir().unwrap();
    let (_, cert, key) = make_certs(certs.path());
    let dir = tempfile::tempdir().unwrap();
    let missing = certs.path().join("missing.pem");
    let garbage = certs.path().join("garbage.pem");
    std::fs::write(&garbage, "not a pem file").unwrap();
    let cases = [
        (Some(cert.clone()), None),
        (Some(missing.clone()), Some(key.clone())),
        (Some(garbage.clone()), Some(key.clone())),
        (Some(cert.clone()), Some(garbage.clone())),
        (Some(key.clone()), Some(cert.clone())),
    ];
    for (c, k) in cases {
        let mut cfg = sluice_server::ServerConfig::with_data_dir(dir.path());
        cfg.listen = "127.0.0.1:0".parse().unwrap();
        cfg.tls_cert = c.clone();
        cfg.tls_key = k.clone();
        let err = sluice_server::start(cfg).await.err();
        assert!(err.is_some(), "started with cert {c:?} key {k:?}");
    }
}
