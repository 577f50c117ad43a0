//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>): the `webhook-id`,
//! `webhook-timestamp` and `webhook-signature` headers of a delivery, made with a `whsec_` secret.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of a Standard Webhooks secret; the rest is the key, base64.
pub const SECRET_PREFIX: &str = "whsec_";

/// Why a webhook secret is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    /// Not `whsec_` followed by base64.
    #[error("a webhook secret is whsec_ followed by base64 (at least 24 bytes of key)")]
    Malformed,
}

/// A webhook signing key, decoded from its `whsec_...` form.
#[derive(Clone)]
pub struct WebhookSecret(Vec<u8>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

impl WebhookSecret {
    /// Decodes `whsec_<base64>`; the key must be 24 to 64 bytes, as the specification asks.
    pub fn parse(text: &str) -> Result<WebhookSecret, SecretError> {
        let encoded = text
            .strip_prefix(SECRET_PREFIX)
            .ok_or(SecretError::Malformed)?;
        let key = B64.decode(encoded).map_err(|_| SecretError::Malformed)?;
        if !(24..=64).contains(&key.len()) {
            return Err(SecretError::Malformed);
        }
        Ok(WebhookSecret(key))
    }

    /// A new random secret, in its `whsec_` form.
    pub fn generate() -> String {
        use rand::RngCore;
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        format!("{SECRET_PREFIX}{}", B64.encode(key))
    }

    /// The `webhook-signature` header value for a message: `v1,` and the base64 HMAC-SHA256 of
    /// `{id}.{timestamp}.{payload}`.
    pub fn sign(&self, id: &str, timestamp: i64, payload: &[u8]) -> String {
        // Cannot fail: HMAC takes keys of any length (an empty signature would be refused).
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(payload);
        format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_specification_example() {
        // The example of the Standard Webhooks specification (and the svix libraries' tests).
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            secret.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn refuses_malformed_secrets() {
        for bad in [
            "",
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_",
            "whsec_!!!!",
            "whsec_AAAA",
        ] {
            assert_eq!(
                WebhookSecret::parse(bad).unwrap_err(),
                SecretError::Malformed,
                "{bad}"
            );
        }
        assert!(WebhookSecret::parse(&WebhookSecret::generate()).is_ok());
    }
}
