//! Checksums of a whole multipart object from its parts' checksums: COMPOSITE (checksum of
//! checksums, `-N` suffix) for any algorithm, FULL_OBJECT (CRC combination) for the CRCs.

use crate::body::checksum::ChecksumAlgorithm;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use crc_fast::{checksum_combine, CrcAlgorithm};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// How the object checksum relates to the parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumType {
    /// A checksum of the part checksums, suffixed `-N`.
    Composite,
    /// The checksum of the whole object's bytes (CRC algorithms only).
    FullObject,
}

impl ChecksumType {
    /// Parses `COMPOSITE` / `FULL_OBJECT`.
    pub fn from_name(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "COMPOSITE" => Some(Self::Composite),
            "FULL_OBJECT" => Some(Self::FullObject),
            _ => None,
        }
    }
    /// Wire name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Composite => "COMPOSITE",
            Self::FullObject => "FULL_OBJECT",
        }
    }
    /// The type AWS uses when a client names only the algorithm.
    pub fn default_for(alg: ChecksumAlgorithm) -> Self {
        if alg == ChecksumAlgorithm::Crc64Nvme {
            Self::FullObject
        } else {
            Self::Composite
        }
    }
}

/// Whether an algorithm supports a checksum type.
pub fn supports(alg: ChecksumAlgorithm, kind: ChecksumType) -> bool {
    match kind {
        ChecksumType::Composite => alg != ChecksumAlgorithm::Crc64Nvme,
        ChecksumType::FullObject => matches!(
            alg,
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c | ChecksumAlgorithm::Crc64Nvme
        ),
    }
}

/// Combines part checksums (base64, in part order, with part sizes). None if a value is invalid.
pub fn combine(
    alg: ChecksumAlgorithm,
    kind: ChecksumType,
    parts: &[(String, u64)],
) -> Option<String> {
    match kind {
        ChecksumType::Composite => {
            let mut raw = Vec::new();
            for (v, _) in parts {
                raw.extend(B64.decode(v).ok()?);
            }
            let digest: Vec<u8> = match alg {
                ChecksumAlgorithm::Sha1 => Sha1::digest(&raw).to_vec(),
                ChecksumAlgorithm::Sha256 => Sha256::digest(&raw).to_vec(),
                ChecksumAlgorithm::Crc32 => (crc_fast::checksum(CrcAlgorithm::Crc32IsoHdlc, &raw)
                    as u32)
                    .to_be_bytes()
                    .to_vec(),
                ChecksumAlgorithm::Crc32c => (crc_fast::checksum(CrcAlgorithm::Crc32Iscsi, &raw)
                    as u32)
                    .to_be_bytes()
                    .to_vec(),
                ChecksumAlgorithm::Crc64Nvme => return None,
            };
            Some(format!("{}-{}", B64.encode(digest), parts.len()))
        }
        ChecksumType::FullObject => {
            let (crc, width) = match alg {
                ChecksumAlgorithm::Crc32 => (CrcAlgorithm::Crc32IsoHdlc, 4),
                ChecksumAlgorithm::Crc32c => (CrcAlgorithm::Crc32Iscsi, 4),
                ChecksumAlgorithm::Crc64Nvme => (CrcAlgorithm::Crc64Nvme, 8),
                _ => return None,
            };
            let mut acc: Option<u64> = None;
            for (v, len) in parts {
                let bytes = B64.decode(v).ok()?;
                if bytes.len() != width {
                    return None;
                }
                let value = bytes.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b));
                acc = Some(match acc {
                    None => value,
                    Some(a) => checksum_combine(crc, a, value, *len),
                });
            }
            let v = acc?;
            Some(if width == 8 {
                B64.encode(v.to_be_bytes())
            } else {
                B64.encode((v as u32).to_be_bytes())
            })
        }
    }
}

/// The multipart ETag: hex MD5 of the concatenated binary part MD5s, then `-N`.
pub fn multipart_etag(part_md5_hex: &[&str]) -> Option<String> {
    let mut h = Md5::new();
    for e in part_md5_hex {
        h.update(hex::decode(e).ok()?);
    }
    Some(format!(
        "{}-{}",
        hex::encode(h.finalize()),
        part_md5_hex.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64_crc32(data: &[u8]) -> String {
        B64.encode((crc_fast::checksum(CrcAlgorithm::Crc32IsoHdlc, data) as u32).to_be_bytes())
    }

    #[test]
    fn full_object_crc_equals_crc_of_concatenation() {
        let a = b"hello ".as_slice();
        let b = b"multipart world".as_slice();
        let whole: Vec<u8> = [a, b].concat();
        let got = combine(
            ChecksumAlgorithm::Crc32,
            ChecksumType::FullObject,
            &[
                (b64_crc32(a), a.len() as u64),
                (b64_crc32(b), b.len() as u64),
            ],
        )
        .unwrap();
        assert_eq!(got, b64_crc32(&whole));
    }

    #[test]
    fn composite_and_etag() {
        let v = combine(
            ChecksumAlgorithm::Sha256,
            ChecksumType::Composite,
            &[(B64.encode([1u8; 32]), 1)],
        )
        .unwrap();
        assert!(v.ends_with("-1"));
        assert_eq!(
            multipart_etag(&["d41d8cd98f00b204e9800998ecf8427e"]).unwrap(),
            format!(
                "{}-1",
                hex::encode(Md5::digest(
                    hex::decode("d41d8cd98f00b204e9800998ecf8427e").unwrap()
                ))
            )
        );
        assert!(multipart_etag(&["zz"]).is_none());
        assert!(combine(
            ChecksumAlgorithm::Crc32,
            ChecksumType::FullObject,
            &[("!".into(), 1)]
        )
        .is_none());
    }
}
