//! Small blobs waiting for the metadata write that names them.
//!
//! Committing a small blob only stages its bytes here; the object or part write that
//! references it takes them and inserts the blob row inside its own savepoint, so bytes and
//! row commit together and a small PUT costs one trip to the writer thread, not two. Nothing
//! else can reference a staged blob, so nothing reads it from the database before that. If the
//! metadata write never comes (the request failed and freed its blob), the entry is discarded.
//! A blob staged but never referenced is simply not stored, as if it were an orphan swept.

use std::collections::HashMap;
use std::sync::Mutex;

use super::lock;
use crate::model::BlobRef;

/// Most bytes held here at once; beyond it, blobs are inserted on their own as before.
const MAX_STAGED_BYTES: usize = 16 << 20;

/// A staged blob's bytes and when it was written.
pub(super) struct Staged {
    pub(super) created_ms: i64,
    pub(super) data: Vec<u8>,
}

#[derive(Default)]
pub(super) struct StagedBlobs {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    blobs: HashMap<BlobRef, Staged>,
    bytes: usize,
}

impl StagedBlobs {
    /// Stages `blob`; gives it back when the stage is full.
    pub(super) fn stage(&self, id: BlobRef, blob: Staged) -> Result<(), Staged> {
        let mut state = lock(&self.state);
        if state.bytes + blob.data.len() > MAX_STAGED_BYTES {
            return Err(blob);
        }
        state.bytes += blob.data.len();
        if let Some(old) = state.blobs.insert(id, blob) {
            state.bytes -= old.data.len();
        }
        Ok(())
    }

    /// Takes `id`'s bytes out, for the write that references it.
    pub(super) fn take(&self, id: &BlobRef) -> Option<Staged> {
        let mut state = lock(&self.state);
        let taken = state.blobs.remove(id)?;
        state.bytes -= taken.data.len();
        Some(taken)
    }

    /// A copy of `id`'s bytes, if staged.
    pub(super) fn copy(&self, id: &BlobRef) -> Option<Vec<u8>> {
        lock(&self.state).blobs.get(id).map(|s| s.data.clone())
    }
}
