//! The last byte arrived: the upload's pieces (one per PATCH) become the object in one
//! transaction, as a multipart completion would (no byte is copied), after one read pass through
//! the hashers gives it what a PUT's object has: the MD5 of the whole as its ETag and a
//! CRC-64/NVME checksum. The bucket's and the URL's checks run first; the events (the URL's
//! receipt included) commit with the object, as `s3:ObjectCreated:Put`.

use crate::auth::authn::Caller;
use crate::body::checksum::{BodyHasher, ChecksumAlgorithm};
use crate::notify::emit::{Written, CHECKS_REJECTED};
use crate::ops::lookup::store_err;
use crate::ops::put_object::{free_object_blobs, write_precondition_err};
use crate::request_ctx::RequestCtx;
use crate::state::AppState;
use http::request::Parts;
use sluice_iam::Principal;
use sluice_s3::{QueryParams, S3Error};
use sluice_sigv4::AuthKind;
use sluice_store::{
    Checksums, ObjectMeta, PartInfo, PartRecord, StoreError, TusUpload, UploadMeta,
    WritePrecondition,
};
use std::net::SocketAddr;

/// Bytes read from a piece at a time.
const READ_CHUNK: usize = 1 << 20;

/// Commits the finished upload as its object; returns the ETag (hex MD5). The object row, the
/// removal of the upload (and its tus state) and the events are one transaction. When the checks
/// refuse the object, the upload is removed and its bytes freed, and the refusal returned; on
/// other failures the upload stays, and a later HEAD retries.
pub async fn finish(
    state: &AppState,
    parts: &Parts,
    remote: SocketAddr,
    upload: &UploadMeta,
    tus: &TusUpload,
    caller: &Caller,
) -> Result<String, S3Error> {
    let mut records = state
        .meta
        .list_parts(&upload.upload_id, 0, usize::MAX)
        .await
        .map_err(store_err)?;
    if records.is_empty() {
        records.push(empty_piece(state, &upload.upload_id).await?);
    }
    let (size, md5_hex, crc) = hash_pieces(state, &records).await?;
    let mut checksums = Checksums::default();
    ChecksumAlgorithm::Crc64Nvme.store(&mut checksums, crc);
    let manifest: Vec<PartInfo> = records
        .into_iter()
        .map(|p| PartInfo {
            part_number: p.part_number,
            size: p.size,
            etag: p.etag,
            blob: p.blob,
            checksums: p.checksums,
        })
        .collect();
    let object = ObjectMeta {
        bucket: upload.bucket.clone(),
        key: upload.key.clone(),
        size,
        etag: md5_hex.clone(),
        last_modified_ms: state.clock.now_ms(),
        headers: upload.headers.clone(),
        user_metadata: upload.user_metadata.clone(),
        checksums,
        blob: manifest[0].blob.clone(),
        parts: Some(manifest),
        tags: upload.tags.clone(),
    };
    let query = QueryParams::parse(&tus.constraints);
    let ctx = RequestCtx {
        state,
        parts,
        query: &query,
        caller,
        remote,
    };
    let object = match crate::checks::run::verify(&ctx, &object).await {
        Ok(verified) => verified.unwrap_or(object),
        Err(e) => {
            if e.code == CHECKS_REJECTED {
                crate::notify::emit::rejected(&ctx, &upload.bucket, &upload.key, &e).await;
                discard(state, &upload.upload_id).await;
            }
            return Err(e);
        }
    };
    let written = Written::object(sluice_s3::event_record::OBJECT_CREATED_PUT, &object);
    let events = crate::notify::emit::events_for(&ctx, &written).await?;
    let done = state
        .meta
        .complete_upload_with_events(
            &upload.upload_id,
            &object,
            &WritePrecondition::NONE,
            &events,
        )
        .await;
    let done = match done {
        Ok(done) => done,
        Err(StoreError::NoSuchUpload) => return Err(super::protocol::no_such_upload()),
        Err(StoreError::NoSuchBucket) => return Err(S3Error::no_such_bucket(&upload.bucket)),
        Err(e) => return Err(write_precondition_err(e, &upload.key)),
    };
    crate::notify::emit::committed(&ctx, &events);
    if let Some(old) = &done.replaced {
        free_object_blobs(&ctx, old).await;
    }
    for b in &done.unused_part_blobs {
        let _ = state.blobs.delete(b).await;
    }
    Ok(md5_hex)
}

/// An upload of zero bytes: one empty piece, so the object has a blob like any other.
async fn empty_piece(state: &AppState, upload_id: &str) -> Result<PartRecord, S3Error> {
    let writer = state.blobs.create().await.map_err(store_err)?;
    let blob = writer.commit().await.map_err(store_err)?;
    let part = PartRecord {
        upload_id: upload_id.to_string(),
        part_number: 1,
        size: 0,
        etag: hex::encode(BodyHasher::new(None, false).finish().md5),
        blob,
        checksums: Checksums::default(),
        last_modified_ms: state.clock.now_ms(),
    };
    if let Err(e) = state.meta.put_part(&part).await {
        let _ = state.blobs.delete(&part.blob).await;
        return Err(match e {
            StoreError::NoSuchUpload => super::protocol::no_such_upload(),
            other => store_err(other),
        });
    }
    Ok(part)
}

/// Removes a refused upload and frees its bytes.
async fn discard(state: &AppState, upload_id: &str) {
    match state.meta.abort_upload(upload_id).await {
        Ok(blobs) => {
            for b in blobs {
                let _ = state.blobs.delete(&b).await;
            }
        }
        Err(e) => tracing::warn!(error = %e, upload_id, "refused tus upload not removed"),
    }
}

/// Reads the pieces in order through the hashers; returns (size, MD5 hex, CRC64NVME base64).
async fn hash_pieces(
    state: &AppState,
    records: &[PartRecord],
) -> Result<(u64, String, String), S3Error> {
    let mut hasher = BodyHasher::new(Some(ChecksumAlgorithm::Crc64Nvme), false);
    let mut size = 0u64;
    for part in records {
        let reader = state
            .blobs
            .open_sized(&part.blob, part.size)
            .await
            .map_err(store_err)?;
        let mut offset = 0u64;
        while offset < part.size {
            let chunk = reader
                .read_chunk(offset, READ_CHUNK)
                .await
                .map_err(store_err)?;
            if chunk.is_empty() {
                return Err(S3Error::internal_error());
            }
            offset += chunk.len() as u64;
            hasher.update(&chunk);
        }
        size += part.size;
    }
    let digests = hasher.finish();
    let crc = digests
        .checksum
        .map(|(_, v)| v)
        .ok_or_else(S3Error::internal_error)?;
    Ok((size, hex::encode(digests.md5), crc))
}

/// The caller an upload's requests and its commit run as: the creation URL's signer, re-read from
/// the identity store now (so a disabled, deleted or expired key, or a detached policy, takes
/// effect on the next request), presigned when the creation URL was, so the URL's signed
/// constraints (`x-sluice-checks`, `-notify`, `-payload`, `-grant`) apply as they would to a PUT.
pub async fn signer(state: &AppState, tus: &TusUpload) -> Result<Caller, S3Error> {
    if tus.access_key.is_empty() {
        return Ok(Caller {
            principal: Principal::Anonymous,
            auth: None,
            policies: Vec::new(),
            signing_secret: None,
        });
    }
    let mut caller = crate::auth::authn::session_caller(state, &tus.access_key).await?;
    if !tus.constraints.is_empty() {
        if let Some(auth) = caller.auth.as_mut() {
            auth.kind = AuthKind::QueryV4;
        }
    }
    Ok(caller)
}
