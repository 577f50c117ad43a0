//! Identity and access: who a caller is and whether an action is allowed. Pure: no I/O.
//!
//! - [`Policy`]: IAM JSON policy documents (identity and bucket policies), parsed and
//!   validated with positions for syntax errors.
//! - [`authorize`]: AWS's evaluation logic — explicit deny wins, then any allow, else deny —
//!   over identity policies, the bucket policy and canned ACLs.
//! - [`ConditionContext`]: the condition keys of one request, filled by the server from the
//!   verified request (never from request headers).
//! - [`CannedAcl`]: `x-amz-acl` values and what they grant.

mod acl;
mod actions;
mod condition;
mod context;
mod error;
mod evaluate;
mod policy;
mod variables;
mod wildcard;

pub use acl::{bucket_acl_allows, object_acl_allows, CannedAcl};
pub use actions::{validate_action, KNOWN_ACTIONS};
pub use condition::{Condition, Operator, SetQualifier};
pub use context::{keys, ConditionContext};
pub use error::PolicyError;
pub use evaluate::{
    authorize, resource_arn, AccessRequest, Decision, Evaluation, NamedPolicy, PolicySet,
    Principal, Reason,
};
pub use policy::{
    ActionMatch, Effect, Policy, PolicyKind, PrincipalMatch, ResourceMatch, Statement,
};
pub use wildcard::wildcard_match;

#[cfg(test)]
mod tests;
