//! S3 errors: AWS's error codes, HTTP statuses and messages, rendered as S3 error XML.

use crate::xml_writer::XmlWriter;

/// An error answered to an S3 client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct S3Error {
    /// AWS error code, e.g. `NoSuchKey`.
    pub code: &'static str,
    /// HTTP status code.
    pub status: u16,
    /// Human-readable message (AWS's wording where AWS defines one).
    pub message: String,
    /// The resource the error is about (bucket, key, path), when known.
    pub resource: Option<String>,
    /// Extra elements AWS adds to some errors, e.g. `<BucketName>` or `<StringToSign>`.
    pub details: Vec<(&'static str, String)>,
    /// Extra response headers (e.g. `x-amz-checksum-*` echoes); rarely used.
    pub headers: Vec<(&'static str, String)>,
}

impl S3Error {
    /// A new error with code, status and message.
    pub fn new(code: &'static str, status: u16, message: impl Into<String>) -> Self {
        S3Error {
            code,
            status,
            message: message.into(),
            resource: None,
            details: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// Adds an extra element to the error body.
    pub fn with_detail(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.details.push((name, value.into()));
        self
    }

    /// Sets the resource the error concerns.
    pub fn with_resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// Renders the S3 error XML document.
    pub fn to_xml(&self, request_id: &str) -> String {
        let mut w = XmlWriter::new();
        w.open("Error");
        w.element("Code", self.code);
        w.element("Message", &self.message);
        for (name, value) in &self.details {
            w.element(name, value);
        }
        if let Some(resource) = &self.resource {
            w.element("Resource", resource);
        }
        w.element("RequestId", request_id);
        w.element("HostId", request_id);
        w.close("Error");
        w.finish()
    }

    // ---- constructors for the codes the server answers ----

    /// 403 AccessDenied.
    pub fn access_denied() -> Self {
        Self::new("AccessDenied", 403, "Access Denied")
    }
    /// 404 NoSuchBucket.
    pub fn no_such_bucket(bucket: &str) -> Self {
        Self::new("NoSuchBucket", 404, "The specified bucket does not exist")
            .with_detail("BucketName", bucket)
    }
    /// 404 NoSuchKey.
    pub fn no_such_key(key: &str) -> Self {
        Self::new("NoSuchKey", 404, "The specified key does not exist.").with_detail("Key", key)
    }
    /// 409 BucketAlreadyOwnedByYou.
    pub fn bucket_already_owned_by_you(bucket: &str) -> Self {
        Self::new(
            "BucketAlreadyOwnedByYou",
            409,
            "Your previous request to create the named bucket succeeded and you already own it.",
        )
        .with_detail("BucketName", bucket)
    }
    /// 409 BucketAlreadyExists (owned by someone else).
    pub fn bucket_already_exists(bucket: &str) -> Self {
        Self::new(
            "BucketAlreadyExists",
            409,
            "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
        )
        .with_detail("BucketName", bucket)
    }
    /// 409 BucketNotEmpty.
    pub fn bucket_not_empty(bucket: &str) -> Self {
        Self::new(
            "BucketNotEmpty",
            409,
            "The bucket you tried to delete is not empty",
        )
        .with_detail("BucketName", bucket)
    }
    /// 400 InvalidBucketName.
    pub fn invalid_bucket_name(bucket: &str) -> Self {
        Self::new(
            "InvalidBucketName",
            400,
            "The specified bucket is not valid.",
        )
        .with_detail("BucketName", bucket)
    }
    /// 400 KeyTooLongError.
    pub fn key_too_long() -> Self {
        Self::new("KeyTooLongError", 400, "Your key is too long")
    }
    /// 400 InvalidArgument.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new("InvalidArgument", 400, message)
    }
    /// 400 InvalidArgument naming the argument.
    pub fn invalid_argument_named(
        message: impl Into<String>,
        name: &str,
        value: impl Into<String>,
    ) -> Self {
        Self::new("InvalidArgument", 400, message)
            .with_detail("ArgumentName", name)
            .with_detail("ArgumentValue", value)
    }
    /// 400 InvalidRequest.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new("InvalidRequest", 400, message)
    }
    /// 400 InvalidURI.
    pub fn invalid_uri() -> Self {
        Self::new("InvalidURI", 400, "Couldn't parse the specified URI.")
    }
    /// 400 MalformedXML.
    pub fn malformed_xml() -> Self {
        Self::new(
            "MalformedXML",
            400,
            "The XML you provided was not well-formed or did not validate against our published schema.",
        )
    }
    /// 400 InvalidDigest.
    pub fn invalid_digest() -> Self {
        Self::new(
            "InvalidDigest",
            400,
            "The Content-MD5 you specified was invalid.",
        )
    }
    /// 400 BadDigest for Content-MD5.
    pub fn bad_digest_md5(expected_b64: &str, computed_b64: &str) -> Self {
        Self::new(
            "BadDigest",
            400,
            "The Content-MD5 you specified did not match what we received.",
        )
        .with_detail("ExpectedDigest", expected_b64)
        .with_detail("CalculatedDigest", computed_b64)
    }
    /// 400 BadDigest for an `x-amz-checksum-*` value.
    pub fn bad_digest_checksum(algorithm_upper: &str) -> Self {
        Self::new(
            "BadDigest",
            400,
            format!("The {algorithm_upper} you specified did not match the calculated checksum."),
        )
    }
    /// 400 IncompleteBody.
    pub fn incomplete_body() -> Self {
        Self::new(
            "IncompleteBody",
            400,
            "You did not provide the number of bytes specified by the Content-Length HTTP header",
        )
    }
    /// 411 MissingContentLength.
    pub fn missing_content_length() -> Self {
        Self::new(
            "MissingContentLength",
            411,
            "You must provide the Content-Length HTTP header.",
        )
    }
    /// 400 EntityTooLarge.
    pub fn entity_too_large(max: u64) -> Self {
        Self::new(
            "EntityTooLarge",
            400,
            "Your proposed upload exceeds the maximum allowed size",
        )
        .with_detail("MaxSizeAllowed", max.to_string())
    }
    /// 400 RequestHeaderSectionTooLarge: the header block is over `max` bytes.
    pub fn request_header_section_too_large(max: usize) -> Self {
        Self::new(
            "RequestHeaderSectionTooLarge",
            400,
            "Your request header section exceeds the maximum allowed size.",
        )
        .with_detail("MaxSizeAllowed", max.to_string())
    }
    /// 414 RequestURITooLong: the request target is over `max` bytes (AWS defines no code).
    pub fn request_uri_too_long(max: usize) -> Self {
        Self::new(
            "RequestURITooLong",
            414,
            "The request URI exceeds the maximum allowed length.",
        )
        .with_detail("MaxSizeAllowed", max.to_string())
    }
    /// 416 InvalidRange.
    pub fn invalid_range(object_size: u64) -> Self {
        Self::new(
            "InvalidRange",
            416,
            "The requested range is not satisfiable",
        )
        .with_detail("ActualObjectSize", object_size.to_string())
    }
    /// 412 PreconditionFailed.
    pub fn precondition_failed(condition: &str) -> Self {
        Self::new(
            "PreconditionFailed",
            412,
            "At least one of the pre-conditions you specified did not hold",
        )
        .with_detail("Condition", condition)
    }
    /// 501 NotImplemented.
    pub fn not_implemented() -> Self {
        Self::new(
            "NotImplemented",
            501,
            "A header you provided implies functionality that is not implemented",
        )
    }
    /// 405 MethodNotAllowed.
    pub fn method_not_allowed(method: &str) -> Self {
        Self::new(
            "MethodNotAllowed",
            405,
            "The specified method is not allowed against this resource.",
        )
        .with_detail("Method", method)
        .with_detail("ResourceType", "OBJECT")
    }
    /// 500 InternalError.
    pub fn internal_error() -> Self {
        Self::new(
            "InternalError",
            500,
            "We encountered an internal error. Please try again.",
        )
    }
    /// 503 SlowDown.
    pub fn slow_down() -> Self {
        Self::new("SlowDown", 503, "Please reduce your request rate.")
    }
    /// 400 InvalidLocationConstraint.
    pub fn invalid_location_constraint() -> Self {
        Self::new(
            "InvalidLocationConstraint",
            400,
            "The specified location-constraint is not valid",
        )
    }
    /// 400 IllegalLocationConstraintException (region mismatch).
    pub fn illegal_location_constraint(requested: &str, server: &str) -> Self {
        Self::new(
            "IllegalLocationConstraintException",
            400,
            format!("The {requested} location constraint is incompatible for the region specific endpoint this request was sent to ({server})."),
        )
    }
    /// 404 NoSuchUpload.
    pub fn no_such_upload(upload_id: &str) -> Self {
        Self::new(
            "NoSuchUpload",
            404,
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        )
        .with_detail("UploadId", upload_id)
    }
    /// 400 InvalidPart.
    pub fn invalid_part(part_number: u32) -> Self {
        Self::new(
            "InvalidPart",
            400,
            "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
        )
        .with_detail("PartNumber", part_number.to_string())
    }
    /// 400 InvalidPartOrder.
    pub fn invalid_part_order() -> Self {
        Self::new(
            "InvalidPartOrder",
            400,
            "The list of parts was not in ascending order. Parts must be ordered by part number.",
        )
    }
    /// 400 EntityTooSmall.
    pub fn entity_too_small(part_number: u32, size: u64, min: u64) -> Self {
        Self::new(
            "EntityTooSmall",
            400,
            "Your proposed upload is smaller than the minimum allowed object size.",
        )
        .with_detail("PartNumber", part_number.to_string())
        .with_detail("ProposedSize", size.to_string())
        .with_detail("MinSizeAllowed", min.to_string())
    }
    /// 400 InvalidArgument for a bad part number.
    pub fn invalid_part_number(value: &str) -> Self {
        Self::invalid_argument_named(
            "Part number must be an integer between 1 and 10000, inclusive",
            "partNumber",
            value,
        )
    }
    /// 400 InvalidPart-like invalid copy source.
    pub fn invalid_copy_source() -> Self {
        Self::invalid_argument(
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
        )
    }
    /// 400 ExpiredToken / other token problems are not used yet.
    ///
    /// 400 MetadataTooLarge.
    pub fn metadata_too_large(max: usize) -> Self {
        Self::new(
            "MetadataTooLarge",
            400,
            "Your metadata headers exceed the maximum allowed metadata size",
        )
        .with_detail("MaxSizeAllowed", max.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_xml_has_code_message_and_escaped_details() {
        let e = S3Error::no_such_key("a<b>&\"c\"").with_resource("/bucket/a<b>");
        let xml = e.to_xml("REQ1");
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>"));
        assert!(xml.contains("<Code>NoSuchKey</Code>"));
        assert!(xml.contains("<Key>a&lt;b&gt;&amp;&quot;c&quot;</Key>"));
        assert!(xml.contains("<Resource>/bucket/a&lt;b&gt;</Resource>"));
        assert!(xml.contains("<RequestId>REQ1</RequestId>"));
        assert_eq!(e.status, 404);
    }
}
