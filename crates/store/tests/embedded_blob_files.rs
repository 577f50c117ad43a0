//! Embedded backend, file tier: the blob files themselves (fan-out layout, temp files, page
//! cache), and temp-file hygiene across a crash and reopen.

mod common;

use std::path::Path;
use std::time::{Duration, SystemTime};

// The file tier: the tiered store's database tier has its own tests (embedded_tiered.rs).
use common::{bucket, embedded_env_with, object};
use sluice_store::{open_embedded_with, BlobRef, BlobStore, LocalBlobStore, BLOBS_DIR, TMP_DIR};

async fn env() -> common::Env {
    embedded_env_with(0).await
}

fn tmp_entries(data: &Path) -> usize {
    std::fs::read_dir(data.join(TMP_DIR)).unwrap().count()
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[tokio::test]
async fn write_commit_read() {
    let env = env().await;
    let data = pattern(3 * 1024 * 1024 + 12345);
    let mut w = env.blobs.create().await.unwrap();
    assert_eq!(tmp_entries(env.dir.path()), 1);
    for chunk in data.chunks(64 * 1024 + 7) {
        w.write(chunk).await.unwrap();
    }
    assert_eq!(w.written(), data.len() as u64);
    let id = w.commit().await.unwrap();
    assert!(id.is_well_formed());
    assert_eq!(tmp_entries(env.dir.path()), 0, "tmp empty after commit");

    // Fan-out layout blobs/ab/<id>.
    let path = env.dir.path().join(BLOBS_DIR).join(&id.0[0..2]).join(&id.0);
    assert_eq!(std::fs::read(&path).unwrap(), data);

    let r = env.blobs.open(&id).await.unwrap();
    assert_eq!(r.len(), data.len() as u64);
    // Stream in chunks with bounded buffers.
    let mut out = Vec::new();
    let mut offset = 0u64;
    loop {
        let chunk = r.read_chunk(offset, 256 * 1024).await.unwrap();
        if chunk.is_empty() {
            break;
        }
        offset += chunk.len() as u64;
        out.extend_from_slice(&chunk);
    }
    assert_eq!(out, data);
    // Range reads.
    let mut buf = [0u8; 100];
    assert_eq!(r.read_at(1000, &mut buf).await.unwrap(), 100);
    assert_eq!(&buf[..], &data[1000..1100]);
    let tail = r.read_chunk(data.len() as u64 - 10, 1 << 20).await.unwrap();
    assert_eq!(tail, &data[data.len() - 10..]);
    assert!(r
        .read_chunk(data.len() as u64 + 5, 10)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn shared_and_copied_writes_land_in_order() {
    let env = env().await;
    let big = 256 * 1024;
    let data = pattern(5 * big + 777);
    // Copied, shared whole batches (written as they are), a shared short piece (copied),
    // a shared batch after copied bytes (copied too), more whole batches, the rest.
    let cuts = [
        0,
        1000,
        1000 + big,
        1000 + 2 * big,
        1000 + 2 * big + 10,
        3 * big + 10,
    ];
    let cuts = [&cuts[..], &[4 * big + 10, 5 * big + 10, data.len()]].concat();
    let mut w = env.blobs.create().await.unwrap();
    for (i, pair) in cuts.windows(2).enumerate() {
        let piece = &data[pair[0]..pair[1]];
        if i == 0 {
            w.write(piece).await.unwrap();
        } else {
            w.write_shared(bytes::Bytes::copy_from_slice(piece))
                .await
                .unwrap();
        }
        assert_eq!(w.written(), pair[1] as u64);
    }
    let id = w.commit().await.unwrap();
    let path = env.dir.path().join(BLOBS_DIR).join(&id.0[0..2]).join(&id.0);
    assert!(std::fs::read(&path).unwrap() == data);

    // Flushed halfway (an idle upload), then more shared batches.
    let mut w = env.blobs.create().await.unwrap();
    w.write_shared(bytes::Bytes::copy_from_slice(&data[..big]))
        .await
        .unwrap();
    w.flush().await.unwrap();
    assert_eq!(w.buffered(), 0);
    w.write_shared(bytes::Bytes::copy_from_slice(&data[big..]))
        .await
        .unwrap();
    let id = w.commit().await.unwrap();
    let path = env.dir.path().join(BLOBS_DIR).join(&id.0[0..2]).join(&id.0);
    assert!(std::fs::read(&path).unwrap() == data);
}

#[tokio::test]
async fn abort_and_drop_leave_no_temp_file() {
    let env = env().await;
    let mut w = env.blobs.create().await.unwrap();
    w.write(&pattern(2 * 1024 * 1024)).await.unwrap();
    w.abort().await;
    assert_eq!(tmp_entries(env.dir.path()), 0, "tmp empty after abort");

    let mut w = env.blobs.create().await.unwrap();
    w.write(b"partial").await.unwrap();
    assert_eq!(tmp_entries(env.dir.path()), 1);
    drop(w);
    assert_eq!(tmp_entries(env.dir.path()), 0, "tmp empty after drop");

    assert!(env
        .blobs
        .list_blobs_older_than(SystemTime::now() + Duration::from_secs(60))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn clean_temp_removes_leftovers() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalBlobStore::open(dir.path()).unwrap();
    std::fs::write(dir.path().join(TMP_DIR).join("stale1"), b"x").unwrap();
    std::fs::write(dir.path().join(TMP_DIR).join("stale2"), b"y").unwrap();
    std::fs::create_dir(dir.path().join(TMP_DIR).join("subdir")).unwrap();
    assert_eq!(store.clean_temp().await.unwrap(), 3);
    assert_eq!(tmp_entries(dir.path()), 0);
    assert_eq!(store.clean_temp().await.unwrap(), 0);

    // open_embedded cleans tmp at startup.
    std::fs::write(dir.path().join(TMP_DIR).join("stale3"), b"z").unwrap();
    let _ = sluice_store::open_embedded(dir.path()).await.unwrap();
    assert_eq!(tmp_entries(dir.path()), 0);
}

/// Drops the file's pages from the page cache (`offset`, `len` as for `posix_fadvise`; the
/// store has synced the file, so its pages are clean and the kernel lets them go).
fn evict(path: &Path, offset: i64, len: i64) {
    use std::os::fd::AsRawFd;
    let f = std::fs::File::open(path).unwrap();
    // SAFETY: an advisory call on a descriptor we own; it touches no memory of ours.
    let rc = unsafe { libc::posix_fadvise(f.as_raw_fd(), offset, len, libc::POSIX_FADV_DONTNEED) };
    assert_eq!(rc, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_are_the_same_whether_or_not_the_bytes_are_cached() {
    // Cached bytes are copied on the calling thread, the rest read on the blocking pool: a
    // chunk may be served by either path or start on one and finish on the other.
    let env = env().await;
    let data = pattern(3 * 1024 * 1024 + 4321);
    let mut w = env.blobs.create().await.unwrap();
    w.write(&data).await.unwrap();
    let id = w.commit().await.unwrap();
    let path = env.dir.path().join(BLOBS_DIR).join(&id.0[0..2]).join(&id.0);
    let r = env.blobs.open(&id).await.unwrap();
    let check = |offset: usize, got: Vec<u8>, want: usize| {
        let end = (offset + want).min(data.len());
        assert_eq!(got.len(), end - offset, "length at {offset}");
        assert!(got == data[offset..end], "bytes at {offset}");
    };
    // Nothing cached.
    evict(&path, 0, 0);
    for offset in [0, 512 * 1024, 3 * 1024 * 1024] {
        check(
            offset,
            r.read_chunk(offset as u64, 512 * 1024).await.unwrap(),
            512 * 1024,
        );
    }
    // The first MiB cached, the rest not: one chunk across the boundary.
    check(0, r.read_chunk(0, 1024 * 1024).await.unwrap(), 1024 * 1024);
    evict(&path, 1024 * 1024, 0);
    let offset = 1024 * 1024 - 1000;
    check(
        offset,
        r.read_chunk(offset as u64, 512 * 1024).await.unwrap(),
        512 * 1024,
    );
    // The whole blob in one call (partly cached); past the end reads nothing.
    check(
        0,
        r.read_chunk(0, data.len() + 10).await.unwrap(),
        data.len() + 10,
    );
    assert!(r
        .read_chunk(data.len() as u64, 10)
        .await
        .unwrap()
        .is_empty());
}

async fn write_blob(blobs: &dyn BlobStore, data: &[u8]) -> BlobRef {
    let mut w = blobs.create().await.unwrap();
    w.write(data).await.unwrap();
    w.commit().await.unwrap()
}

#[tokio::test]
async fn committed_blob_and_meta_agree_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    let key = "crash/safe";
    {
        let (meta, blobs) = open_embedded_with(dir.path(), 0).await.unwrap();
        meta.create_bucket(&bucket("b")).await.unwrap();
        let id = write_blob(blobs.as_ref(), &payload).await;
        let mut obj = object("b", key, payload.len() as u64);
        obj.blob = id;
        meta.put_object(&obj).await.unwrap();
        // An upload interrupted before commit: only a temp file remains.
        let mut w = blobs.create().await.unwrap();
        w.write(b"half written").await.unwrap();
        std::mem::forget(w);
        // Dropping the stores without any shutdown step simulates a crash after commit.
    }
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        1
    );

    let (meta, blobs) = open_embedded_with(dir.path(), 0).await.unwrap();
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0,
        "startup cleans temp files"
    );
    let obj = meta.get_object("b", key).await.unwrap().unwrap();
    let r = blobs.open(&obj.blob).await.unwrap();
    assert_eq!(r.len(), obj.size);
    let bytes = r.read_chunk(0, usize::MAX).await.unwrap();
    assert_eq!(bytes, payload);
}
