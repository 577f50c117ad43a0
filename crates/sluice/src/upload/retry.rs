//! Retrying requests that failed for reasons worth retrying (network, 5xx, 429, bad digest).

use anyhow::Result;
use std::future::Future;
use std::time::Duration;

/// Whether an HTTP status is worth another attempt.
pub fn retryable_status(status: u16) -> bool {
    status >= 500 || status == 429 || status == 408 || status == 400
}

/// Runs `attempt` up to `1 + retries` times with exponential backoff (200 ms, 400 ms, ...).
/// `attempt` returns `Ok(Ok(v))` on success, `Ok(Err(e))` for a final failure, `Err(e)` to retry.
pub async fn with_retries<T, F, Fut>(retries: u32, mut attempt: F) -> Result<T>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<Result<T>>>,
{
    let mut n = 0;
    loop {
        match attempt(n).await {
            Ok(done) => return done,
            Err(e) if n >= retries => return Err(e),
            Err(e) => {
                tracing::warn!(attempt = n + 1, error = %e, "retrying");
                tokio::time::sleep(Duration::from_millis(200 << n.min(6))).await;
                n += 1;
            }
        }
    }
}
