//! Group commit on a dedicated writer thread.
//!
//! One thread owns the writer connection. Writes are sent to it over a channel; each time it
//! wakes it takes every write waiting and runs them as one transaction, each inside its own
//! savepoint (a failing write rolls back alone), then commits once. With `synchronous=FULL`
//! that is one WAL fsync for the whole batch (many small PUTs committing at once), and every
//! caller gets its answer only after that commit is durable, so "acknowledged" still means
//! "on disk". A lone write runs as before. Callers never block a thread of their own: no
//! blocking-pool hop, no contended lock.
//!
//! A write may also be queued as *lazy* ([`write_lazy`]): one that need not be on disk before
//! it is answered because a later durable commit on this database covers it (the write-ahead
//! log is fsynced and replayed in order). A batch of only lazy writes commits without the
//! fsync (`synchronous=NORMAL` for that commit).

use std::path::PathBuf;
use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::error::StoreError;
/// Runs one queued write; says whether it succeeded and holds its answer for `deliver`.
type Job = Box<dyn FnOnce(&mut Connection) -> (bool, Pending) + Send>;

/// A finished write waiting for the outcome of the commit.
type Pending = Box<dyn FnOnce(Result<(), &StoreError>) + Send>;

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
    /// Starts the writer thread, which takes ownership of `conn` (opened on `path`).
    pub(super) fn start(conn: Connection, path: PathBuf) -> Result<Self, StoreError> {
        let (tx, rx) = mpsc::channel::<Queued>();
        std::thread::Builder::new()
            .name("sluice-meta-writer".into())
            .spawn(move || writer_loop(conn, &path, &rx))?;
        Ok(WriteQueue { tx })
    }
}

fn writer_loop(mut conn: Connection, path: &std::path::Path, rx: &mpsc::Receiver<Queued>) {
    while let Ok(first) = rx.recv() {
        let mut queued = vec![first];
        queued.extend(rx.try_iter());
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_round(&mut conn, path, queued);
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

/// Runs the writes taken in one wake-up of the writer thread.
fn run_round(conn: &mut Connection, path: &std::path::Path, queued: Vec<Queued>) {
    let durable = queued.iter().any(|q| q.durable);
    let jobs: Vec<Job> = queued.into_iter().map(|q| q.job).collect();
    // If the pragma fails the commit is simply fsynced: slower, never less durable.
    let relaxed = !durable && conn.execute_batch("PRAGMA synchronous=NORMAL").is_ok();
    run_jobs(conn, jobs);
    if relaxed {
        if let Err(e) = conn.execute_batch("PRAGMA synchronous=FULL") {
            // Never leave the writer relaxed: a fresh connection replaces it.
            tracing::error!(error = %e, "could not restore synchronous=FULL; reopening the writer");
            match Connection::open(path)
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
