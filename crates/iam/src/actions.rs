//! The actions a policy may name: S3 actions Sluice checks, and Sluice's own.

/// Every non-wildcard action a policy may name (compared case-insensitively).
pub const KNOWN_ACTIONS: &[&str] = &[
    "s3:AbortMultipartUpload",
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:DeleteObject",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersion",
    "s3:GetBucketAcl",
    "s3:GetBucketCORS",
    "s3:GetBucketLocation",
    "s3:GetBucketPolicy",
    "s3:GetBucketTagging",
    "s3:GetBucketVersioning",
    "s3:GetObject",
    "s3:GetObjectAcl",
    "s3:GetObjectAttributes",
    "s3:GetObjectTagging",
    "s3:GetObjectVersion",
    "s3:ListAllMyBuckets",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
    "s3:ListBucketVersions",
    "s3:ListMultipartUploadParts",
    "s3:PutBucketAcl",
    "s3:PutBucketCORS",
    "s3:PutBucketPolicy",
    "s3:PutBucketTagging",
    "s3:PutObject",
    "s3:PutObjectAcl",
    "s3:PutObjectTagging",
    "sluice:Admin",
];

/// Service prefixes a policy action may carry.
const SERVICES: &[&str] = &["s3", "sluice"];

/// Checks one action pattern from a policy: `*`, `SERVICE:*`-style wildcards, or a known
/// action. Returns the name unchanged on success, the offending name on failure.
pub fn validate_action(action: &str) -> Result<(), String> {
    if action == "*" {
        return Ok(());
    }
    let Some((service, name)) = action.split_once(':') else {
        return Err(action.to_string());
    };
    if name.is_empty() || !SERVICES.iter().any(|s| s.eq_ignore_ascii_case(service)) {
        return Err(action.to_string());
    }
    if name.contains(['*', '?']) {
        return Ok(());
    }
    if KNOWN_ACTIONS.iter().any(|k| k.eq_ignore_ascii_case(action)) {
        Ok(())
    } else {
        Err(action.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::validate_action;

    #[test]
    fn accepts_known_and_wildcards_rejects_the_rest() {
        for ok in [
            "*",
            "s3:*",
            "s3:Get*",
            "S3:getobject",
            "sluice:*",
            "sluice:Admin",
            "s3:?utObject",
            // Known since issue 26 (tagging).
            "s3:PutObjectTagging",
            "s3:GetBucketTagging",
        ] {
            assert!(validate_action(ok).is_ok(), "{ok}");
        }
        for bad in [
            "GetObject",
            "s3:",
            "ec2:*",
            "s3:GetObjekt",
            ":GetObject",
            "s3:PutLifecycleConfiguration",
        ] {
            assert_eq!(validate_action(bad), Err(bad.to_string()), "{bad}");
        }
    }
}
