//! Buckets' notification configurations, parsed, kept for a moment: every write of a bucket reads
//! its configuration, and re-reading and re-parsing the stored document for each one would cost
//! every upload. A change made through this server applies at once; one made through another
//! server sharing the store applies within [`TTL`].

use sluice_s3::xml::{parse_notification_configuration, NotificationConfiguration};
use sluice_store::{AccessStore, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a read configuration is used before it is read again.
pub const TTL: Duration = Duration::from_secs(2);

/// Most buckets remembered; beyond, the cache starts over.
const MAX_BUCKETS: usize = 10_000;

type Entry = (Option<Arc<NotificationConfiguration>>, Instant);

/// Parsed notification configurations by bucket.
#[derive(Default)]
pub struct NotificationConfigCache(Mutex<HashMap<String, Entry>>);

impl NotificationConfigCache {
    /// The bucket's configuration (`None`: none set, or the stored one is unreadable).
    pub async fn get(
        &self,
        access: &dyn AccessStore,
        bucket: &str,
    ) -> Result<Option<Arc<NotificationConfiguration>>, StoreError> {
        if let Ok(m) = self.0.lock() {
            if let Some((config, at)) = m.get(bucket) {
                if at.elapsed() < TTL {
                    return Ok(config.clone());
                }
            }
        }
        let config = match access.bucket_notification(bucket).await? {
            None => None,
            Some(doc) => match parse_notification_configuration(doc.as_bytes()) {
                Ok(c) if c.is_empty() => None,
                Ok(c) => Some(Arc::new(c)),
                Err(e) => {
                    tracing::warn!(bucket, error = %e.message, "stored notification configuration unreadable");
                    None
                }
            },
        };
        if let Ok(mut m) = self.0.lock() {
            if m.len() >= MAX_BUCKETS {
                m.clear();
            }
            m.insert(bucket.to_string(), (config.clone(), Instant::now()));
        }
        Ok(config)
    }

    /// Forgets the bucket's configuration (it was just changed).
    pub fn forget(&self, bucket: &str) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(bucket);
        }
    }
}
