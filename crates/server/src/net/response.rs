//! Building HTTP responses: bodies, XML documents, S3 errors.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full};
use sluice_s3::S3Error;

/// The body type of every response.
pub type ResponseBody = UnsyncBoxBody<Bytes, std::io::Error>;

/// An empty body.
pub fn empty_body() -> ResponseBody {
    Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// A body holding `bytes`.
pub fn full_body(bytes: impl Into<Bytes>) -> ResponseBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// A response with a status and no body.
pub fn empty(status: u16) -> Response<ResponseBody> {
    let mut r = Response::new(empty_body());
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    r
}

/// A 200 response carrying an XML document.
pub fn xml(doc: String) -> Response<ResponseBody> {
    let mut r = Response::new(full_body(doc));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    r
}

/// A response carrying a JSON document.
pub fn json(status: u16, value: &serde_json::Value) -> Response<ResponseBody> {
    let mut r = Response::new(full_body(value.to_string()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// A response carrying text.
pub fn text(status: u16, body: String) -> Response<ResponseBody> {
    let mut r = Response::new(full_body(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    r
}

/// The S3 error response (XML body unless the request was HEAD).
pub fn error(err: &S3Error, request_id: &str, head: bool) -> Response<ResponseBody> {
    let mut r = if head {
        empty(err.status)
    } else {
        let mut r = Response::new(full_body(err.to_xml(request_id)));
        r.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml"),
        );
        r
    };
    *r.status_mut() = StatusCode::from_u16(err.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in &err.headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            r.headers_mut().insert(*name, v);
        }
    }
    r
}

/// Sets a header when the value is a valid header value; silently skips otherwise.
pub fn set_header(r: &mut Response<ResponseBody>, name: &str, value: &str) {
    if let (Ok(n), Ok(v)) = (
        http::header::HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        r.headers_mut().insert(n, v);
    }
}
