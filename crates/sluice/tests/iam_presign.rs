//! Presigned URLs judged as their signer, with the signer's permissions at the moment the
//! URL is used: two users, the `sluice admin` CLI, a real server.

mod common;
mod iam_support;

use common::TestServer;
use iam_support::*;

const BUCKET: &str = "uploads";

fn prefix_policy(user: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"OwnPrefix","Effect":"Allow",
        "Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::{BUCKET}/{user}/*"}}]}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presigned_url_works_only_inside_the_policy_prefix() {
    let ts = TestServer::start().await;
    root_bucket(&ts, BUCKET).await;
    let alice = new_user(&ts, "alice", None).await;
    let bob = new_user(&ts, "bob", None).await;
    grant(&ts, "alice", "alice-prefix", &prefix_policy("alice")).await;

    let inside = presign_as(&ts, &alice, "PUT", BUCKET, "alice/photo.png", 600);
    assert_eq!(put_url(&inside, "pixels").await.0, 200);
    let get = presign_as(&ts, &alice, "GET", BUCKET, "alice/photo.png", 600);
    assert_eq!(get_url(&get).await, (200, "pixels".to_string()));

    for key in ["bob/photo.png", "alicex/photo.png", "photo.png"] {
        let outside = presign_as(&ts, &alice, "PUT", BUCKET, key, 600);
        assert_eq!(
            put_url(&outside, "x").await,
            (403, "AccessDenied".into()),
            "{key}"
        );
    }
    // A user without any permission can still sign, but uploads nothing.
    let url = presign_as(&ts, &bob, "PUT", BUCKET, "bob/photo.png", 600);
    assert_eq!(put_url(&url, "x").await, (403, "AccessDenied".into()));
    let head = ts
        .sdk()
        .head_object()
        .bucket(BUCKET)
        .key("bob/photo.png")
        .send()
        .await;
    assert!(head.is_err(), "nothing was stored");
    // Header-signed requests are judged the same way.
    let sdk = ts.sdk_with(&alice.access_key_id, &alice.secret_access_key);
    sdk.put_object()
        .bucket(BUCKET)
        .key("alice/sdk.txt")
        .body(b"sdk".to_vec().into())
        .send()
        .await
        .unwrap();
    assert!(sdk.list_buckets().send().await.is_err());
    assert!(sdk
        .delete_object()
        .bucket(BUCKET)
        .key("alice/sdk.txt")
        .send()
        .await
        .is_err());
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_deleting_or_detaching_kills_outstanding_urls() {
    let ts = TestServer::start().await;
    root_bucket(&ts, BUCKET).await;
    let alice = new_user(&ts, "alice", None).await;
    grant(&ts, "alice", "alice-prefix", &prefix_policy("alice")).await;
    let url = presign_as(&ts, &alice, "PUT", BUCKET, "alice/a.txt", 3600);
    assert_eq!(put_url(&url, "1").await.0, 200);

    cli(&ts, &["key", "disable", &alice.access_key_id]).await;
    assert_eq!(put_url(&url, "2").await, (403, "InvalidAccessKeyId".into()));
    cli(&ts, &["key", "enable", &alice.access_key_id]).await;
    assert_eq!(
        put_url(&url, "3").await.0,
        200,
        "re-enabling restores the URL"
    );

    cli(
        &ts,
        &["policy", "detach", "alice-prefix", "--user", "alice"],
    )
    .await;
    assert_eq!(put_url(&url, "4").await, (403, "AccessDenied".into()));
    cli(
        &ts,
        &["policy", "attach", "alice-prefix", "--user", "alice"],
    )
    .await;
    assert_eq!(put_url(&url, "5").await.0, 200);

    // Replacing the policy's document takes effect on the next request too.
    let file = ts.dir.path().join("narrow.json");
    std::fs::write(&file, prefix_policy("alice/other")).unwrap();
    cli(
        &ts,
        &["policy", "create", "alice-prefix", file.to_str().unwrap()],
    )
    .await;
    assert_eq!(put_url(&url, "6").await, (403, "AccessDenied".into()));
    std::fs::write(&file, prefix_policy("alice")).unwrap();
    cli(
        &ts,
        &["policy", "create", "alice-prefix", file.to_str().unwrap()],
    )
    .await;
    assert_eq!(put_url(&url, "7").await.0, 200);

    cli(&ts, &["key", "delete", &alice.access_key_id]).await;
    assert_eq!(put_url(&url, "8").await, (403, "InvalidAccessKeyId".into()));
    let list = cli(&ts, &["key", "list", "alice"]).await;
    assert_eq!(list["keys"].as_array().unwrap().len(), 0);

    // Deleting the user takes every remaining key with it.
    let second = {
        let k = cli(&ts, &["key", "create", "alice"]).await;
        UserKey {
            access_key_id: k["access_key_id"].as_str().unwrap().into(),
            secret_access_key: k["secret_access_key"].as_str().unwrap().into(),
        }
    };
    let url = presign_as(&ts, &second, "PUT", BUCKET, "alice/b.txt", 3600);
    assert_eq!(put_url(&url, "9").await.0, 200);
    cli(&ts, &["user", "delete", "alice"]).await;
    assert_eq!(
        put_url(&url, "10").await,
        (403, "InvalidAccessKeyId".into())
    );
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_key_takes_its_urls_with_it() {
    let ts = TestServer::start().await;
    root_bucket(&ts, BUCKET).await;
    let alice = new_user(&ts, "alice", Some("60s")).await;
    grant(&ts, "alice", "alice-prefix", &prefix_policy("alice")).await;
    let listed = cli(&ts, &["key", "list"]).await;
    assert!(listed["keys"][0]["expires_at"].is_string());
    // The URL itself is valid for an hour; the key only for a minute.
    let url = presign_as(&ts, &alice, "PUT", BUCKET, "alice/a.txt", 3600);
    assert_eq!(put_url(&url, "1").await.0, 200);
    ts.clock().advance_ms(59_000);
    assert_eq!(put_url(&url, "2").await.0, 200);
    ts.clock().advance_ms(2_000);
    assert_eq!(put_url(&url, "3").await, (403, "InvalidAccessKeyId".into()));
    let listed = cli(&ts, &["key", "list", "alice"]).await;
    assert_eq!(listed["keys"][0]["expired"], true);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_type_deny_refuses_presigned_while_header_auth_passes() {
    let ts = TestServer::start().await;
    root_bucket(&ts, BUCKET).await;
    let alice = new_user(&ts, "alice", None).await;
    grant(
        &ts,
        "alice",
        "no-presign",
        r#"{"Version":"2012-10-17","Statement":[
          {"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::uploads/*"},
          {"Sid":"NoPresignedUrls","Effect":"Deny","Action":"s3:*","Resource":"*",
           "Condition":{"StringEquals":{"s3:authType":"REST-QUERY-STRING"}}}]}"#,
    )
    .await;
    let url = presign_as(&ts, &alice, "PUT", BUCKET, "a.txt", 600);
    assert_eq!(put_url(&url, "x").await, (403, "AccessDenied".into()));
    let sdk = ts.sdk_with(&alice.access_key_id, &alice.secret_access_key);
    sdk.put_object()
        .bucket(BUCKET)
        .key("a.txt")
        .body(b"header".to_vec().into())
        .send()
        .await
        .expect("header-signed upload passes");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signature_age_refuses_an_old_url() {
    let ts = TestServer::start().await;
    root_bucket(&ts, BUCKET).await;
    let alice = new_user(&ts, "alice", None).await;
    grant(
        &ts,
        "alice",
        "fresh-urls",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:PutObject",
          "Resource":"arn:aws:s3:::uploads/*",
          "Condition":{"NumericLessThan":{"s3:signatureAge":"60000"}}}}"#,
    )
    .await;
    let url = presign_as(&ts, &alice, "PUT", BUCKET, "a.txt", 3600);
    assert_eq!(put_url(&url, "x").await.0, 200);
    ts.clock().advance_ms(120_000);
    assert_eq!(put_url(&url, "x").await, (403, "AccessDenied".into()));
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_ip_and_prefix_conditions_use_server_facts() {
    let ts = TestServer::start().await;
    root_bucket(&ts, BUCKET).await;
    let alice = new_user(&ts, "alice", None).await;
    grant(
        &ts,
        "alice",
        "listing",
        r#"{"Version":"2012-10-17","Statement":[
          {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::uploads",
           "Condition":{"StringLike":{"s3:prefix":"alice/*"},"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}},
          {"Effect":"Allow","Action":"s3:PutObject","Resource":"*",
           "Condition":{"NotIpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}]}"#,
    )
    .await;
    let sdk = ts.sdk_with(&alice.access_key_id, &alice.secret_access_key);
    sdk.list_objects_v2()
        .bucket(BUCKET)
        .prefix("alice/")
        .send()
        .await
        .expect("own prefix listed");
    assert!(sdk
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix("bob/")
        .send()
        .await
        .is_err());
    assert!(sdk.list_objects_v2().bucket(BUCKET).send().await.is_err());
    // A spoofed forwarding header changes nothing: the address is the connection's.
    let url = presign_as(&ts, &alice, "PUT", BUCKET, "a.txt", 600);
    let r = reqwest::Client::new()
        .put(&url)
        .header("x-forwarded-for", "203.0.113.9")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_objects_is_judged_key_by_key() {
    use aws_sdk_s3::types::{Delete, ObjectIdentifier};
    let ts = TestServer::start().await;
    root_bucket(&ts, BUCKET).await;
    put_as_root(&ts, BUCKET, &["alice/a.txt", "bob/b.txt"], "x").await;
    let alice = new_user(&ts, "alice", None).await;
    grant(
        &ts,
        "alice",
        "own-deletes",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:DeleteObject",
          "Resource":"arn:aws:s3:::uploads/alice/*"}}"#,
    )
    .await;
    let sdk = ts.sdk_with(&alice.access_key_id, &alice.secret_access_key);
    let ids = ["alice/a.txt", "bob/b.txt"]
        .iter()
        .map(|k| ObjectIdentifier::builder().key(*k).build().unwrap())
        .collect::<Vec<_>>();
    let out = sdk
        .delete_objects()
        .bucket(BUCKET)
        .delete(Delete::builder().set_objects(Some(ids)).build().unwrap())
        .send()
        .await
        .unwrap();
    let deleted: Vec<_> = out.deleted().iter().filter_map(|d| d.key()).collect();
    assert_eq!(deleted, ["alice/a.txt"]);
    let errors: Vec<_> = out
        .errors()
        .iter()
        .map(|e| (e.key().unwrap_or_default(), e.code().unwrap_or_default()))
        .collect();
    assert_eq!(errors, [("bob/b.txt", "AccessDenied")]);
    ts.sdk()
        .head_object()
        .bucket(BUCKET)
        .key("bob/b.txt")
        .send()
        .await
        .expect("bob's object survives");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_policy_with_username_variable_serves_two_users() {
    let ts = TestServer::start().await;
    root_bucket(&ts, BUCKET).await;
    let alice = new_user(&ts, "alice", None).await;
    let bob = new_user(&ts, "bob", None).await;
    grant(
        &ts,
        "alice",
        "home",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:PutObject",
          "Resource":"arn:aws:s3:::uploads/home/${aws:username}/*"}}"#,
    )
    .await;
    cli(&ts, &["policy", "attach", "home", "--user", "bob"]).await;
    for (who, name, other) in [(&alice, "alice", "bob"), (&bob, "bob", "alice")] {
        let own = presign_as(&ts, who, "PUT", BUCKET, &format!("home/{name}/f"), 600);
        assert_eq!(put_url(&own, "x").await.0, 200, "{name}");
        let theirs = presign_as(&ts, who, "PUT", BUCKET, &format!("home/{other}/f"), 600);
        assert_eq!(put_url(&theirs, "x").await.0, 403, "{name}");
    }
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_deny_writes_an_audit_line() {
    // The real binary, so its log output can be read.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = common::process::ServerProcess::start(
        &[
            "--data-dir",
            data.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        &[
            ("SLUICE_ROOT_ACCESS_KEY", common::ACCESS_KEY),
            ("SLUICE_ROOT_SECRET_KEY", common::SECRET_KEY),
        ],
    );
    let ts_like = TestServerAddr(server.addr);
    let root = UserKey::root();
    let (status, _) = admin(&ts_like, &root, "POST", "users", r#"{"name":"alice"}"#).await;
    assert_eq!(status, 201);
    let (_, key) = admin(&ts_like, &root, "POST", "keys", r#"{"user":"alice"}"#).await;
    let alice = UserKey {
        access_key_id: key["access_key_id"].as_str().unwrap().into(),
        secret_access_key: key["secret_access_key"].as_str().unwrap().into(),
    };
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},
        {"Sid":"NoPresign","Effect":"Deny","Action":"s3:*","Resource":"*",
         "Condition":{"StringEquals":{"s3:authType":"REST-QUERY-STRING"}}}]}"#;
    assert_eq!(
        admin(&ts_like, &root, "PUT", "policies/p", policy).await.0,
        200
    );
    let (status, _) = admin(
        &ts_like,
        &root,
        "POST",
        "policies/p/attach",
        r#"{"user":"alice"}"#,
    )
    .await;
    assert_eq!(status, 200);
    let host = server.addr.to_string();
    let presign = |who: &UserKey, key: &str| {
        let q = sluice_sigv4::presign_v4(
            &who.creds(),
            &sluice_sigv4::PresignRequest {
                method: "PUT",
                host: &host,
                raw_path: &format!("/{BUCKET}/{key}"),
                query: &[],
                headers: &[],
                region: common::REGION,
                service: "s3",
                datetime: time::OffsetDateTime::now_utc(),
                expires_in: 600,
            },
        );
        format!("http://{host}/{BUCKET}/{key}?{q}")
    };
    assert_eq!(put_url(&presign(&alice, "a.txt"), "x").await.0, 403);
    assert_eq!(
        put_url(&format!("http://{host}/{BUCKET}/anon.txt"), "x")
            .await
            .0,
        403
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    let log = strip_ansi(&server.stderr_text());
    let audit: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("sluice::audit") && l.contains("access denied"))
        .collect();
    assert_eq!(audit.len(), 2, "{log}");
    assert!(audit[0].contains("principal=\"alice\""), "{}", audit[0]);
    assert!(audit[0].contains("s3:PutObject") && audit[0].contains("arn:aws:s3:::uploads/a.txt"));
    assert!(
        audit[0].contains("explicit deny by policy p statement NoPresign"),
        "{}",
        audit[0]
    );
    assert!(
        audit[1].contains("anonymous") && audit[1].contains("no allow"),
        "{}",
        audit[1]
    );
    assert_eq!(server.terminate(), Some(0));
}

/// Just an address, for admin calls against a server process.
struct TestServerAddr(std::net::SocketAddr);

async fn admin(
    ts: &TestServerAddr,
    who: &UserKey,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, serde_json::Value) {
    admin_call_at(ts.0, who, method, path, body).await
}

/// Removes terminal colour sequences (`ESC [ ... m`) from log text.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_object_needs_read_on_the_source() {
    let ts = TestServer::start().await;
    root_bucket(&ts, BUCKET).await;
    put_as_root(&ts, BUCKET, &["alice/a.txt", "bob/b.txt"], "x").await;
    let alice = new_user(&ts, "alice", None).await;
    grant(&ts, "alice", "alice-prefix", &prefix_policy("alice")).await;
    let sdk = ts.sdk_with(&alice.access_key_id, &alice.secret_access_key);
    sdk.copy_object()
        .bucket(BUCKET)
        .key("alice/copy.txt")
        .copy_source(format!("{BUCKET}/alice/a.txt"))
        .send()
        .await
        .expect("own source, own destination");
    let err = sdk
        .copy_object()
        .bucket(BUCKET)
        .key("alice/stolen.txt")
        .copy_source(format!("{BUCKET}/bob/b.txt"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(sdk_error_code(&err), "AccessDenied");
    let err = sdk
        .copy_object()
        .bucket(BUCKET)
        .key("bob/planted.txt")
        .copy_source(format!("{BUCKET}/alice/a.txt"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(sdk_error_code(&err), "AccessDenied");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signature_version_condition_refuses_sigv2_urls() {
    let ts = TestServer::start().await;
    root_bucket(&ts, BUCKET).await;
    let alice = new_user(&ts, "alice", None).await;
    grant(
        &ts,
        "alice",
        "v4-only",
        r#"{"Version":"2012-10-17","Statement":[
          {"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::uploads/*"},
          {"Sid":"NoSigV2","Effect":"Deny","Action":"s3:*","Resource":"*",
           "Condition":{"StringNotEquals":{"s3:signatureversion":"AWS4-HMAC-SHA256"}}}]}"#,
    )
    .await;
    let v4 = presign_as(&ts, &alice, "PUT", BUCKET, "v4.txt", 600);
    assert_eq!(put_url(&v4, "x").await.0, 200);
    let expires = time::OffsetDateTime::now_utc().unix_timestamp() + 600;
    let q = sluice_sigv4::presign_v2(
        &alice.creds(),
        &sluice_sigv4::V2SigningRequest {
            method: "PUT",
            raw_path: "/uploads/v2.txt",
            raw_query: "",
            headers: &[],
        },
        expires,
    );
    let v2 = format!("{}/uploads/v2.txt?{q}", ts.endpoint());
    assert_eq!(put_url(&v2, "x").await, (403, "AccessDenied".into()));
    // Without the deny statement the same SigV2 URL is fine: the condition did it.
    let file = ts.dir.path().join("allow.json");
    std::fs::write(
        &file,
        r#"{"Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}}"#,
    )
    .unwrap();
    cli(
        &ts,
        &["policy", "create", "v4-only", file.to_str().unwrap()],
    )
    .await;
    assert_eq!(put_url(&v2, "x").await.0, 200);
    ts.stop().await;
}
