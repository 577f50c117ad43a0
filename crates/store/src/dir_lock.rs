//! The data dir's lock: one process at a time writes a data dir.
//!
//! `DATA/lock` is locked with `flock(LOCK_EX)` for as long as the [`DataDirLock`] lives, and holds
//! the holder's PID (written after locking, for the message a second process prints). The lock
//! belongs to the open file, so it ends when the holder drops it, exits or is killed (even with
//! `SIGKILL`), and a second open of the file in the same process conflicts too.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::Duration;

/// The lock file inside the data dir.
pub const LOCK_FILE_NAME: &str = "lock";

/// Why the data dir could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum DataDirLockError {
    /// Another process (or another server in this process) holds the lock.
    #[error("data dir {dir} is in use by another sluice process (PID {pid})")]
    Held {
        /// The data dir, as given.
        dir: String,
        /// The holder's PID as its lock file says, or `unknown`.
        pid: String,
    },
    /// The lock file could not be created, opened or locked.
    #[error("locking data dir {dir}: {source}")]
    Io {
        /// The data dir, as given.
        dir: String,
        /// Cause.
        source: std::io::Error,
    },
}

/// An exclusive hold on a data dir, released when dropped.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

impl DataDirLock {
    /// Creates `data_dir` if needed and takes its lock without waiting; writes this process's
    /// PID into the lock file.
    pub fn acquire(data_dir: &Path) -> Result<DataDirLock, DataDirLockError> {
        let dir = data_dir.display().to_string();
        let io_err = |source| DataDirLockError::Io {
            dir: dir.clone(),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(io_err)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(data_dir.join(LOCK_FILE_NAME))
            .map_err(io_err)?;
        match try_flock(&file, libc::LOCK_EX) {
            Ok(true) => {}
            Ok(false) => {
                return Err(DataDirLockError::Held {
                    pid: holder_pid(&mut file),
                    dir,
                })
            }
            Err(e) => return Err(io_err(e)),
        }
        file.set_len(0).map_err(io_err)?;
        file.seek(SeekFrom::Start(0)).map_err(io_err)?;
        writeln!(file, "{}", std::process::id()).map_err(io_err)?;
        Ok(DataDirLock { _file: file })
    }

    /// Whether some process holds `data_dir`'s lock now: its PID (as the lock file says, or
    /// `unknown`) if so. Creates nothing; the probe's own shared lock, if it gets one, is
    /// released before returning.
    pub fn holder(data_dir: &Path) -> Result<Option<String>, DataDirLockError> {
        let io_err = |source| DataDirLockError::Io {
            dir: data_dir.display().to_string(),
            source,
        };
        let mut file = match File::open(data_dir.join(LOCK_FILE_NAME)) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(e)),
        };
        match try_flock(&file, libc::LOCK_SH) {
            Ok(true) => Ok(None),
            Ok(false) => Ok(Some(holder_pid(&mut file))),
            Err(e) => Err(io_err(e)),
        }
    }
}

/// `flock(op | LOCK_NB)`: `Ok(false)` when another open file holds a conflicting lock.
fn try_flock(file: &File, op: libc::c_int) -> std::io::Result<bool> {
    loop {
        // SAFETY: flock on a file descriptor this `File` owns; no memory is passed.
        let rc = unsafe { libc::flock(file.as_raw_fd(), op | libc::LOCK_NB) };
        if rc == 0 {
            return Ok(true);
        }
        let err = std::io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EWOULDBLOCK) => return Ok(false),
            Some(libc::EINTR) => continue,
            _ => return Err(err),
        }
    }
}

/// The PID the holder wrote, waiting briefly in case it has locked but not written it yet.
fn holder_pid(file: &mut File) -> String {
    for _ in 0..10 {
        let mut text = String::new();
        if file.seek(SeekFrom::Start(0)).is_ok() && file.read_to_string(&mut text).is_ok() {
            if let Ok(pid) = text.trim().parse::<u32>() {
                return pid.to_string();
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    "unknown".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_hold_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        assert!(DataDirLock::holder(&data).unwrap().is_none());
        let first = DataDirLock::acquire(&data).unwrap();
        let me = std::process::id().to_string();
        assert_eq!(DataDirLock::holder(&data).unwrap(), Some(me.clone()));
        match DataDirLock::acquire(&data) {
            Err(e @ DataDirLockError::Held { .. }) => {
                let text = e.to_string();
                assert!(
                    text.contains(&data.display().to_string()) && text.contains(&me),
                    "{text}"
                );
            }
            other => panic!("second lock: {other:?}"),
        }
        drop(first);
        assert!(DataDirLock::holder(&data).unwrap().is_none());
        let _again = DataDirLock::acquire(&data).unwrap();
    }
}
