//! tus 1.0.0 resumable uploads (tus.io) under `/_sluice/tus/`, landing as ordinary objects.
//!
//! - **Creation** (`POST /_sluice/tus/{bucket}/{key}`, [`create`]): authenticated like any S3
//!   request (a presigned URL minted with `"method": "TUS"`, whose `x-sluice-*` constraints the
//!   pipeline checks and whose grant use it spends), authorized as a PutObject of the key. It
//!   records a multipart upload plus its tus state (`sluice_store::TusUploadStore`) and answers
//!   `201` with a `Location` that is itself the capability: `/_sluice/tus/u/{token}`, 256
//!   random bits, stored only as a SHA-256.
//! - **The upload** (`HEAD`, `PATCH`, `DELETE` on the `Location`, [`upload`]): no other
//!   credentials. Each PATCH streams into one blob that becomes the next part once durable;
//!   the offset a HEAD reports is the sum of the durable parts. When the last byte arrives
//!   ([`complete`]) the parts are read once through the hashers and committed as the object (MD5
//!   ETag and CRC64NVME as a PUT's, checks, events), in one transaction with the upload's removal.
//! - **Discovery** (`OPTIONS`, [`cors`]): the tus headers, and permissive CORS (the URLs are
//!   bearer capabilities; no cookie or ambient credential is involved).
//!
//! Extensions: `creation`, `creation-with-upload`, `creation-defer-length`, `termination`,
//! `expiration`, `checksum` (sha1, md5, crc32). Unfinished uploads expire with their URL (or
//! grant) and are swept by the `tus-uploads` housekeeping task.

pub mod complete;
pub mod cors;
pub mod create;
pub mod protocol;
pub mod token;
pub mod upload;
pub mod upload_locks;
pub mod write;

/// The protocol version spoken (`Tus-Resumable`, `Tus-Version`).
pub const TUS_VERSION: &str = "1.0.0";
/// The extensions supported (`Tus-Extension`).
pub const TUS_EXTENSIONS: &str =
    "creation,creation-with-upload,creation-defer-length,termination,expiration,checksum";
/// Checksum algorithms accepted in `Upload-Checksum` (`Tus-Checksum-Algorithm`).
pub const TUS_CHECKSUM_ALGORITHMS: &str = "sha1,md5,crc32";
/// Largest upload (`Tus-Max-Size`): S3's 5 TiB object limit.
pub const TUS_MAX_SIZE: u64 = 5 * 1024 * 1024 * 1024 * 1024;
/// The content type of a PATCH body.
pub const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";
/// Path prefix of upload capabilities.
pub const UPLOAD_PATH: &str = "/_sluice/tus/u/";
/// How long an upload created without an expiring URL (header-signed) stays open unfinished.
pub const DEFAULT_EXPIRY_MS: i64 = 24 * 3600 * 1000;

/// Whether a routed request is tus's: a creation, an upload, or another path under
/// `/_sluice/tus/` (the discovery).
pub fn is_tus_endpoint(endpoint: &sluice_s3::Endpoint) -> bool {
    use sluice_s3::Endpoint;
    match endpoint {
        Endpoint::TusCreate { .. } | Endpoint::TusUpload { .. } => true,
        Endpoint::Service { path } => path.starts_with(sluice_s3::route::TUS_PATH),
        _ => false,
    }
}

/// Whether the access log's operation is tus's (its answers get the tus CORS headers).
pub fn is_tus_operation(operation: &str) -> bool {
    matches!(operation, "TusCreate" | "TusUpload" | TUS_OPTIONS)
}

/// The operation name of an OPTIONS under `/_sluice/tus/`.
pub const TUS_OPTIONS: &str = "TusOptions";
