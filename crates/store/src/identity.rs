//! The identity and access contract: users, access keys, named policies and their
//! attachments, bucket policies and canned ACLs. Kept apart from [`crate::MetaStore`].
//!
//! Secrets are stored sealed: the store only ever sees ciphertext produced by the server.

use async_trait::async_trait;

use crate::error::StoreError;

/// A user that may own access keys and have policies attached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    /// Unique name.
    pub name: String,
    /// Creation time, ms since the epoch.
    pub created_ms: i64,
}

/// One access key of a user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessKeyRecord {
    /// Public id (unique across users).
    pub access_key_id: String,
    /// Owning user.
    pub user: String,
    /// The secret sealed with the server key (nonce + ciphertext); opaque to the store.
    pub secret_sealed: Vec<u8>,
    /// Disabled keys fail authentication.
    pub enabled: bool,
    /// Creation time, ms since the epoch.
    pub created_ms: i64,
    /// Expiry, ms since the epoch; the key fails authentication from then on.
    pub expires_ms: Option<i64>,
}

/// A named identity policy document (JSON text, validated by the server before storing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRecord {
    /// Unique name.
    pub name: String,
    /// The JSON document.
    pub document: String,
    /// Creation (or last replacement) time, ms since the epoch.
    pub updated_ms: i64,
}

/// What authentication and authorization need about one access key, read in one go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyGrant {
    /// The key.
    pub key: AccessKeyRecord,
    /// Policies attached to the key's user, by name.
    pub policies: Vec<PolicyRecord>,
}

/// Users, keys and policies. Every read reflects every committed write at once (no cache),
/// so a disabled key or a detached policy fails the very next request.
///
/// # Contract
///
/// - Each method is one transaction, durable when it returns `Ok`; after an error other than
///   [`StoreError::Uncertain`] nothing changed. [`IdentityStore::key_grant`] and
///   [`IdentityStore::get_policy`] read one snapshot.
/// - **Cascades.** Deleting a user deletes its access keys and policy attachments; deleting a
///   policy deletes its attachments. Grants signed by a deleted key are not touched: the server
///   must find the key before honouring one.
/// - **Retries.** `put_policy`, `attach_policy` and `set_access_key_enabled` are idempotent.
///   Retried after they committed, `create_user` answers [`StoreError::UserExists`],
///   `delete_user` [`StoreError::NoSuchUser`], `delete_access_key`
///   [`StoreError::NoSuchAccessKey`], `delete_policy` [`StoreError::NoSuchPolicy`],
///   `detach_policy` [`StoreError::NotAttached`], and `create_access_key` a
///   [`StoreError::Backend`] error (an access key id that exists).
/// - **Order.** Users and policies by name; one user's keys by creation time then id, all keys
///   by user, creation time, id; a key's policies and a policy's users by name.
/// - **Time.** Times are the records' own fields, set by the caller; the store reads no clock.
#[async_trait]
pub trait IdentityStore: Send + Sync + 'static {
    /// Creates a user; [`StoreError::UserExists`] if taken.
    async fn create_user(&self, user: &UserRecord) -> Result<(), StoreError>;
    /// Deletes a user with its keys and attachments; [`StoreError::NoSuchUser`].
    async fn delete_user(&self, name: &str) -> Result<(), StoreError>;
    /// All users by name.
    async fn list_users(&self) -> Result<Vec<UserRecord>, StoreError>;
    /// Adds a key; [`StoreError::NoSuchUser`] if its user is gone. The id must be new.
    async fn create_access_key(&self, key: &AccessKeyRecord) -> Result<(), StoreError>;
    /// Enables or disables a key; [`StoreError::NoSuchAccessKey`].
    async fn set_access_key_enabled(&self, id: &str, enabled: bool) -> Result<(), StoreError>;
    /// Deletes a key; [`StoreError::NoSuchAccessKey`].
    async fn delete_access_key(&self, id: &str) -> Result<(), StoreError>;
    /// Keys of one user ([`StoreError::NoSuchUser`] if unknown) or of everyone.
    async fn list_access_keys(
        &self,
        user: Option<&str>,
    ) -> Result<Vec<AccessKeyRecord>, StoreError>;
    /// The key with its user's attached policies (one indexed read), `None` if unknown.
    async fn key_grant(&self, id: &str) -> Result<Option<KeyGrant>, StoreError>;
    /// Creates or replaces a named policy (its attachments stay).
    async fn put_policy(&self, policy: &PolicyRecord) -> Result<(), StoreError>;
    /// Deletes a policy and its attachments; [`StoreError::NoSuchPolicy`].
    async fn delete_policy(&self, name: &str) -> Result<(), StoreError>;
    /// One policy with the users it is attached to.
    async fn get_policy(
        &self,
        name: &str,
    ) -> Result<Option<(PolicyRecord, Vec<String>)>, StoreError>;
    /// All policies by name.
    async fn list_policies(&self) -> Result<Vec<PolicyRecord>, StoreError>;
    /// Attaches a policy to a user (idempotent); [`StoreError::NoSuchPolicy`] / [`StoreError::NoSuchUser`].
    async fn attach_policy(&self, policy: &str, user: &str) -> Result<(), StoreError>;
    /// Detaches; [`StoreError::NoSuchPolicy`] / [`StoreError::NoSuchUser`], or
    /// [`StoreError::NotAttached`] if it was not attached.
    async fn detach_policy(&self, policy: &str, user: &str) -> Result<(), StoreError>;
}

/// Bucket policies and canned ACLs of buckets and objects (removed with their bucket/object).
///
/// # Contract
///
/// - Each method is one transaction, durable when it returns `Ok`. Reads of a missing bucket
///   or object answer `None` (private, no policy), not an error.
/// - **Cascades.** A bucket's policy and ACL are deleted with the bucket
///   ([`crate::MetaStore::delete_bucket`]); an object's ACL with the object, and also when
///   [`crate::MetaStore::put_object`] replaces it: a new object version starts private.
/// - **Retries.** Every call is idempotent (a retried delete answers `false`).
#[async_trait]
pub trait BucketAccessStore: Send + Sync + 'static {
    /// The bucket's policy document, if any.
    async fn bucket_policy(&self, bucket: &str) -> Result<Option<String>, StoreError>;
    /// Sets the bucket's policy; [`StoreError::NoSuchBucket`].
    async fn put_bucket_policy(&self, bucket: &str, document: &str) -> Result<(), StoreError>;
    /// Removes the bucket's policy; returns whether there was one (the bucket is not checked).
    async fn delete_bucket_policy(&self, bucket: &str) -> Result<bool, StoreError>;
    /// The bucket's canned ACL (`None` = private).
    async fn bucket_acl(&self, bucket: &str) -> Result<Option<String>, StoreError>;
    /// Sets the bucket's canned ACL (`None` = private); [`StoreError::NoSuchBucket`].
    async fn put_bucket_acl(&self, bucket: &str, acl: Option<&str>) -> Result<(), StoreError>;
    /// The object's canned ACL (`None` = private).
    async fn object_acl(&self, bucket: &str, key: &str) -> Result<Option<String>, StoreError>;
    /// Sets an existing object's canned ACL (`None` = private); [`StoreError::NoSuchKey`].
    async fn put_object_acl(
        &self,
        bucket: &str,
        key: &str,
        acl: Option<&str>,
    ) -> Result<(), StoreError>;
}

/// The access contracts (identities, bucket access, grants, bucket CORS, notification targets
/// bucket notification documents, check profiles and tagging), as one object the server holds.
pub trait AccessStore:
    IdentityStore
    + BucketAccessStore
    + crate::grants::GrantStore
    + crate::BucketCorsStore
    + crate::NotifyTargetStore
    + crate::BucketNotificationStore
    + crate::CheckProfileStore
    + crate::TaggingStore
{
}
impl<
        T: IdentityStore
            + BucketAccessStore
            + crate::grants::GrantStore
            + crate::BucketCorsStore
            + crate::NotifyTargetStore
            + crate::BucketNotificationStore
            + crate::CheckProfileStore
            + crate::TaggingStore,
    > AccessStore for T
{
}
