//! PutObject: stream the body through the hashers into a temp blob, verify, commit, record.

use crate::body::body_batches::{Batcher, BATCH};
use crate::body::body_in::{BodyEvent, BodyReader};
use crate::body::hash_pipeline::PipelinedHasher;
use crate::notify::emit::Written;
use sluice_s3::event_record::OBJECT_CREATED_PUT;

/// A body quiet this long while its bytes sit in the writer's buffer has them flushed, so
/// the in-flight budget never waits on a slow client.
const SPILL_AFTER: std::time::Duration = std::time::Duration::from_millis(100);
use crate::body::checksum::{BodyHasher, ChecksumAlgorithm, ALL_ALGORITHMS};
use crate::net::headers::{header, standard_headers, user_metadata};
use crate::net::response::{self, ResponseBody};
use crate::ops::lookup::{require_bucket, store_err};
use crate::request_ctx::RequestCtx;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use http::request::Parts;
use http::Response;
use sluice_s3::S3Error;
use sluice_store::{BlobRef, BlobWriter, Checksums, ObjectMeta, StoreError, WritePrecondition};

/// Largest single PUT S3 accepts (5 GiB).
pub const MAX_PUT_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// Where the expected value of the object checksum comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedChecksum {
    /// Nothing declared: compute the default algorithm, check nothing.
    None,
    /// A header gave the value up front.
    Header(String),
    /// The value arrives as an aws-chunked trailer.
    Trailer,
}

/// How the body's integrity is to be checked, read from the request headers.
#[derive(Debug, Clone)]
pub struct IntegrityPlan {
    /// Decoded Content-MD5, if sent.
    pub content_md5: Option<[u8; 16]>,
    /// The checksum algorithm to compute.
    pub algorithm: ChecksumAlgorithm,
    /// Whether the client asked for (or supplied) this checksum.
    pub requested: bool,
    /// The expected value source.
    pub expected: ExpectedChecksum,
}

/// Reads Content-MD5 and the `x-amz-checksum-*` / `x-amz-trailer` / `x-amz-sdk-checksum-algorithm` headers.
pub fn integrity_plan(parts: &Parts) -> Result<IntegrityPlan, S3Error> {
    let content_md5 = match header(parts, "content-md5") {
        None => None,
        Some(v) => match B64.decode(v.trim()) {
            Ok(raw) if raw.len() == 16 => {
                let mut md5 = [0u8; 16];
                md5.copy_from_slice(&raw);
                Some(md5)
            }
            _ => return Err(S3Error::invalid_digest()),
        },
    };
    let mut from_header: Option<(ChecksumAlgorithm, String)> = None;
    for alg in ALL_ALGORITHMS {
        if let Some(v) = header(parts, alg.header()) {
            if from_header.is_some() {
                return Err(S3Error::invalid_request(
                    "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
                ));
            }
            alg.validate_value(v)?;
            from_header = Some((alg, v.trim().to_string()));
        }
    }
    let trailer = match header(parts, "x-amz-trailer") {
        None => None,
        Some(t) => {
            let name = t.trim().to_ascii_lowercase();
            let alg = name
                .strip_prefix("x-amz-checksum-")
                .and_then(ChecksumAlgorithm::from_name)
                .ok_or_else(|| {
                    S3Error::invalid_request(format!(
                        "The value specified in the x-amz-trailer header is not supported: {t}"
                    ))
                })?;
            Some(alg)
        }
    };
    let sdk_alg = match header(parts, "x-amz-sdk-checksum-algorithm") {
        None => None,
        Some(v) => Some(ChecksumAlgorithm::from_name(v).ok_or_else(|| {
            S3Error::invalid_request(
                "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
            )
        })?),
    };
    let plan = match (from_header, trailer) {
        (Some(_), Some(_)) => return Err(S3Error::invalid_request(
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
        )),
        (Some((alg, v)), None) => IntegrityPlan {
            content_md5,
            algorithm: alg,
            requested: true,
            expected: ExpectedChecksum::Header(v),
        },
        (None, Some(alg)) => IntegrityPlan {
            content_md5,
            algorithm: alg,
            requested: true,
            expected: ExpectedChecksum::Trailer,
        },
        (None, None) => IntegrityPlan {
            content_md5,
            algorithm: sdk_alg.unwrap_or(ChecksumAlgorithm::Crc64Nvme),
            requested: sdk_alg.is_some(),
            expected: ExpectedChecksum::None,
        },
    };
    if let (Some(sdk), false) = (sdk_alg, plan.expected == ExpectedChecksum::None) {
        if sdk != plan.algorithm {
            // AWS: "If the individual checksum value you provide through
            // x-amz-checksum-<algorithm> doesn't match the checksum algorithm you set through
            // x-amz-sdk-checksum-algorithm, Amazon S3 fails the request with a BadDigest error."
            if let ExpectedChecksum::Header(_) = plan.expected {
                return Err(S3Error::bad_digest_checksum(plan.algorithm.name()));
            }
            return Err(S3Error::invalid_request(
                "Value for x-amz-sdk-checksum-algorithm header is invalid.",
            ));
        }
    }
    Ok(plan)
}

/// The result of streaming a body into a committed blob.
pub struct StoredBody {
    /// The committed blob.
    pub blob: sluice_store::BlobRef,
    /// Payload size.
    pub size: u64,
    /// MD5 as hex (the ETag of a single PUT).
    pub md5_hex: String,
    /// Checksums to store.
    pub checksums: Checksums,
    /// The checksum to echo in the response, when the client asked for one.
    pub echo: Option<(ChecksumAlgorithm, String)>,
}

/// Streams a request body into a new blob through the hashers, verifies every digest,
/// then commits the blob (fsync + rename). Nothing is committed if any check fails.
pub async fn store_body(
    ctx: &RequestCtx<'_>,
    body: &mut BodyReader,
    plan: &IntegrityPlan,
    max_size: u64,
) -> Result<StoredBody, S3Error> {
    if body.declared_len().is_some_and(|n| n > max_size) {
        // Refused before a byte is read: with `Expect: 100-continue` the client sends nothing.
        return Err(S3Error::entity_too_large(max_size));
    }
    let mut writer = ctx.state.blobs.create().await.map_err(store_err)?;
    match stream_into(&mut *writer, body, plan, max_size).await {
        Ok((digests_md5, checksum)) => {
            let blob = writer.commit().await.map_err(store_err)?;
            let mut checksums = Checksums::default();
            plan.algorithm.store(&mut checksums, checksum.clone());
            Ok(StoredBody {
                blob,
                size: body.received(),
                md5_hex: hex::encode(digests_md5),
                checksums,
                echo: plan.requested.then_some((plan.algorithm, checksum)),
            })
        }
        Err(e) => {
            writer.abort().await;
            Err(e)
        }
    }
}

async fn stream_into(
    writer: &mut dyn BlobWriter,
    body: &mut BodyReader,
    plan: &IntegrityPlan,
    max_size: u64,
) -> Result<([u8; 16], String), S3Error> {
    let mut hasher = PipelinedHasher::for_body(
        BodyHasher::new(Some(plan.algorithm), false),
        body.declared_len(),
    );
    // A body of a batch or more (or of unknown length) is copied once, into batches that the
    // writer and the hasher share; a smaller one goes to both as it comes.
    let mut batcher = body
        .declared_len()
        .is_none_or(|n| n >= BATCH as u64)
        .then(Batcher::default);
    loop {
        match body.next_event(Some(SPILL_AFTER)).await? {
            BodyEvent::Data(chunk) => {
                if body.received() > max_size {
                    return Err(S3Error::entity_too_large(max_size));
                }
                match batcher.as_mut() {
                    Some(batcher) => {
                        let mut rest = &chunk[..];
                        while let Some(full) = batcher.fill(&mut rest) {
                            share(writer, &mut hasher, full).await?;
                        }
                    }
                    None => {
                        writer.write(&chunk).await.map_err(store_err)?;
                        hasher.update(&chunk).await?;
                    }
                }
            }
            BodyEvent::Spill => {
                if let Some(partial) = batcher.as_mut().and_then(Batcher::take_partial) {
                    share(writer, &mut hasher, partial).await?;
                }
                crate::metrics::body_spill(writer.buffered() + hasher.held());
                writer.flush().await.map_err(store_err)?;
                hasher.settle().await?;
                if let Some(batcher) = batcher.as_mut() {
                    batcher.free_pool();
                }
            }
            BodyEvent::End => {
                if let Some(partial) = batcher.as_mut().and_then(Batcher::take_partial) {
                    share(writer, &mut hasher, partial).await?;
                }
                break;
            }
        }
        let gathered = batcher.as_ref().map_or(0, Batcher::len);
        body.release_to(writer.buffered() + hasher.held() + gathered);
    }
    let digests = hasher.finish().await?;
    if let Some(expected) = plan.content_md5 {
        if expected != digests.md5 {
            return Err(S3Error::bad_digest_md5(
                &B64.encode(expected),
                &B64.encode(digests.md5),
            ));
        }
    }
    let computed = digests
        .checksum
        .map(|(_, v)| v)
        .ok_or_else(S3Error::internal_error)?;
    let expected = match &plan.expected {
        ExpectedChecksum::None => None,
        ExpectedChecksum::Header(v) => Some(v.clone()),
        ExpectedChecksum::Trailer => {
            let name = plan.algorithm.header();
            let value = body
                .trailers()
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_string())
                .ok_or_else(|| {
                    S3Error::invalid_request(format!(
                        "x-amz-trailer named {name} but the trailer did not carry it"
                    ))
                })?;
            plan.algorithm.validate_value(&value)?;
            Some(value)
        }
    };
    if let Some(expected) = expected {
        if expected != computed {
            return Err(S3Error::bad_digest_checksum(plan.algorithm.name()));
        }
    }
    Ok((digests.md5, computed))
}

/// Hands a batch to the writer and the hasher, which share it.
async fn share(
    writer: &mut dyn BlobWriter,
    hasher: &mut PipelinedHasher,
    batch: bytes::Bytes,
) -> Result<(), S3Error> {
    writer
        .write_shared(batch.clone())
        .await
        .map_err(store_err)?;
    hasher.update_shared(batch).await
}

/// `PUT /bucket/key`
pub async fn put_object(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
    body: &mut BodyReader,
) -> Result<Response<ResponseBody>, S3Error> {
    let parts = ctx.parts;
    let plan = integrity_plan(parts)?;
    let headers = standard_headers(parts);
    let user_metadata = user_metadata(parts)?;
    let tags = crate::ops::tagging::header_tags(parts)?;
    require_bucket(ctx, bucket).await?;
    let precondition = write_precondition(parts)?;
    // Early, so a body that cannot be stored is not streamed; the write decides (atomically).
    check_write_precondition(ctx, bucket, key, &precondition).await?;
    crate::checks::run::refuse_early(ctx, bucket, key, headers.content_type.as_deref()).await?;
    let stored = store_body(ctx, body, &plan, MAX_PUT_SIZE).await?;
    let meta = ObjectMeta {
        bucket: bucket.to_string(),
        key: key.to_string(),
        size: stored.size,
        etag: stored.md5_hex.clone(),
        last_modified_ms: ctx.state.clock.now_ms(),
        headers,
        user_metadata,
        checksums: stored.checksums,
        blob: stored.blob.clone(),
        parts: None,
        tags,
    };
    commit_object_if(ctx, &meta, &precondition, OBJECT_CREATED_PUT).await?;
    let mut r = response::empty(200);
    response::set_header(&mut r, "etag", &format!("\"{}\"", stored.md5_hex));
    if let Some((alg, value)) = &stored.echo {
        response::set_header(&mut r, alg.header(), value);
    }
    Ok(r)
}

/// Records an object whose blob is committed, once it passed its checks
/// ([`crate::checks::run::verify`]); frees the replaced object's blobs afterwards.
/// If the metadata commit fails the new blob is removed again.
/// `event` is what it emits to notification targets (`s3:ObjectCreated:Post`, `:Copy`).
pub async fn commit_object(
    ctx: &RequestCtx<'_>,
    meta: &ObjectMeta,
    event: &str,
) -> Result<(), S3Error> {
    commit_object_if(ctx, meta, &WritePrecondition::NONE, event).await
}

/// [`commit_object`] if `precondition` holds, decided atomically with the write. When it does
/// not, the new blob is freed at once and the S3 error is returned
/// ([`write_precondition_err`]).
pub async fn commit_object_if(
    ctx: &RequestCtx<'_>,
    meta: &ObjectMeta,
    precondition: &WritePrecondition,
    event: &str,
) -> Result<(), S3Error> {
    let verified;
    let meta = match crate::checks::run::verify(ctx, meta).await {
        Ok(None) => meta,
        Ok(Some(with_metadata)) => {
            verified = with_metadata;
            &verified
        }
        Err(e) => {
            // Refused (or the checks could not run): nothing references the new blob.
            let _ = ctx.state.blobs.delete(&meta.blob).await;
            return Err(e);
        }
    };
    let events = match crate::notify::emit::events_for(ctx, &Written::object(event, meta)).await {
        Ok(events) => events,
        Err(e) => {
            // Refused (a target's backlog is full) or the configuration unreadable: the new
            // blob is not referenced by anything.
            let _ = ctx.state.blobs.delete(&meta.blob).await;
            return Err(e);
        }
    };
    let put = ctx
        .state
        .meta
        .put_object_with_events(meta, precondition, &events)
        .await;
    if put.is_ok() {
        crate::notify::emit::committed(ctx, &events);
    }
    match put {
        Ok(Some(old)) => {
            free_object_blobs(ctx, &old).await;
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(e) => {
            // An uncertain write may have recorded the object: its blob stays (the sweep
            // frees it if nothing references it).
            if !matches!(e, StoreError::Uncertain(_)) {
                let _ = ctx.state.blobs.delete(&meta.blob).await;
            }
            Err(write_precondition_err(e, &meta.key))
        }
    }
}

/// Deletes the blobs of a removed or replaced object (best effort; the orphan sweep catches misses).
pub async fn free_object_blobs(ctx: &RequestCtx<'_>, old: &ObjectMeta) {
    let blobs = &ctx.state.blobs;
    let sized: Vec<(&BlobRef, u64)> = match &old.parts {
        Some(parts) => parts.iter().map(|p| (&p.blob, p.size)).collect(),
        None => vec![(&old.blob, old.size)],
    };
    if !sized.iter().any(|(b, _)| **b == old.blob) {
        // Not one of the parts' blobs: its size is not known.
        if let Err(e) = blobs.delete(&old.blob).await {
            tracing::warn!(error = %e, blob = old.blob.as_str(), "could not free blob");
        }
    }
    for (blob, size) in sized {
        if let Err(e) = blobs.delete_sized(blob, size).await {
            tracing::warn!(error = %e, blob = blob.as_str(), "could not free blob");
        }
    }
}

/// The conditional-write headers of a PutObject or CompleteMultipartUpload:
/// `If-None-Match: *` refuses to overwrite, `If-Match` requires the current ETag. Another
/// `If-None-Match` value is answered `NotImplemented`.
pub fn write_precondition(parts: &Parts) -> Result<WritePrecondition, S3Error> {
    let if_none_match = match header(parts, "if-none-match") {
        None => false,
        Some(v) if v.trim() == "*" => true,
        Some(_) => return Err(S3Error::not_implemented()),
    };
    Ok(WritePrecondition {
        if_none_match,
        if_match: header(parts, "if-match").map(str::to_string),
    })
}

/// Checks `precondition` against the object stored now, before a body is streamed, to refuse
/// early. Only an early answer: another write may come before this one, and the store
/// decides again atomically with the write ([`sluice_store::MetaStore::put_object_if`]).
pub async fn check_write_precondition(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
    precondition: &WritePrecondition,
) -> Result<(), S3Error> {
    if precondition.is_none() {
        return Ok(());
    }
    let current = ctx
        .state
        .meta
        .get_object(bucket, key)
        .await
        .map_err(store_err)?;
    precondition
        .check(current.as_ref())
        .map_err(|e| write_precondition_err(e, key))
}

/// The S3 error of a failed conditional write: 412 `PreconditionFailed`, or 404 `NoSuchKey`
/// for `If-Match` without an object (as S3 answers); other store errors as [`store_err`].
pub fn write_precondition_err(e: StoreError, key: &str) -> S3Error {
    match e {
        StoreError::PreconditionFailed { condition } => S3Error::precondition_failed(condition),
        StoreError::NoSuchKey => S3Error::no_such_key(key),
        other => store_err(other),
    }
}
