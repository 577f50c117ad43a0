//! [`FaultyBlobStore`]: a [`BlobStore`] that fails creates, writes, fsyncs, renames and
//! deletes when its [`FaultPlan`] says so, and otherwise forwards to the real backend.

use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;

use super::{FaultOp, FaultPlan};
use crate::blob::{BlobReader, BlobStore, BlobWriter};
use crate::error::StoreError;
use crate::model::BlobRef;

/// Wraps a real blob store; faults follow the shared plan.
pub struct FaultyBlobStore {
    inner: Arc<dyn BlobStore>,
    plan: FaultPlan,
}

impl FaultyBlobStore {
    /// Wraps `inner`, steered by `plan`.
    pub fn new(inner: Arc<dyn BlobStore>, plan: FaultPlan) -> Self {
        FaultyBlobStore { inner, plan }
    }
}

#[async_trait]
impl BlobStore for FaultyBlobStore {
    async fn create(&self) -> Result<Box<dyn BlobWriter>, StoreError> {
        self.plan.check(FaultOp::BlobCreate)?;
        let inner = self.inner.create().await?;
        Ok(Box::new(FaultyBlobWriter {
            inner,
            plan: self.plan.clone(),
        }))
    }

    async fn open(&self, blob: &BlobRef) -> Result<Box<dyn BlobReader>, StoreError> {
        self.inner.open(blob).await
    }

    async fn open_sized(
        &self,
        blob: &BlobRef,
        size: u64,
    ) -> Result<Box<dyn BlobReader>, StoreError> {
        self.inner.open_sized(blob, size).await
    }

    async fn delete(&self, blob: &BlobRef) -> Result<(), StoreError> {
        self.plan.check(FaultOp::BlobDelete)?;
        self.inner.delete(blob).await
    }

    async fn delete_sized(&self, blob: &BlobRef, size: u64) -> Result<(), StoreError> {
        self.plan.check(FaultOp::BlobDelete)?;
        self.inner.delete_sized(blob, size).await
    }

    async fn list_blobs_older_than(&self, cutoff: SystemTime) -> Result<Vec<BlobRef>, StoreError> {
        self.inner.list_blobs_older_than(cutoff).await
    }

    fn listing_shards(&self) -> usize {
        self.inner.listing_shards()
    }

    async fn list_shard_older_than(
        &self,
        shard: usize,
        cutoff: SystemTime,
    ) -> Result<Vec<BlobRef>, StoreError> {
        self.inner.list_shard_older_than(shard, cutoff).await
    }

    async fn clean_temp(&self) -> Result<usize, StoreError> {
        self.inner.clean_temp().await
    }

    async fn check_writable(&self) -> Result<(), StoreError> {
        self.inner.check_writable().await
    }
}

/// A blob being written through the real writer. A failed fsync or rename discards the temp
/// file, as the real writer does when those system calls fail.
struct FaultyBlobWriter {
    inner: Box<dyn BlobWriter>,
    plan: FaultPlan,
}

/// Waits as a slow disk would when the plan says so.
async fn slow_disk(plan: &FaultPlan) {
    if let Some(delay) = plan.flush_delay() {
        tokio::time::sleep(delay).await;
    }
}

#[async_trait]
impl BlobWriter for FaultyBlobWriter {
    async fn write(&mut self, data: &[u8]) -> Result<(), StoreError> {
        self.plan.check(FaultOp::BlobWrite)?;
        let before = self.inner.buffered();
        self.inner.write(data).await?;
        if self.inner.buffered() < before + data.len() {
            slow_disk(&self.plan).await;
        }
        Ok(())
    }

    fn written(&self) -> u64 {
        self.inner.written()
    }

    fn buffered(&self) -> usize {
        self.inner.buffered()
    }

    async fn flush(&mut self) -> Result<(), StoreError> {
        self.plan.check(FaultOp::BlobWrite)?;
        if self.inner.buffered() > 0 {
            slow_disk(&self.plan).await;
        }
        self.inner.flush().await
    }

    async fn commit(self: Box<Self>) -> Result<BlobRef, StoreError> {
        let fault = self
            .plan
            .check(FaultOp::BlobFsync)
            .and_then(|()| self.plan.check(FaultOp::BlobRename));
        match fault {
            Ok(()) => self.inner.commit().await,
            Err(e) => {
                self.inner.abort().await;
                Err(e)
            }
        }
    }

    async fn abort(self: Box<Self>) {
        self.inner.abort().await
    }
}
