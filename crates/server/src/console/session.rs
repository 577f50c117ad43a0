//! Console sessions: kept in server memory, named by a random 256-bit id carried in an
//! `HttpOnly; SameSite=Strict` cookie, each with its own CSRF token.

use rand::RngCore;
use std::collections::HashMap;
use std::sync::Mutex;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "sluice_session";
/// Name of the cookie holding the login form's CSRF token (before a session exists).
pub const LOGIN_COOKIE: &str = "sluice_login";
/// How long a session lasts after login.
pub const SESSION_TTL_MS: i64 = 12 * 3600 * 1000;
/// Most sessions kept at once (the oldest are dropped beyond this).
const MAX_SESSIONS: usize = 10_000;

/// A logged-in session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The session id (the cookie's value).
    pub id: String,
    /// The access key the user logged in with.
    pub access_key_id: String,
    /// The token every POST of this session must carry.
    pub csrf: String,
    /// When the session ends (ms since the epoch, server clock).
    pub expires_ms: i64,
}

/// All live sessions.
#[derive(Debug, Default)]
pub struct SessionStore {
    sessions: Mutex<HashMap<String, Session>>,
}

/// 32 random bytes as 64 hex digits.
pub fn random_token() -> String {
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    hex::encode(raw)
}

/// Constant-time equality of two tokens.
pub fn tokens_equal(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl SessionStore {
    /// Starts a session for `access_key_id` at `now_ms`.
    pub fn create(&self, access_key_id: &str, now_ms: i64) -> Session {
        let session = Session {
            id: random_token(),
            access_key_id: access_key_id.to_string(),
            csrf: random_token(),
            expires_ms: now_ms.saturating_add(SESSION_TTL_MS),
        };
        let mut map = self.lock();
        map.retain(|_, s| s.expires_ms > now_ms);
        if map.len() >= MAX_SESSIONS {
            if let Some(oldest) = map
                .values()
                .min_by_key(|s| s.expires_ms)
                .map(|s| s.id.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(session.id.clone(), session.clone());
        session
    }

    /// The live session named `id`, if any (an expired one is removed).
    pub fn get(&self, id: &str, now_ms: i64) -> Option<Session> {
        let mut map = self.lock();
        match map.get(id) {
            Some(s) if s.expires_ms > now_ms => Some(s.clone()),
            Some(_) => {
                map.remove(id);
                None
            }
            None => None,
        }
    }

    /// Ends a session.
    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        // A panic while holding the lock cannot leave the map inconsistent: keep using it.
        self.sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(parts: &'a http::request::Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Path=/ (`max_age` 0 deletes it).
pub fn set_cookie(name: &str, value: &str, max_age_secs: Option<i64>) -> String {
    let mut c = format!("{name}={value}; HttpOnly; SameSite=Strict; Path=/");
    if let Some(age) = max_age_secs {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_expire_and_end() {
        let store = SessionStore::default();
        let s = store.create("AK", 1000);
        assert_eq!(s.id.len(), 64);
        assert_ne!(s.id, s.csrf);
        assert!(store.get(&s.id, 1000 + SESSION_TTL_MS - 1).is_some());
        assert!(store.get(&s.id, 1000 + SESSION_TTL_MS).is_none());
        let t = store.create("AK", 0);
        store.remove(&t.id);
        assert!(store.get(&t.id, 1).is_none());
        assert!(tokens_equal("abc", "abc"));
        assert!(!tokens_equal("abc", "abd"));
        assert!(!tokens_equal("abc", "ab"));
    }
}
