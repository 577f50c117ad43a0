//! Signing-key derivation and a small thread-safe cache of derived keys.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Mutex;

use crate::canonical::SCOPE_TERMINATOR;
use std::fmt;

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
/// (secret, `yyyyMMdd`, region, service). Entries are indexed by the secret itself
/// (a changed secret misses; the caller holds the secrets anyway, and hashing them
/// with SHA-256 cost 4 % of a verification), then matched on the scope exactly. When full, an arbitrary entry is evicted (keys roll over daily, so the
/// working set is small).
#[derive(Debug)]
pub struct SigningKeyCache {
    capacity: usize,
    entries: Mutex<Entries>,
}

/// The cached keys by secret, then by scope.
#[derive(Default)]
struct Entries {
    by_secret: HashMap<Box<str>, Vec<CachedKey>, BuildHasherDefault<SecretHasher>>,
    /// Number of keys across all secrets.
    len: usize,
}

/// A plain multiply-and-rotate hash of the secrets the cache is indexed by, a tenth of
/// SipHash's cost on a 40-byte secret. The keys are the server's own secrets, never
/// chosen by a client, so flooding the map with colliding keys is not a concern.
#[derive(Default)]
struct SecretHasher(u64);

impl Hasher for SecretHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            self.0 = (self.0.rotate_left(23) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        let mut tail = [0u8; 8];
        let rest = words.remainder();
        tail[..rest.len()].copy_from_slice(rest);
        self.0 = (self.0.rotate_left(23) ^ u64::from_le_bytes(tail) ^ (bytes.len() as u64))
            .wrapping_mul(K);
    }

    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
}

impl fmt::Debug for Entries {
    /// Counts only: the map's keys are secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entries")
            .field("secrets", &self.by_secret.len())
            .field("len", &self.len)
            .finish()
    }
}

/// A derived key with its HMAC pad states precomputed, and the scope it is for.
struct CachedKey {
    date: Box<str>,
    region: Box<str>,
    service: Box<str>,
    key: [u8; 32],
    mac: HmacSha256,
}

impl CachedKey {
    fn is_for(&self, date: &str, region: &str, service: &str) -> bool {
        *self.date == *date && *self.region == *region && *self.service == *service
    }
}

impl fmt::Debug for CachedKey {
    /// The scope and the key (as the bare key was shown before).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}: ", self.date, self.region, self.service)?;
        fmt::Debug::fmt(&self.key, f)
    }
}

impl SigningKeyCache {
    /// Creates a cache holding at most `capacity` keys (0 disables caching).
    pub fn new(capacity: usize) -> Self {
        SigningKeyCache {
            capacity,
            entries: Mutex::new(Entries::default()),
        }
    }

    /// Returns the signing key for the tuple, deriving and caching it on a miss.
    pub fn signing_key(&self, secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
        if self.capacity == 0 {
            return derive_signing_key(secret, date, region, service);
        }
        self.cached(secret, date, region, service).0
    }

    /// The signing key and an HMAC keyed with it (cloned from the cache on a hit).
    pub(crate) fn signing_key_mac(
        &self,
        secret: &str,
        date: &str,
        region: &str,
        service: &str,
    ) -> ([u8; 32], HmacSha256) {
        if self.capacity == 0 {
            let key = derive_signing_key(secret, date, region, service);
            return (key, hmac_sha256_keyed(&key));
        }
        self.cached(secret, date, region, service)
    }

    fn cached(
        &self,
        secret: &str,
        date: &str,
        region: &str,
        service: &str,
    ) -> ([u8; 32], HmacSha256) {
        let find = |entries: &Entries| {
            entries
                .by_secret
                .get(secret)
                .and_then(|keys| keys.iter().find(|k| k.is_for(date, region, service)))
                .map(|k| (k.key, k.mac.clone()))
        };
        if let Some(hit) = find(&self.entries.lock().unwrap_or_else(|e| e.into_inner())) {
            return hit;
        }
        let key = derive_signing_key(secret, date, region, service);
        let mac = hmac_sha256_keyed(&key);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // Another thread may have cached it meanwhile.
        if find(&entries).is_none() {
            if entries.len >= self.capacity {
                entries.evict_one();
            }
            entries
                .by_secret
                .entry(secret.into())
                .or_default()
                .push(CachedKey {
                    date: date.into(),
                    region: region.into(),
                    service: service.into(),
                    key,
                    mac: mac.clone(),
                });
            entries.len += 1;
        }
        (key, mac)
    }

    /// Number of cached keys.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len
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

impl Entries {
    /// Drops an arbitrary cached key.
    fn evict_one(&mut self) {
        let Some(victim) = self.by_secret.keys().next().cloned() else {
            return;
        };
        if let Some(keys) = self.by_secret.get_mut(&victim) {
            keys.pop();
            self.len = self.len.saturating_sub(1);
            if keys.is_empty() {
                self.by_secret.remove(&victim);
            }
        }
    }
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
    fn debug_output_shows_no_secret() {
        let cache = SigningKeyCache::new(4);
        cache.signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20200101",
            "r",
            "s3",
        );
        let shown = format!("{cache:?}");
        assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
        assert!(shown.contains("len: 1"), "{shown}");
    }

    #[test]
    fn cache_tells_secrets_and_scopes_apart() {
        let cache = SigningKeyCache::new(16);
        let tuples = [
            ("s", "20200101", "r", "s3"),
            ("t", "20200101", "r", "s3"),
            ("s", "20200102", "r", "s3"),
            ("s", "20200101", "q", "s3"),
            ("s", "20200101", "r", "iam"),
            // Same concatenation as neighbours, other split.
            ("s", "20200101", "rs", "3"),
            ("ss", "20200101", "r", "s3"),
        ];
        for _ in 0..2 {
            for (secret, date, region, service) in tuples {
                let (key, _) = cache.signing_key_mac(secret, date, region, service);
                assert_eq!(key, derive_signing_key(secret, date, region, service));
            }
            assert_eq!(cache.len(), tuples.len());
        }
    }

    #[test]
    fn eviction_keeps_len_and_contents_consistent() {
        let cache = SigningKeyCache::new(3);
        for round in 0..3 {
            for secret in ["a", "b", "c", "d", "e"] {
                for day in ["20200101", "20200102"] {
                    let (key, _) = cache.signing_key_mac(secret, day, "r", "s3");
                    assert_eq!(key, derive_signing_key(secret, day, "r", "s3"), "{round}");
                    let entries = cache.entries.lock().unwrap();
                    let counted: usize = entries.by_secret.values().map(Vec::len).sum();
                    assert_eq!(entries.len, counted);
                    assert!(entries.len <= 3);
                    assert!(entries.by_secret.values().all(|v| !v.is_empty()));
                }
            }
        }
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
