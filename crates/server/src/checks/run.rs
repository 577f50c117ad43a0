//! The checks an upload passes before it is committed: one function, [`verify`], called by every
//! upload path between "bytes stored and hashed" and "metadata committed".

use super::hook::{self, HookVerdict};
use super::profile::{CheckProfile, OnError};
use super::{image, sniff};
use crate::auth::url_constraints::{CHECKS, GRANT, PAYLOAD};
use crate::net::headers::header;
use crate::request_ctx::RequestCtx;
use serde_json::json;
use sluice_s3::S3Error;
use sluice_store::ObjectMeta;

/// How many leading bytes sniffing and image limits read.
pub const HEAD_LEN: u64 = 64 * 1024;

/// The S3 error of a refused upload: 403 `UploadRejected`, naming the check and the reason.
pub fn rejected(profile: &str, check: &str, reason: &str) -> S3Error {
    S3Error::new(
        crate::notify::emit::CHECKS_REJECTED,
        403,
        format!("rejected by {check}: {reason}"),
    )
    .with_detail("Check", check.to_string())
    .with_detail("Profile", profile.to_string())
}

/// The profile a presigned URL names in its signed `x-sluice-checks`, if any.
fn url_profile<'a>(ctx: &'a RequestCtx<'_>) -> Option<&'a str> {
    signed(ctx, CHECKS)
}

fn signed<'a>(ctx: &'a RequestCtx<'_>, name: &str) -> Option<&'a str> {
    let presigned = ctx
        .caller
        .auth
        .as_ref()
        .is_some_and(|a| a.kind.is_presigned());
    presigned.then(|| ctx.query.get(name)).flatten()
}

/// Refuses before the body what can be refused before it: a declared `Content-Type` that a
/// profile with `match_declared` and an allow list can never accept. With
/// `Expect: 100-continue` the client then sends no body.
pub async fn refuse_early(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
    declared: Option<&str>,
) -> Result<(), S3Error> {
    let profiles = profiles_for(ctx, bucket, key).await?;
    for (name, profile) in &profiles {
        if let Some(rules) = &profile.sniff {
            sniff::judge_declared(rules, declared).map_err(|r| rejected(name, "sniff", &r))?;
        }
    }
    Ok(())
}

async fn profiles_for(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
) -> Result<Vec<(String, std::sync::Arc<CheckProfile>)>, S3Error> {
    let url = url_profile(ctx);
    let snapshot = ctx
        .state
        .checks
        .snapshot(&*ctx.state.access)
        .await
        .map_err(crate::ops::lookup::store_err)?;
    let mut out = Vec::new();
    for (name, profile) in snapshot.for_upload(bucket, key, url) {
        match profile {
            Ok(p) => out.push((name, p)),
            Err(reason) => return Err(rejected(&name, "profile", &reason)),
        }
    }
    Ok(out)
}

/// Runs the profiles that apply to `meta` (its bucket's bindings, the URL's `x-sluice-checks`)
/// on its stored, uncommitted bytes. `Ok(None)`: commit `meta` as it is; `Ok(Some(m))`: commit
/// `m` (a hook added metadata); `Err`: refused (403 `UploadRejected`) or the checks could not
/// run. The caller frees the bytes when it gets `Err`.
pub async fn verify(
    ctx: &RequestCtx<'_>,
    meta: &ObjectMeta,
) -> Result<Option<ObjectMeta>, S3Error> {
    let profiles = profiles_for(ctx, &meta.bucket, &meta.key).await?;
    if profiles.is_empty() {
        return Ok(None);
    }
    let verdict = run_profiles(ctx, meta, &profiles).await;
    let check = |e: &S3Error| {
        e.details
            .iter()
            .find(|(name, _)| *name == "Check")
            .map(|(_, check)| match check.as_str() {
                "sniff" => "sniff",
                "image" => "image",
                "hook" => "hook",
                _ => "profile",
            })
            .unwrap_or("error")
    };
    crate::metrics::upload_checked(verdict.as_ref().map_or_else(check, |_| "accepted"));
    verdict
}

/// Runs `profiles` on `meta`'s bytes (see [`verify`]).
async fn run_profiles(
    ctx: &RequestCtx<'_>,
    meta: &ObjectMeta,
    profiles: &[(String, std::sync::Arc<CheckProfile>)],
) -> Result<Option<ObjectMeta>, S3Error> {
    let head = read_head(ctx, meta).await?;
    let sniffed = sniff::sniff(&head);
    let declared = meta.headers.content_type.as_deref();
    for (name, profile) in profiles {
        if let Some(rules) = &profile.sniff {
            sniff::judge(rules, &sniffed, declared).map_err(|r| rejected(name, "sniff", &r))?;
        }
        if let (Some(limits), sniff::ContentKind::Image, Some(mime)) =
            (&profile.image, sniffed.kind, sniffed.mime)
        {
            image::judge(limits, mime, &head).map_err(|r| rejected(name, "image", &r))?;
        }
    }
    let mut added: Vec<(String, String)> = Vec::new();
    let mut adder = "";
    for (name, profile) in profiles {
        let Some(settings) = &profile.hook else {
            continue;
        };
        let pending = ctx
            .state
            .pending_reads
            .register(meta, ctx.state.clock.now_ms());
        let body = hook_body(ctx, name, meta, &sniffed, pending.token());
        let id = format!("chk_{}", pending.token().get(..24).unwrap_or_default());
        let started = std::time::Instant::now();
        let verdict = hook::ask(settings, &id, &body).await;
        drop(pending);
        crate::metrics::check_hook(
            match &verdict {
                Ok(HookVerdict::Allow(_)) => "allow",
                Ok(HookVerdict::Refuse(_)) => "refuse",
                Err(_) => "error",
            },
            started.elapsed().as_secs_f64(),
        );
        tracing::info!(
            target: "sluice::audit",
            profile = name.as_str(),
            bucket = meta.bucket.as_str(),
            key = meta.key.as_str(),
            ms = started.elapsed().as_millis() as u64,
            verdict = ?verdict,
            "check hook answered"
        );
        match verdict {
            Ok(HookVerdict::Allow(metadata)) => {
                if !metadata.is_empty() {
                    adder = name;
                }
                added.extend(metadata);
            }
            Ok(HookVerdict::Refuse(message)) => return Err(rejected(name, "hook", &message)),
            Err(e) => match settings.on_error {
                OnError::Refuse => return Err(rejected(name, "hook", &e.to_string())),
                OnError::Allow => {
                    tracing::warn!(profile = name.as_str(), error = %e, "check hook failed; on_error allows");
                }
            },
        }
    }
    if added.is_empty() {
        return Ok(None);
    }
    let mut m = meta.clone();
    for (k, v) in added {
        match m.user_metadata.iter_mut().find(|(n, _)| *n == k) {
            Some((_, old)) => *old = v,
            None => m.user_metadata.push((k, v)),
        }
    }
    m.user_metadata.sort();
    let total: usize = m.user_metadata.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > crate::net::headers::MAX_USER_METADATA_BYTES {
        // The object could not be stored with it; the hook asked for something S3 refuses.
        return Err(rejected(
            adder,
            "hook",
            &format!(
                "the hook's metadata takes the object's user metadata over {} bytes",
                crate::net::headers::MAX_USER_METADATA_BYTES
            ),
        ));
    }
    Ok(Some(m))
}

/// The object's first [`HEAD_LEN`] bytes (fewer for a smaller object), across its parts.
async fn read_head(ctx: &RequestCtx<'_>, meta: &ObjectMeta) -> Result<Vec<u8>, S3Error> {
    let len = meta.size.min(HEAD_LEN);
    let mut reader =
        crate::body::object_reader::ObjectReader::new(ctx.state.blobs.clone(), meta, 0, len);
    let mut head = Vec::with_capacity(len as usize);
    while let Some(chunk) = reader
        .next_chunk()
        .await
        .map_err(crate::ops::lookup::store_err)?
    {
        head.extend_from_slice(&chunk);
    }
    Ok(head)
}

/// The JSON the hook receives.
fn hook_body(
    ctx: &RequestCtx<'_>,
    profile: &str,
    meta: &ObjectMeta,
    sniffed: &sniff::Sniffed,
    token: &str,
) -> serde_json::Value {
    let scheme = crate::net::tls::s3_scheme(&ctx.state.config);
    let host = header(ctx.parts, "host").unwrap_or("localhost");
    let expires = ctx.state.clock.now_ms() + super::pending::READ_VALIDITY_MS;
    json!({
        "type": "sluice.upload.check",
        "profile": profile,
        "bucket": meta.bucket,
        "key": meta.key,
        "size": meta.size,
        "etag": meta.etag,
        "checksums": serde_json::to_value(&meta.checksums).unwrap_or_default(),
        "content_type": meta.headers.content_type,
        "sniffed_type": sniffed.mime,
        "metadata": meta
            .user_metadata
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect::<serde_json::Map<_, _>>(),
        "signer": ctx.caller.access_key_id().unwrap_or("anonymous"),
        "grant_id": signed(ctx, GRANT),
        "payload": signed(ctx, PAYLOAD),
        "uploader_ip": ctx.remote.ip().to_string(),
        "request_id": crate::net::request_id::of(ctx.parts),
        "pending_url": format!("{scheme}://{host}/_sluice/{}{token}", super::pending::PATH_PREFIX),
        "pending_url_expires": sluice_s3::xml::iso8601_millis(expires),
    })
}
