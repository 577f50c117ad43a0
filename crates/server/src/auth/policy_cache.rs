//! Parsed policy documents, cached by their exact text: an edited document is a new entry,
//! so the cache never serves a stale policy and needs no invalidation.

use sluice_iam::{Policy, PolicyError, PolicyKind};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Entries kept before the cache is emptied and refilled.
const MAX_ENTRIES: usize = 1024;

/// A bounded map from (kind, document text) to the parsed policy.
#[derive(Default)]
pub struct PolicyCache {
    map: Mutex<HashMap<(bool, String), Arc<Policy>>>,
}

impl PolicyCache {
    /// The parsed policy for `document` (parsing it on a miss).
    pub fn get(&self, document: &str, kind: PolicyKind) -> Result<Arc<Policy>, PolicyError> {
        let key = (kind == PolicyKind::Bucket, document.to_string());
        if let Some(p) = self.lock().get(&key) {
            return Ok(p.clone());
        }
        let parsed = Arc::new(Policy::parse(document, kind)?);
        let mut map = self.lock();
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, parsed.clone());
        Ok(parsed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(bool, String), Arc<Policy>>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }
}
