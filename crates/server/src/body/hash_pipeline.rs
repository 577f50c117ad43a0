//! Hashing an upload on a blocking thread while its next bytes arrive and are written.
//!
//! MD5 (the ETag) is the slowest pass over an upload body; done inline it serialises with the
//! socket reads and the file writes. Here the body comes in 256 KiB batches (shared with the
//! blob writer, see [`crate::body::body_batches`], or copied into reused buffers) that queue (a few
//! deep) for one blocking job, which hashes them back to back while the next ones fill, so
//! hashing runs on a second core concurrently with the network and the disk. (Keeping the
//! received frames instead of batching them costs more: the HTTP layer then reads every byte
//! into fresh, page-faulting memory.)

use crate::body::body_batches::BATCH;
use crate::body::checksum::{BodyDigests, BodyHasher};
use bytes::Bytes;
use sluice_s3::S3Error;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;

/// Full batches that may wait for the hashing thread. With one batch being hashed and one
/// filling, an upload holds at most `DEPTH + 2` batches.
const DEPTH: usize = 4;

/// A request task waiting for room is woken once no more than this many batches wait: it
/// then queues several in a row, instead of being woken (a context switch on each side) for
/// every batch hashed, while the batches still waiting keep the hashing core busy.
const WAKE_AT: usize = 1;

/// A [`BodyHasher`] fed in batches on the blocking pool.
///
/// One blocking job hashes every queued batch, one after the other, and ends when the queue is
/// empty (so no thread waits on a slow client); the next full batch starts another. The
/// queue lets the body run a few batches ahead, so the hashing core does not sit idle each
/// time the request task is late to hand over the next batch.
pub struct PipelinedHasher {
    shared: Arc<Shared>,
    /// The batch being filled.
    batch: Vec<u8>,
    /// Small body: hash each slice as it comes, on the request's task.
    inline: bool,
}

struct Shared {
    state: Mutex<State>,
    /// Wakes the request task when a batch was hashed or the job ended.
    progress: Notify,
}

/// A batch waiting to be hashed.
enum Batch {
    /// Gathered by this hasher; its buffer is reused.
    Owned(Vec<u8>),
    /// Shared with the blob writer.
    Shared(Bytes),
}

impl Batch {
    fn bytes(&self) -> &[u8] {
        match self {
            Batch::Owned(v) => v,
            Batch::Shared(b) => b,
        }
    }
}

struct State {
    /// The hasher, unless a job holds it.
    hasher: Option<BodyHasher>,
    /// Full batches waiting for the job.
    queue: VecDeque<Batch>,
    /// Emptied buffers for the request task to fill again.
    free: Vec<Vec<u8>>,
    /// Bytes queued or being hashed.
    pending_bytes: usize,
    /// A job is draining the queue.
    running: bool,
    /// A job died (panicked) and took the hasher with it.
    failed: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Ends the job however it ends (a panic included): gives the hasher back, or marks the
/// pipeline failed, and wakes the request task, which would otherwise wait forever.
struct JobGuard {
    shared: Arc<Shared>,
    hasher: Option<BodyHasher>,
}

impl JobGuard {
    /// Ends the job under `st`, the lock that found the queue empty: a batch queued once it
    /// is released finds `running` cleared and starts a new job, which finds the hasher.
    fn finish(&mut self, st: &mut State) {
        st.running = false;
        match self.hasher.take() {
            Some(h) => st.hasher = Some(h),
            None => st.failed = true,
        }
    }
}

impl Drop for JobGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut st = self.shared.lock();
            st.running = false;
            st.failed = true;
        }
        self.shared.progress.notify_one();
    }
}

/// The blocking job: hashes queued batches until the queue is empty.
fn drain(shared: Arc<Shared>) {
    let hasher = shared.lock().hasher.take();
    let mut guard = JobGuard {
        shared: Arc::clone(&shared),
        hasher,
    };
    let mut next = shared.lock().queue.pop_front();
    while let Some(batch) = next {
        let Some(hasher) = guard.hasher.as_mut() else {
            break;
        };
        hasher.update(batch.bytes());
        let len = batch.bytes().len();
        let mut st = shared.lock();
        st.pending_bytes -= len;
        if let Batch::Owned(mut buf) = batch {
            buf.clear();
            st.free.push(buf);
        }
        next = st.queue.pop_front();
        if next.is_none() {
            guard.finish(&mut st);
            return;
        }
        let wake = st.queue.len() <= WAKE_AT;
        drop(st);
        if wake {
            shared.progress.notify_one();
        }
    }
    let mut st = shared.lock();
    guard.finish(&mut st);
}

impl PipelinedHasher {
    /// Wraps `hasher`.
    pub fn new(hasher: BodyHasher) -> Self {
        PipelinedHasher {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    hasher: Some(hasher),
                    queue: VecDeque::new(),
                    free: Vec::new(),
                    pending_bytes: 0,
                    running: false,
                    failed: false,
                }),
                progress: Notify::new(),
            }),
            batch: Vec::new(),
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

    /// Feeds the next slice of the body. Waits only when the queue of full batches is full.
    pub async fn update(&mut self, mut chunk: &[u8]) -> Result<(), S3Error> {
        if self.inline {
            let mut st = self.shared.lock();
            if !st.running {
                if let Some(hasher) = st.hasher.as_mut() {
                    hasher.update(chunk);
                    return Ok(());
                }
            }
        }
        while !chunk.is_empty() {
            if self.batch.capacity() == 0 {
                let reused = self.shared.lock().free.pop();
                self.batch = reused.unwrap_or_else(|| Vec::with_capacity(BATCH));
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

    /// Feeds the next slice of the body, a batch shared with the blob writer: queued as it
    /// is when it is a full batch and nothing is being gathered, else copied as by
    /// [`PipelinedHasher::update`].
    pub async fn update_shared(&mut self, data: Bytes) -> Result<(), S3Error> {
        if self.inline || !self.batch.is_empty() || data.len() < BATCH {
            return self.update(&data).await;
        }
        self.queue_batch(Batch::Shared(data)).await
    }

    /// Body bytes this hasher holds (queued, being hashed or being gathered).
    pub fn held(&self) -> usize {
        self.batch.len() + self.shared.lock().pending_bytes
    }

    /// Hashes everything fed so far and frees every buffer, so the hasher holds no body
    /// bytes (an upload that spills while it waits for its client or for budget).
    pub async fn settle(&mut self) -> Result<(), S3Error> {
        let mut hasher = self.take_hasher().await?;
        hasher.update(&self.batch);
        let mut st = self.shared.lock();
        st.hasher = Some(hasher);
        st.free = Vec::new();
        drop(st);
        self.batch = Vec::new();
        Ok(())
    }

    /// Hashes what is left and returns the digests.
    pub async fn finish(mut self) -> Result<BodyDigests, S3Error> {
        let mut hasher = self.take_hasher().await?;
        hasher.update(&self.batch);
        Ok(hasher.finish())
    }

    /// Queues the full batch being gathered.
    async fn dispatch(&mut self) -> Result<(), S3Error> {
        let batch = std::mem::take(&mut self.batch);
        self.queue_batch(Batch::Owned(batch)).await
    }

    /// Queues `batch` (waiting for room) and starts a job if none is running.
    async fn queue_batch(&mut self, batch: Batch) -> Result<(), S3Error> {
        loop {
            {
                let mut st = self.shared.lock();
                if st.failed {
                    return Err(S3Error::internal_error());
                }
                if st.queue.len() < DEPTH {
                    st.pending_bytes += batch.bytes().len();
                    st.queue.push_back(batch);
                    if !st.running {
                        st.running = true;
                        drop(st);
                        let shared = Arc::clone(&self.shared);
                        tokio::task::spawn_blocking(move || drain(shared));
                    }
                    return Ok(());
                }
            }
            self.shared.progress.notified().await;
        }
    }

    /// Waits until every queued batch is hashed and takes the hasher.
    async fn take_hasher(&mut self) -> Result<BodyHasher, S3Error> {
        loop {
            {
                let mut st = self.shared.lock();
                if st.failed {
                    return Err(S3Error::internal_error());
                }
                if !st.running && st.queue.is_empty() {
                    return st.hasher.take().ok_or_else(S3Error::internal_error);
                }
            }
            self.shared.progress.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::checksum::ChecksumAlgorithm;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn same_digests_as_inline_hashing() {
        // 5+ batches: the queue fills and the request side waits for room.
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
            for (i, chunk) in body.chunks(slice).enumerate() {
                piped.update(chunk).await.expect("update");
                assert!(piped.held() <= (DEPTH + 2) * BATCH);
                if i == 7 {
                    // A spill mid-body: everything so far hashed, nothing held, then more.
                    piped.settle().await.expect("settle");
                    assert_eq!(piped.held(), 0);
                }
            }
            piped.settle().await.expect("settle");
            assert_eq!(piped.held(), 0);
            let got = piped.finish().await.expect("finish");
            assert_eq!(got.md5, want.md5, "slice {slice}");
            assert_eq!(got.checksum, want.checksum, "slice {slice}");

            // Batches shared with a writer (queued as they are), then copied slices again.
            let mut piped = PipelinedHasher::for_body(
                BodyHasher::new(Some(ChecksumAlgorithm::Crc64Nvme), true),
                None,
            );
            let mut batcher = crate::body::body_batches::Batcher::default();
            for (i, chunk) in body.chunks(slice).enumerate() {
                if i % 5 == 4 {
                    if let Some(partial) = batcher.take_partial() {
                        piped.update_shared(partial).await.expect("update");
                    }
                    piped.update(chunk).await.expect("update");
                    continue;
                }
                let mut rest = chunk;
                while let Some(full) = batcher.fill(&mut rest) {
                    piped.update_shared(full).await.expect("update");
                    assert!(piped.held() <= (DEPTH + 2) * BATCH);
                }
            }
            if let Some(partial) = batcher.take_partial() {
                piped.update_shared(partial).await.expect("update");
            }
            let got = piped.finish().await.expect("finish");
            assert_eq!(got.md5, want.md5, "slice {slice}");
            assert_eq!(got.checksum, want.checksum, "slice {slice}");
            assert_eq!(got.payload_sha256, want.payload_sha256, "slice {slice}");
            assert_eq!(got.len, want.len);
        }
    }
}
