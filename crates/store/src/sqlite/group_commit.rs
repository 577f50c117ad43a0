//! Group commit on a dedicated writer thread.
//!
//! One thread owns the writer connection. Writes are sent to it over a channel; each time it
//! wakes it takes every write waiting and runs them as one transaction, each inside its own
//! savepoint (a failing write rolls back alone), then commits once. Commits are not fsynced
//! by SQLite (`synchronous=NORMAL`): the syncer thread (`wal_sync`) fsyncs the log and only
//! then answers the batch's durable writes, so "acknowledged" still means "on disk", while
//! the writer already runs the next batch. Callers never block a thread of their own: no
//! blocking-pool hop, no contended lock.
//!
//! A write may also be queued as *lazy* ([`write_lazy`]): one that need not be on disk before
//! it is answered because a later durable commit on this database covers it (the log is
//! replayed in order). It is answered as soon as its batch commits.

use std::path::Path;
use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::wal_sync::{wal_path, Syncer};
use crate::error::StoreError;

/// Runs one queued write; says whether it succeeded and holds its answer for `deliver`.
type Job = Box<dyn FnOnce(&mut Connection) -> (bool, Pending) + Send>;

/// A finished write waiting for the outcome of the commit.
pub(super) type Pending = Box<dyn FnOnce(Result<(), &StoreError>) + Send>;

/// A queued write and whether its commit must reach the disk before it is answered.
struct Queued {
    job: Job,
    durable: bool,
}

/// The channel to the writer thread. Dropping it lets the thread finish the writes already
/// sent, close the connection and exit.
pub(super) struct WriteQueue {
    tx: mpsc::Sender<Queued>,
}

impl WriteQueue {
    /// Starts the writer thread, which takes ownership of `conn` (opened on `path`), and the
    /// syncer thread that makes its commits durable.
    pub(super) fn start(conn: Connection, path: &Path) -> Result<Self, StoreError> {
        // Commits do not fsync; the syncer does, before any durable write is answered.
        conn.execute_batch("PRAGMA synchronous=NORMAL")?;
        let syncer = Syncer::start(wal_path(path))?;
        let (tx, rx) = mpsc::channel::<Queued>();
        std::thread::Builder::new()
            .name("sluice-meta-writer".into())
            .spawn(move || writer_loop(conn, &syncer, &rx))?;
        Ok(WriteQueue { tx })
    }
}

fn writer_loop(mut conn: Connection, syncer: &Syncer, rx: &mpsc::Receiver<Queued>) {
    while let Ok(first) = rx.recv() {
        let mut queued = vec![first];
        queued.extend(rx.try_iter());
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_round(&mut conn, syncer, queued);
        }));
        if run.is_err() {
            // The panicking batch's callers see "abandoned"; the connection stays usable.
            tracing::error!("a metadata write panicked; its batch was rolled back");
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
        }
    }
}

/// Runs `f` on the writer connection, batched with concurrent writes into one commit; answers
/// once that commit is durable.
pub(super) async fn write<T, F>(queue: &WriteQueue, f: F) -> Result<T, StoreError>
where
    F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    enqueue(queue, f, true).await
}

/// Like [`write`], but answers once the commit is in the write-ahead log, maybe before it is
/// fsynced: only for writes that a later durable commit on this database makes durable
/// before anything depends on them (a small blob's bytes before the object row naming them),
/// or whose loss is harmless (freeing a blob: the orphan sweep retries).
pub(super) async fn write_lazy<T, F>(queue: &WriteQueue, f: F) -> Result<T, StoreError>
where
    F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    enqueue(queue, f, false).await
}

async fn enqueue<T, F>(queue: &WriteQueue, f: F, durable: bool) -> Result<T, StoreError>
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
    queue
        .tx
        .send(Queued { job, durable })
        .map_err(|_| StoreError::Task("metadata writer stopped".into()))?;
    rx.await
        .map_err(|_| StoreError::Task("metadata write abandoned".into()))?
}

/// A write that ran: how its transaction ended, and whether its answer waits for the fsync.
struct Ran {
    deliver: Pending,
    ended: Result<(), StoreError>,
    needs_sync: bool,
}

/// Runs the writes taken in one wake-up of the writer thread, answers those that need no
/// fsync and hands the rest to the syncer, so the next batch runs while this one is synced.
fn run_round(conn: &mut Connection, syncer: &Syncer, queued: Vec<Queued>) {
    let mut waiting = Vec::new();
    for ran in run_jobs(conn, queued) {
        match ran.ended {
            Ok(()) if ran.needs_sync => waiting.push(ran.deliver),
            Ok(()) => (ran.deliver)(Ok(())),
            Err(e) => (ran.deliver)(Err(&e)),
        }
    }
    if !waiting.is_empty() {
        syncer.sync_then(waiting);
    }
}

/// Runs one write; its own savepoint makes it a transaction of its own when alone.
fn run_one(conn: &mut Connection, q: Queued) -> Ran {
    let (ok, deliver) = (q.job)(conn);
    Ran {
        deliver,
        ended: Ok(()),
        needs_sync: ok && q.durable,
    }
}

fn run_jobs(conn: &mut Connection, queued: Vec<Queued>) -> Vec<Ran> {
    if queued.len() == 1 {
        return queued.into_iter().map(|q| run_one(conn, q)).collect();
    }
    if run(conn, "BEGIN IMMEDIATE").is_err() {
        // Could not open the batch: each write runs and commits on its own.
        return queued.into_iter().map(|q| run_one(conn, q)).collect();
    }
    let mut ran: Vec<Ran> = Vec::with_capacity(queued.len());
    for q in queued {
        if let Err(e) = run(conn, "SAVEPOINT group_write") {
            let e = StoreError::from(e);
            let (_, deliver) = (q.job)(conn);
            ran.push(Ran {
                deliver,
                ended: Err(e),
                needs_sync: false,
            });
            continue;
        }
        let (ok, deliver) = (q.job)(conn);
        // A failed write is undone whole, even if it wrote before failing.
        let undo = if ok {
            Ok(())
        } else {
            run(conn, "ROLLBACK TO group_write")
        };
        let end = undo.and_then(|()| run(conn, "RELEASE group_write"));
        ran.push(Ran {
            deliver,
            ended: end.map_err(StoreError::from),
            needs_sync: ok && q.durable,
        });
    }
    if let Err(e) = run(conn, "COMMIT") {
        let _ = conn.execute_batch("ROLLBACK");
        let e = StoreError::from(e);
        for r in &mut ran {
            r.ended = Err(copy_error(&e));
        }
    }
    ran
}

/// Runs a transaction-control statement, prepared once per connection.
fn run(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// A copy of a commit failure for each write in the batch (the error type is not `Clone`).
fn copy_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::Backend {
            message,
            storage_full,
        } => StoreError::Backend {
            message: message.clone(),
            storage_full: *storage_full,
        },
        StoreError::Io(io) => StoreError::Io(std::io::Error::new(io.kind(), io.to_string())),
        StoreError::Uncertain(m) => StoreError::Uncertain(m.clone()),
        other => StoreError::Task(format!("metadata commit failed: {other}")),
    }
}
