//! Fault injection for tests: [`FaultyBlobStore`] and [`FaultyMetaStore`] wrap the real
//! backends and fail chosen operations on command, steered through a shared [`FaultPlan`].
//!
//! Nothing here runs unless a test builds the wrappers and hands them to the server; the
//! normal startup path never constructs them.

mod blob;
mod meta;

pub use blob::FaultyBlobStore;
pub use meta::FaultyMetaStore;

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::StoreError;

/// A store operation that can be made to fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultOp {
    /// Creating a temp file for a new blob.
    BlobCreate,
    /// Appending bytes to a blob being written.
    BlobWrite,
    /// The fsync of the temp file at commit (the temp file is discarded).
    BlobFsync,
    /// The rename of the temp file into `blobs/` at commit (the temp file is discarded).
    BlobRename,
    /// Deleting a committed blob.
    BlobDelete,
    /// A metadata write transaction (put/delete object, parts, uploads, buckets); it is
    /// rolled back, so nothing changes.
    MetaCommit,
}

/// The error an injected fault produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// A generic I/O error (`EIO`).
    Io,
    /// No space left on the device (`ENOSPC`, [`io::ErrorKind::StorageFull`]).
    NoSpace,
}

impl FaultKind {
    fn to_error(self, op: FaultOp) -> StoreError {
        let err = match self {
            FaultKind::Io => io::Error::other(format!("injected fault: {op:?} i/o error")),
            FaultKind::NoSpace => io::Error::new(
                io::ErrorKind::StorageFull,
                format!("injected fault: {op:?} no space left on device"),
            ),
        };
        StoreError::Io(err)
    }
}

/// When a rule fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultTrigger {
    /// The next `n` calls of the operation fail, then the rule is spent.
    Next(u32),
    /// Every `n`th call fails (the `n`th, `2n`th, ...), until cleared.
    EveryNth(u32),
}

#[derive(Debug)]
struct Rule {
    op: FaultOp,
    trigger: FaultTrigger,
    kind: FaultKind,
    seen: u32,
}

#[derive(Debug, Default)]
struct PlanState {
    rules: Vec<Rule>,
    injected: u64,
    flush_delay: Option<std::time::Duration>,
}

/// A shared, cloneable plan of which operations fail next. Clones steer the same plan.
#[derive(Clone, Debug, Default)]
pub struct FaultPlan {
    state: Arc<Mutex<PlanState>>,
}

impl FaultPlan {
    /// An empty plan: nothing fails.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the next `n` calls of `op` fail with `kind`.
    pub fn fail_next(&self, op: FaultOp, n: u32, kind: FaultKind) {
        self.add(op, FaultTrigger::Next(n), kind);
    }

    /// Makes every `n`th call of `op` fail with `kind` (counted from now).
    pub fn fail_every_nth(&self, op: FaultOp, n: u32, kind: FaultKind) {
        self.add(op, FaultTrigger::EveryNth(n.max(1)), kind);
    }

    /// Adds a rule.
    pub fn add(&self, op: FaultOp, trigger: FaultTrigger, kind: FaultKind) {
        self.lock().rules.push(Rule {
            op,
            trigger,
            kind,
            seen: 0,
        });
    }

    /// Makes the blob writers' buffer flushes take `delay` longer (a slow disk); `None`
    /// makes them fast again.
    pub fn slow_flushes(&self, delay: Option<std::time::Duration>) {
        self.lock().flush_delay = delay;
    }

    /// The extra time a buffer flush takes, if any.
    pub fn flush_delay(&self) -> Option<std::time::Duration> {
        self.lock().flush_delay
    }

    /// Removes every rule (the injected count is kept).
    pub fn clear(&self) {
        self.lock().rules.clear();
    }

    /// How many faults have been injected so far.
    pub fn injected(&self) -> u64 {
        self.lock().injected
    }

    /// Called by the wrappers before `op`: the injected error if a rule fires.
    pub fn check(&self, op: FaultOp) -> Result<(), StoreError> {
        let mut state = self.lock();
        let mut fired = None;
        state.rules.retain_mut(|rule| {
            if rule.op != op || fired.is_some() {
                return true;
            }
            rule.seen += 1;
            match rule.trigger {
                FaultTrigger::Next(n) => {
                    fired = Some(rule.kind);
                    rule.seen < n
                }
                FaultTrigger::EveryNth(n) => {
                    if rule.seen % n == 0 {
                        fired = Some(rule.kind);
                    }
                    true
                }
            }
        });
        match fired {
            Some(kind) => {
                state.injected += 1;
                tracing::warn!(?op, ?kind, "injecting store fault");
                Err(kind.to_error(op))
            }
            None => Ok(()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PlanState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_n_fires_n_times_then_stops() {
        let plan = FaultPlan::new();
        plan.fail_next(FaultOp::BlobWrite, 2, FaultKind::Io);
        assert!(plan.check(FaultOp::BlobFsync).is_ok());
        assert!(plan.check(FaultOp::BlobWrite).is_err());
        assert!(plan.check(FaultOp::BlobWrite).is_err());
        assert!(plan.check(FaultOp::BlobWrite).is_ok());
        assert_eq!(plan.injected(), 2);
    }

    #[test]
    fn every_nth_fires_periodically() {
        let plan = FaultPlan::new();
        plan.fail_every_nth(FaultOp::MetaCommit, 3, FaultKind::NoSpace);
        let results: Vec<bool> = (0..9)
            .map(|_| plan.check(FaultOp::MetaCommit).is_err())
            .collect();
        assert_eq!(
            results,
            [false, false, true, false, false, true, false, false, true]
        );
        let err = plan.check(FaultOp::MetaCommit).err();
        assert!(err.is_none());
        plan.clear();
        assert!((0..10).all(|_| plan.check(FaultOp::MetaCommit).is_ok()));
    }

    #[test]
    fn no_space_is_storage_full() {
        let plan = FaultPlan::new();
        plan.fail_next(FaultOp::BlobCreate, 1, FaultKind::NoSpace);
        let err = plan.check(FaultOp::BlobCreate).unwrap_err();
        assert!(err.is_storage_full());
    }
}
