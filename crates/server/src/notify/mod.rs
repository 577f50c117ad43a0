//! Upload notifications. A write's events are built before it ([`emit`]), committed in the same
//! metadata transaction as the object (the store's outbox), then delivered at least once, in
//! commit order per target, by [`delivery`]: an acknowledged write always gets its event and a
//! rolled-back one never does.
//!
//! - [`record`]: AWS's S3 event record JSON, with Sluice's additions.
//! - [`targets`]: webhook and NATS targets, their ARNs.
//! - [`feed`]: the built-in pull feed, read by cursor instead of delivered.
//! - [`webhook_signature`]: Standard Webhooks signing.

pub mod backlog;
pub mod config_cache;
pub mod delivery;
pub mod emit;
pub mod feed;
pub mod nats;
pub mod record;
pub mod targets;
pub mod wake;
pub mod webhook_signature;
