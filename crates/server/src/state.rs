//! The state every request handler shares.

use crate::clock::Clock;
use crate::config::ServerConfig;
use crate::root_credentials::RootCredentials;
use sluice_sigv4::SigningKeyCache;
use sluice_store::{BlobStore, MetaStore};
use std::sync::Arc;

/// Shared server state (cheap to clone through an `Arc`).
pub struct AppState {
    /// Effective configuration.
    pub config: ServerConfig,
    /// Metadata store.
    pub meta: Arc<dyn MetaStore>,
    /// Blob store.
    pub blobs: Arc<dyn BlobStore>,
    /// The server clock.
    pub clock: Clock,
    /// Cache of derived SigV4 signing keys.
    pub key_cache: SigningKeyCache,
    /// Root credentials.
    pub root: RootCredentials,
}

impl AppState {
    /// The secret for an access key id, if the key is known and enabled.
    pub fn secret_for(&self, access_key_id: &str) -> Option<&str> {
        (access_key_id == self.root.access_key_id).then_some(self.root.secret_access_key.as_str())
    }

    /// Canonical owner id and display name used in XML answers.
    pub fn owner(&self) -> (String, String) {
        (
            hex::encode(sha256_of(self.root.access_key_id.as_bytes())),
            "sluice-root".to_string(),
        )
    }
}

fn sha256_of(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}
