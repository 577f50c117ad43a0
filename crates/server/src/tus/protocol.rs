//! The tus headers: reading the request's, writing the response's, and the protocol's refusals
//! (as [`S3Error`]s, so the body is S3 error XML a browser can read).

use super::{TUS_CHECKSUM_ALGORITHMS, TUS_EXTENSIONS, TUS_MAX_SIZE, TUS_VERSION};
use crate::body::checksum::ChecksumAlgorithm;
use crate::net::headers::header;
use crate::net::response::{set_header, ResponseBody};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use http::request::Parts;
use http::Response;
use sluice_s3::S3Error;

/// Metadata keys whose value becomes the object's Content-Type.
const CONTENT_TYPE_KEYS: [&str; 4] = ["filetype", "contenttype", "content-type", "type"];

/// 412: a request without `Tus-Resumable: 1.0.0`.
pub fn unsupported_version() -> S3Error {
    with_version(S3Error::new(
        "PreconditionFailed",
        412,
        format!("This tus endpoint speaks Tus-Resumable: {TUS_VERSION} only"),
    ))
}

/// 409: a PATCH whose `Upload-Offset` is not the upload's offset.
pub fn offset_mismatch(sent: u64, current: u64) -> S3Error {
    S3Error::new(
        "OffsetMismatch",
        409,
        format!("Upload-Offset is {sent} but the upload is at {current}"),
    )
    .with_detail("UploadOffset", current.to_string())
}

/// 415: a PATCH whose body is not `application/offset+octet-stream`.
pub fn wrong_content_type() -> S3Error {
    S3Error::new(
        "UnsupportedMediaType",
        415,
        "A tus PATCH must send Content-Type: application/offset+octet-stream",
    )
}

/// 460: the PATCH body does not match its `Upload-Checksum` (its bytes are discarded).
pub fn checksum_mismatch() -> S3Error {
    S3Error::new(
        "ChecksumMismatch",
        460,
        "The bytes received do not match Upload-Checksum; they were discarded",
    )
}

/// 413: more bytes than the upload's length (or its URL's size range) allows.
pub fn too_large(max: u64) -> S3Error {
    S3Error::new(
        "EntityTooLarge",
        413,
        "Your proposed upload exceeds the maximum allowed size",
    )
    .with_detail("MaxSizeAllowed", max.to_string())
}

/// 404: no such upload (an unknown or tampered token, or one finished or terminated).
pub fn no_such_upload() -> S3Error {
    S3Error::new(
        "NoSuchUpload",
        404,
        "The specified upload does not exist. The upload URL may be wrong, or the upload finished or was terminated.",
    )
}

/// 410: the upload expired unfinished.
pub fn expired() -> S3Error {
    S3Error::new("UploadExpired", 410, "This upload expired unfinished")
}

/// 400 InvalidArgument naming a tus header.
pub fn bad_header(name: &str, value: &str, why: &str) -> S3Error {
    S3Error::invalid_argument_named(format!("Invalid {name}: {why}"), name, value)
}

/// Adds `Tus-Version` (what a 412 must name).
fn with_version(mut e: S3Error) -> S3Error {
    e.headers.push(("tus-version", TUS_VERSION.to_string()));
    e
}

/// Refuses a request without `Tus-Resumable: 1.0.0` (412).
pub fn require_resumable(parts: &Parts) -> Result<(), S3Error> {
    match header(parts, "tus-resumable") {
        Some(v) if v.trim() == TUS_VERSION => Ok(()),
        _ => Err(unsupported_version()),
    }
}

/// Sets `Tus-Resumable` on every tus answer.
pub fn set_resumable(resp: &mut Response<ResponseBody>) {
    set_header(resp, "tus-resumable", TUS_VERSION);
}

/// The discovery headers an OPTIONS answer carries.
pub fn set_discovery(resp: &mut Response<ResponseBody>) {
    set_resumable(resp);
    set_header(resp, "tus-version", TUS_VERSION);
    set_header(resp, "tus-extension", TUS_EXTENSIONS);
    set_header(resp, "tus-max-size", &TUS_MAX_SIZE.to_string());
    set_header(resp, "tus-checksum-algorithm", TUS_CHECKSUM_ALGORITHMS);
}

/// A non-negative decimal header value, if sent.
pub fn number(parts: &Parts, name: &str) -> Result<Option<u64>, S3Error> {
    match header(parts, name) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| bad_header(name, v, "not a non-negative integer")),
    }
}

/// `Upload-Expires` as tus writes it (RFC 9110 date).
pub fn expires_header(ms: i64) -> String {
    sluice_s3::xml::http_date(ms)
}

/// One `Upload-Metadata` pair: key and decoded value (`None`: a key without a value).
pub type MetadataPair = (String, Option<String>);

/// Parses `Upload-Metadata`: comma-separated `key base64value` (or a bare key).
pub fn parse_metadata(raw: &str) -> Result<Vec<MetadataPair>, S3Error> {
    let mut out: Vec<MetadataPair> = Vec::new();
    for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (key, value) = match item.split_once(' ') {
            Some((k, v)) => (k, Some(v.trim())),
            None => (item, None),
        };
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad_header("Upload-Metadata", raw, "a key is not ASCII"));
        }
        if out.iter().any(|(k, _)| k == key) {
            return Err(bad_header("Upload-Metadata", raw, "a key repeats"));
        }
        let value = match value {
            None => None,
            Some(v) => {
                let bytes = B64
                    .decode(v)
                    .map_err(|_| bad_header("Upload-Metadata", raw, "a value is not base64"))?;
                Some(
                    String::from_utf8(bytes)
                        .map_err(|_| bad_header("Upload-Metadata", raw, "a value is not UTF-8"))?,
                )
            }
        };
        out.push((key.to_string(), value));
    }
    Ok(out)
}

/// The Content-Type the metadata names (`filetype`, `contentType`, `content-type`, `type`).
pub fn metadata_content_type(pairs: &[MetadataPair]) -> Option<&str> {
    pairs
        .iter()
        .find(|(k, _)| CONTENT_TYPE_KEYS.contains(&k.to_ascii_lowercase().as_str()))
        .and_then(|(_, v)| v.as_deref())
        .filter(|v| !v.is_empty())
}

/// The `filename` the metadata names.
pub fn metadata_filename(pairs: &[MetadataPair]) -> Option<&str> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("filename") || k.eq_ignore_ascii_case("name"))
        .and_then(|(_, v)| v.as_deref())
        .filter(|v| !v.is_empty())
}

/// The request's `Upload-Metadata`, parsed (empty when absent).
pub fn request_metadata(parts: &Parts) -> Result<Vec<MetadataPair>, S3Error> {
    header(parts, "upload-metadata").map_or(Ok(Vec::new()), parse_metadata)
}

/// The object's `x-amz-meta-*` from the metadata: every pair but the content type, names
/// lower-cased (names that are not header tokens are dropped); values that are not printable
/// ASCII are carried RFC 2047-encoded, as S3 returns such values.
pub fn user_metadata(pairs: &[MetadataPair]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| !CONTENT_TYPE_KEYS.contains(&k.to_ascii_lowercase().as_str()))
        .filter(|(k, _)| http::HeaderName::from_bytes(format!("x-amz-meta-{k}").as_bytes()).is_ok())
        .map(|(k, v)| {
            let v = v.clone().unwrap_or_default();
            let v = if v.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                v
            } else {
                format!("=?UTF-8?B?{}?=", B64.encode(v.as_bytes()))
            };
            (k.to_ascii_lowercase(), v)
        })
        .collect();
    out.sort();
    out
}

/// A requested `Upload-Checksum`: the algorithm and the expected digest (raw bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadChecksum {
    /// `sha1`, `md5` or `crc32`.
    pub algorithm: TusChecksum,
    /// The digest the client computed.
    pub expected: Vec<u8>,
}

/// The checksum algorithms of the `checksum` extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TusChecksum {
    /// SHA-1.
    Sha1,
    /// MD5.
    Md5,
    /// CRC-32 (ISO-HDLC), big-endian.
    Crc32,
}

impl TusChecksum {
    /// The S3 checksum the body hasher computes for it (MD5 it always computes).
    pub fn hasher_algorithm(self) -> Option<ChecksumAlgorithm> {
        match self {
            TusChecksum::Sha1 => Some(ChecksumAlgorithm::Sha1),
            TusChecksum::Crc32 => Some(ChecksumAlgorithm::Crc32),
            TusChecksum::Md5 => None,
        }
    }
}

/// Parses `Upload-Checksum: ALG BASE64` (400 for an unsupported algorithm or a bad value).
pub fn upload_checksum(parts: &Parts) -> Result<Option<UploadChecksum>, S3Error> {
    let Some(raw) = header(parts, "upload-checksum") else {
        return Ok(None);
    };
    let (alg, value) = raw
        .trim()
        .split_once(' ')
        .ok_or_else(|| bad_header("Upload-Checksum", raw, "expected ALGORITHM BASE64"))?;
    let algorithm = match alg.to_ascii_lowercase().as_str() {
        "sha1" => TusChecksum::Sha1,
        "md5" => TusChecksum::Md5,
        "crc32" => TusChecksum::Crc32,
        _ => {
            return Err(bad_header(
                "Upload-Checksum",
                raw,
                "unsupported algorithm (sha1, md5, crc32)",
            ))
        }
    };
    let expected = B64
        .decode(value.trim())
        .map_err(|_| bad_header("Upload-Checksum", raw, "the digest is not base64"))?;
    Ok(Some(UploadChecksum {
        algorithm,
        expected,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_parses_and_maps() {
        let pairs = parse_metadata("filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential,filetype YXBwbGljYXRpb24vcGRm").unwrap();
        assert_eq!(metadata_filename(&pairs), Some("world_domination_plan.pdf"));
        assert_eq!(metadata_content_type(&pairs), Some("application/pdf"));
        assert_eq!(
            user_metadata(&pairs),
            vec![
                (
                    "filename".to_string(),
                    "world_domination_plan.pdf".to_string()
                ),
                ("is_confidential".to_string(), String::new()),
            ]
        );
        assert!(parse_metadata("a !!!").is_err());
        assert!(parse_metadata("a YQ==,a YQ==").is_err());
        let accented = parse_metadata("filename w6k=").unwrap();
        assert_eq!(user_metadata(&accented)[0].1, "=?UTF-8?B?w6k=?=");
    }
}
