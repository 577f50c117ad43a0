//! S3 tag sets: the `x-amz-tagging` header's URL-query form and AWS's limits and errors for
//! object tags (10 per object) and bucket tags (50 per bucket).

use crate::error::S3Error;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Tag key/value pairs, in the order given.
pub type TagSet = Vec<(String, String)>;

/// Most tags an object may carry.
pub const MAX_OBJECT_TAGS: usize = 10;
/// Most tags a bucket may carry.
pub const MAX_BUCKET_TAGS: usize = 50;
/// Longest tag key, in Unicode characters.
pub const MAX_KEY_CHARS: usize = 128;
/// Longest tag value, in Unicode characters.
pub const MAX_VALUE_CHARS: usize = 256;

/// The header that carries a new object's tags.
pub const TAGGING_HEADER: &str = "x-amz-tagging";

/// Characters left unescaped when writing the query form (RFC 3986 unreserved).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Whose tags are validated: the limits and messages differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagTarget {
    /// An object's tags (PutObjectTagging, `x-amz-tagging`, the POST form's `tagging`).
    Object,
    /// A bucket's tags (PutBucketTagging).
    Bucket,
}

/// 400 InvalidTag with AWS's message.
pub fn invalid_tag(message: impl Into<String>) -> S3Error {
    S3Error::new("InvalidTag", 400, message)
}

/// 400 InvalidArgument for an `x-amz-tagging` header that is not a URL query, as AWS words it.
pub fn invalid_tagging_header(value: &str) -> S3Error {
    S3Error::invalid_argument_named(
        "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.",
        TAGGING_HEADER,
        value,
    )
}

/// Parses the `x-amz-tagging` header (`k1=v1&k2=v2`, URL-encoded, `+` for a space) and
/// validates the tags as object tags. An empty header is no tags.
pub fn parse_tagging_header(value: &str) -> Result<TagSet, S3Error> {
    let mut tags = TagSet::new();
    for pair in value.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (
            decode(k).ok_or_else(|| invalid_tagging_header(value))?,
            decode(v).ok_or_else(|| invalid_tagging_header(value))?,
        );
        if tags.iter().any(|(seen, _)| *seen == k) {
            return Err(invalid_tagging_header(value));
        }
        tags.push((k, v));
    }
    validate_tags(&tags, TagTarget::Object)?;
    Ok(tags)
}

fn decode(s: &str) -> Option<String> {
    let spaced = s.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// The URL-query form of a tag set, as `x-amz-tagging` carries it.
pub fn tagging_query(tags: &[(String, String)]) -> String {
    tags.iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, QUERY_VALUE),
                utf8_percent_encode(v, QUERY_VALUE)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// AWS's checks of a tag set: count, key and value length and characters, duplicate keys,
/// the reserved `aws:` prefix.
pub fn validate_tags(tags: &[(String, String)], target: TagTarget) -> Result<(), S3Error> {
    match target {
        TagTarget::Object if tags.len() > MAX_OBJECT_TAGS => {
            return Err(S3Error::new(
                "BadRequest",
                400,
                "Object tags cannot be greater than 10",
            ))
        }
        TagTarget::Bucket if tags.len() > MAX_BUCKET_TAGS => {
            return Err(S3Error::new(
                "BadRequest",
                400,
                "Bucket tag count cannot be greater than 50",
            ))
        }
        _ => {}
    }
    for (i, (key, value)) in tags.iter().enumerate() {
        if key.is_empty() || !key.chars().all(allowed_char) {
            return Err(invalid_tag("The TagKey you have provided is invalid"));
        }
        if key.chars().count() > MAX_KEY_CHARS {
            return Err(invalid_tag(
                "The TagKey you have provided is too long, max 128",
            ));
        }
        if !value.chars().all(allowed_char) {
            return Err(invalid_tag("The TagValue you have provided is invalid"));
        }
        if value.chars().count() > MAX_VALUE_CHARS {
            return Err(invalid_tag(
                "The TagValue you have provided is too long, max 256",
            ));
        }
        if key
            .get(..4)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws:"))
        {
            return Err(match target {
                TagTarget::Object => invalid_tag("Your TagKey cannot be prefixed with aws:"),
                TagTarget::Bucket => {
                    invalid_tag("System tags cannot be added/updated by requester")
                }
            });
        }
        if tags[..i].iter().any(|(k, _)| k == key) {
            return Err(invalid_tag(
                "Cannot provide multiple Tags with the same key",
            ));
        }
    }
    Ok(())
}

/// Characters AWS allows in tags: letters, digits and white space in any script, and
/// `+ - = . _ : / @`.
fn allowed_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "+-=._:/@".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<TagSet, S3Error>) -> String {
        r.err().map(|e| e.code.to_string()).unwrap_or_default()
    }

    #[test]
    fn a_key_with_a_multibyte_character_near_its_start_is_judged_not_sliced() {
        // Found by the xml_bodies fuzz target: byte 4 fell inside a three-byte character.
        let tags = vec![("n \u{fefb} ur ur".to_string(), String::new())];
        assert!(validate_tags(&tags, TagTarget::Object).is_ok());
        assert!(parse_tagging_header("n+%EF%BB%BB+ur+ur").is_ok());
        let aws = vec![("AWS:x".to_string(), String::new())];
        assert_eq!(
            code(Err(validate_tags(&aws, TagTarget::Object).unwrap_err())),
            "InvalidTag"
        );
    }

    #[test]
    fn header_form_round_trips() {
        let tags = parse_tagging_header("a=1&b%20c=x+y&empty=&flag").unwrap();
        assert_eq!(
            tags,
            vec![
                ("a".into(), "1".into()),
                ("b c".into(), "x y".into()),
                ("empty".into(), String::new()),
                ("flag".into(), String::new()),
            ]
        );
        assert_eq!(parse_tagging_header(&tagging_query(&tags)).unwrap(), tags);
        assert_eq!(parse_tagging_header("").unwrap(), TagSet::new());
        let unicode = vec![("ключ".to_string(), "значение é".to_string())];
        assert_eq!(
            parse_tagging_header(&tagging_query(&unicode)).unwrap(),
            unicode
        );
    }

    #[test]
    fn header_errors() {
        assert_eq!(code(parse_tagging_header("a=1&a=2")), "InvalidArgument");
        assert_eq!(code(parse_tagging_header("a=%FF")), "InvalidArgument");
        assert_eq!(code(parse_tagging_header("aws:x=1")), "InvalidTag");
        assert_eq!(code(parse_tagging_header("a=%3C")), "InvalidTag");
        let eleven: Vec<String> = (0..11).map(|i| format!("k{i}=v")).collect();
        assert_eq!(code(parse_tagging_header(&eleven.join("&"))), "BadRequest");
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let t = |k: String, v: String| vec![(k, v)];
        let ok = validate_tags(&t("é".repeat(128), "é".repeat(256)), TagTarget::Object);
        assert!(ok.is_ok());
        let long_key = validate_tags(&t("k".repeat(129), String::new()), TagTarget::Object);
        assert_eq!(long_key.unwrap_err().code, "InvalidTag");
        let long_value = validate_tags(&t("k".into(), "v".repeat(257)), TagTarget::Object);
        assert_eq!(long_value.unwrap_err().code, "InvalidTag");
        let fifty: Vec<(String, String)> =
            (0..50).map(|i| (format!("k{i}"), String::new())).collect();
        assert!(validate_tags(&fifty, TagTarget::Bucket).is_ok());
        assert_eq!(
            validate_tags(&fifty, TagTarget::Object).unwrap_err().code,
            "BadRequest"
        );
        let dup = vec![("a".into(), "1".into()), ("a".into(), "2".into())];
        assert_eq!(
            validate_tags(&dup, TagTarget::Object).unwrap_err().message,
            "Cannot provide multiple Tags with the same key"
        );
    }
}
