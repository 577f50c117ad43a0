//! The event outbox (`outbox`, `dead_letters`, per-bucket `bucket_sequences`) and the
//! notification targets (`notify_targets`) in SQLite.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::SqliteMetaStore;
use crate::error::StoreError;
use crate::notify::{NotifyTargetStore, TargetRecord};
use crate::outbox::{sequencer_string, DeadLetter, OutboxEntry, OutboxEvent, OutboxStore};

/// Migration 12: the outbox and its dead letters, the per-bucket event sequences, the
/// notification targets and the bucket notification documents.
///
/// `outbox.id` is `AUTOINCREMENT` so that an id is never reused: settling an id that is gone
/// can never touch a later event. Neither the outbox nor the sequences reference `buckets`:
/// they outlive a deleted bucket. The notification document goes with its bucket.
pub(crate) const MIGRATION: &str = r#"
    CREATE TABLE bucket_sequences (
        bucket TEXT    NOT NULL PRIMARY KEY,
        seq    INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        target          TEXT    NOT NULL,
        bucket          TEXT    NOT NULL,
        key             TEXT    NOT NULL,
        event_name      TEXT    NOT NULL,
        body            TEXT    NOT NULL,
        sequencer       INTEGER NOT NULL,
        created_ms      INTEGER NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL,
        last_error      TEXT
    );
    CREATE INDEX outbox_by_target ON outbox(target, id);
    CREATE TABLE dead_letters (
        id              INTEGER NOT NULL PRIMARY KEY,
        target          TEXT    NOT NULL,
        bucket          TEXT    NOT NULL,
        key             TEXT    NOT NULL,
        event_name      TEXT    NOT NULL,
        body            TEXT    NOT NULL,
        sequencer       INTEGER NOT NULL,
        created_ms      INTEGER NOT NULL,
        attempts        INTEGER NOT NULL,
        next_attempt_ms INTEGER NOT NULL,
        last_error      TEXT,
        dead_ms         INTEGER NOT NULL
    );
    CREATE INDEX dead_letters_by_target ON dead_letters(target, id);
    CREATE TABLE notify_targets (
        id         TEXT    NOT NULL PRIMARY KEY,
        kind       TEXT    NOT NULL,
        config     TEXT    NOT NULL,
        created_ms INTEGER NOT NULL
    );
    CREATE TABLE bucket_notifications (
        bucket   TEXT NOT NULL PRIMARY KEY REFERENCES buckets(name) ON DELETE CASCADE,
        document TEXT NOT NULL
    );
"#;

/// The columns an outbox or dead-letter row is read with, in [`row_to_entry`]'s order.
const ENTRY_COLUMNS: &str = "id, target, bucket, key, event_name, body, sequencer, created_ms, \
                             attempts, next_attempt_ms, last_error";

fn row_to_entry(r: &Row<'_>) -> Result<OutboxEntry, StoreError> {
    let attempts: i64 = r.get(8)?;
    Ok(OutboxEntry {
        id: r.get(0)?,
        target: r.get(1)?,
        bucket: r.get(2)?,
        key: r.get(3)?,
        event_name: r.get(4)?,
        body: r.get(5)?,
        sequencer: sequencer_string(r.get(6)?),
        created_ms: r.get(7)?,
        attempts: u32::try_from(attempts)
            .map_err(|_| StoreError::Corrupt(format!("outbox attempts {attempts}")))?,
        next_attempt_ms: r.get(9)?,
        last_error: r.get(10)?,
    })
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// Inserts `events` inside the caller's transaction (savepoint) with the next value of
/// `bucket`'s sequence, taken in that transaction. No events: nothing is written, no value
/// is taken.
pub(super) fn insert_events(
    tx: &Connection,
    bucket: &str,
    events: &[OutboxEvent],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let sequencer: i64 = tx
        .prepare_cached(
            "INSERT INTO bucket_sequences (bucket, seq) VALUES (?1, 1) \
             ON CONFLICT(bucket) DO UPDATE SET seq = seq + 1 RETURNING seq",
        )?
        .query_row([bucket], |r| r.get(0))?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO outbox (target, bucket, key, event_name, body, sequencer, created_ms, \
         next_attempt_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?;
    for e in events {
        stmt.execute(params![
            e.target,
            e.bucket,
            e.key,
            e.event_name,
            e.body,
            sequencer,
            e.created_ms
        ])?;
    }
    Ok(())
}

fn query_entries(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
    dead: bool,
) -> Result<Vec<(OutboxEntry, i64)>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(args)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let dead_ms = if dead { r.get(11)? } else { 0 };
        out.push((row_to_entry(r)?, dead_ms));
    }
    Ok(out)
}

#[async_trait]
impl OutboxStore for SqliteMetaStore {
    async fn outbox_append(&self, bucket: &str, events: &[OutboxEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let bucket = bucket.to_owned();
        let events = events.to_vec();
        self.write(move |c| insert_events(c, &bucket, &events))
            .await
    }

    async fn outbox_next(
        &self,
        target: &str,
        limit_n: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let target = target.to_owned();
        self.read(move |c| {
            let sql = format!(
                "SELECT {ENTRY_COLUMNS} FROM outbox WHERE target = ?1 ORDER BY id LIMIT ?2"
            );
            let rows = query_entries(c, &sql, params![target, limit(limit_n)], false)?;
            Ok(rows.into_iter().map(|(e, _)| e).collect())
        })
        .await
    }

    async fn outbox_delivered(&self, id: i64) -> Result<bool, StoreError> {
        self.write(move |c| {
            let n = c
                .prepare_cached("DELETE FROM outbox WHERE id = ?1")?
                .execute([id])?;
            Ok(n > 0)
        })
        .await
    }

    async fn outbox_delivered_all(&self, ids: &[i64]) -> Result<u64, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let ids = ids.to_vec();
        self.write(move |c| {
            let mut stmt = c.prepare_cached("DELETE FROM outbox WHERE id = ?1")?;
            let mut n = 0u64;
            for id in ids {
                n += stmt.execute([id])? as u64;
            }
            Ok(n)
        })
        .await
    }

    async fn outbox_retry_later(
        &self,
        id: i64,
        next_attempt_ms: i64,
        error: &str,
    ) -> Result<bool, StoreError> {
        let error = error.to_owned();
        self.write(move |c| {
            let n = c
                .prepare_cached(
                    "UPDATE outbox SET attempts = attempts + 1, next_attempt_ms = ?2, \
                     last_error = ?3 WHERE id = ?1",
                )?
                .execute(params![id, next_attempt_ms, error])?;
            Ok(n > 0)
        })
        .await
    }

    async fn outbox_dead_letter(
        &self,
        id: i64,
        now_ms: i64,
        error: &str,
    ) -> Result<bool, StoreError> {
        let error = error.to_owned();
        self.write(move |c| {
            let tx = c.savepoint()?;
            let moved = tx
                .prepare_cached(&format!(
                    "INSERT INTO dead_letters ({ENTRY_COLUMNS}, dead_ms) \
                     SELECT id, target, bucket, key, event_name, body, sequencer, created_ms, \
                     attempts + 1, next_attempt_ms, ?2, ?3 FROM outbox WHERE id = ?1"
                ))?
                .execute(params![id, error, now_ms])?;
            tx.prepare_cached("DELETE FROM outbox WHERE id = ?1")?
                .execute([id])?;
            tx.commit()?;
            Ok(moved > 0)
        })
        .await
    }

    async fn dead_letters(
        &self,
        target: Option<&str>,
        limit_n: usize,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        let target = target.map(str::to_owned);
        self.read(move |c| {
            let sql = format!(
                "SELECT {ENTRY_COLUMNS}, dead_ms FROM dead_letters \
                 WHERE ?1 IS NULL OR target = ?1 ORDER BY id LIMIT ?2"
            );
            let rows = query_entries(c, &sql, params![target, limit(limit_n)], true)?;
            Ok(rows
                .into_iter()
                .map(|(entry, dead_ms)| DeadLetter { entry, dead_ms })
                .collect())
        })
        .await
    }

    async fn replay_dead_letters(
        &self,
        target: Option<&str>,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let target = target.map(str::to_owned);
        self.write(move |c| {
            let tx = c.savepoint()?;
            // New AUTOINCREMENT ids, assigned in `ORDER BY id`: after every row already in
            // the outbox, in the dead letters' relative order.
            let moved = tx
                .prepare_cached(
                    "INSERT INTO outbox (target, bucket, key, event_name, body, sequencer, \
                     created_ms, attempts, next_attempt_ms, last_error) \
                     SELECT target, bucket, key, event_name, body, sequencer, created_ms, 0, ?2, \
                     NULL FROM dead_letters WHERE ?1 IS NULL OR target = ?1 ORDER BY id",
                )?
                .execute(params![target, now_ms])?;
            tx.prepare_cached("DELETE FROM dead_letters WHERE ?1 IS NULL OR target = ?1")?
                .execute([&target])?;
            tx.commit()?;
            Ok(count(moved))
        })
        .await
    }

    async fn purge_dead_letters(&self, target: Option<&str>) -> Result<u64, StoreError> {
        let target = target.map(str::to_owned);
        self.write(move |c| {
            let n = c
                .prepare_cached("DELETE FROM dead_letters WHERE ?1 IS NULL OR target = ?1")?
                .execute([&target])?;
            Ok(count(n))
        })
        .await
    }

    async fn outbox_backlog(&self, target: &str) -> Result<(u64, Option<i64>), StoreError> {
        let target = target.to_owned();
        self.read(move |c| {
            // The oldest event by time, not by id: a replayed entry keeps its `created_ms`.
            let (n, oldest): (i64, Option<i64>) = c
                .prepare_cached("SELECT COUNT(*), MIN(created_ms) FROM outbox WHERE target = ?1")?
                .query_row([&target], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok((u64::try_from(n).unwrap_or(0), oldest))
        })
        .await
    }

    async fn outbox_count(&self, target: &str) -> Result<u64, StoreError> {
        let target = target.to_owned();
        self.read(move |c| {
            let n: i64 = c
                .prepare_cached("SELECT COUNT(*) FROM outbox WHERE target = ?1")?
                .query_row([&target], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    async fn outbox_after(
        &self,
        target: &str,
        after_id: i64,
        limit_n: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let target = target.to_owned();
        self.read(move |c| {
            let sql = format!(
                "SELECT {ENTRY_COLUMNS} FROM outbox WHERE target = ?1 AND id > ?2 \
                 ORDER BY id LIMIT ?3"
            );
            let rows = query_entries(c, &sql, params![target, after_id, limit(limit_n)], false)?;
            Ok(rows.into_iter().map(|(e, _)| e).collect())
        })
        .await
    }

    async fn outbox_last_id(&self) -> Result<i64, StoreError> {
        self.read(|c| {
            // AUTOINCREMENT keeps the greatest id ever given in sqlite_sequence.
            let last: Option<i64> = c
                .prepare_cached("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'")?
                .query_row([], |r| r.get(0))
                .optional()?;
            Ok(last.unwrap_or(0))
        })
        .await
    }

    async fn outbox_prune(
        &self,
        target: &str,
        created_before_ms: i64,
        limit_n: usize,
    ) -> Result<u64, StoreError> {
        let target = target.to_owned();
        self.write(move |c| {
            let n = c
                .prepare_cached(
                    "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox \
                     WHERE target = ?1 AND created_ms < ?2 ORDER BY id LIMIT ?3)",
                )?
                .execute(params![target, created_before_ms, limit(limit_n)])?;
            Ok(count(n))
        })
        .await
    }

    async fn outbox_targets(&self) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            let mut stmt =
                c.prepare_cached("SELECT DISTINCT target FROM outbox ORDER BY target")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<Vec<String>, _>>()?)
        })
        .await
    }
}

fn row_to_target(r: &Row<'_>) -> rusqlite::Result<TargetRecord> {
    Ok(TargetRecord {
        id: r.get(0)?,
        kind: r.get(1)?,
        config: r.get(2)?,
        created_ms: r.get(3)?,
    })
}

#[async_trait]
impl NotifyTargetStore for SqliteMetaStore {
    async fn put_target(&self, target: &TargetRecord) -> Result<(), StoreError> {
        let t = target.clone();
        self.write(move |c| {
            c.prepare_cached(
                "INSERT OR REPLACE INTO notify_targets (id, kind, config, created_ms) \
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![t.id, t.kind, t.config, t.created_ms])?;
            Ok(())
        })
        .await
    }

    async fn get_target(&self, id: &str) -> Result<Option<TargetRecord>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT id, kind, config, created_ms FROM notify_targets WHERE id = ?1",
            )?
            .query_row([&id], row_to_target)
            .optional()?)
        })
        .await
    }

    async fn list_targets(&self) -> Result<Vec<TargetRecord>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, kind, config, created_ms FROM notify_targets ORDER BY id",
            )?;
            let rows = stmt.query_map([], row_to_target)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn delete_target(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |c| {
            let n = c
                .prepare_cached("DELETE FROM notify_targets WHERE id = ?1")?
                .execute([&id])?;
            Ok(n > 0)
        })
        .await
    }
}
