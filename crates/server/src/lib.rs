//! The Sluice server: the hyper service that walks every request through
//! route -> authenticate -> authorize -> handle -> store -> respond.
//!
//! Read [`service::handle_request`] top to bottom for the whole story.

pub mod admin;
pub mod auth_error;
pub mod authn;
pub mod authz;
pub mod body_batches;
pub mod body_budget;
pub mod body_in;
pub mod checksum;
pub mod clock;
pub mod condition_context;
pub mod config;
pub mod console;
pub mod cors;
pub mod grant_use;
pub mod hash_pipeline;
pub mod headers;
pub mod listener;
pub mod metered_body;
pub mod metrics;
pub mod multipart_checksum;
pub mod object_reader;
pub mod ops;
pub mod policy_cache;
pub mod post_form;
pub mod request_id;
pub mod request_limits;
pub mod response;
pub mod root_credentials;
pub mod server_key;
pub mod service;
pub mod service_api;
pub mod state;
pub mod tls;
pub mod url_constraints;

pub use clock::Clock;
pub use config::ServerConfig;
pub use listener::{start, RunningServer, StartError};
pub use root_credentials::{RootCredentials, RootSource};
