//! Signing-key derivation and a small thread-safe cache of derived keys.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::canonical::SCOPE_TERMINATOR;
use std::fmt;

use sha2::{Digest, Sha256};

use crate::crypto::{hmac_sha256, hmac_sha256_keyed, HmacSha256};

/// Derives the SigV4 signing key:
/// `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub fn derive_signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let mut seed = Vec::with_capacity(secret.len() + 4);
    seed.extend_from_slice(b"AWS4");
    seed.extend_from_slice(secret.as_bytes());
    let k_date = hmac_sha256(&seed, date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, SCOPE_TERMINATOR.as_bytes())
}

/// A bounded, thread-safe cache of derived signing keys, keyed by
/// (secret, `yyyyMMdd`, region, service). Entries are indexed by a SHA-256 of
/// the tuple so secrets are not kept as map keys. When full, an arbitrary entry
/// is evicted (keys roll over daily, so the working set is small).
#[derive(Debug)]
pub struct SigningKeyCache {
    capacity: usize,
    entries: Mutex<HashMap<[u8; 32], CachedKey, DigestHasher>>,
}

/// Map hasher for SHA-256 digests: their first eight bytes are already uniform
/// (and the digests are of server-side secrets, not attacker-chosen), so SipHash
/// adds nothing but time.
#[derive(Debug, Clone, Copy, Default)]
struct DigestHasher;

impl std::hash::BuildHasher for DigestHasher {
    type Hasher = DigestHash;
    fn build_hasher(&self) -> DigestHash {
        DigestHash(0)
    }
}

/// See [`DigestHasher`].
#[derive(Debug, Default)]
struct DigestHash(u64);

impl std::hash::Hasher for DigestHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // `[u8; 32]` hashes as one write of its bytes; fold any others in too.
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(word);
        }
    }
}

/// A derived key with its HMAC pad states precomputed.
#[derive(Clone)]
struct CachedKey {
    key: [u8; 32],
    mac: HmacSha256,
}

impl CachedKey {
    fn new(key: [u8; 32]) -> Self {
        CachedKey {
            key,
            mac: hmac_sha256_keyed(&key),
        }
    }
}

impl fmt::Debug for CachedKey {
    /// As the bare key was shown before the pad states were cached.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.key, f)
    }
}

impl SigningKeyCache {
    /// Creates a cache holding at most `capacity` keys (0 disables caching).
    pub fn new(capacity: usize) -> Self {
        SigningKeyCache {
            capacity,
            entries: Mutex::new(HashMap::with_hasher(DigestHasher)),
        }
    }

    /// Returns the signing key for the tuple, deriving and caching it on a miss.
    pub fn signing_key(&self, secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
        if self.capacity == 0 {
            return derive_signing_key(secret, date, region, service);
        }
        self.cached(secret, date, region, service).key
    }

    /// The signing key and an HMAC keyed with it (cloned from the cache on a hit).
    pub(crate) fn signing_key_mac(
        &self,
        secret: &str,
        date: &str,
        region: &str,
        service: &str,
    ) -> ([u8; 32], HmacSha256) {
        let entry = if self.capacity == 0 {
            CachedKey::new(derive_signing_key(secret, date, region, service))
        } else {
            self.cached(secret, date, region, service)
        };
        (entry.key, entry.mac)
    }

    fn cached(&self, secret: &str, date: &str, region: &str, service: &str) -> CachedKey {
        let id = cache_id(secret, date, region, service);
        {
            let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(entry) = entries.get(&id) {
                return entry.clone();
            }
        }
        let entry = CachedKey::new(derive_signing_key(secret, date, region, service));
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity && !entries.contains_key(&id) {
            if let Some(victim) = entries.keys().next().copied() {
                entries.remove(&victim);
            }
        }
        entries.insert(id, entry.clone());
        entry
    }

    /// Number of cached keys.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// True when no key is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for SigningKeyCache {
    /// A cache of 1024 keys.
    fn default() -> Self {
        SigningKeyCache::new(1024)
    }
}

/// Length-prefixed hash of the tuple, so that no two tuples collide by concatenation.
fn cache_id(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in [secret, date, region, service] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_documented_signing_key() {
        // From AWS's "Deriving a signing key" example (iam, us-east-1, 20150830).
        let key = derive_signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
    }

    #[test]
    fn cache_id_is_hash_of_length_prefixed_concatenation() {
        let mut buf = Vec::new();
        for part in ["secret", "20200101", "us-east-1", "s3"] {
            buf.extend_from_slice(&(part.len() as u64).to_be_bytes());
            buf.extend_from_slice(part.as_bytes());
        }
        assert_eq!(
            cache_id("secret", "20200101", "us-east-1", "s3"),
            crate::crypto::sha256(&buf)
        );
    }

    #[test]
    fn cached_mac_is_keyed_with_the_signing_key() {
        for cache in [SigningKeyCache::new(4), SigningKeyCache::new(0)] {
            for _ in 0..2 {
                let (key, mac) = cache.signing_key_mac("s", "20200101", "r", "s3");
                assert_eq!(key, derive_signing_key("s", "20200101", "r", "s3"));
                assert_eq!(
                    crate::crypto::hmac_sha256_finish(mac, b"sts"),
                    hmac_sha256(&key, b"sts")
                );
            }
        }
    }

    #[test]
    fn cache_is_bounded_and_consistent() {
        let cache = SigningKeyCache::new(2);
        for day in ["20200101", "20200102", "20200103", "20200101"] {
            let got = cache.signing_key("s", day, "r", "s3");
            assert_eq!(got, derive_signing_key("s", day, "r", "s3"));
            assert!(cache.len() <= 2);
        }
        let none = SigningKeyCache::new(0);
        assert_eq!(
            none.signing_key("s", "d", "r", "s3"),
            derive_signing_key("s", "d", "r", "s3")
        );
        assert!(none.is_empty());
    }
}
