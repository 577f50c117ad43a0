//! Reading a file part by part, with the digests a part is sent and checked with.

use anyhow::{Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use md5::{Digest, Md5};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

/// One part's bytes and digests.
pub struct PartData {
    /// Bytes.
    pub bytes: bytes::Bytes,
    /// Base64 CRC32C (for `x-amz-checksum-crc32c`).
    pub crc32c_b64: String,
    /// Hex and base64 MD5, when asked for (Content-MD5 and ETag checks).
    pub md5: Option<(String, String)>,
}

impl PartData {
    /// Hex MD5 (what a server's ETag for the part is), computed now if it was not asked for.
    pub fn md5_hex(&self) -> String {
        match &self.md5 {
            Some((hex, _)) => hex.clone(),
            None => hex::encode(Md5::digest(&self.bytes)),
        }
    }
}

/// Base64 of the big-endian CRC32C of `bytes` (the `x-amz-checksum-crc32c` form).
pub fn crc32c_b64(bytes: &[u8]) -> String {
    let crc = crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32Iscsi, bytes) as u32;
    B64.encode(crc.to_be_bytes())
}

/// Reads `len` bytes at `offset` on the blocking pool and takes their CRC32C (a pass far
/// cheaper than MD5), and their MD5 too when `with_md5`.
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
            crc32c_b64: crc32c_b64(&buf),
            md5,
            bytes: bytes::Bytes::from(buf),
        })
    })
    .await?
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

    #[test]
    fn crc32c_matches_the_published_check_value() {
        // CRC-32C of "123456789" is 0xE3069283 (RFC 3720, appendix B.4).
        assert_eq!(
            crc32c_b64(b"123456789"),
            B64.encode(0xE306_9283u32.to_be_bytes())
        );
        assert_eq!(crc32c_b64(b""), "AAAAAA==");
    }
}
