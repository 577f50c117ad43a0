//! Appending a PATCH body to a tus upload: streamed through the hashers into one blob that,
//! once durable, becomes the upload's next part (so the offset only advances over durable bytes).

use super::protocol::{checksum_mismatch, too_large, UploadChecksum};
use crate::body::body_in::BodyReader;
use crate::body::checksum::BodyHasher;
use crate::ops::lookup::store_err;
use crate::state::AppState;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use sluice_s3::S3Error;
use sluice_store::{BlobWriter, Checksums, PartRecord, StoreError};

/// Where an upload stands: its durable offset and how many parts hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes durably received.
    pub offset: u64,
    /// Parts (PATCHes that stored bytes) so far.
    pub parts: u32,
}

/// The upload's durable offset: the sum of its parts (summed by the store, so a PATCH costs
/// the same however many came before it).
pub async fn progress(state: &AppState, upload_id: &str) -> Result<Progress, S3Error> {
    let (offset, parts) = state
        .meta
        .upload_extent(upload_id)
        .await
        .map_err(store_err)?;
    Ok(Progress { offset, parts })
}

/// What one append is allowed.
#[derive(Debug, Clone)]
pub struct AppendLimits {
    /// Most bytes this PATCH may carry (what is left of the upload's length or size range).
    pub max: u64,
    /// The upload-wide limit `max` derives from, for the error.
    pub max_total: u64,
    /// The checksum the client sent, if any.
    pub checksum: Option<UploadChecksum>,
}

/// Streams `body` into part `part_number` of upload `upload_id`; returns the bytes appended.
///
/// More bytes than `limits.max`: 413, nothing kept. A checksum mismatch: 460, nothing kept.
/// A body cut off (or stalled) without a checksum keeps what arrived, durably, before the
/// error is returned: the client resumes from there.
pub async fn append(
    state: &AppState,
    upload_id: &str,
    part_number: u32,
    body: &mut BodyReader,
    limits: &AppendLimits,
) -> Result<u64, S3Error> {
    let mut writer = state.blobs.create().await.map_err(store_err)?;
    let algorithm = limits
        .checksum
        .as_ref()
        .and_then(|c| c.algorithm.hasher_algorithm());
    let mut hasher = BodyHasher::new(algorithm, false);
    let mut received: u64 = 0;
    let failure = loop {
        match body.next_chunk().await {
            Ok(Some(chunk)) => {
                received += chunk.len() as u64;
                if received > limits.max {
                    writer.abort().await;
                    return Err(too_large(limits.max_total));
                }
                hasher.update(&chunk);
                if let Err(e) = writer.write(&chunk).await {
                    writer.abort().await;
                    return Err(store_err(e));
                }
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    let digests = hasher.finish();
    if let Some(e) = failure {
        if limits.checksum.is_some() || received == 0 {
            writer.abort().await;
        } else {
            // Keep what arrived: the client resumes from the offset a HEAD reports.
            store_part(
                state,
                upload_id,
                part_number,
                writer,
                received,
                &digests.md5,
            )
            .await?;
        }
        return Err(e);
    }
    if let Some(want) = &limits.checksum {
        let got = match &digests.checksum {
            Some((_, b64)) => B64.decode(b64).unwrap_or_default(),
            None => digests.md5.to_vec(),
        };
        if got != want.expected {
            writer.abort().await;
            return Err(checksum_mismatch());
        }
    }
    if received == 0 {
        writer.abort().await;
        return Ok(0);
    }
    store_part(
        state,
        upload_id,
        part_number,
        writer,
        received,
        &digests.md5,
    )
    .await?;
    Ok(received)
}

/// Commits the blob (durable: fsynced, or staged with the part row) and records it as a part.
async fn store_part(
    state: &AppState,
    upload_id: &str,
    part_number: u32,
    writer: Box<dyn BlobWriter>,
    size: u64,
    md5: &[u8; 16],
) -> Result<(), S3Error> {
    let blob = writer.commit().await.map_err(store_err)?;
    let part = PartRecord {
        upload_id: upload_id.to_string(),
        part_number,
        size,
        etag: hex::encode(md5),
        blob: blob.clone(),
        checksums: Checksums::default(),
        last_modified_ms: state.clock.now_ms(),
    };
    match state.meta.put_part(&part).await {
        Ok(replaced) => {
            if let Some(old) = replaced {
                let _ = state.blobs.delete(&old).await;
            }
            Ok(())
        }
        Err(e) => {
            if !matches!(e, StoreError::Uncertain(_)) {
                let _ = state.blobs.delete(&blob).await;
            }
            Err(match e {
                StoreError::NoSuchUpload => super::protocol::no_such_upload(),
                other => store_err(other),
            })
        }
    }
}
