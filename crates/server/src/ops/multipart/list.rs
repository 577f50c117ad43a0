//! ListParts and ListMultipartUploads.

use super::{load_upload, MAX_PART_NUMBER};
use crate::body::checksum::{stored_algorithm, ChecksumAlgorithm};
use crate::net::response::{self, ResponseBody};
use crate::ops::lookup::{require_bucket, store_err};
use crate::request_ctx::RequestCtx;
use http::Response;
use sluice_s3::xml::{ListPartsResult, ListUploadsResult, PartEntry, UploadEntry};
use sluice_s3::S3Error;

/// Largest page for both listings.
const MAX_PAGE: usize = 1000;
/// Uploads scanned per ListMultipartUploads call when a delimiter rolls keys up.
const MAX_UPLOAD_SCAN: usize = 10_000;

fn page_size(ctx: &RequestCtx<'_>, name: &str) -> Result<usize, S3Error> {
    match ctx.query.get(name) {
        None => Ok(MAX_PAGE),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map(|n| (n.min(MAX_PAGE as u64)) as usize)
            .map_err(|_| {
                S3Error::invalid_argument_named(
                    format!("Provided {name} not an integer or within integer range"),
                    name,
                    v,
                )
            }),
    }
}

/// `GET /bucket/key?uploadId=U`
pub async fn list_parts(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    let upload = load_upload(ctx, bucket, key, upload_id).await?;
    let max = page_size(ctx, "max-parts")?;
    let marker = match ctx.query.get("part-number-marker") {
        None => 0,
        Some(v) => v
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= MAX_PART_NUMBER)
            .ok_or_else(|| {
                S3Error::invalid_argument_named(
                    "Provided part-number-marker not an integer or within integer range",
                    "part-number-marker",
                    v,
                )
            })?,
    };
    let mut parts = ctx
        .state
        .meta
        .list_parts(upload_id, marker, max + 1)
        .await
        .map_err(store_err)?;
    let is_truncated = parts.len() > max;
    parts.truncate(max);
    let upload_alg = upload
        .checksum_algorithm
        .as_deref()
        .and_then(ChecksumAlgorithm::from_name);
    let doc = ListPartsResult {
        bucket: bucket.to_string(),
        key: key.to_string(),
        upload_id: upload_id.to_string(),
        owner: ctx.state.owner(),
        part_number_marker: marker,
        next_part_number_marker: if is_truncated {
            parts.last().map(|p| p.part_number)
        } else {
            None
        },
        max_parts: max,
        is_truncated,
        checksum_algorithm: upload.checksum_algorithm.clone(),
        parts: parts
            .into_iter()
            .map(|p| {
                let alg = upload_alg.or_else(|| stored_algorithm(&p.checksums));
                let checksum = alg.and_then(|a| {
                    a.stored(&p.checksums)
                        .map(|v| (a.xml_element(), v.to_string()))
                });
                PartEntry {
                    part_number: p.part_number,
                    last_modified_ms: p.last_modified_ms,
                    etag: p.etag,
                    size: p.size,
                    checksum,
                }
            })
            .collect(),
    };
    Ok(response::xml(doc.to_xml()))
}

/// `GET /bucket?uploads`
pub async fn list_multipart_uploads(
    ctx: &RequestCtx<'_>,
    bucket: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    require_bucket(ctx, bucket).await?;
    let max = page_size(ctx, "max-uploads")?;
    let url_encode = crate::ops::list::url_encoding(ctx)?;
    let prefix = ctx.query.get("prefix").unwrap_or_default().to_string();
    let delimiter = ctx
        .query
        .get("delimiter")
        .filter(|d| !d.is_empty())
        .map(str::to_string);
    let key_marker = ctx.query.get("key-marker").unwrap_or_default().to_string();
    let upload_id_marker = ctx
        .query
        .get("upload-id-marker")
        .unwrap_or_default()
        .to_string();
    let scan = if delimiter.is_some() {
        MAX_UPLOAD_SCAN
    } else {
        max
    };
    let page = ctx
        .state
        .meta
        .list_uploads(bucket, &prefix, &key_marker, &upload_id_marker, scan)
        .await
        .map_err(store_err)?;
    let mut uploads = Vec::new();
    let mut common_prefixes: Vec<String> = Vec::new();
    let mut is_truncated = page.is_truncated;
    let mut last: Option<(String, String)> = None;
    for u in page.uploads {
        if uploads.len() + common_prefixes.len() >= max {
            is_truncated = true;
            break;
        }
        if let Some(d) = &delimiter {
            if let Some(pos) = u.key[prefix.len()..].find(d.as_str()) {
                let cp = u.key[..prefix.len() + pos + d.len()].to_string();
                if common_prefixes.last() != Some(&cp) {
                    common_prefixes.push(cp);
                }
                last = Some((u.key.clone(), u.upload_id.clone()));
                continue;
            }
        }
        last = Some((u.key.clone(), u.upload_id.clone()));
        uploads.push(UploadEntry {
            key: u.key,
            upload_id: u.upload_id,
            initiated_ms: u.created_ms,
            checksum_algorithm: u.checksum_algorithm,
        });
    }
    let doc = ListUploadsResult {
        bucket: bucket.to_string(),
        key_marker,
        upload_id_marker,
        next_markers: if is_truncated { last } else { None },
        prefix,
        delimiter,
        max_uploads: max,
        is_truncated,
        owner: ctx.state.owner(),
        uploads,
        common_prefixes,
        url_encode,
    };
    Ok(response::xml(doc.to_xml()))
}
