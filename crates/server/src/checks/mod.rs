//! Verified commit: an upload is checked after its bytes are stored and hashed and before its
//! metadata is committed, so a refused upload never becomes visible.
//!
//! - `profile.rs`: the profile document (`sniff`, `image`, `hook` sections) and its validation.
//! - `sniff.rs`: content sniffing (`infer`) and the allow-list / `match_declared` rules.
//! - `image.rs`: image dimensions from the header (`imagesize`).
//! - `hook.rs`: the blocking HTTP hook, signed with Standard Webhooks headers.
//! - `pending.rs`: the capability URL through which a hook reads the uncommitted bytes.
//! - `configured.rs`: the configuration file's `[[checks.profiles]]`, written at startup.
//! - `cache.rs`: profiles and bucket bindings, read from the store and kept 2 s.
//! - `run.rs`: [`run::verify`], the one function every upload path calls, and
//!   [`run::refuse_early`] for what can be refused before the body.
//!
//! See `docs/verified-uploads.md`.

pub mod cache;
pub mod configured;
pub mod hook;
pub mod image;
pub mod pending;
pub mod profile;
pub mod run;
pub mod sniff;
