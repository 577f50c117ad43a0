//! Reading a file part by part, with its MD5 (for Content-MD5 and ETag checks).

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
    /// Hex MD5 (what the server's ETag will be).
    pub md5_hex: String,
    /// Base64 MD5 (for Content-MD5).
    pub md5_b64: String,
}

/// Reads `len` bytes at `offset` on the blocking pool and hashes them.
pub async fn read_part(
    file: Arc<std::fs::File>,
    path: &Path,
    offset: u64,
    len: u64,
) -> Result<PartData> {
    let shown = path.display().to_string();
    tokio::task::spawn_blocking(move || -> Result<PartData> {
        let mut buf = vec![0u8; len as usize];
        file.read_exact_at(&mut buf, offset)
            .with_context(|| format!("reading {shown} at {offset}"))?;
        let md5 = Md5::digest(&buf);
        Ok(PartData {
            md5_hex: hex::encode(md5),
            md5_b64: B64.encode(md5),
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
}
