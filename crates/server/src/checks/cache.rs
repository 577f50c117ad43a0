//! Check profiles and their bindings, read from the store and kept a moment: every upload asks
//! which profiles apply to it, and reading the tables for each one would cost every PUT. A
//! change made through this server applies at once; one made through another server sharing
//! the store applies within [`TTL`].

use super::profile::CheckProfile;
use sluice_store::{AccessStore, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a read snapshot is used before the tables are read again.
pub const TTL: Duration = Duration::from_secs(2);

/// A profile as stored: parsed, or why it could not be.
pub type StoredProfile = Result<Arc<CheckProfile>, String>;

/// Every profile and binding at one moment.
#[derive(Default)]
pub struct ChecksSnapshot {
    profiles: HashMap<String, StoredProfile>,
    /// Bucket -> (prefix, profile name), in (prefix, name) order.
    bindings: HashMap<String, Vec<(String, String)>>,
}

impl ChecksSnapshot {
    /// The profiles an upload of `bucket`/`key` runs: the bucket's bindings whose prefix the key
    /// starts with, then the URL's profile (`x-sluice-checks`), each once. A name without a
    /// profile (deleted since) comes back as `Err`.
    pub fn for_upload(
        &self,
        bucket: &str,
        key: &str,
        url_profile: Option<&str>,
    ) -> Vec<(String, StoredProfile)> {
        let mut names: Vec<&str> = self
            .bindings
            .get(bucket)
            .map(|b| {
                b.iter()
                    .filter(|(prefix, _)| key.starts_with(prefix.as_str()))
                    .map(|(_, name)| name.as_str())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(name) = url_profile {
            names.push(name);
        }
        let mut seen = Vec::new();
        let mut out = Vec::new();
        for name in names {
            if seen.contains(&name) {
                continue;
            }
            seen.push(name);
            let profile = self
                .profiles
                .get(name)
                .cloned()
                .unwrap_or_else(|| Err(format!("check profile {name} does not exist")));
            out.push((name.to_string(), profile));
        }
        out
    }

    /// Whether any binding names `bucket`.
    pub fn bucket_has_profiles(&self, bucket: &str) -> bool {
        self.bindings.contains_key(bucket)
    }
}

/// The cached snapshot.
#[derive(Default)]
pub struct ChecksCache(Mutex<Option<(Arc<ChecksSnapshot>, Instant)>>);

impl ChecksCache {
    /// The current snapshot (read again after [`TTL`] or [`ChecksCache::forget`]).
    pub async fn snapshot(
        &self,
        access: &dyn AccessStore,
    ) -> Result<Arc<ChecksSnapshot>, StoreError> {
        if let Ok(m) = self.0.lock() {
            if let Some((snap, at)) = m.as_ref() {
                if at.elapsed() < TTL {
                    return Ok(snap.clone());
                }
            }
        }
        let mut snap = ChecksSnapshot::default();
        for p in access.list_check_profiles().await? {
            let parsed = serde_json::from_str::<serde_json::Value>(&p.document)
                .map_err(|e| e.to_string())
                .and_then(|v| CheckProfile::parse(&v).map_err(|e| e.to_string()))
                .map(Arc::new)
                .map_err(|e| {
                    tracing::error!(profile = p.name, error = %e, "stored check profile unreadable");
                    format!("check profile {} unreadable", p.name)
                });
            snap.profiles.insert(p.name, parsed);
        }
        for b in access.list_check_bindings().await? {
            snap.bindings
                .entry(b.bucket)
                .or_default()
                .push((b.prefix, b.profile));
        }
        let snap = Arc::new(snap);
        if let Ok(mut m) = self.0.lock() {
            *m = Some((snap.clone(), Instant::now()));
        }
        Ok(snap)
    }

    /// Forgets the snapshot (a profile or binding was just changed).
    pub fn forget(&self) {
        if let Ok(mut m) = self.0.lock() {
            *m = None;
        }
    }
}
