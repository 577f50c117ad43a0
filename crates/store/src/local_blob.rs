//! [`BlobStore`] on the local file system.
//!
//! Layout under the data directory:
//! - `tmp/<id>`: blobs being written; anything here at startup is garbage.
//! - `blobs/<id[0..2]>/<id>`: committed, immutable blobs. The 256 fan-out directories are
//!   created (and made durable) when the store opens, so a commit never creates a directory.
//!
//! Write path: buffered writes to the temp file on the blocking pool (double-buffered: one
//! buffer is written while the caller fills the other), then `fsync(file)`,
//! `rename` into place, `fsync(directory)`: two fsyncs per blob. A crash before the rename
//! leaves only a temp file; after it, a complete blob (an orphan until metadata references it).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use bytes::Bytes;

use crate::blob::{BlobReader, BlobStore, BlobWriter};
use crate::error::{blocking, StoreError};
use crate::model::{is_blob_id, BlobRef};

/// Bytes buffered in memory before a write hits the file (two such buffers per writer).
const WRITE_BUFFER: usize = 256 << 10;

/// A buffer being written on the blocking pool; gives back the file and, when the buffer
/// was the writer's own, the emptied buffer.
type PendingWrite = tokio::task::JoinHandle<Result<(File, Option<Vec<u8>>), StoreError>>;

/// Fan-out directories under `blobs/` (`00` to `ff`, the id's first two hex digits).
const FAN_OUT: usize = 256;

/// Directory of committed blobs inside the data directory.
pub const BLOBS_DIR: &str = "blobs";
/// Directory of in-progress blobs inside the data directory.
pub const TMP_DIR: &str = "tmp";

/// Blobs as plain files under a data directory.
#[derive(Clone, Debug)]
pub struct LocalBlobStore {
    blobs: PathBuf,
    tmp: PathBuf,
}

impl LocalBlobStore {
    /// Creates `blobs/` with its 256 fan-out directories and `tmp/` under `data_dir` if
    /// needed, and makes them durable. Blocking.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let blobs = data_dir.join(BLOBS_DIR);
        let tmp = data_dir.join(TMP_DIR);
        fs::create_dir_all(&blobs)?;
        fs::create_dir_all(&tmp)?;
        let mut created = false;
        for i in 0..FAN_OUT {
            let dir = blobs.join(format!("{i:02x}"));
            if !dir.is_dir() {
                fs::create_dir(&dir)?;
                created = true;
            }
        }
        if created {
            sync_dir(&blobs)?;
            sync_dir(data_dir)?;
        }
        Ok(LocalBlobStore { blobs, tmp })
    }

    /// Final path of a blob; rejects ids that are not 32 lowercase hex characters.
    pub fn blob_path(&self, blob: &BlobRef) -> Result<PathBuf, StoreError> {
        blob.validate()?;
        Ok(fan_out_dir(&self.blobs, blob.as_str()).join(blob.as_str()))
    }

    /// Deletes a committed blob file; says whether it existed.
    pub(crate) async fn remove(&self, blob: &BlobRef) -> Result<bool, StoreError> {
        let path = self.blob_path(blob)?;
        blocking(move || match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        })
        .await
    }

    /// The temp directory (for tests and diagnostics).
    pub fn tmp_dir(&self) -> &Path {
        &self.tmp
    }
}

/// `blobs/ab` for id `ab...` (the id is validated by the caller).
fn fan_out_dir(blobs: &Path, id: &str) -> PathBuf {
    blobs.join(&id[0..2])
}

/// Starts writing `len` bytes at `offset` back to disk without waiting (Linux
/// `sync_file_range(SYNC_FILE_RANGE_WRITE)`), so the `fsync` at commit finds little left to do
/// and a large upload's disk writes overlap its network transfer and hashing. Only a hint:
/// durability still comes from the `fsync` at commit.
#[cfg(target_os = "linux")]
fn start_writeback(file: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return;
    };
    // SAFETY: the descriptor belongs to `file`, which is open for the whole call; the call
    // reads no memory of ours.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
    }
}

/// Reads at `offset` into `buf`'s spare capacity (at most up to `want` bytes in all) and grows
/// its length by what was read: no zero-filling of memory the read overwrites anyway. With
/// `cached_only`, reads only what the page cache holds and fails with `WouldBlock` rather than
/// wait for the disk (Linux `preadv2(RWF_NOWAIT)`; elsewhere such a read always fails).
fn read_into_spare(
    file: &File,
    buf: &mut Vec<u8>,
    want: usize,
    offset: u64,
    cached_only: bool,
) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    let flags = if cached_only { libc::RWF_NOWAIT } else { 0 };
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    if cached_only {
        return Err(io::ErrorKind::WouldBlock.into());
    }
    let room = want.min(buf.capacity()).saturating_sub(buf.len());
    let offset = libc::off_t::try_from(offset)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "offset out of range"))?;
    // SAFETY: the destination is `room` bytes of `buf`'s allocated, unused capacity, which the
    // kernel only writes; the length grows by exactly the count it reports written (never more
    // than `room`). The descriptor belongs to `file`, open for the whole call.
    let n = unsafe {
        let dst = buf.as_mut_ptr().add(buf.len());
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        let n = {
            let iov = libc::iovec {
                iov_base: dst.cast(),
                iov_len: room,
            };
            libc::preadv2(file.as_raw_fd(), &iov, 1, offset, flags)
        };
        #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
        let n = libc::pread(file.as_raw_fd(), dst.cast(), room, offset);
        n
    };
    let n = usize::try_from(n).map_err(|_| io::Error::last_os_error())?;
    let n = n.min(room);
    // SAFETY: the first `n` spare bytes were just written by the read.
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &File, _offset: u64, _len: u64) {}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[async_trait]
impl BlobStore for LocalBlobStore {
    async fn create(&self) -> Result<Box<dyn BlobWriter>, StoreError> {
        let id = BlobRef::random();
        let tmp_path = self.tmp.join(id.as_str());
        let path = tmp_path.clone();
        let file = blocking(move || {
            Ok(OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)?)
        })
        .await?;
        Ok(Box::new(LocalBlobWriter {
            dest_dir: fan_out_dir(&self.blobs, id.as_str()),
            blobs_root: self.blobs.clone(),
            id,
            tmp_path,
            file: Some(file),
            buf: Vec::new(),
            spare: Vec::new(),
            pending: None,
            written: 0,
            finished: false,
        }))
    }

    async fn open(&self, blob: &BlobRef) -> Result<Box<dyn BlobReader>, StoreError> {
        let path = self.blob_path(blob)?;
        let id = blob.0.clone();
        let (file, len) = blocking(move || {
            let file = File::open(&path).map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => StoreError::BlobMissing(id),
                _ => StoreError::Io(e),
            })?;
            let len = file.metadata()?.len();
            Ok((file, len))
        })
        .await?;
        Ok(Box::new(LocalBlobReader {
            file: Arc::new(file),
            len,
        }))
    }

    async fn delete(&self, blob: &BlobRef) -> Result<(), StoreError> {
        self.remove(blob).await.map(|_| ())
    }

    async fn list_blobs_older_than(&self, cutoff: SystemTime) -> Result<Vec<BlobRef>, StoreError> {
        let blobs = self.blobs.clone();
        blocking(move || list_older_than(&blobs, cutoff)).await
    }

    fn listing_shards(&self) -> usize {
        FAN_OUT
    }

    async fn list_shard_older_than(
        &self,
        shard: usize,
        cutoff: SystemTime,
    ) -> Result<Vec<BlobRef>, StoreError> {
        if shard >= FAN_OUT {
            return Ok(Vec::new());
        }
        let dir = self.blobs.join(format!("{shard:02x}"));
        blocking(move || {
            let mut out = Vec::new();
            list_dir_older_than(&dir, cutoff, &mut out)?;
            Ok(out)
        })
        .await
    }

    async fn check_writable(&self) -> Result<(), StoreError> {
        let probe = self
            .tmp
            .join(format!(".ready-{}", BlobRef::random().as_str()));
        blocking(move || {
            fs::write(&probe, b"ok")?;
            fs::remove_file(&probe)?;
            Ok(())
        })
        .await
    }

    async fn clean_temp(&self) -> Result<usize, StoreError> {
        let tmp = self.tmp.clone();
        blocking(move || {
            let mut removed = 0;
            for entry in fs::read_dir(&tmp)? {
                let entry = entry?;
                let result = if entry.file_type()?.is_dir() {
                    fs::remove_dir_all(entry.path())
                } else {
                    fs::remove_file(entry.path())
                };
                match result {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e.into()),
                }
            }
            if removed > 0 {
                tracing::info!(removed, "removed leftover temp blobs");
            }
            Ok(removed)
        })
        .await
    }
}

/// Walks the fan-out directories; entries vanishing concurrently are skipped.
fn list_older_than(blobs: &Path, cutoff: SystemTime) -> Result<Vec<BlobRef>, StoreError> {
    let mut out = Vec::new();
    for level1 in sub_dirs(blobs)? {
        list_dir_older_than(&level1, cutoff, &mut out)?;
    }
    Ok(out)
}

/// Appends the blobs in one fan-out directory last written before `cutoff` to `out`.
fn list_dir_older_than(
    dir: &Path,
    cutoff: SystemTime,
    out: &mut Vec<BlobRef>,
) -> Result<(), StoreError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if !is_blob_id(&name) {
            continue;
        }
        let modified = match entry.metadata().and_then(|m| m.modified()) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        if modified < cutoff {
            out.push(BlobRef(name));
        }
    }
    Ok(())
}

/// Two-hex-character subdirectories of `dir`.
fn sub_dirs(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry?;
        let is_fan_out = entry.file_name().to_str().is_some_and(|n| {
            n.len() == 2
                && n.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
        if is_fan_out && entry.file_type()?.is_dir() {
            out.push(entry.path());
        }
    }
    Ok(out)
}

fn broken_writer() -> StoreError {
    StoreError::Io(io::Error::other(
        "blob writer unusable after a failed write",
    ))
}

/// A blob being written to `tmp/<id>`.
struct LocalBlobWriter {
    id: BlobRef,
    tmp_path: PathBuf,
    dest_dir: PathBuf,
    blobs_root: PathBuf,
    /// `None` while a write runs on the blocking pool, or after a failed write.
    file: Option<File>,
    buf: Vec<u8>,
    /// The other buffer, when no write holds it.
    spare: Vec<u8>,
    /// The write in progress, and its length.
    pending: Option<(PendingWrite, usize)>,
    written: u64,
    /// Set once committed or aborted, so `Drop` leaves the file alone.
    finished: bool,
}

impl LocalBlobWriter {
    fn take_file(&mut self) -> Result<File, StoreError> {
        self.file.take().ok_or_else(broken_writer)
    }

    /// Waits for the write in progress, if any, and takes the file and its buffer back.
    async fn settle(&mut self) -> Result<(), StoreError> {
        if let Some((job, _)) = self.pending.take() {
            let (file, buf) = job.await??;
            self.file = Some(file);
            if let Some(buf) = buf {
                self.spare = buf;
            }
        }
        Ok(())
    }

    /// Starts writing the buffer on the blocking pool (after the previous write is done) and
    /// switches to the other buffer.
    async fn flush_buffer(&mut self) -> Result<(), StoreError> {
        self.settle().await?;
        let mut file = self.take_file()?;
        let buf = std::mem::replace(&mut self.buf, std::mem::take(&mut self.spare));
        let len = buf.len();
        let offset = self.written - len as u64;
        let job = tokio::task::spawn_blocking(move || {
            file.write_all(&buf)?;
            start_writeback(&file, offset, buf.len() as u64);
            let mut emptied = buf;
            emptied.clear();
            Ok((file, Some(emptied)))
        });
        self.pending = Some((job, len));
        Ok(())
    }

    /// Starts writing `data` itself on the blocking pool (after the previous write is done).
    async fn write_in_place(&mut self, data: Bytes) -> Result<(), StoreError> {
        self.settle().await?;
        let mut file = self.take_file()?;
        let len = data.len();
        let offset = self.written;
        self.written += len as u64;
        let job = tokio::task::spawn_blocking(move || {
            file.write_all(&data)?;
            start_writeback(&file, offset, len as u64);
            Ok((file, None))
        });
        self.pending = Some((job, len));
        Ok(())
    }
}

#[async_trait]
impl BlobWriter for LocalBlobWriter {
    async fn write(&mut self, data: &[u8]) -> Result<(), StoreError> {
        if self.file.is_none() && self.pending.is_none() {
            return Err(broken_writer());
        }
        // Grows to WRITE_BUFFER with the data: a small blob never holds a full buffer.
        self.buf.extend_from_slice(data);
        self.written += data.len() as u64;
        if self.buf.len() >= WRITE_BUFFER {
            self.flush_buffer().await?;
        }
        Ok(())
    }

    async fn write_shared(&mut self, data: Bytes) -> Result<(), StoreError> {
        // A full buffer's worth with nothing gathered before it goes to the file as it is.
        if self.buf.is_empty() && data.len() >= WRITE_BUFFER {
            if self.file.is_none() && self.pending.is_none() {
                return Err(broken_writer());
            }
            return self.write_in_place(data).await;
        }
        self.write(&data).await
    }

    fn written(&self) -> u64 {
        self.written
    }

    fn buffered(&self) -> usize {
        self.buf.len() + self.pending.as_ref().map_or(0, |(_, len)| *len)
    }

    async fn flush(&mut self) -> Result<(), StoreError> {
        if self.file.is_none() && self.pending.is_none() {
            return Err(broken_writer());
        }
        if !self.buf.is_empty() {
            self.flush_buffer().await?;
        }
        self.settle().await?;
        self.buf = Vec::new();
        self.spare = Vec::new();
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<BlobRef, StoreError> {
        self.settle().await?;
        let mut file = self.take_file()?;
        let buf = std::mem::take(&mut self.buf);
        let tmp_path = self.tmp_path.clone();
        let dest_dir = self.dest_dir.clone();
        let blobs_root = self.blobs_root.clone();
        let dest = dest_dir.join(self.id.as_str());
        blocking(move || {
            file.write_all(&buf)?;
            file.sync_all()?;
            drop(file);
            if !dest_dir.is_dir() {
                // Only if a fan-out directory was removed after `open`.
                fs::create_dir_all(&dest_dir)?;
                sync_dir(&blobs_root)?;
            }
            fs::rename(&tmp_path, &dest)?;
            if let Err(e) = sync_dir(&dest_dir) {
                // Not durable, and nothing references it yet: do not leave an orphan behind.
                let _ = fs::remove_file(&dest);
                return Err(e.into());
            }
            Ok(())
        })
        .await?;
        // Only now is the temp file gone; a failure above leaves it for Drop to remove.
        self.finished = true;
        Ok(self.id.clone())
    }

    async fn abort(mut self: Box<Self>) {
        let _ = self.settle().await;
        self.finished = true;
        self.file = None;
        let path = self.tmp_path.clone();
        let result = blocking(move || Ok(fs::remove_file(&path)?)).await;
        if let Err(e) = result {
            tracing::warn!(error = %e, blob = %self.id, "could not remove aborted temp blob");
        }
    }
}

impl Drop for LocalBlobWriter {
    fn drop(&mut self) {
        if !self.finished {
            // Best effort; leftovers are removed by `clean_temp` at the next start.
            let _ = fs::remove_file(&self.tmp_path);
        }
    }
}

/// A committed blob file, read with positional reads on the blocking pool.
struct LocalBlobReader {
    file: Arc<File>,
    len: u64,
}

#[async_trait]
impl BlobReader for LocalBlobReader {
    fn len(&self) -> u64 {
        self.len
    }

    async fn read_chunk(&self, offset: u64, max_len: usize) -> Result<Vec<u8>, StoreError> {
        let remaining = self.len.saturating_sub(offset);
        let want = usize::try_from(remaining)
            .unwrap_or(usize::MAX)
            .min(max_len);
        if want == 0 {
            return Ok(Vec::new());
        }
        let mut buf = Vec::with_capacity(want);
        // Bytes already in the page cache are copied right here: no trip to the blocking pool
        // (two thread switches per chunk). The first byte that would wait for the disk ends
        // this loop and the rest is read on the blocking pool.
        while buf.len() < want {
            let at = offset + buf.len() as u64;
            match read_into_spare(&self.file, &mut buf, want, at, true) {
                Ok(0) => return Ok(buf),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        if buf.len() == want {
            return Ok(buf);
        }
        let file = Arc::clone(&self.file);
        blocking(move || {
            while buf.len() < want {
                let at = offset + buf.len() as u64;
                match read_into_spare(&file, &mut buf, want, at, false) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(buf)
        })
        .await
    }
}
