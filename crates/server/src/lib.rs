//! The Sluice server: the hyper service that walks every request through
//! route -> authenticate -> authorize -> handle -> store -> respond.
//!
//! Read [`pipeline::handle_request`] top to bottom for the whole story.

pub mod admin;
pub mod auth;
pub mod body;
pub mod checks;
pub mod clock;
pub mod config;
pub mod console;
pub mod housekeeping;
pub mod metrics;
pub mod net;
pub mod notify;
pub mod ops;
pub mod pipeline;
pub mod post_form;
pub mod request_ctx;
pub mod service_api;
pub mod startup;
pub mod state;
pub mod tus;

pub use auth::root_credentials::{RootCredentials, RootSource};
pub use clock::Clock;
pub use config::ServerConfig;
pub use startup::{start, RunningServer, StartError};
