//! Errors of browser POST form uploads, in AWS's wording.

use crate::error::S3Error;

impl S3Error {
    /// 403 AccessDenied "Invalid according to Policy: ..." (expired, condition failed, extra fields).
    pub fn post_policy_violation(reason: impl std::fmt::Display) -> Self {
        S3Error::new(
            "AccessDenied",
            403,
            format!("Invalid according to Policy: {reason}"),
        )
    }

    /// 400 InvalidPolicyDocument "Invalid Policy: ...".
    pub fn invalid_policy_document(reason: impl std::fmt::Display) -> Self {
        S3Error::new(
            "InvalidPolicyDocument",
            400,
            format!("Invalid Policy: {reason}"),
        )
    }

    /// 400 MalformedPOSTRequest.
    pub fn malformed_post_request() -> Self {
        S3Error::new(
            "MalformedPOSTRequest",
            400,
            "The body of your POST request is not well-formed multipart/form-data.",
        )
    }

    /// 400 IncorrectNumberOfFilesInPostRequest.
    pub fn incorrect_number_of_files() -> Self {
        S3Error::new(
            "IncorrectNumberOfFilesInPostRequest",
            400,
            "POST requires exactly one file upload per request.",
        )
    }

    /// 400 MaxPostPreDataLengthExceededError: the fields before `file` are too large.
    pub fn max_post_pre_data_length_exceeded() -> Self {
        S3Error::new(
            "MaxPostPreDataLengthExceededError",
            400,
            "Your POST request fields preceeding the upload file was too large.",
        )
    }

    /// 412 PreconditionFailed: a POST that is not `multipart/form-data`.
    pub fn post_not_multipart() -> Self {
        S3Error::new(
            "PreconditionFailed",
            412,
            "At least one of the pre-conditions you specified did not hold",
        )
        .with_detail(
            "Condition",
            "Bucket POST must be of the enclosure-type multipart/form-data",
        )
    }

    /// 400 InvalidArgument for a missing form field.
    pub fn post_missing_field(name: &str) -> Self {
        S3Error::new(
            "InvalidArgument",
            400,
            format!("Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields."),
        )
        .with_detail("ArgumentName", name)
        .with_detail("ArgumentValue", "")
    }

    /// 400 EntityTooLarge for a POST file above the policy's `content-length-range`.
    pub fn post_entity_too_large(size: u64, max: u64) -> Self {
        S3Error::new(
            "EntityTooLarge",
            400,
            "Your proposed upload exceeds the maximum allowed size",
        )
        .with_detail("ProposedSize", size.to_string())
        .with_detail("MaxSizeAllowed", max.to_string())
    }

    /// 400 EntityTooSmall for a POST file below the policy's `content-length-range`.
    pub fn post_entity_too_small(size: u64, min: u64) -> Self {
        S3Error::new(
            "EntityTooSmall",
            400,
            "Your proposed upload is smaller than the minimum allowed size",
        )
        .with_detail("ProposedSize", size.to_string())
        .with_detail("MinSizeAllowed", min.to_string())
    }
}
