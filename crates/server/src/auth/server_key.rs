//! The server key: seals user secret keys at rest (ChaCha20-Poly1305), kept outside the
//! metadata database — `SLUICE_SERVER_KEY` (64 hex characters) or `DATA/server.key`
//! (32 random bytes, mode 0600, created on first start).

use crate::auth::root_credentials::write_private;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use std::path::Path;

/// File in the data dir holding the generated server key.
pub const SERVER_KEY_FILE: &str = "server.key";
/// Environment variable that supplies the server key instead of the file.
pub const SERVER_KEY_ENV: &str = "SLUICE_SERVER_KEY";

const NONCE_LEN: usize = 12;

/// Errors loading the server key or opening a sealed secret.
#[derive(Debug, thiserror::Error)]
pub enum ServerKeyError {
    /// The key file could not be read or written.
    #[error("server key file {path}: {source}")]
    Io {
        /// File path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The key is not 32 bytes (file) or 64 hex characters (environment).
    #[error("server key from {0} must be 32 bytes (64 hex characters in {SERVER_KEY_ENV})")]
    BadLength(String),
    /// A sealed value did not decrypt: wrong server key or damaged data.
    #[error("a sealed secret could not be opened (wrong server key?)")]
    Open,
}

/// The loaded server key.
#[derive(Clone)]
pub struct ServerKey {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(..)")
    }
}

impl ServerKey {
    /// A key from 32 raw bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        ServerKey {
            cipher: ChaCha20Poly1305::new(Key::from_slice(bytes)),
        }
    }

    /// `SLUICE_SERVER_KEY` if set, else `DATA/server.key`, generated if missing.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, ServerKeyError> {
        if let Ok(hex_key) = std::env::var(SERVER_KEY_ENV) {
            let bytes = hex::decode(hex_key.trim())
                .map_err(|_| ServerKeyError::BadLength(SERVER_KEY_ENV.into()))?;
            let arr: [u8; 32] = bytes
                .try_into()
                .map_err(|_| ServerKeyError::BadLength(SERVER_KEY_ENV.into()))?;
            return Ok(Self::from_bytes(&arr));
        }
        let path = data_dir.join(SERVER_KEY_FILE);
        let io_err = |source| ServerKeyError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read(&path) {
            Ok(bytes) => {
                let arr: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| ServerKeyError::BadLength(path.display().to_string()))?;
                Ok(Self::from_bytes(&arr))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut arr = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut arr);
                write_private(&path, &arr).map_err(io_err)?;
                Ok(Self::from_bytes(&arr))
            }
            Err(e) => Err(io_err(e)),
        }
    }

    /// Seals `secret`, bound to `context` (the access key id): nonce || ciphertext+tag.
    pub fn seal(&self, secret: &str, context: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let payload = Payload {
            msg: secret.as_bytes(),
            aad: context.as_bytes(),
        };
        // Encryption with a valid key and in-memory buffers cannot fail.
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        out
    }

    /// Opens a value made by [`ServerKey::seal`] with the same context.
    pub fn open(&self, sealed: &[u8], context: &str) -> Result<String, ServerKeyError> {
        if sealed.len() < NONCE_LEN {
            return Err(ServerKeyError::Open);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| ServerKeyError::Open)?;
        String::from_utf8(plain).map_err(|_| ServerKeyError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn seal_open_and_tamper() {
        let k = ServerKey::from_bytes(&[7u8; 32]);
        let sealed = k.seal("secret/value", "AKID1");
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(k.open(&sealed, "AKID1").unwrap(), "secret/value");
        assert!(k.open(&sealed, "AKID2").is_err(), "bound to its key id");
        let mut bad = sealed.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(k.open(&bad, "AKID1").is_err());
        assert!(k.open(&sealed[..5], "AKID1").is_err());
        let other = ServerKey::from_bytes(&[8u8; 32]);
        assert!(other.open(&sealed, "AKID1").is_err());
        // Fresh nonce every time.
        assert_ne!(k.seal("x", "a"), k.seal("x", "a"));
    }

    #[test]
    fn key_file_created_once_private() {
        let dir = tempfile::tempdir().unwrap();
        let a = ServerKey::load_or_create(dir.path()).unwrap();
        let path = dir.path().join(SERVER_KEY_FILE);
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.len(), 32);
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let b = ServerKey::load_or_create(dir.path()).unwrap();
        let sealed = a.seal("s", "id");
        assert_eq!(b.open(&sealed, "id").unwrap(), "s");
        std::fs::write(&path, b"short").unwrap();
        assert!(matches!(
            ServerKey::load_or_create(dir.path()),
            Err(ServerKeyError::BadLength(_))
        ));
    }
}
