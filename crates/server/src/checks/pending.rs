//! Reading an upload's bytes while its checks run, for the blocking hook.
//!
//! The pending object is not an object yet (GET, HEAD and LIST must not see it), so a SigV4
//! presigned GET of its key could not reach it. Instead the hook gets a capability URL,
//! `/_sluice/v1/checks/pending/TOKEN`: TOKEN is 32 random bytes (hex) registered in this
//! process for the pending object while its checks run, and never longer than
//! [`READ_VALIDITY_MS`]. Anyone holding the URL may read the bytes in that window; the URL goes
//! only to the profile's hook, in a signed request. Once the verdict is in (or the request
//! ends), the token is gone and the URL answers 404.

use crate::net::response::{self, ResponseBody};
use crate::request_ctx::RequestCtx;
use http::Response;
use sluice_store::ObjectMeta;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How long a pending-read URL is valid at most (its verdict usually comes sooner).
pub const READ_VALIDITY_MS: i64 = 60_000;

/// The path prefix (after `/_sluice/`) pending reads are served under.
pub const PATH_PREFIX: &str = "v1/checks/pending/";

struct Entry {
    meta: Arc<ObjectMeta>,
    expires_ms: i64,
}

/// The pending objects readable now, by token.
#[derive(Default)]
pub struct PendingReads(Arc<Mutex<HashMap<String, Entry>>>);

/// A registered pending read; dropping it ends the read's validity.
pub struct PendingRead {
    token: String,
    map: Arc<Mutex<HashMap<String, Entry>>>,
}

impl PendingRead {
    /// The token in the URL.
    pub fn token(&self) -> &str {
        &self.token
    }
}

impl Drop for PendingRead {
    fn drop(&mut self) {
        if let Ok(mut m) = self.map.lock() {
            m.remove(&self.token);
        }
    }
}

impl PendingReads {
    /// Makes `meta`'s bytes readable through a new token until `now_ms + READ_VALIDITY_MS` or
    /// until the returned guard is dropped.
    pub fn register(&self, meta: &ObjectMeta, now_ms: i64) -> PendingRead {
        use rand::RngCore;
        let mut raw = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut raw);
        let token = hex::encode(raw);
        if let Ok(mut m) = self.0.lock() {
            m.retain(|_, e| e.expires_ms > now_ms);
            m.insert(
                token.clone(),
                Entry {
                    meta: Arc::new(meta.clone()),
                    expires_ms: now_ms + READ_VALIDITY_MS,
                },
            );
        }
        PendingRead {
            token,
            map: self.0.clone(),
        }
    }

    fn get(&self, token: &str, now_ms: i64) -> Option<Arc<ObjectMeta>> {
        let m = self.0.lock().ok()?;
        m.get(token)
            .filter(|e| e.expires_ms > now_ms)
            .map(|e| e.meta.clone())
    }
}

/// `GET /_sluice/v1/checks/pending/TOKEN`: the pending object's bytes, or 404.
pub fn serve(ctx: &RequestCtx<'_>, token: &str) -> Response<ResponseBody> {
    let Some(meta) = ctx.state.pending_reads.get(token, ctx.state.clock.now_ms()) else {
        return response::json(
            404,
            &serde_json::json!({"error": {"code": "NoSuchPendingUpload",
                "message": "no pending upload for this URL (its checks are over, or it expired)"}}),
        );
    };
    let reader =
        crate::body::object_reader::ObjectReader::new(ctx.state.blobs.clone(), &meta, 0, meta.size);
    let mut r = Response::new(reader.into_body());
    *r.status_mut() = http::StatusCode::OK;
    response::set_header(&mut r, "content-length", &meta.size.to_string());
    let content_type = meta
        .headers
        .content_type
        .as_deref()
        .unwrap_or("application/octet-stream");
    response::set_header(&mut r, "content-type", content_type);
    response::set_header(&mut r, "cache-control", "no-store");
    r
}
