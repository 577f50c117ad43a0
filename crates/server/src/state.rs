//! The state every request handler shares.

use crate::auth::policy_cache::PolicyCache;
use crate::auth::root_credentials::RootCredentials;
use crate::auth::server_key::ServerKey;
use crate::body::body_budget::BodyBudget;
use crate::clock::Clock;
use crate::config::ServerConfig;
use sluice_sigv4::SigningKeyCache;
use sluice_store::{AccessStore, BlobStore, MetaStore};
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
    /// Users, keys, policies, bucket policies and ACLs.
    pub access: Arc<dyn AccessStore>,
    /// Seals user secret keys at rest.
    pub server_key: ServerKey,
    /// Parsed policy documents.
    pub policy_cache: PolicyCache,
    /// Cap on request-body bytes held in memory at once.
    pub body_budget: BodyBudget,
    /// Owner of the grant reservations this process makes (its node, and a fresh run id).
    pub grant_owner: sluice_store::ReservationOwner,
    /// Wakes the notification delivery workers when events are committed.
    pub delivery_wake: crate::notify::wake::DeliveryWake,
    /// Buckets' parsed notification configurations, kept a moment.
    pub notify_configs: crate::notify::config_cache::NotificationConfigCache,
    /// Each notification target's backlog as its worker last counted it, with its policy.
    pub notify_backlogs: crate::notify::backlog::Backlogs,
    /// Upload check profiles and their bucket bindings, kept a moment.
    pub checks: crate::checks::cache::ChecksCache,
    /// Uncommitted uploads a check hook may read now.
    pub pending_reads: crate::checks::pending::PendingReads,
    /// Wall-clock time at which this process took the data dir's lock: every blob last written
    /// before it was written by an earlier process.
    pub started_at: std::time::SystemTime,
    /// Turns true when the server starts to shut down: long polls answer at once instead of
    /// holding the graceful drain up.
    pub stopping: tokio::sync::watch::Receiver<bool>,
    /// The tus uploads a request is writing now (one writer per upload).
    pub tus_locks: crate::tus::upload_locks::UploadLocks,
}

impl AppState {
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
