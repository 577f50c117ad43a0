//! The web console's HTTP behaviour: login, cookies, CSRF, sessions, escaping, authorization
//! as the logged-in key, URL minting, grants and share links — against the real server.

mod common;
mod iam_support;

use common::{http, TestServer, ACCESS_KEY, SECRET_KEY};
use iam_support::*;
use serde_json::{json, Value};

/// A browser-like client of the console: no redirects followed, cookies kept by hand.
struct Console {
    base: String,
    client: reqwest::Client,
    cookies: Vec<(String, String)>,
    csrf: String,
}

struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }
}

/// The value of `name="..."`-style hidden field `csrf` or a textarea by id, HTML-unescaped.
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn between<'a>(body: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = body.find(start)? + start.len();
    let j = body[i..].find(end)? + i;
    Some(&body[i..j])
}

fn textarea(body: &str, id: &str) -> String {
    let start = format!(r#"id="{id}""#);
    let after = &body[body
        .find(&start)
        .unwrap_or_else(|| panic!("no {id} in {body}"))..];
    unescape(between(after, ">", "</textarea>").unwrap())
}

impl Console {
    fn new(ts: &TestServer) -> Console {
        let addr = ts
            .server
            .as_ref()
            .unwrap()
            .console_addr
            .expect("console on");
        Console {
            base: format!("http://{addr}"),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: Vec::new(),
            csrf: String::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn absorb(&mut self, r: &Reply) {
        for c in r.set_cookies() {
            let pair = c.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != k);
            if !v.is_empty() {
                self.cookies.push((k.to_string(), v.to_string()));
            }
        }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Reply {
        let r = req
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        let reply = Reply {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.text().await.unwrap(),
        };
        self.absorb(&reply);
        reply
    }

    async fn get(&mut self, path: &str) -> Reply {
        let req = self.client.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Reply {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(req).await
    }

    async fn post_json(&mut self, path: &str, csrf: Option<&str>, body: Value) -> (u16, Value) {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(t) = csrf {
            req = req.header("x-csrf-token", t);
        }
        let r = self.send(req).await;
        (
            r.status,
            serde_json::from_str(&r.body).unwrap_or(Value::Null),
        )
    }

    /// Logs in; returns the POST /login reply.
    async fn login(&mut self, ak: &str, sk: &str) -> Reply {
        let form = self.get("/login").await;
        assert_eq!(form.status, 200);
        let token = between(&form.body, r#"name="csrf" value=""#, "\"")
            .unwrap()
            .to_string();
        let r = self
            .post(
                "/login",
                &[
                    ("csrf", &token),
                    ("access_key_id", ak),
                    ("secret_access_key", sk),
                ],
            )
            .await;
        if r.status == 303 {
            let home = self.get("/").await;
            assert_eq!(home.status, 200, "{}", home.body);
            self.csrf = between(&home.body, r#"<meta name="csrf-token" content=""#, "\"")
                .unwrap()
                .to_string();
        }
        r
    }

    async fn logged_in(ts: &TestServer, ak: &str, sk: &str) -> Console {
        let mut c = Console::new(ts);
        let r = c.login(ak, sk).await;
        assert_eq!(r.status, 303, "{}", r.body);
        c
    }

    async fn create_bucket(&mut self, name: &str) -> Reply {
        let csrf = self.csrf.clone();
        self.post("/buckets", &[("csrf", &csrf), ("name", name)])
            .await
    }
}

async fn start() -> TestServer {
    TestServer::start_with(|c| c.console_listen = Some("127.0.0.1:0".parse().unwrap())).await
}

async fn put(url: &str, body: Vec<u8>) -> (u16, String) {
    let r = http().put(url).body(body).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn bucket_exists(ts: &TestServer, name: &str) -> bool {
    ts.sdk().head_bucket().bucket(name).send().await.is_ok()
}

#[tokio::test]
async fn console_is_off_unless_configured() {
    let ts = TestServer::start().await;
    assert!(ts.server.as_ref().unwrap().console_addr.is_none());
    ts.stop().await;
}

#[tokio::test]
async fn login_sets_a_strict_http_only_session_cookie_and_security_headers() {
    let ts = start().await;
    let mut c = Console::new(&ts);
    let home = c.get("/").await;
    assert_eq!(home.status, 303);
    assert_eq!(home.header("location"), "/login");
    let r = c.login(ACCESS_KEY, SECRET_KEY).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let session = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("sluice_session="))
        .expect("session cookie");
    let id = between(&session, "sluice_session=", ";").unwrap();
    assert_eq!(id.len(), 64);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(session.contains(attr), "{session} lacks {attr}");
    }
    assert!(
        !session.contains("Secure"),
        "no Secure without TLS: {session}"
    );
    let home = c.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains(r#"id="buckets""#));
    assert_eq!(home.header("x-frame-options"), "DENY");
    let csp = home.header("content-security-policy");
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"));
    assert!(csp.contains(&format!("connect-src 'self' http://{}", ts.addr)));
    assert!(!home.body.contains("<script>"), "no inline scripts");
    let css = c.get("/assets/console.css").await;
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").starts_with("text/css"));
    ts.stop().await;
}

#[tokio::test]
async fn wrong_credentials_get_a_plain_error_and_no_session() {
    let ts = start().await;
    let user = new_user(&ts, "bob", None).await;
    for (ak, sk) in [
        (ACCESS_KEY, "wrong-secret"),
        (ACCESS_KEY, ""),
        ("AKIDUNKNOWN", SECRET_KEY),
        (user.access_key_id.as_str(), SECRET_KEY),
        ("", ""),
    ] {
        let mut c = Console::new(&ts);
        let r = c.login(ak, sk).await;
        assert_eq!(r.status, 401, "{ak}/{sk}: {}", r.body);
        assert!(r.body.contains("Wrong access key id or secret."));
        assert!(!r
            .set_cookies()
            .iter()
            .any(|c| c.starts_with("sluice_session")));
        assert_eq!(c.get("/").await.status, 303);
    }
    // A user's own key works; a disabled one does not.
    let mut c = Console::new(&ts);
    assert_eq!(
        c.login(&user.access_key_id, &user.secret_access_key)
            .await
            .status,
        303
    );
    cli(&ts, &["key", "disable", &user.access_key_id]).await;
    let home = c.get("/").await;
    assert_eq!(home.status, 401, "disabling the key ends the session");
    let mut c = Console::new(&ts);
    assert_eq!(
        c.login(&user.access_key_id, &user.secret_access_key)
            .await
            .status,
        401
    );
    // The login form itself is CSRF-protected (double-submit cookie).
    let mut c = Console::new(&ts);
    let r = c
        .post(
            "/login",
            &[
                ("csrf", "x"),
                ("access_key_id", ACCESS_KEY),
                ("secret_access_key", SECRET_KEY),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    ts.stop().await;
}

#[tokio::test]
async fn posts_without_the_right_csrf_token_are_refused() {
    let ts = start().await;
    let mut c = Console::logged_in(&ts, ACCESS_KEY, SECRET_KEY).await;
    let r = c.post("/buckets", &[("name", "no-token")]).await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("CSRF"));
    let wrong = "0".repeat(64);
    let r = c
        .post("/buckets", &[("csrf", &wrong), ("name", "wrong-token")])
        .await;
    assert_eq!(r.status, 403);
    assert!(!bucket_exists(&ts, "no-token").await && !bucket_exists(&ts, "wrong-token").await);
    // Another session's token does not work either.
    let other = Console::logged_in(&ts, ACCESS_KEY, SECRET_KEY).await;
    let r = c
        .post(
            "/buckets",
            &[("csrf", &other.csrf), ("name", "other-token")],
        )
        .await;
    assert_eq!(r.status, 403);
    for (path, form) in [
        (
            "/presign",
            vec![("method", "PUT"), ("bucket", "b"), ("key", "k")],
        ),
        ("/grants/revoke", vec![("id", "x")]),
        (
            "/share",
            vec![("bucket", "b"), ("max_size", "1"), ("expires_in", "3600")],
        ),
        ("/logout", vec![]),
    ] {
        assert_eq!(c.post(path, &form).await.status, 403, "{path}");
    }
    let (status, _) = c
        .post_json(
            "/api/upload-url",
            None,
            json!({"bucket":"b","key":"k","size":1}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = c
        .post_json(
            "/api/upload-url",
            Some(&wrong),
            json!({"bucket":"b","key":"k","size":1}),
        )
        .await;
    assert_eq!(status, 403);
    // With the token it works.
    let r = c.create_bucket("with-token").await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), "/objects?bucket=with-token");
    assert!(bucket_exists(&ts, "with-token").await);
    let r = c.create_bucket("with-token").await;
    assert_eq!(r.status, 409);
    let r = c.create_bucket("Bad_Name").await;
    assert_eq!(r.status, 400);
    ts.stop().await;
}

#[tokio::test]
async fn sessions_expire_and_logout_ends_them() {
    let ts = start().await;
    let mut c = Console::logged_in(&ts, ACCESS_KEY, SECRET_KEY).await;
    ts.clock().advance_ms(12 * 3600 * 1000 - 60_000);
    assert_eq!(c.get("/").await.status, 200);
    ts.clock().advance_ms(61_000);
    let r = c.get("/").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), "/login");

    let mut c = Console::logged_in(&ts, ACCESS_KEY, SECRET_KEY).await;
    let stolen = c.cookie_header();
    let csrf = c.csrf.clone();
    let r = c.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, 303);
    assert!(r
        .set_cookies()
        .iter()
        .any(|c| c.starts_with("sluice_session=;") && c.contains("Max-Age=0")));
    assert_eq!(c.get("/").await.status, 303);
    // The old cookie value is dead on the server too.
    let r = c
        .client
        .get(format!("{}/", c.base))
        .header("cookie", stolen)
        .send()
        .await
        .unwrap();
    assert_ne!(r.status().as_u16(), 200);
    ts.stop().await;
}

#[tokio::test]
async fn keys_and_names_are_html_escaped() {
    let ts = start().await;
    let mut c = Console::logged_in(&ts, ACCESS_KEY, SECRET_KEY).await;
    c.create_bucket("escapes").await;
    let evil = "<script>alert(1)</script>\"'&.txt";
    ts.sdk()
        .put_object()
        .bucket("escapes")
        .key(evil)
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap();
    ts.sdk()
        .put_object()
        .bucket("escapes")
        .key("<img src=x onerror=alert(1)>/inner.txt")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap();
    let page = c.get("/objects?bucket=escapes").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(!page.body.contains("<img src=x"));
    assert!(
        page.body.contains("&lt;script&gt;alert(1)&lt;/</a>"),
        "{}",
        page.body
    );
    // The `/` inside `</script>` makes a folder; inside it, the rest of the key.
    let inner = c
        .get("/objects?bucket=escapes&prefix=%3Cscript%3Ealert%281%29%3C%2F")
        .await;
    assert!(!inner.body.contains("<script>alert"));
    assert!(
        inner.body.contains("script&gt;&quot;&#39;&amp;.txt"),
        "{}",
        inner.body
    );
    assert!(page.body.contains("&lt;img src=x onerror=alert(1)&gt;/"));
    let page = c
        .get("/presign?bucket=%3Cb%3E&key=%22%3E%3Cscript%3E")
        .await;
    assert!(!page.body.contains("\"><script>"));
    assert!(page.body.contains("&quot;&gt;&lt;script&gt;"));
    ts.stop().await;
}

#[tokio::test]
async fn folders_sizes_and_dates_are_listed() {
    let ts = start().await;
    let mut c = Console::logged_in(&ts, ACCESS_KEY, SECRET_KEY).await;
    c.create_bucket("tree").await;
    for (k, n) in [
        ("a.txt", 5usize),
        ("docs/b.txt", 2048),
        ("docs/deep/c.txt", 1),
    ] {
        ts.sdk()
            .put_object()
            .bucket("tree")
            .key(k)
            .body(vec![b'x'; n].into())
            .send()
            .await
            .unwrap();
    }
    let top = c.get("/objects?bucket=tree").await;
    assert!(
        top.body
            .contains(r#"href="/objects?bucket=tree&amp;prefix=docs%2F">docs/</a>"#),
        "{}",
        top.body
    );
    assert!(top.body.contains("a.txt") && top.body.contains("5 B") && top.body.contains(" UTC"));
    assert!(!top.body.contains("b.txt"));
    let docs = c.get("/objects?bucket=tree&prefix=docs%2F").await;
    assert!(docs.body.contains("b.txt") && docs.body.contains("2.0 KiB"));
    assert!(docs.body.contains("deep/"));
    assert!(!docs.body.contains("a.txt"));
    assert_eq!(c.get("/objects?bucket=nope").await.status, 404);
    ts.stop().await;
}

const ALICE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["s3:ListBucket"],"Resource":"arn:aws:s3:::alice-b"},
 {"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::alice-b/*"}]}"#;

#[tokio::test]
async fn another_users_bucket_is_refused() {
    let ts = start().await;
    let mut root = Console::logged_in(&ts, ACCESS_KEY, SECRET_KEY).await;
    root.create_bucket("alice-b").await;
    root.create_bucket("root-b").await;
    let alice = new_user(&ts, "alice", None).await;
    grant(&ts, "alice", "alice-b", ALICE_POLICY).await;
    let mut c = Console::logged_in(&ts, &alice.access_key_id, &alice.secret_access_key).await;
    let home = c.get("/").await;
    assert!(home.body.contains("alice-b"));
    assert!(
        !home.body.contains("root-b"),
        "buckets alice cannot list are hidden"
    );
    assert_eq!(c.get("/objects?bucket=root-b").await.status, 403);
    assert_eq!(c.get("/objects?bucket=alice-b").await.status, 200);
    assert_eq!(c.create_bucket("alice-new").await.status, 403);
    assert!(!bucket_exists(&ts, "alice-new").await);
    let csrf = c.csrf.clone();
    let r = c
        .post(
            "/presign",
            &[
                ("csrf", &csrf),
                ("method", "PUT"),
                ("bucket", "root-b"),
                ("key", "x"),
                ("expires_in", "3600"),
            ],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("you may not s3:PutObject on root-b/x"));
    let (status, body) = c
        .post_json(
            "/api/upload-url",
            Some(&csrf),
            json!({"bucket":"root-b","key":"x","size":3}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let r = c
        .post(
            "/share",
            &[
                ("csrf", &csrf),
                ("bucket", "root-b"),
                ("prefix", "in/"),
                ("max_size", "1MiB"),
                ("expires_in", "3600"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("may not upload"));
    // Alice's own bucket works, signed with her key.
    let (status, body) = c
        .post_json(
            "/api/upload-url",
            Some(&csrf),
            json!({"bucket":"alice-b","key":"mine.txt","size":3}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["kind"], "put");
    let url = body["url"].as_str().unwrap();
    assert!(url.contains(&alice.access_key_id));
    assert_eq!(put(url, b"abc".to_vec()).await.0, 200);
    assert_eq!(
        put(url, b"abcd".to_vec()).await.0,
        400,
        "the URL is signed for exactly 3 bytes"
    );
    ts.stop().await;
}

#[tokio::test]
async fn presign_form_mints_working_constrained_urls_and_grants_can_be_revoked() {
    let ts = start().await;
    let mut c = Console::logged_in(&ts, ACCESS_KEY, SECRET_KEY).await;
    c.create_bucket("forms").await;
    let csrf = c.csrf.clone();
    let r = c
        .post(
            "/presign",
            &[
                ("csrf", &csrf),
                ("method", "PUT"),
                ("bucket", "forms"),
                ("key", "dir/a b.txt"),
                ("expires_in", "300"),
                ("content_type", "text/plain"),
                ("min_size", "1"),
                ("max_size", "10"),
                ("not_before", ""),
                ("source_ip", "127.0.0.0/8, ::1"),
                ("max_uses", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let url = textarea(&r.body, "presigned-url");
    assert!(
        url.starts_with(&format!("http://{}/forms/dir/a%20b.txt?", ts.addr)),
        "{url}"
    );
    assert!(
        url.contains("x-sluice-content-length-range=1%2C10"),
        "{url}"
    );
    assert!(r.body.contains(r#"data-copy="presigned-url""#));
    let grant_id = between(&r.body, r#"<code id="grant-id">"#, "</code>")
        .unwrap()
        .to_string();
    let send = |body: &'static str, ct: &'static str| {
        let url = url.clone();
        async move {
            http()
                .put(&url)
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(send("far too long body", "text/plain").await, 400);
    assert_eq!(send("hello", "image/png").await, 403);
    let grants = c.get("/grants").await;
    assert!(grants.body.contains(&grant_id));
    assert!(grants.body.contains("0 / 1"));
    let r = c
        .post("/grants/revoke", &[("csrf", &csrf), ("id", &grant_id)])
        .await;
    assert_eq!(r.status, 303);
    assert!(c.get("/grants").await.body.contains("revoked"));
    assert_eq!(
        send("hello", "text/plain").await,
        403,
        "revoked grant refuses the URL"
    );
    let r = c
        .post("/grants/revoke", &[("csrf", &csrf), ("id", "nope")])
        .await;
    assert_eq!(r.status, 404);

    // A GET URL works; bad constraint input is explained, not a 500.
    ts.sdk()
        .put_object()
        .bucket("forms")
        .key("g.txt")
        .body(b"hi".to_vec().into())
        .send()
        .await
        .unwrap();
    let r = c
        .post(
            "/presign",
            &[
                ("csrf", &csrf),
                ("method", "GET"),
                ("bucket", "forms"),
                ("key", "g.txt"),
                ("expires_in", "3600"),
            ],
        )
        .await;
    let url = textarea(&r.body, "presigned-url");
    assert_eq!(
        http().get(&url).send().await.unwrap().text().await.unwrap(),
        "hi"
    );
    for (field, value, needle) in [
        ("max_size", "ten", "Max size"),
        ("source_ip", "nonsense", "source_ip"),
        ("not_before", "tomorrow", "not_before"),
        ("max_uses", "-1", "Max uses"),
    ] {
        let r = c
            .post(
                "/presign",
                &[
                    ("csrf", &csrf),
                    ("method", "PUT"),
                    ("bucket", "forms"),
                    ("key", "k"),
                    ("expires_in", "3600"),
                    (field, value),
                ],
            )
            .await;
        assert_eq!(r.status, 400, "{field}: {}", r.body);
        assert!(r.body.contains(needle), "{field}: {}", r.body);
    }
    ts.stop().await;
}

#[tokio::test]
async fn large_uploads_get_a_multipart_bundle() {
    let ts = start().await;
    let mut c = Console::logged_in(&ts, ACCESS_KEY, SECRET_KEY).await;
    c.create_bucket("big").await;
    let csrf = c.csrf.clone();
    let size = 20 * 1024 * 1024;
    let (status, body) = c
        .post_json(
            "/api/upload-url",
            Some(&csrf),
            json!({"bucket":"big","key":"f.bin","size":size}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["kind"], "multipart");
    let parts = body["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[2]["size"], 4 * 1024 * 1024);
    let mut xml = String::from("<CompleteMultipartUpload>");
    for p in parts {
        let n = p["size"].as_u64().unwrap() as usize;
        let r = http()
            .put(p["url"].as_str().unwrap())
            .body(vec![b'z'; n])
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
    let r = http()
        .post(body["complete_url"].as_str().unwrap())
        .body(xml)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let head = ts
        .sdk()
        .head_object()
        .bucket("big")
        .key("f.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(size as i64));
    let (status, _) = c
        .post_json("/api/upload-url", Some(&csrf), json!({"bucket":"big"}))
        .await;
    assert_eq!(status, 400);
    ts.stop().await;
}

/// Makes a share link in the console; returns its URL.
async fn share_link(
    c: &mut Console,
    bucket: &str,
    prefix: &str,
    max_size: &str,
    max_uses: &str,
) -> String {
    let csrf = c.csrf.clone();
    let r = c
        .post(
            "/share",
            &[
                ("csrf", &csrf),
                ("bucket", bucket),
                ("prefix", prefix),
                ("expires_in", "3600"),
                ("max_size", max_size),
                ("max_uses", max_uses),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    textarea(&r.body, "share-url")
}

async fn share_upload(link: &str, filename: &str, body: &[u8]) -> (u16, Value) {
    let r = http()
        .post(format!("{link}/upload-url"))
        .header("content-type", "application/json")
        .body(json!({"filename": filename, "size": body.len()}).to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let v: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null);
    if status == 200 {
        assert_eq!(put(v["url"].as_str().unwrap(), body.to_vec()).await.0, 200);
    }
    (status, v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_links_upload_count_survives_a_restart_and_concurrent_uses() {
    let mut ts = start().await;
    let mut c = Console::logged_in(&ts, ACCESS_KEY, SECRET_KEY).await;
    c.create_bucket("kept-b").await;
    let link = share_link(&mut c, "kept-b", "in/", "1KiB", "3").await;
    let token = link.rsplit_once("/s/").unwrap().1.to_string();
    assert_eq!(share_upload(&link, "one.txt", b"1").await.0, 200);

    // The count is in the store: a restart does not give the link its uses back.
    ts.restart(|cfg| cfg.console_listen = Some("127.0.0.1:0".parse().unwrap()))
        .await;
    let console = ts.server.as_ref().unwrap().console_addr.unwrap();
    let link = format!("http://{console}/s/{token}");
    assert_eq!(share_upload(&link, "two.txt", b"2").await.0, 200);
    // One use is left: of concurrent requests exactly one gets URLs.
    let tries = (0..6).map(|i| {
        let link = link.clone();
        tokio::spawn(async move { share_upload(&link, &format!("race-{i}.txt"), b"r").await })
    });
    let mut statuses = Vec::new();
    for t in tries {
        let (status, v) = t.await.unwrap();
        if status != 200 {
            assert_eq!(v["error"], "this upload link has been used up", "{v}");
        }
        statuses.push(status);
    }
    statuses.sort();
    assert_eq!(statuses, [200, 410, 410, 410, 410, 410]);
    ts.restart(|cfg| cfg.console_listen = Some("127.0.0.1:0".parse().unwrap()))
        .await;
    let console = ts.server.as_ref().unwrap().console_addr.unwrap();
    let (status, v) = share_upload(&format!("http://{console}/s/{token}"), "late.txt", b"x").await;
    assert_eq!(status, 410, "{v}");

    // The grant behind a limited link is on the grants page; revoking it stops the link.
    let mut c = Console::logged_in(&ts, ACCESS_KEY, SECRET_KEY).await;
    let other = share_link(&mut c, "kept-b", "other/", "1KiB", "5").await;
    let page = c.get("/grants").await.body;
    assert!(page.contains("SHARE"), "{page}");
    let csrf = c.csrf.clone();
    for id in page.split(r#"name="id" value=""#).skip(1) {
        let id = &id[..id.find('"').unwrap()];
        let r = c
            .post("/grants/revoke", &[("csrf", &csrf), ("id", id)])
            .await;
        assert!(r.status < 400, "{}", r.body);
    }
    let (status, v) = share_upload(&other, "revoked.txt", b"x").await;
    assert_eq!(status, 410, "{v}");
    assert_eq!(v["error"], "this upload link has been revoked", "{v}");
    ts.stop().await;
}

#[tokio::test]
async fn share_links_upload_anonymously_and_refuse_tampering_expiry_and_overuse() {
    let ts = start().await;
    let alice = new_user(&ts, "alice", None).await;
    grant(&ts, "alice", "alice-b", ALICE_POLICY).await;
    let mut root = Console::logged_in(&ts, ACCESS_KEY, SECRET_KEY).await;
    root.create_bucket("alice-b").await;
    let mut c = Console::logged_in(&ts, &alice.access_key_id, &alice.secret_access_key).await;
    let link = share_link(&mut c, "alice-b", "inbox/", "1KiB", "2").await;
    let page = http().get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"id="dropzone""#) && html.contains("alice-b/inbox/"));
    assert!(
        !html.contains("Log out"),
        "the public page shows no console navigation"
    );

    let (status, v) = share_upload(&link, "C:\\Users\\x\\report.txt", b"hello").await;
    assert_eq!(status, 200, "{v}");
    let got = ts
        .sdk()
        .get_object()
        .bucket("alice-b")
        .key("inbox/report.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"hello"
    );
    let (status, v) = share_upload(&link, "big.bin", &[0u8; 1025]).await;
    assert_eq!(status, 413, "{v}");
    let (status, v) = share_upload(&link, "..", b"x").await;
    assert_eq!(status, 400, "{v}");
    let (status, _) = share_upload(&link, "second.txt", b"2").await;
    assert_eq!(status, 200);
    let (status, v) = share_upload(&link, "third.txt", b"3").await;
    assert_eq!(status, 410, "max uses spent: {v}");

    // Every tampered part of the token is refused.
    let unlimited = share_link(&mut c, "alice-b", "open/", "1KiB", "").await;
    let (base, token) = unlimited.rsplit_once("/s/").unwrap();
    let (payload, sig) = token.split_once('.').unwrap();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let claims: Value = serde_json::from_slice(&b64.decode(payload).unwrap()).unwrap();
    let mut forged = Vec::new();
    for (field, value) in [
        ("b", json!("root-b")),
        ("p", json!("")),
        ("max", json!(1u64 << 40)),
        ("exp", json!(i64::MAX)),
        ("ak", json!(ACCESS_KEY)),
    ] {
        let mut c = claims.clone();
        c[field] = value;
        forged.push(format!(
            "{}.{sig}",
            b64.encode(serde_json::to_vec(&c).unwrap())
        ));
    }
    let flipped = {
        let mut s = sig.to_string();
        let last = if s.ends_with('A') { "B" } else { "A" };
        s.replace_range(s.len() - 1.., last);
        s
    };
    forged.extend([
        format!("{payload}.{flipped}"),
        payload.to_string(),
        format!("{payload}."),
        format!(".{sig}"),
        "garbage".to_string(),
        format!("{payload}.{sig}.x"),
    ]);
    for t in &forged {
        let (status, v) = share_upload(&format!("{base}/s/{t}"), "f.txt", b"x").await;
        assert_eq!(status, 403, "{t}: {v}");
        assert_eq!(
            http()
                .get(format!("{base}/s/{t}"))
                .send()
                .await
                .unwrap()
                .status(),
            403
        );
    }
    assert!(ts
        .sdk()
        .head_object()
        .bucket("alice-b")
        .key("open/f.txt")
        .send()
        .await
        .is_err());
    assert_eq!(share_upload(&unlimited, "ok.txt", b"ok").await.0, 200);

    // Expired: the clock moves past the hour.
    ts.clock().advance_ms(3601 * 1000);
    let (status, v) = share_upload(&unlimited, "late.txt", b"x").await;
    assert_eq!(status, 410, "{v}");
    assert_eq!(http().get(&unlimited).send().await.unwrap().status(), 410);
    ts.clock().advance_ms(-3601 * 1000);

    // The creator's permissions are re-checked on use: detach the policy, the link stops.
    cli(&ts, &["policy", "detach", "alice-b", "--user", "alice"]).await;
    let (status, v) = share_upload(&unlimited, "after-detach.txt", b"x").await;
    assert_eq!(status, 403, "{v}");
    // And a disabled key kills its links.
    cli(&ts, &["key", "disable", &alice.access_key_id]).await;
    assert_eq!(http().get(&unlimited).send().await.unwrap().status(), 403);
    ts.stop().await;
}
