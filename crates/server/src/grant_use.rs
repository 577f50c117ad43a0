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

/// Reserves one use of grant `id` for a URL signed by `access_key_id` (one SQL transaction, so
/// concurrent requests can never overspend). Refused: 403 AccessDenied.
pub async fn reserve(
    state: &AppState,
    id: &str,
    access_key_id: &str,
    source_ip: std::net::IpAddr,
) -> Result<UseGuard, S3Error> {
    let denied = |m: &str| S3Error::new("AccessDenied", 403, m.to_string());
    let grant = state.access.get_grant(id).await.map_err(internal)?;
    match grant {
        Some(g) if g.access_key_id == access_key_id => {}
        _ => return Err(denied("This presigned URL's grant does not exist")),
    }
    match state.access.reserve_use(id).await.map_err(internal)? {
        Reservation::Reserved => Ok(UseGuard {
            store: Arc::clone(&state.access),
            id: id.to_string(),
            source_ip: source_ip.to_canonical().to_string(),
            at_ms: state.clock.now_ms(),
            done: false,
        }),
        Reservation::Exhausted => Err(denied("This presigned URL has been used up")),
        Reservation::Revoked => Err(denied("This presigned URL has been revoked")),
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
