//! The pull feed of event notifications: `GET /_sluice/v1/events?after=CURSOR&wait=SECONDS`.
//!
//! Answers `{"events": [record, ...], "cursor": "..."}` where each record is an S3 event record
//! (as in a delivered message's `Records`) of the built-in `feed` target, in commit order, and
//! `cursor` is what to pass as `after` next. A caller sees the events of objects it may
//! `s3:GetObject`; the cursor moves past the others too. With `wait`, an empty answer waits
//! up to that many seconds for a new event (long poll).

use super::json_error::ApiError;
use crate::net::response::{self, ResponseBody};
use crate::notify::feed;
use crate::notify::record::record_with_sequencer;
use crate::request_ctx::RequestCtx;
use http::Response;
use serde_json::{json, Value};
use std::time::Duration;

/// Longest long poll, seconds.
pub const MAX_WAIT_SECS: u64 = 60;
/// Events per answer unless `limit` says otherwise.
pub const DEFAULT_LIMIT: usize = 100;
/// Most events per answer.
pub const MAX_LIMIT: usize = 1000;
/// Entries read per store call while filtering.
const SCAN: usize = 256;

/// What the query asks for.
struct FeedQuery<'a> {
    /// Entries after this id (`None`: `after=now`, resolved once).
    after: Option<i64>,
    wait: Duration,
    limit: usize,
    bucket: Option<&'a str>,
}

fn parse<'a>(ctx: &RequestCtx<'a>) -> Result<FeedQuery<'a>, ApiError> {
    let q = ctx.query;
    let after = match q.get("after") {
        None | Some("") => Some(0),
        Some("now") => None,
        Some(v) => Some(v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            ApiError::bad_field("after", "a cursor from an earlier answer, or `now`")
        })?),
    };
    let wait = match q.get("wait") {
        None | Some("") => 0,
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|n| *n <= MAX_WAIT_SECS)
            .ok_or_else(|| {
                ApiError::bad_field("wait", format!("seconds from 0 to {MAX_WAIT_SECS}"))
            })?,
    };
    let limit = match q.get("limit") {
        None | Some("") => DEFAULT_LIMIT,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| ApiError::bad_field("limit", format!("from 1 to {MAX_LIMIT}")))?,
    };
    let bucket = q.get("bucket").filter(|b| !b.is_empty());
    Ok(FeedQuery {
        after,
        wait: Duration::from_secs(wait),
        limit,
        bucket,
    })
}

fn internal(e: sluice_store::StoreError) -> ApiError {
    tracing::error!(error = %e, "reading the events feed failed");
    ApiError::from(sluice_s3::S3Error::internal_error())
}

/// `GET /_sluice/v1/events`.
pub async fn list(ctx: &RequestCtx<'_>) -> Result<Response<ResponseBody>, ApiError> {
    if ctx.caller.auth.is_none() {
        return Err(ApiError::forbidden(
            "the events feed needs a signed request",
        ));
    }
    let q = parse(ctx)?;
    let mut cursor = match q.after {
        Some(n) => n,
        None => ctx.state.meta.outbox_last_id().await.map_err(internal)?,
    };
    let deadline = tokio::time::Instant::now() + q.wait;
    let mut stopping = ctx.state.stopping.clone();
    let mut stopped = *stopping.borrow();
    loop {
        // Registered before the read, so an event committed after it wakes this poll.
        let wake = ctx.state.delivery_wake.notified();
        let (events, scanned_to) = visible_after(ctx, &q, cursor).await?;
        cursor = scanned_to;
        let now = tokio::time::Instant::now();
        if !events.is_empty() || now >= deadline || stopped {
            return Ok(response::json(
                200,
                &json!({ "events": events, "cursor": cursor.to_string() }),
            ));
        }
        tokio::select! {
            _ = wake => {}
            _ = tokio::time::sleep_until(deadline) => {}
            // A shutdown answers what there is (the drain would otherwise wait for the deadline);
            // so does a server whose shutdown handle is gone.
            changed = stopping.changed() => {
                stopped = changed.is_err() || *stopping.borrow();
            }
        }
    }
}

/// Up to `q.limit` records after `after` that the caller may see, and the id scanned up to.
async fn visible_after(
    ctx: &RequestCtx<'_>,
    q: &FeedQuery<'_>,
    after: i64,
) -> Result<(Vec<Value>, i64), ApiError> {
    let mut out = Vec::new();
    let mut cursor = after;
    loop {
        let entries = feed::read_after(ctx.state, cursor, SCAN)
            .await
            .map_err(internal)?;
        let done = entries.len() < SCAN;
        for e in entries {
            if q.bucket.is_some_and(|b| b != e.bucket) {
                cursor = e.id;
                continue;
            }
            let allowed =
                crate::auth::authz::is_allowed(ctx, "s3:GetObject", &e.bucket, &e.key).await?;
            if allowed {
                if let Some(record) = record_with_sequencer(&e.body, &e.sequencer) {
                    out.push(record);
                }
            }
            cursor = e.id;
            if out.len() >= q.limit {
                return Ok((out, cursor));
            }
        }
        if done {
            return Ok((out, cursor));
        }
    }
}
