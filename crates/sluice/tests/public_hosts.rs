//! Public hostnames (issue 27): `--public-url` makes the mint API sign for the public URL whatever
//! Host the caller used, a signature made for a public host verifies when a proxy rewrites Host,
//! and `--trust-forwarded` honours `X-Forwarded-Host/Proto` from the listed proxies only.

mod common;

use common::process::ServerProcess;
use common::service_api::mint;
use common::{creds, http, TestServer, ACCESS_KEY, REGION, SECRET_KEY};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sluice_server::auth::url_constraints::Cidr;
use sluice_server::net::public_url::PublicUrl;
use sluice_sigv4::{sign_headers_v4, SigningRequest};
use std::net::SocketAddr;
use std::process::Command;
use time::OffsetDateTime;

/// `POST /_sluice/v1/presign` sent to `to`, signed for `host`, with extra (unsigned) headers.
async fn mint_at(to: SocketAddr, host: &str, extra: &[(&str, &str)], body: Value) -> (u16, Value) {
    let path = "/_sluice/v1/presign";
    let bytes = serde_json::to_vec(&body).unwrap();
    let hash = hex::encode(Sha256::digest(&bytes));
    let ct = vec![("content-type".to_string(), "application/json".to_string())];
    let signed = sign_headers_v4(
        &creds(),
        &SigningRequest {
            method: "POST",
            host,
            raw_path: path,
            raw_query: "",
            headers: &ct,
            payload_hash: &hash,
            region: REGION,
            service: "s3",
            datetime: OffsetDateTime::now_utc(),
        },
    );
    let mut req = http().post(format!("http://{to}{path}")).body(bytes);
    for (k, v) in ct.iter().chain(signed.iter()) {
        req = req.header(k, v);
    }
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The minted URL with its scheme and host replaced by the test server's address (as a proxy
/// would deliver it: the request's Host is then the server's own).
fn to_server(url: &str, ts: &TestServer) -> String {
    let (_, rest) = url.split_once("://").unwrap();
    let (_, path) = rest.split_once('/').unwrap();
    format!("http://{}/{path}", ts.addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mint_signs_for_the_public_url_and_verification_accepts_it() {
    let ts = TestServer::start_with(|c| {
        c.public_urls = vec![
            PublicUrl::parse("https://uploads.example.com").unwrap(),
            PublicUrl::parse("http://alias.example.net:8080").unwrap(),
        ]
    })
    .await;
    ts.create_bucket("pub").await;
    let (status, out) = mint(
        &ts,
        json!({"bucket": "pub", "key": "a.txt", "method": "PUT"}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    let url = out["url"].as_str().unwrap();
    assert!(
        url.starts_with("https://uploads.example.com/pub/a.txt?"),
        "{url}"
    );
    // Delivered with Host = the server's own address: the public host's signature verifies.
    let r = http()
        .put(to_server(url, &ts))
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // So does one made for an alias.
    let alias = sluice_sigv4::presign_v4(
        &creds(),
        &sluice_sigv4::PresignRequest {
            method: "GET",
            host: "alias.example.net:8080",
            raw_path: "/pub/a.txt",
            query: &[],
            headers: &[],
            region: REGION,
            service: "s3",
            datetime: OffsetDateTime::now_utc(),
            expires_in: 60,
        },
    );
    let r = http()
        .get(format!("http://{}/pub/a.txt?{alias}", ts.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "hello");
    // A host that is not configured does not.
    let other = sluice_sigv4::presign_v4(
        &creds(),
        &sluice_sigv4::PresignRequest {
            method: "GET",
            host: "evil.example.org",
            raw_path: "/pub/a.txt",
            query: &[],
            headers: &[],
            region: REGION,
            service: "s3",
            datetime: OffsetDateTime::now_utc(),
            expires_in: 60,
        },
    );
    let r = http()
        .get(format!("http://{}/pub/a.txt?{other}", ts.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The POST form is minted for the public URL too.
    let (status, out) = mint(
        &ts,
        json!({"bucket": "pub", "key": "f.txt", "method": "POST"}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["url"], "https://uploads.example.com/pub");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_host_is_honoured_from_trusted_proxies_only() {
    let forwarded = [
        ("x-forwarded-host", "files.example.org"),
        ("x-forwarded-proto", "https"),
    ];
    let body = || json!({"bucket": "fwd", "key": "k", "method": "PUT"});

    // Not trusted: the headers are ignored, the URL names the Host the caller used.
    let ts = TestServer::start().await;
    ts.create_bucket("fwd").await;
    let (status, out) = mint_at(ts.addr, &ts.host(), &forwarded, body()).await;
    assert_eq!(status, 200, "{out}");
    let url = out["url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&format!("http://{}/fwd/k?", ts.addr)),
        "{url}"
    );
    ts.stop().await;

    // Trusted (the loopback proxy): the URL names the forwarded host and scheme, and a request
    // forwarded for that host verifies.
    let ts =
        TestServer::start_with(|c| c.trust_forwarded = vec![Cidr::parse("127.0.0.0/8").unwrap()])
            .await;
    ts.create_bucket("fwd").await;
    let (status, out) = mint_at(ts.addr, "files.example.org", &forwarded, body()).await;
    assert_eq!(status, 200, "{out}");
    let url = out["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("https://files.example.org/fwd/k?"), "{url}");
    let target = to_server(&url, &ts);
    let r = http()
        .put(&target)
        .header("x-forwarded-host", "files.example.org")
        .body("v")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // Without the forwarded host it is a URL for another host.
    let r = http().put(&target).body("v").send().await.unwrap();
    assert_eq!(r.status(), 403);
    ts.stop().await;

    // Trusted proxies elsewhere: a loopback client cannot claim a host.
    let ts =
        TestServer::start_with(|c| c.trust_forwarded = vec![Cidr::parse("10.0.0.0/8").unwrap()])
            .await;
    ts.create_bucket("fwd").await;
    let (status, out) = mint_at(ts.addr, &ts.host(), &forwarded, body()).await;
    assert_eq!(status, 200, "{out}");
    assert!(out["url"]
        .as_str()
        .unwrap()
        .starts_with(&format!("http://{}/", ts.addr)));
    ts.stop().await;
}

/// Behind nginx rewriting Host to the backend's address: the backend mints for its public URL
/// (the proxy) and the URL works through the proxy. Needs Debian's nginx; skipped with a message
/// elsewhere unless SLUICE_REQUIRE_NGINX=1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_url_behind_nginx_rewriting_host() {
    let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(nginx) = nginx else {
        assert!(
            std::env::var("SLUICE_REQUIRE_NGINX").is_err(),
            "nginx is required but not installed"
        );
        eprintln!("SKIPPED: nginx not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let public = format!("http://127.0.0.1:{port}");
    let data = dir.path().join("data");
    let server = ServerProcess::start(
        &[
            "--data-dir",
            data.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--public-url",
            &public,
        ],
        &[
            ("SLUICE_ROOT_ACCESS_KEY", ACCESS_KEY),
            ("SLUICE_ROOT_SECRET_KEY", SECRET_KEY),
        ],
    );
    let conf = dir.path().join("nginx.conf");
    let d = dir.path().display();
    std::fs::write(
        &conf,
        format!(
            "daemon off;\nmaster_process off;\nerror_log {d}/error.log;\npid {d}/nginx.pid;\nevents {{}}\nhttp {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  server {{\n    listen 127.0.0.1:{port};\n    client_max_body_size 0;\n    location / {{\n      proxy_pass http://{};\n      proxy_set_header Host $proxy_host;\n      proxy_request_buffering off;\n      proxy_buffering off;\n      proxy_http_version 1.1;\n    }}\n  }}\n}}\n",
            server.addr
        ),
    )
    .unwrap();
    let mut proxy = Command::new(nginx)
        .args(["-c", conf.to_str().unwrap(), "-p", &d.to_string()])
        .spawn()
        .unwrap();
    let front: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(front).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let result = async {
        let host = front.to_string();
        // The SDK through the proxy: signed for the proxy's host, delivered with the backend's.
        let s3 = common::sdk_at(front, ACCESS_KEY, SECRET_KEY);
        s3.create_bucket()
            .bucket("proxied")
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
        let (status, out) = mint_at(
            front,
            &host,
            &[],
            json!({"bucket": "proxied", "key": "p.txt", "method": "PUT"}),
        )
        .await;
        if status != 200 {
            return Err(format!("mint: {status} {out}"));
        }
        let url = out["url"].as_str().unwrap_or_default().to_string();
        if !url.starts_with(&format!("{public}/proxied/p.txt?")) {
            return Err(format!("minted for another host: {url}"));
        }
        let r = http()
            .put(&url)
            .body("through the proxy")
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        if status != 200 {
            return Err(format!("put: {status} {text}"));
        }
        let got = s3
            .get_object()
            .bucket("proxied")
            .key("p.txt")
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
        let bytes = got.body.collect().await.unwrap().into_bytes();
        if &bytes[..] != b"through the proxy" {
            return Err("wrong content".to_string());
        }
        Ok::<(), String>(())
    }
    .await;
    let _ = proxy.kill();
    let _ = proxy.wait();
    assert_eq!(server.terminate(), Some(0));
    result.unwrap();
}

/// `sluice serve ... --print-config` with `env`: (success, stdout, stderr).
fn print_config(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.arg("serve").args(args).arg("--print-config");
    for k in [
        "SLUICE_CONFIG",
        "SLUICE_PUBLIC_URL",
        "SLUICE_TRUST_FORWARDED",
    ] {
        cmd.env_remove(k);
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn public_url_and_trust_forwarded_from_flags_env_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let data = data.to_str().unwrap();
    let (ok, out, err) = print_config(
        &[
            "--data-dir",
            data,
            "--public-url",
            "https://uploads.example.com",
            "--public-url",
            "http://alias.example.net:8080/",
            "--trust-forwarded",
            "10.0.0.0/8,192.0.2.7",
        ],
        &[],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains(
            "public_url = [\"https://uploads.example.com\", \"http://alias.example.net:8080\"]"
        ),
        "{out}"
    );
    assert!(
        out.contains("trust_forwarded = [\"10.0.0.0/8\", \"192.0.2.7/32\"]"),
        "{out}"
    );
    // The printed file reads back to the same settings.
    let file = dir.path().join("sluice.toml");
    std::fs::write(&file, &out).unwrap();
    let (ok, again, err) = print_config(&["--config", file.to_str().unwrap()], &[]);
    assert!(ok, "{err}");
    assert_eq!(again, out);
    // One string in the file, and the environment.
    std::fs::write(&file, "public_url = \"https://one.example\"\n").unwrap();
    let (ok, out, err) = print_config(&["--config", file.to_str().unwrap()], &[]);
    assert!(ok, "{err}");
    assert!(
        out.contains("public_url = [\"https://one.example\"]"),
        "{out}"
    );
    let (ok, out, err) = print_config(
        &["--data-dir", data],
        &[(
            "SLUICE_PUBLIC_URL",
            "https://env.example,https://alias.example",
        )],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("public_url = [\"https://env.example\", \"https://alias.example\"]"),
        "{out}"
    );
    let (_, out, _) = print_config(&["--data-dir", data], &[]);
    assert!(out.contains("# public_url: not set"), "{out}");
    assert!(out.contains("# trust_forwarded: not set"), "{out}");
    // Refused values.
    for (flag, value) in [
        ("--public-url", "uploads.example.com"),
        ("--public-url", "https://uploads.example.com/path"),
        ("--trust-forwarded", "not-a-network"),
    ] {
        let (ok, _, err) = print_config(&["--data-dir", data, flag, value], &[]);
        assert!(!ok, "{flag} {value} accepted");
        assert!(
            err.contains("public_url") || err.contains("trust_forwarded"),
            "{err}"
        );
    }
}
