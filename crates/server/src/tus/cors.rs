//! OPTIONS on `/_sluice/tus/...` (tus discovery, and the CORS preflight of a browser) and the CORS
//! headers of every tus answer.
//!
//! tus URLs are bearer capabilities (a presigned creation URL, an upload's token URL): a page on
//! any origin holding one may use it, and no cookie or ambient credential is ever honoured, so the
//! answers allow any origin (`*`, without credentials), as tusd does. The tus headers are allowed
//! and exposed, so tus-js-client and Uppy read `Location`, `Upload-Offset` and the rest.

use super::protocol;
use crate::net::headers::header;
use crate::net::response::{self, set_header, ResponseBody};
use http::request::Parts;
use http::Response;

/// Methods a tus client uses.
const METHODS: &str = "POST, HEAD, PATCH, DELETE, OPTIONS";
/// Request headers a tus client sends.
const ALLOW_HEADERS: &str = "Authorization, Origin, X-Requested-With, X-Request-ID, \
    X-HTTP-Method-Override, Content-Type, Upload-Length, Upload-Offset, Tus-Resumable, \
    Upload-Metadata, Upload-Defer-Length, Upload-Concat, Upload-Checksum";
/// Response headers a tus client reads.
const EXPOSE_HEADERS: &str = "Location, Upload-Offset, Upload-Length, Upload-Metadata, \
    Upload-Defer-Length, Upload-Expires, Tus-Resumable, Tus-Version, Tus-Extension, \
    Tus-Max-Size, Tus-Checksum-Algorithm, ETag, x-amz-request-id";

/// `OPTIONS`: the tus discovery headers (204), plus the preflight answer when the request is one.
pub fn options(parts: &Parts) -> Response<ResponseBody> {
    let mut resp = response::empty(204);
    protocol::set_discovery(&mut resp);
    if header(parts, "origin").is_some() {
        set_header(&mut resp, "access-control-allow-methods", METHODS);
        let requested = header(parts, "access-control-request-headers")
            .filter(|h| !h.trim().is_empty())
            .unwrap_or(ALLOW_HEADERS);
        set_header(&mut resp, "access-control-allow-headers", requested);
        set_header(&mut resp, "access-control-max-age", "86400");
    }
    add_headers(parts, &mut resp);
    resp
}

/// The CORS headers of a tus answer (errors included) to a request with an `Origin`.
pub fn add_headers(parts: &Parts, resp: &mut Response<ResponseBody>) {
    if header(parts, "origin").is_none() {
        return;
    }
    set_header(resp, "access-control-allow-origin", "*");
    set_header(resp, "access-control-expose-headers", EXPOSE_HEADERS);
    set_header(resp, "vary", "Origin");
}
