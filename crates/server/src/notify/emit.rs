//! Which events a write emits: one per matching configuration of the bucket's notification
//! configuration, plus the receipt a presigned URL asked for (`x-sluice-notify`). Built before the
//! write and committed in its transaction (`MetaStore::*_with_events`).

use super::record::{record, EventFacts, SluiceExtras};
use super::targets::id_from_arn;
use crate::auth::url_constraints::{GRANT, NOTIFY, PAYLOAD};
use crate::request_ctx::RequestCtx;
use sluice_s3::S3Error;
use sluice_store::OutboxEvent;

/// The configuration id of events a URL's receipt emits.
pub const RECEIPT_CONFIGURATION_ID: &str = "sluice-url-receipt";

/// What was written, for the event record.
#[derive(Debug, Clone, Copy)]
pub struct Written<'a> {
    /// The event, as configurations name it: `s3:ObjectCreated:Put`.
    pub event: &'a str,
    /// Bucket.
    pub bucket: &'a str,
    /// Key.
    pub key: &'a str,
    /// Size, for created objects.
    pub size: Option<u64>,
    /// ETag without quotes, for created objects.
    pub etag: Option<&'a str>,
    /// The object's checksum (algorithm, base64 value), when it has one.
    pub checksum: Option<(&'a str, &'a str)>,
    /// Why the upload was refused (`sluice:Upload:Rejected`).
    pub rejection: Option<&'a S3Error>,
}

impl<'a> Written<'a> {
    /// An object created (`s3:ObjectCreated:*`).
    pub fn object(event: &'a str, meta: &'a sluice_store::ObjectMeta) -> Written<'a> {
        let c = &meta.checksums;
        let checksum = [
            ("CRC32", &c.crc32),
            ("CRC32C", &c.crc32c),
            ("CRC64NVME", &c.crc64nvme),
            ("SHA1", &c.sha1),
            ("SHA256", &c.sha256),
        ]
        .into_iter()
        .find_map(|(alg, v)| v.as_deref().map(|v| (alg, v)));
        Written {
            event,
            bucket: &meta.bucket,
            key: &meta.key,
            size: Some(meta.size),
            etag: Some(&meta.etag),
            checksum,
            rejection: None,
        }
    }

    /// An object removed (`s3:ObjectRemoved:Delete`).
    pub fn removed(bucket: &'a str, key: &'a str) -> Written<'a> {
        Written {
            event: sluice_s3::event_record::OBJECT_REMOVED_DELETE,
            bucket,
            key,
            size: None,
            etag: None,
            checksum: None,
            rejection: None,
        }
    }
}

/// A presigned upload refused after its signature was accepted (URL constraints, size range,
/// checksum, validation, permissions, a used-up grant), or any upload refused by its checks
/// (`UploadRejected`, [`crate::checks`]): `sluice:Upload:Rejected` to the targets
/// that ask for it. Server errors (5xx) are not the uploader's doing and emit nothing. Best
/// effort: a failure to record it is logged, the refusal answered as it was.
pub async fn upload_rejected(
    ctx: &RequestCtx<'_>,
    endpoint: &sluice_s3::Endpoint,
    error: &S3Error,
) {
    use sluice_s3::Endpoint;
    let (bucket, key) = match endpoint {
        Endpoint::PutObject { bucket, key }
        | Endpoint::UploadPart { bucket, key, .. }
        | Endpoint::CompleteMultipartUpload { bucket, key, .. } => (bucket, key),
        Endpoint::CopyObject { bucket, key } if error.code == CHECKS_REJECTED => (bucket, key),
        _ => return,
    };
    rejected(ctx, bucket, key, error).await;
}

/// The code of an upload refused by its checks ([`crate::checks`]).
pub const CHECKS_REJECTED: &str = "UploadRejected";

/// `sluice:Upload:Rejected` for an upload of `bucket`/`key` refused with `error` (also called by
/// the POST form path, which has no S3 endpoint with a key). Best effort, as
/// [`upload_rejected`].
pub async fn rejected(ctx: &RequestCtx<'_>, bucket: &str, key: &str, error: &S3Error) {
    if error.status >= 500 {
        return;
    }
    let written = Written {
        event: sluice_s3::event_record::SLUICE_UPLOAD_REJECTED,
        bucket,
        key,
        size: None,
        etag: None,
        checksum: None,
        rejection: Some(error),
    };
    let events = match events_for(ctx, &written).await {
        Ok(events) => events,
        Err(e) => {
            tracing::warn!(bucket, key, error = %e.message, "rejected-upload event not built");
            return;
        }
    };
    if events.is_empty() {
        return;
    }
    match ctx.state.meta.outbox_append(bucket, &events).await {
        Ok(()) => committed(ctx, &events),
        Err(e) => tracing::warn!(bucket, key, error = %e, "rejected-upload event not recorded"),
    }
}

/// After a write committed `events`: counts them and wakes the delivery workers.
pub fn committed(ctx: &RequestCtx<'_>, events: &[OutboxEvent]) {
    if events.is_empty() {
        return;
    }
    for e in events {
        crate::metrics::notify_emitted(&e.target, 1);
    }
    ctx.state.delivery_wake.events_committed();
}

/// Who caused an event, for its record.
#[derive(Debug, Clone)]
pub struct Origin<'a> {
    /// `userIdentity.principalId`: the access key id, or `anonymous`, or `sluice` for the
    /// server's own events.
    pub principal: &'a str,
    /// `requestParameters.sourceIPAddress`.
    pub source: String,
    /// The request's id ("" for the server's own events).
    pub request_id: &'a str,
    /// A target the URL's receipt names (`x-sluice-notify`).
    pub receipt: Option<&'a str>,
    /// Sluice's additions.
    pub extras: SluiceExtras,
}

/// The events the write emits (often none).
pub async fn events_for(
    ctx: &RequestCtx<'_>,
    w: &Written<'_>,
) -> Result<Vec<OutboxEvent>, S3Error> {
    let presigned = ctx
        .caller
        .auth
        .as_ref()
        .is_some_and(|a| a.kind.is_presigned());
    let signed = |name: &str| presigned.then(|| ctx.query.get(name)).flatten();
    let access_key = ctx.caller.access_key_id();
    let origin = Origin {
        principal: access_key.unwrap_or("anonymous"),
        source: ctx.remote.ip().to_string(),
        request_id: crate::net::request_id::of(ctx.parts),
        receipt: signed(NOTIFY),
        extras: SluiceExtras {
            grant_id: signed(GRANT).map(str::to_string),
            uses_left: None,
            access_key: access_key.map(str::to_string),
            source_ip: Some(ctx.remote.ip()),
            checksum: w.checksum.map(|(alg, v)| format!("{alg}:{v}")),
            payload: signed(PAYLOAD).map(str::to_string),
            rejection: w
                .rejection
                .map(|e| (e.code.to_string(), e.message.clone(), e.status)),
        },
    };
    let events = build_events(ctx.state, w, &origin)
        .await
        .map_err(crate::ops::lookup::store_err)?;
    // A target whose backlog is over its limit with `on_backlog = "block"` refuses the write.
    if let Some(e) = events
        .iter()
        .find(|e| ctx.state.notify_backlogs.blocks(&e.target))
    {
        tracing::warn!(
            target = e.target,
            bucket = w.bucket,
            "write refused: notification backlog full"
        );
        return Err(S3Error::slow_down());
    }
    Ok(events)
}

/// The events `w` emits: one per matching configuration of the bucket's notification
/// configuration, plus the receipt's.
pub async fn build_events(
    state: &crate::state::AppState,
    w: &Written<'_>,
    origin: &Origin<'_>,
) -> Result<Vec<OutboxEvent>, sluice_store::StoreError> {
    let mut targets: Vec<(String, String)> = Vec::new(); // (target id, configuration id)
    if let Some(config) = state.notify_configs.get(&*state.access, w.bucket).await? {
        for d in config.matching(w.event, w.key) {
            if let Some(id) = id_from_arn(&state.config.region, &d.arn) {
                targets.push((id.to_string(), d.id.clone()));
            }
        }
    }
    if let Some(target) = origin.receipt {
        targets.push((target.to_string(), RECEIPT_CONFIGURATION_ID.to_string()));
    }
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let now = state.clock.now_ms();
    let facts = EventFacts {
        event_name: w.event.strip_prefix("s3:").unwrap_or(w.event),
        region: &state.config.region,
        time_ms: now,
        principal_id: origin.principal,
        source: &origin.source,
        request_id: origin.request_id,
        bucket: w.bucket,
        key: w.key,
        size: w.size,
        etag: w.etag,
        sluice: origin.extras.clone(),
    };
    Ok(targets
        .into_iter()
        .map(|(target, configuration_id)| OutboxEvent {
            target,
            bucket: w.bucket.to_string(),
            key: w.key.to_string(),
            event_name: w.event.to_string(),
            body: record(&facts, &configuration_id).to_string(),
            created_ms: now,
        })
        .collect())
}
