//! The root access key: from configuration, or generated once and kept in the data dir.

use rand::Rng;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// File in the data dir holding generated root credentials (mode 0600).
pub const ROOT_CREDENTIALS_FILE: &str = "root-credentials.json";

/// The root account's key pair.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RootCredentials {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
}

/// How the root credentials were obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootSource {
    /// From configuration (flags / environment / config file).
    Configured,
    /// Read from the data dir, generated on an earlier start.
    Stored,
    /// Generated now (the caller prints them once).
    Generated,
}

/// Errors loading or creating root credentials.
#[derive(Debug, thiserror::Error)]
pub enum RootCredentialsError {
    /// Only one of the pair was configured.
    #[error("set both SLUICE_ROOT_ACCESS_KEY and SLUICE_ROOT_SECRET_KEY, or neither")]
    HalfConfigured,
    /// The stored file could not be read or written.
    #[error("root credentials file {path}: {source}")]
    Io {
        /// File path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The stored file is not valid.
    #[error("root credentials file {0} is not valid JSON")]
    Invalid(String),
}

/// Returns the configured pair, else the stored pair, else generates and stores a new one.
pub fn load_or_create(
    data_dir: &Path,
    access_key: Option<&str>,
    secret_key: Option<&str>,
) -> Result<(RootCredentials, RootSource), RootCredentialsError> {
    match (access_key, secret_key) {
        (Some(a), Some(s)) => {
            return Ok((
                RootCredentials {
                    access_key_id: a.to_string(),
                    secret_access_key: s.to_string(),
                },
                RootSource::Configured,
            ))
        }
        (None, None) => {}
        _ => return Err(RootCredentialsError::HalfConfigured),
    }
    let path = data_dir.join(ROOT_CREDENTIALS_FILE);
    let io_err = |source| RootCredentialsError::Io {
        path: path.display().to_string(),
        source,
    };
    match std::fs::read(&path) {
        Ok(bytes) => {
            let creds = serde_json::from_slice(&bytes)
                .map_err(|_| RootCredentialsError::Invalid(path.display().to_string()))?;
            Ok((creds, RootSource::Stored))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let creds = generate();
            let json = serde_json::to_vec_pretty(&creds)
                .map_err(|_| RootCredentialsError::Invalid(path.display().to_string()))?;
            write_private(&path, &json).map_err(io_err)?;
            Ok((creds, RootSource::Generated))
        }
        Err(e) => Err(io_err(e)),
    }
}

/// A new random key pair in AWS's shapes: 20-character id, 40-character secret.
pub fn generate() -> RootCredentials {
    const ID_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = rand::rngs::OsRng;
    let mut pick = |set: &[u8], n: usize| -> String {
        (0..n)
            .map(|_| set[rng.gen_range(0..set.len())] as char)
            .collect()
    };
    RootCredentials {
        access_key_id: format!("SLK{}", pick(ID_CHARS, 17)),
        secret_access_key: pick(SECRET_CHARS, 40),
    }
}

/// Writes a file readable only by its owner (mode 0600), durably: temp file, fsync, rename.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn generates_once_then_reuses() {
        let dir = tempfile::tempdir().unwrap();
        let (a, src) = load_or_create(dir.path(), None, None).unwrap();
        assert_eq!(src, RootSource::Generated);
        assert_eq!(a.access_key_id.len(), 20);
        assert_eq!(a.secret_access_key.len(), 40);
        let mode = std::fs::metadata(dir.path().join(ROOT_CREDENTIALS_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let (b, src) = load_or_create(dir.path(), None, None).unwrap();
        assert_eq!(src, RootSource::Stored);
        assert_eq!(a, b);
        assert!(matches!(
            load_or_create(dir.path(), Some("x"), None),
            Err(RootCredentialsError::HalfConfigured)
        ));
        let (c, src) = load_or_create(dir.path(), Some("x"), Some("y")).unwrap();
        assert_eq!(
            (c.access_key_id.as_str(), src),
            ("x", RootSource::Configured)
        );
    }
}
