//! The pull feed: a built-in target, `feed`, whose events are not delivered but kept in the outbox
//! for `notify_max_age` and read by cursor (`GET /_sluice/v1/events`, `sluice events tail`). A
//! bucket's notification configuration sends events to it with the ARN
//! `arn:sluice:sqs:REGION:feed:pull`; a URL's receipt with `x-sluice-notify=feed`.

use crate::state::AppState;
use sluice_store::{OutboxEntry, StoreError};

/// The built-in target id of the pull feed.
pub const FEED_TARGET: &str = "feed";

/// The kind of the feed target, as its ARN ends.
pub const FEED_KIND: &str = "pull";

/// Feed entries removed per prune transaction.
const PRUNE_BATCH: usize = 10_000;

/// Whether `id` names the pull feed.
pub fn is_feed(id: &str) -> bool {
    id == FEED_TARGET
}

/// Up to `limit` feed entries after cursor `after`, in commit order.
pub async fn read_after(
    state: &AppState,
    after: i64,
    limit: usize,
) -> Result<Vec<OutboxEntry>, StoreError> {
    state.meta.outbox_after(FEED_TARGET, after, limit).await
}

/// Housekeeping: removes feed entries older than `notify_max_age`; returns how many.
pub async fn prune(state: &AppState) -> Result<u64, StoreError> {
    let max_age = i64::try_from(state.config.notify_max_age.as_millis()).unwrap_or(i64::MAX);
    let before = state.clock.now_ms().saturating_sub(max_age);
    let mut total = 0;
    loop {
        let n = state
            .meta
            .outbox_prune(FEED_TARGET, before, PRUNE_BATCH)
            .await?;
        total += n;
        if n < PRUNE_BATCH as u64 {
            return Ok(total);
        }
    }
}
