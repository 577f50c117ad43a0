//! Errors of bucket CORS configuration and of CORS preflight requests.

use crate::error::S3Error;

impl S3Error {
    /// 404 NoSuchTagSet (GetBucketTagging on a bucket without tags).
    pub fn no_such_tag_set(bucket: &str) -> Self {
        S3Error::new("NoSuchTagSet", 404, "The TagSet does not exist")
            .with_detail("BucketName", bucket)
    }

    /// 404 NoSuchCORSConfiguration (GetBucketCors on a bucket without rules).
    pub fn no_such_cors_configuration(bucket: &str) -> Self {
        S3Error::new(
            "NoSuchCORSConfiguration",
            404,
            "The CORS configuration does not exist",
        )
        .with_detail("BucketName", bucket)
    }

    /// 403 CORSResponse: the bucket has no CORS rules (and no server default applies).
    pub fn cors_not_enabled() -> Self {
        S3Error::new("CORSResponse", 403, "CORS is not enabled for this bucket.")
    }

    /// 403 CORSResponse: no rule allows the preflight (AWS's wording, typo included).
    pub fn cors_not_allowed() -> Self {
        S3Error::new(
            "CORSResponse",
            403,
            "This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
        )
    }

    /// 400 BadRequest: a preflight without `Origin`.
    pub fn cors_missing_origin() -> Self {
        S3Error::new(
            "BadRequest",
            400,
            "Insufficient information. Origin request header needed.",
        )
    }

    /// 400 BadRequest: a preflight without a valid `Access-Control-Request-Method`.
    pub fn cors_invalid_request_method(value: &str) -> Self {
        S3Error::new(
            "BadRequest",
            400,
            format!("Invalid Access-Control-Request-Method: {value}"),
        )
    }
}
