//! XML request bodies: arbitrary bytes -> CompleteMultipartUpload, DeleteObjects,
//! CreateBucketConfiguration, PutBucketCors and PutBucketNotificationConfiguration parsers
//! (a parsed notification configuration is also matched and written back). Errors are typed S3 errors;
//! nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_s3::xml::{
    parse_complete_request, parse_cors_configuration, parse_create_bucket_configuration,
    parse_delete_request, parse_notification_configuration,
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
});
