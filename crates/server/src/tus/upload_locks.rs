//! One writer per tus upload on this node: a PATCH (or a completion) holds its upload's lock,
//! released when the guard drops (a cut connection included).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// The uploads being written now.
#[derive(Debug, Default, Clone)]
pub struct UploadLocks {
    held: Arc<Mutex<HashSet<String>>>,
}

/// Holds one upload's lock until dropped.
#[derive(Debug)]
pub struct UploadLock {
    held: Arc<Mutex<HashSet<String>>>,
    id: String,
}

impl UploadLocks {
    /// Takes the lock of `upload_id`, or `None` when another request holds it.
    pub fn try_lock(&self, upload_id: &str) -> Option<UploadLock> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.insert(upload_id.to_string()).then(|| UploadLock {
            held: self.held.clone(),
            id: upload_id.to_string(),
        })
    }
}

impl Drop for UploadLock {
    fn drop(&mut self) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time() {
        let locks = UploadLocks::default();
        let a = locks.try_lock("u").unwrap();
        assert!(locks.try_lock("u").is_none());
        assert!(locks.try_lock("v").is_some());
        drop(a);
        assert!(locks.try_lock("u").is_some());
    }
}
