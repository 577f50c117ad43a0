//! The `Tagging` document (`Tagging/TagSet/Tag/Key,Value`) of Put/Get Object and Bucket
//! tagging and the POST form's `tagging` field.

use crate::error::S3Error;
use crate::tagging::{validate_tags, TagSet, TagTarget};
use crate::xml_writer::XmlWriter;

/// Parses and validates a `Tagging` document: MalformedXML unless it has one `TagSet` whose
/// `Tag`s each have one `Key` and one `Value`; then AWS's tag checks for `target`.
pub fn parse_tagging(body: &[u8], target: TagTarget) -> Result<TagSet, S3Error> {
    let doc = super::from_body(body, "Tagging")?;
    let mut sets = doc.all("TagSet");
    let set = sets.next().ok_or_else(S3Error::malformed_xml)?;
    if sets.next().is_some() || doc.children.iter().any(|c| c.name != "TagSet") {
        return Err(S3Error::malformed_xml());
    }
    let mut tags = TagSet::new();
    for tag in &set.children {
        if tag.name != "Tag" {
            return Err(S3Error::malformed_xml());
        }
        let one = |name: &str| -> Result<String, S3Error> {
            let mut it = tag.all(name);
            match (it.next(), it.next()) {
                (Some(e), None) if e.children.is_empty() => Ok(e.text.clone()),
                _ => Err(S3Error::malformed_xml()),
            }
        };
        if tag
            .children
            .iter()
            .any(|c| c.name != "Key" && c.name != "Value")
        {
            return Err(S3Error::malformed_xml());
        }
        tags.push((one("Key")?, one("Value")?));
    }
    validate_tags(&tags, target)?;
    Ok(tags)
}

/// The `Tagging` document of a tag set (GetObjectTagging, GetBucketTagging).
pub fn tagging_xml(tags: &[(String, String)]) -> String {
    let mut w = XmlWriter::new();
    w.open_root("Tagging");
    w.open("TagSet");
    for (k, v) in tags {
        w.open("Tag");
        w.element("Key", k);
        w.element("Value", v);
        w.close("Tag");
    }
    w.close("TagSet");
    w.close("Tagging");
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let tags = vec![
            ("a b".to_string(), " v ".to_string()),
            ("k".to_string(), String::new()),
            ("ws".to_string(), "a\r\nb\tc\u{3000}".to_string()),
            (
                "amp&<>".replace(['&', '<', '>'], "+"),
                "x&y".replace('&', "@"),
            ),
        ];
        let doc = tagging_xml(&tags);
        assert_eq!(
            parse_tagging(doc.as_bytes(), TagTarget::Object).unwrap(),
            tags
        );
        let empty = parse_tagging(b"<Tagging><TagSet/></Tagging>", TagTarget::Object).unwrap();
        assert!(empty.is_empty());
    }

    #[test]
    fn malformed() {
        for body in [
            "<Tagging/>",
            "<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>",
            "<Tagging><TagSet><Tag><Value>a</Value></Tag></TagSet></Tagging>",
            "<Tagging><TagSet><Tag><Key>a</Key><Key>b</Key><Value/></Tag></TagSet></Tagging>",
            "<Tagging><TagSet><Other/></TagSet></Tagging>",
            "<Tagging><TagSet></TagSet><TagSet></TagSet></Tagging>",
            "<Other><TagSet/></Other>",
            "not xml",
        ] {
            assert_eq!(
                parse_tagging(body.as_bytes(), TagTarget::Object)
                    .unwrap_err()
                    .code,
                "MalformedXML",
                "{body}"
            );
        }
        let dup = "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag>\
                   <Tag><Key>a</Key><Value>2</Value></Tag></TagSet></Tagging>";
        assert_eq!(
            parse_tagging(dup.as_bytes(), TagTarget::Object)
                .unwrap_err()
                .code,
            "InvalidTag"
        );
    }
}
