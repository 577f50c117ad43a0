//! [`FaultyMetaStore`]: a [`MetaStore`] whose write transactions fail (and change nothing)
//! when its [`FaultPlan`] says so; reads always go through.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::{FaultOp, FaultPlan};
use crate::error::StoreError;
use crate::meta::{BucketUsage, ListPage, ListQuery, MetaStore, WritePrecondition};
use crate::model::{BlobRef, BucketMeta, ObjectMeta};
use crate::multipart_model::{
    CompletedUpload, CompletedUploadRecord, PartRecord, UploadMeta, UploadPage,
};
use crate::outbox::{DeadLetter, OutboxEntry, OutboxEvent, OutboxStore};
use crate::task_lease::TaskLeaseStore;

/// Wraps a real metadata store; every write checks [`FaultOp::MetaCommit`] first.
pub struct FaultyMetaStore {
    inner: Arc<dyn MetaStore>,
    plan: FaultPlan,
}

impl FaultyMetaStore {
    /// Wraps `inner`, steered by `plan`.
    pub fn new(inner: Arc<dyn MetaStore>, plan: FaultPlan) -> Self {
        FaultyMetaStore { inner, plan }
    }

    fn commit(&self) -> Result<(), StoreError> {
        self.plan.check(FaultOp::MetaCommit)
    }
}

#[async_trait]
impl MetaStore for FaultyMetaStore {
    async fn create_bucket(&self, b: &BucketMeta) -> Result<(), StoreError> {
        self.commit()?;
        self.inner.create_bucket(b).await
    }

    async fn get_bucket(&self, name: &str) -> Result<Option<BucketMeta>, StoreError> {
        self.inner.get_bucket(name).await
    }

    async fn list_buckets(&self) -> Result<Vec<BucketMeta>, StoreError> {
        self.inner.list_buckets().await
    }

    async fn delete_bucket(&self, name: &str) -> Result<Vec<BlobRef>, StoreError> {
        self.commit()?;
        self.inner.delete_bucket(name).await
    }

    async fn put_object_with_events(
        &self,
        meta: &ObjectMeta,
        precondition: &WritePrecondition,
        events: &[OutboxEvent],
    ) -> Result<Option<ObjectMeta>, StoreError> {
        self.commit()?;
        self.inner
            .put_object_with_events(meta, precondition, events)
            .await
    }

    async fn get_object(&self, bucket: &str, key: &str) -> Result<Option<ObjectMeta>, StoreError> {
        self.inner.get_object(bucket, key).await
    }

    async fn delete_object_with_events(
        &self,
        bucket: &str,
        key: &str,
        events: &[OutboxEvent],
    ) -> Result<Option<ObjectMeta>, StoreError> {
        self.commit()?;
        self.inner
            .delete_object_with_events(bucket, key, events)
            .await
    }

    async fn list_objects(&self, bucket: &str, q: &ListQuery<'_>) -> Result<ListPage, StoreError> {
        self.inner.list_objects(bucket, q).await
    }

    async fn blob_in_use(&self, blobs: &[BlobRef]) -> Result<Vec<bool>, StoreError> {
        self.inner.blob_in_use(blobs).await
    }

    async fn object_count(&self) -> Result<u64, StoreError> {
        self.inner.object_count().await
    }

    async fn bucket_usage(&self, name: &str) -> Result<Option<BucketUsage>, StoreError> {
        self.inner.bucket_usage(name).await
    }

    async fn create_upload(&self, upload: &UploadMeta) -> Result<(), StoreError> {
        self.commit()?;
        self.inner.create_upload(upload).await
    }

    async fn get_upload(&self, upload_id: &str) -> Result<Option<UploadMeta>, StoreError> {
        self.inner.get_upload(upload_id).await
    }

    async fn put_part(&self, part: &PartRecord) -> Result<Option<BlobRef>, StoreError> {
        self.commit()?;
        self.inner.put_part(part).await
    }

    async fn list_parts(
        &self,
        upload_id: &str,
        after_part: u32,
        max: usize,
    ) -> Result<Vec<PartRecord>, StoreError> {
        self.inner.list_parts(upload_id, after_part, max).await
    }

    async fn upload_extent(&self, upload_id: &str) -> Result<(u64, u32), StoreError> {
        self.inner.upload_extent(upload_id).await
    }

    async fn complete_upload_with_events(
        &self,
        upload_id: &str,
        object: &ObjectMeta,
        precondition: &WritePrecondition,
        events: &[OutboxEvent],
    ) -> Result<CompletedUpload, StoreError> {
        self.commit()?;
        self.inner
            .complete_upload_with_events(upload_id, object, precondition, events)
            .await
    }

    async fn completed_upload(
        &self,
        upload_id: &str,
    ) -> Result<Option<CompletedUploadRecord>, StoreError> {
        self.inner.completed_upload(upload_id).await
    }

    async fn prune_completed_uploads(&self, before_ms: i64) -> Result<u64, StoreError> {
        self.commit()?;
        self.inner.prune_completed_uploads(before_ms).await
    }

    async fn abort_upload(&self, upload_id: &str) -> Result<Vec<BlobRef>, StoreError> {
        self.commit()?;
        self.inner.abort_upload(upload_id).await
    }

    async fn list_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        key_marker: &str,
        upload_id_marker: &str,
        max: usize,
    ) -> Result<UploadPage, StoreError> {
        self.inner
            .list_uploads(bucket, prefix, key_marker, upload_id_marker, max)
            .await
    }

    async fn count_open_uploads(&self) -> Result<u64, StoreError> {
        self.inner.count_open_uploads().await
    }

    async fn stale_uploads(
        &self,
        before_ms: i64,
        max: usize,
    ) -> Result<Vec<UploadMeta>, StoreError> {
        self.inner.stale_uploads(before_ms, max).await
    }
}

/// Task leases go straight through: they are not among the writes a plan fails.
#[async_trait]
impl TaskLeaseStore for FaultyMetaStore {
    async fn try_lease_task(
        &self,
        task: &str,
        owner: &str,
        ttl: Duration,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        self.inner.try_lease_task(task, owner, ttl, now_ms).await
    }

    async fn release_task(&self, task: &str, owner: &str) -> Result<bool, StoreError> {
        self.inner.release_task(task, owner).await
    }
}

/// The outbox goes straight through: delivery bookkeeping is not among the writes a plan fails
/// (the events themselves fail with the object write that carries them).
#[async_trait]
impl OutboxStore for FaultyMetaStore {
    async fn outbox_append(&self, bucket: &str, events: &[OutboxEvent]) -> Result<(), StoreError> {
        self.inner.outbox_append(bucket, events).await
    }

    async fn outbox_next(
        &self,
        target: &str,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.inner.outbox_next(target, limit).await
    }

    async fn outbox_delivered(&self, id: i64) -> Result<bool, StoreError> {
        self.inner.outbox_delivered(id).await
    }

    async fn outbox_delivered_all(&self, ids: &[i64]) -> Result<u64, StoreError> {
        self.inner.outbox_delivered_all(ids).await
    }

    async fn outbox_retry_later(
        &self,
        id: i64,
        next_attempt_ms: i64,
        error: &str,
    ) -> Result<bool, StoreError> {
        self.inner
            .outbox_retry_later(id, next_attempt_ms, error)
            .await
    }

    async fn outbox_dead_letter(
        &self,
        id: i64,
        now_ms: i64,
        error: &str,
    ) -> Result<bool, StoreError> {
        self.inner.outbox_dead_letter(id, now_ms, error).await
    }

    async fn dead_letters(
        &self,
        target: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        self.inner.dead_letters(target, limit).await
    }

    async fn replay_dead_letters(
        &self,
        target: Option<&str>,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        self.inner.replay_dead_letters(target, now_ms).await
    }

    async fn purge_dead_letters(&self, target: Option<&str>) -> Result<u64, StoreError> {
        self.inner.purge_dead_letters(target).await
    }

    async fn outbox_after(
        &self,
        target: &str,
        after_id: i64,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.inner.outbox_after(target, after_id, limit).await
    }

    async fn outbox_count(&self, target: &str) -> Result<u64, StoreError> {
        self.inner.outbox_count(target).await
    }

    async fn outbox_last_id(&self) -> Result<i64, StoreError> {
        self.inner.outbox_last_id().await
    }

    async fn outbox_prune(
        &self,
        target: &str,
        created_before_ms: i64,
        limit: usize,
    ) -> Result<u64, StoreError> {
        self.inner
            .outbox_prune(target, created_before_ms, limit)
            .await
    }

    async fn outbox_backlog(&self, target: &str) -> Result<(u64, Option<i64>), StoreError> {
        self.inner.outbox_backlog(target).await
    }

    async fn outbox_targets(&self) -> Result<Vec<String>, StoreError> {
        self.inner.outbox_targets().await
    }
}

/// tus state: creation and the length are writes a plan fails; reads go through.
#[async_trait]
impl crate::tus::TusUploadStore for FaultyMetaStore {
    async fn create_tus_upload(
        &self,
        upload: &UploadMeta,
        tus: &crate::tus::TusUpload,
    ) -> Result<(), StoreError> {
        self.commit()?;
        self.inner.create_tus_upload(upload, tus).await
    }

    async fn get_tus_upload(
        &self,
        token_hash: &str,
    ) -> Result<Option<crate::tus::TusUpload>, StoreError> {
        self.inner.get_tus_upload(token_hash).await
    }

    async fn set_tus_length(&self, upload_id: &str, length: u64) -> Result<bool, StoreError> {
        self.commit()?;
        self.inner.set_tus_length(upload_id, length).await
    }

    async fn expired_tus_uploads(
        &self,
        before_ms: i64,
        max: usize,
    ) -> Result<Vec<crate::tus::TusUpload>, StoreError> {
        self.inner.expired_tus_uploads(before_ms, max).await
    }
}
