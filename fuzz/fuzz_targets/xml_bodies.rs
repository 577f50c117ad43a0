//! XML request bodies: arbitrary bytes -> CompleteMultipartUpload, DeleteObjects,
//! CreateBucketConfiguration and PutBucketCors parsers. Errors are typed S3 errors;
//! nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_s3::xml::{
    parse_complete_request, parse_cors_configuration, parse_create_bucket_configuration,
    parse_delete_request,
};

fuzz_target!(|data: &[u8]| {
    let _ = parse_complete_request(data);
    let _ = parse_delete_request(data);
    let _ = parse_create_bucket_configuration(data);
    let _ = parse_cors_configuration(data);
});
