//! Identity and access: who a caller is and whether an action is allowed.
//!
//! Today Sluice knows one identity, the root account; users, keys and IAM-style policies
//! arrive with the identity-and-access work and plug in behind [`authorize`].

/// Who is making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No credentials were given.
    Anonymous,
    /// The root account (all permissions).
    Root {
        /// The access key the request was signed with.
        access_key_id: String,
    },
}

/// What is being asked.
#[derive(Debug, Clone, Copy)]
pub struct AccessRequest<'a> {
    /// Who asks.
    pub principal: &'a Principal,
    /// IAM action, e.g. `s3:PutObject`.
    pub action: &'a str,
    /// Bucket, when the action concerns one.
    pub bucket: Option<&'a str>,
    /// Object key, when the action concerns one.
    pub key: Option<&'a str>,
}

/// The outcome of an authorization decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The request may proceed.
    Allow,
    /// Nothing allows it (or something denies it explicitly).
    Deny,
}

/// Decides whether a request is allowed. Everything is private by default: only the root
/// account is allowed anything until policies say otherwise.
pub fn authorize(request: &AccessRequest<'_>) -> Decision {
    match request.principal {
        Principal::Root { .. } => Decision::Allow,
        Principal::Anonymous => Decision::Deny,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_by_default() {
        for action in [
            "s3:GetObject",
            "s3:PutObject",
            "s3:ListBucket",
            "s3:ListAllMyBuckets",
        ] {
            let anon = AccessRequest {
                principal: &Principal::Anonymous,
                action,
                bucket: Some("b"),
                key: Some("k"),
            };
            assert_eq!(authorize(&anon), Decision::Deny);
            let root = Principal::Root {
                access_key_id: "AK".into(),
            };
            let req = AccessRequest {
                principal: &root,
                action,
                bucket: Some("b"),
                key: Some("k"),
            };
            assert_eq!(authorize(&req), Decision::Allow);
        }
    }
}
