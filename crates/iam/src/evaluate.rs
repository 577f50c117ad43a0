//! The decision: explicit deny wins, then any allow, else deny (AWS's evaluation logic).

use crate::context::ConditionContext;
use crate::policy::{ActionMatch, Effect, Policy, ResourceMatch, Statement};
use crate::variables::resource_matches;
use crate::wildcard::wildcard_match;

/// Who is making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No credentials were given.
    Anonymous,
    /// The root account (all permissions, never judged by policies).
    Root {
        /// The access key the request was signed with.
        access_key_id: String,
    },
    /// A user created through the admin API.
    User {
        /// User name.
        name: String,
        /// The access key the request was signed with.
        access_key_id: String,
    },
}

impl Principal {
    /// The name used in audit lines: `root`, `anonymous` or the user name.
    pub fn display_name(&self) -> &str {
        match self {
            Principal::Anonymous => "anonymous",
            Principal::Root { .. } => "root",
            Principal::User { name, .. } => name,
        }
    }
}

/// What is being asked.
#[derive(Debug, Clone, Copy)]
pub struct AccessRequest<'a> {
    /// Who asks.
    pub principal: &'a Principal,
    /// IAM action, e.g. `s3:PutObject`.
    pub action: &'a str,
    /// Resource ARN, see [`resource_arn`].
    pub resource: &'a str,
    /// Condition keys of the request.
    pub context: &'a ConditionContext,
}

/// A policy with the name it is reported under.
#[derive(Debug, Clone, Copy)]
pub struct NamedPolicy<'a> {
    /// Policy name (`bucket policy` for a bucket's own).
    pub name: &'a str,
    /// The document.
    pub policy: &'a Policy,
}

/// Everything that may allow or deny a request.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicySet<'a> {
    /// Policies attached to the calling user.
    pub identity: &'a [NamedPolicy<'a>],
    /// The bucket's policy (its statements name principals).
    pub bucket: Option<&'a Policy>,
    /// Whether a canned ACL grants the request (an allow, still subject to explicit denies).
    pub acl_allows: bool,
}

/// The outcome of an authorization decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The request may proceed.
    Allow,
    /// Nothing allows it, or something denies it explicitly.
    Deny,
}

/// Why the decision was made (for the audit log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The root account is always allowed.
    Root,
    /// A statement allowed it.
    Allowed {
        /// Policy name.
        policy: String,
        /// Statement id (or `#index`).
        statement: String,
    },
    /// A canned ACL allowed it.
    Acl,
    /// A statement denied it.
    ExplicitDeny {
        /// Policy name.
        policy: String,
        /// Statement id (or `#index`).
        statement: String,
    },
    /// No statement allowed it.
    NoAllow,
}

/// Decision plus reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// Allow or deny.
    pub decision: Decision,
    /// Why.
    pub reason: Reason,
}

/// The ARN of a bucket (`arn:aws:s3:::bucket`), an object (`arn:aws:s3:::bucket/key`) or,
/// with neither, all of S3 (`arn:aws:s3:::*`).
pub fn resource_arn(bucket: Option<&str>, key: Option<&str>) -> String {
    match (bucket, key) {
        (Some(b), Some(k)) => format!("arn:aws:s3:::{b}/{k}"),
        (Some(b), None) => format!("arn:aws:s3:::{b}"),
        _ => "arn:aws:s3:::*".to_string(),
    }
}

/// Decides a request: root is always allowed; otherwise an explicit deny in any applicable
/// statement wins, then any allow (identity policy, bucket policy or ACL), else deny.
pub fn authorize(req: &AccessRequest<'_>, policies: &PolicySet<'_>) -> Evaluation {
    if matches!(req.principal, Principal::Root { .. }) {
        return Evaluation {
            decision: Decision::Allow,
            reason: Reason::Root,
        };
    }
    let action = req.action.to_ascii_lowercase();
    let identity_docs = match req.principal {
        Principal::User { .. } => policies.identity,
        _ => &[],
    };
    let sources = identity_docs
        .iter()
        .map(|p| (p.name, p.policy))
        .chain(policies.bucket.map(|b| ("bucket policy", b)));
    let mut allowed: Option<Reason> = None;
    for (name, policy) in sources {
        for (i, st) in policy.statements.iter().enumerate() {
            if !applies(st, req, &action) {
                continue;
            }
            let statement = st.sid.clone().unwrap_or_else(|| format!("#{i}"));
            match st.effect {
                Effect::Deny => {
                    return Evaluation {
                        decision: Decision::Deny,
                        reason: Reason::ExplicitDeny {
                            policy: name.to_string(),
                            statement,
                        },
                    }
                }
                Effect::Allow => {
                    allowed.get_or_insert(Reason::Allowed {
                        policy: name.to_string(),
                        statement,
                    });
                }
            }
        }
    }
    match allowed {
        Some(reason) => Evaluation {
            decision: Decision::Allow,
            reason,
        },
        None if policies.acl_allows => Evaluation {
            decision: Decision::Allow,
            reason: Reason::Acl,
        },
        None => Evaluation {
            decision: Decision::Deny,
            reason: Reason::NoAllow,
        },
    }
}

fn applies(st: &Statement, req: &AccessRequest<'_>, action_lower: &str) -> bool {
    let action_ok = match &st.actions {
        ActionMatch::Action(p) => p.iter().any(|p| wildcard_match(p, action_lower)),
        ActionMatch::NotAction(p) => !p.iter().any(|p| wildcard_match(p, action_lower)),
    };
    if !action_ok {
        return false;
    }
    let resource_ok = match &st.resources {
        ResourceMatch::Resource(p) => p
            .iter()
            .any(|p| resource_matches(p, req.resource, req.context)),
        ResourceMatch::NotResource(p) => !p
            .iter()
            .any(|p| resource_matches(p, req.resource, req.context)),
    };
    if !resource_ok {
        return false;
    }
    if let Some(pm) = &st.principal {
        let named = match req.principal {
            Principal::User { name, .. } => pm.users.iter().any(|u| u == name),
            _ => false,
        };
        if !(pm.everyone || named) {
            return false;
        }
    }
    st.conditions.iter().all(|c| c.holds(req.context))
}
