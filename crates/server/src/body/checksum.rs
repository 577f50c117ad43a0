//! Object checksums (`x-amz-checksum-*`) and the one-pass hasher that computes them with the MD5 ETag.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use crc_fast::{CrcAlgorithm, Digest as CrcDigest};
use md5::{Digest, Md5};
use sha1::Sha1;
use sha2::Sha256;
use sluice_s3::S3Error;
use sluice_store::Checksums;

/// A checksum algorithm S3 supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumAlgorithm {
    /// CRC-32 (ISO-HDLC).
    Crc32,
    /// CRC-32C (Castagnoli).
    Crc32c,
    /// CRC-64/NVME.
    Crc64Nvme,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

/// Every algorithm, in header-precedence order.
pub const ALL_ALGORITHMS: [ChecksumAlgorithm; 5] = [
    ChecksumAlgorithm::Crc32,
    ChecksumAlgorithm::Crc32c,
    ChecksumAlgorithm::Crc64Nvme,
    ChecksumAlgorithm::Sha1,
    ChecksumAlgorithm::Sha256,
];

impl ChecksumAlgorithm {
    /// Parses `CRC32`, `crc32c`, ... (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "CRC32" => Some(Self::Crc32),
            "CRC32C" => Some(Self::Crc32c),
            "CRC64NVME" => Some(Self::Crc64Nvme),
            "SHA1" => Some(Self::Sha1),
            "SHA256" => Some(Self::Sha256),
            _ => None,
        }
    }
    /// Upper-case name (`CRC32`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Crc32 => "CRC32",
            Self::Crc32c => "CRC32C",
            Self::Crc64Nvme => "CRC64NVME",
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
        }
    }
    /// Header name (`x-amz-checksum-crc32`).
    pub fn header(self) -> &'static str {
        match self {
            Self::Crc32 => "x-amz-checksum-crc32",
            Self::Crc32c => "x-amz-checksum-crc32c",
            Self::Crc64Nvme => "x-amz-checksum-crc64nvme",
            Self::Sha1 => "x-amz-checksum-sha1",
            Self::Sha256 => "x-amz-checksum-sha256",
        }
    }
    /// XML element name (`ChecksumCRC32`).
    pub fn xml_element(self) -> &'static str {
        match self {
            Self::Crc32 => "ChecksumCRC32",
            Self::Crc32c => "ChecksumCRC32C",
            Self::Crc64Nvme => "ChecksumCRC64NVME",
            Self::Sha1 => "ChecksumSHA1",
            Self::Sha256 => "ChecksumSHA256",
        }
    }
    /// Length of the raw digest in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            Self::Crc32 | Self::Crc32c => 4,
            Self::Crc64Nvme => 8,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }
    /// Reads this algorithm's stored value.
    pub fn stored(self, c: &Checksums) -> Option<&str> {
        match self {
            Self::Crc32 => c.crc32.as_deref(),
            Self::Crc32c => c.crc32c.as_deref(),
            Self::Crc64Nvme => c.crc64nvme.as_deref(),
            Self::Sha1 => c.sha1.as_deref(),
            Self::Sha256 => c.sha256.as_deref(),
        }
    }
    /// Stores a value for this algorithm.
    pub fn store(self, c: &mut Checksums, value: String) {
        match self {
            Self::Crc32 => c.crc32 = Some(value),
            Self::Crc32c => c.crc32c = Some(value),
            Self::Crc64Nvme => c.crc64nvme = Some(value),
            Self::Sha1 => c.sha1 = Some(value),
            Self::Sha256 => c.sha256 = Some(value),
        }
    }
    /// Checks that a client-supplied value is base64 of the right length.
    pub fn validate_value(self, value: &str) -> Result<(), S3Error> {
        match B64.decode(value.trim()) {
            Ok(raw) if raw.len() == self.digest_len() => Ok(()),
            _ => Err(S3Error::invalid_request(format!(
                "Value for {} header is invalid.",
                self.header()
            ))),
        }
    }
}

/// The first stored algorithm of an object, if any (for listings and responses).
pub fn stored_algorithm(c: &Checksums) -> Option<ChecksumAlgorithm> {
    ALL_ALGORITHMS.into_iter().find(|a| a.stored(c).is_some())
}

enum Running {
    Crc(ChecksumAlgorithm, CrcDigest),
    Sha1(Sha1),
    Sha256(Sha256),
}

impl Running {
    fn new(alg: ChecksumAlgorithm) -> Self {
        match alg {
            ChecksumAlgorithm::Crc32 => {
                Running::Crc(alg, CrcDigest::new(CrcAlgorithm::Crc32IsoHdlc))
            }
            ChecksumAlgorithm::Crc32c => {
                Running::Crc(alg, CrcDigest::new(CrcAlgorithm::Crc32Iscsi))
            }
            ChecksumAlgorithm::Crc64Nvme => {
                Running::Crc(alg, CrcDigest::new(CrcAlgorithm::Crc64Nvme))
            }
            ChecksumAlgorithm::Sha1 => Running::Sha1(Sha1::new()),
            ChecksumAlgorithm::Sha256 => Running::Sha256(Sha256::new()),
        }
    }
    fn update(&mut self, data: &[u8]) {
        match self {
            Running::Crc(_, d) => d.update(data),
            Running::Sha1(h) => h.update(data),
            Running::Sha256(h) => h.update(data),
        }
    }
    fn finish_b64(self) -> String {
        match self {
            Running::Crc(alg, d) => {
                let v = d.finalize();
                if alg == ChecksumAlgorithm::Crc64Nvme {
                    B64.encode(v.to_be_bytes())
                } else {
                    B64.encode((v as u32).to_be_bytes())
                }
            }
            Running::Sha1(h) => B64.encode(h.finalize()),
            Running::Sha256(h) => B64.encode(h.finalize()),
        }
    }
}

/// Hashes a body in one pass: MD5 for the ETag, plus the requested checksum and an optional
/// SHA-256 of the payload for SigV4 signed-payload checks.
pub struct BodyHasher {
    md5: Md5,
    checksum: Option<(ChecksumAlgorithm, Running)>,
    payload_sha256: Option<Sha256>,
    len: u64,
}

/// What [`BodyHasher::finish`] returns.
#[derive(Debug, Clone)]
pub struct BodyDigests {
    /// Raw MD5.
    pub md5: [u8; 16],
    /// The requested checksum, base64.
    pub checksum: Option<(ChecksumAlgorithm, String)>,
    /// SHA-256 of the payload, when asked for.
    pub payload_sha256: Option<[u8; 32]>,
    /// Bytes hashed.
    pub len: u64,
}

impl BodyHasher {
    /// A hasher computing MD5, `checksum` if given, and the payload SHA-256 if `payload_sha256`.
    pub fn new(checksum: Option<ChecksumAlgorithm>, payload_sha256: bool) -> Self {
        BodyHasher {
            md5: Md5::new(),
            checksum: checksum.map(|a| (a, Running::new(a))),
            payload_sha256: payload_sha256.then(Sha256::new),
            len: 0,
        }
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.md5.update(data);
        if let Some((_, r)) = &mut self.checksum {
            r.update(data);
        }
        if let Some(h) = &mut self.payload_sha256 {
            h.update(data);
        }
        self.len += data.len() as u64;
    }

    /// Finishes all digests.
    pub fn finish(self) -> BodyDigests {
        BodyDigests {
            md5: self.md5.finalize().into(),
            checksum: self.checksum.map(|(a, r)| (a, r.finish_b64())),
            payload_sha256: self.payload_sha256.map(|h| h.finalize().into()),
            len: self.len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(alg: ChecksumAlgorithm, data: &[u8]) -> String {
        let mut h = BodyHasher::new(Some(alg), false);
        h.update(&data[..3]);
        h.update(&data[3..]);
        h.finish().checksum.unwrap().1
    }

    #[test]
    fn known_values_of_hello_world() {
        // Values as S3 documents/returns them for the bytes "hello world".
        let d = b"hello world";
        assert_eq!(digest(ChecksumAlgorithm::Crc32, d), "DUoRhQ==");
        assert_eq!(digest(ChecksumAlgorithm::Crc32c, d), "yZRlqg==");
        assert_eq!(
            digest(ChecksumAlgorithm::Sha1, d),
            "Kq5sNclPz7QV2+lfQIuc6R7oRu0="
        );
        assert_eq!(
            digest(ChecksumAlgorithm::Sha256, d),
            "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="
        );
        assert_eq!(digest(ChecksumAlgorithm::Crc64Nvme, d).len(), 12);
        let h = BodyHasher::new(None, true);
        let out = h.finish();
        assert_eq!(hex::encode(out.md5), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn validates_values() {
        assert!(ChecksumAlgorithm::Crc32.validate_value("DUoRhQ==").is_ok());
        assert!(ChecksumAlgorithm::Crc32.validate_value("DUoRhQAA").is_err());
        assert!(ChecksumAlgorithm::Sha256.validate_value("!!").is_err());
    }
}
