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
    /// Uses reserved and not yet finished (rows of the reservation table, lapsed ones
    /// included until they are reclaimed). Ignored by [`GrantStore::create_grant`].
    pub in_flight: u64,
    /// Creation time (ms since the epoch).
    pub created_ms: i64,
    /// Revocation time, if revoked.
    pub revoked_ms: Option<i64>,
    /// When the grant's URLs expire (ms since the epoch); `None` for grants made before
    /// expiry was recorded (treated as created + 7 days, the longest SigV4 validity).
    pub expires_ms: Option<i64>,
    /// The notification target the URLs' receipt names (`x-sluice-notify`), if any.
    pub notify_target: Option<String>,
    /// The receipt's client payload (`x-sluice-payload`), if any.
    pub notify_payload: Option<String>,
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

/// Who holds a reservation.
///
/// `node` names the server (stable across restarts of the same server: its host name by
/// default), `run` one start of its process (fresh random id at every start). A server that
/// starts again can therefore tell its own reservations left by an earlier run (its node, another
/// run: their requests died with that process) from those of other servers sharing the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationOwner {
    /// The server.
    pub node: String,
    /// This start of its process.
    pub run: String,
}

/// Id of one reserved use (unique for the life of the store, never reused).
pub type ReservationId = i64;

/// The answer to a reservation attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// A use is reserved: keep it alive with [`GrantStore::renew_reservation`] and end it
    /// with [`GrantStore::finish_use`].
    Reserved(ReservationId),
    /// Every use is spent or reserved.
    Exhausted,
    /// The grant was revoked.
    Revoked,
    /// No such grant.
    Unknown,
}

/// Grant records, their use counters and reservations.
///
/// A use is spent in two steps: [`reserve_use`](GrantStore::reserve_use) before the request
/// runs, [`finish_use`](GrantStore::finish_use) when it ended. A reservation is a record with an
/// owner and a deadline: until the deadline it counts against `max_uses`; after it, it is
/// *lapsed* and is reclaimed (deleted, the use released) by the next reservation of the same
/// grant, by [`reclaim_lapsed_reservations`](GrantStore::reclaim_lapsed_reservations) (the
/// housekeeping sweep) or, for an earlier run of the same node, by
/// [`reclaim_reservations_of_earlier_runs`](GrantStore::reclaim_reservations_of_earlier_runs) at
/// startup. So a process that dies mid-request holds its uses only until their deadlines.
///
/// # Contract
///
/// - Each method is one transaction, durable when it returns `Ok`; after an error other than
///   [`StoreError::Uncertain`] nothing changed. Retry safety is stated per method.
/// - **Time.** `now_ms`, `deadline_ms`, `before_ms` and the records' times come from the caller
///   (ms since the epoch); the store reads no clock. A reservation is lapsed when its deadline
///   is strictly before the `now_ms` of the call that looks.
/// - **Cascades.** Deleting a grant ([`GrantStore::delete_expired_grants`]) deletes its audit
///   trail and reservations. Grants are not deleted with their bucket, object, access key or
///   user: they stay until they expire and are swept.
/// - **Order.** [`GrantStore::list_grants`] by creation time, then id; audit trails in the
///   order uses finished.
#[async_trait]
pub trait GrantStore: Send + Sync + 'static {
    /// Stores a new grant (`in_flight` is ignored: a new grant has no reservations).
    /// Fails (a [`StoreError::Backend`] error) if a grant with that id exists, so a retry after
    /// it committed fails: use [`GrantStore::ensure_grant`] to retry.
    async fn create_grant(&self, grant: &GrantRecord) -> Result<(), StoreError>;
    /// Stores `grant` unless a grant with its id exists (then changes nothing); returns
    /// whether it was created. Idempotent, safe to retry and to race: of concurrent calls
    /// with the same id exactly one creates.
    async fn ensure_grant(&self, grant: &GrantRecord) -> Result<bool, StoreError>;
    /// The grant, if it exists, with `in_flight` counted in the same snapshot.
    async fn get_grant(&self, id: &str) -> Result<Option<GrantRecord>, StoreError>;
    /// Atomically (one transaction) reserves one use of grant `id` for `owner` until
    /// `deadline_ms`: first reclaims the grant's reservations whose deadline is before `now_ms`,
    /// then succeeds only if the grant exists, is not revoked and
    /// `uses + reservations < max_uses`. Concurrent calls can never reserve more than
    /// `max_uses - uses` in total.
    ///
    /// Not idempotent: a call that failed with an error may or may not have reserved; such a
    /// reservation is simply held until its deadline (retrying may then refuse a single-use grant
    /// until it lapses).
    async fn reserve_use(
        &self,
        id: &str,
        owner: &ReservationOwner,
        now_ms: i64,
        deadline_ms: i64,
    ) -> Result<Reservation, StoreError>;
    /// Moves the deadline of reservation `reservation` of grant `id` to `deadline_ms` (a running
    /// request keeps its use this way). Returns false if the reservation is gone (finished, or
    /// reclaimed after it lapsed). Idempotent, safe to retry.
    async fn renew_reservation(
        &self,
        id: &str,
        reservation: ReservationId,
        deadline_ms: i64,
    ) -> Result<bool, StoreError>;
    /// Ends a reserved use in one transaction: deletes the reservation, counts the use if
    /// `u.counted`, and appends `u` to the audit trail.
    ///
    /// A counted use is counted even if its reservation had lapsed and was reclaimed meanwhile
    /// (the request did succeed), so `uses` can exceed `max_uses` only when a request outlived
    /// its reservation's deadline. Not idempotent: after an error, do not retry (the reservation
    /// is released at its deadline if the call did not commit).
    async fn finish_use(
        &self,
        id: &str,
        reservation: ReservationId,
        u: &GrantUse,
    ) -> Result<(), StoreError>;
    /// Deletes every reservation whose deadline is before `now_ms` (their uses become free
    /// again); returns how many. Idempotent.
    async fn reclaim_lapsed_reservations(&self, now_ms: i64) -> Result<u64, StoreError>;
    /// Deletes the reservations of `owner.node` held by a run other than `owner.run`, at once,
    /// whatever their deadlines; returns how many. Call it only at startup, before serving,
    /// when no other process of that node can be running. Idempotent.
    async fn reclaim_reservations_of_earlier_runs(
        &self,
        owner: &ReservationOwner,
    ) -> Result<u64, StoreError>;
    /// The audit trail, oldest first (empty for an unknown grant).
    async fn grant_uses(&self, id: &str) -> Result<Vec<GrantUse>, StoreError>;
    /// Revokes the grant; returns false if there is no such grant. Idempotent: a grant already
    /// revoked keeps its first revocation time.
    async fn revoke_grant(&self, id: &str, now_ms: i64) -> Result<bool, StoreError>;
    /// Grants matching `filter`, oldest first.
    async fn list_grants(&self, filter: &GrantFilter) -> Result<Vec<GrantRecord>, StoreError>;
    /// Revokes every unrevoked grant matching `filter` (one transaction); returns how many.
    /// Idempotent (a retry revokes none).
    async fn revoke_grants(&self, filter: &GrantFilter, now_ms: i64) -> Result<u64, StoreError>;
    /// Grants whose URLs expired at or before `now_ms` without one successful use, not
    /// revoked, not share links (method `SHARE`), whose expiry is not yet recorded
    /// ([`GrantStore::record_grant_expired`]); earliest expiry first, at most `limit`. Grants
    /// that existed when the store was upgraded to this record count as recorded.
    async fn expired_unused_grants(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<GrantRecord>, StoreError>;

    /// Records that grant `id` expired unused and commits `events` in the same transaction,
    /// with the next value of the grant's bucket's event sequence (see
    /// [`crate::OutboxStore`]). Exactly once: false, writing nothing, when it is already
    /// recorded or the grant is gone. Retry-safe.
    async fn record_grant_expired(
        &self,
        id: &str,
        events: &[crate::OutboxEvent],
    ) -> Result<bool, StoreError>;

    /// Deletes grants (with their audit trails) whose URLs expired before `before_ms` and
    /// that hold no reservation (a lapsed one included: reclaim those first with
    /// [`reclaim_lapsed_reservations`](GrantStore::reclaim_lapsed_reservations)); returns how
    /// many. Idempotent.
    async fn delete_expired_grants(&self, before_ms: i64) -> Result<u64, StoreError>;
}
