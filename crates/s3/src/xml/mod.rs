//! S3 XML documents: responses Sluice writes and request bodies it reads.

mod acl;
mod attributes;
mod copy;
mod cors;
mod delete;
mod list_buckets;
mod list_objects;
mod location;
mod multipart;
mod notification;
mod post_response;
mod request_bodies;
mod tagging;
mod timefmt;
mod tree;

use crate::S3Error;

/// Reads a request body as one XML document whose root element is `root`, answering
/// `MalformedXML` for anything else. Element text is kept exactly as sent (see [`tree`]).
///
/// Documents with a DTD (`<!DOCTYPE ...>`) are refused: S3 bodies never carry one, a DTD may
/// declare entities, and quick-xml's serde deserializer (used here before) panicked when a
/// DOCTYPE split an element's text in two (`<ETag>u<!DOCTYPE a>g</ETag>`), found by the
/// `xml_bodies` fuzz target.
pub(crate) fn from_body(body: &[u8], root: &str) -> Result<tree::Element, S3Error> {
    let text = std::str::from_utf8(body).map_err(|_| S3Error::malformed_xml())?;
    tree::parse_document(text, root)
}

pub use acl::access_control_policy_xml;
pub use attributes::{AttributesPart, ObjectAttributes, ObjectPartsPage};
pub use copy::CopyObjectResult;
pub use cors::{cors_configuration_xml, parse_cors_configuration};
pub use delete::{DeleteError, DeleteResult};
pub use list_buckets::{BucketEntry, ListAllMyBucketsResult};
pub use list_objects::{ListObjectsPage, ListStyle, ObjectEntry};
pub use location::{location_constraint_xml, versioning_configuration_xml};
pub use multipart::{
    initiate_result_xml, parse_complete_request, CompleteResult, CompletedPart, ListPartsResult,
    ListUploadsResult, PartEntry, UploadEntry,
};
pub use notification::{
    notification_configuration_xml, parse_notification_configuration, Destination, DestinationKind,
    KeyFilter, NotificationConfiguration, QueueConfiguration, MAX_FILTER_VALUE_BYTES, MAX_ID_CHARS,
};
pub use post_response::post_response_xml;
pub use request_bodies::{
    parse_create_bucket_configuration, parse_delete_request, DeleteRequest, ObjectIdentifier,
};
pub use tagging::{parse_tagging, tagging_xml};
pub use timefmt::{http_date, iso8601_millis};

#[cfg(test)]
mod tests {
    use super::*;

    /// Fuzz finding (`xml_bodies`): a DOCTYPE inside an element's text made quick-xml's
    /// deserializer hit `unreachable!()`. Every body parser must answer MalformedXML instead.
    #[test]
    fn doctype_inside_text_is_malformed_not_a_panic() {
        let inputs: [&[u8]; 4] = [
            b"<l><Part><ETag>u<!DOCTYPEa>g",
            br#"<CompleteMultipartUpload><Part><ETag>u<!DOCTYPE a>g</ETag><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>"#,
            br#"<Delete><Object><Key>a<!DOCTYPE x>b</Key></Object></Delete>"#,
            br#"<CORSConfiguration><CORSRule><AllowedOrigin>*<!DOCTYPE x>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"#,
        ];
        for body in inputs {
            assert_eq!(
                parse_complete_request(body).unwrap_err().code,
                "MalformedXML"
            );
            assert_eq!(parse_delete_request(body).unwrap_err().code, "MalformedXML");
            assert_eq!(
                parse_cors_configuration(body).unwrap_err().code,
                "MalformedXML"
            );
            assert_eq!(
                parse_create_bucket_configuration(body).unwrap_err().code,
                "MalformedXML"
            );
            assert_eq!(
                parse_notification_configuration(body).unwrap_err().code,
                "MalformedXML"
            );
            assert_eq!(
                parse_tagging(body, crate::tagging::TagTarget::Object)
                    .unwrap_err()
                    .code,
                "MalformedXML"
            );
        }
        let with_dtd = br#"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e "x">]><Delete><Object><Key>&e;</Key></Object></Delete>"#;
        assert_eq!(
            parse_delete_request(with_dtd).unwrap_err().code,
            "MalformedXML"
        );
    }
}
