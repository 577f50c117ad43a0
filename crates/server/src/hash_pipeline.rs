//! Hashing an upload on a blocking thread while its next bytes arrive and are written.
//!
//! MD5 (the ETag) is the slowest pass over an upload body; done inline it serialises with the
//! socket reads and the file writes. Here the body is copied into one of two reused batch
//! buffers and hashed on the blocking pool: one batch is hashed while the next fills, so hashing
//! runs on a second core concurrently with the network and the disk. (Keeping the received
//! frames instead of copying them costs more: the HTTP layer then reads every byte into fresh,
//! page-faulting memory.)

use crate::checksum::{BodyDigests, BodyHasher};
use sluice_s3::S3Error;
use tokio::task::JoinHandle;

/// Bytes gathered before a batch is handed to the hashing thread.
const BATCH: usize = 256 << 10;

/// A batch being hashed on the blocking pool.
type HashJob = JoinHandle<(BodyHasher, Vec<u8>)>;

/// A [`BodyHasher`] fed in batches on the blocking pool.
pub struct PipelinedHasher {
    /// The hasher, when no batch is being hashed.
    idle: Option<BodyHasher>,
    /// The batch being hashed; gives back the hasher and the emptied buffer.
    running: Option<(HashJob, usize)>,
    batch: Vec<u8>,
    /// The other buffer, when it is not being hashed.
    spare: Vec<u8>,
    /// Small body: hash each slice as it comes.
    inline: bool,
}

impl PipelinedHasher {
    /// Wraps `hasher`.
    pub fn new(hasher: BodyHasher) -> Self {
        PipelinedHasher {
            idle: Some(hasher),
            running: None,
            batch: Vec::new(),
            spare: Vec::new(),
            inline: false,
        }
    }

    /// Like [`PipelinedHasher::new`], but a body announced smaller than one batch is hashed
    /// inline as it arrives (no batch buffers, no thread hand-off).
    pub fn for_body(hasher: BodyHasher, declared_len: Option<u64>) -> Self {
        let mut piped = Self::new(hasher);
        piped.inline = declared_len.is_some_and(|n| n < BATCH as u64);
        piped
    }

    /// Feeds the next slice of the body. Waits only when a full batch is ready while the
    /// previous one is still being hashed.
    pub async fn update(&mut self, mut chunk: &[u8]) -> Result<(), S3Error> {
        if self.inline {
            if let Some(hasher) = &mut self.idle {
                hasher.update(chunk);
                return Ok(());
            }
        }
        while !chunk.is_empty() {
            if self.batch.capacity() == 0 {
                self.batch.reserve_exact(BATCH);
            }
            let take = chunk.len().min(BATCH - self.batch.len().min(BATCH));
            self.batch.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            if self.batch.len() >= BATCH {
                self.dispatch().await?;
            }
        }
        Ok(())
    }

    /// Body bytes this hasher holds (queued or being hashed).
    pub fn held(&self) -> usize {
        self.batch.len() + self.running.as_ref().map_or(0, |(_, len)| *len)
    }

    /// Hashes everything fed so far and frees both buffers, so the hasher holds no body
    /// bytes (an upload that spills while it waits for its client or for budget).
    pub async fn settle(&mut self) -> Result<(), S3Error> {
        let mut hasher = self.take_hasher().await?;
        hasher.update(&self.batch);
        self.idle = Some(hasher);
        self.batch = Vec::new();
        self.spare = Vec::new();
        Ok(())
    }

    /// Hashes what is left and returns the digests.
    pub async fn finish(mut self) -> Result<BodyDigests, S3Error> {
        let mut hasher = self.take_hasher().await?;
        hasher.update(&self.batch);
        Ok(hasher.finish())
    }

    async fn dispatch(&mut self) -> Result<(), S3Error> {
        let mut hasher = self.take_hasher().await?;
        let batch = std::mem::replace(&mut self.batch, std::mem::take(&mut self.spare));
        let len = batch.len();
        let job = tokio::task::spawn_blocking(move || {
            hasher.update(&batch);
            let mut emptied = batch;
            emptied.clear();
            (hasher, emptied)
        });
        self.running = Some((job, len));
        Ok(())
    }

    async fn take_hasher(&mut self) -> Result<BodyHasher, S3Error> {
        match self.running.take() {
            Some((job, _)) => {
                let (hasher, emptied) = job.await.map_err(|_| S3Error::internal_error())?;
                self.spare = emptied;
                Ok(hasher)
            }
            None => self.idle.take().ok_or_else(S3Error::internal_error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksum::ChecksumAlgorithm;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn same_digests_as_inline_hashing() {
        let body: Vec<u8> = (0..(5 * BATCH + 12345))
            .map(|i| (i * 31 % 251) as u8)
            .collect();
        for slice in [1, 1000, 65536, BATCH, 3 * BATCH + 7] {
            let mut inline = BodyHasher::new(Some(ChecksumAlgorithm::Crc64Nvme), true);
            inline.update(&body);
            let want = inline.finish();
            // slice 1000: announced small, hashed inline.
            let declared = (slice == 1000).then_some(100);
            let mut piped = PipelinedHasher::for_body(
                BodyHasher::new(Some(ChecksumAlgorithm::Crc64Nvme), true),
                declared,
            );
            for chunk in body.chunks(slice) {
                piped.update(chunk).await.expect("update");
                assert!(piped.held() <= 2 * BATCH);
            }
            piped.settle().await.expect("settle");
            assert_eq!(piped.held(), 0);
            let got = piped.finish().await.expect("finish");
            assert_eq!(got.md5, want.md5, "slice {slice}");
            assert_eq!(got.checksum, want.checksum, "slice {slice}");
            assert_eq!(got.payload_sha256, want.payload_sha256, "slice {slice}");
            assert_eq!(got.len, want.len);
        }
    }
}
