//! The one place the contract tests get their stores from.
//!
//! The backend is chosen by the environment variable `SLUICE_TEST_STORE` (default and, today,
//! only value: `embedded`), and opened through the factory [`sluice_store::open`], so a new
//! backend is checked by the same tests by adding a variant here and setting one variable.
//! Tests of one backend's internals (file layout, SQLite tables, group commit) live in the
//! `embedded_*.rs` files and open the embedded backend themselves.

use std::path::Path;
use std::time::{Duration, SystemTime};

use sluice_store::{BlobRef, StoreConfig, Stores, DEFAULT_INLINE_MAX};

/// The variable that names the backend under test.
pub const BACKEND_VAR: &str = "SLUICE_TEST_STORE";

/// The backends this suite can open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite metadata and local blob files in the test's directory.
    Embedded,
}

/// The backend `SLUICE_TEST_STORE` names; panics (failing the test) on an unknown name.
pub fn backend() -> Backend {
    match std::env::var(BACKEND_VAR) {
        Err(std::env::VarError::NotPresent) => Backend::Embedded,
        Ok(v) if v.is_empty() || v == "embedded" => Backend::Embedded,
        Ok(other) => panic!(
            "{BACKEND_VAR}={other:?} names no store backend this test suite knows \
             (known: \"embedded\", the default)"
        ),
        Err(e) => panic!("{BACKEND_VAR} is not valid UTF-8: {e}"),
    }
}

/// The factory's configuration for the backend under test, its state kept under `dir` (a fresh
/// temp dir per test; opening the same `dir` again reopens the same stores). `inline_max` is
/// the embedded backend's small-blob limit (blobs up to it live in the metadata database); a
/// backend without such a tier ignores it.
pub fn config(dir: &Path, inline_max: usize) -> StoreConfig {
    match backend() {
        Backend::Embedded => StoreConfig::Embedded {
            data_dir: dir.to_path_buf(),
            inline_max,
        },
    }
}

/// Opens the stores of the backend under test on `dir` through [`sluice_store::open`] and
/// empties leftover temp state, as a server does at startup.
pub async fn open(dir: &Path) -> Stores {
    open_with_inline_max(dir, DEFAULT_INLINE_MAX).await
}

/// [`open`] with the embedded backend's small-blob limit set to `inline_max` (0: every blob is
/// a file). Ignored by backends without an inline tier.
pub async fn open_with_inline_max(dir: &Path, inline_max: usize) -> Stores {
    let stores = sluice_store::open(&config(dir, inline_max))
        .await
        .unwrap_or_else(|e| panic!("opening the {:?} store backend: {e}", backend()));
    stores.blobs.clean_temp().await.unwrap();
    stores
}

/// Makes committed blob `id` look written `by` ago to the blob listing the orphan sweep uses
/// (`BlobStore::list_shard_older_than`). Embedded: the blob must be a file (open with
/// `inline_max` 0); its modification time is set back.
pub fn age_blob(dir: &Path, id: &BlobRef, by: Duration) {
    match backend() {
        Backend::Embedded => {
            let path = dir
                .join(sluice_store::BLOBS_DIR)
                .join(&id.0[0..2])
                .join(&id.0);
            let f = std::fs::File::options().write(true).open(path).unwrap();
            f.set_modified(SystemTime::now() - by).unwrap();
        }
    }
}
