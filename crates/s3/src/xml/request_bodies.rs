//! Request bodies Sluice parses: `CreateBucketConfiguration` and `Delete`.

use crate::error::S3Error;

/// Most keys one DeleteObjects request may name.
pub const MAX_DELETE_KEYS: usize = 1000;

/// Parses a CreateBucket body; returns the location constraint (None when the body is empty).
pub fn parse_create_bucket_configuration(body: &[u8]) -> Result<Option<String>, S3Error> {
    let text = std::str::from_utf8(body).map_err(|_| S3Error::malformed_xml())?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    let cfg = super::from_body(body, "CreateBucketConfiguration")?;
    Ok(cfg
        .text_of("LocationConstraint")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty()))
}

/// One key named in a DeleteObjects request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectIdentifier {
    /// Key to delete, exactly as sent (leading and trailing whitespace are part of the key).
    pub key: String,
    /// Version id (only `null` is meaningful on an unversioned bucket).
    pub version_id: Option<String>,
}

/// A parsed DeleteObjects request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteRequest {
    /// Quiet mode.
    pub quiet: bool,
    /// Keys to delete.
    pub objects: Vec<ObjectIdentifier>,
}

/// Parses a DeleteObjects body (1 to 1000 keys).
pub fn parse_delete_request(body: &[u8]) -> Result<DeleteRequest, S3Error> {
    let doc = super::from_body(body, "Delete")?;
    let quiet = match doc.text_of("Quiet") {
        None => false,
        Some(q) => parse_bool(q)?,
    };
    let objects = doc
        .all("Object")
        .map(|o| {
            Ok(ObjectIdentifier {
                key: o
                    .text_of("Key")
                    .ok_or_else(S3Error::malformed_xml)?
                    .to_string(),
                version_id: o.text_of("VersionId").map(|v| v.trim().to_string()),
            })
        })
        .collect::<Result<Vec<_>, S3Error>>()?;
    let req = DeleteRequest { quiet, objects };
    if req.objects.is_empty() || req.objects.len() > MAX_DELETE_KEYS {
        return Err(S3Error::malformed_xml());
    }
    Ok(req)
}

/// An `xs:boolean` (`true`, `false`, `1`, `0`, surrounding whitespace allowed).
pub(crate) fn parse_bool(text: &str) -> Result<bool, S3Error> {
    match text.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(S3Error::malformed_xml()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_delete() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet><Object><Key>a &amp; b</Key></Object><Object><Key>c</Key><VersionId>null</VersionId></Object></Delete>"#;
        let d = parse_delete_request(body).unwrap();
        assert!(d.quiet);
        assert_eq!(d.objects.len(), 2);
        assert_eq!(d.objects[0].key, "a & b");
        assert_eq!(d.objects[1].version_id.as_deref(), Some("null"));
        let spaced = b"<Delete>\n  <Quiet> true </Quiet>\n  <Object><Key> </Key></Object>\n  <Object>\n    <Key>\t_ &#10;&#xA;</Key>\n  </Object>\n</Delete>";
        let d = parse_delete_request(spaced).unwrap();
        assert!(d.quiet);
        let keys: Vec<&str> = d.objects.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(keys, [" ", "\t_ \n\n"]);
        assert_eq!(
            parse_delete_request(b"<Delete><Object><VersionId>null</VersionId></Object></Delete>")
                .unwrap_err()
                .code,
            "MalformedXML"
        );
        assert_eq!(
            parse_delete_request(b"<Delete></Delete>").unwrap_err().code,
            "MalformedXML"
        );
        assert_eq!(
            parse_delete_request(b"<Delete><Object>").unwrap_err().code,
            "MalformedXML"
        );
        assert_eq!(
            parse_delete_request(b"\xff").unwrap_err().code,
            "MalformedXML"
        );
    }

    #[test]
    fn parses_create_bucket() {
        assert_eq!(parse_create_bucket_configuration(b"").unwrap(), None);
        let b = br#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"#;
        assert_eq!(
            parse_create_bucket_configuration(b).unwrap().as_deref(),
            Some("eu-west-1")
        );
        assert!(parse_create_bucket_configuration(b"<nope").is_err());
    }
}
