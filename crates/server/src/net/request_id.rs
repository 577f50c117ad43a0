//! Request ids: unique per request, echoed in `x-amz-request-id` and error bodies.

use rand::RngCore;

/// A new 16-character upper-case hex request id.
pub fn new_request_id() -> String {
    let mut b = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode_upper(b)
}
