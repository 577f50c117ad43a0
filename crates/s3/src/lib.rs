//! The S3 protocol: routing, operations, S3 error codes and XML documents.
//!
//! This crate knows the wire format of S3 and nothing about storage or policy.

pub mod bucket_name;
pub mod cors;
pub mod endpoint;
pub mod error;
mod error_access;
mod error_cors;
mod error_notification;
mod error_post;
pub mod event_record;
pub mod query;
pub mod route;
mod route_access;
mod route_tagging;
pub mod tagging;
pub mod unsupported_headers;
pub mod xml;
pub mod xml_writer;

pub use endpoint::Endpoint;
pub use error::S3Error;
pub use query::QueryParams;
pub use route::{route, RouteInput, Routed};
