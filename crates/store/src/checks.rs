//! The contract for upload check profiles (verified commit): named JSON documents and the
//! buckets and key prefixes they apply to.

use async_trait::async_trait;

use crate::error::StoreError;

/// A named check profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckProfileRecord {
    /// Unique name.
    pub name: String,
    /// The profile as JSON text (validated by the caller; opaque to the store).
    pub document: String,
    /// When it was last defined, ms since the epoch.
    pub updated_ms: i64,
}

/// A profile applied to the uploads of a bucket under a key prefix (`""`: the whole bucket).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CheckBinding {
    /// The bucket.
    pub bucket: String,
    /// The key prefix (`""` for every key).
    pub prefix: String,
    /// The profile's name.
    pub profile: String,
}

/// Stores check profiles and their bindings to buckets.
///
/// # Contract
///
/// Each method is one transaction, durable when it returns `Ok`. `put_check_profile` inserts
/// or replaces the whole record (its bindings stay). Deleting a profile deletes its bindings in
/// the same transaction; deleting a bucket deletes the bindings naming it
/// ([`crate::MetaStore::delete_bucket`]'s transaction). `bind_check_profile` answers
/// [`StoreError::NoSuchCheckProfile`] or [`StoreError::NoSuchBucket`] and changes nothing then;
/// binding twice is not an error. Lists are ordered by name, bindings by (bucket, prefix,
/// profile), byte order.
#[async_trait]
pub trait CheckProfileStore: Send + Sync + 'static {
    /// Inserts the profile, or replaces the one with the same name.
    async fn put_check_profile(&self, profile: &CheckProfileRecord) -> Result<(), StoreError>;
    /// The profile with this name, if any.
    async fn get_check_profile(&self, name: &str)
        -> Result<Option<CheckProfileRecord>, StoreError>;
    /// All profiles, by name.
    async fn list_check_profiles(&self) -> Result<Vec<CheckProfileRecord>, StoreError>;
    /// Deletes a profile and its bindings; returns whether there was one.
    async fn delete_check_profile(&self, name: &str) -> Result<bool, StoreError>;
    /// Applies a profile to a bucket's keys under `prefix`.
    async fn bind_check_profile(&self, binding: &CheckBinding) -> Result<(), StoreError>;
    /// Removes a binding; returns whether there was one.
    async fn unbind_check_profile(&self, binding: &CheckBinding) -> Result<bool, StoreError>;
    /// Every binding.
    async fn list_check_bindings(&self) -> Result<Vec<CheckBinding>, StoreError>;
}
