//! Bucket rows remembered in memory: nearly every request looks its bucket up first, and a
//! read of the database costs a blocking-pool hop and, after any write, re-reading pages
//! SQLite dropped from the reader's cache.
//!
//! Only buckets that exist are remembered. Deleting a bucket bumps a generation number after
//! the delete commits; a lookup that started before that bump does not store its answer, so a
//! deleted bucket is never remembered. Object writes still check the bucket inside their
//! transaction, so an answer from here never lets a write into a deleted bucket.

use std::collections::HashMap;
use std::sync::Mutex;

use super::lock;
use crate::model::BucketMeta;

/// Most buckets remembered; beyond it the map starts over.
const MAX_ENTRIES: usize = 4096;

#[derive(Default)]
pub(super) struct BucketCache {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    generation: u64,
    buckets: HashMap<String, BucketMeta>,
}

impl BucketCache {
    /// The remembered row of `name`.
    pub(super) fn get(&self, name: &str) -> Option<BucketMeta> {
        lock(&self.state).buckets.get(name).cloned()
    }

    /// The generation to pass to [`BucketCache::remember`] for a lookup starting now.
    pub(super) fn generation(&self) -> u64 {
        lock(&self.state).generation
    }

    /// Remembers `bucket`, read by a lookup that started at `generation`, unless a bucket was
    /// deleted since.
    pub(super) fn remember(&self, generation: u64, bucket: &BucketMeta) {
        let mut state = lock(&self.state);
        if state.generation != generation {
            return;
        }
        if state.buckets.len() >= MAX_ENTRIES {
            state.buckets.clear();
        }
        state.buckets.insert(bucket.name.clone(), bucket.clone());
    }

    /// Forgets `name`; call after its deletion committed.
    pub(super) fn forget(&self, name: &str) {
        let mut state = lock(&self.state);
        state.generation += 1;
        state.buckets.remove(name);
    }
}
