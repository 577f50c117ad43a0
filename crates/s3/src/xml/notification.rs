//! The `NotificationConfiguration` document (Put/GetBucketNotificationConfiguration): read with
//! AWS's validation, written as GetBucketNotificationConfiguration answers, and the matching of an
//! event to the configurations it goes to.
//!
//! Decisions (crates/s3/src/error_notification.rs says where each error's wording comes from):
//! - **Generated ids.** AWS fills in an `Id` when a configuration has none; Sluice derives it from
//!   the configuration's content (kind, ARN, events, filter): 32 hex digits of a 128-bit FNV-1a
//!   hash. Putting the same document twice therefore gives the same ids, so `configurationId` in
//!   event records does not change on a re-apply. Two configurations with identical content
//!   would share an id, but they also share their events and filter, which the overlap rule
//!   refuses first.
//! - **Filter values are read as AWS reads them: URL-encoded.** AWS matches filter rules
//!   against the URL-encoded key (the form records carry, see
//!   [`crate::event_record::url_encode_event_key`]): a prefix `schemaVersion=1/` never matches
//!   on AWS while `schemaVersion%3D1/` does (aws/aws-cdk pull request 28012), and AWS's guide
//!   asks for special characters in filter values to be URL-encoded. Sluice form-decodes the
//!   value (`+` is a space, `%XX` a byte; a value that does not decode to UTF-8 is taken
//!   literally) and compares it with the raw key, which gives AWS's answer for every value
//!   written as AWS wants it, and also matches a value written unencoded (`schemaVersion=1/`),
//!   where AWS silently matches nothing. Values are stored and answered as sent.
//! - `EventBridgeConfiguration` is refused (InvalidArgument): Sluice has no EventBridge.
//! - `Filter` rule names are read case-insensitively and written `Prefix` / `Suffix` as AWS
//!   answers them; values are kept exactly as sent (not trimmed). `Id`, ARNs and `Event` are
//!   trimmed. An empty `Filter` / `S3Key` means "every key". `InvocationRole` (legacy, in
//!   `CloudFunctionConfiguration`) is accepted and dropped.
//! - Unknown elements, a missing ARN, a configuration without `Event`, a `FilterRule` without
//!   `Name` or `Value` are MalformedXML (the schema requires them).

use super::tree::Element;
use crate::error::S3Error;
use crate::event_record::{event_pattern_matches, event_patterns_overlap, is_configurable_event};
use crate::xml_writer::{XmlWriter, S3_NAMESPACE};
use percent_encoding::percent_decode_str;
use std::borrow::Cow;
use std::collections::HashSet;

/// Longest filter rule value, in bytes.
pub const MAX_FILTER_VALUE_BYTES: usize = 1024;
/// Longest configuration `Id`, in characters.
pub const MAX_ID_CHARS: usize = 255;

/// Which destination element a configuration came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DestinationKind {
    /// `TopicConfiguration` / `Topic` (SNS on AWS).
    Topic,
    /// `QueueConfiguration` / `Queue` (SQS on AWS; Sluice's webhook and NATS targets).
    Queue,
    /// `CloudFunctionConfiguration` / `CloudFunction` (Lambda on AWS).
    CloudFunction,
}

impl DestinationKind {
    /// Every kind, in the order GetBucketNotificationConfiguration writes them.
    pub const ALL: [DestinationKind; 3] = [
        DestinationKind::Topic,
        DestinationKind::Queue,
        DestinationKind::CloudFunction,
    ];

    /// The configuration element (`QueueConfiguration`, ...).
    pub fn element(self) -> &'static str {
        match self {
            DestinationKind::Topic => "TopicConfiguration",
            DestinationKind::Queue => "QueueConfiguration",
            DestinationKind::CloudFunction => "CloudFunctionConfiguration",
        }
    }

    /// The element holding the destination ARN (`Queue`, ...).
    pub fn arn_element(self) -> &'static str {
        match self {
            DestinationKind::Topic => "Topic",
            DestinationKind::Queue => "Queue",
            DestinationKind::CloudFunction => "CloudFunction",
        }
    }

    fn from_element(name: &str) -> Option<Self> {
        DestinationKind::ALL
            .into_iter()
            .find(|k| k.element() == name)
    }
}

/// `Filter` / `S3Key`: at most one prefix and one suffix rule; absent means every key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyFilter {
    /// The `prefix` rule's value.
    pub prefix: Option<String>,
    /// The `suffix` rule's value.
    pub suffix: Option<String>,
}

impl KeyFilter {
    /// Whether the filter has no rule.
    pub fn is_empty(&self) -> bool {
        self.prefix.is_none() && self.suffix.is_none()
    }

    /// Whether `key` (raw, as stored) passes the filter (values URL-decoded first, see the
    /// module documentation).
    pub fn matches(&self, key: &str) -> bool {
        self.prefix
            .as_deref()
            .is_none_or(|p| key.starts_with(decode_value(p).as_ref()))
            && self
                .suffix
                .as_deref()
                .is_none_or(|s| key.ends_with(decode_value(s).as_ref()))
    }

    /// Whether some key passes both filters: prefixes one a prefix of the other and suffixes
    /// one a suffix of the other (an absent rule matches everything).
    pub fn overlaps(&self, other: &KeyFilter) -> bool {
        fn value(v: &Option<String>) -> Cow<'_, str> {
            decode_value(v.as_deref().unwrap_or(""))
        }
        let (p1, p2) = (value(&self.prefix), value(&other.prefix));
        let (s1, s2) = (value(&self.suffix), value(&other.suffix));
        (p1.starts_with(p2.as_ref()) || p2.starts_with(p1.as_ref()))
            && (s1.ends_with(s2.as_ref()) || s2.ends_with(s1.as_ref()))
    }
}

/// A filter value as the key it stands for: form-decoded (`+` is a space, `%XX` a byte), or
/// literal when that does not give UTF-8.
fn decode_value(v: &str) -> Cow<'_, str> {
    if !v.contains(['%', '+']) {
        return Cow::Borrowed(v);
    }
    let plus_as_space = v.replace('+', " ");
    match percent_decode_str(&plus_as_space).decode_utf8() {
        Ok(decoded) => Cow::Owned(decoded.into_owned()),
        Err(_) => Cow::Borrowed(v),
    }
}

/// One `QueueConfiguration` / `TopicConfiguration` / `CloudFunctionConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The element it came in.
    pub kind: DestinationKind,
    /// `Id`: as sent, or generated from the content (see the module documentation).
    pub id: String,
    /// `Queue` / `Topic` / `CloudFunction`: the destination ARN, checked by the caller.
    pub arn: String,
    /// `Event`s as sent (wildcards kept), in order.
    pub events: Vec<String>,
    /// `Filter`.
    pub filter: KeyFilter,
}

/// A queue configuration (the kind Sluice's targets use).
pub type QueueConfiguration = Destination;

impl Destination {
    /// Whether an event `event_name` (`s3:ObjectCreated:Put`) on `key` goes to this destination.
    pub fn matches(&self, event_name: &str, key: &str) -> bool {
        self.events
            .iter()
            .any(|p| event_pattern_matches(p, event_name))
            && self.filter.matches(key)
    }
}

/// A bucket's notification configuration. Each list keeps document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotificationConfiguration {
    /// `TopicConfiguration`s.
    pub topics: Vec<Destination>,
    /// `QueueConfiguration`s.
    pub queues: Vec<Destination>,
    /// `CloudFunctionConfiguration`s.
    pub cloud_functions: Vec<Destination>,
}

impl NotificationConfiguration {
    /// Whether there is no configuration (notifications off).
    pub fn is_empty(&self) -> bool {
        self.topics.is_empty() && self.queues.is_empty() && self.cloud_functions.is_empty()
    }

    /// Every configuration: topics, then queues, then cloud functions.
    pub fn destinations(&self) -> impl Iterator<Item = &Destination> {
        self.topics
            .iter()
            .chain(&self.queues)
            .chain(&self.cloud_functions)
    }

    /// The distinct destination ARNs, in [`Self::destinations`] order, for the caller to check
    /// against its targets (answering [`S3Error::unable_to_validate_destinations`] for unknown ones).
    pub fn destination_arns(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.destinations()
            .map(|d| d.arn.as_str())
            .filter(|a| seen.insert(*a))
            .collect()
    }

    /// The configurations an event `event_name` (`s3:ObjectCreated:Put`) on object `key` (raw)
    /// goes to: event types with wildcards expanded, prefix/suffix filters applied.
    pub fn matching(&self, event_name: &str, key: &str) -> Vec<&Destination> {
        self.destinations()
            .filter(|d| d.matches(event_name, key))
            .collect()
    }

    /// The GetBucketNotificationConfiguration document.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        if self.is_empty() {
            w.raw(&format!(
                "<NotificationConfiguration xmlns=\"{S3_NAMESPACE}\"/>"
            ));
            return w.finish();
        }
        w.open_root("NotificationConfiguration");
        for d in self.destinations() {
            w.open(d.kind.element());
            w.element("Id", &d.id);
            w.element(d.kind.arn_element(), &d.arn);
            for e in &d.events {
                w.element("Event", e);
            }
            if !d.filter.is_empty() {
                w.open("Filter");
                w.open("S3Key");
                for (name, value) in [("Prefix", &d.filter.prefix), ("Suffix", &d.filter.suffix)] {
                    if let Some(v) = value {
                        w.open("FilterRule");
                        w.element("Name", name);
                        w.element("Value", v);
                        w.close("FilterRule");
                    }
                }
                w.close("S3Key");
                w.close("Filter");
            }
            w.close(d.kind.element());
        }
        w.close("NotificationConfiguration");
        w.finish()
    }
}

/// The GetBucketNotificationConfiguration document (an empty configuration is
/// `<NotificationConfiguration xmlns="..."/>`).
pub fn notification_configuration_xml(config: &NotificationConfiguration) -> String {
    config.to_xml()
}

/// A configuration as read, before ids are settled.
struct Parsed {
    kind: DestinationKind,
    id: Option<String>,
    arn: String,
    events: Vec<String>,
    filter: KeyFilter,
}

/// Parses and validates a PutBucketNotificationConfiguration body. Destination ARNs are not
/// checked here: see [`NotificationConfiguration::destination_arns`].
pub fn parse_notification_configuration(body: &[u8]) -> Result<NotificationConfiguration, S3Error> {
    let doc = super::from_body(body, "NotificationConfiguration")?;
    let mut parsed = Vec::new();
    for child in &doc.children {
        if child.name == "EventBridgeConfiguration" {
            return Err(S3Error::eventbridge_not_supported());
        }
        let kind = DestinationKind::from_element(&child.name).ok_or_else(S3Error::malformed_xml)?;
        parsed.push(parse_destination(kind, child)?);
    }
    let mut ids = HashSet::new();
    for p in &parsed {
        if let Some(id) = &p.id {
            if !ids.insert(id.as_str()) {
                return Err(S3Error::notification_id_repeated(id));
            }
        }
    }
    check_overlaps(&parsed)?;
    let mut config = NotificationConfiguration::default();
    for p in parsed {
        let id = p.id.clone().unwrap_or_else(|| generated_id(&p));
        let d = Destination {
            kind: p.kind,
            id,
            arn: p.arn,
            events: p.events,
            filter: p.filter,
        };
        match d.kind {
            DestinationKind::Topic => config.topics.push(d),
            DestinationKind::Queue => config.queues.push(d),
            DestinationKind::CloudFunction => config.cloud_functions.push(d),
        }
    }
    Ok(config)
}

fn parse_destination(kind: DestinationKind, el: &Element) -> Result<Parsed, S3Error> {
    let mut id = None;
    let mut arn = None;
    let mut events = Vec::new();
    let mut filter = None;
    for c in &el.children {
        let slot = match c.name.as_str() {
            "Id" => &mut id,
            "Event" => {
                events.push(c.text.trim().to_string());
                continue;
            }
            "Filter" => {
                if filter.is_some() {
                    return Err(S3Error::malformed_xml());
                }
                filter = Some(parse_filter(c)?);
                continue;
            }
            "InvocationRole" if kind == DestinationKind::CloudFunction => continue,
            n if n == kind.arn_element() => &mut arn,
            _ => return Err(S3Error::malformed_xml()),
        };
        if slot.is_some() {
            return Err(S3Error::malformed_xml());
        }
        *slot = Some(c.text.trim().to_string());
    }
    let arn = arn
        .filter(|a| !a.is_empty())
        .ok_or_else(S3Error::malformed_xml)?;
    if events.is_empty() {
        return Err(S3Error::malformed_xml());
    }
    if let Some(bad) = events.iter().find(|e| !is_configurable_event(e)) {
        return Err(S3Error::notification_event_not_supported(bad));
    }
    let id = id.filter(|i| !i.is_empty());
    if id
        .as_ref()
        .is_some_and(|i| i.chars().count() > MAX_ID_CHARS)
    {
        return Err(S3Error::notification_id_too_long());
    }
    Ok(Parsed {
        kind,
        id,
        arn,
        events,
        filter: filter.unwrap_or_default(),
    })
}

fn parse_filter(el: &Element) -> Result<KeyFilter, S3Error> {
    let mut filter = KeyFilter::default();
    let mut keys = 0;
    for s3key in &el.children {
        if s3key.name != "S3Key" {
            return Err(S3Error::malformed_xml());
        }
        keys += 1;
        if keys > 1 {
            return Err(S3Error::malformed_xml());
        }
        for rule in &s3key.children {
            if rule.name != "FilterRule" {
                return Err(S3Error::malformed_xml());
            }
            let (name, value) = parse_rule(rule)?;
            let slot = match name.trim().to_ascii_lowercase().as_str() {
                "prefix" => &mut filter.prefix,
                "suffix" => &mut filter.suffix,
                _ => return Err(S3Error::filter_rule_name_invalid(name)),
            };
            if slot.is_some() {
                return Err(S3Error::filter_rule_repeated(
                    &name.trim().to_ascii_lowercase(),
                ));
            }
            if value.len() > MAX_FILTER_VALUE_BYTES {
                return Err(S3Error::filter_rule_value_too_long());
            }
            *slot = Some(value.to_string());
        }
    }
    Ok(filter)
}

fn parse_rule(rule: &Element) -> Result<(&str, &str), S3Error> {
    let (mut name, mut value) = (None, None);
    for c in &rule.children {
        let slot = match c.name.as_str() {
            "Name" => &mut name,
            "Value" => &mut value,
            _ => return Err(S3Error::malformed_xml()),
        };
        if slot.is_some() {
            return Err(S3Error::malformed_xml());
        }
        *slot = Some(c.text.as_str());
    }
    match (name, value) {
        (Some(n), Some(v)) => Ok((n, v)),
        _ => Err(S3Error::malformed_xml()),
    }
}

/// AWS's overlap rule: two configurations may not share an event type (wildcards expanded) for
/// keys both their filters match.
fn check_overlaps(parsed: &[Parsed]) -> Result<(), S3Error> {
    for (i, a) in parsed.iter().enumerate() {
        for b in &parsed[i + 1..] {
            if !a.filter.overlaps(&b.filter) {
                continue;
            }
            for ea in &a.events {
                if let Some(eb) = b.events.iter().find(|eb| event_patterns_overlap(ea, eb)) {
                    return Err(if a.filter.is_empty() && b.filter.is_empty() {
                        S3Error::notification_configurations_overlap(ea, eb)
                    } else {
                        S3Error::notification_filters_overlap()
                    });
                }
            }
        }
    }
    Ok(())
}

/// The id of a configuration sent without one: 128-bit FNV-1a of its content, in hex.
fn generated_id(p: &Parsed) -> String {
    let mut parts: Vec<&str> = vec![p.kind.element(), &p.arn];
    parts.extend(p.events.iter().map(String::as_str));
    parts.push(p.filter.prefix.as_deref().map_or("\u{0}-", |_| "\u{0}p"));
    parts.push(p.filter.prefix.as_deref().unwrap_or(""));
    parts.push(p.filter.suffix.as_deref().map_or("\u{0}-", |_| "\u{0}s"));
    parts.push(p.filter.suffix.as_deref().unwrap_or(""));
    let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    for part in parts {
        for b in (part.len() as u64)
            .to_be_bytes()
            .iter()
            .chain(part.as_bytes())
        {
            h ^= u128::from(*b);
            h = h.wrapping_mul(PRIME);
        }
    }
    format!("{h:032x}")
}

#[cfg(test)]
mod tests;
