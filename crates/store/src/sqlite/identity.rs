//! SQLite tables for users, access keys, policies and bucket/object access settings.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::SqliteMetaStore;
use crate::error::StoreError;
use crate::identity::{AccessKeyRecord, IdentityStore, KeyGrant, PolicyRecord, UserRecord};

/// The identity-and-access migration (one step of `schema::MIGRATIONS`).
pub(crate) const MIGRATION: &str = r#"
    CREATE TABLE iam_users (
        name       TEXT    NOT NULL PRIMARY KEY,
        created_ms INTEGER NOT NULL
    );
    CREATE TABLE iam_access_keys (
        access_key_id TEXT    NOT NULL PRIMARY KEY,
        user_name     TEXT    NOT NULL REFERENCES iam_users(name) ON DELETE CASCADE,
        secret_sealed BLOB    NOT NULL,
        enabled       INTEGER NOT NULL,
        created_ms    INTEGER NOT NULL,
        expires_ms    INTEGER
    );
    CREATE INDEX iam_access_keys_by_user ON iam_access_keys(user_name);
    CREATE TABLE iam_policies (
        name       TEXT    NOT NULL PRIMARY KEY,
        document   TEXT    NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE iam_user_policies (
        user_name   TEXT NOT NULL REFERENCES iam_users(name) ON DELETE CASCADE,
        policy_name TEXT NOT NULL REFERENCES iam_policies(name) ON DELETE CASCADE,
        PRIMARY KEY (user_name, policy_name)
    ) WITHOUT ROWID;
    CREATE INDEX iam_user_policies_by_policy ON iam_user_policies(policy_name);
    CREATE TABLE bucket_policies (
        bucket   TEXT NOT NULL PRIMARY KEY REFERENCES buckets(name) ON DELETE CASCADE,
        document TEXT NOT NULL
    );
    CREATE TABLE bucket_acls (
        bucket TEXT NOT NULL PRIMARY KEY REFERENCES buckets(name) ON DELETE CASCADE,
        acl    TEXT NOT NULL
    );
    CREATE TABLE object_acls (
        bucket TEXT NOT NULL,
        key    BLOB NOT NULL,
        acl    TEXT NOT NULL,
        PRIMARY KEY (bucket, key),
        FOREIGN KEY (bucket, key) REFERENCES objects(bucket, key) ON DELETE CASCADE
    ) WITHOUT ROWID;
"#;

const KEY_COLUMNS: &str =
    "access_key_id, user_name, secret_sealed, enabled, created_ms, expires_ms";

fn key_from_row(r: &Row<'_>) -> rusqlite::Result<AccessKeyRecord> {
    Ok(AccessKeyRecord {
        access_key_id: r.get(0)?,
        user: r.get(1)?,
        secret_sealed: r.get(2)?,
        enabled: r.get::<_, i64>(3)? != 0,
        created_ms: r.get(4)?,
        expires_ms: r.get(5)?,
    })
}

fn policy_from_row(r: &Row<'_>) -> rusqlite::Result<PolicyRecord> {
    Ok(PolicyRecord {
        name: r.get(0)?,
        document: r.get(1)?,
        updated_ms: r.get(2)?,
    })
}

fn user_exists(c: &Connection, name: &str) -> Result<bool, StoreError> {
    Ok(c.prepare_cached("SELECT 1 FROM iam_users WHERE name = ?1")?
        .exists([name])?)
}

fn policy_exists(c: &Connection, name: &str) -> Result<bool, StoreError> {
    Ok(
        c.prepare_cached("SELECT 1 FROM iam_policies WHERE name = ?1")?
            .exists([name])?,
    )
}

/// [`StoreError::NoSuchPolicy`] / [`StoreError::NoSuchUser`] unless both exist.
fn require_policy_and_user(c: &Connection, policy: &str, user: &str) -> Result<(), StoreError> {
    if !policy_exists(c, policy)? {
        return Err(StoreError::NoSuchPolicy);
    }
    if !user_exists(c, user)? {
        return Err(StoreError::NoSuchUser);
    }
    Ok(())
}

fn user_policies(c: &Connection, user: &str) -> Result<Vec<PolicyRecord>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT p.name, p.document, p.updated_ms FROM iam_user_policies up \
         JOIN iam_policies p ON p.name = up.policy_name WHERE up.user_name = ?1 ORDER BY p.name",
    )?;
    let rows = stmt.query_map([user], policy_from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Runs `sql` and maps "no row changed" to `missing`.
fn change_one(
    c: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
    missing: StoreError,
) -> Result<(), StoreError> {
    match c.prepare_cached(sql)?.execute(args)? {
        0 => Err(missing),
        _ => Ok(()),
    }
}

#[async_trait]
impl IdentityStore for SqliteMetaStore {
    async fn create_user(&self, user: &UserRecord) -> Result<(), StoreError> {
        let user = user.clone();
        self.write(move |c| {
            let n = c
                .prepare_cached(
                    "INSERT OR IGNORE INTO iam_users (name, created_ms) VALUES (?1, ?2)",
                )?
                .execute(params![user.name, user.created_ms])?;
            if n == 0 {
                return Err(StoreError::UserExists);
            }
            Ok(())
        })
        .await
    }

    async fn delete_user(&self, name: &str) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.write(move |c| {
            change_one(
                c,
                "DELETE FROM iam_users WHERE name = ?1",
                [&name],
                StoreError::NoSuchUser,
            )
        })
        .await
    }

    async fn list_users(&self) -> Result<Vec<UserRecord>, StoreError> {
        self.read(|c| {
            let mut stmt =
                c.prepare_cached("SELECT name, created_ms FROM iam_users ORDER BY name")?;
            let rows = stmt.query_map([], |r| {
                Ok(UserRecord {
                    name: r.get(0)?,
                    created_ms: r.get(1)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn create_access_key(&self, key: &AccessKeyRecord) -> Result<(), StoreError> {
        let k = key.clone();
        self.write(move |c| {
            let tx = c.savepoint()?;
            if !user_exists(&tx, &k.user)? {
                return Err(StoreError::NoSuchUser);
            }
            tx.prepare_cached(&format!(
                "INSERT INTO iam_access_keys ({KEY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
            ))?
            .execute(params![
                k.access_key_id,
                k.user,
                k.secret_sealed,
                k.enabled as i64,
                k.created_ms,
                k.expires_ms
            ])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn set_access_key_enabled(&self, id: &str, enabled: bool) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write(move |c| {
            change_one(
                c,
                "UPDATE iam_access_keys SET enabled = ?2 WHERE access_key_id = ?1",
                params![id, enabled as i64],
                StoreError::NoSuchAccessKey,
            )
        })
        .await
    }

    async fn delete_access_key(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write(move |c| {
            change_one(
                c,
                "DELETE FROM iam_access_keys WHERE access_key_id = ?1",
                [&id],
                StoreError::NoSuchAccessKey,
            )
        })
        .await
    }

    async fn list_access_keys(
        &self,
        user: Option<&str>,
    ) -> Result<Vec<AccessKeyRecord>, StoreError> {
        let user = user.map(str::to_owned);
        self.read(move |c| {
            let rows = match &user {
                Some(u) => {
                    if !user_exists(c, u)? {
                        return Err(StoreError::NoSuchUser);
                    }
                    let mut stmt = c.prepare_cached(&format!(
                        "SELECT {KEY_COLUMNS} FROM iam_access_keys WHERE user_name = ?1 \
                         ORDER BY created_ms, access_key_id"
                    ))?;
                    let rows = stmt.query_map([u], key_from_row)?;
                    rows.collect::<Result<Vec<_>, _>>()?
                }
                None => {
                    let mut stmt = c.prepare_cached(&format!(
                        "SELECT {KEY_COLUMNS} FROM iam_access_keys \
                         ORDER BY user_name, created_ms, access_key_id"
                    ))?;
                    let rows = stmt.query_map([], key_from_row)?;
                    rows.collect::<Result<Vec<_>, _>>()?
                }
            };
            Ok(rows)
        })
        .await
    }

    async fn key_grant(&self, id: &str) -> Result<Option<KeyGrant>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| {
            let tx = c.transaction()?;
            let key = tx
                .prepare_cached(&format!(
                    "SELECT {KEY_COLUMNS} FROM iam_access_keys WHERE access_key_id = ?1"
                ))?
                .query_row([&id], key_from_row)
                .optional()?;
            let Some(key) = key else { return Ok(None) };
            let policies = user_policies(&tx, &key.user)?;
            Ok(Some(KeyGrant { key, policies }))
        })
        .await
    }

    async fn put_policy(&self, policy: &PolicyRecord) -> Result<(), StoreError> {
        let p = policy.clone();
        self.write(move |c| {
            c.prepare_cached(
                "INSERT INTO iam_policies (name, document, updated_ms) VALUES (?1, ?2, ?3) \
                 ON CONFLICT(name) DO UPDATE SET document = excluded.document, \
                 updated_ms = excluded.updated_ms",
            )?
            .execute(params![p.name, p.document, p.updated_ms])?;
            Ok(())
        })
        .await
    }

    async fn delete_policy(&self, name: &str) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.write(move |c| {
            change_one(
                c,
                "DELETE FROM iam_policies WHERE name = ?1",
                [&name],
                StoreError::NoSuchPolicy,
            )
        })
        .await
    }

    async fn get_policy(
        &self,
        name: &str,
    ) -> Result<Option<(PolicyRecord, Vec<String>)>, StoreError> {
        let name = name.to_owned();
        self.read(move |c| {
            let tx = c.transaction()?;
            let p = tx
                .prepare_cached(
                    "SELECT name, document, updated_ms FROM iam_policies WHERE name = ?1",
                )?
                .query_row([&name], policy_from_row)
                .optional()?;
            let Some(p) = p else { return Ok(None) };
            let mut stmt = tx.prepare_cached(
                "SELECT user_name FROM iam_user_policies WHERE policy_name = ?1 ORDER BY user_name",
            )?;
            let users = stmt
                .query_map([&name], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            drop(stmt);
            Ok(Some((p, users)))
        })
        .await
    }

    async fn list_policies(&self) -> Result<Vec<PolicyRecord>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT name, document, updated_ms FROM iam_policies ORDER BY name",
            )?;
            let rows = stmt.query_map([], policy_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn attach_policy(&self, policy: &str, user: &str) -> Result<(), StoreError> {
        let (policy, user) = (policy.to_owned(), user.to_owned());
        self.write(move |c| {
            let tx = c.savepoint()?;
            require_policy_and_user(&tx, &policy, &user)?;
            tx.prepare_cached(
                "INSERT OR IGNORE INTO iam_user_policies (user_name, policy_name) VALUES (?1, ?2)",
            )?
            .execute([&user, &policy])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn detach_policy(&self, policy: &str, user: &str) -> Result<(), StoreError> {
        let (policy, user) = (policy.to_owned(), user.to_owned());
        self.write(move |c| {
            let tx = c.savepoint()?;
            require_policy_and_user(&tx, &policy, &user)?;
            change_one(
                &tx,
                "DELETE FROM iam_user_policies WHERE user_name = ?1 AND policy_name = ?2",
                [&user, &policy],
                StoreError::NotAttached,
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }
}
