//! Share links: self-contained, signed tokens that let anyone upload under one bucket prefix
//! until an expiry, up to a size (and optionally a number of uses).
//!
//! A token is `base64url(JSON payload) "." base64url(HMAC-SHA256(creator's secret, "sluice-share-v1\n" + payload))`.
//! Signing with the creator's secret means the link survives restarts and dies with the key;
//! every use is also re-authorized as the creator at that moment.
//!
//! A link with a use limit is backed by a grant (method [`SHARE_GRANT_METHOD`], id derived
//! from the signed payload: [`UnverifiedToken::grant_id`]), so its uses are counted in the
//! store, atomically across requests, and survive restarts.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Method recorded on the grant behind a share link with a use limit.
pub const SHARE_GRANT_METHOD: &str = "SHARE";

/// Longest token accepted (the payload is small; this bounds parsing work).
const MAX_TOKEN_LEN: usize = 4096;
const DOMAIN: &[u8] = b"sluice-share-v1\n";

/// What a share link allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareLink {
    /// The creator's access key (its secret signs the link).
    #[serde(rename = "ak")]
    pub access_key_id: String,
    /// Bucket uploads go to.
    #[serde(rename = "b")]
    pub bucket: String,
    /// Key prefix of every upload (`prefix + file name`).
    #[serde(rename = "p")]
    pub prefix: String,
    /// End of validity, Unix seconds.
    #[serde(rename = "exp")]
    pub expires_at: i64,
    /// Largest file accepted, bytes.
    #[serde(rename = "max")]
    pub max_size: u64,
    /// Uploads allowed (counted by the grant behind the link), `None` for unlimited.
    #[serde(rename = "uses", default, skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<u64>,
    /// Random nonce so two links with equal fields differ.
    #[serde(rename = "n")]
    pub nonce: String,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShareError {
    /// Not a token this server made, or altered.
    #[error("this upload link is not valid")]
    Invalid,
    /// Past its expiry.
    #[error("this upload link has expired")]
    Expired,
    /// All uses spent.
    #[error("this upload link has been used up")]
    UsedUp,
    /// Its grant was revoked (grants page or API).
    #[error("this upload link has been revoked")]
    Revoked,
}

fn mac(secret: &str, payload_b64: &str) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    m.update(DOMAIN);
    m.update(payload_b64.as_bytes());
    m
}

impl ShareLink {
    /// The signed token.
    pub fn sign(&self, secret: &str) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        let payload = URL_SAFE_NO_PAD.encode(json);
        let sig = URL_SAFE_NO_PAD.encode(mac(secret, &payload).finalize().into_bytes());
        format!("{payload}.{sig}")
    }
}

/// A token split and decoded, its signature not yet checked.
#[derive(Debug, Clone)]
pub struct UnverifiedToken {
    /// The claimed link.
    pub link: ShareLink,
    payload: String,
    sig: Vec<u8>,
}

impl UnverifiedToken {
    /// Splits and decodes a token.
    pub fn parse(token: &str) -> Result<UnverifiedToken, ShareError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(ShareError::Invalid);
        }
        let (payload, sig) = token.split_once('.').ok_or(ShareError::Invalid)?;
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| ShareError::Invalid)?;
        let json = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| ShareError::Invalid)?;
        let link: ShareLink = serde_json::from_slice(&json).map_err(|_| ShareError::Invalid)?;
        Ok(UnverifiedToken {
            link,
            payload: payload.to_string(),
            sig,
        })
    }

    /// Id of the grant that counts this link's uses: derived from the signed payload, so only
    /// a link its creator signed can name it, and two links never share one.
    pub fn grant_id(&self) -> String {
        use sha2::Digest;
        let mut h = Sha256::new();
        h.update(b"sluice-share-grant-v1\n");
        h.update(self.payload.as_bytes());
        hex::encode(&h.finalize()[..16])
    }

    /// Checks the signature with the creator's secret (constant time) and the expiry.
    pub fn verify(self, secret: &str, now_unix: i64) -> Result<ShareLink, ShareError> {
        mac(secret, &self.payload)
            .verify_slice(&self.sig)
            .map_err(|_| ShareError::Invalid)?;
        if now_unix >= self.link.expires_at {
            return Err(ShareError::Expired);
        }
        Ok(self.link)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link() -> ShareLink {
        ShareLink {
            access_key_id: "AK".into(),
            bucket: "b".into(),
            prefix: "in/".into(),
            expires_at: 100,
            max_size: 10,
            max_uses: Some(1),
            nonce: "n1".into(),
        }
    }

    #[test]
    fn signs_verifies_and_refuses_tampering() {
        let token = link().sign("secret");
        let ok = UnverifiedToken::parse(&token).unwrap();
        assert_eq!(ok.clone().verify("secret", 99).unwrap(), link());
        assert_eq!(ok.clone().verify("other", 99), Err(ShareError::Invalid));
        assert_eq!(ok.verify("secret", 100), Err(ShareError::Expired));
        let (payload, sig) = token.split_once('.').unwrap();
        let mut forged = link();
        forged.max_size = 1 << 40;
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        let t = UnverifiedToken::parse(&format!("{forged_payload}.{sig}")).unwrap();
        assert_eq!(t.verify("secret", 0), Err(ShareError::Invalid));
        for bad in ["", "x", "a.b", payload, &format!("{payload}.{sig}x")] {
            let r = UnverifiedToken::parse(bad).and_then(|t| t.verify("secret", 0));
            assert_eq!(r, Err(ShareError::Invalid), "{bad}");
        }
        let a = UnverifiedToken::parse(&token).unwrap().grant_id();
        assert_eq!(a, UnverifiedToken::parse(&token).unwrap().grant_id());
        assert_eq!(a.len(), 32);
        let mut more = link();
        more.max_uses = Some(2);
        assert_ne!(
            a,
            UnverifiedToken::parse(&more.sign("secret"))
                .unwrap()
                .grant_id()
        );
    }
}
