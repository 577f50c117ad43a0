//! CopyObject: server-side copy with the COPY / REPLACE metadata and tagging directives.

use crate::auth::authz::require_allowed;
use crate::body::checksum::{stored_algorithm, BodyHasher, ChecksumAlgorithm};
use crate::body::object_reader::ObjectReader;
use crate::net::headers::{header, standard_headers, user_metadata};
use crate::net::response::{self, ResponseBody};
use crate::ops::conditions::evaluate_read_conditions;
use crate::ops::get_object::load_object;
use crate::ops::lookup::{require_bucket, store_err};
use crate::ops::put_object::{commit_object, MAX_PUT_SIZE};
use crate::request_ctx::RequestCtx;
use http::Response;
use percent_encoding::percent_decode_str;
use sluice_s3::xml::CopyObjectResult;
use sluice_s3::S3Error;
use sluice_store::{Checksums, ObjectMeta};

/// A parsed `x-amz-copy-source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySource {
    /// Source bucket.
    pub bucket: String,
    /// Source key.
    pub key: String,
}

/// Parses `x-amz-copy-source` (`[/]bucket/key[?versionId=null]`, URL-encoded).
pub fn parse_copy_source(value: &str) -> Result<CopySource, S3Error> {
    let value = value.trim();
    let (path, query) = value.split_once('?').unwrap_or((value, ""));
    if let Some(version) = query.strip_prefix("versionId=") {
        if version != "null" {
            return Err(S3Error::new(
                "NoSuchVersion",
                404,
                "The specified version does not exist.",
            ));
        }
    }
    let decoded = percent_decode_str(path)
        .decode_utf8()
        .map_err(|_| S3Error::invalid_copy_source())?;
    let decoded = decoded.strip_prefix('/').unwrap_or(&decoded);
    match decoded.split_once('/') {
        Some((b, k)) if !b.is_empty() && !k.is_empty() => Ok(CopySource {
            bucket: b.to_string(),
            key: k.to_string(),
        }),
        _ => Err(S3Error::invalid_copy_source()),
    }
}

/// `PUT /bucket/key` with `x-amz-copy-source`
pub async fn copy_object(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    let source = parse_copy_source(header(ctx.parts, "x-amz-copy-source").unwrap_or_default())?;
    require_allowed(ctx, "s3:GetObject", Some(&source.bucket), Some(&source.key)).await?;
    let replace = match header(ctx.parts, "x-amz-metadata-directive").map(str::trim) {
        None | Some("COPY") => false,
        Some("REPLACE") => true,
        Some(_) => return Err(S3Error::invalid_argument("Unknown metadata directive.")),
    };
    let replace_tags = match header(ctx.parts, "x-amz-tagging-directive").map(str::trim) {
        None | Some("COPY") => false,
        Some("REPLACE") => true,
        Some(v) => {
            return Err(S3Error::invalid_argument_named(
                "Unknown tagging directive.",
                "x-amz-tagging-directive",
                v,
            ))
        }
    };
    // With REPLACE the object gets the header's tags (none without it); with COPY the
    // header is ignored, as AWS does.
    let new_tags = if replace_tags {
        Some(crate::ops::tagging::header_tags(ctx.parts)?)
    } else {
        None
    };
    let algorithm = match header(ctx.parts, "x-amz-checksum-algorithm") {
        Some(a) => Some(ChecksumAlgorithm::from_name(a).ok_or_else(|| {
            S3Error::invalid_request("Checksum algorithm provided is unsupported.")
        })?),
        None => None,
    };
    let src = load_object(ctx, &source.bucket, &source.key).await?;
    evaluate_read_conditions(ctx.parts, &src, "x-amz-copy-source-")?;
    let tags = match new_tags {
        Some(tags) => {
            if !tags.is_empty() {
                require_allowed(ctx, "s3:PutObjectTagging", Some(bucket), Some(key)).await?;
            }
            tags
        }
        None => {
            // Copying the source's tags reads them: AWS asks for s3:GetObjectTagging on it.
            if !src.tags.is_empty() {
                require_allowed(
                    ctx,
                    "s3:GetObjectTagging",
                    Some(&source.bucket),
                    Some(&source.key),
                )
                .await?;
            }
            src.tags.clone()
        }
    };
    if source.bucket == bucket && source.key == key && !replace && algorithm.is_none() {
        return Err(S3Error::invalid_request(
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    if src.size > MAX_PUT_SIZE {
        return Err(S3Error::invalid_request(format!(
            "The specified copy source is larger than the maximum allowable size for a copy source: {MAX_PUT_SIZE}"
        )));
    }
    require_bucket(ctx, bucket).await?;
    let algorithm = algorithm
        .or_else(|| stored_algorithm(&src.checksums))
        .unwrap_or(ChecksumAlgorithm::Crc64Nvme);
    let (headers, metadata) = if replace {
        (standard_headers(ctx.parts), user_metadata(ctx.parts)?)
    } else {
        (src.headers.clone(), src.user_metadata.clone())
    };
    let (blob, md5_hex, checksum) = copy_range_to_blob(ctx, &src, 0, src.size, algorithm).await?;
    let mut checksums = Checksums::default();
    algorithm.store(&mut checksums, checksum.clone());
    let meta = ObjectMeta {
        bucket: bucket.to_string(),
        key: key.to_string(),
        size: src.size,
        etag: md5_hex.clone(),
        last_modified_ms: ctx.state.clock.now_ms(),
        headers,
        user_metadata: metadata,
        checksums,
        blob,
        parts: None,
        tags,
    };
    commit_object(ctx, &meta, sluice_s3::event_record::OBJECT_CREATED_COPY).await?;
    let doc = CopyObjectResult {
        etag: md5_hex,
        last_modified_ms: meta.last_modified_ms,
        checksums: vec![(algorithm.xml_element(), checksum)],
    };
    Ok(response::xml(doc.to_xml("CopyObjectResult")))
}

/// Copies `len` bytes of an object from `start` into a new committed blob, hashing on the way.
/// Returns the blob, the hex MD5 and the base64 checksum.
pub async fn copy_range_to_blob(
    ctx: &RequestCtx<'_>,
    src: &ObjectMeta,
    start: u64,
    len: u64,
    algorithm: ChecksumAlgorithm,
) -> Result<(sluice_store::BlobRef, String, String), S3Error> {
    let mut reader = ObjectReader::new(ctx.state.blobs.clone(), src, start, len);
    let mut writer = ctx.state.blobs.create().await.map_err(store_err)?;
    let mut hasher = BodyHasher::new(Some(algorithm), false);
    let copied: Result<(), S3Error> = async {
        while let Some(chunk) = reader.next_chunk().await.map_err(store_err)? {
            hasher.update(&chunk);
            writer.write(&chunk).await.map_err(store_err)?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = copied {
        writer.abort().await;
        return Err(e);
    }
    let blob = writer.commit().await.map_err(store_err)?;
    let d = hasher.finish();
    let checksum = d.checksum.map(|(_, v)| v).unwrap_or_default();
    Ok((blob, hex::encode(d.md5), checksum))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sources() {
        let s = parse_copy_source("/b1/a%20b/c%2Bd").unwrap();
        assert_eq!((s.bucket.as_str(), s.key.as_str()), ("b1", "a b/c+d"));
        let s = parse_copy_source("b1/k?versionId=null").unwrap();
        assert_eq!(s.key, "k");
        assert!(parse_copy_source("b1").is_err());
        assert!(parse_copy_source("/b1/").is_err());
        assert!(parse_copy_source("b1/k?versionId=abc").is_err());
        assert!(parse_copy_source("b1/%FF").is_err());
    }
}
