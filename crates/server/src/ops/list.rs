//! ListObjects (v1), ListObjectsV2 and ListObjectVersions (unversioned buckets).

use crate::body::checksum::stored_algorithm;
use crate::net::response::{self, ResponseBody};
use crate::ops::continuation_token::{decode_token, encode_token};
use crate::ops::lookup::{require_bucket, store_err};
use crate::request_ctx::RequestCtx;
use http::Response;
use sluice_s3::xml::{ListObjectsPage, ListStyle, ObjectEntry};
use sluice_s3::S3Error;
use sluice_store::{ListPage, ListQuery};

/// Largest page S3 returns.
pub const MAX_KEYS_LIMIT: usize = 1000;

/// Which listing API was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListApi {
    /// ListObjects.
    V1,
    /// ListObjectsV2.
    V2,
    /// ListObjectVersions.
    Versions,
}

fn max_keys(ctx: &RequestCtx<'_>) -> Result<usize, S3Error> {
    match ctx.query.get("max-keys") {
        None => Ok(MAX_KEYS_LIMIT),
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if n >= 0 => Ok((n as u64).min(MAX_KEYS_LIMIT as u64) as usize),
            Ok(_) => Err(S3Error::invalid_argument_named(
                "Argument maxKeys must be an integer between 0 and 2147483647",
                "maxKeys",
                v,
            )),
            Err(_) => Err(S3Error::invalid_argument_named(
                "Provided max-keys not an integer or within integer range",
                "max-keys",
                v,
            )),
        },
    }
}

/// `encoding-type`: `url` (any case) or absent; anything else is 400 InvalidArgument.
pub fn url_encoding(ctx: &RequestCtx<'_>) -> Result<bool, S3Error> {
    match ctx.query.get("encoding-type") {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("url") => Ok(true),
        Some(v) => Err(S3Error::invalid_argument_named(
            "Invalid Encoding Method specified in Request",
            "encoding-type",
            v,
        )),
    }
}

/// `GET /bucket` in any of the three listing forms.
pub async fn list_objects(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    api: ListApi,
) -> Result<Response<ResponseBody>, S3Error> {
    let q = ctx.query;
    let max_keys = max_keys(ctx)?;
    let url_encode = url_encoding(ctx)?;
    let prefix = q.get("prefix").unwrap_or_default().to_string();
    let delimiter = q
        .get("delimiter")
        .filter(|d| !d.is_empty())
        .map(str::to_string);
    let (start_after, style_in) = match api {
        ListApi::V1 => {
            let marker = q.get("marker").unwrap_or_default().to_string();
            (
                Some(marker.clone()).filter(|m| !m.is_empty()),
                StyleIn::V1 { marker },
            )
        }
        ListApi::V2 => {
            let token = q.get("continuation-token").map(str::to_string);
            let start_after = q.get("start-after").map(str::to_string);
            let from_token = match &token {
                Some(t) => Some(decode_token(t)?),
                None => None,
            };
            let effective = from_token.or_else(|| start_after.clone().filter(|s| !s.is_empty()));
            (effective, StyleIn::V2 { token, start_after })
        }
        ListApi::Versions => {
            let key_marker = q.get("key-marker").unwrap_or_default().to_string();
            let vid = q.get("version-id-marker").unwrap_or_default().to_string();
            if !vid.is_empty() && key_marker.is_empty() {
                return Err(S3Error::invalid_argument_named(
                    "A version-id marker cannot be specified without a key marker.",
                    "version-id-marker",
                    vid,
                ));
            }
            if !vid.is_empty() && vid != "null" {
                return Err(S3Error::invalid_argument_named(
                    "Invalid version id specified",
                    "version-id-marker",
                    vid,
                ));
            }
            (
                Some(key_marker.clone()).filter(|m| !m.is_empty()),
                StyleIn::Versions { key_marker, vid },
            )
        }
    };
    require_bucket(ctx, bucket).await?;
    let page: ListPage = ctx
        .state
        .meta
        .list_objects(
            bucket,
            &ListQuery {
                prefix: &prefix,
                delimiter: delimiter.as_deref(),
                start_after: start_after.as_deref(),
                max_keys,
            },
        )
        .await
        .map_err(store_err)?;
    let style = match style_in {
        StyleIn::V1 { marker } => ListStyle::V1 {
            marker,
            next_marker: if delimiter.is_some() {
                page.next_marker.clone()
            } else {
                None
            },
        },
        StyleIn::V2 { token, start_after } => ListStyle::V2 {
            continuation_token: token,
            next_continuation_token: page.next_marker.as_deref().map(encode_token),
            start_after,
            fetch_owner: q.get("fetch-owner") == Some("true"),
        },
        StyleIn::Versions { key_marker, vid } => ListStyle::Versions {
            key_marker,
            version_id_marker: vid,
            next_key_marker: page.next_marker.clone(),
        },
    };
    let doc = ListObjectsPage {
        bucket: bucket.to_string(),
        prefix,
        delimiter,
        max_keys,
        is_truncated: page.is_truncated,
        url_encode,
        objects: page
            .objects
            .into_iter()
            .map(|o| ObjectEntry {
                checksum_algorithm: stored_algorithm(&o.checksums).map(|a| a.name()),
                key: o.key,
                last_modified_ms: o.last_modified_ms,
                etag: o.etag,
                size: o.size,
            })
            .collect(),
        common_prefixes: page.common_prefixes,
        owner: ctx.state.owner(),
        style,
    };
    Ok(response::xml(doc.to_xml()))
}

enum StyleIn {
    V1 {
        marker: String,
    },
    V2 {
        token: Option<String>,
        start_after: Option<String>,
    },
    Versions {
        key_marker: String,
        vid: String,
    },
}
