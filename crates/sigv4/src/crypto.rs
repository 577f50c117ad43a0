//! Small, infallible wrappers over the hash and MAC primitives.

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

/// Block size of SHA-1 and SHA-256, which is also the HMAC key size.
const BLOCK: usize = 64;

/// Pads (or pre-hashes) an HMAC key to one block, exactly as RFC 2104 does
/// internally, so the MAC can be built with the infallible `KeyInit::new`.
fn block_key<D: Digest>(key: &[u8]) -> [u8; BLOCK] {
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        let digest = D::digest(key);
        let n = digest.len().min(BLOCK);
        block[..n].copy_from_slice(&digest[..n]);
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    block
}

/// HMAC-SHA256 of `data` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let block = block_key::<Sha256>(key);
    let mut mac = <Hmac<Sha256> as KeyInit>::new(&block.into());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA256 keyed with a 32-byte key, ready to `update`. Clone it to reuse the
/// key's inner and outer pad states (two compressions) for each new message.
pub(crate) type HmacSha256 = Hmac<Sha256>;

/// An [`HmacSha256`] keyed with `key`.
pub(crate) fn hmac_sha256_keyed(key: &[u8; 32]) -> HmacSha256 {
    <HmacSha256 as KeyInit>::new(&block_key::<Sha256>(key).into())
}

/// HMAC-SHA256 of `data` with a keyed MAC (see [`hmac_sha256_keyed`]).
#[cfg(test)]
pub(crate) fn hmac_sha256_finish(mut mac: HmacSha256, data: &[u8]) -> [u8; 32] {
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA1 of `data` under `key` (SigV2).
pub(crate) fn hmac_sha1(key: &[u8], data: &[u8]) -> [u8; 20] {
    let block = block_key::<Sha1>(key);
    let mut mac = <Hmac<Sha1> as KeyInit>::new(&block.into());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Lowercase hex SHA-256 of `data`.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    let mut out = String::with_capacity(64);
    push_hex(&mut out, &sha256(data));
    out
}

const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// Appends `data` as lowercase hex to `out` (as `hex::encode` spells it).
pub(crate) fn push_hex(out: &mut String, data: &[u8]) {
    out.reserve(data.len() * 2);
    for &byte in data {
        out.push(char::from(HEX_LOWER[usize::from(byte >> 4)]));
        out.push(char::from(HEX_LOWER[usize::from(byte & 0x0f)]));
    }
}

/// Lowercase hex of a 32-byte digest, on the stack.
pub(crate) fn hex32(data: &[u8; 32]) -> [u8; 64] {
    // Arithmetic rather than a table lookup, so the loop compiles to vector operations.
    let digit = |nibble: u8| nibble + b'0' + (9u8.wrapping_sub(nibble) >> 7) * (b'a' - b'0' - 10);
    let mut out = [0u8; 64];
    for (pair, &byte) in out.chunks_exact_mut(2).zip(data) {
        pair[0] = digit(byte >> 4);
        pair[1] = digit(byte & 0x0f);
    }
    out
}

/// Hex SHA-256 of the empty string.
pub(crate) const EMPTY_SHA256_HEX: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Constant-time equality of two byte strings (length is not secret).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // Eight bytes at a time: one constant-time word comparison (and one optimisation
    // barrier) per word instead of per byte; the tail byte by byte.
    let word = |w: &[u8]| u64::from_ne_bytes(w.try_into().unwrap_or_default());
    let (mut a_words, mut b_words) = (a.chunks_exact(8), b.chunks_exact(8));
    let mut equal = Choice::from(1u8);
    for (x, y) in (&mut a_words).zip(&mut b_words) {
        equal &= word(x).ct_eq(&word(y));
    }
    equal &= a_words.remainder().ct_eq(b_words.remainder());
    bool::from(equal)
}

/// Formats bytes like AWS's `StringToSignBytes`: two-digit lowercase hex, space separated.
pub(crate) fn spaced_hex(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 3);
    for (i, byte) in data.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&hex::encode([*byte]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_rfc4231_case_1_and_6() {
        // RFC 4231 test case 1.
        let key = [0x0bu8; 20];
        assert_eq!(
            hex::encode(hmac_sha256(&key, b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        // RFC 4231 test case 6: key longer than a block.
        let key = [0xaau8; 131];
        assert_eq!(
            hex::encode(hmac_sha256(
                &key,
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn keyed_mac_matches_one_shot() {
        let key = [7u8; 32];
        let mac = hmac_sha256_keyed(&key);
        for data in [&b""[..], b"abc", &[1u8; 200]] {
            assert_eq!(
                hmac_sha256_finish(mac.clone(), data),
                hmac_sha256(&key, data)
            );
        }
    }

    #[test]
    fn hmac_sha1_rfc2202() {
        let key = [0x0bu8; 20];
        assert_eq!(
            hex::encode(hmac_sha1(&key, b"Hi There")),
            "b617318655057264e28bc0b6fb378c8ef146be00"
        );
        let key = [0xaau8; 80];
        assert_eq!(
            hex::encode(hmac_sha1(
                &key,
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112"
        );
    }

    #[test]
    fn empty_hash() {
        assert_eq!(sha256_hex(b""), EMPTY_SHA256_HEX);
    }

    #[test]
    fn hex_helpers_match_hex_crate() {
        let data: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(5));
        let mut s = String::new();
        push_hex(&mut s, &data);
        assert_eq!(s, hex::encode(data));
        assert_eq!(&hex32(&data)[..], hex::encode(data).as_bytes());
        // Every byte value, in both nibble positions.
        for start in (0..=255u8).step_by(32) {
            let data: [u8; 32] = std::array::from_fn(|i| start + i as u8);
            assert_eq!(&hex32(&data)[..], hex::encode(data).as_bytes());
        }
    }

    #[test]
    fn ct_eq_matches_eq() {
        let base: Vec<u8> = (0..70u8).collect();
        for len in [0, 1, 7, 8, 9, 16, 63, 64, 65, 70] {
            let a = &base[..len];
            assert!(ct_eq(a, a));
            assert!(!ct_eq(a, &base[..len.saturating_sub(1)]) || len == 0);
            for i in 0..len {
                let mut b = a.to_vec();
                b[i] ^= 0x01;
                assert!(!ct_eq(a, &b), "len {len} byte {i}");
                b[i] ^= 0x81;
                assert!(!ct_eq(a, &b), "len {len} byte {i}");
            }
        }
    }

    #[test]
    fn spaced() {
        assert_eq!(spaced_hex(b"AW\n"), "41 57 0a");
    }
}
