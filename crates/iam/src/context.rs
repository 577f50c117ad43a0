//! The condition context: facts about one request, computed by the server.

/// Condition key names Sluice fills in (compare case-insensitively).
pub mod keys {
    /// `REST-HEADER`, `REST-QUERY-STRING` or `POST`.
    pub const AUTH_TYPE: &str = "s3:authType";
    /// Milliseconds between the signature's date and the moment the request arrived.
    pub const SIGNATURE_AGE: &str = "s3:signatureAge";
    /// `AWS4-HMAC-SHA256` or `AWS`.
    pub const SIGNATURE_VERSION: &str = "s3:signatureversion";
    /// The client's IP address as the server saw the connection.
    pub const SOURCE_IP: &str = "aws:SourceIp";
    /// Server time, ISO 8601.
    pub const CURRENT_TIME: &str = "aws:CurrentTime";
    /// Server time, seconds since the epoch.
    pub const EPOCH_TIME: &str = "aws:EpochTime";
    /// `true` for TLS connections.
    pub const SECURE_TRANSPORT: &str = "aws:SecureTransport";
    /// ListObjects `prefix` parameter.
    pub const PREFIX: &str = "s3:prefix";
    /// ListObjects `delimiter` parameter.
    pub const DELIMITER: &str = "s3:delimiter";
    /// ListObjects `max-keys` parameter.
    pub const MAX_KEYS: &str = "s3:max-keys";
    /// The payload hash the signature covered.
    pub const CONTENT_SHA256: &str = "s3:x-amz-content-sha256";
    /// Name of the calling user.
    pub const USERNAME: &str = "aws:username";
    /// `s3:RequestObjectTag/<key>`: the value of a tag the request gives the object.
    pub const REQUEST_OBJECT_TAG_PREFIX: &str = "s3:RequestObjectTag/";
    /// The keys of every tag the request gives the object (multi-valued).
    pub const REQUEST_OBJECT_TAG_KEYS: &str = "s3:RequestObjectTagKeys";
    /// `s3:ExistingObjectTag/<key>`: the value of a tag the object has now.
    pub const EXISTING_OBJECT_TAG_PREFIX: &str = "s3:ExistingObjectTag/";
}

/// Condition key -> values for one request. Keys are matched case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConditionContext {
    entries: Vec<(String, Vec<String>)>,
}

impl ConditionContext {
    /// An empty context.
    pub fn new() -> Self {
        ConditionContext::default()
    }

    /// Sets a single-valued key (replacing an earlier value).
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.set_many(key, vec![value.into()])
    }

    /// Sets a multi-valued key.
    pub fn set_many(&mut self, key: &str, values: Vec<String>) -> &mut Self {
        let lower = key.to_ascii_lowercase();
        match self.entries.iter_mut().find(|(k, _)| *k == lower) {
            Some(entry) => entry.1 = values,
            None => self.entries.push((lower, values)),
        }
        self
    }

    /// The values of a key (`key` must be lowercase), `None` if absent.
    pub(crate) fn get_lower(&self, lower_key: &str) -> Option<&[String]> {
        self.entries
            .iter()
            .find(|(k, _)| k == lower_key)
            .map(|(_, v)| v.as_slice())
    }

    /// The values of a key, matched case-insensitively.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.get_lower(&key.to_ascii_lowercase())
    }
}
