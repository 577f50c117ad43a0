//! `sluice:Grant:ExpiredUnused`: a grant whose URLs expired without one successful use (an upload
//! the app waited for never came) is reported, once, to the targets its bucket's notification
//! configuration names for that event, and to its URLs' receipt target (with their payload).

use crate::notify::emit::{build_events, Origin, Written};
use crate::notify::record::SluiceExtras;
use crate::state::AppState;
use sluice_store::StoreError;

/// Grants looked at per store call.
const BATCH: usize = 100;

/// Records the expiry of every grant that expired unused, with its events; returns how many.
pub async fn sweep(state: &AppState) -> Result<u64, StoreError> {
    let mut recorded = 0;
    loop {
        let grants = state
            .access
            .expired_unused_grants(state.clock.now_ms(), BATCH)
            .await?;
        if grants.is_empty() {
            return Ok(recorded);
        }
        for g in grants {
            let written = Written {
                event: sluice_s3::event_record::SLUICE_GRANT_EXPIRED_UNUSED,
                bucket: &g.bucket,
                key: &g.key,
                size: None,
                etag: None,
                checksum: None,
                rejection: None,
            };
            let origin = Origin {
                principal: "sluice",
                source: "sluice".to_string(),
                request_id: "",
                receipt: g.notify_target.as_deref(),
                extras: SluiceExtras {
                    grant_id: Some(g.id.clone()),
                    uses_left: Some(g.max_uses),
                    access_key: Some(g.access_key_id.clone()),
                    payload: g.notify_payload.clone(),
                    ..Default::default()
                },
            };
            let events = build_events(state, &written, &origin).await?;
            if state.access.record_grant_expired(&g.id, &events).await? {
                recorded += 1;
                if !events.is_empty() {
                    for e in &events {
                        crate::metrics::notify_emitted(&e.target, 1);
                    }
                    state.delivery_wake.events_committed();
                }
            }
        }
    }
}
