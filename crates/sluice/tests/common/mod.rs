//! Test harness: a real Sluice server on a loopback port, real clients talking to it.
#![allow(dead_code)]

pub mod checks;
pub mod post_form;
pub mod process;
pub mod service_api;

use aws_credential_types::Credentials as SdkCredentials;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use sluice_server::{RunningServer, ServerConfig};
use sluice_sigv4::{encode_object_path, presign_v4, Credentials, PresignRequest};
use std::time::Duration;
use tempfile::TempDir;
use time::OffsetDateTime;

pub const ACCESS_KEY: &str = "AKIDSLUICETEST000001";
pub const SECRET_KEY: &str = "sluice/test/secret/key/0123456789abcdefgh";
pub const REGION: &str = "us-east-1";

/// A running server with its data dir.
pub struct TestServer {
    pub server: Option<RunningServer>,
    pub dir: TempDir,
    pub addr: std::net::SocketAddr,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut ServerConfig)) -> TestServer {
        Self::start_wrapped(tweak, None).await
    }

    /// A server whose stores pass through `wrap` first (fault injection).
    /// A server over stores that fail what the returned plan says.
    pub async fn start_faulty() -> (TestServer, sluice_store::fault::FaultPlan) {
        use sluice_store::fault::{FaultPlan, FaultyBlobStore, FaultyMetaStore};
        use sluice_store::{BlobStore, MetaStore};
        use std::sync::Arc;
        let plan = FaultPlan::new();
        let p = plan.clone();
        let wrap: sluice_server::startup::StoreWrapper = Box::new(move |meta, blobs| {
            let meta: Arc<dyn MetaStore> = Arc::new(FaultyMetaStore::new(meta, p.clone()));
            let blobs: Arc<dyn BlobStore> = Arc::new(FaultyBlobStore::new(blobs, p));
            (meta, blobs)
        });
        (Self::start_wrapped(|_| {}, Some(wrap)).await, plan)
    }

    pub async fn start_wrapped(
        tweak: impl FnOnce(&mut ServerConfig),
        wrap: Option<sluice_server::startup::StoreWrapper>,
    ) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cfg = ServerConfig::with_data_dir(dir.path());
        cfg.listen = "127.0.0.1:0".parse().unwrap();
        cfg.root_access_key = Some(ACCESS_KEY.into());
        cfg.root_secret_key = Some(SECRET_KEY.into());
        cfg.shutdown_grace = Duration::from_secs(5);
        tweak(&mut cfg);
        let server = match wrap {
            Some(wrap) => sluice_server::startup::start_with_store_wrapper(cfg, wrap).await,
            None => sluice_server::start(cfg).await,
        }
        .expect("server starts");
        let addr = server.local_addr;
        TestServer {
            server: Some(server),
            dir,
            addr,
        }
    }

    /// Shuts the server down and starts a new one on the same data dir (new port).
    pub async fn restart(&mut self, tweak: impl FnOnce(&mut ServerConfig)) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
        let mut cfg = ServerConfig::with_data_dir(self.dir.path());
        cfg.listen = "127.0.0.1:0".parse().unwrap();
        cfg.root_access_key = Some(ACCESS_KEY.into());
        cfg.root_secret_key = Some(SECRET_KEY.into());
        cfg.shutdown_grace = Duration::from_secs(5);
        tweak(&mut cfg);
        // A child process another test of this binary spawns (fork, then exec) holds a copy of
        // every descriptor, the data dir's lock included, until its exec closes them: the lock
        // can stay taken a moment after the old server released it.
        let mut tries = 0;
        let server = loop {
            match sluice_server::start(cfg.clone()).await {
                Err(sluice_server::startup::StartError::Locked(_)) if tries < 100 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                other => break other.expect("server restarts"),
            }
        };
        self.addr = server.local_addr;
        self.server = Some(server);
    }

    /// A default server with one bucket.
    pub async fn start_with_bucket(bucket: &str) -> TestServer {
        let ts = Self::start().await;
        ts.create_bucket(bucket).await;
        ts
    }

    /// Creates `bucket` as root through the SDK.
    pub async fn create_bucket(&self, bucket: &str) {
        self.sdk()
            .create_bucket()
            .bucket(bucket)
            .send()
            .await
            .unwrap_or_else(|e| panic!("create bucket {bucket}: {e:?}"));
    }

    /// The Prometheus exposition text of `/_sluice/metrics`.
    pub async fn metrics(&self) -> String {
        metrics_text(&self.endpoint()).await
    }

    /// One unlabelled sample's value from the metrics page.
    pub async fn gauge(&self, name: &str) -> f64 {
        sample_of(&self.metrics().await, name).unwrap_or_else(|| panic!("{name} missing"))
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    pub fn clock(&self) -> &sluice_server::Clock {
        &self.server.as_ref().unwrap().clock
    }

    /// The official AWS SDK for Rust, path-style, static root credentials.
    pub fn sdk(&self) -> aws_sdk_s3::Client {
        self.sdk_with(ACCESS_KEY, SECRET_KEY)
    }

    pub fn sdk_with(&self, ak: &str, sk: &str) -> aws_sdk_s3::Client {
        sdk_at(self.addr, ak, sk)
    }

    /// A presigned URL minted with the project's sigv4 crate.
    pub fn presign(&self, method: &str, bucket: &str, key: &str, expires_in: u64) -> String {
        self.presign_full(
            method,
            bucket,
            key,
            expires_in,
            &[],
            &[],
            OffsetDateTime::now_utc(),
        )
    }

    #[allow(clippy::too_many_arguments)]
    pub fn presign_full(
        &self,
        method: &str,
        bucket: &str,
        key: &str,
        expires_in: u64,
        headers: &[(String, String)],
        query: &[(String, String)],
        at: OffsetDateTime,
    ) -> String {
        let path = encode_object_path(bucket, key);
        let host = self.host();
        let q = presign_v4(
            &creds(),
            &PresignRequest {
                method,
                host: &host,
                raw_path: &path,
                query,
                headers,
                region: REGION,
                service: "s3",
                datetime: at,
                expires_in,
            },
        );
        format!("http://{host}{path}?{q}")
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
    }
}

/// The official AWS SDK for Rust against a server at `addr` (in-process or a spawned binary), path-style.
pub fn sdk_at(addr: std::net::SocketAddr, ak: &str, sk: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(format!("http://{addr}"))
        .force_path_style(true)
        .credentials_provider(SdkCredentials::new(ak, sk, None, None, "test"))
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

pub fn creds() -> Credentials {
    Credentials {
        access_key_id: ACCESS_KEY.into(),
        secret_access_key: SECRET_KEY.into(),
        session_token: None,
    }
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder().build().expect("client")
}

/// The Prometheus exposition text of `ENDPOINT/_sluice/metrics`.
pub async fn metrics_text(endpoint: &str) -> String {
    http()
        .get(format!("{endpoint}/_sluice/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics body")
}

/// The value of the unlabelled sample `name` in exposition text.
pub fn sample_of(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// Extracts `<Name>value</Name>` from an XML body.
pub fn xml_field(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&close)? + start;
    Some(body[start..end].to_string())
}

/// A response read by [`raw_request`].
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one HTTP/1.1 request with the target bytes exactly as given (no URL normalisation),
/// `Connection: close`, and reads the whole response.
pub async fn raw_request(
    addr: std::net::SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut req = format!(
        "{method} {target} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    parse_response(&buf)
}

/// Parses a complete HTTP/1.1 response (identity body).
pub fn parse_response(buf: &[u8]) -> RawResponse {
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    RawResponse {
        status,
        headers,
        body: buf[split + 4..].to_vec(),
    }
}

/// The path+query part of a URL.
pub fn target_of(url: &str) -> &str {
    let after_scheme = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    &after_scheme[after_scheme.find('/').unwrap_or(after_scheme.len())..]
}

/// Committed blobs in a data dir, in either tier: files under `blobs/` plus rows of the
/// metadata database's `small_blobs` table.
pub fn stored_blobs(data_dir: &std::path::Path) -> usize {
    let conn = rusqlite::Connection::open(data_dir.join("meta.sqlite")).unwrap();
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM small_blobs", [], |r| r.get(0))
        .unwrap();
    count_files(&data_dir.join("blobs")) + rows as usize
}

/// Files below `dir`, recursively (0 if it does not exist).
pub fn count_files(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            if e.path().is_dir() {
                count_files(&e.path())
            } else {
                1
            }
        })
        .sum()
}
