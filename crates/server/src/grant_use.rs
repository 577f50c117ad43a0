//! Using a grant (`x-sluice-grant=ID`): reserve one use before the handler runs, then count it
//! if the request succeeded or release it if not, and append it to the grant's audit trail.

use crate::state::AppState;
use sluice_s3::S3Error;
use sluice_store::{AccessStore, GrantUse, Reservation};
use std::sync::Arc;

/// A reserved use. Dropped without [`UseGuard::finish`] (the client went away mid-request),
/// the reservation is released in the background.
pub struct UseGuard {
    store: Arc<dyn AccessStore>,
    id: String,
    source_ip: String,
    at_ms: i64,
    done: bool,
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
    match state.access.reserve_use(id).await.map_err(internal)? {
        Reservation::Reserved => Ok(UseGuard {
            store: Arc::clone(&state.access),
            id: id.to_string(),
            source_ip: source_ip.to_canonical().to_string(),
            at_ms: state.clock.now_ms(),
            done: false,
        }),
        Reservation::Exhausted => Err(denied(USED_UP)),
        Reservation::Revoked => Err(denied(REVOKED)),
        Reservation::Unknown => Err(denied("This presigned URL's grant does not exist")),
    }
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

    /// Ends the use: counted when `status` is 2xx, released otherwise.
    pub async fn finish(mut self, bytes: u64, status: u16) {
        self.done = true;
        let u = self.record(bytes, status);
        if let Err(e) = self.store.finish_use(&self.id, &u).await {
            tracing::error!(error = %e, grant = self.id, "cannot record grant use");
        }
    }
}

impl Drop for UseGuard {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        // 499: the client closed the connection before an answer.
        let u = self.record(0, 499);
        let store = Arc::clone(&self.store);
        let id = std::mem::take(&mut self.id);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = store.finish_use(&id, &u).await {
                    tracing::error!(error = %e, grant = id, "cannot release grant use");
                }
            });
        }
    }
}
