//! UploadPart and UploadPartCopy.

use super::{free_blobs, load_upload, parse_part_number, MAX_PART_NUMBER, MAX_PART_SIZE};
use crate::auth::authz::require_allowed;
use crate::auth::url_constraints::upload_size_range;
use crate::body::body_in::BodyReader;
use crate::body::checksum::ChecksumAlgorithm;
use crate::net::headers::header;
use crate::net::response::{self, set_header, ResponseBody};
use crate::ops::conditions::evaluate_read_conditions;
use crate::ops::copy_object::{copy_range_to_blob, parse_copy_source};
use crate::ops::get_object::load_object;
use crate::ops::lookup::store_err;
use crate::ops::put_object::{integrity_plan, store_body, ExpectedChecksum};
use crate::request_ctx::RequestCtx;
use http::Response;
use sluice_s3::xml::CopyObjectResult;
use sluice_s3::S3Error;
use sluice_store::{Checksums, PartRecord, StoreError};

/// Records a committed part blob; frees the part it replaces, or the new blob if the upload
/// vanished meanwhile.
async fn record_part(ctx: &RequestCtx<'_>, record: &PartRecord) -> Result<(), S3Error> {
    match ctx.state.meta.put_part(record).await {
        Ok(Some(old)) => {
            free_blobs(ctx, &[old]).await;
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(e) => {
            // An uncertain write may have recorded the part: its blob stays (the sweep
            // frees it if nothing references it).
            if !matches!(e, StoreError::Uncertain(_)) {
                free_blobs(ctx, std::slice::from_ref(&record.blob)).await;
            }
            Err(match e {
                StoreError::NoSuchUpload => S3Error::no_such_upload(&record.upload_id),
                other => store_err(other),
            })
        }
    }
}

fn upload_algorithm(upload: &sluice_store::UploadMeta) -> Option<ChecksumAlgorithm> {
    upload
        .checksum_algorithm
        .as_deref()
        .and_then(ChecksumAlgorithm::from_name)
}

/// `PUT /bucket/key?partNumber=N&uploadId=U`
pub async fn upload_part(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
    part_number: &str,
    upload_id: &str,
    body: &mut BodyReader,
) -> Result<Response<ResponseBody>, S3Error> {
    let n = parse_part_number(part_number)?;
    let upload = load_upload(ctx, bucket, key, upload_id).await?;
    let mut plan = integrity_plan(ctx.parts)?;
    if let Some(alg) = upload_algorithm(&upload) {
        if plan.expected == ExpectedChecksum::None {
            plan.algorithm = alg;
            plan.requested = true;
        } else if plan.algorithm != alg {
            return Err(S3Error::invalid_request(format!(
                "Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {}",
                alg.name().to_ascii_lowercase(),
                plan.algorithm.name().to_ascii_lowercase()
            )));
        }
    }
    if let Some(range) = upload_size_range(ctx.query)? {
        let others: u64 = ctx
            .state
            .meta
            .list_parts(upload_id, 0, MAX_PART_NUMBER as usize + 1)
            .await
            .map_err(store_err)?
            .iter()
            .filter(|p| p.part_number != n)
            .map(|p| p.size)
            .sum();
        let room = range
            .max
            .checked_sub(others)
            .ok_or_else(|| S3Error::entity_too_large(range.max))?;
        body.cap_size(room);
    }
    let stored = store_body(ctx, body, &plan, MAX_PART_SIZE).await?;
    let record = PartRecord {
        upload_id: upload_id.to_string(),
        part_number: n,
        size: stored.size,
        etag: stored.md5_hex.clone(),
        blob: stored.blob.clone(),
        checksums: stored.checksums.clone(),
        last_modified_ms: ctx.state.clock.now_ms(),
    };
    record_part(ctx, &record).await?;
    let mut r = response::empty(200);
    set_header(&mut r, "etag", &format!("\"{}\"", stored.md5_hex));
    if let Some((alg, value)) = &stored.echo {
        set_header(&mut r, alg.header(), value);
    }
    Ok(r)
}

/// Parses `x-amz-copy-source-range: bytes=first-last` against the source size.
fn parse_copy_range(value: Option<&str>, size: u64) -> Result<(u64, u64), S3Error> {
    let Some(v) = value else { return Ok((0, size)) };
    let bad = || {
        S3Error::invalid_argument_named(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
            "x-amz-copy-source-range",
            v,
        )
    };
    let spec = v.trim().strip_prefix("bytes=").ok_or_else(bad)?;
    let (a, b) = spec.split_once('-').ok_or_else(bad)?;
    let first: u64 = a.trim().parse().map_err(|_| bad())?;
    let last: u64 = b.trim().parse().map_err(|_| bad())?;
    if first > last {
        return Err(bad());
    }
    if last >= size {
        return Err(S3Error::new(
            "InvalidRange",
            416,
            format!("Range specified is not valid for source object of size: {size}"),
        ));
    }
    Ok((first, last - first + 1))
}

/// `PUT /bucket/key?partNumber=N&uploadId=U` with `x-amz-copy-source`
pub async fn upload_part_copy(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
    part_number: &str,
    upload_id: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    let n = parse_part_number(part_number)?;
    let upload = load_upload(ctx, bucket, key, upload_id).await?;
    let source = parse_copy_source(header(ctx.parts, "x-amz-copy-source").unwrap_or_default())?;
    require_allowed(ctx, "s3:GetObject", Some(&source.bucket), Some(&source.key)).await?;
    let src = load_object(ctx, &source.bucket, &source.key).await?;
    evaluate_read_conditions(ctx.parts, &src, "x-amz-copy-source-")?;
    let (start, len) = parse_copy_range(header(ctx.parts, "x-amz-copy-source-range"), src.size)?;
    if len > MAX_PART_SIZE {
        return Err(S3Error::entity_too_large(MAX_PART_SIZE));
    }
    let alg = upload_algorithm(&upload).unwrap_or(ChecksumAlgorithm::Crc64Nvme);
    let (blob, md5_hex, checksum) = copy_range_to_blob(ctx, &src, start, len, alg).await?;
    let mut checksums = Checksums::default();
    alg.store(&mut checksums, checksum.clone());
    let record = PartRecord {
        upload_id: upload_id.to_string(),
        part_number: n,
        size: len,
        etag: md5_hex.clone(),
        blob,
        checksums,
        last_modified_ms: ctx.state.clock.now_ms(),
    };
    record_part(ctx, &record).await?;
    let doc = CopyObjectResult {
        etag: md5_hex,
        last_modified_ms: record.last_modified_ms,
        checksums: upload_algorithm(&upload)
            .map(|a| vec![(a.xml_element(), checksum)])
            .unwrap_or_default(),
    };
    Ok(response::xml(doc.to_xml("CopyPartResult")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_ranges() {
        assert_eq!(parse_copy_range(None, 10).unwrap(), (0, 10));
        assert_eq!(parse_copy_range(Some("bytes=2-5"), 10).unwrap(), (2, 4));
        assert_eq!(parse_copy_range(Some("bytes=0-9"), 10).unwrap(), (0, 10));
        assert_eq!(
            parse_copy_range(Some("bytes=0-10"), 10).unwrap_err().code,
            "InvalidRange"
        );
        assert_eq!(
            parse_copy_range(Some("bytes=5-2"), 10).unwrap_err().code,
            "InvalidArgument"
        );
        assert_eq!(
            parse_copy_range(Some("bytes=-2"), 10).unwrap_err().code,
            "InvalidArgument"
        );
        assert_eq!(
            parse_copy_range(Some("2-5"), 10).unwrap_err().code,
            "InvalidArgument"
        );
    }
}
