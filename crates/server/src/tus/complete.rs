//! The last byte arrived: the upload's parts are read once through the hashers into one blob,
//! committed exactly like a PUT (MD5 ETag, CRC64NVME checksum, the bucket's and the URL's checks,
//! events with the URL's receipt), then the upload and its parts are removed.

use crate::auth::authn::Caller;
use crate::body::checksum::{BodyHasher, ChecksumAlgorithm};
use crate::ops::lookup::store_err;
use crate::ops::put_object::commit_object;
use crate::request_ctx::RequestCtx;
use crate::state::AppState;
use http::request::Parts;
use sluice_iam::Principal;
use sluice_s3::{QueryParams, S3Error};
use sluice_sigv4::AuthKind;
use sluice_store::{BlobWriter, Checksums, ObjectMeta, TusUpload, UploadMeta};
use std::net::SocketAddr;

/// Bytes read from a part at a time.
const READ_CHUNK: usize = 1 << 20;

/// Commits the finished upload as its object; returns the ETag (hex MD5). The upload is removed
/// once the object is committed, or when its checks refuse it (then the error is returned);
/// on other failures it stays, and a later HEAD or PATCH retries.
pub async fn finish(
    state: &AppState,
    parts: &Parts,
    remote: SocketAddr,
    upload: &UploadMeta,
    tus: &TusUpload,
    caller: &Caller,
) -> Result<String, S3Error> {
    let records = state
        .meta
        .list_parts(&upload.upload_id, 0, usize::MAX)
        .await
        .map_err(store_err)?;
    let mut writer = state.blobs.create().await.map_err(store_err)?;
    let copied = copy_parts(state, &records, &mut *writer).await;
    let (size, md5_hex, crc) = match copied {
        Ok(v) => v,
        Err(e) => {
            writer.abort().await;
            return Err(e);
        }
    };
    let blob = writer.commit().await.map_err(store_err)?;
    let mut checksums = Checksums::default();
    ChecksumAlgorithm::Crc64Nvme.store(&mut checksums, crc);
    let meta = ObjectMeta {
        bucket: upload.bucket.clone(),
        key: upload.key.clone(),
        size,
        etag: md5_hex.clone(),
        last_modified_ms: state.clock.now_ms(),
        headers: upload.headers.clone(),
        user_metadata: upload.user_metadata.clone(),
        checksums,
        blob,
        parts: None,
    };
    let query = QueryParams::parse(&tus.constraints);
    let ctx = RequestCtx {
        state,
        parts,
        query: &query,
        caller,
        remote,
    };
    let committed = commit_object(&ctx, &meta, sluice_s3::event_record::OBJECT_CREATED_PUT).await;
    if let Err(e) = &committed {
        if e.code != crate::notify::emit::CHECKS_REJECTED {
            return Err(e.clone());
        }
        crate::notify::emit::rejected(&ctx, &upload.bucket, &upload.key, e).await;
    }
    match state.meta.abort_upload(&upload.upload_id).await {
        Ok(blobs) => {
            for b in blobs {
                let _ = state.blobs.delete(&b).await;
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, upload_id = upload.upload_id, "tus upload not removed")
        }
    }
    committed.map(|()| md5_hex)
}

/// Reads the parts in order into `writer`; returns (size, MD5 hex, CRC64NVME base64).
async fn copy_parts(
    state: &AppState,
    records: &[sluice_store::PartRecord],
    writer: &mut dyn BlobWriter,
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
            writer
                .write_shared(bytes::Bytes::from(chunk))
                .await
                .map_err(store_err)?;
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
