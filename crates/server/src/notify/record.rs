//! Event records in AWS's S3 event notification format (`eventVersion` 2.1), with a `sluice` object
//! that adds what S3 cannot say (grant, signer, uploader, checksum, the URL's client payload).
//!
//! A record is built when the write is committed, without its `sequencer`: the store assigns the
//! sequencer in the write's transaction, and [`with_sequencer`] puts it in at delivery.

use serde_json::{json, Map, Value};
use std::net::IpAddr;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// What Sluice adds to a record, under `"sluice"`.
#[derive(Debug, Clone, Default)]
pub struct SluiceExtras {
    /// The grant of the presigned URL the write came through.
    pub grant_id: Option<String>,
    /// Uses of that grant left after this one (`None`: unlimited or no grant).
    pub uses_left: Option<u64>,
    /// The access key that signed the request (or the URL).
    pub access_key: Option<String>,
    /// The uploader's address.
    pub source_ip: Option<IpAddr>,
    /// The object's checksum, `ALGORITHM:base64` (e.g. `CRC32:AAAAAA==`).
    pub checksum: Option<String>,
    /// The client payload signed into the URL (`x-sluice-payload`).
    pub payload: Option<String>,
    /// Why an upload was refused: S3 error code, message, HTTP status.
    pub rejection: Option<(String, String, u16)>,
}

/// The facts one event record states.
#[derive(Debug, Clone)]
pub struct EventFacts<'a> {
    /// The event's name as records spell it: `ObjectCreated:Put` (no `s3:` prefix).
    pub event_name: &'a str,
    /// The server's region.
    pub region: &'a str,
    /// When the write committed, ms since the Unix epoch.
    pub time_ms: i64,
    /// Who made the request: the access key id, or `anonymous`.
    pub principal_id: &'a str,
    /// The client's address (`sluice` for the server's own events).
    pub source: &'a str,
    /// The request's id (also its `x-amz-id-2`).
    pub request_id: &'a str,
    /// Bucket name.
    pub bucket: &'a str,
    /// Object key, as stored (the record carries it URL-encoded).
    pub key: &'a str,
    /// Object size (created events).
    pub size: Option<u64>,
    /// ETag without quotes (created events).
    pub etag: Option<&'a str>,
    /// Sluice's additions.
    pub sluice: SluiceExtras,
}

/// One record, without `s3.object.sequencer`, for the configuration `configuration_id`.
pub fn record(facts: &EventFacts<'_>, configuration_id: &str) -> Value {
    let mut object = Map::new();
    object.insert(
        "key".into(),
        json!(sluice_s3::event_record::url_encode_event_key(facts.key)),
    );
    if let Some(size) = facts.size {
        object.insert("size".into(), json!(size));
    }
    if let Some(etag) = facts.etag {
        object.insert("eTag".into(), json!(etag));
    }
    json!({
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": facts.region,
        "eventTime": event_time(facts.time_ms),
        "eventName": facts.event_name,
        "userIdentity": {"principalId": facts.principal_id},
        "requestParameters": {"sourceIPAddress": facts.source},
        "responseElements": {
            "x-amz-request-id": facts.request_id,
            "x-amz-id-2": facts.request_id,
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": facts.bucket,
                "ownerIdentity": {"principalId": "sluice"},
                "arn": format!("arn:aws:s3:::{}", facts.bucket),
            },
            "object": object,
        },
        "sluice": extras(&facts.sluice),
    })
}

/// The message a consumer receives: `{"Records": [record]}`, the record's `s3.object.sequencer`
/// set. `body` is a record made by [`record`]; `None` if it is not one.
pub fn with_sequencer(body: &str, sequencer: &str) -> Option<String> {
    let record = record_with_sequencer(body, sequencer)?;
    serde_json::to_string(&json!({ "Records": [record] })).ok()
}

/// The record alone (as it appears in `Records`), its `s3.object.sequencer` set; `None` if
/// `body` is not a record made by [`record`].
pub fn record_with_sequencer(body: &str, sequencer: &str) -> Option<Value> {
    let mut record: Value = serde_json::from_str(body).ok()?;
    record
        .get_mut("s3")?
        .get_mut("object")?
        .as_object_mut()?
        .insert("sequencer".into(), json!(sequencer.to_ascii_uppercase()));
    Some(record)
}

/// `2026-12-07T21:03:04.123Z`, as AWS writes `eventTime`.
fn event_time(ms: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let whole = t
        .replace_millisecond(0)
        .unwrap_or(t)
        .replace_nanosecond(0)
        .unwrap_or(t);
    let base = whole.format(&Rfc3339).unwrap_or_default();
    let base = base.trim_end_matches('Z');
    format!("{base}.{:03}Z", t.millisecond())
}

fn extras(x: &SluiceExtras) -> Value {
    let mut m = Map::new();
    let mut put = |name: &str, v: Option<Value>| {
        if let Some(v) = v {
            m.insert(name.into(), v);
        }
    };
    put("grantId", x.grant_id.clone().map(Value::from));
    put("usesLeft", x.uses_left.map(Value::from));
    put("accessKeyId", x.access_key.clone().map(Value::from));
    put(
        "sourceIPAddress",
        x.source_ip.map(|ip| Value::from(ip.to_string())),
    );
    put("checksum", x.checksum.clone().map(Value::from));
    put("payload", x.payload.clone().map(Value::from));
    put(
        "rejection",
        x.rejection.as_ref().map(
            |(code, message, status)| json!({"code": code, "message": message, "status": status}),
        ),
    );
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> EventFacts<'static> {
        EventFacts {
            event_name: "ObjectCreated:Put",
            region: "us-east-1",
            time_ms: 1_765_141_384_123,
            principal_id: "AKIDEXAMPLE",
            source: "127.0.0.1",
            request_id: "REQ1",
            bucket: "photos",
            key: "a b/c.png",
            size: Some(5),
            etag: Some("5d41402abc4b2a76b9719d911017c592"),
            sluice: SluiceExtras {
                payload: Some("order-17".into()),
                ..Default::default()
            },
        }
    }

    #[test]
    fn record_has_aws_shape_and_sequencer_at_delivery() {
        let body = record(&facts(), "cfg1").to_string();
        let msg: Value =
            serde_json::from_str(&with_sequencer(&body, "00000000000000a1").unwrap()).unwrap();
        let r = &msg["Records"][0];
        assert_eq!(r["eventVersion"], "2.1");
        assert_eq!(r["eventSource"], "aws:s3");
        assert_eq!(r["eventTime"], "2025-12-07T21:03:04.123Z");
        assert_eq!(r["s3"]["object"]["sequencer"], "00000000000000A1");
        assert_eq!(r["s3"]["object"]["size"], 5);
        assert_eq!(r["s3"]["configurationId"], "cfg1");
        assert_eq!(r["sluice"]["payload"], "order-17");
        assert_eq!(r["s3"]["bucket"]["arn"], "arn:aws:s3:::photos");
    }

    #[test]
    fn with_sequencer_refuses_what_is_not_a_record() {
        assert!(with_sequencer("not json", "01").is_none());
        assert!(with_sequencer("{}", "01").is_none());
    }
}
