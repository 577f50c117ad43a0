//! Admin: the notification dead-letter table — list, replay (back to the outbox, in order),
//! purge; and each target's backlog.

use super::{iso, store_error};
use crate::net::response::{self, ResponseBody};
use crate::request_ctx::RequestCtx;
use http::Response;
use serde_json::{json, Value};
use sluice_s3::S3Error;

/// Most dead letters one list answers.
const MAX_LIST: usize = 1000;

/// `GET events/dead?target=ID`: dead letters, oldest first.
pub async fn list_dead(ctx: &RequestCtx<'_>) -> Result<Response<ResponseBody>, S3Error> {
    let target = ctx.query.get("target");
    let dead = ctx
        .state
        .meta
        .dead_letters(target, MAX_LIST)
        .await
        .map_err(|e| store_error(e, ""))?;
    let items: Vec<Value> = dead
        .iter()
        .map(|d| {
            json!({
                "id": d.entry.id,
                "target": d.entry.target,
                "bucket": d.entry.bucket,
                "key": d.entry.key,
                "event_name": d.entry.event_name,
                "sequencer": d.entry.sequencer,
                "attempts": d.entry.attempts,
                "error": d.entry.last_error,
                "created": iso(d.entry.created_ms),
                "dead": iso(d.dead_ms),
            })
        })
        .collect();
    Ok(response::json(200, &json!({ "dead": items })))
}

/// `POST events/dead/replay?target=ID`: dead letters back to the outbox.
pub async fn replay_dead(ctx: &RequestCtx<'_>) -> Result<Response<ResponseBody>, S3Error> {
    let target = ctx.query.get("target");
    let n = ctx
        .state
        .meta
        .replay_dead_letters(target, ctx.state.clock.now_ms())
        .await
        .map_err(|e| store_error(e, ""))?;
    tracing::info!(target: "sluice::audit", replayed = n, target_id = target, "dead letters replayed");
    ctx.state.delivery_wake.events_committed();
    Ok(response::json(200, &json!({ "replayed": n })))
}

/// `DELETE events/dead?target=ID`: dead letters dropped for good.
pub async fn purge_dead(ctx: &RequestCtx<'_>) -> Result<Response<ResponseBody>, S3Error> {
    let target = ctx.query.get("target");
    let n = ctx
        .state
        .meta
        .purge_dead_letters(target)
        .await
        .map_err(|e| store_error(e, ""))?;
    tracing::info!(target: "sluice::audit", purged = n, target_id = target, "dead letters purged");
    Ok(response::json(200, &json!({ "purged": n })))
}

/// `GET events/backlog`: undelivered events and the age of the oldest, per target.
pub async fn backlog(ctx: &RequestCtx<'_>) -> Result<Response<ResponseBody>, S3Error> {
    let meta = &ctx.state.meta;
    let mut ids = meta
        .outbox_targets()
        .await
        .map_err(|e| store_error(e, ""))?;
    for t in ctx
        .state
        .access
        .list_targets()
        .await
        .map_err(|e| store_error(e, ""))?
    {
        if !ids.contains(&t.id) {
            ids.push(t.id);
        }
    }
    ids.retain(|t| !crate::notify::feed::is_feed(t));
    ids.sort();
    let now = ctx.state.clock.now_ms();
    let mut items = Vec::new();
    for id in ids {
        let (count, oldest) = meta
            .outbox_backlog(&id)
            .await
            .map_err(|e| store_error(e, &id))?;
        items.push(json!({
            "target": id,
            "undelivered": count,
            "oldest_age_seconds": oldest.map(|ms| (now - ms).max(0) / 1000),
        }));
    }
    Ok(response::json(200, &json!({ "targets": items })))
}
