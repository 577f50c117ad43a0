//! Gathering a large request body into batches that the blob writer and the hasher share.
//!
//! The body arrives in frames of whatever size the socket reads gave. Both the file write and
//! the hashing want large batches; copying each frame once into a batch that both then hold
//! (a reference-counted [`Bytes`]) costs one copy of the body instead of one per consumer.
//! Batch buffers come back to the upload's pool once both are done with them, so a long
//! upload reuses the same few buffers instead of faulting in fresh memory.

use bytes::Bytes;
use std::sync::{Arc, Mutex};

/// Bytes per batch: the file writer's and the hasher's batch size.
pub const BATCH: usize = 256 << 10;

/// Buffers a pool keeps for reuse (the batches in flight of one upload).
const POOLED: usize = 8;

/// Emptied batch buffers of one upload.
#[derive(Clone, Default)]
struct Pool(Arc<Mutex<Vec<Vec<u8>>>>);

impl Pool {
    fn take(&self) -> Vec<u8> {
        let reused = self.0.lock().unwrap_or_else(|p| p.into_inner()).pop();
        reused.unwrap_or_else(|| Vec::with_capacity(BATCH))
    }
}

/// A full batch; its buffer goes back to the pool when the last holder drops it.
struct Pooled {
    buf: Vec<u8>,
    pool: Pool,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let mut free = self.pool.0.lock().unwrap_or_else(|p| p.into_inner());
        if free.len() < POOLED {
            free.push(buf);
        }
    }
}

/// Copies body frames into [`BATCH`]-sized shared batches.
#[derive(Default)]
pub struct Batcher {
    pool: Pool,
    /// The batch being filled (no capacity until the first byte).
    filling: Vec<u8>,
}

impl Batcher {
    /// Copies from the front of `data` into the batch being filled, advancing `data`; returns
    /// the batch once it is full (call again while `data` is not empty).
    pub fn fill(&mut self, data: &mut &[u8]) -> Option<Bytes> {
        if data.is_empty() {
            return None;
        }
        if self.filling.capacity() == 0 {
            self.filling = self.pool.take();
        }
        let take = data.len().min(BATCH.saturating_sub(self.filling.len()));
        self.filling.extend_from_slice(&data[..take]);
        *data = &data[take..];
        (self.filling.len() >= BATCH).then(|| self.seal())
    }

    /// The batch being filled, however short, unless it is empty.
    pub fn take_partial(&mut self) -> Option<Bytes> {
        (!self.filling.is_empty()).then(|| self.seal())
    }

    /// Bytes gathered and not yet handed out.
    pub fn len(&self) -> usize {
        self.filling.len()
    }

    /// Whether nothing is gathered.
    pub fn is_empty(&self) -> bool {
        self.filling.is_empty()
    }

    /// Frees the emptied buffers the pool keeps (an upload that goes idle holds no memory);
    /// batches still held elsewhere come back to the pool as before.
    pub fn free_pool(&mut self) {
        self.pool
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    fn seal(&mut self) -> Bytes {
        Bytes::from_owner(Pooled {
            buf: std::mem::take(&mut self.filling),
            pool: self.pool.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_carry_the_body_in_order_and_buffers_are_reused() {
        let body: Vec<u8> = (0..(3 * BATCH + 1234)).map(|i| (i % 253) as u8).collect();
        for frame in [1usize, 1000, BATCH - 1, BATCH, BATCH + 1, 5 * BATCH] {
            let mut batcher = Batcher::default();
            let mut out = Vec::new();
            let mut sizes = Vec::new();
            for chunk in body.chunks(frame) {
                let mut rest = chunk;
                while let Some(full) = batcher.fill(&mut rest) {
                    sizes.push(full.len());
                    out.extend_from_slice(&full);
                }
                assert!(rest.is_empty());
                assert!(batcher.len() < BATCH);
            }
            let tail = batcher.take_partial().expect("a partial batch");
            assert_eq!(tail.len(), 1234);
            out.extend_from_slice(&tail);
            assert!(batcher.is_empty() && batcher.take_partial().is_none());
            assert_eq!(sizes, vec![BATCH; 3], "frame {frame}");
            assert!(out == body, "frame {frame}");
        }
        // A batch dropped by its last holder returns its buffer for the next one.
        let mut batcher = Batcher::default();
        let mut data: &[u8] = &body[..2 * BATCH];
        let first = batcher.fill(&mut data).expect("full");
        let shared = first.clone();
        let ptr = first.as_ptr();
        drop(first);
        assert!(
            batcher.pool.0.lock().expect("pool").is_empty(),
            "still held"
        );
        drop(shared);
        let second = batcher.fill(&mut data).expect("full");
        assert_eq!(second.as_ptr(), ptr);
        drop(second);
        assert_eq!(batcher.pool.0.lock().expect("pool").len(), 1);
        batcher.free_pool();
        assert!(batcher.pool.0.lock().expect("pool").is_empty());
    }
}
