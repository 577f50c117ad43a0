//! CreateMultipartUpload and AbortMultipartUpload.

use super::free_blobs;
use crate::body::checksum::ChecksumAlgorithm;
use crate::body::multipart_checksum::{supports, ChecksumType};
use crate::net::headers::{header, standard_headers, user_metadata};
use crate::net::response::{self, set_header, ResponseBody};
use crate::ops::lookup::{require_bucket, store_err};
use crate::request_ctx::RequestCtx;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http::Response;
use rand::RngCore;
use sluice_iam::CannedAcl;
use sluice_s3::xml::initiate_result_xml;
use sluice_s3::S3Error;
use sluice_store::{StoreError, UploadMeta};

/// A new opaque upload id (192 random bits, base64url). Never starts with `-` or `_`, which
/// command lines (`--upload-id -x...`) would take for an option.
pub fn new_upload_id() -> String {
    let mut b = [0u8; 24];
    loop {
        rand::thread_rng().fill_bytes(&mut b);
        let id = URL_SAFE_NO_PAD.encode(b);
        if id.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return id;
        }
    }
}

/// What the completed object of a new upload gets, besides its bytes.
#[derive(Debug, Default)]
pub struct UploadSettings {
    /// Standard headers.
    pub headers: sluice_store::StandardHeaders,
    /// User metadata.
    pub metadata: Vec<(String, String)>,
    /// Checksum algorithm and type declared at creation.
    pub checksum: Option<(ChecksumAlgorithm, ChecksumType)>,
    /// Canned ACL (stored when not private).
    pub acl: Option<CannedAcl>,
    /// Tags.
    pub tags: Vec<(String, String)>,
}

/// Creates an upload record and returns it (shared by the S3 call and the mint API).
pub async fn create_upload(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
    settings: UploadSettings,
) -> Result<UploadMeta, S3Error> {
    let UploadSettings {
        headers,
        metadata,
        checksum,
        acl,
        tags,
    } = settings;
    require_bucket(ctx, bucket).await?;
    let upload = UploadMeta {
        upload_id: new_upload_id(),
        bucket: bucket.to_string(),
        key: key.to_string(),
        created_ms: ctx.state.clock.now_ms(),
        initiator: ctx
            .caller
            .access_key_id()
            .unwrap_or("anonymous")
            .to_string(),
        headers,
        user_metadata: metadata,
        checksum_algorithm: checksum.map(|(a, _)| a.name().to_string()),
        checksum_type: checksum.map(|(_, t)| t.name().to_string()),
        acl: acl
            .filter(|a| *a != CannedAcl::Private)
            .map(|a| a.as_str().to_string()),
        tags,
    };
    ctx.state
        .meta
        .create_upload(&upload)
        .await
        .map_err(|e| match e {
            StoreError::NoSuchBucket => S3Error::no_such_bucket(bucket),
            other => store_err(other),
        })?;
    Ok(upload)
}

/// `POST /bucket/key?uploads`
pub async fn create_multipart_upload(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    let algorithm = match header(ctx.parts, "x-amz-checksum-algorithm") {
        None => None,
        Some(v) => Some(ChecksumAlgorithm::from_name(v).ok_or_else(|| {
            S3Error::invalid_request(
                "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
            )
        })?),
    };
    let kind = match header(ctx.parts, "x-amz-checksum-type") {
        None => None,
        Some(v) => Some(ChecksumType::from_name(v).ok_or_else(|| {
            S3Error::invalid_request("Value for x-amz-checksum-type header is invalid.")
        })?),
    };
    let checksum = match (algorithm, kind) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(S3Error::invalid_request(
                "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
            ))
        }
        (Some(a), k) => {
            let k = k.unwrap_or(ChecksumType::default_for(a));
            if !supports(a, k) {
                return Err(S3Error::invalid_request(format!(
                    "The {} checksum type is not supported for the {} algorithm.",
                    k.name(),
                    a.name()
                )));
            }
            Some((a, k))
        }
    };
    let settings = UploadSettings {
        headers: standard_headers(ctx.parts),
        metadata: user_metadata(ctx.parts)?,
        checksum,
        // Checked against s3:PutObjectAcl before the handler ran (`acl::requested_acl`).
        acl: crate::ops::acl::canned_acl_header(ctx.parts)?,
        // Checked against s3:PutObjectTagging before the handler ran.
        tags: crate::ops::tagging::header_tags(ctx.parts)?,
    };
    let upload = create_upload(ctx, bucket, key, settings).await?;
    let mut r = response::xml(initiate_result_xml(bucket, key, &upload.upload_id));
    if let Some((a, k)) = checksum {
        set_header(&mut r, "x-amz-checksum-algorithm", a.name());
        set_header(&mut r, "x-amz-checksum-type", k.name());
    }
    Ok(r)
}

/// `DELETE /bucket/key?uploadId`
pub async fn abort_multipart_upload(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    super::load_upload(ctx, bucket, key, upload_id).await?;
    let blobs = ctx
        .state
        .meta
        .abort_upload(upload_id)
        .await
        .map_err(|e| match e {
            StoreError::NoSuchUpload => S3Error::no_such_upload(upload_id),
            other => store_err(other),
        })?;
    free_blobs(ctx, &blobs).await;
    Ok(response::empty(204))
}

#[cfg(test)]
mod tests {
    use super::new_upload_id;

    #[test]
    fn upload_ids_are_distinct_and_never_look_like_options() {
        let ids: std::collections::HashSet<String> = (0..2000).map(|_| new_upload_id()).collect();
        assert_eq!(ids.len(), 2000);
        for id in &ids {
            assert_eq!(id.len(), 32, "{id}");
            assert!(id.starts_with(|c: char| c.is_ascii_alphanumeric()), "{id}");
            assert!(id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        }
    }
}
