//! S3 XML documents: responses Sluice writes and request bodies it reads.

mod acl;
mod copy;
mod cors;
mod delete;
mod list_buckets;
mod list_objects;
mod location;
mod multipart;
mod post_response;
mod request_bodies;
mod timefmt;

pub use acl::access_control_policy_xml;
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
pub use post_response::post_response_xml;
pub use request_bodies::{
    parse_create_bucket_configuration, parse_delete_request, DeleteRequest, ObjectIdentifier,
};
pub use timefmt::{http_date, iso8601_millis};
