//! The admin API and `sluice admin` CLI: who may call it, and clear errors when it refuses.

mod common;
mod iam_support;

use common::TestServer;
use iam_support::*;
use std::os::unix::fs::PermissionsExt;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_root_or_admin_users_may_administer() {
    let ts = TestServer::start().await;
    let alice = new_user(&ts, "alice", None).await;
    // A user without sluice:Admin: 403 with a JSON error, from the API and the CLI.
    let (status, body) = admin_call(&ts, &alice, "GET", "users", "").await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "AccessDenied");
    let out = cli_as(&ts, &alice, &["user", "create", "mallory"]).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("AccessDenied (403)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stderr(&out).trim().lines().count(), 1);
    // S3 permissions do not grant admin rights.
    grant(
        &ts,
        "alice",
        "s3-all",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
    )
    .await;
    assert_eq!(admin_call(&ts, &alice, "GET", "users", "").await.0, 403);
    // sluice:Admin does.
    grant(
        &ts,
        "alice",
        "admin",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sluice:Admin","Resource":"*"}}"#,
    )
    .await;
    let out = cli_as(&ts, &alice, &["user", "create", "carol"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    // Anonymous, wrong secret and presigned admin calls are refused.
    let r = reqwest::get(format!("{}/_sluice/admin/v1/users", ts.endpoint()))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["error"]["code"], "AccessDenied");
    let wrong = UserKey {
        access_key_id: alice.access_key_id.clone(),
        secret_access_key: "not-the-secret".into(),
    };
    let (status, body) = admin_call(&ts, &wrong, "GET", "users", "").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("SignatureDoesNotMatch"))
    );
    let (status, body) = admin_call(&ts, &UserKey::root(), "GET", "nowhere", "").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("NotFound"))
    );
    let url = {
        let host = ts.host();
        let q = sluice_sigv4::presign_v4(
            &UserKey::root().creds(),
            &sluice_sigv4::PresignRequest {
                method: "GET",
                host: &host,
                raw_path: "/_sluice/admin/v1/users",
                query: &[],
                headers: &[],
                region: common::REGION,
                service: "s3",
                datetime: time::OffsetDateTime::now_utc(),
                expires_in: 60,
            },
        );
        format!("http://{host}/_sluice/admin/v1/users?{q}")
    };
    assert_eq!(get_url(&url).await.0, 403, "admin API needs header auth");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clear_errors_for_bad_input() {
    let ts = TestServer::start().await;
    cli(&ts, &["user", "create", "alice"]).await;

    // Malformed policy JSON: 400 with line and column, one line from the CLI, exit non-zero.
    let file = ts.dir.path().join("bad.json");
    std::fs::write(
        &file,
        "{\n  \"Statement\": [\n    {\"Effect\": \"Allow\" \"Action\": \"*\"}\n  ]\n}",
    )
    .unwrap();
    let out = cli_as(
        &ts,
        &UserKey::root(),
        &["policy", "create", "bad", file.to_str().unwrap()],
    )
    .await;
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("MalformedPolicy (400)") && err.contains("line 3, column 24"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let cases: &[(&str, &str)] = &[
        (
            r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObjekt","Resource":"*"}}"#,
            "unknown action `s3:GetObjekt`",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"a":"b"}}}}"#,
            "unknown condition operator `StringEqualz`",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*"}}"#,
            "missing Resource",
        ),
    ];
    for (doc, want) in cases {
        std::fs::write(&file, doc).unwrap();
        let out = cli_as(
            &ts,
            &UserKey::root(),
            &["policy", "create", "bad", file.to_str().unwrap()],
        )
        .await;
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("InvalidPolicy (400)") && stderr(&out).contains(want),
            "{}",
            stderr(&out)
        );
    }
    let out = cli_as(
        &ts,
        &UserKey::root(),
        &["policy", "create", "p", "/nonexistent/p.json"],
    )
    .await;
    assert!(stderr(&out).contains("cannot read policy file"));

    // Unknown user, key and policy; duplicate user; invalid name.
    let checks: &[(&[&str], &str)] = &[
        (
            &["key", "create", "ghost"],
            "NoSuchUser (404): no such user: ghost",
        ),
        (&["key", "list", "ghost"], "NoSuchUser (404)"),
        (&["user", "delete", "ghost"], "NoSuchUser (404)"),
        (&["key", "disable", "AKNOSUCHKEY"], "NoSuchAccessKey (404)"),
        (&["key", "delete", "AKNOSUCHKEY"], "NoSuchAccessKey (404)"),
        (&["policy", "show", "nope"], "NoSuchPolicy (404)"),
        (
            &["policy", "attach", "nope", "--user", "alice"],
            "NoSuchPolicy (404)",
        ),
        (&["user", "create", "alice"], "UserAlreadyExists (409)"),
        (&["user", "create", "bad/name"], "InvalidName (400)"),
        (
            &["key", "create", "alice", "--expires-in", "soon"],
            "--expires-in `soon`",
        ),
    ];
    for (args, want) in checks {
        let out = cli_as(&ts, &UserKey::root(), args).await;
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr(&out).contains(want), "{args:?}: {}", stderr(&out));
    }
    std::fs::write(
        &file,
        r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
    )
    .unwrap();
    cli(&ts, &["policy", "create", "read", file.to_str().unwrap()]).await;
    cli(&ts, &["policy", "attach", "read", "--user", "alice"]).await;
    let out = cli_as(
        &ts,
        &UserKey::root(),
        &["policy", "attach", "read", "--user", "ghost"],
    )
    .await;
    assert!(
        stderr(&out).contains("NoSuchUser (404)"),
        "{}",
        stderr(&out)
    );
    cli(&ts, &["policy", "detach", "read", "--user", "alice"]).await;
    let out = cli_as(
        &ts,
        &UserKey::root(),
        &["policy", "detach", "read", "--user", "alice"],
    )
    .await;
    assert!(
        stderr(&out).contains("PolicyNotAttached (404)"),
        "{}",
        stderr(&out)
    );

    // Malformed JSON bodies on the API itself: 400 with position.
    let (status, body) = admin_call(&ts, &UserKey::root(), "POST", "users", "{\"name\": }").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "MalformedJSON");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("line 1, column 10"));
    let (status, body) = admin_call(&ts, &UserKey::root(), "POST", "users", "{}").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("InvalidRequest"))
    );
    let (status, _) = admin_call(
        &ts,
        &UserKey::root(),
        "POST",
        "keys",
        r#"{"user":"alice","expires_in_seconds":-5}"#,
    )
    .await;
    assert_eq!(status, 400);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_showing_and_secrets_at_rest() {
    let ts = TestServer::start().await;
    let alice = new_user(&ts, "alice", Some("1d")).await;
    let second = cli(&ts, &["key", "create", "alice"]).await;
    assert!(second["expires_at"].is_null());
    new_user(&ts, "bob", None).await;
    let users = cli(&ts, &["user", "list"]).await;
    let names: Vec<&str> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob"]);
    assert_eq!(
        cli(&ts, &["key", "list", "alice"]).await["keys"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let all = cli(&ts, &["key", "list"]).await;
    assert_eq!(all["keys"].as_array().unwrap().len(), 3);
    assert!(
        !all.to_string().contains(&alice.secret_access_key),
        "secrets are never listed"
    );

    let file = ts.dir.path().join("p.json");
    std::fs::write(&file, r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#).unwrap();
    cli(&ts, &["policy", "create", "read", file.to_str().unwrap()]).await;
    cli(&ts, &["policy", "attach", "read", "--user", "alice"]).await;
    let shown = cli(&ts, &["policy", "show", "read"]).await;
    assert_eq!(shown["users"], serde_json::json!(["alice"]));
    assert_eq!(shown["document"]["Statement"]["Action"], "s3:GetObject");
    let listed = cli(&ts, &["policy", "list"]).await;
    assert_eq!(listed["policies"][0]["name"], "read");

    // Secrets are sealed with the server key, which lives outside the database.
    let key_file = ts.dir.path().join("server.key");
    let meta = std::fs::metadata(&key_file).unwrap();
    assert_eq!((meta.len(), meta.permissions().mode() & 0o777), (32, 0o600));
    let mut db = Vec::new();
    for entry in std::fs::read_dir(ts.dir.path()).unwrap() {
        let p = entry.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("meta.sqlite")
        {
            db.extend(std::fs::read(p).unwrap());
        }
    }
    assert!(!db.is_empty());
    let secret = alice.secret_access_key.as_bytes();
    assert!(
        !db.windows(secret.len()).any(|w| w == secret),
        "no plaintext secret on disk"
    );
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_key_from_environment_and_a_wrong_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap().to_string();
    let key_a = "11".repeat(32);
    let key_b = "22".repeat(32);
    let start = |key: &str| {
        common::process::ServerProcess::start(
            &["--data-dir", &data_s, "--listen", "127.0.0.1:0"],
            &[
                ("SLUICE_ROOT_ACCESS_KEY", common::ACCESS_KEY),
                ("SLUICE_ROOT_SECRET_KEY", common::SECRET_KEY),
                ("SLUICE_SERVER_KEY", key),
            ],
        )
    };
    let root = UserKey::root();
    let server = start(&key_a);
    admin_call_at(server.addr, &root, "POST", "users", r#"{"name":"alice"}"#).await;
    let (_, k) = admin_call_at(server.addr, &root, "POST", "keys", r#"{"user":"alice"}"#).await;
    let alice = UserKey {
        access_key_id: k["access_key_id"].as_str().unwrap().into(),
        secret_access_key: k["secret_access_key"].as_str().unwrap().into(),
    };
    assert!(
        !data.join("server.key").exists(),
        "the environment key is not written to disk"
    );
    // alice has no permissions, but her signature verifies: AccessDenied, not a key error.
    let (status, body) = admin_call_at(server.addr, &alice, "GET", "users", "").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("AccessDenied"))
    );
    assert_eq!(server.terminate(), Some(0));

    // Another server key cannot open the sealed secret: the request fails, nothing leaks.
    let server = start(&key_b);
    let (status, body) = admin_call_at(server.addr, &alice, "GET", "users", "").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (500, Some("InternalError"))
    );
    assert_eq!(server.terminate(), Some(0));

    // A malformed key refuses to start.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["serve", "--data-dir", &data_s, "--listen", "127.0.0.1:0"])
        .env("SLUICE_SERVER_KEY", "not-hex")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SLUICE_SERVER_KEY"));

    let server = start(&key_a);
    let (status, _) = admin_call_at(server.addr, &alice, "GET", "users", "").await;
    assert_eq!(status, 403, "the right key opens it again");
    assert_eq!(server.terminate(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_key_authentication_failures() {
    let ts = TestServer::start().await;
    ts.sdk().create_bucket().bucket("bkt").send().await.unwrap();
    let alice = new_user(&ts, "alice", None).await;
    let forged = UserKey {
        access_key_id: "SLKNOSUCHKEY00000000".into(),
        secret_access_key: alice.secret_access_key.clone(),
    };
    let url = presign_as(&ts, &forged, "PUT", "bkt", "k", 600);
    assert_eq!(put_url(&url, "x").await, (403, "InvalidAccessKeyId".into()));
    let wrong_secret = UserKey {
        access_key_id: alice.access_key_id.clone(),
        secret_access_key: "x".repeat(40),
    };
    let url = presign_as(&ts, &wrong_secret, "PUT", "bkt", "k", 600);
    assert_eq!(
        put_url(&url, "x").await,
        (403, "SignatureDoesNotMatch".into())
    );
    // The root secret does not sign for a user's key id, nor a user's secret for root.
    let mixed = UserKey {
        access_key_id: alice.access_key_id.clone(),
        secret_access_key: common::SECRET_KEY.into(),
    };
    let url = presign_as(&ts, &mixed, "PUT", "bkt", "k", 600);
    assert_eq!(
        put_url(&url, "x").await,
        (403, "SignatureDoesNotMatch".into())
    );
    let mixed = UserKey {
        access_key_id: common::ACCESS_KEY.into(),
        secret_access_key: alice.secret_access_key.clone(),
    };
    let url = presign_as(&ts, &mixed, "PUT", "bkt", "k", 600);
    assert_eq!(
        put_url(&url, "x").await,
        (403, "SignatureDoesNotMatch".into())
    );
    // A disabled key stays disabled for header auth too.
    cli(&ts, &["key", "disable", &alice.access_key_id]).await;
    let sdk = ts.sdk_with(&alice.access_key_id, &alice.secret_access_key);
    let err = sdk.list_buckets().send().await.unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(err.as_service_error().unwrap()),
        Some("InvalidAccessKeyId")
    );
    ts.stop().await;
}
