//! Request bodies Sluice parses: `CreateBucketConfiguration` and `Delete`.

use crate::error::S3Error;
use serde::Deserialize;

/// Most keys one DeleteObjects request may name.
pub const MAX_DELETE_KEYS: usize = 1000;

#[derive(Debug, Deserialize)]
#[serde(rename = "CreateBucketConfiguration")]
struct CreateBucketConfiguration {
    #[serde(rename = "LocationConstraint", default)]
    location_constraint: Option<String>,
}

/// Parses a CreateBucket body; returns the location constraint (None when the body is empty).
pub fn parse_create_bucket_configuration(body: &[u8]) -> Result<Option<String>, S3Error> {
    let text = std::str::from_utf8(body).map_err(|_| S3Error::malformed_xml())?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    let cfg: CreateBucketConfiguration = super::from_body(text)?;
    Ok(cfg.location_constraint.filter(|s| !s.is_empty()))
}

/// One key named in a DeleteObjects request.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ObjectIdentifier {
    /// Key to delete.
    #[serde(rename = "Key")]
    pub key: String,
    /// Version id (only `null` is meaningful on an unversioned bucket).
    #[serde(rename = "VersionId", default)]
    pub version_id: Option<String>,
}

/// A parsed DeleteObjects request.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename = "Delete")]
pub struct DeleteRequest {
    /// Quiet mode.
    #[serde(rename = "Quiet", default)]
    pub quiet: bool,
    /// Keys to delete.
    #[serde(rename = "Object", default)]
    pub objects: Vec<ObjectIdentifier>,
}

/// Parses a DeleteObjects body (1 to 1000 keys).
pub fn parse_delete_request(body: &[u8]) -> Result<DeleteRequest, S3Error> {
    let text = std::str::from_utf8(body).map_err(|_| S3Error::malformed_xml())?;
    let req: DeleteRequest = super::from_body(text)?;
    if req.objects.is_empty() || req.objects.len() > MAX_DELETE_KEYS {
        return Err(S3Error::malformed_xml());
    }
    Ok(req)
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
