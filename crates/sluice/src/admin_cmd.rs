//! `sluice admin ...`: users, keys and policies over the admin API.

use crate::admin_cli::{
    AdminArgs, AdminCommand, ChecksCommand, KeyCommand, PolicyCommand, TargetCommand, UserCommand,
};
use crate::admin_client::AdminClient;
use crate::aws_profile::resolve;
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

/// Runs an admin command and prints the server's JSON answer.
pub async fn run(args: AdminArgs) -> Result<()> {
    let settings = resolve(&args.client)?;
    let client = AdminClient::new(settings)?;
    let answer = match args.command {
        AdminCommand::User(c) => user(&client, c).await?,
        AdminCommand::Key(c) => key(&client, c).await?,
        AdminCommand::Policy(c) => policy(&client, c).await?,
        AdminCommand::Target(c) => target(&client, c).await?,
        AdminCommand::Checks(c) => checks(&client, c).await?,
    };
    println!("{}", serde_json::to_string_pretty(&answer)?);
    Ok(())
}

fn json_body(v: Value) -> Option<Vec<u8>> {
    Some(v.to_string().into_bytes())
}

async fn user(client: &AdminClient, c: UserCommand) -> Result<Value> {
    match c {
        UserCommand::Create { name } => {
            client
                .call("POST", &["users"], None, json_body(json!({ "name": name })))
                .await
        }
        UserCommand::Delete { name } => client.call("DELETE", &["users", &name], None, None).await,
        UserCommand::List => client.call("GET", &["users"], None, None).await,
    }
}

async fn key(client: &AdminClient, c: KeyCommand) -> Result<Value> {
    match c {
        KeyCommand::Create { user, expires_in } => {
            let mut body = json!({ "user": user });
            if let Some(d) = expires_in {
                body["expires_in_seconds"] = json!(parse_lifetime(&d)?);
            }
            client.call("POST", &["keys"], None, json_body(body)).await
        }
        KeyCommand::Enable { access_key_id } => {
            client
                .call("POST", &["keys", &access_key_id, "enable"], None, None)
                .await
        }
        KeyCommand::Disable { access_key_id } => {
            client
                .call("POST", &["keys", &access_key_id, "disable"], None, None)
                .await
        }
        KeyCommand::Delete { access_key_id } => {
            client
                .call("DELETE", &["keys", &access_key_id], None, None)
                .await
        }
        KeyCommand::List { user } => {
            let query = user.as_deref().map(|u| ("user", u));
            client.call("GET", &["keys"], query, None).await
        }
    }
}

async fn policy(client: &AdminClient, c: PolicyCommand) -> Result<Value> {
    match c {
        PolicyCommand::Create { name, file } => {
            let doc = std::fs::read(&file)
                .with_context(|| format!("cannot read policy file {}", file.display()))?;
            client
                .call("PUT", &["policies", &name], None, Some(doc))
                .await
        }
        PolicyCommand::Attach { name, user } => {
            client
                .call(
                    "POST",
                    &["policies", &name, "attach"],
                    None,
                    json_body(json!({ "user": user })),
                )
                .await
        }
        PolicyCommand::Detach { name, user } => {
            client
                .call(
                    "POST",
                    &["policies", &name, "detach"],
                    None,
                    json_body(json!({ "user": user })),
                )
                .await
        }
        PolicyCommand::List => client.call("GET", &["policies"], None, None).await,
        PolicyCommand::Show { name } => client.call("GET", &["policies", &name], None, None).await,
    }
}

async fn target(client: &AdminClient, c: TargetCommand) -> Result<Value> {
    match c {
        TargetCommand::Create {
            id,
            webhook,
            secret,
            timeout,
            headers,
            nats,
            subject,
            backlog_max,
            on_backlog,
        } => {
            let mut body = match (webhook, nats) {
                (Some(url), _) => {
                    let mut b = json!({ "type": "webhook", "url": url });
                    if let Some(s) = secret {
                        b["secret"] = json!(s);
                    }
                    if let Some(t) = timeout {
                        b["timeout_ms"] = json!(parse_timeout_ms(&t)?);
                    }
                    let mut h = serde_json::Map::new();
                    for pair in headers {
                        let Some((name, value)) = pair.split_once(':') else {
                            bail!("--header `{pair}`: use NAME:VALUE");
                        };
                        h.insert(name.trim().to_string(), json!(value.trim()));
                    }
                    if !h.is_empty() {
                        b["headers"] = Value::Object(h);
                    }
                    b
                }
                (None, Some(url)) => json!({ "type": "nats", "url": url, "subject": subject }),
                (None, None) => bail!("give --webhook URL or --nats URL --subject SUBJECT"),
            };
            if let Some(n) = backlog_max {
                body["backlog_max"] = json!(n);
            }
            if let Some(p) = on_backlog {
                body["on_backlog"] = json!(p);
            }
            client
                .call("PUT", &["targets", &id], None, json_body(body))
                .await
        }
        TargetCommand::List => client.call("GET", &["targets"], None, None).await,
        TargetCommand::Delete { id } => client.call("DELETE", &["targets", &id], None, None).await,
    }
}

async fn checks(client: &AdminClient, c: ChecksCommand) -> Result<Value> {
    match c {
        ChecksCommand::Set { name, file } => {
            let doc = std::fs::read(&file)
                .with_context(|| format!("cannot read profile file {}", file.display()))?;
            client
                .call("PUT", &["checks", &name], None, Some(doc))
                .await
        }
        ChecksCommand::List => client.call("GET", &["checks"], None, None).await,
        ChecksCommand::Show { name } => client.call("GET", &["checks", &name], None, None).await,
        ChecksCommand::Delete { name } => {
            client.call("DELETE", &["checks", &name], None, None).await
        }
        ChecksCommand::Apply {
            name: profile,
            bucket,
            prefix,
        } => {
            let body = json!({ "bucket": bucket, "prefix": prefix });
            client
                .call("PUT", &["checks", &profile, "apply"], None, json_body(body))
                .await
        }
        ChecksCommand::Unapply {
            name: profile,
            bucket,
            prefix,
        } => {
            let path = format!(
                "{}/checks/{}/apply",
                crate::admin_client::ADMIN_BASE,
                sluice_sigv4::uri_encode(&profile, true)
            );
            let query = [("bucket", bucket.as_str()), ("prefix", prefix.as_str())];
            client.call_path("DELETE", &path, &query, None).await
        }
    }
}

/// A webhook timeout: plain seconds or a number with ms, s or m; in milliseconds.
pub fn parse_timeout_ms(value: &str) -> Result<u64> {
    let v = value.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (number, unit) = v.split_at(split);
    let n: u64 = match number.parse() {
        Ok(n) if n > 0 => n,
        _ => bail!("--timeout `{value}`: use a positive number of ms, s or m"),
    };
    let scale = match unit {
        "ms" => 1,
        "" | "s" => 1000,
        "m" => 60_000,
        _ => bail!("--timeout `{value}`: use a positive number of ms, s or m"),
    };
    n.checked_mul(scale)
        .with_context(|| format!("--timeout `{value}` is too large"))
}

/// A key lifetime: plain seconds or a number with s, m, h, d or w.
pub fn parse_lifetime(value: &str) -> Result<u64> {
    let v = value.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (number, unit) = v.split_at(split);
    let n: u64 = match number.parse() {
        Ok(n) if n > 0 => n,
        _ => bail!("--expires-in `{value}`: use a positive number of s, m, h, d or w"),
    };
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => bail!("--expires-in `{value}`: use a positive number of s, m, h, d or w"),
    };
    n.checked_mul(scale)
        .with_context(|| format!("--expires-in `{value}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::{parse_lifetime, parse_timeout_ms};

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout_ms("500ms").unwrap(), 500);
        assert_eq!(parse_timeout_ms("10").unwrap(), 10_000);
        assert_eq!(parse_timeout_ms("1m").unwrap(), 60_000);
        for bad in ["", "0", "5h", "-1", "ms"] {
            assert!(parse_timeout_ms(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lifetimes() {
        assert_eq!(parse_lifetime("90").unwrap(), 90);
        assert_eq!(parse_lifetime("30m").unwrap(), 1800);
        assert_eq!(parse_lifetime("2w").unwrap(), 1_209_600);
        for bad in ["", "0", "5y", "-1", "h"] {
            assert!(parse_lifetime(bad).is_err(), "{bad}");
        }
    }
}
