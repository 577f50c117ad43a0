//! AWS client conventions: credentials, region and endpoint from the environment and
//! `~/.aws/credentials` / `~/.aws/config`, the way the AWS CLI and SDKs read them.

use anyhow::{bail, Result};
use sluice_sigv4::Credentials;
use std::collections::HashMap;
use std::path::PathBuf;

/// Where the CLI talks to and as whom.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Credentials to sign with.
    pub credentials: Credentials,
    /// Region for the credential scope.
    pub region: String,
    /// Server URL, e.g. `http://127.0.0.1:9000`.
    pub endpoint: String,
}

/// Connection flags shared by every client command (flattened into their arguments).
#[derive(Debug, Default, Clone, clap::Args)]
pub struct ClientOverrides {
    /// Profile in ~/.aws/credentials and ~/.aws/config [default: AWS_PROFILE or "default"].
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Region [default: AWS_REGION / AWS_DEFAULT_REGION / profile, else us-east-1].
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Server URL [default: AWS_ENDPOINT_URL, else http://127.0.0.1:9000].
    #[arg(long, global = true)]
    pub endpoint: Option<String>,
}

/// Resolves settings: command line, then environment, then profile files, then defaults.
pub fn resolve(overrides: &ClientOverrides) -> Result<ClientSettings> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let profile = overrides
        .profile
        .clone()
        .or_else(|| env("AWS_PROFILE"))
        .unwrap_or_else(|| "default".to_string());
    let home = env("HOME").map(PathBuf::from).unwrap_or_default();
    let cred_file = env("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".aws/credentials"));
    let conf_file = env("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".aws/config"));
    let creds_ini = read_ini(&cred_file);
    let conf_ini = read_ini(&conf_file);
    let from_creds = creds_ini.get(&profile);
    let conf_section = if profile == "default" {
        "default".to_string()
    } else {
        format!("profile {profile}")
    };
    let from_conf = conf_ini.get(&conf_section);
    let lookup = |key: &str| -> Option<String> {
        from_creds
            .and_then(|s| s.get(key).cloned())
            .or_else(|| from_conf.and_then(|s| s.get(key).cloned()))
    };
    let use_env_keys = overrides.profile.is_none();
    let access_key_id = use_env_keys
        .then(|| env("AWS_ACCESS_KEY_ID"))
        .flatten()
        .or_else(|| lookup("aws_access_key_id"));
    let secret = use_env_keys
        .then(|| env("AWS_SECRET_ACCESS_KEY"))
        .flatten()
        .or_else(|| lookup("aws_secret_access_key"));
    let session_token = use_env_keys
        .then(|| env("AWS_SESSION_TOKEN"))
        .flatten()
        .or_else(|| lookup("aws_session_token"));
    let (Some(access_key_id), Some(secret_access_key)) = (access_key_id, secret) else {
        bail!(
            "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile in {}",
            cred_file.display()
        );
    };
    let region = overrides
        .region
        .clone()
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .or_else(|| lookup("region"))
        .unwrap_or_else(|| "us-east-1".to_string());
    let endpoint = overrides
        .endpoint
        .clone()
        .or_else(|| env("AWS_ENDPOINT_URL_S3"))
        .or_else(|| env("AWS_ENDPOINT_URL"))
        .or_else(|| lookup("endpoint_url"))
        .unwrap_or_else(|| "http://127.0.0.1:9000".to_string());
    Ok(ClientSettings {
        credentials: Credentials {
            access_key_id,
            secret_access_key,
            session_token,
        },
        region,
        endpoint,
    })
}

/// A minimal INI reader for AWS profile files: `[section]` and `key = value` lines.
fn read_ini(path: &std::path::Path) -> HashMap<String, HashMap<String, String>> {
    let mut out: HashMap<String, HashMap<String, String>> = HashMap::new();
    let Ok(text) = std::fs::read_to_string(path) else {
        return out;
    };
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            out.entry(section.clone())
                .or_default()
                .insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ini_sections() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("credentials");
        std::fs::write(
            &p,
            "[default]\naws_access_key_id = A\n# c\n[profile x]\nregion=eu-west-1\n",
        )
        .unwrap();
        let ini = read_ini(&p);
        assert_eq!(ini["default"]["aws_access_key_id"], "A");
        assert_eq!(ini["profile x"]["region"], "eu-west-1");
    }
}
