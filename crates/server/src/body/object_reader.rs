//! Reading a byte range of an object, whether it is one blob or a multipart manifest of many.

use crate::net::response::ResponseBody;
use bytes::Bytes;
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use sluice_store::{BlobReader, BlobRef, BlobStore, ObjectMeta, StoreError};
use std::sync::Arc;

/// Bytes read from storage per call.
pub const READ_CHUNK: usize = 512 * 1024;

/// One contiguous piece of an object: `len` bytes of `blob` starting at `offset` in the blob.
#[derive(Debug, Clone)]
struct Segment {
    blob: BlobRef,
    /// The whole blob's size.
    blob_size: u64,
    offset: u64,
    len: u64,
}

/// Streams `[start, start + len)` of an object across its blobs, one bounded chunk at a time.
pub struct ObjectReader {
    blobs: Arc<dyn BlobStore>,
    segments: std::vec::IntoIter<Segment>,
    current: Option<(Box<dyn BlobReader>, Segment)>,
}

impl ObjectReader {
    /// A reader for a range of `meta` (the caller has checked the range is inside the object).
    pub fn new(blobs: Arc<dyn BlobStore>, meta: &ObjectMeta, start: u64, len: u64) -> Self {
        let end = start + len;
        let pieces: Vec<(BlobRef, u64)> = match &meta.parts {
            Some(parts) if !parts.is_empty() => {
                parts.iter().map(|p| (p.blob.clone(), p.size)).collect()
            }
            _ => vec![(meta.blob.clone(), meta.size)],
        };
        let mut segments = Vec::new();
        let mut base = 0u64;
        for (blob, size) in pieces {
            let (lo, hi) = (base, base + size);
            base = hi;
            let s = start.max(lo);
            let e = end.min(hi);
            if s < e {
                segments.push(Segment {
                    blob,
                    blob_size: size,
                    offset: s - lo,
                    len: e - s,
                });
            }
        }
        ObjectReader {
            blobs,
            segments: segments.into_iter(),
            current: None,
        }
    }

    /// The next chunk, or `None` at the end of the range.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>, StoreError> {
        loop {
            if self.current.as_ref().is_none_or(|(_, seg)| seg.len == 0) {
                let Some(seg) = self.segments.next() else {
                    return Ok(None);
                };
                let reader = self.blobs.open_sized(&seg.blob, seg.blob_size).await?;
                self.current = Some((reader, seg));
                continue;
            }
            let Some((reader, seg)) = self.current.as_mut() else {
                return Ok(None);
            };
            let want = (seg.len as usize).min(READ_CHUNK);
            let chunk = reader.read_chunk(seg.offset, want).await?;
            if chunk.is_empty() {
                return Err(StoreError::Corrupt(format!(
                    "blob {} is shorter than its metadata",
                    seg.blob
                )));
            }
            seg.offset += chunk.len() as u64;
            seg.len -= chunk.len() as u64;
            return Ok(Some(Bytes::from(chunk)));
        }
    }

    /// Turns the reader into a response body.
    pub fn into_body(self) -> ResponseBody {
        let stream = futures_util::stream::unfold(Some(self), |state| async move {
            let mut reader = state?;
            match reader.next_chunk().await {
                Ok(Some(chunk)) => Some((Ok(Frame::data(chunk)), Some(reader))),
                Ok(None) => None,
                Err(e) => {
                    tracing::error!(error = %e, "object read failed mid-stream");
                    Some((Err(std::io::Error::other(e.to_string())), None))
                }
            }
        });
        StreamBody::new(stream).boxed_unsync()
    }
}
