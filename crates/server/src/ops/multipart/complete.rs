//! CompleteMultipartUpload: validate the part list, then one metadata transaction (no byte copy).

use super::{free_blobs, load_upload, MAX_PART_NUMBER, MIN_PART_SIZE};
use crate::auth::url_constraints::upload_size_range;
use crate::body::body_in::BodyReader;
use crate::body::checksum::ChecksumAlgorithm;
use crate::body::multipart_checksum::{combine, multipart_etag, ChecksumType};
use crate::net::headers::header;
use crate::net::response::{self, set_header, ResponseBody};
use crate::ops::lookup::store_err;
use crate::ops::put_object::{
    check_write_precondition, free_object_blobs, write_precondition, write_precondition_err,
};
use crate::request_ctx::RequestCtx;
use http::Response;
use sluice_s3::xml::{parse_complete_request, CompleteResult, CompletedPart};
use sluice_s3::S3Error;
use sluice_store::{Checksums, ObjectMeta, PartInfo, PartRecord, StoreError};

/// Largest CompleteMultipartUpload body accepted (10,000 parts with checksums).
const MAX_COMPLETE_BODY: usize = 4 * 1024 * 1024;

/// Largest object S3 stores (5 TiB); 10,000 parts of 5 GiB could add up to more.
const MAX_OBJECT_SIZE: u64 = 5 << 40;

fn requested_checksum(p: &CompletedPart, alg: ChecksumAlgorithm) -> Option<&str> {
    match alg {
        ChecksumAlgorithm::Crc32 => p.checksum_crc32.as_deref(),
        ChecksumAlgorithm::Crc32c => p.checksum_crc32c.as_deref(),
        ChecksumAlgorithm::Crc64Nvme => p.checksum_crc64nvme.as_deref(),
        ChecksumAlgorithm::Sha1 => p.checksum_sha1.as_deref(),
        ChecksumAlgorithm::Sha256 => p.checksum_sha256.as_deref(),
    }
}

/// Matches the requested parts against the uploaded ones (order, ETags, sizes, checksums).
fn select_parts<'a>(
    requested: &[CompletedPart],
    uploaded: &'a [PartRecord],
) -> Result<Vec<&'a PartRecord>, S3Error> {
    let mut previous = 0u32;
    let mut chosen = Vec::with_capacity(requested.len());
    for r in requested {
        if r.part_number == 0 || r.part_number > MAX_PART_NUMBER {
            return Err(S3Error::invalid_part(r.part_number));
        }
        if r.part_number <= previous {
            return Err(S3Error::invalid_part_order());
        }
        previous = r.part_number;
        let Some(part) = uploaded.iter().find(|p| p.part_number == r.part_number) else {
            return Err(S3Error::invalid_part(r.part_number));
        };
        if r.etag.trim().trim_matches('"') != part.etag {
            return Err(S3Error::invalid_part(r.part_number));
        }
        for alg in crate::body::checksum::ALL_ALGORITHMS {
            if let (Some(want), Some(have)) =
                (requested_checksum(r, alg), alg.stored(&part.checksums))
            {
                if want.trim() != have {
                    return Err(S3Error::invalid_part(r.part_number));
                }
            }
        }
        chosen.push(part);
    }
    let last = chosen.len().saturating_sub(1);
    for (i, p) in chosen.iter().enumerate() {
        if i < last && p.size < MIN_PART_SIZE {
            return Err(S3Error::entity_too_small(
                p.part_number,
                p.size,
                MIN_PART_SIZE,
            ));
        }
    }
    Ok(chosen)
}

/// `POST /bucket/key?uploadId=U`
pub async fn complete_multipart_upload(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
    upload_id: &str,
    body: &mut BodyReader,
) -> Result<Response<ResponseBody>, S3Error> {
    let upload = match load_upload(ctx, bucket, key, upload_id).await {
        Ok(u) => u,
        Err(e) if e.code == "NoSuchUpload" => {
            return answer_retry(ctx, bucket, key, upload_id, body, e).await;
        }
        Err(e) => return Err(e),
    };
    let precondition = write_precondition(ctx.parts)?;
    check_write_precondition(ctx, bucket, key, &precondition).await?;
    let raw = body.read_to_end(MAX_COMPLETE_BODY).await?;
    let requested = parse_complete_request(&raw)?;
    let uploaded = ctx
        .state
        .meta
        .list_parts(upload_id, 0, MAX_PART_NUMBER as usize + 1)
        .await
        .map_err(store_err)?;
    let chosen = select_parts(&requested, &uploaded)?;
    let etags: Vec<&str> = chosen.iter().map(|p| p.etag.as_str()).collect();
    let etag = multipart_etag(&etags).ok_or_else(S3Error::internal_error)?;
    let size: u64 = chosen.iter().map(|p| p.size).sum();
    if size > MAX_OBJECT_SIZE {
        return Err(S3Error::entity_too_large(MAX_OBJECT_SIZE));
    }
    if let Some(range) = upload_size_range(ctx.query)? {
        range.check(size)?;
    }

    let mut checksums = Checksums::default();
    let mut echo = None;
    if let Some(alg) = upload
        .checksum_algorithm
        .as_deref()
        .and_then(ChecksumAlgorithm::from_name)
    {
        let kind = upload
            .checksum_type
            .as_deref()
            .and_then(ChecksumType::from_name)
            .unwrap_or(ChecksumType::default_for(alg));
        let values: Option<Vec<(String, u64)>> = chosen
            .iter()
            .map(|p| alg.stored(&p.checksums).map(|v| (v.to_string(), p.size)))
            .collect();
        let combined = values.and_then(|v| combine(alg, kind, &v)).ok_or_else(|| {
            S3Error::invalid_request(format!(
                "The upload was created using a {} checksum. The complete request must include the checksum for each part.",
                alg.name().to_ascii_lowercase()
            ))
        })?;
        if let Some(claimed) = header(ctx.parts, alg.header()) {
            if claimed.trim() != combined {
                return Err(S3Error::bad_digest_checksum(alg.name()));
            }
        }
        alg.store(&mut checksums, combined.clone());
        echo = Some((alg.xml_element(), combined, kind.name()));
    }

    let manifest: Vec<PartInfo> = chosen
        .iter()
        .map(|p| PartInfo {
            part_number: p.part_number,
            size: p.size,
            etag: p.etag.clone(),
            blob: p.blob.clone(),
            checksums: p.checksums.clone(),
        })
        .collect();
    let object = ObjectMeta {
        bucket: bucket.to_string(),
        key: key.to_string(),
        size,
        etag: etag.clone(),
        last_modified_ms: ctx.state.clock.now_ms(),
        headers: upload.headers.clone(),
        user_metadata: upload.user_metadata.clone(),
        checksums,
        blob: manifest[0].blob.clone(),
        parts: Some(manifest),
        tags: upload.tags.clone(),
    };
    // The checks read the object as it would be committed (its first bytes across the parts).
    // A refusal commits nothing and leaves the upload open: its parts are not visible, and
    // are freed when the client aborts it or the stale-upload task does.
    let object = crate::checks::run::verify(ctx, &object)
        .await?
        .unwrap_or(object);
    // The precondition is decided again inside the completion's transaction: that answer
    // stands. A failed one changes nothing; the upload stays open.
    let done = complete_with_events(ctx, upload_id, &object, &precondition).await?;
    let done = match done {
        Ok(done) => done,
        // Completed meanwhile by a concurrent request (a retry racing the original).
        Err(StoreError::NoSuchUpload) => {
            return match completed_retry(ctx, bucket, key, upload_id, &requested).await? {
                Some(r) => Ok(r),
                None => Err(S3Error::no_such_upload(upload_id)),
            };
        }
        Err(StoreError::PartChanged(n)) => return Err(S3Error::invalid_part(n)),
        Err(StoreError::NoSuchBucket) => return Err(S3Error::no_such_bucket(bucket)),
        Err(other) => return Err(write_precondition_err(other, key)),
    };
    if let Some(old) = &done.replaced {
        free_object_blobs(ctx, old).await;
    }
    free_blobs(ctx, &done.unused_part_blobs).await;
    if let Some(acl) = &upload.acl {
        ctx.state
            .access
            .put_object_acl(bucket, key, Some(acl))
            .await
            .map_err(store_err)?;
    }
    Ok(complete_answer(ctx, bucket, key, etag, echo))
}

/// How long a completed upload is remembered for retried completions: as long as any
/// presigned URL of the upload can live (SigV4 presigned URLs last at most 7 days).
pub const COMPLETED_RETENTION_MS: i64 = 7 * 24 * 3600 * 1000;

/// The upload is not open: if it completed recently with the same part list, this is a
/// retry whose first answer was lost, answered as the first was; else `not_open`.
async fn answer_retry(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
    upload_id: &str,
    body: &mut BodyReader,
    not_open: S3Error,
) -> Result<Response<ResponseBody>, S3Error> {
    let raw = body.read_to_end(MAX_COMPLETE_BODY).await?;
    let Ok(requested) = parse_complete_request(&raw) else {
        return Err(not_open);
    };
    match completed_retry(ctx, bucket, key, upload_id, &requested).await? {
        Some(r) => Ok(r),
        None => Err(not_open),
    }
}

/// The answer to a retried completion of `upload_id`, if it completed (to `bucket`/`key`)
/// within [`COMPLETED_RETENTION_MS`] with the same parts (numbers and ETags) in the same order.
async fn completed_retry(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
    upload_id: &str,
    requested: &[CompletedPart],
) -> Result<Option<Response<ResponseBody>>, S3Error> {
    let Some(record) = ctx
        .state
        .meta
        .completed_upload(upload_id)
        .await
        .map_err(store_err)?
    else {
        return Ok(None);
    };
    let fresh = record.completed_ms >= ctx.state.clock.now_ms() - COMPLETED_RETENTION_MS;
    let same_parts = requested.len() == record.parts.len()
        && requested
            .iter()
            .zip(&record.parts)
            .all(|(r, (n, etag))| r.part_number == *n && r.etag.trim().trim_matches('"') == etag);
    if !fresh || record.bucket != bucket || record.key != key || !same_parts {
        return Ok(None);
    }
    let echo = crate::body::checksum::ALL_ALGORITHMS
        .into_iter()
        .find_map(|alg| {
            let value = alg.stored(&record.checksums)?;
            let kind = record
                .checksum_type
                .as_deref()
                .and_then(ChecksumType::from_name)
                .unwrap_or(ChecksumType::default_for(alg));
            Some((alg.xml_element(), value.to_string(), kind.name()))
        });
    Ok(Some(complete_answer(ctx, bucket, key, record.etag, echo)))
}

/// The CompleteMultipartUploadResult document and its ETag header.
fn complete_answer(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
    etag: String,
    echo: Option<(&'static str, String, &'static str)>,
) -> Response<ResponseBody> {
    let host = header(ctx.parts, "host").unwrap_or("localhost");
    let doc = CompleteResult {
        location: format!(
            "{}://{host}{}",
            crate::net::tls::s3_scheme(&ctx.state.config),
            sluice_sigv4::encode_object_path(bucket, key)
        ),
        bucket: bucket.to_string(),
        key: key.to_string(),
        etag: etag.clone(),
        checksum: echo,
    };
    let mut r = response::xml(doc.to_xml());
    set_header(&mut r, "etag", &format!("\"{etag}\""));
    r
}

/// The completion's one transaction, carrying its `s3:ObjectCreated:CompleteMultipartUpload`
/// events; the store's answer is returned as is.
async fn complete_with_events(
    ctx: &RequestCtx<'_>,
    upload_id: &str,
    object: &sluice_store::ObjectMeta,
    precondition: &sluice_store::WritePrecondition,
) -> Result<Result<sluice_store::CompletedUpload, StoreError>, S3Error> {
    let written = crate::notify::emit::Written::object(
        sluice_s3::event_record::OBJECT_CREATED_COMPLETE_MULTIPART_UPLOAD,
        object,
    );
    let events = crate::notify::emit::events_for(ctx, &written).await?;
    let done = ctx
        .state
        .meta
        .complete_upload_with_events(upload_id, object, precondition, &events)
        .await;
    if done.is_ok() {
        crate::notify::emit::committed(ctx, &events);
    }
    Ok(done)
}
