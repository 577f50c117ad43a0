//! `POST /_sluice/v1/presign`: mint presigned URLs (single requests or a whole multipart upload)
//! signed with the caller's own key, so the caller's permissions govern their use.

use super::json_error::ApiError;
use super::presign_constraints::{ConstraintFields, MintConstraints};
use crate::auth::authz::require_allowed;
use crate::auth::url_constraints::{GRANT, GRANT_EXPIRES, UPLOAD_SIZE_RANGE};
use crate::body::body_in::BodyReader;
use crate::net::response::{self, ResponseBody};
use crate::ops::lookup::require_bucket;
use crate::ops::multipart::create::{create_upload, UploadSettings};
use crate::ops::multipart::{MAX_PART_NUMBER, MAX_PART_SIZE, MIN_PART_SIZE};
use crate::request_ctx::RequestCtx;

/// The `method` recorded for the grant of a multipart bundle.
pub const MULTIPART_GRANT_METHOD: &str = "MULTIPART";
use http::Response;
use serde::Deserialize;
use serde_json::{json, Value};
use sluice_s3::bucket_name::is_routable_bucket_name;
use sluice_s3::route::MAX_KEY_BYTES;
use sluice_sigv4::{encode_object_path, presign_v4, AuthKind, Credentials, PresignRequest};
use sluice_store::StandardHeaders;
use time::format_description::well_known::Rfc3339;

/// Largest request body.
const MAX_BODY: usize = 64 * 1024;
/// Default validity when `expires_in` is omitted.
const DEFAULT_EXPIRES: u64 = 3600;
/// Longest validity SigV4 allows.
const MAX_EXPIRES: u64 = 604_800;

/// The mint request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MintRequest {
    /// PUT, GET, HEAD, DELETE, POST (a form) or TUS (a tus creation URL).
    pub method: String,
    /// Bucket.
    pub bucket: String,
    /// Key.
    pub key: String,
    /// Seconds of validity (1..=604800, default 3600; with `max_uses` up to `max_grant_days`).
    pub expires_in: Option<u64>,
    /// Content-Type the upload must send (signed into the URL).
    pub content_type: Option<String>,
    /// Presign a whole multipart upload instead of one request.
    pub multipart: Option<MultipartSpec>,
    /// `[min, max]` body size in bytes (PUT; for multipart: the whole upload, enforced per part
    /// as it arrives and at completion).
    pub content_length_range: Option<Value>,
    /// RFC 3339 instant before which the URLs are refused.
    pub not_before: Option<Value>,
    /// CIDRs the client address must be in.
    pub source_ip: Option<Value>,
    /// Successful uses allowed (creates a server-side grant; for a multipart bundle, one grant
    /// covers every URL and each successful completion spends a use).
    pub max_uses: Option<Value>,
    /// POST forms: further policy conditions (objects or lists), added as given.
    pub conditions: Option<Vec<Value>>,
    /// POST forms: allow any key starting with this prefix instead of exactly `key`.
    pub key_starts_with: Option<String>,
    /// A receipt: `{"target": ID, "payload": "..."}`; writes through the URLs emit their event to
    /// that notification target, carrying the payload (at most 1 KiB).
    pub notify: Option<Value>,
    /// A check profile every upload through the URLs must pass (in addition to the bucket's):
    /// signed into them as `x-sluice-checks`; the profile must exist.
    pub checks: Option<Value>,
    /// PUT: tags the uploaded object gets, `{"k": "v"}` or `"k=v&k2=v2"` (signed into the URL
    /// as `x-amz-tagging`; a multipart bundle's upload keeps them). See `presign_tagging`.
    #[serde(default)]
    pub tagging: Option<Value>,
}

/// How to split a multipart upload.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultipartSpec {
    /// Number of parts.
    pub parts: Option<u32>,
    /// Total size in bytes (with `part_size`).
    pub size: Option<u64>,
    /// Part size in bytes (default 8 MiB when `size` is given).
    pub part_size: Option<u64>,
    /// Resume this open upload instead of creating one: URLs for the parts not yet uploaded
    /// (of the `parts` / `size` plan when given, else the gaps and the next part).
    pub upload_id: Option<String>,
}

/// A planned part: number and, when sizes are known, its byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedPart {
    /// Part number.
    pub number: u32,
    /// (offset, size) when the total size is known.
    pub range: Option<(u64, u64)>,
}

/// Turns a multipart spec into the list of parts.
pub fn plan_parts(spec: &MultipartSpec) -> Result<Vec<PlannedPart>, ApiError> {
    match (spec.parts, spec.size) {
        (Some(_), Some(_)) => Err(ApiError::bad_field(
            "multipart",
            "give either parts or size, not both",
        )),
        (None, None) => Err(ApiError::bad_field("multipart", "give parts or size")),
        (Some(n), None) => {
            if spec.part_size.is_some() {
                return Err(ApiError::bad_field(
                    "multipart.part_size",
                    "only used with multipart.size",
                ));
            }
            if !(1..=MAX_PART_NUMBER).contains(&n) {
                return Err(ApiError::bad_field(
                    "multipart.parts",
                    format!("must be between 1 and {MAX_PART_NUMBER}"),
                ));
            }
            Ok((1..=n)
                .map(|number| PlannedPart {
                    number,
                    range: None,
                })
                .collect())
        }
        (None, Some(size)) => {
            let part_size = spec.part_size.unwrap_or(8 * 1024 * 1024);
            if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&part_size) {
                return Err(ApiError::bad_field(
                    "multipart.part_size",
                    format!("must be between {MIN_PART_SIZE} and {MAX_PART_SIZE} bytes"),
                ));
            }
            if size == 0 {
                return Err(ApiError::bad_field(
                    "multipart.size",
                    "must be at least 1 byte",
                ));
            }
            let n = size.div_ceil(part_size);
            if n > u64::from(MAX_PART_NUMBER) {
                return Err(ApiError::bad_field(
                    "multipart.size",
                    format!("needs {n} parts of {part_size} bytes; at most {MAX_PART_NUMBER} are allowed (raise part_size)"),
                ));
            }
            Ok((0..n)
                .map(|i| {
                    let offset = i * part_size;
                    PlannedPart {
                        number: i as u32 + 1,
                        range: Some((offset, part_size.min(size - offset))),
                    }
                })
                .collect())
        }
    }
}

fn action_for(method: &str) -> Option<&'static str> {
    match method {
        "PUT" => Some("s3:PutObject"),
        "GET" | "HEAD" => Some("s3:GetObject"),
        "DELETE" => Some("s3:DeleteObject"),
        _ => None,
    }
}

/// The signer: the caller's own key.
fn caller_credentials(ctx: &RequestCtx<'_>) -> Result<Credentials, ApiError> {
    let auth = ctx
        .caller
        .auth
        .as_ref()
        .ok_or_else(|| ApiError::forbidden("the presign API needs a SigV4-signed request"))?;
    if auth.kind != AuthKind::HeaderV4 {
        return Err(ApiError::forbidden(
            "the presign API accepts SigV4 header authentication only (not a presigned URL or SigV2)",
        ));
    }
    let secret = ctx
        .caller
        .signing_secret()
        .ok_or_else(|| ApiError::forbidden("the signing key is no longer valid"))?;
    Ok(Credentials {
        access_key_id: auth.access_key_id.clone(),
        secret_access_key: secret.to_string(),
        session_token: auth.security_token.clone(),
    })
}

/// Signs the URLs of one mint.
pub(super) struct Signer<'a> {
    pub(super) creds: Credentials,
    scheme: &'static str,
    host: String,
    region: &'a str,
    now: time::OffsetDateTime,
    expires_in: u64,
    /// The (encoded) path the URLs name.
    pub(super) path: String,
}

impl<'a> Signer<'a> {
    /// Stage 5: signs with `creds` for the S3 endpoint `host`, the object of `req`, from `now`.
    fn new(
        ctx: &'a RequestCtx<'_>,
        creds: Credentials,
        host: &str,
        req: &MintRequest,
        now: time::OffsetDateTime,
        expires_in: u64,
    ) -> Self {
        Signer {
            creds,
            scheme: crate::net::public_url::scheme_for(
                &ctx.state.config,
                ctx.parts,
                ctx.remote.ip(),
                host,
            ),
            host: host.to_string(),
            region: &ctx.state.config.region,
            now,
            // Longer grant URLs carry their expiry in `x-sluice-grant-expires`.
            expires_in: expires_in.min(MAX_EXPIRES),
            path: encode_object_path(&req.bucket, &req.key),
        }
    }

    /// A presigned URL for `method` with `query` and the signed `headers`.
    pub(super) fn url(
        &self,
        method: &str,
        query: &[(String, String)],
        headers: &[(String, String)],
    ) -> String {
        let q = presign_v4(
            &self.creds,
            &PresignRequest {
                method,
                host: &self.host,
                raw_path: &self.path,
                query,
                headers,
                region: self.region,
                service: "s3",
                datetime: self.now,
                expires_in: self.expires_in,
            },
        );
        format!("{}://{}{}?{q}", self.scheme, self.host, self.path)
    }
}

/// `POST /_sluice/v1/presign`
pub async fn mint(
    ctx: &RequestCtx<'_>,
    body: &mut BodyReader,
) -> Result<Response<ResponseBody>, ApiError> {
    let creds = caller_credentials(ctx)?;
    let raw = body.read_to_end(MAX_BODY).await?;
    let req: MintRequest = serde_json::from_slice(&raw)
        .map_err(|e| ApiError::bad_json(format!("request body: {e}")))?;
    let host =
        crate::net::public_url::minting_base(&ctx.state.config, ctx.parts, ctx.remote.ip()).host;
    let out = mint_urls(ctx, creds, &host, &req).await?;
    Ok(response::json(200, &out))
}

/// Validates a mint request and signs its URL (or multipart bundle) with `creds` for the S3
/// endpoint `host` (`host[:port]`), refusing what the caller may not do. Returns the JSON
/// answer of the mint API. Shared by the mint API and the web console.
///
/// The stages, in order: 1 the action the method needs, 2 the target fields (POST forms leave
/// here), 3 the limits on the URLs, 4 authorization, 5 the signer, 6 the grant and the URLs.
pub async fn mint_urls(
    ctx: &RequestCtx<'_>,
    creds: Credentials,
    host: &str,
    req: &MintRequest,
) -> Result<Value, ApiError> {
    let method = req.method.to_ascii_uppercase();
    let action = action_of(&method)?;
    let max_grant_secs = u64::from(ctx.state.config.max_grant_days).saturating_mul(86_400);
    let expires_in = check_target(req, &method, max_grant_secs)?;
    if method == "POST" {
        return super::presign_post::mint_post(ctx, req, creds, host, expires_in).await;
    }
    let now = ctx.state.clock.now();
    let limits = parse_limits(req, &method, now, expires_in)?;
    let tags = super::presign_tagging::mint_tags(req, &method)?;
    authorize(ctx, action, req).await?;
    super::presign_tagging::authorize_tags(ctx, req, tags.as_ref()).await?;
    check_notify_target(ctx, &limits.constraints).await?;
    check_profile_exists(ctx, &limits.constraints).await?;
    let expiry = Expiry::after(now, expires_in);
    let mut signer = Signer::new(ctx, creds, host, req, now, expires_in);
    if method == "TUS" {
        if limits.plan.is_some() {
            return Err(ApiError::bad_field("multipart", "does not apply to TUS"));
        }
        signer.path = format!("/_sluice/tus{}", signer.path);
        return super::presign_tus::mint_tus(ctx, &signer, req, &limits, &expiry).await;
    }
    match &limits.plan {
        None => {
            let tagging = super::presign_tagging::tagging_param(tags.as_ref());
            mint_single(ctx, &signer, req, &method, &limits, &expiry, tagging).await
        }
        Some(parts) => {
            let tags = tags.unwrap_or_default();
            mint_bundle(ctx, &signer, req, parts, &limits, &expiry, tags).await
        }
    }
}

/// Stage 4: a receipt must name a notification target that exists.
async fn check_notify_target(
    ctx: &RequestCtx<'_>,
    constraints: &MintConstraints,
) -> Result<(), ApiError> {
    let Some(target) = &constraints.notify else {
        return Ok(());
    };
    if crate::notify::feed::is_feed(target) {
        return Ok(());
    }
    match ctx.state.access.get_target(target).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(ApiError::bad_field(
            "notify",
            format!("no such notification target: {target}"),
        )),
        Err(e) => Err(ApiError::from(crate::ops::lookup::store_err(e))),
    }
}

/// Stage 4: a URL's check profile must exist.
async fn check_profile_exists(
    ctx: &RequestCtx<'_>,
    constraints: &MintConstraints,
) -> Result<(), ApiError> {
    let Some(name) = &constraints.checks else {
        return Ok(());
    };
    match ctx.state.access.get_check_profile(name).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(ApiError::bad_field(
            "checks",
            format!("no such check profile: {name}"),
        )),
        Err(e) => Err(ApiError::from(crate::ops::lookup::store_err(e))),
    }
}

/// Stage 1: the IAM action a URL for `method` (already upper-case) needs.
fn action_of(method: &str) -> Result<&'static str, ApiError> {
    match action_for(method) {
        Some(a) => Ok(a),
        None if method == "POST" || method == "TUS" => Ok("s3:PutObject"),
        None => Err(ApiError::bad_field(
            "method",
            "must be PUT, POST, TUS, GET, HEAD or DELETE",
        )),
    }
}

/// Stage 2: checks bucket, key, validity and Content-Type; returns the validity in seconds.
/// With `max_uses`, the validity may reach `max_grant_secs` (`max_grant_days`).
fn check_target(req: &MintRequest, method: &str, max_grant_secs: u64) -> Result<u64, ApiError> {
    if !is_routable_bucket_name(&req.bucket) {
        return Err(ApiError::bad_field("bucket", "is not a valid bucket name"));
    }
    if req.key.is_empty() || req.key.len() > MAX_KEY_BYTES {
        return Err(ApiError::bad_field(
            "key",
            format!("must be 1 to {MAX_KEY_BYTES} bytes"),
        ));
    }
    let expires_in = req.expires_in.unwrap_or(DEFAULT_EXPIRES);
    let max = if req.max_uses.is_some() {
        max_grant_secs.max(MAX_EXPIRES)
    } else {
        MAX_EXPIRES
    };
    if !(1..=max).contains(&expires_in) {
        let days = max_grant_secs / 86_400;
        return Err(ApiError::bad_field(
            "expires_in",
            format!(
                "must be between 1 and {max} seconds ({MAX_EXPIRES} without max_uses, {days} days with it)"
            ),
        ));
    }
    if let Some(ct) = &req.content_type {
        if ct.is_empty() || http::HeaderValue::from_str(ct).is_err() {
            return Err(ApiError::bad_field(
                "content_type",
                "is not a valid header value",
            ));
        }
        if method != "PUT" && method != "POST" && method != "TUS" {
            return Err(ApiError::bad_field(
                "content_type",
                "only applies to PUT, POST and TUS",
            ));
        }
    }
    Ok(expires_in)
}

/// What the URLs of a (non-POST) mint are limited to.
pub(super) struct Limits {
    /// URL constraints (size range, not-before, source networks).
    pub(super) constraints: MintConstraints,
    /// Uses allowed, when a grant is asked for.
    pub(super) max_uses: Option<u64>,
    /// The parts of a multipart bundle; `None` for a single URL.
    pub(super) plan: Option<Vec<PlannedPart>>,
}

/// Stage 3: parses the URL constraints, `max_uses` and the multipart plan of a non-POST mint.
fn parse_limits(
    req: &MintRequest,
    method: &str,
    now: time::OffsetDateTime,
    expires_in: u64,
) -> Result<Limits, ApiError> {
    if req.conditions.is_some() || req.key_starts_with.is_some() {
        return Err(ApiError::bad_field(
            "conditions",
            "conditions and key_starts_with only apply to POST forms",
        ));
    }
    let constraints = MintConstraints::parse(
        ConstraintFields {
            content_length_range: req.content_length_range.as_ref(),
            not_before: req.not_before.as_ref(),
            source_ip: req.source_ip.as_ref(),
            notify: req.notify.as_ref(),
            checks: req.checks.as_ref(),
        },
        method,
        now,
        expires_in,
    )?;
    let max_uses = req
        .max_uses
        .as_ref()
        .map(super::grants::parse_max_uses)
        .transpose()?;
    let plan = match &req.multipart {
        Some(spec) => Some(plan_bundle(spec, method, &constraints)?),
        None => None,
    };
    Ok(Limits {
        constraints,
        max_uses,
        plan,
    })
}

/// Stage 3 (multipart): checks the spec against the method and size range, and plans parts.
fn plan_bundle(
    spec: &MultipartSpec,
    method: &str,
    constraints: &MintConstraints,
) -> Result<Vec<PlannedPart>, ApiError> {
    if method != "PUT" {
        return Err(ApiError::bad_field("multipart", "only applies to PUT"));
    }
    if spec.upload_id.is_some() && spec.parts.is_none() && spec.size.is_none() {
        // Resuming without a plan: the parts to sign follow from those uploaded.
        return Ok(Vec::new());
    }
    if let (Some(total), Some(range)) = (spec.size, constraints.size) {
        if !(range.min..=range.max).contains(&total) {
            return Err(ApiError::bad_field(
                "multipart.size",
                "is outside content_length_range",
            ));
        }
    }
    plan_parts(spec)
}

/// Stage 4: the caller may do `action` on the key, and the bucket exists.
async fn authorize(ctx: &RequestCtx<'_>, action: &str, req: &MintRequest) -> Result<(), ApiError> {
    require_allowed(ctx, action, Some(&req.bucket), Some(&req.key))
        .await
        .map_err(|_| {
            ApiError::forbidden(format!(
                "you may not {action} on {}/{}, so you may not mint a URL for it",
                req.bucket, req.key
            ))
        })?;
    require_bucket(ctx, &req.bucket).await?;
    Ok(())
}

/// When the minted URLs expire, as the answer shows it and as a grant stores it.
pub(super) struct Expiry {
    /// RFC 3339.
    pub(super) at: String,
    /// Unix milliseconds.
    pub(super) ms: i64,
    /// Later than SigV4's 7 days: the grant's URLs carry it in `x-sluice-grant-expires`.
    pub(super) long: bool,
}

impl Expiry {
    /// `expires_in` seconds after `now`.
    fn after(now: time::OffsetDateTime, expires_in: u64) -> Self {
        let expiry = now + time::Duration::seconds(expires_in as i64);
        Expiry {
            at: expiry.format(&Rfc3339).unwrap_or_default(),
            ms: (expiry.unix_timestamp_nanos() / 1_000_000) as i64,
            long: expires_in > MAX_EXPIRES,
        }
    }
}

/// Stage 6 (when `max_uses` is given): stores the grant the URLs carry; returns its id.
pub(super) async fn create_grant(
    ctx: &RequestCtx<'_>,
    signer: &Signer<'_>,
    req: &MintRequest,
    grant_method: &str,
    limits: &Limits,
    expiry: &Expiry,
) -> Result<Option<String>, ApiError> {
    let Some(n) = limits.max_uses else {
        return Ok(None);
    };
    let id = super::grants::create(
        ctx,
        super::grants::NewGrant {
            access_key_id: &signer.creds.access_key_id,
            bucket: &req.bucket,
            key: &req.key,
            method: grant_method,
            max_uses: n,
            expires_ms: expiry.ms,
            notify: limits.constraints.notify.as_deref(),
            payload: limits.constraints.payload.as_deref(),
        },
    )
    .await?;
    Ok(Some(id))
}

/// Stage 6 (single URL): grants it if asked, signs it, and builds the answer.
async fn mint_single(
    ctx: &RequestCtx<'_>,
    signer: &Signer<'_>,
    req: &MintRequest,
    method: &str,
    limits: &Limits,
    expiry: &Expiry,
    tagging: Option<(String, String)>,
) -> Result<Value, ApiError> {
    let constraints = &limits.constraints;
    let mut query = constraints.query(constraints.size, req.content_type.as_deref());
    query.extend(tagging);
    let grant_id = create_grant(ctx, signer, req, method, limits, expiry).await?;
    if let Some(id) = &grant_id {
        query.push((GRANT.to_string(), id.clone()));
        if expiry.long {
            query.push((GRANT_EXPIRES.to_string(), expiry.at.clone()));
        }
    }
    let signed_headers: Vec<(String, String)> = req
        .content_type
        .iter()
        .map(|t| ("content-type".to_string(), t.clone()))
        .collect();
    let headers: serde_json::Map<String, Value> = signed_headers
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let mut out = json!({
        "url": signer.url(method, &query, &signed_headers),
        "method": method,
        "headers": headers,
        "expires_at": expiry.at,
    });
    if let Some(id) = grant_id {
        out["id"] = json!(id);
    }
    Ok(out)
}

/// Stage 6 (multipart): creates the upload and its grant, signs every URL, builds the answer.
async fn mint_bundle(
    ctx: &RequestCtx<'_>,
    signer: &Signer<'_>,
    req: &MintRequest,
    parts: &[PlannedPart],
    limits: &Limits,
    expiry: &Expiry,
    tags: Vec<(String, String)>,
) -> Result<Value, ApiError> {
    let headers = StandardHeaders {
        content_type: req.content_type.clone(),
        ..Default::default()
    };
    let resume = req.multipart.as_ref().and_then(|m| m.upload_id.as_deref());
    let (upload_id, parts, uploaded) = match resume {
        Some(id) => {
            let done =
                super::presign_resume::uploaded_parts(ctx, &req.bucket, &req.key, id).await?;
            let todo = super::presign_resume::remaining(parts, &done);
            (id.to_string(), todo, Some(done))
        }
        None => {
            let settings = UploadSettings {
                headers,
                tags,
                ..Default::default()
            };
            let upload = create_upload(ctx, &req.bucket, &req.key, settings).await?;
            (upload.upload_id, parts.to_vec(), None)
        }
    };
    // One grant covers the whole bundle: any of its URLs dies when it is revoked, and a
    // successful CompleteMultipartUpload spends a use (see `grant_use`).
    let grant_id = create_grant(ctx, signer, req, MULTIPART_GRANT_METHOD, limits, expiry).await?;
    let query = BundleQuery {
        upload_id: &upload_id,
        constraints: &limits.constraints,
        grant_id: grant_id.as_deref(),
        grant_expires: expiry.long.then_some(expiry.at.as_str()),
    };
    let mut out = json!({
            "upload_id": upload_id,
            "bucket": req.bucket,
            "key": req.key,
            "parts": sign_parts(signer, &query, &parts),
            "complete_url": signer.url("POST", &query.build(None), &[]),
            "abort_url": signer.url("DELETE", &query.build(None), &[]),
            "list_parts_url": signer.url("GET", &query.build(None), &[]),
            "expires_at": expiry.at,
    });
    if let Some(g) = grant_id {
        out["id"] = json!(g);
    }
    if let Some(done) = uploaded {
        out["uploaded_parts"] = done.iter().map(|p| p.to_json()).collect();
    }
    Ok(out)
}

/// The query every URL of a multipart bundle carries.
struct BundleQuery<'a> {
    upload_id: &'a str,
    constraints: &'a MintConstraints,
    grant_id: Option<&'a str>,
    /// `x-sluice-grant-expires` of a grant bundle living longer than 7 days.
    grant_expires: Option<&'a str>,
}

impl BundleQuery<'_> {
    /// The query of the URL for `part_number`, or of the upload itself when `None`.
    fn build(&self, part_number: Option<u32>) -> Vec<(String, String)> {
        let mut q: Vec<(String, String)> = part_number
            .map(|n| ("partNumber".to_string(), n.to_string()))
            .into_iter()
            .collect();
        q.push(("uploadId".to_string(), self.upload_id.to_string()));
        let size = part_number.and(self.constraints.part_size());
        q.extend(self.constraints.query(size, None));
        if let Some(r) = self.constraints.size {
            q.push((
                UPLOAD_SIZE_RANGE.to_string(),
                format!("{},{}", r.min, r.max),
            ));
        }
        if let Some(g) = self.grant_id {
            q.push((GRANT.to_string(), g.to_string()));
            if let Some(t) = self.grant_expires {
                q.push((GRANT_EXPIRES.to_string(), t.to_string()));
            }
        }
        q
    }
}

/// Stage 6 (multipart): one signed UploadPart URL per planned part, with its byte range.
fn sign_parts(signer: &Signer<'_>, query: &BundleQuery<'_>, parts: &[PlannedPart]) -> Vec<Value> {
    parts
        .iter()
        .map(|p| {
            let url = signer.url("PUT", &query.build(Some(p.number)), &[]);
            let mut v = json!({ "part_number": p.number, "url": url });
            if let Some((offset, size)) = p.range {
                v["offset"] = json!(offset);
                v["size"] = json!(size);
            }
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(parts: Option<u32>, size: Option<u64>, part_size: Option<u64>) -> MultipartSpec {
        MultipartSpec {
            parts,
            size,
            part_size,
            upload_id: None,
        }
    }

    #[test]
    fn plans_parts() {
        assert_eq!(plan_parts(&spec(Some(3), None, None)).unwrap().len(), 3);
        let p = plan_parts(&spec(None, Some(20 << 20), Some(8 << 20))).unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(p[2].range, Some((16 << 20, 4 << 20)));
        for bad in [
            spec(Some(0), None, None),
            spec(Some(10_001), None, None),
            spec(Some(2), Some(10), None),
            spec(None, None, None),
            spec(None, Some(10), Some(1024)),
            spec(None, Some(0), None),
            spec(None, Some(10_001 * (5 << 20)), Some(5 << 20)),
            spec(Some(2), None, Some(5 << 20)),
        ] {
            let e = plan_parts(&bad).unwrap_err();
            assert_eq!(e.status, 400);
            assert!(e.field.unwrap().starts_with("multipart"));
        }
    }
}
