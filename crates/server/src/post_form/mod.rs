//! PostObject: a browser form upload (`POST /bucket`, `multipart/form-data`).
//!
//! The form is parsed as it streams: the fields before the `file` part are kept (at most
//! [`MAX_PRE_FILE_FIELD_BYTES`]), the policy signature and conditions are checked, the
//! request is authorized as a PutObject by the signer, and only then does the file part
//! stream through the hashers into a temp blob, committed once complete and within the
//! policy's `content-length-range`. Fields after the file are ignored, as S3 does.

mod fields;
pub mod policy;

use crate::auth::authn::{authenticate_post_form, Caller};
use crate::auth::authz::{require_endpoint_allowed, AuthzInput};
use crate::body::body_in::BodyReader;
use crate::body::checksum::{BodyHasher, ChecksumAlgorithm};
use crate::net::headers::{header, standard_headers, user_metadata};
use crate::net::response::{self, set_header, ResponseBody};
use crate::ops::lookup::{require_bucket, store_err};
use crate::ops::put_object::{commit_object, MAX_PUT_SIZE};
use crate::request_ctx::RequestCtx;
use crate::state::AppState;
use fields::FormFields;
use http::request::Parts;
use http::Response;
use hyper::body::Incoming;
use policy::{LengthRange, PostPolicy};
use sluice_iam::Principal;
use sluice_s3::route::MAX_KEY_BYTES;
use sluice_s3::{Endpoint, QueryParams, S3Error};
use sluice_sigv4::{parse_post_policy_auth, PayloadCheck};
use sluice_store::{BlobWriter, Checksums, ObjectMeta};
use std::net::SocketAddr;

/// Most bytes of form fields (names and values) before the file, as S3 allows (20 KiB).
pub const MAX_PRE_FILE_FIELD_BYTES: usize = 20 * 1024;

/// Form fields copied to the object as the headers of the same name.
const HEADER_FIELDS: [&str; 5] = [
    "content-type",
    "cache-control",
    "content-disposition",
    "content-encoding",
    "expires",
];

/// What the access log learns about a form upload.
#[derive(Debug, Default)]
pub struct PostOutcome {
    /// The object key, once known.
    pub key: String,
    /// The signing access key, if any.
    pub access_key: String,
}

/// `POST /bucket` with a form: authenticate by policy, authorize, stream, commit, answer.
pub async fn post_object(
    state: &AppState,
    parts: &Parts,
    body: Incoming,
    bucket: &str,
    remote: SocketAddr,
    outcome: &mut PostOutcome,
) -> Result<Response<ResponseBody>, S3Error> {
    let boundary = header(parts, "content-type")
        .and_then(|ct| multer::parse_boundary(ct).ok())
        .ok_or_else(S3Error::post_not_multipart)?;
    let declared = header(parts, "content-length").and_then(|v| v.trim().parse().ok());
    let mut reader = BodyReader::new(body, PayloadCheck::Unsigned, declared)
        .with_idle_timeout(state.config.body_idle_timeout)
        .with_budget(&state.body_budget);
    let mut form = FormFields::new(&mut reader, boundary);
    let fields = form
        .read_fields_before_file(MAX_PRE_FILE_FIELD_BYTES)
        .await?;

    let (caller, range) = match parse_post_policy_auth(&fields.values)
        .map_err(|e| crate::auth::auth_error::auth_error_to_s3(&e))?
    {
        Some(auth) => {
            let (caller, verified) = authenticate_post_form(state, &auth).await?;
            outcome.access_key = auth.access_key_id().to_string();
            let policy = PostPolicy::parse(&verified.policy)?;
            let range = policy.check(state.clock.now(), bucket, &fields.values)?;
            (caller, range)
        }
        None => (
            Caller {
                principal: Principal::Anonymous,
                auth: None,
                policies: Vec::new(),
                signing_secret: None,
            },
            None,
        ),
    };
    let key_field = fields
        .get("key")
        .ok_or_else(|| S3Error::post_missing_field("key"))?;
    let key = key_field.replace("${filename}", fields.file_name.as_deref().unwrap_or(""));
    if key.is_empty() {
        return Err(S3Error::invalid_argument(
            "User key must have a length greater than 0.",
        ));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(S3Error::key_too_long());
    }
    outcome.key = key.clone();

    let object_parts = object_request_parts(parts, &fields.values)?;
    let query = QueryParams::parse("");
    let endpoint = Endpoint::PutObject {
        bucket: bucket.to_string(),
        key: key.clone(),
    };
    let authz = AuthzInput {
        state,
        caller: &caller,
        endpoint: Some(&endpoint),
        query: &query,
        parts: &object_parts,
        remote,
    };
    require_endpoint_allowed(&authz).await?;
    refuse_unsupported_fields(&endpoint, &fields.values)?;
    let canned_acl = crate::ops::acl::requested_acl(&authz).await?;
    crate::ops::tagging::require_tagging_permission(&authz).await?;
    let ctx = RequestCtx {
        state,
        parts: &object_parts,
        query: &query,
        caller: &caller,
        remote,
    };
    require_bucket(&ctx, bucket).await?;
    let headers = standard_headers(&object_parts);
    let user_metadata = user_metadata(&object_parts)?;
    let tags = crate::ops::tagging::header_tags(&object_parts)?;

    let mut writer = state.blobs.create().await.map_err(store_err)?;
    let streamed = stream_file(&mut form, &mut *writer, range).await;
    let (size, md5_hex, checksum) = match streamed {
        Ok(v) => v,
        Err(e) => {
            writer.abort().await;
            return Err(e);
        }
    };
    let blob = writer.commit().await.map_err(store_err)?;
    let mut checksums = Checksums::default();
    ChecksumAlgorithm::Crc64Nvme.store(&mut checksums, checksum);
    let meta = ObjectMeta {
        bucket: bucket.to_string(),
        key: key.clone(),
        size,
        etag: md5_hex.clone(),
        last_modified_ms: state.clock.now_ms(),
        headers,
        user_metadata,
        checksums,
        blob,
        parts: None,
        tags,
    };
    let committed = commit_object(&ctx, &meta, sluice_s3::event_record::OBJECT_CREATED_POST).await;
    if let Err(e) = &committed {
        if e.code == crate::notify::emit::CHECKS_REJECTED {
            crate::notify::emit::rejected(&ctx, bucket, &key, e).await;
        }
    }
    committed?;
    crate::ops::acl::apply_requested_acl(&ctx, &endpoint, canned_acl).await?;
    Ok(success_response(parts, &fields, bucket, &key, &md5_hex))
}

/// Streams the file part into `writer` through the hashers, enforcing the size range; then
/// reads the rest of the form, refusing a second file. Returns (size, MD5 hex, CRC64NVME).
async fn stream_file(
    form: &mut FormFields<'_>,
    writer: &mut dyn BlobWriter,
    range: Option<LengthRange>,
) -> Result<(u64, String, String), S3Error> {
    let max = range.map_or(MAX_PUT_SIZE, |r| r.max.min(MAX_PUT_SIZE));
    let mut hasher = BodyHasher::new(Some(ChecksumAlgorithm::Crc64Nvme), false);
    let mut size: u64 = 0;
    while let Some(chunk) = form.next_file_chunk().await? {
        size += chunk.len() as u64;
        if size > max {
            return Err(match range {
                Some(r) if r.max < MAX_PUT_SIZE => S3Error::post_entity_too_large(size, r.max),
                _ => S3Error::entity_too_large(MAX_PUT_SIZE),
            });
        }
        hasher.update(&chunk);
        writer.write(&chunk).await.map_err(store_err)?;
    }
    if let Some(r) = range {
        if size < r.min {
            return Err(S3Error::post_entity_too_small(size, r.min));
        }
    }
    form.skip_fields_after_file().await?;
    let digests = hasher.finish();
    let checksum = digests
        .checksum
        .map(|(_, v)| v)
        .ok_or_else(S3Error::internal_error)?;
    Ok((size, hex::encode(digests.md5), checksum))
}

/// Form fields that ask for what Sluice lacks (storage classes, SSE-KMS / SSE-C, object lock,
/// website redirects) are refused as the same headers of a PutObject are.
fn refuse_unsupported_fields(
    endpoint: &Endpoint,
    fields: &[(String, String)],
) -> Result<(), S3Error> {
    let named: Vec<(String, &str)> = fields
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.as_str()))
        .collect();
    sluice_s3::unsupported_headers::refuse_unsupported_headers(
        endpoint,
        named.iter().map(|(n, v)| (n.as_str(), *v)),
    )
}

/// A request head carrying the form's object headers (`Content-Type`, `x-amz-meta-*`, the
/// canned `acl` as `x-amz-acl`, the `tagging` document as `x-amz-tagging`, ...), so
/// PutObject's header readers, ACL and tagging checks apply.
fn object_request_parts(parts: &Parts, fields: &[(String, String)]) -> Result<Parts, S3Error> {
    let mut b = http::Request::builder()
        .method(http::Method::PUT)
        .uri(parts.uri.clone());
    if let Some(host) = parts.headers.get(http::header::HOST) {
        b = b.header(http::header::HOST, host.clone());
    }
    for (name, value) in fields {
        let lower = name.to_ascii_lowercase();
        let target = if lower == "tagging" {
            // AWS's form field is a `Tagging` XML document; carried on as the header's query
            // form, so PutObject's tag readers and the tag condition keys apply.
            let tags = sluice_s3::xml::parse_tagging(
                value.as_bytes(),
                sluice_s3::tagging::TagTarget::Object,
            )?;
            let query = sluice_s3::tagging::tagging_query(&tags);
            let v = http::HeaderValue::from_str(&query).map_err(|_| S3Error::malformed_xml())?;
            b = b.header(sluice_s3::tagging::TAGGING_HEADER, v);
            continue;
        } else if lower == "acl" {
            "x-amz-acl".to_string()
        } else if HEADER_FIELDS.contains(&lower.as_str()) || lower.starts_with("x-amz-meta-") {
            lower
        } else {
            continue;
        };
        let v = http::HeaderValue::from_str(value).map_err(|_| {
            S3Error::invalid_argument_named("Invalid value for form field", name, value.as_str())
        })?;
        b = b.header(target, v);
    }
    b.body(())
        .map(|r| r.into_parts().0)
        .map_err(|_| S3Error::malformed_post_request())
}

/// 204 (default), 200, 201 with `PostResponse`, or a 303 to `success_action_redirect`.
fn success_response(
    parts: &Parts,
    fields: &fields::ParsedFields,
    bucket: &str,
    key: &str,
    md5_hex: &str,
) -> Response<ResponseBody> {
    let etag = format!("\"{md5_hex}\"");
    let host = header(parts, "host").unwrap_or("localhost");
    let scheme = if crate::net::tls::is_over_tls(parts) {
        "https"
    } else {
        "http"
    };
    let location = format!(
        "{scheme}://{host}{}",
        sluice_sigv4::encode_object_path(bucket, key)
    );
    let redirect = fields
        .get("success_action_redirect")
        .or_else(|| fields.get("redirect"))
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"));
    let mut resp = if let Some(url) = redirect {
        let enc = |s: &str| sluice_sigv4::uri_encode(s, true);
        let sep = if url.contains('?') { '&' } else { '?' };
        let target = format!(
            "{url}{sep}bucket={}&key={}&etag={}",
            enc(bucket),
            enc(key),
            enc(&etag)
        );
        let mut r = response::empty(303);
        set_header(&mut r, "location", &target);
        r
    } else {
        match fields.get("success_action_status") {
            Some("200") => response::empty(200),
            Some("201") => {
                let mut r = response::xml(sluice_s3::xml::post_response_xml(
                    &location, bucket, key, &etag,
                ));
                *r.status_mut() = http::StatusCode::CREATED;
                r
            }
            _ => response::empty(204),
        }
    };
    set_header(&mut resp, "etag", &etag);
    if resp.status() != http::StatusCode::SEE_OTHER {
        set_header(&mut resp, "location", &location);
    }
    resp
}
