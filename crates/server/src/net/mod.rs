//! HTTP plumbing: the listeners and their accept loop, TLS, request ids and limits, response
//! building, common headers and CORS.

pub mod accept;
pub mod cors;
pub mod headers;
pub mod public_url;
pub mod request_id;
pub mod request_limits;
pub mod response;
pub mod tls;
