//! Write-ahead-log checkpoints on a background thread.
//!
//! By default SQLite checkpoints inside the commit that crosses 1,000 WAL pages: the writer
//! thread, which every metadata write waits for, then copies pages into the database file and
//! fsyncs it. Here a thread of its own runs a PASSIVE checkpoint (it never blocks the writer or
//! readers) every [`INTERVAL`], and the writer's own automatic checkpoint only starts when the
//! log passes [`WRITER_CHECKPOINT_PAGES`], as a bound on the log's size should this thread
//! fall behind.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;

use crate::error::StoreError;

/// Time between background checkpoints.
const INTERVAL: Duration = Duration::from_millis(100);

/// WAL pages after which the writer checkpoints in its own commit (64 MiB at 4 KiB pages).
pub(super) const WRITER_CHECKPOINT_PAGES: u32 = 16_384;

/// The running checkpoint thread; dropping this stops it.
pub(super) struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path` (already in WAL mode).
    pub(super) fn start(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        super::schema::configure(&conn, false)?;
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sluice-meta-checkpoint".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                    if let Err(e) = checkpoint(&conn) {
                        tracing::warn!(error = %e, "background WAL checkpoint failed");
                    }
                }
            })?;
        Ok(Checkpointer { _stop: stop })
    }
}

fn checkpoint(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}
