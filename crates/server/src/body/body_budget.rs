//! The server-wide cap on request-body bytes held in memory at once.
//!
//! Uploads reserve budget for every slice of body they receive and give it back once the
//! bytes are handed to storage. When the budget is spent, readers stop reading their sockets
//! (TCP pushes back on the clients) until others give bytes back; an upload that waits, or
//! whose client goes quiet, first flushes what it holds, so budget never sits with a slow
//! client and waiting uploads cannot hold each other up.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Smallest accepted budget: a few writer buffers, so a single upload always makes progress.
pub const MIN_BODY_BUDGET: usize = 4 << 20;

/// Shared budget of in-flight body bytes (cheap to clone).
#[derive(Clone, Debug)]
pub struct BodyBudget {
    sem: Arc<Semaphore>,
    total: usize,
    waiting: Arc<AtomicUsize>,
}

impl BodyBudget {
    /// A budget of `total` bytes (raised to [`MIN_BODY_BUDGET`] and capped to what a
    /// semaphore can count).
    pub fn new(total: usize) -> Self {
        let total = total.clamp(MIN_BODY_BUDGET, Semaphore::MAX_PERMITS);
        BodyBudget {
            sem: Arc::new(Semaphore::new(total)),
            total,
            waiting: Arc::default(),
        }
    }

    /// The configured total.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Bytes reserved right now.
    pub fn in_use(&self) -> usize {
        self.total.saturating_sub(self.sem.available_permits())
    }

    /// Readers waiting for budget right now (uploads under back-pressure).
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Reserves `n` bytes if they are free now.
    pub(crate) fn try_reserve(&self, n: usize) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.sem)
            .try_acquire_many_owned(self.permits_for(n))
            .ok()
    }

    /// Reserves `n` bytes, waiting until they are free (`None` only if the budget was closed,
    /// which never happens while the server runs).
    pub(crate) async fn reserve(&self, n: usize) -> Option<OwnedSemaphorePermit> {
        if let Some(p) = self.try_reserve(n) {
            return Some(p);
        }
        let _waiting = WaitingGuard::enter(&self.waiting);
        Arc::clone(&self.sem)
            .acquire_many_owned(self.permits_for(n))
            .await
            .ok()
    }

    /// A slice larger than the whole budget reserves all of it.
    fn permits_for(&self, n: usize) -> u32 {
        u32::try_from(n.min(self.total)).unwrap_or(u32::MAX)
    }
}

/// Counts a waiting reader for as long as it lives (also when its future is dropped).
struct WaitingGuard<'a>(&'a AtomicUsize);

impl<'a> WaitingGuard<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        WaitingGuard(count)
    }
}

impl Drop for WaitingGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Budget held by one body reader.
#[derive(Debug, Default)]
pub(crate) struct HeldBudget {
    permit: Option<OwnedSemaphorePermit>,
}

impl HeldBudget {
    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.permit.as_ref().map_or(0, |p| p.num_permits())
    }

    /// Adds a fresh reservation.
    pub(crate) fn add(&mut self, permit: OwnedSemaphorePermit) {
        match &mut self.permit {
            Some(held) => held.merge(permit),
            None => self.permit = Some(permit),
        }
    }

    /// Gives back everything above `keep` bytes.
    pub(crate) fn release_to(&mut self, keep: usize) {
        let held = self.bytes();
        if held <= keep {
            return;
        }
        if keep == 0 {
            self.permit = None;
            return;
        }
        if let Some(p) = &mut self.permit {
            // Dropping the split-off part returns it to the semaphore.
            drop(p.split(held - keep));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reserve_hold_and_release() {
        let budget = BodyBudget::new(MIN_BODY_BUDGET);
        let mut held = HeldBudget::default();
        held.add(budget.try_reserve(1000).expect("free"));
        held.add(budget.try_reserve(500).expect("free"));
        assert_eq!(held.bytes(), 1500);
        assert_eq!(budget.in_use(), 1500);
        held.release_to(200);
        assert_eq!((held.bytes(), budget.in_use()), (200, 200));
        held.release_to(0);
        assert_eq!((held.bytes(), budget.in_use()), (0, 0));
    }

    #[tokio::test]
    async fn spent_budget_refuses_then_waits() {
        let budget = BodyBudget::new(0);
        assert_eq!(budget.total(), MIN_BODY_BUDGET);
        let all = budget.try_reserve(usize::MAX).expect("whole budget");
        assert!(budget.try_reserve(1).is_none());
        let waiter = tokio::spawn({
            let budget = budget.clone();
            async move { budget.reserve(10).await.map(|p| p.num_permits()) }
        });
        while budget.waiting() == 0 {
            tokio::task::yield_now().await;
        }
        assert!(!waiter.is_finished());
        drop(all);
        assert_eq!(waiter.await.ok().flatten(), Some(10));
        assert_eq!(budget.waiting(), 0);
    }
}
