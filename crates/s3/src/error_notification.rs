//! Errors of PutBucketNotificationConfiguration, worded as AWS answers them.
//!
//! Sources (AWS publishes no error table for this operation; the wording is what AWS returns as
//! recorded by implementations tested against it):
//! - "Unable to validate the following destination configurations": AWS answers it (aws-cli issue
//!   8162, aws-sdk-js issue 632); each failing destination is named by an `<ArgumentName>` (the
//!   ARN) / `<ArgumentValue>` (the reason, e.g. "The destination queue does not exist") pair, as
//!   LocalStack and Scality CloudServer reproduce it.
//! - "Configurations overlap. Configurations on the same bucket cannot share a common event type."
//!   with `<ArgumentName>Event</ArgumentName><ArgumentValue>s3:ObjectRemoved:*, s3:ObjectRemoved:*</ArgumentValue>`:
//!   an AWS response quoted verbatim in minio/minio issue 2472.
//! - "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the
//!   prefixes are overlapping for the same event type.": AWS's answer when filtered configurations
//!   overlap (aws-waf-security-automations issue 49, serverless-external-s3-event issues 53/84).
//! - "filter rule name must be either prefix or suffix" (`ArgumentName` `FilterRule.Name`),
//!   "Cannot specify more than one prefix rule in a filter.", "... suffix rule ...",
//!   "Size of filter rule value cannot exceed 1024 bytes in UTF-8 representation",
//!   "The event is not supported for notifications": MinIO's and LocalStack's AWS-compatible
//!   errors (LocalStack validates its S3 provider against AWS snapshots).

use crate::error::S3Error;

impl S3Error {
    /// 400 InvalidArgument: destinations the server could not validate, each as `(arn, reason)`
    /// (reason e.g. "The destination queue does not exist"), one `ArgumentName`/`ArgumentValue`
    /// pair per destination.
    pub fn unable_to_validate_destinations<'a>(
        failures: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let mut e = S3Error::invalid_argument(
            "Unable to validate the following destination configurations",
        );
        for (arn, reason) in failures {
            e = e
                .with_detail("ArgumentName", arn)
                .with_detail("ArgumentValue", reason);
        }
        e
    }

    /// 400 InvalidArgument: two unfiltered configurations share an event type; `first` and
    /// `second` are the overlapping event names as each configuration wrote them.
    pub fn notification_configurations_overlap(first: &str, second: &str) -> Self {
        S3Error::invalid_argument_named(
            "Configurations overlap. Configurations on the same bucket cannot share a common event type.",
            "Event",
            format!("{first}, {second}"),
        )
    }

    /// 400 InvalidArgument: two configurations (at least one filtered) share an event type and a
    /// key both their filters match.
    pub fn notification_filters_overlap() -> Self {
        S3Error::invalid_argument(
            "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are overlapping for the same event type.",
        )
    }

    /// 400 InvalidArgument: an `Event` that is not a notification event type.
    pub fn notification_event_not_supported(event: &str) -> Self {
        S3Error::invalid_argument_named(
            "The event is not supported for notifications",
            "Event",
            event,
        )
    }

    /// 400 InvalidArgument: a `FilterRule` `Name` other than prefix / suffix.
    pub fn filter_rule_name_invalid(name: &str) -> Self {
        S3Error::invalid_argument_named(
            "filter rule name must be either prefix or suffix",
            "FilterRule.Name",
            name,
        )
    }

    /// 400 InvalidArgument: two prefix (or two suffix) rules in one filter; `name` is `prefix`
    /// or `suffix`.
    pub fn filter_rule_repeated(name: &str) -> Self {
        S3Error::invalid_argument(format!(
            "Cannot specify more than one {name} rule in a filter."
        ))
    }

    /// 400 InvalidArgument: a filter value over 1024 bytes.
    pub fn filter_rule_value_too_long() -> Self {
        S3Error::invalid_argument(
            "Size of filter rule value cannot exceed 1024 bytes in UTF-8 representation",
        )
    }

    /// 400 InvalidArgument: two configurations with the same `Id`.
    pub fn notification_id_repeated(id: &str) -> Self {
        S3Error::invalid_argument_named(
            "Same ID used for multiple configurations. IDs must be unique.",
            "Id",
            id,
        )
    }

    /// 400 InvalidArgument: an `Id` over 255 characters.
    pub fn notification_id_too_long() -> Self {
        S3Error::invalid_argument("ID length exceeded allowed limit of 255")
    }

    /// 400 InvalidArgument: an `EventBridgeConfiguration` (Sluice has no EventBridge; AWS has no
    /// error for this, so the wording is Sluice's).
    pub fn eventbridge_not_supported() -> Self {
        S3Error::invalid_argument(
            "EventBridgeConfiguration is not supported by this server; use a QueueConfiguration naming a Sluice target ARN.",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destination_error_names_each_arn() {
        let e = S3Error::unable_to_validate_destinations([
            (
                "arn:sluice:sqs:us-east-1:a:webhook",
                "The destination queue does not exist",
            ),
            (
                "arn:sluice:sqs:us-east-1:b:nats",
                "The destination queue does not exist",
            ),
        ]);
        assert_eq!((e.code, e.status), ("InvalidArgument", 400));
        assert_eq!(
            e.message,
            "Unable to validate the following destination configurations"
        );
        let xml = e.to_xml("R");
        assert!(xml.contains("<Message>Unable to validate the following destination configurations</Message><ArgumentName>arn:sluice:sqs:us-east-1:a:webhook</ArgumentName><ArgumentValue>The destination queue does not exist</ArgumentValue><ArgumentName>arn:sluice:sqs:us-east-1:b:nats</ArgumentName>"), "{xml}");
    }
}
