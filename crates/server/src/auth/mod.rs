//! Who is calling and what they may do: signatures (through `sluice-sigv4`), policies and ACLs, the
//! server's own keys, presigned-URL constraints and the grant uses they spend.

pub mod auth_error;
pub mod authn;
pub mod authz;
pub mod condition_context;
pub mod grant_expiry;
pub mod grant_use;
pub mod mismatch_reason;
pub mod policy_cache;
pub mod public_hosts;
pub mod root_credentials;
pub mod server_key;
pub mod url_constraints;
