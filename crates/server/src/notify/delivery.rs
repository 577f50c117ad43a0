//! Delivery: one worker per target sends its outbox rows in commit order, at least once. A failed
//! delivery is retried with exponential backoff and jitter, holding back the events after it (so
//! events of one key arrive in order); an event undeliverable for longer than `max_age` moves to
//! the dead-letter table and the worker goes on. A worker runs under a lease on `deliver:ID`, so
//! nodes sharing the store do not deliver one target twice at a time.

use super::record::with_sequencer;
use super::targets::{TargetConfig, WebhookTarget};
use super::webhook_signature::WebhookSecret;
use crate::state::AppState;
use sluice_store::OutboxEntry;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// How often an idle worker looks at its outbox (new events also wake it at once).
const POLL: Duration = Duration::from_secs(1);
/// A worker's lease on its target, renewed every round.
const LEASE: Duration = Duration::from_secs(30);
/// First retry delay; it doubles per attempt up to [`MAX_BACKOFF`].
const FIRST_BACKOFF_MS: i64 = 1_000;
/// Longest wait between two attempts.
const MAX_BACKOFF_MS: i64 = 300_000;
/// Rows read per round.
const BATCH: usize = 64;
/// Least time between two counts of a busy target's backlog (each count reads every undelivered
/// row's index entry, so counting after every round would cost a large backlog dearly).
const COUNT_EVERY: Duration = Duration::from_secs(1);

/// Starts the supervisor: a worker for every target that has a definition or undelivered events.
pub fn spawn(state: Arc<AppState>) {
    tokio::spawn(async move {
        let mut workers: HashMap<String, tokio::task::JoinHandle<()>> = HashMap::new();
        loop {
            let mut ids: Vec<String> = match state.access.list_targets().await {
                Ok(t) => t.into_iter().map(|t| t.id).collect(),
                Err(e) => {
                    tracing::warn!(error = %e, "listing notification targets failed");
                    Vec::new()
                }
            };
            ids.extend(state.meta.outbox_targets().await.unwrap_or_default());
            workers.retain(|_, h| !h.is_finished());
            for id in ids {
                if super::feed::is_feed(&id) {
                    continue;
                }
                if let std::collections::hash_map::Entry::Vacant(slot) = workers.entry(id) {
                    let id = slot.key().clone();
                    slot.insert(tokio::spawn(worker(state.clone(), id)));
                }
            }
            tokio::time::sleep(POLL).await;
        }
    });
}

/// Delivers one target's events until the target is gone and its outbox empty.
async fn worker(state: Arc<AppState>, target: String) {
    let client = reqwest::Client::new();
    let owner = state.config.node_id.clone();
    let lease_name = format!("deliver:{target}");
    let mut last_count: Option<tokio::time::Instant> = None;
    loop {
        let wake = state.delivery_wake.notified();
        let now = state.clock.now_ms();
        let held = state
            .meta
            .try_lease_task(&lease_name, &owner, LEASE, now)
            .await
            .unwrap_or(false);
        let wait = if held {
            match round(&state, &client, &target, &mut last_count).await {
                Round::Idle => POLL,
                Round::Busy => Duration::ZERO,
                Round::RetryIn(d) => d.min(POLL),
                Round::Finished => return,
            }
        } else {
            POLL
        };
        if !wait.is_zero() {
            tokio::select! {
                _ = wake => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

enum Round {
    /// Nothing to send.
    Idle,
    /// Sent a batch: look again at once.
    Busy,
    /// The head event waits for its next attempt.
    RetryIn(Duration),
    /// The target is gone and nothing is left for it.
    Finished,
}

/// Sends the target's next events in order, stopping at the first that fails.
async fn round(
    state: &AppState,
    client: &reqwest::Client,
    target: &str,
    last_count: &mut Option<tokio::time::Instant>,
) -> Round {
    let entries = match state.meta.outbox_next(target, BATCH).await {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(target, error = %e, "reading the outbox failed");
            return Round::RetryIn(POLL);
        }
    };
    let config = match state.access.get_target(target).await {
        Ok(Some(t)) => serde_json::from_str::<TargetConfig>(&t.config).ok(),
        Ok(None) if entries.is_empty() => return Round::Finished,
        Ok(None) => None,
        Err(_) => return Round::RetryIn(POLL),
    };
    if entries.is_empty() {
        if let Some(config) = &config {
            state.notify_backlogs.counted(target, 0, config.backlog());
        }
        return Round::Idle;
    }
    // Delivered entries are removed in one store write per round (a crash before it
    // delivers them again: at least once).
    let mut delivered = Vec::new();
    let mut outcome = Round::Busy;
    for entry in entries {
        let now = state.clock.now_ms();
        if entry.next_attempt_ms > now {
            outcome = Round::RetryIn(Duration::from_millis((entry.next_attempt_ms - now) as u64));
            break;
        }
        let sent = match &config {
            Some(config) => send(client, config, &entry).await,
            None => Err("the target is not defined".to_string()),
        };
        match sent {
            Ok(()) => {
                delivered.push(entry.id);
                crate::metrics::notify_delivered(target, "delivered");
                let waited_ms = state.clock.now_ms().saturating_sub(entry.created_ms).max(0);
                crate::metrics::notify_latency(target, waited_ms as f64 / 1000.0);
            }
            Err(error) => {
                failed(state, target, &entry, &error).await;
                outcome = Round::RetryIn(POLL);
                break;
            }
        }
    }
    if let Err(e) = state.meta.outbox_delivered_all(&delivered).await {
        tracing::warn!(target, error = %e, "recording deliveries failed; they will be sent again");
    }
    let due = last_count.is_none_or(|at| at.elapsed() >= COUNT_EVERY);
    if let (Some(config), true) = (&config, due) {
        if let Ok(count) = state.meta.outbox_count(target).await {
            *last_count = Some(tokio::time::Instant::now());
            state
                .notify_backlogs
                .counted(target, count, config.backlog());
        }
    }
    outcome
}

/// Schedules the next attempt, or dead-letters the event once it is older than `max_age`.
async fn failed(state: &AppState, target: &str, entry: &OutboxEntry, error: &str) {
    let now = state.clock.now_ms();
    let max_age = i64::try_from(state.config.notify_max_age.as_millis()).unwrap_or(i64::MAX);
    // A replayed event (attempts reset to 0) gets one more attempt before its age counts again.
    if entry.attempts > 0 && now.saturating_sub(entry.created_ms) >= max_age {
        tracing::warn!(
            target,
            event = entry.id,
            error,
            "event dead-lettered after max_age"
        );
        let _ = state.meta.outbox_dead_letter(entry.id, now, error).await;
        crate::metrics::notify_delivered(target, "dead_letter");
        return;
    }
    let next = now + backoff_ms(entry.attempts);
    tracing::debug!(target, event = entry.id, error, "delivery failed; retrying");
    let _ = state.meta.outbox_retry_later(entry.id, next, error).await;
    crate::metrics::notify_delivered(target, "failed");
}

/// 1 s, 2 s, 4 s ... up to 5 min, each less up to a fifth at random.
fn backoff_ms(attempts: u32) -> i64 {
    use rand::Rng;
    let base = FIRST_BACKOFF_MS
        .saturating_mul(1i64 << attempts.min(20))
        .min(MAX_BACKOFF_MS);
    base - rand::thread_rng().gen_range(0..=base / 5)
}

/// The event's id, stable across retries and replays: the same write, bucket, target and
/// configuration give the same id.
pub fn event_id(entry: &OutboxEntry) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for part in [&entry.bucket, &entry.sequencer, &entry.target, &entry.body] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    format!("evt_{}", &hex::encode(h.finalize())[..32])
}

/// Delivers one event to a target.
async fn send(
    client: &reqwest::Client,
    config: &TargetConfig,
    entry: &OutboxEntry,
) -> Result<(), String> {
    let Some(message) = with_sequencer(&entry.body, &entry.sequencer) else {
        return Err("the stored event is not a record".into());
    };
    match config {
        TargetConfig::Webhook(w) => send_webhook(client, w, &event_id(entry), message).await,
        TargetConfig::Nats(n) => super::nats::publish(n, &event_id(entry), message).await,
    }
}

/// POSTs the message, signed per Standard Webhooks; any 2xx answer is a delivery.
async fn send_webhook(
    client: &reqwest::Client,
    w: &WebhookTarget,
    id: &str,
    message: String,
) -> Result<(), String> {
    let secret = WebhookSecret::parse(&w.secret).map_err(|e| e.to_string())?;
    let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let signature = secret.sign(id, timestamp, message.as_bytes());
    let mut req = client
        .post(&w.url)
        .timeout(Duration::from_millis(w.timeout_ms))
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature);
    for (k, v) in &w.headers {
        req = req.header(k, v);
    }
    let resp = req.body(message).send().await.map_err(|e| e.to_string())?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(format!("the webhook answered {}", resp.status()))
    }
}
