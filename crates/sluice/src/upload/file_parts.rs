//! Reading a file part by part, with the digests a part is sent and checked with.

use anyhow::{Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use futures_util::TryStreamExt;
use md5::{Digest, Md5};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

/// One part's bytes, read into memory (small files and presigned parts).
pub struct PartData {
    /// Bytes.
    pub bytes: bytes::Bytes,
    /// Hex and base64 MD5, when asked for (Content-MD5).
    pub md5: Option<(String, String)>,
}

/// Reads `len` bytes at `offset` on the blocking pool, with their MD5 when `with_md5`.
pub async fn read_part(
    file: Arc<std::fs::File>,
    path: &Path,
    offset: u64,
    len: u64,
    with_md5: bool,
) -> Result<PartData> {
    let shown = path.display().to_string();
    tokio::task::spawn_blocking(move || -> Result<PartData> {
        let mut buf = vec![0u8; len as usize];
        file.read_exact_at(&mut buf, offset)
            .with_context(|| format!("reading {shown} at {offset}"))?;
        let md5 = with_md5.then(|| {
            let d = Md5::digest(&buf);
            (hex::encode(d), B64.encode(d))
        });
        Ok(PartData {
            md5,
            bytes: bytes::Bytes::from(buf),
        })
    })
    .await?
}

/// Bytes read from the file per step when digesting or streaming a part.
const STEP: usize = 1 << 20;

/// A part's digests, taken in a pass over the file that keeps no more than one step in memory.
pub struct PartDigests {
    /// Bytes covered.
    pub len: u64,
    /// Base64 CRC32C (for `x-amz-checksum-crc32c`).
    pub crc32c_b64: String,
    /// Hex and base64 MD5, when asked for.
    pub md5: Option<(String, String)>,
}

/// Calls `f` with the `len` bytes at `offset`, one step at a time.
fn for_each_step(
    file: &std::fs::File,
    offset: u64,
    len: u64,
    mut f: impl FnMut(&[u8]),
) -> std::io::Result<()> {
    let mut buf = vec![0u8; STEP.min(usize::try_from(len).unwrap_or(STEP))];
    let mut done = 0u64;
    while done < len {
        let n = usize::try_from((len - done).min(buf.len() as u64)).unwrap_or(buf.len());
        file.read_exact_at(&mut buf[..n], offset + done)?;
        f(&buf[..n]);
        done += n as u64;
    }
    Ok(())
}

/// Takes the CRC32C (and the MD5 when `with_md5`) of `len` bytes at `offset`, on the
/// blocking pool.
pub async fn digest_part(
    file: Arc<std::fs::File>,
    path: &Path,
    offset: u64,
    len: u64,
    with_md5: bool,
) -> Result<PartDigests> {
    let shown = path.display().to_string();
    tokio::task::spawn_blocking(move || -> Result<PartDigests> {
        let mut crc = crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc32Iscsi);
        let mut md5 = with_md5.then(Md5::new);
        for_each_step(&file, offset, len, |b| {
            crc.update(b);
            if let Some(m) = md5.as_mut() {
                m.update(b);
            }
        })
        .with_context(|| format!("reading {shown} at {offset}"))?;
        Ok(PartDigests {
            len,
            crc32c_b64: B64.encode((crc.finalize() as u32).to_be_bytes()),
            md5: md5.map(|m| {
                let d = m.finalize();
                (hex::encode(d), B64.encode(d))
            }),
        })
    })
    .await?
}

/// Step buffers that go back to the pool once the HTTP client has sent and dropped them, so
/// streaming a part neither page-faults in fresh memory nor zero-fills it at every step.
#[derive(Clone, Default)]
pub struct BufferPool(Arc<Mutex<Vec<Vec<u8>>>>);

/// Buffers a pool keeps; more are freed (a few per part in flight are enough).
const POOLED: usize = 32;

/// A step's bytes: the first `len` bytes of a pooled buffer.
struct Pooled {
    buf: Vec<u8>,
    len: usize,
    pool: BufferPool,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        let mut free = self.pool.0.lock().unwrap_or_else(|p| p.into_inner());
        if free.len() < POOLED {
            free.push(buf);
        }
    }
}

impl BufferPool {
    /// Reads `n` (at most [`STEP`]) bytes at `offset` into a pooled buffer, feeding them to `crc`.
    fn read(
        &self,
        file: &std::fs::File,
        offset: u64,
        n: usize,
        crc: Option<&mut crc_fast::Digest>,
    ) -> std::io::Result<bytes::Bytes> {
        let reused = self.0.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut buf = reused.unwrap_or_else(|| vec![0u8; STEP]);
        file.read_exact_at(&mut buf[..n], offset)?;
        if let Some(crc) = crc {
            crc.update(&buf[..n]);
        }
        Ok(bytes::Bytes::from_owner(Pooled {
            buf,
            len: n,
            pool: self.clone(),
        }))
    }
}

/// A request body streaming `len` bytes at `offset` of `file`, one step at a time (the part is
/// never held in memory whole).
pub fn part_body(
    file: Arc<std::fs::File>,
    offset: u64,
    len: u64,
    pool: BufferPool,
) -> reqwest::Body {
    let stream = futures_util::stream::try_unfold(0u64, move |done| {
        let (file, pool) = (Arc::clone(&file), pool.clone());
        async move {
            if done >= len {
                return Ok(None);
            }
            let n = usize::try_from((len - done).min(STEP as u64)).unwrap_or(STEP);
            let chunk =
                tokio::task::spawn_blocking(move || pool.read(&file, offset + done, n, None))
                    .await
                    .map_err(std::io::Error::other)??;
            Ok::<_, std::io::Error>(Some((chunk, done + n as u64)))
        }
    });
    reqwest::Body::wrap_stream(stream)
}

/// The trailer a [`checksummed_part_body`] ends with.
pub const CRC32C_TRAILER: &str = "x-amz-checksum-crc32c";

/// A part sent as `aws-chunked` (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`) with its CRC32C in
/// the trailer: the checksum is taken as the bytes are read for sending, so the part is
/// read from the file once.
pub struct ChecksummedBody {
    /// The encoded body.
    pub body: reqwest::Body,
    /// Its length on the wire (`Content-Length`; the part's own length goes in
    /// `x-amz-decoded-content-length`).
    pub encoded_len: u64,
    /// Base64 CRC32C of the part, set once the body has been read to its end.
    pub crc32c_b64: Arc<OnceLock<String>>,
}

/// `len` bytes at `offset` of `file`, one [`STEP`] per chunk, then the CRC32C trailer.
pub fn checksummed_part_body(
    file: Arc<std::fs::File>,
    offset: u64,
    len: u64,
    pool: BufferPool,
) -> ChecksummedBody {
    let step = STEP as u64;
    let (full, rest) = (len / step, len % step);
    let chunk_framing = |n: u64| format!("{n:x}\r\n\r\n").len() as u64;
    // The final chunk, the trailer line (8 base64 characters) and the empty line.
    let end = format!("0\r\n{CRC32C_TRAILER}:AAAAAA==\r\n\r\n").len() as u64;
    let encoded_len =
        len + full * chunk_framing(step) + if rest > 0 { chunk_framing(rest) } else { 0 } + end;
    let crc32c_b64 = Arc::new(OnceLock::new());
    let result = Arc::clone(&crc32c_b64);
    let start = (
        0u64,
        Some(crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc32Iscsi)),
    );
    let stream = futures_util::stream::try_unfold(start, move |(done, crc)| {
        let (file, pool, result) = (Arc::clone(&file), pool.clone(), Arc::clone(&result));
        async move {
            let Some(mut crc) = crc else {
                return Ok(None);
            };
            if done >= len {
                let value = B64.encode((crc.finalize() as u32).to_be_bytes());
                let end = format!("0\r\n{CRC32C_TRAILER}:{value}\r\n\r\n");
                let _ = result.set(value);
                return Ok(Some((vec![bytes::Bytes::from(end)], (done, None))));
            }
            let n = usize::try_from((len - done).min(step)).unwrap_or(STEP);
            let (chunk, crc) = tokio::task::spawn_blocking(move || {
                pool.read(&file, offset + done, n, Some(&mut crc))
                    .map(|c| (c, crc))
            })
            .await
            .map_err(std::io::Error::other)??;
            let frame = vec![
                bytes::Bytes::from(format!("{n:x}\r\n")),
                chunk,
                bytes::Bytes::from_static(b"\r\n"),
            ];
            Ok::<_, std::io::Error>(Some((frame, (done + n as u64, Some(crc)))))
        }
    });
    let stream = stream
        .map_ok(|frame| futures_util::stream::iter(frame.into_iter().map(Ok::<_, std::io::Error>)))
        .try_flatten();
    ChecksummedBody {
        body: reqwest::Body::wrap_stream(stream),
        encoded_len,
        crc32c_b64,
    }
}

/// Splits `size` bytes into parts of `part_size` (the last one shorter): (number, offset, len).
pub fn split(size: u64, part_size: u64) -> Vec<(u32, u64, u64)> {
    let n = size.div_ceil(part_size).max(1);
    (0..n)
        .map(|i| {
            let off = i * part_size;
            (i as u32 + 1, off, part_size.min(size - off))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits() {
        assert_eq!(split(10, 4), vec![(1, 0, 4), (2, 4, 4), (3, 8, 2)]);
        assert_eq!(split(8, 4), vec![(1, 0, 4), (2, 4, 4)]);
        assert_eq!(split(0, 4), vec![(1, 0, 0)]);
    }

    #[tokio::test]
    async fn part_digests_match_the_published_check_value() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p");
        // "123456789" at offset 3, then 3 MiB + 5 bytes to cross several steps.
        let mut bytes = b"xyz123456789".to_vec();
        bytes.extend((0..3 * STEP + 5).map(|i| (i % 251) as u8));
        std::fs::write(&path, &bytes).expect("write");
        let file = Arc::new(std::fs::File::open(&path).expect("open"));
        // CRC-32C of "123456789" is 0xE3069283 (RFC 3720, appendix B.4).
        let d = digest_part(Arc::clone(&file), &path, 3, 9, true)
            .await
            .expect("digest");
        assert_eq!(d.crc32c_b64, B64.encode(0xE306_9283u32.to_be_bytes()));
        assert_eq!(
            d.md5.expect("md5").0,
            hex::encode(Md5::digest(b"123456789"))
        );
        let all = digest_part(Arc::clone(&file), &path, 0, bytes.len() as u64, true)
            .await
            .expect("digest");
        let want = crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32Iscsi, &bytes) as u32;
        assert_eq!(all.crc32c_b64, B64.encode(want.to_be_bytes()));
        assert_eq!(all.md5.expect("md5").0, hex::encode(Md5::digest(&bytes)));
        let empty = digest_part(file, &path, 5, 0, false).await.expect("digest");
        assert_eq!(empty.crc32c_b64, "AAAAAA==");
    }

    #[tokio::test]
    async fn part_body_streams_exactly_the_range() {
        use futures_util::TryStreamExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p");
        let bytes: Vec<u8> = (0..2 * STEP + 77).map(|i| (i % 253) as u8).collect();
        std::fs::write(&path, &bytes).expect("write");
        let file = Arc::new(std::fs::File::open(&path).expect("open"));
        let pool = BufferPool::default();
        for (offset, len) in [(0, bytes.len()), (10, STEP + 1), (7, 0)] {
            let body = part_body(Arc::clone(&file), offset as u64, len as u64, pool.clone());
            let got: Vec<u8> = http_body_util::BodyDataStream::new(body)
                .map_ok(|b| b.to_vec())
                .try_concat()
                .await
                .expect("stream");
            assert!(got == bytes[offset..offset + len], "{offset}+{len}");
        }
        // The step buffers came back once sent, and are reused.
        assert!(!pool.0.lock().expect("pool").is_empty());
    }

    #[tokio::test]
    async fn checksummed_body_is_aws_chunked_with_the_crc32c_trailer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p");
        let bytes: Vec<u8> = (0..3 * STEP + 99).map(|i| (i % 241) as u8).collect();
        std::fs::write(&path, &bytes).expect("write");
        let file = Arc::new(std::fs::File::open(&path).expect("open"));
        let pool = BufferPool::default();
        // Whole steps only, a short last chunk, under one step, empty.
        for (offset, len) in [(0, 2 * STEP), (5, 3 * STEP + 94), (17, 1000), (3, 0)] {
            let sent =
                checksummed_part_body(Arc::clone(&file), offset as u64, len as u64, pool.clone());
            assert!(sent.crc32c_b64.get().is_none());
            let wire: Vec<u8> = http_body_util::BodyDataStream::new(sent.body)
                .map_ok(|b| b.to_vec())
                .try_concat()
                .await
                .expect("stream");
            assert_eq!(wire.len() as u64, sent.encoded_len, "{offset}+{len}");
            // The server's decoder takes it as the payload and a CRC32C trailer.
            let mut decoder = sluice_sigv4::ChunkedDecoder::unsigned_with_trailer()
                .with_decoded_length(len as u64);
            let mut payload = Vec::new();
            decoder.feed(&wire, &mut payload).expect("decodes");
            let trailers = decoder.finish().expect("complete");
            assert!(payload == bytes[offset..offset + len], "{offset}+{len}");
            let want = crc_fast::checksum(
                crc_fast::CrcAlgorithm::Crc32Iscsi,
                &bytes[offset..offset + len],
            ) as u32;
            let want = B64.encode(want.to_be_bytes());
            assert_eq!(trailers, vec![(CRC32C_TRAILER.to_string(), want.clone())]);
            assert_eq!(sent.crc32c_b64.get(), Some(&want));
        }
    }
}
