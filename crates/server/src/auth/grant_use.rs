//! Using a grant (`x-sluice-grant=ID`): reserve one use before the handler runs, then count it
//! if the request succeeded or release it if not, and append it to the grant's audit trail.
//!
//! # Reservations cannot leak
//!
//! A reservation is a row owned by this process ([`AppState::grant_owner`]: the node id and a
//! random id of this run) with a deadline of now + [`reservation_lease`]. While the request
//! runs, its [`UseGuard`] renews the deadline every quarter lease, so a live request keeps its
//! use however long its body streams (a body still streaming when the URL expires completes,
//! and a large upload can take hours: no fixed deadline could cover it). When the process dies
//! mid-request nobody renews it, and the use is released
//! - at once when the same node starts again (its earlier run's reservations are reclaimed
//!   at startup, before serving), or
//! - at the latest one lease after the last renewal: by the next reservation of that grant, or by
//!   the hourly housekeeping, which then also deletes expired grants that were only kept by it.
//!
//! The lease is `max(10 minutes, 2 x body_idle_timeout)` (the 10 minutes are
//! `ServerConfig::grant_reservation_lease`): long enough that a late renewal
//! (store busy, runtime starved) does not lose a live request's use, and longer than the idle
//! timeout so that a stalled body is failed by it, and its use released normally, before its
//! reservation could lapse.

use crate::state::AppState;
use sluice_s3::S3Error;
use sluice_store::{AccessStore, GrantUse, Reservation, ReservationId, ReservationOwner};
use std::sync::Arc;
use std::time::Duration;

/// How long a reservation holds its use without renewal (see the module docs): the larger of
/// `grant_reservation_lease` (10 minutes by default) and twice the body idle timeout.
pub fn reservation_lease(state: &AppState) -> Duration {
    state
        .config
        .grant_reservation_lease
        .max(state.config.body_idle_timeout.saturating_mul(2))
        .max(Duration::from_millis(100))
}

/// The owner of this process's reservations: `node` and a fresh random run id.
pub fn new_owner(node: &str) -> ReservationOwner {
    use rand::RngCore;
    let mut raw = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut raw);
    ReservationOwner {
        node: node.to_string(),
        run: format!("{}-{}", std::process::id(), hex::encode(raw)),
    }
}

fn lease_ms(lease: Duration) -> i64 {
    i64::try_from(lease.as_millis()).unwrap_or(i64::MAX)
}

/// A reserved use. Dropped without [`UseGuard::finish`] (the client went away mid-request),
/// the reservation is released in the background. While it lives, a task renews the
/// reservation's deadline.
pub struct UseGuard {
    store: Arc<dyn AccessStore>,
    id: String,
    reservation: ReservationId,
    source_ip: String,
    at_ms: i64,
    done: bool,
    renewer: Option<tokio::task::JoinHandle<()>>,
}

fn internal(e: sluice_store::StoreError) -> S3Error {
    tracing::error!(error = %e, "grant store failed");
    S3Error::internal_error()
}

fn denied(message: &str) -> S3Error {
    S3Error::new("AccessDenied", 403, message.to_string())
}

/// Message of the refusal of a revoked grant's URL.
pub const REVOKED: &str = "This presigned URL has been revoked";
/// Message of the refusal of a grant whose uses are spent.
pub const USED_UP: &str = "This presigned URL has been used up";

/// Admits a request carrying grant `id`, signed by `access_key_id`.
///
/// Most requests reserve one use ([`UseGuard`]). The grant of a presigned multipart bundle
/// (method `MULTIPART`) is spent by CompleteMultipartUpload only: its part, list and abort
/// requests (`spends_bundle_use` false) just check that the grant is alive, and get `None`.
pub async fn admit(
    state: &AppState,
    id: &str,
    access_key_id: &str,
    source_ip: std::net::IpAddr,
    spends_bundle_use: bool,
) -> Result<Option<UseGuard>, S3Error> {
    let grant = state.access.get_grant(id).await.map_err(internal)?;
    let grant = match grant {
        Some(g) if g.access_key_id == access_key_id => g,
        _ => return Err(denied("This presigned URL's grant does not exist")),
    };
    if grant.method == crate::service_api::presign::MULTIPART_GRANT_METHOD && !spends_bundle_use {
        if grant.revoked_ms.is_some() {
            return Err(denied(REVOKED));
        }
        if grant.uses >= grant.max_uses {
            return Err(denied(USED_UP));
        }
        return Ok(None);
    }
    reserve(state, id, source_ip).await.map(Some)
}

/// Admits a retried CompleteMultipartUpload of an upload that already completed through grant `id`:
/// the use was spent by the completion that succeeded, so a used-up grant is still let through
/// (the handler answers as the first completion did, and creates nothing). A revoked grant is not.
pub async fn admit_completion_retry(
    state: &AppState,
    id: &str,
    access_key_id: &str,
) -> Result<(), S3Error> {
    match state.access.get_grant(id).await.map_err(internal)? {
        Some(g) if g.access_key_id == access_key_id => {
            if g.revoked_ms.is_some() {
                Err(denied(REVOKED))
            } else {
                Ok(())
            }
        }
        _ => Err(denied("This presigned URL's grant does not exist")),
    }
}

/// Reserves one use of grant `id` (one SQL transaction, so concurrent requests can never
/// overspend). Refused: 403 AccessDenied.
async fn reserve(
    state: &AppState,
    id: &str,
    source_ip: std::net::IpAddr,
) -> Result<UseGuard, S3Error> {
    match try_reserve(state, id, source_ip).await.map_err(internal)? {
        Ok(guard) => Ok(guard),
        Err(Reservation::Revoked) => Err(denied(REVOKED)),
        Err(Reservation::Unknown) => Err(denied("This presigned URL's grant does not exist")),
        Err(_) => Err(denied(USED_UP)),
    }
}

/// Reserves one use of grant `id` for this process until now + [`reservation_lease`], renewed
/// while the returned guard lives. `Err(refusal)` when refused (never `Reserved`).
pub async fn try_reserve(
    state: &AppState,
    id: &str,
    source_ip: std::net::IpAddr,
) -> Result<Result<UseGuard, Reservation>, sluice_store::StoreError> {
    let lease = reservation_lease(state);
    let now = state.clock.now_ms();
    let answer = state
        .access
        .reserve_use(
            id,
            &state.grant_owner,
            now,
            now.saturating_add(lease_ms(lease)),
        )
        .await?;
    let Reservation::Reserved(reservation) = answer else {
        return Ok(Err(answer));
    };
    let renewer = {
        let store = Arc::clone(&state.access);
        let clock = state.clock.clone();
        let id = id.to_string();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(lease / 4);
            every.tick().await;
            loop {
                every.tick().await;
                let deadline = clock.now_ms().saturating_add(lease_ms(lease));
                match store.renew_reservation(&id, reservation, deadline).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(
                            grant = id,
                            "grant reservation lapsed before its request ended"
                        );
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, grant = id, "cannot renew grant reservation")
                    }
                }
            }
        })
    };
    Ok(Ok(UseGuard {
        store: Arc::clone(&state.access),
        id: id.to_string(),
        reservation,
        source_ip: source_ip.to_canonical().to_string(),
        at_ms: now,
        done: false,
        renewer: Some(renewer),
    }))
}

impl UseGuard {
    fn record(&self, bytes: u64, status: u16) -> GrantUse {
        GrantUse {
            at_ms: self.at_ms,
            source_ip: self.source_ip.clone(),
            bytes,
            status,
            counted: (200..300).contains(&status),
        }
    }

    fn stop_renewing(&mut self) {
        if let Some(r) = self.renewer.take() {
            r.abort();
        }
    }

    /// Ends the use: counted when `status` is 2xx, released otherwise. If the store fails, the
    /// reservation is not retried: it lapses at its deadline.
    pub async fn finish(mut self, bytes: u64, status: u16) {
        self.done = true;
        self.stop_renewing();
        let u = self.record(bytes, status);
        if let Err(e) = self.store.finish_use(&self.id, self.reservation, &u).await {
            tracing::error!(error = %e, grant = self.id, "cannot record grant use");
        }
    }
}

impl Drop for UseGuard {
    fn drop(&mut self) {
        self.stop_renewing();
        if self.done {
            return;
        }
        // 499: the client closed the connection before an answer.
        let u = self.record(0, 499);
        let store = Arc::clone(&self.store);
        let id = std::mem::take(&mut self.id);
        let reservation = self.reservation;
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = store.finish_use(&id, reservation, &u).await {
                    tracing::error!(error = %e, grant = id, "cannot release grant use");
                }
            });
        }
    }
}
