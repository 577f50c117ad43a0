//! GetObject and HeadObject: conditionals, ranges, response overrides, checksums, streaming.

use crate::body::checksum::stored_algorithm;
use crate::body::object_reader::ObjectReader;
use crate::net::headers::{header, write_object_headers};
use crate::net::response::{self, set_header, ResponseBody};
use crate::ops::conditions::{evaluate_read_conditions, parse_range, ByteRange, ReadCondition};
use crate::ops::lookup::{require_bucket, store_err};
use crate::request_ctx::RequestCtx;
use futures_util::StreamExt;
use http::Response;
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use sluice_s3::S3Error;
use sluice_store::ObjectMeta;

/// `response-*` query parameters and the headers they override.
const RESPONSE_OVERRIDES: [(&str, &str); 6] = [
    ("response-content-type", "content-type"),
    ("response-content-language", "content-language"),
    ("response-expires", "expires"),
    ("response-cache-control", "cache-control"),
    ("response-content-disposition", "content-disposition"),
    ("response-content-encoding", "content-encoding"),
];

/// Loads an object, answering `NoSuchBucket` or `NoSuchKey` as S3 does.
pub async fn load_object(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
) -> Result<ObjectMeta, S3Error> {
    match ctx
        .state
        .meta
        .get_object(bucket, key)
        .await
        .map_err(store_err)?
    {
        Some(m) => Ok(m),
        None => {
            require_bucket(ctx, bucket).await?;
            Err(S3Error::no_such_key(key).with_resource(format!("/{bucket}/{key}")))
        }
    }
}

/// `GET` or `HEAD /bucket/key`
pub async fn get_object(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
    head: bool,
) -> Result<Response<ResponseBody>, S3Error> {
    let meta = load_object(ctx, bucket, key).await?;
    let part_range = part_number_range(ctx, &meta)?;
    if evaluate_read_conditions(ctx.parts, &meta, "")? == ReadCondition::NotModified {
        let mut r = response::empty(304);
        set_header(&mut r, "etag", &format!("\"{}\"", meta.etag));
        set_header(
            &mut r,
            "last-modified",
            &sluice_s3::xml::http_date(meta.last_modified_ms),
        );
        return Ok(r);
    }
    let range = match part_range {
        Some(r) => Some(r),
        None => parse_range(header(ctx.parts, "range"), meta.size)?,
    };
    let (status, start, len) = match range {
        Some(r) => (206, r.start, r.len()),
        None => (200, 0, meta.size),
    };
    let body = if head || len == 0 {
        response::empty_body()
    } else {
        // Open the first blob now so a missing blob is a clean 500 rather than a cut body.
        let mut reader = ObjectReader::new(ctx.state.blobs.clone(), &meta, start, len);
        match reader.next_chunk().await {
            Ok(first) => {
                let first = first.map(|b| Ok(Frame::data(b)));
                let rest = reader.into_body();
                let head_stream = futures_util::stream::iter(first);
                let tail = http_body_util::BodyStream::new(rest);
                StreamBody::new(head_stream.chain(tail)).boxed_unsync()
            }
            Err(e) => {
                tracing::error!(bucket, key, error = %e, "object bytes unreadable");
                return Err(S3Error::internal_error());
            }
        }
    };
    let mut r = Response::new(body);
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    write_object_headers(&mut r, &meta);
    set_header(&mut r, "content-length", &len.to_string());
    if let Some(ByteRange { start, end }) = range {
        set_header(
            &mut r,
            "content-range",
            &format!("bytes {start}-{end}/{}", meta.size),
        );
    }
    if range.is_none()
        && header(ctx.parts, "x-amz-checksum-mode")
            .is_some_and(|v| v.eq_ignore_ascii_case("enabled"))
    {
        if let Some(alg) = stored_algorithm(&meta.checksums) {
            if let Some(v) = alg.stored(&meta.checksums) {
                set_header(&mut r, alg.header(), v);
                let kind = if v.contains('-') {
                    "COMPOSITE"
                } else {
                    "FULL_OBJECT"
                };
                set_header(&mut r, "x-amz-checksum-type", kind);
            }
        }
    }
    apply_response_overrides(ctx, &mut r)?;
    Ok(r)
}

/// `?partNumber=N` on GET/HEAD: a single-part object has only part 1.
fn part_number_range(
    ctx: &RequestCtx<'_>,
    meta: &ObjectMeta,
) -> Result<Option<ByteRange>, S3Error> {
    let Some(raw) = ctx.query.get("partNumber") else {
        return Ok(None);
    };
    let n: u32 = raw
        .parse()
        .ok()
        .filter(|n| (1..=10_000).contains(n))
        .ok_or_else(|| {
            S3Error::invalid_argument_named(
                "Part number must be an integer between 1 and 10000, inclusive",
                "partNumber",
                raw,
            )
        })?;
    match &meta.parts {
        None if n == 1 => Ok(None),
        None => Err(S3Error::new(
            "InvalidPartNumber",
            416,
            "The requested partnumber is not satisfiable",
        )),
        Some(parts) => {
            let mut offset = 0u64;
            for p in parts {
                if p.part_number == n {
                    if p.size == 0 {
                        return Ok(None);
                    }
                    return Ok(Some(ByteRange {
                        start: offset,
                        end: offset + p.size - 1,
                    }));
                }
                offset += p.size;
            }
            Err(S3Error::new(
                "InvalidPartNumber",
                416,
                "The requested partnumber is not satisfiable",
            ))
        }
    }
}

fn apply_response_overrides(
    ctx: &RequestCtx<'_>,
    r: &mut Response<ResponseBody>,
) -> Result<(), S3Error> {
    for (param, header_name) in RESPONSE_OVERRIDES {
        if let Some(v) = ctx.query.get(param) {
            if ctx.caller.auth.is_none() {
                return Err(S3Error::invalid_request(
                    "Request specific response headers cannot be used for anonymous GET requests.",
                ));
            }
            set_header(r, header_name, v);
        }
    }
    Ok(())
}
