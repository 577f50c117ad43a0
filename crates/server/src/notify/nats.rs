//! Delivery to NATS: a JetStream publish acknowledged by the stream when one captures the
//! subject (deduplicated by `Nats-Msg-Id`, the event id), a core NATS publish flushed to the
//! server otherwise (the server is asked which, and the answer kept for 30 s).

use super::targets::NatsTarget;
use async_nats::jetstream::context::GetStreamByNameErrorKind;
use async_nats::{Client, HeaderMap};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Time allowed for connecting and for a publish to be acknowledged.
const TIMEOUT: Duration = Duration::from_secs(10);

/// One connection per server URL, shared by the workers (the client reconnects by itself).
fn connections() -> &'static Mutex<HashMap<String, Client>> {
    static CONNECTIONS: OnceLock<Mutex<HashMap<String, Client>>> = OnceLock::new();
    CONNECTIONS.get_or_init(Default::default)
}

async fn client(url: &str) -> Result<Client, String> {
    if let Some(c) = connections().lock().ok().and_then(|m| m.get(url).cloned()) {
        return Ok(c);
    }
    let options = async_nats::ConnectOptions::new()
        .connection_timeout(TIMEOUT)
        .request_timeout(Some(TIMEOUT))
        .retry_on_initial_connect();
    let c = tokio::time::timeout(TIMEOUT, options.connect(url))
        .await
        .map_err(|_| format!("connecting to {url} timed out"))?
        .map_err(|e| format!("connecting to {url}: {e}"))?;
    if let Ok(mut m) = connections().lock() {
        m.insert(url.to_string(), c.clone());
    }
    Ok(c)
}

/// (server URL, subject) -> (captured by a stream, when asked).
type StreamAnswers = HashMap<(String, String), (bool, Instant)>;

/// How long the answer to "does a stream capture this subject" is kept.
const STREAM_CHECK_TTL: Duration = Duration::from_secs(30);

/// Whether a JetStream stream captures `subject` (asked of the server, remembered a while).
async fn captured_by_stream(client: &Client, url: &str, subject: &str) -> Result<bool, String> {
    static SEEN: OnceLock<Mutex<StreamAnswers>> = OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    let key = (url.to_string(), subject.to_string());
    if let Some((captured, at)) = seen.lock().ok().and_then(|m| m.get(&key).copied()) {
        if at.elapsed() < STREAM_CHECK_TTL {
            return Ok(captured);
        }
    }
    let js = async_nats::jetstream::new(client.clone());
    let captured = match tokio::time::timeout(TIMEOUT, js.stream_by_subject(subject)).await {
        Ok(Ok(_stream)) => true,
        Ok(Err(e)) if e.kind() == GetStreamByNameErrorKind::NotFound => false,
        // A server without JetStream answers no one: core NATS.
        Ok(Err(e)) if e.kind() == GetStreamByNameErrorKind::Request => false,
        Ok(Err(e)) => return Err(format!("asking for the subject's stream: {e}")),
        Err(_) => return Err("asking for the subject's stream timed out".into()),
    };
    if let Ok(mut m) = seen.lock() {
        m.insert(key, (captured, Instant::now()));
    }
    Ok(captured)
}

/// Publishes one message on the target's subject.
pub async fn publish(target: &NatsTarget, id: &str, message: String) -> Result<(), String> {
    let client = client(&target.url).await?;
    let mut headers = HeaderMap::new();
    headers.insert(async_nats::header::NATS_MESSAGE_ID, id);
    headers.insert("Content-Type", "application/json");
    let subject = target.subject.clone();
    if captured_by_stream(&client, &target.url, &subject).await? {
        let js = async_nats::jetstream::new(client);
        let acked = async {
            js.publish_with_headers(subject, headers, message.into())
                .await?
                .await
        };
        return match tokio::time::timeout(TIMEOUT, acked).await {
            Ok(Ok(_ack)) => Ok(()),
            Ok(Err(e)) => Err(format!("JetStream publish: {e}")),
            Err(_) => Err("the JetStream publish was not acknowledged in time".into()),
        };
    }
    // Core NATS: published and flushed, so the server has it.
    client
        .publish_with_headers(subject, headers, message.into())
        .await
        .map_err(|e| format!("publishing: {e}"))?;
    tokio::time::timeout(TIMEOUT, client.flush())
        .await
        .map_err(|_| "flushing to the NATS server timed out".to_string())?
        .map_err(|e| format!("flushing: {e}"))
}
