//! Grants: server-side records behind presigned URLs with a use limit (`x-sluice-grant`).

use async_trait::async_trait;

use crate::error::StoreError;

/// A grant: how many times the URLs carrying its id may succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRecord {
    /// Random id carried by the URL.
    pub id: String,
    /// Access key that signed the URL.
    pub access_key_id: String,
    /// Bucket of the URL.
    pub bucket: String,
    /// Key of the URL.
    pub key: String,
    /// Method of the URL.
    pub method: String,
    /// Successful uses allowed.
    pub max_uses: u64,
    /// Successful uses so far.
    pub uses: u64,
    /// Uses reserved by requests still running.
    pub in_flight: u64,
    /// Creation time (ms since the epoch).
    pub created_ms: i64,
    /// Revocation time, if revoked.
    pub revoked_ms: Option<i64>,
    /// When the grant's URLs expire (ms since the epoch); `None` for grants made before
    /// expiry was recorded (treated as created + 7 days, the longest SigV4 validity).
    pub expires_ms: Option<i64>,
}

/// Longest validity of a SigV4 presigned URL, in ms.
pub const MAX_URL_VALIDITY_MS: i64 = 7 * 24 * 3600 * 1000;

impl GrantRecord {
    /// When the grant's URLs stop working.
    pub fn expiry_ms(&self) -> i64 {
        self.expires_ms
            .unwrap_or(self.created_ms.saturating_add(MAX_URL_VALIDITY_MS))
    }
}

/// One finished use of a grant (the audit trail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantUse {
    /// When the request finished (ms since the epoch).
    pub at_ms: i64,
    /// The client's address.
    pub source_ip: String,
    /// Body bytes received.
    pub bytes: u64,
    /// HTTP status answered.
    pub status: u16,
    /// Whether the use counted (the request succeeded).
    pub counted: bool,
}

/// Which grants a list or bulk revocation applies to (all given criteria must hold).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantFilter {
    /// Signed by this access key.
    pub access_key_id: Option<String>,
    /// For this bucket.
    pub bucket: Option<String>,
    /// For keys starting with this prefix.
    pub prefix: Option<String>,
    /// Created before this time (ms since the epoch).
    pub created_before_ms: Option<i64>,
}

impl GrantFilter {
    /// Whether `g` matches.
    pub fn matches(&self, g: &GrantRecord) -> bool {
        self.access_key_id
            .as_ref()
            .is_none_or(|k| *k == g.access_key_id)
            && self.bucket.as_ref().is_none_or(|b| *b == g.bucket)
            && self
                .prefix
                .as_ref()
                .is_none_or(|p| g.key.starts_with(p.as_str()))
            && self.created_before_ms.is_none_or(|t| g.created_ms < t)
    }
}

/// The answer to a reservation attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// A use is reserved: finish it with [`GrantStore::finish_use`].
    Reserved,
    /// Every use is spent or reserved.
    Exhausted,
    /// The grant was revoked.
    Revoked,
    /// No such grant.
    Unknown,
}

/// Grant records and their use counters.
#[async_trait]
pub trait GrantStore: Send + Sync + 'static {
    /// Stores a new grant.
    async fn create_grant(&self, grant: &GrantRecord) -> Result<(), StoreError>;
    /// The grant, if it exists.
    async fn get_grant(&self, id: &str) -> Result<Option<GrantRecord>, StoreError>;
    /// Atomically reserves one use (one transaction): succeeds only while
    /// `uses + in_flight < max_uses` and the grant is not revoked.
    async fn reserve_use(&self, id: &str) -> Result<Reservation, StoreError>;
    /// Ends a reserved use: releases the reservation, counts it if `u.counted`, and appends
    /// it to the audit trail.
    async fn finish_use(&self, id: &str, u: &GrantUse) -> Result<(), StoreError>;
    /// The audit trail, oldest first.
    async fn grant_uses(&self, id: &str) -> Result<Vec<GrantUse>, StoreError>;
    /// Revokes the grant; returns false if there is no such grant.
    async fn revoke_grant(&self, id: &str, now_ms: i64) -> Result<bool, StoreError>;
    /// Grants matching `filter`, oldest first.
    async fn list_grants(&self, filter: &GrantFilter) -> Result<Vec<GrantRecord>, StoreError>;
    /// Revokes every unrevoked grant matching `filter` (one transaction); returns how many.
    async fn revoke_grants(&self, filter: &GrantFilter, now_ms: i64) -> Result<u64, StoreError>;
    /// Deletes grants (with their audit trails) whose URLs expired before `before_ms` and
    /// that no request is still using; returns how many.
    async fn delete_expired_grants(&self, before_ms: i64) -> Result<u64, StoreError>;
}
