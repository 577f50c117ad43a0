//! Request ids: unique per request, echoed in `x-amz-request-id` and error bodies.

use rand::RngCore;

/// A new 16-character upper-case hex request id.
pub fn new_request_id() -> String {
    let mut b = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode_upper(b)
}

/// The request's id, kept in the request's extensions for handlers that record it (event records).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The id of the request `parts` belong to ("" outside the S3 pipeline).
pub fn of(parts: &http::request::Parts) -> &str {
    parts
        .extensions
        .get::<RequestId>()
        .map_or("", |r| r.0.as_str())
}
