//! The syncer: makes the writer's commits durable off the writer thread.
//!
//! The writer connection commits with `synchronous=NORMAL`: a commit is written to the
//! write-ahead log but not fsynced. Its durable writes are then handed here, and answered
//! only after an `fdatasync` of the log that started after their commit returned. While one
//! sync runs, the writer goes on with the next batch, and everything committed meanwhile
//! shares the next sync. The log is replayed in order after a crash, so syncing it makes every
//! commit written before the sync durable.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use super::group_commit::Pending;
use crate::error::StoreError;

/// The write-ahead log of the database at `db`.
pub(super) fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// Handle to the syncer thread; it stops once every handle is gone and its work is done.
pub(super) struct Syncer {
    tx: mpsc::Sender<Vec<Pending>>,
}

impl Syncer {
    /// Starts a syncer for the log at `wal`.
    pub(super) fn start(wal: PathBuf) -> Result<Self, StoreError> {
        let (tx, rx) = mpsc::channel::<Vec<Pending>>();
        std::thread::Builder::new()
            .name("sluice-meta-sync".into())
            .spawn(move || sync_loop(&wal, &rx))?;
        Ok(Syncer { tx })
    }

    /// Answers `waiting` once the log is synced (with an error if the sync failed).
    pub(super) fn sync_then(&self, waiting: Vec<Pending>) {
        if let Err(mpsc::SendError(waiting)) = self.tx.send(waiting) {
            let e = StoreError::Uncertain("the metadata syncer stopped".into());
            for deliver in waiting {
                deliver(Err(&e));
            }
        }
    }
}

fn sync_loop(wal: &Path, rx: &mpsc::Receiver<Vec<Pending>>) {
    let mut log = LogFile::default();
    while let Ok(first) = rx.recv() {
        let mut waiting = first;
        for more in rx.try_iter() {
            waiting.extend(more);
        }
        match log.sync(wal) {
            Ok(()) => waiting.into_iter().for_each(|deliver| deliver(Ok(()))),
            Err(e) => {
                tracing::error!(error = %e, "fsync of the metadata log failed");
                let e = StoreError::Uncertain(format!("fsync of the metadata log failed: {e}"));
                waiting.into_iter().for_each(|deliver| deliver(Err(&e)));
            }
        }
    }
}

/// An open descriptor of the log, reopened if the file is replaced.
#[derive(Default)]
struct LogFile {
    file: Option<(File, u64)>,
}

impl LogFile {
    fn sync(&mut self, wal: &Path) -> std::io::Result<()> {
        let inode = std::fs::metadata(wal)?.ino();
        let file = match self.file.take() {
            Some((f, ino)) if ino == inode => f,
            _ => File::open(wal)?,
        };
        let result = file.sync_data();
        self.file = Some((file, inode));
        result
    }
}
