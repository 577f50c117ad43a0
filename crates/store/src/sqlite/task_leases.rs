//! Leases on named background tasks (`task_leases` table).

use std::time::Duration;

use async_trait::async_trait;
use rusqlite::params;

use super::SqliteMetaStore;
use crate::error::StoreError;
use crate::task_lease::TaskLeaseStore;

/// Migration 11: one row per leased task; a row whose `expires_ms` is past is free to take.
pub(crate) const MIGRATION: &str = r#"
    CREATE TABLE task_leases (
        task        TEXT    NOT NULL PRIMARY KEY,
        owner       TEXT    NOT NULL,
        acquired_ms INTEGER NOT NULL,
        expires_ms  INTEGER NOT NULL
    );
"#;

/// `now_ms + ttl`, saturating.
fn expiry(now_ms: i64, ttl: Duration) -> i64 {
    now_ms.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX))
}

#[async_trait]
impl TaskLeaseStore for SqliteMetaStore {
    async fn try_lease_task(
        &self,
        task: &str,
        owner: &str,
        ttl: Duration,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let (task, owner) = (task.to_owned(), owner.to_owned());
        let expires_ms = expiry(now_ms, ttl);
        self.write(move |c| {
            // One statement: insert, or take over a row the owner holds or that lapsed. The
            // WHERE leaves a row held by another owner untouched (no change counted).
            let changed = c
                .prepare_cached(
                    "INSERT INTO task_leases (task, owner, acquired_ms, expires_ms) \
                     VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT(task) DO UPDATE SET \
                       acquired_ms = CASE WHEN task_leases.owner = excluded.owner \
                                     THEN task_leases.acquired_ms ELSE excluded.acquired_ms END, \
                       owner = excluded.owner, \
                       expires_ms = excluded.expires_ms \
                     WHERE task_leases.owner = excluded.owner \
                        OR task_leases.expires_ms <= excluded.acquired_ms",
                )?
                .execute(params![task, owner, now_ms, expires_ms])?;
            Ok(changed > 0)
        })
        .await
    }

    async fn release_task(&self, task: &str, owner: &str) -> Result<bool, StoreError> {
        let (task, owner) = (task.to_owned(), owner.to_owned());
        self.write(move |c| {
            let n = c
                .prepare_cached("DELETE FROM task_leases WHERE task = ?1 AND owner = ?2")?
                .execute(params![task, owner])?;
            Ok(n > 0)
        })
        .await
    }
}
