//! Group commit for the writer connection.
//!
//! With `synchronous=FULL` every commit costs one WAL fsync. Concurrent writes (many small
//! PUTs committing their metadata at once) queue here; whoever runs the writer next takes the
//! whole queue and runs it as one transaction, each write inside its own savepoint (a failing
//! write rolls back alone), then commits once. Every caller gets its answer only after that
//! commit is durable, so "acknowledged" still means "on disk". A lone write runs as before.
//!
//! A write may also be queued as *lazy* ([`write_lazy`]): one that need not be on disk before
//! it is answered because a later durable commit on this database covers it (the write-ahead
//! log is fsynced and replayed in order). A batch of only lazy writes commits without the
//! fsync (`synchronous=NORMAL` for that commit).

use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::{lock, Inner};
use crate::error::{blocking, StoreError};

/// Runs one queued write; says whether it succeeded and holds its answer for `deliver`.
type Job = Box<dyn FnOnce(&mut Connection) -> (bool, Pending) + Send>;

/// A finished write waiting for the outcome of the commit.
type Pending = Box<dyn FnOnce(Result<(), &StoreError>) + Send>;

/// A queued write and whether its commit must reach the disk before it is answered.
struct Queued {
    job: Job,
    durable: bool,
}

/// Writes waiting for the writer connection.
#[derive(Default)]
pub(super) struct WriteQueue {
    jobs: Mutex<Vec<Queued>>,
}

/// Runs `f` on the writer connection, batched with concurrent writes into one commit; answers
/// once that commit is durable.
pub(super) async fn write<T, F>(inner: &Arc<Inner>, f: F) -> Result<T, StoreError>
where
    F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    enqueue(inner, f, true).await
}

/// Like [`write`], but answers once the commit is in the write-ahead log, maybe before it is
/// fsynced: only for writes that a later durable commit on this database makes durable
/// before anything depends on them (a small blob's bytes before the object row naming them),
/// or whose loss is harmless (freeing a blob: the orphan sweep retries).
pub(super) async fn write_lazy<T, F>(inner: &Arc<Inner>, f: F) -> Result<T, StoreError>
where
    F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    enqueue(inner, f, false).await
}

async fn enqueue<T, F>(inner: &Arc<Inner>, f: F, durable: bool) -> Result<T, StoreError>
where
    F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = oneshot::channel::<Result<T, StoreError>>();
    let job: Job = Box::new(move |conn: &mut Connection| {
        let result = f(conn);
        let ok = result.is_ok();
        let pending: Pending = Box::new(move |committed: Result<(), &StoreError>| {
            let answer = match committed {
                Ok(()) => result,
                Err(e) => result.and(Err(copy_error(e))),
            };
            let _ = tx.send(answer);
        });
        (ok, pending)
    });
    lock(&inner.queue.jobs).push(Queued { job, durable });
    let runner = Arc::clone(inner);
    blocking(move || {
        run_queue(&runner);
        Ok(())
    })
    .await?;
    // Our job ran either in the batch above or in one that took it first and has answered.
    rx.await
        .map_err(|_| StoreError::Task("metadata write abandoned".into()))?
}

/// Takes the writer, then every queued write, and runs them.
fn run_queue(inner: &Inner) {
    let mut conn = lock(&inner.writer);
    let queued = std::mem::take(&mut *lock(&inner.queue.jobs));
    if queued.is_empty() {
        return;
    }
    let durable = queued.iter().any(|q| q.durable);
    let jobs: Vec<Job> = queued.into_iter().map(|q| q.job).collect();
    // If the pragma fails the commit is simply fsynced: slower, never less durable.
    let relaxed = !durable && conn.execute_batch("PRAGMA synchronous=NORMAL").is_ok();
    run_jobs(&mut conn, jobs);
    if relaxed {
        if let Err(e) = conn.execute_batch("PRAGMA synchronous=FULL") {
            // Never leave the writer relaxed: a fresh connection replaces it.
            tracing::error!(error = %e, "could not restore synchronous=FULL; reopening the writer");
            match Connection::open(&inner.path)
                .map_err(StoreError::from)
                .and_then(|c| super::schema::configure(&c, false).map(|()| c))
            {
                Ok(fresh) => *conn = fresh,
                Err(e) => tracing::error!(error = %e, "could not reopen the metadata writer"),
            }
        }
    }
}

fn run_jobs(conn: &mut Connection, jobs: Vec<Job>) {
    match jobs.len() {
        0 => {}
        1 => {
            for job in jobs {
                // The write commits its own transaction, as without batching.
                let (_, deliver) = job(conn);
                deliver(Ok(()));
            }
        }
        _ => run_batch(conn, jobs),
    }
}

fn run_batch(conn: &mut Connection, jobs: Vec<Job>) {
    if conn.execute_batch("BEGIN IMMEDIATE").is_err() {
        // Could not open the batch: each write runs and commits on its own.
        for job in jobs {
            let (_, deliver) = job(conn);
            deliver(Ok(()));
        }
        return;
    }
    let mut pending: Vec<(Pending, Result<(), StoreError>)> = Vec::with_capacity(jobs.len());
    for job in jobs {
        if let Err(e) = conn.execute_batch("SAVEPOINT group_write") {
            let e = StoreError::from(e);
            let (_, deliver) = job(conn);
            pending.push((deliver, Err(e)));
            continue;
        }
        let (ok, deliver) = job(conn);
        // A failed write is undone whole, even if it wrote before failing.
        let undo = if ok {
            Ok(())
        } else {
            conn.execute_batch("ROLLBACK TO group_write")
        };
        let end = undo.and_then(|()| conn.execute_batch("RELEASE group_write"));
        pending.push((deliver, end.map_err(StoreError::from)));
    }
    let commit = conn.execute_batch("COMMIT").map_err(StoreError::from);
    if commit.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    for (deliver, ended) in pending {
        match (&commit, &ended) {
            (Ok(()), Ok(())) => deliver(Ok(())),
            (Ok(()), Err(e)) | (Err(e), _) => deliver(Err(e)),
        }
    }
}

/// A copy of a commit failure for each write in the batch (the error type is not `Clone`).
fn copy_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(code, msg)) => {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(*code, msg.clone()))
        }
        StoreError::Io(io) => StoreError::Io(std::io::Error::new(io.kind(), io.to_string())),
        other => StoreError::Task(format!("metadata commit failed: {other}")),
    }
}
