//! Canned ACLs (`x-amz-acl`) and the permissions they grant.

/// The canned ACLs Sluice supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CannedAcl {
    /// Owner only (the default).
    Private,
    /// Everyone may read.
    PublicRead,
    /// Everyone may read; on a bucket, everyone may also write objects.
    PublicReadWrite,
    /// Any signed-in caller may read.
    AuthenticatedRead,
}

impl CannedAcl {
    /// Parses an `x-amz-acl` value.
    pub fn parse(value: &str) -> Option<CannedAcl> {
        match value.trim() {
            "private" => Some(CannedAcl::Private),
            "public-read" => Some(CannedAcl::PublicRead),
            "public-read-write" => Some(CannedAcl::PublicReadWrite),
            "authenticated-read" => Some(CannedAcl::AuthenticatedRead),
            _ => None,
        }
    }

    /// The `x-amz-acl` spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CannedAcl::Private => "private",
            CannedAcl::PublicRead => "public-read",
            CannedAcl::PublicReadWrite => "public-read-write",
            CannedAcl::AuthenticatedRead => "authenticated-read",
        }
    }

    /// Whether the ACL lets a non-owner read (READ grant) given whether they signed in.
    pub fn grants_read(self, authenticated: bool) -> bool {
        match self {
            CannedAcl::Private => false,
            CannedAcl::PublicRead | CannedAcl::PublicReadWrite => true,
            CannedAcl::AuthenticatedRead => authenticated,
        }
    }

    /// Whether the ACL lets a non-owner write (WRITE grant; meaningful on buckets only).
    pub fn grants_write(self) -> bool {
        self == CannedAcl::PublicReadWrite
    }
}

/// Whether an object's ACL allows `action` on it.
pub fn object_acl_allows(acl: CannedAcl, authenticated: bool, action: &str) -> bool {
    action == "s3:GetObject" && acl.grants_read(authenticated)
}

/// Whether a bucket's ACL allows `action` on the bucket or on objects in it.
pub fn bucket_acl_allows(acl: CannedAcl, authenticated: bool, action: &str) -> bool {
    match action {
        "s3:ListBucket" | "s3:ListBucketVersions" | "s3:ListBucketMultipartUploads" => {
            acl.grants_read(authenticated)
        }
        "s3:PutObject" | "s3:DeleteObject" | "s3:AbortMultipartUpload" => acl.grants_write(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants() {
        use CannedAcl::*;
        for (acl, anon_get, auth_get, anon_list, anon_put) in [
            (Private, false, false, false, false),
            (PublicRead, true, true, true, false),
            (PublicReadWrite, true, true, true, true),
            (AuthenticatedRead, false, true, false, false),
        ] {
            assert_eq!(CannedAcl::parse(acl.as_str()), Some(acl));
            assert_eq!(object_acl_allows(acl, false, "s3:GetObject"), anon_get);
            assert_eq!(object_acl_allows(acl, true, "s3:GetObject"), auth_get);
            assert!(!object_acl_allows(acl, true, "s3:PutObject"));
            assert_eq!(bucket_acl_allows(acl, false, "s3:ListBucket"), anon_list);
            assert_eq!(bucket_acl_allows(acl, false, "s3:PutObject"), anon_put);
            assert!(!bucket_acl_allows(acl, true, "s3:DeleteBucket"));
        }
        assert_eq!(CannedAcl::parse("bucket-owner-full-control"), None);
    }
}
