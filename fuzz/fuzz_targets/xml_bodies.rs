//! XML request bodies: arbitrary bytes -> CompleteMultipartUpload, DeleteObjects,
//! CreateBucketConfiguration, PutBucketCors, PutBucketNotificationConfiguration and Tagging parsers
//! (a parsed notification configuration is also matched and written back; a parsed tag set is written
//! back and must read the same), and the bytes as an `x-amz-tagging` header. Errors are typed S3 errors;
//! nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_s3::tagging::{parse_tagging_header, tagging_query, TagTarget};
use sluice_s3::xml::{
    parse_complete_request, parse_cors_configuration, parse_create_bucket_configuration,
    parse_delete_request, parse_notification_configuration, parse_tagging, tagging_xml,
};

fuzz_target!(|data: &[u8]| {
    let _ = parse_complete_request(data);
    let _ = parse_delete_request(data);
    let _ = parse_create_bucket_configuration(data);
    let _ = parse_cors_configuration(data);
    if let Ok(config) = parse_notification_configuration(data) {
        let _ = config.matching("s3:ObjectCreated:Put", "a/b c.png");
        let _ = config.to_xml();
    }
    for target in [TagTarget::Object, TagTarget::Bucket] {
        if let Ok(tags) = parse_tagging(data, target) {
            let again = parse_tagging(tagging_xml(&tags).as_bytes(), target);
            assert_eq!(again.ok(), Some(tags));
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(tags) = parse_tagging_header(text) {
            assert_eq!(parse_tagging_header(&tagging_query(&tags)).ok(), Some(tags));
        }
    }
});
