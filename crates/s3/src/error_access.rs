//! Errors of the access operations (bucket policies, ACLs).

use crate::error::S3Error;

impl S3Error {
    /// 404 NoSuchBucketPolicy.
    pub fn no_such_bucket_policy(bucket: &str) -> Self {
        S3Error::new(
            "NoSuchBucketPolicy",
            404,
            "The bucket policy does not exist",
        )
        .with_detail("BucketName", bucket)
    }

    /// 400 MalformedPolicy with the reason.
    pub fn malformed_policy(reason: impl Into<String>) -> Self {
        S3Error::new("MalformedPolicy", 400, reason)
    }

    /// 400 InvalidArgument for an `x-amz-acl` value Sluice does not know.
    pub fn invalid_canned_acl(value: &str) -> Self {
        S3Error::invalid_argument_named("Invalid canned ACL", "x-amz-acl", value)
    }
}
