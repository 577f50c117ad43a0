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
#[async_trait]
pub trait IdentityStore: Send + Sync + 'static {
    /// Creates a user; [`StoreError::UserExists`] if taken.
    async fn create_user(&self, user: &UserRecord) -> Result<(), StoreError>;
    /// Deletes a user with its keys and attachments; [`StoreError::NoSuchUser`].
    async fn delete_user(&self, name: &str) -> Result<(), StoreError>;
    /// All users by name.
    async fn list_users(&self) -> Result<Vec<UserRecord>, StoreError>;
    /// Adds a key; [`StoreError::NoSuchUser`] if its user is gone.
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
    /// Creates or replaces a named policy.
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
#[async_trait]
pub trait BucketAccessStore: Send + Sync + 'static {
    /// The bucket's policy document, if any.
    async fn bucket_policy(&self, bucket: &str) -> Result<Option<String>, StoreError>;
    /// Sets the bucket's policy; [`StoreError::NoSuchBucket`].
    async fn put_bucket_policy(&self, bucket: &str, document: &str) -> Result<(), StoreError>;
    /// Removes the bucket's policy; returns whether there was one.
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

/// The access contracts (identities, bucket access, grants, bucket CORS), as one object the server holds.
pub trait AccessStore:
    IdentityStore + BucketAccessStore + crate::grants::GrantStore + crate::BucketCorsStore
{
}
impl<T: IdentityStore + BucketAccessStore + crate::grants::GrantStore + crate::BucketCorsStore>
    AccessStore for T
{
}
