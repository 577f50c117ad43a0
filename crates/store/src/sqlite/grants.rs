//! SQLite tables for grants (use-limited presigned URLs) and their audit trail.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, Row};

use super::SqliteMetaStore;
use crate::error::StoreError;
use crate::grants::{
    GrantFilter, GrantRecord, GrantStore, GrantUse, Reservation, ReservationId, ReservationOwner,
};

/// The grants migration (one step of `schema::MIGRATIONS`).
pub(crate) const MIGRATION: &str = r#"
    CREATE TABLE grants (
        id            TEXT    NOT NULL PRIMARY KEY,
        access_key_id TEXT    NOT NULL,
        bucket        TEXT    NOT NULL,
        key           BLOB    NOT NULL,
        method        TEXT    NOT NULL,
        max_uses      INTEGER NOT NULL,
        uses          INTEGER NOT NULL DEFAULT 0,
        in_flight     INTEGER NOT NULL DEFAULT 0,
        created_ms    INTEGER NOT NULL,
        revoked_ms    INTEGER
    );
    CREATE INDEX grants_by_key ON grants(access_key_id);
    CREATE INDEX grants_by_object ON grants(bucket, key);
    CREATE TABLE grant_uses (
        grant_id  TEXT    NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
        seq       INTEGER NOT NULL,
        at_ms     INTEGER NOT NULL,
        source_ip TEXT    NOT NULL,
        bytes     INTEGER NOT NULL,
        status    INTEGER NOT NULL,
        counted   INTEGER NOT NULL,
        PRIMARY KEY (grant_id, seq)
    ) WITHOUT ROWID;
"#;

/// Migration 5: the grant's expiry, so records expire with their URLs and can be swept.
pub(crate) const EXPIRY_MIGRATION: &str = r#"
    ALTER TABLE grants ADD COLUMN expires_ms INTEGER;
    CREATE INDEX grants_by_expiry ON grants(expires_ms);
"#;

/// Migration 10: reservations become rows with an owner and a deadline (reclaimed once it
/// passed), replacing the `in_flight` counter that a crash leaked forever. Counters left by
/// earlier runs are dropped: migrations run at startup under the data dir's lock, so no request
/// can still hold them.
pub(crate) const RESERVATIONS_MIGRATION: &str = r#"
    CREATE TABLE grant_reservations (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        grant_id    TEXT    NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
        owner_node  TEXT    NOT NULL,
        owner_run   TEXT    NOT NULL,
        reserved_ms INTEGER NOT NULL,
        deadline_ms INTEGER NOT NULL
    );
    CREATE INDEX grant_reservations_by_grant ON grant_reservations(grant_id);
    CREATE INDEX grant_reservations_by_deadline ON grant_reservations(deadline_ms);
    CREATE INDEX grant_reservations_by_owner ON grant_reservations(owner_node, owner_run);
    ALTER TABLE grants DROP COLUMN in_flight;
"#;

/// Columns of a grant row as read (`in_flight` counts its reservation rows).
const COLUMNS: &str = "id, access_key_id, bucket, key, method, max_uses, uses, \
     (SELECT COUNT(*) FROM grant_reservations r WHERE r.grant_id = grants.id), \
     created_ms, revoked_ms, expires_ms, notify_target, notify_payload";

/// Migration 13: whether a grant's `sluice:Grant:ExpiredUnused` event is recorded. Grants that
/// exist when it runs count as recorded, so an upgrade emits no burst of stale events.
pub(crate) const EXPIRY_EVENT_MIGRATION: &str = r#"
    ALTER TABLE grants ADD COLUMN expiry_notified INTEGER NOT NULL DEFAULT 0;
    UPDATE grants SET expiry_notified = 1;
"#;

/// Migration 14: the receipt a grant's URLs carry (`x-sluice-notify` / `x-sluice-payload`), so
/// that its `sluice:Grant:ExpiredUnused` event reaches the URL's target too.
pub(crate) const RECEIPT_MIGRATION: &str = r#"
    ALTER TABLE grants ADD COLUMN notify_target TEXT;
    ALTER TABLE grants ADD COLUMN notify_payload TEXT;
"#;

/// Columns of a grant row as written.
const INSERT: &str = "INSERT INTO grants (id, access_key_id, bucket, key, method, max_uses, uses, \
     created_ms, revoked_ms, expires_ms, notify_target, notify_payload) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

fn insert_grant(c: &rusqlite::Connection, g: &GrantRecord, sql: &str) -> rusqlite::Result<usize> {
    c.execute(
        sql,
        params![
            g.id,
            g.access_key_id,
            g.bucket,
            g.key.as_bytes(),
            g.method,
            g.max_uses as i64,
            g.uses as i64,
            g.created_ms,
            g.revoked_ms,
            g.expires_ms,
            g.notify_target,
            g.notify_payload
        ],
    )
}

fn grant_from_row(r: &Row<'_>) -> rusqlite::Result<GrantRecord> {
    let key: Vec<u8> = r.get(3)?;
    Ok(GrantRecord {
        id: r.get(0)?,
        access_key_id: r.get(1)?,
        bucket: r.get(2)?,
        key: String::from_utf8_lossy(&key).into_owned(),
        method: r.get(4)?,
        max_uses: r.get::<_, i64>(5)? as u64,
        uses: r.get::<_, i64>(6)? as u64,
        in_flight: r.get::<_, i64>(7)? as u64,
        created_ms: r.get(8)?,
        revoked_ms: r.get(9)?,
        expires_ms: r.get(10)?,
        notify_target: r.get(11)?,
        notify_payload: r.get(12)?,
    })
}

/// Grants matching `f` (key and bucket in SQL, the rest in Rust).
fn matching(c: &rusqlite::Connection, f: &GrantFilter) -> Result<Vec<GrantRecord>, StoreError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM grants WHERE (?1 IS NULL OR access_key_id = ?1) \
         AND (?2 IS NULL OR bucket = ?2) ORDER BY created_ms, id"
    ))?;
    let rows = stmt.query_map(params![f.access_key_id, f.bucket], grant_from_row)?;
    let all = rows.collect::<Result<Vec<_>, _>>()?;
    Ok(all.into_iter().filter(|g| f.matches(g)).collect())
}

#[async_trait]
impl GrantStore for SqliteMetaStore {
    async fn list_grants(&self, filter: &GrantFilter) -> Result<Vec<GrantRecord>, StoreError> {
        let f = filter.clone();
        self.read(move |c| matching(c, &f)).await
    }

    async fn revoke_grants(&self, filter: &GrantFilter, now_ms: i64) -> Result<u64, StoreError> {
        let f = filter.clone();
        self.write(move |c| {
            let tx = c.savepoint()?;
            let mut n = 0;
            for g in matching(&tx, &f)? {
                if g.revoked_ms.is_none() {
                    n += tx.execute(
                        "UPDATE grants SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms IS NULL",
                        params![g.id, now_ms],
                    )? as u64;
                }
            }
            tx.commit()?;
            Ok(n)
        })
        .await
    }

    async fn expired_unused_grants(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<GrantRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM grants WHERE expiry_notified = 0 AND uses = 0 \
                 AND revoked_ms IS NULL AND method <> 'SHARE' \
                 AND COALESCE(expires_ms, created_ms + ?2) <= ?1 \
                 ORDER BY COALESCE(expires_ms, created_ms + ?2), id LIMIT ?3"
            ))?;
            let rows = stmt.query_map(
                params![now_ms, crate::grants::MAX_URL_VALIDITY_MS, limit],
                grant_from_row,
            )?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn record_grant_expired(
        &self,
        id: &str,
        events: &[crate::outbox::OutboxEvent],
    ) -> Result<bool, StoreError> {
        let id = id.to_owned();
        let events = events.to_vec();
        self.write(move |c| {
            let tx = c.savepoint()?;
            let bucket: Option<String> = tx
                .query_row(
                    "UPDATE grants SET expiry_notified = 1 WHERE id = ?1 AND expiry_notified = 0 \
                     RETURNING bucket",
                    [&id],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(bucket) = bucket else {
                return Ok(false);
            };
            super::outbox::insert_events(&tx, &bucket, &events)?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    async fn delete_expired_grants(&self, before_ms: i64) -> Result<u64, StoreError> {
        self.write(move |c| {
            // Audit rows go with their grant (ON DELETE CASCADE).
            let n = c.execute(
                "DELETE FROM grants WHERE COALESCE(expires_ms, created_ms + ?2) < ?1 \
                 AND NOT EXISTS (SELECT 1 FROM grant_reservations r WHERE r.grant_id = grants.id)",
                params![before_ms, crate::grants::MAX_URL_VALIDITY_MS],
            )?;
            Ok(n as u64)
        })
        .await
    }

    async fn create_grant(&self, g: &GrantRecord) -> Result<(), StoreError> {
        let g = g.clone();
        self.write(move |c| {
            insert_grant(c, &g, INSERT)?;
            Ok(())
        })
        .await
    }

    async fn ensure_grant(&self, g: &GrantRecord) -> Result<bool, StoreError> {
        let g = g.clone();
        self.write(move |c| {
            let sql = INSERT.replacen("INSERT INTO", "INSERT OR IGNORE INTO", 1);
            Ok(insert_grant(c, &g, &sql)? > 0)
        })
        .await
    }

    async fn get_grant(&self, id: &str) -> Result<Option<GrantRecord>, StoreError> {
        let id = id.to_string();
        self.read(move |c| {
            Ok(
                c.prepare_cached(&format!("SELECT {COLUMNS} FROM grants WHERE id = ?1"))?
                    .query_row([id], grant_from_row)
                    .optional()?,
            )
        })
        .await
    }

    async fn reserve_use(
        &self,
        id: &str,
        owner: &ReservationOwner,
        now_ms: i64,
        deadline_ms: i64,
    ) -> Result<Reservation, StoreError> {
        let id = id.to_string();
        let owner = owner.clone();
        self.write(move |c| {
            let tx = c.savepoint()?;
            // Lapsed reservations of this grant free their uses first.
            tx.execute(
                "DELETE FROM grant_reservations WHERE grant_id = ?1 AND deadline_ms < ?2",
                params![id, now_ms],
            )?;
            let row: Option<(i64, i64, i64, Option<i64>)> = tx
                .query_row(
                    "SELECT max_uses, uses, \
                     (SELECT COUNT(*) FROM grant_reservations r WHERE r.grant_id = grants.id), \
                     revoked_ms FROM grants WHERE id = ?1",
                    [&id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let answer = match row {
                None => Reservation::Unknown,
                Some((_, _, _, Some(_))) => Reservation::Revoked,
                Some((max, uses, reserved, None)) if uses + reserved >= max => {
                    Reservation::Exhausted
                }
                Some(_) => {
                    tx.execute(
                        "INSERT INTO grant_reservations \
                         (grant_id, owner_node, owner_run, reserved_ms, deadline_ms) \
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![id, owner.node, owner.run, now_ms, deadline_ms],
                    )?;
                    Reservation::Reserved(tx.last_insert_rowid())
                }
            };
            tx.commit()?;
            Ok(answer)
        })
        .await
    }

    async fn renew_reservation(
        &self,
        id: &str,
        reservation: ReservationId,
        deadline_ms: i64,
    ) -> Result<bool, StoreError> {
        let id = id.to_string();
        self.write(move |c| {
            let n = c.execute(
                "UPDATE grant_reservations SET deadline_ms = MAX(deadline_ms, ?3) \
                 WHERE id = ?2 AND grant_id = ?1",
                params![id, reservation, deadline_ms],
            )?;
            Ok(n > 0)
        })
        .await
    }

    async fn finish_use(
        &self,
        id: &str,
        reservation: ReservationId,
        u: &GrantUse,
    ) -> Result<(), StoreError> {
        let id = id.to_string();
        let u = u.clone();
        self.write(move |c| {
            let tx = c.savepoint()?;
            tx.execute(
                "DELETE FROM grant_reservations WHERE id = ?2 AND grant_id = ?1",
                params![id, reservation],
            )?;
            tx.execute(
                "UPDATE grants SET uses = uses + ?2 WHERE id = ?1",
                params![id, i64::from(u.counted)],
            )?;
            tx.execute(
                "INSERT INTO grant_uses (grant_id, seq, at_ms, source_ip, bytes, status, counted) \
                 SELECT ?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM grant_uses WHERE grant_id = ?1), \
                 ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM grants WHERE id = ?1)",
                params![
                    id,
                    u.at_ms,
                    u.source_ip,
                    u.bytes as i64,
                    i64::from(u.status),
                    i64::from(u.counted)
                ],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn reclaim_lapsed_reservations(&self, now_ms: i64) -> Result<u64, StoreError> {
        self.write(move |c| {
            Ok(c.execute(
                "DELETE FROM grant_reservations WHERE deadline_ms < ?1",
                [now_ms],
            )? as u64)
        })
        .await
    }

    async fn reclaim_reservations_of_earlier_runs(
        &self,
        owner: &ReservationOwner,
    ) -> Result<u64, StoreError> {
        let owner = owner.clone();
        self.write(move |c| {
            Ok(c.execute(
                "DELETE FROM grant_reservations WHERE owner_node = ?1 AND owner_run <> ?2",
                params![owner.node, owner.run],
            )? as u64)
        })
        .await
    }

    async fn grant_uses(&self, id: &str) -> Result<Vec<GrantUse>, StoreError> {
        let id = id.to_string();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT at_ms, source_ip, bytes, status, counted FROM grant_uses \
                 WHERE grant_id = ?1 ORDER BY seq",
            )?;
            let rows = stmt.query_map([id], |r| {
                Ok(GrantUse {
                    at_ms: r.get(0)?,
                    source_ip: r.get(1)?,
                    bytes: r.get::<_, i64>(2)? as u64,
                    status: r.get::<_, i64>(3)? as u16,
                    counted: r.get::<_, i64>(4)? != 0,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn revoke_grant(&self, id: &str, now_ms: i64) -> Result<bool, StoreError> {
        let id = id.to_string();
        self.write(move |c| {
            let n = c.execute(
                "UPDATE grants SET revoked_ms = COALESCE(revoked_ms, ?2) WHERE id = ?1",
                params![id, now_ms],
            )?;
            Ok(n > 0)
        })
        .await
    }
}
