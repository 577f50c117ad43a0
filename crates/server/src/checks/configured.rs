//! Check profiles defined in the configuration file (`[[checks.profiles]]`), validated before
//! the server starts and written to the store at startup (replacing earlier definitions of the
//! same names; the admin API defines more).

use super::profile::{validate_name, CheckProfile};
use sluice_store::CheckProfileRecord;

/// Why a configured profile is refused: (name, what is wrong).
#[derive(Debug, thiserror::Error)]
#[error("check profile {name}: {message}")]
pub struct ConfiguredProfileError {
    /// The profile's name.
    pub name: String,
    /// What is wrong.
    pub message: String,
}

/// The configured profiles as store records. A hook needs its `secret` here: a generated one
/// would change at every start and never be shown.
pub fn records(
    profiles: &[(String, CheckProfile)],
    now_ms: i64,
) -> Result<Vec<CheckProfileRecord>, ConfiguredProfileError> {
    profiles
        .iter()
        .map(|(name, profile)| {
            let refuse = |message: String| ConfiguredProfileError {
                name: name.clone(),
                message,
            };
            validate_name(name).map_err(|e| refuse(e.to_string()))?;
            profile.validate().map_err(|e| refuse(e.to_string()))?;
            if profile.hook.as_ref().is_some_and(|h| h.secret.is_none()) {
                return Err(refuse(
                    "hook.secret is required in the configuration file".into(),
                ));
            }
            Ok(CheckProfileRecord {
                name: name.clone(),
                document: serde_json::to_string(profile).map_err(|e| refuse(e.to_string()))?,
                updated_ms: now_ms,
            })
        })
        .collect()
}
