//! GetObjectAttributes: an object's ETag, checksum, parts (paged), storage class and size, as
//! SDKs read them to verify multipart checksums, in one call without the body.

use crate::auth::authz::require_allowed;
use crate::body::checksum::{stored_algorithm, ALL_ALGORITHMS};
use crate::net::headers::{header, header_as_sent};
use crate::net::response::{self, set_header, ResponseBody};
use crate::ops::get_object::load_object;
use crate::request_ctx::RequestCtx;
use http::Response;
use sluice_s3::xml::{http_date, AttributesPart, ObjectAttributes, ObjectPartsPage};
use sluice_s3::S3Error;
use sluice_store::Checksums;

/// The attributes `x-amz-object-attributes` may name.
const ATTRIBUTES: [&str; 5] = [
    "ETag",
    "Checksum",
    "ObjectParts",
    "StorageClass",
    "ObjectSize",
];

/// Default and largest `x-amz-max-parts`.
const MAX_PARTS: usize = 1000;

/// The checksum a response shows for stored checksums: the first stored algorithm's
/// (element, value) and its type (COMPOSITE for a multipart composite `value-N`).
fn checksum_of(c: &Checksums) -> Option<((&'static str, String), &'static str)> {
    let alg = stored_algorithm(c)?;
    let value = alg.stored(c)?.to_string();
    let kind = if value.contains('-') {
        "COMPOSITE"
    } else {
        "FULL_OBJECT"
    };
    Some(((alg.xml_element(), value), kind))
}

fn part_checksums(c: &Checksums) -> Vec<(&'static str, String)> {
    ALL_ALGORITHMS
        .into_iter()
        .filter_map(|a| a.stored(c).map(|v| (a.xml_element(), v.to_string())))
        .collect()
}

/// The attributes asked for: InvalidRequest without any, InvalidArgument for an unknown name.
fn requested(ctx: &RequestCtx<'_>) -> Result<Vec<&'static str>, S3Error> {
    // The AWS SDK for Rust sends one header line per attribute; S3 joins them.
    let raw = header_as_sent(ctx.parts, "x-amz-object-attributes").unwrap_or_default();
    let mut out = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let known = ATTRIBUTES
            .iter()
            .find(|a| **a == name)
            .ok_or_else(|| S3Error::invalid_argument("Invalid attribute name specified."))?;
        out.push(*known);
    }
    if out.is_empty() {
        return Err(S3Error::invalid_request(
            "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty",
        ));
    }
    Ok(out)
}

fn number_header(ctx: &RequestCtx<'_>, name: &str, default: usize) -> Result<usize, S3Error> {
    match header(ctx.parts, name) {
        None => Ok(default),
        Some(v) => v.trim().parse::<usize>().map_err(|_| {
            S3Error::invalid_argument_named(
                format!("Provided {name} not an integer or within integer range"),
                name,
                v,
            )
        }),
    }
}

/// `GET /bucket/key?attributes`: needs `s3:GetObjectAttributes` (the route's action) and
/// `s3:GetObject`, as AWS asks.
pub async fn get_object_attributes(
    ctx: &RequestCtx<'_>,
    bucket: &str,
    key: &str,
) -> Result<Response<ResponseBody>, S3Error> {
    require_allowed(ctx, "s3:GetObject", Some(bucket), Some(key)).await?;
    let wanted = requested(ctx)?;
    let max_parts = number_header(ctx, "x-amz-max-parts", MAX_PARTS)?.min(MAX_PARTS);
    let marker = number_header(ctx, "x-amz-part-number-marker", 0)?;
    let meta = load_object(ctx, bucket, key).await?;
    let asked = |a: &str| wanted.contains(&a);
    let mut doc = ObjectAttributes::default();
    if asked("ETag") {
        doc.etag = Some(meta.etag.clone());
    }
    if asked("Checksum") {
        doc.checksum = checksum_of(&meta.checksums);
    }
    if asked("StorageClass") {
        doc.storage_class = Some("STANDARD");
    }
    if asked("ObjectSize") {
        doc.object_size = Some(meta.size);
    }
    if let (true, Some(parts)) = (asked("ObjectParts"), &meta.parts) {
        // AWS lists the parts only of an object uploaded with checksums; PartsCount always.
        let with_checksums = parts
            .iter()
            .any(|p| stored_algorithm(&p.checksums).is_some());
        let after: Vec<_> = parts
            .iter()
            .filter(|p| p.part_number as usize > marker)
            .collect();
        let page: Vec<_> = after.iter().take(max_parts).collect();
        let is_truncated = with_checksums && after.len() > page.len();
        doc.parts = Some(ObjectPartsPage {
            parts_count: parts.len(),
            part_number_marker: marker as u32,
            max_parts,
            is_truncated,
            next_part_number_marker: if with_checksums {
                page.last().map(|p| p.part_number)
            } else {
                None
            },
            parts: if with_checksums {
                page.iter()
                    .map(|p| AttributesPart {
                        part_number: p.part_number,
                        size: p.size,
                        checksums: part_checksums(&p.checksums),
                    })
                    .collect()
            } else {
                Vec::new()
            },
        });
    }
    let mut r = response::xml(doc.to_xml());
    set_header(&mut r, "last-modified", &http_date(meta.last_modified_ms));
    Ok(r)
}
