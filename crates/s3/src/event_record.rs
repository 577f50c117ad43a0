//! Helpers for S3 event records (`{"Records":[...]}`): event names and the object key encoding.
//!
//! AWS's "Event message structure" page (Amazon S3 User Guide, notification-content-structure):
//! "The object key name value is URL encoded. For example, "red flower.jpg" becomes
//! "red+flower.jpg" (Amazon S3 returns "application/x-www-form-urlencoded" as the content type in
//! the response)." and "The `eventName` references the list of event notification types but
//! doesn't contain the `s3:` prefix."

/// `s3:TestEvent`: the message sent when a configuration is saved (a plain object, not a record).
pub const TEST_EVENT: &str = "s3:TestEvent";
/// `s3:ObjectCreated:Put` (PutObject, presigned PUT).
pub const OBJECT_CREATED_PUT: &str = "s3:ObjectCreated:Put";
/// `s3:ObjectCreated:Post` (browser form upload).
pub const OBJECT_CREATED_POST: &str = "s3:ObjectCreated:Post";
/// `s3:ObjectCreated:Copy` (CopyObject).
pub const OBJECT_CREATED_COPY: &str = "s3:ObjectCreated:Copy";
/// `s3:ObjectCreated:CompleteMultipartUpload`.
pub const OBJECT_CREATED_COMPLETE_MULTIPART_UPLOAD: &str =
    "s3:ObjectCreated:CompleteMultipartUpload";
/// `s3:ObjectRemoved:Delete` (DeleteObject, each key of DeleteObjects).
pub const OBJECT_REMOVED_DELETE: &str = "s3:ObjectRemoved:Delete";
/// `sluice:Upload:Rejected`: a presigned upload refused after its body started.
pub const SLUICE_UPLOAD_REJECTED: &str = "sluice:Upload:Rejected";
/// `sluice:Grant:ExpiredUnused`: a grant that expired with no successful use.
pub const SLUICE_GRANT_EXPIRED_UNUSED: &str = "sluice:Grant:ExpiredUnused";

/// The events Sluice emits.
pub const SLUICE_EMITTED_EVENTS: [&str; 7] = [
    OBJECT_CREATED_PUT,
    OBJECT_CREATED_POST,
    OBJECT_CREATED_COPY,
    OBJECT_CREATED_COMPLETE_MULTIPART_UPLOAD,
    OBJECT_REMOVED_DELETE,
    SLUICE_UPLOAD_REJECTED,
    SLUICE_GRANT_EXPIRED_UNUSED,
];

/// Every event type a notification configuration may name: AWS's list for SQS, SNS and Lambda
/// destinations ("Event notification types and destinations", Amazon S3 User Guide, and the
/// `Event` enum of the S3 API), wildcards included, plus Sluice's own events.
pub const CONFIGURABLE_EVENTS: [&str; 32] = [
    TEST_EVENT,
    "s3:ObjectCreated:*",
    OBJECT_CREATED_PUT,
    OBJECT_CREATED_POST,
    OBJECT_CREATED_COPY,
    OBJECT_CREATED_COMPLETE_MULTIPART_UPLOAD,
    "s3:ObjectRemoved:*",
    OBJECT_REMOVED_DELETE,
    "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectRestore:*",
    "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed",
    "s3:ObjectRestore:Delete",
    "s3:ReducedRedundancyLostObject",
    "s3:Replication:*",
    "s3:Replication:OperationFailedReplication",
    "s3:Replication:OperationMissedThreshold",
    "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:Replication:OperationNotTracked",
    "s3:LifecycleExpiration:*",
    "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated",
    "s3:LifecycleTransition",
    "s3:IntelligentTiering",
    "s3:ObjectTagging:*",
    "s3:ObjectTagging:Put",
    "s3:ObjectTagging:Delete",
    "s3:ObjectAcl:Put",
    "sluice:Upload:*",
    SLUICE_UPLOAD_REJECTED,
    "sluice:Grant:*",
    SLUICE_GRANT_EXPIRED_UNUSED,
];

/// Whether `event` may appear in a notification configuration.
pub fn is_configurable_event(event: &str) -> bool {
    CONFIGURABLE_EVENTS.contains(&event)
}

/// Whether a configured event type (possibly a `Family:*` wildcard) covers `event`.
pub fn event_pattern_matches(pattern: &str, event: &str) -> bool {
    if pattern == event {
        return true;
    }
    match pattern.strip_suffix('*') {
        Some(family) if family.ends_with(':') => event.starts_with(family) && event != family,
        _ => false,
    }
}

/// Whether two configured event types cover a common event (wildcards expanded).
pub fn event_patterns_overlap(a: &str, b: &str) -> bool {
    event_pattern_matches(a, b) || event_pattern_matches(b, a)
}

/// `eventName` in a record: the event type without the `s3:` prefix (Sluice's own events keep
/// their `sluice:` prefix, which no AWS consumer expects to parse).
pub fn record_event_name(event: &str) -> &str {
    event.strip_prefix("s3:").unwrap_or(event)
}

/// Encodes an object key for `s3.object.key` as AWS does: `application/x-www-form-urlencoded`
/// (the encoding of Java's `URLEncoder`): ASCII letters, digits and `.`, `-`, `_`, `*` as is,
/// space as `+`, every other byte of the UTF-8 key as `%XX` (upper-case hex), except `/`, which
/// AWS leaves as is (records name `photos/a.png`, not `photos%2Fa.png`).
///
/// Evidence beyond AWS's one example: `=` arrives as `%3D` (aws/aws-sam-cli issue 379), `:` as
/// `%3A` (aws/aws-sdk-js issue 837), and a filter prefix `a/schemaVersion%3D1/` matches on AWS
/// (aws/aws-cdk pull request 28012), so `/` stays literal in the form AWS matches and sends (one
/// 2015 report, aws-sdk-js issue 837, saw `%2F`; MinIO still sends `%2F`). Whether AWS also
/// keeps `~` or `!` is not documented; this follows `URLEncoder` and encodes them.
///
/// Consumers decode it with `unquote_plus` (Python) or `decodeURIComponent(k.replace(/\+/g, " "))`
/// (JavaScript); a literal `+` in a key is sent as `%2B`, so the decoding is unambiguous.
pub fn url_encode_event_key(key: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(key.len() + key.len() / 2);
    for &b in key.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'*' | b'/' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0x0f)]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_encoding_matches_aws_examples() {
        assert_eq!(url_encode_event_key("red flower.jpg"), "red+flower.jpg");
        assert_eq!(url_encode_event_key("HappyFace.jpg"), "HappyFace.jpg");
        assert_eq!(url_encode_event_key("photos/a b.png"), "photos/a+b.png");
        assert_eq!(url_encode_event_key("a+b"), "a%2Bb");
        assert_eq!(url_encode_event_key("x=1&y=(2)"), "x%3D1%26y%3D%282%29");
        assert_eq!(url_encode_event_key("50%~!'"), "50%25%7E%21%27");
        assert_eq!(url_encode_event_key("a-b_c.d*e"), "a-b_c.d*e");
        assert_eq!(url_encode_event_key("é€"), "%C3%A9%E2%82%AC");
        assert_eq!(url_encode_event_key("tab\there\n"), "tab%09here%0A");
        assert_eq!(url_encode_event_key(""), "");
    }

    #[test]
    fn event_names() {
        assert!(event_pattern_matches(
            "s3:ObjectCreated:*",
            OBJECT_CREATED_PUT
        ));
        assert!(event_pattern_matches(
            "s3:ObjectCreated:*",
            OBJECT_CREATED_COMPLETE_MULTIPART_UPLOAD
        ));
        assert!(event_pattern_matches(
            OBJECT_CREATED_PUT,
            OBJECT_CREATED_PUT
        ));
        assert!(!event_pattern_matches(
            "s3:ObjectCreated:*",
            OBJECT_REMOVED_DELETE
        ));
        assert!(!event_pattern_matches(
            OBJECT_CREATED_PUT,
            OBJECT_CREATED_POST
        ));
        assert!(!event_pattern_matches(
            "s3:ObjectCreated:Put",
            "s3:ObjectCreated:*"
        ));
        assert!(event_pattern_matches(
            "sluice:Upload:*",
            SLUICE_UPLOAD_REJECTED
        ));
        assert!(event_patterns_overlap(
            "s3:ObjectCreated:Put",
            "s3:ObjectCreated:*"
        ));
        assert!(event_patterns_overlap(
            "s3:ObjectRemoved:*",
            "s3:ObjectRemoved:*"
        ));
        assert!(!event_patterns_overlap(
            "s3:ObjectRemoved:*",
            "s3:ObjectRestore:*"
        ));
        assert!(!event_patterns_overlap(
            "s3:LifecycleTransition",
            "s3:LifecycleExpiration:*"
        ));
        assert_eq!(record_event_name(OBJECT_CREATED_PUT), "ObjectCreated:Put");
        assert_eq!(
            record_event_name(SLUICE_UPLOAD_REJECTED),
            "sluice:Upload:Rejected"
        );
        for e in SLUICE_EMITTED_EVENTS {
            assert!(is_configurable_event(e), "{e}");
        }
        assert!(!is_configurable_event("s3:ObjectCreated"));
        assert!(!is_configurable_event("ObjectCreated:Put"));
        assert!(!is_configurable_event("s3:ObjectCreated:put"));
    }
}
